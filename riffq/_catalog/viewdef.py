"""pg_get_viewdef for registered views: PostgreSQL's deparsed text.

PostgreSQL never keeps a view's SQL as written; it prints the analysed
query back (``ruleutils.c``): every column qualified by its relation,
implicit casts spelled out (``u.email::text = 'a'::text``), ``*`` expanded,
output names added (``count(*) AS count``), one clause per line.  Tools
(SQLAlchemy's ``get_view_definition``, ``\\d+`` on a view, pg_views) show
that text, so riffq prints the same for the shapes of SQL it can analyse
here: SELECT lists of columns, literals, operators and common functions;
FROM with joins; WHERE, GROUP BY, HAVING, ORDER BY, LIMIT/OFFSET; UNION.
Anything else (or a name it cannot resolve against the registration)
makes :func:`deparse_view` return None, and the caller falls back to the
SQL as registered, rather than guessing PostgreSQL's analysis.

``pretty`` is pg_get_viewdef's second argument: without it PostgreSQL
parenthesises every operator (``WHERE (users.id > 100)``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import sqlast as A
from .pgnames import format_type, quote_ident
from .sqlparse import parse_statement
from .translate_types import UnsupportedSql

__all__ = ["deparse_view"]

_INTS = {21: 1, 23: 2, 20: 3}
_NUMERIC, _TEXT, _VARCHAR, _BOOL, _FLOAT4, _FLOAT8 = 1700, 25, 1043, 16, 700, 701
_CMP = ("=", "<>", "<", ">", "<=", ">=")
_ARITH = ("+", "-", "*", "/", "%")
_SIMPLE_FUNCS = {"upper": _TEXT, "lower": _TEXT, "length": 23, "count": 20}


class _Give(Exception):
    """The view uses something this deparser does not analyse."""


@dataclass
class Node:
    """An analysed expression: what to print and what PostgreSQL knows of it."""

    kind: str                  # var const func coerce op prefix bool not nulltest saop
    text: str = ""             # var/const/func: the whole text
    type: Optional[int] = None
    op: str = ""
    args: List["Node"] = field(default_factory=list)
    name: str = "?column?"     # the output column name PostgreSQL derives


@dataclass
class _Rel:
    ref: str                   # how columns are qualified: the alias or the table name
    columns: List[Tuple[str, int, int]]  # (name, type oid, typmod)
    from_text: str


# --- printing -------------------------------------------------------------------


def _simple(node: Node, parent: Node) -> bool:
    """ruleutils' isSimpleNode, for the node kinds analysed here."""
    if node.kind in ("var", "const", "func", "coerce"):
        return True
    if node.kind in ("op", "prefix"):
        if parent.kind == "op":
            if node.op not in _ARITH or parent.op not in _ARITH:
                return False
            hi, parent_hi = node.op in "*/%", parent.op in "*/%"
            if hi != parent_hi:
                return hi
            return parent.args[0] is node
        return parent.kind in ("bool", "not", "func")
    if node.kind == "nulltest":
        return parent.kind in ("bool", "not", "func")
    if node.kind in ("bool", "not"):
        if parent.kind == "bool":
            return node.kind == "not" or node.op == "AND" or parent.op == node.op
        if parent.kind == "not":
            return node.kind == "not"
        return parent.kind == "func"
    return False


def _show(node: Node, pretty: bool, parent: Optional[Node] = None) -> str:
    text = _render(node, pretty)
    if pretty and parent is not None and not _simple(node, parent):
        return "(" + text + ")"
    return text


