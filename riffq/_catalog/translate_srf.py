"""Set-returning functions in a select list, for both translator paths.

PostgreSQL (10 and later) runs every set-returning call of one select list
in lockstep: an input row yields as many output rows as the longest call
returns, the shorter calls giving NULL once exhausted, and no row at all
when every call is empty.  SQLite has no such thing, but it joins a
table-valued function that may read the columns of the FROM items before
it.  So the select level gets one extra FROM item, a counter
``json_each(pg_series(1, N)) AS _srfK`` with N the longest call's length,
and each call becomes "element number ``_srfK.value`` of its JSON array".

Only calls whose result is a JSON array the engine can build are accepted
(``unnest``, ``generate_subscripts``, ``information_schema._pg_expandarray``,
``regexp_split_to_table``, ``generate_series``, ``pg_partition_ancestors``);
anything else, or a grouping PostgreSQL would apply before the expansion,
is refused rather than answered differently.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, List, Optional, Sequence

from riffq._catalog import sqlast as A

from riffq._catalog.translate_types import UnsupportedSql, unsupported

__all__ = ["SrfCall", "SrfElement", "SELECT_LIST_SRFS", "AGGREGATES", "plan_srfs",
           "element_sql", "record_field_sql", "grouped_items_ok", "walk_expr", "has_aggregate",
           "from_aliases"]

# Set-returning functions a select list may call, by the JSON array each expands.
SELECT_LIST_SRFS = frozenset(["unnest", "generate_subscripts", "_pg_expandarray",
                              "regexp_split_to_table", "generate_series",
                              "pg_partition_ancestors"])

AGGREGATES = frozenset(["count", "sum", "avg", "min", "max", "array_agg", "string_agg",
                        "bool_and", "bool_or", "every", "json_agg", "jsonb_agg",
                        "json_object_agg", "jsonb_object_agg", "group_concat"])


@dataclass
class SrfCall:
    """One set-returning call, its arguments already emitted as SQLite SQL."""
    name: str
    args: List[str]
    lower_bound: int = 1       # generate_subscripts over an int2vector/oidvector: 0


@dataclass
class SrfElement:
    """How one call reads its current row: ``index`` counts 1, 2, ... per input row."""
    name: str
    array: str                 # SQLite expression of the JSON array the call walks
    index: str
    extra: Optional[str] = None  # generate_subscripts: the dimension argument
    lower_bound: int = 1


def _array_of(call: SrfCall) -> SrfElement:
    name, args = call.name, call.args
    if name == "unnest":
        if len(args) != 1:
            raise unsupported("unnest() with several arrays in a select list")
        return SrfElement(name, "pg_array_json(%s)" % args[0], "")
    if name == "_pg_expandarray":
        if len(args) != 1:
            raise _no_function(name, len(args))
        return SrfElement(name, "pg_array_json(%s)" % args[0], "")
    if name == "generate_subscripts":
        if len(args) == 3:
            raise unsupported("generate_subscripts() with a reverse flag")
        if len(args) != 2:
            raise _no_function(name, len(args))
        return SrfElement(name, "pg_array_json(%s)" % args[0], "", args[1], call.lower_bound)
    if name == "regexp_split_to_table":
        if len(args) not in (2, 3):
            raise _no_function(name, len(args))
        return SrfElement(name, "regexp_split_to_array(%s)" % ", ".join(args), "")
    if name == "generate_series":
        if len(args) not in (2, 3):
            raise _no_function(name, len(args))
        return SrfElement(name, "pg_series(%s)" % ", ".join(args), "")
    if name == "pg_partition_ancestors":
        return SrfElement(name, "pg_partition_ancestors(%s)" % ", ".join(args), "")
    raise unsupported("set-returning function %s() in a select list" % name)


def _no_function(name: str, nargs: int) -> UnsupportedSql:
    return UnsupportedSql("42883", "function %s with %d arguments does not exist" % (name, nargs))


def _length(elem: SrfElement) -> str:
    length = "coalesce(json_array_length(%s), 0)" % elem.array
    if elem.extra is not None:
        return "(CASE WHEN (%s) = 1 THEN %s ELSE 0 END)" % (elem.extra, length)
    return length


def plan_srfs(calls: Sequence[SrfCall], alias: str) -> "tuple[str, List[SrfElement]]":
    """The counter FROM item for *calls* and how each call reads its row."""
    elements = [_array_of(c) for c in calls]
    lengths = [_length(e) for e in elements]
    count = lengths[0] if len(lengths) == 1 else "max(%s)" % ", ".join(lengths)
    for e in elements:
        e.index = "%s.value" % alias
    return "json_each(pg_series(1, %s)) AS %s" % (count, alias), elements


def element_sql(elem: SrfElement, field: Optional[str] = None) -> str:
    """The SQLite expression of the call's value on the current row."""
    i = elem.index
    if elem.name == "generate_subscripts":
        if field is not None:
            raise unsupported("field selection from generate_subscripts()")
        return "(CASE WHEN %s <= %s THEN %s - 1 + %d END)" % (i, _length(elem), i,
                                                              elem.lower_bound)
    value = "pg_subscript(%s, %s, 1)" % (elem.array, i)
    if elem.name != "_pg_expandarray":
        if field is not None:
            raise unsupported("field selection from %s()" % elem.name)
        return value
    position = "(CASE WHEN %s <= %s THEN %s END)" % (i, _length(elem), i)
    if field == "x":
        return value
    if field == "n":
        return position
    if field is not None:
        raise UnsupportedSql("42703", 'column "%s" not found in data type record' % field)
    # The (x, n) record as a JSON object; (expr).x / (expr).n read it back.
    return "json_object('x', %s, 'n', %s)" % (value, position)


