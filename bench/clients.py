"""The clients that fetch ``select * from wide``, each returning what it got
in a form both servers must match exactly (row count and a checksum over
every column), so that nothing wrong can look fast, and the CPU time the
client itself spent meanwhile: a client that decodes as fast as it can is
bound by that, whichever server answers."""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import re
import resource
import struct
import subprocess
import tempfile
import time
from typing import Any, Callable, Dict, NamedTuple, Tuple

import asyncpg
import psycopg
from pgclient import RawClient, msg  # tests/ is on sys.path (servers.py)

WIDE = "select * from wide"
_EPOCH = dt.datetime(2024, 1, 1)


def checksum(rows: Any) -> Tuple[int, int, float, int, int, int]:
    """(rows, sum id, sum x, sum label length, sum ts seconds, true flags)."""
    n = sid = slen = sts = flags = 0
    sx = 0.0
    for r in rows:
        n += 1
        sid += r[0]
        sx += r[1]
        slen += len(r[2])
        sts += int((r[3] - _EPOCH).total_seconds())
        flags += r[4]
    return n, sid, sx, slen, sts, flags


def timed(fn: Callable[[], Any]) -> Tuple[float, Any, float]:
    """(seconds, what ``fn`` returned, CPU seconds of this thread meanwhile):
    psycopg's and asyncpg's decoding runs in the calling thread."""
    t0, c0 = time.perf_counter(), time.thread_time()
    got = fn()
    return time.perf_counter() - t0, got, time.thread_time() - c0


def children_cpu() -> float:
    """CPU seconds (user + system) used so far by this process's waited-for
    children: psql's or pgbench's own, read before and after a run."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fetch_psycopg(kw: Dict[str, Any], binary: bool) -> Tuple[float, Any, float]:
    with psycopg.connect(**kw) as conn:
        cur = conn.cursor(binary=binary)
        secs, rows, cpu = timed(lambda: cur.execute(WIDE).fetchall())
    return secs, checksum(rows), cpu


def fetch_asyncpg(kw: Dict[str, Any]) -> Tuple[float, Any, float]:
    async def go():
        conn = await asyncpg.connect(host=kw["host"], port=kw["port"], user=kw["user"],
                                     database=kw["dbname"])
        try:
            t0, c0 = time.perf_counter(), time.thread_time()
            rows = await conn.fetch(WIDE)
            return time.perf_counter() - t0, rows, time.thread_time() - c0
        finally:
            await conn.close()

    secs, rows, cpu = asyncio.run(go())
    return secs, checksum(rows), cpu


def fetch_psql(bin_dir: str, kw: Dict[str, Any]) -> Tuple[float, Any, float]:
    """psql -At, its output digested as it comes (as cheap as /dev/null):
    both servers must print byte-identical text. The CPU is psql's own."""
    cmd = [os.path.join(bin_dir, "psql"), "-X", "-h", kw["host"], "-p", str(kw["port"]),
           "-U", kw["user"], "-d", kw["dbname"], "-At", "-c", WIDE]
    digest, lines = hashlib.md5(), 0
    cpu0 = children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    while True:
        block = proc.stdout.read(1 << 20)
        if not block:
            break
        digest.update(block)
        lines += block.count(b"\n")
    if proc.wait() != 0:
        raise RuntimeError("psql failed")
    secs = time.perf_counter() - t0
    return secs, (lines, digest.hexdigest()), children_cpu() - cpu0


def first_rows_ms(kw: Dict[str, Any], pause: float) -> float:
    """Milliseconds from Execute to the first DataRow of ``select * from
    wide``, after ``pause`` seconds of quiet, the statement prepared first,
    all columns binary: asyncpg's messages, without its decoding. The
    connection is then dropped mid-result."""
    client = RawClient(kw["port"], kw["host"])
    try:
        kinds = [t for t, _ in client.connect(user=kw["user"], database=kw["dbname"])]
        if kinds[-1:] != [b"Z"]:
            raise RuntimeError("startup failed: %r" % kinds)
        client.send(msg(b"P", b"w\x00" + WIDE.encode() + b"\x00\x00\x00") + msg(b"D", b"Sw\x00") + msg(b"S"))
        client.read_until(b"Z")
        time.sleep(pause)
        t0 = time.perf_counter()
        client.send(msg(b"B", b"\x00w\x00" + struct.pack("!hhhh", 0, 0, 1, 1))
                    + msg(b"E", b"\x00" + struct.pack("!i", 0)) + msg(b"S"))
        kinds = [client.read_message(), client.read_message()]
        secs = time.perf_counter() - t0
        if [m[0] if m else None for m in kinds] != [b"2", b"D"]:
            raise RuntimeError("expected BindComplete and a DataRow, got %r" % kinds)
        return secs * 1e3
    finally:
        client.close()


class PgbenchRun(NamedTuple):
    tps: float
    transactions: int
    #: pgbench's own CPU time (user + system, all its threads), in seconds
    cpu: float


def pgbench_tps(bin_dir: str, kw: Dict[str, Any], clients: int, mode: str, seconds: int) -> PgbenchRun:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write("select 1;\n")
    try:
        cpu0 = children_cpu()
        out = subprocess.run([os.path.join(bin_dir, "pgbench"), "-h", kw["host"], "-p", str(kw["port"]),
                              "-U", kw["user"], "-n", "-f", script.name, "-c", str(clients),
                              "-j", str(min(clients, 2)), "-T", str(seconds), "-M", mode, kw["dbname"]],
                             capture_output=True, text=True)
        cpu = children_cpu() - cpu0
    finally:
        os.unlink(script.name)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    tps = re.search(r"tps = ([\d.]+)", out.stdout)
    done = re.search(r"number of transactions actually processed: (\d+)", out.stdout)
    if not tps or (failed and failed.group(1) != "0") or not done or done.group(1) == "0":
        raise RuntimeError("pgbench failed:\n" + out.stdout + out.stderr)
    return PgbenchRun(float(tps.group(1)), int(done.group(1)), cpu)
