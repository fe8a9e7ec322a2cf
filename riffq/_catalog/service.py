"""The catalog engine as the server uses it: which statements it answers,
and what it is told about the session that asked.

The engine evaluates SQL; this module is the seam to the wire layer. It runs
on handler threads, so anything that changes the session (``set_config``)
is handed to the event loop and waited for, and the live connection list for
``pg_stat_activity`` is copied, never iterated while the loop changes it.
Under ``start(workers=N)`` the view also lists the other workers' sessions,
which ``elsewhere`` fetches, and ``pg_cancel_backend``/``pg_terminate_backend``
reach them through ``signal_elsewhere`` (see ``riffq.worker_activity``).
"""
from __future__ import annotations

import functools
import logging
import os
import threading
from typing import Any, Callable, Dict, Iterable, List, Optional

from .._wire.errors import PgError
from .._wire.messages import notice_response
from .._wire.results import TypedRows
from .engine import CatalogEngine, CatalogSession, oid_literal_shape
from .router import is_catalog_statement

log = logging.getLogger("riffq")

#: How long a catalog statement waits for the event loop to apply set_config()
#: or to signal a session
LOOP_WAIT_TIMEOUT = 10.0
#: statements longer than this are routed afresh each time rather than kept
CACHED_TEXT_MAX = 16384
_routes_cached = functools.lru_cache(maxsize=1024)(is_catalog_statement)


def _translator() -> Callable[[str], Any]:
    """sqlglot's translator when the ``sqlglot`` extra is installed, the
    built-in one otherwise; ``RIFFQ_CATALOG_TRANSLATOR=builtin|sqlglot``
    forces one (the tests run the corpus through both)."""
    from .translate import translate
    choice = os.environ.get("RIFFQ_CATALOG_TRANSLATOR", "").strip().lower()
    if choice not in ("", "builtin", "sqlglot"):
        raise ValueError("RIFFQ_CATALOG_TRANSLATOR must be builtin or sqlglot, got %r" % choice)
    use = None if not choice else choice == "sqlglot"
    return lambda sql: translate(sql, use_sqlglot=use)


