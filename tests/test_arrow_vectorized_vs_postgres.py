"""The kernel paths end to end, against a real PostgreSQL.

An Arrow table (a column per case, each type taking a kernel path) is
served by riffq, and the same values are selected from a real PostgreSQL
15 under the same session settings (DateStyle, IntervalStyle, TimeZone,
extra_float_digits, client_encoding): psql must print riffq's rows byte
for byte as PostgreSQL's, and psycopg must decode riffq's binary rows to
the same values.  The property tests compare the kernels with the
per-value encoders; this checks the pair against the real thing.
"""
from __future__ import annotations

import datetime as dt
import decimal

import psycopg
import pytest

from conftest import run_psql

pa = pytest.importorskip("pyarrow")

import riffq  # noqa: E402

D = decimal.Decimal
US = 1000000

# (PostgreSQL expression, Arrow column holding the same value)
CASES = [
    ("'2024-03-31 00:59:59.5+00'::timestamptz", pa.array([1711846799500000], pa.timestamp("us", "UTC"))),
    ("'2024-10-27 01:00:00+00'::timestamptz", pa.array([1729990800], pa.timestamp("s", "UTC"))),
    ("'1987-07-04 12:34:56.789'::timestamp", pa.array([552400496789], pa.timestamp("ms"))),
    ("'1999-12-31'::date", pa.array([dt.date(1999, 12, 31)], pa.date32())),
    ("'2000-02-29'::date", pa.array([951782400000], pa.date64())),
    ("'-1 days -02:03:04.5'::interval", pa.array([-(86400 + 7384) * US - 500000], pa.duration("us"))),
    ("'100 days 00:00:00.000001'::interval", pa.array([100 * 86400 * US + 1], pa.duration("us"))),
    ("'1 day'::interval", pa.array([86400], pa.duration("s"))),
    ("'00:00:00'::interval", pa.array([0], pa.duration("ms"))),
    ("'00:00:01'::interval", pa.array([1000], pa.duration("ms"))),
    ("0.1::float8", pa.array([0.1])),
    ("123456789.125::float8", pa.array([123456789.125])),
    ("(1/3.0)::float8", pa.array([1 / 3.0])),
    ("1e-7::float4", pa.array([1e-7], pa.float32())),
    ("12345678901234567890.12345::numeric", pa.array([D("12345678901234567890.12345")], pa.decimal128(38, 5))),
    ("(-0.00042)::numeric", pa.array([D("-0.00042")], pa.decimal128(10, 5))),
    ("0.000::numeric", pa.array([D("0.000")], pa.decimal128(6, 3))),
    ("1200::numeric", pa.array([D("12E+2")], pa.decimal128(4, -2))),
    ("18446744073709551615::numeric", pa.array([2 ** 64 - 1], pa.uint64())),
    ("ARRAY[[1,2],[3,NULL]]::int8[]", pa.array([[[1, 2], [3, None]]], pa.list_(pa.list_(pa.int64())))),
    ("ARRAY[[['a b','NULL'],['x',NULL]]]::text[]",
     pa.array([[[["a b", "NULL"], ["x", None]]]], pa.list_(pa.list_(pa.list_(pa.string()))))),
    ("ARRAY['1999-12-31'::date, NULL]", pa.array([[dt.date(1999, 12, 31), None]], pa.list_(pa.date32()))),
    ("'{\"a\": 1, \"b\": \"x \\\"q\\\"\", \"c\": [1.5, null]}'::json",
     pa.array([{"a": 1, "b": 'x "q"', "c": [1.5, None]}],
              pa.struct([("a", pa.int32()), ("b", pa.string()), ("c", pa.list_(pa.float64()))]))),
    ("'héllo'::text", pa.array(["héllo"]).dictionary_encode()),
    # month_day_nano_interval (DuckDB's INTERVAL): months kept, each field its own sign
    ("interval '1 month' * 14 + interval '3 days' + interval '1 microsecond' * 3723000001",
     pa.array([pa.MonthDayNano([14, 3, 3723000001000])], pa.month_day_nano_interval())),
    ("interval '1 month' * -1 + interval '2 days' + interval '1 microsecond' * -5",
     pa.array([pa.MonthDayNano([-1, 2, -5000])], pa.month_day_nano_interval())),
    ("ARRAY[interval '1 month' * -25 - interval '1 day', NULL]",
     pa.array([[pa.MonthDayNano([-25, -1, 0]), None]], pa.list_(pa.month_day_nano_interval()))),
    ("'{\"iv\": \"1 year 2 mons 3 days\"}'::json",
     pa.array([{"iv": pa.MonthDayNano([14, 3, 0])}], pa.struct([("iv", pa.month_day_nano_interval())]))),
]

