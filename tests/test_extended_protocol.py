"""The extended query protocol with psycopg 3 and raw messages."""
from __future__ import annotations

import datetime as dt
import struct
import uuid
from decimal import Decimal

import psycopg
import pytest
from psycopg.types.json import Jsonb

import riffq
from pgclient import RawClient, error_fields, msg


def echo_server(calls):
    """Answers every statement with its parameters as one row (or ``1``)."""
    def handle(sql, callback, **kwargs):
        calls.append((sql, kwargs))
        if sql.startswith("fail"):
            callback(("ERROR", "22012", "division by zero"), is_error=True)
            return
        if sql.startswith("rows"):
            n = int(sql.split()[1])
            callback(([{"name": "n", "type": "int4"}], [(i,) for i in range(n)]))
            return
        args = kwargs.get("query_args") or [1]
        callback(([{"name": "c%d" % i, "type": None} for i in range(len(args))], [tuple(args)]))
    server = riffq.Server("127.0.0.1:0")
    server.on_query(handle)
    return server


def connect(port, **kw):
    return psycopg.connect(host="127.0.0.1", port=port, user="u", dbname="d", autocommit=True, **kw)


PARAMS = [
    42, -7, 2 ** 40, 1.25, float("inf"), Decimal("12.345"), "héllo", "", True, False,
    dt.date(2024, 2, 29), dt.datetime(2024, 1, 2, 3, 4, 5, 6),
    dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc), dt.time(13, 14, 15, 500000),
    dt.timedelta(days=3, seconds=7, microseconds=8), uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    b"\x00\x01\xff", [1, 2, None], ["a", "b c"],
]


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_parameters_of_every_type_reach_the_handler(serve, binary):
    calls = []
    bg = serve(echo_server(calls))
    placeholders = ", ".join(["%b" if binary else "%s"] * len(PARAMS))
    with connect(bg.port) as conn:
        cur = conn.cursor(binary=binary)
        row = cur.execute("select " + placeholders, PARAMS).fetchone()
    sql, kwargs = calls[-1]
    expected = list(PARAMS)
    if not binary:
        # psycopg sends a text-mode list of str untyped (OID 0); PostgreSQL
        # then takes the parameter as text, and so do we.
        assert kwargs["param_types"][-1] == 25
        expected[-1] = '{a,"b c"}'
    assert sql.startswith("select $1, $2")
    assert kwargs["query_args"] == expected
    assert len(kwargs["param_types"]) == len(PARAMS)
    assert list(row) == expected      # and back again, in the result format asked for


def test_json_parameter_arrives_as_text(serve):
    calls = []
    bg = serve(echo_server(calls))
    with connect(bg.port) as conn:
        conn.execute("select %s", [Jsonb({"a": [1, 2]})])
    assert calls[-1][1]["query_args"] == ['{"a": [1, 2]}']
    assert calls[-1][1]["param_types"] == [3802]


def test_prepared_statement_reused_and_executed_once_per_call(serve):
    calls = []
    bg = serve(echo_server(calls))
    with connect(bg.port, prepare_threshold=0) as conn:
        for i in range(3):
            assert conn.execute("select %s::int", [i]).fetchone() == (i,)
    executing = [c for c in calls if not c[1].get("do_describe")]
    assert [c[1]["query_args"] for c in executing] == [[0], [1], [2]]
    assert all(c[0] == "select $1::int" for c in executing)


def test_pipeline_with_an_error_in_the_middle(serve):
    calls = []
    bg = serve(echo_server(calls))
    with connect(bg.port) as conn:
        with pytest.raises(psycopg.errors.DivisionByZero):
            with conn.pipeline():
                c1 = conn.execute("select %s", [1])
                conn.execute("fail %s", [2])
                conn.execute("select %s", [3])
        assert c1.fetchone() == (1,)
        assert conn.execute("select %s", [4]).fetchone() == (4,)
    assert [c[1].get("query_args") for c in calls if not c[1].get("do_describe")] == [[1], [2], [4]]


