"""The wire core end to end: real clients (psycopg 3, psql) against riffq."""
from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import psycopg
import pytest

import riffq
from pgclient import RawClient, error_fields, msg, query, startup_packet


def rows_handler(rows_by_sql, calls=None):
    """A query handler answering fixed SQL texts with ``(schema, rows)``."""
    def handle(sql, callback, **kwargs):
        if calls is not None:
            calls.append((sql, kwargs))
        if sql in rows_by_sql:
            callback(rows_by_sql[sql])
        else:
            callback(("ERROR", "42601", "unknown query %r" % sql), is_error=True)
    return handle


def low_level(handler, **hooks):
    server = riffq.Server("127.0.0.1:0")
    server.on_query(handler)
    for name, fn in hooks.items():
        getattr(server, "on_" + name)(fn)
    return server


def connect(port, **kw):
    kw.setdefault("user", "user")
    kw.setdefault("autocommit", True)
    return psycopg.connect(host="127.0.0.1", port=port, dbname=kw.pop("dbname", "db"), **kw)


def test_rows_in_every_python_type_reach_psycopg(serve):
    schema = [{"name": n, "type": t} for n, t in [
        ("i", "int"), ("f", "float"), ("b", "bool"), ("s", "str"), ("d", "date"),
        ("ts", "datetime"), ("n", "numeric"), ("by", "bytea"), ("arr", "int[]")]]
    row = (42, 0.1, True, "héllo ☃", dt.date(2024, 2, 29), dt.datetime(2024, 1, 2, 3, 4, 5, 600000),
           Decimal("12.50"), b"\x00\xff", [1, None, 3])
    bg = serve(low_level(rows_handler({"select it": (schema, [row, (None,) * 9])})))
    with connect(bg.port) as conn:
        got = conn.execute("select it").fetchall()
    assert got[0] == (42, 0.1, True, "héllo ☃", dt.date(2024, 2, 29),
                      dt.datetime(2024, 1, 2, 3, 4, 5, 600000), Decimal("12.50"), b"\x00\xff", [1, None, 3])
    assert got[1] == (None,) * 9


def test_a_server_without_a_query_handler_refuses_statements_and_keeps_serving(serve):
    """No ``on_query``: each statement for the handler gets 0A000, simple
    and extended alike, and the connection stays usable."""
    bg = serve(riffq.Server("127.0.0.1:0"))
    with connect(bg.port) as conn:
        # a client-side cursor sends a simple Query; the others Parse/Bind/Execute
        for cur, prepare in ((psycopg.ClientCursor(conn), None), (conn.cursor(), False),
                             (conn.cursor(), True)):
            with pytest.raises(psycopg.errors.FeatureNotSupported) as info:
                cur.execute("select 1", prepare=prepare)
            assert info.value.sqlstate == "0A000"
            assert "this server has no query handler" in str(info.value)
        assert conn.execute("show server_version").fetchone()[0]


def test_handler_error_reaches_client_with_its_sqlstate(serve):
    bg = serve(low_level(rows_handler({})))
    with connect(bg.port) as conn:
        with pytest.raises(psycopg.errors.SyntaxError) as info:
            conn.execute("select nope")
        assert info.value.diag.sqlstate == "42601"
        assert "unknown query 'select nope'" in info.value.diag.message_primary
        assert info.value.diag.severity == "ERROR"


def test_handler_exception_is_xx000_and_connection_stays_usable(serve):
    def handler(sql, callback, **kwargs):
        if sql == "boom":
            raise RuntimeError("kaput")
        callback(([{"name": "x", "type": "int"}], [(1,)]))
    bg = serve(low_level(handler))
    with connect(bg.port) as conn:
        with pytest.raises(psycopg.errors.InternalError_) as info:
            conn.execute("boom")
        assert info.value.diag.sqlstate == "XX000"
        assert "RuntimeError: kaput" in info.value.diag.message_primary
        assert conn.execute("ok").fetchone() == (1,)


@pytest.mark.parametrize("answer, expect", [
    (((None,), {}), "answered None"),
    (((object(),), {}), "unusable result of type object"),
    (((("only two", "parts"),), {"is_error": True}), "unusable form"),
    (((("ERROR", "bad", "msg"),), {"is_error": True}), "invalid SQLSTATE"),
    (((123,), {"is_tag": True}), "unusable command tag"),
])
def test_unusable_callback_answers_become_clear_xx000(serve, answer, expect):
    args, kwargs = answer
    bg = serve(low_level(lambda sql, callback, **kw: callback(*args, **kwargs)))
    with connect(bg.port) as conn:
        with pytest.raises(psycopg.Error) as info:
            conn.execute("anything")
        assert info.value.diag.sqlstate == "XX000"
        assert expect in info.value.diag.message_primary
        # the connection survives: the next statement gets the same kind of answer
        with pytest.raises(psycopg.Error) as again:
            conn.execute("again")
        assert again.value.diag.sqlstate == "XX000" and not conn.closed


