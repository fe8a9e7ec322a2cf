"""Vectorized Arrow encoders against the per-value encoders, byte for byte.

The reference is built without the vectorized code at all: every value
goes through ``textformat``/``binformat`` and ``messages.data_rows``.
Random batches cover NULLs, unicode, extremes, NaN/Infinity, time zones
and nested lists, under several session settings, in text and binary.
"""
from __future__ import annotations

import datetime as dt
import decimal
import math
import struct
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")
import pyarrow.compute as pc  # noqa: E402

from riffq._compat import arrow as A  # noqa: E402
from riffq._compat.arrow_binary import binary_fields  # noqa: E402
from riffq._compat.arrow_datarows import encode_datarows, per_value_datarows  # noqa: E402
from riffq._compat.arrow_text import text_fields  # noqa: E402
from riffq._wire import messages  # noqa: E402
from riffq._wire import pgtypes as T  # noqa: E402
from riffq._wire import results  # noqa: E402
from riffq._wire.binformat import binary_encoder_for  # noqa: E402
from riffq._wire.errors import PgError  # noqa: E402
from riffq._wire.textformat import TextContext, encoder_for, timezone_from_name  # noqa: E402

CONTEXTS = {
    "default": TextContext(),
    "kolkata": TextContext(timezone_from_name("Asia/Kolkata")),
    "fixed_minus_0330": TextContext(dt.timezone(-dt.timedelta(hours=3, minutes=30))),
    "new_york_efd3": TextContext(timezone_from_name("America/New_York"), extra_float_digits=3),
    "sql_dmy_efd0": TextContext(datestyle="SQL, DMY", intervalstyle="sql_standard", extra_float_digits=0,
                                bytea_output="escape"),
    "german_efd_neg": TextContext(datestyle="German, DMY", intervalstyle="iso_8601", extra_float_digits=-7),
    "postgres_ymd_berlin": TextContext(timezone_from_name("Europe/Berlin"), datestyle="Postgres, YMD",
                                       intervalstyle="postgres_verbose"),
    "postgres_dmy_new_york": TextContext(timezone_from_name("America/New_York"), datestyle="Postgres, DMY"),
    "sql_mdy_fixed": TextContext(dt.timezone(dt.timedelta(hours=5, minutes=45)), datestyle="SQL, MDY",
                                 intervalstyle="sql_standard"),
}

US_MIN, US_MAX = -62135596800000000, 253402300799999999
DAY_MIN, DAY_MAX = -719162, 2932896
INT_BOUNDS = {"int8": 7, "int16": 15, "int32": 31, "int64": 63}

FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e15, 1e-4, 9.999999999999998e14, 1e14, 1e16, 1e-5, 123456.0, 2.0 ** 53,
                     5e-324, 1.7976931348623157e308, 0.1, 1 / 3, 100.0, 1e6, 999999.94, 1e22]),
    st.integers(-10 ** 6, 10 ** 6).map(lambda i: i / 7.0),
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


def _ints(bits, signed=True):
    if signed:
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    else:
        lo, hi = 0, (1 << bits) - 1
    return st.one_of(st.integers(lo, hi), st.sampled_from([lo, hi, 0]))


def _temporal(unit_scale, lo, hi):
    """Integers in a unit's valid range, biased to the extremes."""
    lo, hi = lo // unit_scale, hi // unit_scale
    return st.one_of(st.integers(lo, hi), st.sampled_from([lo, hi, 0, -1, 1]))


def _kind(arrow_type, values):
    return st.just(arrow_type), values


