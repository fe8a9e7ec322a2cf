"""``make bench`` end to end, with tiny sizes: every section runs against a
real PostgreSQL and prints a figure for both servers and their ratio.

The figures themselves are not judged here (speed is not asserted in
tests); this keeps the benchmark itself from rotting, since CI does not run
``make bench``.
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TINY = {"RIFFQ_BENCH_ROWS": "2000", "RIFFQ_BENCH_STREAM_ROWS": "20000", "RIFFQ_BENCH_STREAM_SECONDS": "2",
        "RIFFQ_BENCH_IDLE": "40", "RIFFQ_BENCH_REPEAT": "2", "RIFFQ_BENCH_CATALOG_RUNS": "3",
        "RIFFQ_BENCH_CATALOG_TABLES": "50", "RIFFQ_BENCH_PGBENCH_ROUNDS": "1",
        "RIFFQ_BENCH_PGBENCH_SECONDS": "1", "RIFFQ_BENCH_FIRST_ROWS_PAUSE": "0.1"}

FIGURE = re.compile(r"^  (?P<label>\S.*?)\s+(?P<riffq>[\d.]+)\s+(?P<pg>[\d.]+)\s+(?P<ratio>[\d.]+x|n/a)\s+\(",
                    re.M)


def test_make_bench_prints_every_section_with_tiny_sizes():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run.py")], cwd=ROOT,
                         env=dict(os.environ, **TINY), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    for section in ("(a) select * from wide", "(b) pgbench select 1", "(c) server memory",
                    "(d) connections per second", "(e)"):
        assert section in out.stdout, out.stdout
    figures = {m.group("label").strip(): m for m in FIGURE.finditer(out.stdout)}
    for label in ("psycopg text (s)", "psycopg binary (s)", "asyncpg (s)", "psql -At, output digested (s)",
                  "8 clients, simple (tps)", "8 clients, extended (tps)",
                  "8 clients, simple, riffq workers=2 (tps)", "8 clients, extended, riffq workers=2 (tps)"):
        m = figures[label]
        assert float(m.group("riffq")) > 0 and float(m.group("pg")) > 0, label
    # the many-table start: the median of the starts printed under it
    start = re.search(r"^  \d+ tables: register\+start, first \\dt answered\s+([\d.]+) .*\n"
                      r"      each start\s+((?:[\d.]+ ?)+)$", out.stdout, re.M)
    assert start, out.stdout
    each = [float(v) for v in start.group(2).split()]
    assert len(each) == 3 and abs(statistics.median(each) - float(start.group(1))) < 0.0015, out.stdout
    # how soon the first rows come after a pause, from both servers
    first = re.search(r"^  first rows, [\d.]+ s after the last query \(ms\)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+x.*\n"
                      r"    each pair of runs: ((?:[\d.]+x ?)+) \(median ([\d.]+)x\); the two medians' ratio "
                      r"[\d.]+x$", out.stdout, re.M)
    assert first and float(first.group(1)) > 0 and float(first.group(2)) > 0, out.stdout
    assert len(first.group(3).split()) == int(TINY["RIFFQ_BENCH_REPEAT"]), out.stdout
    # every fetch and pgbench figure is followed by the ratio of each of its pairs of runs; the
    # figure's ratio is their median, and the ratio of the two medians is printed beside it
    paired = [label for label in figures if label.endswith(("(tps)", "(s)"))]
    assert len(paired) == 12, out.stdout
    for label in paired:
        runs = TINY["RIFFQ_BENCH_PGBENCH_ROUNDS" if label.endswith("(tps)") else "RIFFQ_BENCH_REPEAT"]
        pairs = re.search(r"^  %s .*\n    each pair of runs: ((?:[\d.]+x ?)+) \(median ([\d.]+)x\); "
                          r"the two medians' ratio ([\d.]+)x$" % re.escape(label), out.stdout, re.M)
        assert pairs and len(pairs.group(1).split()) == int(runs), (label, out.stdout)
        ratios = [float(r.rstrip("x")) for r in pairs.group(1).split()]
        assert abs(statistics.median(ratios) - float(pairs.group(2))) <= 0.011, (label, out.stdout)
        figure = figures[label]
        assert abs(float(figure.group("ratio").rstrip("x")) - float(pairs.group(2))) <= 0.006, (label, out.stdout)
        # (the medians are printed to 3 decimals: tiny fetches take a few ms)
        riffq, pg = float(figure.group("riffq")), float(figure.group("pg"))
        low, high = (riffq - 0.0005) / (pg + 0.0005), (riffq + 0.0005) / max(pg - 0.0005, 1e-9)
        assert low - 0.006 <= float(pairs.group(3)) <= high + 0.006, (label, out.stdout)
    # each fetch also shows the client's own CPU time and its time off the CPU, for both servers
    for label in paired:
        if label.endswith("(s)"):
            cpu = re.search(r"^  %s .*\n    each pair.*\n    client's own CPU: riffq ([\d.]+) s, PostgreSQL "
                            r"([\d.]+) s; off the CPU: riffq -?\d+ ms, PostgreSQL -?\d+ ms$" % re.escape(label),
                            out.stdout, re.M)
            assert cpu and float(cpu.group(1)) > 0 and float(cpu.group(2)) > 0, (label, out.stdout)
            # the servers' own CPU for the same runs (a few ticks of 10 ms at these sizes)
            served = re.search(r"^  %s .*\n(?:    .*\n){2}    servers' CPU for it: riffq ([\d.]+) s, "
                               r"PostgreSQL's backend ([\d.]+) s$" % re.escape(label), out.stdout, re.M)
            assert served, (label, out.stdout)
            # and the first fetch from each server, which the medians leave out
            first = re.search(r"^  %s .*\n(?:    .*\n){3}    first fetch of each, not counted: riffq ([\d.]+) s, "
                              r"PostgreSQL ([\d.]+) s$" % re.escape(label), out.stdout, re.M)
            assert first and float(first.group(1)) > 0 and float(first.group(2)) > 0, (label, out.stdout)
    # each pgbench figure also shows what a transaction cost in CPU: the server's and pgbench's own
    for label in paired:
        if label.endswith("(tps)"):
            cpu = re.search(r"^  %s .*\n    each pair.*\n    CPU per transaction \(us\): riffq ([\d.]+) \+ "
                            r"pgbench ([\d.]+) = ([\d.]+); PostgreSQL backends ([\d.]+) \+ pgbench ([\d.]+) = "
                            r"([\d.]+)$" % re.escape(label), out.stdout, re.M)
            assert cpu, (label, out.stdout)
            rq_server, rq_client, rq_total, pg_server, pg_client, pg_total = map(float, cpu.groups())
            assert min(rq_server, rq_client, pg_server, pg_client) > 0, (label, out.stdout)
            assert abs(rq_server + rq_client - rq_total) < 0.15 and abs(pg_server + pg_client - pg_total) < 0.15


def test_statement_cost_measures_every_request_shape():
    """bench/statement_cost.py drives a real Session; it checks each answer
    itself and fails loudly if the session stops answering."""
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "statement_cost.py"), "200"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    costs = re.findall(r"^  (simple Query|Parse/Bind/Describe/Execute/Sync|the same, 3 rows from Arrow)"
                       r"\s+([\d.]+)$", out.stdout, re.M)
    assert [name for name, _ in costs] == ["simple Query", "Parse/Bind/Describe/Execute/Sync",
                                           "the same, 3 rows from Arrow"], out.stdout
    assert all(float(us) > 0 for _, us in costs)


def test_instruction_counts_come_from_a_real_server_under_valgrind():
    """bench/instructions.py runs riffq under callgrind and pgbench against it;
    pgbench checks that every transaction was answered. A count per
    transaction far below what one Python statement costs would mean the
    dumps measured nothing, far above it that startup leaked into them."""
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "instructions.py"), "20", "120"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    counts = dict(re.findall(r"^  (simple|extended)\s+(\d+)$", out.stdout, re.M))
    assert sorted(counts) == ["extended", "simple"], out.stdout
    for mode, per in counts.items():
        assert 10_000 < int(per) < 1_000_000, (mode, out.stdout)
