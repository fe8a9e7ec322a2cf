"""Catalog emulation latency: psql's ``\\d users`` and a server holding
10,000 registered tables.

``\\d users`` is replayed as psql sends it: the statements psql 15 issues
for ``\\d <table>`` (captured in ``tests/catalog_corpus/psql.json``: the
lookup of the table's OID, then the eight statements that read its
attributes, indexes, policies, statistics, publications and inheritance),
each sent as a simple Query over a real socket, the OID the first one
returns substituted into the rest, as psql does.  Both servers must give
the same rows for the lookup (name and schema) and the same column list,
so a fast wrong answer cannot pass.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import struct
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

import servers  # noqa: F401  (puts tests/ on sys.path)
from pgclient import RawClient, error_fields, query  # noqa: E402

CORPUS = os.path.join(servers.ROOT, "tests", "catalog_corpus", "psql.json")
#: both servers hold the bench tables in a database of their own (section (a)
#: leaves its table in PostgreSQL's postgres database)
DATABASE = "catalog_bench"
#: the table \d describes, and the columns both servers hold for it
USERS_DDL = ("create table users (id bigint not null primary key, email varchar(200), "
             "name text not null, created_at timestamptz, active boolean)")
USERS_COLUMNS = [
    {"id": {"type": "bigint", "nullable": False, "primary_key": True}},
    {"email": {"type": "varchar(200)"}},
    {"name": {"type": "text", "nullable": False}},
    {"created_at": {"type": "timestamptz"}},
    {"active": {"type": "boolean"}},
]
FILLER_COLUMNS = "(id bigint, label text, amount numeric(12,2), seen timestamptz, flag boolean)"

# The riffq side: ``users`` plus ``argv[2]`` filler tables of five columns.
# It prints the wall-clock time before the first registration, so the
# parent can time registration + start() + the first answer from there.
CATALOG_SERVER = r"""
import sys, time
started = time.time()
import riffq
t0 = time.time()
print("t0 %%r %%r" %% (t0, t0 - started), flush=True)
filler = int(sys.argv[2])
s = riffq.Server("127.0.0.1:" + sys.argv[1])
s.on_query(lambda sql, callback, **kw: callback(([{"name": "x", "type": "int4"}], [(1,)])))
s.register_schema(%(db)r, "public")
s.register_table(%(db)r, "public", "users", %(users)r)
cols = [{"id": {"type": "bigint"}}, {"label": {"type": "text"}}, {"amount": {"type": "numeric(12,2)"}},
        {"seen": {"type": "timestamptz"}}, {"flag": {"type": "boolean"}}]
for i in range(filler):
    s.register_table(%(db)r, "public", "t%%05d" %% i, cols)
s.start(auth_method="trust", catalog_emulation=True)
""" % {"users": USERS_COLUMNS, "db": DATABASE}


def psql_describe_statements(table: str) -> List[str]:
    """psql 15's statements for ``\\d <table>``, ``{oid}`` where the OID goes.

    The corpus holds ``\\d customers`` (unqualified: only the lookup, the
    rest was deduplicated) and ``\\d sales.orders`` (every statement); the
    lookup comes from the first, the others from the second.
    """
    with open(CORPUS) as f:
        corpus = json.load(f)
    lookup = [e["sql"] for e in corpus if e["note"] == "\\d customers"][0]
    rest = [e["sql"] for e in corpus if e["note"] == "\\d sales.orders"][1:]
    if "^(customers)$" not in lookup or len(rest) != 8:
        raise SystemExit("tests/catalog_corpus/psql.json no longer holds psql's \\d statements")
    first = lookup.replace("^(customers)$", "^(%s)$" % table)
    return [first] + [s.replace("{{oid:class:sales.orders}}", "{oid}") for s in rest]


def psql_list_tables() -> str:
    with open(CORPUS) as f:
        return [e["sql"] for e in json.load(f) if e["note"] == "\\dt"][0]


class SimpleClient:
    """psql's side of the conversation: one simple Query at a time."""

    def __init__(self, port: int, user: str) -> None:
        self.raw = RawClient(port, timeout=60)
        got = self.raw.connect(user=user, database=DATABASE)
        if not got or got[-1][0] != b"Z":
            raise SystemExit("could not connect to port %d: %r" % (port, got))

    def run(self, sql: str) -> List[List[Optional[str]]]:
        self.raw.send(query(sql))
        rows = []
        for t, body in self.raw.read_until(b"Z"):
            if t == b"E":
                raise SystemExit("%s failed: %s" % (sql[:60], error_fields(body)))
            if t == b"D":
                rows.append(_data_row(body))
        return rows

    def close(self) -> None:
        self.raw.send(b"X\0\0\0\4")
        self.raw.close()


