"""What every Bind parameter decoder shares: the error and its wording.

PostgreSQL's input functions report bad values with fixed SQLSTATEs and
messages that drivers match on, so the error type, the ``format_type()``
spellings those messages use, the fixed-width check of the ``*_recv``
functions and the client-encoding check every text value passes through
live here once, rather than in each type family's module.
"""
from __future__ import annotations

import codecs
from typing import Dict, Optional

from . import pgtypes


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
