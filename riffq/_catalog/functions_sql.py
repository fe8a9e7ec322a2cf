"""PostgreSQL's pure SQL functions and operators, as SQLite functions.

These need nothing from the catalog: regular expressions (PostgreSQL's
ARE flavour mapped onto Python's ``re``), LIKE / SIMILAR TO, arrays (kept
as JSON text in SQLite, see the catalog contract) and string helpers whose
PostgreSQL semantics differ from SQLite's built-ins.
"""
from __future__ import annotations

import datetime as _dt
import functools
import json
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

from .._wire.errors import PgError

# --- arrays -------------------------------------------------------------------


def parse_array_literal(text: str) -> List[Any]:
    """Parse PostgreSQL's array text (``{a,"b c",NULL}``); nested braces nest."""
    pos = 0
    s = text.strip()

    def fail() -> PgError:
        return PgError("22P02", 'malformed array literal: "%s"' % text)

    def parse() -> List[Any]:
        nonlocal pos
        if pos >= len(s) or s[pos] != "{":
            raise fail()
        pos += 1
        out: List[Any] = []
        if pos < len(s) and s[pos] == "}":
            pos += 1
            return out
        while True:
            while pos < len(s) and s[pos].isspace():
                pos += 1
            if pos >= len(s):
                raise fail()
            if s[pos] == "{":
                out.append(parse())
            elif s[pos] == '"':
                pos += 1
                buf = []
                while pos < len(s) and s[pos] != '"':
                    if s[pos] == "\\" and pos + 1 < len(s):
                        pos += 1
                    buf.append(s[pos])
                    pos += 1
                if pos >= len(s):
                    raise fail()
                pos += 1
                out.append("".join(buf))
            else:
                start = pos
                while pos < len(s) and s[pos] not in ",}":
                    pos += 1
                word = s[start:pos].strip()
                out.append(None if word.upper() == "NULL" else word)
            while pos < len(s) and s[pos].isspace():
                pos += 1
            if pos >= len(s):
                raise fail()
            if s[pos] == ",":
                pos += 1
                continue
            if s[pos] == "}":
                pos += 1
                return out
            raise fail()

    result = parse()
    if s[pos:].strip():
        raise fail()
    return result


