"""Statement splitting follows PostgreSQL's lexer (checked against a real server)."""
from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riffq._wire.sqlsplit import count_statements, first_keywords, is_empty_query, split_statements

SPLIT_CASES = [
    ("select 1", ["select 1"]),
    ("select 1;", ["select 1"]),
    ("  select 1 ;  select 2  ;", ["select 1", "select 2"]),
    ("select 1;;; ;select 2", ["select 1", "select 2"]),
    ("", []),
    (" ;\n; ", []),
    # plain strings: '' escapes, backslash is literal
    ("select ';'; select 2", ["select ';'", "select 2"]),
    ("select 'it''s; fine'; x", ["select 'it''s; fine'", "x"]),
    ("select 'a\\'; x", ["select 'a\\'", "x"]),
    ("select ''''; x", ["select ''''", "x"]),
    # E strings: backslash escapes, also ''
    ("select E'\\';'; x", ["select E'\\';'", "x"]),
    ("select e'\\\\'; x", ["select e'\\\\'", "x"]),
    ("select E'it''s;'; x", ["select E'it''s;'", "x"]),
    # E only counts as a prefix when it is a whole token
    ("select thee'\\'; x", ["select thee'\\'", "x"]),
    ("select 1e'\\';'; z", ["select 1e'\\';'", "z"]),
    # quoted identifiers
    ('select "a;""b"; x', ['select "a;""b"', "x"]),
    # dollar quotes
    ("select $$;$$; x", ["select $$;$$", "x"]),
    ("select $a$ $b$ ; $$ ; $a$; x", ["select $a$ $b$ ; $$ ; $a$", "x"]),
    ("select $a1_$;$a1_$; x", ["select $a1_$;$a1_$", "x"]),
    ("select $1; x", ["select $1", "x"]),
    ("select $1$; x", ["select $1$", "x"]),
    ("select a$b$; x$b$", ["select a$b$", "x$b$"]),
    ("select 1$$;$$; x", ["select 1$$;$$", "x"]),
    ("select 1.5e3$$;$$; x", ["select 1.5e3$$;$$", "x"]),
    ("select $\u00e9$;$\u00e9$; x", ["select $\u00e9$;$\u00e9$", "x"]),
    # comments
    ("select 1 -- ; not a separator\n; select 2", ["select 1 -- ; not a separator", "select 2"]),
    ("select 1 -- trailing", ["select 1 -- trailing"]),
    ("/* a /* ; */ ; */ select 1; x", ["/* a /* ; */ ; */ select 1", "x"]),
    ("select 1 /*/ ; */; x", ["select 1 /*/ ; */", "x"]),
    ("select 1 /**/; x", ["select 1 /**/", "x"]),
    ("select 1+--c;\n2; x", ["select 1+--c;\n2", "x"]),
    ("select 2/*c;*/*3; x", ["select 2/*c;*/*3", "x"]),
    ("-- only a comment", []),
    ("/* c */ ; -- d\n ; /* e /* f */ */", []),
    # unterminated things run to the end and stay in the statement
    ("select 1; select 'abc; def", ["select 1", "select 'abc; def"]),
    ("select 1; select $$abc; def", ["select 1", "select $$abc; def"]),
    ('select 1; select "abc; def', ["select 1", 'select "abc; def']),
    ("select 1; /* abc; def", ["select 1", "/* abc; def"]),
    ("select 1; select E'abc\\", ["select 1", "select E'abc\\"]),
    # psql's rules: parentheses and BEGIN ATOMIC bodies
    ("select (1; 2); x", ["select (1; 2)", "x"]),
    ("select 1); select 2", ["select 1)", "select 2"]),
    ("create function f() returns int language sql begin atomic select 1; select 2; end; "
     "select 3",
     ["create function f() returns int language sql begin atomic select 1; select 2; end",
      "select 3"]),
    ("CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC select case when true then 1 end; end; x",
     ["CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC select case when true then 1 end; end", "x"]),
    ("begin; select 1; end;", ["begin", "select 1", "end"]),
    ("create table t (begin int); select 1", ["create table t (begin int)", "select 1"]),
    # whitespace is PostgreSQL's (no-break space is an identifier character)
    ("\t\r\n\f\vselect 1\v;", ["select 1"]),
    ("select 1;\u00a0", ["select 1", "\u00a0"]),
]