def _data_row(body: bytes) -> List[Optional[str]]:
    (n,), pos, out = struct.unpack("!h", body[:2]), 2, []
    for _ in range(n):
        (size,) = struct.unpack("!i", body[pos:pos + 4])
        pos += 4
        if size < 0:
            out.append(None)
        else:
            out.append(body[pos:pos + size].decode())
            pos += size
    return out


def describe_once(client: SimpleClient, statements: List[str]) -> Tuple[List[float], Any]:
    """One ``\\d``: per-statement round trips (seconds) and what it showed."""
    times, shown = [], []
    oid = None
    for i, sql in enumerate(statements):
        if oid is not None:
            sql = sql.replace("{oid}", oid)
        t0 = time.perf_counter()
        rows = client.run(sql)
        times.append(time.perf_counter() - t0)
        if i == 0:
            if len(rows) != 1:
                raise SystemExit("\\d lookup found %d relations" % len(rows))
            oid = rows[0][0]
            shown.append(rows[0][1:])
        elif i == 2:
            shown.append([r[:2] + r[3:4] for r in rows])   # name, type, not null
    return times, shown


def compare_describe(rq_port: int, pg_port: int, pg_user: str, runs: int,
                     fresh: bool = False) -> Dict[str, Any]:
    """Median ``\\d`` on both servers; what they show must agree.

    ``fresh=False`` describes ``users`` every time, as a user re-running
    ``\\d users`` does (the same statement texts come back); ``fresh=True``
    describes a different filler table each run, so the statement texts
    differ from run to run (the table's name and OID)."""
    out: Dict[str, Any] = {}
    for side, port, user in (("riffq", rq_port, "bench"), ("pg", pg_port, pg_user)):
        client = SimpleClient(port, user)
        try:
            if not fresh:
                describe_once(client, psql_describe_statements("users"))   # warm-up
            totals, per, shown_all = [], [[] for _ in range(9)], []
            for n in range(runs):
                table = "t%05d" % n if fresh else "users"
                times, shown = describe_once(client, psql_describe_statements(table))
                totals.append(sum(times))
                shown_all.append(shown)
                for i, t in enumerate(times):
                    per[i].append(t)
            out[side] = {"total": statistics.median(totals), "shown": shown_all,
                         "per": [statistics.median(p) for p in per]}
        finally:
            client.close()
    if out["riffq"]["shown"] != out["pg"]["shown"]:
        raise SystemExit("\\d differs: riffq %r, PostgreSQL %r"
                         % (out["riffq"]["shown"][:1], out["pg"]["shown"][:1]))
    return out


