"""Aggregates with an ORDER BY inside the call, and JSON built like PostgreSQL.

SQLite's own aggregates take no ORDER BY (before 3.44) and the order of
rows reaching an aggregate is unspecified, so the translator passes the
sort keys along with each value: ``array_agg(x ORDER BY a DESC)`` becomes
``pg_array_agg_ordered(x, 'DF', a)``.  The spec holds two letters per key:
direction (``A``/``D``) and NULL placement (``F``/``L``), as PostgreSQL
resolved them (NULLS LAST when ascending, FIRST when descending).
"""
from __future__ import annotations

import json
from typing import Any, List, Optional, Tuple

from .._wire.errors import PgError
from .functions_sql import StringAgg, to_json


def array_element(value: Any) -> Any:
    """A value entering an array aggregate: JSON array text (an array
    column or a nested aggregate) stays an array, as in PostgreSQL."""
    if isinstance(value, str) and value.startswith("["):
        try:
            out = json.loads(value)
        except ValueError:
            return value
        if isinstance(out, list):
            return out
    return value


def sort_rows(rows: List[Tuple[Any, ...]], spec: str, nkeys: int) -> List[Tuple[Any, ...]]:
    """Rows ``(value..., key1..keyN)`` sorted by the keys; stable, so rows
    tying on every key keep their arrival order.  Non-NULL keys compare as
    SQLite compares values: numbers before text."""
    if len(spec) != 2 * nkeys or any(spec[i] not in "AD" or spec[i + 1] not in "FL"
                                     for i in range(0, len(spec), 2)):
        raise PgError("XX000", "malformed ORDER BY spec %r for an ordered aggregate" % spec)
    width = len(rows[0]) if rows else 0
    for k in reversed(range(nkeys)):
        col = width - nkeys + k
        desc, nulls_first = spec[2 * k] == "D", spec[2 * k + 1] == "F"
        present = [r for r in rows if r[col] is not None]
        absent = [r for r in rows if r[col] is None]
        present.sort(key=lambda r: (isinstance(r[col], (str, bytes)), isinstance(r[col], bytes),
                                    r[col]), reverse=desc)
        rows = absent + present if nulls_first else present + absent
    return rows


class OrderedArrayAgg:
    """``pg_array_agg_ordered(value, spec, key1..keyN)``: array_agg ORDER BY."""

    def __init__(self) -> None:
        self.rows: List[Tuple[Any, ...]] = []
        self.spec = ""
        self.nkeys = 0

    def step(self, value: Any, spec: Any, *keys: Any) -> None:
        self.spec, self.nkeys = str(spec), len(keys)
        self.rows.append((value,) + keys)

    def finalize(self) -> Optional[str]:
        if not self.rows:
            return None
        rows = sort_rows(self.rows, self.spec, self.nkeys)
        return to_json([array_element(r[0]) for r in rows])


class OrderedStringAgg(OrderedArrayAgg):
    """``pg_string_agg_ordered(value, sep, spec, key1..keyN)``: string_agg ORDER BY."""

    def step(self, value: Any, sep: Any, spec: Any, *keys: Any) -> None:  # type: ignore[override]
        self.spec, self.nkeys = str(spec), len(keys)
        self.rows.append((value, sep) + keys)

    def finalize(self) -> Optional[str]:
        agg = StringAgg()
        for row in sort_rows(self.rows, self.spec, self.nkeys):
            agg.step(row[0], row[1])
        return agg.finalize()


class ArrayAgg:
    """array_agg as JSON text (NULL for no rows, like PostgreSQL)."""

    def __init__(self) -> None:
        self.items: List[Any] = []

    def step(self, value: Any) -> None:
        self.items.append(array_element(value))

    def finalize(self) -> Optional[str]:
        return to_json(self.items) if self.items else None


def json_string(text: str) -> str:
    """A JSON string literal escaped as PostgreSQL's escape_json does."""
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\b\f\n\r\t":
            out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def json_value(kind: str, value: Any) -> str:
    """One value of json_build_object as PostgreSQL renders it."""
    if value is None:
        return "null"
    if kind == "b":
        return "true" if value and value not in ("f", "false", "0") else "false"
    if kind == "j":
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        from .._wire.textformat import format_float8
        return format_float8(value)
    return json_string(str(value))


def pg_json_build_object(kinds: Any, *args: Any) -> str:
    """``json_build_object(k1, v1, ...)`` with a kind letter per value:
    ``b`` boolean (0/1), ``j`` JSON text to embed, ``v`` anything else."""
    if len(args) % 2:
        raise PgError("22023", "argument list must have even number of elements")
    kinds = str(kinds or "")
    parts = []
    for k in range(0, len(args), 2):
        key = args[k]
        if key is None:
            raise PgError("22004", "null value not allowed for object key")
        kind = kinds[k // 2] if k // 2 < len(kinds) else "v"
        key_text = key if isinstance(key, str) else json_value("v", key).strip('"')
        parts.append("%s : %s" % (json_string(str(key_text)), json_value(kind, args[k + 1])))
    return "{" + ", ".join(parts) + "}"
