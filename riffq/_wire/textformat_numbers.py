"""PostgreSQL text output of numbers and booleans.

Float output is the delicate part: PostgreSQL prints the shortest digits
that read back to the same double (or real) value, switches to exponent
form at its own thresholds rather than Python's, and with
``extra_float_digits`` <= 0 falls back to ``%.*g``.  Clients compare these
strings verbatim, so Python's ``repr`` is reshaped into exactly that
spelling rather than used as is.
"""
from __future__ import annotations

import decimal
import math
import operator
import struct
from typing import Any, Optional, Tuple

from .textcontext import Encoder


_Decimal = decimal.Decimal

# ---------------------------------------------------------------------------
# floating point
# ---------------------------------------------------------------------------

_frepr = float.__repr__
_f32 = struct.Struct("<f")
_u32 = struct.Struct("<I")


def _digits_to_text(digits: str, exp: int, max_fixed_exp: int) -> str:
    """Lay out significant ``digits`` with decimal exponent ``exp``.

    PostgreSQL (Ryu based since v12) uses fixed notation when
    ``-4 <= exp < max_fixed_exp`` and ``1e+16`` style otherwise.
    """
    if -4 <= exp < max_fixed_exp:
        n = len(digits)
        if exp < 0:
            return "0." + "0" * (-exp - 1) + digits
        if n <= exp + 1:
            return digits + "0" * (exp + 1 - n)
        return digits[: exp + 1] + "." + digits[exp + 1 :]
    mant = digits[0] + "." + digits[1:] if len(digits) > 1 else digits
    return "%se%s%02d" % (mant, "-" if exp < 0 else "+", abs(exp))


def format_float8(v: float) -> str:
    """``float8out``: shortest round-trip digits, exponent form from 1e15."""
    r = _frepr(v)
    if r[-2:] == ".0":
        # integral; Python switches to exponent form only at 1e16
        if len(r) < 18 or (len(r) == 18 and r[0] == "-"):
            return r[:-2]
    elif r[-1] in "nf":  # nan / inf / -inf
        return "NaN" if r == "nan" else ("Infinity" if r == "inf" else "-Infinity")
    elif -1e15 < v < 1e15:
        return r
    if v >= _TWO53 or v <= -_TWO53:
        return _float8_big(v, r)
    if "e" in r:
        return r
    # 1e15 <= |v| < 2**53: Python prints fixed, PostgreSQL exponent form
    sign = "-" if r[0] == "-" else ""
    int_part, _, frac = r.lstrip("-").partition(".")
    digits = (int_part + frac).rstrip("0")
    return sign + _digits_to_text(digits, len(int_part) - 1, 15)


_TWO53 = 9007199254740992.0


def _split_sci(s: str) -> Tuple[str, int]:
    """``'1.2300e+05'`` -> ``('123', 5)``."""
    mant, _, e = s.partition("e")
    return mant.replace(".", "").rstrip("0") or "0", int(e)


def _float8_big(v: float, r: str) -> str:
    """Doubles >= 2**53 where Python's shortest digits may sit exactly on a
    rounding boundary.  PostgreSQL's Ryu is built without STRICTLY_SHORTEST,
    so boundaries never count as round-tripping and it prints more digits.
    Every value involved is an integer here, so the check is exact."""
    a = -v if v < 0 else v
    sign = "-" if v < 0 else ""
    x = int(a)
    mant, exp = math.frexp(a)
    ulp = 1 << (exp - 53)
    # boundaries scaled by 4 to stay integral (the gap below 2**k is half)
    lo = 4 * x - (ulp if mant == 0.5 else 2 * ulp)
    hi = 4 * x + 2 * ulp
    r = r.lstrip("-")
    if "e" in r:
        digits, e10 = _split_sci(r)
    else:  # fixed notation below 1e16
        int_part, _, frac = r.partition(".")
        digits, e10 = (int_part + frac).rstrip("0"), len(int_part) - 1
    p = len(digits)
    while True:
        d = 4 * int(digits) * 10 ** (e10 - len(digits) + 1)
        if lo < d < hi:
            return sign + _digits_to_text(digits, e10, 15)
        if mant == 0.5 and d < 4 * x:
            n = int(digits.ljust(p, "0")) + 1
            cand_e = e10 + (len(str(n)) - p)
            cand = str(n).rstrip("0")
            dd = 4 * int(cand) * 10 ** (cand_e - len(cand) + 1)
            if lo < dd < hi:
                return sign + _digits_to_text(cand, cand_e, 15)
        p += 1
        digits, e10 = _split_sci("%.*e" % (p - 1, a))


