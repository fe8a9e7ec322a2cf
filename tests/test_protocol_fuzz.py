"""Random message sequences, each well framed, against one server.

Hand-written hostile cases (test_hostile_input.py) cover what once broke;
this covers the combinations nobody writes by hand: Parse, Bind, Describe,
Execute, Close, Flush, Sync, simple Queries, COPY messages, a FunctionCall
and unknown message types, in any order, with bodies sometimes corrupted,
after a normal startup. Whatever a sequence holds, the server must answer
the Sync and queries sent after it (or close the connection, only for a
Terminate or after a FATAL error), never log an internal error, and
keep serving the next client. The sequences are seeded, so a failure names
the seed and the bytes that reproduce it.
"""
from __future__ import annotations

import logging
import random
import socket
import struct
import time
from typing import List, Optional, Tuple

import psycopg
import pytest

import riffq
from pgclient import msg, startup_packet

#: sequences per seed: a few milliseconds each on the 2-core build machine
SEQUENCES = 400
SENTINEL = "SENTINEL-ANSWER"
READY = b"Z\x00\x00\x00\x05"

ONE = [{"name": "n", "type": "int4"}]


def fuzz_handler(sql, callback, **kwargs):
    """Answers of every kind a handler gives, picked by the first word."""
    import pyarrow as pa

    word = sql.strip().split(" ", 1)[0].lower()
    if word == "fail":
        callback(("ERROR", "22012", "division by zero"), is_error=True)
    elif word == "raise":
        raise RuntimeError("the handler fails")
    elif word == "arrow":
        table = pa.table({"a": pa.array([1, None, 3], pa.int64()), "b": pa.array(["x", "é", None]),
                          "c": pa.array([1.5, float("nan"), None])})
        callback(table.to_reader(max_chunksize=2))
    elif word == "big":
        callback(pa.table({"n": pa.array(range(20000), pa.int64())}).to_reader(max_chunksize=3000))
    elif word in ("insert", "update"):
        callback("INSERT 0 1", is_tag=True)
    elif word == "slow":
        time.sleep(0.01)
        callback((ONE, [(1,)]))
    elif word == "twice":
        callback((ONE, [(1,)]))
        callback((ONE, [(2,)]))
    elif word == "badrows":
        callback((ONE, [("not a number",)]))
    elif word == "weird":
        callback(object())
    elif word == "sentinel":
        callback(([{"name": "s", "type": "text"}], [(SENTINEL,)]))
    else:
        callback(([{"name": "n", "type": "int4"}, {"name": "t", "type": "text"}],
                  [(1, "a"), (None, None)]))


SQL = [
    "select 1", "fail", "raise", "arrow", "big", "insert x", "slow", "twice", "badrows", "weird",
    "begin", "commit", "rollback", "savepoint s", "rollback to s", "release s", "set x.y = 1",
    "set timezone = 'UTC'", "show timezone", "show all", "reset all", "discard all",
    "declare c cursor for select 1", "declare c cursor with hold for arrow", "fetch 1 from c",
    "fetch all c", "move 2 c", "close c", "close all", "prepare p as select 1", "execute p",
    "deallocate p", "deallocate all", "copy t from stdin", "copy (select 1) to stdout",
    "listen x", "notify x", "", ";", "select 1; select 2", "begin; fail; commit",
    "select * from pg_class limit 2", "select relname from pg_class where oid = $1",
    "select $1::int + $2", "select count(*) from pg_attribute", "explain select 1",
    "set transaction isolation level serializable", "start transaction read only", "abort",
    "set application_name = '" + "x" * 100 + "'", "set statement_timeout = 1",
    "set client_encoding = 'LATIN1'", "set search_path = a, b",
    "select set_config('search_path', 'x', false)", "fetch 1 from nope", "execute nope",
    "select * from information_schema.tables limit 1", "set local timezone = 'x'",
]
TYPE_OIDS = [0, 16, 17, 20, 23, 25, 114, 1007, 1184, 1700, 3802, 99999]


