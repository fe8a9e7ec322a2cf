"""Byte-level: the same message sequences (extended and simple) sent to a real
PostgreSQL 15 and to riffq must get the same answers.

The riffq handler answers the few SQL texts used here the way PostgreSQL
computes them, so any difference is in the protocol handling: message
order, suspension, error-until-Sync, tags, descriptions and row bytes.
"""
from __future__ import annotations

import struct

import pytest

import riffq
from pgclient import RawClient, msg, query
from test_extended_protocol import SYNC, bind, describe, execute, parse

SERIES = "select generate_series(1, 5) as n"
PLUS = "select $1::int4 + 1 as x"
DIVZERO = "select 1 / (random() * 0)::int as boom"   # volatile: fails at execution
UNDEF = "select * from no_such_table"                    # fails before any row description
EMPTY = ""
SET = "set application_name = 'vs'"
SHOW = "show application_name"
#: two columns, for per-column result formats. Set-returning functions in
#: the select list, as SERIES: PostgreSQL makes a cursor over such a plan
#: NO SCROLL, as riffq's are (over a FROM-clause function it would scroll)
PAIRS = "select generate_series(1, 5) as n, 'r' || generate_series(1, 5) as t"
#: fails at its third row, after two: PostgreSQL divides by zero, riffq's
#: handler answers with a reader that raises there (so only that error differs)
MIDFAIL = "select 1 / (i - 3) as q from generate_series(1, 5) i"


#: a table both servers create for a session, and a row it takes; the
#: handler remembers every INSERT it ran
CREATE_PROBE = "create temp table probe (x int)"
INSERT_PROBE = "insert into probe values (1)"
INSERTED: list = []


def handler(sql, callback, **kwargs):
    if sql == SERIES:
        callback(([{"name": "n", "type": "int4"}], [(i,) for i in range(1, 6)]))
    elif sql == PAIRS:
        callback(([{"name": "n", "type": "int4"}, {"name": "t", "type": "text"}],
                  [(i, "r%d" % i) for i in range(1, 6)]))
    elif sql == PLUS:
        args = kwargs.get("query_args")
        value = None if not args or args[0] is None else args[0] + 1
        callback(([{"name": "x", "type": "int4"}], [] if kwargs.get("do_describe") else [(value,)]))
    elif sql == UNDEF:
        callback(("ERROR", "42P01", 'relation "no_such_table" does not exist'), is_error=True)
    elif sql == DIVZERO and kwargs.get("do_describe"):
        callback(([{"name": "boom", "type": "int4"}], []))     # described without running
    elif sql == DIVZERO:
        callback(("ERROR", "22012", "division by zero"), is_error=True)
    elif sql == MIDFAIL:
        import pyarrow as pa
        schema = pa.schema([("q", pa.int32())])

        def batches():
            yield pa.record_batch([pa.array([0, -1], pa.int32())], schema=schema)
            raise ZeroDivisionError("division by zero")
        callback(pa.RecordBatchReader.from_batches(schema, batches()))
    elif sql == CREATE_PROBE:
        callback("CREATE TABLE", is_tag=True)
    elif sql == INSERT_PROBE:
        INSERTED.append(sql)
        callback("INSERT 0 1", is_tag=True)
    else:
        callback(("ERROR", "42601", "unexpected %r" % sql), is_error=True)


def normalise(messages):
    """Keep what a client can rely on; ErrorResponse reduced to S/C/M."""
    out = []
    for t, body in messages:
        if t in (b"E", b"N"):
            fields = {p[:1]: p[1:] for p in body.split(b"\0") if p}
            body = b"S" + fields[b"S"] + b"C" + fields[b"C"] + b"M" + fields[b"M"]
        out.append((t, body))
    return out


#: a last statement whose answer marks the end of a sequence whose count
#: of ReadyForQuery is not known (a Query sent while the extended protocol
#: skips to Sync gets none): its ParameterStatus comes once, at the end
END = "set application_name = 'end-of-sequence'"
_END_REPORT = (b"S", b"application_name\0end-of-sequence\0")