def _f32_ok(s: str, lo: float, hi: float) -> bool:
    """Does decimal string ``s`` read back as the float32 between lo and hi?"""
    x = float(s)
    if lo < x < hi:
        return True
    if x < lo or x > hi:
        return False
    # float(s) hit a rounding boundary exactly: decide with exact arithmetic
    d = _Decimal(s)
    dlo, dhi = _Decimal(lo), _Decimal(hi)
    # PostgreSQL's Ryu (no STRICTLY_SHORTEST) never accepts a boundary
    return dlo < d < dhi


def _f32_shortest(f: float) -> Tuple[str, int]:
    """Shortest digits (and exponent) that read back as float32 ``f`` (> 0)."""
    bits = _u32.unpack(_f32.pack(f))[0]
    prev = _f32.unpack(_u32.pack(bits - 1))[0]
    lo = (prev + f) / 2.0
    if bits + 1 >= 0x7F800000:
        hi = f + (f - prev) / 2.0
    else:
        hi = (f + _f32.unpack(_u32.pack(bits + 1))[0]) / 2.0
    # at a power of two the gap below is half the gap above
    asym = (bits & 0x7FFFFF) == 0 and bits > 0x00800000

    def attempt(p: int) -> Optional[Tuple[str, int]]:
        s = "%.*e" % (p - 1, f)
        mant, _, e = s.partition("e")
        if _f32_ok(s, lo, hi):
            return mant.replace(".", "").rstrip("0") or "0", int(e)
        if asym and float(s) < f:
            # the nearest p-digit decimal fell below the narrow lower gap;
            # the next one up may still be inside the wider upper gap
            n = int(mant.replace(".", "")) + 1
            exp = int(e)
            if n == 10 ** p:
                n //= 10
                exp += 1
            digits = str(n)
            if _f32_ok("%s.%se%d" % (digits[0], digits[1:] or "0", exp), lo, hi):
                return digits.rstrip("0"), exp
        return None

    # "some p-digit decimal reads back" is monotone in p (append a zero),
    # so binary search for the shortest; 9 digits always suffice
    low, high = 1, 9
    best = None
    while low < high:
        mid = (low + high) // 2
        found = attempt(mid)
        if found is None:
            low = mid + 1
        else:
            high, best = mid, found
    if best is None:  # only 9 digits left untried
        best = attempt(high)
    if best is None:  # pragma: no cover - 9 digits always round-trip
        raise AssertionError("no float32 representation found for %r" % f)
    return best


def format_float4(v: float) -> str:
    """``float4out``: shortest digits that round-trip through float32.

    ``v`` is first rounded to float32 (as a ``float8::float4`` cast would);
    values beyond the float32 range raise ``ValueError``.
    """
    if v != v:
        return "NaN"
    if v in (math.inf, -math.inf):
        return "Infinity" if v > 0 else "-Infinity"
    try:
        f = _f32.unpack(_f32.pack(v))[0]
    except OverflowError:
        raise ValueError("value %r is out of range for type real" % (v,)) from None
    if f == 0.0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign = "-" if f < 0 else ""
    digits, exp = _f32_shortest(abs(f))
    return sign + _digits_to_text(digits, exp, 6)


