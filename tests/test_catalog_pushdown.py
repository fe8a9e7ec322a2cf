"""Statements that read ``pg_attribute`` while its rows are not in place
write only the rows they can see (``riffq._catalog.pushdown``). Each
statement here runs twice on one engine, with and without that, from
nothing in place, and must answer the same; where the rows can be
narrowed, only the named relation's are written."""
from __future__ import annotations

import pytest

import riffq._catalog.engine as engine_module
from riffq._catalog.engine import CatalogEngine
from riffq._catalog.pushdown import attribute_need
from riffq._catalog.registry import CatalogRegistry
from test_catalog_engine import make_session

#: psql 15's \d column statement and its publications statement
PSQL_COLUMNS = (
    "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
    "(SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) FROM pg_catalog.pg_attrdef d "
    "WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef), a.attnotnull, "
    "(SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t "
    "WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) "
    "AS attcollation, a.attidentity, a.attgenerated FROM pg_catalog.pg_attribute a "
    "WHERE a.attrelid = '{oid}' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")
PSQL_PUBLICATIONS = (
    "SELECT pubname, NULL, NULL FROM pg_catalog.pg_publication p "
    "JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid "
    "JOIN pg_catalog.pg_class pc ON pc.relnamespace = pn.pnnspid "
    "WHERE pc.oid ='{oid}' and pg_catalog.pg_relation_is_publishable('{oid}') UNION "
    "SELECT pubname, pg_get_expr(pr.prqual, c.oid), (CASE WHEN pr.prattrs IS NOT NULL THEN "
    "(SELECT string_agg(attname, ', ') FROM pg_catalog.generate_series(0, "
    "pg_catalog.array_upper(pr.prattrs::pg_catalog.int2[], 1)) s, pg_catalog.pg_attribute "
    "WHERE attrelid = pr.prrelid AND attnum = prattrs[s]) ELSE NULL END) "
    "FROM pg_catalog.pg_publication p JOIN pg_catalog.pg_publication_rel pr ON p.oid = pr.prpubid "
    "JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid WHERE pr.prrelid = '{oid}' UNION "
    "SELECT pubname, NULL, NULL FROM pg_catalog.pg_publication p "
    "WHERE p.puballtables AND pg_catalog.pg_relation_is_publishable('{oid}') ORDER BY 1")

#: (statement, params, what is written of pg_attribute's user rows:
#: "orders", "leads", "none" or "all")
CASES = [
    (PSQL_COLUMNS, (), "orders"),
    (PSQL_COLUMNS.replace("{oid}", "{leads}"), (), "leads"),
    (PSQL_COLUMNS.replace("{oid}", "{pkey}"), (), "orders"),       # the primary key's index
    (PSQL_COLUMNS.replace("'{oid}'", "1259"), (), "none"),            # pg_class, built in
    (PSQL_COLUMNS.replace("{oid}", "999999"), (), "all"),            # nothing: not placed
    (PSQL_COLUMNS.replace("'{oid}'", "'orders'::regclass"), (), "all"),
    (PSQL_PUBLICATIONS, (), "none"),
    ("SELECT attname, attnum FROM pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 "
     "ORDER BY attnum", ("{oid}",), "orders"),
    ("SELECT count(*) FROM pg_catalog.pg_attribute a WHERE a.attrelid = '{oid}'", (), "orders"),
    ("SELECT a.attname FROM pg_attribute a LEFT JOIN pg_publication_rel pr "
     "ON pr.prrelid = a.attrelid WHERE a.attrelid = '{oid}' ORDER BY 1", (), "orders"),
    # cannot be narrowed: the answer needs other relations' rows
    ("SELECT count(*) FROM pg_attribute a WHERE a.attrelid = '{oid}' OR a.attnum < 0", (), "all"),
    ("SELECT count(*) FROM pg_attribute a JOIN pg_attribute b ON b.attrelid = a.attrelid "
     "WHERE a.attrelid = '{oid}'", (), "all"),
    ("SELECT count(*) FROM pg_attribute a JOIN pg_attribute b ON b.attnum = a.attnum "
     "WHERE a.attrelid = '{oid}'", (), "all"),
    ("SELECT count(*), (SELECT count(*) FROM pg_attribute) FROM pg_publication_rel", (), "all"),
    ("SELECT (SELECT count(*) FROM pg_attribute) FROM pg_publication_rel", (), "none"),
    ("SELECT c.relname, a.attname FROM pg_class c LEFT JOIN pg_attribute a "
     "ON a.attrelid = c.oid WHERE c.oid = '{oid}' ORDER BY 2", (), "all"),
    ("WITH x AS (SELECT * FROM pg_attribute WHERE attrelid = '{oid}') SELECT count(*) FROM x",
     (), "all"),
    ("SELECT count(*) FROM pg_attribute a WHERE a.attrelid IN "
     "(SELECT oid FROM pg_class WHERE relname = 'leads')", (), "all"),
]


