"""Differential test: values print and decode as in a real PostgreSQL.

Each value is produced by a real PostgreSQL 15 (a literal cast to its type),
read back with psycopg, and served by riffq from those Python values — once
through the dependency-free ``(schema, rows)`` form and once through Arrow.
psql must print riffq's answer byte for byte as it printed PostgreSQL's, and
psycopg must decode it to the same Python values.
"""
from __future__ import annotations

import psycopg
import pyarrow as pa
import pytest

import riffq
from conftest import run_psql

# (PostgreSQL expression, riffq type string, Arrow type or None when Arrow has no equivalent)
CASES = [
    ("1::int2", "int2", pa.int16()),
    ("(-2147483648)::int4", "int4", pa.int32()),
    ("9223372036854775807::int8", "int8", pa.int64()),
    ("0.1::float8", "float8", pa.float64()),
    ("1e15::float8", "float8", pa.float64()),
    ("1e16::float8", "float8", pa.float64()),
    ("1e-5::float8", "float8", pa.float64()),
    ("0.0001::float8", "float8", pa.float64()),
    ("123456.789::float8", "float8", pa.float64()),
    ("(-0.0)::float8", "float8", pa.float64()),
    ("1e23::float8", "float8", pa.float64()),
    ("'NaN'::float8", "float8", pa.float64()),
    ("'Infinity'::float8", "float8", pa.float64()),
    ("'-Infinity'::float8", "float8", pa.float64()),
    ("1.5::float4", "float4", pa.float32()),
    ("0.1::float4", "float4", pa.float32()),
    ("3.4028235e38::float4", "float4", pa.float32()),
    ("1e-7::float4", "float4", pa.float32()),
    ("12.50::numeric", "numeric", pa.decimal128(10, 2)),
    ("(-0.000001)::numeric", "numeric", pa.decimal128(10, 6)),
    ("123456789012345678901234567890.123::numeric", "numeric", pa.decimal128(38, 3)),
    ("'NaN'::numeric", "numeric", None),
    ("true", "bool", pa.bool_()),
    ("false", "bool", pa.bool_()),
    ("'héllo ☃ \"q\" \\ x'::text", "text", pa.string()),
    ("''::text", "text", pa.string()),
    ("'tab\there, newline\nthere'::text", "text", pa.large_string()),
    ("'\\x00ff10'::bytea", "bytea", pa.binary()),
    ("''::bytea", "bytea", pa.binary()),
    ("'2024-02-29'::date", "date", pa.date32()),
    ("'0001-01-01'::date", "date", pa.date32()),
    ("'2024-01-02 03:04:05.6'::timestamp", "timestamp", pa.timestamp("us")),
    ("'2024-01-02 03:04:05'::timestamp", "timestamp", pa.timestamp("ms")),
    ("'1999-12-31 23:59:59.123456'::timestamp", "timestamp", pa.timestamp("ns")),
    ("'2024-01-02 03:04:05.6+02'::timestamptz", "timestamptz", pa.timestamp("us", tz="UTC")),
    ("'2024-07-01 12:00:00-06:30'::timestamptz", "timestamptz", pa.timestamp("us", tz="America/Chicago")),
    ("'13:14:15.5'::time", "time", pa.time64("us")),
    ("'00:00:00'::time", "time", pa.time32("s")),
    ("'13:14:15+05:30'::timetz", "timetz", None),
    ("'1 day 02:03:04.5'::interval", "interval", pa.duration("us")),
    ("'-1 days -02:00:00.5'::interval", "interval", pa.duration("us")),
    ("'-3 days'::interval", "interval", pa.duration("s")),
    ("'00:00:01'::interval", "interval", pa.duration("s")),
    ("'3 days'::interval", "interval", pa.duration("ms")),
    ("'-00:00:01'::interval", "interval", pa.duration("us")),
    ("'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "uuid", None),
    ("'{\"b\": \"x\", \"a\": [1, 2.5, null]}'::jsonb", "jsonb", None),
    ("ARRAY[1,NULL,3]::int4[]", "int4[]", pa.list_(pa.int32())),
    ("ARRAY['a b','','NULL','q\"x','back\\slash',NULL, '{}']::text[]", "text[]", pa.list_(pa.string())),
    ("ARRAY[1.5,NULL,'NaN']::float8[]", "float8[]", pa.list_(pa.float64())),
    ("ARRAY['2024-01-01'::date]", "date[]", pa.list_(pa.date32())),
    ("ARRAY[true,false]", "bool[]", pa.list_(pa.bool_())),
    ("'{}'::int8[]", "int8[]", pa.list_(pa.int64())),
    ("NULL::int4", "int4", pa.int32()),
    ("NULL::text", "text", pa.string()),
    ("NULL::timestamptz", "timestamptz", pa.timestamp("us", tz="UTC")),
]

SEP = "\x1f"


def psql_row(port, sql, **kw):
    out = run_psql(port, "-A", "-t", "-F", SEP, "-P", "null=<NULL>", "-c", sql, **kw)
    assert out.returncode == 0, out.stderr
    assert out.stdout.endswith("\n")
    return out.stdout[:-1]


@pytest.fixture(scope="module")
def reference(real_pg):
    """PostgreSQL's own answer: psql's text and psycopg's values, plus names."""
    select = "select " + ", ".join("%s as c%d" % (expr, i) for i, (expr, _, _) in enumerate(CASES))
    text = psql_row(real_pg.port, select, user=real_pg.user, dbname="postgres")
    with psycopg.connect(real_pg.dsn, autocommit=True) as conn:
        conn.execute("set timezone = 'UTC'")
        values = conn.execute(select).fetchone()
    return select, text, values


def _check(serve, reference, result, kept=None):
    """Serve ``result()`` from riffq and compare it with PostgreSQL's answer
    for the columns ``kept`` (all by default)."""
    select, pg_text, pg_values = reference
    kept = list(range(len(CASES))) if kept is None else kept
    if len(kept) != len(CASES):
        select = "select " + ", ".join("%s as c%d" % (CASES[i][0], i) for i in kept)
    texts = pg_text.split(SEP)
    calls = []

    def handler(sql, callback, **kwargs):
        calls.append(sql)
        callback(result())
    server = riffq.Server("127.0.0.1:0")
    server.on_query(handler)
    bg = serve(server)
    mine_text = psql_row(bg.port, select, dbname="postgres").split(SEP)
    assert len(mine_text) == len(kept)
    for mine, i in zip(mine_text, kept):
        assert mine == texts[i], "column %d (%s as %s): riffq %r, PostgreSQL %r" % (
            i, CASES[i][0], CASES[i][1], mine, texts[i])
    with psycopg.connect(host="127.0.0.1", port=bg.port, user="u", dbname="d", autocommit=True) as conn:
        got = conn.execute(select).fetchone()
    for mine, i in zip(got, kept):
        theirs = pg_values[i]
        same = (mine == theirs) or repr(mine) == repr(theirs)   # NaN, also inside arrays
        assert same, "column %d (%s): riffq %r, PostgreSQL %r" % (i, CASES[i][0], mine, theirs)
    assert calls == [select, select]


def test_python_values_print_and_decode_like_postgres(serve, reference):
    _, _, values = reference
    schema = [{"name": "c%d" % i, "type": t} for i, (_, t, _) in enumerate(CASES)]
    _check(serve, reference, lambda: (schema, [tuple(values)]))


def test_arrow_values_print_and_decode_like_postgres(serve, reference):
    """The same values as Arrow columns of the matching types (the cases
    Arrow has no type for are left out)."""
    _, _, values = reference
    kept = [i for i, case in enumerate(CASES) if case[2] is not None]
    table = pa.table([pa.array([values[i]], type=CASES[i][2]) for i in kept],
                     names=["c%d" % i for i in kept])
    _check(serve, reference, lambda: table.__arrow_c_stream__(), kept)