def exchange(port, user, payload, syncs):
    """The answers to ``payload`` up to its ``syncs``-th ReadyForQuery
    (None: up to the one after ``END``, which ``payload`` ends with)."""
    c = RawClient(port)
    c.connect(user=user, database="postgres")
    c.send(payload)
    got = []
    while syncs is None:
        part = c.read_until(b"Z")
        got += part
        if not part or _END_REPORT in part:
            break
    for _ in range(syncs or 0):
        got += c.read_until(b"Z")
    c.close()
    return normalise(got)


def msg_close(kind, name):
    return msg(b"C", kind + name.encode() + b"\0")


def sequences():
    return {
        "describe-portal-then-suspend": (
            parse("", SERIES) + bind("", "") + describe(b"P", "") + execute("", 2) + execute("", 2)
            + execute("", 1) + execute("", 1) + SYNC, 1),
        "exact-fit-suspends-then-select-0": (
            parse("", SERIES) + bind("", "") + execute("", 5) + execute("", 5) + SYNC, 1),
        "describe-statement-with-param": (
            parse("s1", PLUS, [23]) + describe(b"S", "s1") + bind("", "s1", [b"41"]) + execute("")
            + SYNC, 1),
        "binary-param-binary-result": (
            parse("s1", PLUS, [23]) + bind("", "s1", [struct.pack("!i", 41)], [1], [1])
            + describe(b"P", "") + execute("") + SYNC, 1),
        "null-param": (parse("", PLUS, [23]) + bind("", "", [None]) + execute("") + SYNC, 1),
        "error-discards-until-sync": (
            parse("", DIVZERO) + bind("", "") + execute("") + parse("", SERIES) + bind("", "")
            + execute("") + SYNC + parse("", SERIES) + bind("", "") + execute("", 1) + SYNC, 2),
        "bad-int-parameter": (parse("", PLUS, [23]) + bind("", "", [b"4x"]) + execute("") + SYNC, 1),
        "wrong-parameter-count": (parse("", PLUS, [23]) + bind("", "", []) + SYNC, 1),
        "missing-statement-and-portal": (bind("", "nope") + SYNC + execute("nope") + SYNC, 2),
        "empty-query": (parse("", EMPTY) + bind("", "") + describe(b"P", "") + execute("") + SYNC, 1),
        "set-and-show": (
            parse("", SET) + bind("", "") + execute("") + parse("", SHOW) + bind("", "")
            + describe(b"P", "") + execute("") + SYNC, 1),
        "close-and-reuse-name": (
            parse("a", SERIES) + msg_close(b"S", "a") + parse("a", SERIES) + msg_close(b"S", "missing")
            + SYNC, 1),
        "multiple-commands-refused": (parse("", "select 1; select 2") + SYNC, 1),
        "simple-begin-twice-commit-twice": (query("begin; begin; commit; commit"), 1),
        "simple-failed-transaction": (
            query("begin; %s; %s" % (SERIES, UNDEF)) + query(SERIES) + query("commit"), 3),
        "simple-set-show-and-errors": (
            query("%s; %s" % (SET, SHOW)) + query("set timezone = 'nope'") + query("show nope")
            + query("show transaction isolation level") + query(""), 5),
        "simple-implicit-transaction-undoes-set": (
            query("set application_name = 'gone'; %s" % UNDEF) + query(SHOW)
            + query("%s; set application_name = 'kept'" % SERIES) + query(SHOW), 4),
        "simple-savepoints-scope-set": (
            query("begin; savepoint a; set application_name = 'inner'; rollback to a; %s" % SHOW)
            + query("rollback to nosuch") + query("rollback"), 3),
        "simple-multi-statement-stops-at-error": (
            query("%s; %s; %s" % (SERIES, UNDEF, SERIES)), 1),
        "simple-cursor-declare-fetch-close": (
            query("begin; declare c cursor for %s; fetch 2 from c; fetch forward 2 from c; "
                  "fetch all from c; fetch c; close c; commit" % SERIES), 1),
        "simple-cursor-errors": (
            query("declare c cursor for %s" % SERIES) + query("fetch 1 from nope")
            + query("begin; declare \"C\" cursor with hold for %s; commit" % SERIES)
            + query("fetch next from \"C\"") + query("close \"C\"") + query("close \"C\""), 6),
        "extended-cursor-declare-fetch": (
            parse("", "declare c cursor with hold for %s" % SERIES) + bind("", "") + execute("")
            + SYNC + parse("f", "fetch 2 from c") + bind("", "f") + describe(b"P", "") + execute("")
            + bind("", "f") + execute("") + bind("", "f") + execute("") + bind("", "f") + execute("")
            + parse("", "close c") + bind("", "") + execute("") + SYNC, 2),
        "describe-in-failed-transaction": (
            query("begin") + query(UNDEF) + parse("set1", SET) + describe(b"S", "set1")
            + parse("sel", SERIES) + describe(b"S", "sel") + SYNC + parse("e", EMPTY)
            + describe(b"S", "e") + SYNC + query("rollback"), 4),
        "extended-commit-and-chain": (
            parse("", "begin isolation level serializable") + bind("", "") + execute("") + SYNC
            + parse("", "commit and chain") + bind("", "") + execute("") + SYNC
            + parse("", "show transaction_isolation") + bind("", "") + execute("")
            + parse("", "rollback") + bind("", "") + execute("") + SYNC
            + parse("", "commit and chain") + bind("", "") + execute("") + SYNC, 4),
        "pipeline-error-undoes-set": (
            parse("", SET) + bind("", "") + execute("") + parse("", DIVZERO) + bind("", "")
            + execute("") + SYNC + parse("", SHOW) + bind("", "") + execute("") + SYNC, 2),
        "pipeline-set-then-begin-commit": (
            parse("", SET) + bind("", "") + execute("") + parse("", "begin") + bind("", "")
            + execute("") + parse("", "commit") + bind("", "") + execute("") + SYNC
            + parse("", SHOW) + bind("", "") + execute("") + SYNC, 2),
        "pipelined-syncs": (
            parse("", SERIES) + bind("", "") + execute("", 1) + SYNC + bind("", "") + execute("", 1)
            + SYNC, 2),
        **malformed_bodies(),
        **edge_cases(),
        **settings_in_blocks(),
        **cursors_and_rollbacks(),
        **moving_cursors(),
        **binary_fetches(),
        **transaction_modes(),
    }


