"""pg8000 (native API, extended protocol, text results) and psycopg2 (libpq,
simple query protocol with client-side parameters) against riffq."""
from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from decimal import Decimal

import pytest

import riffq
from clientkit import RecordingHandler, serve_recorder, typed_samples

pg8000_native = pytest.importorskip("pg8000.native", reason="pg8000 is not installed in the venv "
                                    "(pip install pg8000)")
psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is not installed in the venv "
                               "(pip install psycopg2-binary)")

T = 10  # seconds: pg8000 socket timeout, psycopg2 connect timeout

UTC = dt.timezone.utc
TYPED = typed_samples(text="héllo 'wörld'", flag=False) + [
    ("ia", "int4[]", [1, None, 3]),
    ("ta", "text[]", ["a", "b c", None]),
]
OIDS = {"int2": 21, "int4": 23, "int8": 20, "float4": 700, "float8": 701, "numeric": 1700,
        "text": 25, "bool": 16, "bytea": 17, "date": 1082, "time": 1083, "timestamp": 1114,
        "timestamptz": 1184, "interval": 1186, "uuid": 2950, "json": 114, "jsonb": 3802,
        "int4[]": 1007, "text[]": 1009}


class Recorder(RecordingHandler):
    def answer(self, sql, q, callback, kwargs):
        args = kwargs.get("query_args")
        if q.startswith("select $1::int + 1"):
            callback(([{"name": "?column?", "type": "int4"}], [(args[0] + 1,)] if args else []))
        elif q.startswith("select echo"):
            # echo the parameters back, typed as they were received
            args = args or []
            types = kwargs.get("param_types") or []
            names = {v: k for k, v in OIDS.items()}
            callback(([{"name": "c%d" % i, "type": names.get(t)} for i, t in enumerate(types)],
                      [tuple(args)] if kwargs.get("query_args") is not None else []))
        elif q.startswith("select * from typed"):
            callback(([{"name": n, "type": t} for n, t, _ in TYPED],
                      [tuple(v for _, _, v in TYPED), tuple(None for _ in TYPED)]))
        elif q.startswith("select id, name from people"):
            callback(([{"name": "id", "type": "int4"}, {"name": "name", "type": "text"}],
                      [(1, "ann"), (2, "bob")]))
        elif q.startswith("insert into people"):
            callback("INSERT 0 1", is_tag=True)
        else:
            self.fallback(sql, q, callback)


@pytest.fixture
def rec_server(serve):
    return serve_recorder(serve, Recorder())


# ------------------------------------------------------------------- pg8000

def pg8000_connect(port):
    return pg8000_native.Connection("u", host="127.0.0.1", port=port, database="d", timeout=T)


def test_pg8000_run_with_parameters(rec_server):
    rec, port = rec_server
    con = pg8000_connect(port)
    try:
        assert con.run("select :v::int + 1", v=41) == [[42]]
        assert [c["name"] for c in con.columns] == ["?column?"]
        assert con.run("select id, name from people") == [[1, "ann"], [2, "bob"]]
        assert con.row_count == 2
        con.run("insert into people values (:i::int4, :n)", i=3, n="cy")
        assert con.row_count == 1
        # a prepared statement, executed three times
        ps = con.prepare("select :v::int + 1")
        assert [ps.run(v=i) for i in range(3)] == [[[1]], [[2]], [[3]]]
        ps.close()
    finally:
        con.close()
    ex = rec.executions("select $1")
    assert [k["query_args"] for _, k in ex] == [[41], [0], [1], [2]]
    assert rec.executions("insert")[0][1]["query_args"] == [3, "cy"]


def test_pg8000_types_round_trip(rec_server):
    rec, port = rec_server
    con = pg8000_connect(port)
    try:
        rows = con.run("select * from typed")
        assert [c["type_oid"] for c in con.columns] == [OIDS[t] for _, t, _ in TYPED]
        got = dict(zip([n for n, _, _ in TYPED], rows[0]))
        for name, pgtype, value in TYPED:
            assert got[name] == value, (name, got[name], value)
        assert rows[1] == [None] * len(TYPED)
        # parameters: pg8000 sends every one as text with type OID 0 (unknown);
        # the server types them from their casts, as PostgreSQL does
        sent = [(7, "int2"), (2 ** 40, "int8"), (1.5, "float8"), (Decimal("1.25"), "numeric"),
                ("héllo", "text"), (True, "bool"), (b"\x00\xff", "bytea"),
                (dt.date(2024, 2, 29), "date"), (dt.datetime(2024, 1, 2, 3, 4, 5, 6), "timestamp"),
                (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "timestamptz"),
                (uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), "uuid"),
                ({"a": 1}, "jsonb"), (None, "int4")]
        placeholders = ", ".join(":p%d::%s" % (i, t) for i, (_, t) in enumerate(sent))
        back = con.run("select echo " + placeholders, **{"p%d" % i: v for i, (v, _) in enumerate(sent)})
        # and one untyped parameter: text, as PostgreSQL types `select $1`
        assert con.run("select echo :x", x=5) == [["5"]]
    finally:
        con.close()
    execs = rec.executions("select echo")
    received = execs[-2][1]["query_args"]
    assert execs[-2][1]["param_types"] == [OIDS.get(t, 0) for _, t in sent]
    assert received[:11] == [v for v, _ in sent[:11]]
    assert json.loads(received[11]) == {"a": 1}
    assert received[12] is None
    assert back == [[v for v, _ in sent]]
    assert execs[-1][1]["query_args"] == ["5"]


