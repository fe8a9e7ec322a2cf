"""The small-query path: what keeps a ``SELECT 1`` cheap must not change
what the client sees.

Each test pins one of the shortcuts: a statement's whole answer leaves in
one send; parsed messages are remembered by body, but never a Bind's
values; a small row result is encoded in the handler's thread with the
same errors as a streamed one; the receive buffer shared by all
connections never mixes their bytes.
"""
from __future__ import annotations

import datetime
import threading

import pytest

import riffq
from riffq._wire import loop as loop_module
from riffq._wire import messages as m
from riffq._wire.results import row_description, small_rows
from riffq._wire.textcontext import TextContext
from pgclient import RawClient, error_fields, msg, query


def _server(answers):
    srv = riffq.Server("127.0.0.1:0")

    def handle(sql, callback, **kw):
        answer = answers[sql.strip()]
        if callable(answer):
            answer(callback)
        else:
            callback(answer)
    srv.on_query(handle)
    return srv


ONE = ([{"name": "?column?", "type": "int4"}], [(1,)])

EXTENDED_SELECT_1 = (msg(b"P", b"\0select 1\0\0\0") + msg(b"B", b"\0\0\0\0\0\0\0\0")
                     + msg(b"D", b"P\0") + msg(b"E", b"\0\0\0\0\0") + msg(b"S"))


@pytest.fixture
def counted_sends(monkeypatch):
    """How many times each connection handed output to the socket."""
    counts = {}
    original = loop_module.Connection.flush

    def counting(self):
        if self._pending and not self._closed:
            counts[self.peer[1]] = counts.get(self.peer[1], 0) + 1
        return original(self)
    monkeypatch.setattr(loop_module.Connection, "flush", counting)
    return counts


@pytest.mark.parametrize("request_bytes, expect", [
    (EXTENDED_SELECT_1, [b"1", b"2", b"T", b"D", b"C", b"Z"]),
    (query("select 1"), [b"T", b"D", b"C", b"Z"]),
], ids=["extended", "simple"])
def test_a_statement_is_answered_in_one_send(serve, counted_sends, request_bytes, expect):
    bg = serve(_server({"select 1": ONE}))
    c = RawClient(bg.port)
    c.connect()
    port = c.sock.getsockname()[1]
    for _ in range(20):
        before = counted_sends.get(port, 0)
        c.send(request_bytes)
        got = c.read_until(b"Z")
        assert [t for t, _ in got] == expect
        # ParseComplete ... ReadyForQuery: one scatter-gather send, not one
        # before the handler ran and one after
        assert counted_sends[port] - before == 1
    c.close()


def test_remembered_messages_are_the_same_values():
    body = b"\0select $1\0\0\x01\0\0\0\x17"
    first = m.parse_typed(b"P", body, "utf-8")
    assert m.parse_typed(b"P", body, "utf-8") is first
    assert first == m.Parse("", "select $1", (23,))
    # another client encoding reads the same bytes anew
    latin = m.parse_typed(b"Q", "select 'é'\0".encode("latin-1"), "latin-1")
    assert latin.sql == "select 'é'"


def test_a_bind_with_values_is_not_remembered():
    body = b"\0\0\0\0\0\x01\0\0\0\x06secret\0\0"
    bind = m.parse_typed(b"B", body, "utf-8")
    assert bind.params == (b"secret",)
    assert not any(key[1] == body for key in m._remembered)
    empty = b"\0\0\0\0\0\0\0\0"
    m.parse_typed(b"B", empty, "utf-8")
    assert (b"B", empty, "utf-8") in m._remembered


