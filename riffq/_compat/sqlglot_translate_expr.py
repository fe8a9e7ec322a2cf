"""Expression rewrites of the sqlglot path: PostgreSQL nodes -> the SQLite form.

The output is the one the built-in emitter (``sqlemit``) writes, built as
sqlglot nodes: PostgreSQL-only syntax becomes a call to a ``pg_*`` function
the engine registers (casts carrying their source type, regexes, LIKE,
``= ANY(array)``, arrays, subscripts with their lower bound, ordered
aggregates, ``json_build_object`` with its value kinds).  Rewrites are top
down, so a rewrite that needs the operand's PostgreSQL type (a cast, a
subscript, ``json_build_object``) reads it before the operand is rewritten.
Whatever has no faithful SQLite form raises ``UnsupportedSql``.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from riffq._catalog.colnames import (Scope, compared_parameter_type, join_owner,
                                     resolve_column, tableoid_relation)
from riffq._catalog.sqlemit import (FUNCTION_RENAMES, KEYWORD_FUNCTIONS, QUANTIFIED_OPS,
                                    SET_RETURNING, VECTOR_COLUMNS)
# The built-in emitter's rule for when a cast needs its operand's type.
from riffq._catalog.sqlemit import _text_depends_on_type
from riffq._catalog.translate_srf import SrfElement, element_sql, record_field_sql
from riffq._catalog.translate_types import UnsupportedSql, unsupported
from riffq._compat.sqlglot_translate_types import Described, Typed
from riffq._compat.sqlglot_translate_names import (KEYWORD_NODES, column_parts, folded,
                                                   function_name, is_call, keyword_value,
                                                   type_name)

from sqlglot import exp

__all__ = ["ExprRewriter", "call", "raw"]

_CATALOG_SCHEMAS = ("pg_catalog", "information_schema")
_COMPARISONS = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">",
                exp.GTE: ">="}
_REGEX_OPS = {"~": (0, False), "~*": (1, False), "!~": (0, True), "!~*": (1, True)}
_LIKE_OPS = {"~~": (0, False), "~~*": (1, False), "!~~": (0, True), "!~~*": (1, True)}
_SIMPLE_OPS = {"=": exp.EQ, "<>": exp.NEQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE,
               ">": exp.GT, ">=": exp.GTE}
_REFUSED = {"greatest": "GREATEST", "least": "LEAST", "pg_typeof": "pg_typeof()",
            "clock_timestamp": "clock_timestamp()", "timeofday": "timeofday()"}
# sqlglot nodes SQLite spells as PostgreSQL does: kept, arguments rewritten.
_NATIVE = (exp.Count, exp.Min, exp.Max, exp.Sum, exp.Avg, exp.Upper, exp.Lower, exp.Coalesce,
           exp.Nullif, exp.Length, exp.RowNumber)


def call(name: str, *args: "exp.Expression") -> "exp.Expression":
    """A call of the engine function *name*."""
    return exp.Anonymous(this=name, expressions=list(args))


def raw(sqlite_sql: str) -> "exp.Expression":
    """A finished SQLite expression written by the shared SRF planner."""
    return exp.Paren(this=exp.Var(this=sqlite_sql))


def _lit(value: str) -> "exp.Expression":
    return exp.Literal.string(value)


def _num(value: int) -> "exp.Expression":
    return exp.Literal.number(value)


def _not(e: "exp.Expression") -> "exp.Expression":
    return exp.Paren(this=exp.Not(this=e))


def _unicode_text(e: "exp.UnicodeString") -> str:
    """The value of U&'...': backslash escapes of 4 or (after +) 6 hex digits."""
    if e.args.get("escape"):
        raise unsupported("U&'' strings with UESCAPE")
    s, out, i = e.this, [], 0
    while i < len(s):
        ch = s[i]
        if ch != "\\":
            out.append(ch)
            i += 1
        elif s[i + 1:i + 2] == "\\":
            out.append("\\")
            i += 2
        else:
            width = 6 if s[i + 1:i + 2] == "+" else 4
            start = i + 2 if width == 6 else i + 1
            digits = s[start:start + width]
            if len(digits) != width or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise UnsupportedSql("42601", "invalid Unicode escape")
            out.append(chr(int(digits, 16)))
            i = start + width
    return "".join(out)


class ExprRewriter:
    """Mixin of the sqlglot translator: expressions in the current FROM scope.

    The host class provides ``scopes`` (FROM scopes, innermost last),
    ``function_columns`` (per level: FROM alias -> column -> SQLite node),
    ``srf_elements`` (id of a select-list set-returning call -> its element),
    ``described`` (the columns of the queries rewritten so far, for typing),
    ``join_scope`` (the scope whose join condition is being rewritten, or
    None) and ``query(node)`` for subqueries.
    """

    scopes: List[Scope]
    function_columns: List[Dict[str, Dict[str, "exp.Expression"]]]
    srf_elements: Dict[int, SrfElement]
    described: Described
    join_scope: Optional[Scope]

    def query(self, q: "exp.Expression") -> "tuple":  # pragma: no cover - host provides
        raise NotImplementedError

    @property
    def scope(self) -> Scope:
        return self.scopes[-1] if self.scopes else {}

    def expr(self, e: "exp.Expression") -> "exp.Expression":
        """*e* rewritten into the SQLite form (children included)."""
        if isinstance(e, (exp.Select, exp.SetOperation)):
            return self.query(e)[0]
        if isinstance(e, exp.Subquery):
            return exp.Subquery(this=self.query(e.this)[0])
        special = self.before_children(e)
        if special is not None:
            return special
        for key, value in list(e.args.items()):
            if isinstance(value, exp.Expression):
                e.set(key, self.expr(value))
            elif isinstance(value, list):
                e.set(key, [self.expr(v) if isinstance(v, exp.Expression) else v
                            for v in value])
        return self.after_children(e)

    def exprs(self, items: List["exp.Expression"]) -> List["exp.Expression"]:
        return [self.expr(i) for i in items]

    # ---- rewrites that read operands before they are rewritten ------------
    def before_children(self, e: "exp.Expression") -> Optional["exp.Expression"]:
        if id(e) in self.srf_elements:
            return raw(element_sql(self.srf_elements[id(e)]))
        if isinstance(e, exp.Column):
            return self.column(e)
        if isinstance(e, exp.Cast):
            return self.cast(e)
        if isinstance(e, exp.Bracket):
            return self.subscript(e)
        if isinstance(e, exp.Dot):
            return self.dot(e)
        if isinstance(e, exp.Array):
            return self.array(e)
        if isinstance(e, (exp.Any, exp.All)):
            raise unsupported("ANY/ALL here")
        quantifier = _quantifier(e.args.get("expression"))
        if type(e) in _COMPARISONS and quantifier is not None:
            return self.quantified(_COMPARISONS[type(e)], e.this, *quantifier)
        if type(e) in _COMPARISONS and _is_untyped(e.this) != _is_untyped(e.expression):
            return self.typed_operand(e)
        if isinstance(e, (exp.Like, exp.ILike)) and quantifier is not None:
            op = "ilike" if isinstance(e, exp.ILike) else "like"
            result = self.quantified(op, e.this, *quantifier)
            return _not(result) if e.args.get("negate") else result
        if isinstance(e, exp.Exists):
            return exp.Exists(this=self.query(e.this)[0])
        if isinstance(e, exp.In) and e.args.get("query") is not None:
            query = e.args["query"]
            inner = query.this if isinstance(query, exp.Subquery) else query
            return exp.Paren(this=exp.In(this=self.expr(e.this),
                                         query=exp.Subquery(this=self.query(inner)[0])))
        if isinstance(e, exp.Collate):
            return self.expr(e.this)  # catalog text compares bytewise either way
        if isinstance(e, (exp.Anonymous, exp.JSONObject)) and \
                function_name(e) == "json_build_object":
            return self.json_build_object(e)
        if isinstance(e, (exp.ArrayAgg, exp.GroupConcat)) and isinstance(e.this, exp.Order):
            return self.ordered_aggregate(e)
        if isinstance(e, exp.Limit) and isinstance(e.expression, exp.Parameter):
            return exp.Limit(expression=self.expr(e.expression))
        return None

    def typed_operand(self, e: "exp.Expression") -> Optional["exp.Expression"]:
        """``x = $1`` or ``x = 't'``: the parameter or string constant takes
        x's type (``colnames.compared_parameter_type``)."""
        param_key = "this" if _is_untyped(e.this) else "expression"
        other_key = "expression" if param_key == "this" else "this"
        other = Typed(e.args[other_key])
        kind = compared_parameter_type(other.node, self.scope, other.subqueries(self.described))
        if kind is None:
            return None
        e.set(other_key, self.expr(e.args[other_key]))
        e.set(param_key, call("pg_cast", self.expr(e.args[param_key]), _lit(kind)))
        return e

    def column(self, e: "exp.Column") -> "exp.Expression":
        if isinstance(e.this, exp.Star):
            raise unsupported("* outside a select list or count(*)")
        keyword = keyword_value(e)
        if keyword is not None:
            target = KEYWORD_FUNCTIONS[keyword]
            if target is None:
                raise unsupported(keyword.upper())
            return call(target)
        parts = column_parts(e)
        relation = tableoid_relation(parts, self.scopes)
        if relation is not None:
            return call("pg_tableoid", _lit(relation))
        for frame in reversed(self.function_columns):
            if len(parts) == 2 and parts[0] in frame and parts[1] in frame[parts[0]]:
                return frame[parts[0]][parts[1]].copy()
            if len(parts) == 1:
                for rewrites in frame.values():
                    if parts[0] in rewrites:
                        return rewrites[parts[0]].copy()
        join_scope = self.join_scope
        if len(parts) == 1 and join_scope is not None and self.scopes and \
                self.scopes[-1] is join_scope:
            owner = join_owner(parts[0], join_scope)
            if owner is not None:
                return exp.column(exp.to_identifier(parts[0], quoted=True),
                                  table=exp.to_identifier(owner, quoted=True))
        return e

    def cast(self, e: "exp.Cast") -> "exp.Expression":
        target = type_name(e.to)
        operand = e.this
        reading = None
        if not isinstance(operand, (exp.Literal, exp.Parameter, exp.Placeholder, exp.Null,
                                    exp.Boolean, exp.ByteString, exp.RawString,
                                    exp.UnicodeString, exp.National)):
            reading = Typed(operand)  # read before the rewrite changes it
        args = [self.expr(operand), _lit(target)]
        source = reading.pg_type(self.scope, self.described) if reading is not None else None
        if source is not None and _text_depends_on_type(source):
            args.append(_lit(source))
        return call("pg_cast", *args)

    def subscript(self, e: "exp.Bracket") -> "exp.Expression":
        if len(e.expressions) != 1 or isinstance(e.expressions[0], exp.Slice):
            raise unsupported("array slices")
        base = e.this
        while isinstance(base, (exp.Cast, exp.Paren)):
            base = base.this
        lower = 0 if self.is_vector(base) else 1
        return call("pg_subscript", self.expr(e.this), self.expr(e.expressions[0]), _num(lower))

    def is_vector(self, e: "exp.Expression") -> bool:
        """True when *e* reads an int2vector/oidvector column (subscripted from 0)."""
        if not isinstance(e, exp.Column):
            return False
        parts = column_parts(e)
        if parts[-1] in VECTOR_COLUMNS:
            return True
        ref = resolve_column(parts, self.scope) if self.scopes else None
        return ref is not None and ref.source is not None and ref.source[1] in VECTOR_COLUMNS

    def dot(self, e: "exp.Dot") -> "exp.Expression":
        if isinstance(e.expression, exp.Func):
            schema = folded(e.this) if isinstance(e.this, exp.Identifier) else None
            if schema not in _CATALOG_SCHEMAS:
                raise UnsupportedSql("42883", "function %s() does not exist"
                                     % e.sql("postgres").split("(", 1)[0])
            if id(e) in self.srf_elements:
                return raw(element_sql(self.srf_elements[id(e)]))
            return self.expr(e.expression)
        # (value).field: a record field.
        field = folded(e.expression) if isinstance(e.expression, exp.Identifier) \
            else e.expression.name
        base = e.this.this if isinstance(e.this, exp.Paren) else e.this
        if id(base) in self.srf_elements:
            return raw(element_sql(self.srf_elements[id(base)], field))
        if isinstance(base, exp.Column) and self.scopes:
            ref = resolve_column(column_parts(base), self.scope)
            if ref is not None and ref.function == "_pg_expandarray":
                return raw(record_field_sql(self.expr(base).sql(dialect="sqlite"), field))
        raise unsupported("field selection from this value")

    def array(self, e: "exp.Array") -> "exp.Expression":
        items = e.expressions
        if len(items) == 1 and isinstance(items[0], (exp.Select, exp.SetOperation,
                                                     exp.Subquery)):
            inner = items[0].this if isinstance(items[0], exp.Subquery) else items[0]
            query, cols = self.query(inner)
            if not cols or len(cols) != 1:
                raise unsupported("ARRAY(subquery) without exactly one named column")
            agg = call("json_group_array", exp.column(cols[0].name, quoted=True))
            return exp.Subquery(this=exp.select(agg).from_(exp.Subquery(this=query)))
        return call("pg_array", *self.exprs(items))

    def quantified(self, op: str, left: "exp.Expression", quant: str, inner: "exp.Expression"
                   ) -> "exp.Expression":
        if isinstance(inner, (exp.Select, exp.SetOperation, exp.Subquery)):
            query = self.query(inner.this if isinstance(inner, exp.Subquery) else inner)[0]
            test = exp.In(this=self.expr(left), query=exp.Subquery(this=query))
            if op == "=" and quant == "any":
                return exp.Paren(this=test)
            if op == "<>" and quant == "all":
                return _not(test)
            raise unsupported("%s %s(subquery)" % (op, quant.upper()))
        if op not in QUANTIFIED_OPS:
            raise unsupported("the operator %s with %s(array)" % (op, quant.upper()))
        array = self.expr(inner)
        if isinstance(inner, (exp.Parameter, exp.Placeholder)) or (
                isinstance(inner, exp.Literal) and inner.is_string):
            array = call("pg_array_json", array)  # array text such as '{a,b}'
        return call("pg_" + quant, self.expr(left), _lit(QUANTIFIED_OPS[op]), array)

    def json_build_object(self, e: "exp.Expression") -> "exp.Expression":
        """The engine renders true/false and nested JSON only when told which
        values are booleans ('b') or JSON ('j'); the rest ('v') are plain."""
        if isinstance(e, exp.JSONObject):
            args: List[exp.Expression] = []
            for kv in e.expressions:
                args.extend([kv.this, kv.expression])
        else:
            args = list(e.expressions)
        if len(args) % 2:
            raise UnsupportedSql("22023", "argument list must have even number of elements")
        readings = [Typed(value) for value in args[1::2]]  # read before the rewrite
        rewritten = self.exprs(args)
        kinds = ""
        for reading in readings:
            kind = reading.pg_type(self.scope, self.described)
            kinds += "b" if kind == "bool" else "j" if kind in ("json", "jsonb") else "v"
        return call("pg_json_build_object", _lit(kinds), *rewritten)

    def ordered_aggregate(self, e: "exp.Expression") -> "exp.Expression":
        """array_agg/string_agg(... ORDER BY k...): the sort keys travel as extra
        arguments after a spec of direction (A/D) and NULL placement (F/L) letters."""
        order: exp.Order = e.this
        if isinstance(order.this, exp.Distinct):
            raise unsupported("ORDER BY inside %s()" % function_name(e))
        spec = ""
        for o in order.expressions:
            desc = bool(o.args.get("desc"))
            nulls_first = o.args.get("nulls_first")
            if nulls_first is None:
                nulls_first = desc
            spec += ("D" if desc else "A") + ("F" if nulls_first else "L")
        keys = self.exprs([o.this for o in order.expressions])
        value = self.expr(order.this)
        if isinstance(e, exp.GroupConcat):
            return call("pg_string_agg_ordered", value, self.expr(e.args["separator"]),
                        _lit(spec), *keys)
        return call("pg_array_agg_ordered", value, _lit(spec), *keys)

    # ---- rewrites of nodes whose children are already rewritten -----------
    def after_children(self, e: "exp.Expression") -> "exp.Expression":
        if isinstance(e, (exp.Parameter, exp.Placeholder)):
            number = e.name
            if not number.isdigit() or int(number) < 1:
                raise UnsupportedSql("42P02", "there is no parameter $%s" % number)
            return exp.Var(this="?%s" % number)
        if isinstance(e, (exp.ByteString, exp.RawString, exp.National)):
            return exp.Literal.string(e.this)
        if isinstance(e, exp.UnicodeString):
            return exp.Literal.string(_unicode_text(e))
        if isinstance(e, exp.Boolean):
            return _num(1 if e.this else 0)
        if isinstance(e, (exp.RegexpLike, exp.RegexpILike)):
            flag = 1 if isinstance(e, exp.RegexpILike) else 0
            return call("pg_regex", e.this, e.expression, _num(flag))
        if isinstance(e, exp.Operator):
            return self.operator(e)
        if isinstance(e, (exp.Like, exp.ILike)):
            result = call("pg_like", e.this, e.expression,
                          _num(1 if isinstance(e, exp.ILike) else 0))
            return _not(result) if e.args.get("negate") else result
        if isinstance(e, exp.Escape):
            target = e.this.this if isinstance(e.this, (exp.Not, exp.Paren)) else e.this
            if isinstance(target, exp.Not):
                target = target.this
            if not (isinstance(target, exp.Anonymous) and target.name == "pg_like"):
                raise unsupported("ESCAPE here")
            target.set("expressions", target.expressions + [e.expression])
            return e.this
        if isinstance(e, exp.SimilarTo):
            if e.args.get("escape") is not None:
                raise unsupported("SIMILAR TO ... ESCAPE")
            return call("pg_similar", e.this, e.expression)
        if isinstance(e, exp.NullSafeEQ):
            return exp.Paren(this=exp.Is(this=e.this, expression=e.expression))
        if isinstance(e, exp.NullSafeNEQ):
            return _not(exp.Is(this=e.this, expression=e.expression))
        if isinstance(e, exp.DPipe) and (_is_array(e.this) or _is_array(e.expression)):
            return call("pg_array_cat", e.this, e.expression)
        if isinstance(e, (exp.Unnest, exp.Explode, exp.Lateral, exp.Pivot,
                          exp.ExplodingGenerateSeries, exp.GenerateSeries)):
            raise unsupported("set-returning function %s() here" % function_name(e))
        if is_call(e) and not isinstance(e, (exp.Window, exp.Filter)):
            return self.function(e)
        return e

    def operator(self, e: "exp.Operator") -> "exp.Expression":
        op = str(e.args.get("operator")).split(".")[-1].strip()
        if op in _REGEX_OPS:
            flag, neg = _REGEX_OPS[op]
            result = call("pg_regex", e.this, e.expression, _num(flag))
            return _not(result) if neg else result
        if op in _LIKE_OPS:
            flag, neg = _LIKE_OPS[op]
            result = call("pg_like", e.this, e.expression, _num(flag))
            return _not(result) if neg else result
        if op in _SIMPLE_OPS:
            return exp.Paren(this=_SIMPLE_OPS[op](this=e.this, expression=e.expression))
        raise unsupported("OPERATOR(%s)" % op)

    def function(self, e: "exp.Expression") -> "exp.Expression":
        keyword = KEYWORD_NODES.get(type(e))
        if keyword is not None:
            target = KEYWORD_FUNCTIONS.get(keyword, keyword)
            if target is None:
                raise unsupported(keyword.upper())
            return call(target)
        name = function_name(e)
        if name in _REFUSED:
            raise unsupported(_REFUSED[name])
        if name in SET_RETURNING:
            raise unsupported("set-returning function %s() here" % name)
        special = _SPECIAL.get(type(e))
        if special is not None:
            return special(e)
        if isinstance(e, _NATIVE):
            return e
        if isinstance(e, exp.Anonymous):
            args = list(e.expressions)
            if name == "strpos" and len(args) == 2:  # strpos(s, sub) is position(sub IN s)
                return call("pg_position", args[1], args[0])
            if name == "date_part" and args and isinstance(args[0], exp.Literal):
                args[0] = _lit(args[0].this.lower())  # the field name, case-insensitive
            return call(FUNCTION_RENAMES.get(name, name), *args)
        if not name.replace("_", "").isalnum():
            raise unsupported("%s on the sqlglot path" % type(e).__name__)
        if isinstance(e, exp.AggFunc) and e.find(exp.Order):
            raise unsupported("ORDER BY inside %s()" % name)
        args: List[exp.Expression] = []
        for key in e.arg_types:
            value = e.args.get(key)
            if isinstance(value, list):
                args.extend(value)
            elif isinstance(value, exp.Expression):
                args.append(value)
        return call(FUNCTION_RENAMES.get(name, name), *args)