def test_pg8000_error_then_reuse(rec_server):
    rec, port = rec_server
    con = pg8000_connect(port)
    try:
        with pytest.raises(pg8000_native.DatabaseError) as ei:
            con.run("select boom where :x::int = 1", x=1)
        assert ei.value.args[0]["C"] == "22012"
        assert con.run("select :v::int + 1", v=1) == [[2]]
        con.run("begin")
        with pytest.raises(pg8000_native.DatabaseError):
            con.run("select boom")
        with pytest.raises(pg8000_native.DatabaseError) as ei:
            con.run("select :v::int + 1", v=1)
        assert ei.value.args[0]["C"] == "25P02"
        con.run("rollback")
        assert con.run("select :v::int + 1", v=2) == [[3]]
    finally:
        con.close()


# ----------------------------------------------------------------- psycopg2

class WatchedConnection(psycopg2.extensions.connection):
    """libpq has no read timeout: a watchdog shuts the socket down after
    ``DEADLINE`` seconds, so a server that never answers fails the test
    (OperationalError) instead of hanging it."""

    DEADLINE = 20

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        import os
        import socket
        self._watch_sock = socket.socket(fileno=os.dup(self.fileno()))

        def expire():
            try:
                self._watch_sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._watchdog = threading.Timer(self.DEADLINE, expire)
        self._watchdog.daemon = True
        self._watchdog.start()

    def close(self):
        self._watchdog.cancel()
        self._watch_sock.close()
        super().close()


def psycopg2_connect(port):
    return psycopg2.connect(host="127.0.0.1", port=port, user="u", dbname="d",
                            connect_timeout=T, connection_factory=WatchedConnection)


def test_psycopg2_client_side_parameters_and_description(rec_server):
    rec, port = rec_server
    conn = psycopg2_connect(port)
    try:
        cur = conn.cursor()
        cur.execute("select id, name from people where id = %s and name <> %s", (1, "o'brien"))
        assert cur.fetchall() == [(1, "ann"), (2, "bob")]
        assert [(d.name, d.type_code) for d in cur.description] == [("id", 23), ("name", 25)]
        cur.execute("select * from typed")
        assert [d.type_code for d in cur.description] == [OIDS[t] for _, t, _ in TYPED]
        row = cur.fetchone()
        got = dict(zip([n for n, _, _ in TYPED], row))
        for name, pgtype, value in TYPED:
            if pgtype == "uuid":   # psycopg2 leaves uuid as str unless register_uuid()
                assert uuid.UUID(got[name]) == value
            elif pgtype == "bytea":
                assert bytes(got[name]) == value
            elif pgtype == "float4":
                assert got[name] == pytest.approx(value)
            else:
                assert got[name] == value, (name, got[name], value)
        assert cur.fetchone() == (None,) * len(TYPED)
        conn.rollback()
    finally:
        conn.close()
    # psycopg2 interpolates client-side and sends a simple Query
    sql, kwargs = rec.executions("select id")[0]
    assert sql == "select id, name from people where id = 1 and name <> 'o''brien'"
    assert "query_args" not in kwargs


def test_psycopg2_executemany_and_rowcount(rec_server):
    rec, port = rec_server
    conn = psycopg2_connect(port)
    try:
        cur = conn.cursor()
        cur.executemany("insert into people values (%s, %s)", [(3, "cy"), (4, None), (5, "d'x")])
        assert cur.rowcount == 3
        conn.commit()
    finally:
        conn.close()
    assert [s for s, _ in rec.executions("insert")] == [
        "insert into people values (3, 'cy')",
        "insert into people values (4, NULL)",
        "insert into people values (5, 'd''x')",
    ]


