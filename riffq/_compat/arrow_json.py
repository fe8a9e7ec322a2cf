"""json text of struct and map columns, by kernels.

A struct column reaches the per-value path as dicts that ``json.dumps``
lays out with ``", "`` and ``": "`` (``textformat_json``), so each row's
text is the field names (quoted once, in Python) joined with each child
column's JSON text, and a child is text too: ``true``/``false``, integers
as Arrow prints them, strings quoted, nested structs and lists the same
way one level down, and ``null`` for a missing value.  Two leaf kinds
need care and are patched per row where a kernel's text would differ:
floats print as Python's ``repr`` (``1.0``, ``1e-05``, ``NaN``), and
strings holding a quote, backslash or control character are escaped by
the JSON module itself.  Leaves JSON has no literal for (dates, times,
timestamps, intervals, bytes, uuids) are strings holding their ISO text, as the
per-value path's second writer (``to_json``'s layout) prints them.  Maps
are objects too, when their keys are strings or integers and no map
repeats a key (a dict keeps one entry of those: per value).
"""
from __future__ import annotations

from typing import Any, Optional

from .._wire import pgtypes as T
from .._wire.textcontext import TextContext
from .._wire.textformat_json import _json_float, _json_str as _quote
from .arrow_text import _mods, client_bytes, is_strings, is_utf8, patch_rows

__all__ = ["json_text"]

_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'
#: repr() prints |v| in [1e-4, 1e16) without an exponent; Arrow agrees on
#: the digits but not on the layout outside that range, nor on ".0"
_REPR_FIXED = (1e-4, 1e16)
_ISO_LEAVES = (T.DATE.oid, T.TIME.oid, T.TIMESTAMP.oid, T.TIMESTAMPTZ.oid, T.INTERVAL.oid, T.BYTEA.oid,
               T.UUID.oid)


def _floats(arr: Any) -> Any:
    p, pc = _mods()
    if not p.types.is_float64(arr.type):
        arr = arr.cast(p.float64())  # the per-value path sees float32 values as doubles too
    s = pc.cast(arr, p.string())
    a = pc.abs(arr)
    fixed = pc.or_(pc.and_(pc.greater_equal(a, _REPR_FIXED[0]), pc.less(a, _REPR_FIXED[1])), pc.equal(a, 0))
    plain = pc.and_(fixed, pc.invert(pc.match_substring_regex(s, "[a-z]")))
    s = pc.if_else(pc.match_substring(s, "."), s, pc.binary_join_element_wise(s, ".0", ""))
    bad = pc.invert(pc.fill_null(plain, True))
    return patch_rows(s, arr, bad, lambda v: _json_float(v, False))


def _strings(arr: Any) -> Any:
    p, pc = _mods()
    if not p.types.is_string(arr.type):
        arr = arr.cast(p.string())
    quoted = pc.binary_join_element_wise('"', arr, '"', "")
    escape = pc.fill_null(pc.match_substring_regex(arr, _NEEDS_ESCAPE), False)
    return patch_rows(quoted, arr, escape, _quote)


def _iso_text(arr: Any, ctx: Any) -> Optional[Any]:
    """A date, time, timestamp, interval, bytes or uuid leaf as a JSON
    string of its text in the ISO defaults (the session's time zone kept)."""
    from .arrow import pg_type_for_arrow
    from .arrow_text import text_fields

    _, pc = _mods()
    t = pg_type_for_arrow(arr.type)
    if t.oid not in _ISO_LEAVES:
        return None
    s = text_fields(arr, t, TextContext(ctx.tz))
    if s is None:
        return None
    if t.oid in (T.TIMESTAMP.oid, T.TIMESTAMPTZ.oid):
        s = pc.replace_substring(s, " ", "T", max_replacements=1)
    if t.oid == T.TIMESTAMPTZ.oid:
        s = pc.replace_substring_regex(s, r"([+-]\d\d)$", r"\1:00")  # xsd offsets: +01:00
    if t.oid == T.BYTEA.oid:
        s = pc.replace_substring(s, "\\", "\\\\")
    return pc.binary_join_element_wise('"', s, '"', "")


