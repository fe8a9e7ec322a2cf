"""The two servers under test: a riffq process serving Arrow data and a
throwaway PostgreSQL holding the same rows."""
from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from typing import Any, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from pg_fixture import find_bin_dir, start_postgres, stop_postgres  # noqa: E402,F401

# The riffq side. ``wide`` is built once in memory; ``stream`` is generated
# batch by batch, so the server never holds more than a batch of it.
RIFFQ_SERVER = r"""
import resource, sys
import pyarrow as pa, pyarrow.compute as pc
import riffq

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
n = int(sys.argv[2])
stream_rows = int(sys.argv[3])
BASE_US = 1704067200000000  # 2024-01-01

def wide_columns(ids):
    return [ids,
            pc.divide(pc.cast(ids, pa.float64()), 7.0),
            pc.binary_join_element_wise("row ", pc.cast(ids, pa.string()), ""),
            pc.cast(pc.add(pc.multiply(ids, 1000000), BASE_US), pa.timestamp("us")),
            pc.equal(pc.bit_wise_and(ids, 1), 0)]

schema = pa.schema([("id", pa.int64()), ("x", pa.float64()), ("label", pa.string()),
                    ("ts", pa.timestamp("us")), ("flag", pa.bool_())])
wide = pa.Table.from_arrays(wide_columns(pa.array(range(n), pa.int64())), schema=schema)

def generated():
    for start in range(0, stream_rows, 65536):
        ids = pa.array(range(start, min(stream_rows, start + 65536)), pa.int64())
        yield pa.RecordBatch.from_arrays(wide_columns(ids), schema=schema)

ONE = ([{"name": "?column?", "type": "int4"}], [(1,)])

def handle(sql, callback, **kw):
    if "from wide" in sql:
        callback(wide.to_reader(max_chunksize=65536))
    elif "from stream" in sql:
        callback(pa.RecordBatchReader.from_batches(schema, generated()))
    else:
        callback(ONE)

s = riffq.Server("127.0.0.1:" + sys.argv[1])
s.on_query(handle)
s.start(auth_method="trust", workers=int(sys.argv[4]) if len(sys.argv) > 4 else 1)
"""

WIDE_SQL = ("create table wide as select i::bigint as id, i / 7.0::float8 as x, 'row ' || i as label, "
            "timestamp '2024-01-01' + i * interval '1 second' as ts, i % 2 = 0 as flag "
            "from generate_series(0, {last}) i")
#: PostgreSQL's counterpart of riffq's generated stream (rows made as sent).
STREAM_SQL = ("select i::bigint as id, i / 7.0::float8 as x, 'row ' || i as label, "
              "timestamp '2024-01-01' + i * interval '1 second' as ts, i % 2 = 0 as flag "
              "from generate_series(0, {last}) i")


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_riffq(rows: int, stream_rows: int, workers: int = 1) -> "tuple[subprocess.Popen[Any], int]":
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", RIFFQ_SERVER, str(port), str(rows), str(stream_rows),
                             str(workers)], env=dict(os.environ, PYTHONPATH=ROOT))
    wait_until_accepting(proc, port, 120, "the riffq bench server")
    return proc, port


def wait_until_accepting(proc: "subprocess.Popen[Any]", port: int, seconds: float, what: str,
                         poll: float = 0.1) -> None:
    """Return once a server started as ``proc`` accepts on ``port`` (looking
    every ``poll`` seconds); raise if it exits first or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("%s did not start" % what)
            time.sleep(poll)


def rss(pid: int) -> int:
    """Resident set size of a process, in bytes."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS for pid %d" % pid)


def smaps_rollup(pid: int) -> "dict[str, int]":
    """Rss/Pss (bytes) of a process: Pss shares shared memory fairly among
    the processes mapping it, which is what one PostgreSQL backend costs."""
    out = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[0] in ("Rss:", "Pss:"):
                out[parts[0][:-1]] = int(parts[1]) * 1024
    return out


def children(pid: int) -> List[int]:
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> "tuple[int, int]":
    """(user + system, reaped children's user + system) of a process, in ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def riffq_cpu(pid: int) -> float:
    """CPU seconds a riffq server has used so far: the process and, with
    workers, each worker process."""
    total = 0
    for p in [pid] + children(pid):
        try:
            total += _cpu_ticks(p)[0]
        except OSError:     # a worker that has just exited
            pass
    return total / _TICKS


def _backend_left(postmaster: int) -> bool:
    """Whether a child of the postmaster still serves a client or is still
    exiting: a backend's process title names its client, "postgres: user db
    127.0.0.1(port) idle", and one exiting or exited but not reaped yet has
    no title left. Background processes (checkpointer, walwriter, an
    autovacuum worker...) have titles of their own."""
    for pid in children(postmaster):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                title = f.read()
        except OSError:     # reaped meanwhile
            continue
        if not title or b"127.0.0.1(" in title:
            return True
    return False


class BackendsCpu:
    """CPU seconds PostgreSQL's backends have used, read once they have
    exited: the postmaster adds a child's CPU to its own count when it
    reaps it. A call first waits (up to ``patience`` seconds) until no
    backend is left, so that all of a pgbench run just ended is counted."""

    def __init__(self, pg: Any, patience: float = 10.0) -> None:
        with open(os.path.join(pg.data_dir, "postmaster.pid")) as f:
            self.pid = int(f.readline())
        self.patience = patience

    def __call__(self) -> float:
        deadline = time.monotonic() + self.patience
        while _backend_left(self.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        return _cpu_ticks(self.pid)[1] / _TICKS
