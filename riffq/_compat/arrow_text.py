"""PostgreSQL text output for whole Arrow columns, computed by Arrow kernels.

Each function here turns one Arrow column into an Arrow array of field
values (strings, NULL where the column is NULL) that is byte-identical to
what the per-value encoders of ``riffq._wire.textformat`` print, or gives
up (returns None) so the caller uses those encoders.  Giving up is always
safe; printing something different never is, so every path is narrow:
settings and value ranges where Arrow's own formatting differs from
PostgreSQL's are sent to the per-value encoders, for the whole column or
(floats) just for the rows concerned.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from .._wire import pgtypes as T
from .._wire.pgtypes import PgType
from .._wire.textformat import TextContext, encoder_for
from .._wire.textformat_scalars import _BYTEA_ESCAPE
from .arrow import _floor_us, _is_uuid_type, _pc, pa

__all__ = ["text_fields", "patch_rows"]

_INT_OUT = (T.INT2.oid, T.INT4.oid, T.INT8.oid, T.OID.oid, T.NUMERIC.oid)
#: 0001-01-01 .. 9999-12-31 in days / microseconds since 1970: Arrow
#: prints other years differently (and Python's datetime cannot hold them).
DAY_RANGE = (-719162, 2932896)
US_RANGE = (-62135596800000000, 253402300799999999)
#: |v| in [lo, hi) is printed in fixed notation by PostgreSQL (exponent
#: -4 .. DBL_DIG-1 for float8, FLT_DIG-1 for float4).
_FIXED_RANGE = {T.FLOAT8.oid: (1e-4, 1e15), T.FLOAT4.oid: (1e-4, 1e6)}


def _mods() -> Tuple[Any, Any]:
    """pyarrow and pyarrow.compute (``arrow._pc``), looked up once: the
    encoders of a chunk ask for them dozens of times."""
    global _modules
    if _modules is None:
        _modules = (pa(), _pc())
    return _modules


_modules: Optional[Tuple[Any, Any]] = None


def in_range(arr: Any, as_type: Any, bounds: Tuple[int, int]) -> bool:
    """All non-null values of ``arr`` (viewed as ``as_type``) within bounds."""
    _, pc = _mods()
    mm = pc.min_max(arr.cast(as_type))
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    return lo is None or (bounds[0] <= lo and hi <= bounds[1])


def _strip_fraction(s: Any) -> Any:
    """``'... 12:00:00.120000'`` -> ``'... 12:00:00.12'``; ``'.000000'`` goes.

    Arrow always prints six fraction digits, so stripping zeros stops at
    the point at the latest, and a bare point left over goes next.
    """
    _, pc = _mods()
    return pc.ascii_rtrim(pc.ascii_rtrim(s, "0"), ".")


def patch_rows(fields: Any, arr: Any, mask: Any, encode: Any) -> Any:
    """``fields`` with the rows selected by ``mask`` re-encoded one by one by
    ``encode`` (a per-value encoder taking Python values, returning str or
    bytes): the exact path for the few values a kernel gets wrong."""
    p, pc = _mods()
    if not pc.any(mask).as_py():
        return fields
    values = pc.filter(arr, mask).to_pylist()
    repl = p.array([encode(v) for v in values], fields.type)
    return pc.replace_with_mask(fields, mask, repl)


_HEX_TABLE = ["%02x" % b for b in range(256)]
_UUID_GROUPS = ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))


def _is_bytes(p: Any, dt: Any) -> bool:
    ty = p.types
    return bool(ty.is_binary(dt) or ty.is_large_binary(dt) or ty.is_fixed_size_binary(dt)
                or (hasattr(ty, "is_binary_view") and ty.is_binary_view(dt)))


def map_bytes(arr: Any, table: Any) -> Any:
    """A string per binary value: each byte replaced by ``table[byte]``.

    The bytes are viewed as uint8 indices into the table (``take`` writes
    the pieces end to end), and each value's run of pieces is found from
    its byte offsets, so no value is visited from Python.
    """
    p, pc = _mods()
    if not p.types.is_binary(arr.type):
        arr = arr.cast(p.binary())
    n = len(arr)
    offsets = p.Array.from_buffers(p.int32(), n + 1, [None, arr.buffers()[1]], offset=arr.offset)
    base = offsets[0].as_py()
    total = offsets[n].as_py() - base
    data = arr.buffers()[2].slice(base, total) if total else p.py_buffer(b"")
    codes = p.Array.from_buffers(p.uint8(), total, [None, data])
    pieces = p.array(table, p.string()).take(codes)
    piece_offsets = p.Array.from_buffers(p.int32(), total + 1, [None, pieces.buffers()[1]],
                                         offset=pieces.offset)
    starts = piece_offsets.take(pc.subtract(offsets, base))
    validity = pc.is_valid(arr).buffers()[1] if arr.null_count else None
    chars = pieces.buffers()[2] if pieces.buffers()[2] is not None else p.py_buffer(b"")
    return p.Array.from_buffers(p.string(), n, [validity, starts.buffers()[1], chars], arr.null_count)


def _float_strings(arr: Any, t: PgType, ctx: TextContext) -> Optional[Any]:
    """Arrow prints the same shortest round-trip digits as PostgreSQL's Ryu
    but lays them out differently outside the fixed-notation range (and
    spells NaN/Infinity otherwise): those rows are re-encoded per value.

    With ``extra_float_digits <= 0`` PostgreSQL prints ``%.{N}g`` instead,
    which is the shortest digits again wherever those number N or fewer
    (the value is then within far less than half a unit of the N-th digit
    of them); the rows with more digits are rounded per value.
    """
    p, pc = _mods()
    dt = arr.type
    if p.types.is_float16(dt):
        arr = arr.cast(p.float32())
    s = pc.cast(arr, p.string())
    efd = ctx.extra_float_digits
    short = None
    if efd > 0:
        lo, hi = _FIXED_RANGE[t.oid]
    else:
        ndig = max(1, (15 if t.oid == T.FLOAT8.oid else 6) + efd)
        lo, hi = 1e-4, 10.0 ** ndig
        digits = pc.utf8_length(pc.utf8_ltrim(pc.replace_substring_regex(s, "[-.]", ""), "0"))
        short = pc.less_equal(digits, ndig)
    a = pc.abs(arr)
    fixed = pc.or_(pc.and_(pc.greater_equal(a, lo), pc.less(a, hi)), pc.equal(a, 0))
    if short is None and not _has_letters(s) and pc.all(fixed).as_py() is not False:
        return s  # the common case, checked without a pass over every string
    good = pc.or_(pc.and_not(fixed, pc.match_substring(s, "e")), pc.equal(a, 0))
    if short is not None:
        good = pc.and_(good, short)
    bad = pc.invert(pc.fill_null(good, True))
    return patch_rows(s, arr, bad, encoder_for(t, ctx))


def _has_letters(s: Any) -> bool:
    """Any exponent, nan or inf anywhere in a string array of Arrow-printed
    floats (whose only letters are those): a memchr over one copy of its
    characters, far cheaper than a kernel or regex pass per string."""
    data = s.buffers()[2]
    if data is None:
        return False
    offsets = memoryview(s.buffers()[1]).cast("i")
    chars = memoryview(data)[offsets[s.offset]:offsets[s.offset + len(s)]].tobytes()
    return b"e" in chars or b"n" in chars


def _timestamp_strings(arr: Any, t: PgType, ctx: TextContext) -> Optional[Any]:
    """ISO text of a timestamp column (offsets after timestamptz values),
    or in another DateStyle (``arrow_datestyle``: zone abbreviations)."""
    from .arrow_datestyle import date_style, restyle
    from .arrow_zones import zone_offsets

    p, pc = _mods()
    dt = arr.type
    if (dt.tz is None) != (t.oid == T.TIMESTAMP.oid) or t.oid not in (T.TIMESTAMP.oid, T.TIMESTAMPTZ.oid):
        return None
    styled = date_style(ctx)
    us = (_floor_us(p, arr) if dt.unit == "ns" else arr.cast(p.timestamp("us", dt.tz))).cast(p.int64())
    suffix = None
    if dt.tz is not None:
        if not in_range(us, p.int64(), US_RANGE):
            return None
        zone = zone_offsets(us, ctx.tz, abbrev=styled is not None)
        if zone is None:
            return None
        shift, suffix = zone
        if not isinstance(shift, int) or shift:
            us = pc.add(us, shift)
    if not in_range(us, p.int64(), US_RANGE):
        return None
    secs = pc.divide(us, 1000000)  # truncates, so exact only for whole seconds
    if pc.all(pc.equal(us, pc.multiply(secs, 1000000))).as_py() is not False:
        s = pc.cast(secs.cast(p.timestamp("s")), p.string())  # no fraction to strip
    else:
        s = _strip_fraction(pc.cast(us.cast(p.timestamp("us")), p.string()))
    if styled is not None:
        return restyle(s, us.cast(p.timestamp("us")), styled[0], styled[1], suffix)
    if suffix is not None:
        s = pc.binary_join_element_wise(s, suffix, "")
    return s


def date_days(arr: Any) -> Any:
    """date32 of a date column: date64 milliseconds floored to whole days,
    as Python's ``date`` values of the per-value path are."""
    p, pc = _mods()
    if p.types.is_date32(arr.type):
        return arr
    ms = arr.cast(p.int64())
    days = pc.divide(ms, 86400000)
    days = pc.subtract(days, pc.cast(pc.less(pc.subtract(ms, pc.multiply(days, 86400000)), 0), p.int64()))
    return days.cast(p.int32()).cast(p.date32())


