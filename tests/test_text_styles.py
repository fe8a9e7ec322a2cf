"""DateStyle, IntervalStyle, extra_float_digits and bytea_output: every
encoder's text compared with what a real PostgreSQL prints for the same
value under the same settings (the ``real_pg`` fixture)."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from riffq._wire import pgtypes as T
from riffq._wire.textformat import TextContext, encoder_for, timezone_from_name

UTC = dt.timezone.utc

DATESTYLES = [
    "ISO, MDY", "ISO, DMY", "ISO, YMD",
    "SQL, MDY", "SQL, DMY", "SQL, YMD",
    "Postgres, MDY", "Postgres, DMY", "Postgres, YMD",
    "German, DMY", "German, MDY", "German, YMD",
]
NON_ISO = [s for s in DATESTYLES if not s.startswith("ISO")]
INTERVALSTYLES = ["postgres", "postgres_verbose", "sql_standard", "iso_8601"]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "+05:30", "5.5", "-3", "UTC+3", "GMT", "Asia/Kolkata",
         "<+07>-7", "utc0", "0", "Etc/GMT"]

# (settings, SQL expression, Python value, type)
CASES = []


def case(settings, sql, value, t):
    CASES.append((dict(settings), sql, value, t))


def ts_literal(v):
    """SQL for a datetime: naive -> timestamp, aware -> timestamptz (UTC)."""
    if v.tzinfo is None:
        return "'%s'::timestamp" % v.isoformat(" ")
    return "'%s'::timestamptz" % v.astimezone(UTC).isoformat(" ")


def interval_literal(v):
    """An interval literal built from days and microseconds (not from riffq's own output)."""
    total = v.days * 86400000000 + v.seconds * 1000000 + v.microseconds
    sign = -1 if total < 0 else 1
    days, us = divmod(abs(total), 86400000000)
    return "interval '%d days %d microseconds'" % (sign * days, sign * us)


def float_literal(v, t):
    if math.isnan(v):
        text = "NaN"
    elif math.isinf(v):
        text = "Infinity" if v > 0 else "-Infinity"
    else:
        text = repr(v)
    return "'%s'::%s" % (text, t)


DATES = [dt.date(2024, 1, 2), dt.date(2024, 11, 25), dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1999, 2, 28)]
TIMESTAMPS = [
    dt.datetime(2024, 1, 2, 3, 4, 5, 600000), dt.datetime(2024, 12, 31, 23, 59, 59),
    dt.datetime(1, 1, 1, 0, 0, 0, 1), dt.datetime(2000, 2, 29, 12, 0, 0, 123456),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
]
TSTZS = [
    dt.datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),  # winter
    dt.datetime(2024, 7, 2, 23, 4, 5, tzinfo=UTC),  # summer, next day east of UTC
    dt.datetime(1800, 7, 2, 3, 4, 5, tzinfo=UTC),  # local mean time
    dt.datetime(2024, 3, 31, 1, 30, tzinfo=UTC),  # Berlin DST switch
    dt.datetime(1, 1, 1, 0, 0, tzinfo=UTC),  # 1 BC west of Greenwich
    dt.datetime(9999, 12, 31, 23, 30, tzinfo=UTC),  # year 10000 east of Greenwich
]

for ds in DATESTYLES:
    for d in DATES:
        case({"datestyle": ds}, "'%s'::date" % d.isoformat(), d, T.DATE)
    for v in TIMESTAMPS:
        case({"datestyle": ds}, ts_literal(v), v, T.TIMESTAMP)
    case({"datestyle": ds}, "ARRAY['2024-01-02'::date, NULL, '2024-12-31']", [dt.date(2024, 1, 2), None,
                                                                            dt.date(2024, 12, 31)], T.DATE_ARRAY)
    case({"datestyle": ds}, "ARRAY['2024-01-02 03:04:05'::timestamp]", [dt.datetime(2024, 1, 2, 3, 4, 5)],
         T.TIMESTAMP_ARRAY)
    case({"datestyle": ds, "timezone": "Europe/Berlin"}, "ARRAY['2024-01-02 03:04:05+00'::timestamptz]",
         [dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)], T.TIMESTAMPTZ_ARRAY)
    # time and timetz ignore DateStyle
    case({"datestyle": ds}, "'03:04:05.5'::time", dt.time(3, 4, 5, 500000), T.TIME)
    case({"datestyle": ds}, "'03:04:05.5+05:30'::timetz",
         dt.time(3, 4, 5, 500000, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))), T.TIMETZ)

