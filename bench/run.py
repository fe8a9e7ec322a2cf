"""Benchmarks against PostgreSQL, measured in the same run (``make bench``).

Starts a throwaway PostgreSQL (the machine's binaries) and a riffq server in
a subprocess, serves the same rows from both, and prints each figure side by
side with the ratio riffq/PostgreSQL. Every result is checked (row counts and
a checksum) so that nothing wrong can look fast. Figures, not assertions:
the tests check correctness, this prints speed.
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import psycopg  # noqa: E402

from pg_fixture import find_bin_dir, start_postgres, stop_postgres  # noqa: E402

WIDE_ROWS = int(os.environ.get("RIFFQ_BENCH_ROWS", "1000000"))
REPEAT = 3

SERVER = r"""
import sys, datetime as dt
import pyarrow as pa, pyarrow.compute as pc
import riffq
n = int(sys.argv[2])
ids = pa.array(range(n), pa.int64())
base = dt.datetime(2024, 1, 1)
wide = pa.table({
    "id": ids,
    "x": pc.divide(pc.cast(ids, pa.float64()), 7.0),
    "label": pc.binary_join_element_wise("row ", pc.cast(ids, pa.string()), ""),
    "ts": pc.cast(pc.add(pc.multiply(ids, 1000000), 1704067200000000), pa.timestamp("us")),
    "flag": pc.equal(pc.bit_wise_and(ids, 1), 0),
})
ONE = ([{"name": "?column?", "type": "int4"}], [(1,)])
def handle(sql, callback, **kw):
    if "wide" in sql:
        callback(wide.to_reader(max_chunksize=65536))
    else:
        callback(ONE)
s = riffq.Server("127.0.0.1:" + sys.argv[1])
s.on_query(handle)
s.start()
"""

WIDE_SQL = ("create table wide as select i::bigint as id, i / 7.0::float8 as x, 'row ' || i as label, "
            "timestamp '2024-01-01' + i * interval '1 second' as ts, i % 2 = 0 as flag "
            "from generate_series(0, {n}) i")


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(fn, repeat=REPEAT):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def fetch_psycopg(dsn_kw, binary):
    with psycopg.connect(**dsn_kw) as conn:
        cur = conn.cursor(binary=binary)
        cur.execute("select * from wide")
        rows = cur.fetchall()
    return len(rows), sum(r[0] for r in rows)


def fetch_psql(bin_dir, port, user):
    out = subprocess.run([os.path.join(bin_dir, "psql"), "-X", "-h", "127.0.0.1", "-p", str(port),
                          "-U", user, "-d", "postgres", "-At", "-c", "select * from wide"],
                         capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    return len(lines), sum(int(line.split("|", 1)[0]) for line in lines)


def pgbench_tps(bin_dir, port, user, clients, mode):
    script = tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False)
    script.write("select 1;\n")
    script.close()
    out = subprocess.run([os.path.join(bin_dir, "pgbench"), "-h", "127.0.0.1", "-p", str(port), "-U", user,
                          "-n", "-f", script.name, "-c", str(clients), "-j", str(min(clients, 2)),
                          "-T", "5", "-M", mode, "postgres"], capture_output=True, text=True)
    os.unlink(script.name)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    tps = re.search(r"tps = ([\d.]+)", out.stdout)
    if not tps or (failed and failed.group(1) != "0"):
        raise RuntimeError("pgbench failed:\n" + out.stdout + out.stderr)
    return float(tps.group(1))


def row(label, riffq_value, pg_value, unit, higher_is_better):
    ratio = riffq_value / pg_value if pg_value else float("nan")
    better = "higher" if higher_is_better else "lower"
    print("%-44s %12.3f %12.3f  %7.2fx   (%s, %s is better)" % (label, riffq_value, pg_value, ratio, unit, better))


def main() -> None:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        sys.exit("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (make bench installs them)")
    pg = start_postgres(bin_dir)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port), str(WIDE_ROWS)],
                            env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        pg.psql(WIDE_SQL.format(n=WIDE_ROWS - 1))
        for _ in range(300):
            try:
                psycopg.connect(host="127.0.0.1", port=port, user="bench", dbname="postgres").close()
                break
            except psycopg.OperationalError:
                time.sleep(0.1)
        pg_kw = dict(host="127.0.0.1", port=pg.port, user=pg.user, dbname="postgres")
        rq_kw = dict(host="127.0.0.1", port=port, user="bench", dbname="postgres")
        print("riffq %s vs PostgreSQL (%s), %d-row table, medians of %d runs"
              % (sys.version.split()[0], bin_dir, WIDE_ROWS, REPEAT))
        print("%-44s %12s %12s  %8s" % ("", "riffq", "PostgreSQL", "ratio"))
        expected = (WIDE_ROWS, WIDE_ROWS * (WIDE_ROWS - 1) // 2)
        for label, fn in [
            ("select * from wide, psycopg text (s)", lambda kw: fetch_psycopg(kw, False)),
            ("select * from wide, psycopg binary (s)", lambda kw: fetch_psycopg(kw, True)),
        ]:
            t_rq, got_rq = timed(lambda: fn(rq_kw))
            t_pg, got_pg = timed(lambda: fn(pg_kw))
            assert got_rq == got_pg == expected, (got_rq, got_pg, expected)
            row(label, t_rq, t_pg, "seconds", False)
        t_rq, got_rq = timed(lambda: fetch_psql(bin_dir, port, "bench"))
        t_pg, got_pg = timed(lambda: fetch_psql(bin_dir, pg.port, pg.user))
        assert got_rq == got_pg == expected, (got_rq, got_pg)
        row("select * from wide, psql > /dev/null (s)", t_rq, t_pg, "seconds", False)
        for clients in (1, 8):
            for mode in ("simple", "extended"):
                tps_rq = pgbench_tps(bin_dir, port, "bench", clients, mode)
                tps_pg = pgbench_tps(bin_dir, pg.port, pg.user, clients, mode)
                row("pgbench select 1, %d clients, %s (tps)" % (clients, mode), tps_rq, tps_pg, "tps", True)
    finally:
        proc.terminate()
        proc.wait(10)
        stop_postgres(pg)


if __name__ == "__main__":
    main()
