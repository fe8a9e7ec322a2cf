"""classify() recognises SET/SHOW/RESET/transaction statements as PostgreSQL parses them.

Expected values, messages and tags below were taken from PostgreSQL 15; the
``*_matches_postgresql`` tests re-check them against the real server when its
binaries are installed.
"""
from __future__ import annotations

import pytest

from riffq._wire.session_sql import (ResetCommand, SetCommand, ShowCommand, SimpleTagCommand,
                                     SqlSyntaxError, StatementError, TransactionCommand, classify,
                                     quote_identifier)


def _set(name, value, local=False, more=(), transaction=False):
    return SetCommand(name, value, local, tuple(more), transaction)


SET_CASES = [
    ("SET application_name = Foo", _set("application_name", "foo")),
    ("set application_name to 'Foo Bar'", _set("application_name", "Foo Bar")),
    ('SET application_name = "Foo Bar"', _set("application_name", "Foo Bar")),
    ("set application_name = 'it''s'", _set("application_name", "it's")),
    ("set application_name = 007", _set("application_name", "7")),
    ("set application_name = +5", _set("application_name", "5")),
    ("set application_name = - 5", _set("application_name", "-5")),
    ("set application_name =-5", _set("application_name", "-5")),
    ("set application_name = 1.50", _set("application_name", "1.50")),
    ("set application_name = -1.50", _set("application_name", "-1.50")),
    ("set application_name = 1e3", _set("application_name", "1e3")),
    ("set application_name = .5", _set("application_name", ".5")),
    ("set application_name = 99999999999", _set("application_name", "99999999999")),
    ("set application_name = -2147483648", _set("application_name", "-2147483648")),
    ("set application_name = true", _set("application_name", "true")),
    ("set application_name = ON", _set("application_name", "on")),
    ("set application_name = off", _set("application_name", "off")),
    ("set application_name = local", _set("application_name", "local")),
    ("set application_name = int", _set("application_name", "int")),
    ("set application_name = E'a\\tb'", _set("application_name", "a\tb")),
    ("set application_name = E'\\x41\\101\\u0041\\U00000041'", _set("application_name", "AAAA")),
    ("set application_name = E'\\uD83D\\uDE00'", _set("application_name", "\U0001F600")),
    ("set application_name = U&'d\\0061t'", _set("application_name", "dat")),
    ("set application_name = U&'d!0061t' UESCAPE '!'", _set("application_name", "dat")),
    ("set application_name = $$dollar$$", _set("application_name", "dollar")),
    ("set application_name = $q$it's$q$", _set("application_name", "it's")),
    ("set application_name = 'a'\n'b'", _set("application_name", "ab")),
    ("set application_name = 'a' -- c\n  'b'", _set("application_name", "ab")),
    ("SET application_name = 'x';", _set("application_name", "x")),
    ("/* c */ SET /* d */ application_name /* e */ TO -- f\n 'x' ;;", _set("application_name", "x")),
    ("set search_path = a, \"B\", public", _set("search_path", 'a, "B", public')),
    ("set search_path = 'My Schema', '$user'", _set("search_path", '"My Schema", "$user"')),
    ("set search_path = 'a,b'", _set("search_path", '"a,b"')),
    ("set search_path = ''", _set("search_path", '""')),
    ("set search_path = int, search, \"Foo\", 'bar baz', 1, 1.5, true, on, off",
     _set("search_path", '"int", search, "Foo", "bar baz", 1, 1.5, "true", "on", off')),
    ("set search_path = public,\npg_catalog", _set("search_path", "public, pg_catalog")),
    ("set search_path = -1", _set("search_path", "-1")),
    ("set search_path to E'x\\'y'", _set("search_path", '"x\'y"')),
    ("set datestyle = iso, dmy", _set("datestyle", "iso, dmy")),
    ("set search_path to default", _set("search_path", None)),
    ("SET search_path = DEFAULT", _set("search_path", None)),
    ("set session application_name = 'x'", _set("application_name", "x")),
    ("set local application_name = 'y'", _set("application_name", "y", local=True)),
    ("set foo.bar = 1", _set("foo.bar", "1")),
    ("set \"Foo\".Bar = 1", _set("Foo.bar", "1")),
    ("set a. b = 1", _set("a.b", "1")),
    ("set session = 1", _set("session", "1")),
    ("set local = 1", _set("local", "1")),
    ("set transaction = 1", _set("transaction", "1")),
    ("set time = 1", _set("time", "1")),
    ("set names = 1", _set("names", "1")),
    ("SET TIME ZONE 'Europe/Berlin'", _set("TimeZone", "Europe/Berlin")),
    ("set time zone utc", _set("TimeZone", "utc")),
    ('set time zone "local"', _set("TimeZone", "local")),
    ("set time zone local", _set("TimeZone", None)),
    ("set time zone default", _set("TimeZone", None)),
    ("set time zone -8", _set("TimeZone", "-8")),
    ("set time zone 5.5", _set("TimeZone", "5.5")),
    ("set local time zone 'UTC'", _set("TimeZone", "UTC", local=True)),
    ("set session time zone 'UTC'", _set("TimeZone", "UTC")),
    ("set timezone = 'UTC'", _set("timezone", "UTC")),
    ("set names 'LATIN2'", _set("client_encoding", "LATIN2")),
    ("set names default", _set("client_encoding", None)),
    ("set names", _set("client_encoding", None)),
    ("set schema 'foo'", _set("search_path", "foo")),
    ("set schema 'Foo'", _set("search_path", '"Foo"')),
    ("set xml option document", _set("xmloption", "document")),
    ("set transaction isolation level repeatable read",
     _set("transaction_isolation", "repeatable read", local=True, transaction=True)),
    ("SET TRANSACTION READ ONLY, ISOLATION LEVEL SERIALIZABLE NOT DEFERRABLE",
     _set("transaction_read_only", "on", local=True, transaction=True,
          more=[("transaction_isolation", "serializable"), ("transaction_deferrable", "off")])),
    ("set session characteristics as transaction isolation level read uncommitted",
     _set("default_transaction_isolation", "read uncommitted")),
    ("set session characteristics as transaction read write, deferrable",
     _set("default_transaction_read_only", "off", more=[("default_transaction_deferrable", "on")])),
]


