"""The catalog router: which statements the catalog engine answers."""
from __future__ import annotations


import pytest

from riffq._catalog import router
from riffq._catalog.router import is_catalog_statement

CATALOG = [
    "SELECT * FROM pg_catalog.pg_class",
    "select relname from pg_class where relkind = 'r'",
    "SELECT table_name FROM information_schema.tables",
    "SELECT version()",
    "SELECT current_database()",
    "select current_schema",
    "SELECT current_schemas(true)",
    "SELECT current_user",
    "SELECT session_user, current_catalog",
    "SELECT pg_backend_pid()",
    "SELECT current_setting('server_version_num')",
    "SELECT set_config('search_path', 'public', false)",
    "SELECT has_table_privilege('pg_class', 'SELECT')",
    "SELECT format_type(23, NULL)",
    "SELECT 'pg_class'::regclass::oid",
    "SELECT regclass 'pg_type'",
    "WITH t AS (SELECT oid FROM pg_type) SELECT count(*) FROM t",
    "VALUES ((SELECT count(*) FROM pg_namespace))",
    "TABLE pg_catalog.pg_namespace",
    "(SELECT 1 FROM pg_class) UNION SELECT 2 FROM pg_type",
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = ANY(current_schemas(false))",
    "/* comment */ SELECT nspname FROM \"pg_catalog\".\"pg_namespace\"",
    # catalog reads the translator refuses (0A000) still go to the catalog, which errors
    "SELECT DISTINCT ON (relkind) relname FROM pg_catalog.pg_class",
    "SELECT relname FROM pg_class FOR UPDATE",
]

NOT_CATALOG = [
    "SELECT 1",
    "select * from users",
    "SELECT now()",
    "SELECT upper('x')",
    "SELECT * FROM users u JOIN pg_class c ON c.relname = u.name",   # mixed
    "SELECT * FROM pg_class WHERE oid IN (SELECT id FROM users)",     # mixed via subquery
    "SELECT name FROM users WHERE name LIKE 'pg_%'",                  # pg_ only in a string
    "SELECT * FROM public.pg_like_table_of_user",                     # user schema
    "SELECT * FROM tables",                                           # unqualified info view
    "CREATE TABLE pg_x (a int)",                                      # DDL
    "DROP TABLE pg_foo",
    "INSERT INTO log SELECT * FROM pg_class",                         # DML
    "UPDATE pg_settings SET setting = '1'",
    "SET search_path = pg_catalog",
    "SHOW server_version",
    "EXPLAIN SELECT * FROM pg_class",
    "SELECT DISTINCT ON (id) id FROM users JOIN pg_class ON true",     # refused and mixed
    "SELECT * INTO pg_copy FROM pg_class",
    "",
    "SELECT 'unterminated",
]


@pytest.mark.parametrize("sql", CATALOG)
def test_catalog_statements_are_routed_to_the_catalog(sql):
    assert is_catalog_statement(sql) is True


@pytest.mark.parametrize("sql", NOT_CATALOG)
def test_other_statements_go_to_the_handler(sql):
    assert is_catalog_statement(sql) is False


def test_cheap_precheck_skips_parsing(monkeypatch):
    """Statements without any catalog marker never reach the parser."""
    calls = []
    monkeypatch.setattr(router, "parse_statement",
                        lambda sql: calls.append(sql) or (_ for _ in ()).throw(AssertionError))
    for sql in ("SELECT 1", "select * from orders where id = $1", "SELECT now()"):
        assert is_catalog_statement(sql) is False
    assert calls == []


def test_precheck_keeps_big_user_statements_away_from_the_parser(monkeypatch):
    """The router runs on every statement: one that names nothing of the
    catalog must be refused by the cheap pre-check, never lexed or parsed
    (which would cost time in proportion to its length)."""
    import riffq._catalog.router as router

    def refuse(*args, **kwargs):
        raise AssertionError("the parser was asked")
    monkeypatch.setattr(router, "parse_statement", refuse)
    monkeypatch.setattr(router, "tokenize", refuse)
    sql = "SELECT " + ", ".join("col%d" % i for i in range(20000)) + " FROM big_table"
    assert is_catalog_statement(sql) is False
    # the same length naming a catalog relation does reach it
    with pytest.raises(AssertionError, match="parser was asked"):
        is_catalog_statement(sql.replace("big_table", "pg_class"))
