"""How PostgreSQL spells catalog objects: ``format_type``, ``quote_ident``
and the text form of reg* values.

Tools display these strings verbatim (psql's ``\\d`` "Type" column,
pgjdbc's TYPE_NAME), so the rules follow PostgreSQL 15's
``format_type_extended`` and ``quote_identifier`` exactly.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Iterable, Optional

from .content import PG_CATALOG_OID, static_catalog

_PLAIN_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
_ARRAY_SUBSCRIPT_HANDLER = 6179
_keywords: Optional[frozenset] = None


def quote_ident(name: str) -> str:
    """Quote ``name`` where PostgreSQL's quote_identifier would."""
    global _keywords
    if _keywords is None:
        from .content import static_catalog
        _keywords = static_catalog().quoted_keywords
    if _PLAIN_IDENT.match(name) and name not in _keywords:
        return name
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: Optional[str], name: str) -> str:
    return quote_ident(name) if schema is None else quote_ident(schema) + "." + quote_ident(name)


def _with_precision(base: str, typmod: int, suffix: str = "") -> str:
    return "%s(%d)%s" % (base, typmod, suffix) if typmod >= 0 else base + suffix


def _interval_typmod(typmod: int) -> str:
    """intervaltypmodout: field restriction then precision."""
    fields = {
        0x7FFF: "", 1 << 2: " year", 1 << 1: " month", 1 << 3: " day", 1 << 10: " hour",
        1 << 11: " minute", 1 << 12: " second", (1 << 2) | (1 << 1): " year to month",
        (1 << 3) | (1 << 10): " day to hour", (1 << 3) | (1 << 10) | (1 << 11): " day to minute",
        (1 << 3) | (1 << 10) | (1 << 11) | (1 << 12): " day to second",
        (1 << 10) | (1 << 11): " hour to minute", (1 << 10) | (1 << 11) | (1 << 12): " hour to second",
        (1 << 11) | (1 << 12): " minute to second",
    }
    rng = (typmod >> 16) & 0x7FFF
    prec = typmod & 0xFFFF
    text = fields.get(rng, "")
    if prec != 0xFFFF:
        text += "(%d)" % prec
    return text


def format_type(oid: Optional[int], typmod: Optional[int], types: Dict[int, Dict[str, Any]],
                visible_schemas: Iterable[int] = (PG_CATALOG_OID, 2200),
                namespaces: Optional[Dict[int, str]] = None) -> Optional[str]:
    """PostgreSQL's format_type(oid, typmod); ``typmod`` None means SQL NULL.

    ``types`` maps OID -> pg_type row dict (built-in and user row types).
    """
    if oid is None:
        return None
    row = types.get(oid)
    if row is None:
        return "???"
    given = typmod is not None
    if typmod is None:
        typmod = -1
    with_mod = given and typmod >= 0
    suffix = ""
    if (row["typelem"] and row["typlen"] == -1 and row["typsubscript"] == _ARRAY_SUBSCRIPT_HANDLER
            and row["typstorage"] != "p"):
        elem = types.get(row["typelem"])
        if elem is None:
            return "???[]"
        row, suffix = elem, "[]"
    oid = row["oid"]
    special = _special_name(oid, typmod, with_mod, given)
    if special is not None:
        return special + suffix
    schema = None
    if row["typnamespace"] not in tuple(visible_schemas):
        names = namespaces or {}
        schema = names.get(row["typnamespace"]) or _builtin_namespace(row["typnamespace"])
    text = qualified(schema, row["typname"])
    if with_mod:
        text += "(%d)" % typmod
    return text + suffix


def _builtin_namespace(oid: int) -> str:
    for name, noid in (("pg_catalog", 11), ("public", 2200), ("information_schema", 13207),
                       ("pg_toast", 99)):
        if noid == oid:
            return name
    return "???"


def _special_name(oid: int, typmod: int, with_mod: bool, given: bool) -> Optional[str]:
    if oid == 1560:  # bit
        return "bit(%d)" % typmod if with_mod else ('"bit"' if given else "bit")
    if oid == 16:
        return "boolean"
    if oid == 1042:
        if with_mod:
            return "character(%d)" % (typmod - 4)
        return "bpchar" if given else "character"
    if oid == 700:
        return "real"
    if oid == 701:
        return "double precision"
    if oid == 21:
        return "smallint"
    if oid == 23:
        return "integer"
    if oid == 20:
        return "bigint"
    if oid == 1700:
        if with_mod and typmod >= 4:
            t = typmod - 4
            return "numeric(%d,%d)" % ((t >> 16) & 0xFFFF, ((t & 0x7FF) ^ 1024) - 1024)
        return "numeric"
    if oid == 1186:
        return "interval" + (_interval_typmod(typmod) if with_mod else "")
    if oid == 1083:
        return _with_precision("time", typmod if with_mod else -1, " without time zone")
    if oid == 1266:
        return _with_precision("time", typmod if with_mod else -1, " with time zone")
    if oid == 1114:
        return _with_precision("timestamp", typmod if with_mod else -1, " without time zone")
    if oid == 1184:
        return _with_precision("timestamp", typmod if with_mod else -1, " with time zone")
    if oid == 1562:
        return "bit varying(%d)" % typmod if with_mod else "bit varying"
    if oid == 1043:
        return "character varying(%d)" % (typmod - 4) if with_mod else "character varying"
    return None


def builtin_format_type(oid: Optional[int], typmod: Optional[int] = None) -> Optional[str]:
    """format_type over the built-in types only (no user row types)."""
    return format_type(oid, typmod, static_catalog().types)


# information_schema.columns.data_type: format_type without modifiers, but
# arrays are "ARRAY" and composite/non-pg_catalog types "USER-DEFINED".
def sql_data_type(oid: int, types: Dict[int, Dict[str, Any]]) -> str:
    row = types.get(oid)
    if row is None:
        return "USER-DEFINED"
    if row["typcategory"] == "A" and row["typelem"]:
        return "ARRAY"
    if row["typtype"] in ("c", "e", "r", "m") or row["typnamespace"] != PG_CATALOG_OID:
        return "USER-DEFINED"
    return format_type(oid, None, types) or "USER-DEFINED"
