"""pg_get_viewdef, pg_views.definition and information_schema.views of
registered views, against what a real PostgreSQL 15 prints for the same
views (it deparses its analysed query; riffq must print the same text)."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import psycopg
import pytest

from riffq._catalog.engine import CatalogEngine, CatalogSession
from riffq._catalog.registry import CatalogRegistry
from riffq._catalog.translate import translate

DATABASE = "riffq_viewdef"
#: (schema, table) -> columns as "name type" (the same text for both servers)
TABLES: Dict[Tuple[str, str], List[str]] = {
    ("public", "customers"): ["id integer", "name text", "email varchar(20)", "active boolean",
                              "created_at timestamptz", "tags text[]"],
    ("public", "orders"): ["id bigint", "customer_id integer", "total numeric(12,2)",
                           "ordered_on date"],
    ("public", "users"): ["id bigint", "email varchar(200)", "name text", "score numeric(12,2)",
                          "n integer", "born date", "ok boolean"],
    ("sales", "items"): ["id integer", "sku text", "price numeric(10,2)"],
}
VIEWS: Dict[Tuple[str, str], str] = {
    ("public", "v_corpus"): "SELECT id, name FROM public.customers WHERE active",
    ("public", "v_readme"): "SELECT id FROM users WHERE id > 100",
    ("public", "v_group"): "select c.id, c.name as n, count(*) as cnt, sum(o.total) from customers c "
                           "join orders o on o.customer_id = c.id where c.active and o.total > 10 "
                           "group by c.id, c.name order by cnt desc limit 5",
    ("public", "v_star_in"): "select * from customers where email like '%@x' or id in (1,2,3)",
    ("public", "v_union"): "select id from customers union all select customer_id from orders",
    ("public", "v_between"): "select distinct name from customers where not active and id "
                             "between 1 and 10 and name is not null",
    ("public", "v_casts"): "select u.id, u.email from users u where u.email = 'a' and "
                           "u.name = 'b' and u.score >= 1.5 and n < 3 and born > '2020-01-01' "
                           "order by u.id",
    ("public", "v_having"): "select name, count(*) from users group by name having count(*) > 1 "
                            "order by 2 desc, name",
    ("public", "v_joins"): "select a.id, b.name from users a left join users b on a.id = b.id, "
                           "users c where c.id = a.id and (a.ok or b.ok) and not "
                           "(a.n = 1 or a.n is null)",
    ("public", "v_exprs"): "select id * 2 + 1 as x, -n as neg, upper(name) as up, lower(name), "
                           "name || '!' as bang, coalesce(n, 0) as c from users",
    ("public", "v_limits"): "select id, n from users where id = 1 limit 10 offset 5",
    ("public", "v_alias_star"): "select u.* from users u where ok is true",
    ("public", "v_quoted"): 'select id as "Id", name "Full Name" from users order by "Id"',
    ("public", "v_three"): "select a.id, b.total, c.sku from customers a join orders b on "
                           "b.customer_id = a.id left join sales.items c on c.id = b.id where "
                           "c.price > 2 order by a.id desc nulls last, c.sku nulls first",
    ("public", "v_arith"): "select id, n * 1.5 as x, score * 2 as y, (n + 1) * 2 as z, "
                           "n - (1 - n) as q, name = 'a' or email = 'b' and ok as cond from users",
    ("sales", "v_lists"): "select sku from sales.items where sku in ('a', 'b') and id not in (1,2)",
    ("public", "v_like"): "select count(*) from users where name like 'a%' and email not like 'b%'",
}
#: beyond the deparser: these keep the SQL as registered
AS_REGISTERED = {
    ("public", "v_window"): "select id, row_number() over (order by id) from users",
}
#: shapes only the updatability test looks at (with every view above)
UPDATABILITY = {
    ("public", "v_no_columns"): "select 1 as one, upper(name) as up from users",
    ("public", "v_over_view"): "select id from v_corpus where id > 1",
    ("public", "v_over_group"): "select id from v_group",
    ("public", "v_subquery"): "select id from (select id from users) s",
    ("public", "v_sublink"): "select id, (select max(n) from users) as m from customers "
                             "where id in (select customer_id from orders)",
    ("public", "v_srf"): "select id, generate_series(1, 2) as g from users",
    ("public", "v_cte"): "with u as (select id from users) select id from users",
}
ALL_VIEWS = {**VIEWS, **AS_REGISTERED, **UPDATABILITY}


@pytest.fixture(scope="module")
def pg_conn(real_pg):
    with psycopg.connect(real_pg.dsn, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS %s" % DATABASE)
        admin.execute("CREATE DATABASE %s" % DATABASE)
    dsn = real_pg.dsn.replace("dbname=postgres", "dbname=" + DATABASE)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA sales")
        for (schema, table), cols in TABLES.items():
            conn.execute("CREATE TABLE %s.%s (%s)" % (schema, table, ", ".join(cols)))
        for (schema, view), sql in ALL_VIEWS.items():
            conn.execute("CREATE VIEW %s.%s AS %s" % (schema, view, sql))
        yield conn
    with psycopg.connect(real_pg.dsn, autocommit=True) as admin:
        admin.execute("DROP DATABASE %s" % DATABASE)


@pytest.fixture(scope="module")
def engine() -> CatalogEngine:
    reg = CatalogRegistry()
    for (schema, table), cols in TABLES.items():
        reg.register_table(DATABASE, schema, table,
                           [{c.split(" ", 1)[0]: {"type": c.split(" ", 1)[1]}} for c in cols])
    for (schema, view), sql in ALL_VIEWS.items():
        reg.register_table(DATABASE, schema, view, [{"id": {"type": "int"}}], view_sql=sql)
    return CatalogEngine(reg, lambda sql: translate(sql, use_sqlglot=False))


def ours(engine: CatalogEngine, sql: str, search_path: str = '"$user", public') -> Optional[str]:
    values = {"search_path": search_path}
    session = CatalogSession(DATABASE, "postgres", 1, "tests", values.get, lambda *a: "",
                             lambda: [], "15.4")
    rows = engine.execute(sql, [], session)[1]
    return rows[0][0] if rows else None


@pytest.mark.parametrize("view", sorted(VIEWS), ids=lambda v: "%s.%s" % v)
@pytest.mark.parametrize("pretty", ["true", "false"])
def test_viewdef_matches_postgresql(pg_conn, engine, view, pretty) -> None:
    sql = "SELECT pg_catalog.pg_get_viewdef('%s.%s'::regclass, %s)" % (view + (pretty,))
    want = pg_conn.execute(sql).fetchone()[0]
    assert ours(engine, sql) == want


@pytest.mark.parametrize("view", sorted(VIEWS)[:4], ids=lambda v: "%s.%s" % v)
def test_views_catalogs_match_postgresql(pg_conn, engine, view) -> None:
    for sql in ("SELECT definition FROM pg_catalog.pg_views WHERE schemaname = '%s' AND "
                "viewname = '%s'" % view,
                "SELECT view_definition FROM information_schema.views WHERE table_schema = '%s' "
                "AND table_name = '%s'" % view,
                "SELECT pg_catalog.pg_get_viewdef('%s.%s'::regclass)" % view):
        assert ours(engine, sql) == pg_conn.execute(sql).fetchone()[0], sql


def test_updatability_matches_postgresql(pg_conn, engine) -> None:
    """PostgreSQL's auto-updatable views (one relation in FROM, no aggregate,
    DISTINCT, LIMIT...): DELETE always, INSERT/UPDATE with a plain column."""
    session = CatalogSession(DATABASE, "postgres", 1, "tests", {}.get, lambda *a: "",
                             lambda: [], "15.4")
    for sql in ("SELECT table_schema, table_name, is_updatable, is_insertable_into "
                "FROM information_schema.views", "SELECT table_schema, table_name, "
                "is_insertable_into FROM information_schema.tables"):
        sql += " WHERE table_schema IN ('public', 'sales') ORDER BY 1, 2"
        want = [tuple(r) for r in pg_conn.execute(sql).fetchall()]
        assert len({r[2:] for r in want}) > 1, want   # the views cover both answers
        assert engine.execute(sql, [], session)[1] == want, sql


def test_names_off_the_search_path_are_schema_qualified(pg_conn, engine) -> None:
    sql = "SELECT pg_catalog.pg_get_viewdef('public.v_corpus'::regclass, true)"
    pg_conn.execute("SET search_path = sales")
    try:
        want = pg_conn.execute(sql).fetchone()[0]
    finally:
        pg_conn.execute("RESET search_path")
    assert "FROM public.customers" in want
    assert ours(engine, sql, "sales") == want


def test_sql_beyond_the_deparser_is_returned_as_registered(engine) -> None:
    for (schema, view), sql in AS_REGISTERED.items():
        got = ours(engine, "SELECT pg_catalog.pg_get_viewdef('%s.%s'::regclass, true)"
                   % (schema, view))
        assert got == sql
