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

This module is the entry point: it picks the encoder for a type, builds
array encoders from element encoders, and re-exports the public names of
the type-family modules (:mod:`.textcontext`, :mod:`.textformat_numbers`,
:mod:`.textformat_scalars`, :mod:`.textformat_datetime`,
:mod:`.textformat_json`) so ``riffq._wire.textformat`` stays the one place
callers import from.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from . import pgtypes as T
from .pgtypes import PgType
from .textcontext import Encoder as Encoder, TextContext as TextContext
from .textcontext import _DS_ISO, _INTERVAL_STYLES, _parse_datestyle, _parse_efd
from .textformat_datetime import format_interval as format_interval
from .textformat_datetime import format_interval_style as format_interval_style
from .textformat_datetime import format_offset as format_offset
from .textformat_datetime import timezone_from_name as timezone_from_name
from .textformat_datetime import (_date_encoder, _interval_encoder, _styled, _time_encoder,
                                  _timestamp_encoder, _timestamptz_encoder, _timestamptz_styled,
                                  _timetz_encoder)
from .textformat_json import _json_encoder
from .textformat_numbers import format_float4 as format_float4, format_float4_digits as format_float4_digits
from .textformat_numbers import format_float8 as format_float8, format_float8_digits as format_float8_digits
from .textformat_numbers import format_numeric as format_numeric
from .textformat_numbers import _bool_encoder, _float4_encoder, _float8_encoder, _int_encoder
from .textformat_scalars import format_bytea_escape as format_bytea_escape, format_inet as format_inet
from .textformat_scalars import (_bytea_encoder, _bytea_escape_encoder, _pg_lsn_encoder, _reg_encoder,
                                 _tid_encoder, _uuid_encoder, _vector_encoder)

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
        lower = getattr(v, "lower_bound", 1)  # catalog arrays cast from 0-based vectors
        if lower != 1 and isinstance(v, list) and v:
            return "[%d:%d]=%s" % (lower, lower + len(v) - 1, top(v))
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


def encoders_for(types: Iterable[PgType], ctx: TextContext) -> List[Encoder]:
    """``encoder_for`` of each type, made once per context: a session's
    context lives until a SET changes how values print."""
    cache = ctx.encoders
    out = []
    for t in types:
        # a scalar type's encoder depends on its OID alone, and an int hashes
        # faster than the dataclass
        key = t.oid if t.elem is None else t
        enc = cache.get(key)
        if enc is None:
            enc = cache[key] = encoder_for(t, ctx)
        out.append(enc)
    return out


def column_encoders(columns: Sequence[Tuple[str, PgType]], ctx: TextContext) -> List[Encoder]:
    """``encoders_for`` the columns of a remembered schema (the same tuple
    object each time, see ``rowsource.declared_columns`` and
    ``arrow.remembered_columns``), looked up by identity: a handler answers
    with the same few schemas again and again. Columns in a list are not
    remembered, and get theirs made."""
    if type(columns) is not tuple:
        return encoders_for([t for _, t in columns], ctx)
    memo = ctx.column_encoders
    known = memo.get(id(columns))
    if known is not None and known[0] is columns:
        return known[1]
    encs = encoders_for([t for _, t in columns], ctx)
    if len(memo) >= 256:
        memo.clear()
    memo[id(columns)] = (columns, encs)     # holding ``columns`` keeps its id unique
    return encs


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
