"""Result column names for the sqlglot path, and how it reads sqlglot's nodes.

PostgreSQL names an unaliased select item by ``FigureColnameInternal``'s
strengths (the built-in path's ``colnames``); :func:`figure_name` applies
them to sqlglot's nodes, which spell PostgreSQL's syntax differently (typed
function nodes, keywords read as columns).  The readers here (function
names, cast type names, constants) serve the typing module too.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from riffq._catalog import sqlast as A
from riffq._catalog.sqlemit import KEYWORD_FUNCTIONS
from riffq._catalog.sqlparse_expr import canonical_type

from sqlglot import exp

__all__ = ["figure_name", "type_name", "type_label", "folded", "keyword_value", "column_parts",
           "is_call", "function_name", "literal_of", "KEYWORD_NODES"]

# sqlglot nodes for PostgreSQL's SQL value keywords, by the keyword.
KEYWORD_NODES = {exp.CurrentUser: "current_user", exp.CurrentSchema: "current_schema",
                 exp.SessionUser: "session_user", exp.CurrentCatalog: "current_catalog",
                 exp.CurrentDate: "current_date", exp.CurrentTimestamp: "current_timestamp",
                 exp.CurrentTime: "current_time", exp.Localtime: "localtime",
                 exp.Localtimestamp: "localtimestamp"}

# sqlglot Func subclasses that are not function calls in PostgreSQL's syntax.
_NOT_CALLS = (exp.Case, exp.If, exp.Cast, exp.Exists, exp.Array, exp.Binary, exp.Unary,
              exp.Connector, exp.Collate)

# Typed sqlglot nodes whose PostgreSQL spelling is not their generated head.
_CALL_NAMES = {exp.StrPosition: "position", exp.Substring: "substring",
               exp.CurrentVersion: "version", exp.GroupConcat: "string_agg",
               exp.ArrayAgg: "array_agg", exp.Extract: "extract",
               exp.Explode: "unnest", exp.Unnest: "unnest",
               exp.ExplodingGenerateSeries: "generate_series",
               exp.GenerateSeries: "generate_series", exp.ArrayToString: "array_to_string",
               exp.Left: "left", exp.Right: "right", exp.Count: "count", exp.Min: "min",
               exp.Max: "max", exp.Sum: "sum", exp.Avg: "avg", exp.Coalesce: "coalesce",
               exp.Nullif: "nullif", exp.Upper: "upper", exp.Lower: "lower",
               exp.Length: "length", exp.RowNumber: "row_number"}

def folded(ident: "exp.Expression") -> str:
    """An identifier as PostgreSQL names it: unquoted ones fold to lower case."""
    if isinstance(ident, exp.Identifier) and not ident.quoted:
        return ident.name.lower()
    return ident.name


def column_parts(col: "exp.Column") -> List[str]:
    """[schema,] [relation,] column, case-folded as PostgreSQL does."""
    return [folded(p) for p in col.parts]


def type_name(dt: "exp.Expression") -> str:
    """The canonical PostgreSQL type name of a cast target ('int4', 'regtype[]')."""
    text = dt.sql(dialect="postgres").lower()
    if "(" in text:
        head, _, rest = text.partition("(")
        text = head + rest.partition(")")[2]
    quoted = '"char"' in text
    text = text.strip().replace('"', "")
    return canonical_type(text, quoted=quoted)


def type_label(dt: "exp.Expression") -> str:
    """The name PostgreSQL gives a column holding a cast to *dt* when nothing better names it."""
    return type_name(dt).replace("[]", "")


def keyword_value(e: "exp.Expression") -> Optional[str]:
    """The SQL value keyword (``user``, ``current_role``...) sqlglot read as a column."""
    if isinstance(e, exp.Column) and not e.table and isinstance(e.this, exp.Identifier) \
            and not e.this.quoted and e.name.lower() in KEYWORD_FUNCTIONS:
        return e.name.lower()
    return None


def is_call(e: "exp.Expression") -> bool:
    """True when *e* is a function call as PostgreSQL's grammar sees one."""
    if isinstance(e, exp.Dot) and isinstance(e.expression, exp.Func):
        return True
    if isinstance(e, (exp.Window, exp.Filter)):
        return is_call(e.this)
    if keyword_value(e) is not None:
        return True
    return isinstance(e, exp.Func) and not isinstance(e, _NOT_CALLS)


def function_name(e: "exp.Expression") -> str:
    """The PostgreSQL name of a call (schema qualification dropped)."""
    if isinstance(e, exp.Dot):
        return function_name(e.expression)
    if isinstance(e, (exp.Window, exp.Filter)):
        return function_name(e.this)
    keyword = keyword_value(e)
    if keyword is not None:
        return keyword
    if isinstance(e, exp.Anonymous):
        return e.name.lower()
    if type(e) in KEYWORD_NODES:
        return KEYWORD_NODES[type(e)]
    if isinstance(e, exp.Trim):  # PostgreSQL names the column after the function it calls
        side = (e.args.get("position") or "BOTH").upper()
        return {"LEADING": "ltrim", "TRAILING": "rtrim"}.get(side, "btrim")
    for cls in type(e).__mro__:
        if cls in _CALL_NAMES:
            return _CALL_NAMES[cls]
    return e.sql(dialect="postgres").split("(", 1)[0].strip().lower()


def literal_of(e: "exp.Expression") -> Optional[A.Lit]:
    """The built-in path's literal node for a sqlglot constant (None: not a constant)."""
    if isinstance(e, exp.Literal):
        return A.Lit("str" if e.is_string else "num", e.this)
    if isinstance(e, (exp.ByteString, exp.RawString, exp.UnicodeString, exp.National)):
        return A.Lit("str", e.this)
    if isinstance(e, exp.Boolean):
        return A.Lit("bool", bool(e.this))
    if isinstance(e, exp.Null):
        return A.Lit("null", None)
    if isinstance(e, exp.Neg) and isinstance(e.this, exp.Literal) and not e.this.is_string:
        return A.Lit("num", "-" + e.this.this)
    return None


def _unwrap(e: "exp.Expression") -> "exp.Expression":
    while isinstance(e, exp.Paren):
        e = e.this
    return e


def figure_name(e: "exp.Expression") -> Tuple[str, int]:
    """(name, strength) as PostgreSQL names an unaliased select item."""
    e = _unwrap(e)
    if isinstance(e, exp.Column) and keyword_value(e) is None:
        return folded(e.this), 2
    if isinstance(e, exp.Dot):
        if isinstance(e.expression, exp.Func):
            return function_name(e.expression), 2
        return folded(e.expression), 2
    if isinstance(e, exp.Bracket):
        return figure_name(e.this)
    if isinstance(e, exp.Cast):
        name, strength = figure_name(e.this)
        if strength <= 1:
            return type_label(e.to), 1
        return name, strength
    if isinstance(e, exp.Case):
        default = e.args.get("default")
        if default is not None:
            name, strength = figure_name(default)
            if strength > 1:
                return name, strength
        return "case", 1
    if isinstance(e, exp.Exists):
        return "exists", 2
    if isinstance(e, exp.Array):
        return "array", 2
    if isinstance(e, exp.Subquery):
        select = e.this
        while isinstance(select, exp.SetOperation):
            select = select.this
        if isinstance(select, exp.Select) and select.expressions:
            first = select.expressions[0]
            if isinstance(first, exp.Alias):
                return folded(first.args["alias"]), 2
            if not isinstance(first, exp.Star):
                name, strength = figure_name(first)
                if strength > 0:
                    return name, 2
        return "?column?", 0
    if is_call(e):
        return function_name(e), 2
    return "?column?", 0