def test_psycopg2_error_then_rollback_and_reuse(rec_server):
    rec, port = rec_server
    conn = psycopg2_connect(port)
    try:
        cur = conn.cursor()
        with pytest.raises(psycopg2.errors.DivisionByZero) as ei:
            cur.execute("select boom")
        assert ei.value.pgcode == "22012"
        assert conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_INERROR
        with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
            cur.execute("select id, name from people")
        conn.rollback()
        assert conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE
        cur.execute("select id, name from people")
        assert cur.fetchall() == [(1, "ann"), (2, "bob")]
        conn.commit()
        # autocommit mode: no BEGIN, the error leaves the session idle
        conn.autocommit = True
        with pytest.raises(psycopg2.errors.DivisionByZero):
            cur.execute("select boom")
        cur.execute("select id, name from people")
        assert cur.rowcount == 2
    finally:
        conn.close()
    # BEGIN / ROLLBACK / COMMIT are answered by riffq, never by the handler
    assert not [s for s, _ in rec.calls if s.strip().lower() in ("begin", "rollback", "commit")]


# ----------------------------------------------- session settings and text

STYLE_VALUES = [{"name": "ts", "type": "timestamptz"}, {"name": "d", "type": "date"},
                {"name": "iv", "type": "interval"}, {"name": "f", "type": "float8"},
                {"name": "b", "type": "bytea"}]
STYLE_ROW = (dt.datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=UTC), dt.date(2024, 1, 31),
             dt.timedelta(days=40, hours=1, seconds=-1), 1 / 3, b"ab\x00\xff")
# What PostgreSQL 15 sends for
#   select timestamptz '2024-01-02 03:04:05.6+00', date '2024-01-31',
#          interval '40 days 1 hour -1 second', 1/3::float8, '\x616200ff'::bytea
# after each SET (TimeZone UTC), read raw with psycopg2 typecasters that
# return the text unchanged.
DEFAULT_TEXT = ("2024-01-02 03:04:05.6+00", "2024-01-31", "40 days 00:59:59",
                "0.3333333333333333", "\\x616200ff")
STYLES = [
    ("set time zone 'UTC'", DEFAULT_TEXT),
    ("set time zone 'Europe/Berlin'", ("2024-01-02 04:04:05.6+01",) + DEFAULT_TEXT[1:]),
    ("set intervalstyle = 'iso_8601'", DEFAULT_TEXT[:2] + ("P40DT59M59S",) + DEFAULT_TEXT[3:]),
    ("set intervalstyle = 'sql_standard'", DEFAULT_TEXT[:2] + ("40 0:59:59",) + DEFAULT_TEXT[3:]),
    ("set intervalstyle = 'postgres_verbose'",
     DEFAULT_TEXT[:2] + ("@ 40 days 59 mins 59 secs",) + DEFAULT_TEXT[3:]),
    ("set datestyle = 'SQL, DMY'", ("02/01/2024 03:04:05.6 UTC", "31/01/2024") + DEFAULT_TEXT[2:]),
    ("set datestyle = 'German'", ("02.01.2024 03:04:05.6 UTC", "31.01.2024") + DEFAULT_TEXT[2:]),
    ("set datestyle = 'Postgres, MDY'",
     ("Tue Jan 02 03:04:05.6 2024 UTC", "01-31-2024") + DEFAULT_TEXT[2:]),
    ("set extra_float_digits = 0", DEFAULT_TEXT[:3] + ("0.333333333333333",) + DEFAULT_TEXT[4:]),
    ("set bytea_output = 'escape'", DEFAULT_TEXT[:4] + ("ab\\000\\377",)),
]
@pytest.mark.parametrize("setting, expected", [
    pytest.param(setting, expected, id=setting[4:].replace(" ", "").replace("'", ""),
                 marks=())
    for setting, expected in STYLES])
def test_psycopg2_text_output_follows_session_settings(serve, setting, expected):
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback((STYLE_VALUES, [STYLE_ROW])))
    port = serve(server).port
    conn = psycopg2_connect(port)
    try:
        conn.autocommit = True
        raw = psycopg2.extensions.new_type((1184, 1082, 1186, 701, 17), "RAW", lambda s, cur: s)
        psycopg2.extensions.register_type(raw, conn)
        cur = conn.cursor()
        cur.execute("set time zone 'UTC'")
        cur.execute(setting)
        cur.execute("select * from styled")
        assert cur.fetchone() == expected
    finally:
        conn.close()


