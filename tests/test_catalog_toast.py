"""TOAST tables of registered tables: which tables get one, and the rows
describing it, against a real PostgreSQL 15 given the same tables."""
from __future__ import annotations

from typing import Dict, List

import psycopg
import pytest

from catalog_compare import Answer, compare_answers
from riffq._catalog.engine import CatalogEngine, CatalogSession
from riffq._catalog.registry import CatalogRegistry
from riffq._catalog.translate import translate

SCHEMA = "riffq_toast"
#: table -> column types; the comments say what PostgreSQL decides
TABLES: Dict[str, List[str]] = {
    "fixed_only": ["integer", "bigint", "boolean", "timestamptz"],       # nothing toastable
    "short_varchar": ["bigint", "varchar(20)", "integer"],                # bounded, small
    "long_varchars": ["varchar(300)", "varchar(300)"],                    # 2 x 1204 bytes > 2032
    "just_below": ["varchar(500)"],                                       # 2004 bytes
    "just_above": ["varchar(503)", "integer", "integer", "integer"],
    "with_text": ["integer", "text"],                                     # unbounded
    "with_json": ["json"],
    "with_array": ["integer[]"],
    "numeric_bounded": ["numeric(12,2)", "numeric(1000,0)"],
    "numeric_free": ["numeric"],
    "char_n": ["char(600)"],
    "bytea_col": ["bytea"],
    "uuid_col": ["uuid", "date"],
}
PER_TABLE = ("SELECT c.relname, t.relname IS NOT NULL, t.relkind, t.relnamespace, t.relhasindex, "
             "t.relnatts, i.relname IS NOT NULL FROM pg_catalog.pg_class c "
             "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
             "LEFT JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid "
             "LEFT JOIN pg_catalog.pg_index x ON x.indrelid = t.oid "
             "LEFT JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
             "WHERE n.nspname = '%s' AND c.relkind = 'r' ORDER BY 1" % SCHEMA)
TOAST_ROWS = ("SELECT a.attname, a.atttypid, a.attnum, a.attstorage, a.attnotnull, "
              "x.indisunique, x.indisprimary, x.indkey::text, x.indclass::text, "
              "i.relkind, i.relam, t.relam, t.relpersistence, t.relreplident "
              "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid "
              "JOIN pg_catalog.pg_index x ON x.indrelid = t.oid "
              "JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
              "JOIN pg_catalog.pg_attribute a ON a.attrelid IN (t.oid, i.oid) AND a.attnum > 0 "
              "WHERE c.relname = 'with_text' ORDER BY a.attrelid = t.oid, a.attnum")


@pytest.fixture(scope="module")
def pg_conn(real_pg):
    with psycopg.connect(real_pg.dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS %s CASCADE" % SCHEMA)
        conn.execute("CREATE SCHEMA %s" % SCHEMA)
        for name, types in TABLES.items():
            conn.execute("CREATE TABLE %s.%s (%s)" % (
                SCHEMA, name, ", ".join("c%d %s" % (i, t) for i, t in enumerate(types))))
        yield conn
        conn.execute("DROP SCHEMA %s CASCADE" % SCHEMA)


@pytest.fixture(scope="module")
def engine() -> CatalogEngine:
    reg = CatalogRegistry()
    for name, types in TABLES.items():
        reg.register_table("postgres", SCHEMA, name,
                           [{"c%d" % i: {"type": t}} for i, t in enumerate(types)])
    return CatalogEngine(reg, lambda sql: translate(sql, use_sqlglot=False))


def ours(engine: CatalogEngine, sql: str) -> List[tuple]:
    values = {"search_path": '"$user", public'}
    session = CatalogSession("postgres", "postgres", 1, "tests", values.get, lambda *a: "",
                             lambda: [], "15.4")
    return engine.execute(sql, [], session)[1]


def test_the_same_tables_get_a_toast_table(pg_conn, engine) -> None:
    want = pg_conn.execute(PER_TABLE).fetchall()
    assert [r[:2] for r in want if r[1]] and [r[:2] for r in want if not r[1]]  # both kinds
    assert ours(engine, PER_TABLE) == want


def test_toast_table_and_index_rows_match(pg_conn, engine) -> None:
    want = pg_conn.execute(TOAST_ROWS).fetchall()
    assert len(want) == 5
    assert ours(engine, TOAST_ROWS) == want


def test_toast_names_follow_the_owner_oid(engine) -> None:
    rows = ours(engine, "SELECT c.oid, t.relname, i.relname FROM pg_catalog.pg_class c "
                        "JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid "
                        "JOIN pg_catalog.pg_index x ON x.indrelid = t.oid "
                        "JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid")
    assert rows and all(t == "pg_toast_%d" % oid and i == t + "_index" for oid, t, i in rows)


def test_order_by_an_oid_bearing_name_is_not_compared() -> None:
    cols = [("relname", 19)]
    a = Answer(cols, [("pg_toast_<class:s.a>",), ("pg_toast_<class:s.b>",), ("x",)], None)
    b = Answer(cols, [("pg_toast_<class:s.b>",), ("pg_toast_<class:s.a>",), ("x",)], None)
    assert compare_answers(a, b, [0]) == []
    c = Answer(cols, [("x",), ("pg_toast_<class:s.a>",), ("y",)], None)
    d = Answer(cols, [("y",), ("pg_toast_<class:s.a>",), ("x",)], None)
    assert compare_answers(c, d, [0])      # the other rows' order still counts
