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
