"""Result types the translator can work out from the catalog it targets.

Drivers decode by the type OID of each result column, so a column that
PostgreSQL types ``name`` or ``oid[]`` must not arrive as ``text``.  The
syntax alone rarely tells (a CTE column, a scalar subquery, ``array_agg``
of a catalog column); the built-in catalog's own description does: the
column types of every catalog relation and the result type of every
built-in function come from the same PostgreSQL 15 dump the engine loads.
Types are spelled canonically: ``name``, ``int4``, ``char`` (PostgreSQL's
``"char"``), arrays as ``text[]``.
"""
from __future__ import annotations

import threading
from typing import Dict, List, Optional, Sequence, Tuple

__all__ = ["catalog_column_type", "catalog_columns", "function_type", "element_type",
           "array_type"]

_PSEUDO = frozenset((2276, 2277, 2283, 2249, 2278, 2776, 5077, 5078))  # any*, record, void
_lock = threading.Lock()
_tables: Optional[Tuple[Dict[Tuple[str, str], str], Dict[str, str],
                        Dict[str, List[str]]]] = None

#: Aggregates and polymorphic functions whose result follows an argument.
_SAME_AS_ARG = frozenset(("min", "max", "coalesce", "nullif", "greatest", "least", "lag",
                          "lead", "first_value", "last_value", "nth_value"))
#: Result types of names that are not pg_proc functions (the translator's
#: helpers, SQL keywords) or whose pg_proc entry is polymorphic.
_EXTRA = {
    "pg_current_user": "name", "pg_session_user": "name", "current_user": "name",
    "session_user": "name", "current_role": "name", "user": "name", "current_catalog": "name",
    "pg_now": "timestamptz", "now": "timestamptz", "current_timestamp": "timestamptz",
    "localtimestamp": "timestamp", "pg_current_date": "date", "current_date": "date",
    "count": "int8", "string_agg": "text", "position": "int4", "row_number": "int8",
    "rank": "int8", "dense_rank": "int8", "array_to_string": "text", "array_length": "int4",
    "array_upper": "int4", "array_lower": "int4", "cardinality": "int4",
    "array_position": "int4", "bool_and": "bool", "bool_or": "bool", "every": "bool",
    "json_build_object": "json", "to_json": "json", "json_agg": "json", "row_to_json": "json",
    "json_build_array": "json", "regexp_split_to_array": "text[]", "regexp_match": "text[]",
    "string_to_array": "text[]", "format_type": "text", "extract": "numeric",
    "date_part": "float8",
}


def canonical(t: object) -> str:
    """A PgType's canonical spelling."""
    elem = getattr(t, "elem", None)
    if elem is not None:
        return canonical(elem) + "[]"
    return str(getattr(t, "name"))


def _load() -> Tuple[Dict[Tuple[str, str], str], Dict[str, str], Dict[str, List[str]]]:
    global _tables
    with _lock:
        if _tables is None:
            from .content import static_catalog
            static = static_catalog()
            columns: Dict[Tuple[str, str], str] = {}
            order: Dict[str, List[str]] = {}
            for rel in static.relations.values():
                order[rel.name] = [name for name, _ in rel.columns]
                for name, t in rel.columns:
                    columns[(rel.name, name)] = canonical(t)
            rettypes: Dict[str, set] = {}
            for p in static.procs:
                rettypes.setdefault(p["proname"], set()).add(p["prorettype"])
            functions: Dict[str, str] = {}
            for name, oids in rettypes.items():
                if len(oids) == 1 and not oids & _PSEUDO:
                    t = static.type_by_oid(next(iter(oids)))
                    if t is not None:
                        functions[name] = canonical(t)
            functions.update(_EXTRA)
            _tables = (columns, functions, order)
        return _tables


def catalog_column_type(relation: str, column: str) -> Optional[str]:
    """The type of a catalog relation's column (``pg_class``/``relname`` -> ``name``)."""
    return _load()[0].get((relation.split(".")[-1], column))


def catalog_columns(relation: str) -> Optional[List[str]]:
    """A catalog relation's column names in order (what ``*`` expands to)."""
    return _load()[2].get(relation.split(".")[-1])


def element_type(t: Optional[str]) -> Optional[str]:
    if t is None:
        return None
    if t.endswith("[]"):
        return t[:-2]
    return {"int2vector": "int2", "oidvector": "oid"}.get(t)


def array_type(t: Optional[str]) -> Optional[str]:
    if t is None:
        return None
    if t in ("int2vector", "oidvector"):
        return t[:-6] + "[]"
    return t if t.endswith("[]") else t + "[]"


def function_type(name: str, args: Sequence[Optional[str]]) -> Optional[str]:
    """The result type of a call, from its arguments' types where PostgreSQL's
    function is polymorphic."""
    first: Optional[str] = next((a for a in args if a is not None), None)
    if name in ("array_agg", "pg_array_agg"):
        return array_type(args[0] if args else None)
    if name == "unnest":
        return element_type(args[0] if args else None)
    if name in _SAME_AS_ARG:
        return first
    if name == "sum" and args:
        return {"int2": "int8", "int4": "int8", "int8": "numeric", "float4": "float4",
                "float8": "float8", "numeric": "numeric"}.get(args[0] or "")
    if name == "avg" and args:
        return "float8" if args[0] in ("float4", "float8") else "numeric"
    if name == "generate_series" and args:
        return first if first in ("int4", "int8", "numeric") else "int4"
    return _load()[1].get(name)


def subquery_type(columns: Optional[List[object]]) -> Optional[str]:
    """A scalar subquery's type: its one output column's."""
    if not columns or len(columns) != 1:
        return None
    col = columns[0]
    return getattr(col, "pg_type", None) or getattr(col, "cast", None)