def to_list(value: Any) -> Optional[List[Any]]:
    """An array value as stored in SQLite (JSON text, PG array text or a
    vector's space-separated numbers) as a Python list."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, (int, float)):
        return [value]
    s = str(value).strip()
    if s.startswith("["):
        bounds = _BOUNDS.match(s)
        if bounds is not None:
            s = s[bounds.end():]
        try:
            out = json.loads(s)
        except ValueError:
            raise PgError("22P02", 'malformed array literal: "%s"' % s) from None
        return out if isinstance(out, list) else [out]
    if s.startswith("{"):
        return parse_array_literal(s)
    if not s:
        return []
    parts = s.split()
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise PgError("22P02", 'malformed array literal: "%s"' % s) from None


def to_json(items: Optional[List[Any]]) -> Optional[str]:
    return None if items is None else json.dumps(items, separators=(",", ":"))


#: PostgreSQL's dimension decoration, ``[0:1]=``, before an array's items
_BOUNDS = re.compile(r"\[(-?\d+):(-?\d+)\]=")


def bounded_json(items: List[Any], lower: int) -> str:
    """An array whose subscripts start at ``lower``: a vector (int2vector,
    oidvector) cast to an array keeps its zero-based subscripts, which
    PostgreSQL prints as ``[0:1]={...}``; stored as that prefix + JSON."""
    if lower == 1 or not items:
        return json.dumps(items, separators=(",", ":"))
    return "[%d:%d]=%s" % (lower, lower + len(items) - 1, json.dumps(items, separators=(",", ":")))


def lower_bound(value: Any) -> int:
    """The first subscript of an array value as stored (1 unless decorated)."""
    if isinstance(value, str) and value[:1] == "[":
        m = _BOUNDS.match(value)
        if m is not None:
            return int(m.group(1))
    return 1


class BoundedArray(list):
    """A result array whose subscripts start at ``lower_bound`` (the wire
    encoders print and send that bound)."""

    def __init__(self, items: List[Any], lower: int) -> None:
        super().__init__(items)
        self.lower_bound = lower


def pg_array(*args: Any) -> str:
    return to_json(list(args))


def pg_array_json(value: Any) -> Optional[str]:
    """JSON arrays pass; PostgreSQL array text (``'{a,b,""}'``, as a client
    sends an array parameter) becomes a JSON array of its text elements."""
    return to_json(to_list(value))


def pg_array_cat(a: Any, b: Any) -> Optional[str]:
    """``array || array``: NULL on one side yields the other."""
    if a is None or b is None:
        return pg_array_json(b if a is None else a)
    return to_json(to_list(a) + to_list(b))


def pg_subscript(arr: Any, index: Any, lower: Any = 1) -> Any:
    items = to_list(arr)
    if items is None or index is None:
        return None
    i = int(index) - int(lower if lower is not None else 1)
    if 0 <= i < len(items):
        v = items[i]
        return to_json(v) if isinstance(v, list) else v
    return None


def array_to_string(arr: Any, sep: Any, null: Any = None) -> Optional[str]:
    items = to_list(arr)
    if items is None or sep is None:
        return None
    out = []
    for v in items:
        if v is None:
            if null is not None:
                out.append(str(null))
        else:
            out.append(_text(v))
    return str(sep).join(out)


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def array_length(arr: Any, dim: Any) -> Optional[int]:
    items = to_list(arr)
    if items is None or dim is None or not items:
        return None
    return len(items) if int(dim) == 1 else None


def array_lower(arr: Any, dim: Any) -> Optional[int]:
    items = to_list(arr)
    return lower_bound(arr) if items and int(dim) == 1 else None


def array_upper(arr: Any, dim: Any) -> Optional[int]:
    n = array_length(arr, dim)
    return None if n is None else lower_bound(arr) + n - 1


def cardinality(arr: Any) -> Optional[int]:
    items = to_list(arr)
    return None if items is None else len(items)


def array_position(arr: Any, value: Any) -> Optional[int]:
    items = to_list(arr)
    if items is None:
        return None
    for i, v in enumerate(items):
        if _loose_eq(v, value):
            return i + 1
    return None


def _loose_eq(a: Any, b: Any) -> bool:
    """Equality between a JSON element and an SQL value (ints may be text)."""
    if a is None or b is None:
        return False
    if isinstance(a, (int, float)) and isinstance(b, str) or isinstance(b, (int, float)) and \
            isinstance(a, str):
        try:
            return float(a) == float(b)
        except ValueError:
            return False
    return a == b


def pg_series(start: Any, stop: Any, step: Any = 1) -> Optional[str]:
    if start is None or stop is None or step is None:
        return None
    step = int(step)
    if step == 0:
        raise PgError("22023", "step size cannot equal zero")
    start, stop = int(start), int(stop)
    if abs((stop - start) // step) > 1_000_000:
        raise PgError("54000", "catalog emulation limits generate_series to a million rows")
    return to_json(list(range(start, stop + (1 if step > 0 else -1), step)))


# --- regular expressions ------------------------------------------------------

_CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": r"\s", "punct": r"!-/:-@\[-`{-~", "xdigit": "0-9A-Fa-f", "word": r"\w",
    "blank": r" \t", "cntrl": r"\x00-\x1f\x7f", "print": r"\x20-\x7e", "graph": r"\x21-\x7e",
}
_ESCAPES = {"m": r"\b", "M": r"\b", "y": r"\b", "Y": r"\B", "Z": r"\Z", "A": r"\A"}


@functools.lru_cache(maxsize=512)
def compile_are(pattern: str, icase: bool) -> "re.Pattern[str]":
    """Translate a PostgreSQL advanced regular expression to Python's re."""
    flags = re.IGNORECASE if icase else 0
    if pattern.startswith("***="):
        return re.compile(re.escape(pattern[4:]), flags)
    if pattern.startswith("***:"):
        pattern = pattern[4:]
    m = re.match(r"^\(\?([bcegiqmnpstwx]+)\)", pattern)
    if m:
        for opt in m.group(1):
            if opt == "i":
                flags |= re.IGNORECASE
            elif opt == "c":
                flags &= ~re.IGNORECASE
            elif opt in "nw":
                flags |= re.MULTILINE
            elif opt == "x":
                flags |= re.VERBOSE
            elif opt == "q":
                return re.compile(re.escape(pattern[m.end():]), flags)
        pattern = pattern[m.end():]
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(_ESCAPES.get(nxt, c + nxt))
            i += 2
            continue
        if c == "[" and pattern.startswith("[:", i) is False:
            j = i + 1
            buf = ["["]
            if j < len(pattern) and pattern[j] == "^":
                buf.append("^")
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                buf.append(r"\]")
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                if pattern.startswith("[:", j):
                    end = pattern.find(":]", j)
                    name = pattern[j + 2:end] if end > 0 else ""
                    if name not in _CLASSES:
                        raise PgError("2201B", "invalid regular expression: invalid character class")
                    buf.append(_CLASSES[name])
                    j = end + 2
                    continue
                if pattern[j] == "\\" and j + 1 < len(pattern):
                    buf.append(pattern[j:j + 2])
                    j += 2
                    continue
                if pattern[j] == "[":
                    buf.append(r"\[")
                else:
                    buf.append(pattern[j])
                j += 1
            buf.append("]")
            out.append("".join(buf))
            i = j + 1
            continue
        out.append(c)
        i += 1
    try:
        return re.compile("".join(out), flags)
    except re.error as exc:
        raise PgError("2201B", "invalid regular expression: %s" % exc) from None