def _date_strings(arr: Any, ctx: TextContext) -> Optional[Any]:
    from .arrow_datestyle import date_style, restyle

    p, pc = _mods()
    arr = date_days(arr)
    if not in_range(arr, p.int32(), DAY_RANGE):
        return None
    s = pc.cast(arr, p.string())
    styled = date_style(ctx)
    return s if styled is None else restyle(s, arr, styled[0], styled[1])


def is_utf8(encoding: str) -> bool:
    """Whether Arrow's strings already are the client's bytes."""
    return encoding.replace("_", "-").lower() in ("utf-8", "utf8")


def is_strings(p: Any, dt: Any) -> bool:
    """Any of Arrow's three string layouts (all text to PostgreSQL)."""
    ty = p.types
    return bool(ty.is_string(dt) or ty.is_large_string(dt)
                or (hasattr(ty, "is_string_view") and ty.is_string_view(dt)))


_ASCII = "".join(map(chr, range(128)))
_ASCII_SAFE: Dict[str, bool] = {}


def _keeps_ascii(encoding: str) -> bool:
    """Whether a codec writes ASCII as the same bytes (every PostgreSQL
    client encoding does; checked rather than assumed)."""
    ok = _ASCII_SAFE.get(encoding)
    if ok is None:
        try:
            ok = _ASCII.encode(encoding) == _ASCII.encode("ascii")
        except (LookupError, UnicodeError):
            ok = False
        _ASCII_SAFE[encoding] = ok
    return ok


