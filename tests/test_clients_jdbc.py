"""pgjdbc against riffq: a small Java program (tests/jdbc/RiffqJdbc.java),
compiled at test time, prints what it sees; the tests assert its output."""
from __future__ import annotations

import os
import subprocess
import threading

import pytest

import riffq
from certkit import Pki
from clientkit import RecordingHandler, compile_jdbc_program, serve_recorder
from riffq.auth import scram_verifier


@pytest.fixture(scope="module")
def jdbc_classpath(tmp_path_factory):
    return compile_jdbc_program(tmp_path_factory.mktemp("jdbc"), "RiffqJdbc.java")


class Recorder(RecordingHandler):
    def answer(self, sql, q, callback, kwargs):
        args = kwargs.get("query_args")
        if q.startswith("select id, name from people"):
            callback(([{"name": "id", "type": "int4"}, {"name": "name", "type": "text"}],
                      [(1, "ann"), (2, "bob")]))
        elif q.startswith("select echo"):
            types = {23: "int4", 1043: "varchar", 25: "text", 1114: "timestamp", 20: "int8",
                     701: "float8", 1700: "numeric", 16: "bool", 17: "bytea", 1082: "date",
                     2950: "uuid", 1184: "timestamptz", 1009: "text[]"}
            cols = [{"name": "c%d" % i, "type": types.get(t, "text")}
                    for i, t in enumerate(kwargs.get("param_types") or [])]
            callback((cols, [tuple(args)] if args is not None else []))
        elif q.startswith("select n from series"):
            limit = args[0] if args else 10
            callback(([{"name": "n", "type": "int4"}], [(i,) for i in range(min(limit, 10))]))
        elif q == "select $1::int + 1":
            callback(([{"name": "?column?", "type": "int4"}], [(args[0] + 1,)] if args else []))
        elif q.startswith("insert into people"):
            callback("INSERT 0 1", is_tag=True)
        elif q.startswith("select * from typed"):
            import datetime as dt
            import uuid
            from decimal import Decimal
            cols = [("i2", "int2", 7), ("i8", "int8", 2 ** 40), ("f8", "float8", 0.1),
                    ("num", "numeric", Decimal("12.50")), ("b", "bool", True),
                    ("by", "bytea", b"\x00\xff"), ("d", "date", dt.date(2024, 2, 29)),
                    ("ts", "timestamp", dt.datetime(2024, 1, 2, 3, 4, 5, 600000)),
                    ("u", "uuid", uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
                    ("ia", "int4[]", [1, None, 3]), ("ta", "text[]", ["a", "b c"])]
            callback(([{"name": n, "type": t} for n, t, _ in cols], [tuple(v for _, _, v in cols)]))
        else:
            self.fallback(sql, q, callback)


@pytest.fixture
def rec_server(serve):
    return serve_recorder(serve, Recorder())


def run_java(jdbc_classpath, port, scenario, *props):
    java, cp = jdbc_classpath
    res = subprocess.run([java, "-cp", cp, "RiffqJdbc", str(port), scenario, *props],
                         capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, JAVA_TOOL_OPTIONS="-Dfile.encoding=UTF-8"))
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert lines[-1] == "done", lines
    return lines[:-1]


def test_statement_execute_query(jdbc_classpath, rec_server):
    rec, port = rec_server
    assert run_java(jdbc_classpath, port, "statement") == [
        "cols id:int4 name:text",
        "row 1|ann",
        "row 2|bob",
        "update 1",
        "show PostgreSQL JDBC Driver",
        # pgjdbc 42.7 no longer sets extra_float_digits (PostgreSQL 15 shows 1 too)
        "extra_float_digits 1",
    ]
    # the driver's startup SET (application_name) and the SHOWs were answered
    # by riffq, not by the handler
    assert not [s for s, _ in rec.calls if s.lower().startswith(("set", "show"))]


def test_prepared_statement_int_string_timestamp(jdbc_classpath, rec_server):
    rec, port = rec_server
    assert run_java(jdbc_classpath, port, "prepared") == [
        "echo 42|héllo 'x'|2024-01-02 03:04:05.123456",
        "echo -1|NULL|1999-12-31 23:59:59.0",
    ]
    import datetime as dt
    ex = rec.executions("select echo")
    assert [k["query_args"] for _, k in ex] == [
        [42, "héllo 'x'", dt.datetime(2024, 1, 2, 3, 4, 5, 123456)],
        [-1, None, dt.datetime(1999, 12, 31, 23, 59, 59)],
    ]
    # setInt -> int4, setString -> varchar, setTimestamp -> unspecified, typed by the cast
    assert ex[0][1]["param_types"] == [23, 1043, 1114]