for ds in ["ISO, MDY", "SQL, MDY", "SQL, DMY", "Postgres, MDY", "Postgres, DMY", "German, DMY"]:
    for zone in ZONES:
        for v in TSTZS:
            case({"datestyle": ds, "timezone": zone}, ts_literal(v), v, T.TIMESTAMPTZ)
        # timestamptz -> timestamp: wall clock in the session zone
        case({"datestyle": ds, "timezone": zone}, "('2024-07-02 23:04:05+00'::timestamptz)::timestamp",
             dt.datetime(2024, 7, 2, 23, 4, 5, tzinfo=UTC), T.TIMESTAMP)
    # plain datetime.timezone offsets (no name) print like numeric hours
    for zone in ["5.5", "-3"]:
        case({"datestyle": ds, "timezone": zone, "_unnamed": True}, ts_literal(TSTZS[0]), TSTZS[0], T.TIMESTAMPTZ)
    # a naive value for a timestamptz column is taken as UTC
    case({"datestyle": ds, "timezone": "America/New_York"}, "'2024-01-02 03:04:05+00'::timestamptz",
         dt.datetime(2024, 1, 2, 3, 4, 5), T.TIMESTAMPTZ)

INTERVALS = [
    dt.timedelta(days=40, minutes=59, seconds=59),
    dt.timedelta(seconds=1), dt.timedelta(seconds=-1), dt.timedelta(seconds=2),
    dt.timedelta(days=1), dt.timedelta(days=-1), dt.timedelta(days=-3),
    dt.timedelta(days=-1, hours=-2), dt.timedelta(hours=-25, minutes=-1),
    dt.timedelta(0),
    dt.timedelta(seconds=1, microseconds=500000), dt.timedelta(microseconds=-500000),
    dt.timedelta(microseconds=1), dt.timedelta(days=3, hours=4, minutes=5, seconds=6, microseconds=789000),
    dt.timedelta(days=-3, hours=-4, minutes=-5, seconds=-6, microseconds=-789000),
    dt.timedelta(hours=1), dt.timedelta(minutes=-1), dt.timedelta(hours=23, minutes=59, seconds=59,
                                                                  microseconds=999999),
    dt.timedelta(days=1, seconds=-1),  # one positive length: 23:59:59
    dt.timedelta(days=123456789),
]
for style in INTERVALSTYLES:
    for v in INTERVALS:
        case({"intervalstyle": style}, interval_literal(v), v, T.INTERVAL)
    case({"intervalstyle": style}, "ARRAY[%s, %s]" % (interval_literal(INTERVALS[0]), interval_literal(INTERVALS[2])),
         [INTERVALS[0], INTERVALS[2]], T.INTERVAL_ARRAY)

FLOAT8S = [1 / 3, 2 / 3, 1e16, 1e15, 123456.789, 0.1, 100.0, 2.5, 0.5, 1e-5, 1.5e-300, 5e-324,
           1.7976931348623157e308, -0.0, 0.0, -1.25, 123456789012345.67, 9007199254740993.0,
           math.nan, math.inf, -math.inf]
FLOAT4S = [1 / 3, 123456.789, 0.1, 1e10, 16777216.0, 3.4028234663852886e38, 1.401298464324817e-45, -0.0, 2.5,
           0.5, 99999.5, math.nan, math.inf, -math.inf]
for efd in [3, 2, 1, 0, -1, -4, -6, -14, -15]:
    for v in FLOAT8S:
        case({"extra_float_digits": efd}, float_literal(v, "float8"), v, T.FLOAT8)
    for v in FLOAT4S:
        case({"extra_float_digits": efd}, float_literal(v, "float4"), v, T.FLOAT4)
    case({"extra_float_digits": efd}, "ARRAY[0.1::float8, 1e16, 'NaN']", [0.1, 1e16, math.nan], T.FLOAT8_ARRAY)

BYTEAS = [b"ab\x00\xff\\", b"", b" ~\x7f\x1f\x20\x80", bytes(range(256)), b"{},\"'"]
for out in ["hex", "escape"]:
    for v in BYTEAS:
        case({"bytea_output": out}, "'\\x%s'::bytea" % v.hex(), v, T.BYTEA)
    case({"bytea_output": out}, "ARRAY['\\x00ff'::bytea, '\\x61']", [b"\x00\xff", b"a"], T.BYTEA_ARRAY)

# all settings at once
case({"datestyle": "SQL, DMY", "intervalstyle": "iso_8601", "extra_float_digits": 0, "bytea_output": "escape",
      "timezone": "America/New_York"},
     "'2024-01-02 03:04:05.6+00'::timestamptz", dt.datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=UTC), T.TIMESTAMPTZ)

_SQL_NAMES = {
    "datestyle": "DateStyle", "intervalstyle": "IntervalStyle", "extra_float_digits": "extra_float_digits",
    "bytea_output": "bytea_output", "timezone": "TimeZone",
}


def _set_sql(settings):
    return "".join("SET %s = '%s';" % (_SQL_NAMES[k], str(v).replace("'", "''"))
                   for k, v in settings.items() if not k.startswith("_"))


