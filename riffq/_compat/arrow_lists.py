"""Arrow lists (and lists of lists) as PostgreSQL arrays, by kernels.

A list column is its flattened elements plus offsets, so an array value
is encoded by encoding every element at once (the scalar paths of
``arrow_text``/``arrow_binary``), decorating them (quotes and ``NULL`` in
text, length prefixes in binary) and joining each list's run of elements
back into one value.  Lists of lists are further dimensions: in text each
level is joined the same way around the level below; in binary a row's
elements are still one contiguous run of the innermost values, and its
dimensions are the lengths along its first sub-list, as ``array_send``
reads them.  What the per-value encoders refuse or lay out specially
(ragged or NULL sub-arrays in binary, more than six dimensions, arrays of
json whose lists are JSON values) returns None, and so do elements without
a kernel path: the per-value encoders handle those columns.
"""
from __future__ import annotations

import struct
from typing import Any, List, Optional, Tuple

from .._wire import pgtypes as T
from .._wire.pgtypes import PgType
from .arrow_text import _mods, client_bytes, is_utf8

__all__ = ["list_parts", "array_text", "array_binary"]

_ONE = struct.pack(">i", 1)
_MAXDIM = 6
_JSON_OIDS = (T.JSON.oid, T.JSONB.oid)


def _is_list(p: Any, dt: Any) -> bool:
    ty = p.types
    return bool(ty.is_list(dt) or ty.is_large_list(dt) or ty.is_fixed_size_list(dt)
                or (hasattr(ty, "is_list_view") and (ty.is_list_view(dt) or ty.is_large_list_view(dt))))


def _level(arr: Any) -> Optional[Tuple[Any, Any, Any]]:
    """``(elements, lengths, offsets)`` of one list level (None when the
    column is no list): a NULL list counts as empty, and the offsets (from
    0, int32) index the flattened elements, whatever the list layout."""
    p, pc = _mods()
    if not _is_list(p, arr.type):
        return None
    elements = arr.flatten()
    lengths = pc.fill_null(pc.list_value_length(arr), 0).cast(p.int32())
    offsets = p.concat_arrays([p.array([0], p.int32()), pc.cumulative_sum(lengths).cast(p.int32())])
    return elements, lengths, offsets


def _scalar_elements(p: Any, dt: Any) -> bool:
    ty = p.types
    return not (ty.is_nested(dt) or ty.is_dictionary(dt) or isinstance(dt, p.ExtensionType))


def _kernel_elements(p: Any, dt: Any, elem: PgType) -> bool:
    """Elements the scalar kernels encode: plain values, uuids, and the
    structs and maps of json arrays."""
    from .arrow import _is_uuid_type

    if elem.oid in _JSON_OIDS and (p.types.is_struct(dt) or p.types.is_map(dt)):
        return True
    return _scalar_elements(p, dt) or _is_uuid_type(p, dt)


def list_parts(arr: Any) -> Optional[Tuple[Any, Any, Any]]:
    """``(elements, lengths, offsets)`` of a flat list column (None when the
    column is not one): a NULL list counts as empty here."""
    p, _ = _mods()
    parts = _level(arr)
    if parts is None or not _scalar_elements(p, parts[0].type):
        return None
    return parts


