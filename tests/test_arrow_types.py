"""Arrow results: type mapping, detection, readers and text encoding."""
from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
import textwrap
import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")
import pyarrow.compute as pc  # noqa: E402

from riffq._compat import arrow as A  # noqa: E402
from riffq._wire import pgtypes as T  # noqa: E402
from riffq._wire.textformat import TextContext, encoder_for, timezone_from_name  # noqa: E402

UTC = dt.timezone.utc
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _opt(name, *args):
    """An Arrow type factory that may be missing from older pyarrow."""
    fn = getattr(pa, name, None)
    return None if fn is None else fn(*args)


TYPE_MAP = [
    (pa.int8(), 21, -1), (pa.int16(), 21, -1), (pa.int32(), 23, -1), (pa.int64(), 20, -1),
    (pa.uint8(), 21, -1), (pa.uint16(), 23, -1), (pa.uint32(), 20, -1), (pa.uint64(), 1700, -1),
    (pa.float16(), 700, -1), (pa.float32(), 700, -1), (pa.float64(), 701, -1),
    (pa.decimal128(12, 2), 1700, ((12 << 16) | 2) + 4), (pa.decimal256(50, 10), 1700, ((50 << 16) | 10) + 4),
    (pa.decimal128(5, -2), 1700, 329730),
    (pa.string(), 25, -1), (pa.large_string(), 25, -1), (_opt("string_view"), 25, -1),
    (pa.binary(), 17, -1), (pa.large_binary(), 17, -1), (pa.binary(16), 17, -1), (_opt("binary_view"), 17, -1),
    (pa.bool_(), 16, -1), (pa.date32(), 1082, -1), (pa.date64(), 1082, -1),
    (pa.time32("s"), 1083, -1), (pa.time32("ms"), 1083, -1), (pa.time64("us"), 1083, -1), (pa.time64("ns"), 1083, -1),
    (pa.timestamp("s"), 1114, -1), (pa.timestamp("ns"), 1114, -1), (pa.timestamp("us", tz="UTC"), 1184, -1),
    (pa.timestamp("ms", tz="Asia/Kolkata"), 1184, -1), (pa.duration("us"), 1186, -1), (pa.duration("ns"), 1186, -1),
    (pa.list_(pa.int32()), 1007, -1), (pa.large_list(pa.string()), 1009, -1), (pa.list_(pa.float64(), 3), 1022, -1),
    (_opt("list_view", pa.int64()), 1016, -1), (_opt("large_list_view", pa.bool_()), 1000, -1),
    (pa.list_(pa.list_(pa.int64())), 1016, -1), (pa.list_(pa.struct([("a", pa.int8())])), 199, -1),
    (pa.list_(pa.decimal128(7, 3)), 1231, 458759), (pa.list_(pa.timestamp("us", tz="UTC")), 1185, -1),
    (pa.list_(pa.null()), 1009, -1),
    (pa.struct([("a", pa.int64())]), 114, -1), (pa.map_(pa.string(), pa.int64()), 114, -1),
    (pa.dictionary(pa.int32(), pa.string()), 25, -1), (pa.dictionary(pa.int8(), pa.int64()), 20, -1),
    (pa.null(), 25, -1), (_opt("uuid"), 2950, -1),
    (pa.run_end_encoded(pa.int32(), pa.float64()), 701, -1),
    (pa.month_day_nano_interval(), 1186, -1),      # interval, months kept (pginterval)
]


@pytest.mark.parametrize("arrow_type, oid, typmod", [c for c in TYPE_MAP if c[0] is not None],
                         ids=[str(c[0]) for c in TYPE_MAP if c[0] is not None])
def test_pg_type_for_arrow(arrow_type, oid, typmod):
    t = A.pg_type_for_arrow(arrow_type)
    assert (t.oid, t.typmod) == (oid, typmod)
    assert T.BY_OID[oid].oid == oid


def test_columns_for_schema():
    schema = pa.schema([("a", pa.int32()), ("b", pa.string()), ("c", pa.list_(pa.date32()))])
    assert A.columns_for_schema(schema) == [("a", T.INT4), ("b", T.TEXT), ("c", T.DATE_ARRAY)]


# ---------------------------------------------------------------------------
# encode_batch_text
# ---------------------------------------------------------------------------

U1 = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")


