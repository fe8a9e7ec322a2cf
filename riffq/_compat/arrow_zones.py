"""UTC offsets of a whole timestamptz column in the session time zone.

The per-value encoder asks Python's tzinfo for each value's offset; here
the zone's transitions inside the column's time span are found once (by
sampling the zone and bisecting where its offset changes), and every
row's offset is then looked up with kernels.  Python's tzinfo stays the
only source of truth, so the output cannot differ from the per-value one
unless a zone changes offset and back within ``STEP``; no zone in the
time zone database does that.  A column spanning years is not sampled
end to end: only the ``STEP``-long buckets that hold values are looked at
(each at its two ends, bisected where they differ), unless there are so
many that the per-value encoder would cost little more.

A period ends where the offset or the zone's abbreviation changes (the
non-ISO DateStyles print the abbreviation, ``CET``/``CEST``).
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, List, Optional, Tuple

from .._wire.textformat import format_offset
from .._wire.textformat_datetime import _abbrev_of, _fixed_abbrev
from .arrow_text import _mods

__all__ = ["zone_offsets"]

#: Sampling step and the most samples spent on one column.
STEP = 6 * 3600 * 1000000
MAX_SAMPLES = 4096
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
#: What a timestamptz prints from its zone: the offset and the abbreviation.
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
            b = _first_change(tz, prev, t, out[-1][1])
            out.append((b, _state_at(tz, b)))
            prev = b
        prev = t
    return out


def _micros(off: _dt.timedelta) -> int:
    return (off.days * 86400 + off.seconds) * 1000000 + off.microseconds


def _first_change(tz: _dt.tzinfo, a: int, b: int, before: State) -> int:
    """The first instant in (a, b] whose state differs from ``before``
    (there is one: the state at b differs)."""
    while b - a > 1:
        mid = (a + b) // 2
        if _state_at(tz, mid) == before:
            a = mid
        else:
            b = mid
    return b


def _bucketed(utc_us: Any, tz: _dt.tzinfo, lo: int) -> Optional[Tuple[List[State], Any]]:
    """The states found bucket by bucket, and each row's index into them;
    None when the buckets are too many or one holds two changes."""
    p, pc = _mods()
    bucket = pc.divide(pc.subtract(utc_us, lo), STEP)
    present = pc.unique(bucket.drop_null()).sort()
    if len(present) > max(MAX_SAMPLES, len(utc_us) // 4):
        return None
    states: List[State] = []
    numbers = {}
    first, after, cut = [], [], []
    for b in present.to_pylist():
        start = lo + b * STEP
        end = start + STEP - 1
        s0, s1 = _state_at(tz, start), _state_at(tz, end)
        at = _first_change(tz, start, end, s0) if s0 != s1 else end + 1
        if s0 != s1 and _state_at(tz, at) != s1:
            return None
        for st in (s0, s1):
            if st not in numbers:
                numbers[st] = len(states)
                states.append(st)
        first.append(numbers[s0])
        after.append(numbers[s1])
        cut.append(at)
    pos = pc.index_in(bucket, value_set=present)
    base = p.array(first, p.int32()).take(pos)
    later = p.array(after, p.int32()).take(pos)
    index = pc.if_else(pc.greater_equal(utc_us, p.array(cut, p.int64()).take(pos)), later, base)
    return states, index


def zone_offsets(utc_us: Any, tz: _dt.tzinfo, abbrev: bool = False) -> Optional[Tuple[Any, Any]]:
    """``(offset_us, suffix)`` for int64 UTC microseconds, or None: arrays,
    or plain values when one state covers the whole column.

    ``suffix`` is the offset as PostgreSQL prints it (``+05:30``), or with
    ``abbrev`` the zone's abbreviation (``IST``).
    """
    if isinstance(tz, _dt.timezone):  # UTC or a fixed offset: nothing to look up
        off = tz.utcoffset(None)
        return _micros(off), (_fixed_abbrev(tz) or "")[:10] if abbrev else format_offset(off)
    p, pc = _mods()
    mm = pc.min_max(utc_us)
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    if lo is None:
        lo = hi = 0
    try:
        if (hi - lo) // STEP > MAX_SAMPLES:
            found = _bucketed(utc_us, tz, lo)
            if found is None:
                return None
            states, index = found
        else:
            table = _transitions(tz, lo, hi)
            states = [st for _, st in table]
            if len(table) == 1:
                index = None
            else:
                index = pc.greater_equal(utc_us, table[1][0]).cast(p.int32())
                for start, _ in table[2:]:
                    index = pc.add(index, pc.greater_equal(utc_us, start).cast(p.int32()))
    except (OverflowError, ValueError):
        return None  # near year 1 or 9999: per value
    micros = [_micros(off) for off, _ in states]
    suffixes = [name if abbrev else format_offset(off) for off, name in states]
    if index is None:
        return micros[0], suffixes[0]
    return (p.array(micros, p.int64()).take(index), p.array(suffixes, p.string()).take(index))
