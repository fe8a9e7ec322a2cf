"""Decoding the parameter values of a Bind message into Python objects.

A Bind message carries each parameter as raw bytes plus a format code
(0 = text, 1 = binary).  The server has to turn those into Python values
before handing them to user code, and must reject bad input with the same
SQLSTATE and message PostgreSQL uses, because drivers and applications
match on them (``22P02`` for a malformed number, ``22003`` for an
out-of-range one, ...).

Text input follows PostgreSQL 15's ``*_in`` functions closely for the common
spellings; binary input follows the ``*_recv`` functions exactly, including
the protocol-level errors for short or over-long values.

:func:`infer_param_types` supplies parameter types for statements whose
Parse message left them unspecified, by looking at ``$n::type`` casts.

Only the standard library is used.
"""
from __future__ import annotations

import codecs
import datetime as _dt
import decimal
import json
import re
import struct
import uuid
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import pgtypes
from .binconst import F32 as _F32, F64 as _F64, I16 as _I16, I32 as _I32, I64 as _I64, U32 as _U32
from .binconst import PG_EPOCH_ORDINAL as _PG_EPOCH_ORDINAL, TZDISP_LIMIT as _TZDISP_LIMIT
from .binconst import USECS_PER_DAY as _USECS_PER_DAY

__all__ = [
    "ParamError",
    "decode_param",
    "decode_params",
    "infer_param_types",
    "MONTH_DAYS",
    "YEAR_DAYS",
]

#: Days a month of an interval becomes in a timedelta (PostgreSQL's own
#: ``justify_days`` and interval comparison use 30).
MONTH_DAYS = 30
#: Days a whole year (12 months) becomes; 365 rather than 12 * 30, the same
#: convention psycopg uses, so values agree with what psycopg clients see.
YEAR_DAYS = 365


