"""Tokens of the session statements: PostgreSQL's keywords and lexer rules.

SET values are flattened from tokens exactly as PostgreSQL's scanner reads
them (string forms ``'...'``, ``E'...'``, ``U&'...'`` with ``UESCAPE``,
dollar quotes, literal continuation across newlines, numbers, operators),
and whether an identifier needs quotes in ``SHOW search_path`` depends on
the keyword lists, so both are ported here from PostgreSQL 15.  The grammar
that consumes the tokens is :mod:`.session_sql`.
"""
from __future__ import annotations

import re
from typing import Iterator, List, Tuple

from .session_sql_commands import SqlSyntaxError, StatementError
from .sqlsplit import _WORD, _block_comment_end, _dollar_end, _estring_end, _line_comment_end, _quoted_end

# ---------------------------------------------------------------------------
# Keywords (PostgreSQL 15, pg_get_keywords())
# ---------------------------------------------------------------------------

_RESERVED = frozenset("""
all analyse analyze and any array as asc asymmetric both case cast check collate column
constraint create current_catalog current_date current_role current_time current_timestamp
current_user default deferrable desc distinct do else end except false fetch for foreign from
grant group having in initially intersect into lateral leading limit localtime localtimestamp
not null offset on only or order placing primary references returning select session_user
some symmetric table then to trailing true union unique user using variadic when where window
with
""".split())

_TYPE_FUNC = frozenset("""
authorization binary collation concurrently cross current_schema freeze full ilike inner is
isnull join left like natural notnull outer overlaps right similar tablesample verbose
""".split())

_COL_NAME = frozenset("""
between bigint bit boolean char character coalesce dec decimal exists extract float greatest
grouping inout int integer interval least national nchar none normalize nullif numeric out
overlay position precision real row setof smallint substring time timestamp treat trim values
varchar xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi
xmlroot xmlserialize xmltable
""".split())

_UNRESERVED = frozenset("""
abort absolute access action add admin after aggregate also alter always asensitive assertion
assignment at atomic attach attribute backward before begin breadth by cache call called
cascade cascaded catalog chain characteristics checkpoint class close cluster columns comment
comments commit committed compression configuration conflict connection constraints content
continue conversion copy cost csv cube current cursor cycle data database day deallocate
declare defaults deferred definer delete delimiter delimiters depends depth detach dictionary
disable discard document domain double drop each enable encoding encrypted enum escape event
exclude excluding exclusive execute explain expression extension external family filter
finalize first following force forward function functions generated global granted groups
handler header hold hour identity if immediate immutable implicit import include including
increment index indexes inherit inherits inline input insensitive insert instead invoker
isolation key label language large last leakproof level listen load local location lock locked
logged mapping match matched materialized maxvalue merge method minute minvalue mode month move
name names new next nfc nfd nfkc nfkd no normalized nothing notify nowait nulls object of off
oids old operator option options ordinality others over overriding owned owner parallel
parameter parser partial partition passing password plans policy preceding prepare prepared
preserve prior privileges procedural procedure procedures program publication quote range read
reassign recheck recursive ref referencing refresh reindex relative release rename repeatable
replace replica reset restart restrict return returns revoke role rollback rollup routine
routines rows rule savepoint schema schemas scroll search second security sequence sequences
serializable server session set sets share show simple skip snapshot sql stable standalone start
statement statistics stdin stdout storage stored strict strip subscription support sysid system
tables tablespace temp template temporary text ties transaction transform trigger truncate
trusted type types uescape unbounded uncommitted unencrypted unknown unlisten unlogged until
update vacuum valid validate validator value varying version view views volatile whitespace
within without work wrapper write xml year yes zone
""".split())

_ANY_KEYWORD = _RESERVED | _TYPE_FUNC | _COL_NAME | _UNRESERVED

#: Parameters that accept a list of values (PostgreSQL's GUC_LIST_INPUT);
#: every other parameter takes exactly one value.
LIST_INPUT_PARAMETERS = frozenset([
    "datestyle", "search_path", "temp_tablespaces", "session_preload_libraries",
    "shared_preload_libraries", "local_preload_libraries", "log_destination",
    "listen_addresses", "unix_socket_directories", "synchronous_standby_names",
    "wal_consistency_checking", "debug_io_direct", "createrole_self_grant",
    "restrict_nonsystem_relation_kind",
])