def record_field_sql(value_sql: str, field: str) -> str:
    """Field *field* of a record built by :func:`element_sql` (a JSON object)."""
    if field not in ("x", "n"):
        raise UnsupportedSql("42703", 'column "%s" not found in data type record' % field)
    return "json_extract(%s, '$.%s')" % (value_sql, field)


def grouped_items_ok(item_aliases: List[Optional[str]], srf_items: List[int],
                     group_refs: List[object], is_alias_ref: Callable[[object, str], bool],
                     is_ordinal: Callable[[object, int], bool]) -> bool:
    """True when every select item holding a set-returning call is a GROUP BY key.

    Why: PostgreSQL expands a call that is grouped on before grouping (so the
    rewrite's join-then-group is right) but one that is not only after
    aggregation, which the rewrite cannot express.
    """
    for k in srf_items:
        alias = item_aliases[k]
        if not any((alias is not None and is_alias_ref(g, alias)) or is_ordinal(g, k + 1)
                   for g in group_refs):
            return False
    return True


def walk_expr(e: A.Expr) -> Iterator[A.Expr]:
    """*e* and the expressions inside it, not entering subqueries."""
    stack: List[object] = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(node)
            continue
        if not isinstance(node, A.Expr):
            continue
        yield node
        if isinstance(node, (A.SubqueryExpr, A.InQuery)):
            if isinstance(node, A.InQuery):
                stack.append(node.expr)
            continue
        for value in vars(node).values():
            if isinstance(value, list):
                stack.extend(value)
            elif isinstance(value, A.OrderItem):
                stack.append(value.expr)
            else:
                stack.append(value)
        if isinstance(node, A.Func):
            stack.extend(o.expr for o in node.order)


def has_aggregate(e: A.Expr) -> bool:
    return any(isinstance(n, A.Func) and n.over is None and n.name[-1] in AGGREGATES
               for n in walk_expr(e))


def from_aliases(items: List[A.FromItem]) -> List[str]:
    """The names FROM items are known by, in order (what ``*`` expands)."""
    out: List[str] = []
    for f in items:
        if isinstance(f, A.Join):
            out.extend(from_aliases([f.left, f.right]))
        elif isinstance(f, A.TableRef):
            out.append(f.alias or f.name)
        elif isinstance(f, A.FunctionRef):
            out.append(f.alias or f.func.name[-1])
        else:
            out.append(f.alias or "subquery")
    return out
