"""One-dimensional Arrow lists as PostgreSQL arrays, by kernels.

A list column is its flattened elements plus offsets, so an array value
is encoded by encoding every element at once (the scalar paths of
``arrow_text``/``arrow_binary``), decorating them (quotes and ``NULL`` in
text, length prefixes in binary) and joining each list's run of elements
back into one value.  Lists of lists, of structs, and elements without a
kernel path return None: the per-value array encoders handle them.
"""
from __future__ import annotations

import struct
from typing import Any, Optional, Tuple

from .._wire.pgtypes import PgType
from .arrow_text import _mods

__all__ = ["list_parts", "array_text", "array_binary"]

_ONE = struct.pack(">i", 1)


def list_parts(arr: Any) -> Optional[Tuple[Any, Any, Any]]:
    """``(elements, lengths, offsets)`` of a flat list column (None when the
    column is not one): a NULL list counts as empty here."""
    p, pc = _mods()
    ty = p.types
    dt = arr.type
    if not (ty.is_list(dt) or ty.is_large_list(dt) or ty.is_fixed_size_list(dt)):
        return None
    vt = dt.value_type
    if ty.is_nested(vt) or ty.is_dictionary(vt) or isinstance(vt, p.ExtensionType):
        return None
    elements = arr.flatten()
    lengths = pc.fill_null(pc.list_value_length(arr), 0).cast(p.int32())
    offsets = p.concat_arrays([p.array([0], p.int32()),
                               pc.cumulative_sum(lengths).cast(p.int32())])
    return elements, lengths, offsets


def _regroup(p: Any, pc: Any, offsets: Any, items: Any, arr: Any, sep: Any) -> Any:
    """Each list's items joined with ``sep``; NULL where the list is NULL."""
    joined = pc.binary_join(p.ListArray.from_arrays(offsets, items), sep)
    if arr.null_count:
        joined = pc.if_else(pc.is_valid(arr), joined, p.scalar(None, joined.type))
    return joined


_SPECIAL = r'[{}",\\ \t\n\r\x0b\x0c]'


def _quoted(p: Any, pc: Any, s: Any) -> Any:
    """``array_out``'s element quoting: quotes around empty strings, ``NULL``
    look-alikes and anything with a delimiter, brace, quote, backslash or
    space, with quotes and backslashes escaped; NULL elements as ``NULL``."""
    need = pc.or_(pc.or_(pc.match_substring_regex(s, _SPECIAL), pc.equal(pc.binary_length(s), 0)),
                  pc.equal(pc.ascii_lower(s), "null"))
    if pc.any(need).as_py():
        escaped = pc.replace_substring_regex(s, pattern=r'(["\\])', replacement=r"\\\1")
        s = pc.if_else(need, pc.binary_join_element_wise('"', escaped, '"', ""), s)
    return pc.fill_null(s, "NULL")


def array_text(arr: Any, t: PgType, ctx: Any, encoding: str) -> Optional[Any]:
    """Text of a list column typed as a PostgreSQL array, or None."""
    from .arrow_text import text_fields

    p, pc = _mods()
    parts = list_parts(arr)
    if parts is None or t.elem is None:
        return None
    elements, _, offsets = parts
    s = text_fields(elements, t.elem, ctx, encoding)
    if s is None:
        return None
    if not p.types.is_string(s.type):
        s = s.cast(p.string())
    joined = _regroup(p, pc, offsets, _quoted(p, pc, s), arr, ",")
    return pc.binary_join_element_wise("{", joined, "}", "")


def array_binary(arr: Any, t: PgType, ctx: Any, encoding: str) -> Optional[Any]:
    """``array_send`` of a list column typed as a PostgreSQL array, or None."""
    from .arrow_binary import big_endian, binary_fields

    p, pc = _mods()
    parts = list_parts(arr)
    if parts is None or t.elem is None:
        return None
    elements, lengths, offsets = parts
    f = binary_fields(elements, t.elem, ctx, encoding)
    if f is None:
        return None
    f = f.cast(p.binary())
    size = pc.fill_null(pc.binary_length(f), -1).cast(p.int32())
    items = pc.binary_join_element_wise(big_endian(size).cast(p.binary()), pc.fill_null(f, b""), b"")
    body = _regroup(p, pc, offsets, items, arr, b"")
    # lists holding a NULL element say so in their header
    nulls = p.concat_arrays([p.array([0], p.int64()), pc.cumulative_sum(pc.is_null(f).cast(p.int64()))])
    per_list = pc.subtract(nulls.take(offsets[1:]), nulls.take(offsets[:-1]))
    has_null = pc.greater(per_list, 0).cast(p.int32())
    oid = struct.pack(">I", t.elem.oid)
    head = pc.binary_join_element_wise(_ONE, big_endian(has_null).cast(p.binary()), oid,
                                       big_endian(lengths).cast(p.binary()), _ONE, b"")
    full = pc.binary_join_element_wise(head, body, b"")
    empty = struct.pack(">iiI", 0, 0, t.elem.oid)
    out = pc.if_else(pc.equal(lengths, 0), p.scalar(empty, p.binary()), full)
    if arr.null_count:
        out = pc.if_else(pc.is_valid(arr), out, p.scalar(None, p.binary()))
    return out