class Fuzzer:
    """Makes the sequences of one seed."""

    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)

    def cstr(self, text: str) -> bytes:
        return text.encode("utf-8") + b"\0"

    def name(self) -> str:
        return self.rnd.choice(["", "", "p", "c", "s1", "x" * self.rnd.choice([1, 63, 64, 300])])

    def sql(self) -> str:
        return self.rnd.choice(SQL)

    def value(self):
        r = self.rnd.random()
        if r < 0.2:
            return None
        if r < 0.5:
            return str(self.rnd.choice([0, 1, -1, 2 ** 31, 2 ** 63, "abc", "1.5", "nan", ""])).encode()
        return self.rnd.randbytes(self.rnd.choice([0, 1, 2, 4, 8, 16, 100]))

    def parse(self) -> bytes:
        oids = [self.rnd.choice(TYPE_OIDS) for _ in range(self.rnd.choice([0, 0, 1, 2]))]
        return msg(b"P", self.cstr(self.name()) + self.cstr(self.sql()) + struct.pack("!h", len(oids))
                   + b"".join(struct.pack("!I", o) for o in oids))

    def bind(self) -> bytes:
        n = self.rnd.choice([0, 0, 1, 2, 3])
        formats = [self.rnd.choice([0, 1, 2, -1]) for _ in range(self.rnd.choice([0, 1, n]))]
        body = self.cstr(self.name()) + self.cstr(self.name()) + struct.pack("!h", len(formats))
        body += b"".join(struct.pack("!h", f) for f in formats) + struct.pack("!h", n)
        for _ in range(n):
            v = self.value()
            body += struct.pack("!i", -1) if v is None else struct.pack("!i", len(v)) + v
        results = [self.rnd.choice([0, 1, 5]) for _ in range(self.rnd.choice([0, 1, 2, 3]))]
        body += struct.pack("!h", len(results)) + b"".join(struct.pack("!h", f) for f in results)
        return msg(b"B", body)

    def message(self) -> bytes:
        r = self.rnd.random()
        if r < 0.2:
            return msg(b"Q", self.cstr(self.sql()))
        if r < 0.35:
            return self.parse()
        if r < 0.5:
            return self.bind()
        if r < 0.58:
            return msg(b"D", self.rnd.choice([b"S", b"P", b"X"]) + self.cstr(self.name()))
        if r < 0.7:
            return msg(b"E", self.cstr(self.name()) + struct.pack("!i", self.rnd.choice([0, 0, 1, 2, -1])))
        if r < 0.75:
            return msg(b"C", self.rnd.choice([b"S", b"P", b"Q"]) + self.cstr(self.name()))
        if r < 0.8:
            return msg(b"H")
        if r < 0.9:
            return msg(b"S")
        if r < 0.92:
            return msg(b"d", self.rnd.randbytes(self.rnd.randint(0, 20)))
        if r < 0.93:
            return msg(b"c")
        if r < 0.94:
            return msg(b"f", self.cstr("client gave up"))
        if r < 0.95:
            return msg(b"F", struct.pack("!Ihhh", 1598, 0, 0, 0))
        if r < 0.98:
            return msg(bytes([self.rnd.getrandbits(8)]), self.rnd.randbytes(self.rnd.randint(0, 10)))
        return msg(b"X")

    def corrupted(self, message: bytes) -> bytes:
        """One message in seven has its body changed; its length stays right
        (a wrong length only makes the server wait for bytes, as it should)."""
        body = message[5:]
        if self.rnd.random() >= 1 / 7 or not body:
            return message
        b = bytearray(body)
        i = self.rnd.randrange(len(b))
        kind = self.rnd.randrange(3)
        if kind == 0:
            b[i] = self.rnd.getrandbits(8)
        elif kind == 1:
            del b[i:]
        else:
            b[i:i] = self.rnd.randbytes(self.rnd.randint(1, 8))
        return message[:1] + struct.pack("!i", len(b) + 4) + bytes(b)

    def sequence(self) -> bytes:
        messages = [self.corrupted(self.message()) for _ in range(self.rnd.randint(1, 12))]
        return startup_packet("u", "d") + b"".join(messages)


#: what ends every sequence: CopyDone ends a COPY FROM STDIN left open (and
#: is ignored otherwise), Sync ends an extended-protocol error, ROLLBACK
#: a failed transaction block; then the sentinel's answer must come
TAIL = msg(b"c") + msg(b"S") + msg(b"Q", b"rollback\0") + msg(b"Q", b"sentinel\0")


