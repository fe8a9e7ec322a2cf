"""Cursors fetched in binary: psycopg's binary server-side cursors, asyncpg's
``fetch("FETCH ...")``, and DECLARE ... BINARY. Each FETCH gets the rows
in its own formats, and they must decode to what the same query gives
without a cursor. The byte-level comparison with PostgreSQL is in
``test_extended_vs_postgres.binary_fetches``."""
from __future__ import annotations

import asyncio
import datetime as dt
import struct
import threading
from decimal import Decimal

import asyncpg
import psycopg
import pyarrow as pa
import pytest

import riffq
from pgclient import RawClient, error_fields, msg, query
from riffq._wire.cursor_rows import open_cursor_rows
from riffq._wire.textcontext import TextContext

UTC = dt.timezone.utc
N = 200


def typed_table(n: int = N) -> pa.Table:
    """Every kind of column a handler commonly answers, with NULLs."""
    def nulls(values):
        return [None if i % 7 == 3 else v for i, v in enumerate(values)]
    ids = list(range(n))
    return pa.table({
        "i2": pa.array(nulls([(i % 300) - 150 for i in ids]), pa.int16()),
        "i8": pa.array(nulls([i * 10 ** 12 - 5 for i in ids]), pa.int64()),
        "f8": pa.array(nulls([i / 3 if i % 11 else float("nan") for i in ids]), pa.float64()),
        "t": pa.array(nulls(["ro\u00e9 %d" % i for i in ids]), pa.string()),
        "b": pa.array(nulls([i % 2 == 0 for i in ids]), pa.bool_()),
        "d": pa.array(nulls([dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in ids]), pa.date32()),
        "ts": pa.array(nulls([dt.datetime(2024, 1, 1, 12) + dt.timedelta(seconds=i * 3601) for i in ids]),
                       pa.timestamp("us")),
        "tz": pa.array(nulls([dt.datetime(2024, 3, 1, tzinfo=UTC) + dt.timedelta(minutes=i) for i in ids]),
                       pa.timestamp("us", tz="UTC")),
        "num": pa.array(nulls([Decimal(i) / 8 for i in ids]), pa.decimal128(12, 3)),
        "raw": pa.array(nulls([bytes([i % 256, 0, 255]) for i in ids]), pa.binary()),
        "arr": pa.array(nulls([[i, None, -i] for i in ids]), pa.list_(pa.int32())),
    })


def arrow_server(table: pa.Table, chunk: int = 64) -> riffq.Server:
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(table.to_reader(max_chunksize=chunk)))
    return server


def same(a, b) -> bool:
    """Rows equal, NaN equal to NaN."""
    def norm(v):
        return "nan" if isinstance(v, float) and v != v else v
    return [tuple(map(norm, r)) for r in a] == [tuple(map(norm, r)) for r in b]


@pytest.mark.parametrize("itersize", [1, 7, 150, 1000])
def test_psycopg_binary_server_cursor_gives_the_rows_of_the_plain_query(serve, itersize):
    bg = serve(arrow_server(typed_table()))
    with psycopg.connect(host="127.0.0.1", port=bg.port, user="u", dbname="d") as conn:
        expected = conn.cursor(binary=True).execute("select * from t").fetchall()
        assert len(expected) == N
        with conn.cursor("bin", binary=True) as cur:
            cur.itersize = itersize
            cur.execute("select * from t")
            got = list(cur)
            assert [c.name for c in cur.description] == typed_table().column_names
        with conn.cursor("txt") as cur:
            cur.itersize = itersize
            cur.execute("select * from t")
            as_text = list(cur)
    assert same(got, expected)
    assert same(as_text, expected)


def test_one_cursor_fetched_in_both_formats_in_turn(serve):
    """psycopg lets each execute choose: binary, text, binary... from one cursor."""
    bg = serve(arrow_server(typed_table(), chunk=50))
    with psycopg.connect(host="127.0.0.1", port=bg.port, user="u", dbname="d") as conn:
        expected = conn.cursor().execute("select * from t").fetchall()
        conn.execute("declare c cursor for select * from t")
        got = []
        for i, n in enumerate([3, 60, 1, 90, 100]):
            got += conn.cursor(binary=i % 2 == 0).execute("fetch %d from c" % n).fetchall()
        assert conn.cursor(binary=True).execute("move all in c").rowcount == 0
    assert same(got, expected)