def transaction_modes():
    """When a transaction's modes may still change (PostgreSQL's check
    hooks: before the first snapshot, not in a savepoint), what AND CHAIN
    carries over after an error, and what ends with a pipeline's implicit
    transaction."""
    iso = "show transaction_isolation"

    def pipeline(*statements):
        return b"".join(parse("", sql) + bind("", "") + execute("") for sql in statements) + SYNC
    return {
        "isolation-in-a-savepoint": (
            query("begin") + query("savepoint a") + query("set transaction isolation level serializable")
            + query("rollback to a") + query("set transaction isolation level read committed")
            + query("rollback"), 6),
        "read-write-in-a-savepoint-of-a-read-only-block": (
            query("start transaction read only") + query("savepoint a") + query("set transaction read write")
            + query("rollback"), 4),
        "deferrable-in-a-savepoint": (
            query("begin") + query("savepoint a") + query("set transaction deferrable") + query("rollback"), 4),
        "begin-with-modes-in-a-block-warns-then-fails": (
            query("begin") + query(SERIES) + query("begin isolation level serializable") + query(iso)
            + query("rollback"), 5),
        "begin-with-modes-after-a-query-in-the-same-query": (
            query("%s; begin isolation level repeatable read; %s" % (SERIES, SERIES)) + query(iso), 2),
        "close-fixes-the-snapshot": (
            query("begin") + query("close all") + query("set transaction isolation level serializable")
            + query("rollback"), 4),
        "set-transaction-after-a-query-in-a-pipeline": (
            pipeline(SERIES, "set transaction isolation level serializable") + query(iso), 2),
        "rollback-in-a-pipeline-drops-its-hold-cursor": (
            pipeline("declare h cursor with hold for " + SERIES, "rollback") + query("fetch 1 from h"), 2),
        "failed-pipeline-drops-its-hold-cursor": (
            pipeline("declare h cursor with hold for " + SERIES, DIVZERO) + query("fetch 1 from h"), 2),
        "query-before-sync-commits-the-pipeline": (
            parse("", SET) + bind("", "") + execute("") + query(SHOW) + parse("", DIVZERO) + bind("", "")
            + execute("") + SYNC + query(SHOW), 3),
        "query-before-sync-ends-the-pipelines-portals": (
            parse("", SERIES) + bind("b", "") + execute("b", 1) + query(SHOW) + execute("b") + SYNC, 2),
        "committed-pipeline-keeps-its-hold-cursor": (
            pipeline("declare h cursor with hold for " + SERIES, "commit") + query("fetch 1 from h")
            + query("close h"), 3),
        "chain-after-an-error-in-a-savepoint-keeps-the-modes": (
            query("begin isolation level repeatable read") + query("savepoint a") + query(UNDEF)
            + query("commit and chain") + query(iso) + query("rollback"), 6),
        "chain-after-an-error-keeps-what-a-chain-carried": (
            query("begin isolation level repeatable read") + query("commit and chain") + query(UNDEF)
            + query("rollback and chain") + query(iso) + query("rollback"), 6),
    }