@pytest.mark.parametrize("stmt,expected", SET_CASES)
def test_set(stmt, expected):
    assert classify(stmt) == expected


def test_set_items():
    cmd = classify("set transaction read only, isolation level serializable")
    assert cmd.items == (("transaction_read_only", "on"), ("transaction_isolation", "serializable"))
    assert classify("set x = 1").items == (("x", "1"),)


OTHER_CASES = [
    ("show all", ShowCommand("all")),
    ("SHOW ALL;", ShowCommand("all")),
    ("show DateStyle", ShowCommand("datestyle")),
    ('show "DateStyle"', ShowCommand("DateStyle")),
    ("show foo.bar", ShowCommand("foo.bar")),
    ("show time zone", ShowCommand("TimeZone")),
    ("show time", ShowCommand("time")),
    ("show session", ShowCommand("session")),
    ("show transaction", ShowCommand("transaction")),
    ("show transaction isolation level", ShowCommand("transaction_isolation")),
    ("show session authorization", ShowCommand("session_authorization")),
    ("reset all", ResetCommand("all")),
    ("RESET search_path", ResetCommand("search_path")),
    ("reset time zone", ResetCommand("TimeZone")),
    ("reset transaction isolation level", ResetCommand("transaction_isolation")),
    ("reset session authorization", ResetCommand("session_authorization")),
    ("discard all", SimpleTagCommand("DISCARD ALL")),
    ("DISCARD PLANS", SimpleTagCommand("DISCARD PLANS")),
    ("discard sequences", SimpleTagCommand("DISCARD SEQUENCES")),
    ("discard temp", SimpleTagCommand("DISCARD TEMP")),
    ("discard temporary", SimpleTagCommand("DISCARD TEMP")),
    ("deallocate p", SimpleTagCommand("DEALLOCATE", "p")),
    ("deallocate prepare P", SimpleTagCommand("DEALLOCATE", "p")),
    ('deallocate "P"', SimpleTagCommand("DEALLOCATE", "P")),
    ("deallocate prepare", SimpleTagCommand("DEALLOCATE", "prepare")),
    ("deallocate all", SimpleTagCommand("DEALLOCATE ALL")),
    ("deallocate prepare all", SimpleTagCommand("DEALLOCATE ALL")),
    ("close all", SimpleTagCommand("CLOSE CURSOR ALL")),
    ("close c", SimpleTagCommand("CLOSE CURSOR", "c")),
    ("listen Foo", SimpleTagCommand("LISTEN", "foo")),
    ('listen "Foo"', SimpleTagCommand("LISTEN", "Foo")),
    ("unlisten foo", SimpleTagCommand("UNLISTEN", "foo")),
    ("unlisten *", SimpleTagCommand("UNLISTEN")),
    ("begin", TransactionCommand("begin", "BEGIN")),
    ("BEGIN WORK", TransactionCommand("begin", "BEGIN")),
    ("begin transaction;", TransactionCommand("begin", "BEGIN")),
    ("begin isolation level read committed read only not deferrable",
     TransactionCommand("begin", "BEGIN", modes=(("transaction_isolation", "read committed"),
                                                 ("transaction_read_only", "on"),
                                                 ("transaction_deferrable", "off")))),
    ("begin read write, deferrable",
     TransactionCommand("begin", "BEGIN", modes=(("transaction_read_only", "off"),
                                                 ("transaction_deferrable", "on")))),
    ("start transaction", TransactionCommand("begin", "START TRANSACTION")),
    ("start transaction isolation level serializable, read only",
     TransactionCommand("begin", "START TRANSACTION",
                        modes=(("transaction_isolation", "serializable"),
                               ("transaction_read_only", "on")))),
    ("commit", TransactionCommand("commit", "COMMIT")),
    ("commit work", TransactionCommand("commit", "COMMIT")),
    ("commit transaction and no chain", TransactionCommand("commit", "COMMIT")),
    ("commit and chain", TransactionCommand("commit", "COMMIT", chain=True)),
    ("end", TransactionCommand("commit", "COMMIT")),
    ("end transaction", TransactionCommand("commit", "COMMIT")),
    ("rollback", TransactionCommand("rollback", "ROLLBACK")),
    ("rollback and chain", TransactionCommand("rollback", "ROLLBACK", chain=True)),
    ("abort", TransactionCommand("rollback", "ROLLBACK")),
    ("abort work", TransactionCommand("rollback", "ROLLBACK")),
    ("savepoint a", TransactionCommand("savepoint", "SAVEPOINT", "a")),
    ('savepoint "A"', TransactionCommand("savepoint", "SAVEPOINT", "A")),
    ("release savepoint a", TransactionCommand("release", "RELEASE", "a")),
    ("release a", TransactionCommand("release", "RELEASE", "a")),
    ("release savepoint", TransactionCommand("release", "RELEASE", "savepoint")),
    ("rollback to savepoint a", TransactionCommand("rollback_to", "ROLLBACK", "a")),
    ("rollback to a", TransactionCommand("rollback_to", "ROLLBACK", "a")),
    ("rollback work to a", TransactionCommand("rollback_to", "ROLLBACK", "a")),
    ("rollback transaction to savepoint a", TransactionCommand("rollback_to", "ROLLBACK", "a")),
    ("rollback to savepoint", TransactionCommand("rollback_to", "ROLLBACK", "savepoint")),
]