def test_callback_called_twice_keeps_first_answer(serve):
    def handler(sql, callback, **kwargs):
        callback(([{"name": "x", "type": "int"}], [(1,)]))
        callback(([{"name": "x", "type": "int"}], [(2,)]))
    bg = serve(low_level(handler))
    with connect(bg.port) as conn:
        assert conn.execute("q").fetchall() == [(1,)]
        assert conn.execute("q").fetchall() == [(1,)]


def test_callback_from_another_thread_later(serve):
    def handler(sql, callback, **kwargs):
        threading.Timer(0.05, lambda: callback("INSERT 0 3", is_tag=True)).start()
    bg = serve(low_level(handler))
    with connect(bg.port) as conn:
        cur = conn.execute("insert something")
        assert cur.statusmessage == "INSERT 0 3"
        assert cur.rowcount == 3


def test_slow_handler_does_not_block_other_connections(serve):
    release = threading.Event()
    order = []

    def handler(sql, callback, **kwargs):
        if sql == "slow":
            release.wait(5)
            order.append("slow done")
        else:
            order.append("fast done")
        callback(([{"name": "x", "type": "str"}], [(sql,)]))
    bg = serve(low_level(handler))
    slow = connect(bg.port)
    t = threading.Thread(target=lambda: slow.execute("slow").fetchall())
    t.start()
    try:
        with connect(bg.port) as other:
            assert other.execute("fast").fetchone() == ("fast",)
        # the fast query finished while the slow handler was still waiting
        assert order == ["fast done"]
    finally:
        release.set()
        t.join(10)
        slow.close()
    assert order == ["fast done", "slow done"]


def test_sql_text_reaches_handler_untouched(serve):
    calls = []
    sql = "SELECT  'MiXeD' AS \"Case\" -- comment"
    bg = serve(low_level(rows_handler({}, calls)))
    with connect(bg.port) as conn:
        with pytest.raises(psycopg.Error):
            conn.execute(sql)
    assert calls[0][0] == sql
    assert calls[0][1]["connection_id"] >= 1


def test_set_show_reset_answered_by_server(serve):
    calls = []
    bg = serve(low_level(rows_handler({}, calls)))
    with connect(bg.port) as conn:
        conn.execute("SET application_name = 'riffq test'")
        assert conn.info.parameter_status("application_name") == "riffq test"
        assert conn.execute("SHOW application_name").fetchone() == ("riffq test",)
        conn.execute("SET TIME ZONE 'Europe/Berlin'")
        assert conn.info.parameter_status("TimeZone") == "Europe/Berlin"
        assert conn.execute("show transaction isolation level").fetchone() == ("read committed",)
        conn.execute("RESET ALL")
        assert conn.execute("SHOW application_name").fetchone() == ("",)
        conn.execute("DISCARD ALL")
        with pytest.raises(psycopg.errors.UndefinedObject) as info:
            conn.execute("SHOW no_such_setting")
        assert info.value.diag.sqlstate == "42704"
        names = [r[0] for r in conn.execute("SHOW ALL").fetchall()]
        assert "DateStyle" in names
    assert calls == []  # none of it reached the handler


def test_startup_parameter_status(serve):
    bg = serve(low_level(rows_handler({})), server_version="16.2")
    with connect(bg.port, application_name="myapp") as conn:
        ps = conn.info.parameter_status
        assert ps("server_version") == "16.2"
        assert ps("server_encoding") == "UTF8"
        assert ps("client_encoding") == "UTF8"
        assert ps("DateStyle") == "ISO, MDY"
        assert ps("integer_datetimes") == "on"
        assert ps("standard_conforming_strings") == "on"
        assert ps("IntervalStyle") == "postgres"
        assert ps("application_name") == "myapp"
        assert ps("session_authorization") == "user"
        assert ps("TimeZone")
        assert ps("is_superuser") in ("on", "off")
        assert conn.info.backend_pid >= 1


def test_default_server_version_is_17_4(serve):
    bg = serve(low_level(rows_handler({})))
    with connect(bg.port) as conn:
        assert conn.info.parameter_status("server_version") == "17.4.0"


