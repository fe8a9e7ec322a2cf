"""PostgreSQL text output format for Python values.

Clients parse what the server sends, and many of them (psql, psycopg,
JDBC, ...) compare or display it verbatim, so every encoder here reproduces
what PostgreSQL 15 itself prints for the type under the session's
``DateStyle``, ``IntervalStyle``, ``extra_float_digits``, ``bytea_output``
and ``TimeZone`` (see :class:`TextContext`; the defaults are ISO/MDY,
postgres, 1 and hex).  Values inside json/jsonb keep JSON's own formatting.

:func:`encoder_for` returns a closure specialised for one column type so the
per-value cost is a single function call; only unusual inputs (a ``str``
that is already formatted, an ``int`` for a float column, ...) take a slower
path.  ``None`` (SQL NULL) is never passed to an encoder.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import ipaddress
import json
import math
import operator
import re
import struct
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import pgtypes as T
from .pgtypes import PgType

__all__ = [
    "TextContext",
    "timezone_from_name",
    "encoder_for",
    "format_float8",
    "format_float4",
    "format_numeric",
    "format_interval",
    "format_interval_style",
    "format_float8_digits",
    "format_float4_digits",
    "format_bytea_escape",
    "format_offset",
    "format_inet",
]

Encoder = Callable[[Any], str]

_UTC = _dt.timezone.utc
_datetime = _dt.datetime
_date = _dt.date
_time = _dt.time
_timedelta = _dt.timedelta
_Decimal = decimal.Decimal


# ---------------------------------------------------------------------------
# session state
# ---------------------------------------------------------------------------


class TextContext:
    """Session settings that change how values are printed.

    ``tz`` is the session ``TimeZone`` (``timestamptz`` values are printed
    in it); the other settings take PostgreSQL's canonical ``SHOW`` strings:

    * ``datestyle``: ``"ISO, MDY"``, ``"SQL, DMY"``, ``"Postgres, MDY"``,
      ``"German, DMY"`` ... (style and field order, as ``DateStyle``);
    * ``intervalstyle``: ``"postgres"``, ``"postgres_verbose"``,
      ``"sql_standard"`` or ``"iso_8601"``;
    * ``extra_float_digits``: -15 .. 3 (an int or its decimal string);
    * ``bytea_output``: ``"hex"`` or ``"escape"``.

    Invalid values raise ``ValueError``.  Encoders read the context once,
    when they are created, so build new encoders after a ``SET``.
    """

    __slots__ = ("tz", "datestyle", "intervalstyle", "extra_float_digits", "bytea_output")

    def __init__(
        self,
        tz: Optional[_dt.tzinfo] = None,
        datestyle: str = "ISO, MDY",
        intervalstyle: str = "postgres",
        extra_float_digits: Any = 1,
        bytea_output: str = "hex",
    ) -> None:
        self.tz: _dt.tzinfo = _UTC if tz is None else tz
        _parse_datestyle(datestyle)  # validate
        self.datestyle: str = datestyle
        style = str(intervalstyle).strip().lower()
        if style not in _INTERVAL_STYLES:
            raise ValueError("invalid IntervalStyle %r" % (intervalstyle,))
        self.intervalstyle: str = style
        self.extra_float_digits: int = _parse_efd(extra_float_digits)
        out = str(bytea_output).strip().lower()
        if out not in ("hex", "escape"):
            raise ValueError("invalid bytea_output %r" % (bytea_output,))
        self.bytea_output: str = out

    @property
    def iso_dates(self) -> bool:
        """True when dates and timestamps print in ISO style (the default)."""
        return _parse_datestyle(self.datestyle)[0] == _DS_ISO

    def __repr__(self) -> str:
        return "TextContext(tz=%r, datestyle=%r, intervalstyle=%r, extra_float_digits=%r, bytea_output=%r)" % (
            self.tz, self.datestyle, self.intervalstyle, self.extra_float_digits, self.bytea_output)


_DS_ISO, _DS_SQL, _DS_POSTGRES, _DS_GERMAN = range(4)
_DO_YMD, _DO_DMY, _DO_MDY = range(3)
_DS_WORDS = {"iso": _DS_ISO, "sql": _DS_SQL, "postgres": _DS_POSTGRES, "german": _DS_GERMAN}
_DO_WORDS = {
    "ymd": _DO_YMD, "dmy": _DO_DMY, "euro": _DO_DMY, "european": _DO_DMY,
    "mdy": _DO_MDY, "us": _DO_MDY, "noneuro": _DO_MDY, "noneuropean": _DO_MDY,
}
_DATESTYLE_CACHE: Dict[str, Tuple[int, int]] = {}
_INTERVAL_STYLES = ("postgres", "postgres_verbose", "sql_standard", "iso_8601")


def _parse_datestyle(value: Any) -> Tuple[int, int]:
    """``"SQL, DMY"`` -> (style, order), following PostgreSQL's check_datestyle
    (a lone ``German`` implies DMY; the default is ISO, MDY)."""
    hit = _DATESTYLE_CACHE.get(value)
    if hit is not None:
        return hit
    if not isinstance(value, str):
        raise ValueError("invalid DateStyle %r" % (value,))
    style = order = None
    for word in re.split(r"[\s,]+", value.strip().lower()):
        if not word:
            continue
        if word in _DS_WORDS:
            if style is not None and style != _DS_WORDS[word]:
                raise ValueError("conflicting DateStyle specifications in %r" % (value,))
            style = _DS_WORDS[word]
        elif word in _DO_WORDS:
            if order is not None and order != _DO_WORDS[word]:
                raise ValueError("conflicting DateStyle specifications in %r" % (value,))
            order = _DO_WORDS[word]
        elif word != "default":
            raise ValueError("invalid DateStyle %r" % (value,))
    if style is None:
        style = _DS_ISO
    if order is None:
        order = _DO_DMY if style == _DS_GERMAN else _DO_MDY
    result = (style, order)
    if len(_DATESTYLE_CACHE) < 64:
        _DATESTYLE_CACHE[value] = result
    return result


def _parse_efd(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("invalid extra_float_digits %r" % (value,))
    try:
        n = int(value.strip()) if isinstance(value, str) else operator.index(value)
    except (TypeError, ValueError):
        raise ValueError("invalid extra_float_digits %r" % (value,)) from None
    if not -15 <= n <= 3:
        raise ValueError("extra_float_digits %d is outside the valid range -15 .. 3" % n)
    return n


_NUMERIC_TZ_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# POSIX style fixed offset, optionally preceded by an abbreviation:
# "+02:00", "UTC+3", "GMT-2", "<+07>-7".  POSIX counts hours *west* of
# Greenwich, so the sign is inverted compared with ISO 8601.
_POSIX_TZ_RE = re.compile(
    r"^([A-Za-z]{3,}|<[+-]?[A-Za-z0-9]+(?::?[0-9]+)*>)?"
    r"([+-]?)(\d{1,2})(?::(\d{1,2}))?$"
)
_ZONE_KEYS_LOWER: Optional[Dict[str, str]] = None
_GMT = _dt.timezone(_timedelta(0), "GMT")


def _zoneinfo(name: str) -> Optional[_dt.tzinfo]:
    global _ZONE_KEYS_LOWER
    try:
        import zoneinfo
    except ImportError:  # pragma: no cover - Python < 3.9
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        pass
    # PostgreSQL matches zone names case-insensitively ("europe/amsterdam").
    if _ZONE_KEYS_LOWER is None:
        try:
            keys = zoneinfo.available_timezones()
        except Exception:  # pragma: no cover - unusual tzdata installs
            keys = set()
        _ZONE_KEYS_LOWER = {k.lower(): k for k in keys}
    key = _ZONE_KEYS_LOWER.get(name.lower())
    if key is None:
        return None
    try:
        return zoneinfo.ZoneInfo(key)
    except (ValueError, KeyError, OSError):  # pragma: no cover
        return None


def timezone_from_name(name: str) -> _dt.tzinfo:
    """Resolve a ``SET TIME ZONE`` value the way PostgreSQL does.

    Accepts IANA names (case-insensitive), ``UTC``/``GMT``, plain numbers of
    hours (``-5``, ``5.5``: ISO sign, east positive) and POSIX fixed offsets
    (``+02:00``, ``UTC+3``: POSIX sign, *west* positive, exactly like
    PostgreSQL).  Raises ``ValueError`` for anything else.

    Fixed-offset zones carry the abbreviation PostgreSQL prints for them in
    the SQL, Postgres and German DateStyles as their ``tzname``: ``GMT``,
    ``+05:30`` for numeric hours, the POSIX abbreviation (``UTC+3`` ->
    ``UTC``, ``<+07>-7`` -> ``+07``) or nothing at all (``+02:00``).
    """
    if not isinstance(name, str):
        raise ValueError("time zone must be a string, got %r" % (name,))
    s = name.strip()
    if not s:
        raise ValueError("invalid time zone %r" % (name,))
    low = s.lower()
    if low in ("utc", "etc/utc"):
        return _UTC
    if low in ("gmt", "etc/gmt"):
        return _GMT
    if _NUMERIC_TZ_RE.match(s):
        hours = float(s)
        if not -15.0 <= hours <= 15.0:
            raise ValueError("time zone offset %r is out of range" % (name,))
        off = _timedelta(seconds=round(hours * 3600))
        return _dt.timezone(off, format_offset(off))
    if "/" not in s or not s.startswith(("+", "-")):
        tz = _zoneinfo(s)
        if tz is not None:
            return tz
    m = _POSIX_TZ_RE.match(s)
    if m:
        hours, minutes = int(m.group(3)), int(m.group(4) or 0)
        if hours > 24 or minutes > 59:
            raise ValueError("time zone offset %r is out of range" % (name,))
        seconds = hours * 3600 + minutes * 60
        if m.group(2) != "-":
            seconds = -seconds
        # PostgreSQL parses the upper-cased spec, so "utc0" prints "UTC"
        abbrev = (m.group(1) or "").strip("<>").upper()
        if not seconds and abbrev == "UTC":
            return _UTC
        return _dt.timezone(_timedelta(seconds=seconds), abbrev)
    raise ValueError("invalid time zone %r" % (name,))


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


# ---------------------------------------------------------------------------
# strings, bytes, uuid
# ---------------------------------------------------------------------------


_BYTEA_ESCAPE = tuple(
    "\\\\" if b == 0x5C else ("\\%03o" % b if b < 0x20 or b > 0x7E else chr(b)) for b in range(256)
)


def format_bytea_escape(b: bytes) -> str:
    """``byteaout`` with ``bytea_output = escape``: printable ASCII as is,
    backslash doubled, every other byte as ``\\ooo``."""
    return "".join(map(_BYTEA_ESCAPE.__getitem__, b))


def _bytea_escape_encoder() -> Encoder:
    fmt = format_bytea_escape

    def enc(v: Any) -> str:
        if type(v) is bytes:
            return fmt(v)
        if isinstance(v, (bytes, bytearray, memoryview)):
            return fmt(bytes(v))
        if isinstance(v, str):
            return v
        raise TypeError("cannot format %s as bytea" % type(v).__name__)

    return enc


def _bytea_encoder() -> Encoder:
    def enc(v: Any) -> str:
        if type(v) is bytes:
            return "\\x" + v.hex()
        if isinstance(v, (bytes, bytearray, memoryview)):
            return "\\x" + bytes(v).hex()
        if isinstance(v, str):
            return v
        raise TypeError("cannot format %s as bytea" % type(v).__name__)

    return enc


def _uuid_encoder() -> Encoder:
    UUID = uuid.UUID

    def enc(v: Any) -> str:
        if type(v) is UUID:
            return str(v)
        if isinstance(v, str):
            return v
        if isinstance(v, UUID):
            return str(v)
        if isinstance(v, (bytes, bytearray, memoryview)) and len(v) == 16:
            return str(UUID(bytes=bytes(v)))
        raise TypeError("cannot format %s as uuid" % type(v).__name__)

    return enc


# ---------------------------------------------------------------------------
# system catalog types
# ---------------------------------------------------------------------------


def _reg_encoder() -> Encoder:
    """reg* types print the object's name; the catalog engine supplies it.

    An :class:`~riffq._wire.pgtypes.OidName` carries its rendering; a bare
    OID prints as digits (PostgreSQL does so for an OID naming nothing) and
    0 as ``-``, as ``regclassout`` and friends do.
    """

    def enc(v: Any) -> str:
        text = getattr(v, "text", None)
        if text is not None:
            return text
        if isinstance(v, str):
            return v
        n = operator.index(v)
        return "-" if n == 0 else str(n)

    return enc


def _vector_encoder() -> Encoder:
    """int2vector / oidvector: the elements separated by single spaces."""

    def enc(v: Any) -> str:
        if isinstance(v, str):
            return v
        return " ".join(str(operator.index(x)) for x in v)

    return enc


def _tid_encoder() -> Encoder:
    def enc(v: Any) -> str:
        if isinstance(v, str):
            return v
        block, offset = v
        return "(%d,%d)" % (operator.index(block), operator.index(offset))

    return enc


def _pg_lsn_encoder() -> Encoder:
    def enc(v: Any) -> str:
        if isinstance(v, str):
            return v
        n = operator.index(v)
        return "%X/%X" % (n >> 32, n & 0xFFFFFFFF)

    return enc


def format_inet(v: Any) -> str:
    """inet output: the address, with ``/bits`` only when not a single host."""
    if isinstance(v, str):
        return v
    if isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return str(v)
    if isinstance(v, (ipaddress.IPv4Interface, ipaddress.IPv6Interface)):
        if v.network.prefixlen == v.max_prefixlen:
            return str(v.ip)
        return "%s/%d" % (v.ip, v.network.prefixlen)
    if isinstance(v, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        if v.prefixlen == v.max_prefixlen:
            return str(v.network_address)
        return str(v)
    raise TypeError("cannot format %s as inet" % type(v).__name__)


# ---------------------------------------------------------------------------
# date / time
# ---------------------------------------------------------------------------

_OFFSET_CACHE: Dict[_timedelta, str] = {}


def format_offset(off: Optional[_timedelta]) -> str:
    """UTC offset as PostgreSQL prints it: ``+00``, ``-06:30``, ``+05:53:28``."""
    if off is None:
        return "+00"
    s = _OFFSET_CACHE.get(off)
    if s is not None:
        return s
    secs = off.days * 86400 + off.seconds
    sign = "-" if secs < 0 else "+"
    h, rem = divmod(abs(secs), 3600)
    m, sec = divmod(rem, 60)
    s = "%s%02d" % (sign, h)
    if m or sec:
        s += ":%02d" % m
        if sec:
            s += ":%02d" % sec
    if len(_OFFSET_CACHE) < 1024:
        _OFFSET_CACHE[off] = s
    return s


def _fmt_clock(h: int, m: int, s: int, us: int) -> str:
    if us:
        return ("%02d:%02d:%02d.%06d" % (h, m, s, us)).rstrip("0")
    return "%02d:%02d:%02d" % (h, m, s)


def _plain_datetime(v: _datetime) -> _datetime:
    """Drop datetime subclasses (pandas.Timestamp prints nanoseconds)."""
    if type(v) is _datetime:
        return v
    return _datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, v.tzinfo, fold=v.fold)


def _naive_ts_text(v: _datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS[.frac]`` for a naive datetime."""
    v = _plain_datetime(v)
    s = v.isoformat(" ")
    return s.rstrip("0") if v.microsecond else s


