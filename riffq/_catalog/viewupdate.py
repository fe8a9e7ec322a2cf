"""Whether a registered view is automatically updatable, as PostgreSQL decides.

PostgreSQL lets INSERT/UPDATE/DELETE through a view without triggers when
the view is "simple" (``view_query_is_auto_updatable`` in its rewriter):
one table or view in FROM, no WITH, DISTINCT, GROUP BY, HAVING, LIMIT,
OFFSET, set operation, aggregate, window function or set-returning
function in the SELECT list.  ``information_schema.views.is_updatable``
and ``is_insertable_into`` (and ``pg_relation_is_updatable``) report it,
and tools (Npgsql's schema, DBeaver) show it; riffq answers from the
view's registered SQL by the same rules.  A view whose SQL riffq cannot
parse counts as not updatable: PostgreSQL would have to analyse it to say
more.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

from . import sqlast as A
from .sqlparse import parse_statement
from .translate_types import UnsupportedSql

__all__ = ["EVENT_UPDATE", "EVENT_INSERT", "EVENT_DELETE", "updatable_events"]

#: pg_relation_is_updatable's bits: 1 << CmdType of UPDATE, INSERT, DELETE
EVENT_UPDATE, EVENT_INSERT, EVENT_DELETE = 4, 8, 16
_ALL_EVENTS = EVENT_UPDATE | EVENT_INSERT | EVENT_DELETE
#: functions returning sets that views put in their SELECT list
_SET_RETURNING = frozenset(("generate_series", "unnest", "regexp_matches", "json_each",
                            "jsonb_each", "json_array_elements", "jsonb_array_elements",
                            "generate_subscripts", "regexp_split_to_table"))
#: how deep views over views are followed (PostgreSQL rejects cycles at creation)
_MAX_DEPTH = 16


def updatable_events(ctx: Any, rel: Any, depth: int = 0) -> int:
    """pg_relation_is_updatable(rel, false) for a user relation: the bits of
    the commands PostgreSQL would let through it without triggers."""
    if rel.kind == "r":
        return _ALL_EVENTS
    if rel.kind != "v" or rel.view_sql is None or depth > _MAX_DEPTH:
        return 0
    try:
        query = parse_statement(rel.view_sql)
    except UnsupportedSql:
        return 0
    select = _simple_select(query, _window_or_aggregate(ctx))
    if select is None:
        return 0
    ref = select.from_[0]
    base = _resolve(ctx, ref, rel)  # type: ignore[arg-type]
    if base is None:
        return 0
    # without a plain column to write, only DELETE goes through
    events = _ALL_EVENTS if any(_updatable_column(i.expr) for i in select.items) \
        else EVENT_DELETE
    return events & updatable_events(ctx, base, depth + 1)


def _simple_select(query: A.Query, forbidden: Callable[[A.Func], bool]) -> Optional[A.Select]:
    if query.ctes or query.limit is not None or query.offset is not None:
        return None
    body = query.body
    if not isinstance(body, A.Select) or body.distinct or body.group_by or body.having \
            or body.windows or len(body.from_) != 1 or not isinstance(body.from_[0], A.TableRef):
        return None
    if any(_contains(i.expr, forbidden) for i in body.items):
        return None
    return body


def _window_or_aggregate(ctx: Any) -> Callable[[A.Func], bool]:
    aggregates = ctx.memo.get("aggregate names")
    if aggregates is None:
        aggregates = ctx.memo["aggregate names"] = frozenset(
            p["proname"] for p in ctx.static.proc_by_oid.values() if p.get("prokind") in ("a", "w"))

    def forbidden(f: A.Func) -> bool:
        name = f.name[-1].lower()
        return f.over is not None or name in aggregates or name in _SET_RETURNING
    return forbidden


def _contains(node: Any, pred: Callable[[A.Func], bool]) -> bool:
    """Whether an expression calls a function ``pred`` rejects; subqueries
    are their own queries and are not looked into."""
    if isinstance(node, A.Func) and pred(node):
        return True
    if isinstance(node, (A.Query, A.Select)):
        return False
    if isinstance(node, (list, tuple)):
        return any(_contains(n, pred) for n in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return any(_contains(getattr(node, f.name), pred) for f in dataclasses.fields(node))
    return False


def _updatable_column(expr: A.Expr) -> bool:
    return isinstance(expr, (A.Col, A.Star))


def _resolve(ctx: Any, ref: A.TableRef, view: Any) -> Optional[Any]:
    """The relation a view's FROM names: schema-qualified, else one in the
    view's own schema, else in public, else the only one of that name.  Not
    the session's search path: PostgreSQL resolved the name when the view was
    created, and information_schema.tables' rows are kept across sessions."""
    named = ctx.snap.relations_named(ref.name)
    if ref.schema is not None:
        return next((r for r in named if r.schema == ref.schema), None)
    for schema in (view.schema, "public"):
        found = next((r for r in named if r.schema == schema), None)
        if found is not None:
            return found
    return named[0] if len(named) == 1 else None
