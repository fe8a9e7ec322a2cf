"""The catalog translator's sqlglot path: PostgreSQL AST -> SQLite AST -> SQL.

sqlglot parses the statement with its PostgreSQL dialect (array subscripts
kept as written: PostgreSQL's own bounds matter for int2vector/oidvector),
the tree is rewritten node by node into the contract's SQLite form (casts,
regexes, LIKE, ANY/ALL, arrays and subscripts become the engine's ``pg_*``
calls; functions sqlglot typed are given back their PostgreSQL names) and
sqlglot's SQLite generator writes the result.  What this path cannot map
faithfully raises ``UnsupportedSql``; the built-in translator is the
reference both paths are tested against.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Set

from riffq._catalog.colnames import BOOL_COLUMNS
from riffq._catalog.sqlemit import KEYWORD_FUNCTIONS, QUANTIFIED_OPS, VECTOR_COLUMNS
from riffq._catalog.sqlparse_expr import canonical_type
from riffq._catalog.translate_types import OutputColumn, Translation, UnsupportedSql, unsupported

try:
    import sqlglot
    from sqlglot import exp
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.errors import SqlglotError
    AVAILABLE = True
except ImportError:  # pragma: no cover - the optional extra is missing
    AVAILABLE = False

__all__ = ["AVAILABLE", "translate_with_sqlglot"]

_CATALOG_SCHEMAS = ("pg_catalog", "information_schema")

if AVAILABLE:
    class _Dialect(Postgres):
        """PostgreSQL as written: subscripts are not shifted to 0-based."""
        INDEX_OFFSET = 0

    _REGEX_NODES = {exp.RegexpLike: 0, exp.RegexpILike: 1}
    _COMPARISONS = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">",
                    exp.GTE: ">="}
    _NATIVE = (exp.Count, exp.Min, exp.Max, exp.Sum, exp.Avg, exp.Upper, exp.Lower,
               exp.Coalesce, exp.Case, exp.If, exp.Cast, exp.Anonymous, exp.Length)


def translate_with_sqlglot(sql: str) -> Translation:
    """Translate one catalog statement through sqlglot's AST."""
    try:
        trees = sqlglot.parse(sql, read=_Dialect)
    except SqlglotError as exc:
        raise UnsupportedSql("42601", "syntax error (catalog emulation, sqlglot): %s"
                             % str(exc).splitlines()[0]) from None
    trees = [t for t in trees if t is not None]
    if len(trees) != 1 or not isinstance(trees[0], (exp.Select, exp.SetOperation,
                                                    exp.Values)):
        raise unsupported("this statement on the sqlglot path")
    tree = trees[0]
    rewriter = _Rewriter()
    columns = _output_columns(tree)
    out = rewriter.rewrite(tree)
    return Translation(out.sql(dialect="sqlite"), columns, rewriter.relations, [])


