"""format(), string_to_array() and parse_ident() of the catalog engine
against a real PostgreSQL 15, through a real riffq server.

Grafana builds its table and column lookups from ``string_to_array`` and
``parse_ident``, Metabase its regclass input from ``format('%I.%I')``: the
values (and, for bad input, the SQLSTATE) must be PostgreSQL's.  Each
expression is read through a catalog relation so the router sends it to
the catalog, under both translators.
"""
from __future__ import annotations


import pytest

from catalog_compare import run_statement

EXPRESSIONS = [
    "string_to_array('\"$user\", public', ',')",
    "string_to_array('', ',')",
    "string_to_array('abc', NULL)",
    "string_to_array('a,,b', ',', '')",
    "string_to_array('a.b', '')",
    "string_to_array(NULL, ',')",
    "array_length(string_to_array('x,y,z', ','), 1)",
    "parse_ident('sales.orders')",
    "parse_ident('Sales.\"Ord\"\"ers\"')",
    "parse_ident('customers')",
    "parse_ident('a b', false)",
    "(parse_ident('sales.orders'))[2]",
    "parse_ident('a.')",
    "parse_ident('.a')",
    "parse_ident('\"a')",
    "parse_ident('a b')",
    "parse_ident('\"\"')",
    "format('%I.%I', 'public', 'Customers')",
    "format('%I', 'select')",
    "format('%s|%L|%L', 'x', NULL, 'it''s')",
    "format('%2$s %1$s', 'a', 'b')",
    "format('%-5s|%5s|', 'a', 'b')",
    "format('100%%')",
    "format('%s')",
    "format('%I', NULL)",
    "format('%s', NULL)",
]


@pytest.fixture(scope="module")
def servers(real_pg):
    """(PostgreSQL conninfo, riffq conninfo): riffq with catalog emulation on."""
    import riffq
    from riffq.testing import serve_in_thread
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(
        ("ERROR", "XX000", "reached the handler: " + sql[:80]), is_error=True))
    bg = serve_in_thread(server, catalog_emulation=True)
    try:
        yield (real_pg.dsn,
               "host=127.0.0.1 port=%d user=postgres dbname=postgres" % bg.port)
    finally:
        bg.stop()


@pytest.mark.parametrize("translator", ["builtin", "sqlglot"])
@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_text_function_matches_postgres(servers, expr, translator, monkeypatch) -> None:
    monkeypatch.setenv("RIFFQ_CATALOG_TRANSLATOR", translator)
    sql = ("SELECT %s AS v FROM pg_catalog.pg_database WHERE datname = current_database()"
           % expr)
    theirs = run_statement(servers[0], sql, None)
    ours = run_statement(servers[1], sql, None)
    if theirs.error is not None:
        assert ours.error is not None and ours.error[0] == theirs.error[0], (ours, theirs)
        return
    assert ours.error is None, ours.error
    assert ours.rows == theirs.rows
    assert [t for _, t in ours.columns] == [t for _, t in theirs.columns]