def pg_regex(value: Any, pattern: Any, icase: Any = 0) -> Optional[int]:
    if value is None or pattern is None:
        return None
    # called once per catalog row by ~ filters: plain str needs no conversion
    rx = compile_are(pattern if type(pattern) is str else str(pattern), bool(icase))
    return 1 if rx.search(value if type(value) is str else _text(value)) else 0


def regexp_replace(value: Any, pattern: Any, repl: Any, flags: Any = "") -> Optional[str]:
    if value is None or pattern is None or repl is None:
        return None
    flags = flags or ""
    rx = compile_are(str(pattern), "i" in flags)
    py_repl = re.sub(r"\\(\d)|\\&|\\\\|&", lambda m: "\\g<%s>" % m.group(1) if m.group(1)
                     else ("\\\\" if m.group(0) == "\\\\" else
                           ("\\g<0>" if m.group(0) == "\\&" else "&")), str(repl))
    return rx.sub(py_repl, str(value), count=0 if "g" in flags else 1)


def regexp_split_to_array(value: Any, pattern: Any, flags: Any = "") -> Optional[str]:
    """The pieces between matches, with PostgreSQL's rule for empty
    matches: a match counts only when it starts before the end of the
    string and ends after the previous match did."""
    if value is None or pattern is None:
        return None
    text = str(value)
    rx = compile_are(str(pattern), "i" in (flags or ""))
    pieces, piece_start, prev_end, pos = [], 0, 0, 0
    while pos <= len(text):
        m = rx.search(text, pos)
        if m is None:
            break
        if m.start() < len(text) and m.end() > prev_end:
            pieces.append(text[piece_start:m.start()])
            piece_start = m.end()
        prev_end = m.end()
        pos = m.end() + (1 if m.end() == m.start() else 0)
    pieces.append(text[piece_start:])
    return to_json(pieces)


def regexp_match(value: Any, pattern: Any, flags: Any = "") -> Optional[str]:
    if value is None or pattern is None:
        return None
    m = compile_are(str(pattern), "i" in (flags or "")).search(str(value))
    if m is None:
        return None
    return to_json(list(m.groups()) if m.groups() else [m.group(0)])


@functools.lru_cache(maxsize=512)
def _like_regex(pattern: str, icase: bool, escape: Optional[str], similar: bool) -> "re.Pattern[str]":
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if escape and c == escape:
            if i + 1 >= len(pattern):
                raise PgError("22025", "LIKE pattern must not end with escape character")
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        elif similar and c in "|*+?()[]{}":
            out.append(c)
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if icase else 0))