class _Rewriter:
    """One statement's rewrite: relations read, CTE names in scope."""

    def __init__(self) -> None:
        self.relations: Set[str] = set()
        self.ctes: Set[str] = set()

    def rewrite(self, tree: "exp.Expression") -> "exp.Expression":
        for cte in tree.find_all(exp.CTE):
            self.ctes.add(cte.alias_or_name)
        for table in tree.find_all(exp.Table):
            self.table(table)
        return self.bottom_up(tree.copy())

    def bottom_up(self, e: "exp.Expression") -> "exp.Expression":
        """Rewrite children first, so every rewrite sees rewritten operands."""
        for key, value in list(e.args.items()):
            if isinstance(value, exp.Expression):
                e.set(key, self.bottom_up(value))
            elif isinstance(value, list):
                e.set(key, [self.bottom_up(v) if isinstance(v, exp.Expression) else v
                            for v in value])
        return self.node(e)

    def table(self, t: "exp.Table") -> None:
        if not isinstance(t.this, exp.Identifier):
            return
        schema = t.db or None
        name = t.name
        if schema is None and name in self.ctes:
            return
        if schema is not None and schema not in _CATALOG_SCHEMAS:
            raise UnsupportedSql("42P01", 'relation "%s.%s" is not a catalog relation'
                                 % (schema, name))
        if schema is None and not name.startswith("pg_"):
            raise UnsupportedSql("42P01", 'relation "%s" does not exist' % name)
        self.relations.add(name)

    # ---- node rewrites ----------------------------------------------------
    def node(self, e: "exp.Expression") -> "exp.Expression":
        if isinstance(e, exp.Parameter):
            return exp.Var(this="?%s" % e.name)
        if isinstance(e, (exp.ByteString, exp.RawString)):
            return exp.Literal.string(e.this)
        if isinstance(e, exp.Boolean):
            return exp.Literal.number(1 if e.this else 0)
        if isinstance(e, exp.Collate):
            return e.this
        if isinstance(e, exp.Cast):
            return self.cast(e)
        if type(e) in _REGEX_NODES:
            return _call("pg_regex", e.this, e.expression, exp.Literal.number(_REGEX_NODES[type(e)]))
        if isinstance(e, exp.Operator):
            return self.operator(e)
        if isinstance(e, (exp.Like, exp.ILike)):
            return self.like(e, None)
        if isinstance(e, exp.Escape):
            call = e.this.this if isinstance(e.this, exp.Not) else e.this
            if not (isinstance(call, exp.Anonymous) and call.name == "pg_like"):
                raise unsupported("ESCAPE here")
            call.set("expressions", call.expressions + [e.expression])
            return e.this
        if isinstance(e, exp.SimilarTo):
            return _call("pg_similar", e.this, e.expression)
        if type(e) in _COMPARISONS and isinstance(e.expression, (exp.Any, exp.All)):
            return self.quantified(_COMPARISONS[type(e)], e.this, e.expression)
        if isinstance(e, exp.Array):
            return _call("pg_array", *e.expressions)
        if isinstance(e, exp.Bracket):
            return self.subscript(e)
        if isinstance(e, exp.NullSafeEQ):
            return exp.Is(this=e.this, expression=e.expression)
        if isinstance(e, exp.NullSafeNEQ):
            return exp.Not(this=exp.Is(this=e.this, expression=e.expression))
        if isinstance(e, exp.Dot) and isinstance(e.expression, exp.Func):
            if e.this.name not in _CATALOG_SCHEMAS:
                raise UnsupportedSql("42883", "function %s() does not exist" % e.sql("postgres"))
            return e.expression
        if isinstance(e, (exp.Unnest, exp.Explode, exp.Lateral, exp.Pivot, exp.JSONObject,
                          exp.ExplodingGenerateSeries, exp.GenerateSeries)):
            raise unsupported("set-returning functions on the sqlglot path")
        if isinstance(e, exp.Limit) and isinstance(e.expression, exp.Var):
            raise unsupported("LIMIT %s" % e.expression.name)
        if isinstance(e, exp.Func) and not isinstance(e, (exp.Binary, exp.Unary,
                                                            exp.Connector)):
            return self.function(e)
        return e

    def cast(self, e: "exp.Cast") -> "exp.Expression":
        target = _type_name(e.to)
        inner = e.this
        if isinstance(inner, exp.Anonymous) and inner.name == "pg_cast":
            source = inner.expressions[1]
            return _call("pg_cast", inner, exp.Literal.string(target), source.copy())
        return _call("pg_cast", inner, exp.Literal.string(target))

    def operator(self, e: "exp.Operator") -> "exp.Expression":
        op = str(e.args.get("operator")).split(".")[-1].strip()
        regex = {"~": (0, False), "~*": (1, False), "!~": (0, True), "!~*": (1, True)}
        if op in regex:
            flag, neg = regex[op]
            call = _call("pg_regex", e.this, e.expression, exp.Literal.number(flag))
            return exp.Not(this=call) if neg else call
        simple = {"=": exp.EQ, "<>": exp.NEQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE,
                  ">": exp.GT, ">=": exp.GTE}
        if op in simple:
            return simple[op](this=e.this, expression=e.expression)
        raise unsupported("OPERATOR(%s)" % op)

    def like(self, e: "exp.Expression", escape: Optional["exp.Expression"]) -> "exp.Expression":
        args = [e.this, e.expression, exp.Literal.number(1 if isinstance(e, exp.ILike) else 0)]
        if escape is not None:
            args.append(escape)
        call = _call("pg_like", *args)
        return exp.Not(this=call) if e.args.get("negate") else call

    def quantified(self, op: str, left: "exp.Expression", q: "exp.Expression") -> "exp.Expression":
        inner = q.this.this if isinstance(q.this, exp.Paren) else q.this
        quant = "any" if isinstance(q, exp.Any) else "all"
        if isinstance(inner, (exp.Select, exp.SetOperation, exp.Subquery)):
            query = inner.this if isinstance(inner, exp.Subquery) else inner
            if op == "=" and quant == "any":
                return exp.In(this=left, query=exp.Subquery(this=query))
            if op == "<>" and quant == "all":
                return exp.Not(this=exp.In(this=left, query=exp.Subquery(this=query)))
            raise unsupported("%s %s(subquery)" % (op, quant.upper()))
        if op not in QUANTIFIED_OPS:
            raise unsupported("the operator %s with %s(array)" % (op, quant.upper()))
        if isinstance(inner, exp.Var) or (isinstance(inner, exp.Literal) and inner.is_string):
            inner = _call("pg_array_json", inner)
        return _call("pg_" + quant, left, exp.Literal.string(QUANTIFIED_OPS[op]), inner)

    def subscript(self, e: "exp.Bracket") -> "exp.Expression":
        if len(e.expressions) != 1 or isinstance(e.expressions[0], exp.Slice):
            raise unsupported("array slices")
        base = e.this
        while isinstance(base, exp.Anonymous) and base.name == "pg_cast":
            base = base.expressions[0]
        lower = 0 if isinstance(base, exp.Column) and base.name in VECTOR_COLUMNS else 1
        return _call("pg_subscript", e.this, e.expressions[0], exp.Literal.number(lower))

    def function(self, e: "exp.Func") -> "exp.Expression":
        keyword = _KEYWORD_NODES.get(type(e))
        if keyword is not None:
            target = KEYWORD_FUNCTIONS.get(keyword, keyword)
            if target is None:
                raise unsupported(keyword.upper())
            return _call(target)
        special = _SPECIAL.get(type(e))
        if special is not None:
            return special(e)
        if isinstance(e, _NATIVE):
            if isinstance(e, exp.Anonymous):
                name = e.name.lower()
                if name in _REFUSED:
                    raise unsupported("%s()" % name)
                if e.name != name:
                    return exp.Anonymous(this=name, expressions=e.expressions)
            return e
        if isinstance(e, exp.AggFunc) and e.find(exp.Order):
            raise unsupported("ORDER BY inside an aggregate on the sqlglot path")
        name = e.sql(dialect="postgres").split("(", 1)[0].lower()
        if not name.replace("_", "").isalnum():
            raise unsupported("%s on the sqlglot path" % type(e).__name__)
        args: List[exp.Expression] = []
        for key in e.arg_types:
            value = e.args.get(key)
            if isinstance(value, list):
                args.extend(value)
            elif isinstance(value, exp.Expression):
                args.append(value)
        return exp.Anonymous(this=name, expressions=args)