def _big_batch():
    n = 5
    cols = {
        "i8": pa.array([-128, 127, None, 0, 1], pa.int8()),
        "i64": pa.array([-(2 ** 63), 2 ** 63 - 1, None, 0, 42], pa.int64()),
        "u64": pa.array([0, 2 ** 64 - 1, None, 1, 7], pa.uint64()),
        "u32": pa.array([0, 2 ** 32 - 1, None, 1, 7], pa.uint32()),
        "f64": pa.array([0.1, math.nan, None, -math.inf, 1e16], pa.float64()),
        "f32": pa.array([0.1, math.inf, None, -0.0, 16777216.0], pa.float32()),
        "f16": pa.array([1.5, None, 0.0999755859375, 65504.0, -2.0], pa.float16()),
        "b": pa.array([True, False, None, True, False]),
        "s": pa.array(["héllo", "", None, "NULL", "日本語 \U0001F600"]),
        "ls": pa.array(["a", "b", None, "c", "d"], pa.large_string()),
        "bin": pa.array([b"\x00\xff", b"", None, b"abc", b"\\"]),
        "fsb": pa.array([b"\x00" * 4, b"\x01\x02\x03\x04", None, b"abcd", b"zzzz"], pa.binary(4)),
        "dec": pa.array([Decimal("1.50"), Decimal("-0.01"), None, Decimal("0.00"), Decimal("9999999999.99")],
                        pa.decimal128(12, 2)),
        "dec_small": pa.array([Decimal("0"), Decimal("1E-7"), None, Decimal("-1E-10"), Decimal("123.4")],
                              pa.decimal256(38, 10)),
        "decneg": pa.array([Decimal("1E+2"), None, Decimal("-1.00E+4"), Decimal("0"), Decimal("5E+2")],
                           pa.decimal128(5, -2)),
        "d32": pa.array([dt.date(1, 1, 1), dt.date(9999, 12, 31), None, dt.date(2024, 2, 29), dt.date(1970, 1, 1)]),
        "d64": pa.array([dt.date(2024, 1, 2), None, dt.date(1969, 12, 31), dt.date(1, 1, 1), dt.date(2000, 1, 1)],
                        pa.date64()),
        "t_s": pa.array([0, 86399, None, 3723, 1], pa.time32("s")),
        "t_ms": pa.array([0, 86399999, None, 3723001, 10], pa.time32("ms")),
        "t_us": pa.array([dt.time(12, 34, 56, 500000), dt.time(0, 0), None, dt.time(23, 59, 59, 999999),
                          dt.time(1, 2, 3, 10)], pa.time64("us")),
        "t_ns": pa.array([3723001002003, 0, None, 86399999999999, 999], pa.time64("ns")),
        "ts_us": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 120000), dt.datetime(1, 1, 1),
                           None, dt.datetime(9999, 12, 31, 23, 59, 59, 999999), dt.datetime(1969, 12, 31, 23, 59, 59, 1)],
                          pa.timestamp("us")),
        "ts_s": pa.array([0, -1, None, 1700000000, 253402300799], pa.timestamp("s")),
        "ts_ms": pa.array([1, -1, None, 1700000000123, 0], pa.timestamp("ms")),
        "ts_ns": pa.array([1700000000123456789, -1, None, 0, 1], pa.timestamp("ns")),
        "tstz_utc": pa.array([1700000000123456, 0, None, -62135596800000000, 1], pa.timestamp("us", tz="UTC")),
        "tstz_kol": pa.array([1700000000123456789, 0, None, -1, 5], pa.timestamp("ns", tz="Asia/Kolkata")),
        "tstz_off": pa.array([1700000000, 0, None, -1, 5], pa.timestamp("s", tz="+05:30")),
        "dur_us": pa.array([dt.timedelta(days=1, seconds=7384, microseconds=500000), dt.timedelta(0), None,
                            dt.timedelta(seconds=-1), dt.timedelta(days=-3, seconds=3600, microseconds=1)],
                           pa.duration("us")),
        "dur_ns": pa.array([1, -1, None, 86400 * 10 ** 9, 1500], pa.duration("ns")),
        "dur_s": pa.array([1, -1, None, 86400, 90061], pa.duration("s")),
        "li": pa.array([[1, None, 3], [], None, [2 ** 63 - 1], [-1]], pa.list_(pa.int64())),
        "lli": pa.array([[[1, 2], [3, 4]], [[]], None, [[None]], [[5]]], pa.list_(pa.list_(pa.int32()))),
        "ls2": pa.array([["a b", "NULL", None, "", 'q"\\'], ["x"], None, [], ["é"]], pa.large_list(pa.string())),
        "lts": pa.array([[dt.datetime(2024, 1, 1, 12)], None, [None], [], [dt.datetime(2000, 1, 1)]],
                        pa.list_(pa.timestamp("ns", tz="UTC"))),
        "lbin": pa.array([[b"\x01\x02"], None, [None, b""], [], [b"x"]], pa.list_(pa.binary())),
        "fsl": pa.array([[1.5, math.nan, None], None, [0.1, 1e16, -0.0], [1.0, 2.0, 3.0], [1e-5, 1e15, 1.0]],
                        pa.list_(pa.float64(), 3)),
        "st": pa.array([{"a": 1, "b": "x", "t": dt.datetime(2024, 1, 2, 3, 4, 5, 500000)}, None,
                        {"a": None, "b": "é\n\"", "t": None}, {"a": -1, "b": "", "t": dt.datetime(1700, 1, 1)},
                        {"a": 2, "b": "NULL", "t": None}],
                       pa.struct([("a", pa.int64()), ("b", pa.string()), ("t", pa.timestamp("ns"))])),
        "mp": pa.array([[("k", 1), ("j", None)], None, [], [("z", 2)], [("a", 3), ("a", 4)]],
                       pa.map_(pa.string(), pa.int64())),
        "lmp": pa.array([[[("k", [1, 2])]], None, [], [None], [[]]], pa.list_(pa.map_(pa.string(), pa.list_(pa.int8())))),
        "dict": pa.array(["x", "y", None, "x", "z z"]).dictionary_encode(),
        "dict_int": pa.array([1, 2, None, 1, 3]).dictionary_encode(),
        "null": pa.nulls(n),
        "ree": pc.run_end_encode(pa.array([1.5, 1.5, None, 2.0, 2.0])),
        "mdn": pa.array([pa.MonthDayNano([1, 2, 3]), None, pa.MonthDayNano([0, 0, 0]),
                         pa.MonthDayNano([-1, 0, 1000]), pa.MonthDayNano([0, 1, 0])], pa.month_day_nano_interval()),
    }
    if hasattr(pa, "string_view"):
        cols["sv"] = pa.array(["a", None, "long string beyond twelve bytes", "", "é"], pa.string_view())
        cols["bv"] = pa.array([b"a", None, b"long binary beyond twelve bytes", b"", b"\xff"], pa.binary_view())
    if hasattr(pa, "list_view"):
        cols["lv"] = pa.array([[1, 2], None, [], [3], [None]], pa.list_view(pa.int64()))
        cols["lv_ns"] = pa.array([[1], None, [], [2], [None]], pa.list_view(pa.timestamp("ns")))
    if hasattr(pa, "uuid"):
        cols["uuid"] = pa.array([U1.bytes, None, uuid.UUID(int=0).bytes, uuid.UUID(int=1).bytes, U1.bytes],
                                pa.uuid())
    return pa.RecordBatch.from_pydict(cols)