def test_transaction_status_follows_begin_error_rollback(serve):
    bg = serve(low_level(rows_handler({"q": ([{"name": "x", "type": "int"}], [(1,)])})))
    with connect(bg.port, autocommit=False) as conn:
        TS = psycopg.pq.TransactionStatus
        assert conn.execute("q").fetchone() == (1,)       # psycopg sent BEGIN first
        assert conn.info.transaction_status == TS.INTRANS
        with pytest.raises(psycopg.Error):
            conn.execute("bad")
        assert conn.info.transaction_status == TS.INERROR
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("q")
        conn.rollback()
        assert conn.info.transaction_status == TS.IDLE
        conn.execute("q")
        conn.commit()
        assert conn.info.transaction_status == TS.IDLE


def test_client_encoding_latin1_converts(serve):
    calls = []
    bg = serve(low_level(rows_handler({"select 'é'": ([{"name": "x", "type": "text"}], [("é€"[0],)])}, calls)))
    with connect(bg.port, client_encoding="LATIN1") as conn:
        assert conn.info.parameter_status("client_encoding") == "LATIN1"
        assert conn.execute("select 'é'").fetchone() == ("é",)
    assert calls[0][0] == "select 'é'"


def test_unknown_client_encoding_is_refused_like_postgres(serve):
    bg = serve(low_level(rows_handler({})))
    with pytest.raises(psycopg.OperationalError) as info:
        connect(bg.port, client_encoding="NOPE")
    assert 'invalid value for parameter "client_encoding": "NOPE"' in str(info.value)


def test_low_level_hooks_and_disconnect_once(serve):
    events = []

    def auth(conn_id, user, password, host, *, callback, database=None):
        events.append(("auth", conn_id, user, password, database))
        callback(password == "pw")

    def on_connect(conn_id, ip, port, *, callback, server_name=None):
        events.append(("connect", conn_id, ip, server_name))
        callback(True)

    def on_disconnect(conn_id, ip, port, **kw):
        events.append(("disconnect", conn_id))

    bg = serve(low_level(rows_handler({"q": ([{"name": "x", "type": "int"}], [(1,)])}),
                         authentication=auth, connect=on_connect, disconnect=on_disconnect))
    with connect(bg.port, password="pw", dbname="mydb") as conn:
        conn.execute("q")
        cid = conn.info.backend_pid
    with pytest.raises(psycopg.OperationalError) as info:
        connect(bg.port, password="wrong")
    assert 'password authentication failed for user "user"' in str(info.value)
    deadline = time.time() + 5
    while time.time() < deadline and sum(e[0] == "disconnect" for e in events) < 2:
        time.sleep(0.01)
    assert ("auth", cid, "user", "pw", "mydb") in events
    assert ("connect", cid, "127.0.0.1", None) in events
    assert [e for e in events if e[0] == "disconnect"].count(("disconnect", cid)) == 1
    assert sum(e[0] == "disconnect" for e in events) == 2
    assert sum(e[0] == "connect" for e in events) == 1   # the rejected client never connected


def test_connect_hook_can_reject_with_custom_error(serve):
    def on_connect(conn_id, ip, port, callback, **kw):
        callback(False, "go away", "FATAL", "28000")
    bg = serve(low_level(rows_handler({}), connect=on_connect))
    with pytest.raises(psycopg.OperationalError) as info:
        connect(bg.port)
    assert "go away" in str(info.value)


def test_conn_ids_unique_and_one_instance_per_connection(serve):
    instances = []

    class Conn(riffq.BaseConnection):
        def handle_query(self, sql, callback=callable, **kwargs):
            instances.append((self.conn_id, id(self), kwargs["connection_id"]))
            callback(([{"name": "id", "type": "int"}], [(self.conn_id,)]))

    server = riffq.RiffqServer("127.0.0.1:0", connection_cls=Conn)
    bg = serve(server)
    ids = []
    for _ in range(3):
        with connect(bg.port) as conn:
            a = conn.execute("q").fetchone()[0]
            b = conn.execute("q").fetchone()[0]
            assert a == b == conn.info.backend_pid
            ids.append(a)
    assert ids == sorted(ids) and len(set(ids)) == 3
    by_conn = {}
    for cid, obj, kw_cid in instances:
        assert cid == kw_cid
        by_conn.setdefault(cid, set()).add(obj)
    assert all(len(objs) == 1 for objs in by_conn.values())
    deadline = time.time() + 5
    while server.connections and time.time() < deadline:
        time.sleep(0.01)
    assert server.connections == {}


