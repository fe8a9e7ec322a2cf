"""The catalog translator's sqlglot path: PostgreSQL AST -> SQLite AST -> SQL.

sqlglot parses the statement with its PostgreSQL dialect (array subscripts
kept as written: PostgreSQL's own bounds matter for int2vector/oidvector),
and the tree is rewritten, query level by query level with the FROM scope
of each, into the SQLite form the built-in emitter (``sqlemit``) writes:
the same engine calls, the same set-returning-function plans (the shared
``translate_srf`` planner), the same result column metadata.  sqlglot's
SQLite generator writes the result.  What this path cannot map faithfully
raises ``UnsupportedSql``; the built-in translator is the reference both
paths are tested against.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

from riffq._catalog import sqlast as A
from riffq._catalog.colnames import Scope, expand_star, output_position
from riffq._catalog.sqlemit import SET_RETURNING
from riffq._catalog.translate_srf import (AGGREGATES, SrfCall, SrfElement, grouped_items_ok,
                                          plan_srfs)
from riffq._catalog.translate_types import OutputColumn, Translation, UnsupportedSql, unsupported

try:
    import sqlglot
    from sqlglot import exp
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.errors import ErrorLevel, SqlglotError
    from sqlglot.tokens import TokenType
    AVAILABLE = True
except ImportError:  # pragma: no cover - the optional extra is missing
    AVAILABLE = False

__all__ = ["AVAILABLE", "translate_with_sqlglot"]

_CATALOG_SCHEMAS = ("pg_catalog", "information_schema")
# FROM functions read as a table-valued json_each (columns rewritten to its value/key).
_FROM_SERIES = {"unnest": "pg_array_json", "generate_series": "pg_series",
                "pg_partition_ancestors": "pg_partition_ancestors"}

if AVAILABLE:
    from riffq._compat.sqlglot_translate_expr import ExprRewriter, call
    from riffq._compat.sqlglot_translate_names import (figure_name, folded, function_name,
                                                       is_call, literal_of)
    from riffq._compat.sqlglot_translate_types import Described, Typed
    from riffq._catalog.colnames import literal_type

    # Functions sqlglot would read as another one (now() as CURRENT_TIMESTAMP,
    # strpos() as POSITION, pow() as an operator...): PostgreSQL names their
    # result columns after the name written, and the engine has them as written.
    _AS_WRITTEN = frozenset(("NOW", "DATE_PART", "STRPOS", "SUBSTR", "CHAR_LENGTH",
                             "CHARACTER_LENGTH", "CEILING", "POW", "POWER", "VARIANCE",
                             "TO_HEX", "MOD", "DIV", "ARRAY_POSITION"))

    class _Dialect(Postgres):
        """PostgreSQL as written: subscripts are not shifted to 0-based,
        object identifier types take array brackets (``::regtype[]``) and
        function calls keep the name written."""
        INDEX_OFFSET = 0

        class Parser(Postgres.Parser):
            FUNCTIONS = {name: build for name, build in Postgres.Parser.FUNCTIONS.items()
                         if name not in _AS_WRITTEN}
            FUNCTION_PARSERS = {name: build for name, build in
                                Postgres.Parser.FUNCTION_PARSERS.items()
                                if name not in _AS_WRITTEN}

            def _parse_types(self, *args, **kwargs):  # type: ignore[no-untyped-def]
                this = super()._parse_types(*args, **kwargs)
                if isinstance(this, exp.ObjectIdentifier):
                    while self._match_pair(TokenType.L_BRACKET, TokenType.R_BRACKET):
                        this = exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[this],
                                            nested=True)
                return this

            def _parse_alias(self, this, explicit=False):  # type: ignore[no-untyped-def]
                # PostgreSQL takes any keyword as a column label after AS
                # (Metabase: ``... AS select``); sqlglot refuses reserved ones.
                nxt = self._next
                if self._curr is not None and self._curr.token_type == TokenType.ALIAS and \
                        nxt is not None and nxt.token_type in self.RESERVED_TOKENS and \
                        nxt.text.isidentifier():
                    self._advance(2)
                    return self.expression(exp.Alias(
                        this=this, alias=exp.to_identifier(nxt.text.lower())))
                return super()._parse_alias(this, explicit)
else:  # pragma: no cover
    ExprRewriter = object  # type: ignore[misc,assignment]


def translate_with_sqlglot(sql: str) -> Translation:
    """Translate one catalog statement through sqlglot's AST."""
    try:
        trees = sqlglot.parse(sql, read=_Dialect)
    except SqlglotError as exc:
        first = str(exc).splitlines()[0]
        raise UnsupportedSql(_parse_error_state(first), "syntax error (catalog emulation, "
                             "sqlglot): %s" % first) from None
    trees = [t for t in trees if t is not None]
    if len(trees) != 1 or not isinstance(trees[0], (exp.Select, exp.SetOperation,
                                                    exp.Values)):
        raise unsupported("this statement on the sqlglot path")
    tr = _Translator()
    tree, cols = tr.query(trees[0].copy())
    if cols and any(c.function == "_pg_expandarray" for c in cols):
        raise unsupported("a record-valued result column")
    first = tree
    while isinstance(first, (exp.SetOperation, exp.Subquery)):
        first = first.this
    stars = tr.stars.get(id(first), [])
    try:
        # RAISE: a construct SQLite's generator would drop or approximate is refused.
        text = tree.sql(dialect="sqlite", unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise unsupported("%s (sqlglot)" % str(exc).splitlines()[0].rstrip(".")) from None
    return Translation(text, cols, tr.relations, stars)


def _parse_error_state(message: str) -> str:
    """sqlglot checks function arity while parsing; PostgreSQL reports a
    call no signature fits as 42883 (function ... does not exist)."""
    m = re.search(r"missing for <class '[\w.]+\.(\w+)'>", message)
    node = getattr(exp, m.group(1), None) if m else None
    if "number of provided arguments" in message or (
            isinstance(node, type) and issubclass(node, exp.Func)):
        return "42883"
    return "42601"


def _as_operand(rewritten: "exp.Expression", original: "exp.Expression") -> "exp.Expression":
    """A set operation's operand as SQLite takes it: a query with its own
    WITH, ORDER BY, LIMIT or OFFSET, or itself a set operation, read
    through ``select * from (...)``."""
    if isinstance(original, exp.SetOperation) or any(
            original.args.get(k) is not None for k in ("with_", "order", "limit", "offset")):
        return exp.select("*").from_(exp.Subquery(this=rewritten))
    return rewritten


def _parenthesized_join(f: "exp.Subquery") -> bool:
    """Whether parentheses in FROM hold a join (or one table) rather than
    a query: what they hold carries joins, or is a table, or is itself
    such parentheses."""
    while isinstance(f, exp.Subquery):
        if f.args.get("joins"):
            return True
        f = f.this
    return isinstance(f, exp.Table)


class _Translator(ExprRewriter):
    """One statement's rewrite: relations read, CTEs and FROM scopes in force."""

    def __init__(self) -> None:
        self.relations: Set[str] = set()
        self.ctes: List[Dict[str, List[OutputColumn]]] = []
        self.scopes: List[Scope] = []
        self.function_columns: List[Dict[str, Dict[str, exp.Expression]]] = []
        self.srf_elements: Dict[int, SrfElement] = {}
        self.srf_count = 0
        self.stars: Dict[int, List[str]] = {}
        # Output columns of every query rewritten so far, for result typing.
        self.described: Described = {}
        # The FROM scope whose join condition is being rewritten
        # (``colnames.join_owner``).
        self.join_scope: Optional[Scope] = None

    # ---- queries --------------------------------------------------------
    def query(self, q: "exp.Expression") -> Tuple["exp.Expression",
                                                  Optional[List[OutputColumn]]]:
        """*q* (a Select, set operation or VALUES) rewritten, with its result columns."""
        frame: Dict[str, List[OutputColumn]] = {}
        self.ctes.append(frame)
        self.function_columns.append({})
        try:
            with_ = q.args.get("with_")
            if with_ is not None:
                self.with_clause(with_, frame)
            if isinstance(q, exp.Select):
                cols = self.select(q)
            elif isinstance(q, exp.SetOperation):
                cols = self.set_operation(q)
            elif isinstance(q, exp.Values):
                cols = self.values(q)
            elif isinstance(q, exp.Subquery):
                inner, cols = self.query(q.this)
                q.set("this", inner)
            else:
                raise unsupported("%s as a query" % type(q).__name__)
            if q.args.get("order") is not None:
                _order_by_position(q.args["order"], cols)
            for key in ("order", "limit", "offset"):
                if q.args.get(key) is not None:
                    q.set(key, self.expr(q.args[key]))
            self.described[id(q)] = cols
            return q, cols
        finally:
            self.ctes.pop()
            self.function_columns.pop()

    def with_clause(self, with_: "exp.With", frame: Dict[str, List[OutputColumn]]) -> None:
        recursive = bool(with_.args.get("recursive"))
        for cte in with_.expressions:
            name = folded(cte.args["alias"].this)
            names = [folded(c) for c in cte.args["alias"].columns]
            if recursive:
                frame[name] = [OutputColumn(c) for c in names]
            inner, cols = self.query(cte.this)
            cte.set("this", inner)
            if names:
                typed = cols if cols is not None and len(cols) == len(names) \
                    else [OutputColumn(c) for c in names]
                cols = [OutputColumn(a, c.cast, c.function, c.source, c.literal, c.pg_type)
                        for c, a in zip(typed, names)]
            frame[name] = cols or []

    def set_operation(self, q: "exp.SetOperation") -> Optional[List[OutputColumn]]:
        left = q.this
        if isinstance(left, exp.Subquery):
            # ``(select ...) union ...``: SQLite has no parenthesized operands
            rewritten, cols = self.query(left.this)
            q.set("this", _as_operand(rewritten, left.this))
        else:
            rewritten, cols = self.query(left)
            q.set("this", rewritten)
        right = q.expression
        inner = right.this if isinstance(right, exp.Subquery) else right
        rewritten, _ = self.query(inner)
        if isinstance(right, (exp.SetOperation, exp.Subquery)):
            rewritten = exp.select("*").from_(exp.Subquery(this=rewritten))
        else:
            rewritten = _as_operand(rewritten, inner)
        q.set("expression", rewritten)
        return cols

    def values(self, q: "exp.Values") -> Optional[List[OutputColumn]]:
        rows = q.expressions
        if len({len(r.expressions) for r in rows}) != 1:
            raise UnsupportedSql("42601", "VALUES lists must all be the same length")
        cols = []
        for i, e in enumerate(rows[0].expressions):
            lit = literal_of(e)
            cols.append(OutputColumn("column%d" % (i + 1),
                                     literal=literal_type(lit) if lit is not None else None))
        q.set("expressions", [self.expr(r) for r in rows])
        return cols

    def select(self, s: "exp.Select") -> Optional[List[OutputColumn]]:
        scope: Scope = {}
        stars: List[Tuple[str, str]] = []
        self.scopes.append(scope)
        try:
            return self.select_in_scope(s, scope, stars)
        finally:
            self.scopes.pop()

    def select_in_scope(self, s: "exp.Select", scope: Scope, stars: List[Tuple[str, str]]
                        ) -> Optional[List[OutputColumn]]:
        from_ = s.args.get("from_")
        if from_ is not None:
            from_.set("this", self.from_item(from_.this, scope, stars))
        for join in s.args.get("joins") or []:
            self.join(join, scope, stars)
        if not s.expressions:
            raise unsupported("SELECT with an empty select list")
        if s.args.get("locks"):
            raise unsupported("SELECT ... FOR UPDATE/SHARE")
        aliases = self.from_aliases(s)
        using = any(j.args.get("using") for j in s.args.get("joins") or [])
        cols: Optional[List[OutputColumn]] = []
        star_rels: List[str] = []
        # Read for typing before the rewrite below changes the items in place.
        typed = [None if _is_star(item) else Typed(
            item.this if isinstance(item, exp.Alias) else item) for item in s.expressions]
        srf_source = self.plan_select_list_srfs(s)
        items: List[exp.Expression] = []
        for item, reading in zip(s.expressions, typed):
            if reading is None:
                qual = _star_qualifier(item)
                star_rels.extend(rel for alias, rel in stars if qual is None or alias == qual)
                items.extend(self.star(item, scope, aliases))
                expanded = None if using else expand_star(qual, aliases, scope)
                cols = None if cols is None or expanded is None else cols + expanded
                continue
            expr = item.this if isinstance(item, exp.Alias) else item
            name = folded(item.args["alias"]) if isinstance(item, exp.Alias) \
                else figure_name(expr)[0]
            sql = self.expr(expr)
            if cols is not None:
                cols.append(reading.output_column(name, scope, self.described))
            natural = isinstance(expr, exp.Column) and isinstance(sql, exp.Column) and \
                not isinstance(item, exp.Alias) and sql is expr
            items.append(sql if natural else exp.alias_(sql, name, quoted=True))
        s.set("expressions", items)
        self.stars[id(s)] = star_rels
        if srf_source is not None:
            if from_ is None:
                s.set("from_", exp.From(this=srf_source))
            else:
                s.append("joins", exp.Join(this=srf_source))
        for key in ("where", "group", "having", "windows", "qualify"):
            value = s.args.get(key)
            if isinstance(value, list):
                s.set(key, [self.expr(v) for v in value])
            elif value is not None:
                s.set(key, self.expr(value))
        return cols

    # ---- FROM -----------------------------------------------------------
    def from_item(self, f: "exp.Expression", scope: Scope, stars: List[Tuple[str, str]]
                  ) -> "exp.Expression":
        joins = f.args.get("joins") if isinstance(f, (exp.Table, exp.Subquery)) else None
        if joins:
            # an item with the joins that follow it inside parentheses:
            # sqlglot's reading of ``((select ...) ref join ...)`` and of
            # ``((pg_class c join ...) join ...)``, as psqlODBC writes them
            f.set("joins", None)
            item = self.from_item(f, scope, stars)
            for join in joins:
                self.join(join, scope, stars)
            item.set("joins", joins)
            return item
        if isinstance(f, exp.Table) and isinstance(f.this, exp.Identifier):
            return self.table(f, scope, stars)
        if isinstance(f, exp.Subquery) and _parenthesized_join(f):
            if isinstance(f.this, exp.Table) and not f.this.args.get("joins"):
                # ``(pg_class c)``: PostgreSQL's grammar has no such item
                raise UnsupportedSql("42601", 'syntax error at or near ")"')
            if f.args.get("alias") is not None:
                raise unsupported("aliased parenthesized joins")
            f.set("this", self.from_item(f.this, scope, stars))
            return f
        if isinstance(f, exp.Subquery):
            return self.derived(f, scope)
        if isinstance(f, exp.Values):
            alias = f.args.get("alias")
            sub = exp.Subquery(this=f.copy(), alias=alias)
            sub.this.set("alias", None)
            return self.derived(sub, scope)
        if isinstance(f, exp.Unnest) or (isinstance(f, exp.Table) and not isinstance(
                f.this, exp.Identifier)):
            return self.function_from(f, scope)
        raise unsupported("%s in FROM" % type(f).__name__)

    def join(self, j: "exp.Join", scope: Scope, stars: List[Tuple[str, str]]) -> None:
        j.set("this", self.from_item(j.this, scope, stars))
        if j.args.get("on") is not None:
            saved, self.join_scope = self.join_scope, scope
            try:
                j.set("on", self.expr(j.args["on"]))
            finally:
                self.join_scope = saved

    def table(self, t: "exp.Table", scope: Scope, stars: List[Tuple[str, str]]
              ) -> "exp.Expression":
        alias_node = t.args.get("alias")
        if alias_node is not None and alias_node.columns:
            raise unsupported("column aliases on catalog relations")
        schema = folded(t.args["db"]) if t.args.get("db") is not None else None
        name = folded(t.this)
        alias = folded(alias_node.this) if alias_node is not None else None
        cte = None if schema else self.find_cte(name)
        if cte is not None:
            scope[alias or name] = cte
            return t
        if schema is not None and schema not in _CATALOG_SCHEMAS:
            raise UnsupportedSql("42P01", 'relation "%s.%s" is not a catalog relation'
                                 % (schema, name))
        if schema is None and not name.startswith("pg_"):
            raise UnsupportedSql("42P01", 'relation "%s" does not exist' % name)
        self.relations.add(name)
        stars.append((alias or name, name))
        scope[alias or name] = name
        return t

    def find_cte(self, name: str) -> Optional[List[OutputColumn]]:
        for frame in reversed(self.ctes):
            if name in frame:
                return frame[name]
        return None

    def derived(self, f: "exp.Subquery", scope: Scope) -> "exp.Expression":
        inner, cols = self.query(f.this)
        alias_node = f.args.get("alias")
        alias = folded(alias_node.this) if alias_node is not None and alias_node.this else \
            "subquery"
        names = [folded(c) for c in alias_node.columns] if alias_node is not None else []
        if names:
            if cols is None or len(names) > len(cols):
                raise unsupported("column aliases on this subquery")
            renamed = [exp.alias_(exp.column(c.name, quoted=True), a, quoted=True)
                       for c, a in zip(cols, names)]
            renamed += [exp.column(c.name, quoted=True) for c in cols[len(names):]]
            inner = exp.select(*renamed).from_(exp.Subquery(this=inner))
            cols = [OutputColumn(a, c.cast, c.function, c.source, c.literal, c.pg_type)
                    for c, a in zip(cols, names)] + cols[len(names):]
        scope[alias] = cols or []
        return exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(
            alias, quoted=True)))

    def function_from(self, f: "exp.Expression", scope: Scope) -> "exp.Expression":
        """A function in FROM: unnest/generate_series as json_each (columns
        rewritten to its value and key), a scalar function as a one-row subquery."""
        alias_node = f.args.get("alias")
        ordinality = f.args.get("ordinality")
        if isinstance(f, exp.Unnest):
            func: exp.Expression = f
            offset = f.args.get("offset")  # sqlglot's spelling of WITH ORDINALITY
            ordinality = offset is True or isinstance(offset, exp.Identifier)
        else:
            func = f.this
            offset = None
        name = function_name(func)
        qualified = isinstance(func, exp.Dot)
        if qualified and func.this.name not in _CATALOG_SCHEMAS:
            raise UnsupportedSql("42883", "function %s does not exist"
                                 % func.sql("postgres").split("(", 1)[0])
        alias = folded(alias_node.this) if alias_node is not None and alias_node.this else name
        names = [folded(c) for c in alias_node.columns] if alias_node is not None else []
        if isinstance(offset, exp.Identifier):
            names.append(folded(offset))
        first = names[0] if names else alias
        ord_name = names[1] if len(names) > 1 else "ordinality"
        if len(names) > (2 if ordinality else 1):
            raise unsupported("more column aliases than %s() returns" % name)
        # The call's type is the function's result (the built-in path types it alike).
        cols = [OutputColumn(first, function=name,
                             pg_type=Typed(func).pg_type(scope, self.described))]
        quoted_alias = exp.TableAlias(this=exp.to_identifier(alias, quoted=True))
        if name in _FROM_SERIES:
            rewrites: Dict[str, exp.Expression] = {first: exp.column("value", alias, quoted=True)}
            if ordinality:
                rewrites[ord_name] = exp.Paren(this=exp.Add(
                    this=exp.column("key", alias, quoted=True), expression=exp.Literal.number(1)))
                cols.append(OutputColumn(ord_name, pg_type="int8"))
            self.function_columns[-1][alias] = rewrites
            scope[alias] = cols
            source = self.series_source(func, name)
            return exp.Table(this=source, alias=quoted_alias)
        if name in SET_RETURNING:
            raise unsupported("set-returning function %s() in FROM" % name)
        if ordinality:
            raise unsupported("WITH ORDINALITY on %s()" % name)
        value = self.expr(func)
        scope[alias] = cols
        return exp.Subquery(this=exp.select(exp.alias_(value, first, quoted=True)),
                            alias=quoted_alias)

    def series_source(self, func: "exp.Expression", name: str) -> "exp.Expression":
        if isinstance(func, exp.Dot):
            func = func.expression
        if isinstance(func, (exp.Unnest, exp.Explode)):
            args = func.expressions if isinstance(func, exp.Unnest) else [func.this]
        elif isinstance(func, (exp.ExplodingGenerateSeries, exp.GenerateSeries)):
            args = _series_args(func)
        elif isinstance(func, exp.Anonymous):
            args = func.expressions
        else:
            raise unsupported("this form of %s()" % name)
        if name == "unnest" and len(args) != 1:
            raise unsupported("unnest() with several arrays")
        if name == "generate_series" and len(args) not in (2, 3):
            raise UnsupportedSql("42883", "function generate_series with %d arguments does "
                                 "not exist" % len(args))
        return call("json_each", call(_FROM_SERIES[name], *self.exprs(args)))

    def from_aliases(self, s: "exp.Select") -> List[str]:
        """The names the FROM items are known by, in order (what ``*`` expands)."""
        items = []
        if s.args.get("from_") is not None:
            items.append(s.args["from_"].this)
        items.extend(j.this for j in s.args.get("joins") or [])
        out = []
        for f in items:
            alias = f.args.get("alias")
            if alias is not None and alias.this:
                out.append(alias.name)
            elif isinstance(f, exp.Table) and isinstance(f.this, exp.Identifier):
                out.append(folded(f.this))
            elif isinstance(f, exp.Unnest) or isinstance(f, exp.Table):
                out.append(function_name(f if isinstance(f, exp.Unnest) else f.this))
            else:
                out.append("subquery")
        return out

    def star(self, item: "exp.Expression", scope: Scope, aliases: List[str]
             ) -> List["exp.Expression"]:
        """``*`` / ``t.*``: spelled out where a FROM item is a json_each call,
        whose own columns (key, value, type...) must not show."""
        qual = _star_qualifier(item)
        if qual is not None and qual not in scope:
            raise UnsupportedSql("42P01", 'missing FROM-clause entry for table "%s"' % qual)
        functions = self.function_columns[-1]
        if not any(alias in functions for alias in ([qual] if qual else scope)):
            return [item]
        parts: List[exp.Expression] = []
        for alias in aliases:
            if qual is not None and alias != qual:
                continue
            if alias in functions:
                parts.extend(exp.alias_(sql.copy(), name, quoted=True)
                             for name, sql in functions[alias].items())
            else:
                parts.append(exp.Column(this=exp.Star(), table=exp.to_identifier(alias,
                                                                                 quoted=True)))
        return parts

    # ---- set-returning functions in a select list ---------------------------
    def plan_select_list_srfs(self, s: "exp.Select") -> Optional["exp.Expression"]:
        """The counter FROM item when the select list calls set-returning
        functions (see ``translate_srf``); None when it calls none."""
        calls: List[Tuple[int, exp.Expression]] = []
        for k, item in enumerate(s.expressions):
            calls.extend((k, f) for f in _set_returning_calls(item))
        if not calls:
            return None
        group = s.args.get("group")
        group_refs = list(group.expressions) if group is not None else []
        if group_refs or s.args.get("having") is not None or any(
                _has_aggregate(i) for i in s.expressions):
            item_aliases = [folded(i.args["alias"]) if isinstance(i, exp.Alias) else None
                            for i in s.expressions]
            ok = grouped_items_ok(
                item_aliases, sorted({k for k, _ in calls}), group_refs,
                lambda g, a: isinstance(g, exp.Column) and not g.table and folded(g.this) == a,
                lambda g, n: isinstance(g, exp.Literal) and not g.is_string and g.this == str(n))
            if not ok:
                raise unsupported("a set-returning function in a select list with "
                                  "aggregates it is not grouped by")
        srf_calls = []
        for _, f in calls:
            name, args = _srf_name_args(f)
            lower = 1
            if name == "generate_subscripts" and args and self.is_vector(args[0]):
                lower = 0
            srf_calls.append(SrfCall(name, [self.expr(a).sql(dialect="sqlite") for a in args],
                                     lower))
        self.srf_count += 1
        source, elements = plan_srfs(srf_calls, "_srf%d" % self.srf_count)
        for (_, f), elem in zip(calls, elements):
            self.srf_elements[id(f)] = elem
        return exp.Var(this=source)


