"""Foreign keys declared with a column's ``"references"``: psql's ``\\d``
and SQLAlchemy's inspector show the same on riffq as on a real PostgreSQL 15
holding the same tables; references riffq cannot resolve are clear errors."""
from __future__ import annotations

import os

import psycopg
import pytest

import riffq
from conftest import run_psql
from riffq._catalog.engine import CatalogEngine, CatalogSession
from riffq._catalog.registry import CatalogRegistry
from riffq._catalog.translate import translate
from riffq._wire.errors import PgError
from riffq.testing import serve_in_thread

DATABASE = "riffq_fk"
DDL = """
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id integer PRIMARY KEY, name text);
CREATE TABLE shop.orders (id bigint PRIMARY KEY,
                          customer_id integer NOT NULL REFERENCES shop.customers(id), note text);
CREATE TABLE shop.lines (order_id bigint REFERENCES shop.orders, n integer);
CREATE TABLE public.audit (customer_id integer REFERENCES shop.customers(id), what text);
"""
TABLES = [
    ("shop", "customers", [{"id": {"type": "integer", "primary_key": True}},
                           {"name": {"type": "text"}}]),
    ("shop", "orders", [{"id": {"type": "bigint", "primary_key": True}},
                        {"customer_id": {"type": "integer", "nullable": False,
                                         "references": "shop.customers(id)"}},
                        {"note": {"type": "text"}}]),
    ("shop", "lines", [{"order_id": {"type": "bigint", "references": "shop.orders"}},
                       {"n": {"type": "integer"}}]),
    ("public", "audit", [{"customer_id": {"type": "integer", "references": "shop.customers(id)"}},
                         {"what": {"type": "text"}}]),
]


@pytest.fixture(scope="module")
def pg_port(real_pg):
    with psycopg.connect(real_pg.dsn, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS %s" % DATABASE)
        admin.execute("CREATE DATABASE %s" % DATABASE)
    with psycopg.connect(real_pg.dsn.replace("dbname=postgres", "dbname=" + DATABASE),
                         autocommit=True) as conn:
        conn.execute(DDL)
    yield real_pg.port
    with psycopg.connect(real_pg.dsn, autocommit=True) as admin:
        admin.execute("DROP DATABASE %s" % DATABASE)


@pytest.fixture(scope="module", params=["builtin", "sqlglot"])
def riffq_port(request):
    saved = os.environ.get("RIFFQ_CATALOG_TRANSLATOR")
    os.environ["RIFFQ_CATALOG_TRANSLATOR"] = request.param
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(("ERROR", "XX000", "not catalog"),
                                                         is_error=True))
    for schema, table, columns in TABLES:
        server.register_table(DATABASE, schema, table, columns)
    bg = serve_in_thread(server, catalog_emulation=True)
    try:
        yield bg.port
    finally:
        bg.stop()
        if saved is None:
            os.environ.pop("RIFFQ_CATALOG_TRANSLATOR", None)
        else:
            os.environ["RIFFQ_CATALOG_TRANSLATOR"] = saved


@pytest.mark.parametrize("command", [r"\d shop.orders", r"\d shop.customers", r"\d+ shop.lines",
                                     r"\d audit", r"\d shop.*"])
def test_psql_describe_matches_postgresql(pg_port, riffq_port, command) -> None:
    want = run_psql(pg_port, "-c", command, user="postgres", dbname=DATABASE)
    got = run_psql(riffq_port, "-c", command, user="postgres", dbname=DATABASE)
    assert want.returncode == 0, want.stderr
    if command == r"\d shop.orders":
        assert "Foreign-key constraints:" in want.stdout and "Referenced by:" in want.stdout
    assert (got.stdout, got.stderr) == (want.stdout, want.stderr)


def test_sqlalchemy_sees_the_same_foreign_keys(pg_port, riffq_port) -> None:
    import sqlalchemy

    def keys(port):
        engine = sqlalchemy.create_engine("postgresql+psycopg://postgres@127.0.0.1:%d/%s"
                                          % (port, DATABASE))
        try:
            inspector = sqlalchemy.inspect(engine)
            return {(s, t): inspector.get_foreign_keys(t, schema=s)
                    for s, t, _ in TABLES}
        finally:
            engine.dispose()
    want = keys(pg_port)
    assert want[("shop", "orders")][0]["referred_table"] == "customers"
    assert keys(riffq_port) == want


def _engine(*tables) -> CatalogEngine:
    reg = CatalogRegistry()
    for schema, table, columns in tables:
        reg.register_table("db", schema, table, columns)
    return CatalogEngine(reg, lambda sql: translate(sql, use_sqlglot=False))


def _run(engine: CatalogEngine, sql: str):
    session = CatalogSession("db", "postgres", 1, "tests", {}.get, lambda *a: "",
                             lambda: [], "15.4")
    return engine.execute(sql, [], session)[1]


@pytest.mark.parametrize("reference", ["", "a.b.c(d)", "t(a, b)", 42, "t(x"])
def test_malformed_references_are_refused_at_registration(reference) -> None:
    with pytest.raises(ValueError) as err:
        CatalogRegistry().register_table("db", "public", "t", [
            {"x": {"type": "int", "references": reference}}])
    assert "references" in str(err.value)


@pytest.mark.parametrize("reference, sqlstate", [
    ("public.nowhere(id)", "42P01"),          # no such table
    ("public.target(name)", "42830"),         # not the referenced table's primary key
    ("public.keyless", "42830"),              # no primary key at all
])
def test_unresolvable_references_fail_the_statement_naming_them(reference, sqlstate) -> None:
    engine = _engine(
        ("public", "target", [{"id": {"type": "integer", "primary_key": True}},
                              {"name": {"type": "text"}}]),
        ("public", "keyless", [{"id": {"type": "integer"}}]),
        ("public", "child", [{"ref": {"type": "integer", "references": reference}}]))
    with pytest.raises(PgError) as err:
        _run(engine, "SELECT conname FROM pg_catalog.pg_constraint")
    assert err.value.sqlstate == sqlstate
    assert "child column ref references " + reference in err.value.message
    # statements that need no foreign key are unaffected
    assert _run(engine, "SELECT count(*) FROM pg_catalog.pg_namespace")[0][0] > 0