def binary_fetches():
    """Each FETCH through the extended protocol has the result formats of
    its own Bind, whatever the FETCH before it had; a BINARY cursor is
    fetched in binary through the simple protocol."""
    def within(declare, extended, queries=()):
        body = query("begin") + query(declare) + extended + b"".join(query(q) for q in queries)
        return body + query("rollback"), 3 + extended.count(SYNC) + len(queries)

    def fetch(sql, formats):
        return parse("", sql) + bind("", "", [], [], formats) + describe(b"P", "") + execute("") + SYNC
    plain = "declare c cursor for " + SERIES
    pairs = "declare c cursor for " + PAIRS
    return {
        "fetch-binary-then-text-then-binary": within(
            plain, fetch("fetch 2 from c", [1]) + fetch("fetch 1 from c", []) + fetch("fetch all c", [1])),
        "fetch-binary-with-a-row-limit": within(
            plain, parse("f", "fetch 3 from c") + bind("p", "f", [], [], [1]) + describe(b"P", "p")
            + execute("p", 2) + execute("p", 2) + SYNC + fetch("fetch next from c", [1])),
        "fetch-binary-after-passing-over-rows": within(
            plain, fetch("move 1 in c", [1]) + fetch("fetch absolute 3 from c", [1])
            + fetch("fetch relative 1 from c", [0])),
        "fetch-per-column-formats": within(
            pairs, fetch("fetch 2 from c", [1, 0]) + fetch("fetch 2 from c", [0, 1])
            + fetch("fetch all from c", [1])),
        "fetch-formats-of-a-described-statement": within(
            pairs, parse("f", "fetch 1 from c") + describe(b"S", "f") + bind("", "f", [], [], [0, 1])
            + describe(b"P", "") + execute("") + bind("", "f", [], [], [1]) + execute("") + SYNC),
        "binary-cursor-in-the-simple-protocol": within(
            "declare c binary cursor for " + PAIRS, b"",
            ["fetch 2 from c", "move 1 in c", "fetch all from c", "fetch 1 from c"]),
        "binary-cursor-fetched-through-the-extended-protocol": within(
            "declare c binary no scroll cursor for " + SERIES,
            fetch("fetch 1 from c", []) + fetch("fetch 1 from c", [1]), ["fetch 1 from c"]),
        "portal-of-a-bind-fetched-in-its-formats": (
            query("begin") + parse("s", SERIES) + bind("p", "s") + execute("p", 2) + SYNC
            + query("fetch 2 from p") + fetch("fetch 1 from p", []) + query("rollback"), 5),
        "binary-cursor-with-hold": (
            query("declare h binary cursor with hold for %s" % SERIES) + query("fetch 2 from h")
            + fetch("fetch 2 from h", []) + query("close h"), 4),
    }


