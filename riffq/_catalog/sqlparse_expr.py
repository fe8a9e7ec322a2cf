"""Expression half of the catalog SQL parser (operators, calls, types, literals).

Expressions follow PostgreSQL's operator precedence (lowest first): OR, AND,
NOT, IS, comparison, BETWEEN/IN/LIKE/ILIKE/SIMILAR, any other operator
(including ``OPERATOR(schema.op)`` and ``||``), ``+ -``, ``* / %``, ``^``,
COLLATE, unary minus, then subscripts and ``::`` casts.  Getting precedence
right matters because the emitter rewrites operators into function calls
(``a ~ b`` becomes ``pg_regex(a, b, 0)``): a misparse would silently change
the meaning, so anything not recognised raises ``UnsupportedSql`` instead.
The statement half (``sqlparse``) extends :class:`ExprParser` with queries.
"""
from __future__ import annotations

from typing import List, Optional

from riffq._catalog import sqlast as A
from riffq._catalog.sqllex import SqlLexError, Token, tokenize
from riffq._catalog.translate_types import UnsupportedSql, unsupported

__all__ = ["ExprParser", "canonical_type", "RESERVED"]

# Keywords that can never be a column alias written without AS, nor a table alias.
_RESERVED = frozenset("""
all analyse analyze and any array as asc asymmetric both case cast check collate column
constraint create current_catalog current_date current_role current_time current_timestamp
current_user default deferrable desc distinct do else end except false fetch for foreign from
grant group having in initially intersect into lateral leading limit localtime localtimestamp
not null offset on only or order placing primary references returning select session_user
some symmetric table then to trailing true union unique user using variadic when where window
with join inner left right full cross natural outer is isnull notnull like ilike similar
between over filter escape at
""".split())

_COMPARISON = frozenset(["=", "<>", "!=", "<", ">", "<=", ">="])
_REGEX_OPS = {"~": ("regex", False, False), "~*": ("regex", True, False),
              "!~": ("regex", False, True), "!~*": ("regex", True, True),
              "~~": ("like", False, False), "~~*": ("ilike", False, False),
              "!~~": ("like", True, False), "!~~*": ("ilike", True, False)}
_KEYWORD_VALUES = frozenset(["current_user", "session_user", "current_role", "user",
                             "current_catalog", "current_schema", "current_date",
                             "current_timestamp", "localtimestamp", "current_time",
                             "localtime"])

_TYPE_ALIASES = {
    "int": "int4", "integer": "int4", "smallint": "int2", "bigint": "int8",
    "boolean": "bool", "real": "float4", "float": "float8", "double precision": "float8",
    "decimal": "numeric", "dec": "numeric", "character varying": "varchar",
    "char varying": "varchar", "character": "bpchar", "char": "bpchar",
    "timestamp without time zone": "timestamp", "timestamp with time zone": "timestamptz",
    "time without time zone": "time", "time with time zone": "timetz",
    "bit varying": "varbit", "national character": "bpchar",
    "national character varying": "varchar", "nchar": "bpchar",
}


def canonical_type(name: str, quoted: bool = False) -> str:
    """PostgreSQL's internal name for a type as written (no typmod, no schema)."""
    array = ""
    while name.endswith("[]"):
        name, array = name[:-2], array + "[]"
    if "." in name and not quoted:
        name = name.rsplit(".", 1)[1]
    if quoted:
        base = name  # "char" stays char, "int" would be a user type
    else:
        base = _TYPE_ALIASES.get(name, name)
    if base.startswith("_") and not array and len(base) > 1:
        base, array = base[1:], "[]"
    return base + ("[]" if array else "")