def test_multiple_statements_in_one_query_psql(serve, psql):
    calls = []
    bg = serve(low_level(rows_handler({
        "select 1": ([{"name": "a", "type": "int"}], [(1,)]),
        "select 'x;y'": ([{"name": "b", "type": "str"}], [("x;y",)]),
    }, calls)))
    out = psql(bg.port, "-At", "-c", "select 1; SET search_path = public; select 'x;y'; show search_path")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:4] == ["1", "SET", "x;y", "public"]
    assert [c[0] for c in calls] == ["select 1", "select 'x;y'"]
    # the first error ends the message: the rest is skipped
    calls.clear()
    out = psql(bg.port, "-At", "-c", "select 1; select nope; select 'x;y'")
    assert out.returncode != 0
    assert "unknown query" in out.stderr
    assert [c[0] for c in calls] == ["select 1", "select nope"]


def test_raw_message_sequence_for_multi_statement_query(serve):
    bg = serve(low_level(rows_handler({"q": ([{"name": "x", "type": "int"}], [(7,)])})))
    c = RawClient(bg.port)
    first = c.connect()
    types = [t for t, _ in first]
    assert types[0] == b"R" and types[-2:] == [b"K", b"Z"]
    assert all(t == b"S" for t in types[1:-2])
    c.send(query("q; ; q"))
    got = c.read_until(b"Z")
    assert [t for t, _ in got] == [b"T", b"D", b"C", b"T", b"D", b"C", b"Z"]
    assert got[2][1] == b"SELECT 1\0"
    c.send(query("  -- nothing\n ;"))
    assert [t for t, _ in c.read_until(b"Z")] == [b"I", b"Z"]
    c.close()


def test_unknown_message_type_is_fatal_08p01_and_others_unaffected(serve):
    bg = serve(low_level(rows_handler({"q": ([{"name": "x", "type": "int"}], [(7,)])})))
    bystander = connect(bg.port)
    c = RawClient(bg.port)
    c.connect()
    c.send(msg(b"~", b"junk"))
    t, body = c.read_message()
    assert t == b"E"
    f = error_fields(body)
    assert f["S"] == "FATAL" and f["C"] == "08P01"
    assert c.closed()
    assert bystander.execute("q").fetchone() == (7,)
    bystander.close()


@pytest.mark.parametrize("packet", [
    b"\x00\x00\x00\x03",                        # length below the minimum
    b"\x00\x01\x00\x00" + b"\x00" * 8,          # 65536 bytes: over the startup limit
], ids=["too-short", "oversized"])
def test_bad_startup_packet_lengths_are_fatal_08p01(serve, packet):
    bg = serve(low_level(rows_handler({})))
    c = RawClient(bg.port)
    c.send(packet)
    t, body = c.read_message()
    assert t == b"E"
    assert error_fields(body)["C"] == "08P01"
    assert c.closed()


def test_missing_terminator_in_startup_packet(serve):
    bg = serve(low_level(rows_handler({})))
    c = RawClient(bg.port)
    body = b"\x00\x03\x00\x00user\x00u\x00"
    c.send((len(body) + 4).to_bytes(4, "big") + body)
    t, body = c.read_message()
    assert t == b"E" and error_fields(body)["C"] == "08P01"
    assert c.closed()


def test_ssl_and_gssenc_requests_answered_n(serve):
    bg = serve(low_level(rows_handler({"q": ([{"name": "x", "type": "int"}], [(7,)])})))
    c = RawClient(bg.port)
    c.send((8).to_bytes(4, "big") + (80877104).to_bytes(4, "big"))   # GSSENCRequest
    assert c.read_byte() == b"N"
    c.send((8).to_bytes(4, "big") + (80877103).to_bytes(4, "big"))   # SSLRequest
    assert c.read_byte() == b"N"
    got = c.connect()
    assert got[-1][0] == b"Z"
    c.close()


def test_invalid_utf8_is_22021_and_session_continues(serve):
    bg = serve(low_level(rows_handler({"q": ([{"name": "x", "type": "int"}], [(7,)])})))
    c = RawClient(bg.port)
    c.connect()
    c.send(query(b"select '\xff\xfe'"))
    got = c.read_until(b"Z")
    assert got[0][0] == b"E" and error_fields(got[0][1])["C"] == "22021"
    c.send(query("q"))
    assert [t for t, _ in c.read_until(b"Z")] == [b"T", b"D", b"C", b"Z"]
    c.close()


def test_cancel_request_gets_no_reply_and_is_closed(serve):
    bg = serve(low_level(rows_handler({})))
    c = RawClient(bg.port)
    c.send((16).to_bytes(4, "big") + (80877102).to_bytes(4, "big") + b"\0\0\0\1" + b"abcd")
    assert c.closed()
    assert c.buf == b""


