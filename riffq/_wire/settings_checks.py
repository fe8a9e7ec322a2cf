"""Checking and canonicalising SET values the way PostgreSQL's guc.c does.

A value a client sends with SET must be accepted or refused exactly as
PostgreSQL would, with the same SQLSTATE, message, DETAIL and HINT, and be
stored in the spelling SHOW prints.  PostgreSQL parses numbers with C's
``strtol``/``strtod`` and memory/time units through its own tables, so those
parsers are reproduced here rather than approximated with ``int()`` and
``float()``.  :class:`SettingError` is the error every checker raises.
"""
from __future__ import annotations

import math
import re
from typing import Dict, List, Optional, Tuple


class SettingError(Exception):
    """A SET/SHOW/RESET failure, carrying what the ErrorResponse needs.

    Accepts ``SettingError(sqlstate, message)`` positionally or by keyword,
    plus optional ``detail`` and ``hint`` (PostgreSQL sends e.g. the list of
    valid enum values as a HINT).
    """

    def __init__(self, sqlstate: str = "XX000", message: str = "", detail: Optional[str] = None,
                 hint: Optional[str] = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message
        self.detail = detail
        self.hint = hint

    def __repr__(self) -> str:
        return "SettingError(%r, %r)" % (self.sqlstate, self.message)


# ---------------------------------------------------------------------------
# Small C-compatible number parsers (PostgreSQL parses GUC numbers with
# strtol/strtod, so "0x10", " 12 ", "1e3" and "1.5" have precise meanings).
# ---------------------------------------------------------------------------

_C_SPACE = " \t\n\v\f\r"
_DEC_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX_FLOAT = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[+-]?(?:inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)", re.IGNORECASE)
_STRTOL = re.compile(r"([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))")
_INT_MIN, _INT_MAX = -2 ** 31, 2 ** 31 - 1


def _skip_c_space(s: str, i: int = 0) -> int:
    while i < len(s) and s[i] in _C_SPACE:
        i += 1
    return i


def _strtol(s: str) -> Tuple[Optional[int], int, bool]:
    """C strtol(s, &end, 0): (value or None, end index, overflowed)."""
    i = _skip_c_space(s)
    m = _STRTOL.match(s, i)
    if m is None:
        return None, 0, False
    sign, hexd, octd, decd = m.groups()
    digits = (hexd or octd or decd).lstrip("0")
    if len(digits) > 22:
        # Far outside a C long; also keeps int() away from huge digit strings.
        return (-1 if sign == "-" else 1) * 2 ** 63, m.end(), True
    if hexd is not None:
        v = int(hexd, 16)
    elif octd is not None:
        v = int(octd, 8)
    else:
        v = int(decd)
    if sign == "-":
        v = -v
    return v, m.end(), not (-2 ** 63 <= v < 2 ** 63)


def _strtod(s: str) -> Tuple[Optional[float], int, bool]:
    """C strtod(s, &end): (value or None, end index, range error)."""
    i = _skip_c_space(s)
    m = _SPECIAL_FLOAT.match(s, i)
    if m is not None:
        text = m.group()
        neg = text.startswith("-")
        core = text.lstrip("+-").lower()
        v = float("nan") if core.startswith("nan") else float("inf")
        return (-v if neg else v), m.end(), False
    m = _HEX_FLOAT.match(s, i)
    if m is not None:
        try:
            v = float.fromhex(m.group())
        except OverflowError:
            return math.inf, m.end(), True
        return v, m.end(), False
    m = _DEC_FLOAT.match(s, i)
    if m is None:
        return None, 0, False
    text = m.group()
    v = float(text)
    if math.isinf(v):
        return v, m.end(), True
    if v == 0.0 and any(c in "123456789" for c in text.split("e")[0].split("E")[0]):
        return v, m.end(), True  # underflow
    return v, m.end(), False


def _rint(v: float) -> float:
    """C rint() in the default rounding mode: round half to even."""
    return float(round(v))


# ---------------------------------------------------------------------------
# Units (guc.c memory_unit_conversion_table / time_unit_conversion_table)
# ---------------------------------------------------------------------------

_MEMORY_UNITS_HINT = 'Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".'
_TIME_UNITS_HINT = 'Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".'

_UNIT_TABLES: Dict[str, List[Tuple[str, float]]] = {
    "B": [("TB", 1024.0 ** 4), ("GB", 1024.0 ** 3), ("MB", 1024.0 ** 2), ("kB", 1024.0), ("B", 1.0)],
    "kB": [("TB", 1024.0 ** 3), ("GB", 1024.0 ** 2), ("MB", 1024.0), ("kB", 1.0),
           ("B", 1.0 / 1024)],
    "MB": [("TB", 1024.0 ** 2), ("GB", 1024.0), ("MB", 1.0), ("kB", 1.0 / 1024),
           ("B", 1.0 / 1024 ** 2)],
    # disk blocks of 8 kB (GUC_UNIT_BLOCKS: effective_cache_size, temp_buffers)
    "8kB": [("TB", 1024.0 ** 3 / 8), ("GB", 1024.0 ** 2 / 8), ("MB", 1024.0 / 8), ("kB", 1.0 / 8),
            ("B", 1.0 / 8192)],
    "ms": [("d", 86400000.0), ("h", 3600000.0), ("min", 60000.0), ("s", 1000.0), ("ms", 1.0),
           ("us", 1.0 / 1000)],
    "s": [("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1.0 / 1000),
          ("us", 1.0 / 1000000)],
    "min": [("d", 1440.0), ("h", 60.0), ("min", 1.0), ("s", 1.0 / 60), ("ms", 1.0 / 60000),
            ("us", 1.0 / 60000000)],
}


def _to_base_unit(value: float, unit_text: str, base: str) -> Optional[float]:
    """convert_to_base_unit(): apply a unit suffix like "MB" or "min"."""
    i = 0
    n = len(unit_text)
    while i < n and unit_text[i] not in _C_SPACE and i < 3:
        i += 1
    unit = unit_text[:i]
    if _skip_c_space(unit_text, i) != n:
        return None
    table = _UNIT_TABLES[base]
    for k, (name, mult) in enumerate(table):
        if name == unit:
            cvalue = value * mult
            if k + 1 < len(table):
                nxt = table[k + 1][1]
                cvalue = _rint(cvalue / nxt) * nxt
            return cvalue
    return None


def _from_base_unit(value: int, base: str) -> str:
    """convert_int_from_base_unit(): the largest unit that divides evenly."""
    for name, mult in _UNIT_TABLES[base]:
        if mult <= 1.0 or value % int(mult) == 0:
            return "%d%s" % (int(_rint(value / mult)), name)
    return str(value)  # pragma: no cover - every table ends with a <= 1 unit


# guc.c folds case in ASCII only (pg_tolower), never with Unicode rules
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


# ---------------------------------------------------------------------------
# Value checkers
# ---------------------------------------------------------------------------

def _invalid(name: str, value: str, detail: Optional[str] = None,
             hint: Optional[str] = None, sqlstate: str = "22023") -> SettingError:
    return SettingError(sqlstate, 'invalid value for parameter "%s": "%s"' % (name, value),
                        detail, hint)


def _parse_bool(value: str) -> Optional[bool]:
    """parse_bool(): unique prefixes of true/false/yes/no, on/off, 1/0."""
    v = value.translate(_LOWER)
    if not v:
        return None
    c = v[0]
    if c == "t":
        return True if "true".startswith(v) else None
    if c == "f":
        return False if "false".startswith(v) else None
    if c == "y":
        return True if "yes".startswith(v) else None
    if c == "n":
        return False if "no".startswith(v) else None
    if c == "o" and len(v) >= 2:
        if "on".startswith(v):
            return True
        if "off".startswith(v):
            return False
        return None
    if v == "1":
        return True
    if v == "0":
        return False
    return None


def _parse_int(value: str, unit: Optional[str]) -> Tuple[Optional[int], Optional[str]]:
    """parse_int(): (value in base unit, or None; hint for the error)."""
    lv, end, erange = _strtol(value)
    if lv is None or erange or (end < len(value) and value[end] in ".eE"):
        fv, end, erange = _strtod(value)
        if fv is None or erange or math.isnan(fv):
            return None, None
        val = fv
    else:
        val = float(lv)
    end = _skip_c_space(value, end)
    if end < len(value):
        if unit is None:
            return None, None
        conv = _to_base_unit(val, value[end:], unit)
        if conv is None:
            return None, _MEMORY_UNITS_HINT if unit in ("B", "kB", "8kB", "MB") else _TIME_UNITS_HINT
        val = conv
    if math.isinf(val) or math.isnan(val):
        return None, "Value exceeds integer range."
    val = _rint(val)
    if val > _INT_MAX or val < _INT_MIN:
        return None, "Value exceeds integer range."
    return int(val), None


def in_base_units(value: str, unit: Optional[str]) -> Optional[str]:
    """An integer setting as ``SHOW`` prints it ("4MB", "1min") in the units
    ``pg_settings.setting`` counts it in ("4096" kB, "60" s); None when it
    is not such a value."""
    if unit not in _UNIT_TABLES:
        return None
    number, _hint = _parse_int(value, unit)
    return None if number is None else str(number)


def _parse_real(value: str) -> Optional[float]:
    """parse_real() for unit-less reals."""
    fv, end, erange = _strtod(value)
    if fv is None or erange or math.isnan(fv):
        return None
    if _skip_c_space(value, end) < len(value):
        return None
    return fv


def _split_identifier_list(raw: str) -> Optional[List[str]]:
    """SplitIdentifierString(raw, ','): None on bad list syntax.

    Unquoted names are folded to lower case, quoted ones keep their case with
    ``""`` collapsed; an empty string is an empty list.
    """
    out: List[str] = []
    n = len(raw)
    i = _skip_c_space(raw)
    if i >= n:
        return out
    while True:
        if raw[i] == '"':
            j = i + 1
            parts: List[str] = []
            while True:
                k = raw.find('"', j)
                if k < 0:
                    return None
                parts.append(raw[j:k])
                if k + 1 < n and raw[k + 1] == '"':
                    parts.append('"')
                    j = k + 2
                    continue
                break
            out.append("".join(parts))
            i = k + 1
        else:
            j = i
            while j < n and raw[j] != "," and raw[j] not in _C_SPACE:
                j += 1
            if j == i:
                return None
            out.append(raw[i:j].translate(_LOWER))
            i = j
        i = _skip_c_space(raw, i)
        if i < n and raw[i] == ",":
            i = _skip_c_space(raw, i + 1)
            if i >= n:
                return None
            continue
        if i >= n:
            return out
        return None


_DATE_STYLES = {"ISO": "ISO", "SQL": "SQL", "POSTGRES": "Postgres", "GERMAN": "German"}


def _check_datestyle(value: str, current: str, reset: str) -> str:
    """check_datestyle(): canonical "Style, ORDER" starting from *current*."""
    items = _split_identifier_list(value)
    if items is None:
        raise _invalid("DateStyle", value, "List syntax is invalid.")
    style, order = (current.split(", ") + ["MDY"])[:2]
    have_style = have_order = False
    ok = True
    for tok in items:
        t = tok.translate(_UPPER)
        new_style = new_order = None
        if t in ("ISO", "SQL", "GERMAN") or t.startswith("POSTGRES"):
            new_style = _DATE_STYLES[t if t in _DATE_STYLES else "POSTGRES"]
        elif t == "YMD":
            new_order = "YMD"
        elif t == "DMY" or t.startswith("EURO"):
            new_order = "DMY"
        elif t in ("MDY", "US") or t.startswith("NONEURO"):
            new_order = "MDY"
        elif t == "DEFAULT":
            sub = _check_datestyle(reset, "ISO, MDY", "ISO, MDY")
            sub_style, sub_order = sub.split(", ")
            if not have_style:
                style = sub_style
            if not have_order:
                order = sub_order
            continue
        else:
            raise _invalid("DateStyle", value, 'Unrecognized key word: "%s".' % tok)
        if new_style is not None:
            if have_style and style != new_style:
                ok = False
            style = new_style
            have_style = True
            if new_style == "German" and not have_order:
                order = "DMY"
        else:
            if have_order and order != new_order:
                ok = False
            order = new_order
            have_order = True
    if not ok:
        raise _invalid("DateStyle", value, 'Conflicting "datestyle" specifications.')
    return "%s, %s" % (style, order)


# -- time zones ----------------------------------------------------------------

def _clean_ascii(value: str, hex_escapes: bool) -> str:
    """pg_clean_ascii(): only printable ASCII survives in application_name.

    PostgreSQL up to 15 replaces every other byte with "?"; 16 and later
    write it as a \\xNN escape.
    """
    if all(" " <= c <= "~" for c in value):
        return value
    out: List[str] = []
    for c in value:
        if " " <= c <= "~":
            out.append(c)
        else:
            for b in c.encode("utf-8", "surrogatepass"):
                out.append("\\x%02x" % b if hex_escapes else "?")
    return "".join(out)
