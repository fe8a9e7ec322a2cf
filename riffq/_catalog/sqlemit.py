"""Emit SQLite SQL for a parsed catalog statement (the built-in translator).

The rewrites follow the catalog contract: PostgreSQL-only syntax becomes a
call to a ``pg_*`` function the engine registers (casts, regexes, LIKE with
PostgreSQL's escaping, ``= ANY(array)``, arrays and subscripts), the rest is
passed through in SQLite spelling.  Every composite expression is wrapped in
parentheses so SQLite's own precedence never matters, and ORDER BY spells
out PostgreSQL's NULL placement (last when ascending, first when
descending), which SQLite would otherwise reverse.
"""
from __future__ import annotations

import re
import sqlite3
from typing import Dict, List, Optional, Set, Tuple

from riffq._catalog import sqlast as A
from riffq._catalog.coltypes import function_type
from riffq._catalog.colnames import (Scope, expr_type, figure_name, first_select, join_owner,
                                    literal_type, output_column, output_position, resolve_column,
                                    star_columns, tableoid_relation, typed_comparison)
from riffq._catalog.translate_srf import (SrfCall, SrfElement, element_sql, from_aliases,
                                          grouped_items_ok, has_aggregate, plan_srfs,
                                          record_field_sql, walk_expr)
from riffq._catalog.translate_types import OutputColumn, Translation, UnsupportedSql, unsupported

__all__ = ["emit_translation", "quote_ident", "VECTOR_COLUMNS", "KEYWORD_FUNCTIONS",
           "FUNCTION_RENAMES", "QUANTIFIED_OPS", "SET_RETURNING"]

# Columns holding int2vector/oidvector values: PostgreSQL subscripts them from 0.
VECTOR_COLUMNS = frozenset(["indkey", "indclass", "indcollation", "indoption", "proargtypes",
                            "stxkeys", "partattrs", "partclass", "partcollation"])

# SQL value keywords -> the engine function that answers them (None: unsupported).
KEYWORD_FUNCTIONS: Dict[str, Optional[str]] = {
    "current_user": "pg_current_user", "session_user": "pg_session_user",
    "current_role": "pg_current_user", "user": "pg_current_user",
    "current_catalog": "current_database", "current_schema": "current_schema",
    "current_date": "pg_current_date", "current_timestamp": "pg_now",
    "localtimestamp": "pg_now", "current_time": None, "localtime": None,
}

# Ordinary PostgreSQL functions whose engine name differs.
FUNCTION_RENAMES = {
    "now": "pg_now", "transaction_timestamp": "pg_now", "statement_timestamp": "pg_now",
    "array_agg": "pg_array_agg", "every": "bool_and", "date_part": "pg_extract",
    "btrim": "trim", "substring": "substr", "left": "pg_left", "right": "pg_right", "position": "pg_position", "extract": "pg_extract",
}

# Functions the engine cannot answer faithfully whatever their arguments.
_REFUSED_FUNCTIONS = {
    "greatest": "GREATEST", "least": "LEAST", "pg_typeof": "pg_typeof()",
    "clock_timestamp": "clock_timestamp()", "timeofday": "timeofday()",
}

# Set-returning functions: in FROM only the ones below are understood.
SET_RETURNING = frozenset("""
unnest generate_series generate_subscripts pg_partition_ancestors pg_partition_tree
regexp_matches regexp_split_to_table string_to_table json_each json_each_text
json_array_elements json_array_elements_text jsonb_each jsonb_each_text jsonb_array_elements
jsonb_array_elements_text json_object_keys jsonb_object_keys pg_get_keywords
pg_options_to_table aclexplode pg_show_all_settings pg_listening_channels _pg_expandarray
pg_stat_get_activity pg_event_trigger_ddl_commands pg_lock_status pg_cursor
pg_prepared_statement pg_timezone_names pg_timezone_abbrevs pg_tablespace_databases pg_ls_dir
pg_available_extensions pg_available_extension_versions pg_extension_update_paths pg_config
pg_hba_file_rules pg_get_catalog_foreign_keys pg_stat_get_backend_idset
""".split())
_FROM_SERIES = {"generate_series": "pg_series", "pg_partition_ancestors": "pg_partition_ancestors"}

QUANTIFIED_OPS = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
                  "~": "~", "~*": "~*", "like": "LIKE", "ilike": "ILIKE", "~~": "LIKE",
                  "~~*": "ILIKE"}