@pytest.mark.parametrize("stmt,expected", OTHER_CASES)
def test_show_reset_tags_transactions(stmt, expected):
    assert classify(stmt) == expected


NOT_OURS = [
    "select 1", "SELECT 'set x = 1'", "(show x)", "settle", "shows", "insert into t values (1)",
    "with x as (select 1) select * from x", "prepare p as select 1", "prepare transaction 'x'",
    "commit prepared 'x'", "rollback prepared 'x'", "set role none", "set role 'postgres'",
    "set session authorization default", "set session session authorization 'u'",
    "set constraints all deferred", "set transaction snapshot '00000003-0000001B-1'",
    "set x.y from current", "set application_name from current",
    "set time zone interval '1' hour", "notify x", "declare c cursor for select 1", "",
    "-- just a comment",
]


@pytest.mark.parametrize("stmt", NOT_OURS)
def test_not_classified(stmt):
    assert classify(stmt) is None


# (statement, sqlstate, message, position) -- from PostgreSQL 15
ERROR_CASES = [
    ("SET", "42601", "syntax error at end of input", 4),
    ("set;", "42601", 'syntax error at or near ";"', 4),
    ("SET x", "42601", "syntax error at end of input", 6),
    ("set x =", "42601", "syntax error at end of input", 8),
    ("set x = ;", "42601", 'syntax error at or near ";"', 9),
    ("show", "42601", "syntax error at end of input", 5),
    ("reset", "42601", "syntax error at end of input", 6),
    ("set extra_float_digits ==3", "42601", 'syntax error at or near "=="', 24),
    ("set application_name = select", "42601", 'syntax error at or near "select"', 24),
    ("set application_name = null", "42601", 'syntax error at or near "null"', 24),
    ("set application_name = 'a' 'b'", "42601", "syntax error at or near \"'b'\"", 28),
    ("set application_name = B'101'", "42601", "syntax error at or near \"B'101'\"", 24),
    ("set application_name = N'x'", "42601", "syntax error at or near \"'x'\"", 25),
    ("set application_name = 'x'::text", "42601", 'syntax error at or near "::"', 27),
    ("set application_name = $1", "42601", 'syntax error at or near "$1"', 24),
    ("set time zone zone", "42601", 'syntax error at or near "zone"', 15),
    ("set time zone = 'UTC'", "42601", 'syntax error at or near "="', 15),
    ("set time zone", "42601", "syntax error at end of input", 14),
    ("set timezone to 'UTC', default", "42601", 'syntax error at or near "default"', 24),
    ("set search_path = public, default", "42601", 'syntax error at or near "default"', 27),
    ("set search_path = a b", "42601", 'syntax error at or near "b"', 21),
    ('set search_path = "A".b', "42601", 'syntax error at or near "."', 22),
    ("set names latin3", "42601", 'syntax error at or near "latin3"', 11),
    ("set names 'utf8', 'x'", "42601", 'syntax error at or near ","', 17),
    ("set schema foo", "42601", 'syntax error at or near "foo"', 12),
    ("set schema 'a', 'b'", "42601", 'syntax error at or near ","', 15),
    ("set local local application_name = 1", "42601",
     'syntax error at or near "application_name"', 17),
    ("set extra_float_digits = 2 3", "42601", 'syntax error at or near "3"', 28),
    ('set "" = 1', "42601", 'zero-length delimited identifier at or near """"', 5),
    ("set x = 'abc", "42601", "unterminated quoted string at or near \"'abc\"", 9),
    ('set x = "abc', "42601", 'unterminated quoted identifier at or near ""abc"', 9),
    ("set x = $$abc", "42601", 'unterminated dollar-quoted string at or near "$$abc"', 9),
    ("set x = 1 /* abc", "42601", 'unterminated /* comment at or near "/* abc"', 11),
    ("set x = E'\\uD83D'", "42601", "invalid Unicode surrogate pair at or near \"'\"", 17),
    ("set x = E'\\uD83Dx'", "42601", 'invalid Unicode surrogate pair at or near "x"', 17),
    ("set x = E'\\uDC00'", "42601", 'invalid Unicode surrogate pair at or near "\\uDC00"', 11),
    ("set x = E'\\uD83D\\u0041'", "42601",
     'invalid Unicode surrogate pair at or near "\\u0041"', 17),
    ("set x = E'ab\\U00110000'", "42601",
     'invalid Unicode escape value at or near "\\U00110000"', 13),
    ("set x = E'\\u'", "22025", "invalid Unicode escape", None),
    ("set x = E'\\xff'", "22021", 'invalid byte sequence for encoding "UTF8": 0xff', None),
    ("set x = E'\\0'", "22021", 'invalid byte sequence for encoding "UTF8": 0x00', None),
    ("set x = E'a\\0b'", "22021", 'invalid byte sequence for encoding "UTF8": 0x00', None),
    ("set x = E'\\xc3('", "22021", 'invalid byte sequence for encoding "UTF8": 0xc3 0x28', None),
    ("set x = E'ab\\xe2\\x82'", "22021", 'invalid byte sequence for encoding "UTF8": 0xe2 0x82',
     None),
    ("set x = E'\\xed\\xa0\\x80'", "22021",
     'invalid byte sequence for encoding "UTF8": 0xed 0xa0 0x80', None),
    ("set application_name = a, b", "22023", "SET application_name takes only one argument",
     None),
    ("set timezone to 'UTC', 'GMT'", "22023", "SET timezone takes only one argument", None),
    ("set catalog 'x'", "0A000", "current database cannot be changed", 13),
    ("show foo bar", "42601", 'syntax error at or near "bar"', 10),
    ("show search_path, x", "42601", 'syntax error at or near ","', 17),
    ("show transaction isolation", "42601", "syntax error at end of input", 27),
    ("show all x", "42601", 'syntax error at or near "x"', 10),
    ("show a.b.c.", "42601", "syntax error at end of input", 12),
    ('show ""', "42601", 'zero-length delimited identifier at or near """"', 6),
    ("show select", "42601", 'syntax error at or near "select"', 6),
    ("reset x y", "42601", 'syntax error at or near "y"', 9),
    ('reset ""', "42601", 'zero-length delimited identifier at or near """"', 7),
    ("begin foo", "42601", 'syntax error at or near "foo"', 7),
    ("begin isolation level foo", "42601", 'syntax error at or near "foo"', 23),
    ("begin read", "42601", "syntax error at end of input", 11),
    ("begin work transaction", "42601", 'syntax error at or near "transaction"', 12),
    ("begin transaction, read only", "42601", 'syntax error at or near ","', 18),
    ("commit and", "42601", "syntax error at end of input", 11),
    ("start", "42601", "syntax error at end of input", 6),
    ("savepoint", "42601", "syntax error at end of input", 10),
    ("savepoint select", "42601", 'syntax error at or near "select"', 11),
    ("release", "42601", "syntax error at end of input", 8),
    ("rollback to", "42601", "syntax error at end of input", 12),
    ("rollback to savepoint x y", "42601", 'syntax error at or near "y"', 25),
    ("discard", "42601", "syntax error at end of input", 8),
    ("discard foo", "42601", 'syntax error at or near "foo"', 9),
    ("discard all x", "42601", 'syntax error at or near "x"', 13),
    ("deallocate", "42601", "syntax error at end of input", 11),
    ("close", "42601", "syntax error at end of input", 6),
    ("listen", "42601", "syntax error at end of input", 7),
    ("unlisten", "42601", "syntax error at end of input", 9),
    ('listen ""', "42601", 'zero-length delimited identifier at or near """"', 8),
]


