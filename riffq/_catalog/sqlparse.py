"""Recursive-descent parser for the PostgreSQL SELECT dialect catalog tools send.

This half reads statements: WITH, set operations, SELECT lists, FROM items
and joins, ORDER BY / LIMIT; expressions are ``sqlparse_expr``'s.  Anything
not recognised raises ``UnsupportedSql`` rather than being guessed at.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from riffq._catalog import sqlast as A
from riffq._catalog.sqlparse_expr import RESERVED as _RESERVED
from riffq._catalog.sqlparse_expr import ExprParser, canonical_type
from riffq._catalog.translate_types import UnsupportedSql, unsupported

__all__ = ["parse_statement", "canonical_type"]


#: Words that begin a query in parentheses.
_QUERY_START = ("select", "values", "with", "table")
#: Words after a parenthesized group that make it part of a query.
_QUERY_TAIL = frozenset(("union", "intersect", "except", "order", "limit", "offset", "fetch", "for"))


class Parser(ExprParser):
    """One statement's tokens and a cursor over them."""

    #: ``(`` index -> matching ``)`` index, made by ``matching_paren``
    _pairs: Optional[Dict[int, int]] = None

    # ---- statements -----------------------------------------------------
    def statement(self) -> A.Query:
        q = self.query()
        while self.accept("punct", ";"):
            pass
        if self.peek()[0] != "eof":
            self.error()
        return q

    def query(self) -> A.Query:
        ctes: List[A.Cte] = []
        recursive = False
        if self.accept_word("with"):
            recursive = bool(self.accept_word("recursive"))
            while True:
                name = self.ident()
                cols = self.paren_names() if self.at("punct", "(") else []
                self.expect_word("as")
                if self.accept_word("not"):
                    self.expect_word("materialized")
                else:
                    self.accept_word("materialized")
                self.expect("punct", "(")
                sub = self.query()
                self.expect("punct", ")")
                ctes.append(A.Cte(name, cols, sub))
                if not self.accept("punct", ","):
                    break
            if self.at_word("search", "cycle"):
                raise unsupported("WITH ... SEARCH/CYCLE")
        body = self.set_expr()
        q = A.Query(body, ctes, recursive)
        self.query_tail(q)
        return q

    def query_tail(self, q: A.Query) -> None:
        if self.accept_word("order"):
            self.expect_word("by")
            q.order = self.order_list()
        while True:
            if self.accept_word("limit"):
                q.limit = None if self.accept_word("all") else self.expr()
            elif self.accept_word("offset"):
                q.offset = self.expr()
                self.accept_word("rows", "row")
            elif self.accept_word("fetch"):
                if not self.accept_word("first", "next"):
                    self.error()
                if self.at_word("row", "rows"):
                    q.limit = A.Lit("num", "1")
                else:
                    q.limit = self.primary()
                self.accept_word("rows", "row")
                if self.accept_word("with"):
                    raise unsupported("FETCH ... WITH TIES")
                self.expect_word("only")
            elif self.at_word("for"):
                raise unsupported("SELECT ... FOR UPDATE/SHARE")
            else:
                break

    def set_expr(self) -> A.Body:
        left = self.set_term()
        while self.at_word("union", "except"):
            op = self.next()[1]
            all_ = bool(self.accept_word("all"))
            if not all_:
                self.accept_word("distinct")
            left = A.SetOp(op, all_, left, self.set_term())  # type: ignore[arg-type]
        return left

    def set_term(self) -> A.Body:
        left = self.set_primary()
        while self.at_word("intersect"):
            self.next()
            all_ = bool(self.accept_word("all"))
            if not all_:
                self.accept_word("distinct")
            left = A.SetOp("intersect", all_, left, self.set_primary())
        return left

    def set_primary(self) -> A.Body:
        if self.accept("punct", "("):
            q = self.query()
            self.expect("punct", ")")
            if not q.ctes and not q.order and q.limit is None and q.offset is None:
                return q.body
            return q
        if self.accept_word("select"):
            return self.select_body()
        if self.accept_word("values"):
            rows = []
            while True:
                self.expect("punct", "(")
                rows.append(self.expr_list())
                self.expect("punct", ")")
                if not self.accept("punct", ","):
                    break
            return A.Values(rows)
        if self.accept_word("table"):
            schema, name = self.qualified_name()
            return A.Select([A.SelectItem(A.Star())], [A.TableRef(schema, name)])
        self.error()
        raise AssertionError

    def select_body(self) -> A.Select:
        distinct = False
        if self.accept_word("distinct"):
            if self.at_word("on"):
                raise unsupported("SELECT DISTINCT ON")
            distinct = True
        else:
            self.accept_word("all")
        items: List[A.SelectItem] = []
        if not self.at_word("from") and not self.at_set_end():
            while True:
                items.append(self.select_item())
                if not self.accept("punct", ","):
                    break
        if self.at_word("into"):
            raise unsupported("SELECT INTO")
        sel = A.Select(items, distinct=distinct)
        if self.accept_word("from"):
            sel.from_ = self.from_list()
        if self.accept_word("where"):
            sel.where = self.expr()
        if self.accept_word("group"):
            self.expect_word("by")
            if self.at_word("grouping", "rollup", "cube") or self.at("punct", "("):
                if not self.at("punct", "(") or self.at("punct", ")", 1):
                    raise unsupported("GROUPING SETS / ROLLUP / CUBE")
            self.accept_word("all")
            sel.group_by = self.expr_list()
        if self.accept_word("having"):
            sel.having = self.expr()
        if self.accept_word("window"):
            while True:
                name = self.ident()
                self.expect_word("as")
                sel.windows.append((name, self.window_spec()))
                if not self.accept("punct", ","):
                    break
        return sel

    def at_set_end(self) -> bool:
        tok = self.peek()
        return tok[0] == "eof" or (tok[0] == "punct" and tok[1] in (")", ";")) or self.at_word(
            "union", "intersect", "except", "order", "limit", "offset", "where", "group")

    def select_item(self) -> A.SelectItem:
        if self.accept("op", "*"):
            return A.SelectItem(A.Star())
        e = self.expr()
        if self.accept_word("as"):
            return A.SelectItem(e, self.any_name())
        tok = self.peek()
        if tok[0] == "qword" or (tok[0] == "word" and tok[1] not in _RESERVED):
            self.i += 1
            return A.SelectItem(e, tok[1])  # type: ignore[arg-type]
        return A.SelectItem(e)

    # ---- FROM -----------------------------------------------------------
    def from_list(self) -> List[A.FromItem]:
        items = [self.joined()]
        while self.accept("punct", ","):
            items.append(self.joined())
        return items

    def joined(self) -> A.FromItem:
        left = self.from_item()
        while True:
            natural = bool(self.accept_word("natural"))
            if natural:
                raise unsupported("NATURAL JOIN")
            kind = "inner"
            if self.accept_word("cross"):
                kind = "cross"
            elif self.accept_word("left"):
                self.accept_word("outer")
                kind = "left"
            elif self.accept_word("right"):
                self.accept_word("outer")
                kind = "right"
            elif self.accept_word("full"):
                self.accept_word("outer")
                kind = "full"
            elif self.accept_word("inner"):
                pass
            elif not self.at_word("join"):
                return left
            self.expect_word("join")
            right = self.from_item()
            join = A.Join(left, right, kind)
            if kind != "cross":
                if self.accept_word("on"):
                    join.on = self.expr()
                elif self.accept_word("using"):
                    join.using = self.paren_names()
                else:
                    self.error()
            left = join

    def from_item(self) -> A.FromItem:
        if self.at_word("lateral"):
            raise unsupported("LATERAL")
        if self.accept("punct", "("):
            if self.at_word(*_QUERY_START):
                return self.subquery_ref()
            if self.at("punct", "(") and self.opens_query(self.i):
                return self.subquery_ref()
            inner = self.joined()
            if not isinstance(inner, A.Join):
                self.error()        # ``(pg_class c)``: PostgreSQL's grammar has no such item
            self.expect("punct", ")")
            if self.alias_clause()[0] is not None:
                raise unsupported("aliased parenthesized joins")
            return inner
        if self.at_word("rows") and self.at_word("from", k=1):
            raise unsupported("ROWS FROM")
        self.accept_word("only")
        start = self.i
        schema, name = self.qualified_name()
        if self.at("punct", "("):
            self.i = start
            func = self.primary()
            if not isinstance(func, A.Func) or func.over is not None:
                self.error()
            ordinality = False
            if self.at_word("with") and self.at_word("ordinality", k=1):
                self.i += 2
                ordinality = True
            alias, cols = self.alias_clause()
            return A.FunctionRef(func, alias, cols, ordinality)  # type: ignore[arg-type]
        self.accept("op", "*")
        if self.at_word("tablesample"):
            raise unsupported("TABLESAMPLE")
        alias, cols = self.alias_clause()
        return A.TableRef(schema, name, alias, cols)

    def opens_query(self, at: int) -> bool:
        """Whether the ``(`` at token ``at``, inside a ``(`` that opens a
        FROM item, begins a query rather than a join written in
        parentheses. psqlODBC nests its joins so (``from ((pg_class c join
        ...) join ...)``, ``(((select ...) ref join ...) join ...)``), and
        ``((select ...))`` is a query. What follows the group's closing
        parenthesis tells: a set operation or a query's tail belongs to a
        query; an alias or a join to a join; another ``)`` says the group
        itself decides. Decided by looking ahead, once per level, rather
        than by trying one reading and then the other, which costs the
        square of the nesting."""
        toks = self.toks
        while True:
            close = self.matching_paren(at)
            after = toks[close + 1] if close is not None and close + 1 < len(toks) else toks[-1]
            if not (after[0] == "punct" and after[1] == ")"):
                return after[0] == "word" and after[1] in _QUERY_TAIL
            # ``( (...) )``: the inner group alone decides
            inner = toks[at + 1]
            if inner[0] == "word" and inner[1] in _QUERY_START:
                return True
            if not (inner[0] == "punct" and inner[1] == "("):
                return False
            at += 1

    def matching_paren(self, at: int) -> Optional[int]:
        """Index of the ``)`` closing the ``(`` at token ``at``; None if
        none does. Every pair is found in one pass, the first time asked."""
        pairs = self._pairs
        if pairs is None:
            pairs = self._pairs = {}
            opened: List[int] = []
            for j, tok in enumerate(self.toks):
                if tok[0] == "punct":
                    if tok[1] == "(":
                        opened.append(j)
                    elif tok[1] == ")" and opened:
                        pairs[opened.pop()] = j
        return pairs.get(at)

    def subquery_ref(self) -> A.SubqueryRef:
        """``select ...) alias``, the opening parenthesis already read."""
        q = self.query()
        self.expect("punct", ")")
        alias, cols = self.alias_clause()
        return A.SubqueryRef(q, alias, cols)

    def alias_clause(self) -> Tuple[Optional[str], List[str]]:
        if self.accept_word("as"):
            alias = self.any_name()
        else:
            tok = self.peek()
            if not (tok[0] == "qword" or (tok[0] == "word" and tok[1] not in _RESERVED)):
                return None, []
            alias = self.ident()
        cols = self.paren_names() if self.at("punct", "(") else []
        return alias, cols

    def paren_names(self) -> List[str]:
        self.expect("punct", "(")
        names = [self.any_name()]
        while self.accept("punct", ","):
            names.append(self.any_name())
        self.expect("punct", ")")
        return names

    def qualified_name(self) -> Tuple[Optional[str], str]:
        parts = [self.ident()]
        while self.accept("punct", "."):
            parts.append(self.any_name())
        if len(parts) > 3:
            self.error()
        if len(parts) == 3:
            parts = parts[1:]  # database.schema.rel: the database is the current one
        return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def parse_statement(sql: str) -> A.Query:
    """Parse one catalog statement; raises UnsupportedSql (42601/0A000)."""
    try:
        return Parser(sql).statement()
    except RecursionError:
        raise UnsupportedSql("54001", "statement too deeply nested for catalog emulation") from None