#: List parameters whose elements are identifiers and get quoted
#: (PostgreSQL's GUC_LIST_QUOTE).
LIST_QUOTE_PARAMETERS = frozenset([
    "search_path", "temp_tablespaces", "session_preload_libraries",
    "shared_preload_libraries", "local_preload_libraries",
])

_NAMEDATALEN = 64
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SAFE_IDENT = re.compile(r"[a-z_][a-z0-9_]*\Z")


def quote_identifier(ident: str) -> str:
    """Quote *ident* as PostgreSQL's quote_identifier() does.

    Why: that is how SET renders the elements of ``search_path`` and other
    identifier lists, and clients compare ``SHOW search_path`` output.
    Quoting is skipped only for lower-case ASCII identifiers that are not
    keywords other than unreserved ones.
    """
    if _SAFE_IDENT.match(ident) and (ident not in _ANY_KEYWORD or ident in _UNRESERVED):
        return ident
    return '"' + ident.replace('"', '""') + '"'


def truncate_identifier(ident: str) -> str:
    """Cut an identifier to NAMEDATALEN-1 bytes, on a character boundary,
    like PostgreSQL does (identifiers, values of type name, application_name)."""
    if len(ident) < _NAMEDATALEN // 4 + 1:
        return ident
    raw = ident.encode("utf-8", "surrogatepass")
    if len(raw) < _NAMEDATALEN:
        return ident
    return raw[:_NAMEDATALEN - 1].decode("utf-8", "ignore")


# ---------------------------------------------------------------------------
# Lexer
# ---------------------------------------------------------------------------

class _Tok:
    """One token: kind, semantic value and its span in the statement."""

    __slots__ = ("kind", "value", "start", "end")

    def __init__(self, kind: str, value: str, start: int, end: int) -> None:
        # kinds: word (unquoted identifier or keyword, value lower-cased),
        # ident (quoted identifier), str, int, num, param, bconst, op
        self.kind = kind
        self.value = value
        self.start = start
        self.end = end

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "_Tok(%s, %r)" % (self.kind, self.value)