KINDS = [
    (pa.int8(), _ints(8)), (pa.int16(), _ints(16)), (pa.int32(), _ints(32)), (pa.int64(), _ints(64)),
    (pa.uint8(), _ints(8, False)), (pa.uint16(), _ints(16, False)), (pa.uint32(), _ints(32, False)),
    (pa.uint64(), _ints(64, False)),
    (pa.float64(), FLOATS), (pa.float32(), FLOATS.filter(lambda f: math.isnan(f) or abs(f) < 3.4e38)),
    (pa.bool_(), st.booleans()),
    (pa.string(), TEXT), (pa.large_string(), TEXT),
    (pa.string_view(), st.text(st.characters(max_codepoint=0x17F, blacklist_categories=("Cs",),
                                             blacklist_characters="\x00"), max_size=8)),
    (pa.dictionary(pa.int8(), pa.string()), st.sampled_from(["a", "ü", "", "NULL", "x y"])),
    (pa.dictionary(pa.int32(), pa.timestamp("us", tz="UTC")), _temporal(1, US_MIN + 86400 * 10 ** 6,
                                                                          US_MAX - 86400 * 10 ** 6)),
    (pa.run_end_encoded(pa.int32(), pa.float64()), st.sampled_from([0.5, 1e20, float("nan"), -0.0])),
    (pa.binary(), st.binary(max_size=10)), (pa.binary(3), st.binary(min_size=3, max_size=3)),
    (pa.decimal128(12, 3), st.decimals(-10 ** 8, 10 ** 8, places=3, allow_nan=False)),
    (pa.decimal128(38, 10), st.decimals(-10 ** 27, 10 ** 27, places=10, allow_nan=False)),
    (pa.decimal256(60, 7), st.decimals(-10 ** 52, 10 ** 52, places=7, allow_nan=False)),
    (pa.decimal128(9, 0), st.decimals(-10 ** 9 + 1, 10 ** 9 - 1, places=0, allow_nan=False)),
    (pa.decimal64(10, 9), st.decimals(-9, 9, places=9, allow_nan=False)),
    (pa.decimal32(5, 5), st.decimals("-0.99999", "0.99999", places=5, allow_nan=False)),
    (pa.decimal128(6, -3), st.integers(-999999, 999999).map(lambda i: decimal.Decimal(i).scaleb(3))),
    (pa.date64(), _temporal(1, DAY_MIN * 86400000, DAY_MAX * 86400000 + 86399999)),
    (pa.date32(), _temporal(1, DAY_MIN, DAY_MAX)),
    (pa.timestamp("s"), _temporal(10 ** 6, US_MIN, US_MAX)),
    (pa.timestamp("ms"), _temporal(10 ** 3, US_MIN, US_MAX)),
    (pa.timestamp("us"), _temporal(1, US_MIN, US_MAX)),
    (pa.timestamp("ns"), _ints(64)),
    (pa.timestamp("us", tz="UTC"), _temporal(1, US_MIN + 86400 * 10 ** 6, US_MAX - 86400 * 10 ** 6)),
    (pa.timestamp("ns", tz="Asia/Kolkata"), _ints(64)),
    # a span of months around DST changes: zones with rules take the kernel path
    (pa.timestamp("us", tz="UTC"), _temporal(1, 1698000000 * 10 ** 6, 1730000000 * 10 ** 6)),
    (pa.timestamp("s", tz="UTC"), st.sampled_from([1711846800 + k * 900 for k in range(-8, 8)])),
    (pa.time64("us"), _temporal(1, 0, 86400 * 10 ** 6 - 1)),
    (pa.time64("ns"), _temporal(1, 0, 86400 * 10 ** 9 - 1)),
    (pa.time32("ms"), _temporal(1, 0, 86400 * 10 ** 3 - 1)),
    (pa.duration("us"), _ints(64)), (pa.duration("s"), _ints(64)),
    (pa.duration("ns"), _ints(64)),
    (pa.list_(pa.int64()), st.lists(st.one_of(st.none(), _ints(64)), max_size=4)),
    (pa.list_(pa.string()), st.lists(st.one_of(st.none(), TEXT), max_size=3)),
    (pa.list_(pa.list_(pa.float64())), st.lists(st.lists(FLOATS, min_size=2, max_size=2), max_size=2)),
    (pa.list_(pa.int32(), 2), st.lists(st.one_of(st.none(), _ints(32)), min_size=2, max_size=2)),
    # ragged and NULL sub-arrays: text prints them, binary refuses them
    (pa.list_(pa.list_(pa.int32())), st.lists(st.one_of(st.none(), st.lists(st.one_of(st.none(), _ints(32)),
                                                                            max_size=2)), max_size=3)),
    (pa.list_(pa.list_(pa.list_(pa.string()))),
     st.integers(0, 2).flatmap(lambda k: st.lists(st.lists(st.lists(st.one_of(st.none(), TEXT), min_size=k,
                                                                     max_size=k), min_size=2, max_size=2),
                                                  max_size=2))),
    (pa.large_list(pa.list_(pa.date32(), 2)), st.lists(st.lists(st.one_of(st.none(), st.dates()), min_size=2,
                                                                max_size=2), max_size=2)),
    (pa.list_view(pa.int64()), st.lists(st.one_of(st.none(), _ints(64)), max_size=3)),
    (pa.list_(pa.uuid()), st.lists(st.one_of(st.none(), st.uuids().map(lambda u: u.bytes)), max_size=2)),
    (pa.list_(pa.struct([("a", pa.int32()), ("b", pa.string())])),  # json[]
     st.lists(st.one_of(st.none(), st.fixed_dictionaries({"a": _ints(32), "b": TEXT})), max_size=2)),
    (pa.large_list(pa.float32()), st.lists(st.one_of(st.none(), FLOATS.filter(
        lambda f: math.isnan(f) or abs(f) < 3.4e38)), max_size=3)),
    (pa.list_(pa.bool_()), st.lists(st.one_of(st.none(), st.booleans()), max_size=3)),
    (pa.list_(pa.binary()), st.lists(st.one_of(st.none(), st.binary(max_size=4)), max_size=3)),
    (pa.list_(pa.date32()), st.lists(st.one_of(st.none(), st.dates()), max_size=3)),
    (pa.list_(pa.timestamp("us")), st.lists(st.one_of(st.none(), st.datetimes()), max_size=3)),
    (pa.large_binary(), st.binary(max_size=10)),
    (pa.uuid(), st.uuids().map(lambda u: u.bytes)),
    (pa.struct([("a", pa.int32()), ("b", pa.string())]),
     st.fixed_dictionaries({"a": _ints(32), "b": TEXT})),
    (pa.struct([("f", pa.float64()), ("g", pa.float32()), ("ok", pa.bool_()), ("u", pa.uint64()),
                ("l", pa.list_(pa.float64())), ("s", pa.struct([("x", pa.string()), ("d", pa.decimal128(7, 2))])),
                ("k\"ey", pa.large_string())]),
     st.fixed_dictionaries({
         "f": st.one_of(st.none(), FLOATS), "g": st.one_of(st.none(), FLOATS.filter(
             lambda f: math.isnan(f) or abs(f) < 3.4e38)), "ok": st.one_of(st.none(), st.booleans()),
         "u": _ints(64, False), "l": st.one_of(st.none(), st.lists(st.one_of(st.none(), FLOATS), max_size=2)),
         "s": st.one_of(st.none(), st.fixed_dictionaries({
             "x": st.one_of(st.none(), TEXT),
             "d": st.one_of(st.none(), st.decimals(-10 ** 4, 10 ** 4, places=2, allow_nan=False))})),
         "k\"ey": TEXT})),
    # no JSON literal for these: strings of their ISO text
    (pa.struct([("when", pa.date32()), ("n", pa.int8()), ("at", pa.timestamp("ms", "UTC")),
                ("local", pa.timestamp("us")), ("raw", pa.binary()), ("for", pa.duration("s")),
                ("clock", pa.time64("us"))]),
     st.fixed_dictionaries({
         "when": st.one_of(st.none(), st.dates()), "n": _ints(8),
         "at": st.one_of(st.none(), st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1),
                                                 timezones=st.just(dt.timezone.utc))),
         "local": st.one_of(st.none(), st.datetimes()), "raw": st.one_of(st.none(), st.binary(max_size=4)),
         "for": st.one_of(st.none(), st.timedeltas(dt.timedelta(days=-10 ** 5), dt.timedelta(days=10 ** 5)).map(
             lambda d: dt.timedelta(seconds=int(d.total_seconds())))),
         "clock": st.one_of(st.none(), st.times())})),
    # maps: a repeated key within one map goes per value (a dict keeps the last)
    (pa.map_(pa.string(), pa.float64()), st.lists(st.tuples(st.sampled_from(["a", "b", "c", 'q"', "é"]),
                                                            st.one_of(st.none(), FLOATS)), max_size=3)),
    (pa.map_(pa.int16(), pa.list_(pa.string())), st.lists(st.tuples(_ints(16), st.one_of(
        st.none(), st.lists(st.one_of(st.none(), TEXT), max_size=2))), max_size=2, unique_by=lambda kv: kv[0])),
    (pa.struct([("tags", pa.dictionary(pa.int8(), pa.string())), ("n", pa.float32())]),
     st.fixed_dictionaries({"tags": st.one_of(st.none(), st.sampled_from(["a", "b", "\n"])),
                            "n": st.one_of(st.none(), FLOATS.filter(lambda f: math.isnan(f) or abs(f) < 3.4e38))})),
    (pa.list_(pa.dictionary(pa.int16(), pa.string())), st.lists(st.one_of(st.none(), st.sampled_from(
        ["a", "", "NULL", "x,y", "é"])), max_size=3)),
]

