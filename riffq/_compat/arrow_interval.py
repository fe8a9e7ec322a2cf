"""Interval text of duration columns in every IntervalStyle, by kernels.

A duration is one signed length of time, so all of its fields share one
sign: each row is split into days and a clock of at most 24 hours
(magnitudes, the sign kept apart), and the four styles of
``textformat_datetime.format_interval_style`` are those parts joined with
words that depend only on whether a part is zero, one or negative.  The
clock itself is Arrow's time-of-day text with the fraction trimmed.
"""
from __future__ import annotations

from typing import Any, Optional

from .arrow_text import _mods, _strip_fraction

__all__ = ["interval_text"]

_US_PER_DAY = 86400 * 1000000


class _Parts:
    """Magnitudes of one duration column: days, hours, minutes, seconds,
    microseconds, and the clock text (``HH:MM:SS[.f]``)."""

    def __init__(self, us: Any) -> None:
        p, pc = _mods()
        self.neg = pc.less(us, 0)
        mag = pc.abs_checked(us)          # int64's minimum: raises, goes per value
        self.days = pc.divide(mag, _US_PER_DAY)
        rem = pc.subtract(mag, pc.multiply(self.days, _US_PER_DAY))
        self.rem = rem
        secs = pc.divide(rem, 1000000)
        self.frac = pc.subtract(rem, pc.multiply(secs, 1000000))
        self.hours = pc.divide(secs, 3600)
        self.mins = pc.subtract(pc.divide(secs, 60), pc.multiply(self.hours, 60))
        self.secs = pc.subtract(secs, pc.multiply(pc.divide(secs, 60), 60))
        self.clock = _strip_fraction(pc.cast(rem.cast(p.time64("us")), p.string()))

    def seconds(self, padded: bool) -> Any:
        """``SS[.f]`` (``S[.f]`` unpadded) of the clock."""
        _, pc = _mods()
        tail = pc.utf8_slice_codeunits(self.clock, 6)
        if padded:
            return tail
        return pc.if_else(pc.less(self.secs, 10), pc.utf8_slice_codeunits(tail, 1), tail)


def _text(x: Any) -> Any:
    p, pc = _mods()
    return pc.cast(x, p.string())


def _when(cond: Any, *pieces: Any) -> Any:
    """The pieces joined where ``cond`` holds, else the empty string."""
    _, pc = _mods()
    return pc.if_else(cond, pc.binary_join_element_wise(*pieces, ""), "")


def _postgres(v: _Parts) -> Any:
    _, pc = _mods()
    sign = pc.if_else(v.neg, "-", "")
    has_days = pc.not_equal(v.days, 0)
    unit = pc.if_else(pc.and_(pc.equal(v.days, 1), pc.invert(v.neg)), " day", " days")
    day_part = _when(has_days, sign, _text(v.days), unit)
    has_clock = pc.or_(pc.not_equal(v.rem, 0), pc.invert(has_days))
    between = pc.if_else(pc.and_(has_days, has_clock), " ", "")
    return pc.binary_join_element_wise(day_part, between, _when(has_clock, sign, v.clock), "")


def _sql_standard(v: _Parts) -> Any:
    _, pc = _mods()
    sign = pc.if_else(v.neg, "-", "")
    has_days = pc.not_equal(v.days, 0)
    tail = pc.utf8_slice_codeunits(v.clock, 2)       # ":MM:SS[.f]"
    text = pc.binary_join_element_wise(sign, _when(has_days, _text(v.days), " "), _text(v.hours), tail, "")
    zero = pc.and_(pc.equal(v.days, 0), pc.equal(v.rem, 0))
    return pc.if_else(zero, "0", text)


def _iso_8601(v: _Parts) -> Any:
    _, pc = _mods()
    sign = pc.if_else(v.neg, "-", "")
    has_time = pc.not_equal(v.rem, 0)
    has_sec = pc.or_(pc.not_equal(v.secs, 0), pc.not_equal(v.frac, 0))
    text = pc.binary_join_element_wise(
        "P",
        _when(pc.not_equal(v.days, 0), sign, _text(v.days), "D"),
        _when(has_time, "T"),
        _when(pc.not_equal(v.hours, 0), sign, _text(v.hours), "H"),
        _when(pc.not_equal(v.mins, 0), sign, _text(v.mins), "M"),
        _when(has_sec, sign, v.seconds(False), "S"), "")
    zero = pc.and_(pc.equal(v.days, 0), pc.equal(v.rem, 0))
    return pc.if_else(zero, "PT0S", text)


def _postgres_verbose(v: _Parts) -> Any:
    _, pc = _mods()

    def part(value: Any, unit: str) -> Any:
        plural = pc.if_else(pc.equal(value, 1), "", "s")
        return _when(pc.not_equal(value, 0), " ", _text(value), " ", unit, plural)

    has_sec = pc.or_(pc.not_equal(v.secs, 0), pc.not_equal(v.frac, 0))
    sec_unit = pc.if_else(pc.and_(pc.equal(v.secs, 1), pc.equal(v.frac, 0)), " sec", " secs")
    zero = pc.and_(pc.equal(v.days, 0), pc.equal(v.rem, 0))
    return pc.binary_join_element_wise(
        "@", part(v.days, "day"), part(v.hours, "hour"), part(v.mins, "min"),
        _when(has_sec, " ", v.seconds(False), sec_unit),
        _when(zero, " 0"), _when(v.neg, " ago"), "")


_STYLES = {"postgres": _postgres, "sql_standard": _sql_standard, "iso_8601": _iso_8601,
           "postgres_verbose": _postgres_verbose}


def interval_text(arr: Any, ctx: Any) -> Optional[Any]:
    """Text of a duration column in the session's IntervalStyle, or None
    (units that overflow microseconds are reported per value; every int64
    of microseconds fits Python's timedelta)."""
    from .arrow_binary import _to_micros

    style = _STYLES.get(str(getattr(ctx, "intervalstyle", "postgres")).strip().lower())
    us = _to_micros(arr)
    if style is None or us is None:
        return None
    return style(_Parts(us))