CONTEXTS = {
    "utc": TextContext(),
    "kolkata": TextContext(timezone_from_name("Asia/Kolkata")),
    "new_york": TextContext(timezone_from_name("America/New_York")),
    # non-default session settings: the fast paths must step aside
    "sql_dmy_utc": TextContext(datestyle="SQL, DMY", intervalstyle="sql_standard", extra_float_digits=0,
                               bytea_output="escape"),
    "postgres_berlin": TextContext(timezone_from_name("Europe/Berlin"), datestyle="Postgres, MDY",
                                   intervalstyle="postgres_verbose", extra_float_digits="-1"),
    "german_ny": TextContext(timezone_from_name("America/New_York"), datestyle="German, DMY",
                             intervalstyle="iso_8601", extra_float_digits=-15, bytea_output="escape"),
    "iso_ymd_efd3": TextContext(datestyle="ISO, YMD", extra_float_digits=3),
}


@pytest.mark.parametrize("ctx_name", sorted(CONTEXTS))
def test_fast_paths_equal_per_value_path(ctx_name):
    ctx = CONTEXTS[ctx_name]
    batch = _big_batch()
    columns = A.columns_for_schema(batch.schema)
    for i, (name, t) in enumerate(columns):
        col = batch.column(i)
        fast = A._encode_column(col, t, ctx, fast=True, name=name)
        slow = A._encode_column(col, t, ctx, fast=False, name=name)
        assert fast == slow, name
        assert len(fast) == batch.num_rows
        # validity from the buffers: is_valid() misreports run-end-encoded
        # arrays on some pyarrow releases, to_pylist() refuses nanoseconds
        nulls = pc.is_null(pc.run_end_decode(col) if pa.types.is_run_end_encoded(col.type) else col)
        for row, value in enumerate(fast):
            assert (value is None) == nulls[row].as_py(), (name, row)


