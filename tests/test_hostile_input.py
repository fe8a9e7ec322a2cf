"""Input that once took the server down or made it hoard memory.

Each case is a client doing something legal-but-extreme or plainly wrong;
the server must answer that client (or drop it) and keep serving others.
"""
from __future__ import annotations

import struct
import threading
import time

import psycopg
import pytest

import riffq
from pgclient import RawClient, error_fields, msg, query, startup_packet
from riffq._wire.session import HIGH_WATER
from riffq.testing import serve_in_thread
from test_extended_protocol import SYNC, bind, execute, parse


def rows_server(n=5):
    def handle(sql, callback, **kwargs):
        if sql.startswith("fail"):
            callback(("ERROR", "22012", "division by zero"), is_error=True)
            return
        callback(([{"name": "n", "type": "int4"}], [(i,) for i in range(n)]))
    server = riffq.Server("127.0.0.1:0")
    server.on_query(handle)
    return server


def still_serving(port):
    with psycopg.connect(host="127.0.0.1", port=port, user="u", dbname="d", autocommit=True) as conn:
        return conn.execute("q").fetchone() == (0,)


def test_huge_integer_parameter_is_22003_not_a_crash(serve):
    bg = serve(rows_server())
    with psycopg.connect(host="127.0.0.1", port=bg.port, user="u", dbname="d", autocommit=True) as conn:
        with pytest.raises(psycopg.errors.NumericValueOutOfRange):
            conn.execute("select %s::int", ["1" * 5000])
        assert conn.execute("q").fetchone() == (0,)
    assert still_serving(bg.port)


def test_failed_portal_executed_again_in_a_transaction_is_25p02(serve):
    bg = serve(rows_server())
    c = RawClient(bg.port)
    c.connect()
    c.send(query("begin"))
    c.read_until(b"Z")
    c.send(parse("s", "fail") + bind("p1", "s") + execute("p1") + SYNC)
    assert [t for t, _ in c.read_until(b"Z")] == [b"1", b"2", b"E", b"Z"]
    c.send(execute("p1") + SYNC)
    got = c.read_until(b"Z")
    assert error_fields(got[0][1])["C"] == "25P02" and got[-1] == (b"Z", b"E")
    c.close()
    assert still_serving(bg.port)


def test_thousands_of_pipelined_executes_do_not_recurse(serve):
    bg = serve(rows_server(n=3000))
    c = RawClient(bg.port)
    c.connect()
    c.send(parse("", "q") + bind("", "") + execute("", 1) + SYNC)
    c.read_until(b"Z")                          # the portal has run; rows are ready
    c.send(parse("", "q") + bind("", "") + execute("", 1) * 3000 + SYNC)
    got = c.read_until(b"Z")
    kinds = [t for t, _ in got]
    assert kinds.count(b"D") == 3000 and kinds.count(b"s") == 3000 and kinds[-1] == b"Z"
    c.close()
    assert still_serving(bg.port)


def test_client_that_never_reads_cannot_grow_server_output(serve):
    bg = serve(rows_server())
    server = bg.server
    c = RawClient(bg.port)
    c.sock.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_RCVBUF, 32 * 1024)
    c.connect()
    c.sock.setblocking(False)
    sent = 0
    payload = query("show all") * 100
    deadline = time.time() + 3
    while time.time() < deadline:
        try:
            sent += c.sock.send(payload)
        except BlockingIOError:
            time.sleep(0.05)
    buffered = max((conn.buffered() for conn in server._loop.conns), default=0)
    assert sent > 200_000                        # the client did try to flood us...
    assert buffered < HIGH_WATER + 64 * 1024, buffered   # ...and we stopped producing output
    c.close()
    assert still_serving(bg.port)


def test_oversized_password_message_is_refused_before_buffering(serve):
    server = rows_server()
    server.on_authentication(lambda cid, user, password, host, *, callback, database=None: callback(True))
    bg = serve(server)
    c = RawClient(bg.port)
    c.send(startup_packet())
    assert c.read_message()[0] == b"R"
    c.send(b"p" + struct.pack("!i", 100_000_000))     # claims 100 MB
    t, body = c.read_message()
    assert t == b"E" and error_fields(body)["C"] == "08P01"
    assert c.closed()


def test_function_call_gets_error_and_ready_for_query(serve):
    bg = serve(rows_server())
    c = RawClient(bg.port)
    c.connect()
    c.send(msg(b"F", struct.pack("!i", 1234) + struct.pack("!hhh", 0, 0, 0)))
    got = c.read_until(b"Z")
    assert [t for t, _ in got] == [b"E", b"Z"] and error_fields(got[0][1])["C"] == "0A000"
    c.close()