def test_set_and_show_through_extended_protocol(serve):
    calls = []
    bg = serve(echo_server(calls))
    with connect(bg.port) as conn:
        conn.execute("set application_name = 'x'", prepare=True)
        assert conn.execute("show application_name", prepare=True).fetchone() == ("x",)
    assert calls == []


# ----------------------------------------------------------------- raw bytes

def parse(name, sql, types=()):
    return msg(b"P", name.encode() + b"\0" + sql.encode() + b"\0" + struct.pack("!h", len(types))
               + b"".join(struct.pack("!i", t) for t in types))


def bind(portal, stmt, params=(), formats=(), result_formats=()):
    body = portal.encode() + b"\0" + stmt.encode() + b"\0" + struct.pack("!h", len(formats))
    body += b"".join(struct.pack("!h", f) for f in formats) + struct.pack("!h", len(params))
    for p in params:
        body += struct.pack("!i", -1) if p is None else struct.pack("!i", len(p)) + p
    body += struct.pack("!h", len(result_formats)) + b"".join(struct.pack("!h", f) for f in result_formats)
    return msg(b"B", body)


def describe(kind, name):
    return msg(b"D", kind + name.encode() + b"\0")


def execute(portal, max_rows=0):
    return msg(b"E", portal.encode() + b"\0" + struct.pack("!i", max_rows))


SYNC = msg(b"S")


def types_of(messages):
    return [t.decode() for t, _ in messages]


def test_portal_suspension_and_single_execution(serve):
    calls = []
    bg = serve(echo_server(calls))
    c = RawClient(bg.port)
    c.connect()
    c.send(parse("", "rows 5") + bind("", "") + describe(b"P", "") + execute("", 2) + execute("", 2)
           + execute("", 1) + execute("", 2) + SYNC)
    got = c.read_until(b"Z")
    assert types_of(got) == ["1", "2", "T", "D", "D", "s", "D", "D", "s", "D", "s", "C", "Z"]
    assert got[-2][1] == b"SELECT 0\0"
    assert len([k for k in calls if not k[1].get("do_describe")]) == 1
    c.close()


def test_error_discards_until_sync_then_recovers(serve):
    calls = []
    bg = serve(echo_server(calls))
    c = RawClient(bg.port)
    c.connect()
    c.send(parse("s1", "select $1::int4") + bind("", "s1", [b"abc"]) + execute("") + parse("s2", "x")
           + SYNC)
    got = c.read_until(b"Z")
    assert types_of(got) == ["1", "E", "Z"]
    f = error_fields(got[1][1])
    assert f["C"] == "22P02" and 'invalid input syntax for type integer: "abc"' in f["M"]
    c.send(bind("", "s1", [b"5"]) + execute("") + SYNC)
    assert types_of(c.read_until(b"Z")) == ["2", "D", "C", "Z"]
    c.close()


@pytest.mark.parametrize("messages, code", [
    (lambda: parse("", "select 1; select 2"), "42601"),
    (lambda: bind("", "nope"), "26000"),
    (lambda: parse("", "select $1") + bind("", "", []), "08P01"),
    (lambda: execute("nope"), "34000"),
    (lambda: describe(b"S", "nope"), "26000"),
    (lambda: parse("dup", "select 1") + parse("dup", "select 2"), "42P05"),
])
def test_bad_extended_messages_get_postgres_sqlstates(serve, messages, code):
    calls = []
    bg = serve(echo_server(calls))
    c = RawClient(bg.port)
    c.connect()
    c.send(messages() + SYNC)
    got = c.read_until(b"Z")
    errors = [error_fields(b) for t, b in got if t == b"E"]
    assert len(errors) == 1 and errors[0]["C"] == code, got
    c.send(parse("", "select 1") + bind("", "") + execute("") + SYNC)
    assert types_of(c.read_until(b"Z"))[-3:] == ["D", "C", "Z"]
    c.close()