def _as_float(v: Any) -> float:
    if isinstance(v, _Decimal) and v.is_nan():
        return math.nan
    try:
        return float(v)
    except OverflowError:
        raise ValueError("value is out of range for type double precision") from None


def _pg_strfromd(v: float, ndig: int) -> str:
    """``pg_strfromd``: ``%.*g`` with NaN/Infinity spelled PostgreSQL's way."""
    if v != v:
        return "NaN"
    if v in (math.inf, -math.inf):
        return "Infinity" if v > 0 else "-Infinity"
    return "%.*g" % (max(1, min(ndig, 32)), v)


def format_float8_digits(v: float, extra_float_digits: int = 1) -> str:
    """``float8out`` under ``extra_float_digits``: shortest exact digits when
    it is positive, else ``%.{15+extra_float_digits}g``."""
    if extra_float_digits > 0:
        return format_float8(v)
    return _pg_strfromd(v, 15 + extra_float_digits)


def format_float4_digits(v: float, extra_float_digits: int = 1) -> str:
    """``float4out`` under ``extra_float_digits`` (``%.{6+efd}g`` at <= 0)."""
    if extra_float_digits > 0:
        return format_float4(v)
    if v == v and v not in (math.inf, -math.inf):
        try:
            v = _f32.unpack(_f32.pack(v))[0]
        except OverflowError:
            raise ValueError("value %r is out of range for type real" % (v,)) from None
    return _pg_strfromd(v, 6 + extra_float_digits)


def _float8_encoder(efd: int = 1) -> Encoder:
    if efd > 0:
        fmt = format_float8
    else:
        def fmt(v: float) -> str:
            return _pg_strfromd(v, 15 + efd)

    def enc(v: Any) -> str:
        if type(v) is float:
            return fmt(v)
        if isinstance(v, str):
            return v
        return fmt(_as_float(v))

    return enc


def _float4_encoder(efd: int = 1) -> Encoder:
    if efd > 0:
        fmt = format_float4
    else:
        def fmt(v: float) -> str:
            return format_float4_digits(v, efd)

    def enc(v: Any) -> str:
        if type(v) is float:
            return fmt(v)
        if isinstance(v, str):
            return v
        return fmt(_as_float(v))

    return enc


# ---------------------------------------------------------------------------
# exact numbers
# ---------------------------------------------------------------------------


def format_numeric(v: Any) -> str:
    """``numeric_out``: plain notation, scale kept, no negative zero."""
    if type(v) is int:
        return int.__repr__(v)
    if isinstance(v, _Decimal):
        if v.is_finite():
            s = format(v, "f")
            if s[0] == "-" and not v:
                return s[1:]
            return s
        if v.is_nan():
            return "NaN"
        return "Infinity" if v > 0 else "-Infinity"
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        if v != v:
            return "NaN"
        if v in (math.inf, -math.inf):
            return "Infinity" if v > 0 else "-Infinity"
        # shortest round-trip digits, written out without an exponent
        return format_numeric(_Decimal(_frepr(float(v))))
    if isinstance(v, int):  # bool and int subclasses
        return str(int(v))
    try:
        return str(operator.index(v))  # numpy integers
    except TypeError:
        pass
    if hasattr(v, "is_integer") or hasattr(v, "__float__"):
        return format_numeric(float(v))
    raise TypeError("cannot format %s as numeric" % type(v).__name__)


def _int_slow(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float) or isinstance(v, _Decimal):
        if v == v and v not in (math.inf, -math.inf) and v == int(v):
            return str(int(v))
        raise ValueError("%r is not an integer" % (v,))
    return str(operator.index(v))


def _int_encoder() -> Encoder:
    rep = int.__repr__

    def enc(v: Any) -> str:
        if type(v) is int:
            return rep(v)
        return _int_slow(v)

    return enc


def _bool_encoder() -> Encoder:
    def enc(v: Any) -> str:
        if v is True:
            return "t"
        if v is False:
            return "f"
        if type(v) is str:
            return v
        return "t" if v else "f"

    return enc