def test_binary_cursor_of_python_rows(serve):
    server = riffq.Server("127.0.0.1:0")
    rows = [(i, "x%d" % i, None if i % 3 else 1.5) for i in range(50)]
    server.on_query(lambda sql, callback, **kw: callback(
        ([{"name": "n", "type": "int4"}, {"name": "s", "type": "text"}, {"name": "f", "type": "float8"}],
         rows)))
    bg = serve(server)
    with psycopg.connect(host="127.0.0.1", port=bg.port, user="u", dbname="d") as conn:
        with conn.cursor("c", binary=True) as cur:
            cur.itersize = 8
            cur.execute("select rows")
            assert cur.fetchmany(5) == rows[:5]
            cur.scroll(10)          # MOVE: passed over
            assert list(cur) == rows[15:]


def test_declare_binary_in_the_simple_protocol(serve):
    """A BINARY cursor's rows come in binary through a simple Query, and its
    RowDescription says so; MOVE through it sends nothing."""
    bg = serve(arrow_server(typed_table()))
    client = RawClient(bg.port)
    try:
        client.connect(user="u", database="d")
        client.send(query("begin; declare c binary cursor for select * from t; move 1 in c; fetch 2 from c"))
        got = client.read_until(b"Z")
    finally:
        client.close()
    kinds = [t for t, _ in got]
    assert kinds == [b"C", b"C", b"C", b"T", b"D", b"D", b"C", b"Z"]
    assert [body for t, body in got if t == b"C"] == [b"BEGIN\0", b"DECLARE CURSOR\0", b"MOVE 1\0",
                                                      b"FETCH 2\0"]
    fields = got[3][1]
    ncols = struct.unpack("!h", fields[:2])[0]
    assert ncols == 11
    # each field ends with its format code: all 1 (binary)
    codes, at = [], 2
    for _ in range(ncols):
        at = fields.index(b"\0", at) + 1 + 18
        codes.append(struct.unpack("!h", fields[at - 2:at])[0])
    assert codes == [1] * ncols
    # row 1's i2 and i8 columns: two and eight big-endian bytes
    row = got[4][1]
    assert row[2:6] == struct.pack("!i", 2) and row[6:8] == struct.pack("!h", 1 - 150)
    assert row[8:12] == struct.pack("!i", 8) and row[12:20] == struct.pack("!q", 10 ** 12 - 5)


def test_asyncpg_fetches_from_a_declared_cursor(serve):
    # (an array column would send asyncpg to introspect its type, a query
    # this handler does not answer)
    table = typed_table().drop(["arr"])
    bg = serve(arrow_server(table))

    async def main():
        conn = await asyncpg.connect(host="127.0.0.1", port=bg.port, user="u", database="d")
        try:
            plain = await conn.fetch("select * from t")
            got = []
            async with conn.transaction():
                await conn.execute("declare c cursor for select * from t")
                for n in (4, 96, 500):
                    got += await conn.fetch("fetch %d from c" % n)
            return plain, got
        finally:
            await conn.close()
    plain, got = asyncio.run(main())
    assert len(got) == N and len(got[0]) == table.num_columns
    assert same([tuple(r) for r in got], [tuple(r) for r in plain])


def test_a_bound_portal_is_fetched_only_in_its_binds_formats(serve):
    """A portal Bind made holds rows encoded in its Bind's formats once run:
    FETCH takes them in those, and refuses others (PostgreSQL would encode
    them again) with 0A000, the session going on."""
    bg = serve(arrow_server(typed_table()))
    client = RawClient(bg.port)
    try:
        client.connect(user="u", database="d")
        client.send(query("begin") + msg(b"P", b"s\0select * from t\0\0\0")
                    + msg(b"B", b"p\0s\0\0\0\0\0\0\x01\0\x01") + msg(b"E", b"p\0\0\0\0\x02")
                    + msg(b"S"))
        client.read_until(b"Z")
        client.read_until(b"Z")
        client.send(query("fetch 1 from p"))
        refused = client.read_until(b"Z")
        client.send(query("rollback") + query("select 1"))
        after = client.read_until(b"Z") + client.read_until(b"Z")
    finally:
        client.close()
    assert refused[0][0] == b"E" and error_fields(refused[0][1])["C"] == "0A000"
    assert [t for t, _ in after] == [b"C", b"Z", b"T"] + [b"D"] * N + [b"C", b"Z"]