TEMPORAL_INT = (pa.types.is_timestamp, pa.types.is_date, pa.types.is_time, pa.types.is_duration)


def _array(arrow_type, values):
    """Temporal columns are built from their integer storage."""
    if pa.types.is_list(arrow_type) and isinstance(arrow_type.value_type, pa.BaseExtensionType):
        # pa.array cannot build lists of extension values from Python objects
        offsets, flat = [0], []
        for v in values:
            flat += v or []
            offsets.append(len(flat))
        return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), _array(arrow_type.value_type, flat),
                                        mask=pa.array([v is None for v in values], pa.bool_()))
    if pa.types.is_dictionary(arrow_type):
        return _array(arrow_type.value_type, values).dictionary_encode().cast(arrow_type)
    if pa.types.is_run_end_encoded(arrow_type):
        return pc.run_end_encode(_array(arrow_type.value_type, values),
                                         run_end_type=arrow_type.run_end_type)
    if any(f(arrow_type) for f in TEMPORAL_INT):
        storage = pa.int32() if arrow_type.bit_width == 32 else pa.int64()
        return pa.array(values, storage).cast(arrow_type)
    return pa.array(values, arrow_type)


@st.composite
def batches(draw):
    nrows = draw(st.integers(0, 12))
    picks = draw(st.lists(st.integers(0, len(KINDS) - 1), min_size=1, max_size=5))
    arrays, names = [], []
    for n, k in enumerate(picks):
        arrow_type, values = KINDS[k]
        col = draw(st.lists(st.one_of(st.none(), values) if draw(st.booleans()) else values,
                            min_size=nrows, max_size=nrows))
        arrays.append(_array(arrow_type, col))
        names.append("c%d" % n)
    batch = pa.RecordBatch.from_arrays(arrays, names)
    if nrows > 2 and draw(st.booleans()):  # a slice: non-zero offsets in every buffer
        start = draw(st.integers(0, nrows - 1))
        batch = batch.slice(start, draw(st.integers(0, nrows - start)))
    return batch


def reference_datarows(batch, columns, ctx, encoding, fmts):
    """Every value through the per-value encoders, rows by ``messages``
    (with any binary column: the pre-vectorized result code itself)."""
    if any(fmts):
        encoders = results.binary_encoders(columns, fmts, ctx, encoding)
        by_col = [A.column_values(batch.column(i), t) for i, (_, t) in enumerate(columns)]
        return results._encode_values(columns, encoders, by_col, batch.num_rows)
    cols = [A._encode_column(batch.column(i), t, ctx, encoding, fast=False, name=name)
            for i, (name, t) in enumerate(columns)]
    return messages.data_rows(list(zip(*cols)))


def _outcome(fn):
    """The bytes, or that the batch cannot be sent (which error class says
    so differs by where the per-value encoders are called from)."""
    try:
        return bytes(fn())
    except (ValueError, OverflowError, PgError):
        return "cannot encode"