def _order_by_position(order: "exp.Expression", cols: Optional[List[OutputColumn]]) -> None:
    """Bare ORDER BY names that denote a result column become its position
    (see :func:`colnames.output_position`)."""
    for item in order.expressions:
        key = item.this if isinstance(item, exp.Ordered) else None
        if isinstance(key, exp.Column) and not key.table:
            position = output_position(A.Col([folded(key.this)]), cols)
            if position is not None:
                item.set("this", exp.Literal.number(position))


def _is_star(item: "exp.Expression") -> bool:
    return isinstance(item, exp.Star) or (isinstance(item, exp.Column) and
                                          isinstance(item.this, exp.Star))


def _star_qualifier(item: "exp.Expression") -> Optional[str]:
    if isinstance(item, exp.Column) and item.args.get("table") is not None:
        return folded(item.args["table"])
    return None


def _srf_call(e: "exp.Expression") -> Optional[str]:
    """The name of the set-returning function *e* calls, None when it is not one."""
    if isinstance(e, (exp.Explode, exp.Unnest)):
        return "unnest"
    if isinstance(e, (exp.ExplodingGenerateSeries, exp.GenerateSeries)):
        return "generate_series"
    if isinstance(e, exp.Dot) and isinstance(e.expression, exp.Anonymous):
        return _srf_call(e.expression)
    if isinstance(e, exp.Anonymous) and e.name.lower() in SET_RETURNING:
        return e.name.lower()
    return None