def test_forty_thousand_parameters_are_accepted(serve):
    calls = []

    def handle(sql, callback, **kwargs):
        calls.append(len(kwargs.get("query_args") or []))
        callback(([{"name": "n", "type": "int4"}], [(1,)]))
    server = riffq.Server("127.0.0.1:0")
    server.on_query(handle)
    bg = serve(server)
    n = 40000
    c = RawClient(bg.port)
    c.connect()
    body = b"\0" + b"select " + b",".join(b"$%d" % (i + 1) for i in range(n)) + b"\0" \
        + struct.pack("!H", n) + struct.pack("!i", 23) * n
    c.send(msg(b"P", body) + msg(b"B", b"\0\0" + struct.pack("!H", 0) + struct.pack("!H", n)
                                 + (struct.pack("!i", 1) + b"7") * n + struct.pack("!h", 0))
           + execute("") + SYNC)
    assert [t for t, _ in c.read_until(b"Z")] == [b"1", b"2", b"D", b"C", b"Z"]
    assert calls == [n]
    c.close()


def test_savepoint_tag_from_a_forwarding_handler_outside_a_block(serve):
    class Conn(riffq.BaseConnection):
        forward_transaction_control = True

        def handle_query(self, sql, callback=callable, **kw):
            callback(sql.split()[0].upper(), is_tag=True)
    bg = serve(riffq.RiffqServer("127.0.0.1:0", connection_cls=Conn))
    c = RawClient(bg.port)
    c.connect()
    c.send(query("SAVEPOINT a"))
    assert [t for t, _ in c.read_until(b"Z")] == [b"C", b"Z"]
    c.close()


def test_disconnect_hook_waits_for_the_running_handler(serve):
    order = []
    started = threading.Event()

    def handle(sql, callback, **kw):
        order.append("query start")
        started.set()
        time.sleep(0.3)
        order.append("query end")
        callback("OK", is_tag=True)

    server = riffq.Server("127.0.0.1:0")
    server.on_query(handle)
    server.on_disconnect(lambda cid, ip, port, **kw: order.append("disconnect"))
    bg = serve(server)
    c = RawClient(bg.port)
    c.connect()
    c.send(query("slow"))
    assert started.wait(5)
    c.close()
    deadline = time.time() + 5
    while "disconnect" not in order and time.time() < deadline:
        time.sleep(0.02)
    assert order == ["query start", "query end", "disconnect"]


def test_bad_tls_files_fail_start_at_once(tmp_path):
    crt, key = tmp_path / "x.crt", tmp_path / "x.key"
    crt.write_text("not a certificate")
    key.write_text("not a key")
    server = riffq.Server("127.0.0.1:0")
    server.set_tls(str(crt), str(key))
    t0 = time.time()
    with pytest.raises(Exception) as info:
        serve_in_thread(server, tls=True)
    assert time.time() - t0 < 5
    assert "SSL" in type(info.value).__name__ or "PEM" in str(info.value)


def test_startup_parameter_not_in_utf8_is_fatal_at_once(serve):
    """It used to be answered with an ERROR, which left the client waiting
    for the rest of a startup that could not go on."""
    bg = serve(rows_server())
    c = RawClient(bg.port)
    body = struct.pack("!i", 196608) + b"user\0\xff\xfe\0database\0d\0\0"
    c.send(struct.pack("!i", len(body) + 4) + body)
    t, body = c.read_message()
    fields = error_fields(body)
    assert t == b"E" and (fields["S"], fields["C"]) == ("FATAL", "22021")
    assert c.closed()
    assert still_serving(bg.port)


def test_malformed_bodies_fail_their_statement_not_the_session(serve):
    """Framed by its length but unreadable, a message is PostgreSQL's ERROR
    08P01 (the byte-for-byte comparison is in test_extended_vs_postgres):
    the session, its prepared statements and its transaction go on."""
    bg = serve(rows_server())
    c = RawClient(bg.port)
    c.connect()
    c.send(parse("kept", "q") + SYNC)
    c.read_until(b"Z")
    c.send(query("begin"))
    c.read_until(b"Z")
    c.send(msg(b"B", b"p\0kept\0\0\0\0\x01\xff\xff\xff\xfe\0\0") + execute("p") + SYNC)
    got = c.read_until(b"Z")
    assert [t for t, _ in got] == [b"E", b"Z"] and got[-1][1] == b"E"
    assert error_fields(got[0][1])["C"] == "08P01"
    c.send(query("rollback"))
    c.read_until(b"Z")
    c.send(bind("", "kept") + execute("") + SYNC)
    assert [t for t, _ in c.read_until(b"Z")] == [b"2"] + [b"D"] * 5 + [b"C", b"Z"]
    c.close()