def _quantifier(e: Optional["exp.Expression"]) -> Optional[Tuple[str, "exp.Expression"]]:
    """('any'|'all', operand) when *e* is ANY(...)/SOME(...)/ALL(...) (sqlglot reads
    ``ALL (array)`` as a call named ALL)."""
    if isinstance(e, (exp.Any, exp.All)):
        inner = e.this.this if isinstance(e.this, exp.Paren) else e.this
        return ("any" if isinstance(e, exp.Any) else "all"), inner
    if isinstance(e, exp.Anonymous) and e.name.lower() in ("all", "any", "some") and \
            len(e.expressions) == 1:
        return ("all" if e.name.lower() == "all" else "any"), e.expressions[0]
    return None


def _is_untyped(e: Optional["exp.Expression"]) -> bool:
    """``colnames.untyped``: a parameter or a string constant."""
    return isinstance(e, (exp.Parameter, exp.Placeholder)) or (
        isinstance(e, exp.Literal) and e.is_string)


def _is_array(e: "exp.Expression") -> bool:
    """True when the (rewritten) operand is evidently an array, so || concatenates arrays."""
    if isinstance(e, exp.Anonymous) and e.name == "pg_array":
        return True
    if isinstance(e, exp.Anonymous) and e.name == "pg_cast":
        target = e.expressions[1]
        return isinstance(target, exp.Literal) and target.this.endswith("[]")
    return isinstance(e, exp.Subquery) and isinstance(e.this, exp.Select) and any(
        isinstance(x, exp.Anonymous) and x.name == "json_group_array"
        for x in e.this.expressions)


