"""int2vector/oidvector values are zero-based arrays in PostgreSQL: cast to
an array they keep subscripts from 0, which PostgreSQL prints as
``[0:1]={...}`` and sends in binary with lower bound 0.  Checked against a
real PostgreSQL 15, in text and in binary."""
from __future__ import annotations

import pytest

from riffq._catalog.engine import CatalogEngine, CatalogSession
from riffq._wire.binformat import binary_encoder_for
from riffq._wire.textformat import encoder_for

WHERE = " FROM pg_catalog.pg_proc p WHERE p.oid = 'pg_catalog.int4pl'::regproc"
EXPRESSIONS = [
    "p.proargtypes::regtype[]", "p.proargtypes::regtype[]::text[]", "p.proargtypes::oid[]",
    "p.proargtypes::regtype[]::text", "COALESCE(p.proallargtypes::regtype[], "
    "p.proargtypes::regtype[])::text[]", "p.proargtypes", "p.proargtypes::text",
    "array_lower(p.proargtypes::oid[], 1)",
]


def ours(engine: CatalogEngine, sql: str):
    session = CatalogSession("postgres", "postgres", 1, "tests", {}.get, lambda *a: "",
                             lambda: [], "15.4")
    cols, rows = engine.execute(sql, [], session)
    (_, t), = cols
    return t, rows[0][0]


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_text_form_matches_postgresql(pg_conn, engine, expr) -> None:
    sql = "SELECT %s%s" % (expr, WHERE)
    cur = pg_conn.cursor()
    cur.execute(sql)
    want = cur.pgresult.get_value(0, 0).decode()
    t, value = ours(engine, sql)
    assert encoder_for(t)(value) == want


@pytest.mark.parametrize("expr", EXPRESSIONS[:3] + EXPRESSIONS[5:6])
def test_binary_form_matches_postgresql(pg_conn, engine, expr) -> None:
    sql = "SELECT %s%s" % (expr, WHERE)
    cur = pg_conn.cursor(binary=True)
    cur.execute(sql)
    want = cur.pgresult.get_value(0, 0)
    t, value = ours(engine, sql)
    assert binary_encoder_for(t)(value) == want