def _levels(arr: Any, t: PgType) -> Optional[Tuple[List[Tuple[Any, Any, Any]], Any]]:
    """Every list level from the outside in, and the innermost elements;
    None for what the kernels leave to the per-value encoders."""
    from .arrow import _plain_array

    p, _ = _mods()
    if t.elem is None:
        return None
    levels = []
    inner = arr
    while _is_list(p, inner.type) and not (levels and t.elem.oid in _JSON_OIDS):
        parts = _level(inner)  # (inner lists of json arrays are JSON values, not dimensions)
        levels.append(parts)
        inner = parts[0]
    if not levels or len(levels) > _MAXDIM:
        return None
    inner = _plain_array(p, inner)  # dictionary or run-end elements, decoded
    if not _kernel_elements(p, inner.type, t.elem):
        return None
    return levels, inner


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
    found = _levels(arr, t)
    if found is None:
        return None
    levels, inner = found
    s = text_fields(inner, t.elem, ctx)  # quoted as text; the client's encoding comes last
    if s is None:
        return None
    if not p.types.is_string(s.type):
        s = s.cast(p.string())
    items = _quoted(p, pc, s)
    owners = [arr] + [parts[0] for parts in levels[:-1]]
    for (_, _, offsets), owner in zip(reversed(levels), reversed(owners)):
        joined = _regroup(p, pc, offsets, items, owner, ",")
        items = pc.binary_join_element_wise("{", joined, "}", "")
        if owner is not arr:
            items = pc.fill_null(items, "NULL")
    if len(levels) > 1:
        # like ARRAY[[]]: braces around nothing print as the empty array
        items = pc.replace_substring_regex(items, r"^\{\{[{}]*$", "{}")
    return items if is_utf8(encoding) else client_bytes(items, encoding)


def _dimensions(p: Any, pc: Any, levels: List[Tuple[Any, Any, Any]], n: int) -> Optional[Tuple[List[Any], Any]]:
    """Each row's length along every dimension (read along its first
    sub-list), and its offsets into the innermost elements; None unless
    every sub-list of every row is there and as long as that."""
    first = pc.subtract(pc.cumulative_sum(p.repeat(p.scalar(1, p.int32()), n)), 1)  # 0 .. n-1
    row = first
    dims = []
    for k, (elements, lengths, offsets) in enumerate(levels):
        with_end = p.concat_arrays([lengths, p.array([0], p.int32())])
        dim = with_end.take(first)
        if k:
            ok = pc.and_(pc.is_valid(levels[k - 1][0]), pc.equal(lengths, dim.take(row)))
            if pc.all(ok).as_py() is False:
                return None
        dims.append(dim)
        first = offsets.take(first)
        if k + 1 < len(levels):
            total = len(elements)
            parents = pc.list_parent_indices(p.ListArray.from_arrays(offsets, p.nulls(total, p.int8())))
            row = row.take(parents)
    leaf = levels[0][2]
    for _, _, offsets in levels[1:]:
        leaf = offsets.take(leaf)
    return dims, leaf


def array_binary(arr: Any, t: PgType, ctx: Any, encoding: str) -> Optional[Any]:
    """``array_send`` of a list column typed as a PostgreSQL array, or None."""
    from .arrow_binary import big_endian, binary_fields

    p, pc = _mods()
    found = _levels(arr, t)
    if found is None:
        return None
    levels, inner = found
    shape = _dimensions(p, pc, levels, len(arr))
    if shape is None:
        return None
    dims, leaf = shape
    f = binary_fields(inner, t.elem, ctx, encoding)
    if f is None:
        return None
    f = f.cast(p.binary())
    size = pc.fill_null(pc.binary_length(f), -1).cast(p.int32())
    items = pc.binary_join_element_wise(big_endian(size).cast(p.binary()), pc.fill_null(f, b""), b"")
    body = _regroup(p, pc, leaf, items, arr, b"")
    # arrays holding a NULL element say so in their header
    nulls = p.concat_arrays([p.array([0], p.int64()), pc.cumulative_sum(pc.is_null(f).cast(p.int64()))])
    per_row = pc.subtract(nulls.take(leaf[1:]), nulls.take(leaf[:-1]))
    has_null = pc.greater(per_row, 0).cast(p.int32())
    head = [struct.pack(">i", len(dims)), big_endian(has_null).cast(p.binary()), struct.pack(">I", t.elem.oid)]
    empty = dims[0]
    for dim in dims:
        head += [big_endian(dim).cast(p.binary()), _ONE]
        if dim is not empty:
            empty = pc.min_element_wise(empty, dim)
    full = pc.binary_join_element_wise(*head, body, b"")
    out = pc.if_else(pc.equal(empty, 0), p.scalar(struct.pack(">iiI", 0, 0, t.elem.oid), p.binary()), full)
    if arr.null_count:
        out = pc.if_else(pc.is_valid(arr), out, p.scalar(None, p.binary()))
    return out
