"""A PostgreSQL token stream for the catalog router and translator.

The statement splitter (``riffq._wire.sqlsplit``) only needs to know where
strings, quoted identifiers, dollar quotes and comments end; the catalog
translator needs the tokens themselves, with string escapes resolved and
operators cut the way PostgreSQL's ``scan.l`` cuts them.  The body skippers
are shared with the splitter so both agree on where every quoted thing ends.

Tokens are ``(kind, value, raw)`` tuples:

* ``word``   unquoted identifier or keyword, value lower-cased (ASCII only,
  as PostgreSQL folds case)
* ``qword``  ``"quoted identifier"``, value exactly as written
* ``str``    string constant (``'..'``, ``E'..'``, ``U&'..'``, ``$$..$$``),
  value with escapes resolved
* ``num``    numeric constant, value the literal text
* ``param``  ``$n``, value the number as int
* ``op``     operator (``=``, ``<>``, ``~*``, ``||``, ``::`` ...)
* ``punct``  one of ``( ) [ ] , ; . :``
* ``eof``    end of input
"""
from __future__ import annotations

import re
from typing import List, Tuple

from riffq._wire.sqlsplit import (
    _block_comment_end,
    _dollar_end,
    _estring_end,
    _line_comment_end,
    _quoted_end,
)

__all__ = ["Token", "tokenize", "SqlLexError"]

Token = Tuple[str, object, str]


class SqlLexError(ValueError):
    """Raised for text PostgreSQL's lexer would reject (unterminated quotes...)."""


_ID_START = "A-Za-z_\x80-\U0010ffff"
_ID_CONT = "A-Za-z_0-9$\x80-\U0010ffff"
_OP_CHARS = "+-*/<>=~!@#%^&|`?"

_TOKEN = re.compile(
    r"(?P<ws>[ \t\n\r\f\v]+)"
    r"|(?P<uamp>[uU]&['\"])"
    r"|(?P<pfx>[eEnN]')"
    r"|(?P<bits>[bBxX]')"
    r"|(?P<word>[" + _ID_START + r"][" + _ID_CONT + r"]*)"
    r"|(?P<num>(?:[0-9]+(?:\.(?!\.)[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<param>\$[0-9]+)"
    r"|(?P<dol>\$(?:[" + _ID_START + r"][A-Za-z_0-9\x80-\U0010ffff]*)?\$)"
    r"|(?P<sq>')"
    r"|(?P<dq>\")"
    r"|(?P<cast>::)"
    r"|(?P<op>[" + re.escape(_OP_CHARS) + r"]+)"
    r"|(?P<punct>[()\[\],;.:])"
)

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_E_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{4})"
                       r"|U([0-9A-Fa-f]{8})|([\s\S]))")
_U_ESCAPE = re.compile(r"\\(?:\\|([0-9A-Fa-f]{4})|\+([0-9A-Fa-f]{6}))")


def fold(word: str) -> str:
    """PostgreSQL's case folding of an unquoted identifier (ASCII only)."""
    return word.translate(_ASCII_LOWER)


def _e_unescape(body: str) -> str:
    def repl(m: "re.Match[str]") -> str:
        octal, hx, u4, u8, other = m.groups()
        if octal is not None:
            code = int(octal, 8) & 0xFF
        elif hx is not None:
            code = int(hx, 16)
        elif u4 is not None or u8 is not None:
            code = int(u4 or u8, 16)
        else:
            return _SIMPLE_ESCAPES.get(other, other)
        if code == 0 or code > 0x10FFFF:
            raise SqlLexError("invalid escape in E'' string")
        return chr(code)
    return _E_ESCAPE.sub(repl, body.replace("''", "'"))