def _value_text(arr: Any, ctx: Any) -> Optional[Any]:
    """JSON text of every value (NULL where it is null), or None."""
    from .arrow import _plain_array
    from .arrow_lists import _is_list, _level, _regroup
    from .arrow_numeric import numeric_text

    p, pc = _mods()
    arr = _plain_array(p, arr)  # dictionary or run-end leaves, decoded
    ty = p.types
    dt = arr.type
    if ty.is_boolean(dt):
        return pc.if_else(arr, "true", "false")
    if ty.is_integer(dt):
        return pc.cast(arr, p.string())
    if ty.is_floating(dt):
        return _floats(arr)
    if ty.is_decimal(dt):
        return numeric_text(arr)  # json.dumps refuses Decimals; the fallback writer prints them so
    if is_strings(p, dt):
        return _strings(arr)
    if ty.is_struct(dt):
        return _object_text(arr, ctx)
    if ty.is_map(dt):
        return _map_text(arr, ctx)
    if _is_list(p, dt):
        elements, _, offsets = _level(arr)
        items = _value_text(elements, ctx)
        if items is None:
            return None
        joined = _regroup(p, pc, offsets, pc.fill_null(items, "null"), arr, ", ")
        return pc.binary_join_element_wise("[", joined, "]", "")
    return _iso_text(arr, ctx)


def _map_text(arr: Any, ctx: Any) -> Optional[Any]:
    """A map as the object of its entries, in order."""
    from .arrow_lists import _level, _regroup

    p, pc = _mods()
    entries = arr.cast(p.list_(p.field("entries", arr.values.type, nullable=False)))
    pairs, _, offsets = _level(entries)
    keys, items = pairs.flatten()
    if p.types.is_integer(keys.type):
        key_text = pc.binary_join_element_wise('"', pc.cast(keys, p.string()), '"', "")
    elif is_strings(p, keys.type):
        key_text = _strings(keys)
    else:
        return None
    owner = pc.list_parent_indices(p.ListArray.from_arrays(offsets, p.nulls(len(keys), p.int8())))
    distinct = p.table({"map": owner, "key": keys}).group_by(["map", "key"]).aggregate([]).num_rows
    if distinct != len(keys):
        return None
    values = _value_text(items, ctx)
    if values is None:
        return None
    joined = pc.binary_join_element_wise(key_text, ": ", pc.fill_null(values, "null"), "")
    return pc.binary_join_element_wise("{", _regroup(p, pc, offsets, joined, arr, ", "), "}", "")


def _object_text(arr: Any, ctx: Any) -> Optional[Any]:
    p, pc = _mods()
    dt = arr.type
    names = [dt.field(i).name for i in range(dt.num_fields)]
    if len(set(names)) != len(names):
        return None  # a dict keeps one of them: per value
    if not names:
        return pc.if_else(pc.is_valid(arr), "{}", p.scalar(None, p.string()))
    pieces = []
    for i, child in enumerate(arr.flatten()):
        text = _value_text(child, ctx)
        if text is None:
            return None
        pieces += [("{" if i == 0 else ", ") + _quote(names[i]) + ": ", pc.fill_null(text, "null")]
    out = pc.binary_join_element_wise(*pieces, "}", "")
    if arr.null_count:
        out = pc.if_else(pc.is_valid(arr), out, p.scalar(None, p.string()))
    return out


def json_text(arr: Any, t: Any, ctx: Any, encoding: str) -> Optional[Any]:
    """json text of a struct or map column typed json, or None."""
    p, _ = _mods()
    if t.oid != T.JSON.oid or not (p.types.is_struct(arr.type) or p.types.is_map(arr.type)):
        return None
    out = _value_text(arr, ctx)
    if out is None or is_utf8(encoding):
        return out
    return client_bytes(out, encoding)