def test_psycopg2_latin1_client_encoding_unrepresentable_character(serve):
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(
        ([{"name": "t", "type": "text"}], [("héllo",)] if "ok" in sql else [("h€llo",)])))
    port = serve(server).port
    conn = psycopg2_connect(port)
    try:
        conn.autocommit = True
        conn.set_client_encoding("LATIN1")
        cur = conn.cursor()
        cur.execute("select ok")
        assert cur.fetchone() == ("héllo",)
        with pytest.raises(psycopg2.Error) as ei:
            cur.execute("select euro")
        assert ei.value.pgcode == "22P05"
        cur.execute("select ok")
        assert cur.fetchone() == ("héllo",)
        assert str(ei.value).startswith(
            'character with byte sequence 0xe2 0x82 0xac in encoding "UTF8" has no equivalent '
            'in encoding "LATIN1"')
    finally:
        conn.close()


# ------------------------------------------------------------------ DuckDB

@pytest.fixture
def duckdb_server(serve):
    duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed in the venv")
    pytest.importorskip("pyarrow", reason="pyarrow is not installed in the venv")
    db = duckdb.connect()
    db.execute("create table t as select i::int as id, 'name' || i as name, i * 1.5 as score, "
               "date '2024-01-01' + i::int as day from range(10) r(i)")
    lock = threading.Lock()

    def handle(sql, callback, **kwargs):
        params = kwargs.get("query_args")
        if params is None:      # describe-only: run with NULLs to learn the columns
            params = [None] * len(kwargs.get("param_types") or [])
        import re
        with lock:
            cur = db.cursor().execute(re.sub(r"\$\d+", "?", sql), params)
            reader = cur.to_arrow_reader() if hasattr(cur, "to_arrow_reader") \
                else cur.fetch_record_batch()
        callback(reader)

    server = riffq.Server("127.0.0.1:0")
    server.on_query(handle)
    return serve(server).port


def test_pg8000_against_duckdb(duckdb_server):
    con = pg8000_connect(duckdb_server)
    try:
        rows = con.run("select id, name, score, day from t where id > :lo::int and name <> :skip "
                       "order by id", lo=6, skip="name8")
        assert rows == [[7, "name7", Decimal("10.5"), dt.date(2024, 1, 8)],
                        [9, "name9", Decimal("13.5"), dt.date(2024, 1, 10)]]
        assert [c["type_oid"] for c in con.columns] == [23, 25, 1700, 1082]
    finally:
        con.close()


def test_psycopg2_against_duckdb(duckdb_server):
    conn = psycopg2_connect(duckdb_server)
    try:
        cur = conn.cursor()
        cur.execute("select count(*) as n, sum(id) as total from t where name like %s", ("name%",))
        assert cur.fetchone() == (10, 45)
        assert [d.name for d in cur.description] == ["n", "total"]
        conn.rollback()
    finally:
        conn.close()


# ------------------------------------------- SQL-level cursors and COPY

def rows_server(serve, calls):
    def handle(sql, callback, **kwargs):
        calls.append(sql)
        if sql.lstrip().lower().startswith(("select", "copy")):
            callback(([{"name": "n", "type": "int4"}, {"name": "s", "type": "text"}],
                      [(i, "r\t%d" % i) for i in range(5)]))
        else:
            callback(("ERROR", "42601", "test handler does not know: %s" % sql), is_error=True)
    server = riffq.Server("127.0.0.1:0")
    server.on_query(handle)
    return serve(server).port


def test_psycopg2_named_cursor_declare_fetch(serve):
    calls = []
    port = rows_server(serve, calls)
    conn = psycopg2_connect(port)
    try:
        cur = conn.cursor(name="c1")
        cur.itersize = 2
        cur.execute("select n, s from t")
        assert [r[0] for r in cur] == [0, 1, 2, 3, 4]
        cur.close()
        conn.commit()
    finally:
        conn.close()
    assert calls == ["select n, s from t"]


def test_psycopg2_named_cursor_scrolls_forward(serve):
    """``scroll()`` sends MOVE (relative, or ABSOLUTE); going back is
    PostgreSQL's error for a NO SCROLL cursor."""
    port = rows_server(serve, [])
    conn = psycopg2_connect(port)
    try:
        cur = conn.cursor(name="c1")
        cur.execute("select n, s from t")
        cur.scroll(1)
        assert cur.fetchone()[0] == 1
        cur.scroll(3, mode="absolute")
        assert cur.fetchone()[0] == 3
        with pytest.raises(psycopg2.errors.ObjectNotInPrerequisiteState):
            cur.scroll(-1)
        conn.rollback()
    finally:
        conn.close()


def test_psycopg2_copy_to_stdout(serve):
    import io
    calls = []
    port = rows_server(serve, calls)
    conn = psycopg2_connect(port)
    try:
        buf = io.StringIO()
        conn.cursor().copy_expert("COPY (select n, s from t) TO STDOUT", buf)
        conn.rollback()
    finally:
        conn.close()
    assert buf.getvalue() == "".join("%d\tr\\t%d\n" % (i, i) for i in range(5))
