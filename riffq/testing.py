"""Helpers for tests and programs that embed a riffq server.

``serve_in_thread`` starts any server (``RiffqServer`` or ``Server``) on a
background thread and returns once it listens, with the real port even when
port 0 was asked for. ``stop_server`` and ``wait_for_catalog`` keep the
original package's testing API.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Optional


class BackgroundServer:
    """A server running on a daemon thread; a context manager that stops it."""

    def __init__(self, server: Any, **start_kwargs: Any) -> None:
        self.server = server
        self._error: Optional[BaseException] = None

        def run() -> None:
            try:
                server.start(**start_kwargs)
            except BaseException as exc:  # reported by wait_started
                self._error = exc
        self.thread = threading.Thread(target=run, name="riffq-server", daemon=True)
        self.thread.start()
        self.host, self.port = server.wait_started()

    def stop(self, timeout: float = 10.0) -> None:
        self.server.stop()
        self.thread.join(timeout)

    def __enter__(self) -> "BackgroundServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve_in_thread(server: Any, **start_kwargs: Any) -> BackgroundServer:
    """Start ``server`` in the background; ``.port`` is the bound port."""
    return BackgroundServer(server, **start_kwargs)


def stop_server(proc: Any, grace: float = 2.0) -> None:
    """Stop a ``multiprocessing.Process`` running a server: terminate
    (SIGTERM, a graceful shutdown), then kill if it has not exited."""
    if proc is None or not proc.is_alive():
        return
    proc.terminate()
    proc.join(grace)
    if proc.is_alive():
        proc.kill()
        proc.join(grace)


def wait_for_catalog(port: int, database: str, probe_sql: str, expected_value: Any,
                     user: str = "user", password: Optional[str] = None,
                     attempts: int = 300) -> float:
    """Poll the server with psycopg until ``probe_sql`` returns
    ``expected_value`` in the first column of the first row; returns the
    seconds waited. Raises ``TimeoutError`` after ``attempts`` tries."""
    import psycopg

    start = time.monotonic()
    last: Any = None
    for _ in range(attempts):
        try:
            with psycopg.connect(host="127.0.0.1", port=port, dbname=database, user=user,
                                 password=password, connect_timeout=2, autocommit=True) as conn:
                row = conn.execute(probe_sql).fetchone()
                if row is not None and row[0] == expected_value:
                    return time.monotonic() - start
                last = row
        except Exception as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError("catalog probe %r never returned %r (last: %r)" % (probe_sql, expected_value, last))