def moving_cursors():
    """FETCH and MOVE by position, on a NO SCROLL cursor: forward only."""
    def within(*statements, extended=b""):
        body = query("begin") + query("declare c cursor for " + SERIES)
        body += b"".join(query(st) for st in statements) + extended
        return body + query("rollback"), 3 + len(statements) + extended.count(SYNC)

    def ext(sql):
        return parse("", sql) + bind("", "") + describe(b"P", "") + execute("") + SYNC
    return {
        "fetch-first-absolute-relative": within("fetch first from c", "fetch absolute 3 from c",
                                                "fetch relative 2 from c", "fetch next from c"),
        "fetch-absolute-backwards-is-refused": within("fetch 2 from c", "fetch absolute 2 from c"),
        "fetch-absolute-0-at-the-start": within("fetch absolute 0 from c", "fetch 1 from c"),
        "fetch-0-off-and-on-a-row": within("fetch 0 from c", "fetch forward 0 from c", "fetch 1 from c",
                                           "fetch 0 from c"),
        "fetch-0-at-the-end": within("fetch all from c", "fetch 0 from c", "fetch relative 0 from c"),
        "fetch-past-the-end": within("fetch absolute 9 from c", "fetch 1 from c", "fetch relative 1 c"),
        "move-then-fetch": within("move 2 in c", "fetch 1 from c", "move 0 in c", "move all in c",
                                  "move 0 in c", "fetch 1 from c"),
        "move-by-position": within("move absolute 3 in c", "fetch 1 c", "move relative 2 in c",
                                   "move forward 10 in c", "move c"),
        "move-backwards-is-refused": within("move backward 1 in c"),
        "going-back-is-refused-when-run-not-when-read": within(
            "fetch prior from c", "fetch last from c", extended=ext("fetch last from c")),
        "going-back-in-the-extended-protocol": within(
            extended=ext("fetch backward 2 from c") + ext("fetch 1 from c")),
        "backward-moves-that-go-nowhere": within(
            "move backward all in c", "move backward 0 in c", "fetch backward -2 from c",
            "move backward 0 in c", "fetch forward -1 from c"),
        "absolute-to-the-row-behind-the-end": within("fetch all from c", "fetch absolute 6 from c"),
        "move-ignores-a-row-limit": within(
            extended=parse("", "move forward all in c") + bind("", "") + execute("", 1) + SYNC
            + ext("fetch 1 from c")),
        "a-suspended-fetch-has-run-to-its-end": within(
            "fetch 1 from c",
            extended=parse("", "fetch all from c") + bind("p", "") + execute("p", 1) + SYNC
            + ext("fetch absolute 6 from c")),
        "a-suspended-fetch-then-simple-queries": within(
            extended=parse("", "fetch all from c") + bind("p", "") + execute("p", 2) + SYNC
            + query("move 0 in c") + query("fetch absolute 6 from c")),
        "a-suspended-fetch-keeps-its-rows": within(
            extended=parse("", "fetch all from c") + bind("p", "") + execute("p", 1) + SYNC
            + ext("move 0 in c") + execute("p", 2) + execute("p") + SYNC),
        "move-and-fetch-by-position-extended": within(
            extended=ext("move 2 in c") + ext("fetch absolute 4 from c") + ext("move 0 in c")
            + ext("fetch relative 0 from c")),
        "fetch-syntax-errors": (
            query("begin") + query("declare c cursor for " + SERIES) + query("fetch") + query("rollback")
            + query("begin") + query("declare c cursor for " + SERIES)
            + query("fetch 99999999999 from c") + query("rollback"), 8),
        "fetch-statement-described-by-its-cursor": within(extended=(
            parse("f", "fetch 2 from c") + describe(b"S", "f") + parse("m", "move 1 in c")
            + describe(b"S", "m") + parse("g", "fetch 1 from nope") + describe(b"S", "g") + SYNC)),
        "cursor-named-beyond-ascii": (
            query("begin") + query("declare \u00d1o cursor for " + SERIES) + query("fetch 2 \u00d1o")
            + query("close \u00d1o") + query("rollback"), 5),
    }


