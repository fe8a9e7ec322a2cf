"""asyncpg against riffq: the extended query protocol with binary results.

asyncpg prepares every statement (Parse + Describe statement + Sync), then
binds it with binary parameters and asks for binary results, so these tests
exercise ParameterDescription, RowDescription from a describe-only handler
call, binary encoders for every common type, portal suspension (cursors) and
the error-until-Sync rule through a real driver.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import threading
from decimal import Decimal

import pytest

asyncpg = pytest.importorskip("asyncpg", reason="asyncpg is not installed in the venv "
                              "(pip install asyncpg)")

import riffq  # noqa: E402
from clientkit import RecordingHandler, typed_samples  # noqa: E402

T = 10  # seconds: every client call gets this timeout, so a server bug fails, never hangs

UTC = dt.timezone.utc
TYPED_COLUMNS = typed_samples() + [("ta", "text[]", ["a", "b c", None, 'q"uote'])]


class Recorder(RecordingHandler):
    def answer(self, sql, q, callback, kwargs):
        args = kwargs.get("query_args") or []
        if q.startswith("select pg_advisory_unlock_all()"):
            # asyncpg's pool reset query; PostgreSQL answers one void row.
            callback(([{"name": "pg_advisory_unlock_all", "type": "text"}], [(None,)]))
        elif q == "select $1::int + 1":
            value = args[0] + 1 if args else 0
            callback(([{"name": "?column?", "type": "int4"}], [(value,)] if args else []))
        elif q.startswith("select id, name from people"):
            rows = [(1, "ann"), (2, "bob"), (3, "cy")]
            if "where id = $1" in q:  # untyped $n is text in riffq: the test casts
                rows = [r for r in rows if args and r[0] == args[0]]
            callback(([{"name": "id", "type": "int4"}, {"name": "name", "type": "text"}], rows))
        elif q.startswith("select n from series"):
            callback(([{"name": "n", "type": "int4"}], [(i,) for i in range(10)]))
        elif q.startswith("select * from typed"):
            callback(([{"name": n, "type": t} for n, t, _ in TYPED_COLUMNS],
                      [tuple(v for _, _, v in TYPED_COLUMNS), tuple(None for _ in TYPED_COLUMNS)]))
        elif q.startswith("select ia from int4_array"):
            callback(([{"name": "ia", "type": "int4[]"}], [([1, None, 3],)]))
        elif q.startswith("select arrays from typed_arrays"):
            callback(([{"name": "i8a", "type": "int8[]"}, {"name": "numa", "type": "numeric[]"},
                       {"name": "da", "type": "date[]"}],
                      [([2 ** 40, None, -1], [Decimal("1.50"), None], [dt.date(2024, 2, 29)])]))
        elif q.startswith("insert into people"):
            if args and args[0] == 13:
                callback(("ERROR", "23505", "duplicate key value violates unique constraint"),
                         is_error=True)
            else:
                callback("INSERT 0 1", is_tag=True)
        elif q.startswith("select slow"):
            # a statement that takes long; released at test teardown at the latest
            if not kwargs.get("do_describe"):
                self.release.wait(2)
            callback(([{"name": "x", "type": "int4"}], [(1,)]))
        else:
            self.fallback(sql, q, callback)


@pytest.fixture
def rec_server(serve):
    rec = Recorder()
    server = riffq.Server("127.0.0.1:0")
    server.on_query(rec)
    # the documented way to stop a handler: a cancel releases whatever it waits on
    server.on_cancel(lambda conn_id: rec.release.set())
    bg = serve(server)
    yield rec, bg.port
    rec.release.set()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


async def connect(port, **kw):
    return await asyncpg.connect(host="127.0.0.1", port=port, user="u", database="d",
                                 ssl=False, timeout=T, **kw)


def test_fetch_fetchrow_fetchval(rec_server):
    rec, port = rec_server

    async def main():
        conn = await connect(port)
        try:
            rows = await conn.fetch("select id, name from people", timeout=T)
            assert [tuple(r) for r in rows] == [(1, "ann"), (2, "bob"), (3, "cy")]
            assert rows[0]["name"] == "ann" and list(rows[0].keys()) == ["id", "name"]
            row = await conn.fetchrow("select id, name from people where id = $1::int4", 2, timeout=T)
            assert dict(row) == {"id": 2, "name": "bob"}
            assert await conn.fetchrow("select id, name from people where id = $1::int4", 99,
                                       timeout=T) is None
            assert await conn.fetchval("select $1::int + 1", 41, timeout=T) == 42
        finally:
            await conn.close(timeout=T)
    run(main())
    ex = rec.executions("select $1")
    assert ex[-1][1]["query_args"] == [41]
    assert ex[-1][1]["param_types"] == [23]   # int4, from the $1::int cast
    by_id = rec.executions("select id, name from people where")
    assert [k["query_args"] for _, k in by_id] == [[2], [99]]


def test_untyped_parameter_is_text(rec_server):
    """riffq has no catalog to infer ``id = $1`` from, so an uncast ``$n`` is
    described as text (what PostgreSQL does for ``select $1``): asyncpg then
    wants a str, and refuses an int before sending anything."""
    rec, port = rec_server

    async def main():
        conn = await connect(port)
        try:
            stmt = await conn.prepare("select id, name from people where id = $1", timeout=T)
            assert [t.name for t in stmt.get_parameters()] == ["text"]
            assert [tuple(r) for r in await stmt.fetch("2", timeout=T)] == []
            with pytest.raises(asyncpg.DataError, match="expected str, got int"):
                await stmt.fetch(2, timeout=T)
        finally:
            await conn.close(timeout=T)
    run(main())
    assert rec.executions("select id")[-1][1]["query_args"] == ["2"]


def test_prepared_statement_reused_runs_handler_once_per_execution(rec_server):
    rec, port = rec_server

    async def main():
        conn = await connect(port)
        try:
            stmt = await conn.prepare("select $1::int + 1", timeout=T)
            assert [a.name for a in stmt.get_attributes()] == ["?column?"]
            assert [t.name for t in stmt.get_parameters()] == ["int4"]
            got = [await stmt.fetchval(i, timeout=T) for i in (1, 2, 3)]
            assert got == [2, 3, 4]
        finally:
            await conn.close(timeout=T)
    run(main())
    ex = rec.executions("select $1")
    assert [k["query_args"] for _, k in ex] == [[1], [2], [3]]
    # preparing described the statement once, with no arguments
    desc = [k for s, k in rec.calls if k.get("do_describe")]
    assert len(desc) == 1 and desc[0]["query_args"] is None


def test_cursor_prefetch_suspends_portal_and_keeps_order(rec_server):
    rec, port = rec_server

    async def main():
        conn = await connect(port)
        try:
            async with conn.transaction():
                got = [r["n"] async for r in conn.cursor("select n from series", prefetch=2,
                                                          timeout=T)]
            assert got == list(range(10))
            # and a scrollable-style manual cursor: fetch in pieces
            async with conn.transaction():
                cur = await conn.cursor("select n from series", timeout=T)
                first = await cur.fetch(3, timeout=T)
                second = await cur.fetch(4, timeout=T)
                rest = await cur.fetch(10, timeout=T)
            assert [r["n"] for r in first + second + rest] == list(range(10))
            assert await conn.fetchval("select $1::int + 1", 1, timeout=T) == 2
        finally:
            await conn.close(timeout=T)
    run(main())
    # each cursor ran the handler exactly once, however many Executes it took
    assert len(rec.executions("select n from series")) == 2


def test_executemany(rec_server):
    rec, port = rec_server

    async def main():
        conn = await connect(port)
        try:
            await conn.executemany("insert into people values ($1::int4, $2)",
                                   [(4, "dee"), (5, "eve"), (6, None)], timeout=T)
            assert await conn.fetchval("select $1::int + 1", 9, timeout=T) == 10
        finally:
            await conn.close(timeout=T)
    run(main())
    ex = rec.executions("insert")
    assert [k["query_args"] for _, k in ex] == [[4, "dee"], [5, "eve"], [6, None]]
    assert ex[0][1]["param_types"] == [23, 25]


def test_executemany_error_in_the_middle(rec_server):
    rec, port = rec_server

    async def main():
        conn = await connect(port)
        try:
            with pytest.raises(asyncpg.exceptions.UniqueViolationError):
                await conn.executemany("insert into people values ($1::int4, $2)",
                                       [(12, "a"), (13, "b"), (14, "c")], timeout=T)
            assert await conn.fetchval("select $1::int + 1", 1, timeout=T) == 2
        finally:
            await conn.close(timeout=T)
    run(main())
    # everything after the failing Execute up to Sync is skipped
    assert [k["query_args"] for _, k in rec.executions("insert")] == [[12, "a"], [13, "b"]]


def test_parameters_of_every_common_type_in_binary(serve):
    """asyncpg sends parameters in binary; the handler echoes them back typed."""
    names = {21: "int2", 23: "int4", 20: "int8", 700: "float4", 701: "float8", 1700: "numeric",
             25: "text", 16: "bool", 17: "bytea", 1082: "date", 1083: "time", 1114: "timestamp",
             1184: "timestamptz", 1186: "interval", 2950: "uuid", 114: "json", 3802: "jsonb",
             1009: "text[]", 1007: "int4[]"}
    received = []

    def handle(sql, callback, **kwargs):
        types = kwargs["param_types"]
        args = kwargs.get("query_args")
        if args is not None:
            received.append(args)
        callback(([{"name": "c%d" % i, "type": names[t]} for i, t in enumerate(types)],
                  [tuple(args)] if args is not None else []))

    server = riffq.Server("127.0.0.1:0")
    server.on_query(handle)
    port = serve(server).port
    values = [(n, t, v) for n, t, v in TYPED_COLUMNS if t not in ("json", "jsonb")]
    values += [("j", "json", '{"a": 1}'), ("jb", "jsonb", '{"b": [1]}'),
               ("nan", "numeric", Decimal("-12.3400")), ("inf", "float8", float("-inf")),
               ("neg", "interval", dt.timedelta(days=-1, seconds=5)), ("null", "int4", None)]
    sql = "select " + ", ".join("$%d::%s" % (i + 1, t) for i, (_, t, _) in enumerate(values))

    async def main():
        conn = await connect(port)
        try:
            return await conn.fetchrow(sql, *[v for _, _, v in values], timeout=T)
        finally:
            await conn.close(timeout=T)
    row = run(main())
    expected = [v for _, _, v in values]
    assert received == [expected]
    assert [row[i] for i in range(len(values))] == [
        pytest.approx(v) if t == "float4" else v for _, t, v in values]


def test_timeout_cancels_the_running_statement(rec_server):
    rec, port = rec_server
    import time

    async def main():
        conn = await connect(port)
        try:
            with pytest.raises(asyncio.TimeoutError):
                await conn.fetchval("select slow", timeout=0.5)
            start = time.monotonic()
            assert await conn.fetchval("select $1::int + 1", 1, timeout=T) == 2
            return time.monotonic() - start
        finally:
            rec.release.set()
            await conn.close(timeout=T)
    assert run(main()) < 1.0


def schema_change_server(serve, after):
    """``select * from sc`` answers one int4 column until ``alter ...`` runs,
    then the columns ``after`` (as a real table would after ALTER TABLE)."""
    state = {"altered": False}

    def handle(sql, callback, **kwargs):
        if sql.lower().startswith("alter"):
            state["altered"] = True
            callback("ALTER TABLE", is_tag=True)
        elif not state["altered"]:
            callback(([{"name": "x", "type": "int4"}], [(7,)]))
        else:
            callback(after)

    server = riffq.Server("127.0.0.1:0")
    server.on_query(handle)
    return serve(server).port


CACHED_PLAN_BUG = (
    "a named statement's result shape is fixed by its Describe (asyncpg caches it and asks "
    "for binary results per column); when the handler's columns later differ, riffq "
    "(riffq/_wire/extended.py ExtendedProtocol._execute/_send) streams the new rows "
    "anyway. PostgreSQL fails that Execute with 0A000 'cached plan must not change result "
    "type'; asyncpg then re-prepares and retries transparently (checked against "
    "PostgreSQL 15 with the same ALTER TABLE). ")


def test_result_type_change_of_a_cached_statement(serve):
    port = schema_change_server(serve, ([{"name": "x", "type": "text"}], [("abcd",)]))

    async def main():
        conn = await connect(port)
        try:
            first = await conn.fetchval("select * from sc", timeout=T)
            await conn.execute("alter table sc alter x type text using 'abcd'", timeout=T)
            return first, await conn.fetchval("select * from sc", timeout=T)
        finally:
            await conn.close(timeout=T)
    assert run(main()) == (7, "abcd")


def test_result_column_count_change_of_a_cached_statement(serve):
    port = schema_change_server(serve, ([{"name": "x", "type": "text"}, {"name": "y", "type": "int8"}],
                                        [("seven", 8)]))

    async def main():
        conn = await connect(port)
        try:
            first = [tuple(r) for r in await conn.fetch("select * from sc", timeout=T)]
            await conn.execute("alter table sc add y int8", timeout=T)
            second = [tuple(r) for r in await conn.fetch("select * from sc", timeout=T)]
            return first, second
        finally:
            await conn.close(timeout=T)
    assert run(main()) == ([(7,)], [("seven", 8)])


def test_builtin_set_and_show_through_prepared_statements(rec_server):
    rec, port = rec_server

    async def main():
        conn = await connect(port)
        try:
            await conn.execute("set application_name = 'zz'", timeout=T)
            assert await conn.fetchval("show application_name", timeout=T) == "zz"
            assert conn.get_settings().application_name == "zz"   # ParameterStatus
            stmt = await conn.prepare("set application_name = 'q'", timeout=T)
            assert await stmt.fetch(timeout=T) == []
            assert conn.get_settings().application_name == "q"
            async with conn.transaction(isolation="repeatable_read"):
                assert await conn.fetchval("show transaction isolation level",
                                           timeout=T) == "repeatable read"
            rows = await conn.fetch("show all", timeout=T)
            assert list(rows[0].keys()) == ["name", "setting", "description"]
            assert len(rows) > 10
            with pytest.raises(asyncpg.PostgresSyntaxError) as ei:
                await conn.fetch("select 1; select 2", timeout=T)
            assert ei.value.sqlstate == "42601"
            assert "cannot insert multiple commands" in str(ei.value)
        finally:
            await conn.close(timeout=T)
    run(main())
    assert rec.calls == []


def test_show_column_name_through_extended_protocol(rec_server):
    rec, port = rec_server

    async def main():
        conn = await connect(port)
        try:
            return [list((await conn.fetchrow(q, timeout=T)).keys())[0]
                    for q in ("show datestyle", "show timezone", "show server_version")]
        finally:
            await conn.close(timeout=T)
    assert run(main()) == ["DateStyle", "TimeZone", "server_version"]


def test_cursor_over_show_all_honours_the_row_limit(rec_server):
    rec, port = rec_server

    async def main():
        conn = await connect(port)
        try:
            async with conn.transaction():
                cur = await conn.cursor("show all", timeout=T)
                first = await cur.fetch(3, timeout=T)
                second = await cur.fetch(3, timeout=T)
            async with conn.transaction():
                everything = [r["name"] async for r in conn.cursor("show all", prefetch=10,
                                                                   timeout=T)]
            return first, second, everything
        finally:
            await conn.close(timeout=T)
    first, second, everything = run(main())
    assert len(everything) == len(set(everything)) > 10
    assert [r["name"] for r in first + second] == everything[:6]


def test_execute_returns_the_handler_tag(rec_server):
    rec, port = rec_server

    async def main():
        conn = await connect(port)
        try:
            # no arguments: asyncpg sends a simple Query
            assert await conn.execute("insert into people values (7, 'x')", timeout=T) == "INSERT 0 1"
            # with arguments: extended protocol
            assert await conn.execute("insert into people values ($1::int4, $2)", 8, "y",
                                      timeout=T) == "INSERT 0 1"
        finally:
            await conn.close(timeout=T)
    run(main())
    assert [k.get("query_args") for _, k in rec.executions("insert")] == [None, [8, "y"]]


def test_every_common_type_decodes_from_binary(rec_server):
    rec, port = rec_server

    async def main():
        conn = await connect(port)
        try:
            stmt = await conn.prepare("select * from typed", timeout=T)
            types = [(a.name, a.type.name) for a in stmt.get_attributes()]
            rows = await stmt.fetch(timeout=T)
            return types, rows
        finally:
            await conn.close(timeout=T)
    types, rows = run(main())
    assert types == [(n, t) for n, t, _ in TYPED_COLUMNS]
    assert len(rows) == 2
    got = dict(rows[0])
    for name, pgtype, value in TYPED_COLUMNS:
        if pgtype in ("json", "jsonb"):
            import json
            assert json.loads(got[name]) == value, name
        elif pgtype == "float4":
            assert got[name] == pytest.approx(value), name
        else:
            assert got[name] == value, (name, got[name], value)
    assert all(v is None for v in rows[1].values())


@pytest.fixture
def catalog_rec_server(serve):
    """rec_server's handler behind a server that emulates the catalog."""
    rec = Recorder()
    server = riffq.Server("127.0.0.1:0")
    server.on_query(rec)
    bg = serve(server, catalog_emulation=True)
    yield rec, bg.port
    rec.release.set()