def test_fetch_size_suspends_portal(jdbc_classpath, rec_server):
    rec, port = rec_server
    assert run_java(jdbc_classpath, port, "fetchsize") == [
        "fetched 0,1,2,3,4,5,6,7,8,9,",
        "fetched 0,1,2,3,4,5,6,7,8,9,",
    ]
    # one handler run per query, however many Executes fetched it
    assert len(rec.executions("select n from series")) == 2


def test_prepared_statement_past_prepare_threshold(jdbc_classpath, rec_server):
    rec, port = rec_server
    assert run_java(jdbc_classpath, port, "reuse") == ["reuse 1,11,21,31,41,51,61,71,"]
    assert [k["query_args"] for _, k in rec.executions("select $1")] == [[i * 10] for i in range(8)]


def test_execute_batch(jdbc_classpath, rec_server):
    rec, port = rec_server
    assert run_java(jdbc_classpath, port, "batch") == ["batch 1,1,1,"]
    ex = rec.executions("insert")
    assert [k["query_args"] for _, k in ex] == [[1, "n1"], [2, "n2"], [3, "n3"]]


def test_error_then_rollback_and_reuse(jdbc_classpath, rec_server):
    rec, port = rec_server
    assert run_java(jdbc_classpath, port, "error") == [
        "error 22012 ERROR: division by zero",
        "after 1|ann",
        "after 2|bob",
        "error 22012",
        "error 25P02",
        "after 1|ann",
        "after 2|bob",
    ]


def test_result_types(jdbc_classpath, rec_server):
    rec, port = rec_server
    assert run_java(jdbc_classpath, port, "types") == [
        "types int2,int8,float8,numeric,bool,bytea,date,timestamp,uuid,_int4,_text,",
        "value i2=7",
        "value i8=1099511627776",
        "value f8=0.1",
        "value num=12.50",
        "value b=true",
        "value by=00ff",
        "value d=2024-02-29",
        "value ts=2024-01-02 03:04:05.6",
        "value u=a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "value ia=[1, null, 3]",
        "value ta=[a, b c]",
    ]


def test_pool_style_session_settings_and_savepoints(jdbc_classpath, rec_server):
    rec, port = rec_server
    assert run_java(jdbc_classpath, port, "session") == [
        "isolation 8",
        "readonly true",
        "row 1|ann",
        "row 2|bob",
        "error 22012",
        "row 1|ann",
        "row 2|bob",
        "valid true",
    ]
    # SET SESSION CHARACTERISTICS, SHOW TRANSACTION ISOLATION LEVEL, SAVEPOINT,
    # ROLLBACK TO SAVEPOINT, BEGIN/COMMIT and isValid's empty query: all riffq's own
    assert [s for s, _ in rec.calls] == ["select id, name from people", "select boom",
                                         "select id, name from people"]


def test_multi_statement_execute_and_get_more_results(jdbc_classpath, rec_server):
    rec, port = rec_server
    assert run_java(jdbc_classpath, port, "multi") == [
        "result 0 rows 2",
        "result 1 update 1",
        "result 2 rows 10",
    ]


def test_parameters_of_many_types_text_then_binary(jdbc_classpath, rec_server):
    """pgjdbc sends text parameters and reads text results for the first
    four executions, then (prepareThreshold=5) a named statement with
    binary transfer; the output is what PostgreSQL 15 gives for
    ``select ?::int8, ...`` with the same driver calls."""
    rec, port = rec_server
    expected = ("1099511627776|0.1|-12.340|true|0001ff|2024-02-29|"
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|2024-01-02 03:04:05.5|[a, b c, null]")
    assert run_java(jdbc_classpath, port, "params") == ["round %d %s" % (i, expected)
                                                         for i in range(7)]
    import datetime as dt
    import uuid
    from decimal import Decimal
    ex = rec.executions("select echo")
    assert len(ex) == 7
    for _, k in ex:
        assert k["query_args"] == [
            2 ** 40, 0.1, Decimal("-12.340"), True, b"\x00\x01\xff", dt.date(2024, 2, 29),
            uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            dt.datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=dt.timezone.utc), ["a", "b c", None]]


