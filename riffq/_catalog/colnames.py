"""PostgreSQL's result column names and the typing hints T gives the engine.

PostgreSQL names an unaliased select item by a rule with strengths
(``FigureColnameInternal`` in parse_target.c): column references and
function calls name themselves strongly, a cast names the column after its
argument when that is strong and after the type otherwise, CASE after its
ELSE branch, and anything else is ``?column?``.  Drivers and tools look
results up by these names, so both translator paths compute them here.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple, Union

from riffq._catalog import sqlast as A
from riffq._catalog.coltypes import (array_type, catalog_column_type, catalog_columns,
                                     element_type, function_type, subquery_type)
from riffq._catalog.translate_srf import from_aliases
from riffq._catalog.translate_types import OutputColumn

__all__ = ["star_columns", "expand_star", "figure_name", "literal_type", "output_column",
           "expr_type", "resolve_column", "output_position", "compared_parameter_type",
           "typed_comparison", "BOOL_COLUMNS", "Scope", "Subqueries", "tableoid_relation",
           "join_owner"]

# A derived table's columns (by name) or the catalog relation a FROM alias names.
ScopeEntry = Union[str, List[OutputColumn]]
Scope = Dict[str, ScopeEntry]
# The output columns of subqueries already emitted, by id() of their Query.
Subqueries = Dict[int, Optional[List[OutputColumn]]]

_BOOL_BINARY = frozenset(["and", "or", "=", "<>", "<", ">", "<=", ">=", "~", "~*", "!~",
                          "!~*", "~~", "~~*", "!~~", "!~~*"])
_INT = re.compile(r"-?[0-9]+$")

# Every boolean column of PostgreSQL 15's pg_catalog and information_schema
# relations: JSON renders them true/false, so the translator must know them.
BOOL_COLUMNS = frozenset("""
active admin_option aggfinalextra aggmfinalextra applied attbyval atthasdef atthasmissing
attisdropped attislocal attnotnull collisdeterministic condefault condeferrable condeferred
conislocal connoinherit convalidated cycle datallowconn datistemplate encrypted extrelocatable
fastpath from_sql granted gss_authenticated hasindexes hasrules hastriggers indcheckxmin
indimmediate indisclustered indisexclusion indislive indisprimary indisready indisreplident
indisunique indisvalid indnullsnotdistinct inhdetachpending inherited installed is_binary is_dst
is_holdable is_instead is_scrollable ispopulated lanispl lanpltrusted opcdefault oprcanhash
oprcanmerge pending_restart polpermissive proisstrict proleakproof proretset prosecdef
puballtables pubdelete pubinsert pubtruncate pubupdate pubviaroot relforcerowsecurity
relhasindex relhasrules relhassubclass relhastriggers relispartition relispopulated relisshared
relocatable relrowsecurity rolbypassrls rolcanlogin rolcreatedb rolcreaterole rolinherit
rolreplication rolsuper rowsecurity seqcycle ssl stainherit stxdinherit subbinary
subdisableonerr subenabled substream superuser temporary tgdeferrable tginitdeferred
tgisinternal trusted two_phase typbyval typisdefined typispreferred typnotnull usebypassrls
usecreatedb userepl usesuper
""".split())


def figure_name(e: A.Expr) -> Tuple[str, int]:
    """(name, strength): strength 2 names the column, 1 is a weak guess, 0 none."""
    if isinstance(e, A.Col):
        return e.parts[-1], 2
    if isinstance(e, A.Func):
        return e.name[-1], 2
    if isinstance(e, A.Subscript):
        return figure_name(e.expr)
    if isinstance(e, A.Cast):
        name, strength = figure_name(e.expr)
        if strength <= 1:
            return e.type.label, 1
        return name, strength
    if isinstance(e, A.Case):
        if e.default is not None:
            name, strength = figure_name(e.default)
            if strength > 1:
                return name, strength
        return "case", 1
    if isinstance(e, A.SubqueryExpr):
        if e.kind == "exists":
            return "exists", 2
        if e.kind == "array":
            return "array", 2
        first = first_select(e.query)
        if first is not None and first.items and not isinstance(first.items[0].expr, A.Star):
            item = first.items[0]
            if item.alias is not None:
                return item.alias, 2
            name, strength = figure_name(item.expr)
            if strength > 0:
                return name, 2
        return "?column?", 0
    if isinstance(e, A.ArrayLit):
        return "array", 2
    if isinstance(e, A.FieldSelect):
        return e.field, 2
    return "?column?", 0


def first_select(q: A.Query) -> Optional[A.Select]:
    body: object = q
    while True:
        if isinstance(body, A.Query):
            body = body.body
        elif isinstance(body, A.SetOp):
            body = body.left
        elif isinstance(body, A.Select):
            return body
        else:
            return None


def literal_type(lit: A.Lit) -> str:
    """The PostgreSQL type of a bare constant in a select list."""
    if lit.kind == "bool":
        return "bool"
    if lit.kind == "num":
        text = str(lit.value)
        if _INT.match(text):
            n = int(text)
            if -2**31 <= n < 2**31:
                return "int4"
            if -2**63 <= n < 2**63:
                return "int8"
        return "numeric"
    return "text"  # strings and NULL: unknown resolves to text


def evident_type(e: A.Expr) -> Optional[str]:
    """A result type that follows from the syntax alone, when there is one."""
    if isinstance(e, A.Cast):
        return e.type.canonical
    if isinstance(e, A.Lit):
        return literal_type(e)
    if isinstance(e, (A.IsTest, A.Distinct, A.Between, A.InList, A.InQuery, A.Like,
                      A.Quantified)):
        return "bool"
    if isinstance(e, A.SubqueryExpr) and e.kind == "exists":
        return "bool"
    if isinstance(e, A.Unary) and e.op == "not":
        return "bool"
    if isinstance(e, A.Binary):
        if e.op in _BOOL_BINARY:
            return "bool"
        if e.op == "||":
            return "text"
    if isinstance(e, A.Func) and e.name[-1] == "count" and e.over is None:
        return "int8"
    if isinstance(e, A.Func) and e.name[-1] in ("coalesce", "nullif") and e.args:
        types = {evident_type(a) for a in e.args}
        if len(types) == 1:
            return types.pop()
    if isinstance(e, A.Case):
        branches = [v for _, v in e.whens] + ([e.default] if e.default is not None else [])
        types = {evident_type(v) for v in branches if not (isinstance(v, A.Lit)
                                                            and v.kind == "null")}
        if len(types) == 1:
            return types.pop()
    return None


def expr_type(e: A.Expr, scope: Scope, subqueries: Optional[Subqueries] = None
              ) -> Optional[str]:
    """:func:`evident_type`, plus what the catalog tells: the types of catalog
    columns read through *scope*, of built-in functions' results and of
    already emitted subqueries (*subqueries*)."""
    subqueries = subqueries if subqueries is not None else {}
    if isinstance(e, A.Col):
        ref = resolve_column(e.parts, scope)
        if ref is None:
            return None
        if ref.pg_type is not None:
            return ref.pg_type
        if ref.cast is not None:
            return ref.cast
        source = ref.source
        if source is not None:
            if source[1] in BOOL_COLUMNS:
                return "bool"
            return catalog_column_type(source[0], source[1])
        return None
    if isinstance(e, A.Func) and e.sql_syntax != "keyword" and e.name[-1] not in (
            "count", "coalesce", "nullif"):
        return function_type(e.name[-1], [expr_type(a, scope, subqueries) for a in e.args])
    if isinstance(e, A.Func) and e.sql_syntax == "keyword":
        return function_type(e.name[-1], [])
    if isinstance(e, A.Func) and e.name[-1] in ("coalesce", "nullif"):
        return next((t for t in (expr_type(a, scope, subqueries) for a in e.args)
                     if t is not None), None)
    if isinstance(e, A.Subscript):
        return element_type(expr_type(e.expr, scope, subqueries))
    if isinstance(e, A.FieldSelect) and isinstance(e.expr, A.Func) and \
            e.expr.name[-1] == "_pg_expandarray" and e.expr.args:
        # information_schema._pg_expandarray(arr) returns (x element, n int4)
        return "int4" if e.field == "n" else element_type(
            expr_type(e.expr.args[0], scope, subqueries)) if e.field == "x" else None
    if isinstance(e, A.SubqueryExpr) and e.kind in ("scalar", "array") and id(e.query) in \
            subqueries:
        t = subquery_type(subqueries[id(e.query)])
        return t if e.kind == "scalar" else array_type(t)
    if isinstance(e, A.ArrayLit) and e.items:
        return array_type(next((t for t in (expr_type(i, scope, subqueries) for i in e.items)
                                if t is not None), None))
    if isinstance(e, A.Case):
        # String constants are of unknown type: they take the type of the
        # other branches ('a' beside a "char" column is "char").
        branches = [v for _, v in e.whens] + ([e.default] if e.default is not None else [])
        typed = [expr_type(v, scope, subqueries) for v in branches
                 if not (isinstance(v, A.Lit) and v.kind in ("null", "str"))]
        if typed and all(t is not None for t in typed):
            return _common_type(typed)
        if not typed and any(isinstance(v, A.Lit) and v.kind == "str" for v in branches):
            return "text"
        return evident_type(e)
    if isinstance(e, A.Binary) and e.op in _ARITHMETIC:
        sides = [expr_type(x, scope, subqueries) for x in (e.left, e.right)]
        if all(t in _NUMERIC for t in sides):
            return _common_type([t for t in sides if t is not None])
    return evident_type(e)


_ARITHMETIC = frozenset(["+", "-", "*", "/", "%"])
_NUMERIC = ("int2", "int4", "int8", "numeric", "float4", "float8")
_PARAM_COMPARED_TYPES = frozenset(["int2", "int4", "int8", "oid", "float4", "float8",
                                   "numeric", "bool"])


def compared_parameter_type(other: A.Expr, scope: Scope,
                            subqueries: Optional[Subqueries] = None) -> Optional[str]:
    """The type a bare ``$n`` (or a string constant) compared with *other*
    must be cast to, if any.

    PostgreSQL types the parameter after the other side; SQLite receives it
    as text and compares text with a computed number or a 0/1 boolean as
    unequal.  A numeric catalog column needs no cast: its INTEGER affinity
    converts numeric text (a boolean column does not: 'f' stays text)."""
    kind = expr_type(other, scope, subqueries)
    if kind not in _PARAM_COMPARED_TYPES:
        return None
    if kind != "bool" and isinstance(other, A.Col):
        ref = resolve_column(other.parts, scope)
        if ref is not None and ref.source is not None:
            return None
    return kind


def untyped(e: A.Expr) -> bool:
    """A bare ``$n`` or a string constant: PostgreSQL gives it the type of
    what it is compared with (``indisprimary = 't'``, as psqlODBC writes)."""
    return isinstance(e, A.Param) or (isinstance(e, A.Lit) and e.kind == "str")


def typed_comparison(e: A.Binary, scope: Scope,
                     subqueries: Optional[Subqueries] = None) -> A.Binary:
    """``x = $1`` or ``x = 't'`` with the untyped side cast as
    :func:`compared_parameter_type` says."""
    left_untyped = untyped(e.left)
    if left_untyped == untyped(e.right):
        return e
    kind = compared_parameter_type(e.right if left_untyped else e.left, scope, subqueries)
    if kind is None:
        return e
    cast = A.Cast(e.left if left_untyped else e.right, A.TypeName(kind, kind))
    return A.Binary(e.op, cast, e.right) if left_untyped else A.Binary(e.op, e.left, cast)


def _common_type(types: List[str]) -> str:
    """PostgreSQL's CASE/UNION resolution, for the types catalog queries mix:
    the first non-text type wins over unknown-typed literals."""
    if len(set(types)) == 1:
        return types[0]
    if all(t in _NUMERIC for t in types):
        return max(types, key=_NUMERIC.index)
    if all(t in ("text", "name", "varchar", "char", "bpchar") for t in types):
        return "text"
    return types[0]


def output_position(e: A.Expr, cols: Optional[List[OutputColumn]]) -> Optional[int]:
    """The 1-based result column a bare ORDER BY name denotes, if any.

    PostgreSQL matches an unqualified ORDER BY name against the result
    column names before the FROM columns (``ORDER BY oid`` after
    ``SELECT pg_type.oid ... FROM pg_enum JOIN pg_type``); SQLite would
    call it ambiguous, so the translators sort by the position instead."""
    if not isinstance(e, A.Col) or len(e.parts) != 1 or not cols:
        return None
    names = [c.name for c in cols]
    if names.count(e.parts[0]) != 1:
        return None
    return names.index(e.parts[0]) + 1


def tableoid_relation(parts: List[str], scopes: List[Scope]) -> Optional[str]:
    """The catalog relation whose ``tableoid`` system column ``parts`` reads
    (``l.tableoid``, or a lone ``tableoid`` over one relation), else None.
    The SQLite tables have no such column; psql's \\dd and \\dL join
    pg_description on it, so the translators put the relation's OID there."""
    if not parts or parts[-1] != "tableoid" or len(parts) > 2:
        return None
    for scope in reversed(scopes):
        if len(parts) == 2:
            entry = scope.get(parts[0])
            if entry is not None:
                return entry if isinstance(entry, str) else None
        elif scope:
            entries = list(scope.values())
            return entries[0] if len(entries) == 1 and isinstance(entries[0], str) else None
    return None