def test_a_fetch_that_runs_a_bound_portal_reports_its_handlers_error(serve):
    """A FETCH naming a portal Bind made (no Execute yet) runs its query:
    the handler's error is the FETCH's, an unrun binary portal keeps its
    Bind's formats like a run one, and the session goes on."""
    def handler(sql, callback, **kwargs):
        if "boom" in sql:
            callback(("ERROR", "22012", "division by zero"), is_error=True)
        else:
            callback(([{"name": "n", "type": "int4"}], [(1,), (2,)]))
    server = riffq.Server("127.0.0.1:0")
    server.on_query(handler)
    bg = serve(server)
    client = RawClient(bg.port)
    try:
        client.connect(user="u", database="d")
        answers = []
        for sql, formats in (("select boom", b"\0\0"), ("select n", b"\0\x01\0\x01")):
            client.send(query("begin") + msg(b"P", b"\0" + sql.encode() + b"\0\0\0")
                        + msg(b"B", b"p\0\0\0\0\0\0" + formats) + msg(b"S"))
            client.read_until(b"Z")
            client.read_until(b"Z")
            client.send(query("fetch 1 from p"))
            answers.append(client.read_until(b"Z"))
            client.send(query("rollback"))
            client.read_until(b"Z")
        client.send(query("select 1"))
        after = client.read_until(b"Z")
    finally:
        client.close()
    failed, refused = answers
    assert failed[0][0] == b"E" and error_fields(failed[0][1])["C"] == "22012", failed
    assert refused[0][0] == b"E" and error_fields(refused[0][1])["C"] == "0A000", refused
    assert [t for t, _ in after] == [b"T", b"D", b"D", b"C", b"Z"]

def counting_cursor(table: pa.Table, chunk: int):
    """A cursor's rows over ``table`` in parts of ``chunk`` rows, and the
    list of what it encodes: (rows, formats) per call."""
    rows = open_cursor_rows(table.to_reader(max_chunksize=chunk), TextContext(), "utf-8")
    encoded = []
    encode = rows._encode

    def counting(part, formats):
        encoded.append((part.num_rows, tuple(formats)))
        return encode(part, formats)
    rows._encode = counting
    return rows, encoded


def encoded_at_once(table: pa.Table, formats) -> bytes:
    whole = open_cursor_rows(table.to_reader(), TextContext(), "utf-8")
    return bytes(whole.take(None, formats)[0])


TEXT, BINARY = (0,) * 11, (1,) * 11


def test_fetches_in_one_format_encode_each_part_once():
    rows, encoded = counting_cursor(typed_table(100), 40)
    got = [rows.take(10, TEXT) for _ in range(5)]
    assert [n for _, n in got] == [10, 10, 10, 10, 10]
    assert encoded == [(40, TEXT), (40, TEXT)]
    assert b"".join(bytes(blob) for blob, _ in got) == encoded_at_once(typed_table(100).slice(0, 50), TEXT)


def test_a_move_passes_over_rows_and_a_new_format_encodes_the_rest_again():
    """MOVE and the rows FETCH ABSOLUTE skips are counted, not encoded; the
    rest of a part encoded in one format is encoded again for a FETCH in
    another, from the rows as the handler gave them."""
    table = typed_table(100)
    rows, encoded = counting_cursor(table, 40)
    assert rows.take(3, BINARY)[1] == 3
    assert rows.take(None, None) == (b"", 37)      # the rest of the first part, passed over
    assert rows.take(50, TEXT)[1] == 40            # at most a part at a time
    assert rows.take(5, None) == (b"", 5)
    three, n = rows.take(3, BINARY)
    assert n == 3
    rest, n = rows.take(1000, TEXT)
    assert n == 12
    assert rows.take(1, TEXT) is None
    assert encoded == [(40, BINARY), (40, TEXT), (15, BINARY), (12, TEXT)]
    assert bytes(three) == encoded_at_once(table.slice(85, 3), BINARY)
    assert bytes(rest) == encoded_at_once(table.slice(88), TEXT)


def test_closing_the_connection_releases_a_cursors_reader(serve):
    released = threading.Event()
    table = typed_table(1000)

    def batches():
        try:
            yield from table.to_batches(max_chunksize=100)
        finally:
            released.set()
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(
        pa.RecordBatchReader.from_batches(table.schema, batches())))
    bg = serve(server)
    with psycopg.connect(host="127.0.0.1", port=bg.port, user="u", dbname="d") as conn:
        conn.execute("declare c cursor with hold for select * from t")
        assert len(conn.cursor(binary=True).execute("fetch 150 from c").fetchall()) == 150
        assert not released.is_set()
    assert released.wait(10), "the reader was not closed when the connection ended"
