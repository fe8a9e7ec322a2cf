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


# Shapes beyond the corpus whose result columns (names and types) both paths
# must describe alike: typed ``*`` over each kind of FROM item, subqueries,
# polymorphic aggregates, subscripts, record fields, and calls sqlglot would
# otherwise read as another function (now(), strpos(), pow()...).
SHAPES = [
    "SELECT * FROM unnest(ARRAY[1, 2])",
    "SELECT * FROM generate_series(1, 3) WITH ORDINALITY",
    "SELECT u.* FROM unnest(ARRAY['a']::text[]) AS u(x)",
    "SELECT * FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace",
    "SELECT c.*, 1 FROM pg_class c",
    "SELECT * FROM pg_class JOIN pg_namespace USING (oid)",
    "SELECT * FROM (SELECT relname, relkind FROM pg_class) s",
    "SELECT * FROM (VALUES (1, 'a')) v(a, b)",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
    "WITH t AS (SELECT oid AS o, relname FROM pg_class) SELECT t.*, o FROM t",
    "WITH t(a, b) AS (SELECT oid, relacl FROM pg_class) SELECT b[1], a FROM t",
    "SELECT coalesce(relname, 'x'), nullif(relkind, 'r'), "
    "CASE WHEN true THEN relname ELSE 'x' END FROM pg_class",
    "SELECT CASE relkind WHEN 'r' THEN 1 ELSE 2::int8 END FROM pg_class",
    "SELECT max(oid), min(relname), sum(relpages), avg(reltuples), count(*) OVER (), "
    "array_agg(relname ORDER BY oid) FROM pg_class",
    "SELECT string_agg(relname, ',') FILTER (WHERE true), bool_and(relhasindex) FROM pg_class",
    "SELECT (SELECT nspname FROM pg_namespace n WHERE n.oid = c.relnamespace) FROM pg_class c",
    "SELECT ARRAY(SELECT attname FROM pg_attribute), ARRAY[relname, 'x'], ARRAY[oid] "
    "FROM pg_class",
    "SELECT EXISTS (SELECT 1), 1 IN (1, 2), relname ~ 'x', relname LIKE 'a%', relname IS NULL, "
    "relname IS NOT DISTINCT FROM 'a', oid BETWEEN 1 AND 2, oid = ANY($1) FROM pg_class",
    "SELECT relname || 'x', -1, 2147483648, 1.5, 'x', NULL, true FROM pg_class",
    "SELECT indkey[0], indclass[1], (information_schema._pg_expandarray(indkey)).x, "
    "unnest(indkey) FROM pg_index",
    "SELECT x FROM unnest((SELECT indkey FROM pg_index LIMIT 1)) AS x",
    "SELECT s.a FROM (SELECT unnest(indkey) AS a FROM pg_index) s",
    "SELECT pg_catalog.format_type(atttypid, atttypmod), current_user, user, current_schema, "
    "version() FROM pg_attribute",
    "SELECT now(), date_part('year', now()), extract(epoch FROM now()), strpos(relname, 'a'), "
    "substr(relname, 1), position('a' IN relname), ceiling(1.5), pow(2, 2), mod(7, 3), "
    "array_position(ARRAY[1], 1) FROM pg_class",
    "SELECT json_build_object('a', relhasindex, 'b', relname) FROM pg_class",
    # unknown-typed constants beside a typed branch, arithmetic, keyword labels
    "SELECT CASE WHEN true THEN 'a' ELSE typtype END, attnum - 1, 2 * 1.5, "
    "current_setting('server_version_num')::int / 100 FROM pg_type, pg_attribute",
    "SELECT 1 AS select, 2 AS update, relname AS table FROM pg_class",
    "SELECT (INFORMATION_SCHEMA._PG_EXPANDARRAY(indkey)).N FROM pg_index",
    "SELECT pg_type.oid, enumlabel FROM pg_enum JOIN pg_type ON pg_type.oid = enumtypid "
    "ORDER BY oid",
]


@pytest.mark.parametrize("sql", SHAPES, ids=SHAPES)
def test_sqlglot_path_types_these_shapes_as_builtin_path(sql):
    builtin, glot = translate(sql, use_sqlglot=False), translate(sql, use_sqlglot=True)
    assert _described(glot) == _described(builtin)


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
