"""The sqlglot translator path held to the built-in one, statement by statement.

The corpus tests check both paths' answers against real PostgreSQL 15.  These
check what those cannot see: that the sqlglot path hands the engine the same
result column metadata (names, casts, functions, catalog sources, PostgreSQL
types), the same relations and ``*`` relations, and refuses what the
built-in path refuses with the same SQLSTATE; and that whatever it does not
translate is a clean ``UnsupportedSql`` refusal, never SQL SQLite rejects.
"""
from __future__ import annotations

import re
import sqlite3
from typing import List, Optional, Tuple

import psycopg
import pytest

from catalog_compare import load_corpus
from catalog_sqlite_standin import build_catalog_db
from catalog_translate_corpus import DRIVER_CORPUS, PSQL_CORPUS, SQLGLOT_GAPS
from riffq._catalog.translate import Translation, UnsupportedSql, translate

# Statements of both corpora, user-object OID placeholders filled with an OID:
# which one does not matter to a translation.
ENTRIES: List[Tuple[str, str]] = (
    [(e[0], e[1]) for e in PSQL_CORPUS + DRIVER_CORPUS]
    + [(e.test_id, e.sql) for e in load_corpus()])
_PLACEHOLDER = re.compile(r"\{\{oid:[^}]*\}\}|\{(?:users|orders|mood)\}")


def _sql(entry: Tuple[str, str]) -> str:
    return _PLACEHOLDER.sub("16390", entry[1])


def _translate(sql: str, use_sqlglot: bool) -> "Translation | UnsupportedSql":
    try:
        return translate(sql, use_sqlglot=use_sqlglot)
    except UnsupportedSql as exc:
        return exc


def _described(t: Translation) -> tuple:
    cols = None if t.columns is None else [vars(c) for c in t.columns]
    return cols, sorted(t.relations), t.star_relations


@pytest.mark.parametrize("entry", ENTRIES, ids=[e[0] for e in ENTRIES])
def test_sqlglot_path_describes_results_as_builtin_path(entry):
    sql = _sql(entry)
    builtin, glot = _translate(sql, False), _translate(sql, True)
    if isinstance(builtin, UnsupportedSql):
        assert isinstance(glot, UnsupportedSql), glot.sql
        assert glot.sqlstate == builtin.sqlstate
        return
    if isinstance(glot, UnsupportedSql):
        assert entry[0] in SQLGLOT_GAPS, glot.message
        return
    (g_cols, g_rel, g_star), (b_cols, b_rel, b_star) = _described(glot), _described(builtin)
    assert (g_rel, g_star) == (b_rel, b_star)
    assert g_cols == b_cols


@pytest.fixture(scope="module")
def catalog_db(real_pg):
    """A SQLite stand-in catalog holding every relation the corpus reads."""
    relations = set()
    for entry in ENTRIES:
        for use_sqlglot in (False, True):
            t = _translate(_sql(entry), use_sqlglot)
            if isinstance(t, Translation):
                relations |= t.relations
    conn = psycopg.connect(real_pg.dsn, autocommit=True)
    db = build_catalog_db(conn, relations)
    yield db
    db.close()
    conn.close()


def _parameter_count(sql: str) -> int:
    return max((int(n) for n in re.findall(r"\?(\d+)", sql)), default=0)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e[0] for e in ENTRIES])
def test_sqlglot_translation_compiles_or_is_refused(entry, catalog_db):
    """A gap must be a refusal naming the construct; anything translated must
    be SQL SQLite accepts (the corpus tests then compare its rows)."""
    t = _translate(_sql(entry), True)
    if entry[0] in SQLGLOT_GAPS:
        assert isinstance(t, UnsupportedSql), "a listed gap translates: %s" % t.sql
        assert t.sqlstate == "0A000"
        assert t.message.startswith("catalog emulation does not support ")
        return
    assert isinstance(t, Translation), t.message
    try:
        catalog_db.execute("EXPLAIN " + t.sql, (None,) * _parameter_count(t.sql)).fetchall()
    except sqlite3.Error as exc:
        pytest.fail("SQLite rejects the sqlglot path's SQL (%s): %s" % (exc, t.sql))


# Constructs neither path can answer faithfully: both must refuse them alike.
REFUSED = [
    ("SELECT indkey[1:2] FROM pg_index", "0A000"),
    ("SELECT substring(relname from 'p.*') FROM pg_class", "0A000"),
    ("SELECT greatest(1, 2)", "0A000"),
    ("SELECT relname FROM pg_class WHERE relacl OPERATOR(pg_catalog.@>) relacl", "0A000"),
    ("SELECT * FROM unnest(ARRAY[1], ARRAY[2])", "0A000"),
    ("SELECT generate_subscripts(indkey, 1, true) FROM pg_index", "0A000"),
    ("SELECT unnest(ARRAY[unnest(ARRAY[1])])", "0A000"),
    ("SELECT * FROM public.users", "42P01"),
    ("SELECT * FROM json_each('{}')", "0A000"),
    ("SELECT current_time", "0A000"),
    ("SELECT localtime", "0A000"),
    ("SELECT count(*), unnest(ARRAY[1, 2])", "0A000"),
    ("SELECT U&'\\zzzz'", "42601"),
    ("SELECT (relname).x FROM pg_class", "0A000"),
    ("SELECT information_schema._pg_expandarray(indkey) FROM pg_index", "0A000"),
    ("SELECT string_agg(DISTINCT relname, ',' ORDER BY relname) FROM pg_class", "0A000"),
    ("SELECT myschema.f(1)", "42883"),
    ("SELECT 1 < ANY (SELECT 1)", "0A000"),
    ("SELECT $0", "42P02"),
    ("SELECT * FROM pg_class c(a, b)", "0A000"),
    ("SELECT json_build_object('a')", "22023"),
    ("SELECT * FROM generate_series(1, 2, 3, 4)", "42883"),
    ("SELECT relname FROM pg_class WHERE relname SIMILAR TO 'a' ESCAPE '#'", "0A000"),
    ("SELECT pg_typeof(1)", "0A000"),
    ("SELECT * FROM pg_get_keywords() WITH ORDINALITY", "0A000"),
    ("SELECT * FROM version() WITH ORDINALITY", "0A000"),
    ("SELECT * FROM unnest(ARRAY[1]) AS u(a, b)", "0A000"),
    ("SELECT ARRAY(SELECT 1, 2)", "0A000"),
    ("SELECT 1 FOR UPDATE", "0A000"),
]


@pytest.mark.parametrize("sql,sqlstate", REFUSED, ids=[s for s, _ in REFUSED])
def test_both_paths_refuse_alike(sql, sqlstate):
    refusals: List[Optional[str]] = []
    for use_sqlglot in (False, True):
        t = _translate(sql, use_sqlglot)
        refusals.append(t.sqlstate if isinstance(t, UnsupportedSql) else None)
    assert refusals == [sqlstate, sqlstate]
