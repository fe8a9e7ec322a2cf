"""Which relations' ``pg_attribute`` rows a statement can see.

Why: with 10,000 registered tables, ``pg_attribute`` holds 220,000 rows
(with the TOAST tables'), and writing them all into SQLite took 2 of the 3
seconds of the first ``\\d`` after a start, where psql's column statement
reads the rows of one relation (``WHERE a.attrelid = '16390'``). When the
statement reads ``pg_attribute`` once, in its top-level FROM, and its
top-level WHERE requires ``attrelid = <value>``, no row of another
relation can reach its result (the WHERE is applied before grouping,
windows and the select list), so only that relation's rows need to exist.
A read inside a SELECT that yields nothing (psql's publications statement
reads it in a branch over ``pg_publication_rel``, which riffq never fills)
needs none.

Anything else, or anything the built-in parser does not read, gets None:
all rows, as before.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import FrozenSet, Iterator, List, Optional, Tuple

from . import sqlast as A
from .sqlparse import parse_statement

#: what the filter compares ``attrelid`` with: ("literal", text) or
#: ("param", number); or ("none", None): no row is used
Operand = Tuple[str, object]


@functools.lru_cache(maxsize=128)
def attribute_need(sql: str, empty: FrozenSet[str] = frozenset(),
                   aggregates: FrozenSet[str] = frozenset()) -> Optional[Operand]:
    """Which of ``pg_attribute``'s rows ``sql`` can use: ("none", None)
    when none (every place it is read lies in a SELECT over a relation of
    ``empty``, which yields nothing), the operand ``attrelid`` must equal
    in the rows it uses, or None when neither can be shown. A SELECT with
    GROUP BY, HAVING or an aggregate (``aggregates``: their names) is never
    taken for empty: without groups it yields one row whatever it reads."""
    try:
        return _need(parse_statement(sql), empty, aggregates)
    except Exception:       # UnsupportedSql, RecursionError...: nothing to prove with
        return None


def _need(query: A.Query, empty: FrozenSet[str], aggregates: FrozenSet[str]) -> Optional[Operand]:
    ctes = {cte.name for q in _queries(query) for cte in q.ctes}
    if "pg_attribute" in ctes:
        return None
    refs: List[Tuple[A.TableRef, bool]] = []
    _collect(query, False, empty - ctes, aggregates, refs)
    live = [ref for ref, dead in refs if not dead]
    if not live:
        return ("none", None)
    body = query.body
    if len(live) != 1 or not isinstance(body, A.Select):
        return None
    ref = live[0]
    if not any(node is ref for item in body.from_ for node in _from_tables(item)):
        return None         # in a subquery or a CTE, not the top-level FROM
    alias = ref.alias or ref.name
    for conjunct in _conjuncts(body.where):
        operand = _attrelid_equals(conjunct, alias)
        if operand is not None:
            return operand
    return None


def _collect(node: object, dead: bool, empty: FrozenSet[str], aggregates: FrozenSet[str],
             out: List[Tuple[A.TableRef, bool]]) -> None:
    """Each reference to pg_attribute under ``node``, and whether it lies
    in a SELECT that yields no rows."""
    if isinstance(node, A.Select) and not dead:
        dead = _yields_nothing(node, empty, aggregates)
    if _is_pg_attribute(node):
        out.append((node, dead))    # type: ignore[arg-type]
        return
    for child in _children(node):
        _collect(child, dead, empty, aggregates, out)


def _yields_nothing(select: A.Select, empty: FrozenSet[str], aggregates: FrozenSet[str]) -> bool:
    if select.group_by or select.having is not None:
        return False
    if any(isinstance(n, A.Func) and n.name and n.name[-1] in aggregates
           for item in select.items for n in _walk_expr(item)):
        return False
    return any(ref.name in empty and ref.schema in (None, "pg_catalog")
               for item in select.from_ for ref in _inner_tables(item))


def _inner_tables(item: object) -> Iterator[A.TableRef]:
    """Tables of a FROM item whose every row must exist for a row to come
    out: all of an inner join's, the left side's of a LEFT JOIN."""
    if isinstance(item, A.TableRef):
        yield item
    elif isinstance(item, A.Join):
        yield from _inner_tables(item.left)
        if item.kind != "left":
            yield from _inner_tables(item.right)


def _walk_expr(node: object) -> Iterator[object]:
    """Nodes of an expression, not entering subqueries (their aggregates
    are their own)."""
    yield node
    if isinstance(node, (A.SubqueryExpr, A.Query)):
        return
    for child in _children(node):
        yield from _walk_expr(child)


def _children(node: object) -> Iterator[object]:
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            yield getattr(node, f.name)
    elif isinstance(node, (list, tuple)):
        yield from node


def _is_pg_attribute(node: object) -> bool:
    return isinstance(node, A.TableRef) and node.name == "pg_attribute" \
        and node.schema in (None, "pg_catalog")


def _walk(node: object) -> Iterator[object]:
    """Every node under ``node``, itself included."""
    yield node
    for child in _children(node):
        yield from _walk(child)


def _queries(node: object) -> Iterator[A.Query]:
    return (n for n in _walk(node) if isinstance(n, A.Query))


def _from_tables(item: object) -> Iterator[A.TableRef]:
    """The tables of a FROM item, through its joins but not into subqueries."""
    if isinstance(item, A.TableRef):
        yield item
    elif isinstance(item, A.Join):
        yield from _from_tables(item.left)
        yield from _from_tables(item.right)


def _conjuncts(expr: Optional[A.Expr]) -> List[A.Expr]:
    if expr is None:
        return []
    if isinstance(expr, A.Binary) and expr.op == "and":
        return _conjuncts(expr.left) + _conjuncts(expr.right)
    return [expr]


def _attrelid_equals(expr: A.Expr, alias: str) -> Optional[Operand]:
    if not isinstance(expr, A.Binary) or expr.op != "=":
        return None
    for column, other in ((expr.left, expr.right), (expr.right, expr.left)):
        if isinstance(column, A.Col) and column.parts == [alias, "attrelid"]:
            if isinstance(other, A.Cast) and other.type.canonical in ("oid", "regclass"):
                other = other.expr
            if isinstance(other, A.Lit) and other.kind in ("str", "num") \
                    and str(other.value).isdigit():
                return ("literal", str(other.value))
            if isinstance(other, A.Param):
                return ("param", other.number)
    return None