_MAX_DAY_INDEX = _dt.date.max.toordinal() - 1  # 9999-12-31, counted from 0001-01-01


def _edge_local(v: _datetime, tz: _dt.tzinfo) -> Tuple[str, _timedelta]:
    """Local wall-clock text for an aware ``v`` whose conversion into ``tz``
    leaves Python's year range (PostgreSQL prints ``... BC`` / year 10000).

    Returns ``(text, offset)``; ``text`` has a ``" BC"`` placeholder handled
    by the caller via the returned marker.
    """
    naive = v.replace(tzinfo=None)
    utc = (naive - _datetime.min) - (v.utcoffset() or _timedelta(0))
    ref = _datetime.min + min(max(utc, _timedelta(0)), _datetime.max - _datetime.min)
    off = tz.utcoffset(ref) or _timedelta(0)
    local = utc + off
    day = local.days
    secs = local.seconds
    clock = _fmt_clock(secs // 3600, secs // 60 % 60, secs % 60, local.microseconds)
    if day < 0:  # before 0001-01-01: December of 1 BC
        return "0001-12-%02d %s\x00BC" % (32 + day, clock), off
    if day > _MAX_DAY_INDEX:
        return "10000-01-%02d %s" % (day - _MAX_DAY_INDEX, clock), off
    return _naive_ts_text(_datetime.min + local), off


def _timestamp_encoder(tz: _dt.tzinfo) -> Encoder:
    def enc(v: Any) -> str:
        if type(v) is _datetime and v.tzinfo is None:
            return _naive_ts_text(v)
        return slow(v)

    def slow(v: Any) -> str:
        if isinstance(v, _datetime):
            if v.utcoffset() is None:
                return _naive_ts_text(v)
            # timestamptz -> timestamp: wall clock in the session zone
            try:
                return _naive_ts_text(v.astimezone(tz).replace(tzinfo=None))
            except OverflowError:
                text, _ = _edge_local(v, tz)
                return text.replace("\x00", " ")
        if isinstance(v, str):
            return v
        if isinstance(v, _date):
            return v.isoformat() + " 00:00:00"
        raise TypeError("cannot format %s as timestamp" % type(v).__name__)

    return enc


def _timestamptz_inputs(aware: Callable[[_datetime], str]) -> Encoder:
    """What a timestamptz column accepts: aware datetimes, naive ones taken
    as UTC, dates as UTC midnight, and strings already in text form."""
    def enc(v: Any) -> str:
        if isinstance(v, _datetime):
            if v.utcoffset() is None:
                v = v.replace(tzinfo=_UTC)
            return aware(v)
        if isinstance(v, str):
            return v
        if isinstance(v, _date):
            return aware(_datetime(v.year, v.month, v.day, tzinfo=_UTC))
        raise TypeError("cannot format %s as timestamptz" % type(v).__name__)
    return enc


def _timestamptz_encoder(tz: _dt.tzinfo) -> Encoder:
    is_utc = tz is _UTC

    def enc(v: Any) -> str:
        if type(v) is _datetime:
            if v.tzinfo is None:
                if is_utc:
                    return _naive_ts_text(v) + "+00"
                v = v.replace(tzinfo=_UTC)
            return aware(v)
        return slow(v)

    def aware(v: _datetime) -> str:
        if type(v) is not _datetime:
            v = _plain_datetime(v)
        try:
            local = v.astimezone(tz)
        except OverflowError:
            text, off = _edge_local(v, tz)
            base, _, bc = text.partition("\x00")
            return base + format_offset(off) + (" " + bc if bc else "")
        off = local.utcoffset()
        s = local.isoformat(" ")
        if local.microsecond:
            s = s[:26].rstrip("0")
        else:
            s = s[:19]
        return s + format_offset(off)

    slow = _timestamptz_inputs(aware)

    return enc


def _date_encoder() -> Encoder:
    def enc(v: Any) -> str:
        if type(v) is _date:
            return v.isoformat()
        if isinstance(v, _datetime):
            return v.date().isoformat()
        if isinstance(v, _date):
            return _date.isoformat(v)
        if isinstance(v, str):
            return v
        raise TypeError("cannot format %s as date" % type(v).__name__)

    return enc


_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY_ABBR = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def _date2j(y: int, m: int, d: int) -> int:
    """PostgreSQL's ``date2j`` (astronomical year: 1 BC is 0)."""
    if m > 2:
        m += 1
        y += 4800
    else:
        m += 13
        y += 4799
    century = y // 100
    return y * 365 - 32167 + y // 4 - century + century // 4 + 7834 * m // 256 + d


def _restyle(iso: str, style: int, order: int, tzn: Optional[str]) -> str:
    """Re-lay an ISO ``YYYY-MM-DD[ HH:MM:SS[.f]][ BC]`` text (no offset) in a
    non-ISO DateStyle, as ``EncodeDateOnly``/``EncodeDateTime`` do; ``tzn``
    is the zone abbreviation for timestamptz (None: none printed)."""
    bc = iso.endswith(" BC")
    if bc:
        iso = iso[:-3]
    date, _, clock = iso.partition(" ")
    ystr, mm, dd = date.rsplit("-", 2)
    if style == _DS_SQL:
        out = (dd + "/" + mm if order == _DO_DMY else mm + "/" + dd) + "/" + ystr
        if clock:
            out += " " + clock
    elif style == _DS_GERMAN:
        out = dd + "." + mm + "." + ystr
        if clock:
            out += " " + clock
    elif not clock:  # Postgres style, date only
        out = (dd + "-" + mm if order == _DO_DMY else mm + "-" + dd) + "-" + ystr
    else:  # Postgres style: "Tue Jan 02 03:04:05 2024"
        y = int(ystr)
        wday = _DAY_ABBR[(_date2j(1 - y if bc else y, int(mm), int(dd)) + 1) % 7]
        mon = _MONTH_ABBR[int(mm) - 1]
        md = dd + " " + mon if order == _DO_DMY else mon + " " + dd
        out = wday + " " + md + " " + clock + " " + ystr
    if tzn is not None:
        out += " " + tzn
    return out + " BC" if bc else out


def _styled(iso_enc: Encoder, style: int, order: int) -> Encoder:
    """Wrap an ISO date/timestamp encoder for another DateStyle."""

    def enc(v: Any) -> str:
        if isinstance(v, str):
            return v
        return _restyle(iso_enc(v), style, order, None)

    return enc


def _fixed_abbrev(tz: _dt.tzinfo) -> Optional[str]:
    """Abbreviation for a zone with one constant offset (None: varies)."""
    if type(tz) is not _dt.timezone:
        return None
    off = tz.utcoffset(None)
    name = tz.tzname(None)
    if tz is not _UTC and name == _dt.timezone(off).tzname(None):
        return format_offset(off)  # unnamed: PostgreSQL's numeric form
    return name


def _abbrev_of(local: _datetime) -> str:
    name = local.tzname()
    if name is None:
        return format_offset(local.utcoffset())
    return name[:10]  # MAXTZLEN


def _timestamptz_styled(tz: _dt.tzinfo, style: int, order: int) -> Encoder:
    """timestamptz in the SQL/Postgres/German DateStyles: local wall clock
    followed by the zone's abbreviation (``CET``, ``EDT``, ``UTC``)."""
    fixed = _fixed_abbrev(tz)
    if fixed is not None:
        fixed = fixed[:10]

    def aware(v: _datetime) -> str:
        if type(v) is not _datetime:
            v = _plain_datetime(v)
        try:
            local = v.astimezone(tz)
        except OverflowError:
            text, off = _edge_local(v, tz)
            base, _, bc = text.partition("\x00")
            if fixed is not None:
                tzn = fixed
            else:
                ref = _datetime.min if bc else _datetime.max
                try:
                    tzn = tz.tzname(ref) or format_offset(off)
                except Exception:  # pragma: no cover - unusual tzinfo
                    tzn = format_offset(off)
            return _restyle(base + (" BC" if bc else ""), style, order, tzn[:10])
        tzn = fixed if fixed is not None else _abbrev_of(local)
        return _restyle(_naive_ts_text(local.replace(tzinfo=None)), style, order, tzn)

    return _timestamptz_inputs(aware)


def _time_value(v: Any, type_name: str) -> _time:
    if isinstance(v, _time):
        return v
    if isinstance(v, _datetime):
        return v.timetz()
    if isinstance(v, _timedelta) and _timedelta(0) <= v < _timedelta(days=1):
        return (_datetime.min + v).time()
    raise TypeError("cannot format %s as %s" % (type(v).__name__, type_name))


def _time_encoder() -> Encoder:
    def enc(v: Any) -> str:
        if type(v) is _time and v.tzinfo is None:
            s = v.isoformat()
            return s.rstrip("0") if v.microsecond else s
        if isinstance(v, str):
            return v
        t = _time_value(v, "time")
        return _fmt_clock(t.hour, t.minute, t.second, t.microsecond)

    return enc


def _timetz_encoder() -> Encoder:
    def enc(v: Any) -> str:
        if isinstance(v, str):
            return v
        t = _time_value(v, "timetz")
        # naive times are taken as UTC, like naive timestamps
        return _fmt_clock(t.hour, t.minute, t.second, t.microsecond) + format_offset(t.utcoffset())

    return enc


def format_interval(v: _timedelta) -> str:
    """``interval_out`` (IntervalStyle=postgres) for a timedelta.

    A timedelta is one signed length of time, so its day and time fields
    share its sign: ``timedelta(seconds=-1)`` prints ``-00:00:01`` and
    ``timedelta(days=-1, hours=-2)`` ``-1 days -02:00:00``, as PostgreSQL
    prints ``interval '-1 second'`` and ``interval '-1 day -2 hours'``.
    """
    total = v.days * 86400000000 + v.seconds * 1000000 + v.microseconds
    neg = total < 0
    days, rem = divmod(-total if neg else total, 86400000000)
    secs, us = divmod(rem, 1000000)
    sign = "-" if neg else ""
    parts = []
    if days:
        parts.append("%s%d day%s" % (sign, days, "" if days == 1 and not neg else "s"))
    if rem or not days:
        parts.append(sign + _fmt_clock(secs // 3600, secs // 60 % 60, secs % 60, us))
    return " ".join(parts)


def _interval_fields(v: _timedelta) -> Tuple[int, int, int, int, int]:
    """Signed (day, hour, min, sec, usec) of a timedelta, all sharing its sign
    (``interval2itm`` of the interval PostgreSQL would store)."""
    total = v.days * 86400000000 + v.seconds * 1000000 + v.microseconds
    neg = total < 0
    days, rem = divmod(-total if neg else total, 86400000000)
    secs, us = divmod(rem, 1000000)
    k = -1 if neg else 1
    return k * days, k * (secs // 3600), k * (secs // 60 % 60), k * (secs % 60), k * us


def _append_seconds(sec: int, fsec: int, fillzeros: bool) -> str:
    out = "%02d" % abs(sec) if fillzeros else str(abs(sec))
    if fsec:
        out += ("." + "%06d" % abs(fsec)).rstrip("0")
    return out


def _verbose_part(value: int, units: str, state: List[bool]) -> str:
    # state = [is_zero, is_before]
    if value == 0:
        return ""
    if state[0]:
        state[1] = value < 0
        value = abs(value)
    elif state[1]:
        value = -value
    state[0] = False
    return " %d %s%s" % (value, units, "" if value == 1 else "s")


def format_interval_style(v: _timedelta, style: str = "postgres") -> str:
    """``interval_out`` for a timedelta under any ``IntervalStyle``
    (``EncodeInterval``; years and months are always zero here)."""
    if style == "postgres":
        return format_interval(v)
    mday, hour, mins, sec, fsec = _interval_fields(v)
    if style == "iso_8601":
        if not (mday or hour or mins or sec or fsec):
            return "PT0S"
        out = "P"
        if mday:
            out += "%dD" % mday
        if hour or mins or sec or fsec:
            out += "T"
        if hour:
            out += "%dH" % hour
        if mins:
            out += "%dM" % mins
        if sec or fsec:
            out += ("-" if sec < 0 or fsec < 0 else "") + _append_seconds(sec, fsec, False) + "S"
        return out
    if style == "sql_standard":
        # one timedelta never mixes signs, and has no year/month part
        if not (mday or hour or mins or sec or fsec):
            return "0"
        sign = ""
        if mday < 0 or hour < 0 or mins < 0 or sec < 0 or fsec < 0:
            sign = "-"
            mday, hour, mins, sec, fsec = -mday, -hour, -mins, -sec, -fsec
        if mday:
            return "%s%d %d:%02d:%s" % (sign, mday, hour, mins, _append_seconds(sec, fsec, True))
        return "%s%d:%02d:%s" % (sign, hour, mins, _append_seconds(sec, fsec, True))
    if style == "postgres_verbose":
        state = [True, False]
        out = "@" + _verbose_part(mday, "day", state)
        out += _verbose_part(hour, "hour", state)
        out += _verbose_part(mins, "min", state)
        if sec or fsec:
            out += " "
            if sec < 0 or (sec == 0 and fsec < 0):
                if state[0]:
                    state[1] = True
                elif not state[1]:
                    out += "-"
            elif state[1]:
                out += "-"
            out += _append_seconds(sec, fsec, False)
            out += " sec%s" % ("s" if abs(sec) != 1 or fsec != 0 else "")
            state[0] = False
        if state[0]:
            out += " 0"
        if state[1]:
            out += " ago"
        return out
    raise ValueError("invalid IntervalStyle %r" % (style,))


def _interval_encoder(style: str = "postgres") -> Encoder:
    if style == "postgres":
        fmt = format_interval
    else:
        def fmt(v: _timedelta) -> str:
            return format_interval_style(v, style)

    def enc(v: Any) -> str:
        if type(v) is _timedelta:
            return fmt(v)
        if isinstance(v, str):
            return v
        if isinstance(v, _timedelta):
            return fmt(v)
        raise TypeError("cannot format %s as interval" % type(v).__name__)

    return enc


# ---------------------------------------------------------------------------
# json / jsonb
# ---------------------------------------------------------------------------

_json_str = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.encode_basestring
_dumps = json.dumps


def _json_float(v: float, jsonb: bool) -> str:
    if v != v:
        return "NaN"
    if v in (math.inf, -math.inf):
        return "Infinity" if v > 0 else "-Infinity"
    if jsonb:  # jsonb stores numbers as numeric
        return format_numeric(v)
    return _frepr(v)


def _json_key(k: Any) -> str:
    if isinstance(k, str):
        return k
    if k is True:
        return "true"
    if k is False:
        return "false"
    if k is None:
        return "null"
    if isinstance(k, float):
        return _json_float(k, False)
    return str(k)


class _JsonWriter:
    """JSON text with PostgreSQL's layout (``", "`` and ``": "``).

    With ``jsonb=True`` objects are ordered as jsonb stores them (shorter
    keys first, then bytewise) and floats are printed as numerics.
    Non-JSON values are rendered the way PostgreSQL's ``to_json`` does.
    """

    def __init__(self, ctx: TextContext, jsonb: bool) -> None:
        self.jsonb = jsonb
        self.ctx = ctx
        self._ts: Optional[Encoder] = None
        self._tstz: Optional[Encoder] = None

    def dumps(self, v: Any) -> str:
        out: List[str] = []
        self._write(v, out.append)
        return "".join(out)

    def _write(self, v: Any, emit: Callable[[str], Any]) -> None:
        if isinstance(v, str):
            emit(_json_str(v))
        elif v is None:
            emit("null")
        elif v is True:
            emit("true")
        elif v is False:
            emit("false")
        elif isinstance(v, int):
            emit(int.__repr__(v))
        elif isinstance(v, float):
            emit(_json_float(v, self.jsonb))
        elif isinstance(v, dict):
            items = [(_json_key(k), x) for k, x in v.items()]
            if self.jsonb:
                dedup = dict(items)  # later duplicates win, as in jsonb
                items = sorted(dedup.items(), key=_jsonb_key_order)
            if not items:
                emit("{}")
                return
            emit("{")
            first = True
            for k, x in items:
                if not first:
                    emit(", ")
                first = False
                emit(_json_str(k))
                emit(": ")
                self._write(x, emit)
            emit("}")
        elif isinstance(v, (list, tuple)):
            if not v:
                emit("[]")
                return
            emit("[")
            first = True
            for x in v:
                if not first:
                    emit(", ")
                first = False
                self._write(x, emit)
            emit("]")
        elif isinstance(v, _Decimal):
            emit(format_numeric(v) if v.is_finite() else _json_str(format_numeric(v)))
        else:
            emit(_json_str(self._scalar_text(v)))

    def _scalar_text(self, v: Any) -> str:
        if isinstance(v, _datetime):
            if v.utcoffset() is None:
                if self._ts is None:
                    self._ts = _timestamp_encoder(self.ctx.tz)
                return self._ts(v).replace(" ", "T", 1)
            if self._tstz is None:
                self._tstz = _timestamptz_encoder(self.ctx.tz)
            return _xsd_offset(self._tstz(v).replace(" ", "T", 1))
        if isinstance(v, (set, frozenset)):
            return str(sorted(v, key=repr))
        t = T.infer_type(v)
        if t is None or t.oid == T.TEXT.oid or t.is_array:
            return str(v)
        return encoder_for(t, self.ctx)(v)


_TZ_TAIL = re.compile(r"([+-]\d\d)((?::\d\d)*)((?: BC)?)$")


def _xsd_offset(s: str) -> str:
    """``to_json`` writes offsets as ``+HH:MM`` where text output has ``+HH``."""
    m = _TZ_TAIL.search(s)
    if m is None or m.group(2):
        return s
    return s[: m.end(1)] + ":00" + m.group(3)


def _jsonb_key_order(item: Tuple[str, Any]) -> Tuple[int, bytes]:
    b = item[0].encode("utf-8", "surrogatepass")
    return (len(b), b)


def _json_encoder(ctx: TextContext, jsonb: bool) -> Encoder:
    # values inside JSON keep JSON/ISO formatting whatever DateStyle etc. say
    writer = _JsonWriter(TextContext(ctx.tz), jsonb)
    wdumps = writer.dumps

    if jsonb:

        def enc(v: Any) -> str:
            if type(v) is str:
                return v
            return wdumps(v)

        return enc

    def enc_json(v: Any) -> str:
        if type(v) is str:
            return v
        try:
            return _dumps(v, ensure_ascii=False)
        except (TypeError, ValueError):
            return wdumps(v)

    return enc_json


# ---------------------------------------------------------------------------
# arrays
# ---------------------------------------------------------------------------

_ARRAY_SPECIAL = re.compile(r'[{}",\\ \t\n\r\v\f]')


def _quote_element(s: str) -> str:
    """Quote one array element where ``array_out`` would."""
    if not s or _ARRAY_SPECIAL.search(s) is not None or (len(s) == 4 and s.lower() == "null"):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


def _array_encoder(elem_enc: Encoder, elem_is_json: bool) -> Encoder:
    quote = _quote_element

    def fmt(seq: Any) -> str:
        parts = []
        add = parts.append
        for x in seq:
            if x is None:
                add("NULL")
            elif not elem_is_json and isinstance(x, (list, tuple)):
                add(fmt(x))  # a further dimension
            else:
                add(quote(elem_enc(x)))
        return "{" + ",".join(parts) + "}"

    def top(v: Any) -> str:
        s = fmt(v)
        if s[1] == "{" and not s.strip("{}"):
            return "{}"  # like ARRAY[[]]: no elements means an empty array
        return s

    def enc(v: Any) -> str:
        if type(v) is list or type(v) is tuple:
            return top(v)
        if isinstance(v, str):
            return v
        if hasattr(v, "tolist"):  # numpy arrays
            v = v.tolist()
            return top(v) if isinstance(v, list) else quote(elem_enc(v))
        if isinstance(v, (list, tuple, set, frozenset)) or hasattr(v, "__iter__"):
            return top(list(v))
        raise TypeError("cannot format %s as an array" % type(v).__name__)

    return enc


# ---------------------------------------------------------------------------
# dispatch
# ---------------------------------------------------------------------------

_SIMPLE: Dict[int, Callable[[], Encoder]] = {
    T.BOOL.oid: _bool_encoder,
    T.INT2.oid: _int_encoder,
    T.INT4.oid: _int_encoder,
    T.INT8.oid: _int_encoder,
    T.OID.oid: _int_encoder,
    T.FLOAT4.oid: _float4_encoder,
    T.FLOAT8.oid: _float8_encoder,
    T.BYTEA.oid: _bytea_encoder,
    T.DATE.oid: _date_encoder,
    T.TIME.oid: _time_encoder,
    T.TIMETZ.oid: _timetz_encoder,
    T.INTERVAL.oid: _interval_encoder,
    T.UUID.oid: _uuid_encoder,
    T.INT2VECTOR.oid: _vector_encoder,
    T.OIDVECTOR.oid: _vector_encoder,
    T.XID.oid: _int_encoder,
    T.CID.oid: _int_encoder,
    T.XID8.oid: _int_encoder,
    T.TID.oid: _tid_encoder,
    T.PG_LSN.oid: _pg_lsn_encoder,
    T.INET.oid: lambda: format_inet,
}
_SIMPLE.update((oid, _reg_encoder) for oid in T.REG_TYPES)


_STYLED = frozenset((
    T.FLOAT4.oid, T.FLOAT8.oid, T.BYTEA.oid, T.DATE.oid, T.TIMESTAMP.oid, T.TIMESTAMPTZ.oid,
    T.INTERVAL.oid,
))


def _styled_encoder(oid: int, ctx: TextContext) -> Encoder:
    """Encoders for the types whose output depends on session settings."""
    # attributes may have been assigned after construction: normalise again
    efd = _parse_efd(getattr(ctx, "extra_float_digits", 1))
    if oid == T.FLOAT8.oid:
        return _float8_encoder(efd)
    if oid == T.FLOAT4.oid:
        return _float4_encoder(efd)
    if oid == T.BYTEA.oid:
        if str(getattr(ctx, "bytea_output", "hex")).strip().lower() == "escape":
            return _bytea_escape_encoder()
        return _bytea_encoder()
    if oid == T.INTERVAL.oid:
        istyle = str(getattr(ctx, "intervalstyle", "postgres")).strip().lower()
        if istyle not in _INTERVAL_STYLES:
            raise ValueError("invalid IntervalStyle %r" % (istyle,))
        return _interval_encoder(istyle)
    style, order = _parse_datestyle(getattr(ctx, "datestyle", "ISO, MDY"))
    if oid == T.DATE.oid:
        enc = _date_encoder()
    elif oid == T.TIMESTAMP.oid:
        enc = _timestamp_encoder(ctx.tz)
    elif style != _DS_ISO:
        return _timestamptz_styled(ctx.tz, style, order)
    else:
        return _timestamptz_encoder(ctx.tz)
    if style == _DS_ISO:
        return enc
    return _styled(enc, style, order)


def _numeric_encoder() -> Encoder:
    return format_numeric


def encoder_for(t: PgType, ctx: Optional[TextContext] = None) -> Encoder:
    """Return a function rendering one non-None value of type ``t`` as text.

    Values that are already ``str`` pass through unchanged so callers can
    pre-format exotic values themselves.  Unsupported values raise
    ``TypeError`` or ``ValueError``.
    """
    if ctx is None:
        ctx = TextContext()
    if t.elem is not None:
        elem = t.elem
        return _array_encoder(encoder_for(elem, ctx), elem.oid in (T.JSON.oid, T.JSONB.oid))
    oid = t.oid
    if oid in _STYLED:
        return _styled_encoder(oid, ctx)
    make = _SIMPLE.get(oid)
    if make is not None:
        return make()
    if oid == T.NUMERIC.oid:
        return _numeric_encoder()
    if oid == T.JSON.oid:
        return _json_encoder(ctx, False)
    if oid == T.JSONB.oid:
        return _json_encoder(ctx, True)
    # text, varchar, bpchar, name, "char", unknown and anything unrecognised
    return str