@pytest.fixture
def engine():
    reg = CatalogRegistry()
    reg.register_table("shop", "public", "orders", [
        {"id": {"type": "bigint", "nullable": False, "primary_key": True}},
        {"item": {"type": "varchar(40)", "default": "'none'"}},
        {"price": {"type": "numeric(12,2)"}},
    ])
    reg.register_table("shop", "public", "leads", [{"name": {"type": "text"}}])
    for i in range(20):
        reg.register_table("shop", "public", "filler%d" % i, [{"x": {"type": "int4"}}])
    return CatalogEngine(reg)


def oids(engine):
    session = make_session("shop")
    rows = engine.execute("SELECT relname, oid FROM pg_class WHERE relname IN "
                          "('orders', 'leads', 'orders_pkey')", [], session)[1]
    return {name: str(int(oid)) for name, oid in rows}


def forget_attributes(engine):
    """As after a start: none of pg_attribute's user rows in place."""
    if engine._resident.pop("pg_attribute", None) is not None \
            or engine._attribute_rows[0] is not None:
        engine._delete_user_rows("pg_attribute")
    engine._attribute_rows = (None, set())


def run(engine, sql, params, known):
    def bind(text):
        return text.format(oid=known["orders"], leads=known["leads"], pkey=known["orders_pkey"])
    forget_attributes(engine)
    return engine.execute(bind(sql), [bind(p) for p in params], make_session("shop"))


@pytest.mark.parametrize("sql,params,written", CASES)
def test_the_answer_is_the_same_with_only_the_rows_it_can_see(engine, monkeypatch, sql, params,
                                                             written):
    known = oids(engine)
    asked = []
    real = engine_module.attributes

    def recording(ctx, relations=None):
        asked.append(None if relations is None else sorted(r.name for r in relations))
        return real(ctx, relations)
    monkeypatch.setattr(engine_module, "attributes", recording)
    narrowed = run(engine, sql, params, known)
    assert asked == [{"orders": ["orders"], "leads": ["leads"], "none": []}.get(written)] \
        or (written == "all" and asked == [])
    monkeypatch.setattr(engine_module, "attribute_need", lambda *args: None)
    whole = run(engine, sql, params, known)
    assert narrowed == whole
    if "count(*)" in sql and written != "none":
        assert max(whole[1][0]) > 0     # rows were there to count


def test_rows_in_place_are_used_as_they_are(engine, monkeypatch):
    """Once a statement wrote all the rows (kept while the registration
    holds), later statements read those, narrowed or not."""
    known = oids(engine)
    session = make_session("shop")
    forget_attributes(engine)
    engine.execute("SELECT count(*) FROM pg_attribute", [], session)
    calls = []
    monkeypatch.setattr(engine_module, "attribute_need", lambda *args: calls.append(args))
    cols = engine.execute(PSQL_COLUMNS.replace("{oid}", known["orders"]), [], session)[1]
    assert [c[0] for c in cols] == ["id", "item", "price"] and calls == []


