"""Split a simple-Query string into statements the way PostgreSQL does.

A Query message may carry several statements separated by semicolons, and
PostgreSQL answers each one separately.  To do the same without a full SQL
parser we only need to know which semicolons are *separators*: the ones not
inside a string, quoted identifier, dollar quote or comment.  This module is a
small lexer that knows exactly those token kinds, following PostgreSQL's
``scan.l`` (with ``standard_conforming_strings = on``):

* ``'...'`` with ``''`` as the escaped quote; backslash is an ordinary
  character.  ``N'``, ``B'``, ``X'`` and ``U&'`` prefixes lex the same way.
* ``E'...'`` / ``e'...'`` where a backslash escapes the next character (so
  ``\\'`` does not end the string) and ``''`` also works.  ``E`` only counts
  as a prefix when it is a whole token: in ``thee'x'`` the quote starts a
  plain string after the identifier ``thee``.
* ``"..."`` quoted identifiers with ``""`` as the escaped quote.
* dollar quotes ``$$...$$`` and ``$tag$...$tag$``; the tag follows identifier
  rules without ``$`` and may not start with a digit, so ``$1`` is a
  parameter, and a ``$`` inside an identifier (``a$b$``) quotes nothing.
* ``--`` comments up to the end of the line and nested ``/* /* */ */``
  comments.

Two more rules come from psql, which has to solve the same problem on the
client side: a semicolon inside parentheses does not end a statement (the
server would reject the statement anyway, and treating the rest as one
statement reports a single error instead of executing half of it), and the
body of ``CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC ... END``
keeps its semicolons, using psql's BEGIN/CASE/END counting heuristic.

Anything unterminated simply runs to the end of the text, which stays part
of the last statement so that the engine can report the error.

Everything here is linear in the input size and uses O(1) extra memory
besides the output: regular expressions only repeat single character classes
(no nested quantifiers that backtrack or grow the regex engine's stack), and
quote/comment bodies are skipped with ``str.find`` and run-length matches.
"""

from __future__ import annotations

import re
from typing import List, Tuple

__all__ = [
    "split_statements",
    "is_empty_query",
    "first_keywords",
    "count_statements",
]

# Identifier characters as PostgreSQL's lexer defines them: ASCII letters,
# underscore and every non-ASCII character start an identifier; digits and
# "$" may follow.
_ID_START = "A-Za-z_\x80-\U0010ffff"
_ID_CONT = "A-Za-z_0-9$\x80-\U0010ffff"
_DOLQ_CONT = "A-Za-z_0-9\x80-\U0010ffff"

# PostgreSQL's whitespace (scan.l "space"): space, tab, newline, CR, FF, VT.
_WS_CHARS = " \t\n\r\f\v"

# The master tokenizer.  Only the token kinds that matter for splitting are
# distinguished; every alternative is a single-character-class repeat so the
# regex engine never backtracks more than one token.
_MASTER = re.compile(
    r"(?P<sp>[^;'\"$/\-()" + _ID_START + r"0-9.]+)"
    r"|(?P<e>[eE]')"
    r"|(?P<w>[" + _ID_START + r"][" + _ID_CONT + r"]*)"
    r"|(?P<n>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<semi>;[; \t\n\r\f\v]*)"
    r"|(?P<sq>')"
    r"|(?P<dq>\")"
    r"|(?P<dol>\$(?:[" + _ID_START + r"][" + _DOLQ_CONT + r"]*)?\$)"
    r"|(?P<op>[/\-]+)"
    r"|(?P<dots>\.+(?![0-9]))"
    r"|(?P<lp>\(+)"
    r"|(?P<rp>\)+)"
    r"|(?P<other>[\s\S])"
)

_QUOTE_RUN = {"'": re.compile(r"'+"), '"': re.compile(r'"+')}
_E_SPECIAL = re.compile(r"['\\]")
_BACKSLASH_RUN = re.compile(r"\\+")
_COMMENT_MARK = re.compile(r"/\*|\*/")
_COMMENT_START = re.compile(r"--|/\*")
_NEWLINE = re.compile(r"[\n\r]")
_WS = re.compile(r"[ \t\n\r\f\v]+")
_WORD = re.compile(r"[" + _ID_START + r"][" + _ID_CONT + r"]*")

_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


# --------------------------------------------------------------------------
# Body skippers.  Each takes the index just after the opening delimiter and
# returns (index after the closing delimiter, terminated?).  An unterminated
# body returns (len(s), False).  They are shared with session_sql.
# --------------------------------------------------------------------------