def cursors_and_rollbacks():
    """Which cursors and portals a rollback takes with it."""
    hold = "declare h cursor with hold for " + SERIES
    plain = "declare c cursor for " + SERIES
    return {
        "hold-cursor-of-a-rolled-back-block-is-gone": (
            query("begin") + query(hold) + query("rollback") + query("fetch h"), 4),
        "hold-cursor-of-a-committed-block-stays": (
            query("begin") + query(hold) + query("commit") + query("fetch 2 h") + query("close h"), 5),
        "hold-cursor-of-a-failed-query-of-several-is-gone": (
            query("%s; %s" % (hold, UNDEF)) + query("fetch h"), 2),
        "cursor-of-a-rolled-back-savepoint-is-gone": (
            query("begin") + query("savepoint a") + query(plain) + query("rollback to a")
            + query("fetch c") + query("rollback"), 6),
        "cursor-made-before-the-savepoint-stays": (
            query("begin") + query(plain) + query("savepoint a") + query("fetch 1 c")
            + query("rollback to a") + query("fetch 1 c") + query("rollback"), 7),
        "cursor-of-a-released-savepoint-outlives-a-later-one": (
            query("begin") + query("savepoint a") + query(plain) + query("release a")
            + query("savepoint b") + query("rollback to b") + query("fetch 1 c") + query("rollback"), 8),
        "portal-bound-in-a-rolled-back-savepoint-is-gone": (
            query("begin") + query("savepoint a") + parse("s", SERIES) + bind("p", "s") + SYNC
            + query("rollback to a") + execute("p") + SYNC + query("rollback"), 5),
    }


def pbe(sql):
    """One statement through the extended protocol, without Sync."""
    return parse("", sql) + bind("", "") + execute("")


def settings_in_blocks():
    """When a SET is undone and when the client is told (ParameterStatus)."""
    app = "set application_name = '%s'"
    return {
        "application-name-cut-to-a-names-length": (
            query(app % ("b" * 62 + "\u00e9")) + query(SHOW) + query(app % ("b" * 66))
            + query("begin") + query("set local application_name = '%s'" % ("c" * 70)) + query(SHOW)
            + query("rollback") + query(SHOW) + parse("", app % ("d" * 64)) + bind("", "") + execute("")
            + SYNC, 9),
        "error-in-a-block-undoes-its-sets-at-once": (
            query("begin") + query(app % "x") + query(UNDEF)
            + query("rollback") + query(SHOW), 5),
        "error-in-a-savepoint-undoes-only-its-sets": (
            query("begin") + query(app % "outer") + query("savepoint s") + query(app % "inner")
            + query(UNDEF) + query("rollback to s") + query(SHOW) + query("rollback") + query(SHOW), 9),
        "set-before-begin-in-one-query-then-an-error": (
            query("%s; begin; %s" % (app % "x", UNDEF)) + query(SHOW) + query("rollback") + query(SHOW), 4),
        "set-local-in-a-query-of-several": (
            query("set local application_name = 'x'; " + SHOW) + query(SHOW), 2),
        "set-transaction-in-a-query-of-several": (
            query("set transaction read only; show transaction_read_only"), 1),
        "set-local-alone-warns-and-does-nothing": (query("set local application_name = 'x'") + query(SHOW), 2),
        "set-local-then-begin-in-one-query": (
            query("set local application_name = 'x'; begin; %s; commit" % SHOW) + query(SHOW), 2),
        "declare-and-fetch-in-one-query": (
            query("declare c cursor for %s; fetch 2 from c" % SERIES) + query("fetch 1 from c"), 2),
        "discard-all-after-another-statement": (query("%s; discard all" % SERIES), 1),
        "rollback-in-a-query-of-several-undoes-its-sets": (
            query("%s; rollback; %s" % (app % "x", SHOW)) + query(SHOW), 2),
        "commit-in-a-query-of-several-keeps-its-sets": (
            query("%s; commit; %s" % (app % "x", UNDEF)) + query(SHOW), 2),
        "statements-after-commit-form-a-new-block": (
            query("begin; commit; %s; %s" % (app % "y", UNDEF)) + query(SHOW), 2),
        "set-local-in-a-pipeline-lasts-until-sync": (
            pbe("set local application_name = 'x'") + pbe(SHOW) + SYNC + query(SHOW), 2),
        "rollback-in-a-pipeline-undoes-its-sets": (
            pbe(app % "x") + pbe("rollback") + pbe(SHOW) + SYNC + query(SHOW), 2),
        "commit-in-a-pipeline-keeps-its-sets": (
            pbe(app % "x") + pbe("commit") + pbe(DIVZERO) + SYNC + pbe(SHOW) + SYNC, 2),
        "discard-all-in-a-pipeline": (
            pbe(SERIES) + pbe("discard all") + SYNC + pbe("discard all") + SYNC, 2),
        "transaction-modes-after-a-query": (
            query("begin") + query(SERIES) + query("set transaction isolation level serializable")
            + query("rollback") + query("begin") + query(SERIES)
            + query("set transaction isolation level read committed") + query("show transaction_isolation")
            + query("set transaction read only") + query("set transaction read write") + query("rollback")
            + query("begin read only") + query(SERIES) + query("set transaction not deferrable")
            + query("rollback"), 15),
        "transaction-modes-before-any-query": (
            query("begin") + query("set transaction isolation level serializable; set transaction read only")
            + query("show transaction_isolation") + query(SERIES)
            + query("set transaction isolation level serializable") + query("commit"), 6),
        "transaction-mode-after-a-query-in-one-query": (
            query("%s; set transaction isolation level serializable" % SERIES), 1),
        "parameter-status-in-name-order": (
            query("set timezone = 'UTC'; %s; set intervalstyle = 'iso_8601'; set datestyle = 'German'; "
                  "set client_encoding = 'LATIN1'" % (app % "a")), 1),
    }