def _substring(e: "exp.Substring") -> "exp.Expression":
    args = [a for a in (e.this, e.args.get("start"), e.args.get("length")) if a is not None]
    if any(isinstance(a, exp.Literal) and a.is_string for a in args[1:]):
        raise unsupported("substring() with a regular expression")
    return call("substr", *args)


def _trim(e: "exp.Trim") -> "exp.Expression":
    side = (e.args.get("position") or "BOTH").upper()
    name = {"BOTH": "trim", "LEADING": "ltrim", "TRAILING": "rtrim"}[side]
    chars = e.expression
    return call(name, e.this, *([chars] if chars is not None else []))


_SPECIAL = {
    exp.CurrentVersion: lambda e: call("version"),
    exp.StrPosition: lambda e: call("pg_position", e.args["substr"], e.this),
    exp.Substring: lambda e: _substring(e),
    exp.GroupConcat: lambda e: call("string_agg", e.this, e.args.get("separator")),
    exp.ArrayAgg: lambda e: call("pg_array_agg", e.this),
    exp.Extract: lambda e: call("pg_extract", _lit(e.this.name.lower()), e.expression),
    exp.Trim: _trim,
    exp.Left: lambda e: call("left", e.this, e.expression),
    exp.Right: lambda e: call("right", e.this, e.expression),
    exp.ArrayToString: lambda e: call("array_to_string", e.this, e.expression,
                                      *([e.args["null"]] if e.args.get("null") else [])),
}