@pytest.mark.parametrize("stmt,sqlstate,message,position", ERROR_CASES)
def test_errors(stmt, sqlstate, message, position):
    with pytest.raises(StatementError) as info:
        classify(stmt)
    err = info.value
    assert (err.sqlstate, err.message) == (sqlstate, message)
    if position is not None:
        assert err.position == position
    if sqlstate == "42601":
        assert isinstance(err, SqlSyntaxError)


def test_syntax_error_attributes():
    with pytest.raises(SqlSyntaxError) as info:
        classify("SET")
    assert info.value.sqlstate == "42601"
    assert str(info.value) == "syntax error at end of input"


@pytest.mark.parametrize("ident,quoted", [
    ("public", "public"), ("a_1", "a_1"), ("$user", '"$user"'), ("B", '"B"'),
    ("my schema", '"my schema"'), ("select", '"select"'), ("int", '"int"'),
    ("search", "search"), ("left", '"left"'), ('a"b', '"a""b"'), ("\u00e9", '"\u00e9"'),
    ("1a", '"1a"'), ("_x", "_x"),
])
def test_quote_identifier(ident, quoted):
    assert quote_identifier(ident) == quoted


def test_long_identifiers_are_truncated():
    name = "a" * 70
    assert classify("show %s" % name) == ShowCommand("a" * 63)
    assert classify('show "%s"' % ("\u00e9" * 40)) == ShowCommand("\u00e9" * 31)