def _render(node: Node, pretty: bool) -> str:
    wrap = (lambda s: s) if pretty else (lambda s: "(" + s + ")")
    if node.kind in ("var", "const") or node.kind == "func" and node.text:
        return node.text
    if node.kind == "func":     # arguments as get_rule_expr prints them: no added parens
        return "%s(%s)" % (node.op, ", ".join(_render(a, pretty) for a in node.args))
    if node.kind == "coerce":
        inner = _show(node.args[0], pretty, node)
        return (inner if pretty else "(" + inner + ")") + "::" + node.text
    if node.kind == "op":
        left, right = (_show(a, pretty, node) for a in node.args)
        return wrap("%s %s %s" % (left, node.op, right))
    if node.kind == "prefix":
        return wrap("%s %s" % (node.op, _show(node.args[0], pretty, node)))
    if node.kind == "bool":
        return wrap((" %s " % node.op).join(_show(a, pretty, node) for a in node.args))
    if node.kind == "not":
        return wrap("NOT " + _show(node.args[0], pretty, node))
    if node.kind == "nulltest":
        return wrap("%s %s" % (_show(node.args[0], pretty, node), node.op))
    if node.kind == "saop":     # x IN (...) as PostgreSQL stores it
        return wrap("%s %s (ARRAY[%s])" % (_show(node.args[0], pretty, node), node.op,
                                           ", ".join(_render(a, pretty) for a in node.args[1:])))
    raise _Give(node.kind)


# --- analysis ---------------------------------------------------------------------


