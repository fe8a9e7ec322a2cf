"""What one small statement costs riffq's protocol code, without sockets.

pgbench's figures mix riffq's Python with the kernel's socket calls and with
pgbench sharing the cores. This isolates the first: a Session on a host that
queues instead of sending, answering ``select 1`` from a handler that returns
a declared one-row result, for a simple Query and for Parse/Bind/Describe/
Execute/Sync, then the latter answered with a three-row Arrow table. It
prints CPU microseconds per statement, the best of a few rounds, to compare
one change with another on the same machine.

    .venv/bin/python bench/statement_cost.py [statements per round]
"""
from __future__ import annotations

import os
import struct
import sys
import time
from collections import deque
from typing import Any, Callable, Deque, List

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import riffq  # noqa: E402
from riffq._wire.session import Session  # noqa: E402

ROUNDS = 5
READY_IDLE = b"Z\x00\x00\x00\x05I"
ONE = ([{"name": "?column?", "type": "int4"}], [(1,)])


class QueueHost:
    """A Session's host that keeps what it writes and runs what it is given
    when ``drain`` is called, all on this thread."""

    def __init__(self) -> None:
        self.out: List[bytes] = []
        self.jobs: Deque[Callable[[], None]] = deque()

    def write(self, data: bytes) -> None:
        self.out.append(data)

    def close(self) -> None:
        pass

    def run(self, fn: Callable[[], None], inline: bool = True) -> None:
        self.jobs.append(fn)

    def can_run_now(self) -> bool:
        return True

    def run_now(self, job: Any) -> None:
        job.ask()

    def run_internal(self, fn: Callable[[], None]) -> None:
        self.jobs.append(fn)

    def post(self, fn: Callable[[], None]) -> None:
        self.jobs.append(fn)

    def buffered(self) -> int:
        return 0

    def drain(self) -> None:
        jobs = self.jobs
        while jobs:
            jobs.popleft()()


def message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


SIMPLE = message(b"Q", b"select 1\x00")
EXTENDED = (message(b"P", b"\x00select 1\x00\x00\x00") + message(b"B", b"\x00" * 8)
            + message(b"D", b"P\x00") + message(b"E", b"\x00" * 5) + message(b"S", b""))


def ready_session(answer: Callable[[], object] = lambda: ONE) -> "tuple[Session, QueueHost]":
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(answer()))
    server._configure_auth("trust", False)
    host = QueueHost()
    ids = iter(range(1, 1 << 62))
    session = Session(server, host, ("127.0.0.1", 5), lambda: next(ids))
    startup = struct.pack("!i", 196608) + b"user\x00bench\x00database\x00postgres\x00\x00"
    session.data_received(struct.pack("!i", len(startup) + 4) + startup)
    host.drain()
    if not host.out or not host.out[-1].endswith(READY_IDLE):
        raise RuntimeError("the session did not become ready: %r" % host.out[-1:])
    return session, host


def cost(request: bytes, statements: int, answer: Callable[[], object] = lambda: ONE,
         tag: bytes = b"SELECT 1\x00") -> float:
    """Best CPU microseconds per statement over ``ROUNDS`` rounds; every
    round's last answer is checked to end with ReadyForQuery."""
    session, host = ready_session(answer)
    best = float("inf")
    for _ in range(ROUNDS):
        host.out.clear()
        t0 = time.process_time()
        for _ in range(statements):
            session.data_received(request)
            host.drain()
        best = min(best, (time.process_time() - t0) / statements * 1e6)
        if not host.out[-1].endswith(READY_IDLE) or tag not in b"".join(host.out[-3:]):
            raise RuntimeError("unexpected answer: %r" % host.out[-3:])
    return best


def main() -> None:
    statements = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    print("riffq protocol code per statement, no sockets (CPU us, best of %d x %d)"
          % (ROUNDS, statements))
    for name, request in (("simple Query", SIMPLE), ("Parse/Bind/Describe/Execute/Sync", EXTENDED)):
        print("  %-34s %6.2f" % (name, cost(request, statements)))
    # the same statement answered with an Arrow table of three rows, as a
    # DuckDB or pandas handler answers: the stream machinery and the
    # per-value encoding of a few Arrow rows
    import pyarrow as pa
    table = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": ["a", "b", "c"]})
    print("  %-34s %6.2f" % ("the same, 3 rows from Arrow", cost(EXTENDED, statements, table.to_reader,
                                                                 b"SELECT 3\x00")))


if __name__ == "__main__":
    main()
