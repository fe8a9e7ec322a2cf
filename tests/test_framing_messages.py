"""Byte-level tests of the framing and message codec (no sockets)."""
from __future__ import annotations

import random
import struct

import pytest

from riffq._wire import messages as m
from riffq._wire.errors import PgError, ProtocolViolation
from riffq._wire.framing import MAX_STARTUP_PACKET, Framer
from pgclient import msg, query, startup_packet


def frames(data: bytes, startup: bool = True, split=None):
    """Feed ``data`` in pieces and collect every message the framer yields."""
    f = Framer()
    f.startup = startup
    out = []
    pieces = [data] if split is None else split(data)
    for piece in pieces:
        f.feed(piece)
        while True:
            got = f.next_message()
            if got is None:
                break
            out.append(got)
            if got[0] is None:
                f.startup = False
    return out, f


def test_startup_then_typed_messages_any_split():
    data = startup_packet(user="u", database="d") + query("select 1") + msg(b"S") + msg(b"X")
    whole, _ = frames(data)
    assert [t for t, _ in whole] == [None, b"Q", b"S", b"X"]
    one_byte, _ = frames(data, split=lambda d: [d[i:i + 1] for i in range(len(d))])
    assert one_byte == whole
    rnd = random.Random(7)
    for _ in range(50):
        cuts = sorted(rnd.sample(range(1, len(data)), 5))
        parts = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
        assert frames(data, split=lambda d: parts)[0] == whole


def test_startup_packet_parses_params():
    (_, body), = frames(startup_packet(user="alice", database="db", application_name="x"))[0]
    sm = m.parse_untyped(body)
    assert sm == m.StartupMessage(196608, {"user": "alice", "database": "db", "application_name": "x"})


@pytest.mark.parametrize("length", [0, 3, 7, MAX_STARTUP_PACKET + 1, -5])
def test_bad_startup_lengths(length):
    f = Framer()
    f.feed(struct.pack("!i", length) + b"\0" * 8)
    with pytest.raises(ProtocolViolation):
        f.next_message()


def test_oversized_typed_message_refused_before_buffering():
    f = Framer()
    f.startup = False
    f.feed(b"S" + struct.pack("!i", 1 << 20))      # Sync claiming 1 MiB
    with pytest.raises(ProtocolViolation):
        f.next_message()
    f = Framer()
    f.startup = False
    f.feed(b"Q" + struct.pack("!i", 3))
    with pytest.raises(ProtocolViolation):
        f.next_message()


def test_special_requests():
    assert m.parse_untyped(struct.pack("!i", 80877103)) == m.SSLRequest()
    assert m.parse_untyped(struct.pack("!i", 80877104)) == m.GSSENCRequest()
    cr = m.parse_untyped(struct.pack("!ii", 80877102, 42) + b"abcd")
    assert cr == m.CancelRequest(42, b"abcd")
    with pytest.raises(PgError) as info:
        m.parse_untyped(struct.pack("!i", 2 << 16) + b"\0")
    assert info.value.sqlstate == "0A000" and info.value.fatal


def test_unknown_type_is_a_violation_and_malformed_bodies_are_errors():
    """An unknown type leaves the stream out of step: FATAL. A body its
    length framed but that does not read (PostgreSQL's three words for it)
    fails only its statement: ERROR, and the session goes on."""
    with pytest.raises(ProtocolViolation):
        m.parse_typed(b"~", b"")
    for type_byte, body, message in (
            (b"Q", b"select 1", "invalid string in message"),
            (b"B", b"\0\0\0\x01", "insufficient data left in message"),
            (b"B", b"\0\0\0\0\0\x01\xff\xff\xff\xfe\0\0", "insufficient data left in message"),
            (b"D", b"Xname\0", "invalid DESCRIBE message subtype 88"),
            (b"C", b"Xname\0", "invalid CLOSE message subtype 88"),
            (b"S", b"extra", "invalid message format")):
        with pytest.raises(PgError) as info:
            m.parse_typed(type_byte, body)
        assert (info.value.sqlstate, info.value.message, info.value.fatal) == ("08P01", message, False)
        assert not isinstance(info.value, ProtocolViolation)


def test_unreadable_startup_packet_is_fatal():
    body = struct.pack("!i", 196608) + b"user\0postgres\0database"     # string cut off
    with pytest.raises(ProtocolViolation) as info:
        m.parse_untyped(body)
    assert info.value.message == "invalid startup packet layout: expected terminator as last byte"
    with pytest.raises(PgError) as info:
        m.parse_untyped(struct.pack("!i", 196608) + b"user\0\xff\xfe\0\0")
    assert info.value.sqlstate == "22021" and info.value.fatal


def test_copy_fail_outside_copy_is_read_leniently():
    """PostgreSQL ignores CopyFail outside COPY without reading it."""
    assert m.parse_typed(b"f", b"why") == m.CopyFail("why")


def test_bind_parse_roundtrip():
    body = (b"p1\0s1\0" + struct.pack("!hh", 1, 1) + struct.pack("!h", 2)
            + struct.pack("!i", 2) + b"42" + struct.pack("!i", -1) + struct.pack("!hh", 1, 1))
    b = m.parse_typed(b"B", body)
    assert b == m.Bind("p1", "s1", (1,), (b"42", None), (1,))
    p = m.parse_typed(b"P", b"s\0select $1\0" + struct.pack("!hi", 1, 23))
    assert p == m.Parse("s", "select $1", (23,))


def test_backend_message_bytes():
    assert m.ready_for_query("I") == b"Z\0\0\0\x05I"
    assert m.command_complete("SELECT 1") == b"C\0\0\0\x0dSELECT 1\0"
    assert m.data_row([b"1", None]) == b"D\0\0\0\x0f\0\x02\0\0\0\x011\xff\xff\xff\xff"
    err = m.error_response("ERROR", "42601", "bad")
    assert err.startswith(b"E") and b"SERROR\0VERROR\0C42601\0Mbad\0\0" in err
    rd = m.row_description([("a", 23, 4, -1, 0)])
    assert rd == b"T" + struct.pack("!i", 4 + 2 + 2 + 18) + b"\0\x01a\0" + struct.pack("!ihihih", 0, 0, 23, 4, -1, 0)


def test_split_data_rows():
    blob = m.data_rows([[b"1"], [b"22"], [None]])
    head, tail = m.split_data_rows(blob, 2)
    assert head == m.data_rows([[b"1"], [b"22"]]) and tail == m.data_row([None])


def test_invalid_utf8_is_22021():
    with pytest.raises(PgError) as info:
        m.parse_typed(b"Q", b"select '\xff'\0")
    assert info.value.sqlstate == "22021" and not info.value.fatal