class _Deparser:
    def __init__(self, resolve: Callable[[Optional[str], str], Optional[Tuple[str, str, list]]],
                 types: Dict[int, Dict[str, Any]]) -> None:
        self.resolve = resolve
        self.types = types
        self.rels: List[_Rel] = []

    def type_name(self, oid: int) -> str:
        text = format_type(oid, -1, self.types)
        if text is None:
            raise _Give("type")
        return text

    # -- FROM ----------------------------------------------------------------------
    def from_item(self, item: Any, pretty: bool) -> str:
        if isinstance(item, A.TableRef):
            found = self.resolve(item.schema, item.name)
            if found is None or item.column_aliases:
                raise _Give("relation")
            shown, name, columns = found
            ref = item.alias or name
            self.rels.append(_Rel(ref, columns, shown))
            return shown + (" " + quote_ident(item.alias) if item.alias else "")
        if isinstance(item, A.Join) and item.kind in ("inner", "left") and item.on is not None \
                and not item.using:
            left = self.from_item(item.left, pretty)
            right = self.from_item(item.right, pretty)
            on = self.expr(item.on)
            kw = "JOIN" if item.kind == "inner" else "LEFT JOIN"
            if pretty:
                return "%s\n     %s %s ON %s" % (left, kw, right, _show(on, True))
            return "(%s\n     %s %s ON (%s))" % (left, kw, right, _show(on, False))
        if isinstance(item, A.Join) and item.kind == "comma":
            return self.from_item(item.left, pretty) + ",\n    " + self.from_item(item.right, pretty)
        raise _Give("from item")

    # -- expressions -----------------------------------------------------------------
    def column(self, parts: List[str]) -> Node:
        col, qual = parts[-1], parts[-2] if len(parts) > 1 else None
        hits = [(r, c) for r in self.rels if qual in (None, r.ref)
                for c in r.columns if c[0] == col]
        if len(hits) != 1:
            raise _Give("column")
        rel, (name, typ, _) = hits[0]
        return Node("var", "%s.%s" % (quote_ident(rel.ref), quote_ident(name)), typ, name=name)

    def literal(self, lit: A.Lit) -> Node:
        if lit.kind == "num":
            text = str(lit.value)
            if text.isdigit():
                return Node("const", text, 23 if int(text) < 2 ** 31 else 20)
            return Node("const", text, _NUMERIC)
        if lit.kind == "bool":
            return Node("const", "true" if lit.value else "false", _BOOL)
        if lit.kind == "str":
            return Node("const", "'%s'" % str(lit.value).replace("'", "''"), None)
        raise _Give("literal")

    def cast_const(self, const: Node, typ: int) -> Node:
        """A literal where PostgreSQL resolved it to ``typ``."""
        if const.type is None or const.type != typ and not (const.type in _INTS and typ in _INTS):
            if const.type not in (None, 23, 20, _NUMERIC) or typ == _BOOL:
                raise _Give("cast")
            if const.type == _NUMERIC and typ in _INTS:
                raise _Give("cast")
            if const.type is None:      # a quoted literal is read as that type
                return Node("const", "%s::%s" % (const.text, self.type_name(typ)), typ)
            # a number becomes one through an implicit cast: (10)::numeric unless pretty
            return Node("coerce", self.type_name(typ), typ, args=[const])
        return const

    def to_text(self, node: Node) -> Node:
        if node.type == _VARCHAR:
            return Node("coerce", "text", _TEXT, args=[node], name=node.name)
        if node.type != _TEXT:
            raise _Give("text operand")
        return node

    def operands(self, op: str, left: Node, right: Node) -> Tuple[Node, Node, int]:
        """Both sides of a binary operator with PostgreSQL's implicit casts."""
        if op == "||":
            left, right = (self.cast_const(n, _TEXT) if n.kind == "const" else self.to_text(n)
                           for n in (left, right))
            return left, right, _TEXT
        if left.kind == "const" and right.kind != "const":
            right, left, typ = self.operands(op, right, left)
            return left, right, typ
        if right.kind == "const" and left.kind != "const":
            if left.type in (_VARCHAR, _TEXT) and right.type is None:
                return self.to_text(left), self.cast_const(right, _TEXT), _TEXT
            if left.type in _INTS and right.type == _NUMERIC:
                left = Node("coerce", "numeric", _NUMERIC, args=[left], name=left.name)
            right = self.cast_const(right, left.type or 0)
            return left, right, left.type or 0
        if left.type in (_VARCHAR, _TEXT) and right.type in (_VARCHAR, _TEXT):
            return self.to_text(left), self.to_text(right), _TEXT
        if left.type in _INTS and right.type in _INTS:
            return left, right, max(left.type, right.type, key=_INTS.get)
        if left.type != right.type or left.type is None:
            raise _Give("operand types")
        return left, right, left.type

    def expr(self, e: A.Expr) -> Node:
        if isinstance(e, A.Col):
            return self.column(e.parts)
        if isinstance(e, A.Lit):
            return self.literal(e)
        if isinstance(e, A.Binary) and e.op in ("and", "or"):
            op = e.op.upper()
            args: List[Node] = []
            for side in (e.left, e.right):
                n = self.expr(side)
                args.extend(n.args if n.kind == "bool" and n.op == op and side is e.left else [n])
            for n in args:
                if n.type != _BOOL:
                    raise _Give("boolean operand")
            return Node("bool", op=op, args=args, type=_BOOL)
        if isinstance(e, A.Binary) and e.op in _CMP + _ARITH + ("||",):
            left, right, typ = self.operands(e.op, self.expr(e.left), self.expr(e.right))
            if e.op in ("/", "%") and typ not in _INTS and typ != _NUMERIC:
                raise _Give("division")
            return Node("op", op=e.op, args=[left, right], type=_BOOL if e.op in _CMP else typ)
        if isinstance(e, A.Like) and e.kind == "like" and e.escape is None:
            left, right, _ = self.operands("=", self.expr(e.expr), self.expr(e.pattern))
            return Node("op", op="!~~" if e.negated else "~~", args=[left, right], type=_BOOL)
        if isinstance(e, A.Unary) and e.op == "not":
            arg = self.expr(e.expr)
            if arg.type != _BOOL:
                raise _Give("not")
            return Node("not", args=[arg], type=_BOOL)
        if isinstance(e, A.Unary) and e.op == "-":
            arg = self.expr(e.expr)
            if arg.kind == "const" or arg.type not in tuple(_INTS) + (_NUMERIC, _FLOAT8):
                raise _Give("minus")
            return Node("prefix", op="-", args=[arg], type=arg.type)
        if isinstance(e, A.IsTest) and e.what == "null":
            return Node("nulltest", op="IS NOT NULL" if e.negated else "IS NULL",
                        args=[self.expr(e.expr)], type=_BOOL)
        if isinstance(e, A.IsTest) and e.what in ("true", "false"):
            arg = self.expr(e.expr)
            if arg.type != _BOOL:
                raise _Give("boolean test")
            return Node("nulltest", op="IS %s%s" % ("NOT " if e.negated else "", e.what.upper()),
                        args=[arg], type=_BOOL)
        if isinstance(e, A.Func):
            return self.func(e)
        if isinstance(e, A.Between) and not isinstance(e.expr, A.Lit):
            ops = ("<", ">", "OR") if e.negated else (">=", "<=", "AND")
            return Node("bool", op=ops[2], type=_BOOL, args=[
                self.expr(A.Binary(ops[0], e.expr, e.low)),
                self.expr(A.Binary(ops[1], e.expr, e.high))])
        if isinstance(e, A.InList):
            left = self.expr(e.expr)
            if left.kind == "const" or left.type not in tuple(_INTS) + (_TEXT,):
                raise _Give("IN list")
            items = [self.operands("=", left, self.expr(i))[1] for i in e.items]
            return Node("saop", op="<> ALL" if e.negated else "= ANY", args=[left] + items,
                        type=_BOOL)
        raise _Give(type(e).__name__)

    def func(self, f: A.Func) -> Node:
        name = f.name[-1]
        if len(f.name) > 2 or f.distinct or f.order or f.filter or f.over or f.sql_syntax \
                or (len(f.name) == 2 and f.name[0] != "pg_catalog"):
            raise _Give("function")
        if f.star:
            if name != "count" or f.args:
                raise _Give("function")
            return Node("func", "count(*)", 20, name="count")
        args = [self.expr(a) for a in f.args]
        if name == "coalesce" and args:
            typed = [a.type for a in args if a.kind != "const"]
            if not typed or len(set(typed)) != 1:
                raise _Give("coalesce")
            args = [self.cast_const(a, typed[0]) if a.kind == "const" else a for a in args]
            typ, shown = typed[0], "COALESCE"
        elif name in ("upper", "lower", "length") and len(args) == 1:
            args = [self.to_text(args[0]) if args[0].kind != "const" else
                    self.cast_const(args[0], _TEXT)]
            typ, shown = _SIMPLE_FUNCS[name], name
        elif name in ("count", "min", "max", "sum", "avg") and len(args) == 1 \
                and args[0].kind != "const" and args[0].type not in (_VARCHAR, None):
            t = args[0].type
            typ = {"count": 20, "avg": _NUMERIC if t in _INTS or t == _NUMERIC else _FLOAT8,
                   "sum": {21: 20, 23: 20, 20: _NUMERIC}.get(t, t)}.get(name, t)
            shown = name
        else:
            raise _Give("function %s" % name)
        return Node("func", "", typ, op=shown, args=args, name=name)

    # -- queries -------------------------------------------------------------------------
    def select(self, sel: A.Select, q: Optional[A.Query], pretty: bool,
               names: Optional[List[str]] = None) -> Tuple[str, List[str]]:
        if sel.windows or not sel.from_:
            raise _Give("select")
        self.rels = []
        from_text = ",\n    ".join(self.from_item(f, pretty) for f in sel.from_)
        items: List[Tuple[Node, str]] = []
        for it in sel.items:
            if isinstance(it.expr, A.Star):
                rels = [r for r in self.rels if not it.expr.qualifier
                        or it.expr.qualifier[-1] == r.ref]
                if not rels:
                    raise _Give("star")
                for r in rels:
                    for c in r.columns:
                        items.append((self.column([r.ref, c[0]]), c[0]))
                continue
            node = self.expr(it.expr)
            if node.kind == "const" and node.type is None:
                node = self.cast_const(node, _TEXT)
            items.append((node, it.alias or node.name))
        if names is not None:
            if len(names) != len(items):
                raise _Give("union arity")
            items = [(n, names[i]) for i, (n, _) in enumerate(items)]
        shown = []
        for node, out in items:
            text = _show(node, pretty)
            if not (node.kind == "var" and node.name == out):
                text += " AS " + quote_ident(out)
            shown.append(text)
        parts = [" SELECT " + ("DISTINCT " if sel.distinct else "") + ",\n    ".join(shown),
                 "\n   FROM " + from_text]
        if sel.where is not None:
            parts.append("\n  WHERE " + self.boolean(sel.where, pretty))
        if sel.group_by:
            parts.append("\n  GROUP BY " + ", ".join(self.sort_key(g, items, pretty)
                                                      for g in sel.group_by))
        if sel.having is not None:
            parts.append("\n HAVING " + self.boolean(sel.having, pretty))
        if q is not None:
            parts.append(self.tail(q, items, pretty))
        return "".join(parts), [out for _, out in items]

    def boolean(self, e: A.Expr, pretty: bool) -> str:
        node = self.expr(e)
        if node.type != _BOOL:
            raise _Give("condition")
        return _show(node, pretty)

    def sort_key(self, e: A.Expr, items: List[Tuple[Node, str]], pretty: bool) -> str:
        """ORDER BY / GROUP BY entry: a position or output name means that
        item; anything but a plain column is printed in parentheses."""
        node = None
        if isinstance(e, A.Lit) and e.kind == "num" and str(e.value).isdigit():
            n = int(str(e.value))
            if not 0 < n <= len(items):
                raise _Give("position")
            node = items[n - 1][0]
        elif isinstance(e, A.Col) and len(e.parts) == 1:
            named = [n for n, out in items if out == e.parts[0]]
            if len(named) == 1:
                node = named[0]
        if node is None:
            node = self.expr(e)
        text = _show(node, pretty)
        return text if node.kind == "var" else "(" + text + ")"

    def tail(self, q: A.Query, items: List[Tuple[Node, str]], pretty: bool) -> str:
        out = ""
        if q.order:
            keys = []
            for o in q.order:
                key = self.sort_key(o.expr, items, pretty)
                if o.descending:
                    key += " DESC"
                if o.nulls is not None and o.nulls != ("first" if o.descending else "last"):
                    key += " NULLS " + o.nulls.upper()
                keys.append(key)
            out += "\n  ORDER BY " + ", ".join(keys)
        for word, value in (("OFFSET", q.offset), ("LIMIT", q.limit)):
            if value is not None:
                if not (isinstance(value, A.Lit) and value.kind == "num"
                        and str(value.value).isdigit()):
                    raise _Give(word)
                out += "\n %s %s" % (word, value.value)
        return out

    def query(self, q: A.Query, pretty: bool) -> str:
        if q.ctes:
            raise _Give("WITH")
        body = q.body
        if isinstance(body, A.Select):
            return self.select(body, q, pretty)[0]
        if isinstance(body, A.SetOp) and body.op == "union" and not q.order \
                and q.limit is None and q.offset is None \
                and isinstance(body.left, A.Select) and isinstance(body.right, A.Select):
            left, names = self.select(body.left, None, pretty)
            right, _ = self.select(body.right, None, pretty, names)
            return "%s\nUNION%s\n%s" % (left, " ALL" if body.all else "", right)
        raise _Give("query shape")


