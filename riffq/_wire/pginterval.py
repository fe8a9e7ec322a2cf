"""An interval with months: PostgreSQL's own three fields, and their text.

A ``timedelta`` has no months, so it cannot carry ``interval '1 mon'``;
Arrow's ``month_day_nano_interval`` (what DuckDB gives for INTERVAL) can.
Its values reach the encoders as ``PgInterval``, whose text is
``interval_out``'s in every IntervalStyle (``EncodeInterval``, where each
field keeps its own sign: ``-1 mons +2 days``).
"""
from __future__ import annotations

from typing import Any, List

__all__ = ["PgInterval", "format_pg_interval"]

_US_PER_HOUR = 3600 * 1000000


class PgInterval:
    """interval's stored fields: months, days, microseconds. (Not a tuple:
    array encoders take tuples for sub-arrays.)"""
    __slots__ = ("months", "days", "micros")

    def __init__(self, months: int, days: int, micros: int) -> None:
        self.months = months
        self.days = days
        self.micros = micros

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, PgInterval) and (self.months, self.days, self.micros) == (
            other.months, other.days, other.micros)

    def __hash__(self) -> int:
        return hash((self.months, self.days, self.micros))

    def __repr__(self) -> str:
        return "PgInterval(months=%d, days=%d, micros=%d)" % (self.months, self.days, self.micros)


def _trunc_div(a: int, b: int) -> int:
    """C's division (toward zero), as ``interval2itm`` splits the fields."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _seconds(sec: int, fsec: int, fillzeros: bool) -> str:
    """``AppendSeconds``: magnitudes, the fraction without trailing zeros."""
    out = "%02d" % abs(sec) if fillzeros else str(abs(sec))
    if fsec:
        out += ("." + "%06d" % abs(fsec)).rstrip("0")
    return out


def _postgres_part(value: int, units: str, state: List[bool]) -> str:
    # state = [is_zero, is_before]: each nonzero field sets is_before for the next
    if value == 0:
        return ""
    out = "%s%s%d %s%s" % ("" if state[0] else " ", "+" if state[1] and value > 0 else "",
                           value, units, "" if value == 1 else "s")
    state[1] = value < 0
    state[0] = False
    return out


def _verbose_part(value: int, units: str, state: List[bool]) -> str:
    # state = [is_zero, is_before]: the first nonzero field sets is_before
    if value == 0:
        return ""
    if state[0]:
        state[1] = value < 0
        value = abs(value)
    elif state[1]:
        value = -value
    state[0] = False
    return " %d %s%s" % (value, units, "" if value == 1 else "s")


def format_pg_interval(v: PgInterval, style: str = "postgres") -> str:
    """``interval_out`` of ``v`` under IntervalStyle ``style``."""
    year, mon = _trunc_div(v.months, 12), v.months - 12 * _trunc_div(v.months, 12)
    mday = v.days
    hour = _trunc_div(v.micros, _US_PER_HOUR)
    rest = v.micros - hour * _US_PER_HOUR
    mins = _trunc_div(rest, 60000000)
    rest -= mins * 60000000
    sec = _trunc_div(rest, 1000000)
    fsec = rest - sec * 1000000
    if style == "sql_standard":
        return _sql_standard(year, mon, mday, hour, mins, sec, fsec)
    if style == "iso_8601":
        if not (year or mon or mday or hour or mins or sec or fsec):
            return "PT0S"
        out = "P" + "".join("%d%s" % (n, u) for n, u in ((year, "Y"), (mon, "M"), (mday, "D")) if n)
        if hour or mins or sec or fsec:
            out += "T" + "".join("%d%s" % (n, u) for n, u in ((hour, "H"), (mins, "M")) if n)
        if sec or fsec:
            out += ("-" if sec < 0 or fsec < 0 else "") + _seconds(sec, fsec, False) + "S"
        return out
    state = [True, False]
    if style == "postgres_verbose":
        out = "@" + "".join(_verbose_part(n, u, state) for n, u in (
            (year, "year"), (mon, "mon"), (mday, "day"), (hour, "hour"), (mins, "min")))
        if sec or fsec:
            out += " "
            if sec < 0 or (sec == 0 and fsec < 0):
                if state[0]:
                    state[1] = True
                elif not state[1]:
                    out += "-"
            elif state[1]:
                out += "-"
            out += _seconds(sec, fsec, False) + " sec" + ("s" if abs(sec) != 1 or fsec else "")
            state[0] = False
        if state[0]:
            out += " 0"
        return out + (" ago" if state[1] else "")
    # postgres
    out = "".join(_postgres_part(n, u, state) for n, u in ((year, "year"), (mon, "mon"), (mday, "day")))
    if state[0] or hour or mins or sec or fsec:
        minus = hour < 0 or mins < 0 or sec < 0 or fsec < 0
        out += "%s%s%02d:%02d:%s" % ("" if state[0] else " ", "-" if minus else ("+" if state[1] else ""),
                                      abs(hour), abs(mins), _seconds(sec, fsec, True))
    return out


def _sql_standard(year: int, mon: int, mday: int, hour: int, mins: int, sec: int, fsec: int) -> str:
    fields = (year, mon, mday, hour, mins, sec, fsec)
    negative, positive = any(f < 0 for f in fields), any(f > 0 for f in fields)
    year_month, day_time = bool(year or mon), bool(mday or hour or mins or sec or fsec)
    standard = not (negative and positive) and not (year_month and day_time)
    sign = ""
    if negative and standard:
        sign = "-"
        year, mon, mday, hour, mins, sec, fsec = -year, -mon, -mday, -hour, -mins, -sec, -fsec
    if not negative and not positive:
        return "0"
    if not standard:
        return "%s%d-%d %s%d %s%d:%02d:%s" % (
            "-" if year < 0 or mon < 0 else "+", abs(year), abs(mon),
            "-" if mday < 0 else "+", abs(mday),
            "-" if hour < 0 or mins < 0 or sec < 0 or fsec < 0 else "+", abs(hour), abs(mins),
            _seconds(sec, fsec, True))
    if year_month:
        return "%s%d-%d" % (sign, year, mon)
    if mday:
        return "%s%d %d:%02d:%s" % (sign, mday, hour, mins, _seconds(sec, fsec, True))
    return "%s%d:%02d:%s" % (sign, hour, mins, _seconds(sec, fsec, True))