def test_huge_statement_is_linear():
    value = "x''" * 500_000
    cmd = classify("set application_name = '%s'" % value)
    assert cmd.value == "x'" * 500_000
    assert classify("select '" + "'" * 1_000_000) is None


# -- cross-checks against the real server ----------------------------------------------

def _connect(real_pg):
    psycopg = pytest.importorskip("psycopg")
    return psycopg.connect(real_pg.dsn, autocommit=True)


def test_values_match_postgresql(real_pg):
    """SHOW after the SET shows exactly the flattened value classify() produced."""
    with _connect(real_pg) as conn:
        cur = conn.cursor()
        checked = 0
        for stmt, expected in SET_CASES:
            if expected.name not in ("application_name", "search_path") or expected.value is None \
                    or expected.local:
                continue
            if not expected.value.isascii() or any(c < " " for c in expected.value):
                continue  # application_name is cleaned to printable ASCII
            cur.execute(stmt.encode("utf-8"), prepare=False)
            cur.execute("show %s" % expected.name)
            assert cur.fetchone()[0] == expected.value, stmt
            checked += 1
        assert checked > 30


def test_errors_match_postgresql(real_pg):
    psycopg = pytest.importorskip("psycopg")
    with _connect(real_pg) as conn:
        cur = conn.cursor()
        for stmt, sqlstate, message, position in ERROR_CASES:
            with pytest.raises(psycopg.Error) as info:
                cur.execute(stmt.encode("utf-8"), prepare=False)
            diag = info.value.diag
            assert (diag.sqlstate, diag.message_primary) == (sqlstate, message), stmt
            if position is not None:
                assert int(diag.statement_position) == position, stmt