_PASS_OPS = frozenset(["=", "<>", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "||", "&",
                       "|", "<<", ">>", "and", "or"])
_REGEX = {"~": (0, False), "~*": (1, False), "!~": (0, True), "!~*": (1, True)}
_COMPARE = frozenset(["=", "<>", "<", ">", "<=", ">="])  # where a bare $n takes a type
_LIKE_OPS = {"~~": (0, False), "~~*": (1, False), "!~~": (0, True), "!~~*": (1, True)}

_PLAIN_IDENT = re.compile(r"[a-z_][a-z0-9_]*$")
_SQLITE_KEYWORDS = frozenset("""
abort action add after all alter always analyze and as asc attach autoincrement before begin
between by cascade case cast check collate column commit conflict constraint create cross
current current_date current_time current_timestamp database default deferrable deferred
delete desc detach distinct do drop each else end escape except exclude exclusive exists
explain fail filter first following for foreign from full generated glob group groups having
if ignore immediate in index indexed initially inner insert instead intersect into is isnull
join key last left like limit match materialized natural no not nothing notnull null nulls of
offset on or order others outer over partition plan pragma preceding primary query raise range
recursive references regexp reindex release rename replace restrict returning right rollback
row rows savepoint select set table temp temporary then ties to transaction trigger unbounded
union unique update using vacuum values view virtual when where window with without
""".split())

_CATALOG_SCHEMAS = ("pg_catalog", "information_schema")
_RIGHT_JOINS = sqlite3.sqlite_version_info >= (3, 39, 0)