class ParamError(ValueError):
    """A parameter value PostgreSQL would reject, with its SQLSTATE.

    Subclasses ValueError so code that only knows "bad value" still catches
    it; the wire layer turns ``sqlstate``/``message``/``detail`` into an
    ErrorResponse.
    """

    def __init__(self, sqlstate: str, message: str, detail: Optional[str] = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message
        self.detail = detail

    def __repr__(self) -> str:
        return "ParamError(%r, %r)" % (self.sqlstate, self.message)


class _Trailing(Exception):
    """A binary value longer than its type: the caller words the error."""


# ---------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------

_WS = " \t\n\r\v\f"  # C isspace(), what PostgreSQL's input functions skip
_UTC = _dt.timezone.utc
_PG_EPOCH = _dt.datetime(2000, 1, 1)


# format_type() spellings, used where PostgreSQL's messages name a type.
_TYPE_NAMES: Dict[int, str] = {
    pgtypes.BOOL.oid: "boolean",
    pgtypes.BYTEA.oid: "bytea",
    pgtypes.CHAR.oid: '"char"',
    pgtypes.NAME.oid: "name",
    pgtypes.INT8.oid: "bigint",
    pgtypes.INT2.oid: "smallint",
    pgtypes.INT4.oid: "integer",
    pgtypes.TEXT.oid: "text",
    pgtypes.OID.oid: "oid",
    pgtypes.JSON.oid: "json",
    pgtypes.FLOAT4.oid: "real",
    pgtypes.FLOAT8.oid: "double precision",
    pgtypes.UNKNOWN.oid: "unknown",
    pgtypes.BPCHAR.oid: "character",
    pgtypes.VARCHAR.oid: "character varying",
    pgtypes.DATE.oid: "date",
    pgtypes.TIME.oid: "time without time zone",
    pgtypes.TIMESTAMP.oid: "timestamp without time zone",
    pgtypes.TIMESTAMPTZ.oid: "timestamp with time zone",
    pgtypes.INTERVAL.oid: "interval",
    pgtypes.TIMETZ.oid: "time with time zone",
    pgtypes.NUMERIC.oid: "numeric",
    pgtypes.UUID.oid: "uuid",
    pgtypes.JSONB.oid: "jsonb",
}


def _type_name(oid: int) -> str:
    name = _TYPE_NAMES.get(oid)
    if name is not None:
        return name
    t = pgtypes.BY_OID.get(oid)
    if t is not None and t.elem is not None:
        return _type_name(t.elem.oid) + "[]"
    return "???"


def _syntax(typename: str, s: str, sqlstate: str = "22P02") -> ParamError:
    return ParamError(sqlstate, 'invalid input syntax for type %s: "%s"' % (typename, s))


def _need(data: bytes, n: int) -> None:
    """PostgreSQL's recv functions read a fixed width: too few bytes is a
    protocol error, leftover bytes are reported by the caller."""
    if len(data) < n:
        raise ParamError("08P01", "insufficient data left in message")
    if len(data) > n:
        raise _Trailing()


# ---------------------------------------------------------------------------
# text decoding (client encoding -> str), with PostgreSQL's error report
# ---------------------------------------------------------------------------

_PG_ENCODING_NAMES = {
    "utf-8": "UTF8",
    "iso8859-1": "LATIN1",
    "ascii": "SQL_ASCII",
    "cp1252": "WIN1252",
    "cp1251": "WIN1251",
    "iso8859-15": "LATIN9",
    "iso8859-2": "LATIN2",
    "koi8-r": "KOI8R",
    "euc_jp": "EUC_JP",
    "shift_jis": "SJIS",
    "cp932": "SJIS",
    "gbk": "GBK",
    "big5": "BIG5",
    "euc_kr": "EUC_KR",
}


def _pg_encoding_name(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = encoding
    return _PG_ENCODING_NAMES.get(name, name.upper().replace("-", "").replace("_", ""))


def _utf8_mblen(b: int) -> int:
    """pg_utf_mblen: the length a UTF-8 lead byte announces (1 if invalid)."""
    if b < 0x80:
        return 1
    if b & 0xE0 == 0xC0:
        return 2
    if b & 0xF0 == 0xE0:
        return 3
    if b & 0xF8 == 0xF0:
        return 4
    return 1


def _bad_encoding(data: bytes, start: int, end: int, encoding: str) -> ParamError:
    """``invalid byte sequence`` as report_invalid_encoding words it: the
    bytes of the offending character, as many as its lead byte announces."""
    pgname = _pg_encoding_name(encoding)
    if pgname == "UTF8":
        n = min(_utf8_mblen(data[start]), len(data) - start, 8)
    else:
        n = max(1, min(end - start, 8))
    shown = " ".join("0x%02x" % b for b in data[start:start + n])
    return ParamError("22021", 'invalid byte sequence for encoding "%s": %s' % (pgname, shown))


def _decode_text(data: bytes, encoding: str) -> str:
    """Client bytes to str; PostgreSQL verifies the encoding of every text
    value and never allows NUL, so neither do we."""
    try:
        s = data.decode(encoding)
    except UnicodeDecodeError as exc:
        nul = data.find(b"\x00", 0, exc.start)
        if nul >= 0:
            raise _bad_encoding(data, nul, nul + 1, encoding) from None
        raise _bad_encoding(data, exc.start, exc.end, encoding) from None
    if "\x00" in s:
        i = data.find(b"\x00")
        raise _bad_encoding(data, i, i + 1, encoding)
    return s


# ---------------------------------------------------------------------------
# bool
# ---------------------------------------------------------------------------


def _parse_bool(s: str) -> bool:
    """boolin: any unambiguous prefix of true/false/yes/no/on/off, or 1/0."""
    v = s.strip(_WS).lower()
    n = len(v)
    if n:
        c = v[0]
        if c == "t" and "true".startswith(v):
            return True
        if c == "f" and "false".startswith(v):
            return False
        if c == "y" and "yes".startswith(v):
            return True
        if c == "n" and "no".startswith(v):
            return False
        if c == "o" and n >= 2:
            if "on".startswith(v):
                return True
            if "off".startswith(v):
                return False
        if v == "1":
            return True
        if v == "0":
            return False
    raise _syntax("boolean", s)


def _need_byte(data: bytes) -> int:
    """pq_getmsgbyte, which words running out differently."""
    if not data:
        raise ParamError("08P01", "no data left in message")
    if len(data) > 1:
        raise _Trailing()
    return data[0]


def _recv_bool(data: bytes, encoding: str) -> bool:
    return _need_byte(data) != 0


# ---------------------------------------------------------------------------
# integers
# ---------------------------------------------------------------------------

# sign and digits after optional whitespace; the rest must be whitespace
_INT_RE = re.compile(r"[ \t\n\r\v\f]*([+-]?[0-9]+)")
_TRAILING_WS_RE = re.compile(r"[ \t\n\r\v\f]*\Z")


def _int_parser(typename: str, lo: int, hi: int) -> Callable[[str], int]:
    """pg_strtoint16/32/64: overflow is noticed while reading the digits,
    so ``99999x`` is out of range rather than a syntax error."""

    def parse(s: str) -> int:
        m = _INT_RE.match(s)
        if m is None:
            raise _syntax(typename, s)
        digits = m.group(1)
        # More than 20 digits is out of any integer's range; checking first
        # also keeps int() away from huge inputs (Python caps those anyway).
        v = int(digits) if len(digits.lstrip("+-").lstrip("0")) <= 20 else hi + 1
        if not lo <= v <= hi:
            raise ParamError("22003", 'value "%s" is out of range for type %s' % (s, typename))
        if _TRAILING_WS_RE.match(s, m.end()) is None:
            raise _syntax(typename, s)
        return v

    return parse


_parse_int2 = _int_parser("smallint", -(1 << 15), (1 << 15) - 1)
_parse_int4 = _int_parser("integer", -(1 << 31), (1 << 31) - 1)
_parse_int8 = _int_parser("bigint", -(1 << 63), (1 << 63) - 1)
_ULONG = 1 << 64


def _parse_oid(s: str) -> int:
    """oidin: strtoul (64-bit) semantics, so ``-1`` wraps to 4294967295;
    a value is accepted if it is a 32-bit unsigned or signed integer."""
    m = _INT_RE.match(s)
    if m is None:
        raise _syntax("oid", s)
    v = int(m.group(1))
    if abs(v) >= _ULONG:
        raise ParamError("22003", 'value "%s" is out of range for type oid' % (s,))
    if _TRAILING_WS_RE.match(s, m.end()) is None:
        raise _syntax("oid", s)
    cvt = v % _ULONG
    if not (cvt <= 0xFFFFFFFF or cvt >= _ULONG - (1 << 31)):
        raise ParamError("22003", 'value "%s" is out of range for type oid' % (s,))
    return cvt & 0xFFFFFFFF


def _struct_recv(st: "struct.Struct") -> Callable[[bytes, str], Any]:
    size = st.size
    unpack = st.unpack

    def recv(data: bytes, encoding: str) -> Any:
        _need(data, size)
        return unpack(data)[0]

    return recv


# ---------------------------------------------------------------------------
# floats
# ---------------------------------------------------------------------------

_FLOAT_RE = re.compile(
    r"[ \t\n\r\v\f]*([+-]?)(?:"
    r"((?:[0-9]+\.?[0-9]*|\.[0-9]+))([eE][+-]?[0-9]+)?"
    r"|(0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)"
    r"|([iI][nN][fF](?:[iI][nN][iI][tT][yY])?)"
    r"|([nN][aA][nN])"
    r")[ \t\n\r\v\f]*\Z"
)


def _parse_double(s: str, typename: str) -> float:
    """strtod as float8in uses it: decimal, hex, inf/infinity and nan;
    overflow, and underflow of a non-zero mantissa to zero, are 22003."""
    m = _FLOAT_RE.match(s)
    if m is None:
        raise _syntax(typename, s)
    sign, mant, exp, hexa, inf, nan = m.groups()
    if nan is not None:
        return float("nan")
    if inf is not None:
        return float("-inf") if sign == "-" else float("inf")
    if hexa is not None:
        try:
            v = float.fromhex(hexa)
        except OverflowError:
            raise ParamError("22003", '"%s" is out of range for type %s' % (s, typename)) from None
        nonzero = re.search("[1-9a-fA-F]", hexa.split("p")[0].split("P")[0][2:]) is not None
    else:
        v = float(mant + (exp or ""))
        nonzero = re.search("[1-9]", mant) is not None
        if v == float("inf"):
            raise ParamError("22003", '"%s" is out of range for type %s' % (s, typename))
    if v == 0.0 and nonzero:
        raise ParamError("22003", '"%s" is out of range for type %s' % (s, typename))
    return -v if sign == "-" else v


def _parse_float8(s: str) -> float:
    return _parse_double(s, "double precision")


def _parse_float4(s: str) -> float:
    """float4in: the double is rounded to single precision, as stored."""
    v = _parse_double(s, "real")
    if v != v or v in (float("inf"), float("-inf")):
        return v
    try:
        f = _F32.unpack(_F32.pack(v))[0]
    except OverflowError:
        raise ParamError("22003", '"%s" is out of range for type real' % (s,)) from None
    if f == 0.0 and v != 0.0:
        raise ParamError("22003", '"%s" is out of range for type real' % (s,))
    return f


# ---------------------------------------------------------------------------
# numeric
# ---------------------------------------------------------------------------

_NUMERIC_RE = re.compile(
    r"[ \t\n\r\v\f]*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[ \t\n\r\v\f]*\Z"
)
_NUMERIC_SPECIAL = {
    "nan": decimal.Decimal("NaN"),
    "infinity": decimal.Decimal("Infinity"),
    "+infinity": decimal.Decimal("Infinity"),
    "-infinity": decimal.Decimal("-Infinity"),
    "inf": decimal.Decimal("Infinity"),
    "+inf": decimal.Decimal("Infinity"),
    "-inf": decimal.Decimal("-Infinity"),
}
_NUMERIC_DSCALE_MAX = 0x3FFF
_NUMERIC_MAX_ADJUSTED = 4 * 0x7FFF + 3  # largest base-10 exponent of the leading digit


def _numeric_overflow() -> ParamError:
    return ParamError("22003", "value overflows numeric format")


def _normalize_numeric(d: decimal.Decimal) -> decimal.Decimal:
    """Give a finite Decimal PostgreSQL's shape: no positive exponent (1e3 is
    stored as 1000, scale 0), no negative zero; enforce numeric's limits."""
    sign, digits, exp = d.as_tuple()
    if exp < -_NUMERIC_DSCALE_MAX:
        raise _numeric_overflow()
    if d and d.adjusted() > _NUMERIC_MAX_ADJUSTED:
        raise _numeric_overflow()
    if exp > 0:
        if digits == (0,):
            return decimal.Decimal(0)
        d = decimal.Decimal((sign, digits + (0,) * exp, 0))
    if sign and not d:
        d = d.copy_abs()
    return d


def _parse_numeric(s: str) -> decimal.Decimal:
    m = _NUMERIC_RE.match(s)
    if m is None:
        special = _NUMERIC_SPECIAL.get(s.strip(_WS).lower())
        if special is not None:
            return special
        raise _syntax("numeric", s)
    try:
        d = decimal.Decimal(m.group(1))
    except (decimal.InvalidOperation, ValueError):  # exponent beyond Decimal's reach
        raise _numeric_overflow() from None
    return _normalize_numeric(d)


_NUMERIC_SIGNS = {0x0000: "", 0x4000: "-"}


def _recv_numeric(data: bytes, encoding: str) -> decimal.Decimal:
    """numeric_recv: the header fields and digits are read and checked in
    order (so a bad sign is reported before missing digits), then the value
    is truncated to dscale (PostgreSQL silently drops digits it hides)."""
    n = len(data)
    if n < 6:
        raise ParamError("08P01", "insufficient data left in message")
    ndigits, weight, sign = struct.unpack_from(">HhH", data)
    if sign not in (0x0000, 0x4000, 0xC000, 0xD000, 0xF000):
        raise ParamError("22P03", 'invalid sign in external "numeric" value')
    if n < 8:
        raise ParamError("08P01", "insufficient data left in message")
    dscale = struct.unpack_from(">H", data, 6)[0]
    if dscale & 0x3FFF != dscale:
        raise ParamError("22P03", 'invalid scale in external "numeric" value')
    have = min(ndigits, (n - 8) // 2)
    digits = struct.unpack_from(">%dH" % have, data, 8)
    for dg in digits:
        if dg >= 10000:
            raise ParamError("22P03", 'invalid digit in external "numeric" value')
    if have < ndigits:
        raise ParamError("08P01", "insufficient data left in message")
    if n > 8 + 2 * ndigits:
        raise _Trailing()
    if sign == 0xC000:
        return decimal.Decimal("NaN")
    if sign == 0xD000:
        return decimal.Decimal("Infinity")
    if sign == 0xF000:
        return decimal.Decimal("-Infinity")
    ds = "".join(["%04d" % dg for dg in digits]) or "0"
    exp = 4 * (weight - ndigits + 1) if ndigits else 0
    if -exp > dscale:
        cut = -exp - dscale
        ds = ds[:-cut] if cut < len(ds) else "0"
    elif exp + dscale > 0:
        ds += "0" * (exp + dscale)
    if ds.strip("0") == "":  # PostgreSQL has no negative zero
        return decimal.Decimal("0E-%d" % dscale) if dscale else decimal.Decimal(0)
    return decimal.Decimal("%s%sE-%d" % (_NUMERIC_SIGNS[sign], ds, dscale))


# ---------------------------------------------------------------------------
# text-like types
# ---------------------------------------------------------------------------


def _parse_text(s: str) -> str:
    return s


def _parse_name(s: str) -> str:
    """namein truncates to NAMEDATALEN-1 (63) bytes, on a character boundary."""
    b = s.encode("utf-8")
    if len(b) <= 63:
        return s
    return b[:63].decode("utf-8", "ignore")


_OCTAL_CHAR_RE = re.compile(r"\\[0-3][0-7][0-7]\Z")


def _parse_char(s: str) -> str:
    """charin keeps one byte: ``\\ooo`` octal or the first character.

    A non-ASCII first character is kept whole (PostgreSQL would keep only
    its first byte, which is not valid text on its own)."""
    if len(s) == 4 and _OCTAL_CHAR_RE.match(s):
        b = int(s[1:], 8)
        return "" if b == 0 else (chr(b) if b < 0x80 else s)
    return s[:1]


def _recv_text(data: bytes, encoding: str) -> str:
    return _decode_text(data, encoding)


def _recv_name(data: bytes, encoding: str) -> str:
    s = _decode_text(data, encoding)
    if len(s.encode("utf-8")) >= 64:
        raise ParamError("42622", "identifier too long",
                         "Identifier must be less than 64 characters.")
    return s


def _recv_char(data: bytes, encoding: str) -> str:
    """charrecv reads one raw byte; high-bit bytes come back as PostgreSQL
    15 prints them (``\\ooo``)."""
    b = _need_byte(data)
    if b == 0:
        return ""
    return chr(b) if b < 0x80 else "\\%03o" % b


# ---------------------------------------------------------------------------
# bytea
# ---------------------------------------------------------------------------

_HEX_WS = frozenset(" \n\t\r")
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")
_BYTEA_ESC_RE = re.compile(r"\\(\\|[0-3][0-7][0-7])?")


def _parse_bytea(s: str) -> bytes:
    """byteain: ``\\x`` hex (whitespace between digit pairs allowed) or the
    escape format with ``\\\\`` and ``\\ooo``.  Literal characters are stored
    in the server encoding, UTF-8."""
    if s[:2] == "\\x":
        h = s[2:]
        if "\v" not in h and "\f" not in h:
            try:  # fromhex skips whitespace between pairs, like hex_decode
                return bytes.fromhex(h)
            except ValueError:
                pass
        return _hex_decode_slow(h)
    if "\\" not in s:
        return s.encode("utf-8")
    out = bytearray()
    pos = 0
    for m in _BYTEA_ESC_RE.finditer(s):
        out += s[pos:m.start()].encode("utf-8")
        g = m.group(1)
        if g is None:
            raise ParamError("22P02", "invalid input syntax for type bytea")
        out.append(0x5C if g == "\\" else int(g, 8))
        pos = m.end()
    out += s[pos:].encode("utf-8")
    return bytes(out)


def _hex_decode_slow(h: str) -> bytes:
    """hex_decode character by character, for its exact error messages."""
    out = bytearray()
    i = 0
    n = len(h)
    while i < n:
        c = h[i]
        if c in _HEX_WS:
            i += 1
            continue
        if c not in _HEXDIGITS:
            raise ParamError("22023", 'invalid hexadecimal digit: "%s"' % c)
        if i + 1 >= n:
            raise ParamError("22023", "invalid hexadecimal data: odd number of digits")
        c2 = h[i + 1]
        if c2 not in _HEXDIGITS:
            raise ParamError("22023", 'invalid hexadecimal digit: "%s"' % c2)
        out.append(int(c + c2, 16))
        i += 2
    return bytes(out)


def _recv_bytea(data: bytes, encoding: str) -> bytes:
    return bytes(data)


# ---------------------------------------------------------------------------
# json / jsonb
# ---------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError("Token \"%s\" is invalid." % name)


def _ignore_number(text: str) -> None:
    # Validation only: skip conversion (and int's 4300-digit limit).
    return None


_JSON_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000", re.I)


def _check_json(s: str, jsonb: bool) -> str:
    """Validate like json_in/jsonb_in (NaN/Infinity are not JSON; jsonb
    cannot hold ``\\u0000``) and return the text unchanged."""
    try:
        json.loads(s, parse_constant=_reject_constant, parse_int=_ignore_number,
                   parse_float=_ignore_number)
    except (ValueError, RecursionError) as exc:
        raise ParamError("22P02", "invalid input syntax for type json", str(exc)) from None
    if jsonb and "u0000" in s.lower() and _JSON_NUL_ESCAPE.search(s):
        raise ParamError("22P05", "unsupported Unicode escape sequence",
                         "\\u0000 cannot be converted to text.")
    return s


def _parse_json(s: str) -> str:
    return _check_json(s, False)


def _parse_jsonb(s: str) -> str:
    return _check_json(s, True)


def _recv_json(data: bytes, encoding: str) -> str:
    return _check_json(_decode_text(data, encoding), False)


def _recv_jsonb(data: bytes, encoding: str) -> str:
    if not data:
        raise ParamError("08P01", "insufficient data left in message")
    if data[0] != 1:
        raise ParamError("XX000", "unsupported jsonb version number %d" % data[0])
    return _check_json(_decode_text(data[1:], encoding), True)


# ---------------------------------------------------------------------------
# uuid
# ---------------------------------------------------------------------------


def _parse_uuid(s: str) -> uuid.UUID:
    """string_to_uuid: optional braces, hex pairs, and an optional hyphen
    after any group of four hex digits (but not at the end)."""
    src = s
    i = 0
    n = len(src)
    braces = n > 0 and src[0] == "{"
    if braces:
        i = 1
    out = []
    for k in range(16):
        pair = src[i:i + 2]
        if len(pair) < 2 or pair[0] not in _HEXDIGITS or pair[1] not in _HEXDIGITS:
            raise _syntax("uuid", s)
        out.append(pair)
        i += 2
        if i < n and src[i] == "-" and k % 2 == 1 and k < 15:
            i += 1
    if braces:
        if i >= n or src[i] != "}":
            raise _syntax("uuid", s)
        i += 1
    if i != n:
        raise _syntax("uuid", s)
    return uuid.UUID(hex="".join(out))


def _recv_uuid(data: bytes, encoding: str) -> uuid.UUID:
    _need(data, 16)
    return uuid.UUID(bytes=bytes(data))


# ---------------------------------------------------------------------------
# date / time
# ---------------------------------------------------------------------------

_DATE_RE = re.compile(r"([0-9]{4,})-([0-9]{1,2})-([0-9]{1,2})|([0-9]{4})([0-9]{2})([0-9]{2})(?![0-9:])")
_TIME_RE = re.compile(
    r"([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2})(?:\.([0-9]*))?)?"
    r"|([0-9]{2})([0-9]{2})([0-9]{2})?(?:\.([0-9]*))?(?![0-9:])"
)
_TZ_RE = re.compile(
    r"([+-])([0-9]{1,2})(?::?([0-9]{2}))?(?::?([0-9]{2}))?\Z|([A-Za-z][A-Za-z0-9_/+-]*)\Z"
)
_ERA_RE = re.compile(r"[ \t\n\r\v\f]+(bc|ad)\Z", re.I)
_UTC_NAMES = frozenset(("z", "utc", "gmt", "ut", "zulu", "uct"))
_DATETIME_NAMES = {
    "date": "date",
    "time": "time",
    "timetz": "time with time zone",
    "timestamp": "timestamp",
    "timestamptz": "timestamp with time zone",
}


class _DT:
    """Fields of a parsed date/time literal (before type-specific checks)."""

    __slots__ = ("date", "hms", "tz", "special")

    def __init__(self) -> None:
        self.date: Optional[Tuple[int, int, int]] = None
        # (hour, minute, second, micros); micros may be 1_000_000 after rounding
        self.hms: Optional[Tuple[int, int, int, int]] = None
        # None, an offset in seconds east of UTC, or a tzinfo for a named zone
        self.tz: Any = None
        self.special: Optional[str] = None


def _frac_micros(frac: Optional[str]) -> int:
    """Fractional seconds rounded half-even to microseconds (rint)."""
    if not frac:
        return 0
    if len(frac) <= 6:
        return int(frac.ljust(6, "0"))
    q = decimal.Decimal("0." + frac).scaleb(6).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_EVEN)
    return int(q)


def _zone(name: str, s: str) -> Any:
    """A named zone: UTC spellings, else the system tz database."""
    low = name.lower()
    if low in _UTC_NAMES:
        return 0
    try:
        import zoneinfo  # Python 3.9+
    except ImportError:  # pragma: no cover
        zoneinfo = None  # type: ignore[assignment]
    if zoneinfo is not None:
        cands = [name]
        if len(name) < 64:
            real = _zone_names().get(low)
            if real is not None:
                cands.append(real)
        for cand in cands:
            try:
                return zoneinfo.ZoneInfo(cand)
            except Exception:  # not found, or not a valid key
                continue
    if "/" in name:
        raise ParamError("22023", 'time zone "%s" not recognized' % (low,))
    return None


_ZONE_NAMES: Optional[Dict[str, str]] = None


def _zone_names() -> Dict[str, str]:
    """Lower-case -> real tz database names (PostgreSQL matches zone names
    case-insensitively); built once, on first need."""
    global _ZONE_NAMES
    if _ZONE_NAMES is None:
        names: Dict[str, str] = {}
        try:
            import zoneinfo

            for z in zoneinfo.available_timezones():
                names[z.lower()] = z
        except Exception:  # pragma: no cover - no tz database
            pass
        _ZONE_NAMES = names
    return _ZONE_NAMES


def _parse_dt(s: str, kind: str) -> _DT:
    """Parse the ISO-style literals clients send: ``YYYY-MM-DD``,
    ``YYYYMMDD``, ``HH:MM[:SS[.f]]``, ``T`` or space between them, and a zone
    (``Z``, ``+HH[:MM[:SS]]``, ``+HHMM``, ``UTC``, ``Area/City``), plus the
    special words.  PostgreSQL's full free-form parser (month names,
    DMY orders, ...) is not reproduced."""
    typename = _DATETIME_NAMES[kind]
    r = _DT()
    t = s.strip(_WS)
    low = t.lower()
    if low in ("infinity", "+infinity", "-infinity", "epoch", "now", "today",
               "tomorrow", "yesterday", "allballs"):
        r.special = low.lstrip("+")
        return r
    m = _ERA_RE.search(t)
    if m is not None:
        if m.group(1).lower() == "bc":
            r.special = "bc"
            return r
        t = t[:m.start()]
    pos = 0
    n = len(t)
    m = _DATE_RE.match(t)
    if m is not None:
        g = m.groups()
        if g[0] is not None:
            r.date = (int(g[0]), int(g[1]), int(g[2]))
        else:
            r.date = (int(g[3]), int(g[4]), int(g[5]))
        pos = m.end()
        if pos < n and t[pos] == "-":  # "2020-01-01-08": a four-part date
            raise _syntax(typename, s, "22007")
        if pos < n and t[pos] in "Tt":
            pos += 1
            if pos >= n or t[pos] not in "0123456789":
                raise _syntax(typename, s, "22007")
        else:
            while pos < n and t[pos] in _WS:
                pos += 1
    elif kind in ("date", "timestamp", "timestamptz"):
        # only ISO dates are understood (no month names or MDY orders)
        raise _syntax(typename, s, "22007")
    m = _TIME_RE.match(t, pos)
    if m is not None:
        g = m.groups()
        if g[0] is not None:
            h, mi, sec, frac = int(g[0]), int(g[1]), int(g[2] or 0), g[3]
        else:
            h, mi, sec, frac = int(g[4]), int(g[5]), int(g[6] or 0), g[7]
        r.hms = (h, mi, sec, _frac_micros(frac))
        # DecodeTime checks minutes and seconds at once; with a date
        # (DecodeDateTime) the whole clock must also be <= 24:00:00 at once,
        # for time types (DecodeTimeOnly) that check comes last.
        if mi > 59 or sec > 60 or (kind in ("date", "timestamp", "timestamptz") and _clock_overflows(r.hms)):
            raise ParamError("22008", 'date/time field value out of range: "%s"' % (s,))
        pos = m.end()
    if r.date is None and r.hms is None:
        raise _syntax(typename, s, "22007")
    while pos < n and t[pos] in _WS:
        pos += 1
    if pos < n:
        m = _TZ_RE.match(t, pos)
        if m is None:
            raise _syntax(typename, s, "22007")
        if m.group(1) is not None:
            hh = int(m.group(2))
            mm = int(m.group(3) or 0)
            ss = int(m.group(4) or 0)
            if hh > 15 or mm > 59 or ss > 59:
                raise ParamError("22009", 'time zone displacement out of range: "%s"' % (s,))
            off = hh * 3600 + mm * 60 + ss
            r.tz = -off if m.group(1) == "-" else off
        else:
            z = _zone(m.group(5), s)
            if z is None:
                raise _syntax(typename, s, "22007")
            r.tz = z
    # Like DecodeDateTime, range checks on the date and the hour come last.
    if r.date is not None:
        y, mo, d = r.date
        if y == 0 or not 1 <= mo <= 12 or not 1 <= d <= 31:
            raise ParamError("22008", 'date/time field value out of range: "%s"' % (s,))
        if y <= 9999:
            try:
                _dt.date(y, mo, d)
            except ValueError:
                raise ParamError("22008", 'date/time field value out of range: "%s"' % (s,)) from None
    if r.hms is not None and _clock_overflows(r.hms):
        raise ParamError("22008", 'date/time field value out of range: "%s"' % (s,))
    return r


def _clock_overflows(hms: Tuple[int, int, int, int]) -> bool:
    """time_overflows: 24:00:00 is the latest clock reading allowed."""
    h, mi, sec, us = hms
    return h > 24 or ((h * 60 + mi) * 60 + sec) * 1000000 + us > _USECS_PER_DAY


def _special_datetime(r: _DT) -> _dt.datetime:
    """The value of a special word as a UTC wall clock (no session zone)."""
    sp = r.special
    if sp == "epoch":
        return _dt.datetime(1970, 1, 1)
    now = _dt.datetime.now(_UTC).replace(tzinfo=None)
    if sp == "now":
        return now
    today = _dt.datetime(now.year, now.month, now.day)
    if sp == "today":
        return today
    if sp == "tomorrow":
        return today + _dt.timedelta(days=1)
    if sp == "yesterday":
        return today - _dt.timedelta(days=1)
    return _dt.datetime(2000, 1, 1)  # allballs: midnight


def _date_from(r: _DT, s: str) -> _dt.date:
    y, mo, d = r.date  # type: ignore[misc]
    if y > 9999:
        raise ParamError("22008", 'date out of range: "%s"' % (s,))
    return _dt.date(y, mo, d)


def _parse_date(s: str) -> _dt.date:
    r = _parse_dt(s, "date")
    if r.special is not None:
        if r.special == "allballs":
            raise _syntax("date", s, "22007")
        if r.special in ("infinity", "-infinity", "bc"):
            raise ParamError("22008", 'date out of range: "%s"' % (s,))
        return _special_datetime(r).date()
    if r.date is None:
        raise _syntax("date", s, "22007")
    return _date_from(r, s)


def _clock(r: _DT) -> Tuple[int, int]:
    """(extra days, micros of day) for the parsed time; 24:00:00 is a day."""
    h, mi, sec, us = r.hms if r.hms is not None else (0, 0, 0, 0)
    micros = ((h * 60 + mi) * 60 + sec) * 1000000 + us
    return divmod(micros, _USECS_PER_DAY)


def _time_of(micros: int) -> _dt.time:
    sec, us = divmod(micros, 1000000)
    mi, sec = divmod(sec, 60)
    h, mi = divmod(mi, 60)
    return _dt.time(h, mi, sec, us)


def _parse_time(s: str) -> _dt.time:
    r = _parse_dt(s, "time")
    if r.special is not None:
        if r.special in ("now", "allballs"):
            return _special_datetime(r).time()
        raise _syntax("time", s, "22007")
    if r.hms is None:
        raise _syntax("time", s, "22007")
    days, micros = _clock(r)
    if days:  # 24:00:00 is valid in PostgreSQL but not in Python
        raise ParamError("22008", 'date/time field value out of range: "%s"' % (s,))
    return _time_of(micros)


def _parse_timetz(s: str) -> _dt.time:
    """A time with a numeric offset; without one the zone is UTC (the session
    TimeZone is not known here).  Named zones need a date and are refused."""
    r = _parse_dt(s, "timetz")
    if r.special is not None:
        if r.special in ("now", "allballs"):
            return _special_datetime(r).time().replace(tzinfo=_UTC)
        raise _syntax("time with time zone", s, "22007")
    if r.hms is None or (r.tz is not None and not isinstance(r.tz, int)):
        raise _syntax("time with time zone", s, "22007")
    days, micros = _clock(r)
    if days:
        raise ParamError("22008", 'date/time field value out of range: "%s"' % (s,))
    off = r.tz or 0
    tz = _UTC if off == 0 else _dt.timezone(_dt.timedelta(seconds=off))
    return _time_of(micros).replace(tzinfo=tz)


def _naive_timestamp(r: _DT, s: str) -> _dt.datetime:
    y, mo, d = r.date  # type: ignore[misc]
    if y > 9999:
        raise ParamError("22008", 'timestamp out of range: "%s"' % (s,))
    days, micros = _clock(r)
    try:
        return _dt.datetime(y, mo, d) + _dt.timedelta(days=days, microseconds=micros)
    except OverflowError:
        raise ParamError("22008", 'timestamp out of range: "%s"' % (s,)) from None


def _parse_timestamp(s: str) -> _dt.datetime:
    """A naive datetime; a zone in the text is checked but ignored, as
    PostgreSQL's timestamp_in does."""
    r = _parse_dt(s, "timestamp")
    if r.special is not None:
        if r.special in ("infinity", "-infinity", "bc"):
            raise ParamError("22008", 'timestamp out of range: "%s"' % (s,))
        if r.special == "allballs":
            raise _syntax("timestamp", s, "22007")
        return _special_datetime(r)
    if r.date is None:
        raise _syntax("timestamp", s, "22007")
    return _naive_timestamp(r, s)


def _parse_timestamptz(s: str) -> _dt.datetime:
    """An aware datetime in UTC.  Text without a zone is taken as UTC: the
    session TimeZone is not known here (clients normally send offsets)."""
    r = _parse_dt(s, "timestamptz")
    if r.special is not None:
        if r.special in ("infinity", "-infinity", "bc"):
            raise ParamError("22008", 'timestamp out of range: "%s"' % (s,))
        if r.special == "allballs":
            raise _syntax("timestamp with time zone", s, "22007")
        return _special_datetime(r).replace(tzinfo=_UTC)
    if r.date is None:
        raise _syntax("timestamp with time zone", s, "22007")
    local = _naive_timestamp(r, s)
    tz = r.tz
    try:
        if tz is None or tz == 0:
            return local.replace(tzinfo=_UTC)
        if isinstance(tz, int):
            return (local - _dt.timedelta(seconds=tz)).replace(tzinfo=_UTC)
        return local.replace(tzinfo=tz).astimezone(_UTC)
    except OverflowError:
        raise ParamError("22008", 'timestamp out of range: "%s"' % (s,)) from None


def _recv_date(data: bytes, encoding: str) -> _dt.date:
    _need(data, 4)
    days = _I32.unpack(data)[0]
    if days == 0x7FFFFFFF:
        raise ParamError("22008", 'date out of range: "infinity"')
    if days == -0x80000000:
        raise ParamError("22008", 'date out of range: "-infinity"')
    try:
        return _dt.date.fromordinal(days + _PG_EPOCH_ORDINAL)
    except (ValueError, OverflowError):
        raise ParamError("22008", "date out of range") from None


def _recv_time(data: bytes, encoding: str) -> _dt.time:
    _need(data, 8)
    micros = _I64.unpack(data)[0]
    if not 0 <= micros < _USECS_PER_DAY:
        raise ParamError("22008", "time out of range")
    return _time_of(micros)


def _recv_timetz(data: bytes, encoding: str) -> _dt.time:
    _need(data, 12)
    micros, zone = struct.unpack(">qi", data)
    if not 0 <= micros < _USECS_PER_DAY:
        raise ParamError("22008", "time out of range")
    if not -_TZDISP_LIMIT < zone < _TZDISP_LIMIT:
        raise ParamError("22009", "time zone displacement out of range")
    tz = _UTC if zone == 0 else _dt.timezone(_dt.timedelta(seconds=-zone))
    return _time_of(micros).replace(tzinfo=tz)


def _timestamp_from_micros(micros: int) -> _dt.datetime:
    if micros == 0x7FFFFFFFFFFFFFFF:
        raise ParamError("22008", 'timestamp out of range: "infinity"')
    if micros == -0x8000000000000000:
        raise ParamError("22008", 'timestamp out of range: "-infinity"')
    try:
        return _PG_EPOCH + _dt.timedelta(microseconds=micros)
    except OverflowError:
        raise ParamError("22008", "timestamp out of range") from None


def _recv_timestamp(data: bytes, encoding: str) -> _dt.datetime:
    _need(data, 8)
    return _timestamp_from_micros(_I64.unpack(data)[0])


def _recv_timestamptz(data: bytes, encoding: str) -> _dt.datetime:
    _need(data, 8)
    return _timestamp_from_micros(_I64.unpack(data)[0]).replace(tzinfo=_UTC)


# ---------------------------------------------------------------------------
# interval
# ---------------------------------------------------------------------------


def _interval_timedelta(months: int, days: int, micros: int) -> _dt.timedelta:
    """Fold months into days: whole years as YEAR_DAYS, the rest as
    MONTH_DAYS each (sign-symmetric, so -1 mon is -30 days)."""
    if months:
        sign = -1 if months < 0 else 1
        y, mo = divmod(abs(months), 12)
        days += sign * (y * YEAR_DAYS + mo * MONTH_DAYS)
    try:
        return _dt.timedelta(days=days, microseconds=micros)
    except OverflowError:
        raise ParamError("22008", "interval out of range") from None


def _recv_interval(data: bytes, encoding: str) -> _dt.timedelta:
    _need(data, 16)
    micros, days, months = struct.unpack(">qii", data)
    return _interval_timedelta(months, days, micros)


# -- PostgreSQL 15's interval_in, ported: ParseDateTime splits the text into
# typed fields, DecodeInterval reads them right to left (a unit word applies
# to the number on its left), and DecodeISO8601Interval is the fallback.
# The quirks are kept on purpose so results match the server: fractions use
# C double arithmetic, a time field *replaces* the microseconds gathered so
# far, repeated unit words are allowed but repeated fields are not.

_IV_BAD = 1  # DTERR_BAD_FORMAT
_IV_OVERFLOW = 2  # DTERR_FIELD_OVERFLOW

# field types from ParseDateTime
_F_NUMBER, _F_STRING, _F_DATE, _F_TIME, _F_TZ, _F_SPECIAL = range(6)

# units (DTK_*), doubling as fmask bits
_U_MICRO, _U_MILLI, _U_SECOND, _U_MINUTE, _U_HOUR, _U_DAY, _U_WEEK, _U_MONTH, \
    _U_YEAR, _U_DECADE, _U_CENTURY, _U_MILLENNIUM = (1 << i for i in range(12))
_U_ALL_SECS = _U_MICRO | _U_MILLI | _U_SECOND
_U_TIME = _U_HOUR | _U_MINUTE | _U_ALL_SECS
_U_AGO = -1

# deltatktbl (looked up after truncation to TOKMAXLEN = 10 characters)
_IV_UNITS: Dict[str, int] = {"ago": _U_AGO}
for _names, _unit in (
    (("c", "cent", "centuries", "century"), _U_CENTURY),
    (("d", "day", "days"), _U_DAY),
    (("dec", "decade", "decades", "decs"), _U_DECADE),
    (("h", "hour", "hours", "hr", "hrs"), _U_HOUR),
    (("m", "min", "mins", "minute", "minutes"), _U_MINUTE),
    (("microsecon", "us", "usec", "usecond", "useconds", "usecs"), _U_MICRO),
    (("mil", "millennia", "millennium", "mils"), _U_MILLENNIUM),
    (("millisecon", "ms", "msec", "msecond", "mseconds", "msecs"), _U_MILLI),
    (("mon", "mons", "month", "months"), _U_MONTH),
    (("s", "sec", "second", "seconds", "secs"), _U_SECOND),
    (("w", "week", "weeks"), _U_WEEK),
    (("y", "year", "years", "yr", "yrs"), _U_YEAR),
):
    for _n in _names:
        _IV_UNITS[_n] = _unit
del _names, _unit, _n

# datetktbl keywords: a word followed by a digit or '+' stays a word only if
# it is one of these (ParseDateTime's timezone-name heuristic)
_DATE_KEYWORDS = frozenset((
    "-infinity ad allballs am apr april at aug august bc d dec december dow doy dst "
    "epoch feb february fri friday h infinity isodow isoyear j jan january jd jul "
    "julian july jun june m mar march may mm mon monday nov november now oct october "
    "on pm s sat saturday sep sept september sun sunday t thu thur thurs thursday "
    "today tomorrow tue tues tuesday wed wednesday weds y yesterday").split())

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
_USECS_PER_HOUR = 3600 * 1000000
_USECS_PER_MINUTE = 60 * 1000000
_LEADING_INT_RE = re.compile(r"[+-]?[0-9]*")
_FRACTION_RE = re.compile(r"\.[0-9]+(?:[eE][+-]?[0-9]+)?")
_FRACTION_DIGITS_RE = re.compile(r"\.[0-9]*")  # "1:30." is accepted
_ASCII_DIGITS = frozenset("0123456789")
_ASCII_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


class _IvFail(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _iv_split(s: str) -> List[Tuple[int, str]]:
    """ParseDateTime, restricted to what interval input can contain."""
    fields: List[Tuple[int, str]] = []
    i = 0
    n = len(s)
    digits = _ASCII_DIGITS
    alpha = _ASCII_ALPHA
    while i < n:
        c = s[i]
        if c in _WS:
            i += 1
            continue
        j = i + 1
        if c in digits:
            while j < n and s[j] in digits:
                j += 1
            if j < n and s[j] == ":":
                ftype = _F_TIME
                j += 1
                while j < n and (s[j] in digits or s[j] in ":."):
                    j += 1
            elif j < n and s[j] in "-/.":
                delim = s[j]
                j += 1
                if j < n and s[j] in digits:
                    ftype = _F_NUMBER if delim == "." else _F_DATE
                    while j < n and s[j] in digits:
                        j += 1
                    if j < n and s[j] == delim:
                        ftype = _F_DATE
                        j += 1
                        while j < n and (s[j] in digits or s[j] == delim):
                            j += 1
                else:
                    ftype = _F_DATE
                    while j < n and (s[j] in digits or s[j] in alpha or s[j] == delim):
                        j += 1
            else:
                ftype = _F_NUMBER
            fields.append((ftype, s[i:j].lower()))
        elif c == ".":
            while j < n and s[j] in digits:
                j += 1
            fields.append((_F_NUMBER, s[i:j]))
        elif c in alpha:
            while j < n and s[j] in alpha:
                j += 1
            word = s[i:j].lower()
            is_date = False
            if j < n and s[j] in "-/.":
                is_date = True
            elif j < n and (s[j] == "+" or s[j] in digits) and word not in _DATE_KEYWORDS:
                is_date = True
            if is_date:
                j += 1
                while j < n and (s[j] in "+-/_.:" or s[j] in digits or s[j] in alpha):
                    j += 1
                fields.append((_F_DATE, s[i:j].lower()))
            else:
                fields.append((_F_STRING, word))
        elif c in "+-":
            while j < n and s[j] in _WS:
                j += 1
            if j < n and s[j] in digits:
                k = j + 1
                while k < n and (s[k] in digits or s[k] in ":.-"):
                    k += 1
                fields.append((_F_TZ, c + s[j:k]))
                j = k
            elif j < n and s[j] in alpha:
                k = j + 1
                while k < n and s[k] in alpha:
                    k += 1
                fields.append((_F_SPECIAL, c + s[j:k].lower()))
                j = k
            else:
                raise _IvFail(_IV_BAD)
        elif c in _ASCII_PUNCT:
            pass  # other punctuation (``@``, ``,``) only delimits
        else:
            raise _IvFail(_IV_BAD)
        i = j
    return fields


class _Itm:
    """pg_itm_in: the interval being built."""

    __slots__ = ("usec", "mday", "mon", "year")

    def __init__(self) -> None:
        self.usec = 0
        self.mday = 0
        self.mon = 0
        self.year = 0

    def _add_usec(self, v: int) -> None:
        v += self.usec
        if not _INT64_MIN <= v <= _INT64_MAX:
            raise _IvFail(_IV_OVERFLOW)
        self.usec = v

    def fract_usec(self, frac: float, scale: int) -> None:
        """AdjustFractMicroseconds: truncate, then round only beyond .5."""
        if frac == 0:
            return
        frac *= scale
        usec = int(frac)
        frac -= usec
        if frac > 0.5:
            usec += 1
        elif frac < -0.5:
            usec -= 1
        self._add_usec(usec)

    def micros(self, val: int, frac: float, scale: int) -> None:
        self._add_usec(val * scale)
        self.fract_usec(frac, scale)

    def days(self, val: int, scale: int) -> None:
        if not _INT32_MIN <= val <= _INT32_MAX:
            raise _IvFail(_IV_OVERFLOW)
        v = self.mday + val * scale
        if not (_INT32_MIN <= val * scale <= _INT32_MAX and _INT32_MIN <= v <= _INT32_MAX):
            raise _IvFail(_IV_OVERFLOW)
        self.mday = v

    def fract_days(self, frac: float, scale: int) -> None:
        if frac == 0:
            return
        frac *= scale
        extra = int(frac)
        self.days(extra, 1)
        self.fract_usec(frac - extra, _USECS_PER_DAY)

    def months(self, val: int) -> None:
        if not _INT32_MIN <= val <= _INT32_MAX:
            raise _IvFail(_IV_OVERFLOW)
        v = self.mon + val
        if not _INT32_MIN <= v <= _INT32_MAX:
            raise _IvFail(_IV_OVERFLOW)
        self.mon = v

    def years(self, val: int, scale: int) -> None:
        if not _INT32_MIN <= val <= _INT32_MAX:
            raise _IvFail(_IV_OVERFLOW)
        y = val * scale
        v = self.year + y
        if not (_INT32_MIN <= y <= _INT32_MAX and _INT32_MIN <= v <= _INT32_MAX):
            raise _IvFail(_IV_OVERFLOW)
        self.year = v

    def fract_years(self, frac: float, scale: int) -> None:
        self.months(int(round(frac * scale * 12)))


def _strtoi64(text: str) -> Tuple[int, str]:
    """strtoi64(text, &rest, 10): leading integer (0 if none) and the rest."""
    m = _LEADING_INT_RE.match(text)
    num = m.group(0)  # type: ignore[union-attr]
    if num.lstrip("+-") == "":
        return 0, text
    v = int(num)
    if not _INT64_MIN <= v <= _INT64_MAX:
        raise _IvFail(_IV_OVERFLOW)
    return v, text[len(num):]


def _strtod_fraction(text: str) -> float:
    """ParseFraction: ``.`` alone is 0, otherwise the whole rest must be a
    number strtod accepts."""
    if text == ".":
        return 0.0
    if _FRACTION_RE.fullmatch(text) is None:
        raise _IvFail(_IV_BAD)
    return float(text)


def _iv_time(text: str) -> int:
    """DecodeTimeForInterval: ``h:m``, ``h:m:s[.f]`` or ``m:s.f`` -> usec."""
    h, rest = _strtoi64(text)
    if not rest.startswith(":"):
        raise _IvFail(_IV_BAD)
    m = _LEADING_INT_RE.match(rest, 1)
    mtext = m.group(0)  # type: ignore[union-attr]
    mi = int(mtext) if mtext.lstrip("+-") else 0
    rest = rest[1 + len(mtext):]
    fsec = 0
    if rest == "":
        sec = 0
    elif rest[0] == ".":
        fsec = _frac_second(rest)
        sec, mi, h = mi, h, 0
    elif rest[0] == ":":
        m = _LEADING_INT_RE.match(rest, 1)
        stext = m.group(0)  # type: ignore[union-attr]
        sec = int(stext) if stext.lstrip("+-") else 0
        rest = rest[1 + len(stext):]
        if rest.startswith("."):
            fsec = _frac_second(rest)
        elif rest:
            raise _IvFail(_IV_BAD)
    else:
        raise _IvFail(_IV_BAD)
    if h < 0 or mi < 0 or mi > 59 or sec < 0 or sec > 60 or fsec < 0 or fsec > 1000000:
        raise _IvFail(_IV_OVERFLOW)
    usec = fsec + h * _USECS_PER_HOUR + mi * _USECS_PER_MINUTE + sec * 1000000
    if usec > _INT64_MAX:
        raise _IvFail(_IV_OVERFLOW)
    return usec


def _frac_second(text: str) -> int:
    """ParseFractionalSecond: strtod must take all of it; rint(frac * 1e6)."""
    if _FRACTION_DIGITS_RE.fullmatch(text) is None:
        raise _IvFail(_IV_BAD)
    return int(round(float(text + "0") * 1000000))


def _decode_interval(fields: List[Tuple[int, str]]) -> _Itm:
    itm = _Itm()
    fmask = 0
    unit = 0  # IGNORE_DTF: the rightmost bare number is seconds
    is_before = False
    for ftype, text in reversed(fields):
        tmask = 0
        if ftype == _F_TZ and ":" in text[1:]:
            try:
                usec = _iv_time(text[1:])
            except _IvFail:
                usec = None  # falls through to the number rules, which reject it
            if usec is not None:
                itm.usec = -usec if text[0] == "-" else usec
                tmask = _U_TIME
                unit = _U_DAY
                ftype = -1
        if ftype == _F_TIME:
            itm.usec = _iv_time(text)
            tmask = _U_TIME
            unit = _U_DAY
        elif ftype in (_F_TZ, _F_DATE, _F_NUMBER):
            if unit == 0:
                unit = _U_SECOND
            val, rest = _strtoi64(text)
            if rest.startswith("-"):  # SQL "years-months"
                m = _LEADING_INT_RE.match(rest, 1)
                mtext = m.group(0)  # type: ignore[union-attr]
                val2 = int(mtext) if mtext.lstrip("+-") else 0
                if val2 < 0 or val2 >= 12:
                    raise _IvFail(_IV_OVERFLOW)
                if rest[1 + len(mtext):]:
                    raise _IvFail(_IV_BAD)
                unit = _U_MONTH
                if text[0] == "-":
                    val2 = -val2
                val = val * 12 + val2
                if not _INT64_MIN <= val <= _INT64_MAX:
                    raise _IvFail(_IV_OVERFLOW)
                fval = 0.0
            elif rest.startswith("."):
                fval = _strtod_fraction(rest)
                if text[0] == "-":
                    fval = -fval
            elif rest == "":
                fval = 0.0
            else:
                raise _IvFail(_IV_BAD)
            if unit == _U_MICRO:
                itm.micros(val, fval, 1)
                tmask = _U_MICRO
            elif unit == _U_MILLI:
                itm.micros(val, fval, 1000)
                tmask = _U_MILLI
            elif unit == _U_SECOND:
                itm.micros(val, fval, 1000000)
                tmask = _U_SECOND if fval == 0 else _U_ALL_SECS
            elif unit == _U_MINUTE:
                itm.micros(val, fval, _USECS_PER_MINUTE)
                tmask = _U_MINUTE
            elif unit == _U_HOUR:
                itm.micros(val, fval, _USECS_PER_HOUR)
                tmask = _U_HOUR
                unit = _U_DAY
            elif unit == _U_DAY:
                itm.days(val, 1)
                itm.fract_usec(fval, _USECS_PER_DAY)
                tmask = _U_DAY
            elif unit == _U_WEEK:
                itm.days(val, 7)
                itm.fract_days(fval, 7)
                tmask = _U_WEEK
            elif unit == _U_MONTH:
                itm.months(val)
                itm.fract_days(fval, MONTH_DAYS)
                tmask = _U_MONTH
            elif unit in (_U_YEAR, _U_DECADE, _U_CENTURY, _U_MILLENNIUM):
                scale = {_U_YEAR: 1, _U_DECADE: 10, _U_CENTURY: 100, _U_MILLENNIUM: 1000}[unit]
                itm.years(val, scale)
                itm.fract_years(fval, scale)
                tmask = unit
            else:  # e.g. the number left of "ago"
                raise _IvFail(_IV_BAD)
        elif ftype in (_F_STRING, _F_SPECIAL):
            u = _IV_UNITS.get(text[:10])
            if u is None:
                raise _IvFail(_IV_BAD)
            if u == _U_AGO:
                is_before = True
                unit = -2  # no unit: a number here is an error
            else:
                unit = u
        if tmask & fmask:
            raise _IvFail(_IV_BAD)
        fmask |= tmask
    if fmask == 0:
        raise _IvFail(_IV_BAD)
    if is_before:
        itm.usec, itm.mday, itm.mon, itm.year = -itm.usec, -itm.mday, -itm.mon, -itm.year
    return itm


_ISO_NUMBER_RE = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _iso_number(s: str, pos: int) -> Tuple[int, float, int]:
    """ParseISO8601Number: (integer part, fraction, end position)."""
    if pos >= len(s) or not (s[pos] in _ASCII_DIGITS or s[pos] in "-."):
        raise _IvFail(_IV_BAD)
    m = _ISO_NUMBER_RE.match(s, pos)
    if m is None:
        raise _IvFail(_IV_BAD)
    v = float(m.group(0))
    if v != v or not -1.0e15 <= v <= 1.0e15:
        raise _IvFail(_IV_OVERFLOW)
    ipart = int(v)  # truncates toward zero
    return ipart, v - ipart, m.end()


def _decode_iso_interval(s: str) -> _Itm:
    """DecodeISO8601Interval: ``P[n]Y[n]M[n]W[n]D[T[n]H[n]M[n]S]`` in any
    order and repetition, plus the alternative ``PYYYY-MM-DDTHH:MM:SS``
    and ``PYYYYMMDDTHHMMSS`` forms."""
    if len(s) < 2 or s[0] != "P":
        raise _IvFail(_IV_BAD)
    itm = _Itm()
    datepart = True
    havefield = False
    pos = 1
    n = len(s)
    while pos < n:
        if s[pos] == "T":
            datepart = False
            havefield = False
            pos += 1
            continue
        start = pos
        val, fval, pos = _iso_number(s, pos)
        unit = s[pos] if pos < n else ""
        pos += 1
        width = len(s[start:].lstrip("-")) - len(s[start:].lstrip("-").lstrip("0123456789"))
        if datepart:
            if unit == "Y":
                itm.years(val, 1)
                itm.fract_years(fval, 1)
            elif unit == "M":
                itm.months(val)
                itm.fract_days(fval, MONTH_DAYS)
            elif unit == "W":
                itm.days(val, 7)
                itm.fract_days(fval, 7)
            elif unit == "D":
                itm.days(val, 1)
                itm.fract_usec(fval, _USECS_PER_DAY)
            elif unit in ("T", "", "-"):
                if unit != "-" and width == 8 and not havefield:
                    sign = -1 if val < 0 else 1  # C division truncates toward zero
                    a = abs(val)
                    itm.years(sign * (a // 10000), 1)
                    itm.months(sign * ((a // 100) % 100))
                    itm.days(sign * (a % 100), 1)
                    itm.fract_usec(fval, _USECS_PER_DAY)
                    if unit == "":
                        return itm
                    datepart = False
                    havefield = False
                    continue
                if havefield:
                    raise _IvFail(_IV_BAD)
                itm.years(val, 1)
                itm.fract_years(fval, 1)
                if unit == "":
                    return itm
                if unit == "T":
                    datepart = False
                    havefield = False
                    continue
                val, fval, pos = _iso_number(s, pos)
                itm.months(val)
                itm.fract_days(fval, MONTH_DAYS)
                if pos >= n:
                    return itm
                if s[pos] == "T":
                    datepart = False
                    havefield = False
                    pos += 1
                    continue
                if s[pos] != "-":
                    raise _IvFail(_IV_BAD)
                val, fval, pos = _iso_number(s, pos + 1)
                itm.days(val, 1)
                itm.fract_usec(fval, _USECS_PER_DAY)
                if pos >= n:
                    return itm
                if s[pos] == "T":
                    datepart = False
                    havefield = False
                    pos += 1
                    continue
                raise _IvFail(_IV_BAD)
            else:
                raise _IvFail(_IV_BAD)
        else:
            if unit == "H":
                itm.micros(val, fval, _USECS_PER_HOUR)
            elif unit == "M":
                itm.micros(val, fval, _USECS_PER_MINUTE)
            elif unit == "S":
                itm.micros(val, fval, 1000000)
            elif unit in ("", ":"):
                if unit == "" and width == 6 and not havefield:
                    sign = -1 if val < 0 else 1
                    a = abs(val)
                    itm.micros(sign * (a // 10000), 0.0, _USECS_PER_HOUR)
                    itm.micros(sign * ((a // 100) % 100), 0.0, _USECS_PER_MINUTE)
                    itm.micros(sign * (a % 100), 0.0, 1000000)
                    itm.fract_usec(fval, 1)
                    return itm
                if havefield:
                    raise _IvFail(_IV_BAD)
                itm.micros(val, fval, _USECS_PER_HOUR)
                if unit == "":
                    return itm
                val, fval, pos = _iso_number(s, pos)
                itm.micros(val, fval, _USECS_PER_MINUTE)
                if pos >= n:
                    return itm
                if s[pos] != ":":
                    raise _IvFail(_IV_BAD)
                val, fval, pos = _iso_number(s, pos + 1)
                itm.micros(val, fval, 1000000)
                if pos >= n:
                    return itm
                raise _IvFail(_IV_BAD)
            else:
                raise _IvFail(_IV_BAD)
        havefield = True
    return itm


def _parse_interval(s: str) -> _dt.timedelta:
    """interval_in: PostgreSQL style (``1 day 02:03:04.5``, ``-1 days
    +23:59:59``, ``3 mons``, ``1 year 2 mons ago``, ``@ 1 hour``), SQL
    standard (``1-2``, ``1 2:03:04``) and ISO 8601 (``P1DT2H``,
    ``P0001-02-03T04:05:06``), with PostgreSQL's errors.

    A timedelta has no months: whole years count YEAR_DAYS (365) days and
    remaining months MONTH_DAYS (30), see :data:`MONTH_DAYS`.
    """
    try:
        try:
            itm = _decode_interval(_iv_split(s))
        except _IvFail as exc:
            if exc.code != _IV_BAD:
                raise
            itm = _decode_iso_interval(s)
    except _IvFail as exc:
        if exc.code == _IV_OVERFLOW:
            raise ParamError("22015", 'interval field value out of range: "%s"' % (s,)) from None
        raise _syntax("interval", s, "22007") from None
    months = itm.year * 12 + itm.mon
    if not _INT32_MIN <= months <= _INT32_MAX:
        raise ParamError("22008", "interval out of range")
    return _interval_timedelta(months, itm.mday, itm.usec)


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


# ---------------------------------------------------------------------------
# dispatch tables
# ---------------------------------------------------------------------------

_TEXT_PARSERS: Dict[int, Callable[[str], Any]] = {
    pgtypes.BOOL.oid: _parse_bool,
    pgtypes.INT2.oid: _parse_int2,
    pgtypes.INT4.oid: _parse_int4,
    pgtypes.INT8.oid: _parse_int8,
    pgtypes.OID.oid: _parse_oid,
    pgtypes.FLOAT4.oid: _parse_float4,
    pgtypes.FLOAT8.oid: _parse_float8,
    pgtypes.NUMERIC.oid: _parse_numeric,
    pgtypes.TEXT.oid: _parse_text,
    pgtypes.VARCHAR.oid: _parse_text,
    pgtypes.BPCHAR.oid: _parse_text,
    pgtypes.UNKNOWN.oid: _parse_text,
    pgtypes.NAME.oid: _parse_name,
    pgtypes.CHAR.oid: _parse_char,
    pgtypes.BYTEA.oid: _parse_bytea,
    pgtypes.JSON.oid: _parse_json,
    pgtypes.JSONB.oid: _parse_jsonb,
    pgtypes.UUID.oid: _parse_uuid,
    pgtypes.DATE.oid: _parse_date,
    pgtypes.TIME.oid: _parse_time,
    pgtypes.TIMETZ.oid: _parse_timetz,
    pgtypes.TIMESTAMP.oid: _parse_timestamp,
    pgtypes.TIMESTAMPTZ.oid: _parse_timestamptz,
    pgtypes.INTERVAL.oid: _parse_interval,
}

_BINARY_DECODERS: Dict[int, Callable[[bytes, str], Any]] = {
    0: _recv_text,  # unspecified type: PostgreSQL's unknownrecv is textual
    pgtypes.BOOL.oid: _recv_bool,
    pgtypes.INT2.oid: _struct_recv(_I16),
    pgtypes.INT4.oid: _struct_recv(_I32),
    pgtypes.INT8.oid: _struct_recv(_I64),
    pgtypes.OID.oid: _struct_recv(_U32),
    pgtypes.FLOAT4.oid: _struct_recv(_F32),
    pgtypes.FLOAT8.oid: _struct_recv(_F64),
    pgtypes.NUMERIC.oid: _recv_numeric,
    pgtypes.TEXT.oid: _recv_text,
    pgtypes.VARCHAR.oid: _recv_text,
    pgtypes.BPCHAR.oid: _recv_text,
    pgtypes.UNKNOWN.oid: _recv_text,
    pgtypes.NAME.oid: _recv_name,
    pgtypes.CHAR.oid: _recv_char,
    pgtypes.BYTEA.oid: _recv_bytea,
    pgtypes.JSON.oid: _recv_json,
    pgtypes.JSONB.oid: _recv_jsonb,
    pgtypes.UUID.oid: _recv_uuid,
    pgtypes.DATE.oid: _recv_date,
    pgtypes.TIME.oid: _recv_time,
    pgtypes.TIMETZ.oid: _recv_timetz,
    pgtypes.TIMESTAMP.oid: _recv_timestamp,
    pgtypes.TIMESTAMPTZ.oid: _recv_timestamptz,
    pgtypes.INTERVAL.oid: _recv_interval,
}


def _make_array_parsers() -> None:
    for t in pgtypes.BY_OID.values():
        if t.elem is None:
            continue
        eoid = t.elem.oid
        ep = _TEXT_PARSERS.get(eoid)
        er = _BINARY_DECODERS.get(eoid)
        if ep is not None:
            _TEXT_PARSERS[t.oid] = (lambda ep: lambda s: _parse_array_text(s, ep))(ep)
        if er is not None:
            _BINARY_DECODERS[t.oid] = (
                lambda eoid, er: lambda d, enc: _recv_array(d, enc, eoid, er)
            )(eoid, er)


_make_array_parsers()


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def decode_param(oid: int, fmt: int, data: Optional[bytes], encoding: str = "utf-8",
                 index: int = 1) -> Any:
    """Decode one Bind parameter value.

    ``data`` None is SQL NULL.  ``fmt`` 0 is text (any OID; an OID without a
    parser yields the str, as PostgreSQL would hand it to the type's input
    function), 1 is binary.  ``index`` is the 1-based parameter number used
    in PostgreSQL's "incorrect binary data format in bind parameter N".
    Raises :class:`ParamError`.
    """
    if data is None:
        return None
    if type(data) is not bytes:  # memoryview / bytearray slices of a message
        data = bytes(data)
    if fmt == 0:
        s = _decode_text(data, encoding)
        parse = _TEXT_PARSERS.get(oid)
        if parse is None:
            return s
        return parse(s)
    if fmt == 1:
        recv = _BINARY_DECODERS.get(oid)
        if recv is None:
            raise ParamError("0A000", "binary format for parameter type %d is not supported" % (oid,))
        try:
            return recv(data, encoding)
        except _Trailing:
            raise ParamError("22P03", "incorrect binary data format in bind parameter %d" % (index,)) from None
    raise ParamError("22023", "unsupported format code: %d" % (fmt,))


def decode_params(oids: Sequence[int], formats: Sequence[int], values: Sequence[Optional[bytes]],
                  encoding: str = "utf-8") -> List[Any]:
    """Decode all parameters of a Bind message.

    Applies Bind's format-code rules: no codes means all text, one code
    applies to every parameter, otherwise one code per parameter.  ``oids``
    shorter than ``values`` leaves the rest unspecified (decoded as text);
    checking the count against the statement is the caller's job.
    """
    n = len(values)
    nf = len(formats)
    if nf > 1 and nf != n:
        raise ParamError("08P01", "bind message has %d parameter formats but %d parameters" % (nf, n))
    out: List[Any] = []
    noids = len(oids)
    for i in range(n):
        fmt = 0 if nf == 0 else (formats[0] if nf == 1 else formats[i])
        oid = oids[i] if i < noids else 0
        out.append(decode_param(oid, fmt, values[i], encoding, i + 1))
    return out


# ---------------------------------------------------------------------------
# parameter type inference
# ---------------------------------------------------------------------------

_IDENT_START = r"A-Za-z_\u0080-\U0010ffff"
_SCAN_RE = re.compile(
    r"(?P<ws>[ \t\n\r\v\f]+)"
    r"|(?P<lc>--[^\n]*)"
    r"|(?P<bc>/\*)"
    r"|(?P<es>[eE]')"
    r"|(?P<sq>')"
    r"|(?P<dq>\")"
    r"|(?P<param>\$[0-9]+)"
    r"|(?P<dol>\$(?:[%s][%s0-9]*)?\$)" % (_IDENT_START, _IDENT_START)
    + r"|(?P<id>[%s][%s0-9$]*)" % (_IDENT_START, _IDENT_START)
    + r"|(?P<num>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<op>::|.)",
    re.S,
)
_SQ_BODY = re.compile(r"[^']*(?:''[^']*)*'")
_ES_BODY = re.compile(r"[^'\\]*(?:(?:\\.|'')[^'\\]*)*'", re.S)
_DQ_BODY = re.compile(r'[^"]*(?:""[^"]*)*"')
_COMMENT_EDGE = re.compile(r"/\*|\*/")
_MAX_PARAMS = 65535  # Bind's parameter count is an int16


def _skip_block_comment(sql: str, pos: int) -> int:
    """``pos`` is just after ``/*``; comments nest in PostgreSQL."""
    depth = 1
    while depth:
        m = _COMMENT_EDGE.search(sql, pos)
        if m is None:
            return len(sql)
        depth += 1 if m.group(0) == "/*" else -1
        pos = m.end()
    return pos


def _token(sql: str, pos: int) -> Tuple[Optional[str], str, int]:
    """Next significant token from ``pos``: (kind, text, end); strings,
    quoted identifiers and dollar quotes are whole tokens; comments and
    whitespace are skipped.  kind is None at the end of input."""
    n = len(sql)
    while pos < n:
        m = _SCAN_RE.match(sql, pos)
        kind = m.lastgroup  # type: ignore[union-attr]
        end = m.end()  # type: ignore[union-attr]
        if kind in ("ws", "lc"):
            pos = end
            continue
        if kind == "bc":
            pos = _skip_block_comment(sql, end)
            continue
        if kind in ("sq", "es", "dq"):
            body = {"sq": _SQ_BODY, "es": _ES_BODY, "dq": _DQ_BODY}[kind].match(sql, end)
            stop = body.end() if body is not None else n
            return kind, sql[pos:stop], stop
        if kind == "dol":
            tag = m.group(0)  # type: ignore[union-attr]
            close = sql.find(tag, end)
            stop = n if close < 0 else close + len(tag)
            return "str", sql[pos:stop], stop
        return kind, m.group(0), end  # type: ignore[union-attr]
    return None, "", n


def _parse_cast_type(sql: str, pos: int) -> Optional[str]:
    """Read a type name after ``::`` or ``AS``; returns a spec string for
    pgtypes.type_from_name, or None if it does not look like a type."""
    kind, text, pos = _token(sql, pos)
    if kind == "id":
        name = text.lower()
    elif kind == "dq":
        name = text.replace('""', '"')
        if name != '"char"':
            name = name[1:-1]
    else:
        return None
    k2, t2, p2 = _token(sql, pos)
    if k2 == "op" and t2 == ".":
        k3, t3, p3 = _token(sql, p2)
        if k3 != "id":
            return None
        name, pos = t3.lower(), p3
        k2, t2, p2 = _token(sql, pos)
    if name == "int":  # SQL's int is int4 (riffq's schema vocabulary says int8)
        name = "integer"
    if k2 == "id":
        w = t2.lower()
        if (name == "double" and w == "precision") or (name in ("character", "char") and w == "varying"):
            name += " " + w
            pos = p2
            k2, t2, p2 = _token(sql, pos)
    if k2 == "op" and t2 == "(":
        mods = []
        p = p2
        while True:
            k, t, p = _token(sql, p)
            if k == "op" and t == ")":
                break
            if k == "num" or (k == "op" and t in ",+-"):
                mods.append(t)
                continue
            return None
        name += "(" + "".join(mods) + ")"
        pos = p
        k2, t2, p2 = _token(sql, pos)
    if name.split("(")[0] in ("time", "timestamp") and k2 == "id" and t2.lower() in ("with", "without"):
        ka, ta, pa = _token(sql, p2)
        kb, tb, pb = _token(sql, pa)
        if ka == "id" and ta.lower() == "time" and kb == "id" and tb.lower() == "zone":
            name += " %s time zone" % t2.lower()
            pos = pb
            k2, t2, p2 = _token(sql, pos)
    while True:
        if k2 == "op" and t2 == "[":
            k, t, p = _token(sql, p2)
            if k == "num":
                k, t, p = _token(sql, p)
            if not (k == "op" and t == "]"):
                break
            name += "[]"
            pos = p
        elif k2 == "id" and t2.lower() == "array":
            name += "[]"
            pos = p2
        else:
            break
        k2, t2, p2 = _token(sql, pos)
    return name


def _resolve(spec: Optional[str]) -> Optional[int]:
    if spec is None:
        return None
    try:
        return pgtypes.type_from_name(spec).oid
    except ValueError:
        return None


def infer_param_types(sql: str, declared: Sequence[int]) -> List[int]:
    """Parameter type OIDs for a statement, as ParameterDescription needs.

    Declared (non-zero) OIDs from Parse win.  Otherwise a ``$n`` that is
    immediately cast (``$1::int``, ``CAST($2 AS timestamptz)``) gets the cast
    type; anything else is text (25), which every client can send.  Quotes,
    dollar quotes and comments are skipped; one linear pass.  References
    above 65535 (more than Bind can carry) are ignored.
    """
    found: Dict[int, int] = {}
    top = 0
    pos = 0
    prev1 = prev2 = ""
    while True:
        kind, text, end = _token(sql, pos)
        if kind is None:
            break
        if kind == "param":
            num = int(text[1:])
            if 1 <= num <= _MAX_PARAMS:
                if num > top:
                    top = num
                if num not in found:
                    oid = None
                    k, t, p = _token(sql, end)
                    if prev2 == "cast" and prev1 == "(":
                        if k == "id" and t.lower() == "as":
                            oid = _resolve(_parse_cast_type(sql, p))
                    elif k == "op" and t == "::":
                        oid = _resolve(_parse_cast_type(sql, p))
                    if oid is not None:
                        found[num] = oid
        prev2, prev1 = prev1, (text.lower() if kind == "id" else text)
        pos = end
    n = max(top, len(declared))
    out = []
    for i in range(n):
        d = declared[i] if i < len(declared) else 0
        out.append(d if d else found.get(i + 1, pgtypes.TEXT.oid))
    return out