def test_tags_match_postgresql(real_pg):
    """Run a script through PostgreSQL; every classified statement's tag must match."""
    script = [
        "discard all", "discard plans", "discard sequences", "discard temp",
        "discard temporary", "prepare p as select 1", "deallocate p", "prepare p as select 1",
        "deallocate prepare p", "deallocate all", "deallocate prepare all", "close all",
        "listen foo", "unlisten foo", "unlisten *", "begin", "declare c cursor for select 1",
        "close c", "commit", "begin work", "savepoint a", "release savepoint a", "savepoint b",
        "release b", "savepoint c", "rollback to savepoint c", "rollback to c",
        "rollback work to c", "commit work", "start transaction isolation level serializable",
        "end", "begin read write deferrable", "abort", "begin transaction",
        "commit transaction and no chain", "start transaction", "rollback", "begin",
        "commit and chain", "rollback and chain", "end transaction",
        "set application_name = 'x'", "show application_name", "reset application_name",
        "reset all", "show all",
    ]
    with _connect(real_pg) as conn:
        cur = conn.cursor()
        for stmt in script:
            cur.execute(stmt.encode("utf-8"), prepare=False)
            cmd = classify(stmt)
            if cmd is None:
                continue
            if isinstance(cmd, (SimpleTagCommand, TransactionCommand)):
                expected = cmd.tag
            else:
                expected = {SetCommand: "SET", ShowCommand: "SHOW", ResetCommand: "RESET"}[type(cmd)]
            assert cur.statusmessage == expected, stmt


# -- hostile input ------------------------------------------------------------------------

def _hostile(scale):
    return {
        "parens": "set x = " + "(" * scale,
        "semicolons": "set x = 1" + ";" * scale,
        "spaced_semicolons": "set x = 1" + "; " * (scale // 2),
        "long_list": "set search_path = " + "a, " * (scale // 3) + "b",
        "long_name": "set " + "a." * (scale // 2) + "a = 1",
        "modes": "begin " + "read only " * (scale // 10),
        "quotes": "set x = '" + "'" * (scale + 1),
        "estring": "set x = E'" + "\\'" * (scale // 2) + "'",
        "digits": "set x = " + "9" * scale,
        "comments": "show /*" + "/*" * (scale // 2),
        "dollars": "set x = $a$" + "$a" * (scale // 2),
    }


HOSTILE = _hostile(1_000_000)


def _classify_quietly(stmt):
    try:
        classify(stmt)
    except StatementError:
        pass


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_statements_are_linear(name):
    import time

    stmt = HOSTILE[name]

    def best_of_3(text):
        # the least of three runs: one-off pauses (GC, a busy core) are noise
        times = []
        for _ in range(3):
            started = time.perf_counter()
            _classify_quietly(text)
            times.append(time.perf_counter() - started)
        return min(times)
    small = best_of_3(stmt[:len(stmt) // 8])
    big = best_of_3(stmt)
    assert big < 20.0, "%s took %.2fs" % (name, big)
    if big > 0.5:
        # 8x the input: linear work takes ~8x, quadratic 64x; 40x leaves room
        # for a busy machine slowing one of the two measurements
        assert big < 40 * small, "%s: %.3fs for 1/8, %.3fs for all" % (name, small, big)


@pytest.mark.parametrize("name", ["parens", "semicolons", "quotes", "comments", "dollars",
                                  "modes", "long_name", "digits"])
def test_hostile_statements_use_bounded_memory(name):
    """Tokens are pulled lazily and dropped, so nothing piles up per token."""
    import tracemalloc

    stmt = _hostile(100_000)[name]
    tracemalloc.start()
    try:
        _classify_quietly(stmt)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * len(stmt) + 200_000, "%s peaked at %d bytes" % (name, peak)
