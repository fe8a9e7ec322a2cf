"""Shared pieces of the real-client test modules."""
from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal


def typed_samples(text="héllo wörld", flag=True):
    """One value of each scalar type the client tests send through a driver:
    ``(column name, type name, value)``. ``text`` and ``flag`` vary between
    drivers (quotes for client-side interpolation, False that must not read
    as NULL)."""
    utc = dt.timezone.utc
    return [
        ("i2", "int2", 7),
        ("i4", "int4", -123456),
        ("i8", "int8", 2 ** 40),
        ("f4", "float4", 1.5),
        ("f8", "float8", 0.1),
        ("num", "numeric", Decimal("12345.678900")),
        ("txt", "text", text),
        ("flag", "bool", flag),
        ("blob", "bytea", b"\x00\x01\xfe\xff"),
        ("d", "date", dt.date(2024, 2, 29)),
        ("t", "time", dt.time(13, 14, 15, 123456)),
        ("ts", "timestamp", dt.datetime(2024, 1, 2, 3, 4, 5, 6)),
        ("tstz", "timestamptz", dt.datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=utc)),
        ("iv", "interval", dt.timedelta(days=3, seconds=7, microseconds=8)),
        ("u", "uuid", uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
        ("j", "json", {"a": [1, 2, None]}),
        ("jb", "jsonb", {"k": "v"}),
    ]


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
