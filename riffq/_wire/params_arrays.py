"""Bind parameter decoding of arrays, text (``{...}`` literals) and binary.

Array input is independent of the element type: the literal's structure is
parsed once, then each element goes through the element type's decoder,
which :mod:`.params` passes in.  Errors follow PostgreSQL 15's ``array_in``
and ``array_recv`` (``malformed array literal`` with its detail line).
"""
from __future__ import annotations

import re
import struct
from typing import Any, Callable, List, Optional, Tuple

from .binconst import I32 as _I32
from .params_base import ParamError, _Trailing, _WS, _type_name

# ---------------------------------------------------------------------------
# arrays
# ---------------------------------------------------------------------------

_MAXDIM = 6
_MAX_ARRAY_SIZE = 0x3FFFFFFF // 8
_ARR_WS = frozenset(_WS)
_ARR_QUOTED_RE = re.compile(r'((?:[^"\\]|\\.)*)"', re.S)
_ARR_UNQUOTED_RE = re.compile(r'(?:[^,{}"\\]|\\.)*', re.S)
_ARR_UNESCAPE_RE = re.compile(r"\\(.)", re.S)
_DIM_NUM_RE = re.compile(r"[0-9+-]*")
_ATOI_RE = re.compile(r"[+-]?[0-9]*")


def _malformed(s: str, detail: str) -> ParamError:
    return ParamError("22P02", 'malformed array literal: "%s"' % (s,), detail)


def _atoi(text: str) -> int:
    m = _ATOI_RE.match(text)
    num = m.group(0)  # type: ignore[union-attr]
    return int(num) if num.lstrip("+-") else 0


def _array_dims(s: str) -> Tuple[Optional[List[int]], int]:
    """Optional ``[lb:ub][n]...=`` decoration: (sizes or None, position)."""
    n = len(s)
    pos = 0
    sizes: List[int] = []
    while True:
        while pos < n and s[pos] in _ARR_WS:
            pos += 1
        if pos >= n or s[pos] != "[":
            break
        if len(sizes) >= _MAXDIM:
            raise ParamError("54000", "number of array dimensions (%d) exceeds the maximum allowed (%d)"
                             % (len(sizes) + 1, _MAXDIM))
        pos += 1
        m = _DIM_NUM_RE.match(s, pos)
        first = m.group(0)  # type: ignore[union-attr]
        if not first:
            raise _malformed(s, '"[" must introduce explicitly-specified array dimensions.')
        pos = m.end()  # type: ignore[union-attr]
        lb = 1
        if pos < n and s[pos] == ":":
            lb = _atoi(first)
            m = _DIM_NUM_RE.match(s, pos + 1)
            first = m.group(0)  # type: ignore[union-attr]
            if not first:
                raise _malformed(s, "Missing array dimension value.")
            pos = m.end()  # type: ignore[union-attr]
        if pos >= n or s[pos] != "]":
            raise _malformed(s, 'Missing "]" after array dimensions.')
        pos += 1
        ub = _atoi(first)
        if ub < lb:
            raise ParamError("2202E", "upper bound cannot be less than lower bound")
        sizes.append(ub - lb + 1)
    if not sizes:
        return None, pos
    if not s.startswith("=", pos):
        raise _malformed(s, 'Missing "=" after array dimensions.')
    pos += 1
    while pos < n and s[pos] in _ARR_WS:
        pos += 1
    if pos >= n or s[pos] != "{":
        raise _malformed(s, 'Array contents must start with "{".')
    return sizes, pos


def _array_structure(s: str, start: int) -> Tuple[List[Any], List[int]]:
    """ArrayCount + ReadArrayStr: nested lists of element texts (None for an
    unquoted NULL) and the dimension sizes.  Structural errors quote the
    text from the opening brace, as PostgreSQL does."""
    body = s[start:]
    n = len(s)
    dims: List[Optional[int]] = []
    leaf_depth: List[int] = []

    def level(pos: int, depth: int) -> Tuple[List[Any], int]:
        # s[pos] == "{"
        if depth + 1 > _MAXDIM:
            raise ParamError("54000", "number of array dimensions (%d) exceeds the maximum allowed (%d)"
                             % (depth + 1, _MAXDIM))
        if len(dims) <= depth:
            dims.append(None)
        pos += 1
        items: List[Any] = []
        while True:
            while pos < n and s[pos] in _ARR_WS:
                pos += 1
            if pos >= n:
                raise _malformed(body, "Unexpected end of input.")
            c = s[pos]
            if c == "}":
                if items or depth > 0:
                    raise _malformed(body, 'Unexpected "}" character.')
                return items, pos + 1
            if c == ",":
                raise _malformed(body, 'Unexpected "," character.')
            if c == "{":
                if leaf_depth and leaf_depth[0] <= depth:
                    raise _malformed(body, "Unexpected array element.")
                sub, pos = level(pos, depth + 1)
                items.append(sub)
            else:
                if leaf_depth and leaf_depth[0] != depth:
                    raise _malformed(body, "Unexpected array element.")
                if not leaf_depth:
                    leaf_depth.append(depth)
                item: Optional[str]
                if c == '"':
                    qm = _ARR_QUOTED_RE.match(s, pos + 1)
                    if qm is None:
                        raise _malformed(body, "Unexpected end of input.")
                    raw = qm.group(1)
                    item = _ARR_UNESCAPE_RE.sub(r"\1", raw) if "\\" in raw else raw
                    pos = qm.end()
                    while pos < n and s[pos] in _ARR_WS:
                        pos += 1
                    if pos < n and s[pos] not in ",}":
                        raise _malformed(body, "Unexpected array element.")
                else:
                    um = _ARR_UNQUOTED_RE.match(s, pos)
                    raw = um.group(0)  # type: ignore[union-attr]
                    pos = um.end()  # type: ignore[union-attr]
                    if pos < n and s[pos] in '{"':
                        raise _malformed(body, "Unexpected array element.")
                    if pos < n and s[pos] == "\\":  # lone trailing backslash
                        raise _malformed(body, "Unexpected end of input.")
                    item = _unquoted_element(raw)
                items.append(item)
            while pos < n and s[pos] in _ARR_WS:
                pos += 1
            if pos >= n:
                raise _malformed(body, "Unexpected end of input.")
            c = s[pos]
            if c == ",":
                pos += 1
                continue
            if c == "}":
                pos += 1
                size = dims[depth]
                if size is None:
                    dims[depth] = len(items)
                elif size != len(items):
                    raise _malformed(body, "Multidimensional arrays must have sub-arrays with matching dimensions.")
                return items, pos
            raise _malformed(body, "Unexpected array element.")

    result, pos = level(start, 0)
    while pos < n and s[pos] in _ARR_WS:
        pos += 1
    if pos != n:
        raise _malformed(body, "Junk after closing right brace.")
    sizes = [d for d in dims if d is not None] if result else []
    return result, sizes