def test_non_default_settings_reach_arrow_columns():
    """Every setting changes Arrow output too (SQL literals checked with psql)."""
    batch = pa.RecordBatch.from_pydict({
        "d": pa.array([dt.date(2024, 1, 2), None], pa.date32()),
        "ts": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 600000), None], pa.timestamp("us")),
        "tstz": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=UTC), None], pa.timestamp("us", "UTC")),
        "f8": pa.array([1 / 3, 1e16], pa.float64()),
        "f4": pa.array([0.1, 123456.789], pa.float32()),
        "bin": pa.array([b"ab\x00\xff\\", b""], pa.binary()),
        "dur": pa.array([dt.timedelta(days=40, seconds=3599), dt.timedelta(seconds=-1)], pa.duration("us")),
        "ld": pa.array([[dt.date(2024, 1, 2), None], None], pa.list_(pa.date32())),
    })
    columns = A.columns_for_schema(batch.schema)
    ctx = TextContext(datestyle="SQL, DMY", intervalstyle="sql_standard", extra_float_digits=0,
                      bytea_output="escape")
    rows = A.encode_batch_text(batch, columns, ctx)
    assert rows[0] == [b"02/01/2024", b"02/01/2024 03:04:05.6", b"02/01/2024 03:04:05.6 UTC",
                       b"0.333333333333333", b"0.1", b"ab\\000\\377\\\\", b"40 0:59:59", b"{02/01/2024,NULL}"]
    assert rows[1] == [None, None, None, b"1e+16", b"123457", b"", b"-0:00:01", None]
    ctx = TextContext(timezone_from_name("Europe/Berlin"), datestyle="Postgres, DMY",
                      intervalstyle="iso_8601", extra_float_digits=-1)
    rows = A.encode_batch_text(batch, columns, ctx)
    assert rows[0][:5] == [b"02-01-2024", b"Tue 02 Jan 03:04:05.6 2024", b"Tue 02 Jan 04:04:05.6 2024 CET",
                           b"0.33333333333333", b"0.1"]
    assert rows[0][6] == b"P40DT59M59S"
    assert rows[1][6] == b"PT-1S"


def test_encode_batch_text_is_row_major_and_matches_pylist():
    batch = _big_batch()
    columns = A.columns_for_schema(batch.schema)
    rows = A.encode_batch_text(batch, columns, TextContext())
    assert len(rows) == batch.num_rows
    assert all(len(r) == len(columns) for r in rows)
    # per-value reference for columns whose to_pylist() values are plain Python values
    for i, (name, t) in enumerate(columns):
        if name in ("t_ns", "ts_ns", "tstz_kol", "dur_ns", "lts", "st", "mp", "lmp", "null", "lv_ns", "mdn"):
            continue
        enc = encoder_for(t, TextContext())
        col = batch.column(i)
        if isinstance(col.type, pa.DictionaryType):
            col = col.dictionary_decode()
        if pa.types.is_run_end_encoded(col.type):
            col = pc.run_end_decode(col)
        expected = [None if v is None else enc(v).encode() for v in col.to_pylist()]
        assert [r[i] for r in rows] == expected, name


def _col(rows, batch, name):
    i = batch.schema.get_field_index(name)
    return [r[i] for r in rows]


