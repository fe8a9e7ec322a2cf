"""The engine's content and functions against a real PostgreSQL 15.

The same schema is created in the real server and registered with riffq;
catalog rows, function outputs and result column types must agree.
"""
from __future__ import annotations

import psycopg
import pytest
from psycopg.adapt import Loader

from catalog_engine_standin import OutputColumn as OC, StandInTranslator
from riffq._catalog.content import static_catalog
from riffq._catalog.engine import CatalogEngine
from riffq._catalog.registry import CatalogRegistry
from riffq._wire.textformat import encoder_for
from test_catalog_engine import make_session

SCHEMA = "riffq_et"


@pytest.fixture(scope="module")
def pg(real_pg):
    with psycopg.connect(real_pg.dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS %s CASCADE" % SCHEMA)
        conn.execute("CREATE SCHEMA %s" % SCHEMA)
        conn.execute("CREATE TABLE %s.orders (id bigint PRIMARY KEY, item varchar(40), "
                     "price numeric(12,2), tags text[], placed timestamp with time zone, "
                     "code char(3), flag boolean NOT NULL)" % SCHEMA)
        conn.execute("COMMENT ON COLUMN %s.orders.id IS 'order id'" % SCHEMA)
        yield conn
        conn.execute("DROP SCHEMA %s CASCADE" % SCHEMA)


@pytest.fixture(scope="module")
def engine_and_tl():
    reg = CatalogRegistry()
    reg.register_table("postgres", SCHEMA, "orders", [
        {"id": {"type": "bigint", "nullable": False, "primary_key": True, "comment": "order id"}},
        {"item": {"type": "varchar(40)"}},
        {"price": {"type": "numeric(12,2)"}},
        {"tags": {"type": "text[]"}},
        {"placed": {"type": "timestamp with time zone"}},
        {"code": {"type": "char(3)"}},
        {"flag": {"type": "boolean", "nullable": False}},
    ])
    tl = StandInTranslator()
    return CatalogEngine(reg, tl), tl


def session():
    return make_session("postgres", "postgres")


def _ours_as_text(engine, tl, sql, relations, star=()):
    cols, rows = engine.execute(tl.tr(sql, None, relations, star), [], session())
    encs = [encoder_for(t) for _, t in cols]
    return [tuple(None if v is None else enc(v) for enc, v in zip(encs, row)) for row in rows]


def test_pg_type_rows_equal_postgres(pg, engine_and_tl) -> None:
    engine, tl = engine_and_tl
    cols = [c for c, _ in static_catalog().relations["pg_type"].columns]
    theirs = _pg_text(pg, "SELECT %s FROM pg_type WHERE oid < 16384 ORDER BY oid" % ", ".join(cols))
    ours = _ours_as_text(engine, tl, "SELECT * FROM pg_type WHERE oid < 16384 ORDER BY oid",
                         ["pg_type"], ["pg_type"])
    assert len(ours) == len(theirs) == 611
    for a, b in zip(ours, theirs):
        assert a == b


def test_format_type_equals_postgres(pg, engine_and_tl) -> None:
    engine, tl = engine_and_tl
    pairs = [(oid, mod) for oid in sorted(static_catalog().types) for mod in (None, -1, 8)]
    pairs = [p for p in pairs if p[0] not in (1186, 1186 + 1)]  # interval: 8 is no valid typmod
    pairs += [(1700, 786438), (1043, 44), (1042, 7), (1184, 3), (1186, 2147418115), (1083, 0)]
    theirs, ours = [], []
    for oid, mod in pairs:
        try:
            theirs.append(pg.execute("SELECT format_type(%s, %s)", (oid, mod)).fetchone()[0])
        except psycopg.Error:
            continue
        sql = tl.tr("SELECT format_type(%d, %s)" % (oid, "NULL" if mod is None else mod),
                    [OC("format_type", function="format_type")])
        ours.append(engine.execute(sql, [], session())[1][0][0])
    assert ours == theirs


def test_user_table_catalog_rows_equal_postgres(pg, engine_and_tl) -> None:
    engine, tl = engine_and_tl
    queries = [
        ("SELECT a.attname, a.atttypid, a.atttypmod, a.attnotnull, a.attlen, a.attnum, a.attbyval, "
         "a.attalign, a.attstorage, a.attcollation, a.attndims, format_type(a.atttypid, a.atttypmod), "
         "col_description(a.attrelid, a.attnum) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
         "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '%s' AND a.attnum > 0 "
         "ORDER BY c.relname, a.attnum" % SCHEMA, ["pg_attribute", "pg_class", "pg_namespace"]),
        ("SELECT c.relname, c.relkind, c.relnatts, c.relhasindex, c.relpersistence, c.relam, "
         "c.relreplident, c.relispopulated FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
         "WHERE n.nspname = '%s' ORDER BY c.relname" % SCHEMA, ["pg_class", "pg_namespace"]),
        ("SELECT i.indnatts, i.indnkeyatts, i.indisunique, i.indisprimary, i.indkey, i.indclass, "
         "i.indcollation, i.indoption, pg_get_indexdef(i.indexrelid), con.conname, con.contype, "
         "con.conkey, pg_get_constraintdef(con.oid) FROM pg_index i "
         "JOIN pg_constraint con ON con.conindid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid "
         "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '%s'" % SCHEMA,
         ["pg_index", "pg_constraint", "pg_class", "pg_namespace"]),
        ("SELECT table_catalog, table_schema, table_name, column_name, ordinal_position, is_nullable, "
         "data_type, character_maximum_length, character_octet_length, numeric_precision, "
         "numeric_precision_radix, numeric_scale, datetime_precision, udt_schema, udt_name, dtd_identifier "
         "FROM information_schema.columns WHERE table_schema = '%s' ORDER BY ordinal_position" % SCHEMA,
         ["columns"]),
        ("SELECT constraint_name, table_name, column_name, ordinal_position FROM "
         "information_schema.key_column_usage WHERE table_schema = '%s'" % SCHEMA, ["key_column_usage"]),
        ("SELECT table_catalog, table_schema, table_name, table_type, is_insertable_into, is_typed "
         "FROM information_schema.tables WHERE table_schema = '%s'" % SCHEMA, ["tables"]),
        ("SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = '%s'"
         % SCHEMA, ["pg_indexes"]),
    ]
    for sql, rels in queries:
        theirs = _pg_text(pg, sql)
        ours = _ours_as_text(engine, tl, sql, rels)
        assert ours == theirs, sql


class _RawText(Loader):
    """Keep PostgreSQL's text output as it came over the wire."""

    def load(self, data):
        return bytes(data).decode()


def _pg_text(pg, sql):
    """Rows as PostgreSQL's own text output (what a text-format client sees)."""
    cur = pg.cursor()
    for oid in {d.type_code for d in pg.execute(sql).description}:
        cur.adapters.register_loader(oid, _RawText)
    cur.execute(sql)
    return cur.fetchall()


def test_result_column_types_equal_postgres(pg, engine_and_tl) -> None:
    engine, tl = engine_and_tl
    cases = [
        ("SELECT oid, relname, relkind, relnatts, relacl, reltuples, relhasindex FROM pg_class "
         "WHERE false", None, ["pg_class"]),
        ("SELECT proargtypes, proname, prorettype, proargnames, proallargtypes FROM pg_proc WHERE false",
         None, ["pg_proc"]),
        ("SELECT indkey, indclass, indexprs FROM pg_index WHERE false", None, ["pg_index"]),
        ("SELECT typinput, typname, typtype, typlen FROM pg_type WHERE false", None, ["pg_type"]),
        ("SELECT datname, datacl, encoding FROM pg_database WHERE false", None, ["pg_database"]),
        ("SELECT pid, client_addr, backend_start, usesysid FROM pg_stat_activity WHERE false", None,
         ["pg_stat_activity"]),
        ("SELECT table_name, ordinal_position, is_nullable, character_maximum_length "
         "FROM information_schema.columns WHERE false", None, ["columns"]),
    ]
    for sql, columns, rels in cases:
        theirs = [(d.name, d.type_code) for d in pg.execute(sql).description]
        ours = [(n, t.oid) for n, t in engine.describe(tl.tr(sql, columns, rels), session())[1]]
        assert ours == theirs, sql
    fn_cases = [
        ("SELECT current_schemas(true), format_type(23, NULL), count(*), current_database(), "
         "pg_get_userbyid(10), version(), obj_description(1259, 'pg_class'), pg_backend_pid(), "
         "has_table_privilege('pg_class', 'SELECT'), pg_table_is_visible(1259)",
         ["current_schemas", "format_type", "count", "current_database", "pg_get_userbyid", "version",
          "obj_description", "pg_backend_pid", "has_table_privilege", "pg_table_is_visible"]),
    ]
    for sql, fns in fn_cases:
        theirs = [d.type_code for d in pg.execute(sql).description]
        ours_sql = tl.tr(sql.replace("true", "1") + " ", [OC(f, function=f) for f in fns])
        ours = [t.oid for _, t in engine.describe(ours_sql, session())[1]]
        assert ours == theirs


@pytest.mark.parametrize("value,pattern,icase", [
    ("pg_class", "^pg_", 0), ("Orders", "^(orders)$", 1), ("abc1", "[[:digit:]]$", 0),
    ("a.b", "^a\\.b$", 0), ("word here", "\\mhere\\M", 0), ("xyz", "^(?!pg_)", 0),
    ("public", "^(public|app)$", 0), ("ABC", "abc", 0),
])
def test_regex_matches_postgres(pg, engine_and_tl, value, pattern, icase) -> None:
    engine, tl = engine_and_tl
    op = "~*" if icase else "~"
    theirs = pg.execute("SELECT %%s %s %%s" % op, (value, pattern)).fetchone()[0]
    sql = tl.tr("SELECT pg_regex(?1, ?2, %d)" % icase, [OC("r", literal="bool")])
    assert engine.execute(sql, [value, pattern], session())[1] == [(theirs,)]


@pytest.mark.parametrize("value,pattern", [
    ("pg_class", "pg\\_%"), ("pgxclass", "pg\\_%"), ("Orders", "ord%"), ("a%b", "a\\%b"),
    ("abc", "_b_"), ("line\nbreak", "line%"),
])
def test_like_matches_postgres(pg, engine_and_tl, value, pattern) -> None:
    engine, tl = engine_and_tl
    for icase, op in ((0, "LIKE"), (1, "ILIKE")):
        theirs = pg.execute("SELECT %%s %s %%s" % op, (value, pattern)).fetchone()[0]
        sql = tl.tr("SELECT pg_like(?1, ?2, %d)" % icase, [OC("r", literal="bool")])
        assert engine.execute(sql, [value, pattern], session())[1] == [(theirs,)]


def test_string_and_size_functions_match_postgres(pg, engine_and_tl) -> None:
    engine, tl = engine_and_tl
    exprs = ["pg_size_pretty(%d::bigint)" % n for n in
             (0, 10239, 10240, 10752, 1048575, 20971519, 20971520, 1 << 40, -10240, -123456789)]
    exprs += ["split_part('a.b.c', '.', 2)", "split_part('a.b.c', '.', -1)", "left('hello', -2)",
              "right('hello', 3)", "lpad('7', 3, '0')", "rpad('ab', 5, 'xy')",
              "quote_ident('Mixed')", "quote_ident('select')", "quote_literal('it''s')",
              "concat_ws(',', 'a', NULL, 'b')", "array_to_string(ARRAY['a', NULL, 'c'], '/', '*')",
              "regexp_replace('pg_catalog', '^pg_', 'x_')", "pg_encoding_to_char(6)"]
    for expr in exprs:
        theirs = pg.execute("SELECT " + expr).fetchone()[0]
        ours_expr = expr.replace("::bigint", "").replace("ARRAY['a', NULL, 'c']", "pg_array('a', NULL, 'c')")
        ours_expr = ours_expr.replace("left(", "pg_left(").replace("right(", "pg_right(")
        sql = tl.tr("SELECT " + ours_expr, [OC("f", literal="text")])
        assert engine.execute(sql, [], session())[1] == [(theirs,)], expr
