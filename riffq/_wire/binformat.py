"""Binary output format ("send" functions) for result columns.

A client may ask, per result column, for PostgreSQL's binary representation
instead of text (psycopg's ``binary=True``, JDBC for some types, asyncpg
always).  Each encoder produced here must emit exactly the bytes PostgreSQL's
own ``*_send`` function would, because clients decode them with fixed-layout
readers and a single wrong byte corrupts the value silently.

Encoders are built once per column (:func:`binary_encoder_for`) and are plain
closures specialised on the type, so encoding a row does no per-value type
dispatch.  They raise :class:`ValueError` for Python values that do not fit
the column type; a ``str`` is never parsed into a non-text type, because
guessing would hide schema mistakes the text path would also report.

Only the standard library is used.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import struct
import uuid
from typing import Any, Callable, Dict, FrozenSet, List, Optional

from . import pgtypes
from .pgtypes import PgType
from .binconst import F32 as _F32, F64 as _F64, I16 as _I16, I32 as _I32, I64 as _I64, U32 as _U32
from .binconst import PG_EPOCH_ORDINAL as _PG_EPOCH_ORDINAL, TZDISP_LIMIT as _TZDISP_LIMIT
from .binconst import USECS_PER_DAY as _USECS_PER_DAY
from .pginterval import PgInterval

__all__ = ["binary_encoder_for", "encode_numeric", "SUPPORTED_BINARY", "BinaryEncoder"]

#: A function turning one non-None value into its binary wire bytes.
BinaryEncoder = Callable[[Any], bytes]


_TIMETZ = struct.Struct(">qi")
_INTERVAL = struct.Struct(">qii")
_NUMERIC_HEAD = struct.Struct(">hhHH")
_ARRAY_HEAD = struct.Struct(">iiI")
_ARRAY_DIM = struct.Struct(">ii")

_NULL_ELEM = b"\xff\xff\xff\xff"

# numeric sign words
_NUMERIC_POS = 0x0000
_NUMERIC_NEG = 0x4000
_NUMERIC_NAN = 0xC000
_NUMERIC_PINF = 0xD000
_NUMERIC_NINF = 0xF000
_NUMERIC_DSCALE_MAX = 0x3FFF
_NUMERIC_WEIGHT_MAX = 0x7FFF


def _type_error(t: PgType, v: Any) -> ValueError:
    return ValueError(
        "cannot encode %s value %r as binary %s" % (type(v).__name__, v, t.name)
    )


# --- integers and floats ----------------------------------------------------


def _struct_encoder(t: PgType, packer: "struct.Struct") -> BinaryEncoder:
    """Encoder for fixed-width numbers; ``struct`` itself rejects bad values.

    ``struct`` raises ``struct.error`` (not a ValueError) for wrong types and
    out-of-range integers, and OverflowError for float4 overflow; both are
    turned into ValueError so callers need to catch a single exception type.
    Strings are rejected explicitly because ``float`` packing would not.
    """
    pack = packer.pack

    def encode(v: Any) -> bytes:
        if isinstance(v, (str, bytes)):
            raise _type_error(t, v)
        try:
            return pack(v)
        except (struct.error, OverflowError, TypeError):
            raise _type_error(t, v) from None

    return encode


def _bool_encoder(t: PgType) -> BinaryEncoder:
    def encode(v: Any) -> bytes:
        if v is True:
            return b"\x01"
        if v is False:
            return b"\x00"
        if isinstance(v, (str, bytes)):
            # "false" would be truthy: refuse rather than guess.
            raise _type_error(t, v)
        return b"\x01" if v else b"\x00"

    return encode


# --- numeric ----------------------------------------------------------------


# PostgreSQL 15 sends dscale 32 for the infinities: numeric_send reads the
# dscale bits of the special value's header word (0xD000 / 0xF000), which
# happen to be 0x1000 >> 7.  Clients ignore it, but we match byte for byte.
_NUMERIC_NAN_BYTES = _NUMERIC_HEAD.pack(0, 0, _NUMERIC_NAN, 0)
_NUMERIC_PINF_BYTES = _NUMERIC_HEAD.pack(0, 0, _NUMERIC_PINF, 32)
_NUMERIC_NINF_BYTES = _NUMERIC_HEAD.pack(0, 0, _NUMERIC_NINF, 32)


def encode_numeric(v: Any) -> bytes:
    """Encode a Decimal (or int/float) in PostgreSQL's base-10000 layout.

    ``dscale`` is the Decimal's own number of fractional digits so that
    ``Decimal('1.50')`` reads back as ``1.50`` just as ``'1.50'::numeric``
    would; floats go through ``repr`` (the shortest round-tripping text), so
    ``0.1`` is sent as ``0.1`` rather than its 55-digit binary expansion.
    """
    if isinstance(v, decimal.Decimal):
        d = v
    elif isinstance(v, bool) or isinstance(v, int):
        d = decimal.Decimal(int(v))
    elif isinstance(v, float):
        if v != v:
            return _NUMERIC_NAN_BYTES
        if v in (float("inf"), float("-inf")):
            return _NUMERIC_PINF_BYTES if v > 0 else _NUMERIC_NINF_BYTES
        d = decimal.Decimal(repr(v))
    else:
        raise ValueError("cannot encode %s value %r as binary numeric" % (type(v).__name__, v))
    if not d.is_finite():
        if d.is_nan():
            return _NUMERIC_NAN_BYTES
        return _NUMERIC_NINF_BYTES if d.is_signed() else _NUMERIC_PINF_BYTES
    sign, digits, exp = d.as_tuple()
    dscale = -exp if exp < 0 else 0
    if dscale > _NUMERIC_DSCALE_MAX:
        raise ValueError("value overflows numeric format: %s" % (d,))
    ds = "".join(map(str, digits))
    if exp > 0:
        ds += "0" * exp
        exp = 0
    # Align the decimal point on a base-10000 digit boundary.
    pad = exp % 4
    if pad:
        ds += "0" * pad
        exp -= pad
    lead = (-len(ds)) % 4
    if lead:
        ds = "0" * lead + ds
    groups = [int(ds[i:i + 4]) for i in range(0, len(ds), 4)]
    weight = len(groups) - (-exp) // 4 - 1
    start = 0
    n = len(groups)
    while start < n and groups[start] == 0:
        start += 1
    end = n
    while end > start and groups[end - 1] == 0:
        end -= 1
    if start == end:
        # Zero: PostgreSQL sends no digits, weight 0, positive sign.
        return _NUMERIC_HEAD.pack(0, 0, _NUMERIC_POS, dscale)
    weight -= start
    if weight > _NUMERIC_WEIGHT_MAX:
        raise ValueError("value overflows numeric format: %s" % (d,))
    groups = groups[start:end]
    head = _NUMERIC_HEAD.pack(len(groups), weight, _NUMERIC_NEG if sign else _NUMERIC_POS, dscale)
    return head + struct.pack(">%dH" % len(groups), *groups)


def _numeric_encoder(t: PgType) -> BinaryEncoder:
    def encode(v: Any) -> bytes:
        if isinstance(v, (str, bytes)):
            raise _type_error(t, v)
        return encode_numeric(v)

    return encode


# --- text-like ----------------------------------------------------------------


def _text_encoder(t: PgType, ctx: Any, encoding: str) -> BinaryEncoder:
    """Binary text is just the characters in the client encoding.

    A non-str value is rendered by the text-format encoder so a client sees
    the same characters whichever format it asked for; bytes are refused
    rather than shown as ``b'...'``.
    """
    render: List[Callable[[Any], str]] = []

    def encode(v: Any) -> bytes:
        if isinstance(v, str):
            return v.encode(encoding)
        if isinstance(v, (bytes, bytearray, memoryview)):
            raise _type_error(t, v)
        if not render:
            from . import textformat

            render.append(textformat.encoder_for(t, ctx))
        return render[0](v).encode(encoding)

    return encode


def _char_encoder(t: PgType, encoding: str) -> BinaryEncoder:
    """``"char"`` is one byte (``charsend``); '' is the zero byte.

    PostgreSQL 15 prints high-bit bytes as ``\\ooo``, so that spelling is
    accepted back; otherwise the first byte of the encoded text is sent,
    exactly what ``charin`` would have stored.
    """

    def encode(v: Any) -> bytes:
        if not isinstance(v, str):
            raise _type_error(t, v)
        if not v:
            return b"\x00"
        if len(v) == 4 and v[0] == "\\" and v[1] in "0123" and v[2] in "01234567" and v[3] in "01234567":
            return bytes([int(v[1:], 8)])
        return v.encode(encoding)[:1]

    return encode


def _json_text(t: PgType, ctx: Any) -> Callable[[Any], str]:
    """The text encoder for json/jsonb, so both formats carry the same JSON.

    Binary json *is* the text; reusing the text encoder keeps PostgreSQL's
    layout (", " and ": ", jsonb's key order) identical in both formats.
    Imported lazily: only json columns need it.
    """
    from . import textformat

    return textformat.encoder_for(t, ctx)


def _json_encoder(t: PgType, ctx: Any, encoding: str) -> BinaryEncoder:
    text = _json_text(t, ctx)

    def encode(v: Any) -> bytes:
        if isinstance(v, str):
            return v.encode(encoding)
        if isinstance(v, (bytes, bytearray, memoryview)):
            raise _type_error(t, v)
        return text(v).encode(encoding)

    return encode


def _jsonb_encoder(t: PgType, ctx: Any, encoding: str) -> BinaryEncoder:
    """jsonb_send: a version byte (1) followed by the JSON text."""
    text = _json_text(t, ctx)

    def encode(v: Any) -> bytes:
        if isinstance(v, str):
            return b"\x01" + v.encode(encoding)
        if isinstance(v, (bytes, bytearray, memoryview)):
            raise _type_error(t, v)
        return b"\x01" + text(v).encode(encoding)

    return encode


def _bytea_encoder(t: PgType) -> BinaryEncoder:
    def encode(v: Any) -> bytes:
        if isinstance(v, bytes):
            return v
        if isinstance(v, (bytearray, memoryview)):
            return bytes(v)
        raise _type_error(t, v)

    return encode


# --- date/time ----------------------------------------------------------------


def _date_encoder(t: PgType) -> BinaryEncoder:
    pack = _I32.pack

    def encode(v: Any) -> bytes:
        if not isinstance(v, _dt.date):
            raise _type_error(t, v)
        return pack(v.toordinal() - _PG_EPOCH_ORDINAL)

    return encode


def _time_micros(v: _dt.time) -> int:
    return ((v.hour * 60 + v.minute) * 60 + v.second) * 1000000 + v.microsecond


def _time_encoder(t: PgType) -> BinaryEncoder:
    pack = _I64.pack

    def encode(v: Any) -> bytes:
        if not isinstance(v, _dt.time):
            raise _type_error(t, v)
        return pack(_time_micros(v))

    return encode


def _timetz_encoder(t: PgType) -> BinaryEncoder:
    """timetz_send: local micros and the zone in seconds *west* of UTC.

    A naive time is taken as UTC (zone 0), matching timestamptz.
    """
    pack = _TIMETZ.pack

    def encode(v: Any) -> bytes:
        if not isinstance(v, _dt.time):
            raise _type_error(t, v)
        off = v.utcoffset()
        zone = 0
        if off is not None:
            zone = -(off.days * 86400 + off.seconds)
            if off.microseconds or not -_TZDISP_LIMIT < zone < _TZDISP_LIMIT:
                raise ValueError("time zone displacement out of range: %r" % (v,))
        return pack(_time_micros(v), zone)

    return encode


def _datetime_micros(v: _dt.datetime) -> int:
    days = v.toordinal() - _PG_EPOCH_ORDINAL
    return ((days * 86400 + v.hour * 3600 + v.minute * 60 + v.second) * 1000000
            + v.microsecond)


def _timestamp_encoder(t: PgType, ctx: Any) -> BinaryEncoder:
    """Micros since 2000-01-01 of the wall-clock value.

    An aware datetime is first converted to the session time zone (as the
    text encoder and PostgreSQL's timestamptz -> timestamp cast do); a date
    means midnight.
    """
    pack = _I64.pack
    tz = getattr(ctx, "tz", None) or _dt.timezone.utc

    def encode(v: Any) -> bytes:
        if isinstance(v, _dt.datetime):
            off = v.utcoffset()
            if off is None:
                return pack(_datetime_micros(v))
            utc = _datetime_micros(v) - _offset_micros(off)
            try:
                local = v.astimezone(tz).utcoffset()
            except OverflowError:  # near year 1 or 9999: zone of the UTC instant
                local = tz.utcoffset(v.replace(tzinfo=None) - off)
            return pack(utc + _offset_micros(local))
        if isinstance(v, _dt.date):
            return pack((v.toordinal() - _PG_EPOCH_ORDINAL) * _USECS_PER_DAY)
        raise _type_error(t, v)

    return encode


def _offset_micros(off: Optional[_dt.timedelta]) -> int:
    if off is None:
        return 0
    return (off.days * 86400 + off.seconds) * 1000000 + off.microseconds


def _timestamptz_encoder(t: PgType) -> BinaryEncoder:
    """Micros since 2000-01-01 00:00 UTC; naive values (and dates) are UTC."""
    pack = _I64.pack

    def encode(v: Any) -> bytes:
        if isinstance(v, _dt.datetime):
            return pack(_datetime_micros(v) - _offset_micros(v.utcoffset()))
        if isinstance(v, _dt.date):
            return pack((v.toordinal() - _PG_EPOCH_ORDINAL) * _USECS_PER_DAY)
        raise _type_error(t, v)

    return encode


def _interval_encoder(t: PgType) -> BinaryEncoder:
    """interval_send: (micros, days, months); a timedelta never has months."""
    pack = _INTERVAL.pack

    def encode(v: Any) -> bytes:
        try:
            if isinstance(v, _dt.timedelta):
                return pack(v.seconds * 1000000 + v.microseconds, v.days, 0)
            if isinstance(v, PgInterval):       # one with months (pginterval)
                return pack(v.micros, v.days, v.months)
        except struct.error:
            raise ValueError("interval out of range: %r" % (v,)) from None
        raise _type_error(t, v)

    return encode


def _uuid_encoder(t: PgType) -> BinaryEncoder:
    def encode(v: Any) -> bytes:
        if isinstance(v, uuid.UUID):
            return v.bytes
        raise _type_error(t, v)

    return encode


# --- system catalog types -----------------------------------------------------

_U64 = struct.Struct(">Q")
_TID = struct.Struct(">IH")
_VECTOR_ELEM = {pgtypes.INT2VECTOR.oid: (pgtypes.INT2.oid, _I16), pgtypes.OIDVECTOR.oid: (pgtypes.OID.oid, _U32)}


def _vector_encoder(t: PgType) -> BinaryEncoder:
    """int2vector / oidvector: array_send of a one-dimensional array whose
    lower bound is 0 (these are the zero-based arrays of the catalogs).
    Unlike an empty array, an empty vector still has its one dimension."""
    elem_oid, packer = _VECTOR_ELEM[t.oid]
    pack = packer.pack

    def encode(v: Any) -> bytes:
        if not isinstance(v, (list, tuple)):
            raise _type_error(t, v)
        parts = [_ARRAY_HEAD.pack(1, 0, elem_oid), _ARRAY_DIM.pack(len(v), 0)]
        four = _I32.pack(packer.size)
        try:
            for x in v:
                parts.append(four)
                parts.append(pack(x))
        except (struct.error, TypeError):
            raise _type_error(t, v) from None
        return b"".join(parts)

    return encode


def _tid_encoder(t: PgType) -> BinaryEncoder:
    def encode(v: Any) -> bytes:
        try:
            block, offset = v
            return _TID.pack(block, offset)
        except (struct.error, TypeError, ValueError):
            raise _type_error(t, v) from None

    return encode


def _inet_encoder(t: PgType) -> BinaryEncoder:
    """inet_send: family (2 = IPv4, 3 = IPv6), bits, is_cidr, length, address."""
    import ipaddress

    def encode(v: Any) -> bytes:
        try:
            if isinstance(v, str):
                v = ipaddress.ip_interface(v)
            if isinstance(v, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
                v = ipaddress.ip_interface(str(v))
            if isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
                v = ipaddress.ip_interface(v)
            ip, bits = v.ip, v.network.prefixlen
        except (ValueError, AttributeError):
            raise _type_error(t, v) from None
        packed = ip.packed
        return bytes((2 if ip.version == 4 else 3, bits, 0, len(packed))) + packed

    return encode


# --- arrays -------------------------------------------------------------------

_MAXDIM = 6


def _array_encoder(t: PgType, ctx: Any, encoding: str) -> BinaryEncoder:
    """array_send: header, dimensions (lower bound 1), length-prefixed items.

    Nested lists/tuples are dimensions, except for json/jsonb elements where
    a list is a JSON value, so those arrays are one-dimensional.
    """
    elem = t.elem
    assert elem is not None
    elem_enc = binary_encoder_for(elem, ctx, encoding)
    elem_oid = elem.oid
    nested = elem_oid not in (pgtypes.JSON.oid, pgtypes.JSONB.oid)
    empty = _ARRAY_HEAD.pack(0, 0, elem_oid)
    i32 = _I32.pack
    seq_types = (list, tuple)

    def flatten(v: Any, dims: List[int], depth: int, out: List[Any]) -> None:
        if len(v) != dims[depth]:
            raise ValueError("multidimensional arrays must have sub-arrays with matching dimensions")
        if depth + 1 == len(dims):
            for x in v:
                if nested and isinstance(x, seq_types):
                    raise ValueError("multidimensional arrays must have sub-arrays with matching dimensions")
                out.append(x)
        else:
            for x in v:
                if not isinstance(x, seq_types):
                    raise ValueError("multidimensional arrays must have sub-arrays with matching dimensions")
                flatten(x, dims, depth + 1, out)

    def encode(v: Any) -> bytes:
        if not isinstance(v, seq_types):
            raise _type_error(t, v)
        dims = [len(v)]
        if nested:
            x = v
            while len(x) and isinstance(x[0], seq_types):
                x = x[0]
                dims.append(len(x))
        if 0 in dims:
            return empty
        if len(dims) > _MAXDIM:
            raise ValueError("number of array dimensions (%d) exceeds the maximum allowed (%d)"
                             % (len(dims), _MAXDIM))
        if len(dims) == 1:
            items = v
            if nested:
                for x in items:
                    if isinstance(x, seq_types):
                        raise ValueError(
                            "multidimensional arrays must have sub-arrays with matching dimensions")
        else:
            items = []
            flatten(v, dims, 0, items)
        parts = [b""]
        has_null = 0
        append = parts.append
        for x in items:
            if x is None:
                has_null = 1
                append(_NULL_ELEM)
            else:
                b = elem_enc(x)
                append(i32(len(b)))
                append(b)
        head = [_ARRAY_HEAD.pack(len(dims), has_null, elem_oid)]
        lower = getattr(v, "lower_bound", 1) if len(dims) == 1 else 1
        for n in dims:
            head.append(_ARRAY_DIM.pack(n, lower))
        parts[0] = b"".join(head)
        return b"".join(parts)

    return encode


# --- dispatch -----------------------------------------------------------------

_SIMPLE: Dict[int, Callable[[PgType], BinaryEncoder]] = {
    pgtypes.BOOL.oid: _bool_encoder,
    pgtypes.INT2.oid: lambda t: _struct_encoder(t, _I16),
    pgtypes.INT4.oid: lambda t: _struct_encoder(t, _I32),
    pgtypes.INT8.oid: lambda t: _struct_encoder(t, _I64),
    pgtypes.OID.oid: lambda t: _struct_encoder(t, _U32),
    pgtypes.FLOAT4.oid: lambda t: _struct_encoder(t, _F32),
    pgtypes.FLOAT8.oid: lambda t: _struct_encoder(t, _F64),
    pgtypes.NUMERIC.oid: _numeric_encoder,
    pgtypes.BYTEA.oid: _bytea_encoder,
    pgtypes.DATE.oid: _date_encoder,
    pgtypes.TIME.oid: _time_encoder,
    pgtypes.TIMETZ.oid: _timetz_encoder,
    pgtypes.TIMESTAMPTZ.oid: _timestamptz_encoder,
    pgtypes.INTERVAL.oid: _interval_encoder,
    pgtypes.UUID.oid: _uuid_encoder,
    pgtypes.INT2VECTOR.oid: _vector_encoder,
    pgtypes.OIDVECTOR.oid: _vector_encoder,
    pgtypes.XID.oid: lambda t: _struct_encoder(t, _U32),
    pgtypes.CID.oid: lambda t: _struct_encoder(t, _U32),
    pgtypes.XID8.oid: lambda t: _struct_encoder(t, _U64),
    pgtypes.PG_LSN.oid: lambda t: _struct_encoder(t, _U64),
    pgtypes.TID.oid: _tid_encoder,
    pgtypes.INET.oid: _inet_encoder,
}
# reg* types are OIDs in binary; aclitem has no binary form in PostgreSQL.
_SIMPLE.update((oid, lambda t: _struct_encoder(t, _U32)) for oid in pgtypes.REG_TYPES)

_WITH_ENCODING: Dict[int, Callable[[PgType, Any, str], BinaryEncoder]] = {
    pgtypes.TEXT.oid: _text_encoder,
    pgtypes.VARCHAR.oid: _text_encoder,
    pgtypes.BPCHAR.oid: _text_encoder,
    pgtypes.NAME.oid: _text_encoder,
    pgtypes.UNKNOWN.oid: _text_encoder,
    pgtypes.PG_NODE_TREE.oid: _text_encoder,
    pgtypes.CSTRING.oid: _text_encoder,
    pgtypes.CHAR.oid: lambda t, ctx, enc: _char_encoder(t, enc),
    pgtypes.TIMESTAMP.oid: lambda t, ctx, enc: _timestamp_encoder(t, ctx),
    pgtypes.JSON.oid: _json_encoder,
    pgtypes.JSONB.oid: _jsonb_encoder,
}

_SCALAR_OIDS = frozenset(_SIMPLE) | frozenset(_WITH_ENCODING)

#: OIDs (scalars and their array types) that :func:`binary_encoder_for` handles.
SUPPORTED_BINARY: FrozenSet[int] = _SCALAR_OIDS | frozenset(
    t.oid for t in pgtypes.BY_OID.values() if t.elem is not None and t.elem.oid in _SCALAR_OIDS
)


def binary_encoder_for(t: PgType, ctx: Any = None, encoding: str = "utf-8") -> BinaryEncoder:
    """Return a closure encoding non-None values of type ``t`` in binary.

    ``ctx`` is the text-format context (``TextContext``, may be None for
    UTC): its time zone decides the wall clock of an aware datetime sent as
    ``timestamp``, and json/jsonb values are rendered by the text encoder so
    both formats agree.
    ``encoding`` is the client encoding, used by text-like types because
    their binary form is the text itself.  Raises ValueError for a type not
    in :data:`SUPPORTED_BINARY`.
    """
    oid = t.oid
    if t.elem is not None:
        if oid not in SUPPORTED_BINARY:
            raise ValueError("binary output is not supported for type %s" % (t.name,))
        return _array_encoder(t, ctx, encoding)
    f = _SIMPLE.get(oid)
    if f is not None:
        return f(t)
    g = _WITH_ENCODING.get(oid)
    if g is not None:
        return g(t, ctx, encoding)
    raise ValueError("binary output is not supported for type %s" % (t.name,))
