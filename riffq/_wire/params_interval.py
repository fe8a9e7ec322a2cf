"""Bind parameter decoding of ``interval`` values, text and binary.

Interval text input is a grammar of its own (unit words, ``ago``, clock
fields, ISO 8601 durations) whose quirks applications can observe, so it is
a port of PostgreSQL 15's ``interval_in`` kept apart from the other
date/time decoders.  Intervals become :class:`datetime.timedelta`, folding
months into days by :data:`MONTH_DAYS` and :data:`YEAR_DAYS`.
"""
from __future__ import annotations

import datetime as _dt
import re
import struct
from typing import Dict, List, Tuple

from .binconst import USECS_PER_DAY as _USECS_PER_DAY
from .params_base import ParamError, _WS, _need, _syntax

# ---------------------------------------------------------------------------
# interval
# ---------------------------------------------------------------------------

#: Days a month of an interval becomes in a timedelta (PostgreSQL's own
#: ``justify_days`` and interval comparison use 30).
MONTH_DAYS = 30
#: Days a whole year (12 months) becomes; 365 rather than 12 * 30, the same
#: convention psycopg uses, so values agree with what psycopg clients see.
YEAR_DAYS = 365



def _interval_timedelta(months: int, days: int, micros: int) -> _dt.timedelta:
    """Fold months into days: whole years as YEAR_DAYS, the rest as
    MONTH_DAYS each (sign-symmetric, so -1 mon is -30 days)."""
    if months:
        sign = -1 if months < 0 else 1
        y, mo = divmod(abs(months), 12)
        days += sign * (y * YEAR_DAYS + mo * MONTH_DAYS)
    try:
        return _dt.timedelta(days=days, microseconds=micros)
    except OverflowError:
        raise ParamError("22008", "interval out of range") from None


def _recv_interval(data: bytes, encoding: str) -> _dt.timedelta:
    _need(data, 16)
    micros, days, months = struct.unpack(">qii", data)
    return _interval_timedelta(months, days, micros)


# -- PostgreSQL 15's interval_in, ported: ParseDateTime splits the text into
# typed fields, DecodeInterval reads them right to left (a unit word applies
# to the number on its left), and DecodeISO8601Interval is the fallback.
# The quirks are kept on purpose so results match the server: fractions use
# C double arithmetic, a time field *replaces* the microseconds gathered so
# far, repeated unit words are allowed but repeated fields are not.

_IV_BAD = 1  # DTERR_BAD_FORMAT
_IV_OVERFLOW = 2  # DTERR_FIELD_OVERFLOW

# field types from ParseDateTime
_F_NUMBER, _F_STRING, _F_DATE, _F_TIME, _F_TZ, _F_SPECIAL = range(6)

# units (DTK_*), doubling as fmask bits
_U_MICRO, _U_MILLI, _U_SECOND, _U_MINUTE, _U_HOUR, _U_DAY, _U_WEEK, _U_MONTH, \
    _U_YEAR, _U_DECADE, _U_CENTURY, _U_MILLENNIUM = (1 << i for i in range(12))
_U_ALL_SECS = _U_MICRO | _U_MILLI | _U_SECOND
_U_TIME = _U_HOUR | _U_MINUTE | _U_ALL_SECS
_U_AGO = -1

# deltatktbl (looked up after truncation to TOKMAXLEN = 10 characters)
_IV_UNITS: Dict[str, int] = {"ago": _U_AGO}
for _names, _unit in (
    (("c", "cent", "centuries", "century"), _U_CENTURY),
    (("d", "day", "days"), _U_DAY),
    (("dec", "decade", "decades", "decs"), _U_DECADE),
    (("h", "hour", "hours", "hr", "hrs"), _U_HOUR),
    (("m", "min", "mins", "minute", "minutes"), _U_MINUTE),
    (("microsecon", "us", "usec", "usecond", "useconds", "usecs"), _U_MICRO),
    (("mil", "millennia", "millennium", "mils"), _U_MILLENNIUM),
    (("millisecon", "ms", "msec", "msecond", "mseconds", "msecs"), _U_MILLI),
    (("mon", "mons", "month", "months"), _U_MONTH),
    (("s", "sec", "second", "seconds", "secs"), _U_SECOND),
    (("w", "week", "weeks"), _U_WEEK),
    (("y", "year", "years", "yr", "yrs"), _U_YEAR),
):
    for _n in _names:
        _IV_UNITS[_n] = _unit
