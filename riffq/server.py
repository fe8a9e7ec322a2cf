"""The low-level server: ``riffq.Server``.

Programs written for the original riffq register plain functions with
``on_query``/``on_authentication``/``on_connect``/``on_disconnect`` and call
``start()``. This class keeps those hooks, owns the event loop and the
thread pool that runs them, and answers a Session's questions about them.
"""
from __future__ import annotations

import hmac
import itertools
import logging
import os
import signal
import threading
from concurrent.futures import wait as wait_futures
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._catalog.registry import CatalogRegistry
from ._wire import messages as m
from ._wire.errors import PgError, ProtocolViolation
from ._wire.signals import stop_on, stop_on_wakeup
from ._wire.tls import make_server_context
from ._wire.workers import DaemonPool
from ._wire.calling import call_tolerantly
from ._wire.loop import Connection, EventLoop
from ._wire.session import Session
from .prefork import Supervisor, check_worker_count

#: what a client is told when the server ends its session (shutdown,
#: pg_terminate_backend), as PostgreSQL words it
ADMIN_SHUTDOWN = "terminating connection due to administrator command"

log = logging.getLogger("riffq")

DEFAULT_SERVER_VERSION = "17.4.0"
#: Threads that run user hooks and encode results. Blocking handlers each
#: hold one, so there are many; idle ones cost nothing until first used.
HANDLER_THREADS = 64
#: Threads that read a result's reader and encode its chunks. Encoding is
#: short, but reading is the user's code and may wait (a slow upstream, an
#: engine still computing), so, as for handlers, each waiting reader holds
#: one and there are as many; idle ones cost nothing until first used.
ENCODE_THREADS = 64
#: Seconds shutdown waits for disconnect hooks still running.
DISCONNECT_GRACE = 5.0


def parse_listen_addr(addr: str) -> Tuple[str, int]:
    """``"host:port"``, ``"[::1]:5433"`` or ``":5433"`` into (host, port)."""
    if not isinstance(addr, str) or ":" not in addr:
        raise ValueError("listen address must look like 'host:port', got %r" % (addr,))
    host, _, port = addr.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port_no = int(port)
    except ValueError:
        raise ValueError("listen address %r has an invalid port" % (addr,))
    if not 0 <= port_no <= 65535:
        raise ValueError("listen address %r has an invalid port" % (addr,))
    return host or "0.0.0.0", port_no


def _noop(*_args: Any, **_kwargs: Any) -> None:
    return None



def _no_query_handler(sql: str, callback: Callable[..., None], **kwargs: Any) -> None:
    callback(("ERROR", "0A000", "this server has no query handler"), is_error=True)

