"""Overloaded math functions and wrong calls in catalog statements, against
a real PostgreSQL 15: the result type follows the arguments (pg_typeof),
the printed value matches, and a call no signature fits is 42883."""
from __future__ import annotations

import psycopg
import pytest

from riffq._catalog.engine import CatalogEngine, CatalogSession
from riffq._wire.errors import PgError
from riffq._wire.textformat import encoder_for

EXPRESSIONS = [
    "pow(2, 3)", "pow(2::float8, 3)", "power(2, 10)", "ceiling(1.5)", "ceiling(1)",
    "ceil(1.5::float8)", "ceil(-1.5)", "floor(1.5)", "floor(3)", "floor(-2.5)", "round(1.5)",
    "round(3)", "round(1.234, 2)", "round(-1.5)", "trunc(1.5)", "trunc(-1.55, 1)", "abs(-1)",
    "abs(-1.5)", "abs(-2::int8)", "abs(-1::int2)", "mod(7, 3)", "mod(-7, 3)", "mod(7.5, 2)",
    "mod(7::int8, 3)", "mod(7::int2, 3::int2)", "sign(-3)", "sign(-3.5)", "sign(0)",
]
#: expressions whose value comes from a catalog row
ROW_EXPRESSIONS = ["ceiling(reltuples)", "abs(relnatts)", "mod(relnatts, 4)", "pow(relnatts, 2)"]
NO_SUCH = ["left('abc')", "current_setting()", "format_type(1)", "mod(1.5::float8, 2)",
           "abs(oid)", "round(1.5::float8, 1)", "strpos('abc')", "upper()"]


def ours(engine: CatalogEngine, sql: str):
    session = CatalogSession("postgres", "postgres", 1, "tests", {}.get, lambda *a: "",
                             lambda: [], "15.4")
    cols, rows = engine.execute(sql, [], session)
    (_, t), = cols
    return t.oid, encoder_for(t)(rows[0][0])


@pytest.mark.parametrize("expr", EXPRESSIONS + ROW_EXPRESSIONS)
def test_type_and_value_follow_the_arguments(pg_conn, engine, expr) -> None:
    tail = " FROM pg_catalog.pg_class WHERE relname = 'pg_class'" if expr in ROW_EXPRESSIONS \
        else ""
    want = pg_conn.execute("SELECT pg_typeof(%s)::oid::int, (%s)::text%s" % (expr, expr, tail)
                           ).fetchone()
    assert ours(engine, "SELECT %s%s" % (expr, tail)) == tuple(want)


@pytest.mark.parametrize("expr", NO_SUCH)
def test_calls_no_signature_fits_are_42883(pg_conn, engine, expr) -> None:
    tail = " FROM pg_catalog.pg_class LIMIT 1" if "oid" in expr else ""
    with pytest.raises(psycopg.Error) as theirs:
        pg_conn.execute("SELECT %s%s" % (expr, tail))
    assert theirs.value.sqlstate == "42883"
    with pytest.raises(PgError) as err:
        ours(engine, "SELECT %s%s" % (expr, tail))
    assert err.value.sqlstate == "42883", err.value.message


def test_numeric_power_is_refused_rather_than_guessed(engine) -> None:
    with pytest.raises(PgError) as err:
        ours(engine, "SELECT pow(2.0, 3)")
    assert err.value.sqlstate == "0A000"