_REFUSED = frozenset(["greatest", "least", "pg_typeof", "clock_timestamp", "timeofday"])


def _call(name: str, *args: "exp.Expression") -> "exp.Expression":
    return exp.Anonymous(this=name, expressions=list(args))


def _type_name(dt: "exp.Expression") -> str:
    """The contract's canonical PostgreSQL type name of a cast target."""
    text = dt.sql(dialect="postgres").lower()
    if "(" in text:
        head, _, rest = text.partition("(")
        text = head + rest.partition(")")[2]
    text = text.strip().replace('"', "")
    return canonical_type(text, quoted=text == "char")


if AVAILABLE:
    _KEYWORD_NODES = {exp.CurrentUser: "current_user", exp.CurrentSchema: "current_schema",
                      exp.SessionUser: "session_user", exp.CurrentCatalog: "current_catalog",
                      exp.CurrentDate: "current_date", exp.CurrentTimestamp: "current_timestamp"}

    _SPECIAL = {
        exp.CurrentVersion: lambda e: _call("version"),
        exp.StrPosition: lambda e: _call("pg_position", e.args["substr"], e.this),
        exp.Substring: lambda e: _call("substr", *[a for a in (e.this, e.args.get("start"),
                                                               e.args.get("length")) if a]),
        exp.GroupConcat: lambda e: _call("string_agg", e.this, e.args.get("separator")),
        exp.ArrayAgg: lambda e: (_call("pg_array_agg", e.this) if not isinstance(e.this, exp.Order)
                                 else _ordered_array_agg(e.this)),
        exp.Extract: lambda e: _call("pg_extract", exp.Literal.string(e.this.name.lower()),
                                     e.expression),
        exp.Trim: lambda e: _trim(e),
        exp.Left: lambda e: _call("left", e.this, e.expression),
        exp.Right: lambda e: _call("right", e.this, e.expression),
        exp.ArrayToString: lambda e: _call("array_to_string", e.this, e.expression,
                                           *([e.args["null"]] if e.args.get("null") else [])),
    }


