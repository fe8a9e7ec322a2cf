"""Tests for riffq._wire.params (Bind parameter decoding, type inference).

Every error SQLSTATE/message and every byte vector below was produced by a
real PostgreSQL 15.18 server, by binding the text as an untyped text
parameter: ``PQexecParams("select $1::<type>", [text], formats=[0],
result_format=1)`` (psycopg's ``pgconn.exec_params``) with
``TimeZone = 'UTC'``.  Errors are the server's ``C``/``M`` fields; vectors
are the binary result, i.e. what the server itself parsed the text into.
"""
from __future__ import annotations

import datetime as dt
import math
import struct
import uuid
from decimal import Decimal as D
from typing import Any, List, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riffq._wire import pgtypes as T
from riffq._wire.binformat import binary_encoder_for
from riffq._wire.params import (
    MONTH_DAYS,
    YEAR_DAYS,
    ParamError,
    decode_param,
    decode_params,
    infer_param_types,
)

UTC = dt.timezone.utc


def tz(hours: float = 0, seconds: int = 0) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=hours, seconds=seconds))


def text(tname: str, s: str) -> Any:
    return decode_param(T.BY_NAME[tname].oid, 0, s.encode())


def binary(tname: str, b: bytes, index: int = 1) -> Any:
    return decode_param(T.BY_NAME[tname].oid, 1, b, index=index)


