"""UTC offsets of a whole timestamptz column in the session time zone.

The per-value encoder asks Python's tzinfo for each value's offset; here
the zone's transitions inside the column's time span are found once (by
sampling the zone and bisecting where its offset changes), and every
row's offset is then looked up with kernels.  Python's tzinfo stays the
only source of truth, so the output cannot differ from the per-value one
unless a zone changes offset and back within ``STEP``; no zone in the
time zone database does that.  Columns spanning years are left to the
per-value encoder (sampling them would cost more than it saves).

A period ends where the offset or the zone's abbreviation changes (the
non-ISO DateStyles print the abbreviation, ``CET``/``CEST``).
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, List, Optional, Tuple

from .._wire.textformat import format_offset
from .._wire.textformat_datetime import _abbrev_of, _fixed_abbrev

__all__ = ["zone_offsets"]

#: Sampling step and the most samples spent on one column.
STEP = 6 * 3600 * 1000000
MAX_SAMPLES = 4096
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


State = Tuple[_dt.timedelta, str]


def _state_at(tz: _dt.tzinfo, us: int) -> State:
    """The zone's offset at an instant, and its abbreviation as the
    per-value encoder prints it."""
    local = (_EPOCH + _dt.timedelta(microseconds=us)).astimezone(tz)
    off = local.utcoffset()
    return (off if off is not None else _dt.timedelta(0)), _abbrev_of(local)


def _transitions(tz: _dt.tzinfo, lo: int, hi: int) -> List[Tuple[int, State]]:
    """``[(start_us, state)]``: the state from each start on, first at lo."""
    out = [(lo, _state_at(tz, lo))]
    prev = lo
    t = lo
    while t < hi:
        t = min(t + STEP, hi)
        state = _state_at(tz, t)
        while state != out[-1][1]:
            # the first instant in (prev, t] whose state differs from the last
            a, b = prev, t
            while b - a > 1:
                mid = (a + b) // 2
                if _state_at(tz, mid) == out[-1][1]:
                    a = mid
                else:
                    b = mid
            out.append((b, _state_at(tz, b)))
            prev = b
        prev = t
    return out


def _micros(off: _dt.timedelta) -> int:
    return (off.days * 86400 + off.seconds) * 1000000 + off.microseconds


def zone_offsets(utc_us: Any, tz: _dt.tzinfo, abbrev: bool = False) -> Optional[Tuple[Any, Any]]:
    """``(offset_us, suffix)`` for int64 UTC microseconds, or None: arrays,
    or plain values when one state covers the whole column.

    ``suffix`` is the offset as PostgreSQL prints it (``+05:30``), or with
    ``abbrev`` the zone's abbreviation (``IST``).
    """
    from .arrow_text import _mods

    if isinstance(tz, _dt.timezone):  # UTC or a fixed offset: nothing to look up
        off = tz.utcoffset(None)
        return _micros(off), (_fixed_abbrev(tz) or "")[:10] if abbrev else format_offset(off)
    p, pc = _mods()
    mm = pc.min_max(utc_us)
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    if lo is None:
        lo = hi = 0
    if (hi - lo) // STEP > MAX_SAMPLES:
        return None
    try:
        table = _transitions(tz, lo, hi)
    except (OverflowError, ValueError):
        return None  # near year 1 or 9999: per value
    micros = [_micros(off) for _, (off, _) in table]
    suffixes = [name if abbrev else format_offset(off) for _, (off, name) in table]
    if len(table) == 1:
        return micros[0], suffixes[0]
    index = pc.greater_equal(utc_us, table[1][0]).cast(p.int32())
    for start, _ in table[2:]:
        index = pc.add(index, pc.greater_equal(utc_us, start).cast(p.int32()))
    return (p.array(micros, p.int64()).take(index), p.array(suffixes, p.string()).take(index))
