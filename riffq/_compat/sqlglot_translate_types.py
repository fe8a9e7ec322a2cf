"""Result typing for the sqlglot path: sqlglot's tree read as the built-in one.

Result types (``OutputColumn`` casts, functions, catalog sources, literal
and PostgreSQL types) follow rules that live once, in ``colnames`` and
``coltypes``, written over the built-in path's syntax tree (``sqlast``).
Rather than keep a second copy of those rules over sqlglot's nodes, this
module reads a sqlglot expression into the ``sqlast`` shapes those rules
look at, so both paths type results by the same code.  Subqueries are read
as placeholders: their columns become known only once the translator has
rewritten them, and :meth:`Typed.subqueries` matches them up then.

The reading is done before the translator rewrites an expression in place
(the rewrite turns casts, subscripts and calls into ``pg_*`` engine calls).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from riffq._catalog import sqlast as A
from riffq._catalog import colnames
from riffq._catalog.colnames import Scope, Subqueries
from riffq._catalog.translate_types import OutputColumn
from riffq._compat.sqlglot_translate_names import (KEYWORD_NODES, column_parts, folded,
                                                   function_name, is_call, keyword_value,
                                                   literal_of, type_label, type_name)

from sqlglot import exp

__all__ = ["Typed", "Described"]

# Output columns of the queries the translator has rewritten, by id() of the
# sqlglot query node (a Select, set operation or VALUES).
Described = Dict[int, Optional[List[OutputColumn]]]

_BINARY_OPS = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">",
               exp.GTE: ">=", exp.And: "and", exp.Or: "or", exp.DPipe: "||",
               exp.RegexpLike: "~", exp.RegexpILike: "~*", exp.Add: "+", exp.Sub: "-",
               exp.Mul: "*", exp.Div: "/", exp.Mod: "%"}
_QUERIES = (exp.Select, exp.SetOperation, exp.Values)
# Arguments of sqlglot's typed function nodes that are not call arguments.
_NOT_ARGUMENTS = frozenset(("alias", "offset", "ordinality", "big_int", "ignore_nulls"))


class Typed:
    """One sqlglot expression read as the built-in path's syntax tree."""

    def __init__(self, e: "exp.Expression") -> None:
        # (placeholder query, the sqlglot query node it stands for)
        self._queries: List[Tuple[A.Query, exp.Expression]] = []
        self.node = self._read(e)

    def subqueries(self, described: Described) -> Subqueries:
        """The columns of the subqueries read so far, for ``colnames``."""
        return {id(stub): described[id(q)] for stub, q in self._queries if id(q) in described}

    def output_column(self, name: str, scope: Scope, described: Described) -> OutputColumn:
        """The select item's OutputColumn, named *name* (the sqlglot path names items)."""
        return colnames.output_column(A.SelectItem(self.node, name), scope,
                                      self.subqueries(described))

    def pg_type(self, scope: Scope, described: Described) -> Optional[str]:
        return colnames.expr_type(self.node, scope, self.subqueries(described))

    # ---- reading ----------------------------------------------------------
    def _query(self, q: "exp.Expression") -> A.Query:
        """A placeholder for a subquery, matched up with its columns later."""
        if isinstance(q, exp.Subquery):
            q = q.this
        stub = A.Query(A.Values([]))
        self._queries.append((stub, q))
        return stub

    def _read(self, e: Optional["exp.Expression"]) -> A.Expr:
        while isinstance(e, (exp.Paren, exp.Collate)):  # COLLATE: dropped by both paths
            e = e.this
        if not isinstance(e, exp.Expression):
            return A.Expr()  # a part sqlglot left empty: untyped
        lit = literal_of(e)
        if lit is not None:
            return lit
        if isinstance(e, (exp.Parameter, exp.Placeholder)):
            return A.Param(int(e.name) if e.name.isdigit() else 0)
        if isinstance(e, exp.Column) and keyword_value(e) is None:
            if isinstance(e.this, exp.Star):
                return A.Star(column_parts(e)[:-1])
            return A.Col(column_parts(e))
        if isinstance(e, exp.Star):
            return A.Star()
        if isinstance(e, exp.Cast):
            return A.Cast(self._read(e.this), A.TypeName(type_name(e.to), type_label(e.to)))
        if isinstance(e, exp.Case):
            operand = e.this
            whens = [(self._read(i.this), self._read(i.args["true"]))
                     for i in e.args.get("ifs") or []]
            default = e.args.get("default")
            return A.Case(self._read(operand) if operand is not None else None, whens,
                          self._read(default) if default is not None else None)
        if isinstance(e, (exp.Subquery,) + _QUERIES):
            return A.SubqueryExpr(self._query(e), "scalar")
        if isinstance(e, exp.Exists):
            return A.SubqueryExpr(self._query(e.this), "exists")
        if isinstance(e, exp.Array):
            items = e.expressions
            if len(items) == 1 and isinstance(items[0], (exp.Subquery,) + _QUERIES):
                return A.SubqueryExpr(self._query(items[0]), "array")
            return A.ArrayLit([self._read(i) for i in items])
        if isinstance(e, exp.Bracket) and len(e.expressions) == 1:
            return A.Subscript(self._read(e.this), self._read(e.expressions[0]))
        if isinstance(e, exp.Dot) and not isinstance(e.expression, exp.Func):
            return A.FieldSelect(self._read(e.this), folded(e.expression))
        predicate = self._predicate(e)
        if predicate is not None:
            return predicate
        if is_call(e):
            return self._call(e)
        return A.Expr()  # untyped by the shared rules

    def _predicate(self, e: "exp.Expression") -> Optional[A.Expr]:
        """Operators and predicates (the nodes whose type is ``bool``/``text`` by syntax)."""
        if isinstance(e, exp.Not):
            return A.Unary("not", self._read(e.this))
        if isinstance(e, exp.Neg):
            return A.Unary("-", self._read(e.this))
        quantifier = e.args.get("expression")
        if isinstance(quantifier, (exp.Any, exp.All)) and type(e) in _BINARY_OPS:
            quant = "any" if isinstance(quantifier, exp.Any) else "all"
            return A.Quantified(self._read(e.this), _BINARY_OPS[type(e)], quant,
                                self._read(quantifier.this))
        if type(e) in _BINARY_OPS:
            return A.Binary(_BINARY_OPS[type(e)], self._read(e.this), self._read(e.expression))
        if isinstance(e, exp.Operator):
            op = str(e.args.get("operator")).split(".")[-1].strip()
            return A.Binary(op, self._read(e.this), self._read(e.expression))
        if isinstance(e, exp.Is):
            what = "null" if isinstance(e.expression, exp.Null) else "true"
            return A.IsTest(self._read(e.this), what, False)
        if isinstance(e, (exp.NullSafeEQ, exp.NullSafeNEQ)):
            return A.Distinct(self._read(e.this), self._read(e.expression),
                              isinstance(e, exp.NullSafeEQ))
        if isinstance(e, exp.Between):
            return A.Between(self._read(e.this), self._read(e.args["low"]),
                             self._read(e.args["high"]), False)
        if isinstance(e, exp.In):
            if e.args.get("query") is not None:
                return A.InQuery(self._read(e.this), self._query(e.args["query"]), False)
            return A.InList(self._read(e.this), [self._read(i) for i in e.expressions], False)
        if isinstance(e, exp.Escape):
            return self._read(e.this)
        if isinstance(e, (exp.Like, exp.ILike, exp.SimilarTo)):
            kind = {exp.Like: "like", exp.ILike: "ilike"}.get(type(e), "similar")
            return A.Like(self._read(e.this), self._read(e.expression), kind, False)
        return None

    def _call(self, e: "exp.Expression") -> A.Func:
        over: Optional[A.WindowSpec] = None
        filter_: Optional[A.Expr] = None
        while isinstance(e, (exp.Window, exp.Filter)):
            if isinstance(e, exp.Window):
                over = A.WindowSpec([], [])
            else:
                filter_ = self._read(e.expression.this)
            e = e.this
        name = [function_name(e)]
        if isinstance(e, exp.Dot):
            name = [folded(e.this), name[0]]
            e = e.expression
        func = A.Func(name, [], filter=filter_, over=over)
        if keyword_value(e) is not None or type(e) in KEYWORD_NODES:
            func.sql_syntax = "keyword"
            return func
        for arg in _arguments(e):
            if isinstance(arg, exp.Order):
                arg = arg.this
            if isinstance(arg, exp.Distinct):
                func.distinct = True
                func.args.extend(self._read(a) for a in arg.expressions)
            elif isinstance(arg, exp.Star):
                func.star = True
            else:
                func.args.append(self._read(arg))
        return func


def _arguments(e: "exp.Expression") -> List["exp.Expression"]:
    """A call's arguments in PostgreSQL's order."""
    if isinstance(e, (exp.Anonymous, exp.Unnest)):
        return list(e.expressions)
    out: List[exp.Expression] = []
    for key in e.arg_types:
        if key in _NOT_ARGUMENTS:
            continue
        value = e.args.get(key)
        if isinstance(value, list):
            out.extend(v for v in value if isinstance(v, exp.Expression))
        elif isinstance(value, exp.Expression):
            out.append(value)
    return out
