"""The high-level API: ``BaseConnection`` and ``RiffqServer``.

One ``BaseConnection`` subclass instance serves one client for its whole
life; ``RiffqServer`` creates them and forwards the low-level hooks to them.
"""
from __future__ import annotations

import inspect
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional

from ._wire.calling import call_tolerantly
from .server import Server

log = logging.getLogger("riffq")


class BaseConnection:
    """Subclass and override ``handle_query`` (and, to ask clients for a
    password, ``handle_auth``). Every ``handle_*`` method gets a ``callback``
    that it must call exactly once, from any thread, now or later."""

    conn_id: Optional[int] = None
    #: The client's verified TLS certificate when the server asks for one
    #: (``set_tls(..., ca=...)``): a dict with ``subject``, ``issuer``,
    #: ``common_name``, ``serial_number`` and ``not_after``; None otherwise.
    #: Set before ``handle_auth`` and ``handle_connect`` run.
    client_cert: Optional[Dict[str, Any]] = None
    #: Set True in a subclass to receive BEGIN/COMMIT/ROLLBACK yourself; by
    #: default the server answers them so every client works unchanged.
    forward_transaction_control = False
    #: Set True to receive json/jsonb parameters parsed rather than as text.
    parse_json_parameters = False

    def __init__(self, conn_id: int, executor: ThreadPoolExecutor) -> None:
        self.conn_id = conn_id
        self.executor = executor

    # helpers ---------------------------------------------------------------

    def send_reader(self, reader: Any, callback: Callable[..., Any]) -> None:
        """Hand any Arrow stream (reader, table, batch) to ``callback``."""
        if hasattr(reader, "__arrow_c_stream__"):
            callback(reader.__arrow_c_stream__())
        else:
            callback(reader)

    def arrow_batch(self, values: List[Any], names: List[str]) -> Any:
        """A ``pyarrow.RecordBatchReader`` holding one batch of ``values``."""
        from ._compat.arrow import pa
        pyarrow = pa()
        batch = pyarrow.record_batch(list(values), names=list(names))
        return pyarrow.RecordBatchReader.from_batches(batch.schema, [batch])

    # hooks -----------------------------------------------------------------

    def handle_auth(self, user: str, password: str, host: str, database: Optional[str] = None,
                    callback: Callable[..., Any] = callable) -> Any:
        """Not overridden: no password is asked (trust)."""
        return callback(True)

    def handle_connect(self, ip: str, port: int, callback: Callable[..., Any] = callable,
                       server_name: Optional[str] = None) -> Any:
        return callback(True)

    def handle_query(self, sql: str, callback: Callable[..., Any] = callable, **kwargs: Any) -> Any:
        return callback(("ERROR", "0A000", "handle_query is not implemented"), is_error=True)

    def handle_disconnect(self, ip: str, port: int, callback: Callable[..., Any] = callable) -> Any:
        return callback(True)

    def get_password(self, user: str, database: Optional[str]) -> Optional[str]:
        """Override to let riffq check passwords itself, with SCRAM-SHA-256 by
        default: return the user's stored secret (plaintext, a SCRAM verifier
        from ``riffq.auth.scram_verifier(password)``, or an ``md5...`` hash),
        or None for an unknown user. Called on a worker thread."""
        return None

    def handle_cancel(self) -> None:
        """Override to stop your engine's work when the client cancels the
        running statement (psql Ctrl-C, ``conn.cancel()``, a driver timeout).
        The client has already been answered with 57014; whatever the
        handler answers later is discarded. Called on a worker thread."""

    def describe_parameters(self, sql: str, param_types: List[int]) -> Optional[List[Any]]:
        """Override to declare the types of ``$1, $2...`` in ``sql`` when a
        client prepares it: return one OID, type name or None (keep) per
        parameter. ``param_types`` is what riffq inferred (the client's
        declared types, ``$n::type`` casts, else text). Called on a worker
        thread, once per Parse; not called unless overridden."""
        return None


def _hook(conn: Any, name: str, positional: int) -> Callable[..., Any]:
    """The instance's hook, tolerating one written without ``self`` (the
    getting-started guide shows ``def handle_connect(ip, port, callback)``)."""
    bound = getattr(conn, name)
    func = getattr(type(conn), name, None)
    if inspect.isfunction(func):
        params = list(inspect.signature(func).parameters.values())
        plain = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if plain and plain[0].name != "self" and len(plain) == positional \
                and plain[-1].name == "callback":
            return func
    return bound


