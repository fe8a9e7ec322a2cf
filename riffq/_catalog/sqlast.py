"""The small SQL syntax tree the catalog translator parses PostgreSQL into.

Only the shapes catalog queries use are modelled; the parser raises
``UnsupportedSql`` for the rest, so the emitter never has to guess.  Names
are stored already case-folded (unquoted) or verbatim (quoted).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union


class Expr:
    """Base of expression nodes."""


@dataclass
class Lit(Expr):
    kind: str            # 'str' | 'num' | 'null' | 'bool'
    value: object


@dataclass
class Param(Expr):
    number: int


@dataclass
class Col(Expr):
    parts: List[str]     # [col] | [rel, col] | [schema, rel, col]


@dataclass
class Star(Expr):
    qualifier: List[str] = field(default_factory=list)


@dataclass
class TypeName:
    canonical: str       # 'int4', 'regclass', 'text[]'
    label: str           # name PostgreSQL gives a column holding a cast to it


@dataclass
class Cast(Expr):
    expr: Expr
    type: TypeName


@dataclass
class WindowSpec:
    partition: List[Expr]
    order: List["OrderItem"]
    name: Optional[str] = None
    frame: Optional[str] = None


@dataclass
class Func(Expr):
    name: List[str]
    args: List[Expr]
    star: bool = False
    distinct: bool = False
    order: List["OrderItem"] = field(default_factory=list)
    filter: Optional[Expr] = None
    over: Optional[WindowSpec] = None
    sql_syntax: Optional[str] = None   # 'substring'/'position'/'trim'/'extract'/'overlay'/'keyword'


@dataclass
class Unary(Expr):
    op: str              # '-', '+', 'not'
    expr: Expr


@dataclass
class Binary(Expr):
    op: str              # normalised: 'and', 'or', '=', '<>', '~', '||', ...
    left: Expr
    right: Expr


@dataclass
class IsTest(Expr):
    expr: Expr
    what: str            # 'null' | 'true' | 'false' | 'unknown'
    negated: bool


@dataclass
class Distinct(Expr):
    left: Expr
    right: Expr
    negated: bool        # IS NOT DISTINCT FROM


@dataclass
class Between(Expr):
    expr: Expr
    low: Expr
    high: Expr
    negated: bool


@dataclass
class InList(Expr):
    expr: Expr
    items: List[Expr]
    negated: bool


@dataclass
class InQuery(Expr):
    expr: Expr
    query: "Query"
    negated: bool


@dataclass
class Like(Expr):
    expr: Expr
    pattern: Expr
    kind: str            # 'like' | 'ilike' | 'similar'
    negated: bool
    escape: Optional[Expr] = None


@dataclass
class Quantified(Expr):
    left: Expr
    op: str
    quantifier: str      # 'any' | 'all'
    array: Optional[Expr] = None
    query: Optional["Query"] = None


@dataclass
class Case(Expr):
    operand: Optional[Expr]
    whens: List[Tuple[Expr, Expr]]
    default: Optional[Expr]


@dataclass
class SubqueryExpr(Expr):
    query: "Query"
    kind: str            # 'scalar' | 'exists' | 'array'


@dataclass
class ArrayLit(Expr):
    items: List[Expr]


@dataclass
class Subscript(Expr):
    expr: Expr
    index: Expr


@dataclass
class FieldSelect(Expr):
    expr: Expr           # (expr).field on a composite value
    field: str


@dataclass
class OrderItem:
    expr: Expr
    descending: bool = False
    nulls: Optional[str] = None   # 'first' | 'last' | None (PostgreSQL default)


# ---- FROM items ----------------------------------------------------------

@dataclass
class TableRef:
    schema: Optional[str]
    name: str
    alias: Optional[str] = None
    column_aliases: List[str] = field(default_factory=list)


@dataclass
class SubqueryRef:
    query: "Query"
    alias: Optional[str]
    column_aliases: List[str] = field(default_factory=list)


@dataclass
class FunctionRef:
    func: Func
    alias: Optional[str]
    column_aliases: List[str] = field(default_factory=list)
    ordinality: bool = False


@dataclass
class Join:
    left: "FromItem"
    right: "FromItem"
    kind: str            # 'inner' | 'left' | 'cross' | 'comma'
    on: Optional[Expr] = None
    using: List[str] = field(default_factory=list)


FromItem = Union[TableRef, SubqueryRef, FunctionRef, Join]


# ---- queries -------------------------------------------------------------

@dataclass
class SelectItem:
    expr: Expr
    alias: Optional[str] = None


@dataclass
class Select:
    items: List[SelectItem]
    from_: List[FromItem] = field(default_factory=list)
    where: Optional[Expr] = None
    group_by: List[Expr] = field(default_factory=list)
    having: Optional[Expr] = None
    distinct: bool = False
    windows: List[Tuple[str, WindowSpec]] = field(default_factory=list)


@dataclass
class Values:
    rows: List[List[Expr]]


@dataclass
class SetOp:
    op: str              # 'union' | 'intersect' | 'except'
    all: bool
    left: "Body"
    right: "Body"


Body = Union[Select, Values, SetOp, "Query"]


@dataclass
class Cte:
    name: str
    columns: List[str]
    query: "Query"


@dataclass
class Query:
    body: Body
    ctes: List[Cte] = field(default_factory=list)
    recursive: bool = False
    order: List[OrderItem] = field(default_factory=list)
    limit: Optional[Expr] = None      # None: no limit
    offset: Optional[Expr] = None