@pytest.mark.parametrize("sql,expected", SPLIT_CASES)
def test_split_statements(sql, expected):
    assert split_statements(sql) == expected
    assert count_statements(sql) == len(expected)


@pytest.mark.parametrize("sql,empty", [
    ("", True), ("   ", True), (";", True), (" ; ;\n", True), ("-- x", True),
    ("/* x */", True), ("/* /* x */ */ ; -- y\n", True),
    ("/* unterminated", False), ("select 1", False), ("x", False), ("()", False),
    ("'", False), (";;e'x'", False),
])
def test_is_empty_query(sql, empty):
    assert is_empty_query(sql) is empty


@pytest.mark.parametrize("stmt,n,expected", [
    ("select 1", 3, ["SELECT"]),
    ("  /* c */ ((  select -- x\n distinct on (a)", 3, ["SELECT", "DISTINCT", "ON"]),
    ("set search_path = x", 3, ["SET", "SEARCH_PATH"]),
    ("Begin Work", 1, ["BEGIN"]),
    ("show transaction isolation level", 3, ["SHOW", "TRANSACTION", "ISOLATION"]),
    ("E'x'", 3, []),
    ("'x'", 3, []),
    ("-- only", 3, []),
    ("", 3, []),
    ("sel\u00e9ct \u00dfx", 3, ["SEL\u00e9CT", "\u00dfX"]),
    ("with a as (select 1) select", 5, ["WITH", "A", "AS"]),
])
def test_first_keywords(stmt, n, expected):
    assert first_keywords(stmt, n) == expected


# -- property: random statements survive a join/split round trip --------------------------

_safe_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_words = st.sampled_from(["select", "x", "from", "t1", "e", "E", "a$b", "$1", "1", "1.5e3",
                          "+", "=", ",", "::", "*", "||"])


@st.composite
def _piece(draw):
    kind = draw(st.integers(0, 7))
    text = draw(_safe_text)
    if kind == 0:
        return draw(_words)
    if kind == 1:
        return "'" + text.replace("'", "''") + "'"
    if kind == 2:
        escaped = text.replace("\\", "\\\\").replace("'", draw(st.sampled_from(["''", "\\'"])))
        return draw(st.sampled_from(["E", "e"])) + "'" + escaped + "'"
    if kind == 3:
        return '"' + (text.replace('"', '""') or "x") + '"'
    if kind == 4:
        tag = draw(st.sampled_from(["", "a", "tag_1", "\u00e9"]))
        delim = "$" + tag + "$"
        if delim in text or text.endswith("$"):
            text = text.replace("$", "")
        return delim + text + delim
    if kind == 5:
        return "-- " + text.replace("\n", " ").replace("\r", " ") + "\n"
    if kind == 6:
        body = text.replace("/*", "/ *").replace("*/", "* /")
        if body.endswith("*") or body.endswith("/"):
            body += " "
        if draw(st.booleans()):
            body = body + " /* nested; */ "
        return "/*" + body + "*/"
    return "(" + draw(_words) + ")"


@st.composite
def _statement(draw):
    pieces = [draw(_words)] + draw(st.lists(_piece(), max_size=6))
    return " ".join(pieces)


@settings(max_examples=300, deadline=None)
@given(st.lists(_statement(), min_size=1, max_size=6),
       st.lists(st.sampled_from([";", " ; ", ";\n", ";;"]), min_size=6, max_size=6))
def test_join_then_split_round_trips(statements, separators):
    sql = "".join(s + sep for s, sep in zip(statements, separators))
    expected = [s.strip(" \t\n\r\f\v") for s in statements]
    assert split_statements(sql) == expected
    assert not is_empty_query(sql)