def pg_like(value: Any, pattern: Any, icase: Any = 0, escape: Any = "\\") -> Optional[int]:
    if value is None or pattern is None:
        return None
    esc = None if escape in (None, "") else str(escape)
    return 1 if _like_regex(str(pattern), bool(icase), esc, False).fullmatch(_text(value)) else 0


def pg_similar(value: Any, pattern: Any) -> Optional[int]:
    if value is None or pattern is None:
        return None
    return 1 if _like_regex(str(pattern), False, "\\", True).fullmatch(_text(value)) else 0


# --- ANY / ALL ------------------------------------------------------------------

def _coerce_pair(a: Any, b: Any) -> Tuple[Any, Any]:
    if isinstance(a, (int, float)) and isinstance(b, str):
        try:
            return a, type(a)(b) if not isinstance(a, bool) else int(b)
        except ValueError:
            return str(a), b
    if isinstance(b, (int, float)) and isinstance(a, str):
        y, x = _coerce_pair(b, a)
        return x, y
    return a, b


_OPS: Dict[str, Callable[[Any, Any], Optional[bool]]] = {
    "=": lambda a, b: a == b, "<>": lambda a, b: a != b, "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "~": lambda a, b: bool(pg_regex(a, b, 0)), "~*": lambda a, b: bool(pg_regex(a, b, 1)),
    "!~": lambda a, b: not pg_regex(a, b, 0), "!~*": lambda a, b: not pg_regex(a, b, 1),
    "like": lambda a, b: bool(pg_like(a, b, 0)), "ilike": lambda a, b: bool(pg_like(a, b, 1)),
}


def _quantified(value: Any, op: Any, arr: Any, want_all: bool) -> Optional[int]:
    items = to_list(arr)
    if items is None:
        return None
    fn = _OPS.get(str(op).lower())
    if fn is None:
        raise PgError("42883", "operator does not exist: %s" % op)
    saw_null = value is None and bool(items)
    for v in items:
        if v is None or value is None:
            saw_null = True
            continue
        a, b = _coerce_pair(value, v)
        try:
            ok = fn(a, b)
        except TypeError:
            ok = fn(str(a), str(b))
        if ok and not want_all:
            return 1
        if not ok and want_all:
            return 0
    if saw_null:
        return None
    return 1 if want_all else 0


def pg_any(value: Any, op: Any, arr: Any) -> Optional[int]:
    return _quantified(value, op, arr, False)


def pg_all(value: Any, op: Any, arr: Any) -> Optional[int]:
    return _quantified(value, op, arr, True)


# --- strings --------------------------------------------------------------------

def split_part(s: Any, delim: Any, n: Any) -> Optional[str]:
    if s is None or delim is None or n is None:
        return None
    n = int(n)
    if n == 0:
        raise PgError("22023", "field position must not be zero")
    parts = str(s).split(str(delim)) if delim != "" else [str(s)]
    if n < 0:
        n = len(parts) + n + 1
    return parts[n - 1] if 1 <= n <= len(parts) else ""


def left(s: Any, n: Any) -> Optional[str]:
    if s is None or n is None:
        return None
    n = int(n)
    return str(s)[:n] if n >= 0 else str(s)[:max(len(str(s)) + n, 0)]


def right(s: Any, n: Any) -> Optional[str]:
    if s is None or n is None:
        return None
    s, n = str(s), int(n)
    return (s[-n:] if n else "") if n >= 0 else s[-n:]