def test_malformed_messages_are_still_refused_after_good_ones(serve):
    bg = serve(_server({"select 1": ONE}))
    c = RawClient(bg.port)
    c.connect()
    c.send(EXTENDED_SELECT_1)
    c.read_until(b"Z")
    # the same Describe with a bad subtype: never taken from the cache
    c.send(msg(b"D", b"X\0") + msg(b"S"))
    got = c.read_until(b"Z")
    fields = error_fields(got[0][1])
    assert got[0][0] == b"E" and fields["C"] == "08P01"
    c.close()


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("answer", ["rows", "few arrow", "many arrow"])
def test_a_character_the_client_encoding_lacks_is_22P05_in_either_format(serve, answer, binary):
    """As in PostgreSQL, whatever the result format: binary text is the
    client's encoding too (it was once XX000, a Python codec message)."""
    import psycopg
    import pyarrow as pa

    values = ["caf\u00e9"] * (1 if answer != "many arrow" else 50_000) + ["euro \u20ac"]
    reader = lambda: pa.RecordBatchReader.from_batches(  # noqa: E731
        pa.schema([("s", pa.string())]), [pa.record_batch([pa.array(values)], names=["s"])])
    bg = serve(_server({
        "rows": ([{"name": "s", "type": "text"}], [(v,) for v in values]),
        "few arrow": lambda callback: callback(reader()),
        "many arrow": lambda callback: callback(reader()),
        "ok": ([{"name": "s", "type": "text"}], [("caf\u00e9",)]),
    }))
    with psycopg.connect(host="127.0.0.1", port=bg.port, user="u", dbname="d", autocommit=True,
                         client_encoding="latin1") as conn:
        cur = conn.cursor(binary=binary)
        with pytest.raises(psycopg.errors.UntranslatableCharacter, match='no equivalent in encoding "LATIN1"'):
            cur.execute(answer)
        assert cur.execute("ok").fetchall() == [("caf\u00e9",)]


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("answer", ["rows", "arrow"])
def test_a_lone_surrogate_in_a_streamed_result_is_an_error_not_a_hang(serve, answer, binary):
    """No encoding has such a character: XX000, whatever the client's encoding
    (describing it as 22P05 once failed, and the statement never ended). Far
    enough into the result to be met while it streams."""
    import psycopg
    import pyarrow as pa

    values = ["fine"] * 100_000 + ["bad \ud800"]
    bg = serve(_server({
        "rows": ([{"name": "s", "type": "text"}], [(v,) for v in values]),
        "arrow": lambda callback: callback(pa.table({"s": pa.array(values)})),
    }))
    with psycopg.connect(host="127.0.0.1", port=bg.port, user="u", dbname="d", autocommit=True) as conn:
        watchdog = threading.Timer(5, conn.cancel_safe)     # a hang then fails as 57014
        watchdog.start()
        try:
            with pytest.raises(psycopg.errors.InternalError_, match="surrogates not allowed"):
                conn.cursor(binary=binary).execute(answer)
        finally:
            watchdog.cancel()


def test_small_result_encoding_errors_keep_their_sqlstate(serve):
    bg = serve(_server({
        "bad int": ([{"name": "n", "type": "int4"}], [(object(),)]),
        "latin": ([{"name": "t", "type": "text"}], [("snow ☃",)]),
        "ok": ONE,
    }))
    c = RawClient(bg.port)
    c.connect(client_encoding="LATIN1")
    c.send(query("bad int"))
    got = c.read_until(b"Z")
    assert got[0][0] == b"E" and error_fields(got[0][1])["C"] == "XX000"
    assert "could not encode the result" in error_fields(got[0][1])["M"]
    c.send(query("latin"))
    got = c.read_until(b"Z")
    assert got[0][0] == b"E" and error_fields(got[0][1])["C"] == "22P05"
    c.send(query("ok"))
    assert [t for t, _ in c.read_until(b"Z")] == [b"T", b"D", b"C", b"Z"]
    c.close()


def test_connections_reading_at_once_never_mix_bytes(serve):
    """All connections receive through one buffer of the loop."""
    answers = {}
    for i in range(8):
        answers["q%d" % i] = ([{"name": "v", "type": "text"}], [("conn %d " % i * 200,)])
    bg = serve(_server(answers))
    errors = []

    def client(i):
        try:
            c = RawClient(bg.port)
            c.connect()
            for _ in range(100):
                c.send(query("q%d" % i) * 3)
                for _ in range(3):
                    got = c.read_until(b"Z")
                    row = got[1][1]
                    assert row.endswith(("conn %d " % i * 200).encode()), row[:40]
            c.close()
        except Exception as exc:  # reported below, with the thread's index
            errors.append((i, exc))
    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors


def test_descriptions_and_tags_are_remembered_per_shape_and_encoding():
    fields = [("é", 23, 4, -1, 0)]
    utf8 = m.row_description(fields, "utf-8")
    assert m.row_description(list(fields), "utf-8") is utf8
    latin1 = m.row_description(fields, "latin-1")
    assert latin1 != utf8 and b"\xe9\x00" in latin1 and b"\xc3\xa9\x00" in utf8
    binary = m.row_description([("é", 23, 4, -1, 1)], "utf-8")
    assert binary != utf8 and binary.endswith(b"\x00\x01")
    assert m.command_complete("SELECT 2") == b"C\x00\x00\x00\x0dSELECT 2\x00"
    assert m.command_complete("SELECT 2") is m.command_complete("SELECT 2")