class CatalogService:
    """One per server: routes statements and runs them on the engine."""

    def __init__(self, registry: Any, live_sessions: Callable[[], List[Any]],
                 server_version: Callable[[], str],
                 elsewhere: Optional[Callable[[], List[Dict[str, Any]]]] = None,
                 signal_here: Optional[Callable[[int, bool], bool]] = None,
                 signal_elsewhere: Optional[Callable[[int, bool], Optional[bool]]] = None) -> None:
        self.engine = CatalogEngine(registry, _translator())
        self._live = live_sessions
        self._version = server_version
        self._elsewhere = elsewhere
        self._signal_here = signal_here
        self._signal_elsewhere = signal_elsewhere

    @staticmethod
    def routes(sql: str) -> bool:
        """Routing parses the statement; tools repeat the same ones, so a
        decision is kept by text (short statements only: the key is kept)."""
        if len(sql) > CACHED_TEXT_MAX:
            return is_catalog_statement(sql)
        shaped = oid_literal_shape(sql)    # one decision for every table's OID
        return _routes_cached(sql if shaped is None else shaped[0])

    def answer(self, session: Any, sql: str, callback: Callable[..., None],
               kwargs: Dict[str, Any]) -> None:
        """Answer like a query handler would, through ``callback``."""
        view = self.session_view(session)
        try:
            if kwargs.get("do_describe"):
                _, columns = self.engine.describe(sql, view)
                rows: List[Any] = []
            else:
                columns, rows = self.engine.execute(sql, kwargs.get("query_args") or [], view)
        except PgError as exc:
            callback(exc, is_error=True)
            return
        callback(TypedRows(columns, rows))

    # -- what the engine sees of a session ----------------------------------------
    def session_view(self, session: Any) -> CatalogSession:
        def get_setting(name: str) -> Optional[str]:
            try:
                return session.settings.get(name)
            except Exception:       # unknown names: the engine says what PostgreSQL says
                return None

        return CatalogSession(
            database=session.database, user=session.user, pid=session.conn_id or 0,
            application_name=get_setting("application_name") or "",
            get_setting=get_setting,
            set_setting=lambda name, value, local: self._set_config(session, name, value, local),
            activity=self._activity, server_version=self._version(),
            signal_backend=lambda conn_id, terminate: self._signal(session, conn_id, terminate))

    def _set_config(self, session: Any, name: str, value: str, local: bool) -> str:
        """set_config() changes the session, which only the loop may touch."""
        def apply() -> str:
            from .._wire.settings import SettingError
            try:
                if local and not session.settings.in_transaction:
                    # outside a block, is_local lasts for this statement only
                    session.settings.begin()
                    try:
                        session.apply_setting(name, value, local=True)
                        return session.settings.get(name)
                    finally:
                        session._settings_changed(session.settings.rollback())
                session.apply_setting(name, value, local=local)
                return session.settings.get(name)
            except SettingError as exc:
                raise PgError(exc.sqlstate, exc.message) from None
        return _on_loop(session, apply, "set_config()")

    def _signal(self, session: Any, conn_id: int, terminate: bool) -> bool:
        """pg_cancel_backend / pg_terminate_backend: whether the session was
        there. Another worker's is signalled by that worker; this process's
        on its loop, which alone touches sessions."""
        done = None
        if self._signal_elsewhere is not None:
            done = self._signal_elsewhere(conn_id, terminate)
        if done is None and self._signal_here is not None:
            here = self._signal_here
            name = "pg_terminate_backend()" if terminate else "pg_cancel_backend()"
            done = _on_loop(session, lambda: here(conn_id, terminate), name)
        if not done:
            _warn(session, "PID %d is not a PostgreSQL backend process" % conn_id)
        return bool(done)

    def _activity(self) -> List[Dict[str, Any]]:
        rows = session_rows(self._live())
        if self._elsewhere is not None:
            rows += self._elsewhere()
        return rows


def _warn(session: Any, text: str) -> None:
    """A WARNING for the statement running in ``session``, ahead of its
    result (both reach the loop in this order), unless the client asked
    for errors only."""
    def send() -> None:
        try:
            if session.settings.get("client_min_messages") == "error":
                return
        except Exception:
            pass
        session.host.write(notice_response("WARNING", "01000", text, encoding=session.codec))
    session.post(send)


def _on_loop(session: Any, fn: Callable[[], Any], what: str) -> Any:
    """``fn()`` run on the event loop (through ``session``), from a handler
    thread that waits for it; its PgError reaches the statement."""
    done = threading.Event()
    box: Dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except PgError as exc:
            box["error"] = exc
        except BaseException as exc:  # noqa: BLE001 - reported to the statement
            box["error"] = PgError("XX000", "%s failed: %s" % (what, exc))
        finally:
            done.set()
    session.post(run)
    if not done.wait(LOOP_WAIT_TIMEOUT):
        raise PgError("57014", "%s timed out waiting for the session" % what)
    if "error" in box:
        raise box["error"]
    return box["value"]


def session_rows(sessions: Iterable[Any]) -> List[Dict[str, Any]]:
    """pg_stat_activity's source rows for these sessions."""
    rows = []
    for s in sessions:
        busy = s.state == "READY" and s._busy
        txn = getattr(s, "txn", "I")
        state = "active" if busy else {"I": "idle", "T": "idle in transaction",
                                        "E": "idle in transaction (aborted)"}.get(txn, "idle")
        try:
            app = s.settings.get("application_name")
        except Exception:
            app = ""
        rows.append({"pid": s.conn_id, "usename": s.user, "datname": s.database,
                     "application_name": app, "client_addr": s.peer[0] if s.peer else None,
                     "client_port": s.peer[1] if s.peer and len(s.peer) > 1 else None,
                     "backend_start": s.started, "state": state, "query": s.last_query})
    return rows