def test_encode_batch_text_expected_bytes():
    """Spot checks, each as PostgreSQL 15 prints the value (verified with psql)."""
    batch = _big_batch()
    columns = A.columns_for_schema(batch.schema)
    rows = A.encode_batch_text(batch, columns, TextContext())
    assert _col(rows, batch, "i64") == [b"-9223372036854775808", b"9223372036854775807", None, b"0", b"42"]
    assert _col(rows, batch, "u64")[1] == b"18446744073709551615"
    assert _col(rows, batch, "f64") == [b"0.1", b"NaN", None, b"-Infinity", b"1e+16"]
    assert _col(rows, batch, "f32") == [b"0.1", b"Infinity", None, b"-0", b"1.6777216e+07"]
    assert _col(rows, batch, "f16") == [b"1.5", None, b"0.099975586", b"65504", b"-2"]
    assert _col(rows, batch, "b") == [b"t", b"f", None, b"t", b"f"]
    assert _col(rows, batch, "s") == ["héllo".encode(), b"", None, b"NULL", "日本語 \U0001F600".encode()]
    assert _col(rows, batch, "bin") == [b"\\x00ff", b"\\x", None, b"\\x616263", b"\\x5c"]
    assert _col(rows, batch, "dec") == [b"1.50", b"-0.01", None, b"0.00", b"9999999999.99"]
    # select '0'::numeric(38,10), '1e-7'::numeric(38,10), '-1e-10'::numeric(38,10), 123.4::numeric(38,10)
    assert _col(rows, batch, "dec_small") == [b"0.0000000000", b"0.0000001000", None, b"-0.0000000001",
                                              b"123.4000000000"]
    assert _col(rows, batch, "decneg") == [b"100", None, b"-10000", b"0", b"500"]
    assert _col(rows, batch, "d32") == [b"0001-01-01", b"9999-12-31", None, b"2024-02-29", b"1970-01-01"]
    assert _col(rows, batch, "t_ns") == [b"01:02:03.001002", b"00:00:00", None, b"23:59:59.999999", b"00:00:00"]
    assert _col(rows, batch, "t_ms") == [b"00:00:00", b"23:59:59.999", None, b"01:02:03.001", b"00:00:00.01"]
    assert _col(rows, batch, "ts_us") == [b"2024-01-02 03:04:05.12", b"0001-01-01 00:00:00", None,
                                          b"9999-12-31 23:59:59.999999", b"1969-12-31 23:59:59.000001"]
    assert _col(rows, batch, "ts_ns")[:2] == [b"2023-11-14 22:13:20.123456", b"1969-12-31 23:59:59.999999"]
    assert _col(rows, batch, "tstz_utc") == [b"2023-11-14 22:13:20.123456+00", b"1970-01-01 00:00:00+00", None,
                                             b"0001-01-01 00:00:00+00", b"1970-01-01 00:00:00.000001+00"]
    assert _col(rows, batch, "tstz_off")[:2] == [b"2023-11-14 22:13:20+00", b"1970-01-01 00:00:00+00"]
    assert _col(rows, batch, "dur_us") == [b"1 day 02:03:04.5", b"00:00:00", None, b"-00:00:01",
                                           b"-2 days -22:59:59.999999"]
    assert _col(rows, batch, "dur_s")[4] == b"1 day 01:01:01"
    assert _col(rows, batch, "li") == [b"{1,NULL,3}", b"{}", None, b"{9223372036854775807}", b"{-1}"]
    # select ARRAY[[]]::int[], ARRAY[ARRAY[NULL::int]]  ->  {}, {{NULL}}
    assert _col(rows, batch, "lli") == [b"{{1,2},{3,4}}", b"{}", None, b"{{NULL}}", b"{{5}}"]
    assert _col(rows, batch, "ls2")[0] == b'{"a b","NULL",NULL,"","q\\"\\\\"}'
    assert _col(rows, batch, "lts")[0] == b'{"2024-01-01 12:00:00+00"}'
    assert _col(rows, batch, "lbin")[0] == b'{"\\\\x0102"}'
    assert _col(rows, batch, "fsl")[0] == b"{1.5,NaN,NULL}"
    assert _col(rows, batch, "st")[0] == b'{"a": 1, "b": "x", "t": "2024-01-02T03:04:05.5"}'
    assert _col(rows, batch, "st")[2] == b'{"a": null, "b": "\xc3\xa9\\n\\"", "t": null}'
    assert _col(rows, batch, "mp") == [b'{"k": 1, "j": null}', None, b"{}", b'{"z": 2}', b'{"a": 4}']
    assert _col(rows, batch, "lmp")[0] == b'{"{\\"k\\": [1, 2]}"}'
    assert _col(rows, batch, "dict") == [b"x", b"y", None, b"x", b"z z"]
    assert _col(rows, batch, "null") == [None] * 5
    assert _col(rows, batch, "ree") == [b"1.5", b"1.5", None, b"2", b"2"]
    if hasattr(pa, "uuid"):
        assert _col(rows, batch, "uuid")[0] == str(U1).encode()


def test_sliced_batches_encode_like_the_whole():
    """The server slices large batches into chunks before encoding."""
    batch = _big_batch()
    columns = A.columns_for_schema(batch.schema)
    for ctx in CONTEXTS.values():
        whole = A.encode_batch_text(batch, columns, ctx)
        for start, length in ((0, 2), (1, 3), (3, 2), (4, 1), (2, 0)):
            assert A.encode_batch_text(batch.slice(start, length), columns, ctx) == whole[start:start + length]


