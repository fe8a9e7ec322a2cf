"""Every accepted result form, and the public helpers around them."""
from __future__ import annotations

import datetime as dt
import multiprocessing
import socket

import psycopg
import pyarrow as pa
import pytest

import riffq
from riffq.helpers import to_arrow
from riffq.testing import stop_server, wait_for_catalog

TABLE = pa.table({"id": pa.array([1, 2], pa.int64()), "name": pa.array(["a", None])})


def ipc_bytes(table):
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


@pytest.mark.parametrize("make", [
    lambda: TABLE.__arrow_c_stream__(),                     # capsule
    lambda: TABLE,                                          # object with __arrow_c_stream__
    lambda: TABLE.to_batches()[0],                          # a RecordBatch
    lambda: pa.RecordBatchReader.from_batches(TABLE.schema, TABLE.to_batches()),
    lambda: ipc_bytes(TABLE),                               # Arrow IPC stream bytes
    lambda: to_arrow([{"name": "id", "type": "int"}, {"name": "name", "type": "str"}],
                     [(1, "a"), (2, None)]),                # riffq.helpers.to_arrow
    lambda: ([{"name": "id", "type": "int"}, {"name": "name", "type": "string"}], [(1, "a"), (2, None)]),
], ids=["capsule", "table", "batch", "reader", "ipc-bytes", "helpers.to_arrow", "schema-rows"])
def test_result_forms(serve, make):
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(make()))
    bg = serve(server)
    with psycopg.connect(host="127.0.0.1", port=bg.port, user="u", dbname="d", autocommit=True) as conn:
        cur = conn.execute("select *")
        assert [d.name for d in cur.description] == ["id", "name"]
        assert cur.description[0].type_code == 20
        assert cur.fetchall() == [(1, "a"), (2, None)]


def test_to_arrow_types():
    capsule = to_arrow([{"name": "d", "type": "date"}, {"name": "t", "type": "datetime"},
                        {"name": "f", "type": "float"}, {"name": "b", "type": "bool"}],
                       [(dt.date(2024, 1, 1), dt.datetime(2024, 1, 1, 2, 3), 1.5, True)])
    table = pa.RecordBatchReader._import_from_c_capsule(capsule).read_all()
    assert table.schema.types == [pa.date32(), pa.timestamp("us"), pa.float64(), pa.bool_()]


def _serve_forever(port):
    server = riffq.Server("127.0.0.1:%d" % port)
    server.on_query(lambda sql, callback, **kw: callback(([{"name": "x", "type": "int"}], [(7,)])))
    server.start()


def test_wait_for_catalog_and_stop_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = multiprocessing.get_context("spawn").Process(target=_serve_forever, args=(port,))
    proc.start()
    try:
        waited = wait_for_catalog(port, "db", "select x", 7)
        assert 0 <= waited < 30
        with pytest.raises(TimeoutError):
            wait_for_catalog(port, "db", "select x", 8, attempts=2)
    finally:
        stop_server(proc, grace=5)
    assert not proc.is_alive()
    assert proc.exitcode == 0      # SIGTERM is a graceful stop


def test_register_catalog_api_validates_columns():
    server = riffq.RiffqServer("127.0.0.1:0")
    server.register_database("mydb")
    server.register_schema("mydb", "public")
    server.register_table("mydb", "public", "users", [
        {"id": {"type": "int", "nullable": False}},
        {"name": {"type": "string", "nullable": True}},
    ])
    tables = server._server.catalog.databases["mydb"]["public"]
    assert [c["name"] for c in tables["users"]] == ["id", "name"]
    assert tables["users"][0]["nullable"] is False
    with pytest.raises(TypeError):
        server.register_table("mydb", "public", "bad", [{"id": "int"}])


def test_set_tls_missing_file_fails_at_once(tmp_path):
    server = riffq.RiffqServer("127.0.0.1:0")
    with pytest.raises(OSError):
        server.set_tls(str(tmp_path / "nope.crt"), str(tmp_path / "nope.key"))


@pytest.mark.parametrize("addr, expected", [
    ("127.0.0.1:5433", ("127.0.0.1", 5433)), ("[::1]:5433", ("::1", 5433)), (":0", ("0.0.0.0", 0)),
])
def test_listen_addr_forms(addr, expected):
    assert riffq.server.parse_listen_addr(addr) == expected


def test_ipv6_listen(serve):
    if not socket.has_ipv6:
        pytest.skip("this machine has no IPv6 support")
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError as exc:
        pytest.skip("cannot bind ::1 here: %s" % exc)
    server = riffq.Server("[::1]:0")
    server.on_query(lambda sql, callback, **kw: callback(([{"name": "x", "type": "int"}], [(1,)])))
    bg = serve(server)
    with psycopg.connect(host="::1", port=bg.port, user="u", dbname="d") as conn:
        assert conn.execute("q").fetchone() == (1,)