def client_bytes(arr: Any, encoding: str) -> Optional[Any]:
    """A string column in a client encoding other than UTF-8: ASCII strings
    are already those bytes, the others are encoded one by one.  None when
    one cannot be encoded (the per-value path reports it)."""
    p, pc = _mods()
    if not _keeps_ascii(encoding):
        return None
    if not p.types.is_string(arr.type):
        arr = arr.cast(p.string())
    raw = arr.cast(p.binary())
    other = pc.invert(pc.fill_null(pc.string_is_ascii(arr), True))
    try:
        return patch_rows(raw, arr, other, lambda v: v.encode(encoding))
    except UnicodeError:
        return None


def text_fields(arr: Any, t: PgType, ctx: TextContext, encoding: str = "utf-8") -> Optional[Any]:
    """Text field values of a plain (decoded) Arrow column, or None.

    ``arr`` has no dictionary/extension wrapper (see ``arrow._plain_array``).
    Output other than strings is ASCII, the same bytes in every client
    encoding; strings pass through when the client speaks UTF-8, and come
    out as bytes in its encoding otherwise (``client_bytes``).
    """
    p, pc = _mods()
    dt = arr.type
    ty = p.types
    if t.elem is not None:
        from .arrow_lists import array_text

        return array_text(arr, t, ctx, encoding)
    oid = t.oid
    if oid == T.JSON.oid:
        from .arrow_json import json_text

        return json_text(arr, t, ctx, encoding)
    if is_strings(p, dt):
        if oid in (T.TEXT.oid, T.VARCHAR.oid):
            return arr if is_utf8(encoding) else client_bytes(arr, encoding)
        return None
    if ty.is_integer(dt) and oid in _INT_OUT:
        return pc.cast(arr, p.string())
    if oid == T.BYTEA.oid and _is_bytes(p, dt):
        if ctx.bytea_output == "hex":
            return pc.binary_join_element_wise("\\x", map_bytes(arr, _HEX_TABLE), "")
        return map_bytes(arr, _BYTEA_ESCAPE)
    if oid == T.UUID.oid and _is_uuid_type(p, dt):
        digits = map_bytes(arr.storage, _HEX_TABLE)
        groups = [pc.utf8_slice_codeunits(digits, a, b) for a, b in _UUID_GROUPS]
        return pc.binary_join_element_wise(*groups, "-")
    if ty.is_boolean(dt) and oid == T.BOOL.oid:
        return pc.if_else(arr, "t", "f")
    if ty.is_floating(dt) and oid in _FIXED_RANGE:
        return _float_strings(arr, t, ctx)
    if ty.is_decimal(dt) and oid == T.NUMERIC.oid:
        from .arrow_numeric import numeric_text

        return numeric_text(arr)
    if ty.is_date(dt) and oid == T.DATE.oid:
        return _date_strings(arr, ctx)
    if ty.is_timestamp(dt):
        return _timestamp_strings(arr, t, ctx)
    if ty.is_duration(dt) and oid == T.INTERVAL.oid:
        from .arrow_interval import interval_text

        return interval_text(arr, ctx)
    if ty.is_time(dt) and oid == T.TIME.oid:
        us = arr.cast(p.time64("us"), safe=False)
        if not in_range(us, p.int64(), (0, 86400 * 1000000 - 1)):
            return None
        return _strip_fraction(pc.cast(us, p.string()))
    return None