def test_timestamptz_in_session_zone():
    batch = _big_batch()
    columns = A.columns_for_schema(batch.schema)
    rows = A.encode_batch_text(batch, columns, CONTEXTS["kolkata"])
    assert _col(rows, batch, "tstz_utc")[:2] == [b"2023-11-15 03:43:20.123456+05:30", b"1970-01-01 05:30:00+05:30"]
    rows = A.encode_batch_text(batch, columns, CONTEXTS["new_york"])
    # select '0001-01-01 00:00:00+00'::timestamptz  (TimeZone America/New_York)
    assert _col(rows, batch, "tstz_utc")[3] == b"0001-12-31 19:03:58-04:56:02 BC"


def test_encode_batch_text_other_encoding_and_errors():
    batch = pa.RecordBatch.from_pydict({"s": ["é", None], "i": [1, 2]})
    columns = A.columns_for_schema(batch.schema)
    assert A.encode_batch_text(batch, columns, TextContext(), "latin-1") == [[b"\xe9", b"1"], [None, b"2"]]
    bad = pa.RecordBatch.from_pydict({"s": ["€"]})
    with pytest.raises(UnicodeEncodeError):
        A.encode_batch_text(bad, A.columns_for_schema(bad.schema), TextContext(), "latin-1")
    with pytest.raises(ValueError, match="columns"):
        A.encode_batch_text(batch, columns[:1], TextContext())
    assert A.encode_batch_text(pa.RecordBatch.from_pydict({}), [], TextContext()) == []


def test_out_of_python_range_timestamp_reports_column():
    batch = pa.RecordBatch.from_pydict({"far": pa.array([300000000000000000], pa.timestamp("us"))})
    with pytest.raises(ValueError, match="far"):
        A.encode_batch_text(batch, A.columns_for_schema(batch.schema), TextContext())


def test_overridden_column_type_uses_slow_path():
    batch = pa.RecordBatch.from_pydict({"x": pa.array([1, None, 3], pa.int32())})
    rows = A.encode_batch_text(batch, [("x", T.FLOAT8)], TextContext())
    assert rows == [[b"1"], [None], [b"3"]]
    rows = A.encode_batch_text(batch, [("x", T.TEXT)], TextContext())
    assert rows == [[b"1"], [None], [b"3"]]


def test_table_columns_are_combined():
    table = pa.concat_tables([pa.table({"a": [1, 2]}), pa.table({"a": [3]})])
    assert A.encode_batch_text(table, A.columns_for_schema(table.schema), TextContext()) == [[b"1"], [b"2"], [b"3"]]


_SIMPLE_TYPES = st.sampled_from([
    (pa.int8(), st.integers(-128, 127)),
    (pa.int64(), st.integers(-(2 ** 63), 2 ** 63 - 1)),
    (pa.uint64(), st.integers(0, 2 ** 64 - 1)),
    (pa.bool_(), st.booleans()),
    (pa.string(), st.text()),
    (pa.large_string(), st.text()),
    (pa.date32(), st.dates()),
    (pa.timestamp("us"), st.datetimes()),
    (pa.timestamp("ms", tz="UTC"), st.datetimes(timezones=st.just(UTC))),
    (pa.time64("us"), st.times()),
    (pa.decimal128(20, 4), st.decimals(min_value=-10 ** 15, max_value=10 ** 15, places=4, allow_nan=False)),
    (pa.decimal128(30, 12), st.decimals(min_value=-10 ** 6, max_value=10 ** 6, places=12, allow_nan=False)),
    (pa.float64(), st.floats()),
    (pa.float32(), st.floats(width=32)),
])


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_fast_and_slow_paths_agree_property(data):
    arrow_type, values = data.draw(_SIMPLE_TYPES)
    items = data.draw(st.lists(st.one_of(st.none(), values), max_size=20))
    arr = pa.array(items, arrow_type)
    t = A.pg_type_for_arrow(arrow_type)
    for ctx in CONTEXTS.values():
        fast = A._encode_column(arr, t, ctx, fast=True)
        slow = A._encode_column(arr, t, ctx, fast=False)
        assert fast == slow
        if arrow_type in (pa.timestamp("us"), pa.int64(), pa.bool_(), pa.string(), pa.date32()):
            enc = encoder_for(t, ctx)
            assert slow == [None if v is None else enc(v).encode() for v in items]