@settings(max_examples=300, deadline=None)
@given(st.lists(_piece(), max_size=6), st.sampled_from(["", " ", "\n\t", "-- c\n", "/* c */"]))
def test_a_text_without_semicolons_splits_as_the_lexer_reads_it(pieces, around):
    """Such a text skips the lexer's walk (one statement unless empty): the
    answer must be the walk's, comments, unterminated quotes and all."""
    from riffq._wire.sqlsplit import _scan
    for sql in (" ".join(pieces).replace(";", ","), around + " ".join(pieces).replace(";", ",") + around,
                around, "/* open " + " ".join(pieces).replace(";", ","), "'open " + around):
        assert ";" not in sql
        assert split_statements(sql) == _scan(sql)[0], sql


# -- hostile input stays linear --------------------------------------------------------

FIVE_MB = 5 * 1024 * 1024

ADVERSARIAL = {
    "quotes": "'" * FIVE_MB,
    "quote_pairs_in_string": "'" + "a''" * (FIVE_MB // 3),
    "estring_backslash_quotes": "e'" + "\\'" * (FIVE_MB // 2),
    "estring_starts": "e'" * (FIVE_MB // 2),
    "double_quotes": '"' * FIVE_MB,
    "dollars": "$" * FIVE_MB,
    "dollar_tag_unterminated": "$a$" + "$a" * (FIVE_MB // 2),
    "comment_openers": "/*" * (FIVE_MB // 2),
    "comment_stars": "/*" + "*" * FIVE_MB,
    "dashes": "-" * FIVE_MB,
    "slashes": "/" * FIVE_MB,
    "semicolons": ";" * FIVE_MB,
    "parens": "(" * FIVE_MB,
    "tiny_statements": "a;" * (FIVE_MB // 2),
    "words": "ab " * (FIVE_MB // 3),
    "dots": "." * FIVE_MB,
    "mixed_openers": "'\"$$/*--e'" * (FIVE_MB // 10),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_hostile_input_is_fast(name):
    sql = ADVERSARIAL[name]

    def timed(text):
        started = time.perf_counter()
        result = split_statements(text)
        is_empty_query(text)
        first_keywords(text)
        assert sum(len(s) for s in result) <= len(text)
        return time.perf_counter() - started

    small = min(timed(sql[:len(sql) // 8]) for _ in range(3))   # least of 3: pauses are noise
    big = min(timed(sql) for _ in range(2))
    # Generous absolute bound (pure Python, busy CI machines) ...
    assert big < 20.0, "%s took %.2fs" % (name, big)
    # ... and no super-linear growth: 8x the input may not cost much more than 8x the time.
    if big > 0.5:
        assert big < 24 * small, "%s: %.3fs for 1/8, %.3fs for all" % (name, small, big)


# -- the real lexer agrees --------------------------------------------------------------

REAL_PG_SCRIPTS = [
    "select ';' as a; select 2",
    "select 'it''s;' ; select E'\\';' ; select $$;$$; select $t$ $$ ; $t$",
    "select 1 -- ; \n ; /* ; /* ; */ ; */ select 2",
    'select "a;b" from (select 1 as "a;b") s; select 3',
    "select 1, e'\\';'; select text'a\\'; select 2",
    "select (1); ; ; select 2;",
    "create or replace function pg_temp.f() returns int language sql begin atomic select 1; select 2; end;"
    " select pg_temp.f()",
]


@pytest.mark.parametrize("script", REAL_PG_SCRIPTS)
def test_split_matches_postgresql(real_pg, script):
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(real_pg.dsn, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute(script.encode("utf-8"), prepare=False)
        tags = []
        while True:
            tags.append(cur.statusmessage)
            if not cur.nextset():
                break
        statements = split_statements(script)
        assert len(statements) == len(tags)
        for stmt, tag in zip(statements, tags):
            cur.execute(stmt.encode("utf-8"), prepare=False)
            assert cur.statusmessage == tag
