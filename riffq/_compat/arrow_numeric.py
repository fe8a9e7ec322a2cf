"""PostgreSQL numeric output for decimal and uint64 columns, by kernels.

Both formats start from the column's unscaled integers printed by Arrow
(the decimal's buffers viewed with scale 0, so Arrow never switches to its
``1.0E-7`` notation): text puts the point back in at the column's fixed
scale, binary cuts the zero-padded digit string into base-10000 groups
(``numeric_send``: digit count, weight, sign, display scale, then the
significant groups without leading or trailing zero groups).  A column's
scale is one number, so every step is the same slice for every row.
"""
from __future__ import annotations

import struct
from typing import Any, Optional, Tuple

from .arrow_text import _mods

__all__ = ["numeric_text", "numeric_binary"]

_NEG = 0x4000
#: Decimal widths viewed as an integer of the same storage (scale 0).
_WIDEST = {4: 9, 8: 18, 16: 38, 32: 76}


def _digits(arr: Any) -> Optional[Tuple[Any, Any, int]]:
    """``(digits, negative, scale)``: the magnitude's decimal digits (no
    sign), a boolean column, and the column's scale; None for columns that
    are neither decimals nor integers."""
    p, pc = _mods()
    dt = arr.type
    if p.types.is_integer(dt):
        s = pc.cast(arr, p.string())
        scale = 0
    elif p.types.is_decimal(dt):
        width = dt.bit_width // 8
        maker = {4: "decimal32", 8: "decimal64", 16: "decimal128", 32: "decimal256"}[width]
        whole = getattr(p, maker)(_WIDEST[width], 0)
        ints = p.Array.from_buffers(whole, len(arr), arr.buffers(), arr.null_count, arr.offset)
        s = pc.cast(ints, p.string())
        scale = dt.scale
    else:
        return None
    neg = pc.starts_with(s, "-")
    digits = pc.if_else(neg, pc.utf8_slice_codeunits(s, 1), s)
    return digits, neg, scale


def numeric_text(arr: Any) -> Optional[Any]:
    """``numeric_out`` of every value: the scale's digits after the point,
    zeros appended for a negative scale (and no ``-0``: it cannot occur)."""
    p, pc = _mods()
    parts = _digits(arr)
    if parts is None:
        return None
    digits, neg, scale = parts
    if scale > 0:
        padded = pc.utf8_lpad(digits, scale + 1, "0")
        digits = pc.binary_join_element_wise(pc.utf8_slice_codeunits(padded, 0, -scale), ".",
                                             pc.utf8_slice_codeunits(padded, -scale), "")
    elif scale < 0:
        digits = pc.if_else(pc.equal(digits, "0"), "0",
                            pc.binary_join_element_wise(digits, "0" * -scale, ""))
    return pc.binary_join_element_wise(pc.if_else(neg, "-", ""), digits, "")


def numeric_binary(arr: Any) -> Optional[Any]:
    """``numeric_send`` of every value, as ``binformat.encode_numeric``
    lays out the Decimal the per-value path would see."""
    from .arrow_binary import big_endian

    p, pc = _mods()
    parts = _digits(arr)
    if parts is None:
        return None
    digits, neg, scale = parts
    if scale >= 0:
        tail = -scale % 4            # zeros that put the point on a group boundary
        frac_groups = (scale + tail) // 4
    else:
        tail, frac_groups = -scale, 0
    if tail:
        digits = pc.binary_join_element_wise(digits, "0" * tail, "")
    longest = pc.max(pc.utf8_length(digits)).as_py() or 1
    ngroups = -(-longest // 4)
    padded = pc.utf8_lpad(digits, 4 * ngroups, "0")
    groups = [pc.cast(pc.utf8_slice_codeunits(padded, 4 * i, 4 * i + 4), p.int16())
              for i in range(ngroups)]
    nonzero = [pc.not_equal(g, 0) for g in groups]
    first = p.scalar(ngroups, p.int16())
    last = p.scalar(-1, p.int16())
    for i in reversed(range(ngroups)):
        first = pc.if_else(nonzero[i], p.scalar(i, p.int16()), first)
    for i in range(ngroups):
        last = pc.if_else(nonzero[i], p.scalar(i, p.int16()), last)
    zero = pc.equal(first, ngroups)
    ndigits = pc.if_else(zero, 0, pc.add(pc.subtract(last, first), 1)).cast(p.int16())
    weight = pc.if_else(zero, 0, pc.subtract(ngroups - frac_groups - 1, first)).cast(p.int16())
    sign = pc.if_else(pc.and_(neg, pc.invert(zero)), _NEG, 0).cast(p.int16())
    dscale = struct.pack(">H", max(scale, 0))

    def b(x: Any) -> Any:
        return big_endian(x).cast(p.binary())

    pieces = [b(ndigits), b(weight), b(sign), dscale]
    for i, g in enumerate(groups):
        inside = pc.and_(pc.greater_equal(i, first), pc.less_equal(i, last))
        pieces.append(pc.if_else(inside, b(g), b""))
    return pc.binary_join_element_wise(*pieces, b"")