def resolve_column(parts: List[str], scope: Scope) -> Optional[OutputColumn]:
    """What a column reference points at: a catalog column or a derived column."""
    col = parts[-1]
    if len(parts) >= 2:
        entry = scope.get(parts[-2])
        candidates = [entry] if entry is not None else []
    else:
        candidates = list(scope.values())
    found: List[OutputColumn] = []
    for entry in candidates:
        if isinstance(entry, str):
            # an unqualified name belongs to the FROM relations that have it
            known = catalog_columns(entry) if len(parts) == 1 else None
            if known is None or col in known:
                found.append(OutputColumn(col, source=(entry, col)))
        else:
            found.extend(c for c in entry if c.name == col)
    if len(found) == 1:
        return found[0]
    return None


def join_owner(col: str, scope: Scope) -> Optional[str]:
    """The one FROM item so far that has a column ``col``, for an
    unqualified name in a join condition. PostgreSQL looks such a name up
    among the join's own inputs only, SQLite among every item of the FROM:
    psqlODBC's SQLForeignKeys names ``conkey`` of its subquery in a join
    nested inside one with ``pg_constraint``, which has a ``conkey`` too.
    The items a join condition is emitted after are exactly its inputs (and
    the FROM items before it, which PostgreSQL would not let it name).
    None when none or several have it, or a relation's columns are unknown:
    the name is then left to SQLite as written."""
    owners = []
    for alias, entry in scope.items():
        if isinstance(entry, str):
            known = catalog_columns(entry)
            if known is None:
                return None
            if col in known:
                owners.append(alias)
        elif entry is None:
            return None
        elif any(c.name == col for c in entry):
            owners.append(alias)
    return owners[0] if len(owners) == 1 else None