def same(a: Any, b: Any) -> bool:
    """Equality that also compares types, NaNs and Decimal scale."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, D) and isinstance(b, D):
        return (a.is_nan() and b.is_nan()) or (a == b and str(a) == str(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (dt.time, dt.datetime)) and a != b:
        return False
    if isinstance(a, (dt.time, dt.datetime)):
        return a.utcoffset() == b.utcoffset()
    return type(a) is type(b) and a == b


# --- text input: value table ------------------------------------------------

TEXT_CASES = [
    ("bool", "t", True), ("bool", " TRUE ", True), ("bool", "yes", True), ("bool", "on", True),
    ("bool", "1", True), ("bool", "f", False), ("bool", "No", False), ("bool", "off", False),
    ("bool", "0", False), ("bool", "fals", False), ("bool", "\tOf\n", False),
    ("int2", "-32768", -32768), ("int2", " +7 ", 7), ("int4", "2147483647", 2147483647),
    ("int8", "-9223372036854775808", -9223372036854775808), ("oid", "4294967295", 4294967295),
    ("oid", "-1", 4294967295), ("oid", "-2147483648", 2147483648),
    ("oid", "18446744073709551615", 4294967295), ("oid", "18446744071562067968", 2147483648),
    ("float8", "1.5", 1.5), ("float8", " -2.5e10 ", -2.5e10), ("float8", "NaN", math.nan),
    ("float8", "Infinity", math.inf), ("float8", "-Infinity", -math.inf), ("float8", "inf", math.inf),
    ("float8", "-INF", -math.inf), ("float8", ".5", 0.5), ("float8", "5.", 5.0), ("float8", "0x10", 16.0),
    ("float8", "1e-320", 1e-320), ("float4", "1.5", 1.5), ("float4", "0.1", struct.unpack(">f", struct.pack(">f", 0.1))[0]),
    ("numeric", "1.50", D("1.50")), ("numeric", " -12.345 ", D("-12.345")), ("numeric", "1e3", D("1000")),
    ("numeric", "1.5e-3", D("0.0015")), ("numeric", "-0.00", D("0.00")), ("numeric", "NaN", D("NaN")),
    ("numeric", "inf", D("Infinity")), ("numeric", "-Infinity", D("-Infinity")), ("numeric", ".5", D("0.5")),
    ("text", "héllo", "héllo"), ("text", "", ""), ("varchar", " x ", " x "), ("bpchar", "ab  ", "ab  "),
    ("unknown", "u", "u"), ("name", "n" * 70, "n" * 63), ("name", "é" * 40, "é" * 31),
    ("char", "ab", "a"), ("char", "", ""), ("char", "\\101", "A"),
    ("bytea", "\\x0102ff", b"\x01\x02\xff"), ("bytea", "\\x 01 02", b"\x01\x02"), ("bytea", "abc", b"abc"),
    ("bytea", "a\\\\b\\001c", b"a\\b\x01c"), ("bytea", "é", "é".encode()), ("bytea", "\\x", b""),
    ("json", '{"a": 1}', '{"a": 1}'), ("json", " 1 ", " 1 "), ("jsonb", '[1, "x"]', '[1, "x"]'),
    ("jsonb", '"\\\\u0000"', '"\\\\u0000"'),
    ("uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
    ("uuid", "A0EEBC999C0B4EF8BB6D6BB9BD380A11", uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
    ("uuid", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
    ("date", "2020-01-02", dt.date(2020, 1, 2)), ("date", " 2020-1-2 ", dt.date(2020, 1, 2)),
    ("date", "20200102", dt.date(2020, 1, 2)), ("date", "epoch", dt.date(1970, 1, 1)),
    ("time", "12:34", dt.time(12, 34)), ("time", "12:34:56.789", dt.time(12, 34, 56, 789000)),
    ("time", "12:34:56+02", dt.time(12, 34, 56)), ("time", "23:59:59.9999994", dt.time(23, 59, 59, 999999)),
    ("time", "allballs", dt.time(0)),
    ("timetz", "12:34:56+05:30", dt.time(12, 34, 56, tzinfo=tz(5.5))),
    ("timetz", "12:34:56-0800", dt.time(12, 34, 56, tzinfo=tz(-8))),
    ("timetz", "12:00Z", dt.time(12, tzinfo=UTC)), ("timetz", "12:00", dt.time(12, tzinfo=UTC)),
    ("timestamp", "2020-01-01 00:00:00", dt.datetime(2020, 1, 1)),
    ("timestamp", "2020-01-01T10:00", dt.datetime(2020, 1, 1, 10)),
    ("timestamp", "2020-01-01 10:00:00.5", dt.datetime(2020, 1, 1, 10, 0, 0, 500000)),
    ("timestamp", "2020-01-01", dt.datetime(2020, 1, 1)),
    ("timestamp", "2020-01-01 24:00:00", dt.datetime(2020, 1, 2)),
    ("timestamp", "2020-01-01 10:00+02", dt.datetime(2020, 1, 1, 10)),
    ("timestamptz", "2020-01-01 10:00:00+02", dt.datetime(2020, 1, 1, 8, tzinfo=UTC)),
    ("timestamptz", "2020-01-01 10:00 +0530", dt.datetime(2020, 1, 1, 4, 30, tzinfo=UTC)),
    ("timestamptz", "2020-01-01 10:00-08:00:30", dt.datetime(2020, 1, 1, 18, 0, 30, tzinfo=UTC)),
    ("timestamptz", "2020-01-01T10:00Z", dt.datetime(2020, 1, 1, 10, tzinfo=UTC)),
    ("timestamptz", "2020-01-01 10:00", dt.datetime(2020, 1, 1, 10, tzinfo=UTC)),
    ("timestamptz", "2020-01-01 10:00 UTC", dt.datetime(2020, 1, 1, 10, tzinfo=UTC)),
    ("timestamptz", "2020-06-01 00:00:00 Europe/Berlin", dt.datetime(2020, 5, 31, 22, tzinfo=UTC)),
    ("interval", "1 day 02:03:04.5", dt.timedelta(days=1, hours=2, minutes=3, seconds=4.5)),
    ("interval", "-1 days +23:59:59", dt.timedelta(seconds=-1)),
    ("interval", "3 days", dt.timedelta(days=3)), ("interval", "00:00:01", dt.timedelta(seconds=1)),
    ("interval", "1 mon", dt.timedelta(days=MONTH_DAYS)),
    ("interval", "1 year 2 mons", dt.timedelta(days=YEAR_DAYS + 2 * MONTH_DAYS)),
    ("interval", "-1 mon", dt.timedelta(days=-MONTH_DAYS)),
    ("interval", "1 day ago", dt.timedelta(days=-1)),
    ("interval", "@ 2 hours", dt.timedelta(hours=2)),
    ("interval", "P1DT2H", dt.timedelta(days=1, hours=2)),
    ("interval", "PT1.5S", dt.timedelta(seconds=1.5)),
    ("interval", "1 2:03:04", dt.timedelta(days=1, hours=2, minutes=3, seconds=4)),
    ("interval", "5", dt.timedelta(seconds=5)),
    ("_int4", "{1,2,NULL}", [1, 2, None]), ("_int4", "{}", []), ("_int4", "{{1,2},{3,4}}", [[1, 2], [3, 4]]),
    ("_int4", "[0:1]={1,2}", [1, 2]),
    ("_text", '{"a",b c , d\\,e,"f\\"g", NULL, "NULL", null}', ["a", "b c", "d,e", 'f"g', None, "NULL", None]),
    ("_text", '{""}', [""]), ("_text", "{a\\ }", ["a "]), ("_text", "{x  y}", ["x  y"]),
    ("_numeric", "{1.5,NaN}", [D("1.5"), D("NaN")]),
    ("_date", "{2020-01-02,NULL}", [dt.date(2020, 1, 2), None]),
    ("_bool", "{t,f}", [True, False]),
    ("_json", '{"{\\"a\\": 1}"}', ['{"a": 1}']),
]


@pytest.mark.parametrize("tname,s,expected", TEXT_CASES)
def test_text_values(tname: str, s: str, expected: Any) -> None:
    assert same(text(tname, s), expected)


def test_unknown_and_unspecified_oids_give_str() -> None:
    assert decode_param(0, 0, b"12") == "12"
    assert decode_param(2205, 0, b"pg_class") == "pg_class"  # regclass: not parsed
    assert decode_param(0, 1, b"raw") == "raw"  # unknownrecv is textual


def test_buffer_types_accepted() -> None:
    assert decode_param(T.TEXT.oid, 0, memoryview(b"xabc")[1:]) == "abc"
    assert decode_param(T.UUID.oid, 1, bytearray(16)) == uuid.UUID(int=0)
    assert decode_param(T.INT4.oid, 1, memoryview(b"\x00\x00\x00\x07")) == 7


def test_null() -> None:
    assert decode_param(T.INT4.oid, 0, None) is None
    assert decode_param(T.INT4.oid, 1, None) is None
    assert decode_param(999999, 1, None) is None


def test_timestamptz_result_is_utc() -> None:
    v = text("timestamptz", "2020-01-01 10:00:00+02")
    assert v.tzinfo is UTC


# --- text input: errors, as PostgreSQL reports them -------------------------

TEXT_ERRORS = [
    ('int4', 'abc', '22P02', 'invalid input syntax for type integer: "abc"'),
    ('int2', 'abc', '22P02', 'invalid input syntax for type smallint: "abc"'),
    ('int8', 'abc', '22P02', 'invalid input syntax for type bigint: "abc"'),
    ('oid', 'abc', '22P02', 'invalid input syntax for type oid: "abc"'),
    ('int4', '99999999999', '22003', 'value "99999999999" is out of range for type integer'),
    ('int2', '99999', '22003', 'value "99999" is out of range for type smallint'),
    ('int8', '99999999999999999999', '22003', 'value "99999999999999999999" is out of range for type bigint'),
    ('oid', '99999999999', '22003', 'value "99999999999" is out of range for type oid'),
    ('int4', '', '22P02', 'invalid input syntax for type integer: ""'),
    ('int4', '- 5', '22P02', 'invalid input syntax for type integer: "- 5"'),
    ('int4', '1.0', '22P02', 'invalid input syntax for type integer: "1.0"'),
    ('int4', '1_0', '22P02', 'invalid input syntax for type integer: "1_0"'),
    ('bool', 'x', '22P02', 'invalid input syntax for type boolean: "x"'),
    ('bool', 'o', '22P02', 'invalid input syntax for type boolean: "o"'),
    ('bool', '', '22P02', 'invalid input syntax for type boolean: ""'),
    ('float8', 'abc', '22P02', 'invalid input syntax for type double precision: "abc"'),
    ('float4', 'abc', '22P02', 'invalid input syntax for type real: "abc"'),
    ('float8', '1e400', '22003', '"1e400" is out of range for type double precision'),
    ('float8', '1e-400', '22003', '"1e-400" is out of range for type double precision'),
    ('float4', '1e40', '22003', '"1e40" is out of range for type real'),
    ('float4', '1e-46', '22003', '"1e-46" is out of range for type real'),
    ('float8', '1_0', '22P02', 'invalid input syntax for type double precision: "1_0"'),
    ('numeric', 'abc', '22P02', 'invalid input syntax for type numeric: "abc"'),
    ('numeric', '1_000', '22P02', 'invalid input syntax for type numeric: "1_000"'),
    ('numeric', '1e131072', '22003', 'value overflows numeric format'),
    ('numeric', '1e-16384', '22003', 'value overflows numeric format'),
    ('uuid', 'abc', '22P02', 'invalid input syntax for type uuid: "abc"'),
    ('uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-', '22P02', 'invalid input syntax for type uuid: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-"'),
    ('uuid', ' a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '22P02', 'invalid input syntax for type uuid: " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"'),
    ('date', 'abc', '22007', 'invalid input syntax for type date: "abc"'),
    ('date', '2020-13-01', '22008', 'date/time field value out of range: "2020-13-01"'),
    ('date', '2020-02-30', '22008', 'date/time field value out of range: "2020-02-30"'),
    ('date', '0000-01-01', '22008', 'date/time field value out of range: "0000-01-01"'),
    ('timestamp', 'abc', '22007', 'invalid input syntax for type timestamp: "abc"'),
    ('timestamptz', 'abc', '22007', 'invalid input syntax for type timestamp with time zone: "abc"'),
    ('timestamptz', '2020-01-01 00:00:00+16', '22009', 'time zone displacement out of range: "2020-01-01 00:00:00+16"'),
    ('timestamptz', '2020-01-01 00:00:00 Mars/Olympus', '22023', 'time zone "mars/olympus" not recognized'),
    ('timestamp', '2020-01-01 25:00:00', '22008', 'date/time field value out of range: "2020-01-01 25:00:00"'),
    ('time', 'abc', '22007', 'invalid input syntax for type time: "abc"'),
    ('time', '25:00:00', '22008', 'date/time field value out of range: "25:00:00"'),
    ('time', '23:60:00', '22008', 'date/time field value out of range: "23:60:00"'),
    ('time', '23:59:60.5', '22008', 'date/time field value out of range: "23:59:60.5"'),
    ('timetz', 'abc', '22007', 'invalid input syntax for type time with time zone: "abc"'),
    ('timetz', '12:00:00+16', '22009', 'time zone displacement out of range: "12:00:00+16"'),
    ('timetz', '12:00 europe/berlin', '22007', 'invalid input syntax for type time with time zone: "12:00 europe/berlin"'),
    ('interval', 'abc', '22007', 'invalid input syntax for type interval: "abc"'),
    ('interval', '', '22007', 'invalid input syntax for type interval: ""'),
    ('interval', '1 2', '22007', 'invalid input syntax for type interval: "1 2"'),
    ('interval', '1 day 1 day', '22007', 'invalid input syntax for type interval: "1 day 1 day"'),
    ('interval', '1 fortnight', '22007', 'invalid input syntax for type interval: "1 fortnight"'),
    ('interval', '1:60', '22015', 'interval field value out of range: "1:60"'),
    ('interval', '5 ago', '22007', 'invalid input syntax for type interval: "5 ago"'),
    ('interval', 'P', '22007', 'invalid input syntax for type interval: "P"'),
    ('interval', ' P1D', '22007', 'invalid input syntax for type interval: " P1D"'),
    ('interval', '1 hour 02:00', '22007', 'invalid input syntax for type interval: "1 hour 02:00"'),
    ('interval', '9223372036854775808 us', '22015', 'interval field value out of range: "9223372036854775808 us"'),
    ('interval', '178956971 years', '22008', 'interval out of range'),
    ('json', 'abc', '22P02', 'invalid input syntax for type json'),
    ('json', '{"a":NaN}', '22P02', 'invalid input syntax for type json'),
    ('jsonb', 'abc', '22P02', 'invalid input syntax for type json'),
    ('jsonb', '"\\u0000"', '22P05', 'unsupported Unicode escape sequence'),
    ('bytea', '\\xzz', '22023', 'invalid hexadecimal digit: "z"'),
    ('bytea', '\\x0', '22023', 'invalid hexadecimal data: odd number of digits'),
    ('bytea', '\\9', '22P02', 'invalid input syntax for type bytea'),
    ('bytea', '\\x0 1', '22023', 'invalid hexadecimal digit: " "'),
    ('_int4', 'abc', '22P02', 'malformed array literal: "abc"'),
    ('_int4', '{1,abc}', '22P02', 'invalid input syntax for type integer: "abc"'),
    ('_int4', '{1,2', '22P02', 'malformed array literal: "{1,2"'),
    ('_int4', '{1,,2}', '22P02', 'malformed array literal: "{1,,2}"'),
    ('_int4', '{1,2}x', '22P02', 'malformed array literal: "{1,2}x"'),
    ('_int4', '{{1,2},{3}}', '22P02', 'malformed array literal: "{{1,2},{3}}"'),
    ('_int4', '{{1,2},3}', '22P02', 'malformed array literal: "{{1,2},3}"'),
    ('_int4', '{{}}', '22P02', 'malformed array literal: "{{}}"'),
    ('_int4', '[1:3]={1,2}', '22P02', 'malformed array literal: "[1:3]={1,2}"'),
    ('_int4', '{{{{{{{1}}}}}}}', '54000', 'number of array dimensions (7) exceeds the maximum allowed (6)'),
    ('_text', '{"a"b}', '22P02', 'malformed array literal: "{"a"b}"'),
    ('_text', '{a"b}', '22P02', 'malformed array literal: "{a"b}"'),
    ('_text', '{"a}', '22P02', 'malformed array literal: "{"a}"'),    ('int2', '98611990-617', '22003', 'value "98611990-617" is out of range for type smallint'),
    ('int4', '99999999999 x', '22003', 'value "99999999999 x" is out of range for type integer'),
    ('int8', '1 2', '22P02', 'invalid input syntax for type bigint: "1 2"'),
    ('oid', '99999999999x', '22P02', 'invalid input syntax for type oid: "99999999999x"'),
    ('oid', '-99999999999999999999', '22003', 'value "-99999999999999999999" is out of range for type oid'),
    ('_int4', '{1,abc', '22P02', 'malformed array literal: "{1,abc"'),
    ('_int4', ' {1,,2}', '22P02', 'malformed array literal: "{1,,2}"'),
    ('_int4', '[1:2]={1,,2}', '22P02', 'malformed array literal: "{1,,2}"'),
    ('_int4', '[1:2]{1,2}', '22P02', 'malformed array literal: "[1:2]{1,2}"'),
    ('_int4', '[]={1}', '22P02', 'malformed array literal: "[]={1}"'),
    ('_int4', '[1:]={1}', '22P02', 'malformed array literal: "[1:]={1}"'),
    ('_int4', '[1:2={1,2}', '22P02', 'malformed array literal: "[1:2={1,2}"'),
    ('_int4', '[2:1]={1}', '2202E', 'upper bound cannot be less than lower bound'),
    ('_int4', '[1:2]=x', '22P02', 'malformed array literal: "[1:2]=x"'),
    ('_int4', '{ {1}, 2}', '22P02', 'malformed array literal: "{ {1}, 2}"'),
    ('_text', '{a,b}}', '22P02', 'malformed array literal: "{a,b}}"'),
]


@pytest.mark.parametrize("tname,s,sqlstate,message", TEXT_ERRORS)
def test_text_errors_match_postgresql(tname: str, s: str, sqlstate: str, message: str) -> None:
    with pytest.raises(ParamError) as ei:
        text(tname, s)
    assert (ei.value.sqlstate, ei.value.message) == (sqlstate, message)


@pytest.mark.parametrize(
    "tname,s,message",
    [
        # values PostgreSQL accepts but Python cannot hold
        ("date", "infinity", 'date out of range: "infinity"'),
        ("date", "99999-01-01", 'date out of range: "99999-01-01"'),
        ("date", "2020-01-01 BC", 'date out of range: "2020-01-01 BC"'),
        ("timestamp", "-infinity", 'timestamp out of range: "-infinity"'),
        ("timestamptz", "infinity", 'timestamp out of range: "infinity"'),
        ("timestamp", "9999-12-31 24:00:00", 'timestamp out of range: "9999-12-31 24:00:00"'),
        ("time", "24:00:00", 'date/time field value out of range: "24:00:00"'),
    ],
)
def test_unrepresentable_values(tname: str, s: str, message: str) -> None:
    with pytest.raises(ParamError) as ei:
        text(tname, s)
    assert ei.value.sqlstate == "22008"
    assert ei.value.message == message


def test_error_details() -> None:
    with pytest.raises(ParamError) as ei:
        text("_int4", "{1,,2}")
    assert ei.value.detail == 'Unexpected "," character.'
    with pytest.raises(ParamError) as ei:
        text("jsonb", '"\\u0000"')
    assert ei.value.detail == "\\u0000 cannot be converted to text."
    assert isinstance(ei.value, ValueError)


# --- text input vs the server's own parse -----------------------------------
# (type, text, binary value PostgreSQL produced for that text)

PG_PARSED = [
    ('int4', ' 42 ', '0000002a'),
    ('int8', '-9223372036854775808', '8000000000000000'),
    ('oid', '-1', 'ffffffff'),
    ('bool', ' YE ', '01'),
    ('bool', 'of', '00'),
    ('float8', ' -2.5e10 ', 'c2174876e8000000'),
    ('float8', '0x1p-3', '3fc0000000000000'),
    ('float8', '-Infinity', 'fff0000000000000'),
    ('float8', '1e-320', '00000000000007e8'),
    ('float4', '0.1', '3dcccccd'),
    ('float4', '1e-45', '00000001'),
    ('numeric', ' 1.50 ', '000200000000000200011388'),
    ('numeric', '1e3', '000100000000000003e8'),
    ('numeric', '1.5e-3', '0001ffff00000004000f'),
    ('numeric', '-0.00', '0000000000000002'),
    ('numeric', '-inf', '00000000f0000020'),
    ('numeric', '00012.3400', '0002000000000004000c0d48'),
    ('numeric', '123456789012345678901234567890.123456789', '000b000700000009000c0d801ed204d2162e23340d801ed204d2162e2328'),
    ('bytea', '\\x 01 02ff', '0102ff'),
    ('bytea', 'a\\\\b\\001é', '615c6201c3a9'),
    ('char', '\\101', '41'),
    ('name', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', '787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878'),
    ('uuid', '{A0EEBC999C0B4EF8BB6D6BB9BD380A11}', 'a0eebc999c0b4ef8bb6d6bb9bd380a11'),
    ('uuid', 'a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11', 'a0eebc999c0b4ef8bb6d6bb9bd380a11'),
    ('date', '20200102', '00001c8a'),
    ('date', ' 2020-1-2 ', '00001c8a'),
    ('date', 'epoch', 'ffffd533'),
    ('date', '2020-01-01T12:00:00Z', '00001c89'),
    ('time', '1234', '0000000a88839e00'),
    ('time', '12:34:56.789+02', '0000000a8be62608'),
    ('time', '23:59:59.9999994', '000000141dd75fff'),
    ('timetz', '12:34:56-0800', '0000000a8bda1c0000007080'),
    ('timetz', '07:26:60.8124848', '000000063ea51ec500000000'),
    ('timetz', '12:00Z', '0000000a0eebb00000000000'),
    ('timestamp', '2020-01-01T10:00', '00023e0fe886c800'),
    ('timestamp', '2020-01-01 24:00:00', '00023e1ba499c000'),
    ('timestamp', '2020-01-01 23:59:60', '00023e1ba499c000'),
    ('timestamp', '2020-01-01 10:00+02', '00023e0fe886c800'),
    ('timestamp', '2020-01-01 00:00:00.9999995', '00023e0786d1a240'),
    ('timestamptz', '2020-01-01 10:00 +0530', '00023e0b4c5ac200'),
    ('timestamptz', '2020-01-01 10:00-08:00:30', '00023e169eedab80'),
    ('timestamptz', '2020-06-01 00:00:00 europe/berlin', '000249f7917c1800'),
    ('timestamptz', '2020-01-01', '00023e0786c26000'),
    ('timestamptz', '2020-01-01 00:00:00+15:59', '00023dfa211ba700'),
    ('interval', '1 day 02:03:04.5', '00000001b82687200000000100000000'),
    ('interval', '-1 days +23:59:59', '000000141dc81dc0ffffffff00000000'),
    ('interval', '3 days', '00000000000000000000000300000000'),
    ('interval', '00:00:01', '00000000000f42400000000000000000'),
    ('interval', '1 mon', '00000000000000000000000000000001'),
    ('interval', '1 year 2 mons', '0000000000000000000000000000000e'),
    ('interval', '1.5 years', '00000000000000000000000000000012'),
    ('interval', '1.01 mon', '0000000608f3d0000000000000000001'),
    ('interval', '1 day ago 2 hours', 'fffffffe52d8b800ffffffff00000000'),
    ('interval', '@ 1 day 2 hours', '00000001ad2748000000000100000000'),
    ('interval', '2.5', '00000000002625a00000000000000000'),
    ('interval', 'P1DT2H', '00000001ad2748000000000100000000'),
    ('interval', 'P1Y2M3W', '0000000000000000000000150000000e'),
    ('interval', 'P0001-02-03T04:05:06', '000000036c8bc080000000030000000e'),
    ('interval', '1-2', '0000000000000000000000000000000e'),
    ('interval', '1 2:03:04', '00000001b81ee6000000000100000000'),
    ('interval', '-1:30', 'fffffffebe228a000000000000000000'),
    ('interval', '1:30.5', '000000000564eba00000000000000000'),
    ('interval', '2:06 853.4week', '00000001c29c72000000175500000000'),
    ('interval', '1 day, 2 hours', '00000001ad2748000000000100000000'),
    ('interval', '1d2h', '00000001ad2748000000000100000000'),
    ('interval', 'PT1H1H', '00000001ad2748000000000000000000'),
    ('_int4', '{1,2,NULL}', '000000010000000100000017000000030000000100000004000000010000000400000002ffffffff'),
    ('_int4', ' { } ', '000000000000000000000017'),
    ('_int4', '[0:1]={1,2}', '000000010000000000000017000000020000000000000004000000010000000400000002'),
    ('_int4', '{ {1,2} , {3,4} }', '000000020000000000000017000000020000000100000002000000010000000400000001000000040000000200000004000000030000000400000004'),
    ('_text', '{"a",b c , d\\,e,"f\\"g", NULL, "NULL", null}', '000000010000000100000019000000070000000100000001610000000362206300000003642c6500000003662267ffffffff000000044e554c4cffffffff'),
    ('_text', '{""}', '000000010000000000000019000000010000000100000000'),
    ('_text', '{x  y}', '00000001000000000000001900000001000000010000000478202079'),
    ('_text', '{a\\ }', '0000000100000000000000190000000100000001000000026120'),
    ('_numeric', '{1.5,-2,NaN}', '0000000100000000000006a400000003000000010000000c0002000000000001000113880000000a000100004000000000020000000800000000c0000000'),
    ('_date', '{2020-01-02,NULL}', '00000001000000010000043a00000002000000010000000400001c8affffffff'),
    ('_bool', '{t,f,yes}', '0000000100000000000000100000000300000001000000010100000001000000000101'),
    ('_interval', '{"1 day","02:00:00"}', '0000000100000000000004a2000000020000000100000010000000000000000000000001000000000000001000000001ad2748000000000000000000'),
    ('_jsonb', '{"{\\"a\\": 2, \\"b\\": 1}"}', '000000010000000000000eda000000010000000100000011017b2261223a20322c202262223a20317d'),
    ('_float8', '{1,Infinity,-0}', '0000000100000000000002bd0000000300000001000000083ff0000000000000000000087ff0000000000000000000088000000000000000'),
    ('_uuid', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '000000010000000000000b86000000010000000100000010a0eebc999c0b4ef8bb6d6bb9bd380a11'),
    ('_timestamptz', '{"2020-01-01 00:00:00+02"}', '0000000100000000000004a000000001000000010000000800023e05d99b1800'),]


@pytest.mark.parametrize("tname,s,pg_hex", PG_PARSED)
def test_text_parse_agrees_with_postgresql(tname: str, s: str, pg_hex: str) -> None:
    assert same(text(tname, s), binary(tname, bytes.fromhex(pg_hex)))


# --- binary input -----------------------------------------------------------


@pytest.mark.parametrize(
    "tname,data,value",
    [
        ("bool", b"\x01", True), ("bool", b"\x00", False), ("bool", b"\x02", True),
        ("int2", b"\xff\xfe", -2), ("int4", b"\x00\x00\x00\x05", 5), ("oid", b"\xff\xff\xff\xff", 4294967295),
        ("int8", b"\x80" + b"\x00" * 7, -(2 ** 63)), ("float4", struct.pack(">f", 1.5), 1.5),
        ("float8", struct.pack(">d", -0.25), -0.25), ("text", "é".encode(), "é"), ("bytea", b"\x00\xff", b"\x00\xff"),
        ("jsonb", b"\x01{}", "{}"), ("json", b"[1]", "[1]"), ("char", b"A", "A"), ("char", b"\x00", ""),
        ("char", b"\xe9", "\\351"),
        ("date", struct.pack(">i", 0), dt.date(2000, 1, 1)), ("date", struct.pack(">i", -1), dt.date(1999, 12, 31)),
        ("time", struct.pack(">q", 1), dt.time(0, 0, 0, 1)),
        ("timetz", struct.pack(">qi", 0, -3600), dt.time(0, tzinfo=tz(1))),
        ("timestamp", struct.pack(">q", -1), dt.datetime(1999, 12, 31, 23, 59, 59, 999999)),
        ("timestamptz", struct.pack(">q", 0), dt.datetime(2000, 1, 1, tzinfo=UTC)),
        ("interval", struct.pack(">qii", 1, 2, 3), dt.timedelta(days=2 + 3 * MONTH_DAYS, microseconds=1)),
        ("interval", struct.pack(">qii", 0, 0, 14), dt.timedelta(days=YEAR_DAYS + 2 * MONTH_DAYS)),
        ("interval", struct.pack(">qii", 0, 0, -14), dt.timedelta(days=-(YEAR_DAYS + 2 * MONTH_DAYS))),
        # numeric_recv truncates digits hidden by dscale: 1.2345 sent with dscale 2
        ("numeric", bytes.fromhex("00020000000000020001" "0929"), D("1.23")),
        ("numeric", bytes.fromhex("0000000000000003"), D("0.000")),
        ("numeric", bytes.fromhex("0001000100000000" "0001"), D("10000")),
    ],
)
def test_binary_values(tname: str, data: bytes, value: Any) -> None:
    assert same(binary(tname, data), value)


def test_binary_negative_zero_numeric() -> None:
    # sign "negative" with no digits is zero, and PostgreSQL has no -0
    assert str(binary("numeric", bytes.fromhex("0000000040000001"))) == "0.0"


@pytest.mark.parametrize(
    "tname,data,sqlstate,message",
    [
        # checked against PostgreSQL 15.18: PQexecParams with the value as a
        # binary parameter of that type (parameter numbers differ there)
        ("int4", b"\x00\x00\x00\x00\x05", "22P03", "incorrect binary data format in bind parameter 3"),
        ("int4", b"\x00\x05", "08P01", "insufficient data left in message"),
        ("int2", b"\x00\x00\x05", "22P03", "incorrect binary data format in bind parameter 3"),
        ("float8", b"\x00", "08P01", "insufficient data left in message"),
        ("date", b"\x00\x00", "08P01", "insufficient data left in message"),
        ("uuid", b"\x00" * 15, "08P01", "insufficient data left in message"),
        ("bool", b"", "08P01", "no data left in message"),
        ("char", b"", "08P01", "no data left in message"),
        ("char", b"ab", "22P03", "incorrect binary data format in bind parameter 3"),
        ("jsonb", b"", "08P01", "insufficient data left in message"),
        ("jsonb", b"\x02{}", "XX000", "unsupported jsonb version number 2"),
        ("jsonb", b"\x01{", "22P02", "invalid input syntax for type json"),
        ("json", b"{", "22P02", "invalid input syntax for type json"),
        ("numeric", bytes.fromhex("0001000000000000ffff"), "22P03", 'invalid digit in external "numeric" value'),
        ("numeric", bytes.fromhex("00010000000000002710"), "22P03", 'invalid digit in external "numeric" value'),
        ("numeric", bytes.fromhex("00010000c0010000"), "22P03", 'invalid sign in external "numeric" value'),
        ("numeric", bytes.fromhex("0001000000004000"), "22P03", 'invalid scale in external "numeric" value'),
        ("numeric", bytes.fromhex("0002000000000000" "0001"), "08P01", "insufficient data left in message"),
        ("numeric", bytes.fromhex("000100000000"), "08P01", "insufficient data left in message"),
        ("numeric", bytes.fromhex("0001000000000000ffff0001"), "22P03", 'invalid digit in external "numeric" value'),
        ("text", b"\xc3\x28", "22021", 'invalid byte sequence for encoding "UTF8": 0xc3 0x28'),
        ("text", b"a\x00b", "22021", 'invalid byte sequence for encoding "UTF8": 0x00'),
        ("text", b"\xe2\x82", "22021", 'invalid byte sequence for encoding "UTF8": 0xe2 0x82'),
        ("text", b"\xff", "22021", 'invalid byte sequence for encoding "UTF8": 0xff'),
        ("text", b"\xf0\x9f\x98", "22021", 'invalid byte sequence for encoding "UTF8": 0xf0 0x9f 0x98'),
        ("text", b"\xed\xa0\x80", "22021", 'invalid byte sequence for encoding "UTF8": 0xed 0xa0 0x80'),
        ("timetz", struct.pack(">qi", 0, 57600), "22009", "time zone displacement out of range"),
        ("time", struct.pack(">q", -1), "22008", "time out of range"),
        # PostgreSQL accepts the infinities; Python's date/datetime cannot
        # hold them, so these three are our own errors, worded like PG's.
        ("date", struct.pack(">i", 0x7FFFFFFF), "22008", 'date out of range: "infinity"'),
        ("timestamp", struct.pack(">q", 2 ** 63 - 1), "22008", 'timestamp out of range: "infinity"'),
        ("timestamptz", struct.pack(">q", -(2 ** 63)), "22008", 'timestamp out of range: "-infinity"'),
        ("_int4", bytes.fromhex("000000010000000000000017"), "08P01", "insufficient data left in message"),
        ("_int4", bytes.fromhex("0000000100000000000000170000000200000001000000040000000100000004000000"),
         "22P03", "insufficient data left in message"),
        ("_int4", bytes.fromhex("00000001000000000000001900000001000000010000000100"),
         "42804", "binary data has array element type 25 (text) instead of expected 23 (integer)"),
        ("_int4", bytes.fromhex("000000010000000000000017000000010000000100000005000000000a"),
         "22P03", "improper binary format in array element 1"),
        ("_int4", bytes.fromhex("ffffffff0000000000000017"), "22P03", "invalid number of dimensions: -1"),
        ("_int4", bytes.fromhex("000000070000000000000017"), "54000",
         "number of array dimensions (7) exceeds the maximum allowed (6)"),
        ("_int4", bytes.fromhex("000000000000000200000017"), "22P03", "invalid array flags"),
        ("_int4", bytes.fromhex("00000000000000000000001700"), "22P03", "incorrect binary data format in bind parameter 3"),
    ],
)
def test_binary_errors(tname: str, data: bytes, sqlstate: str, message: str) -> None:
    with pytest.raises(ParamError) as ei:
        binary(tname, data, index=3)
    assert (ei.value.sqlstate, ei.value.message) == (sqlstate, message)


def test_binary_arrays() -> None:
    e = binary_encoder_for(T.INT4_ARRAY)
    assert binary("_int4", e([1, None, 3])) == [1, None, 3]
    assert binary("_int4", e([[1, 2, 3], [4, 5, 6]])) == [[1, 2, 3], [4, 5, 6]]
    assert binary("_int4", e([])) == []
    # lower bounds are accepted and dropped
    raw = struct.pack(">iiIiiii", 1, 0, 23, 1, 5, 4, 7)
    assert binary("_int4", raw) == [7]


def test_other_encodings() -> None:
    assert decode_param(T.TEXT.oid, 0, b"\xe9", encoding="latin-1") == "é"
    with pytest.raises(ParamError) as ei:
        decode_param(T.TEXT.oid, 0, b"\x81", encoding="cp1252")
    assert ei.value.message == 'invalid byte sequence for encoding "WIN1252": 0x81'
    # text-format values are verified too, before parsing
    with pytest.raises(ParamError) as ei:
        decode_param(T.INT4.oid, 0, b"1\xff")
    assert ei.value.sqlstate == "22021"


def test_unsupported_binary_type_and_format() -> None:
    with pytest.raises(ParamError) as ei:
        decode_param(2205, 1, b"\x00\x00\x04\xeb")
    assert (ei.value.sqlstate, ei.value.message) == ("0A000", "binary format for parameter type 2205 is not supported")
    with pytest.raises(ParamError) as ei:
        decode_param(T.INT4.oid, 2, b"1")
    assert (ei.value.sqlstate, ei.value.message) == ("22023", "unsupported format code: 2")


# --- decode_params: Bind's format-code rules --------------------------------


def test_decode_params_format_rules() -> None:
    oids = [T.INT4.oid, T.TEXT.oid]
    assert decode_params(oids, [], [b"1", b"x"]) == [1, "x"]
    assert decode_params(oids, [1], [b"\x00\x00\x00\x02", b"y"]) == [2, "y"]
    assert decode_params(oids, [0, 1], [b"3", b"z"]) == [3, "z"]
    assert decode_params(oids, [1, 0], [None, None]) == [None, None]
    assert decode_params([], [], [b"a"]) == ["a"]  # no type known: str
    assert decode_params([], [], []) == []


def test_decode_params_errors() -> None:
    with pytest.raises(ParamError) as ei:
        decode_params([T.INT4.oid], [0, 0], [b"1"])
    assert (ei.value.sqlstate, ei.value.message) == ("08P01", "bind message has 2 parameter formats but 1 parameters")
    with pytest.raises(ParamError) as ei:
        decode_params([T.INT4.oid, T.INT4.oid], [1], [b"\x00\x00\x00\x01", b"\x00\x00\x00\x00\x01"])
    assert ei.value.message == "incorrect binary data format in bind parameter 2"


# --- infer_param_types ------------------------------------------------------
# Each expectation is what PostgreSQL 15 itself reports for the statement
# (Parse without types, then Describe: ParameterDescription).

INFER_CASES = [
    ("select $1::int", [23]),
    ("select $1::int4, $2::bigint, $3::smallint", [23, 20, 21]),
    ("select $2::timestamp with time zone, $1::text[]", [1009, 1184]),
    ("select $1::numeric(10,2)", [1700]),
    ("select cast($1 as date)", [1082]),
    ("SELECT CAST ( $1 AS double precision )", [701]),
    ("select $1 :: varchar(20)", [1043]),
    ("select $1::character varying(5)[]", [1015]),
    ('select $1::"char"', [18]),
    ("select $1::char", [1042]),
    ("select $1::timestamp(3) without time zone", [1114]),
    ("select $1::time with time zone", [1266]),
    ("select $1::uuid, $2::jsonb, $3::json, $4::bytea, $5::bool, $6::real, $7::float8",
     [2950, 3802, 114, 17, 16, 700, 701]),
    ("select $1::pg_catalog.int8", [20]),
    ("select $1::int[]", [1007]),
    ("select $1::int array", [1007]),
    ("select $1::integer[][]", [1007]),
    ("select $1::text::int", [25]),
    ("select '$1::int', $1::date", [1082]),
    ("select $$ $2::int $$, $1::uuid", [2950]),
    ("select $tag$ $1::int $tag$, $1::bool", [16]),
    ("select /* $1::int */ $1::float4", [700]),
    ("select -- $1::int\n $1::oid", [26]),
    ("select e'\\' $1::int', $1::date", [1082]),
    ("select /* nested /* $1::int */ still */ $1::bool", [16]),
    ("select $1::decimal(5)", [1700]),
    ("select $1::float", [701]),
    ("select $1::float(10)", [700]),
    ("select $1::time(2)", [1083]),
    ("select $1 ::   text", [25]),
    ("select $1::timetz[]", [1270]),
    ("select cast($1 as numeric)::int", [1700]),
    ("select $1, $3::int", [25, 25, 23]),
]


@pytest.mark.parametrize("sql,expected", INFER_CASES)
def test_infer_param_types(sql: str, expected: List[int]) -> None:
    assert infer_param_types(sql, []) == expected


def test_infer_declared_types_win_and_set_length() -> None:
    assert infer_param_types("select $1::int, $2::date", [20, 0]) == [20, 1082]
    assert infer_param_types("select 1", [23, 25, 0]) == [23, 25, 25]
    assert infer_param_types("select $2", [0]) == [25, 25]
    assert infer_param_types("select $1::regclass", []) == [2205]  # as PostgreSQL describes it
    assert infer_param_types("select $1::no_such_type", []) == [25]  # unknown to pgtypes: text
    assert infer_param_types("select $0, a$1, $70000", []) == []
    assert infer_param_types("select '", []) == []  # unterminated quote
    assert infer_param_types("select $1::", []) == [25]


def test_infer_is_linear() -> None:
    sql = "select " + ", ".join("$%d::int" % i for i in range(1, 2001)) + " /* " + "x" * 100000
    assert infer_param_types(sql, []) == [23] * 2000


# --- properties ---------------------------------------------------------------


@given(st.integers(-(2 ** 63), 2 ** 63 - 1))
def test_prop_int8_text(v: int) -> None:
    assert text("int8", " %d " % v) == v


@given(st.floats(allow_nan=False))
def test_prop_float8_text(v: float) -> None:
    assert text("float8", repr(v)) == v


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6))
def test_prop_numeric_text(v: D) -> None:
    got = text("numeric", str(v))
    assert got == v


@given(st.datetimes())
def test_prop_timestamp_text(v: dt.datetime) -> None:
    assert text("timestamp", v.isoformat(" ")) == v
    assert text("timestamp", v.isoformat("T")) == v


@given(st.datetimes(timezones=st.integers(-15 * 60, 15 * 60).map(lambda m: tz(seconds=60 * m))))
def test_prop_timestamptz_text(v: dt.datetime) -> None:
    try:
        expected = v.astimezone(UTC)
    except OverflowError:
        return
    assert text("timestamptz", v.isoformat()) == expected


@given(st.timedeltas())
def test_prop_interval_text(v: dt.timedelta) -> None:
    # the normalised timedelta spelling, as PostgreSQL prints "-1 days +23:59:59"
    s = "%d days %d:%02d:%02d.%06d" % (v.days, v.seconds // 3600, v.seconds // 60 % 60, v.seconds % 60,
                                       v.microseconds)
    assert text("interval", s) == v


def _quote(x: Optional[str]) -> str:
    if x is None:
        return "NULL"
    return '"' + x.replace("\\", "\\\\").replace('"', '\\"') + '"'


_elem = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))


@settings(max_examples=200)
@given(st.lists(_elem))
def test_prop_text_array_literal(v: list) -> None:
    assert text("_text", "{" + ",".join(_quote(x) for x in v) + "}") == v


@given(st.lists(st.lists(_elem, min_size=2, max_size=2), min_size=1, max_size=4))
def test_prop_text_array_2d(v: list) -> None:
    lit = "{" + ",".join("{" + ",".join(_quote(x) for x in row) + "}" for row in v) + "}"
    assert text("_text", lit) == v


@given(st.lists(st.text(alphabet="abc xyz,{}\"\\", min_size=1).filter(lambda s: s.strip() != "")))
def test_prop_unquoted_with_escapes(v: list) -> None:
    # backslash-escaping every character is a valid unquoted spelling
    lit = "{" + ",".join("".join("\\" + ch for ch in x) for x in v) + "}"
    assert text("_text", lit) == v


@given(st.binary())
def test_prop_bytea_hex_and_escape(v: bytes) -> None:
    assert text("bytea", "\\x" + v.hex()) == v
    esc = "".join("\\%03o" % b for b in v)
    assert text("bytea", esc) == v


@given(st.uuids())
def test_prop_uuid_text(v: uuid.UUID) -> None:
    assert text("uuid", str(v).upper()) == v
    assert text("uuid", "{%s}" % v.hex) == v