@pytest.mark.parametrize("ctx_name", sorted(CONTEXTS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches(), binary=st.sampled_from(["text", "binary", "mixed"]))
def test_vectorized_datarows_match_per_value(ctx_name, batch, binary):
    ctx = CONTEXTS[ctx_name]
    columns = A.columns_for_schema(batch.schema)
    fmts = {"text": [0], "binary": [1], "mixed": [1, 0]}[binary] * len(columns)
    fmts = fmts[:len(columns)]
    want = _outcome(lambda: reference_datarows(batch, columns, ctx, "utf-8", fmts))
    got = _outcome(lambda: encode_datarows(batch, columns, ctx, "utf-8", fmts))
    assert got == want
    # the first rows of a result go value by value (per_value_datarows)
    assert _outcome(lambda: per_value_datarows(batch, columns, ctx, "utf-8", fmts)) == want


@pytest.mark.parametrize("encoding", ["latin-1", "shift_jis"])
@settings(max_examples=40, deadline=None)
@given(batch=batches())
def test_other_client_encoding_matches_per_value(encoding, batch):
    ctx = CONTEXTS["default"]
    columns = A.columns_for_schema(batch.schema)
    for fmts in ([0] * len(columns), [1] * len(columns)):
        want = _outcome(lambda: reference_datarows(batch, columns, ctx, encoding, fmts))
        got = _outcome(lambda: encode_datarows(batch, columns, ctx, encoding, fmts))
        assert got == want
        assert _outcome(lambda: per_value_datarows(batch, columns, ctx, encoding, fmts)) == want


def _plain_batch():
    """Eight of the types ``to_pylist`` hands to the encoders as they are
    (``arrow._types_as_listed``), with NULLs, unicode and extremes."""
    return pa.record_batch([
        pa.array([1, None, -2 ** 63], pa.int64()),
        pa.array([7, -1, None], pa.int16()),
        pa.array([0.1, float("nan"), None], pa.float64()),
        pa.array(["héllo", None, "a\tb"], pa.string()),
        pa.array([b"\x00\xff", b"", None], pa.binary()),
        pa.array([True, None, False], pa.bool_()),
        pa.array([0, None, DAY_MAX], pa.date32()),
        pa.array([US_MIN, 1, None], pa.timestamp("us")),
    ], names=["i", "h", "x", "s", "b", "f", "d", "ts"])


def test_a_few_rows_of_plain_types_are_encoded_in_one_pass(monkeypatch):
    """The first rows of an Arrow result whose every column ``to_pylist``
    hands over as it is go row by row in one pass (what a DuckDB answer of
    a few rows costs), with the bytes of the column-by-column path, under
    any session settings and client encoding; other columns still go
    column by column."""
    import riffq._compat.arrow_datarows as D
    batch = _plain_batch()
    columns = A.columns_for_schema(batch.schema)
    wants = {(name, enc): reference_datarows(batch, columns, ctx, enc, [0] * len(columns))
             for name, ctx in CONTEXTS.items() for enc in ("utf-8", "latin-1")}
    by_column = []
    real = D._encode_column
    monkeypatch.setattr(D, "_encode_column", lambda arr, *a, **k: by_column.append(arr.type) or real(arr, *a, **k))
    for (name, enc), want in wants.items():
        for cols in (columns, A.remembered_columns(batch.schema)):     # a list, and the remembered tuple
            assert per_value_datarows(batch, cols, CONTEXTS[name], enc) == want, (name, enc)
    assert by_column == []
    # a dictionary column, and binary format, still go column by column
    dict_batch = pa.record_batch([pa.array(["a", "b", "a"]).dictionary_encode(), pa.array([1, 2, 3])],
                                 names=["d", "n"])
    dict_cols = A.columns_for_schema(dict_batch.schema)
    assert per_value_datarows(dict_batch, dict_cols, TextContext()) == \
        reference_datarows(dict_batch, dict_cols, TextContext(), "utf-8", [0, 0])
    assert len(by_column) == 2
    assert per_value_datarows(batch, columns, TextContext(), "utf-8", [1] * len(columns)) == \
        reference_datarows(batch, columns, TextContext(), "utf-8", [1] * len(columns))
    assert len(by_column) == 2


class _UserExtension(pa.ExtensionType):
    """An extension type of the user's own: pyarrow makes its instances
    unhashable, so it cannot even be looked up among the plain types."""

    def __init__(self):
        super().__init__(pa.int64(), "riffq.test.user_extension")

    def __arrow_ext_serialize__(self):
        return b""

    @classmethod
    def __arrow_ext_deserialize__(cls, storage_type, serialized):
        return cls()


def test_schema_facts_follow_each_schema_when_schemas_alternate():
    """The schema seen last is compared first: equal schemas (new objects
    each time, as a DuckDB handler's answers are) share one columns tuple,
    and a schema that differs in a type, a name or an extension type gets
    facts of its own whatever came before it."""
    us = pa.schema([("t", pa.timestamp("us")), ("n", pa.int64())])
    ns = pa.schema([("t", pa.timestamp("ns")), ("n", pa.int64())])
    renamed = pa.schema([("u", pa.timestamp("us")), ("n", pa.int64())])
    ext = pa.schema([("e", _UserExtension()), ("n", pa.int64())])
    for _ in range(2):
        for schema, listable in ((us, True), (ns, False), (us, True), (ext, False), (renamed, True),
                                 (ns, False), (ext, False), (us, True)):
            again = pa.schema(list(schema))     # an equal schema, another object
            for s in (schema, again, again.with_metadata({b"k": b"v"})):
                facts = A.schema_facts(s)
                assert facts.listable is listable, s
                assert facts.columns == tuple(A.columns_for_schema(s))
            assert A.remembered_columns(again) is A.remembered_columns(schema)
    assert A.remembered_columns(renamed) != A.remembered_columns(us)
    # the one-pass path follows the facts: a nanosecond column is cut, not listed
    batch = pa.record_batch([pa.array([1_500, None], pa.timestamp("ns")), pa.array([1, 2])], schema=ns)
    A.schema_facts(us)
    columns = A.remembered_columns(batch.schema)
    assert per_value_datarows(batch, columns, TextContext()) == \
        reference_datarows(batch, columns, TextContext(), "utf-8", [0, 0])


def test_a_user_extension_column_goes_column_by_column():
    ext = pa.ExtensionArray.from_storage(_UserExtension(), pa.array([1, None, 3], pa.int64()))
    batch = pa.record_batch([ext, pa.array(["a", "b", "c"])], names=["e", "s"])
    columns = A.columns_for_schema(batch.schema)
    assert per_value_datarows(batch, columns, TextContext()) == \
        reference_datarows(batch, columns, TextContext(), "utf-8", [0, 0])


def test_a_value_the_one_pass_cannot_take_is_reported_with_its_column():
    """A timestamp past year 9999 cannot become a Python datetime, nor a
    string a latin-1 client: the column-by-column path reports it, by name."""
    late = pa.record_batch([pa.array([1, 2]), pa.array([0, US_MAX + 1], pa.timestamp("us"))], names=["n", "late"])
    with pytest.raises(ValueError, match="'late'"):
        per_value_datarows(late, A.columns_for_schema(late.schema), TextContext())
    greek = pa.record_batch([pa.array(["abc", "\u03b1"])], names=["word"])
    with pytest.raises(UnicodeEncodeError):
        per_value_datarows(greek, A.columns_for_schema(greek.schema), TextContext(), "latin-1")


# The point of the module: the common types really take the kernel path
# (a per-value fallback would also pass the identity tests above).

def _kernel_text(arr, ctx=TextContext()):
    return text_fields(arr, A.pg_type_for_arrow(arr.type), ctx)


def _kernel_binary(arr, ctx=TextContext()):
    return binary_fields(arr, A.pg_type_for_arrow(arr.type), ctx)


VECTOR_COLUMNS = [
    pa.array([1, None, -(2 ** 63)], pa.int64()), pa.array([1, None, 255], pa.uint8()),
    pa.array([0.5, None, 1 / 3], pa.float64()), pa.array([0.5, None, 1.25], pa.float32()),
    pa.array(["x", None, "ünï"]), pa.array([True, None, False]),
    pa.array([0, None, 19000], pa.date32()),
    pa.array([0, None, 10 ** 15], pa.timestamp("us")), pa.array([0, None, 10 ** 18], pa.timestamp("ns", "UTC")),
    pa.array([0, None, 10 ** 10], pa.time64("us")),
    pa.array([b"\x00\xff", None, b""]), pa.array([[1, None], None, []], pa.list_(pa.int64())),
    pa.array([["a b", None, "NULL"], None], pa.list_(pa.string())),
    pa.array([uuid.UUID(int=7).bytes, None], pa.uuid()),
    pa.array([[[1, 2], [3, 4]], None, [[5, None]]], pa.list_(pa.list_(pa.int64()))),
    pa.array([[1, 2], None], pa.list_view(pa.int32())),
    pa.array([decimal.Decimal("-1.5"), None, decimal.Decimal("0.000")], pa.decimal128(12, 3)),
    pa.array([0, 2 ** 64 - 1, None], pa.uint64()),
    pa.array([0, None, -86400000], pa.date64()),
    pa.array([{"a": 1.5, "b": ["x", None]}, None], pa.struct([("a", pa.float64()), ("b", pa.list_(pa.string()))])),
    pa.array([{"at": 0, "b": b"\x00"}, None], pa.struct([("at", pa.timestamp("us", "UTC")), ("b", pa.binary())])),
]


@pytest.mark.parametrize("arr", VECTOR_COLUMNS, ids=[str(a.type) for a in VECTOR_COLUMNS])
def test_common_types_take_the_kernel_path(arr):
    assert _kernel_text(arr) is not None
    assert _kernel_binary(arr) is not None


STYLED_COLUMNS = [
    pa.array([0, None, 19000], pa.date32()), pa.array([0, None, 10 ** 15 + 5], pa.timestamp("us")),
    pa.array([1711846800 - 1, 1711846800, None], pa.timestamp("s", "UTC")),
    pa.array([-1, None, 86400 * 10 ** 6 + 5, 0], pa.duration("us")),
]


@pytest.mark.parametrize("ctx_name", sorted(CONTEXTS))
def test_every_date_and_interval_style_takes_the_kernel_path(ctx_name):
    for arr in STYLED_COLUMNS:
        assert _kernel_text(arr, CONTEXTS[ctx_name]) is not None, arr.type


def test_kernel_paths_step_aside_where_output_would_differ():
    ragged = pa.array([[[1, 2], [3]]])
    assert _kernel_text(ragged) is not None and _kernel_binary(ragged) is None  # array_send refuses it
    assert _kernel_binary(pa.array([[None, [1]]])) is None
    # decades of values: the zone is looked up where values are, unless they are everywhere
    decades = pa.array([0, 40 * 365 * 86400 * 10 ** 6], pa.timestamp("us", "UTC"))
    assert _kernel_text(decades, CONTEXTS["new_york_efd3"]) is not None
    everywhere = pa.array(range(0, 5000 * 86400 * 10 ** 6, 86400 * 10 ** 6), pa.timestamp("us", "UTC"))
    assert _kernel_text(everywhere, CONTEXTS["new_york_efd3"]) is None
    assert _kernel_text(everywhere, CONTEXTS["fixed_minus_0330"]) is not None
    assert _kernel_text(pa.array([DAY_MAX + 1], pa.int32()).cast(pa.date32())) is None
    assert _kernel_binary(pa.array([US_MAX + 1], pa.int64()).cast(pa.timestamp("us"))) is None
    assert text_fields(pa.array(["x", "é", None]), T.TEXT, TextContext(), "latin-1").to_pylist() == [
        b"x", "é".encode("latin-1"), None]
    assert text_fields(pa.array(["x", "é"]), T.TEXT, TextContext(), "ascii") is None  # per value: the error
    strings = pa.array([["é", "a b", None], None])
    assert text_fields(strings, A.pg_type_for_arrow(strings.type), TextContext(), "latin-1").to_pylist() == [
        '{é,"a b",NULL}'.encode("latin-1"), None]


def test_named_zone_offsets_follow_daylight_saving():
    # Berlin moves from +01 to +02 at 2024-03-31 01:00 UTC
    arr = pa.array([1711846800 - 1, 1711846800, None], pa.timestamp("s", "UTC"))
    ctx = TextContext(timezone_from_name("Europe/Berlin"))
    assert _kernel_text(arr, ctx).to_pylist() == ["2024-03-31 01:59:59+01", "2024-03-31 03:00:00+02", None]


def test_zone_lookup_over_a_long_span_matches_per_value():
    # a value every 3 days over 30 years: many daylight-saving changes, sampled bucket by bucket
    arr = pa.array(range(0, 30 * 365 * 86400 * 10 ** 6, 3 * 86400 * 10 ** 6 + 3600 * 10 ** 6 + 7),
                   pa.timestamp("us", "UTC"))
    for name in ("Europe/Berlin", "Australia/Lord_Howe", "America/Sao_Paulo"):
        for style in ("ISO, MDY", "SQL, DMY"):
            ctx = TextContext(timezone_from_name(name), datestyle=style)
            got = _kernel_text(arr, ctx)
            assert got is not None
            assert got.cast(pa.binary()).to_pylist() == A._encode_column(arr, T.TIMESTAMPTZ, ctx, fast=False)


def test_float_rows_outside_fixed_notation_are_patched():
    values = [0.1, 1e16, float("nan"), float("-inf"), 1e-5, 1e14, None, -0.0]
    got = _kernel_text(pa.array(values)).to_pylist()
    assert got == ["0.1", "1e+16", "NaN", "-Infinity", "1e-05", "100000000000000", None, "-0"]


def test_float_rows_with_more_digits_than_printed_are_rounded():
    values = [0.1, 1 / 3, 100.0, 1e15, 123456.5, None, float("inf")]
    ctx = TextContext(extra_float_digits=-10)  # %.5g
    assert _kernel_text(pa.array(values), ctx).to_pylist() == [
        "0.1", "0.33333", "100", "1e+15", "1.2346e+05", None, "Infinity"]


def test_datarow_layout_by_hand():
    """The framing itself, spelled out: 'D', length, count, then each field
    as length + bytes, NULL as -1 without bytes."""
    batch = pa.RecordBatch.from_pydict({"a": pa.array([7, None], pa.int32()), "b": ["hé", None]})
    columns = A.columns_for_schema(batch.schema)
    got = bytes(encode_datarows(batch, columns, TextContext(), "utf-8", [1, 0]))
    row1 = struct.pack(">hi", 2, 4) + struct.pack(">i", 7) + struct.pack(">i", 3) + "hé".encode()
    row2 = struct.pack(">hii", 2, -1, -1)
    assert got == (b"D" + struct.pack(">i", len(row1) + 4) + row1
                   + b"D" + struct.pack(">i", len(row2) + 4) + row2)


@pytest.mark.parametrize("room", [1 << 21, 64])
@pytest.mark.parametrize("sizes", [(5, 3000, 7, 1, 1025, 1024), (1, 2, 3, 4)])
def test_row_major_indices_for_sizes_in_any_order(sizes, room, monkeypatch):
    """The indices that lay DataRows out row by row, for batches of sizes
    that grow and shrink (a template built for a larger batch serves a
    smaller one; with little room, templates fit their batch exactly),
    spelled out one by one."""
    from riffq._compat import arrow_datarows as D
    monkeypatch.setattr(D, "_TEMPLATE_ROOM", room)

    def by_hand(n, constant):
        starts, at = [], 0
        for const in constant:
            starts.append(at)
            at += 1 if const else n
        return [starts[j] if constant[j] else starts[j] + r
                for r in range(n) for j in range(len(constant))]

    layouts = [(True, False, True, False), (False,), (True,), (False, False, True)]
    D._INDEX_CACHE.clear()
    D._INDEX_TEMPLATES.clear()
    for n in sizes:
        for constant in layouts:
            got = D._row_major_indices(pa, pc, n, constant)
            assert got.type == pa.int32()
            assert got.to_pylist() == by_hand(n, constant), (n, constant)


def test_batches_of_many_sizes_encode_as_per_value():
    """More batch sizes than any cache holds, one after another, as a
    reader cut to a byte budget gives them."""
    ctx = TextContext()
    for n in (3, 900, 17, 64, 65, 2, 1000, 333, 1, 128, 5):
        batch = pa.RecordBatch.from_pydict({
            "id": pa.array(range(n), pa.int64()), "label": ["r%d" % i if i % 5 else None for i in range(n)],
            "flag": pa.array([i % 2 == 0 for i in range(n)])})
        columns = A.columns_for_schema(batch.schema)
        for fmts in ([0, 0, 0], [1, 1, 1], [1, 0, 1]):
            want = messages.data_rows([
                [None if v is None else (binary_encoder_for(t)(v) if f else
                                         encoder_for(t, ctx)(v).encode())
                 for v, (_, t), f in zip(row, columns, fmts)]
                for row in zip(*(A.column_values(batch.column(i), t) for i, (_, t) in enumerate(columns)))])
            assert bytes(encode_datarows(batch, columns, ctx, "utf-8", fmts)) == want, (n, fmts)


def test_uuid_and_interval_binary():
    durations = pa.array([-1, 86400 * 10 ** 6 + 5, None], pa.duration("us"))
    t = A.pg_type_for_arrow(durations.type)
    enc = binary_encoder_for(t)
    want = [None if v is None else enc(v) for v in A.column_values(durations, t)]
    assert binary_fields(durations, t, TextContext()).to_pylist() == want
    u = uuid.UUID(int=12345)
    arr = pa.array([u.bytes, None], pa.uuid())
    assert binary_fields(arr, T.UUID, TextContext()).to_pylist() == [u.bytes, None]
    assert text_fields(arr, T.UUID, TextContext()).to_pylist() == [str(u), None]


def test_result_is_a_view_of_arrow_memory():
    batch = pa.RecordBatch.from_pydict({"a": pa.array(range(1000), pa.int64())})
    out = encode_datarows(batch, A.columns_for_schema(batch.schema), TextContext())
    assert isinstance(out, memoryview) and isinstance(out.obj, pa.Buffer)
    values, pos = [], 0
    while pos < len(out):
        length, ncols, flen = struct.unpack_from(">ihi", out, pos + 1)
        assert ncols == 1
        values.append(int(bytes(out[pos + 11:pos + 11 + flen])))
        pos += 1 + length
    assert values == list(range(1000))


def test_result_stream_starts_with_small_chunks():
    """The first rows leave after a small chunk's encoding, the very first
    ones encoded value by value; all chunks together are the DataRows of
    the whole result."""
    n = results.FIRST_ARROW_ROWS + 3 * results.ARROW_CHUNK_ROWS // 2
    table = pa.table({"a": pa.array(range(n), pa.int64()), "b": pa.array([i % 3 == 0 for i in range(n)])})
    columns = A.columns_for_schema(table.schema)
    stream = results.open_stream(table.to_reader(max_chunksize=results.ARROW_CHUNK_ROWS), TextContext(),
                                 "utf-8", [1, 0])
    chunks = [stream.next_chunk()]
    assert type(chunks[0][0]) is bytes and not stream.next_is_ready()  # the rest takes the kernels
    while True:
        chunk = stream.next_chunk()
        if chunk is None:
            break
        assert stream.next_is_ready()
        chunks.append(chunk)
    sizes = [rows for _, rows in chunks]
    first, full, head = results.FIRST_ARROW_ROWS, results.ARROW_CHUNK_ROWS, results.HEAD_ROWS
    assert sizes[:4] == [head, first - head, 4 * first, 16 * first]  # growing to the full size
    assert max(sizes) <= full and sum(sizes) == n and sizes[-1] == n - full  # the reader's last batch whole
    whole = encode_datarows(table.combine_chunks().to_batches()[0], columns, TextContext(), "utf-8", [1, 0])
    assert b"".join(bytes(c) for c, _ in chunks) == bytes(whole)


def test_a_reader_of_like_batches_comes_in_few_chunk_sizes(monkeypatch):
    """Batches cut to the byte budget are split into equal parts, so the
    chunks of a result come in few sizes and a second result of the same
    shape finds every row layout cached: cut into full chunks and a
    remainder, these million rows came in nine sizes, one more than the
    cache keeps, and every chunk's layout was built again."""
    from riffq._compat import arrow_datarows as AD
    n = 1_000_000
    ids = pa.array(range(n), pa.int64())
    table = pa.table({"id": ids, "x": pc.divide(pc.cast(ids, pa.float64()), 7.0),
                      "label": pc.binary_join_element_wise("row ", pc.cast(ids, pa.string()), ""),
                      "ts": pc.cast(pc.add(pc.multiply(ids, 1000000), 1704067200000000), pa.timestamp("us")),
                      "flag": pc.equal(pc.bit_wise_and(ids, 1), 0)})
    batches = table.to_batches(max_chunksize=results.ARROW_CHUNK_ROWS)
    assert batches[0].nbytes > results.CHUNK_BYTES        # cut by bytes, not by rows
    parts = list(results.arrow_slices(pa.RecordBatchReader.from_batches(table.schema, batches)))
    assert sum(p.num_rows for p, _ in parts) == n
    for batch in batches[1:-1]:                            # past the first chunks' ramp
        sizes = [p.num_rows for p, rows in parts if p.column(0)[0].as_py() in
                 range(batch.column(0)[0].as_py(), batch.column(0)[-1].as_py() + 1)]
        assert sum(sizes) == batch.num_rows and max(sizes) - min(sizes) < len(sizes)
        assert max(sizes) * batch.nbytes <= results.CHUNK_BYTES * batch.num_rows
    assert len({p.num_rows for p, _ in parts}) <= AD._CACHED_LAYOUTS - 2

    columns = A.columns_for_schema(table.schema)
    built = []
    real = AD._index_template
    monkeypatch.setattr(AD, "_index_template", lambda *a: built.append(a[2]) or real(*a))
    for rerun in (False, True):
        for part, _ in results.arrow_slices(table.to_reader(max_chunksize=results.ARROW_CHUNK_ROWS)):
            encode_datarows(part, columns, TextContext(), "utf-8", [1] * 5)
        if not rerun:
            assert built        # the first result built the layouts
            built.clear()
    assert built == []


def test_first_rows_leave_before_the_rest_is_encoded():
    """What the handler's thread encodes up front (``_encode_ahead``): of a
    large result, the first rows only, by the per-value encoders; of a
    smaller one, all of it and the end."""
    from riffq._wire.session import _encode_ahead

    def ahead(n):
        table = pa.table({"a": pa.array(range(n), pa.int64()), "s": ["v%d" % i for i in range(n)]})
        stream = results.open_stream(table.to_reader(), TextContext(), "utf-8", [1])
        _, pre = _encode_ahead(results.Outcome(stream=stream))
        stream.close()
        return [rows for _, rows in pre]

    assert ahead(100000) == [results.HEAD_ROWS]
    assert ahead(10) == [10, -1]
    assert ahead(results.FIRST_VALUE_ROWS) == [results.FIRST_VALUE_ROWS, -1]
    # a batch of some hundreds of rows: whole, at once (sooner than in two)
    assert ahead(1000) == [1000, -1]


def test_the_rest_of_a_first_chunk_waits_until_its_first_rows_are_taken(monkeypatch):
    """No helper starts encoding while the first rows of a large result are
    on their way out (it would hold the GIL in the kernels' first calls);
    the rest of the first chunk is then encoded by the thread asking for
    it, and only the chunks after it go to helpers."""
    from riffq._wire.session import _encode_ahead
    real = results._prefetcher()
    asked = []

    class Recording:
        def submit(self, fn, part, *args):
            asked.append(part.num_rows)
            return real.submit(fn, part, *args)

    monkeypatch.setattr(results, "_prefetcher", Recording)
    n = 100000
    table = pa.table({"a": pa.array(range(n), pa.int64())})
    stream = results.open_stream(table.to_reader(max_chunksize=results.ARROW_CHUNK_ROWS), TextContext(),
                                 "utf-8", [1])
    try:
        _, pre = _encode_ahead(results.Outcome(stream=stream))
        assert [rows for _, rows in pre] == [results.HEAD_ROWS] and asked == []
        rest = stream.next_chunk()
        assert rest[1] == results.FIRST_ARROW_ROWS - results.HEAD_ROWS and asked == []
        assert stream.next_is_ready()
        after = stream.next_chunk()
        assert after[1] == 4 * results.FIRST_ARROW_ROWS and asked[0] == after[1]
    finally:
        stream.close()


def _counting_reader(schema, sizes, closed, fail_after=None):
    """A reader of batches of ``sizes`` rows (values counting up); it sets
    ``closed`` when released, and raises after ``fail_after`` batches."""
    def batches():
        start = 0
        try:
            for i, n in enumerate(sizes):
                if i == fail_after:
                    raise ValueError("the engine failed")
                yield pa.record_batch([pa.array(range(start, start + n), pa.int64()),
                                       pa.array(["v%d" % v for v in range(start, start + n)])], schema=schema)
                start += n
        finally:
            closed.append(True)
    return pa.RecordBatchReader.from_batches(schema, batches())


def test_a_few_arrow_rows_are_encoded_when_the_handler_answers():
    """An Arrow answer of at most FIRST_VALUE_ROWS rows, in any number of
    batches, is read to its end and encoded at once, the reader released;
    a longer one streams every row, the batches read first included, and
    a reader that fails fails as it did without that first look."""
    from riffq._wire.session import _encode_ahead
    schema = pa.schema([("a", pa.int64()), ("s", pa.string())])
    columns = A.columns_for_schema(schema)
    few = results.FIRST_VALUE_ROWS

    def expected(n):
        table = pa.table({"a": pa.array(range(n), pa.int64()), "s": ["v%d" % v for v in range(n)]})
        return bytes(encode_datarows(table.to_batches()[0], columns, TextContext(), "utf-8", [1, 0])) if n else b""

    for sizes in ([3], [0, 30, 0, few - 30], [], [few]):
        closed = []
        stream = results.open_stream(_counting_reader(schema, sizes, closed), TextContext(), "utf-8", [1, 0],
                                     eager=True)
        assert type(stream) is results.EncodedRows and closed == [True], sizes
        pre = stream.take()
        assert pre[-1] == (b"", -1) and b"".join(c for c, _ in pre) == expected(sum(sizes)), sizes
    for sizes in ([few + 1], [30, 30, 30], [1] * 200):
        closed = []
        stream = results.open_stream(_counting_reader(schema, sizes, closed), TextContext(), "utf-8", [1, 0],
                                     eager=True)
        assert type(stream) is not results.EncodedRows and not closed, sizes
        got = b"".join(bytes(blob) for blob, _ in iter(stream.next_chunk, None))
        assert got == expected(sum(sizes)) and closed == [True], sizes
    # a reader failing after its first batch: that batch's rows, then the
    # failure (the stream raises it when asked for more), in the handler's words
    closed = []
    stream = results.open_stream(_counting_reader(schema, [10, 10], closed, fail_after=1), TextContext(),
                                 "utf-8", [1, 0], eager=True)
    outcome, pre = _encode_ahead(results.Outcome(stream=stream))
    assert [n for _, n in pre] == [10] and outcome.error is None and closed == [True]
    with pytest.raises(PgError) as failed:
        outcome.stream.next_chunk()
    assert (failed.value.sqlstate, failed.value.message) == ("XX000", "ValueError: the engine failed")
    # a value the client's encoding cannot hold: the same error as a stream's
    latin = pa.RecordBatchReader.from_batches(pa.schema([("s", pa.string())]),
                                              [pa.record_batch([pa.array(["ok", "\u4e2d"])], names=["s"])])
    outcome, pre = _encode_ahead(results.interpret(latin, False, False, TextContext(), "latin-1", [], eager=True))
    assert pre == [] and outcome.error is None
    with pytest.raises(PgError) as failed:
        outcome.stream.next_chunk()
    assert failed.value.sqlstate == "22P05"


class _CountingPool:
    """The helper pool, counting how many chunks it encodes at once; each
    takes at least ``hold`` seconds."""

    def __init__(self, hold):
        import threading
        self.real = results._prefetcher()
        self.hold = hold
        self.lock = threading.Lock()
        self.now = self.most = 0

    def submit(self, fn, *args):
        def counted():
            import time
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            try:
                time.sleep(self.hold)
                return fn(*args)
            finally:
                with self.lock:
                    self.now -= 1
        return self.real.submit(counted)


@pytest.mark.parametrize("consumer_pause, most", [(0.03, 1), (0.0, 2)])
def test_chunks_are_encoded_one_at_a_time_while_that_keeps_ahead(monkeypatch, consumer_pause, most):
    """A slow reader of the result (a client decoding as it can) finds each
    chunk encoded when it asks: one helper at a time encodes this result's
    chunks. A fast one that has to wait for them, past the first chunks,
    gets two at a time."""
    import time
    pool = _CountingPool(hold=0.01)
    monkeypatch.setattr(results, "_prefetcher", lambda: pool)
    n = 40 * 8192
    table = pa.table({"a": pa.array(range(n), pa.int64())})
    stream = results.open_stream(table.to_reader(max_chunksize=8192), TextContext(), "utf-8", [1])
    got = []
    for blob, rows in iter(stream.next_chunk, None):
        got.append(bytes(blob))
        time.sleep(consumer_pause)
    assert pool.most == most
    whole = encode_datarows(table.combine_chunks().to_batches()[0], A.columns_for_schema(table.schema),
                            TextContext(), "utf-8", [1])
    assert b"".join(got) == bytes(whole)


def test_first_chunk_is_encoded_in_the_handlers_thread(monkeypatch):
    """A result of one chunk is encoded where the handler answered: no
    helper thread to hand it to and wait for."""
    from riffq._wire.session import _encode_ahead

    class NoHelpers:
        def submit(self, *args):
            raise AssertionError("a helper thread was asked to encode")

    monkeypatch.setattr(results, "_prefetcher", NoHelpers)
    for n in (10, 1000, results.FIRST_ARROW_ROWS):
        table = pa.table({"a": pa.array(range(n), pa.int64())})
        stream = results.open_stream(table.to_reader(), TextContext(), "utf-8", [1])
        _, pre = _encode_ahead(results.Outcome(stream=stream))
        assert [rows for _, rows in pre] == [n, -1]
        assert b"".join(bytes(c) for c, _ in pre) == bytes(
            encode_datarows(table.to_batches()[0], A.columns_for_schema(table.schema), TextContext(), "utf-8", [1]))


def test_a_schema_seen_again_gives_the_same_columns():
    """An Arrow answer's columns are worked out once per distinct schema;
    the same tuple then finds its RowDescription by identity."""
    s1 = pa.schema([("id", pa.int64()), ("name", pa.string())])
    s2 = pa.schema([("id", pa.int64()), ("name", pa.string())])
    s3 = pa.schema([("id", pa.int32()), ("name", pa.string())])
    c1 = A.remembered_columns(s1)
    assert c1 == tuple(A.columns_for_schema(s1))
    assert A.remembered_columns(s2) is c1
    assert A.remembered_columns(s3) != c1 and A.remembered_columns(s3)[0][1] == T.INT4
    stream = results.open_stream(pa.table({"id": pa.array([1], pa.int64()), "name": ["a"]}).to_reader(),
                                 TextContext())
    assert stream.columns is c1
    assert results.row_description(stream.columns, "utf-8") is results.row_description(c1, "utf-8")