def quote_ident(name: str) -> str:
    """An identifier as SQLite must see it to mean the PostgreSQL name."""
    if _PLAIN_IDENT.match(name) and name not in _SQLITE_KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Emitter:
    """One statement's emission state: relations read and CTEs in scope."""

    def __init__(self) -> None:
        self.relations: Set[str] = set()
        self.ctes: List[Dict[str, List[OutputColumn]]] = []
        self.stars: Dict[int, List[Tuple[str, str]]] = {}
        # Per SELECT level: FROM alias -> {column name: SQLite expression} for
        # set-returning functions emitted as json_each.
        self.function_columns: List[Dict[str, Dict[str, str]]] = []
        # FROM scopes of the SELECT levels being emitted, innermost last.
        self.scopes: List[Scope] = []
        # Set-returning calls of select lists: id(call) -> how it reads its row.
        self.srf_elements: Dict[int, SrfElement] = {}
        self.srf_count = 0
        # Output columns of the subqueries emitted so far, for result typing.
        self.subquery_cols: Dict[int, Optional[List[OutputColumn]]] = {}
        # The FROM scope whose join condition is being emitted (see join_owner).
        self.join_scope: Optional[Scope] = None

    # ---- queries --------------------------------------------------------
    def query(self, q: A.Query) -> Tuple[str, Optional[List[OutputColumn]]]:
        head = ""
        frame: Dict[str, List[OutputColumn]] = {}
        self.ctes.append(frame)
        self.function_columns.append({})
        try:
            if q.ctes:
                parts = []
                for cte in q.ctes:
                    if q.recursive:
                        frame[cte.name] = [OutputColumn(c) for c in cte.columns]
                    sql, cols = self.query(cte.query)
                    if cte.columns:
                        inner = cols if cols is not None and len(cols) == len(cte.columns) \
                            else [OutputColumn(c) for c in cte.columns]
                        cols = [OutputColumn(a, c.cast, c.function, c.source, c.literal,
                                             c.pg_type) for c, a in zip(inner, cte.columns)]
                    frame[cte.name] = cols or []
                    names = "(%s)" % ", ".join(map(quote_ident, cte.columns)) if cte.columns else ""
                    parts.append("%s%s AS (%s)" % (quote_ident(cte.name), names, sql))
                head = "WITH %s%s " % ("RECURSIVE " if q.recursive else "", ", ".join(parts))
            sql, cols = self.body(q.body)
            sql = head + sql
            if q.order:
                sql += " ORDER BY " + ", ".join(self.order_item(o, cols) for o in q.order)
            if q.limit is not None or q.offset is not None:
                sql += " LIMIT " + (self.expr(q.limit) if q.limit is not None else "-1")
                if q.offset is not None:
                    sql += " OFFSET " + self.expr(q.offset)
            return sql, cols
        finally:
            self.ctes.pop()
            self.function_columns.pop()

    def body(self, b: A.Body) -> Tuple[str, Optional[List[OutputColumn]]]:
        if isinstance(b, A.Query):
            return self.query(b)
        if isinstance(b, A.Select):
            return self.select(b)
        if isinstance(b, A.Values):
            rows = ["(%s)" % ", ".join(self.expr(e) for e in row) for row in b.rows]
            if len({len(r) for r in b.rows}) != 1:
                raise UnsupportedSql("42601", "VALUES lists must all be the same length")
            cols = [OutputColumn("column%d" % (i + 1),
                                 literal=literal_type(e) if isinstance(e, A.Lit) else None)
                    for i, e in enumerate(b.rows[0])]
            return "VALUES " + ", ".join(rows), cols
        left, cols = self.body(b.left)
        right = self.operand(b.right)
        op = b.op.upper() + (" ALL" if b.all else "")
        return "%s %s %s" % (left, op, right), cols

    def operand(self, b: A.Body) -> str:
        """A set-operation member SQLite accepts without parentheses."""
        sql, _ = self.body(b)
        if isinstance(b, (A.SetOp, A.Query)):
            return "SELECT * FROM (%s)" % sql
        return sql

    def select(self, s: A.Select) -> Tuple[str, Optional[List[OutputColumn]]]:
        scope: Scope = {}
        stars: List[Tuple[str, str]] = []
        self.scopes.append(scope)
        try:
            return self.select_in_scope(s, scope, stars)
        finally:
            self.scopes.pop()

    def select_in_scope(self, s: A.Select, scope: Scope, stars: List[Tuple[str, str]]
                        ) -> Tuple[str, Optional[List[OutputColumn]]]:
        from_items = [self.from_item(f, scope, stars) for f in s.from_]
        if not s.items:
            raise unsupported("SELECT with an empty select list")
        srf_from = self.plan_select_list_srfs(s)
        if srf_from is not None:
            from_items.append(srf_from)
        items: List[str] = []
        cols: Optional[List[OutputColumn]] = []
        for item in s.items:
            if isinstance(item.expr, A.Star):
                items.append(self.star(item.expr, scope, s.from_))
                expanded = star_columns(item.expr, scope, s.from_)
                cols = None if cols is None or expanded is None else cols + expanded
                continue
            sql = self.expr(item.expr)
            col = output_column(item, scope, self.subquery_cols)
            if cols is not None:
                cols.append(col)
            natural = isinstance(item.expr, A.Col) and sql == ".".join(
                quote_ident(p) for p in item.expr.parts[-3:])
            if item.alias is not None or not natural:
                sql += " AS " + quote_ident(col.name)
            items.append(sql)
        sql = "SELECT " + ("DISTINCT " if s.distinct else "") + ", ".join(items)
        if from_items:
            sql += " FROM " + ", ".join(from_items)
        if s.where is not None:
            sql += " WHERE " + self.expr(s.where)
        if s.group_by:
            sql += " GROUP BY " + ", ".join(self.expr(e) for e in s.group_by)
        if s.having is not None:
            sql += " HAVING " + self.expr(s.having)
        if s.windows:
            sql += " WINDOW " + ", ".join("%s AS %s" % (quote_ident(n), self.window(w))
                                          for n, w in s.windows)
        self.stars[id(s)] = stars
        return sql, cols

    def star(self, star: A.Star, scope: Scope, from_: List[A.FromItem]) -> str:
        """``*`` / ``t.*``: spelled out where a FROM item is a json_each call,
        whose own columns (key, value, type...) must not show."""
        qual = star.qualifier[-1] if star.qualifier else None
        if qual is not None and qual not in scope:
            raise UnsupportedSql("42P01", 'missing FROM-clause entry for table "%s"' % qual)
        functions = self.function_columns[-1]
        if not any(alias in functions for alias in ([qual] if qual else scope)):
            return "*" if qual is None else quote_ident(qual) + ".*"
        parts = []
        for alias in from_aliases(from_):
            if qual is not None and alias != qual:
                continue
            if alias in functions:
                parts.extend("%s AS %s" % (sql, quote_ident(name))
                             for name, sql in functions[alias].items())
            else:
                parts.append(quote_ident(alias) + ".*")
        return ", ".join(parts)

    def plan_select_list_srfs(self, s: A.Select) -> Optional[str]:
        """The counter FROM item when the select list calls set-returning
        functions (see ``translate_srf``); None when it calls none."""
        calls: List[Tuple[int, A.Func]] = []
        for k, item in enumerate(s.items):
            calls.extend((k, f) for f in _set_returning_calls(item.expr))
        if not calls:
            return None
        if s.group_by or any(has_aggregate(i.expr) for i in s.items) or s.having is not None:
            ok = grouped_items_ok(
                [i.alias for i in s.items], sorted({k for k, _ in calls}), list(s.group_by),
                lambda g, a: isinstance(g, A.Col) and g.parts == [a],
                lambda g, n: isinstance(g, A.Lit) and g.kind == "num" and g.value == str(n))
            if not ok:
                raise unsupported("a set-returning function in a select list with "
                                  "aggregates it is not grouped by")
        srf_calls = []
        for _, f in calls:
            if f.distinct or f.order or f.filter is not None or f.over is not None or f.star:
                raise unsupported("this form of %s()" % f.name[-1])
            lower = 1
            if f.name[-1] == "generate_subscripts" and f.args and self.is_vector(f.args[0]):
                lower = 0
            srf_calls.append(SrfCall(f.name[-1], [self.expr(a) for a in f.args], lower))
        self.srf_count += 1
        source, elements = plan_srfs(srf_calls, "_srf%d" % self.srf_count)
        for (_, f), elem in zip(calls, elements):
            self.srf_elements[id(f)] = elem
        return source

    # ---- FROM -----------------------------------------------------------
    def from_item(self, f: A.FromItem, scope: Scope, stars: List[Tuple[str, str]]) -> str:
        if isinstance(f, A.Join):
            left = self.from_item(f.left, scope, stars)
            right = self.from_item(f.right, scope, stars)
            if f.kind in ("right", "full") and not _RIGHT_JOINS:
                raise unsupported("%s JOIN on this SQLite version" % f.kind.upper())
            kw = {"inner": "JOIN", "left": "LEFT JOIN", "cross": "CROSS JOIN",
                  "right": "RIGHT JOIN", "full": "FULL JOIN"}[f.kind]
            sql = "%s %s %s" % (left, kw, right)
            if f.on is not None:
                saved, self.join_scope = self.join_scope, scope
                try:
                    sql += " ON " + self.expr(f.on)
                finally:
                    self.join_scope = saved
            elif f.using:
                sql += " USING (%s)" % ", ".join(map(quote_ident, f.using))
            return "(%s)" % sql if f.kind != "cross" else sql
        if isinstance(f, A.TableRef):
            return self.table(f, scope, stars)
        if isinstance(f, A.SubqueryRef):
            sql, cols = self.query(f.query)
            alias = f.alias or "subquery"
            if f.column_aliases:
                if cols is None or len(f.column_aliases) > len(cols):
                    raise unsupported("column aliases on this subquery")
                renamed = ["%s AS %s" % (quote_ident(c.name), quote_ident(a))
                           for c, a in zip(cols, f.column_aliases)]
                renamed += [quote_ident(c.name) for c in cols[len(f.column_aliases):]]
                sql = "SELECT %s FROM (%s)" % (", ".join(renamed), sql)
                cols = [OutputColumn(a, c.cast, c.function, c.source, c.literal, c.pg_type)
                        for c, a in zip(cols, f.column_aliases)] + cols[len(f.column_aliases):]
            scope[alias] = cols or []
            return "(%s) AS %s" % (sql, quote_ident(alias))
        return self.function_from(f, scope)

    def table(self, t: A.TableRef, scope: Scope, stars: List[Tuple[str, str]]) -> str:
        if t.column_aliases:
            raise unsupported("column aliases on catalog relations")
        cte = None if t.schema else self.find_cte(t.name)
        if cte is not None:
            scope[t.alias or t.name] = cte
            return quote_ident(t.name) + (" AS " + quote_ident(t.alias) if t.alias else "")
        if t.schema is not None and t.schema not in _CATALOG_SCHEMAS:
            raise UnsupportedSql("42P01", 'relation "%s.%s" is not a catalog relation'
                                 % (t.schema, t.name))
        if t.schema is None and not t.name.startswith("pg_"):
            raise UnsupportedSql("42P01", 'relation "%s" does not exist' % t.name)
        self.relations.add(t.name)
        stars.append((t.alias or t.name, t.name))
        scope[t.alias or t.name] = t.name
        sql = quote_ident(t.name)
        if t.schema is not None:
            sql = quote_ident(t.schema) + "." + sql
        return sql + (" AS " + quote_ident(t.alias) if t.alias else "")

    def find_cte(self, name: str) -> Optional[List[OutputColumn]]:
        for frame in reversed(self.ctes):
            if name in frame:
                return frame[name]
        return None

    def function_from(self, f: A.FunctionRef, scope: Scope) -> str:
        func = f.func
        name = func.name[-1]
        if len(func.name) > 1 and func.name[0] not in _CATALOG_SCHEMAS:
            raise UnsupportedSql("42883", "function %s does not exist" % ".".join(func.name))
        alias = f.alias or name
        first = f.column_aliases[0] if f.column_aliases else alias
        ordinality = f.column_aliases[1] if len(f.column_aliases) > 1 else "ordinality"
        if len(f.column_aliases) > (2 if f.ordinality else 1):
            raise unsupported("more column aliases than %s() returns" % name)
        cols = [OutputColumn(first, function=name, pg_type=function_type(
            name, [expr_type(a, scope, self.subquery_cols) for a in func.args]))]
        if name in ("unnest", "generate_series", "pg_partition_ancestors"):
            # A table-valued json_each, not a subquery: its argument may refer to
            # earlier FROM items (PostgreSQL's implicit LATERAL), which SQLite
            # allows only for table-valued functions.  Columns are rewritten.
            q = quote_ident(alias)
            rewrites = {first: "%s.value" % q}
            if f.ordinality:
                rewrites[ordinality] = "(%s.key + 1)" % q
                cols.append(OutputColumn(ordinality, pg_type="int8"))
            self.function_columns[-1][alias] = rewrites
            scope[alias] = cols
            return "%s AS %s" % (self.series_source(func), q)
        elif name in SET_RETURNING:
            raise unsupported("set-returning function %s() in FROM" % name)
        elif f.ordinality:
            raise unsupported("WITH ORDINALITY on %s()" % name)
        else:
            sql = "(SELECT %s AS %s)" % (self.expr(func), quote_ident(first))
        scope[alias] = cols
        return "%s AS %s" % (sql, quote_ident(alias))

    def series_source(self, f: A.Func) -> str:
        name = f.name[-1]
        if f.distinct or f.order or f.filter is not None or f.over is not None or f.star:
            raise unsupported("this form of %s()" % name)
        if name == "unnest":
            if len(f.args) != 1:
                raise unsupported("unnest() with several arrays")
            return "json_each(pg_array_json(%s))" % self.expr(f.args[0])
        if name == "generate_series" and len(f.args) not in (2, 3):
            raise UnsupportedSql("42883", "function generate_series with %d arguments does "
                                 "not exist" % len(f.args))
        return "json_each(%s(%s))" % (_FROM_SERIES[name], ", ".join(self.expr(a) for a in f.args))

    # ---- expressions ----------------------------------------------------
    def order_item(self, o: A.OrderItem, cols: Optional[List[OutputColumn]] = None) -> str:
        nulls = o.nulls or ("first" if o.descending else "last")
        position = output_position(o.expr, cols)
        key = self.expr(o.expr) if position is None else str(position)
        return "%s%s NULLS %s" % (key, " DESC" if o.descending else "", nulls.upper())

    def window(self, w: A.WindowSpec) -> str:
        parts = []
        if w.name:
            parts.append(quote_ident(w.name))
        if w.partition:
            parts.append("PARTITION BY " + ", ".join(self.expr(e) for e in w.partition))
        if w.order:
            parts.append("ORDER BY " + ", ".join(self.order_item(o) for o in w.order))
        if w.frame:
            parts.append(w.frame.upper())
        return "(%s)" % " ".join(parts)

    def expr(self, e: A.Expr) -> str:
        method = getattr(self, "e_" + type(e).__name__.lower())
        return method(e)

    def e_lit(self, e: A.Lit) -> str:
        if e.kind == "str":
            return quote_literal(str(e.value))
        if e.kind == "num":
            return str(e.value)
        if e.kind == "bool":
            return "1" if e.value else "0"
        return "NULL"

    def e_param(self, e: A.Param) -> str:
        if e.number < 1:
            raise UnsupportedSql("42P02", "there is no parameter $%d" % e.number)
        return "?%d" % e.number

    def e_col(self, e: A.Col) -> str:
        for frame in reversed(self.function_columns):
            if len(e.parts) == 2 and e.parts[0] in frame and e.parts[1] in frame[e.parts[0]]:
                return frame[e.parts[0]][e.parts[1]]
            if len(e.parts) == 1:
                for rewrites in frame.values():
                    if e.parts[0] in rewrites:
                        return rewrites[e.parts[0]]
        relation = tableoid_relation(e.parts, self.scopes)
        if relation is not None:
            return "pg_tableoid(%s)" % quote_literal(relation)
        if len(e.parts) == 1 and self.join_scope is not None and self.scopes \
                and self.scopes[-1] is self.join_scope:
            owner = join_owner(e.parts[0], self.join_scope)
            if owner is not None:
                return "%s.%s" % (quote_ident(owner), quote_ident(e.parts[0]))
        parts = e.parts[-3:]
        return ".".join(quote_ident(p) for p in parts)

    def e_star(self, e: A.Star) -> str:
        raise unsupported("* outside a select list or count(*)")

    def e_cast(self, e: A.Cast) -> str:
        inner = self.expr(e.expr)
        source = None
        if not isinstance(e.expr, (A.Lit, A.Param)):
            source = expr_type(e.expr, self.scopes[-1] if self.scopes else {},
                               self.subquery_cols)
        if source is not None and _text_depends_on_type(source):
            return "pg_cast(%s, %s, %s)" % (inner, quote_literal(e.type.canonical),
                                            quote_literal(source))
        return "pg_cast(%s, %s)" % (inner, quote_literal(e.type.canonical))

    def e_unary(self, e: A.Unary) -> str:
        return "(%s %s)" % ("NOT" if e.op == "not" else e.op, self.expr(e.expr))

    def e_binary(self, e: A.Binary) -> str:
        if e.op in _COMPARE:
            e = typed_comparison(e, self.scopes[-1] if self.scopes else {}, self.subquery_cols)
        left, right = self.expr(e.left), self.expr(e.right)
        if e.op in _REGEX:
            flag, neg = _REGEX[e.op]
            call = "pg_regex(%s, %s, %d)" % (left, right, flag)
            return "(NOT %s)" % call if neg else call
        if e.op in _LIKE_OPS:
            flag, neg = _LIKE_OPS[e.op]
            call = "pg_like(%s, %s, %d)" % (left, right, flag)
            return "(NOT %s)" % call if neg else call
        if e.op == "||" and (_is_array(e.left) or _is_array(e.right)):
            return "pg_array_cat(%s, %s)" % (left, right)
        if e.op not in _PASS_OPS:
            raise unsupported("the operator %s" % e.op)
        return "(%s %s %s)" % (left, e.op.upper(), right)

    def e_istest(self, e: A.IsTest) -> str:
        what = {"null": "NULL", "true": "TRUE", "false": "FALSE", "unknown": "NULL"}[e.what]
        return "(%s IS %s%s)" % (self.expr(e.expr), "NOT " if e.negated else "", what)

    def e_distinct(self, e: A.Distinct) -> str:
        return "(%s IS %s%s)" % (self.expr(e.left), "" if e.negated else "NOT ",
                                 self.expr(e.right))

    def e_between(self, e: A.Between) -> str:
        return "(%s %sBETWEEN %s AND %s)" % (self.expr(e.expr), "NOT " if e.negated else "",
                                             self.expr(e.low), self.expr(e.high))

    def e_inlist(self, e: A.InList) -> str:
        return "(%s %sIN (%s))" % (self.expr(e.expr), "NOT " if e.negated else "",
                                   ", ".join(self.expr(i) for i in e.items))

    def e_inquery(self, e: A.InQuery) -> str:
        return "(%s %sIN (%s))" % (self.expr(e.expr), "NOT " if e.negated else "",
                                   self.query(e.query)[0])

    def e_like(self, e: A.Like) -> str:
        if e.kind == "similar":
            if e.escape is not None:
                raise unsupported("SIMILAR TO ... ESCAPE")
            call = "pg_similar(%s, %s)" % (self.expr(e.expr), self.expr(e.pattern))
        else:
            args = [self.expr(e.expr), self.expr(e.pattern), "1" if e.kind == "ilike" else "0"]
            if e.escape is not None:
                args.append(self.expr(e.escape))
            call = "pg_like(%s)" % ", ".join(args)
        return "(NOT %s)" % call if e.negated else call

    def e_quantified(self, e: A.Quantified) -> str:
        if e.query is not None:
            if e.op == "=" and e.quantifier == "any":
                return "(%s IN (%s))" % (self.expr(e.left), self.query(e.query)[0])
            if e.op == "<>" and e.quantifier == "all":
                return "(%s NOT IN (%s))" % (self.expr(e.left), self.query(e.query)[0])
            raise unsupported("%s %s(subquery)" % (e.op, e.quantifier.upper()))
        op = QUANTIFIED_OPS.get(e.op)
        if op is None:
            raise unsupported("the operator %s with %s(array)" % (e.op, e.quantifier.upper()))
        array = self.expr(e.array)  # type: ignore[arg-type]
        if isinstance(e.array, A.Param) or (isinstance(e.array, A.Lit) and e.array.kind == "str"):
            array = "pg_array_json(%s)" % array  # array text such as '{a,b}'
        return "pg_%s(%s, %s, %s)" % (e.quantifier, self.expr(e.left), quote_literal(op), array)

    def e_case(self, e: A.Case) -> str:
        sql = "CASE"
        if e.operand is not None:
            sql += " " + self.expr(e.operand)
        for cond, value in e.whens:
            sql += " WHEN %s THEN %s" % (self.expr(cond), self.expr(value))
        if e.default is not None:
            sql += " ELSE " + self.expr(e.default)
        return sql + " END"

    def e_subqueryexpr(self, e: A.SubqueryExpr) -> str:
        sql, cols = self.query(e.query)
        self.subquery_cols[id(e.query)] = cols
        if e.kind == "exists":
            return "EXISTS (%s)" % sql
        if e.kind == "scalar":
            return "(%s)" % sql
        if not cols or len(cols) != 1:
            raise unsupported("ARRAY(subquery) without exactly one named column")
        return "(SELECT json_group_array(%s) FROM (%s))" % (quote_ident(cols[0].name), sql)

    def e_arraylit(self, e: A.ArrayLit) -> str:
        return "pg_array(%s)" % ", ".join(self.expr(i) for i in e.items)

    def e_subscript(self, e: A.Subscript) -> str:
        base = e.expr
        while isinstance(base, A.Cast):
            base = base.expr
        lower = 0 if self.is_vector(base) else 1
        return "pg_subscript(%s, %s, %d)" % (self.expr(e.expr), self.expr(e.index), lower)

    def is_vector(self, e: A.Expr) -> bool:
        """True when *e* reads an int2vector/oidvector column (subscripted from 0),
        directly or through derived-table columns."""
        if not isinstance(e, A.Col):
            return False
        if e.parts[-1] in VECTOR_COLUMNS:
            return True
        ref = resolve_column(e.parts, self.scopes[-1]) if self.scopes else None
        return ref is not None and ref.source is not None and ref.source[1] in VECTOR_COLUMNS

    def e_fieldselect(self, e: A.FieldSelect) -> str:
        if isinstance(e.expr, A.Func) and id(e.expr) in self.srf_elements:
            return element_sql(self.srf_elements[id(e.expr)], e.field)
        if isinstance(e.expr, A.Col) and self.scopes:
            ref = resolve_column(e.expr.parts, self.scopes[-1])
            if ref is not None and ref.function == "_pg_expandarray":
                return record_field_sql(self.expr(e.expr), e.field)
        raise unsupported("field selection from this value")

    def ordered_aggregate(self, e: A.Func, name: str, args: List[str]) -> str:
        """``array_agg(x ORDER BY k...)`` / ``string_agg(x, s ORDER BY k...)``:
        SQLite before 3.44 has no ordered aggregates, so the sort keys travel
        as extra arguments with a spec of one direction letter (A/D) and one
        NULL placement letter (F/L) per key, and the engine sorts."""
        if name not in ("array_agg", "string_agg") or e.distinct or e.over is not None:
            raise unsupported("ORDER BY inside %s()" % name)
        spec = "".join(("D" if o.descending else "A") +
                       ((o.nulls or ("first" if o.descending else "last"))[0].upper())
                       for o in e.order)
        keys = [self.expr(o.expr) for o in e.order]
        sql = "pg_%s_ordered(%s)" % (name, ", ".join(args + [quote_literal(spec)] + keys))
        if e.filter is not None:
            sql += " FILTER (WHERE %s)" % self.expr(e.filter)
        return sql

    def json_build_object(self, e: A.Func, args: List[str]) -> str:
        """PostgreSQL's json_build_object: the engine renders true/false and
        nested JSON only when told which values are booleans ('b') or JSON
        ('j'); everything else ('v') is a number, a string or null."""
        if len(args) % 2:
            raise UnsupportedSql("22023", "argument list must have even number of elements")
        scope = self.scopes[-1] if self.scopes else {}
        kinds = ""
        for value in e.args[1::2]:
            kind = expr_type(value, scope, self.subquery_cols)
            kinds += "b" if kind == "bool" else "j" if kind in ("json", "jsonb") else "v"
        return "pg_json_build_object(%s)" % ", ".join([quote_literal(kinds)] + args)

    def e_func(self, e: A.Func) -> str:
        name = e.name[-1]
        if e.sql_syntax == "keyword":
            target = KEYWORD_FUNCTIONS[name]
            if target is None:
                raise unsupported(name.upper())
            return target + "()"
        if len(e.name) > 1 and e.name[0] not in _CATALOG_SCHEMAS:
            raise UnsupportedSql("42883", "function %s() does not exist" % ".".join(e.name))
        if name in _REFUSED_FUNCTIONS:
            raise unsupported(_REFUSED_FUNCTIONS[name])
        if id(e) in self.srf_elements:
            return element_sql(self.srf_elements[id(e)])
        if name in SET_RETURNING:
            raise unsupported("set-returning function %s() here" % name)
        args = [self.expr(a) for a in e.args]
        if e.order:
            return self.ordered_aggregate(e, name, args)
        if name == "json_build_object":
            return self.json_build_object(e, args)
        if name == "substring" and any(isinstance(a, A.Lit) and a.kind == "str"
                                       for a in e.args[1:]):
            raise unsupported("substring() with a regular expression")
        # (a wrong argument count falls through: the engine answers 42883)
        if (name == "extract" or name == "date_part") and e.args:
            args[0] = quote_literal(str(e.args[0].value).lower()) \
                if isinstance(e.args[0], A.Lit) else args[0]
        if name == "strpos" and len(args) == 2:
            name, args = "position", [args[1], args[0]]
        target = FUNCTION_RENAMES.get(name, name)
        if e.star:
            inner = "*"
        else:
            inner = ("DISTINCT " if e.distinct else "") + ", ".join(args)
        sql = "%s(%s)" % (quote_ident(target), inner)
        if e.filter is not None:
            sql += " FILTER (WHERE %s)" % self.expr(e.filter)
        if e.over is not None:
            if e.over.name and not (e.over.partition or e.over.order or e.over.frame):
                sql += " OVER " + quote_ident(e.over.name)
            else:
                sql += " OVER " + self.window(e.over)
        return sql