@pytest.mark.parametrize("sql,expected", [
    ("SELECT 1 FROM pg_attribute a WHERE a.attrelid = '16390'", ("literal", "16390")),
    ("SELECT 1 FROM pg_attribute a WHERE 16390 = a.attrelid AND a.attnum > 0", ("literal", "16390")),
    ("SELECT 1 FROM pg_attribute a WHERE a.attrelid = '16390'::oid", ("literal", "16390")),
    ("SELECT 1 FROM pg_catalog.pg_attribute WHERE pg_attribute.attrelid = $2", ("param", 2)),
    ("SELECT 1 FROM pg_attribute a WHERE a.attrelid = $1 OR true", None),
    ("SELECT 1 FROM pg_attribute a WHERE attrelid = '16390'", None),       # unqualified
    ("SELECT 1 FROM pg_attribute a WHERE a.attrelid = 'x'", None),
    ("SELECT 1 FROM other.pg_attribute a WHERE a.attrelid = '1'", ("none", None)),
    ("SELECT 1 FROM pg_attribute a GROUP BY 1", None),
    ("SELECT 1", ("none", None)),
    ("not sql at all", None),
])
def test_what_a_statement_shows_of_pg_attribute(sql, expected):
    assert attribute_need(sql, frozenset({"pg_publication_rel"}), frozenset({"count"})) == expected


class TwoTableSource:
    """A lazy source with two tables."""

    def databases(self, cb):
        cb([{"oid": 70000, "name": "lazydb"}])

    def schemas(self, database, cb):
        cb([{"oid": 70001, "name": "app"}])

    def relations(self, database, schema, cb):
        cb([{"oid": 70002, "name": "events", "reltype_oid": 70003, "kind": "table"},
            {"oid": 70004, "name": "users", "reltype_oid": 70005, "kind": "table"}]
           if schema == "app" else [])

    def columns(self, database, schema, relation, cb):
        cb([{"name": "id", "type_oid": 20, "nullable": False}])


def test_a_lazy_source_s_tables_are_narrowed_on_every_statement(monkeypatch):
    """A lazy source is read live, so its rows are never kept: each
    statement writes only what it can see."""
    reg = CatalogRegistry()
    reg.set_lazy_source(TwoTableSource())
    engine = CatalogEngine(reg)
    asked = []
    real = engine_module.attributes
    monkeypatch.setattr(engine_module, "attributes",
                        lambda ctx, relations=None: asked.append(relations) or real(ctx, relations))
    for oid, name in (("70004", "users"), ("70002", "events"), ("70004", "users")):
        rows = engine.execute(PSQL_COLUMNS.replace("{oid}", oid), [], make_session("lazydb"))[1]
        assert [r[:2] for r in rows] == [("id", "bigint")]
        assert [r.name for r in asked.pop()] == [name]


def test_one_relation_s_rows_stay_for_the_next_statements(engine, monkeypatch):
    """Rows written for one relation stay while the registration holds:
    describing it again writes nothing, another table adds its own, and a
    statement that needs every row gets each exactly once."""
    known = oids(engine)
    session = make_session("shop")
    full_count = engine.execute("SELECT count(*) FROM pg_attribute", [], session)[1]
    forget_attributes(engine)
    asked = []
    real = engine_module.attributes
    monkeypatch.setattr(engine_module, "attributes",
                        lambda ctx, relations=None: asked.append(relations) or real(ctx, relations))

    def describe(name):
        rows = engine.execute(PSQL_COLUMNS.replace("{oid}", known[name]), [], session)[1]
        return [r[0] for r in rows], [r.name for r in asked.pop()]
    assert describe("orders") == (["id", "item", "price"], ["orders"])
    assert describe("leads") == (["name"], ["leads"])
    assert describe("orders") == (["id", "item", "price"], [])
    assert engine.execute("SELECT count(*) FROM pg_attribute", [], session)[1] == full_count
    assert asked == []      # all rows, from the builder: the kept ones went first
    # a new registration: what was kept is gone, and the new table is there
    engine._registry.register_table("shop", "public", "later", [{"y": {"type": "text"}}])
    assert describe("orders")[1] == ["orders"]
    later = engine.execute("SELECT oid FROM pg_class WHERE relname = 'later'", [], session)[1][0][0]
    rows = engine.execute(PSQL_COLUMNS.replace("{oid}", str(int(later))), [], session)[1]
    assert [r[0] for r in rows] == ["y"] and [r.name for r in asked.pop()] == ["later"]
    assert engine.execute("SELECT count(*) FROM pg_attribute WHERE attrelid = %s" % known["orders"],
                          [], session)[1] == [(9,)]     # 6 system columns and 3 of its own