def _quoted_end(s: str, i: int, q: str) -> Tuple[int, bool]:
    """End of a '...' string or "..." identifier where a doubled quote escapes.

    Inside the body quotes come in runs; a run of even length is all escapes,
    a run of odd length ends the literal with its last character.  Looking at
    whole runs keeps this linear even for millions of consecutive quotes.
    """
    run = _QUOTE_RUN[q]
    n = len(s)
    while True:
        j = s.find(q, i)
        if j < 0:
            return n, False
        k = run.match(s, j).end()
        if (k - j) & 1:
            return k, True
        i = k


def _estring_end(s: str, i: int) -> Tuple[int, bool]:
    """End of an E'...' string: backslash escapes the next character."""
    n = len(s)
    while True:
        m = _E_SPECIAL.search(s, i)
        if m is None:
            return n, False
        j = m.start()
        if s[j] == "\\":
            k = _BACKSLASH_RUN.match(s, j).end()
            # An odd run escapes the character after it.
            i = k + ((k - j) & 1)
            if i > n:
                return n, False
            continue
        k = _QUOTE_RUN["'"].match(s, j).end()
        if (k - j) & 1:
            return k, True
        i = k


def _dollar_end(s: str, i: int, delim: str) -> Tuple[int, bool]:
    """End of a dollar-quoted body opened by *delim* (``$$`` or ``$tag$``)."""
    j = s.find(delim, i)
    if j < 0:
        return len(s), False
    return j + len(delim), True


def _block_comment_end(s: str, i: int) -> Tuple[int, bool]:
    """End of a /* comment */, honouring PostgreSQL's nesting."""
    depth = 1
    while True:
        m = _COMMENT_MARK.search(s, i)
        if m is None:
            return len(s), False
        i = m.end()
        if s[m.start()] == "/":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return i, True


def _line_comment_end(s: str, i: int) -> int:
    """End of a -- comment: the newline itself is left for the caller."""
    m = _NEWLINE.search(s, i)
    return len(s) if m is None else m.start()


# --------------------------------------------------------------------------
# Splitting
# --------------------------------------------------------------------------

_LEADERS = {"create": "c", "function": "f", "procedure": "p", "or": "o", "replace": "r"}


# psql's test for CREATE [OR REPLACE] FUNCTION|PROCEDURE on those letters.
_ROUTINE_LEADS = ("cf", "cp", "corf", "corp")


def _scan(sql: str, stop_at_content: bool = False) -> Tuple[List[str], bool]:
    """The one lexer loop behind split_statements and is_empty_query.

    Returns the statements and whether there was any content.  With
    *stop_at_content* it returns as soon as the first token that is not
    whitespace, a comment or a semicolon is found (for is_empty_query).

    BEGIN ATOMIC bodies use psql's heuristic: psql remembers the first
    letters of the first four words when they are one of create, function,
    procedure, or, replace; once the statement is known to be ``CREATE [OR
    REPLACE] FUNCTION|PROCEDURE``, BEGIN (and CASE inside a BEGIN) open a
    block and END closes one, all at parenthesis depth zero.
    """
    out: List[str] = []
    n = len(sql)
    pos = 0
    start = 0            # start of the current statement
    content = False      # current statement has something besides comments
    parens = 0
    words = 0            # words seen in the current statement (up to 4)
    lead = ""            # one letter per leading word: c/f/p/o/r or "_"
    routine = False      # statement is CREATE [OR REPLACE] FUNCTION|PROCEDURE
    blocks = 0           # BEGIN ... END nesting inside such a statement
    master = _MASTER.match
    while pos < n:
        m = master(sql, pos)
        kind = m.lastgroup
        end = m.end()
        if kind == "sp":
            # Whitespace and operator characters; whitespace alone is not content.
            if not content and sql[pos:end].strip(_WS_CHARS):
                content = True
            pos = end
            continue
        if kind == "w":
            content = True
            if stop_at_content:
                return out, True
            if words < 4:
                words += 1
                lead += _LEADERS.get(m.group().lower(), "_") if end - pos <= 9 else "_"
                if words == 2 or words == 4:
                    routine = lead.startswith(_ROUTINE_LEADS)
            elif routine and not parens and end - pos <= 5:
                lw = m.group().lower()
                if lw == "begin":
                    blocks += 1
                elif lw == "case":
                    if blocks:
                        blocks += 1
                elif lw == "end":
                    if blocks:
                        blocks -= 1
            pos = end
            continue
        if kind == "semi":
            if parens == 0 and blocks == 0:
                if content:
                    out.append(sql[start:pos].strip(_WS_CHARS))
                    content = False
                start = end
                if words:
                    words = 0
                    lead = ""
                    routine = False
            else:
                content = True
            pos = end
            continue
        if kind == "op":
            # A run of '/' and '-': the first "--" or "/*" in it (or a "/"
            # at its end followed by "*") starts a comment.
            c = _COMMENT_START.search(sql, pos, end + 1)
            if c is None or c.start() > pos:
                content = True
                if stop_at_content:
                    return out, True
                pos = end if c is None else c.start()
                continue
            if sql[pos] == "-":
                pos = _line_comment_end(sql, pos + 2)
                continue
            pos, closed = _block_comment_end(sql, pos + 2)
            if not closed:
                # PostgreSQL reports "unterminated /* comment"; keep the text
                # as a statement so the engine gets to say so.
                content = True
            continue
        content = True
        if stop_at_content:
            return out, True
        if kind == "sq" or kind == "dq":
            pos = _quoted_end(sql, end, sql[pos])[0]
        elif kind == "e":
            pos = _estring_end(sql, end)[0]
        elif kind == "dol":
            pos = _dollar_end(sql, end, m.group())[0]
        elif kind == "lp":
            parens += end - pos
            pos = end
        elif kind == "rp":
            parens = max(0, parens - (end - pos))
            pos = end
        else:  # "n", "dots", "other"
            pos = end
    if content:
        out.append(sql[start:].strip(_WS_CHARS))
    return out, bool(out)