SETTINGS = [
    {"DateStyle": "SQL, DMY", "IntervalStyle": "sql_standard", "TimeZone": "Europe/Berlin",
     "extra_float_digits": "0"},
    {"DateStyle": "Postgres, MDY", "IntervalStyle": "postgres_verbose", "TimeZone": "America/New_York",
     "extra_float_digits": "-3"},
    {"DateStyle": "German", "IntervalStyle": "iso_8601", "TimeZone": "Asia/Kolkata"},
    {"DateStyle": "Postgres, DMY", "IntervalStyle": "postgres", "TimeZone": "UTC+3", "extra_float_digits": "3"},
]
SELECT = "select " + ", ".join("%s as c%d" % (expr, i) for i, (expr, _) in enumerate(CASES))
SEP = "\x1f"


def _sets(settings):
    return ["set %s = '%s'" % (k, v) for k, v in settings.items()]


def _psql_text(port, settings, **kw):
    args = ["-A", "-t", "-F", SEP, "-P", "null=<NULL>"]
    for stmt in _sets(settings) + [SELECT]:
        args += ["-c", stmt]
    out = run_psql(port, *args, **kw)
    assert out.returncode == 0, out.stderr
    return out.stdout.split(SEP)


def _binary_values(dsn_kw, settings):
    with psycopg.connect(autocommit=True, **dsn_kw) as conn:
        for stmt in _sets(settings):
            conn.execute(stmt)
        return conn.cursor(binary=True).execute(SELECT).fetchone()


@pytest.fixture(scope="module")
def arrow_server():
    table = pa.table({"c%d" % i: col for i, (_, col) in enumerate(CASES)})
    calls = []

    def handler(sql, callback, **kwargs):
        calls.append(sql)
        callback(table)
    server = riffq.Server("127.0.0.1:0")
    server.on_query(handler)
    return server, calls


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: s["DateStyle"] + "/" + s["IntervalStyle"])
def test_arrow_text_prints_like_postgres(real_pg, serve, arrow_server, settings):
    server, calls = arrow_server
    bg = serve(server)
    theirs = _psql_text(real_pg.port, settings, user=real_pg.user, dbname="postgres")
    mine = _psql_text(bg.port, settings)
    assert len(mine) == len(CASES)
    for i, (expr, _) in enumerate(CASES):
        assert mine[i] == theirs[i], "%s under %s: riffq %r, PostgreSQL %r" % (expr, settings, mine[i], theirs[i])
    assert calls[-1] == SELECT


@pytest.mark.parametrize("settings", SETTINGS[:2], ids=lambda s: s["DateStyle"])
def test_arrow_binary_decodes_like_postgres(real_pg, serve, arrow_server, settings):
    server, _ = arrow_server
    bg = serve(server)
    theirs = _binary_values(dict(host="127.0.0.1", port=real_pg.port, user=real_pg.user, dbname="postgres"),
                            settings)
    mine = _binary_values(dict(host="127.0.0.1", port=bg.port, user="u", dbname="d"), settings)
    for i, (expr, _) in enumerate(CASES):
        assert mine[i] == theirs[i] and type(mine[i]) is type(theirs[i]), (
            "%s: riffq %r, PostgreSQL %r" % (expr, mine[i], theirs[i]))


def test_arrow_text_in_latin1_decodes_like_postgres(real_pg, serve, arrow_server):
    server, _ = arrow_server
    bg = serve(server)
    settings = {"client_encoding": "LATIN1", "TimeZone": "Europe/Berlin"}  # psycopg reads the default styles only
    results = []
    for kw in (dict(host="127.0.0.1", port=real_pg.port, user=real_pg.user, dbname="postgres"),
               dict(host="127.0.0.1", port=bg.port, user="u", dbname="d")):
        with psycopg.connect(autocommit=True, **kw) as conn:
            for stmt in _sets(settings):
                conn.execute(stmt)
            results.append(conn.execute(SELECT).fetchone())
    theirs, mine = results
    assert mine == theirs