def test_handler_declares_parameter_types(serve):
    seen = []

    class Conn(riffq.BaseConnection):
        def describe_parameters(self, sql, param_types):
            seen.append((sql, list(param_types)))
            return ["int8", None, 1082]

        def handle_query(self, sql, callback=callable, **kwargs):
            seen.append(kwargs.get("query_args"))
            args = kwargs.get("query_args") or [None, None, None]
            callback(([{"name": "a", "type": "int8"}, {"name": "b", "type": "text"},
                       {"name": "c", "type": "date"}], [tuple(args)]))

    bg = serve(riffq.RiffqServer("127.0.0.1:0", connection_cls=Conn))
    c = RawClient(bg.port)
    c.connect()
    c.send(parse("s", "select $1, $2, $3") + describe(b"S", "s")
           + bind("", "s", [b"7", b"x", b"2024-02-29"]) + execute("") + SYNC)
    got = c.read_until(b"Z")
    assert types_of(got) == ["1", "t", "T", "2", "D", "C", "Z"]
    assert got[1][1] == struct.pack("!hIII", 3, 20, 25, 1082)
    assert seen[0] == ("select $1, $2, $3", [25, 25, 25])
    assert seen[-1] == [7, "x", dt.date(2024, 2, 29)]
    c.close()


def test_json_parameters_parsed_when_asked(serve):
    seen = []

    class Conn(riffq.BaseConnection):
        parse_json_parameters = True

        def handle_query(self, sql, callback=callable, **kwargs):
            seen.append(kwargs.get("query_args"))
            callback("OK", is_tag=True)

    bg = serve(riffq.RiffqServer("127.0.0.1:0", connection_cls=Conn))
    with connect(bg.port) as conn:
        conn.execute("select %s, %s", [Jsonb({"a": [1, None]}), "plain"])
    assert seen == [[{"a": [1, None]}, "plain"]]


def test_psycopg_executemany(serve):
    calls = []
    bg = serve(echo_server(calls))
    with connect(bg.port) as conn:
        conn.cursor().executemany("insert %s %s", [(i, "r%d" % i) for i in range(5)])
    assert [c[1]["query_args"] for c in calls if not c[1].get("do_describe")] == \
        [[i, "r%d" % i] for i in range(5)]


@pytest.mark.parametrize("mode", ["extended", "prepared"])
def test_pgbench_protocol_modes_have_no_failures(serve, mode, tmp_path):
    import glob
    import subprocess
    pgbench = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))
    if not pgbench:
        pytest.fail("pgbench not found: make test installs the postgresql package")
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(([{"name": "one", "type": "int4"}], [(1,)])))
    bg = serve(server)
    script = tmp_path / "one.sql"
    script.write_text("\\set x random(1, 100)\nselect :x;\n")
    out = subprocess.run([pgbench[-1], "-h", "127.0.0.1", "-p", str(bg.port), "-U", "u", "-n",
                          "-f", str(script), "-c", "4", "-j", "2", "-t", "200", "-M", mode, "d"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "number of transactions actually processed: 800/800" in out.stdout
    assert "number of failed transactions: 0" in out.stdout


def test_psycopg_named_cursor_streams_through_declare_and_fetch(serve):
    calls = []
    bg = serve(echo_server(calls))
    with psycopg.connect(host="127.0.0.1", port=bg.port, user="u", dbname="d") as conn:
        with conn.cursor("big") as cur:
            cur.itersize = 3
            cur.execute("rows 10")
            assert [r[0] for r in cur] == list(range(10))
            assert cur.description[0].name == "n"
        with conn.cursor("withargs") as cur:
            cur.execute("select %s, %s", [1, "x"])
            assert cur.fetchall() == [(1, "x")]
    assert [c[0] for c in calls] == ["rows 10", "select $1, $2"]     # each query run once
    assert calls[1][1]["query_args"] == [1, "x"]