def output_column(item: A.SelectItem, scope: Scope, subqueries: Optional[Subqueries] = None
                  ) -> OutputColumn:
    """The OutputColumn of one select item (name, cast, function, source, literal)."""
    e = item.expr
    name = item.alias if item.alias is not None else figure_name(e)[0]
    out = OutputColumn(name)
    if isinstance(e, A.Cast):
        out.cast = e.type.canonical
    elif isinstance(e, A.Func):
        out.function = e.name[-1]
    elif isinstance(e, A.Col):
        ref = resolve_column(e.parts, scope)
        if ref is not None:
            out.source, out.cast, out.function = ref.source, ref.cast, ref.function
            out.literal, out.pg_type = ref.literal, ref.pg_type
    elif isinstance(e, A.Lit):
        out.literal = literal_type(e)
    if out.pg_type is None:
        out.pg_type = expr_type(e, scope, subqueries)
    return out


def star_columns(star: A.Star, scope: Scope, from_: List[A.FromItem]
                 ) -> Optional[List[OutputColumn]]:
    """The columns ``*`` / ``t.*`` stands for, in order, when the FROM items
    tell them all (catalog relations, subqueries, CTEs); None otherwise,
    e.g. after JOIN ... USING, which merges columns."""
    if any(_has_using(f) for f in from_):
        return None
    return expand_star(star.qualifier[-1] if star.qualifier else None, from_aliases(from_),
                       scope)


def expand_star(qualifier: Optional[str], aliases: List[str], scope: Scope
                ) -> Optional[List[OutputColumn]]:
    """The columns of the FROM items known by *aliases* (only *qualifier*'s
    when given), in order; None when one of them does not tell its columns.
    Shared by both translator paths, whose FROM trees differ."""
    out: List[OutputColumn] = []
    for alias in aliases:
        if qualifier is not None and alias != qualifier:
            continue
        entry = scope.get(alias)
        if isinstance(entry, str):
            names = catalog_columns(entry)
            if names is None:
                return None
            out.extend(output_column(A.SelectItem(A.Col([alias, n]), None), scope)
                       for n in names)
        elif isinstance(entry, list) and entry:
            out.extend(OutputColumn(c.name, c.cast, c.function, c.source, c.literal, c.pg_type)
                       for c in entry)
        else:
            return None
    return out


def _has_using(f: A.FromItem) -> bool:
    return isinstance(f, A.Join) and (bool(f.using) or _has_using(f.left) or
                                      _has_using(f.right))
