"""Dates and timestamps in the SQL, Postgres and German DateStyles, by kernels.

The kernel paths print ISO text (``YYYY-MM-DD[ HH:MM:SS[.f]]``, always a
four-digit year: out-of-range columns never get here), so another style is
the same fields cut out at fixed positions and laid out again, as
``textformat_datetime._restyle`` does for one value.  The Postgres style
with a clock also names the weekday and month, looked up from the local
timestamps; timestamptz ends with the zone's abbreviation instead of its
offset (``arrow_zones`` finds it per row).
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

from .._wire.textcontext import _DO_DMY, _DS_GERMAN, _DS_ISO, _DS_SQL, _parse_datestyle
from .arrow_text import _mods

__all__ = ["date_style", "restyle"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: day_of_week(week_start=7) counts from Sunday = 0
_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def date_style(ctx: Any) -> Optional[Tuple[int, int]]:
    """``(style, order)`` of the session, None for ISO (nothing to redo)."""
    style, order = _parse_datestyle(getattr(ctx, "datestyle", "ISO, MDY"))
    return None if style == _DS_ISO else (style, order)


def restyle(iso: Any, local: Any, style: int, order: int, tzn: Any = None) -> Any:
    """ISO text ``iso`` in another DateStyle.

    ``local`` holds the same instants as a timestamp (or date) array: the
    Postgres style reads weekday and month names from it.  ``tzn`` (a string
    or a string array) is appended after a space, for timestamptz.
    """
    p, pc = _mods()
    join = pc.binary_join_element_wise
    has_clock = p.types.is_timestamp(local.type)
    year = pc.utf8_slice_codeunits(iso, 0, 4)
    month = pc.utf8_slice_codeunits(iso, 5, 7)
    day = pc.utf8_slice_codeunits(iso, 8, 10)
    clock = pc.utf8_slice_codeunits(iso, 11) if has_clock else None
    dmy = order == _DO_DMY
    if style == _DS_SQL or style == _DS_GERMAN:
        if style == _DS_GERMAN:
            fields = [day, ".", month, ".", year]
        else:
            fields = [day, "/", month, "/", year] if dmy else [month, "/", day, "/", year]
        if has_clock:
            fields += [" ", clock]
        out = join(*fields, "")
    elif not has_clock:  # Postgres style, a date
        out = join(*([day, "-", month, "-", year] if dmy else [month, "-", day, "-", year]), "")
    else:  # Postgres style: "Tue Jan 02 03:04:05 2024"
        wday = p.array(_DAYS, p.string()).take(pc.day_of_week(local, count_from_zero=True, week_start=7))
        mon = p.array(_MONTHS, p.string()).take(pc.subtract(pc.month(local), 1))
        md = [day, " ", mon] if dmy else [mon, " ", day]
        out = join(wday, " ", *md, " ", clock, " ", year, "")
    if tzn is not None:
        out = join(out, " ", tzn, "")
    return out