def test_array_results_decode_through_type_introspection(catalog_rec_server):
    """asyncpg has no built-in codec for int4[], int8[] or numeric[]: on seeing
    one in a RowDescription it introspects pg_type (set_config('jit'), then a
    WITH RECURSIVE typeinfo_tree query), which the catalog emulation answers,
    so the handler sees only the user's own statements."""
    rec, port = catalog_rec_server

    async def main():
        conn = await connect(port)
        try:
            ints = await conn.fetchval("select ia from int4_array", timeout=T)
            row = await conn.fetchrow("select arrays from typed_arrays", timeout=T)
            return ints, row
        finally:
            await conn.close(timeout=T)
    ints, row = run(main())
    assert ints == [1, None, 3]
    assert list(row.values()) == [[2 ** 40, None, -1], [Decimal("1.50"), None],
                                  [dt.date(2024, 2, 29)]]
    reached = [s for s, _ in rec.calls]
    assert all("int4_array" in s or "typed_arrays" in s for s in reached), reached


def test_handler_error_raises_with_sqlstate_and_connection_survives(rec_server):
    rec, port = rec_server

    async def main():
        conn = await connect(port)
        try:
            with pytest.raises(asyncpg.exceptions.DivisionByZeroError) as ei:
                await conn.fetch("select boom where $1::int = 1", 1, timeout=T)
            assert ei.value.sqlstate == "22012" and "division by zero" in str(ei.value)
            with pytest.raises(asyncpg.PostgresError) as ei:
                await conn.fetch("select boom", timeout=T)
            assert ei.value.sqlstate == "22012"
            assert await conn.fetchval("select $1::int + 1", 1, timeout=T) == 2
            # inside a transaction the error aborts it; the rollback recovers
            tr = conn.transaction()
            await tr.start()
            with pytest.raises(asyncpg.exceptions.DivisionByZeroError):
                await conn.fetch("select boom where $1::int = 1", 1, timeout=T)
            with pytest.raises(asyncpg.exceptions.InFailedSQLTransactionError):
                await conn.fetchval("select $1::int + 1", 1, timeout=T)
            await tr.rollback()
            assert await conn.fetchval("select $1::int + 1", 5, timeout=T) == 6
        finally:
            await conn.close(timeout=T)
    run(main())


