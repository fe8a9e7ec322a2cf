"""The clients that fetch ``select * from wide``, each returning what it got
in a form both servers must match exactly (row count and a checksum over
every column), so that nothing wrong can look fast."""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import re
import subprocess
import tempfile
import time
from typing import Any, Callable, Dict, Tuple

import asyncpg
import psycopg

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


def timed(fn: Callable[[], Any]) -> Tuple[float, Any]:
    t0 = time.perf_counter()
    got = fn()
    return time.perf_counter() - t0, got


def fetch_psycopg(kw: Dict[str, Any], binary: bool) -> Tuple[float, Any]:
    with psycopg.connect(**kw) as conn:
        cur = conn.cursor(binary=binary)
        secs, rows = timed(lambda: cur.execute(WIDE).fetchall())
    return secs, checksum(rows)


def fetch_asyncpg(kw: Dict[str, Any]) -> Tuple[float, Any]:
    async def go():
        conn = await asyncpg.connect(host=kw["host"], port=kw["port"], user=kw["user"],
                                     database=kw["dbname"])
        try:
            t0 = time.perf_counter()
            rows = await conn.fetch(WIDE)
            return time.perf_counter() - t0, rows
        finally:
            await conn.close()

    secs, rows = asyncio.run(go())
    return secs, checksum(rows)


def fetch_psql(bin_dir: str, kw: Dict[str, Any]) -> Tuple[float, Any]:
    """psql -At, its output digested as it comes (as cheap as /dev/null):
    both servers must print byte-identical text."""
    cmd = [os.path.join(bin_dir, "psql"), "-X", "-h", kw["host"], "-p", str(kw["port"]),
           "-U", kw["user"], "-d", kw["dbname"], "-At", "-c", WIDE]
    digest, lines = hashlib.md5(), 0
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
    return time.perf_counter() - t0, (lines, digest.hexdigest())


def pgbench_tps(bin_dir: str, kw: Dict[str, Any], clients: int, mode: str, seconds: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write("select 1;\n")
    try:
        out = subprocess.run([os.path.join(bin_dir, "pgbench"), "-h", kw["host"], "-p", str(kw["port"]),
                              "-U", kw["user"], "-n", "-f", script.name, "-c", str(clients),
                              "-j", str(min(clients, 2)), "-T", str(seconds), "-M", mode, kw["dbname"]],
                             capture_output=True, text=True)
    finally:
        os.unlink(script.name)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    tps = re.search(r"tps = ([\d.]+)", out.stdout)
    done = re.search(r"number of transactions actually processed: (\d+)", out.stdout)
    if not tps or (failed and failed.group(1) != "0") or not done or done.group(1) == "0":
        raise RuntimeError("pgbench failed:\n" + out.stdout + out.stderr)
    return float(tps.group(1))