def deparse_view(sql: str, resolve: Callable[[Optional[str], str], Optional[Tuple[str, str, list]]],
                 types: Dict[int, Dict[str, Any]], pretty: bool = False) -> Optional[str]:
    """The view's definition as PostgreSQL 15 prints it, or None.

    ``resolve(schema, name)`` finds a relation the view reads: None when
    unknown, else (how FROM shows it, its name, [(column, type oid, typmod)]).
    """
    try:
        return _Deparser(resolve, types).query(parse_statement(sql), pretty) + ";"
    except (_Give, UnsupportedSql, ValueError):
        return None


def view_definition(ctx: Any, rel: Any, pretty: bool = False) -> Optional[str]:
    """A registered view's definition as pg_get_viewdef / pg_views print it
    for this session (relations off the search path are schema-qualified);
    the SQL as registered when it is beyond :func:`deparse_view`."""
    from .content_rows import all_types, relation_visible
    if rel.view_sql is None:
        return None
    path_rels = ctx.snap.relations()

    def resolve(schema: Optional[str], name: str) -> Optional[Tuple[str, str, list]]:
        if schema is None:
            visible = [r for r in ctx.snap.relations_named(name) if relation_visible(ctx, r)]
            found = visible[0] if visible else None
        else:
            found = next((r for r in path_rels if r.schema == schema and r.name == name), None)
        if found is None:
            return None
        shown = quote_ident(found.name) if relation_visible(ctx, found) else \
            "%s.%s" % (quote_ident(found.schema), quote_ident(found.name))
        return shown, found.name, [(c.name, c.type_oid, c.typmod)
                                   for c in ctx.snap.columns(found)]

    text = deparse_view(rel.view_sql, resolve, all_types(ctx), pretty)
    return rel.view_sql if text is None else text