def test_pool_acquire_release_twice(rec_server):
    rec, port = rec_server

    async def main():
        pool = await asyncpg.create_pool(host="127.0.0.1", port=port, user="u", database="d",
                                         ssl=False, min_size=1, max_size=1, timeout=T)
        try:
            for i in range(2):
                async with pool.acquire(timeout=T) as conn:
                    assert await conn.fetchval("select $1::int + 1", i, timeout=T) == i + 1
            assert await pool.fetchval("select $1::int + 1", 10, timeout=T) == 11
        finally:
            await asyncio.wait_for(pool.close(), T)
    run(main())
    resets = [s for s, k in rec.calls if "pg_advisory_unlock_all" in s]
    # the pool's reset on release reaches the handler as one statement each time
    # (the rest of it -- CLOSE ALL; UNLISTEN *; RESET ALL -- is answered by riffq)
    assert len(resets) >= 2
    assert all(s.strip().lower().rstrip(";") == "select pg_advisory_unlock_all()" for s in resets)


def test_duckdb_backed_arrow_results(serve):
    duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed in the venv")
    pytest.importorskip("pyarrow", reason="pyarrow is not installed in the venv")
    db = duckdb.connect()
    db.execute("create table t as select i as id, 'name' || i as name, i * 1.5 as score, "
               "date '2024-01-01' + i::int as day from range(10) r(i)")
    lock = threading.Lock()
    calls = []

    def handle(sql, callback, **kwargs):
        calls.append((sql, kwargs))
        params = kwargs.get("query_args")
        if params is None:   # describe-only call: the columns are wanted, not the rows
            params = [None] * len(kwargs.get("param_types") or [])
        import re
        with lock:
            cur = db.cursor().execute(re.sub(r"\$\d+", "?", sql), params)
            reader = cur.to_arrow_reader() if hasattr(cur, "to_arrow_reader") \
                else cur.fetch_record_batch()
        callback(reader)

    server = riffq.Server("127.0.0.1:0")
    server.on_query(handle)
    port = serve(server).port

    async def main():
        conn = await connect(port)
        try:
            rows = await conn.fetch("select id, name, score, day from t where id >= $1::int "
                                    "and name <> $2 order by id", 7, "name8", timeout=T)
            async with conn.transaction():
                streamed = [r["id"] async for r in conn.cursor(
                    "select id from t where id < $1::int order by id", 10, prefetch=3, timeout=T)]
            return rows, streamed
        finally:
            await conn.close(timeout=T)
    rows, streamed = run(main())
    assert [tuple(r) for r in rows] == [
        (7, "name7", Decimal("10.5"), dt.date(2024, 1, 8)),
        (9, "name9", Decimal("13.5"), dt.date(2024, 1, 10)),
    ]
    assert streamed == list(range(10))
