"""The filters of psql's ``\\dt``, made cheap for 10,000 tables, against a
real PostgreSQL holding the same schemas.

``pg_table_is_visible`` keeps its answers while the registration and the
search path stay the same (``\\dt`` asks once per table): these tests
change one or the other between statements and within one. A pattern
``x ~ '^prefix'`` runs as a comparison of the first characters, with no
call per row: the names here start with the prefix, almost do, or differ
only in case."""
from __future__ import annotations

import psycopg
import pytest

import riffq

SCHEMAS = ("vis_a", "vis_b")
#: (schema, table): ``shared`` is in both, so which one is visible depends
#: on the order of the search path
TABLES = (("vis_a", "shared"), ("vis_b", "shared"), ("vis_b", "only_b"))
#: names for the prefix patterns, in vis_b too; pg_class and pg_am are
#: hidden by pg_catalog's own unless the path puts pg_catalog after vis_b
ODD_NAMES = ("pg_toast", "pg_toast_x", "PG_TOAST", "pg_toas", "xpg_toast", "pg_toäst", "ä_pg",
             "pg_class", "pg_am")
COLUMNS = [{"id": {"type": "int4"}}]

LISTING = ("select n.nspname, c.relname, pg_table_is_visible(c.oid) from pg_catalog.pg_class c "
           "join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
           "where n.nspname in ('vis_a', 'vis_b') and c.relkind = 'r' order by 1, 2")
#: psql 15's \dt, as it sends it
PSQL_DT = (
    "SELECT n.nspname as \"Schema\", c.relname as \"Name\" FROM pg_catalog.pg_class c "
    "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r','p','') AND n.nspname <> 'pg_catalog' "
    "AND n.nspname !~ '^pg_toast' AND n.nspname <> 'information_schema' "
    "AND pg_catalog.pg_table_is_visible(c.oid) "
    "AND n.nspname in ('vis_a', 'vis_b') ORDER BY 1,2")


@pytest.fixture(scope="module")
def pg(real_pg):
    with psycopg.connect(real_pg.dsn, autocommit=True) as conn:
        for schema in SCHEMAS:
            conn.execute("drop schema if exists %s cascade" % schema)
            conn.execute("create schema %s" % schema)
        for schema, table in TABLES + tuple(("vis_b", name) for name in ODD_NAMES):
            conn.execute('create table %s."%s" (id int4)' % (schema, table))
        yield real_pg
        for schema in SCHEMAS:
            conn.execute("drop schema %s cascade" % schema)


@pytest.fixture
def ours(serve):
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(([{"name": "x", "type": "int4"}], [(1,)])))
    for schema in SCHEMAS:
        server.register_schema("postgres", schema)
    for schema, table in TABLES + tuple(("vis_b", name) for name in ODD_NAMES):
        server.register_table("postgres", schema, table, COLUMNS)
    serve(server, auth_method="trust", catalog_emulation=True)
    return server


def both(pg, ours):
    theirs = psycopg.connect(pg.dsn, autocommit=True)
    mine = psycopg.connect(host="127.0.0.1", port=ours.port, user="postgres", dbname="postgres",
                           autocommit=True)
    return theirs, mine


def rows(conn, sql):
    return conn.execute(sql).fetchall()


def test_oids_of_nothing_and_of_system_tables_answer_as_postgresql_does(pg, ours):
    sql = ("select pg_table_is_visible(999999999), pg_table_is_visible(0), "
           "pg_table_is_visible(NULL), pg_table_is_visible('pg_class'::regclass)")
    theirs, mine = both(pg, ours)
    with theirs, mine:
        for conn in (theirs, mine):
            conn.execute("set search_path = vis_a")
        for _ in range(2):      # the second time from what the first kept
            assert rows(mine, sql) == rows(theirs, sql) == [(None, None, None, True)]


@pytest.mark.parametrize("path", ["vis_a, vis_b", "vis_b, vis_a", "vis_b", "vis_a",
                                  "nothing_here, vis_b, vis_a", "vis_b, pg_catalog",
                                  "pg_catalog, vis_b"])
def test_visibility_follows_each_search_path_in_turn(pg, ours, path):
    theirs, mine = both(pg, ours)
    with theirs, mine:
        # the answers of the paths before must not be the answers for this one
        for earlier in ("vis_a, vis_b", "vis_b, vis_a", path):
            for conn in (theirs, mine):
                conn.execute("set search_path = " + earlier)
            assert rows(mine, LISTING) == rows(theirs, LISTING)
            assert rows(mine, PSQL_DT) == rows(theirs, PSQL_DT)


def test_set_config_in_the_statement_is_seen_by_the_calls_after_it(pg, ours):
    """Each row sets the path, then asks. (With an ORDER BY, PostgreSQL's
    plan may evaluate the two in another order; without, it does not.)"""
    per_row = ("select c.relname, set_config('search_path', 'vis_a, vis_b', false), "
               "pg_table_is_visible(c.oid) from pg_class c join pg_namespace n "
               "on n.oid = c.relnamespace where n.nspname = 'vis_b' and c.relkind = 'r'")
    scalar = ("select set_config('search_path', 'vis_a, vis_b', false), "
              "pg_table_is_visible('vis_b.shared'::regclass)")
    # asked before the change (answer kept), then after it
    again = ("select pg_table_is_visible('vis_b.shared'::regclass), "
             "set_config('search_path', 'vis_a, vis_b', false), "
             "pg_table_is_visible('vis_b.shared'::regclass)")
    theirs, mine = both(pg, ours)
    with theirs, mine:
        for sql in (per_row, scalar, again):
            for conn in (theirs, mine):
                conn.execute("set search_path = vis_b")
            assert rows(mine, LISTING) == rows(theirs, LISTING)    # cached under vis_b alone
            got = sorted(rows(mine, sql))
            assert got == sorted(rows(theirs, sql))
            assert ("vis_a, vis_b", False) in [row[-2:] for row in got]


def test_a_table_registered_later_hides_one_of_its_name_further_down_the_path(pg, ours):
    theirs, mine = both(pg, ours)
    with theirs, mine:
        for conn in (theirs, mine):
            conn.execute("set search_path = vis_a, vis_b")
        before = rows(mine, LISTING)
        assert ("vis_b", "only_b", True) in before
        assert before == rows(theirs, LISTING)
        ours.register_table("postgres", "vis_a", "only_b", COLUMNS)
        theirs.execute("create table vis_a.only_b (id int4)")
        try:
            after = rows(mine, LISTING)
            assert ("vis_b", "only_b", False) in after and ("vis_a", "only_b", True) in after
            assert after == rows(theirs, LISTING)
        finally:
            theirs.execute("drop table vis_a.only_b")


@pytest.mark.parametrize("pattern", ["^pg_toast", "^pg_toa", "^PG_", "^p", "^pg_toäst", "^ä"])
def test_a_literal_prefix_pattern_matches_as_postgresql_does(pg, ours, pattern):
    sql = ("select c.relname, c.relname ~ '{p}', c.relname !~ '{p}', c.relname ~* '{p}' "
           "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
           "where n.nspname = 'vis_b' and c.relkind = 'r' order by 1").format(p=pattern)
    theirs, mine = both(pg, ours)
    with theirs, mine:
        got = rows(mine, sql)
        assert got == rows(theirs, sql)
        assert len(got) == len(ODD_NAMES) + 2
