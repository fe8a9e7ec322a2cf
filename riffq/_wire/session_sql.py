"""Recognise the statements a PostgreSQL server answers by itself.

Drivers, poolers and tools send ``SET``, ``SHOW``, ``RESET``, ``BEGIN`` /
``COMMIT``, ``DISCARD ALL``, ``DEALLOCATE`` ... whatever engine sits behind
the server, and expect PostgreSQL's exact answers.  :func:`classify` turns
one statement (as produced by :func:`riffq._wire.sqlsplit.split_statements`)
into a small frozen dataclass the server can execute against its session
state, or returns ``None`` when the statement is not one of these and belongs
to the user's handler.

The parsing follows PostgreSQL's grammar (gram.y) for these statements and
its lexer for the tokens inside them, so values come out the way PostgreSQL
flattens them before handing them to the GUC machinery:

* quoted strings are unquoted (``'UTC'`` -> ``UTC``; ``''``, ``E'\\n'``,
  ``U&'\\0041'``, ``$$..$$`` and newline-separated literal continuation all
  work);
* bare words are folded to lower case (``SET application_name = Foo`` stores
  ``foo``), double-quoted identifiers keep their case;
* integers are printed as integers (``007`` -> ``7``, ``- 5`` -> ``-5``),
  other numbers exactly as written (``1.50``, ``1e3``);
* list values are joined with ``", "``; for the list parameters whose
  elements are identifiers (``search_path``, ``temp_tablespaces``) each
  element is quoted as an identifier when needed
  (``SET search_path = a, "B", 'my schema'`` -> ``a, "B", "my schema"``);
* a list given to a parameter that takes one value raises
  ``SET x takes only one argument`` (SQLSTATE 22023), as PostgreSQL does.

Statements that start like one of ours but do not parse raise
:class:`SqlSyntaxError` with PostgreSQL's message (``syntax error at or near
"x"`` / ``syntax error at end of input``) and a 1-based ``position`` in the
statement text.  Valid statements of these families that the server does not
emulate (``SET ROLE``, ``SET SESSION AUTHORIZATION``, ``SET CONSTRAINTS``,
``SET TRANSACTION SNAPSHOT``, ``SET x FROM CURRENT``, ``SET TIME ZONE
INTERVAL ...``, ``COMMIT PREPARED`` ...) return ``None``.
The statement types :func:`classify` returns and its errors are in
:mod:`.session_sql_commands`; keywords, identifier quoting and the lexer in
:mod:`.session_sql_lexer`; this module is the grammar.
"""
from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

from .session_sql_commands import (Command, ResetCommand, SetCommand, ShowCommand, SimpleTagCommand,
                                   SqlSyntaxError, StatementError, TransactionCommand)
from .session_sql_lexer import (LIST_INPUT_PARAMETERS, LIST_QUOTE_PARAMETERS, _ANY_KEYWORD, _LOWER,
                                _RESERVED, _TYPE_FUNC, _Tok, _WS_CHARS, _WS_RUN, _lex, quote_identifier)
from .sqlsplit import _WORD, _block_comment_end, _line_comment_end

__all__ = [
    "StatementError",
    "SqlSyntaxError",
    "SetCommand",
    "ShowCommand",
    "ResetCommand",
    "SimpleTagCommand",
    "TransactionCommand",
    "Command",
    "classify",
    "quote_identifier",
    "LIST_INPUT_PARAMETERS",
    "LIST_QUOTE_PARAMETERS",
]


# ---------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------

_LEADING = frozenset([
    "set", "show", "reset", "discard", "deallocate", "close", "listen", "unlisten",
    "begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release",
])

_ISO_LEVELS = {
    ("read", "uncommitted"): "read uncommitted",
    ("read", "committed"): "read committed",
    ("repeatable", "read"): "repeatable read",
}


class _NotOurs(Exception):
    """A valid statement of a kind the server does not emulate."""