def test_protocol_3_2_request_is_negotiated_down(serve):
    bg = serve(low_level(rows_handler({"q": ([{"name": "x", "type": "int"}], [(7,)])})))
    c = RawClient(bg.port)
    c.send(startup_packet(version=196610, **{"_pq_.thing": "1"}))
    got = c.read_until(b"Z")
    assert got[0][0] == b"v"
    assert got[0][1][:8] == (0).to_bytes(4, "big") + (1).to_bytes(4, "big")
    assert b"_pq_.thing\0" in got[0][1]
    assert got[-1][0] == b"Z"
    c.close()


def test_terminate_closes_cleanly(serve):
    bg = serve(low_level(rows_handler({})))
    c = RawClient(bg.port)
    c.connect()
    c.send(msg(b"X"))
    assert c.closed()


def test_forward_transaction_control_sends_begin_to_the_handler(serve):
    seen = []

    class Conn(riffq.BaseConnection):
        forward_transaction_control = True

        def handle_query(self, sql, callback=callable, **kwargs):
            seen.append(sql)
            if sql.upper() in ("BEGIN", "COMMIT", "ROLLBACK"):
                callback(sql.upper(), is_tag=True)
            else:
                callback(([{"name": "x", "type": "int"}], [(1,)]))

    bg = serve(riffq.RiffqServer("127.0.0.1:0", connection_cls=Conn))
    with connect(bg.port, autocommit=False) as conn:
        conn.execute("q")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        conn.commit()
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert seen == ["BEGIN", "q", "COMMIT"]


def test_auth_refusal_with_custom_error(serve):
    class Conn(riffq.BaseConnection):
        def handle_auth(self, user, password, host, database=None, callback=callable):
            callback(False, "account locked", "FATAL", "28000")

    bg = serve(riffq.RiffqServer("127.0.0.1:0", connection_cls=Conn))
    with pytest.raises(psycopg.OperationalError) as info:
        connect(bg.port, password="x")
    assert "account locked" in str(info.value)


def test_no_handle_auth_override_means_no_password_asked(serve, psql):
    class Conn(riffq.BaseConnection):
        def handle_query(self, sql, callback=callable, **kwargs):
            callback(([{"name": "x", "type": "int"}], [(1,)]))

    bg = serve(riffq.RiffqServer("127.0.0.1:0", connection_cls=Conn))
    out = psql(bg.port, "-At", "-c", "q")     # -w: psql would fail if asked for a password
    assert out.returncode == 0 and out.stdout.strip() == "1", out.stderr


def test_blocking_handlers_run_side_by_side_and_others_stay_quick(serve):
    """Handlers run on the loop's own thread until one blocks; then another
    thread takes the loop over. Ten handlers sleeping at once must not queue
    behind each other, and quick queries keep their pace meanwhile."""
    def handler(sql, callback, **kwargs):
        if sql == "sleep":
            time.sleep(1.0)
        callback(([{"name": "x", "type": "str"}], [(sql,)]))
    bg = serve(low_level(handler))
    conns = [connect(bg.port) for _ in range(10)]
    try:
        threads = [threading.Thread(target=lambda c=c: c.execute("sleep").fetchall())
                   for c in conns]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        with connect(bg.port) as other:
            slowest = 0.0
            for _ in range(20):
                q0 = time.monotonic()
                assert other.execute("quick").fetchone() == ("quick",)
                slowest = max(slowest, time.monotonic() - q0)
        for t in threads:
            t.join(15)
        elapsed = time.monotonic() - t0
    finally:
        for c in conns:
            c.close()
    assert elapsed < 5.0, "sleeping handlers ran one after another (%.1f s)" % elapsed
    assert slowest < 0.5, "a quick query waited %.2f s behind blocked handlers" % slowest


def test_riffq_server_calls_handle_disconnect_for_every_session(serve):
    """Also for one that never needed its instance (trust, no query), as the
    original package calls it once for every connection."""
    import riffq

    ended = []

    class Noted(riffq.BaseConnection):
        def handle_query(self, sql, callback=callable, **kwargs):
            callback(([{"name": "x", "type": "int"}], [(1,)]))

        def handle_disconnect(self, ip, port, callback=callable):
            ended.append(self.conn_id)
            callback(True)

    bg = serve(riffq.RiffqServer("127.0.0.1:0", connection_cls=Noted), auth_method="trust")
    with connect(bg.port) as idle:
        idle_id = idle.info.backend_pid
    with connect(bg.port) as busy:
        busy.execute("select 1")
        busy_id = busy.info.backend_pid
    deadline = time.time() + 5
    while time.time() < deadline and len(ended) < 2:
        time.sleep(0.01)
    assert sorted(ended) == sorted([idle_id, busy_id])