del _names, _unit, _n

# datetktbl keywords: a word followed by a digit or '+' stays a word only if
# it is one of these (ParseDateTime's timezone-name heuristic)
_DATE_KEYWORDS = frozenset((
    "-infinity ad allballs am apr april at aug august bc d dec december dow doy dst "
    "epoch feb february fri friday h infinity isodow isoyear j jan january jd jul "
    "julian july jun june m mar march may mm mon monday nov november now oct october "
    "on pm s sat saturday sep sept september sun sunday t thu thur thurs thursday "
    "today tomorrow tue tues tuesday wed wednesday weds y yesterday").split())

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
_USECS_PER_HOUR = 3600 * 1000000
_USECS_PER_MINUTE = 60 * 1000000
_LEADING_INT_RE = re.compile(r"[+-]?[0-9]*")
_FRACTION_RE = re.compile(r"\.[0-9]+(?:[eE][+-]?[0-9]+)?")
_FRACTION_DIGITS_RE = re.compile(r"\.[0-9]*")  # "1:30." is accepted
_ASCII_DIGITS = frozenset("0123456789")
_ASCII_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


class _IvFail(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _iv_split(s: str) -> List[Tuple[int, str]]:
    """ParseDateTime, restricted to what interval input can contain."""
    fields: List[Tuple[int, str]] = []
    i = 0
    n = len(s)
    digits = _ASCII_DIGITS
    alpha = _ASCII_ALPHA
    while i < n:
        c = s[i]
        if c in _WS:
            i += 1
            continue
        j = i + 1
        if c in digits:
            while j < n and s[j] in digits:
                j += 1
            if j < n and s[j] == ":":
                ftype = _F_TIME
                j += 1
                while j < n and (s[j] in digits or s[j] in ":."):
                    j += 1
            elif j < n and s[j] in "-/.":
                delim = s[j]
                j += 1
                if j < n and s[j] in digits:
                    ftype = _F_NUMBER if delim == "." else _F_DATE
                    while j < n and s[j] in digits:
                        j += 1
                    if j < n and s[j] == delim:
                        ftype = _F_DATE
                        j += 1
                        while j < n and (s[j] in digits or s[j] == delim):
                            j += 1
                else:
                    ftype = _F_DATE
                    while j < n and (s[j] in digits or s[j] in alpha or s[j] == delim):
                        j += 1
            else:
                ftype = _F_NUMBER
            fields.append((ftype, s[i:j].lower()))
        elif c == ".":
            while j < n and s[j] in digits:
                j += 1
            fields.append((_F_NUMBER, s[i:j]))
        elif c in alpha:
            while j < n and s[j] in alpha:
                j += 1
            word = s[i:j].lower()
            is_date = False
            if j < n and s[j] in "-/.":
                is_date = True
            elif j < n and (s[j] == "+" or s[j] in digits) and word not in _DATE_KEYWORDS:
                is_date = True
            if is_date:
                j += 1
                while j < n and (s[j] in "+-/_.:" or s[j] in digits or s[j] in alpha):
                    j += 1
                fields.append((_F_DATE, s[i:j].lower()))
            else:
                fields.append((_F_STRING, word))
        elif c in "+-":
            while j < n and s[j] in _WS:
                j += 1
            if j < n and s[j] in digits:
                k = j + 1
                while k < n and (s[k] in digits or s[k] in ":.-"):
                    k += 1
                fields.append((_F_TZ, c + s[j:k]))
                j = k
            elif j < n and s[j] in alpha:
                k = j + 1
                while k < n and s[k] in alpha:
                    k += 1
                fields.append((_F_SPECIAL, c + s[j:k].lower()))
                j = k
            else:
                raise _IvFail(_IV_BAD)
        elif c in _ASCII_PUNCT:
            pass  # other punctuation (``@``, ``,``) only delimits
        else:
            raise _IvFail(_IV_BAD)
        i = j
    return fields


class _Itm:
    """pg_itm_in: the interval being built."""

    __slots__ = ("usec", "mday", "mon", "year")

    def __init__(self) -> None:
        self.usec = 0
        self.mday = 0
        self.mon = 0
        self.year = 0

    def _add_usec(self, v: int) -> None:
        v += self.usec
        if not _INT64_MIN <= v <= _INT64_MAX:
            raise _IvFail(_IV_OVERFLOW)
        self.usec = v

    def fract_usec(self, frac: float, scale: int) -> None:
        """AdjustFractMicroseconds: truncate, then round only beyond .5."""
        if frac == 0:
            return
        frac *= scale
        usec = int(frac)
        frac -= usec
        if frac > 0.5:
            usec += 1
        elif frac < -0.5:
            usec -= 1
        self._add_usec(usec)

    def micros(self, val: int, frac: float, scale: int) -> None:
        self._add_usec(val * scale)
        self.fract_usec(frac, scale)

    def days(self, val: int, scale: int) -> None:
        if not _INT32_MIN <= val <= _INT32_MAX:
            raise _IvFail(_IV_OVERFLOW)
        v = self.mday + val * scale
        if not (_INT32_MIN <= val * scale <= _INT32_MAX and _INT32_MIN <= v <= _INT32_MAX):
            raise _IvFail(_IV_OVERFLOW)
        self.mday = v

    def fract_days(self, frac: float, scale: int) -> None:
        if frac == 0:
            return
        frac *= scale
        extra = int(frac)
        self.days(extra, 1)
        self.fract_usec(frac - extra, _USECS_PER_DAY)

    def months(self, val: int) -> None:
        if not _INT32_MIN <= val <= _INT32_MAX:
            raise _IvFail(_IV_OVERFLOW)
        v = self.mon + val
        if not _INT32_MIN <= v <= _INT32_MAX:
            raise _IvFail(_IV_OVERFLOW)
        self.mon = v

    def years(self, val: int, scale: int) -> None:
        if not _INT32_MIN <= val <= _INT32_MAX:
            raise _IvFail(_IV_OVERFLOW)
        y = val * scale
        v = self.year + y
        if not (_INT32_MIN <= y <= _INT32_MAX and _INT32_MIN <= v <= _INT32_MAX):
            raise _IvFail(_IV_OVERFLOW)
        self.year = v

    def fract_years(self, frac: float, scale: int) -> None:
        self.months(int(round(frac * scale * 12)))


def _strtoi64(text: str) -> Tuple[int, str]:
    """strtoi64(text, &rest, 10): leading integer (0 if none) and the rest."""
    m = _LEADING_INT_RE.match(text)
    num = m.group(0)  # type: ignore[union-attr]
    if num.lstrip("+-") == "":
        return 0, text
    v = int(num)
    if not _INT64_MIN <= v <= _INT64_MAX:
        raise _IvFail(_IV_OVERFLOW)
    return v, text[len(num):]


def _strtod_fraction(text: str) -> float:
    """ParseFraction: ``.`` alone is 0, otherwise the whole rest must be a
    number strtod accepts."""
    if text == ".":
        return 0.0
    if _FRACTION_RE.fullmatch(text) is None:
        raise _IvFail(_IV_BAD)
    return float(text)


def _iv_time(text: str) -> int:
    """DecodeTimeForInterval: ``h:m``, ``h:m:s[.f]`` or ``m:s.f`` -> usec."""
    h, rest = _strtoi64(text)
    if not rest.startswith(":"):
        raise _IvFail(_IV_BAD)
    m = _LEADING_INT_RE.match(rest, 1)
    mtext = m.group(0)  # type: ignore[union-attr]
    mi = int(mtext) if mtext.lstrip("+-") else 0
    rest = rest[1 + len(mtext):]
    fsec = 0
    if rest == "":
        sec = 0
    elif rest[0] == ".":
        fsec = _frac_second(rest)
        sec, mi, h = mi, h, 0
    elif rest[0] == ":":
        m = _LEADING_INT_RE.match(rest, 1)
        stext = m.group(0)  # type: ignore[union-attr]
        sec = int(stext) if stext.lstrip("+-") else 0
        rest = rest[1 + len(stext):]
        if rest.startswith("."):
            fsec = _frac_second(rest)
        elif rest:
            raise _IvFail(_IV_BAD)
    else:
        raise _IvFail(_IV_BAD)
    if h < 0 or mi < 0 or mi > 59 or sec < 0 or sec > 60 or fsec < 0 or fsec > 1000000:
        raise _IvFail(_IV_OVERFLOW)
    usec = fsec + h * _USECS_PER_HOUR + mi * _USECS_PER_MINUTE + sec * 1000000
    if usec > _INT64_MAX:
        raise _IvFail(_IV_OVERFLOW)
    return usec


def _frac_second(text: str) -> int:
    """ParseFractionalSecond: strtod must take all of it; rint(frac * 1e6)."""
    if _FRACTION_DIGITS_RE.fullmatch(text) is None:
        raise _IvFail(_IV_BAD)
    return int(round(float(text + "0") * 1000000))


def _decode_interval(fields: List[Tuple[int, str]]) -> _Itm:
    itm = _Itm()
    fmask = 0
    unit = 0  # IGNORE_DTF: the rightmost bare number is seconds
    is_before = False
    for ftype, text in reversed(fields):
        tmask = 0
        if ftype == _F_TZ and ":" in text[1:]:
            try:
                usec = _iv_time(text[1:])
            except _IvFail:
                usec = None  # falls through to the number rules, which reject it
            if usec is not None:
                itm.usec = -usec if text[0] == "-" else usec
                tmask = _U_TIME
                unit = _U_DAY
                ftype = -1
        if ftype == _F_TIME:
            itm.usec = _iv_time(text)
            tmask = _U_TIME
            unit = _U_DAY
        elif ftype in (_F_TZ, _F_DATE, _F_NUMBER):
            if unit == 0:
                unit = _U_SECOND
            val, rest = _strtoi64(text)
            if rest.startswith("-"):  # SQL "years-months"
                m = _LEADING_INT_RE.match(rest, 1)
                mtext = m.group(0)  # type: ignore[union-attr]
                val2 = int(mtext) if mtext.lstrip("+-") else 0
                if val2 < 0 or val2 >= 12:
                    raise _IvFail(_IV_OVERFLOW)
                if rest[1 + len(mtext):]:
                    raise _IvFail(_IV_BAD)
                unit = _U_MONTH
                if text[0] == "-":
                    val2 = -val2
                val = val * 12 + val2
                if not _INT64_MIN <= val <= _INT64_MAX:
                    raise _IvFail(_IV_OVERFLOW)
                fval = 0.0
            elif rest.startswith("."):
                fval = _strtod_fraction(rest)
                if text[0] == "-":
                    fval = -fval
            elif rest == "":
                fval = 0.0
            else:
                raise _IvFail(_IV_BAD)
            if unit == _U_MICRO:
                itm.micros(val, fval, 1)
                tmask = _U_MICRO
            elif unit == _U_MILLI:
                itm.micros(val, fval, 1000)
                tmask = _U_MILLI
            elif unit == _U_SECOND:
                itm.micros(val, fval, 1000000)
                tmask = _U_SECOND if fval == 0 else _U_ALL_SECS
            elif unit == _U_MINUTE:
                itm.micros(val, fval, _USECS_PER_MINUTE)
                tmask = _U_MINUTE
            elif unit == _U_HOUR:
                itm.micros(val, fval, _USECS_PER_HOUR)
                tmask = _U_HOUR
                unit = _U_DAY
            elif unit == _U_DAY:
                itm.days(val, 1)
                itm.fract_usec(fval, _USECS_PER_DAY)
                tmask = _U_DAY
            elif unit == _U_WEEK:
                itm.days(val, 7)
                itm.fract_days(fval, 7)
                tmask = _U_WEEK
            elif unit == _U_MONTH:
                itm.months(val)
                itm.fract_days(fval, MONTH_DAYS)
                tmask = _U_MONTH
            elif unit in (_U_YEAR, _U_DECADE, _U_CENTURY, _U_MILLENNIUM):
                scale = {_U_YEAR: 1, _U_DECADE: 10, _U_CENTURY: 100, _U_MILLENNIUM: 1000}[unit]
                itm.years(val, scale)
                itm.fract_years(fval, scale)
                tmask = unit
            else:  # e.g. the number left of "ago"
                raise _IvFail(_IV_BAD)
        elif ftype in (_F_STRING, _F_SPECIAL):
            u = _IV_UNITS.get(text[:10])
            if u is None:
                raise _IvFail(_IV_BAD)
            if u == _U_AGO:
                is_before = True
                unit = -2  # no unit: a number here is an error
            else:
                unit = u
        if tmask & fmask:
            raise _IvFail(_IV_BAD)
        fmask |= tmask
    if fmask == 0:
        raise _IvFail(_IV_BAD)
    if is_before:
        itm.usec, itm.mday, itm.mon, itm.year = -itm.usec, -itm.mday, -itm.mon, -itm.year
    return itm


_ISO_NUMBER_RE = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _iso_number(s: str, pos: int) -> Tuple[int, float, int]:
    """ParseISO8601Number: (integer part, fraction, end position)."""
    if pos >= len(s) or not (s[pos] in _ASCII_DIGITS or s[pos] in "-."):
        raise _IvFail(_IV_BAD)
    m = _ISO_NUMBER_RE.match(s, pos)
    if m is None:
        raise _IvFail(_IV_BAD)
    v = float(m.group(0))
    if v != v or not -1.0e15 <= v <= 1.0e15:
        raise _IvFail(_IV_OVERFLOW)
    ipart = int(v)  # truncates toward zero
    return ipart, v - ipart, m.end()


def _decode_iso_interval(s: str) -> _Itm:
    """DecodeISO8601Interval: ``P[n]Y[n]M[n]W[n]D[T[n]H[n]M[n]S]`` in any
    order and repetition, plus the alternative ``PYYYY-MM-DDTHH:MM:SS``
    and ``PYYYYMMDDTHHMMSS`` forms."""
    if len(s) < 2 or s[0] != "P":
        raise _IvFail(_IV_BAD)
    itm = _Itm()
    datepart = True
    havefield = False
    pos = 1
    n = len(s)
    while pos < n:
        if s[pos] == "T":
            datepart = False
            havefield = False
            pos += 1
            continue
        start = pos
        val, fval, pos = _iso_number(s, pos)
        unit = s[pos] if pos < n else ""
        pos += 1
        width = len(s[start:].lstrip("-")) - len(s[start:].lstrip("-").lstrip("0123456789"))
        if datepart:
            if unit == "Y":
                itm.years(val, 1)
                itm.fract_years(fval, 1)
            elif unit == "M":
                itm.months(val)
                itm.fract_days(fval, MONTH_DAYS)
            elif unit == "W":
                itm.days(val, 7)
                itm.fract_days(fval, 7)
            elif unit == "D":
                itm.days(val, 1)
                itm.fract_usec(fval, _USECS_PER_DAY)
            elif unit in ("T", "", "-"):
                if unit != "-" and width == 8 and not havefield:
                    sign = -1 if val < 0 else 1  # C division truncates toward zero
                    a = abs(val)
                    itm.years(sign * (a // 10000), 1)
                    itm.months(sign * ((a // 100) % 100))
                    itm.days(sign * (a % 100), 1)
                    itm.fract_usec(fval, _USECS_PER_DAY)
                    if unit == "":
                        return itm
                    datepart = False
                    havefield = False
                    continue
                if havefield:
                    raise _IvFail(_IV_BAD)
                itm.years(val, 1)
                itm.fract_years(fval, 1)
                if unit == "":
                    return itm
                if unit == "T":
                    datepart = False
                    havefield = False
                    continue
                val, fval, pos = _iso_number(s, pos)
                itm.months(val)
                itm.fract_days(fval, MONTH_DAYS)
                if pos >= n:
                    return itm
                if s[pos] == "T":
                    datepart = False
                    havefield = False
                    pos += 1
                    continue
                if s[pos] != "-":
                    raise _IvFail(_IV_BAD)
                val, fval, pos = _iso_number(s, pos + 1)
                itm.days(val, 1)
                itm.fract_usec(fval, _USECS_PER_DAY)
                if pos >= n:
                    return itm
                if s[pos] == "T":
                    datepart = False
                    havefield = False
                    pos += 1
                    continue
                raise _IvFail(_IV_BAD)
            else:
                raise _IvFail(_IV_BAD)
        else:
            if unit == "H":
                itm.micros(val, fval, _USECS_PER_HOUR)
            elif unit == "M":
                itm.micros(val, fval, _USECS_PER_MINUTE)
            elif unit == "S":
                itm.micros(val, fval, 1000000)
            elif unit in ("", ":"):
                if unit == "" and width == 6 and not havefield:
                    sign = -1 if val < 0 else 1
                    a = abs(val)
                    itm.micros(sign * (a // 10000), 0.0, _USECS_PER_HOUR)
                    itm.micros(sign * ((a // 100) % 100), 0.0, _USECS_PER_MINUTE)
                    itm.micros(sign * (a % 100), 0.0, 1000000)
                    itm.fract_usec(fval, 1)
                    return itm
                if havefield:
                    raise _IvFail(_IV_BAD)
                itm.micros(val, fval, _USECS_PER_HOUR)
                if unit == "":
                    return itm
                val, fval, pos = _iso_number(s, pos)
                itm.micros(val, fval, _USECS_PER_MINUTE)
                if pos >= n:
                    return itm
                if s[pos] != ":":
                    raise _IvFail(_IV_BAD)
                val, fval, pos = _iso_number(s, pos + 1)
                itm.micros(val, fval, 1000000)
                if pos >= n:
                    return itm
                raise _IvFail(_IV_BAD)
            else:
                raise _IvFail(_IV_BAD)
        havefield = True
    return itm


def _parse_interval(s: str) -> _dt.timedelta:
    """interval_in: PostgreSQL style (``1 day 02:03:04.5``, ``-1 days
    +23:59:59``, ``3 mons``, ``1 year 2 mons ago``, ``@ 1 hour``), SQL
    standard (``1-2``, ``1 2:03:04``) and ISO 8601 (``P1DT2H``,
    ``P0001-02-03T04:05:06``), with PostgreSQL's errors.

    A timedelta has no months: whole years count YEAR_DAYS (365) days and
    remaining months MONTH_DAYS (30), see :data:`MONTH_DAYS`.
    """
    try:
        try:
            itm = _decode_interval(_iv_split(s))
        except _IvFail as exc:
            if exc.code != _IV_BAD:
                raise
            itm = _decode_iso_interval(s)
    except _IvFail as exc:
        if exc.code == _IV_OVERFLOW:
            raise ParamError("22015", 'interval field value out of range: "%s"' % (s,)) from None
        raise _syntax("interval", s, "22007") from None
    months = itm.year * 12 + itm.mon
    if not _INT32_MIN <= months <= _INT32_MAX:
        raise ParamError("22008", "interval out of range")
    return _interval_timedelta(months, itm.mday, itm.usec)
