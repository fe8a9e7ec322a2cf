"""PostgreSQL binary output for whole Arrow columns, from Arrow's buffers.

Binary result values are mostly Arrow's own value buffers in network byte
order, so a column is encoded by byte-swapping its buffer once (the
stdlib ``array`` module does that in C) and viewing the result as
fixed-size binary values: no Python object per value.  Like the text
side, each path returns None where it cannot match the per-value encoders
of ``riffq._wire.binformat`` byte for byte (out-of-range dates, numeric,
arrays ...), and those columns are encoded per value.
"""
from __future__ import annotations

import array as _array
import sys
from typing import Any, Optional

from .._wire import pgtypes as T
from .._wire.binformat import binary_encoder_for
from .._wire.pgtypes import PgType
from .arrow import _floor_us, _is_uuid_type
from .arrow_text import DAY_RANGE, US_RANGE, _mods, client_bytes, date_days, in_range, is_strings, is_utf8, patch_rows

__all__ = ["binary_fields", "big_endian"]

_PG_EPOCH_DAYS = 10957                      # 2000-01-01 in days since 1970
_PG_EPOCH_US = _PG_EPOCH_DAYS * 86400 * 1000000
_US_PER_DAY = 86400 * 1000000
_MAX_TIMEDELTA_DAYS = 999999999             # Python's timedelta limit
_SWAP_CODES = {a.itemsize: a.typecode for a in (_array.array(c) for c in "qlih")}
_INT_WIDTH = {T.INT2.oid: 2, T.INT4.oid: 4, T.INT8.oid: 8}
_FLOAT_WIDTH = {T.FLOAT4.oid: 4, T.FLOAT8.oid: 8}


def big_endian(arr: Any) -> Any:
    """Fixed-size binary array of the values of a fixed-width numeric
    array in network byte order; nulls stay nulls.  The width is the
    array's: cast first (kernels given a Python int widen to int64)."""
    p, pc = _mods()
    n = len(arr)
    width = arr.type.bit_width // 8
    start = arr.offset * width
    raw = memoryview(arr.buffers()[1])[start:start + n * width]
    if width == 1 or sys.byteorder == "big":
        data = p.py_buffer(bytes(raw))
    else:
        swapped = _array.array(_SWAP_CODES[width])
        swapped.frombytes(raw)
        swapped.byteswap()
        data = p.py_buffer(swapped)
    validity = pc.is_valid(arr).buffers()[1] if arr.null_count else None
    return p.Array.from_buffers(p.binary(width), n, [validity, data], arr.null_count)


def _to_micros(arr: Any) -> Optional[Any]:
    """int64 microseconds of a timestamp/time/duration column as the
    per-value path sees them (nanoseconds floored for timestamps, cut
    toward zero otherwise), or None when scaling up overflows."""
    p, pc = _mods()
    ty = p.types
    dt = arr.type
    if ty.is_timestamp(dt):
        if dt.unit == "ns":
            return _floor_us(p, arr).cast(p.int64())
        target = p.timestamp("us", dt.tz)
    elif ty.is_time(dt):
        target = p.time64("us")
    else:
        target = p.duration("us")
    try:
        return arr.cast(target, safe=(dt.unit != "ns")).cast(p.int64())
    except (p.ArrowInvalid, p.ArrowNotImplementedError):
        return None


def _interval_fields(arr: Any) -> Optional[Any]:
    """``interval_send`` of durations: (micros within the day, days, 0)."""
    p, pc = _mods()
    us = _to_micros(arr)
    if us is None:
        return None
    days = pc.divide(us, _US_PER_DAY)
    rem = pc.subtract(us, pc.multiply(days, _US_PER_DAY))
    neg = pc.less(rem, 0)
    days = pc.subtract(days, pc.cast(neg, p.int64()))
    rem = pc.add(rem, pc.multiply(pc.cast(neg, p.int64()), _US_PER_DAY))
    if not in_range(days, p.int64(), (-_MAX_TIMEDELTA_DAYS, _MAX_TIMEDELTA_DAYS)):
        return None
    joined = pc.binary_join_element_wise(
        big_endian(rem).cast(p.binary()),
        big_endian(days.cast(p.int32())).cast(p.binary()),
        b"\x00\x00\x00\x00", b"")
    return joined


def binary_fields(arr: Any, t: PgType, ctx: Any, encoding: str = "utf-8") -> Optional[Any]:
    """Binary field values of a plain (decoded) Arrow column, or None."""
    p, pc = _mods()
    dt = arr.type
    ty = p.types
    if t.elem is not None:
        from .arrow_lists import array_binary

        return array_binary(arr, t, ctx, encoding)
    oid = t.oid
    if _is_uuid_type(p, dt):
        return arr.storage if oid == T.UUID.oid else None
    if oid == T.JSON.oid:  # json_send: the text
        from .arrow_json import json_text

        out = json_text(arr, t, ctx, encoding)
        return None if out is None else out.cast(p.binary())
    if is_strings(p, dt):
        if oid not in (T.TEXT.oid, T.VARCHAR.oid):
            return None
        if not is_utf8(encoding):
            return client_bytes(arr, encoding)
        return arr.cast(p.large_binary() if ty.is_large_string(dt) else p.binary())
    if ty.is_binary(dt) or ty.is_large_binary(dt) or ty.is_fixed_size_binary(dt) or (
        hasattr(ty, "is_binary_view") and ty.is_binary_view(dt)
    ):
        return arr if oid == T.BYTEA.oid else None
    if ty.is_integer(dt) and oid in _INT_WIDTH:
        width = _INT_WIDTH[oid]
        return big_endian(arr.cast(getattr(p, "int%d" % (8 * width))()))
    if oid == T.NUMERIC.oid and (ty.is_decimal(dt) or ty.is_integer(dt)):
        from .arrow_numeric import numeric_binary

        return numeric_binary(arr)
    if ty.is_floating(dt) and oid in _FLOAT_WIDTH:
        width = _FLOAT_WIDTH[oid]
        if not (ty.is_float32(dt) if width == 4 else ty.is_float64(dt)):
            arr = arr.cast(p.float32() if width == 4 else p.float64())
        fields = big_endian(arr).cast(p.binary())
        # NaN bits (sign, payload) are whatever Python's float keeps
        nan = pc.fill_null(pc.is_nan(arr), False)
        return patch_rows(fields, arr, nan, binary_encoder_for(t, ctx, encoding))
    if ty.is_boolean(dt) and oid == T.BOOL.oid:
        return big_endian(arr.cast(p.uint8()))
    if ty.is_date(dt) and oid == T.DATE.oid:
        arr = date_days(arr)
        if not in_range(arr, p.int32(), DAY_RANGE):
            return None
        return big_endian(pc.subtract(arr.cast(p.int32()), _PG_EPOCH_DAYS).cast(p.int32()))
    if ty.is_timestamp(dt) and oid == (T.TIMESTAMPTZ.oid if dt.tz is not None else T.TIMESTAMP.oid):
        us = _to_micros(arr)
        if us is None or not in_range(us, p.int64(), US_RANGE):
            return None
        return big_endian(pc.subtract(us, _PG_EPOCH_US).cast(p.int64()))
    if ty.is_time(dt) and oid == T.TIME.oid:
        us = _to_micros(arr)
        if us is None or not in_range(us, p.int64(), (0, _US_PER_DAY - 1)):
            return None
        return big_endian(us)
    if ty.is_duration(dt) and oid == T.INTERVAL.oid:
        return _interval_fields(arr)
    return None