class Server:
    """A PostgreSQL wire-protocol server driven by registered callbacks."""

    def __init__(self, listen_addr: str) -> None:
        self.host, self.port = parse_listen_addr(listen_addr)
        self._query_fn: Optional[Callable[..., Any]] = None
        #: what sessions call for a statement, ``fn(sql, callback, **kwargs)``:
        #: the registered handler itself, so no call of ours wraps every statement
        self.query_handler: Callable[..., Any] = _no_query_handler
        self._auth_fn: Optional[Callable[..., Any]] = None
        self._connect_fn: Optional[Callable[..., Any]] = None
        self._disconnect_fn: Optional[Callable[..., Any]] = None
        self._param_types_fn: Optional[Callable[..., Any]] = None
        #: whether a parameter type hook is set (an attribute, not a
        #: property: the short path reads it for every request)
        self.declares_parameter_types = False
        self._cancel_fn: Optional[Callable[..., Any]] = None
        self._credentials_fn: Optional[Callable[..., Any]] = None
        self._auth_method: Optional[str] = None
        self._cb_hash: Optional[bytes] = None
        #: READY sessions by conn_id (the PID clients cancel by); loop thread only
        self._live: Dict[int, Session] = {}
        self._shutdown_fns: List[Callable[..., Any]] = []
        self.catalog = CatalogRegistry()
        self._tls: Optional[Tuple[str, str]] = None
        self._tls_ca: Optional[str] = None
        self._require_client_cert = False
        self._ssl_context: Any = None
        #: refuse plain connections (``start(require_tls=True)``)
        self.require_tls = False
        self.server_version = DEFAULT_SERVER_VERSION
        self.catalog_emulation = False
        self._catalog_service: Any = None
        #: When True, BEGIN/COMMIT/ROLLBACK... reach the query handler instead
        #: of being answered by the server (the status still follows them).
        self.forward_transaction_control = False
        #: When True, json/jsonb parameters reach the handler parsed (dicts,
        #: lists...) instead of as their JSON text.
        self.parse_json_parameters = False
        self._ids = itertools.count(1)
        self._loop: Optional[EventLoop] = None
        self._pool: Optional[DaemonPool] = None
        self._started = threading.Event()
        self._start_error: Optional[BaseException] = None
        #: guards ``_running``: one ``start`` at a time (reentrant: ``stop`` may
        #: come from a signal handler on a thread holding it)
        self._run_lock = threading.RLock()
        self._running = False
        #: stop() came while a run had no loop (or supervisor) yet to stop
        self._stop_early = False
        #: the address asked for: each run binds it afresh (port 0: a new port)
        self._listen_addr = (self.host, self.port)
        self._disconnects: "set[Any]" = set()
        self.stopping = False
        self._deferred_disconnects: "set[Session]" = set()
        #: set in a worker process of ``start(workers=N)`` (a prefork.WorkerSlot)
        self._worker: Any = None
        #: set in the parent of ``start(workers=N)`` (a prefork.Supervisor)
        self._supervisor: Any = None
        self._worker_start_fns: List[Callable[[], Any]] = []

    # ------------------------------------------------------------ hooks

    def on_query(self, fn: Callable[..., Any]) -> None:
        self._query_fn = fn
        self.query_handler = fn

    def on_authentication(self, fn: Callable[..., Any]) -> None:
        self._auth_fn = fn

    def on_connect(self, fn: Callable[..., Any]) -> None:
        self._connect_fn = fn

    def on_disconnect(self, fn: Callable[..., Any]) -> None:
        self._disconnect_fn = fn

    def on_parameter_types(self, fn: Callable[..., Any]) -> None:
        """Let ``fn(conn_id, sql, param_types)`` declare the types of a
        prepared statement's parameters: it returns a list with an OID, a
        type name (``"int8"``, ``"timestamptz"``...) or None per ``$n``."""
        self._param_types_fn = fn
        self.declares_parameter_types = fn is not None

    def handle_shutdown(self, fn: Callable[..., Any]) -> None:
        """Register ``fn`` to run once on SIGINT/SIGTERM (or ``stop()``), after
        the server stops accepting and before ``start()`` returns. With
        ``start(workers=N)`` it runs in each worker process, where the
        handlers and their resources live, not in the parent."""
        self._shutdown_fns.append(fn)

    def on_worker_start(self, fn: Callable[[], Any]) -> None:
        """With ``start(workers=N)``, ``fn()`` runs in each worker process
        right after it is forked, before it serves: the place to open what
        must not be shared across a fork (database connections, threads)."""
        self._worker_start_fns.append(fn)

    # ---------------------------------------------------------- catalog

    def register_database(self, database: str) -> None:
        self.catalog.register_database(database)

    def register_schema(self, database: str, schema: str) -> None:
        self.catalog.register_schema(database, schema)

    def register_table(self, database: str, schema: str, table: str, columns: List[Dict[str, Any]],
                       comment: Optional[str] = None, view_sql: Optional[str] = None) -> None:
        """Declare a table for catalog emulation. Column specs may add
        ``"primary_key": True``, ``"comment": "..."`` and ``"default": "expr"``;
        ``comment`` describes the table, ``view_sql`` makes it a view."""
        self.catalog.register_table(database, schema, table, columns, comment=comment, view_sql=view_sql)

    def set_lazy_catalog(self, source: Any) -> None:
        self.catalog.set_lazy_source(source)

    def set_tls(self, crt: str, key: str, ca: Optional[str] = None,
                require_client_cert: bool = False) -> None:
        """Use this PEM certificate and key (PKCS#8, PKCS#1 or SEC1) for TLS;
        missing files fail now. With ``ca`` (PEM), clients are asked for a
        certificate signed by it; its subject reaches the hooks as
        ``client_cert``; ``require_client_cert`` refuses clients without one."""
        files = [(crt, "Certificate"), (key, "Certificate keyfile")]
        if ca is not None:
            files.append((ca, "Client CA file"))
        elif require_client_cert:
            raise ValueError("require_client_cert=True needs ca= (the CA that signs client certificates)")
        for path, what in files:
            if not os.path.exists(path):
                raise OSError("%s not found in %s" % (what, path))
        self._tls = (crt, key)
        self._tls_ca = ca
        self._require_client_cert = bool(require_client_cert)

    # ------------------------------------------------- session questions

    def on_credentials(self, fn: Callable[..., Any]) -> None:
        """Let ``fn(user, database)`` return the stored secret of a user — a
        plaintext password, a SCRAM verifier (``riffq.auth.scram_verifier``)
        or an ``md5...`` hash — or None for an unknown user. With it, clients
        authenticate with SCRAM-SHA-256 (unless ``auth_method`` says
        otherwise) and the password never crosses the wire."""
        self._credentials_fn = fn

    @property
    def auth_method(self) -> str:
        """The method clients are asked for (see ``start(auth_method=...)``)."""
        if self._auth_method is not None:
            return self._auth_method
        if self._credentials_fn is not None:
            return "scram-sha-256"
        return "password" if self._auth_fn is not None else "trust"

    @property
    def checks_passwords_itself(self) -> bool:
        return self._auth_fn is not None and self._credentials_fn is None

    def lookup_secret(self, session: Session) -> Any:
        return call_tolerantly(self._credentials_fn, session.user, session.database,
                               optional={"connection_id": session.conn_id})

    def channel_binding_data(self, session: Session) -> Optional[bytes]:
        if self._cb_hash is not None and getattr(session.host, "tls_active", False):
            return self._cb_hash
        return None

    def on_ssl_request(self, session: Session) -> None:
        """Answer ``S`` and switch to TLS when it is on, else ``N``.

        Bytes the client sent after the SSLRequest, before the handshake,
        would be plaintext smuggled into the encrypted session (the
        buffer-stuffing attack, CVE-2021-23222): that ends the connection.
        """
        conn = session.host
        if getattr(conn, "_tls", None) is not None:
            # already encrypted (direct TLS, or a second request): PostgreSQL
            # reads it as a startup packet of an unknown protocol version
            raise PgError("0A000", "unsupported frontend protocol 1234.5679: server supports 3.0 to 3.0",
                          severity="FATAL")
        if self._ssl_context is None or not hasattr(conn, "start_tls"):
            conn.write(b"N")
            return
        if session.framer.pending():
            session.fatal(ProtocolViolation("received unencrypted data after SSL request"))
            return
        conn.write(b"S")
        conn.start_tls(self._ssl_context)

    def on_direct_tls(self, session: Session, data: bytes) -> bool:
        """A ClientHello with no SSLRequest before it (``sslnegotiation=direct``):
        start TLS on it when TLS is on; else let the bytes fail as a startup
        packet of impossible length."""
        conn = session.host
        if self._ssl_context is None or not hasattr(conn, "start_tls"):
            return False
        conn.start_tls(self._ssl_context, first_bytes=data)
        return True

    def on_cancel_request(self, pid: int, secret: bytes) -> None:
        """Cancel the running statement of connection ``pid`` if ``secret``
        matches its BackendKeyData (compared in constant time). Wrong keys are
        ignored silently and nothing is ever sent back, as in PostgreSQL.
        With workers, a request for another worker's session goes there."""
        if self._worker is not None and self._worker.forward_cancel(pid, secret):
            return
        self.cancel_here(pid, secret)

    def cancel_here(self, pid: int, secret: bytes) -> None:
        session = self._live.get(pid)
        if session is not None and hmac.compare_digest(session.secret, secret):
            session.cancel()

    def activity_here(self) -> List[Dict[str, Any]]:
        """This process's sessions as pg_stat_activity lists them (another
        worker asked; on the loop thread)."""
        from ._catalog.service import session_rows
        return session_rows(list(self._live.values()))

    def signal_here(self, conn_id: int, terminate: bool) -> bool:
        """pg_cancel_backend / pg_terminate_backend of a session of this
        process (on the loop thread): whether it was there."""
        session = self._live.get(conn_id)
        if session is None:
            return False
        if terminate:
            session.terminate(PgError("57P01", ADMIN_SHUTDOWN, severity="FATAL"))
        else:
            session.cancel()
        return True

    # ------------------------------------------------------------ catalog

    def is_catalog_statement(self, sql: str) -> bool:
        """Whether the catalog answers ``sql`` rather than the handler."""
        return self._catalog_service is not None and self._catalog_service.routes(sql)

    def catalog_handler(self, session: Session) -> Callable[..., None]:
        """The catalog engine as a query handler for ``session``."""
        service = self._catalog_service

        def answer(sql: str, callback: Callable[..., None], **kwargs: Any) -> None:
            service.answer(session, sql, callback, kwargs)
        return answer

    def disconnect_deferred(self, session: Session) -> None:
        """The session's disconnect waits for its running handler."""
        self._deferred_disconnects.add(session)

    def disconnect_deferred_done(self, session: Session) -> None:
        self._deferred_disconnects.discard(session)

    def session_ready(self, session: Session) -> None:
        self._live[session.conn_id] = session

    def session_gone(self, session: Session) -> None:
        if self._live.get(session.conn_id) is session:
            del self._live[session.conn_id]

    def on_cancel(self, fn: Callable[..., Any]) -> None:
        """``fn(conn_id)`` runs (on a worker) when a client cancels that
        connection's running statement: stop the engine's work there."""
        self._cancel_fn = fn

    def cancel(self, session: Session) -> None:
        fn = self._cancel_fn
        if fn is None:
            return

        def job() -> None:
            try:
                fn(session.conn_id)
            except Exception:
                log.exception("cancel hook raised")
        self._cancel_pool.submit(job)

    def parameter_types(self, session: Session, sql: str, param_types: List[int]) -> Any:
        return self._param_types_fn(session.conn_id, sql, param_types)

    def authenticate(self, session: Session, password: str, answer: Callable[..., None]) -> None:
        call_tolerantly(self._auth_fn, session.conn_id, session.user, password, session.peer[0],
                        callback=answer, database=session.database,
                        optional={"client_cert": session.client_cert})

    @property
    def has_connect_hook(self) -> bool:
        return self._connect_fn is not None

    def connect(self, session: Session, answer: Callable[..., None]) -> None:
        call_tolerantly(self._connect_fn, session.conn_id, session.peer[0], session.peer[1],
                        callback=answer, optional={"server_name": session.server_name,
                                                   "client_cert": session.client_cert})

    def disconnect(self, session: Session) -> None:
        fn = self._disconnect_fn
        if fn is None:
            return

        def job() -> None:
            try:
                call_tolerantly(fn, session.conn_id, session.peer[0], session.peer[1],
                                optional={"callback": _noop})
            except Exception:
                log.exception("disconnect hook raised")
        fut = self._pool.submit(job)
        self._disconnects.add(fut)
        fut.add_done_callback(self._disconnects.discard)

    def next_conn_id(self) -> int:
        return next(self._ids)

    # -------------------------------------------------------------- run

    def start(self, tls: bool = False, catalog_emulation: bool = False,
              server_version: Optional[str] = None, auth_method: Optional[str] = None,
              require_tls: bool = False, workers: int = 1, **_future: Any) -> None:
        """Bind, serve, and block until SIGINT/SIGTERM or ``stop()``.

        ``auth_method``: ``"scram-sha-256"``, ``"md5"``, ``"password"``
        (cleartext) or ``"trust"``. By default SCRAM when a credentials hook
        is set, cleartext when only an auth hook is, else trust; ``"cert"``
        admits a verified client certificate whose common name is the user
        name (needs ``set_tls(..., ca=...)``). ``require_tls``: plain
        connections are refused (FATAL 28000), as a ``hostssl``-only
        pg_hba.conf does. ``workers``: serve from that many processes
        sharing the port (see ``riffq.prefork``); needs ``os.fork``.

        One run at a time: ``start`` while the server runs raises
        RuntimeError (the run is not disturbed); after it returns the server
        may be started again."""
        check_worker_count(workers)
        with self._run_lock:
            if self._running:
                raise RuntimeError("this server is already running: stop() it before starting it again")
            self._running = True
            self._stop_early = False
            # wait_started() now waits for this run, not the one before
            self._started.clear()
            self._start_error = None
            if self._worker is None:
                self.host, self.port = self._listen_addr
        try:
            if workers > 1 and self._worker is None:
                self._start_workers(workers, dict(
                    tls=tls, catalog_emulation=catalog_emulation, server_version=server_version,
                    auth_method=auth_method, require_tls=require_tls, **_future))
            else:
                self._serve_here(tls, catalog_emulation, server_version, auth_method, require_tls)
        finally:
            with self._run_lock:
                self._running = False
                self._loop = self._supervisor = None    # a later stop() is for a later run
                if self._start_error is None:
                    # the run that listened is over: a later wait_started()
                    # waits for the next start
                    self._started.clear()

    def _serve_here(self, tls: bool, catalog_emulation: bool, server_version: Optional[str],
                    auth_method: Optional[str], require_tls: bool) -> None:
        """``start`` in this process: one server, or one worker of several."""
        if server_version is not None:
            self.server_version = str(server_version)
        self.catalog_emulation = bool(catalog_emulation)
        self._pool = DaemonPool(HANDLER_THREADS, "riffq-handler")
        encode_pool = DaemonPool(ENCODE_THREADS, "riffq-encode")
        # cancel hooks must run even when every handler thread is blocked
        self._cancel_pool = DaemonPool(2, "riffq-cancel")
        loop = None
        try:
            self._check_start_options(tls, require_tls, auth_method)
            if self.catalog_emulation:
                # per process: each worker has its own engine (SQLite connection)
                from ._catalog.service import CatalogService
                worker = self._worker
                self._catalog_service = CatalogService(
                    self.catalog, lambda: list(self._live.values()), lambda: self.server_version,
                    None if worker is None else worker.activity_elsewhere,
                    self.signal_here, None if worker is None else worker.signal_elsewhere)
            loop = EventLoop(self._new_session, self._pool, encode_pool)
            self._ssl_context = self._make_ssl_context(loop.sni_names) if tls else None
            if self._worker is not None:
                self.host, self.port = self._worker.attach(loop, self.cancel_here, self.activity_here,
                                                           self.signal_here)
            else:
                self.host, self.port = loop.listen(self.host, self.port)
        except BaseException as exc:
            self._start_error = exc
            self._started.set()
            if loop is not None:
                loop.close()
            self._pool.shutdown()
            encode_pool.shutdown()
            raise
        with self._run_lock:
            self._loop = loop
            if self._stop_early:
                loop.stop()         # (run() then returns at once, cleaning up as usual)
        restore = self._install_signals(loop)
        log.info("riffq listening on %s:%s", self.host, self.port)
        self._started.set()
        try:
            loop.run()
        finally:
            if loop.baton.exit_requested and self._worker is not None:
                self._worker.stop_server()      # every worker stops, as one server would
            self.stopping = True       # disconnect hooks no longer wait for handlers
            loop.close_listeners()
            for fn in self._shutdown_fns:
                try:
                    fn()
                except Exception:
                    log.exception("shutdown hook raised")
            loop.shutdown_connections(self._goodbye)
            for session in list(self._deferred_disconnects):
                # their handlers are still running: do not wait for them
                self._deferred_disconnects.discard(session)
                session._disconnect_pending = False
                self.disconnect(session)
            loop.close()
            restore()
            # Let the disconnect hooks finish (bounded: a hook that hangs
            # must not keep the process alive), then release the threads.
            wait_futures(self._disconnects, timeout=DISCONNECT_GRACE)
            self._pool.shutdown()
            encode_pool.shutdown()

    def _check_start_options(self, tls: bool, require_tls: bool, auth_method: Optional[str]) -> None:
        if tls and self._tls is None:
            raise ValueError("start(tls=True) needs set_tls(crt, key) first")
        if require_tls and not tls:
            raise ValueError("start(require_tls=True) needs tls=True")
        self.require_tls = bool(require_tls)
        self._configure_auth(auth_method, tls)

    def _make_ssl_context(self, sni_names: Any) -> Any:
        return make_server_context(self._tls[0], self._tls[1], sni_names,
                                   self._tls_ca, self._require_client_cert)

    def _start_workers(self, count: int, start_kwargs: Dict[str, Any]) -> None:
        """The parent of ``start(workers=N)``: options are checked here, so
        mistakes raise in the caller, then ``prefork`` runs the workers."""
        def listening(host: str, port: int) -> None:
            self.host, self.port = host, port
            self._started.set()
        try:
            self._check_start_options(start_kwargs["tls"], start_kwargs["require_tls"],
                                      start_kwargs["auth_method"])
            if start_kwargs["tls"]:
                self._make_ssl_context({})      # a bad certificate or key fails now
            supervisor = Supervisor(self, count, start_kwargs)
            with self._run_lock:
                self._supervisor = supervisor
                if self._stop_early:
                    supervisor.stop()
            supervisor.run(listening)
        except BaseException as exc:
            if not self._started.is_set():
                self._start_error = exc
            raise
        finally:
            self._started.set()

    def become_worker(self, slot: Any) -> None:
        """Called by ``prefork`` in a freshly forked worker process."""
        self._worker = slot
        self._supervisor = None
        # the parent's run came along with the fork; this process starts its own
        self._run_lock = threading.RLock()
        self._running = False
        self._ids = iter(slot.next_conn_id, None)
        self.catalog.reset_after_fork()
        for fn in self._worker_start_fns:
            fn()

    def _configure_auth(self, method: Optional[str], tls: bool) -> None:
        from ._wire.authflow import METHODS
        if method is not None:
            method = method.lower()
            if method not in METHODS:
                raise ValueError("auth_method must be one of %s, got %r" % (", ".join(METHODS), method))
            if method in ("md5", "scram-sha-256") and self._credentials_fn is None:
                raise ValueError("auth_method=%r needs a credentials hook (on_credentials / "
                                 "get_password) to look up stored secrets" % method)
            if method == "password" and self._credentials_fn is None and self._auth_fn is None:
                raise ValueError("auth_method='password' needs an authentication or credentials hook")
            if method == "cert" and (not tls or self._tls_ca is None):
                raise ValueError("auth_method='cert' needs start(tls=True) and set_tls(..., ca=...)")
        self._auth_method = method
        self._cb_hash = None
        if tls and self._tls is not None and self._credentials_fn is not None:
            import ssl
            from ._wire.auth import tls_server_end_point
            with open(self._tls[0], encoding="ascii", errors="replace") as f:
                pem = f.read()
            start = pem.find("-----BEGIN CERTIFICATE-----")
            end = pem.find("-----END CERTIFICATE-----", start)
            if start >= 0 and end > start:
                der = ssl.PEM_cert_to_DER_cert(pem[start:end + len("-----END CERTIFICATE-----")])
                self._cb_hash = tls_server_end_point(der)

    def _goodbye(self, conn: Connection) -> Optional[bytes]:
        session = conn.session
        if session is None or session.state == "STARTUP":
            return None
        return m.error_response("FATAL", "57P01", ADMIN_SHUTDOWN)

    def _new_session(self, conn: Connection) -> Session:
        return Session(self, conn, conn.peer, self.next_conn_id)

    def _install_signals(self, loop: EventLoop) -> Callable[[], None]:
        # a worker leaves Ctrl-C (sent to the whole process group) to its parent
        sigs = (signal.SIGTERM,) if self._worker is not None else (signal.SIGINT, signal.SIGTERM)
        restore = stop_on(sigs, loop.stop)
        if self._worker is None:
            return restore
        # a worker may have been forked from a thread: see stop_on_wakeup
        loop.baton.poll, restore_wakeup = stop_on_wakeup(sigs, loop.stop)

        def restore_both() -> None:
            loop.baton.poll = None
            restore_wakeup()
            restore()
        return restore_both

    def wait_started(self, timeout: float = 10.0) -> Tuple[str, int]:
        """Block until ``start()`` (in another thread) is listening; returns
        the bound (host, port), which is how a port-0 server learns its port."""
        if not self._started.wait(timeout):
            raise TimeoutError("server did not start within %ss" % timeout)
        if self._start_error is not None:
            raise self._start_error
        return self.host, self.port

    def stop(self) -> None:
        """Stop serving, as SIGTERM would; safe from any thread. In a worker
        of ``start(workers=N)`` (a handler calling it), every worker stops:
        the parent is asked, and stops them all as it does on SIGTERM."""
        if self._worker is not None:
            self._worker.stop_server()
            return
        with self._run_lock:
            supervisor, loop = self._supervisor, self._loop
            if self._running and supervisor is None and loop is None:
                self._stop_early = True     # the run stops as soon as it can be
        if supervisor is not None:
            supervisor.stop()
        if loop is not None:
            loop.stop()