class ExprParser:
    """A cursor over one statement's tokens, parsing expressions."""

    def __init__(self, sql: str) -> None:
        try:
            self.toks: List[Token] = tokenize(sql)
        except SqlLexError as exc:
            raise UnsupportedSql("42601", str(exc)) from None
        self.i = 0

    # ---- token helpers --------------------------------------------------
    def peek(self, k: int = 0) -> Token:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else self.toks[-1]

    def next(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def at_word(self, *words: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok[0] == "word" and tok[1] in words

    def at(self, kind: str, value: object, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok[0] == kind and tok[1] == value

    def accept_word(self, *words: str) -> Optional[str]:
        if self.at_word(*words):
            return self.next()[1]  # type: ignore[return-value]
        return None

    def accept(self, kind: str, value: object) -> bool:
        if self.at(kind, value):
            self.i += 1
            return True
        return False

    def expect_word(self, word: str) -> None:
        if not self.accept_word(word):
            self.error()

    def expect(self, kind: str, value: object) -> None:
        if not self.accept(kind, value):
            self.error()

    def error(self) -> "UnsupportedSql":
        tok = self.peek()
        near = "end of input" if tok[0] == "eof" else 'at or near "%s"' % tok[2]
        raise UnsupportedSql("42601", "syntax error %s (catalog emulation)" % near)

    def ident(self) -> str:
        tok = self.peek()
        if tok[0] == "qword" or (tok[0] == "word" and tok[1] not in _RESERVED):
            self.i += 1
            return tok[1]  # type: ignore[return-value]
        self.error()
        raise AssertionError

    def any_name(self) -> str:
        """An identifier where keywords are allowed too (after a dot)."""
        tok = self.peek()
        if tok[0] in ("word", "qword"):
            self.i += 1
            return tok[1]  # type: ignore[return-value]
        self.error()
        raise AssertionError

    def query(self) -> A.Query:
        """A (sub)query: provided by the statement parser."""
        raise NotImplementedError

    # ---- ordering / lists -----------------------------------------------
    def order_list(self) -> List[A.OrderItem]:
        out = []
        while True:
            e = self.expr()
            desc = False
            if self.accept_word("desc"):
                desc = True
            elif not self.accept_word("asc") and self.at_word("using"):
                raise unsupported("ORDER BY ... USING")
            nulls = None
            if self.accept_word("nulls"):
                nulls = self.accept_word("first", "last")
                if nulls is None:
                    self.error()
            out.append(A.OrderItem(e, desc, nulls))
            if not self.accept("punct", ","):
                return out

    def expr_list(self) -> List[A.Expr]:
        out = [self.expr()]
        while self.accept("punct", ","):
            out.append(self.expr())
        return out

    def window_spec(self) -> A.WindowSpec:
        self.expect("punct", "(")
        spec = A.WindowSpec([], [])
        tok = self.peek()
        if tok[0] in ("word", "qword") and not self.at_word("partition", "order", "rows",
                                                             "range", "groups"):
            spec.name = self.ident()
        if self.accept_word("partition"):
            self.expect_word("by")
            spec.partition = self.expr_list()
        if self.accept_word("order"):
            self.expect_word("by")
            spec.order = self.order_list()
        if self.at_word("rows", "range", "groups"):
            spec.frame = self.frame()
        self.expect("punct", ")")
        return spec

    def frame(self) -> str:
        """ROWS/RANGE frames with UNBOUNDED / CURRENT ROW / ROWS n bounds."""
        unit = self.next()[1]
        words = [str(unit)]
        between = bool(self.accept_word("between"))
        if between:
            words.append("between")
        for n in range(2 if between else 1):
            if n:
                self.expect_word("and")
                words.append("and")
            if self.accept_word("unbounded"):
                words.append("unbounded")
            elif self.accept_word("current"):
                words.append("current")
                self.expect_word("row")
                words.append("row")
                continue
            else:
                tok = self.next()
                if tok[0] != "num" or unit != "rows":
                    raise unsupported("window frames with %s offsets" % str(unit).upper())
                words.append(str(tok[1]))
            w = self.accept_word("preceding", "following")
            if w is None:
                self.error()
            words.append(str(w))
        if self.at_word("exclude"):
            raise unsupported("window frame EXCLUDE")
        return " ".join(words)

    # ---- expressions ----------------------------------------------------
    def expr(self) -> A.Expr:
        left = self.and_expr()
        while self.accept_word("or"):
            left = A.Binary("or", left, self.and_expr())
        return left

    def and_expr(self) -> A.Expr:
        left = self.not_expr()
        while self.accept_word("and"):
            left = A.Binary("and", left, self.not_expr())
        return left

    def not_expr(self) -> A.Expr:
        if self.accept_word("not"):
            return A.Unary("not", self.not_expr())
        return self.is_expr()

    def is_expr(self) -> A.Expr:
        left = self.cmp_expr()
        while True:
            if self.accept_word("isnull"):
                left = A.IsTest(left, "null", False)
            elif self.accept_word("notnull"):
                left = A.IsTest(left, "null", True)
            elif self.accept_word("is"):
                neg = bool(self.accept_word("not"))
                if self.accept_word("distinct"):
                    self.expect_word("from")
                    left = A.Distinct(left, self.cmp_expr(), neg)
                else:
                    what = self.accept_word("null", "true", "false", "unknown")
                    if what is None:
                        if self.at_word("document", "normalized", "of", "json"):
                            raise unsupported("IS %s" % str(self.peek()[1]).upper())
                        self.error()
                    left = A.IsTest(left, str(what), neg)
            else:
                return left

    def cmp_expr(self) -> A.Expr:
        left = self.pred_expr()
        tok = self.peek()
        if tok[0] == "op" and tok[1] in _COMPARISON:
            self.i += 1
            op = "<>" if tok[1] == "!=" else str(tok[1])
            return self.rhs(left, op, self.pred_expr)
        return left

    def rhs(self, left: A.Expr, op: str, operand) -> A.Expr:
        """Right side of a binary operator, which may be ANY/ALL (...)."""
        if self.at_word("any", "some", "all") and self.at("punct", "(", 1):
            quant = "all" if self.next()[1] == "all" else "any"
            self.expect("punct", "(")
            if self.at_word("select", "values", "with"):
                q = self.query()
                self.expect("punct", ")")
                return A.Quantified(left, op, quant, query=q)
            arr = self.expr()
            self.expect("punct", ")")
            return A.Quantified(left, op, quant, array=arr)
        return A.Binary(op, left, operand())

    def pred_expr(self) -> A.Expr:
        left = self.other_expr()
        while True:
            neg = False
            if self.at_word("not") and self.at_word("in", "like", "ilike", "similar", "between",
                                                     k=1):
                self.i += 1
                neg = True
            if self.accept_word("in"):
                self.expect("punct", "(")
                if self.at_word("select", "values", "with"):
                    q = self.query()
                    self.expect("punct", ")")
                    left = A.InQuery(left, q, neg)
                else:
                    items = self.expr_list()
                    self.expect("punct", ")")
                    left = A.InList(left, items, neg)
            elif self.at_word("like", "ilike"):
                kind = str(self.next()[1])
                left = self.like_tail(left, kind, neg)
            elif self.accept_word("similar"):
                self.expect_word("to")
                left = self.like_tail(left, "similar", neg)
            elif self.accept_word("between"):
                if self.accept_word("symmetric"):
                    raise unsupported("BETWEEN SYMMETRIC")
                self.accept_word("asymmetric")
                low = self.other_expr()
                self.expect_word("and")
                left = A.Between(left, low, self.other_expr(), neg)
            else:
                return left

    def like_tail(self, left: A.Expr, kind: str, neg: bool) -> A.Expr:
        if self.at_word("any", "some", "all") and self.at("punct", "(", 1):
            if neg:
                raise unsupported("NOT %s ANY/ALL" % kind.upper())
            return self.rhs(left, kind, self.other_expr)
        pattern = self.other_expr()
        escape = self.other_expr() if self.accept_word("escape") else None
        return A.Like(left, pattern, kind, neg, escape)

    def other_expr(self) -> A.Expr:
        left = self.add_expr()
        while True:
            tok = self.peek()
            if tok[0] == "op" and tok[1] not in _COMPARISON and tok[1] not in (
                    "+", "-", "*", "/", "%", "^", "::"):
                self.i += 1
                op = str(tok[1])
            elif self.at_word("operator") and self.at("punct", "(", 1):
                self.i += 2
                if self.peek()[0] in ("word", "qword"):
                    schema = self.any_name()
                    if schema != "pg_catalog":
                        raise unsupported("OPERATOR(%s....)" % schema)
                    self.expect("punct", ".")
                tok = self.next()
                if tok[0] != "op":
                    self.error()
                self.expect("punct", ")")
                op = "<>" if tok[1] == "!=" else str(tok[1])
            else:
                return left
            left = self.rhs(left, op, self.add_expr)

    def add_expr(self) -> A.Expr:
        left = self.mul_expr()
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            op = str(self.next()[1])
            left = A.Binary(op, left, self.mul_expr())
        return left

    def mul_expr(self) -> A.Expr:
        left = self.exp_expr()
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "/", "%"):
            op = str(self.next()[1])
            left = A.Binary(op, left, self.exp_expr())
        return left

    def exp_expr(self) -> A.Expr:
        left = self.collate_expr()
        while self.accept("op", "^"):
            raise unsupported("the ^ operator")
        return left

    def collate_expr(self) -> A.Expr:
        e = self.unary_expr()
        while True:
            if self.accept_word("collate"):
                self.qualified_name()  # COLLATE is dropped: catalog text compares bytewise
            elif self.at_word("at") and self.at_word("time", k=1):
                raise unsupported("AT TIME ZONE")
            else:
                return e

    def unary_expr(self) -> A.Expr:
        tok = self.peek()
        if tok[0] == "op" and tok[1] in ("-", "+"):
            self.i += 1
            inner = self.unary_expr()
            if tok[1] == "+":
                return inner
            if isinstance(inner, A.Lit) and inner.kind == "num":
                return A.Lit("num", "-" + str(inner.value))
            return A.Unary("-", inner)
        if tok[0] == "op":
            raise unsupported("prefix operator %s" % tok[1])
        return self.postfix(self.primary())

    def postfix(self, e: A.Expr) -> A.Expr:
        while True:
            if self.accept("op", "::"):
                e = A.Cast(e, self.type_name())
            elif self.accept("punct", "["):
                index = self.expr()
                if self.at("punct", ":"):
                    raise unsupported("array slices")
                self.expect("punct", "]")
                e = A.Subscript(e, index)
            elif self.at("punct", ".") and isinstance(e, A.Subscript):
                raise unsupported("field selection from an array element")
            else:
                return e

    def type_name(self) -> A.TypeName:
        tok = self.peek()
        quoted = tok[0] == "qword"
        if tok[0] not in ("word", "qword"):
            self.error()
        self.i += 1
        name = str(tok[1])
        if self.accept("punct", "."):
            nxt = self.peek()
            if nxt[0] not in ("word", "qword"):
                self.error()
            self.i += 1
            quoted = nxt[0] == "qword"
            name = str(nxt[1])
        if not quoted:
            name = self.multiword_type(name)
        if self.accept("punct", "("):
            while not self.accept("punct", ")"):
                if self.next()[0] == "eof":
                    self.error()
            if name in ("timestamp", "time") and self.at_word("with", "without"):
                name = self.multiword_type(name)
        array = ""
        while True:
            if self.accept("punct", "["):
                if self.peek()[0] == "num":
                    self.i += 1
                self.expect("punct", "]")
                array = "[]"
            elif self.accept_word("array"):
                array = "[]"
            else:
                break
        canonical = canonical_type(name + array, quoted)
        label = name if (quoted or name.startswith("_")) else canonical_type(name)
        return A.TypeName(canonical, label)

    def multiword_type(self, name: str) -> str:
        if name == "double" and self.accept_word("precision"):
            return "double precision"
        if name in ("character", "char", "national", "bit"):
            if name == "national":
                self.accept_word("character", "char")
                name = "national character"
            if self.accept_word("varying"):
                return name + " varying"
            return name
        if name in ("timestamp", "time") and self.at_word("with", "without"):
            w = self.next()[1]
            self.expect_word("time")
            self.expect_word("zone")
            return "%s %s time zone" % (name, w)
        if name == "interval" and self.at_word("year", "month", "day", "hour", "minute", "second"):
            raise unsupported("INTERVAL field qualifiers")
        return name

    # ---- primaries ------------------------------------------------------
    def primary(self) -> A.Expr:
        tok = self.peek()
        kind, value = tok[0], tok[1]
        if kind == "num":
            self.i += 1
            return A.Lit("num", value)
        if kind == "str":
            self.i += 1
            return A.Lit("str", value)
        if kind == "param":
            self.i += 1
            return A.Param(int(value))  # type: ignore[arg-type]
        if kind == "punct" and value == "(":
            self.i += 1
            if self.at_word("select", "values", "with"):
                q = self.query()
                self.expect("punct", ")")
                return A.SubqueryExpr(q, "scalar")
            e = self.expr()
            if self.at("punct", ","):
                raise unsupported("row constructors")
            self.expect("punct", ")")
            while self.accept("punct", "."):
                if self.accept("op", "*"):
                    raise unsupported("(composite).*")
                e = A.FieldSelect(e, self.any_name())
            return e
        if kind == "qword":
            return self.name_or_call()
        if kind != "word":
            self.error()
        return self.word_primary(str(value))

    def word_primary(self, word: str) -> A.Expr:
        if word in ("true", "false"):
            self.i += 1
            return A.Lit("bool", word == "true")
        if word == "null":
            self.i += 1
            return A.Lit("null", None)
        if word == "case":
            self.i += 1
            return self.case_expr()
        if word == "cast" and self.at("punct", "(", 1):
            self.i += 2
            e = self.expr()
            self.expect_word("as")
            t = self.type_name()
            self.expect("punct", ")")
            return A.Cast(e, t)
        if word == "exists" and self.at("punct", "(", 1):
            self.i += 2
            q = self.query()
            self.expect("punct", ")")
            return A.SubqueryExpr(q, "exists")
        if word == "array":
            self.i += 1
            if self.accept("punct", "["):
                items = [] if self.at("punct", "]") else self.array_items()
                self.expect("punct", "]")
                return A.ArrayLit(items)
            self.expect("punct", "(")
            q = self.query()
            self.expect("punct", ")")
            return A.SubqueryExpr(q, "array")
        if word in ("row", "interval") and self.at("punct", "(", 1) and word == "row":
            raise unsupported("ROW constructors")
        if word in _KEYWORD_VALUES and not (word == "current_schema" and self.at("punct", "(", 1)):
            self.i += 1
            if self.at("punct", "("):
                raise unsupported("%s with a precision" % word)
            return A.Func([word], [], sql_syntax="keyword")
        if word in ("extract", "position", "substring", "trim", "overlay") and \
                self.at("punct", "(", 1):
            return self.special_call(word)
        if word in ("grouping",) and self.at("punct", "(", 1):
            raise unsupported("GROUPING()")
        if self.peek(1)[0] == "str" or (word in ("double", "timestamp", "time", "character")
                                        and self.is_typed_literal()):
            start = self.i
            t = self.type_name()
            if self.peek()[0] == "str":
                return A.Cast(A.Lit("str", self.next()[1]), t)
            self.i = start
        if word in ("left", "right") and self.at("punct", "(", 1):
            return self.name_or_call()  # type_func_name keywords: callable as functions
        if word in _RESERVED:
            self.error()
        return self.name_or_call()

    def is_typed_literal(self) -> bool:
        start = self.i
        try:
            self.type_name()
            return self.peek()[0] == "str"
        except UnsupportedSql:
            return False
        finally:
            self.i = start

    def array_items(self) -> List[A.Expr]:
        items = []
        while True:
            if self.at("punct", "["):
                raise unsupported("multidimensional ARRAY[...]")
            items.append(self.expr())
            if not self.accept("punct", ","):
                return items

    def case_expr(self) -> A.Expr:
        operand = None if self.at_word("when") else self.expr()
        whens = []
        while self.accept_word("when"):
            cond = self.expr()
            self.expect_word("then")
            whens.append((cond, self.expr()))
        if not whens:
            self.error()
        default = self.expr() if self.accept_word("else") else None
        self.expect_word("end")
        return A.Case(operand, whens, default)

    def special_call(self, word: str) -> A.Expr:
        """SQL-standard call syntax: EXTRACT(f FROM x), POSITION(a IN b), ..."""
        self.i += 2
        if word == "extract":
            tok = self.next()
            if tok[0] not in ("word", "str", "qword"):
                self.error()
            self.expect_word("from")
            e = self.expr()
            self.expect("punct", ")")
            return A.Func(["extract"], [A.Lit("str", str(tok[1]).lower()), e], sql_syntax="extract")
        if word == "position":
            a = self.other_expr()
            self.expect_word("in")
            b = self.other_expr()
            self.expect("punct", ")")
            return A.Func(["position"], [a, b], sql_syntax="position")
        if word == "overlay":
            raise unsupported("OVERLAY")
        if word == "trim":
            side = self.accept_word("both", "leading", "trailing") or "both"
            chars: Optional[A.Expr] = None
            if not self.accept_word("from"):
                first = self.expr()
                if self.accept_word("from"):
                    chars = first
                    args = self.expr_list()
                else:
                    args = [first] + (self.expr_list() if self.accept("punct", ",") else [])
            else:
                args = self.expr_list()
            self.expect("punct", ")")
            if chars is not None:
                args = args[:1] + [chars]
            name = {"both": "btrim", "leading": "ltrim", "trailing": "rtrim"}[side]
            return A.Func([name], args, sql_syntax="trim")
        # substring
        e = self.expr()
        if self.accept("punct", ","):
            args = [e] + self.expr_list()
        else:
            args = [e]
            if self.accept_word("from"):
                args.append(self.expr())
            else:
                args.append(A.Lit("num", "1"))
            if self.accept_word("for"):
                args.append(self.expr())
            elif self.at_word("similar"):
                raise unsupported("SUBSTRING ... SIMILAR")
        self.expect("punct", ")")
        return A.Func(["substring"], args, sql_syntax="substring")

    def name_or_call(self) -> A.Expr:
        parts = [self.any_name()]
        while self.at("punct", "."):
            self.i += 1
            if self.accept("op", "*"):
                return A.Star(parts)
            parts.append(self.any_name())
        if not self.at("punct", "("):
            if len(parts) > 4:
                self.error()
            return A.Col(parts)
        self.i += 1
        func = A.Func(parts, [])
        if self.accept("op", "*"):
            func.star = True
        elif not self.at("punct", ")"):
            if self.accept_word("distinct"):
                func.distinct = True
            else:
                self.accept_word("all")
            if self.at_word("variadic"):
                raise unsupported("VARIADIC arguments")
            func.args = self.call_args()
            if self.accept_word("order"):
                self.expect_word("by")
                func.order = self.order_list()
        self.expect("punct", ")")
        if self.at_word("within") and self.at_word("group", k=1):
            raise unsupported("WITHIN GROUP aggregates")
        if self.accept_word("filter"):
            self.expect("punct", "(")
            self.expect_word("where")
            func.filter = self.expr()
            self.expect("punct", ")")
        if self.accept_word("over"):
            if self.peek()[0] in ("word", "qword"):
                func.over = A.WindowSpec([], [], name=self.ident())
            else:
                func.over = self.window_spec()
        return func

    def call_args(self) -> List[A.Expr]:
        args = []
        while True:
            if self.peek(1)[0] == "op" and self.peek(1)[1] in ("=>", ":="):
                raise unsupported("named function arguments")
            args.append(self.expr())
            if not self.accept("punct", ","):
                return args


RESERVED = _RESERVED