def edge_cases():
    """Legal messages at the edges of what the protocol allows."""
    return {
        "result-format-code-neither-text-nor-binary": (
            parse("", SERIES) + bind("", "", [], [], [2]) + execute("") + SYNC, 1),
        "parameter-format-code-neither-text-nor-binary": (
            parse("", PLUS, [23]) + bind("", "", [b"1"], [3]) + execute("") + SYNC, 1),
        "text-parameter-not-in-utf8": (
            parse("", "select $1::text as t", [25]) + bind("", "", [b"\xff"]) + SYNC, 1),
        "unnamed-statement-gone-after-simple-query": (
            parse("", SERIES) + SYNC + query(SERIES) + bind("", "") + execute("") + SYNC, 3),
        "unnamed-statement-kept-across-sync": (
            parse("", SERIES) + SYNC + bind("", "") + execute("") + SYNC, 2),
        "describe-missing-statement-and-portal": (
            describe(b"S", "nope") + SYNC + describe(b"S", "") + SYNC + describe(b"P", "nope") + SYNC, 3),
        "parse-existing-name": (parse("a", SERIES) + parse("a", SERIES) + SYNC, 1),
        "close-missing-is-not-an-error": (msg_close(b"P", "nope") + msg_close(b"S", "nope") + SYNC, 1),
        "execute-negative-row-limit-is-all": (
            parse("", SERIES) + bind("", "") + msg(b"E", b"\0" + struct.pack("!i", -1)) + SYNC, 1),
        "portal-outlives-its-statement": (
            query("begin") + parse("s", SERIES) + bind("p", "s") + msg_close(b"S", "s")
            + execute("p", 2) + SYNC + query("rollback"), 3),
        "portal-executed-after-its-end": (
            query("begin") + parse("", SERIES) + bind("p", "") + execute("p") + execute("p") + SYNC
            + query("rollback"), 3),
        "sync-alone-twice": (SYNC + SYNC, 2),
        "bind-to-a-portal-name-in-use": (
            query("begin") + parse("s", SERIES) + bind("p", "s") + SYNC + bind("p", "s") + SYNC
            + query("rollback"), 4),
        "bind-checks-its-parameter-count-first": (
            query("begin") + parse("s", PLUS, [23]) + bind("p", "s", [b"1"]) + SYNC
            + bind("p", "s", []) + SYNC + query(UNDEF) + bind("q", "s", []) + SYNC + query("rollback"), 6),
        "release-outside-a-block": (query("release a") + query("release savepoint a"), 2),
        "simple-query-of-semicolons-or-a-comment": (query(";;") + query("-- nothing"), 2),
    }


