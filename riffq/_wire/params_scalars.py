"""Bind parameter decoders for the scalar types: bool, integers, floats,
numeric, the character types, bytea, json/jsonb and uuid.

Each type has a text parser (PostgreSQL 15's ``*_in``) and a binary decoder
(``*_recv``) side by side, because both must reject the same values with the
same SQLSTATE and share the range checks; :mod:`.params` maps OIDs to them.
"""
from __future__ import annotations

import decimal
import json
import re
import struct
import uuid
from typing import Any, Callable

from .binconst import F32 as _F32
from .params_base import ParamError, _Trailing, _WS, _decode_text, _need, _syntax
from .session_sql_lexer import truncate_identifier

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


#: namein truncates to NAMEDATALEN-1 (63) bytes, on a character boundary
_parse_name = truncate_identifier


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