_OP_CHARS = frozenset("~!@#^&|`?+-*/%<>=")
_NON_MATH = frozenset("~!@#^&|`?%")
_OP_RUN = re.compile(r"[~!@#^&|`?+\-*/%<>=]+")
_NUMBER = re.compile(r"(?:[0-9]+\.(?!\.)[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PARAM = re.compile(r"\$[0-9]+")
_DOLLAR = re.compile(r"\$(?:[A-Za-z_\x80-\U0010ffff][A-Za-z_0-9\x80-\U0010ffff]*)?\$")
_WS_RUN = re.compile(r"[ \t\n\r\f\v]+")
_WS_CHARS = " \t\n\r\f\v"
_SPACE_START = frozenset(" \t\n\r\f\v-/")
_SEMI_RUN = re.compile(r";[; \t\n\r\f\v]*")
_E_ESCAPE = re.compile(
    r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|([uU])|([\s\S]))")
_SINGLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_HEX = frozenset("0123456789abcdefABCDEF")


def _lex_error(message: str, s: str, start: int, end: int) -> SqlSyntaxError:
    return SqlSyntaxError('%s at or near "%s"' % (message, s[start:end]), start + 1)


def _skip_space(s: str, pos: int) -> int:
    """Skip whitespace and comments; an unterminated /* is an error."""
    n = len(s)
    while pos < n:
        c = s[pos]
        if c in _WS_CHARS:
            pos = _WS_RUN.match(s, pos).end()
        elif c == "-" and s.startswith("--", pos):
            pos = _line_comment_end(s, pos + 2)
        elif c == "/" and s.startswith("/*", pos):
            end, ok = _block_comment_end(s, pos + 2)
            if not ok:
                raise _lex_error("unterminated /* comment", s, pos, end)
            pos = end
        else:
            break
    return pos


def _continuation(s: str, pos: int) -> int:
    """If a string literal continues after *pos*, return the index of its quote.

    PostgreSQL glues ``'a'`` and ``'b'`` together when only whitespace with
    at least one newline (and ``--`` comments) separates them.  Returns -1
    otherwise.
    """
    n = len(s)
    newline = False
    while pos < n:
        c = s[pos]
        if c in "\n\r":
            newline = True
            pos += 1
        elif c in " \t\f\v":
            pos += 1
        elif c == "-" and s.startswith("--", pos):
            pos = _line_comment_end(s, pos + 2)
        else:
            break
    if newline and pos < n and s[pos] == "'":
        return pos
    return -1


def _decode_estring(body: str, s: str, at: int) -> bytes:
    """Apply E'' backslash escapes to one literal piece starting at s[at].

    Returns bytes because octal and hex escapes produce raw bytes; the caller
    checks that all pieces together are valid UTF-8.  Surrogate and code
    point errors point at the offending escape, like PostgreSQL.
    """
    out = bytearray()
    pos = 0
    high = -1  # first half of a surrogate pair, waiting for the second
    for m in _E_ESCAPE.finditer(body):
        if m.start() > pos:
            if high >= 0:
                raise _lex_error("invalid Unicode surrogate pair", s, at + pos, at + pos + 1)
            out += body[pos:m.start()].replace("''", "'").encode("utf-8", "surrogatepass")
        esc_start, esc_end = at + m.start(), at + m.end()
        pos = m.end()
        octal, hexa, u4, u8, ufail, other = m.groups()
        if u4 is not None or u8 is not None:
            cp = int(u4 or u8, 16)
            if high >= 0:
                if not 0xDC00 <= cp <= 0xDFFF:
                    raise _lex_error("invalid Unicode surrogate pair", s, esc_start, esc_end)
                cp = 0x10000 + ((high - 0xD800) << 10) + (cp - 0xDC00)
                high = -1
            elif 0xD800 <= cp <= 0xDBFF:
                high = cp
                continue
            elif 0xDC00 <= cp <= 0xDFFF:
                raise _lex_error("invalid Unicode surrogate pair", s, esc_start, esc_end)
            if cp == 0 or cp > 0x10FFFF:
                raise _lex_error("invalid Unicode escape value", s, esc_start, esc_end)
            out += chr(cp).encode("utf-8")
            continue
        if high >= 0:
            raise _lex_error("invalid Unicode surrogate pair", s, esc_start, esc_start + 1)
        if ufail is not None:
            raise _UESCAPE_FAIL
        if octal is not None:
            out.append(int(octal, 8) & 0xFF)
        elif hexa is not None:
            out.append(int(hexa, 16))
        else:
            out += _SINGLE_ESCAPES.get(other, other).encode("utf-8", "surrogatepass")
    if pos < len(body):
        if high >= 0:
            raise _lex_error("invalid Unicode surrogate pair", s, at + pos, at + pos + 1)
        out += body[pos:].replace("''", "'").encode("utf-8", "surrogatepass")
    elif high >= 0:
        # Nothing after the first half but the closing quote.
        raise _lex_error("invalid Unicode surrogate pair", s, at + pos, at + pos + 1)
    return bytes(out)


class _UEscapeFail(Exception):
    """A \\u or \\U without enough hex digits (reported at the string start)."""


_UESCAPE_FAIL = _UEscapeFail()


def _utf8(raw: bytes) -> str:
    """Decode E'' bytes, failing like PostgreSQL's encoding check (22021)."""
    bad = raw.find(b"\x00")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start if bad < 0 else min(bad, exc.start)
        text = ""
    if bad >= 0:
        lead = raw[bad]
        if lead & 0xE0 == 0xC0:
            width = 2
        elif lead & 0xF0 == 0xE0:
            width = 3
        elif lead & 0xF8 == 0xF0:
            width = 4
        else:
            width = 1
        seq = " ".join("0x%02x" % b for b in raw[bad:bad + width])
        raise StatementError("22021", 'invalid byte sequence for encoding "UTF8": %s' % seq)
    return text


def _decode_unicode(body: str, esc: str, s: str, start: int) -> str:
    """Apply U&'' escapes (``\\XXXX``, ``\\+XXXXXX``, doubled escape char)."""
    out: List[str] = []
    i = 0
    n = len(body)
    pending_high = -1
    hint = "Unicode escapes must be \\XXXX or \\+XXXXXX."

    def fail(msg: str) -> StatementError:
        return SqlSyntaxError(msg, start + 1, hint)

    while i < n:
        j = body.find(esc, i)
        if j < 0:
            if pending_high >= 0:
                raise fail("invalid Unicode surrogate pair")
            out.append(body[i:])
            break
        if j > i:
            if pending_high >= 0:
                raise fail("invalid Unicode surrogate pair")
            out.append(body[i:j])
        if body.startswith(esc, j + 1):
            if pending_high >= 0:
                raise fail("invalid Unicode surrogate pair")
            out.append(esc)
            i = j + 2
            continue
        if j + 5 <= n and all(c in _HEX for c in body[j + 1:j + 5]):
            cp = int(body[j + 1:j + 5], 16)
            i = j + 5
        elif j + 8 <= n and body[j + 1] == "+" and all(c in _HEX for c in body[j + 2:j + 8]):
            cp = int(body[j + 2:j + 8], 16)
            i = j + 8
        else:
            raise fail("invalid Unicode escape")
        if pending_high >= 0:
            if not 0xDC00 <= cp <= 0xDFFF:
                raise fail("invalid Unicode surrogate pair")
            cp = 0x10000 + ((pending_high - 0xD800) << 10) + (cp - 0xDC00)
            pending_high = -1
        elif 0xD800 <= cp <= 0xDBFF:
            pending_high = cp
            continue
        elif 0xDC00 <= cp <= 0xDFFF:
            raise fail("invalid Unicode surrogate pair")
        if cp == 0 or cp > 0x10FFFF:
            raise fail("invalid Unicode escape value")
        out.append(chr(cp))
    if pending_high >= 0:
        raise fail("invalid Unicode surrogate pair")
    return "".join(out)


def _read_string(s: str, pos: int, escapes: bool, token_start: int) -> Tuple[str, int]:
    """Read a '...' (or E'...') literal whose quote is at *pos*, with continuations.

    Returns (value, end).  *token_start* (which includes an E prefix) is where
    PostgreSQL points for errors about the whole literal.
    """
    pieces: List[str] = []
    raw = bytearray()
    while True:
        if escapes:
            end, ok = _estring_end(s, pos + 1)
        else:
            end, ok = _quoted_end(s, pos + 1, "'")
        if not ok:
            raise _lex_error("unterminated quoted string", s, token_start, end)
        if escapes:
            try:
                raw += _decode_estring(s[pos + 1:end - 1], s, pos + 1)
            except _UEscapeFail:
                raise StatementError("22025", "invalid Unicode escape", token_start + 1,
                                     "Unicode escapes must be \\uXXXX or \\UXXXXXXXX.")
        else:
            pieces.append(s[pos + 1:end - 1].replace("''", "'"))
        nxt = _continuation(s, end)
        if nxt < 0:
            break
        pos = nxt
    if escapes:
        return _utf8(bytes(raw)), end
    return "".join(pieces), end


def _lex(s: str) -> Iterator[_Tok]:
    """PostgreSQL's lexer, reduced to what SET/SHOW/... statements need.

    A generator, so that (like PostgreSQL, whose parser pulls tokens) a
    syntax error is found before lexing the rest of a long statement, and so
    that memory stays bounded.
    """
    n = len(s)
    pos = _skip_space(s, 0)
    while pos < n:
        c = s[pos]
        start = pos
        m = _WORD.match(s, pos)
        if m is not None:
            w = m.group()
            end = m.end()
            nxt = s[end] if end < n else ""
            if len(w) == 1 and nxt == "'" and w in "eE":
                value, end = _read_string(s, end, True, start)
                yield _Tok("str", value, start, end)
            elif len(w) == 1 and nxt == "'" and w in "bBxX":
                end, ok = _quoted_end(s, end + 1, "'")
                if not ok:
                    raise _lex_error("unterminated %s string literal" % (
                        "bit" if w in "bB" else "hexadecimal"), s, start, end)
                yield _Tok("bconst", s[start:end], start, end)
            elif len(w) == 1 and nxt == "'" and w in "nN":
                # N'...' is the keyword NCHAR followed by a plain string.
                yield _Tok("word", "nchar", start, end)
            elif len(w) == 1 and w in "uU" and s.startswith("&'", end):
                value, end = _read_string(s, end + 1, False, start)
                value, end = _apply_uescape(s, value, start, end)
                yield _Tok("str", value, start, end)
            elif len(w) == 1 and w in "uU" and s.startswith('&"', end):
                qend, ok = _quoted_end(s, end + 2, '"')
                if not ok:
                    raise _lex_error("unterminated quoted identifier", s, start, qend)
                value = s[end + 2:qend - 1].replace('""', '"')
                if not value:
                    raise _lex_error("zero-length delimited identifier", s, start, qend)
                value, qend = _apply_uescape(s, value, start, qend)
                yield _Tok("ident", truncate_identifier(value), start, qend)
                end = qend
            else:
                yield _Tok("word", truncate_identifier(w.translate(_LOWER)), start, end)
        elif c == "'":
            value, end = _read_string(s, pos, False, start)
            yield _Tok("str", value, start, end)
        elif c == '"':
            end, ok = _quoted_end(s, pos + 1, '"')
            if not ok:
                raise _lex_error("unterminated quoted identifier", s, start, end)
            value = s[pos + 1:end - 1].replace('""', '"')
            if not value:
                raise _lex_error("zero-length delimited identifier", s, start, end)
            yield _Tok("ident", truncate_identifier(value), start, end)
        elif c == "$":
            dm = _DOLLAR.match(s, pos)
            if dm is not None:
                end, ok = _dollar_end(s, dm.end(), dm.group())
                if not ok:
                    raise _lex_error("unterminated dollar-quoted string", s, start, end)
                yield _Tok("str", s[dm.end():end - len(dm.group())], start, end)
            else:
                pm = _PARAM.match(s, pos)
                end = pm.end() if pm is not None else pos + 1
                yield _Tok("param" if pm is not None else "op", s[start:end], start, end)
        elif c.isdigit() and c < "\x80" or (c == "." and pos + 1 < n and "0" <= s[pos + 1] <= "9"):
            nm = _NUMBER.match(s, pos)
            end = nm.end()
            text = nm.group()
            if text.isdigit() and len(text.lstrip("0")) <= 10 and int(text) <= 0x7FFFFFFF:
                yield _Tok("int", str(int(text)), start, end)
            else:
                yield _Tok("num", text, start, end)
        elif c in _OP_CHARS:
            end = _operator_end(s, pos)
            yield _Tok("op", s[start:end], start, end)
        elif c == ":" and pos + 1 < n and s[pos + 1] in ":=":
            end = pos + 2
            yield _Tok("op", s[start:end], start, end)
        elif c == "." and s.startswith("..", pos):
            end = pos + 2
            yield _Tok("op", "..", start, end)
        elif c == ";":
            # A run of ';' is one token: only trailing ones are tolerated and
            # each would be reported as ";" anyway.
            end = _SEMI_RUN.match(s, pos).end()
            yield _Tok("op", ";", start, start + 1)
        else:
            end = pos + 1
            yield _Tok("op", c, start, end)
        pos = end
        if pos < n and s[pos] in _SPACE_START:
            pos = _skip_space(s, pos)


def _operator_end(s: str, pos: int) -> int:
    """PostgreSQL's operator rule: a run of operator characters, trimmed.

    The run stops before ``--`` or ``/*``; a trailing ``+``/``-`` is split off
    unless the operator contains one of ``~!@#^&|`?%`` (so ``=-5`` is ``=``
    followed by ``-5``).
    """
    m = _OP_RUN.match(s, pos)
    text = m.group()
    cut = len(text)
    for marker in ("--", "/*"):
        k = text.find(marker)
        if 0 <= k < cut:
            cut = k
    if cut > 1 and text[cut - 1] in "+-":
        if not any(ch in _NON_MATH for ch in text[:cut - 1]):
            while cut > 1 and text[cut - 1] in "+-":
                cut -= 1
    return pos + cut


def _apply_uescape(s: str, value: str, start: int, end: int) -> Tuple[str, int]:
    """Handle an optional ``UESCAPE 'c'`` after a U& literal, then decode."""
    esc = "\\"
    after = _skip_space(s, end)
    m = _WORD.match(s, after)
    if m is not None and m.group().translate(_LOWER) == "uescape":
        q = _skip_space(s, m.end())
        if q < len(s) and s[q] == "'":
            qend, ok = _quoted_end(s, q + 1, "'")
            if not ok:
                raise _lex_error("unterminated quoted string", s, q, qend)
            cand = s[q + 1:qend - 1].replace("''", "'")
            if len(cand) != 1 or cand in _HEX or cand in "+'\"" or cand in _WS_CHARS:
                raise SqlSyntaxError("invalid Unicode escape character", q + 1)
            esc = cand
            end = qend
        else:
            raise SqlSyntaxError("UESCAPE must be followed by a simple string literal", after + 1)
    return _decode_unicode(value, esc, s, start), end