def malformed_bodies():
    """Messages whose length frames them but whose body does not hold what
    their type needs: PostgreSQL answers an ERROR (until Sync in the
    extended protocol) and the session goes on, here to a query after it."""
    then = query(SERIES)
    run = parse("", SERIES) + bind("", "") + execute("")
    cases = {
        "bind-cut-short": parse("", SERIES) + msg(b"B", b"\0\0\0\0\0") + execute("") + SYNC,
        "bind-string-unterminated": msg(b"B", b"portal") + SYNC,
        "bind-bytes-left-over": parse("", SERIES) + msg(b"B", b"\0\0" + b"\0\0" * 3 + b"zz") + SYNC,
        "bind-negative-value-length": (
            parse("", PLUS, [23]) + msg(b"B", b"\0\0\0\0\0\x01\xff\xff\xff\xfe\0\0") + SYNC),
        "parse-cut-short": msg(b"P", b"\0" + SERIES.encode() + b"\0\0\x01\0\0") + SYNC,
        "execute-cut-short": parse("", SERIES) + bind("", "") + msg(b"E", b"\0\0\0") + SYNC,
        "describe-unknown-kind": parse("", SERIES) + msg(b"D", b"Q\0") + run + SYNC,
        "close-unknown-kind": msg(b"C", b"Q\0") + SYNC,
        "sync-with-a-body": run + msg(b"S", b"zz"),
        "flush-with-a-body": parse("", SERIES) + msg(b"H", b"zz") + run + SYNC,
        "query-unterminated": msg(b"Q", SERIES.encode()),
        "query-bytes-left-over": msg(b"Q", SERIES.encode() + b"\0zz"),
    }
    out = {"malformed-" + name: (payload + then, 2) for name, payload in cases.items()}
    # in a transaction block the error fails the block, as any error does
    out["malformed-bind-in-a-transaction"] = (
        query("begin") + msg(b"B", b"portal") + SYNC + then + query("rollback") + then, 5)
    out["malformed-sync-in-a-transaction"] = (query("begin") + msg(b"S", b"zz") + query("commit"), 3)
    return out


@pytest.fixture(scope="module")
def riffq_port():
    from riffq.testing import serve_in_thread
    server = riffq.Server("127.0.0.1:0")
    server.on_query(handler)
    bg = serve_in_thread(server)
    yield bg.port
    bg.stop()


def assert_same_as_postgres(real_pg, riffq_port, payload, syncs):
    """Send ``payload`` to both servers; their answers up to the ``syncs``-th
    ReadyForQuery must be the same messages (the kinds first, for a clearer
    failure)."""
    theirs = exchange(real_pg.port, real_pg.user, payload, syncs)
    mine = exchange(riffq_port, "u", payload, syncs)
    assert [t for t, _ in mine] == [t for t, _ in theirs]
    assert mine == theirs


@pytest.mark.parametrize("name", sorted(sequences()))
def test_same_answer_as_postgres(real_pg, riffq_port, name):
    assert_same_as_postgres(real_pg, riffq_port, *sequences()[name])


def test_long_application_name_at_startup_as_postgres(real_pg, riffq_port):
    """A startup packet's application_name is cut to 63 bytes too, with its
    NOTICE after AuthenticationOk."""
    def startup(port, user):
        c = RawClient(port)
        try:
            got = normalise(c.connect(user=user, database="postgres", application_name="a" * 70))
        finally:
            c.close()
        return [(t, body) for t, body in got
                if t in (b"R", b"N") or (t == b"S" and body.startswith(b"application_name\0"))]
    theirs = startup(real_pg.port, real_pg.user)
    assert [t for t, _ in theirs] == [b"R", b"N", b"S"]
    assert startup(riffq_port, "u") == theirs