def test_a_remembered_schema_prints_by_each_sessions_settings(serve):
    """One schema object answered to sessions with different settings: its
    remembered encoders and RowDescription never leak between them."""
    import datetime
    schema = [{"name": "día", "type": "date"}]
    day = datetime.date(2024, 3, 1)
    bg = serve(_server({"d": (schema, [(day,)]), "set": "SET"}))

    def row_and_name(c):
        got = c.read_until(b"Z")
        desc = [body for t, body in got if t == b"T"][0]
        value = [body for t, body in got if t == b"D"][0]
        return desc[2:desc.index(b"\0", 2)], value[6:]
    iso, german = RawClient(bg.port), RawClient(bg.port)
    iso.connect()
    german.connect(client_encoding="LATIN1", DateStyle="German")
    for _ in range(3):          # alternating, so each one's memo is tried
        iso.send(query("d"))
        assert row_and_name(iso) == ("día".encode("utf-8"), b"2024-03-01")
        german.send(query("d", "latin-1"))
        assert row_and_name(german) == ("día".encode("latin-1"), b"01.03.2024")
    iso.send(msg(b"Q", b"SET DateStyle = 'SQL, DMY'\0"))
    iso.read_until(b"Z")
    iso.send(query("d"))
    assert row_and_name(iso) == ("día".encode("utf-8"), b"01/03/2024")
    # the same printing settings in another encoding: the names' bytes follow
    german.send(msg(b"Q", b"SET client_encoding = 'UTF8'\0"))
    german.read_until(b"Z")
    for _ in range(2):
        german.send(query("d"))
        assert row_and_name(german) == ("día".encode("utf-8"), b"01.03.2024")
    iso.close()
    german.close()


@pytest.mark.parametrize("rows", [
    [], [(1, "a", None)], [(None, None, None)], [(-2147483648, "snow ☃", "x" * 300)] * 3,
    [[7, "", "tab\there"]],
], ids=["none", "one", "nulls", "unicode-long", "list-row"])
def test_text_data_rows_frames_as_data_row_does(rows):
    encoders = [str, str, str]
    expect = b"".join(m.data_row([None if v is None else str(v).encode("utf-8") for v in row])
                      for row in rows)
    assert m.text_data_rows(encoders, rows, "utf-8") == expect
    # rows of one value are packed their own way: the same bytes
    for column in range(3):
        single = [(row[column],) for row in rows]
        expect = b"".join(m.data_row([None if v is None else str(v).encode("utf-8")]) for (v,) in single)
        assert m.text_data_rows([str], single, "utf-8") == expect


@pytest.mark.parametrize("many", [1, m.ROW_BY_ROW_MAX + 1], ids=["row-by-row", "by-column"])
def test_text_data_rows_leaves_unusual_rows_to_the_general_path(many):
    """Past ``ROW_BY_ROW_MAX`` rows of several columns the values are printed
    column by column (rows of one value stay row by row): the same refusals,
    wherever the odd row stands."""
    def refuse(v):
        raise ValueError("no")

    def among(odd, fine):
        return [fine] * (many - 1) + [odd] if many > 1 else [odd]
    assert m.text_data_rows([str, str], among((1,), (1, 2)), "utf-8") is None             # too short
    assert m.text_data_rows([str], among({"a": 1}, (1,)), "utf-8") is None                # not a row
    assert m.text_data_rows([str], among("a", ("a",)), "utf-8") is None                   # a string
    assert m.text_data_rows([str, str], among({"a": 1, "b": 2}, (1, 2)), "utf-8") is None  # a mapping
    assert m.text_data_rows([str, refuse], among((1, 2), (1, None)), "utf-8") is None     # cannot print
    assert m.text_data_rows([str], among(("\u2603",), ("a",)), "latin-1") is None         # cannot encode
    assert m.text_data_rows([str], among((1, 2), (1,)), "utf-8") is None                  # one value too many
    assert m.text_data_rows([refuse], among((1,), (None,)), "utf-8") is None              # one value, cannot print