def _trim(e: "exp.Trim") -> "exp.Expression":
    side = (e.args.get("position") or "BOTH").upper()
    name = {"BOTH": "trim", "LEADING": "ltrim", "TRAILING": "rtrim"}[side]
    chars = e.expression
    return _call(name, e.this, *([chars] if chars is not None else []))


def _ordered_array_agg(order: "exp.Order") -> "exp.Expression":
    spec = ""
    keys = []
    for o in order.expressions:
        desc = bool(o.args.get("desc"))
        nulls_first = o.args.get("nulls_first")
        if nulls_first is None:
            nulls_first = desc
        spec += ("D" if desc else "A") + ("F" if nulls_first else "L")
        keys.append(o.this)
    return _call("pg_array_agg_ordered", order.this, exp.Literal.string(spec), *keys)


# ---- result column names (PostgreSQL's FigureColname on sqlglot's tree) ----------

def _output_columns(tree: "exp.Expression") -> Optional[List[OutputColumn]]:
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if isinstance(select, exp.Subquery):
        select = select.this
    if not isinstance(select, exp.Select):
        return None
    aliases: Dict[str, str] = {}
    for t in select.find_all(exp.Table):
        if t.find_ancestor(exp.Select) is select:
            aliases[t.alias_or_name] = t.name
    out: List[OutputColumn] = []
    for item in select.expressions:
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and
                                          isinstance(item.this, exp.Star)):
            return None
        expr = item.this if isinstance(item, exp.Alias) else item
        name = _folded(item.args["alias"]) if isinstance(item, exp.Alias) else \
            _figure_name(expr)[0]
        col = OutputColumn(name)
        if isinstance(expr, exp.Cast):
            col.cast = _type_name(expr.to)
        elif isinstance(expr, exp.Column):
            rel = aliases.get(expr.table) if expr.table else (
                next(iter(aliases.values())) if len(aliases) == 1 else None)
            if rel is not None:
                col.source = (rel, expr.name)
                if expr.name in BOOL_COLUMNS:
                    col.pg_type = "bool"
        elif isinstance(expr, exp.Func):
            col.function = _function_name(expr)
        elif isinstance(expr, exp.Literal):
            col.literal = "text" if expr.is_string else ("int4" if expr.is_int else "numeric")
        out.append(col)
    return out


def _folded(ident: "exp.Expression") -> str:
    """An identifier as PostgreSQL names it: unquoted ones fold to lower case."""
    if isinstance(ident, exp.Identifier) and not ident.quoted:
        return ident.name.lower()
    return ident.name


def _function_name(e: "exp.Expression") -> str:
    if isinstance(e, exp.Anonymous):
        return e.name.lower()
    return e.sql(dialect="postgres").split("(", 1)[0].lower()


def _figure_name(e: "exp.Expression") -> "tuple[str, int]":
    if isinstance(e, exp.Column):
        return _folded(e.this), 2
    if isinstance(e, exp.Dot):
        if isinstance(e.expression, exp.Func):
            return _function_name(e.expression), 2
        return e.expression.name, 2
    if isinstance(e, exp.Paren):
        return _figure_name(e.this)
    if isinstance(e, exp.Bracket):
        return _figure_name(e.this)
    if isinstance(e, exp.Cast):
        name, strength = _figure_name(e.this)
        if strength <= 1:
            return _type_name(e.to).replace("[]", ""), 1
        return name, strength
    if isinstance(e, exp.Case):
        default = e.args.get("default")
        if default is not None:
            name, strength = _figure_name(default)
            if strength > 1:
                return name, strength
        return "case", 1
    if isinstance(e, exp.Exists):
        return "exists", 2
    if isinstance(e, exp.Array):
        return "array", 2
    if isinstance(e, exp.Subquery):
        inner = e.this
        if isinstance(inner, exp.Select) and inner.expressions:
            first = inner.expressions[0]
            if isinstance(first, exp.Alias):
                return first.alias, 2
            name, strength = _figure_name(first)
            if strength > 0:
                return name, 2
        return "?column?", 0
    if type(e) in _KEYWORD_FUNCS_NAMES:
        return _KEYWORD_FUNCS_NAMES[type(e)], 2
    if isinstance(e, exp.Func):
        return _function_name(e), 2
    return "?column?", 0


if AVAILABLE:
    _KEYWORD_FUNCS_NAMES = {exp.CurrentUser: "current_user", exp.CurrentSchema: "current_schema",
                            exp.CurrentDate: "current_date",
                            exp.CurrentTimestamp: "current_timestamp",
                            exp.CurrentVersion: "version"}
