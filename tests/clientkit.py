"""Shared pieces of the real-client test modules."""
from __future__ import annotations

import threading


class RecordingHandler:
    """A query handler that logs every call, then lets ``answer`` reply.

    ``answer(sql, q, callback, kwargs)`` gets ``q``, the statement lower-cased
    with its whitespace collapsed, for matching."""

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()
        self.release = threading.Event()

    def executions(self, prefix=""):
        """Calls that ran a statement (not describe-only ones)."""
        with self.lock:
            return [(s, k) for s, k in self.calls
                    if not k.get("do_describe") and s.lstrip().lower().startswith(prefix)]

    def __call__(self, sql, callback, **kwargs):
        with self.lock:
            self.calls.append((sql, dict(kwargs)))
        self.answer(sql, " ".join(sql.lower().split()), callback, kwargs)

    def answer(self, sql, q, callback, kwargs):
        raise NotImplementedError

    def fallback(self, sql, q, callback):
        """What every test handler does with the rest: a division-by-zero
        error on ``select boom``, a clear 42601 for anything unknown."""
        if q.startswith("select boom"):
            callback(("ERROR", "22012", "division by zero"), is_error=True)
        else:
            callback(("ERROR", "42601", "test handler does not know: %s" % sql), is_error=True)


def serve_recorder(serve, rec):
    """A low-level server answering with ``rec``; returns ``(rec, port)``."""
    import riffq
    server = riffq.Server("127.0.0.1:0")
    server.on_query(rec)
    return rec, serve(server).port