def test_result_type_change_of_a_server_prepared_statement(jdbc_classpath, serve):
    """Past prepareThreshold the statement is named (S_1) and results are
    binary; the result type then changes (ALTER TABLE). pgjdbc parses the
    statement again after the ALTER's command tag (S_2, with a fresh
    Describe), so it decodes the new type; PostgreSQL 15 prints the same.
    (Unlike asyncpg, see test_clients_asyncpg.py's cached-statement tests.)"""
    state = {"altered": False}

    def handle(sql, callback, **kwargs):
        if sql.lower().startswith("alter"):
            state["altered"] = True
            callback("ALTER TABLE", is_tag=True)
        elif not state["altered"]:
            callback(([{"name": "x", "type": "int4"}], [(7,)]))
        else:
            callback(([{"name": "x", "type": "text"}], [("abcd",)]))

    server = riffq.Server("127.0.0.1:0")
    server.on_query(handle)
    port = serve(server).port
    assert run_java(jdbc_classpath, port, "schemachange") == [
        "before 7,7,7,7,7,7,",
        "after text abcd",
        "after text abcd",
    ]


def test_autosave_always_recovers_inside_a_transaction(jdbc_classpath, rec_server):
    """autosave=always wraps each statement of a transaction in SAVEPOINT
    PGJDBC_AUTOSAVE and rolls back to it after an error, so the statement
    after the error succeeds instead of failing with 25P02."""
    rec, port = rec_server
    java, cp = jdbc_classpath
    res = subprocess.run([java, "-cp", cp, "RiffqJdbc", str(port), "error", "autosave=always"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.splitlines() == [
        "error 22012 ERROR: division by zero",
        "after 1|ann",
        "after 2|bob",
        "error 22012",
        "no error",
        "after 1|ann",
        "after 2|bob",
        "done",
    ]


class SecureConn(riffq.BaseConnection):
    """SCRAM with a stored verifier; ``select slow`` waits until cancelled."""

    def __init__(self, conn_id, executor):
        super().__init__(conn_id, executor)
        self.cancelled = threading.Event()

    def get_password(self, user, database):
        return scram_verifier("jdbc pw") if user == "u" else None

    def handle_cancel(self):
        self.cancelled.set()

    def handle_query(self, sql, callback=callable, **kwargs):
        if sql == "select slow":
            self.cancelled.wait(10)
            callback(([{"name": "late", "type": "int"}], [(1,)]))    # discarded: already cancelled
        else:
            callback(([{"name": "id", "type": "int4"}, {"name": "name", "type": "text"}],
                      [(1, "ann")]))


@pytest.fixture(scope="module")
def jdbc_pki(tmp_path_factory):
    pki = Pki(str(tmp_path_factory.mktemp("jdbcpki")))
    return pki, pki.server("server")


@pytest.mark.parametrize("binding", ["disable", "require"])
def test_scram_over_verified_tls(jdbc_classpath, serve, jdbc_pki, binding):
    pki, cert = jdbc_pki
    server = riffq.RiffqServer("127.0.0.1:0", connection_cls=SecureConn)
    server.set_tls(cert["crt"], cert["key"])
    port = serve(server, tls=True, require_tls=True).port
    tls = ["host=localhost", "sslmode=verify-full", "sslrootcert=" + pki.ca, "password=jdbc pw",
           "channelBinding=" + binding]
    assert run_java(jdbc_classpath, port, "whoami", *tls) == ["row 1|ann"]
    # a wrong password is refused as PostgreSQL words it
    java, cp = jdbc_classpath
    res = subprocess.run([java, "-cp", cp, "RiffqJdbc", str(port), "whoami",
                          *tls[:-2], "password=wrong"], capture_output=True, text=True, timeout=60)
    assert res.returncode != 0
    assert 'password authentication failed for user "u"' in res.stdout + res.stderr
    # and a plain connection is refused outright
    res = subprocess.run([java, "-cp", cp, "RiffqJdbc", str(port), "whoami", "password=jdbc pw"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode != 0 and "no encryption" in res.stdout + res.stderr


def test_statement_cancel(jdbc_classpath, serve):
    server = riffq.RiffqServer("127.0.0.1:0", connection_cls=SecureConn)
    port = serve(server).port
    lines = run_java(jdbc_classpath, port, "cancel", "password=jdbc pw")
    assert lines == ["error 57014 ERROR: canceling statement due to user request", "fast true",
                     "after 1|ann"]