def _u_unescape(body: str) -> str:
    def repl(m: "re.Match[str]") -> str:
        if m.group(0) == "\\\\":
            return "\\"
        code = int(m.group(1) or m.group(2), 16)
        if code == 0 or code > 0x10FFFF:
            raise SqlLexError("invalid Unicode escape value")
        return chr(code)
    rest = _U_ESCAPE.sub(repl, body)
    if "\\" in _U_ESCAPE.sub("", body):
        raise SqlLexError("invalid Unicode escape")
    return rest


def _cut_operator(text: str) -> str:
    """The operator PostgreSQL's lexer takes from a run of operator chars.

    A comment start ends the operator; a trailing ``+``/``-`` is given back
    unless the operator holds one of ``~!@#%^&|`?`` (so ``a=-1`` is ``=`` and
    ``-1``, as in scan.l).
    """
    for mark in ("--", "/*"):
        k = text.find(mark)
        if k > 0:
            text = text[:k]
    if len(text) > 1 and not any(c in "~!@#%^&|`?" for c in text):
        while len(text) > 1 and text[-1] in "+-":
            text = text[:-1]
    return text


def tokenize(sql: str) -> List[Token]:
    """Tokens of *sql*, ending with an ``eof`` token; comments are dropped."""
    out: List[Token] = []
    pos = 0
    n = len(sql)
    match = _TOKEN.match
    while pos < n:
        c = sql[pos]
        if c == "-" and sql.startswith("--", pos):
            pos = _line_comment_end(sql, pos + 2)
            continue
        if c == "/" and sql.startswith("/*", pos):
            pos, closed = _block_comment_end(sql, pos + 2)
            if not closed:
                raise SqlLexError("unterminated /* comment")
            continue
        m = match(sql, pos)
        if m is None:
            raise SqlLexError("syntax error at or near %r" % sql[pos])
        kind = m.lastgroup
        end = m.end()
        if kind == "ws":
            pos = end
            continue
        if kind == "word":
            out.append(("word", fold(m.group()), m.group()))
        elif kind == "num":
            out.append(("num", m.group(), m.group()))
        elif kind == "param":
            out.append(("param", int(m.group()[1:]), m.group()))
        elif kind == "cast":
            out.append(("op", "::", "::"))
        elif kind == "op":
            text = _cut_operator(m.group())
            end = pos + len(text)
            out.append(("op", text, text))
        elif kind == "punct":
            out.append(("punct", m.group(), m.group()))
        elif kind == "bits":
            raise SqlLexError("bit-string constants are not supported")
        else:
            end = _quoted_token(sql, pos, m, out)
        pos = end
    out.append(("eof", None, ""))
    return out


def _quoted_token(sql: str, pos: int, m: "re.Match[str]", out: List[Token]) -> int:
    """Append the string / quoted identifier starting at *pos*; return its end."""
    kind = m.lastgroup
    start = m.end()
    if kind == "dol":
        end, ok = _dollar_end(sql, start, m.group())
        if not ok:
            raise SqlLexError("unterminated dollar-quoted string")
        out.append(("str", sql[start:end - len(m.group())], sql[pos:end]))
        return end
    if kind == "pfx" and m.group()[0] in "eE":
        end, ok = _estring_end(sql, start)
        if not ok:
            raise SqlLexError("unterminated quoted string")
        out.append(("str", _e_unescape(sql[start:end - 1]), sql[pos:end]))
        return end
    quote = sql[start - 1]
    end, ok = _quoted_end(sql, start, quote)
    if not ok:
        raise SqlLexError("unterminated quoted %s" % ("identifier" if quote == '"' else "string"))
    body = sql[start:end - 1].replace(quote * 2, quote)
    if kind == "uamp":
        if re.match(r"\s*uescape\b", sql[end:], re.I):
            raise SqlLexError("UESCAPE is not supported")
        body = _u_unescape(body)
    if quote == '"':
        if not body:
            raise SqlLexError("zero-length delimited identifier")
        out.append(("qword", body, sql[pos:end]))
    else:
        out.append(("str", body, sql[pos:end]))
    return end