def _unquoted_element(raw: str) -> Optional[str]:
    """Trailing whitespace is dropped unless backslash-escaped; an unescaped
    NULL (any case) is SQL NULL."""
    stripped = raw.rstrip(_WS)
    if len(stripped) < len(raw):
        k = len(stripped)
        bs = 0
        while k - bs - 1 >= 0 and stripped[k - bs - 1] == "\\":
            bs += 1
        if bs % 2 == 1:  # the first stripped whitespace char was escaped
            stripped = raw[:k + 1]
    if "\\" in stripped:
        return _ARR_UNESCAPE_RE.sub(r"\1", stripped)
    if stripped.upper() == "NULL":
        return None
    return stripped


def _convert_leaves(items: List[Any], elem: Callable[[str], Any], depth: int, leaf: int) -> List[Any]:
    if depth == leaf:
        return [None if x is None else elem(x) for x in items]
    return [_convert_leaves(x, elem, depth + 1, leaf) for x in items]


def _parse_array_text(s: str, elem: Callable[[str], Any]) -> List[Any]:
    """array_in: the whole literal is checked first (braces, quoting,
    matching sub-array sizes, optional ``[lb:ub]=`` decoration whose bounds
    are dropped because Python lists start at 0), then each element goes
    through the element type's parser."""
    declared, pos = _array_dims(s)
    if declared is None and (pos >= len(s) or s[pos] != "{"):
        raise _malformed(s, 'Array value must start with "{" or dimension information.')
    items, sizes = _array_structure(s, pos)
    if declared is not None and sizes != declared:
        raise _malformed(s, "Specified array dimensions do not match array contents.")
    return _convert_leaves(items, elem, 1, len(sizes)) if items else []


def _recv_array(data: bytes, encoding: str, elem_oid: int,
                elem_recv: Callable[[bytes, str], Any]) -> List[Any]:
    """array_recv, returning nested lists for multi-dimensional arrays."""
    if len(data) < 12:
        raise ParamError("08P01", "insufficient data left in message")
    ndim, flags, oid = struct.unpack_from(">iiI", data)
    if ndim < 0:
        raise ParamError("22P03", "invalid number of dimensions: %d" % ndim)
    if ndim > _MAXDIM:
        raise ParamError("54000", "number of array dimensions (%d) exceeds the maximum allowed (%d)"
                         % (ndim, _MAXDIM))
    if flags not in (0, 1):
        raise ParamError("22P03", "invalid array flags")
    if oid != elem_oid:
        raise ParamError("42804", "binary data has array element type %d (%s) instead of expected %d (%s)"
                         % (oid, _type_name(oid), elem_oid, _type_name(elem_oid)))
    pos = 12
    if len(data) < pos + 8 * ndim:
        raise ParamError("08P01", "insufficient data left in message")
    dims = []
    nitems = 1
    for i in range(ndim):
        d, _lb = struct.unpack_from(">ii", data, pos)
        pos += 8
        if d < 0:
            raise ParamError("54000", "array size exceeds the maximum allowed (%d)" % _MAX_ARRAY_SIZE)
        dims.append(d)
        nitems *= d
    if nitems > _MAX_ARRAY_SIZE:
        raise ParamError("54000", "array size exceeds the maximum allowed (%d)" % _MAX_ARRAY_SIZE)
    if ndim == 0 or nitems == 0:
        if pos != len(data):
            raise _Trailing()
        return []
    flat: List[Any] = []
    end = len(data)
    unpack_i32 = _I32.unpack_from
    for i in range(nitems):
        if pos + 4 > end:
            raise ParamError("08P01", "insufficient data left in message")
        ln = unpack_i32(data, pos)[0]
        pos += 4
        if ln == -1:
            flat.append(None)
            continue
        if ln < -1 or ln > end - pos:
            raise ParamError("22P03", "insufficient data left in message")
        try:
            flat.append(elem_recv(data[pos:pos + ln], encoding))
        except _Trailing:
            raise ParamError("22P03", "improper binary format in array element %d" % (i + 1)) from None
        pos += ln
    if pos != end:
        raise _Trailing()
    for d in reversed(dims[1:]):
        flat = [flat[k:k + d] for k in range(0, len(flat), d)]
    return flat