def outcome(port: int, data: bytes, seconds: float = 5.0) -> Tuple[str, bytes]:
    """('answered', 'closed' or 'waiting' (nothing more came for
    ``seconds``), the bytes the server sent)."""
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as sock:
        try:
            sock.sendall(data + TAIL)
        except OSError:
            pass        # it hung up mid-send: a fatal error came first
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(1 << 20)
            except socket.timeout:
                break
            except OSError:
                return "closed", got
            if not chunk:
                return "closed", got
            got += chunk
            at = got.find(SENTINEL.encode())
            if at >= 0 and READY in got[at:]:
                return "answered", got
        return "waiting", got


def framing_error(stream: bytes) -> Optional[str]:
    """What is wrong with the framing of the server's messages, if anything:
    each is a known type byte and a length of at least 4, and the last one
    ends where the stream does."""
    messages = messages_of(stream)
    for message in messages:
        if message[:1] not in SERVER_TYPES:
            return "a message of type %r" % message[:1]
    framed = sum(len(message) for message in messages)
    return None if framed == len(stream) else "%d bytes after the last whole message" % (
        len(stream) - framed)


def messages_of(stream: bytes, start: int = 0) -> List[bytes]:
    """The messages of a well-framed stream (type byte, length, body), from
    ``start``; a message cut short at the end is left out."""
    out = []
    pos = start
    while len(stream) - pos >= 5:
        (length,) = struct.unpack_from("!i", stream, pos + 1)
        if length < 4 or pos + 1 + length > len(stream):
            break
        out.append(stream[pos:pos + 1 + length])
        pos += 1 + length
    return out


def close_explained(sent: bytes, stream: bytes) -> bool:
    """A server may hang up on a client that said Terminate, or after a
    FATAL error it sent; any other close is a connection lost for nothing."""
    (startup_length,) = struct.unpack_from("!i", sent, 0)
    if any(m[:1] == b"X" for m in messages_of(sent, startup_length)):
        return True
    received = messages_of(stream)
    return bool(received) and received[-1][:1] == b"E" and b"SFATAL\0" in received[-1]


#: what a server sends (protocol 3.0): a message of any other type, or a
#: length of less than 4, means the stream lost its framing
SERVER_TYPES = frozenset(bytes([b]) for b in b"R" b"S" b"K" b"Z" b"T" b"D" b"C" b"E" b"N" b"I"
                         b"1" b"2" b"3" b"n" b"t" b"s" b"G" b"H" b"W" b"d" b"c" b"A" b"V" b"v")


class InternalErrors(logging.Handler):
    """Records what riffq logs as its own failure (a handler that raises is
    the user's, and expected here)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() != "query handler raised":
            self.records.append(self.format(record))


@pytest.fixture(scope="module")
def fuzz_server():
    from riffq.testing import serve_in_thread

    server = riffq.Server("127.0.0.1:0")
    server.on_query(fuzz_handler)
    bg = serve_in_thread(server, catalog_emulation=True)
    yield bg
    bg.stop()


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_sequences_are_answered_without_internal_errors(fuzz_server, seed):
    errors = InternalErrors()
    logger = logging.getLogger("riffq")
    logger.addHandler(errors)
    try:
        fuzzer = Fuzzer(seed)
        for case in range(SEQUENCES):
            data = fuzzer.sequence()
            before = len(errors.records)
            result, stream = outcome(fuzz_server.port, data)
            assert result != "waiting", "seed %d case %d: no answer to the Sync and queries " \
                "after %r" % (seed, case, data)
            problem = framing_error(stream)
            assert problem is None, "seed %d case %d: %s after %r" % (seed, case, problem, data)
            assert result == "answered" or close_explained(data, stream), \
                "seed %d case %d: closed without a Terminate or a FATAL error after %r" % (
                    seed, case, data)
            assert len(errors.records) == before, "seed %d case %d: %r logged %s" % (
                seed, case, data, errors.records[before:])
    finally:
        logger.removeHandler(errors)
    with psycopg.connect(host="127.0.0.1", port=fuzz_server.port, user="u", dbname="d",
                         autocommit=True) as conn:
        assert conn.execute("sentinel").fetchone() == (SENTINEL,)