# ---------------------------------------------------------------------------
# detection and readers
# ---------------------------------------------------------------------------


def _ipc_bytes(table, legacy=False):
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(use_legacy_format=legacy)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def test_is_arrow_result():
    table = pa.table({"a": [1, 2], "b": ["x", None]})
    assert A.is_arrow_result(table.__arrow_c_stream__())
    assert A.is_arrow_result(table)
    assert A.is_arrow_result(table.to_batches()[0])
    assert A.is_arrow_result(table.to_reader())
    ipc = _ipc_bytes(table)
    assert A.is_arrow_result(ipc) and A.is_arrow_result(bytearray(ipc)) and A.is_arrow_result(memoryview(ipc))
    assert A.is_arrow_result(_ipc_bytes(table, legacy=True))
    # not Arrow streams
    assert not A.is_arrow_result(table.schema.__arrow_c_schema__())
    assert not A.is_arrow_result(pa.array([1]).__arrow_c_array__()[1])
    assert not A.is_arrow_result(b"hello world, not arrow")
    assert not A.is_arrow_result(b"\xff\xff\xff\xff\x07\x00\x00\x00abc")
    assert not A.is_arrow_result(b"")
    assert not A.is_arrow_result([(1, 2)])
    assert not A.is_arrow_result(None)
    assert not A.is_arrow_result("text")


def test_is_arrow_result_for_duckdb_relation():
    duckdb = pytest.importorskip("duckdb")
    rel = duckdb.sql("select 1 as a, 'x' as b")
    assert A.is_arrow_result(rel)
    assert A.open_reader(rel).read_all().to_pydict() == {"a": [1], "b": ["x"]}


def test_open_reader_variants():
    table = pa.table({"a": [1, 2, 3]})
    expected = {"a": [1, 2, 3]}
    for obj in (table.__arrow_c_stream__(), table, table.to_reader(), _ipc_bytes(table),
                bytearray(_ipc_bytes(table)), memoryview(_ipc_bytes(table)), _ipc_bytes(table, legacy=True)):
        reader = A.open_reader(obj)
        assert isinstance(reader, pa.RecordBatchReader)
        assert reader.read_all().to_pydict() == expected
    batch = table.to_batches()[0]
    assert A.open_reader(batch).read_all().to_pydict() == expected

    class Wrapper:
        def __arrow_c_stream__(self, requested_schema=None):
            return table.__arrow_c_stream__(requested_schema)

    assert A.is_arrow_result(Wrapper())
    assert A.open_reader(Wrapper()).read_all().to_pydict() == expected


def test_open_reader_rejects_other_objects():
    with pytest.raises(TypeError, match="Arrow stream"):
        A.open_reader([(1,)])


def test_without_pyarrow_detection_works_and_pa_names_the_extra():
    code = textwrap.dedent(
        """
        import sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "pyarrow" or name.startswith("pyarrow."):
                    raise ImportError("blocked for the test")
                return None

        sys.meta_path.insert(0, Block())
        from riffq._compat import arrow as A
        assert not A.is_arrow_result([(1,)])
        assert not A.is_arrow_result(b"plain bytes here")
        assert A.is_arrow_result(b"\\xff\\xff\\xff\\xff\\x08\\x00\\x00\\x00" + b"\\x00" * 8)
        assert "pyarrow" not in sys.modules
        try:
            A.pa()
        except ImportError as exc:
            assert "pip install 'riffq[arrow]'" in str(exc), exc
        else:
            raise AssertionError("pa() should fail")
        try:
            A.open_reader(b"x")
        except ImportError as exc:
            assert "riffq[arrow]" in str(exc)
        print("ok")
        """
    )
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("ok")


# ---------------------------------------------------------------------------
# to_arrow_capsule
# ---------------------------------------------------------------------------