def _srf_name_args(e: "exp.Expression") -> Tuple[str, List["exp.Expression"]]:
    name = _srf_call(e)
    assert name is not None
    if isinstance(e, exp.Dot):
        if folded(e.this) not in _CATALOG_SCHEMAS:
            raise UnsupportedSql("42883", "function %s() does not exist"
                                 % e.sql("postgres").split("(", 1)[0])
        e = e.expression
    if isinstance(e, exp.Explode):
        return name, [e.this]
    if isinstance(e, exp.Unnest):
        return name, list(e.expressions)
    if isinstance(e, (exp.ExplodingGenerateSeries, exp.GenerateSeries)):
        return name, _series_args(e)
    return name, list(e.expressions)


def _series_args(e: "exp.Expression") -> List["exp.Expression"]:
    """generate_series's arguments as written (sqlglot files a 4th one as a flag)."""
    args = [e.args.get(k) for k in ("start", "end", "step", "is_end_exclusive")]
    written = [a for a in args if isinstance(a, exp.Expression)]
    if len(written) not in (2, 3):
        raise UnsupportedSql("42883", "function generate_series with %d arguments does not "
                             "exist" % len(written))
    return written


def _walk(e: "exp.Expression"):
    """*e* and the nodes inside it, not entering subqueries."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (exp.Select, exp.SetOperation, exp.Subquery)) and node is not e:
            continue
        for value in node.args.values():
            if isinstance(value, exp.Expression):
                if not isinstance(value, (exp.Select, exp.SetOperation, exp.Subquery)):
                    stack.append(value)
            elif isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, exp.Expression) and
                             not isinstance(v, (exp.Select, exp.SetOperation, exp.Subquery)))


def _set_returning_calls(item: "exp.Expression") -> List["exp.Expression"]:
    """The set-returning calls of a select item (outermost ones only)."""
    found = []
    for node in _walk(item):
        if _srf_call(node) is not None and not (isinstance(node.parent, exp.Dot) and
                                                node.parent.expression is node):
            found.append(node)
    for f in found:
        inner = [n for n in _walk(f) if n is not f and _srf_call(n) is not None and
                 n is not getattr(f, "expression", None)]
        if inner:
            raise unsupported("nested set-returning functions")
    return found


def _has_aggregate(e: "exp.Expression") -> bool:
    return any(is_call(n) and function_name(n) in AGGREGATES and
               not isinstance(n.parent, exp.Window) for n in _walk(e))
