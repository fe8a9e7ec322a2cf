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

This module is the entry point: it maps type OIDs to the decoders of each
type family (:mod:`.params_scalars`, :mod:`.params_datetime`,
:mod:`.params_interval`, :mod:`.params_arrays`) and applies Bind's format
code rules.  :func:`infer_param_types` (:mod:`.paraminfer`) supplies
parameter types for statements whose Parse message left them unspecified.

Only the standard library is used.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence

from . import pgtypes
from .binconst import F32 as _F32, F64 as _F64, I16 as _I16, I32 as _I32, I64 as _I64, U32 as _U32
from .params_arrays import _parse_array_text, _recv_array
from .params_base import ParamError, _Trailing, _decode_text
from .params_datetime import (_parse_date, _parse_time, _parse_timestamp, _parse_timestamptz,
                              _parse_timetz, _recv_date, _recv_time, _recv_timestamp, _recv_timestamptz,
                              _recv_timetz)
from .params_interval import MONTH_DAYS as MONTH_DAYS, YEAR_DAYS as YEAR_DAYS
from .params_interval import _parse_interval, _recv_interval
from .params_scalars import (_parse_bool, _parse_bytea, _parse_char, _parse_float4, _parse_float8,
                             _parse_int2, _parse_int4, _parse_int8, _parse_json, _parse_jsonb, _parse_name,
                             _parse_numeric, _parse_oid, _parse_text, _parse_uuid, _recv_bool, _recv_bytea,
                             _recv_char, _recv_json, _recv_jsonb, _recv_name, _recv_numeric, _recv_text,
                             _recv_uuid, _struct_recv)
from .paraminfer import infer_param_types as infer_param_types

__all__ = [
    "ParamError",
    "decode_param",
    "decode_params",
    "infer_param_types",
    "MONTH_DAYS",
    "YEAR_DAYS",
]

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


def check_format_count(nformats: int, nvalues: int) -> None:
    """Bind gives no format code, one for all, or one per parameter."""
    if nformats > 1 and nformats != nvalues:
        raise ParamError("08P01", "bind message has %d parameter formats but %d parameters"
                         % (nformats, nvalues))


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
    check_format_count(nf, n)
    out: List[Any] = []
    noids = len(oids)
    for i in range(n):
        fmt = 0 if nf == 0 else (formats[0] if nf == 1 else formats[i])
        oid = oids[i] if i < noids else 0
        out.append(decode_param(oid, fmt, values[i], encoding, i + 1))
    return out