def test_to_arrow_capsule_types_and_values():
    schema = [
        {"name": "i", "type": "int"},
        {"name": "f", "type": "float"},
        {"name": "b", "type": "bool"},
        {"name": "s", "type": "str"},
        {"name": "s2", "type": "string"},
        {"name": "d", "type": "date"},
        {"name": "ts", "type": "datetime"},
        {"name": "tz", "type": "timestamptz"},
        {"name": "n", "type": "numeric(10,2)"},
        {"name": "n2", "type": "numeric"},
        {"name": "j", "type": "jsonb"},
        {"name": "arr", "type": "int[]"},
        {"name": "u", "type": "uuid"},
        {"name": "iv", "type": "interval"},
        {"name": "by", "type": "bytea"},
        {"name": "inferred"},
    ]
    rows = [
        (1, 1.5, True, "x", 5, dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5), dt.datetime(2024, 1, 2),
         Decimal("1.50"), Decimal("3.25"), {"b": 1, "a": 2}, [1, None], U1, dt.timedelta(seconds=5), b"\x01", 7),
        (None,) * 16,
    ]
    capsule = A.to_arrow_capsule(schema, rows)
    assert type(capsule).__name__ == "PyCapsule"
    assert A.is_arrow_result(capsule)
    table = A.open_reader(capsule).read_all()
    types = {f.name: f.type for f in table.schema}
    assert types["i"] == pa.int64() and types["f"] == pa.float64() and types["b"] == pa.bool_()
    assert types["s"] == pa.string() and types["s2"] == pa.string()
    assert types["d"] == pa.date32() and types["ts"] == pa.timestamp("us")
    assert types["tz"] == pa.timestamp("us", tz="UTC")
    assert types["n"] == pa.decimal128(10, 2) and pa.types.is_decimal(types["n2"])
    assert types["arr"] == pa.list_(pa.int64()) and types["iv"] == pa.duration("us")
    assert types["by"] == pa.binary() and types["inferred"] == pa.int64()
    data = table.to_pydict()
    assert data["s2"] == ["5", None]
    assert data["j"] == ['{"a": 2, "b": 1}', None]
    assert data["tz"][0] == dt.datetime(2024, 1, 2, tzinfo=data["tz"][0].tzinfo)
    assert data["tz"][0].utcoffset() == dt.timedelta(0)
    assert data["arr"] == [[1, None], None]
    if hasattr(pa, "uuid"):
        assert data["u"][0] in (U1, U1.bytes)
    # and back to PostgreSQL text through the Arrow path
    rows_out = A.encode_batch_text(table, A.columns_for_schema(table.schema), TextContext())
    assert rows_out[0][:4] == [b"1", b"1.5", b"t", b"x"]
    assert rows_out[1] == [None] * 16


def test_to_arrow_capsule_errors_name_the_column():
    with pytest.raises(ValueError, match="'i'"):
        A.to_arrow_capsule([{"name": "i", "type": "int"}], [("not a number",)])
    with pytest.raises(ValueError, match="unknown PostgreSQL type"):
        A.to_arrow_capsule([{"name": "i", "type": "nope"}], [])


def test_to_arrow_capsule_empty():
    table = A.open_reader(A.to_arrow_capsule([{"name": "a", "type": "int"}, {"name": "b"}], [])).read_all()
    assert table.num_rows == 0
    assert table.schema.names == ["a", "b"]


def _strict_json(text):
    """json.loads refusing NaN and Infinity, which JSON does not have."""
    import json

    def refuse(token):
        raise ValueError("not JSON: %s" % token)
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("fast", [True, False])
def test_nan_and_infinities_inside_json_are_strings_as_in_postgres(fast):
    """PostgreSQL's to_json writes them as "NaN", "Infinity", "-Infinity"; a
    bare NaN is no JSON (PostgreSQL's own json input rejects it)."""
    specials = [float("nan"), float("inf"), -float("inf"), 1.5]
    want = ["NaN", "Infinity", "-Infinity", 1.5]
    struct = pa.array([{"f": v} for v in specials], pa.struct([("f", pa.float64())]))
    lists = pa.array([{"l": [v]} for v in specials], pa.struct([("l", pa.list_(pa.float32()))]))
    mapped = pa.array([[(v, 1)] for v in specials], pa.map_(pa.float64(), pa.int8()))
    ctx = TextContext()
    got = [_strict_json(b.decode()) for b in A._encode_column(struct, T.JSON, ctx, fast=fast)]
    assert got == [{"f": w} for w in want]
    got = [_strict_json(b.decode()) for b in A._encode_column(lists, T.JSON, ctx, fast=fast)]
    assert got == [{"l": [w]} for w in want]
    got = [_strict_json(b.decode()) for b in A._encode_column(mapped, T.JSON, ctx, fast=fast)]
    assert got == [{k: 1} for k in ("NaN", "Infinity", "-Infinity", "1.5")]
    # and a dict answered as a row value
    assert _strict_json(encoder_for(T.JSON, ctx)({"f": float("nan"), "g": [float("-inf")]})) == \
        {"f": "NaN", "g": ["-Infinity"]}