def _pad(s: Any, n: Any, fill: Any, at_left: bool) -> Optional[str]:
    if s is None or n is None or fill is None:
        return None
    s, n, fill = str(s), int(n), str(fill)
    if n <= len(s) or not fill:
        return s[:max(n, 0)]
    pad = (fill * (n // len(fill) + 1))[:n - len(s)]
    return pad + s if at_left else s + pad


def lpad(s: Any, n: Any, fill: Any = " ") -> Optional[str]:
    return _pad(s, n, fill, True)


def rpad(s: Any, n: Any, fill: Any = " ") -> Optional[str]:
    return _pad(s, n, fill, False)


def starts_with(s: Any, prefix: Any) -> Optional[int]:
    if s is None or prefix is None:
        return None
    return 1 if str(s).startswith(str(prefix)) else 0


def concat(*args: Any) -> str:
    return "".join(_text(a) for a in args if a is not None)


def concat_ws(sep: Any, *args: Any) -> Optional[str]:
    if sep is None:
        return None
    return str(sep).join(_text(a) for a in args if a is not None)


def quote_literal(s: Any) -> Optional[str]:
    if s is None:
        return None
    s = _text(s)
    body = s.replace("'", "''")
    if "\\" in s:
        return "E'" + body.replace("\\", "\\\\") + "'"
    return "'" + body + "'"


def pg_position(needle: Any, haystack: Any) -> Optional[int]:
    if needle is None or haystack is None:
        return None
    return str(haystack).find(str(needle)) + 1


def parse_timestamp(v: Any) -> _dt.datetime:
    if isinstance(v, _dt.datetime):
        return v
    s = str(v).strip().replace(" ", "T", 1)
    if len(s) > 3 and s[-3] in "+-" and s[-2:].isdigit():
        s += ":00"
    try:
        return _dt.datetime.fromisoformat(s)
    except ValueError:
        raise PgError("22007", 'invalid input syntax for type timestamp: "%s"' % v) from None


def pg_extract(field: Any, value: Any) -> Optional[float]:
    if field is None or value is None:
        return None
    f = str(field).lower()
    ts = parse_timestamp(value)
    if f == "epoch":
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=_dt.timezone.utc)
        return ts.timestamp()
    simple = {"year": ts.year, "month": ts.month, "day": ts.day, "hour": ts.hour,
              "minute": ts.minute, "dow": (ts.weekday() + 1) % 7, "doy": ts.timetuple().tm_yday,
              "second": ts.second + ts.microsecond / 1e6}
    if f not in simple:
        raise PgError("0A000", 'catalog emulation does not support extract field "%s"' % field)
    return simple[f]


_SIZE_UNITS = (("bytes", 10 * 1024, False, 0), ("kB", 20 * 1024 - 1, True, 10),
               ("MB", 20 * 1024 - 1, True, 20), ("GB", 20 * 1024 - 1, True, 30),
               ("TB", 20 * 1024 - 1, True, 40), ("PB", 20 * 1024 - 1, True, 50))


def _cdiv(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def pg_size_pretty(n: Any) -> Optional[str]:
    """PostgreSQL 15's pg_size_pretty(bigint), unit table and rounding alike."""
    if n is None:
        return None
    size = int(n)
    for i, (name, limit, rnd, bits) in enumerate(_SIZE_UNITS):
        last = i + 1 == len(_SIZE_UNITS)
        if last or abs(size) < limit:
            if rnd:
                size = _cdiv(size + (-1 if size < 0 else 1), 2)
            return "%d %s" % (size, name)
        nxt = _SIZE_UNITS[i + 1]
        shift = nxt[3] - bits - int(nxt[2]) + int(rnd)
        size = _cdiv(size, 1 << shift)
    return None


class StringAgg:
    def __init__(self) -> None:
        self.parts: List[str] = []
        self.seps: List[str] = []

    def step(self, value: Any, sep: Any) -> None:
        if value is not None:
            self.parts.append(_text(value))
            self.seps.append("" if sep is None else str(sep))

    def finalize(self) -> Optional[str]:
        if not self.parts:
            return None
        out = [self.parts[0]]
        for sep, part in zip(self.seps[1:], self.parts[1:]):
            out.append(sep + part)
        return "".join(out)


class BoolAgg:
    def __init__(self, want_all: bool) -> None:
        self.want_all = want_all
        self.result: Optional[bool] = None

    def step(self, value: Any) -> None:
        if value is None:
            return
        v = bool(value)
        if self.result is None:
            self.result = v
        elif self.want_all:
            self.result = self.result and v
        else:
            self.result = self.result or v

    def finalize(self) -> Optional[int]:
        return None if self.result is None else int(self.result)