def _set_returning_calls(e: A.Expr) -> List[A.Func]:
    """The set-returning calls of a select item (outermost ones only)."""
    found = [n for n in walk_expr(e) if isinstance(n, A.Func) and n.name[-1] in SET_RETURNING
             and n.sql_syntax is None]
    for f in found:
        for a in f.args:
            if any(isinstance(n, A.Func) and n.name[-1] in SET_RETURNING for n in walk_expr(a)):
                raise unsupported("nested set-returning functions")
    return found


def _text_depends_on_type(t: str) -> bool:
    """Whether a value's text form needs its source type: SQLite holds reg*
    values as OIDs, booleans as 0/1 and arrays as JSON."""
    return t.startswith("reg") or t == "bool" or t.endswith("[]") or t in (
        "int2vector", "oidvector")


def _is_array(e: A.Expr) -> bool:
    """True when the syntax shows *e* is an array (so ``||`` concatenates arrays)."""
    if isinstance(e, A.ArrayLit) or (isinstance(e, A.SubqueryExpr) and e.kind == "array"):
        return True
    return isinstance(e, A.Cast) and e.type.canonical.endswith("[]")


def emit_translation(q: A.Query) -> Translation:
    """SQLite SQL, result columns and relations for a parsed statement."""
    em = Emitter()
    sql, cols = em.query(q)
    if cols and any(c.function == "_pg_expandarray" for c in cols):
        raise unsupported("a record-valued result column")
    stars: List[str] = []
    first = first_select(q)
    if first is not None:
        relations = em.stars.get(id(first), [])
        for item in first.items:
            if isinstance(item.expr, A.Star):
                qual = item.expr.qualifier
                stars.extend(rel for alias, rel in relations
                             if not qual or alias == qual[-1])
    return Translation(sql, cols, em.relations, stars)


def column_name_of(e: A.Expr) -> str:
    """PostgreSQL's name for an unaliased expression (exported for the sqlglot path)."""
    return figure_name(e)[0]