class _Parser:
    """Recursive-descent parser pulling tokens from the lexer on demand.

    ``toks`` holds the tokens lexed so far from index ``base``; consumed
    tokens are dropped in loops (``compact``) so a huge statement never sits
    in memory as millions of token objects.
    """

    _MAX_LOOKAHEAD = 1000

    def __init__(self, s: str, tokens: Iterator[_Tok]) -> None:
        self.s = s
        self.tokens = tokens
        self.toks: List[_Tok] = []
        self.done = False
        self.i = 0

    # -- token helpers -----------------------------------------------------
    def peek(self, k: int = 0) -> Optional[_Tok]:
        j = self.i + k
        while j >= len(self.toks):
            if self.done:
                return None
            t = next(self.tokens, None)
            if t is None:
                self.done = True
                return None
            self.toks.append(t)
        return self.toks[j]

    def compact(self) -> None:
        """Forget consumed tokens (only called where nothing looks back)."""
        if self.i > 64:
            del self.toks[:self.i]
            self.i = 0

    def is_kw(self, word: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.kind == "word" and t.value == word

    def is_op(self, op: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.kind == "op" and t.value == op

    def accept_kw(self, *words: str) -> Optional[str]:
        t = self.peek()
        if t is not None and t.kind == "word" and t.value in words:
            self.i += 1
            return t.value
        return None

    def expect_kw(self, *words: str) -> str:
        w = self.accept_kw(*words)
        if w is None:
            raise self.error()
        return w

    def error(self) -> SqlSyntaxError:
        t = self.peek()
        if t is None:
            return SqlSyntaxError("syntax error at end of input", len(self.s) + 1)
        return SqlSyntaxError('syntax error at or near "%s"' % self.s[t.start:t.end], t.start + 1)

    def expect_end(self) -> None:
        # A trailing ";" (or several) is tolerated; anything else is an error.
        while self.is_op(";"):
            self.i += 1
            self.compact()
        if self.peek() is not None:
            raise self.error()

    def at_end(self, k: int = 0) -> bool:
        """True if the statement ends (or a ';' comes) *k* tokens ahead."""
        t = self.peek(k)
        return t is None or (t.kind == "op" and t.value == ";")

    # -- grammar pieces ----------------------------------------------------
    def col_id(self) -> str:
        """ColId: an identifier or a keyword that is not reserved/type-func."""
        t = self.peek()
        if t is not None and (t.kind == "ident" or (
                t.kind == "word" and t.value not in _RESERVED and t.value not in _TYPE_FUNC)):
            self.i += 1
            return t.value
        raise self.error()

    def var_name(self) -> str:
        parts = [self.col_id()]
        while self.is_op("."):
            self.i += 1
            parts.append(self.col_id())
            self.compact()
        return ".".join(parts)

    def looks_like_var_name_then(self, followers: Tuple[str, ...]) -> bool:
        """True if the tokens ahead are ``var_name`` followed by one of *followers*."""
        k = 0
        while True:
            t = self.peek(k)
            if t is None or not (t.kind == "ident" or (
                    t.kind == "word" and t.value not in _RESERVED and t.value not in _TYPE_FUNC)):
                return False
            k += 1
            if not self.is_op(".", k) or k > self._MAX_LOOKAHEAD:
                break
            k += 1
        t = self.peek(k)
        if t is None:
            return False
        if t.kind == "op":
            return t.value in followers
        return t.kind == "word" and t.value in followers

    def nonreserved_word_or_sconst(self) -> Optional[str]:
        t = self.peek()
        if t is None:
            return None
        if t.kind in ("str", "ident") or (t.kind == "word" and t.value not in _RESERVED):
            self.i += 1
            return t.value
        return None

    def numeric_only(self) -> Optional[str]:
        """NumericOnly: [+|-] integer or other number, rendered like PostgreSQL."""
        t = self.peek()
        sign = ""
        k = 0
        if t is not None and t.kind == "op" and t.value in ("+", "-"):
            sign = t.value
            k = 1
        num = self.peek(k)
        if num is None or num.kind not in ("int", "num"):
            return None
        self.i += k + 1
        if num.kind == "int":
            return str(-int(num.value)) if sign == "-" else num.value
        if sign == "-":
            return num.value[1:] if num.value.startswith("-") else "-" + num.value
        return num.value

    def var_value(self, quote: bool) -> str:
        """var_value: TRUE | FALSE | ON | NonReservedWord | Sconst | NumericOnly."""
        t = self.peek()
        if t is not None and t.kind == "word" and t.value in ("true", "false", "on"):
            self.i += 1
            return quote_identifier(t.value) if quote else t.value
        v = self.nonreserved_word_or_sconst()
        if v is not None:
            return quote_identifier(v) if quote else v
        v = self.numeric_only()
        if v is not None:
            return v
        raise self.error()

    def transaction_modes(self, allow_empty: bool) -> List[Tuple[str, str]]:
        """transaction_mode_list, items separated by commas or just juxtaposed."""
        modes: List[Tuple[str, str]] = []
        if allow_empty and self.at_end():
            return modes
        while True:
            if self.accept_kw("isolation"):
                self.expect_kw("level")
                w = self.expect_kw("read", "repeatable", "serializable")
                if w == "serializable":
                    level = "serializable"
                elif w == "read":
                    level = _ISO_LEVELS[("read", self.expect_kw("uncommitted", "committed"))]
                else:
                    level = _ISO_LEVELS[("repeatable", self.expect_kw("read"))]
                modes.append(("transaction_isolation", level))
            elif self.accept_kw("read"):
                w = self.expect_kw("only", "write")
                modes.append(("transaction_read_only", "on" if w == "only" else "off"))
            elif self.accept_kw("deferrable"):
                modes.append(("transaction_deferrable", "on"))
            elif self.accept_kw("not"):
                self.expect_kw("deferrable")
                modes.append(("transaction_deferrable", "off"))
            else:
                raise self.error()
            if self.at_end():
                return modes
            if self.is_op(","):
                self.i += 1
            self.compact()

    # -- statements ----------------------------------------------------------
    def parse(self) -> Optional[Command]:
        first = self.peek().value
        self.i = 1
        try:
            if first == "set":
                return self.parse_set()
            if first == "show":
                return self.parse_show()
            if first == "reset":
                return self.parse_reset()
            if first in ("discard", "deallocate", "close", "listen", "unlisten"):
                return self.parse_simple(first)
            return self.parse_transaction(first)
        except _NotOurs:
            return None

    def parse_set(self) -> SetCommand:
        local = False
        if self.looks_like_var_name_then(("to", "=", "from")):
            return self.generic_set(local)
        if self.is_kw("local"):
            self.i += 1
            local = True
        elif self.is_kw("session") and not (self.is_kw("characteristics", 1)
                                            or self.is_kw("authorization", 1)):
            # SET SESSION x = 1; but SET SESSION CHARACTERISTICS / AUTHORIZATION
            # are forms of their own (SET SESSION SESSION AUTHORIZATION is too).
            self.i += 1
        return self.set_rest(local)

    def set_rest(self, local: bool) -> SetCommand:
        if self.looks_like_var_name_then(("to", "=", "from")):
            return self.generic_set(local)
        if self.is_kw("transaction"):
            self.i += 1
            if self.is_kw("snapshot"):
                raise _NotOurs()
            modes = self.transaction_modes(allow_empty=False)
            self.expect_end()
            return _set_from_modes(modes, local=True, transaction=True)
        if self.is_kw("session") and self.is_kw("characteristics", 1):
            self.i += 2
            self.expect_kw("as")
            self.expect_kw("transaction")
            modes = self.transaction_modes(allow_empty=False)
            self.expect_end()
            return _set_from_modes([("default_" + k, v) for k, v in modes], local=False,
                                   transaction=False)
        if self.is_kw("session") and self.is_kw("authorization", 1):
            raise _NotOurs()
        if self.is_kw("constraints"):
            raise _NotOurs()  # SET CONSTRAINTS is a statement of its own
        if self.is_kw("time") and self.is_kw("zone", 1):
            self.i += 2
            value = self.zone_value()
            self.expect_end()
            return SetCommand("TimeZone", value, local)
        if self.accept_kw("catalog"):
            t = self.peek()
            if t is None or t.kind != "str":
                raise self.error()
            raise StatementError("0A000", "current database cannot be changed", t.start + 1)
        if self.accept_kw("schema"):
            t = self.peek()
            if t is None or t.kind != "str":
                raise self.error()
            self.i += 1
            self.expect_end()
            return SetCommand("search_path", quote_identifier(t.value), local)
        if self.accept_kw("names"):
            if self.at_end():
                self.expect_end()
                return SetCommand("client_encoding", None, local)
            if self.accept_kw("default"):
                self.expect_end()
                return SetCommand("client_encoding", None, local)
            t = self.peek()
            if t is None or t.kind != "str":
                raise self.error()
            self.i += 1
            self.expect_end()
            return SetCommand("client_encoding", t.value, local)
        if self.accept_kw("role"):
            if self.nonreserved_word_or_sconst() is None:
                raise self.error()
            self.expect_end()
            raise _NotOurs()
        if self.accept_kw("xml"):
            self.expect_kw("option")
            w = self.expect_kw("document", "content")
            self.expect_end()
            return SetCommand("xmloption", w, local)
        # Not a special form: must be generic, so report the error there.
        return self.generic_set(local)

    def generic_set(self, local: bool) -> SetCommand:
        name = self.var_name()
        if self.accept_kw("from"):
            self.expect_kw("current")
            self.expect_end()
            raise _NotOurs()
        if not self.accept_kw("to"):
            if not self.is_op("="):
                raise self.error()
            self.i += 1
        if self.accept_kw("default"):
            self.expect_end()
            return SetCommand(name, None, local)
        lname = name.lower()
        quote = lname in LIST_QUOTE_PARAMETERS
        values = [self.var_value(quote)]
        while self.is_op(","):
            self.i += 1
            values.append(self.var_value(quote))
            self.compact()
        self.expect_end()
        if len(values) > 1 and lname not in LIST_INPUT_PARAMETERS:
            raise StatementError("22023", "SET %s takes only one argument" % name)
        return SetCommand(name, ", ".join(values), local)

    def zone_value(self) -> Optional[str]:
        """zone_value: Sconst | IDENT | NumericOnly | DEFAULT | LOCAL | INTERVAL ..."""
        t = self.peek()
        if t is None:
            raise self.error()
        if t.kind == "str":
            self.i += 1
            return t.value
        if t.kind == "ident" or (t.kind == "word" and t.value not in _ANY_KEYWORD):
            self.i += 1
            return t.value
        if t.kind == "word" and t.value in ("default", "local"):
            self.i += 1
            return None
        if t.kind == "word" and t.value == "interval":
            # Needs interval arithmetic to render; leave it to the handler.
            raise _NotOurs()
        v = self.numeric_only()
        if v is None:
            raise self.error()
        return v

    def parse_show(self) -> ShowCommand:
        if self.accept_kw("all"):
            self.expect_end()
            return ShowCommand("all")
        if self.is_kw("time") and self.is_kw("zone", 1):
            self.i += 2
            self.expect_end()
            return ShowCommand("TimeZone")
        if self.is_kw("transaction") and self.is_kw("isolation", 1):
            self.i += 2
            self.expect_kw("level")
            self.expect_end()
            return ShowCommand("transaction_isolation")
        if self.is_kw("session") and self.is_kw("authorization", 1):
            self.i += 2
            self.expect_end()
            return ShowCommand("session_authorization")
        name = self.var_name()
        self.expect_end()
        return ShowCommand(name)

    def parse_reset(self) -> ResetCommand:
        if self.accept_kw("all"):
            self.expect_end()
            return ResetCommand("all")
        if self.is_kw("time") and self.is_kw("zone", 1):
            self.i += 2
            self.expect_end()
            return ResetCommand("TimeZone")
        if self.is_kw("transaction") and self.is_kw("isolation", 1):
            self.i += 2
            self.expect_kw("level")
            self.expect_end()
            return ResetCommand("transaction_isolation")
        if self.is_kw("session") and self.is_kw("authorization", 1):
            self.i += 2
            self.expect_end()
            return ResetCommand("session_authorization")
        name = self.var_name()
        self.expect_end()
        return ResetCommand(name)

    def parse_simple(self, first: str) -> SimpleTagCommand:
        if first == "discard":
            w = self.expect_kw("all", "plans", "sequences", "temp", "temporary")
            self.expect_end()
            return SimpleTagCommand("DISCARD " + ("TEMP" if w == "temporary" else w.upper()))
        if first == "deallocate":
            # DEALLOCATE [PREPARE] {name | ALL}; a lone PREPARE is a name.
            if self.is_kw("prepare") and not self.at_end(1):
                self.i += 1
            if self.accept_kw("all"):
                self.expect_end()
                return SimpleTagCommand("DEALLOCATE ALL")
            name = self.col_id()
            self.expect_end()
            return SimpleTagCommand("DEALLOCATE", name)
        if first == "close":
            if self.accept_kw("all"):
                self.expect_end()
                return SimpleTagCommand("CLOSE CURSOR ALL")
            name = self.col_id()
            self.expect_end()
            return SimpleTagCommand("CLOSE CURSOR", name)
        if first == "listen":
            name = self.col_id()
            self.expect_end()
            return SimpleTagCommand("LISTEN", name)
        # unlisten
        if self.is_op("*"):
            self.i += 1
            self.expect_end()
            return SimpleTagCommand("UNLISTEN")
        name = self.col_id()
        self.expect_end()
        return SimpleTagCommand("UNLISTEN", name)

    def opt_chain(self) -> bool:
        if self.accept_kw("and"):
            if self.accept_kw("no"):
                self.expect_kw("chain")
                return False
            self.expect_kw("chain")
            return True
        return False

    def parse_transaction(self, first: str) -> TransactionCommand:
        if first == "begin":
            self.accept_kw("work", "transaction")
            modes = self.transaction_modes(allow_empty=True)
            self.expect_end()
            return TransactionCommand("begin", "BEGIN", modes=tuple(modes))
        if first == "start":
            self.expect_kw("transaction")
            modes = self.transaction_modes(allow_empty=True)
            self.expect_end()
            return TransactionCommand("begin", "START TRANSACTION", modes=tuple(modes))
        if first in ("commit", "end"):
            if first == "commit" and self.is_kw("prepared"):
                raise _NotOurs()
            self.accept_kw("work", "transaction")
            chain = self.opt_chain()
            self.expect_end()
            return TransactionCommand("commit", "COMMIT", chain=chain)
        if first in ("rollback", "abort"):
            if first == "rollback" and self.is_kw("prepared"):
                raise _NotOurs()
            self.accept_kw("work", "transaction")
            if first == "rollback" and self.accept_kw("to"):
                if self.is_kw("savepoint") and not self.at_end(1):
                    self.i += 1
                name = self.col_id()
                self.expect_end()
                return TransactionCommand("rollback_to", "ROLLBACK", name=name)
            chain = self.opt_chain()
            self.expect_end()
            return TransactionCommand("rollback", "ROLLBACK", chain=chain)
        if first == "savepoint":
            name = self.col_id()
            self.expect_end()
            return TransactionCommand("savepoint", "SAVEPOINT", name=name)
        # release
        if self.is_kw("savepoint") and not self.at_end(1):
            self.i += 1
        name = self.col_id()
        self.expect_end()
        return TransactionCommand("release", "RELEASE", name=name)


def _set_from_modes(modes: List[Tuple[str, str]], local: bool, transaction: bool) -> SetCommand:
    (name, value), rest = modes[0], tuple(modes[1:])
    return SetCommand(name, value, local, rest, transaction)


def _first_word(stmt: str) -> Optional[str]:
    """The leading word of *stmt*, lower-cased, skipping whitespace/comments."""
    n = len(stmt)
    pos = 0
    while pos < n:
        c = stmt[pos]
        if c in _WS_CHARS:
            pos = _WS_RUN.match(stmt, pos).end()
        elif c == "-" and stmt.startswith("--", pos):
            pos = _line_comment_end(stmt, pos + 2)
        elif c == "/" and stmt.startswith("/*", pos):
            pos = _block_comment_end(stmt, pos + 2)[0]
        else:
            break
    m = _WORD.match(stmt, pos)
    if m is None or m.end() - pos > 10:
        return None
    return m.group().translate(_LOWER)


def classify(stmt: str) -> Optional[Command]:
    """Classify one statement the server answers itself, or return None.

    Why: these statements must be answered exactly as PostgreSQL would
    whatever engine the server fronts, and recognising them must be cheap
    for the statements that are not ours (only the first word is looked at
    before deciding).  Returns a :class:`SetCommand`, :class:`ShowCommand`,
    :class:`ResetCommand`, :class:`SimpleTagCommand` or
    :class:`TransactionCommand`.  Raises :class:`SqlSyntaxError` (or another
    :class:`StatementError`) for statements of these kinds that PostgreSQL
    would reject before executing them.
    """
    word = _first_word(stmt)
    if word is None or word not in _LEADING:
        return None
    parser = _Parser(stmt, _lex(stmt))
    first = parser.peek()
    if first is None or first.kind != "word" or first.value != word:
        return None
    return parser.parse()
