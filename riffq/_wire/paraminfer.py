"""Parameter types for a statement whose Parse message left them unspecified.

A client that sends Parse without parameter OIDs still needs a
ParameterDescription, and the type it gets decides how it encodes the
values.  A ``$n`` cast right away (``$1::int``, ``CAST($2 AS date)``) says
what the query expects, so that type is used; anything else is text, which
every client can send and PostgreSQL would coerce.  One linear scan that
skips quotes and comments; no SQL parser is needed.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

from . import pgtypes

# ---------------------------------------------------------------------------
# parameter type inference
# ---------------------------------------------------------------------------

_IDENT_START = r"A-Za-z_\u0080-\U0010ffff"
_SCAN_RE = re.compile(
    r"(?P<ws>[ \t\n\r\v\f]+)"
    r"|(?P<lc>--[^\n]*)"
    r"|(?P<bc>/\*)"
    r"|(?P<es>[eE]')"
    r"|(?P<sq>')"
    r"|(?P<dq>\")"
    r"|(?P<param>\$[0-9]+)"
    r"|(?P<dol>\$(?:[%s][%s0-9]*)?\$)" % (_IDENT_START, _IDENT_START)
    + r"|(?P<id>[%s][%s0-9$]*)" % (_IDENT_START, _IDENT_START)
    + r"|(?P<num>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<op>::|.)",
    re.S,
)
_SQ_BODY = re.compile(r"[^']*(?:''[^']*)*'")
_ES_BODY = re.compile(r"[^'\\]*(?:(?:\\.|'')[^'\\]*)*'", re.S)
_DQ_BODY = re.compile(r'[^"]*(?:""[^"]*)*"')
_COMMENT_EDGE = re.compile(r"/\*|\*/")
_MAX_PARAMS = 65535  # Bind's parameter count is an int16


def _skip_block_comment(sql: str, pos: int) -> int:
    """``pos`` is just after ``/*``; comments nest in PostgreSQL."""
    depth = 1
    while depth:
        m = _COMMENT_EDGE.search(sql, pos)
        if m is None:
            return len(sql)
        depth += 1 if m.group(0) == "/*" else -1
        pos = m.end()
    return pos


def _token(sql: str, pos: int) -> Tuple[Optional[str], str, int]:
    """Next significant token from ``pos``: (kind, text, end); strings,
    quoted identifiers and dollar quotes are whole tokens; comments and
    whitespace are skipped.  kind is None at the end of input."""
    n = len(sql)
    while pos < n:
        m = _SCAN_RE.match(sql, pos)
        kind = m.lastgroup  # type: ignore[union-attr]
        end = m.end()  # type: ignore[union-attr]
        if kind in ("ws", "lc"):
            pos = end
            continue
        if kind == "bc":
            pos = _skip_block_comment(sql, end)
            continue
        if kind in ("sq", "es", "dq"):
            body = {"sq": _SQ_BODY, "es": _ES_BODY, "dq": _DQ_BODY}[kind].match(sql, end)
            stop = body.end() if body is not None else n
            return kind, sql[pos:stop], stop
        if kind == "dol":
            tag = m.group(0)  # type: ignore[union-attr]
            close = sql.find(tag, end)
            stop = n if close < 0 else close + len(tag)
            return "str", sql[pos:stop], stop
        return kind, m.group(0), end  # type: ignore[union-attr]
    return None, "", n


def _parse_cast_type(sql: str, pos: int) -> Optional[str]:
    """Read a type name after ``::`` or ``AS``; returns a spec string for
    pgtypes.type_from_name, or None if it does not look like a type."""
    kind, text, pos = _token(sql, pos)
    if kind == "id":
        name = text.lower()
    elif kind == "dq":
        name = text.replace('""', '"')
        if name != '"char"':
            name = name[1:-1]
    else:
        return None
    k2, t2, p2 = _token(sql, pos)
    if k2 == "op" and t2 == ".":
        k3, t3, p3 = _token(sql, p2)
        if k3 != "id":
            return None
        name, pos = t3.lower(), p3
        k2, t2, p2 = _token(sql, pos)
    if name == "int":  # SQL's int is int4 (riffq's schema vocabulary says int8)
        name = "integer"
    if k2 == "id":
        w = t2.lower()
        if (name == "double" and w == "precision") or (name in ("character", "char") and w == "varying"):
            name += " " + w
            pos = p2
            k2, t2, p2 = _token(sql, pos)
    if k2 == "op" and t2 == "(":
        mods = []
        p = p2
        while True:
            k, t, p = _token(sql, p)
            if k == "op" and t == ")":
                break
            if k == "num" or (k == "op" and t in ",+-"):
                mods.append(t)
                continue
            return None
        name += "(" + "".join(mods) + ")"
        pos = p
        k2, t2, p2 = _token(sql, pos)
    if name.split("(")[0] in ("time", "timestamp") and k2 == "id" and t2.lower() in ("with", "without"):
        ka, ta, pa = _token(sql, p2)
        kb, tb, pb = _token(sql, pa)
        if ka == "id" and ta.lower() == "time" and kb == "id" and tb.lower() == "zone":
            name += " %s time zone" % t2.lower()
            pos = pb
            k2, t2, p2 = _token(sql, pos)
    while True:
        if k2 == "op" and t2 == "[":
            k, t, p = _token(sql, p2)
            if k == "num":
                k, t, p = _token(sql, p)
            if not (k == "op" and t == "]"):
                break
            name += "[]"
            pos = p
        elif k2 == "id" and t2.lower() == "array":
            name += "[]"
            pos = p2
        else:
            break
        k2, t2, p2 = _token(sql, pos)
    return name


def _resolve(spec: Optional[str]) -> Optional[int]:
    if spec is None:
        return None
    try:
        return pgtypes.type_from_name(spec).oid
    except ValueError:
        return None


def infer_param_types(sql: str, declared: Sequence[int]) -> List[int]:
    """Parameter type OIDs for a statement, as ParameterDescription needs.

    Declared (non-zero) OIDs from Parse win.  Otherwise a ``$n`` that is
    immediately cast (``$1::int``, ``CAST($2 AS timestamptz)``) gets the cast
    type; anything else is text (25), which every client can send.  Quotes,
    dollar quotes and comments are skipped; one linear pass.  References
    above 65535 (more than Bind can carry) are ignored.
    """
    found: Dict[int, int] = {}
    top = 0
    pos = 0
    prev1 = prev2 = ""
    while True:
        kind, text, end = _token(sql, pos)
        if kind is None:
            break
        if kind == "param":
            num = int(text[1:])
            if 1 <= num <= _MAX_PARAMS:
                if num > top:
                    top = num
                if num not in found:
                    oid = None
                    k, t, p = _token(sql, end)
                    if prev2 == "cast" and prev1 == "(":
                        if k == "id" and t.lower() == "as":
                            oid = _resolve(_parse_cast_type(sql, p))
                    elif k == "op" and t == "::":
                        oid = _resolve(_parse_cast_type(sql, p))
                    if oid is not None:
                        found[num] = oid
        prev2, prev1 = prev1, (text.lower() if kind == "id" else text)
        pos = end
    n = max(top, len(declared))
    out = []
    for i in range(n):
        d = declared[i] if i < len(declared) else 0
        out.append(d if d else found.get(i + 1, pgtypes.TEXT.oid))
    return out