def test_text_data_rows_by_column_frames_as_data_row_does():
    """Random rows of one to five columns, from none to forty rows (so on
    both sides of ``ROW_BY_ROW_MAX``), with NULLs, unicode and long values,
    as tuples, lists and named tuples: the bytes ``data_row`` frames."""
    import collections
    import random
    rnd = random.Random(7)
    values = [None, 0, -1, 2 ** 40, "", "a", "snow \u2603", "x" * 300, "tab\there", 1.5]
    for trial in range(400):
        ncols = rnd.randint(1, 5)
        Row = collections.namedtuple("Row", ["c%d" % i for i in range(ncols)])
        kind = rnd.choice([tuple, list, lambda vs: Row(*vs)])
        rows = [kind([rnd.choice(values) for _ in range(ncols)]) for _ in range(rnd.randint(0, 40))]
        for encoding in ("utf-8", "utf-16-le"):
            expect = b"".join(m.data_row([None if v is None else str(v).encode(encoding) for v in row])
                              for row in rows)
            got = m.text_data_rows([str] * ncols, rows, encoding)
            if kind is tuple or kind is list or (len(rows) > m.ROW_BY_ROW_MAX and ncols > 1):
                assert got == expect, (rows, encoding)
            else:       # named tuples row by row: the general path's (that loop takes plain rows only)
                assert got is None or got == expect


def test_many_rows_with_a_bad_value_are_reported_as_before():
    """A part of many rows goes through ``text_data_rows``; a value it
    cannot print sends the part the general way, which names the column
    and the row, and a character the client encoding lacks still raises."""
    from riffq._wire import pgtypes as T
    from riffq._wire.results import encode_row_part
    columns = [("id", T.INT8), ("label", T.TEXT), ("day", T.DATE)]
    day = datetime.date(2024, 1, 1)
    rows = [(i, "row %d" % i, day) for i in range(1000)]
    assert encode_row_part(columns, rows, TextContext(), "utf-8") == b"".join(
        m.data_row([str(i).encode(), ("row %d" % i).encode(), b"2024-01-01"]) for i in range(1000))
    bad = rows[:500] + [(500, "x", 12345)] + rows[501:]
    with pytest.raises(ValueError, match="'day'.*row 500"):
        encode_row_part(columns, bad, TextContext(), "utf-8")
    with pytest.raises(UnicodeEncodeError):
        encode_row_part(columns, rows[:20] + [(1, "\u2603", day)], TextContext(), "latin-1")
    # rows as mappings still go the general way, with the same bytes
    dicts = [{"id": i, "label": "row %d" % i, "day": day} for i in range(20)]
    assert encode_row_part(columns, dicts, TextContext(), "utf-8") == \
        encode_row_part(columns, rows[:20], TextContext(), "utf-8")


def test_select_tags_are_remembered_by_row_count():
    for n in (0, 1, 63, 1023, 1024, 10 ** 9):
        assert m.select_complete(n) == m.command_complete("SELECT %d" % n)
    assert m.select_complete(5) is m.select_complete(5)


class _Name(str):
    """A str look-alike: equal to and hashed as its plain value."""


def test_declared_schemas_are_remembered_when_plain_only():
    ctx = TextContext()

    def declared(schema):
        """The remembered columns ``small_rows`` finds for a schema, None
        when it leaves the answer to the general way."""
        small = small_rows((schema, []), ctx, "utf-8")
        return None if small is None else small[0]

    plain = [{"name": "a", "type": "int4"}, {"name": "b", "type": "text"}]
    first = declared(plain)
    assert [name for name, _ in first] == ["a", "b"] and [t.oid for _, t in first] == [23, 25]
    assert declared([dict(spec) for spec in plain]) is first       # remembered
    assert small_rows(([dict(spec) for spec in plain], [(1, "x")]), ctx, "utf-8")[1:] == \
        (m.data_row([b"1", b"x"]), 1, row_description(first, "utf-8"))
    for odd in (tuple(plain), [{"name": "a"}], [{"name": "a", "type": None}], [{"type": "int4"}],
                [{"name": 5, "type": "int4"}], [{"name": "a", "type": ["int4"]}], [("a", "int4")],
                [{"name": "a", "type": "no such type"}]):
        assert declared(odd) is None, odd     # the general way, which says what is wrong
    # looking a schema up never changes it: a defaultdict without a name stays
    # without one, for the general way to report
    from collections import defaultdict
    nameless = defaultdict(str, type="int4")
    assert declared([nameless]) is None and "name" not in nameless
    # a look-alike seen first does not decide for the plain schema equal to it
    assert declared([{"name": _Name("c"), "type": "int4"}]) is None
    assert declared([{"name": "c", "type": "int4"}])[0][0] == "c"