def split_statements(sql: str) -> List[str]:
    """Split a simple-Query string into its statements.

    Why: PostgreSQL runs every statement of a Query message separately (each
    gets its own CommandComplete or error), so the server must find the
    separating semicolons exactly as PostgreSQL's lexer would, never inside
    quotes, dollar quotes or comments.

    Each statement is returned without the separating ``;`` and with
    surrounding whitespace stripped; statements made only of whitespace and
    comments are dropped, as PostgreSQL skips empty statements.

    A text without a semicolon has nothing to split: it is one statement
    unless it is empty, which the lexer decides at its first token instead
    of reading the whole text (tools' catalog queries, sent with a new OID
    or name each time, are hundreds of characters long and have none).
    """
    if ";" not in sql:
        return [] if is_empty_query(sql) else [sql.strip(_WS_CHARS)]
    return _scan(sql)[0]


def count_statements(sql: str) -> int:
    """Number of statements :func:`split_statements` would return."""
    return len(split_statements(sql))


def is_empty_query(sql: str) -> bool:
    """True if *sql* has nothing but whitespace, comments and semicolons.

    Why: PostgreSQL answers such a Query with EmptyQueryResponse instead of a
    CommandComplete, and clients (psql, drivers' ping queries) rely on it.
    An unterminated ``/*`` comment is *not* empty: PostgreSQL reports an
    error for it.
    """
    return not _scan(sql, stop_at_content=True)[1]


def _skip_noise(stmt: str, pos: int, allow_parens: bool) -> int:
    """Skip whitespace and comments (and '(' if allowed) from *pos*."""
    n = len(stmt)
    while pos < n:
        c = stmt[pos]
        if c in _WS_CHARS:
            pos = _WS.match(stmt, pos).end()
        elif c == "-" and stmt.startswith("--", pos):
            pos = _line_comment_end(stmt, pos + 2)
        elif c == "/" and stmt.startswith("/*", pos):
            pos = _block_comment_end(stmt, pos + 2)[0]
        elif c == "(" and allow_parens:
            pos += 1
        else:
            break
    return pos


def first_keywords(stmt: str, n: int = 3) -> List[str]:
    """The first *n* words of *stmt*, upper-cased, for cheap classification.

    Why: deciding whether a statement is e.g. ``BEGIN``, ``SET`` or
    ``SELECT`` should not need a parser.  Leading whitespace, comments and
    opening parentheses (as in ``(SELECT 1) UNION ...``) are skipped; comments
    between words are skipped too.  Only bare words count (identifier
    characters, upper-cased in ASCII only, as PostgreSQL folds keywords):
    collection stops early at the first token that is not a word, such as a
    quote, number, operator or ``;``.
    """
    words: List[str] = []
    pos = 0
    allow_parens = True
    while len(words) < n:
        pos = _skip_noise(stmt, pos, allow_parens)
        m = _WORD.match(stmt, pos)
        if m is None:
            break
        # "E'..." is a string, not the word E.
        if m.end() < len(stmt) and stmt[m.end()] == "'" and m.end() - pos == 1 and stmt[pos] in "eE":
            break
        words.append(m.group().translate(_ASCII_UPPER))
        pos = m.end()
        allow_parens = False
    return words