def _context(settings):
    kwargs = {k: v for k, v in settings.items() if k != "timezone" and not k.startswith("_")}
    tz = settings.get("timezone")
    tzinfo = timezone_from_name(tz) if tz else None
    if settings.get("_unnamed"):
        tzinfo = dt.timezone(tzinfo.utcoffset(None))
    return TextContext(tzinfo, **kwargs)


@pytest.fixture(scope="module")
def pg_text(real_pg):
    """PostgreSQL's output for every case, fetched in a few psql runs."""
    parts = []
    for i, (settings, sql, _value, _t) in enumerate(CASES):
        parts.append("RESET ALL;%sSELECT '%d|' || (%s)::text;" % (_set_sql(settings), i, sql))
    out = {}
    for start in range(0, len(parts), 200):  # keep each -c argument short
        proc = real_pg.psql("".join(parts[start:start + 200]), "-At", "-q")
        assert proc.returncode == 0, proc.stderr
        for line in proc.stdout.split("\n"):
            if line:
                n, _, text = line.partition("|")
                out[int(n)] = text
    assert len(out) == len(CASES)
    return out


def _case_id(c):
    settings, sql, _value, t = c
    return "%s-%s-%s" % (t.name, ",".join("%s=%s" % kv for kv in settings.items()), sql)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[_case_id(c) for c in CASES])
def test_matches_postgresql(pg_text, index):
    settings, sql, value, t = CASES[index]
    got = encoder_for(t, _context(settings))(value)
    assert got == pg_text[index], (settings, sql)


def test_settings_are_postgresql_canonical_show_values(real_pg):
    """The DateStyle strings the table uses are what SHOW prints."""
    sql = "".join("SET DateStyle = '%s'; SHOW DateStyle;" % ds for ds in DATESTYLES)
    proc = real_pg.psql(sql, "-At", "-q")
    assert proc.stdout.split("\n")[:len(DATESTYLES)] == DATESTYLES


# ---------------------------------------------------------------------------
# without a server
# ---------------------------------------------------------------------------


def test_defaults_and_signature():
    ctx = TextContext()
    assert (ctx.tz, ctx.datestyle, ctx.intervalstyle, ctx.extra_float_digits, ctx.bytea_output) == (
        UTC, "ISO, MDY", "postgres", 1, "hex")
    ctx = TextContext(tz=None, datestyle="SQL, DMY", intervalstyle="iso_8601", extra_float_digits="-3",
                      bytea_output="escape")
    assert ctx.extra_float_digits == -3
    assert not ctx.iso_dates and TextContext(datestyle="ISO, YMD").iso_dates


@pytest.mark.parametrize("kwargs", [
    {"datestyle": "Klingon"}, {"datestyle": "ISO, SQL"}, {"intervalstyle": "verbose"},
    {"extra_float_digits": 4}, {"extra_float_digits": -16}, {"extra_float_digits": "x"},
    {"extra_float_digits": 1.5}, {"bytea_output": "base64"},
])
def test_invalid_settings_rejected(kwargs):
    with pytest.raises(ValueError):
        TextContext(**kwargs)


def test_datestyle_aliases_like_postgresql():
    d = dt.date(2024, 1, 2)
    assert encoder_for(T.DATE, TextContext(datestyle="German"))(d) == "02.01.2024"
    assert encoder_for(T.DATE, TextContext(datestyle="sql, euro"))(d) == "02/01/2024"
    assert encoder_for(T.DATE, TextContext(datestyle="Postgres"))(d) == "01-02-2024"


def test_strings_pass_through_every_styled_encoder():
    ctx = TextContext(datestyle="Postgres, DMY", intervalstyle="sql_standard", extra_float_digits=-2,
                      bytea_output="escape")
    for t in (T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ, T.INTERVAL, T.FLOAT4, T.FLOAT8, T.BYTEA):
        assert encoder_for(t, ctx)("as is") == "as is"


def test_json_values_ignore_text_styles():
    value = {"d": dt.date(2024, 1, 2), "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 600000), "f": 1 / 3,
             "tz": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "i": dt.timedelta(seconds=-1), "b": b"\x00"}
    ctx = TextContext(datestyle="SQL, DMY", intervalstyle="iso_8601", extra_float_digits=-10,
                      bytea_output="escape")
    for t in (T.JSON, T.JSONB):
        assert encoder_for(t, ctx)(value) == encoder_for(t, TextContext())(value)


def test_default_context_output_unchanged():
    ctx = TextContext()
    assert encoder_for(T.TIMESTAMPTZ, ctx)(dt.datetime(2024, 1, 2, 3, 4, 5, 600000)) == "2024-01-02 03:04:05.6+00"
    assert encoder_for(T.FLOAT8, ctx)(1 / 3) == "0.3333333333333333"
    assert encoder_for(T.BYTEA, ctx)(b"\x00\xff") == "\\x00ff"
    assert encoder_for(T.INTERVAL, ctx)(dt.timedelta(days=-1, hours=-2)) == "-1 days -02:00:00"