class RiffqServer:
    """Creates one ``connection_cls`` instance per client and routes to it."""

    def __init__(self, listen_addr: str, connection_cls: type = BaseConnection) -> None:
        self._server = Server(listen_addr)
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="riffq-executor")
        self.connections: Dict[int, BaseConnection] = {}
        self.connection_cls = connection_cls
        self._lock = threading.Lock()
        self._server.on_worker_start(self._after_fork)
        self._server.on_query(self.handle_query)
        self._server.on_disconnect(self.handle_disconnect)
        if getattr(connection_cls, "handle_connect", None) is not BaseConnection.handle_connect:
            self._server.on_connect(self.handle_connect)
        if getattr(connection_cls, "handle_auth", None) is not BaseConnection.handle_auth:
            self._server.on_authentication(self.handle_auth)
        if getattr(connection_cls, "get_password", None) is not BaseConnection.get_password:
            self._server.on_credentials(self.lookup_password)
        if getattr(connection_cls, "handle_cancel", None) is not BaseConnection.handle_cancel:
            self._server.on_cancel(lambda conn_id: self.get_connection(conn_id).handle_cancel())
        if getattr(connection_cls, "describe_parameters", None) is not BaseConnection.describe_parameters:
            self._server.on_parameter_types(
                lambda conn_id, sql, types: self.get_connection(conn_id).describe_parameters(sql, types))
        self._server.forward_transaction_control = bool(
            getattr(connection_cls, "forward_transaction_control", False))
        self._server.parse_json_parameters = bool(getattr(connection_cls, "parse_json_parameters", False))

    # the low-level server's configuration, passed through --------------------

    def set_tls(self, crt: str, key: str, ca: Optional[str] = None,
                require_client_cert: bool = False) -> None:
        self._server.set_tls(crt, key, ca=ca, require_client_cert=require_client_cert)
        if ca is not None:
            # so that every instance learns its client's certificate
            self._server.on_connect(self.handle_connect)

    def register_database(self, database: str) -> None:
        self._server.register_database(database)

    def register_schema(self, database: str, schema: str) -> None:
        self._server.register_schema(database, schema)

    def register_table(self, database: str, schema: str, table: str, columns: List[Dict[str, Any]],
                       comment: Optional[str] = None, view_sql: Optional[str] = None) -> None:
        """Declare a table for catalog emulation. Column specs may add
        ``"primary_key": True``, ``"comment": "..."`` and ``"default": "expr"``;
        ``comment`` describes the table, ``view_sql`` makes it a view."""
        self._server.register_table(database, schema, table, columns, comment=comment, view_sql=view_sql)

    def set_lazy_catalog(self, source: Any) -> None:
        self._server.set_lazy_catalog(source)

    def handle_shutdown(self, callback: Callable[..., Any]) -> None:
        self._server.handle_shutdown(callback)

    def on_worker_start(self, fn: Callable[[], Any]) -> None:
        """With ``start(workers=N)``: ``fn()`` runs in each worker process
        before it serves (see ``Server.on_worker_start``)."""
        self._server.on_worker_start(fn)

    def start(self, tls: bool = False, catalog_emulation: bool = False,
              server_version: Optional[str] = None, workers: int = 1, **kwargs: Any) -> None:
        """Serve until SIGINT/SIGTERM or ``stop()``; see ``Server.start``.
        ``workers=N`` serves from N processes; each has its own instances."""
        self._server.start(tls=tls, catalog_emulation=catalog_emulation,
                           server_version=server_version, workers=workers, **kwargs)

    def _after_fork(self) -> None:
        """A new worker process: the parent's executor threads did not come
        along, so the executor (and the instances' lock) start afresh."""
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="riffq-executor")
        self._lock = threading.Lock()
        self.connections = {}

    def wait_started(self, timeout: float = 10.0) -> Any:
        return self._server.wait_started(timeout)

    def stop(self) -> None:
        self._server.stop()

    @property
    def port(self) -> int:
        return self._server.port

    # forwarders ------------------------------------------------------------

    def get_connection(self, connection_id: int) -> BaseConnection:
        with self._lock:
            conn = self.connections.get(connection_id)
            if conn is None:
                conn = self.connection_cls(connection_id, self.executor)
                self.connections[connection_id] = conn
            return conn

    def handle_auth(self, connection_id: int, user: str, password: str, host: str,
                    database: Optional[str] = None, callback: Callable[..., Any] = callable,
                    client_cert: Optional[Dict[str, Any]] = None) -> Any:
        conn = self.get_connection(connection_id)
        conn.client_cert = client_cert
        return call_tolerantly(conn.handle_auth, user, password, host, database=database,
                               callback=callback, optional={"client_cert": client_cert})

    def handle_connect(self, connection_id: int, ip: str, port: int,
                       callback: Callable[..., Any] = callable, server_name: Optional[str] = None,
                       client_cert: Optional[Dict[str, Any]] = None) -> Any:
        conn = self.get_connection(connection_id)
        conn.client_cert = client_cert
        return call_tolerantly(_hook(conn, "handle_connect", 3), ip, port, callback=callback,
                               optional={"server_name": server_name, "client_cert": client_cert})

    def lookup_password(self, user: str, database: Optional[str],
                        connection_id: Optional[int] = None) -> Optional[str]:
        return self.get_connection(connection_id).get_password(user, database)

    def handle_query(self, sql: str, callback: Callable[..., Any] = callable,
                     connection_id: Optional[int] = None, **kwargs: Any) -> Any:
        conn = self.get_connection(connection_id)
        return conn.handle_query(sql, callback=callback, connection_id=connection_id, **kwargs)

    def handle_disconnect(self, connection_id: int, ip: str, port: int,
                          callback: Callable[..., Any] = callable) -> Any:
        with self._lock:
            conn = self.connections.pop(connection_id, None)
        if conn is None:
            if getattr(self.connection_cls, "handle_disconnect", None) is BaseConnection.handle_disconnect:
                return callback(True)
            # a session that never needed its instance (trust, no query): the
            # hook is still called once, as the original package calls it for
            # every connection
            conn = self.connection_cls(connection_id, self.executor)
        return call_tolerantly(_hook(conn, "handle_disconnect", 3), ip, port, callback=callback)
