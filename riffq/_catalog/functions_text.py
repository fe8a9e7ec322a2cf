"""PostgreSQL's string functions that tools build catalog lookups from.

Grafana splits ``current_setting('search_path')`` with ``string_to_array``
and resolves a table name typed by the user with ``parse_ident``; Metabase
builds regclass input with ``format('%I.%I', schema, table)``.  SQLite has
no ``string_to_array`` or ``parse_ident``, and its own ``format()`` is
printf, which answers PostgreSQL's ``%I`` with NULL: each is registered
under the PostgreSQL name with PostgreSQL's semantics.  Arrays travel as
JSON text, as everywhere in the catalog engine.
"""
from __future__ import annotations

import re
from typing import Any, List, Optional

from .._wire.errors import PgError
from .functions_sql import quote_literal, to_json
from .pgnames import quote_ident

__all__ = ["string_to_array", "parse_ident", "pg_format"]


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def string_to_array(s: Any, sep: Any, null_string: Any = None) -> Optional[str]:
    """``string_to_array(text, delimiter [, null_string])``: a NULL
    delimiter splits into characters, an empty one keeps the whole string,
    and an empty input gives the empty array."""
    if s is None:
        return None
    s = _text(s)
    if s == "":
        return to_json([])
    if sep is None:
        parts: List[Any] = list(s)
    elif _text(sep) == "":
        parts = [s]
    else:
        parts = s.split(_text(sep))
    if null_string is not None:
        marker = _text(null_string)
        parts = [None if p == marker else p for p in parts]
    return to_json(parts)


_IDENT_START = re.compile(r"[A-Za-z_\u0080-\uffff]")
_IDENT_REST = re.compile(r"[A-Za-z0-9_$\u0080-\uffff]*")


def _not_an_identifier(text: str, detail: str) -> PgError:
    return PgError("22023", 'string is not a valid identifier: "%s"' % text,
                   detail=detail or None)


def parse_ident(s: Any, strict: Any = True) -> Optional[str]:
    """``parse_ident('sales."Orders"')`` -> ``{sales,Orders}``: dotted names
    split, quoted parts kept as written (``""`` is a quote), unquoted parts
    folded to lower case.  With *strict*, text after the name is an error."""
    if s is None:
        return None
    text = _text(s)
    parts: List[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] == '"':
            j, buf = i + 1, []
            while True:
                end = text.find('"', j)
                if end < 0:
                    raise _not_an_identifier(text, "String has unclosed double quotes.")
                buf.append(text[j:end])
                if end + 1 < n and text[end + 1] == '"':
                    buf.append('"')
                    j = end + 2
                    continue
                i = end + 1
                break
            if not "".join(buf):
                raise _not_an_identifier(text, "Quoted identifier must not be empty.")
            parts.append("".join(buf))
        elif i < n and _IDENT_START.match(text[i]):
            m = _IDENT_REST.match(text, i + 1)
            parts.append(text[i:m.end()].lower())
            i = m.end()
        else:
            detail = "No valid identifier before \".\"." if i < n and text[i] == "." else \
                "No valid identifier after \".\"." if parts else ""
            raise _not_an_identifier(text, detail)
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] == ".":
            i += 1
            continue
        if i < n and strict:
            raise _not_an_identifier(text, "")
        return to_json(parts)


_SPEC = re.compile(r"%(?:(\d+)\$)?([-]?\d*)([sIL%])")


def pg_format(fmt: Any, *args: Any) -> Optional[str]:
    """PostgreSQL's ``format()``: ``%s`` (NULL as empty), ``%I`` (quoted
    identifier; NULL is an error), ``%L`` (quoted literal; NULL as NULL),
    ``%%``, positional ``%n$`` and a field width."""
    if fmt is None:
        return None
    fmt = _text(fmt)
    out: List[str] = []
    pos, next_arg = 0, 0
    for m in _SPEC.finditer(fmt):
        if "%" in fmt[pos:m.start()]:
            raise PgError("22023", "unrecognized format() type specifier")
        out.append(fmt[pos:m.start()])
        pos = m.end()
        number, width, kind = m.group(1), m.group(2), m.group(3)
        if kind == "%":
            out.append("%")
            continue
        index = int(number) - 1 if number else next_arg
        if index < 0:
            raise PgError("22023", "format specifies argument 0, but arguments are numbered from 1")
        if index >= len(args):
            raise PgError("22023", "too few arguments for format()")
        next_arg = index + 1
        value = args[index]
        if kind == "s":
            piece = "" if value is None else _text(value)
        elif kind == "I":
            if value is None:
                raise PgError("22004", "null values cannot be formatted as an SQL identifier")
            piece = quote_ident(_text(value))
        else:
            piece = "NULL" if value is None else quote_literal(value)
        if width and width != "-":
            w = int(width)
            piece = piece.ljust(abs(w)) if w < 0 else piece.rjust(w)
        out.append(piece)
    if "%" in fmt[pos:]:
        raise PgError("22023", "unterminated format() type specifier")
    out.append(fmt[pos:])
    return "".join(out)