def start_catalog_server(filler: int, translator: str = ""
                         ) -> Tuple["subprocess.Popen[str]", int, float, float, float]:
    """(process, port, t0 before the first registration, when the port
    accepted, seconds ``import riffq`` took)."""
    port = servers.free_port()
    env = dict(os.environ, PYTHONPATH=servers.ROOT, RIFFQ_CATALOG_TRANSLATOR=translator)
    proc = subprocess.Popen([sys.executable, "-c", CATALOG_SERVER, str(port), str(filler)],
                            env=env, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    m = re.match(r"t0 ([0-9.]+) ([0-9.]+)", line)
    if not m:
        proc.kill()
        raise SystemExit("the catalog bench server did not start: %r" % line)
    try:
        # looking often: the time it accepted is a figure of its own
        servers.wait_until_accepting(proc, port, 300, "the catalog bench server", poll=0.005)
    except RuntimeError as exc:
        raise SystemExit(str(exc))
    return proc, port, float(m.group(1)), time.time(), float(m.group(2))


def stop(proc: "subprocess.Popen[str]") -> None:
    proc.terminate()
    proc.wait(10)
    if proc.stdout:
        proc.stdout.close()


def create_pg_tables(pg: Any, filler: int) -> None:
    """DATABASE with ``users`` and the filler tables, created in batches (one
    transaction cannot lock 10,000 new tables with the default
    max_locks_per_transaction)."""
    import psycopg
    kw = dict(host="127.0.0.1", port=pg.port, user=pg.user, autocommit=True)
    with psycopg.connect(dbname="postgres", **kw) as conn:
        conn.execute("CREATE DATABASE " + DATABASE)
    with psycopg.connect(dbname=DATABASE, **kw) as conn:
        conn.execute(USERS_DDL)
        if filler:
            conn.execute("do $$ begin for i in 0..%d loop execute format("
                         "'create table t%%s %s', lpad(i::text, 5, '0')); "
                         "if i %% 1000 = 999 then commit; end if; end loop; end $$"
                         % (filler - 1, FILLER_COLUMNS))


def timed_listing(port: int, user: str, sql: str, expect: int, runs: int = 3) -> float:
    client = SimpleClient(port, user)
    try:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            n = len(client.run(sql))
            times.append(time.perf_counter() - t0)
            if n != expect:
                raise SystemExit("\\dt listed %d tables, expected %d" % (n, expect))
        return statistics.median(times)
    finally:
        client.close()


#: Servers started with the many tables, the median printed: one start took
#: 1.34 to 2.23 s on the same machine within minutes, so a single one said
#: more about the moment than about the server.
STARTS = 3


def first_listing(port: int, listing: str, many: int, t0: float, accepted: float,
                  imported: float) -> Tuple[float, float, float]:
    """(seconds from the first registration to the first \\dt's answer,
    of which until the port accepted, and ``import riffq`` before them)."""
    client = SimpleClient(port, "bench")
    try:
        rows = client.run(listing)
        answered = time.time()
    finally:
        client.close()
    if len(rows) != many + 1:
        raise SystemExit("\\dt listed %d tables, expected %d" % (len(rows), many + 1))
    return answered - t0, accepted - t0, imported


def run(pg: Any, row, runs: int, many: int) -> None:
    """Section (e), printed through ``row(label, riffq, pg, unit, higher_is_better)``.

    PostgreSQL holds ``users`` and ``many`` filler tables throughout; the
    first riffq server registers only ``users``, the later ones all of them."""
    print("(e) catalog (riffq's default translator unless named)")
    create_pg_tables(pg, many)
    proc, port, _, _, _ = start_catalog_server(0)
    try:
        got = compare_describe(port, pg.port, pg.user, runs)
    finally:
        stop(proc)
    row("  psql \\d users, 9 statements (ms, target < 10)", got["riffq"]["total"] * 1e3,
        got["pg"]["total"] * 1e3, "ms", False)
    worst = max(range(9), key=lambda i: got["riffq"]["per"][i])
    row("    slowest statement (#%d of 9) (ms)" % (worst + 1), got["riffq"]["per"][worst] * 1e3,
        got["pg"]["per"][worst] * 1e3, "ms", False)

    listing = psql_list_tables()
    starts = []
    for _ in range(STARTS - 1):
        proc, port, t0, accepted, imported = start_catalog_server(many)
        try:
            starts.append(first_listing(port, listing, many, t0, accepted, imported))
        finally:
            stop(proc)
    proc, port, t0, accepted, imported = start_catalog_server(many)
    try:
        starts.append(first_listing(port, listing, many, t0, accepted, imported))
        total, until_accepted, imported = sorted(starts)[len(starts) // 2]
        print("  %-50s %12.3f %12s  (s, target < 2)"
              % ("%d tables: register+start, first \\dt answered" % many, total, ""))
        print("  %-50s %s" % ("    each start", " ".join("%.3f" % start[0] for start in starts)))
        print("  %-50s %12.3f" % ("    of which until the port accepted (s)", until_accepted))
        print("  %-50s %12.3f" % ("    (before that: import riffq) (s)", imported))
        big = compare_describe(port, pg.port, pg.user, max(5, runs // 4))
        fresh = compare_describe(port, pg.port, pg.user, max(5, runs // 4), fresh=True)
        list_rq = timed_listing(port, "bench", listing, many + 1)
    finally:
        stop(proc)
    row("  psql \\d users among %d tables (ms)" % many, big["riffq"]["total"] * 1e3,
        big["pg"]["total"] * 1e3, "ms", False)
    row("  \\d of a different table each run (ms)", fresh["riffq"]["total"] * 1e3,
        fresh["pg"]["total"] * 1e3, "ms", False)
    proc, port, _, _, _ = start_catalog_server(many, "builtin")
    try:
        fresh = compare_describe(port, pg.port, pg.user, max(5, runs // 4), fresh=True)
    finally:
        stop(proc)
    row("    the same, built-in translator (ms)", fresh["riffq"]["total"] * 1e3,
        fresh["pg"]["total"] * 1e3, "ms", False)
    row("  psql \\dt listing %d tables (ms)" % (many + 1), list_rq * 1e3,
        timed_listing(pg.port, pg.user, listing, many + 1) * 1e3, "ms", False)
