"""Bind parameter decoders for date, time, timetz, timestamp and timestamptz.

Text input follows PostgreSQL 15's datetime parser for the spellings clients
actually send (ISO dates, zone names and offsets, BC, the special values),
and binary input its fixed-width ``*_recv`` layout.  Intervals are a parser
of their own (:mod:`.params_interval`).
"""
from __future__ import annotations

import datetime as _dt
import decimal
import re
import struct
from typing import Any, Dict, Optional, Tuple

from .binconst import (I32 as _I32, I64 as _I64, PG_EPOCH_ORDINAL as _PG_EPOCH_ORDINAL,
                       TZDISP_LIMIT as _TZDISP_LIMIT, USECS_PER_DAY as _USECS_PER_DAY)
from .params_base import ParamError, _WS, _need, _syntax

# ---------------------------------------------------------------------------
# date / time
# ---------------------------------------------------------------------------
_UTC = _dt.timezone.utc
_PG_EPOCH = _dt.datetime(2000, 1, 1)

_DATE_RE = re.compile(r"([0-9]{4,})-([0-9]{1,2})-([0-9]{1,2})|([0-9]{4})([0-9]{2})([0-9]{2})(?![0-9:])")
_TIME_RE = re.compile(
    r"([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2})(?:\.([0-9]*))?)?"
    r"|([0-9]{2})([0-9]{2})([0-9]{2})?(?:\.([0-9]*))?(?![0-9:])"
)
_TZ_RE = re.compile(
    r"([+-])([0-9]{1,2})(?::?([0-9]{2}))?(?::?([0-9]{2}))?\Z|([A-Za-z][A-Za-z0-9_/+-]*)\Z"
)
_ERA_RE = re.compile(r"[ \t\n\r\v\f]+(bc|ad)\Z", re.I)
_UTC_NAMES = frozenset(("z", "utc", "gmt", "ut", "zulu", "uct"))
_DATETIME_NAMES = {
    "date": "date",
    "time": "time",
    "timetz": "time with time zone",
    "timestamp": "timestamp",
    "timestamptz": "timestamp with time zone",
}


class _DT:
    """Fields of a parsed date/time literal (before type-specific checks)."""

    __slots__ = ("date", "hms", "tz", "special")

    def __init__(self) -> None:
        self.date: Optional[Tuple[int, int, int]] = None
        # (hour, minute, second, micros); micros may be 1_000_000 after rounding
        self.hms: Optional[Tuple[int, int, int, int]] = None
        # None, an offset in seconds east of UTC, or a tzinfo for a named zone
        self.tz: Any = None
        self.special: Optional[str] = None


def _frac_micros(frac: Optional[str]) -> int:
    """Fractional seconds rounded half-even to microseconds (rint)."""
    if not frac:
        return 0
    if len(frac) <= 6:
        return int(frac.ljust(6, "0"))
    q = decimal.Decimal("0." + frac).scaleb(6).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_EVEN)
    return int(q)


def _zone(name: str, s: str) -> Any:
    """A named zone: UTC spellings, else the system tz database."""
    low = name.lower()
    if low in _UTC_NAMES:
        return 0
    try:
        import zoneinfo  # Python 3.9+
    except ImportError:  # pragma: no cover
        zoneinfo = None  # type: ignore[assignment]
    if zoneinfo is not None:
        cands = [name]
        if len(name) < 64:
            real = _zone_names().get(low)
            if real is not None:
                cands.append(real)
        for cand in cands:
            try:
                return zoneinfo.ZoneInfo(cand)
            except Exception:  # not found, or not a valid key
                continue
    if "/" in name:
        raise ParamError("22023", 'time zone "%s" not recognized' % (low,))
    return None


_ZONE_NAMES: Optional[Dict[str, str]] = None


def _zone_names() -> Dict[str, str]:
    """Lower-case -> real tz database names (PostgreSQL matches zone names
    case-insensitively); built once, on first need."""
    global _ZONE_NAMES
    if _ZONE_NAMES is None:
        names: Dict[str, str] = {}
        try:
            import zoneinfo

            for z in zoneinfo.available_timezones():
                names[z.lower()] = z
        except Exception:  # pragma: no cover - no tz database
            pass
        _ZONE_NAMES = names
    return _ZONE_NAMES


def _parse_dt(s: str, kind: str) -> _DT:
    """Parse the ISO-style literals clients send: ``YYYY-MM-DD``,
    ``YYYYMMDD``, ``HH:MM[:SS[.f]]``, ``T`` or space between them, and a zone
    (``Z``, ``+HH[:MM[:SS]]``, ``+HHMM``, ``UTC``, ``Area/City``), plus the
    special words.  PostgreSQL's full free-form parser (month names,
    DMY orders, ...) is not reproduced."""
    typename = _DATETIME_NAMES[kind]
    r = _DT()
    t = s.strip(_WS)
    low = t.lower()
    if low in ("infinity", "+infinity", "-infinity", "epoch", "now", "today",
               "tomorrow", "yesterday", "allballs"):
        r.special = low.lstrip("+")
        return r
    m = _ERA_RE.search(t)
    if m is not None:
        if m.group(1).lower() == "bc":
            r.special = "bc"
            return r
        t = t[:m.start()]
    pos = 0
    n = len(t)
    m = _DATE_RE.match(t)
    if m is not None:
        g = m.groups()
        if g[0] is not None:
            r.date = (int(g[0]), int(g[1]), int(g[2]))
        else:
            r.date = (int(g[3]), int(g[4]), int(g[5]))
        pos = m.end()
        if pos < n and t[pos] == "-":  # "2020-01-01-08": a four-part date
            raise _syntax(typename, s, "22007")
        if pos < n and t[pos] in "Tt":
            pos += 1
            if pos >= n or t[pos] not in "0123456789":
                raise _syntax(typename, s, "22007")
        else:
            while pos < n and t[pos] in _WS:
                pos += 1
    elif kind in ("date", "timestamp", "timestamptz"):
        # only ISO dates are understood (no month names or MDY orders)
        raise _syntax(typename, s, "22007")
    m = _TIME_RE.match(t, pos)
    if m is not None:
        g = m.groups()
        if g[0] is not None:
            h, mi, sec, frac = int(g[0]), int(g[1]), int(g[2] or 0), g[3]
        else:
            h, mi, sec, frac = int(g[4]), int(g[5]), int(g[6] or 0), g[7]
        r.hms = (h, mi, sec, _frac_micros(frac))
        # DecodeTime checks minutes and seconds at once; with a date
        # (DecodeDateTime) the whole clock must also be <= 24:00:00 at once,
        # for time types (DecodeTimeOnly) that check comes last.
        if mi > 59 or sec > 60 or (kind in ("date", "timestamp", "timestamptz") and _clock_overflows(r.hms)):
            raise ParamError("22008", 'date/time field value out of range: "%s"' % (s,))
        pos = m.end()
    if r.date is None and r.hms is None:
        raise _syntax(typename, s, "22007")
    while pos < n and t[pos] in _WS:
        pos += 1
    if pos < n:
        m = _TZ_RE.match(t, pos)
        if m is None:
            raise _syntax(typename, s, "22007")
        if m.group(1) is not None:
            hh = int(m.group(2))
            mm = int(m.group(3) or 0)
            ss = int(m.group(4) or 0)
            if hh > 15 or mm > 59 or ss > 59:
                raise ParamError("22009", 'time zone displacement out of range: "%s"' % (s,))
            off = hh * 3600 + mm * 60 + ss
            r.tz = -off if m.group(1) == "-" else off
        else:
            z = _zone(m.group(5), s)
            if z is None:
                raise _syntax(typename, s, "22007")
            r.tz = z
    # Like DecodeDateTime, range checks on the date and the hour come last.
    if r.date is not None:
        y, mo, d = r.date
        if y == 0 or not 1 <= mo <= 12 or not 1 <= d <= 31:
            raise ParamError("22008", 'date/time field value out of range: "%s"' % (s,))
        if y <= 9999:
            try:
                _dt.date(y, mo, d)
            except ValueError:
                raise ParamError("22008", 'date/time field value out of range: "%s"' % (s,)) from None
    if r.hms is not None and _clock_overflows(r.hms):
        raise ParamError("22008", 'date/time field value out of range: "%s"' % (s,))
    return r


def _clock_overflows(hms: Tuple[int, int, int, int]) -> bool:
    """time_overflows: 24:00:00 is the latest clock reading allowed."""
    h, mi, sec, us = hms
    return h > 24 or ((h * 60 + mi) * 60 + sec) * 1000000 + us > _USECS_PER_DAY


def _special_datetime(r: _DT) -> _dt.datetime:
    """The value of a special word as a UTC wall clock (no session zone)."""
    sp = r.special
    if sp == "epoch":
        return _dt.datetime(1970, 1, 1)
    now = _dt.datetime.now(_UTC).replace(tzinfo=None)
    if sp == "now":
        return now
    today = _dt.datetime(now.year, now.month, now.day)
    if sp == "today":
        return today
    if sp == "tomorrow":
        return today + _dt.timedelta(days=1)
    if sp == "yesterday":
        return today - _dt.timedelta(days=1)
    return _dt.datetime(2000, 1, 1)  # allballs: midnight


def _date_from(r: _DT, s: str) -> _dt.date:
    y, mo, d = r.date  # type: ignore[misc]
    if y > 9999:
        raise ParamError("22008", 'date out of range: "%s"' % (s,))
    return _dt.date(y, mo, d)


def _parse_date(s: str) -> _dt.date:
    r = _parse_dt(s, "date")
    if r.special is not None:
        if r.special == "allballs":
            raise _syntax("date", s, "22007")
        if r.special in ("infinity", "-infinity", "bc"):
            raise ParamError("22008", 'date out of range: "%s"' % (s,))
        return _special_datetime(r).date()
    if r.date is None:
        raise _syntax("date", s, "22007")
    return _date_from(r, s)


def _clock(r: _DT) -> Tuple[int, int]:
    """(extra days, micros of day) for the parsed time; 24:00:00 is a day."""
    h, mi, sec, us = r.hms if r.hms is not None else (0, 0, 0, 0)
    micros = ((h * 60 + mi) * 60 + sec) * 1000000 + us
    return divmod(micros, _USECS_PER_DAY)


def _time_of(micros: int) -> _dt.time:
    sec, us = divmod(micros, 1000000)
    mi, sec = divmod(sec, 60)
    h, mi = divmod(mi, 60)
    return _dt.time(h, mi, sec, us)


def _parse_time(s: str) -> _dt.time:
    r = _parse_dt(s, "time")
    if r.special is not None:
        if r.special in ("now", "allballs"):
            return _special_datetime(r).time()
        raise _syntax("time", s, "22007")
    if r.hms is None:
        raise _syntax("time", s, "22007")
    days, micros = _clock(r)
    if days:  # 24:00:00 is valid in PostgreSQL but not in Python
        raise ParamError("22008", 'date/time field value out of range: "%s"' % (s,))
    return _time_of(micros)


def _parse_timetz(s: str) -> _dt.time:
    """A time with a numeric offset; without one the zone is UTC (the session
    TimeZone is not known here).  Named zones need a date and are refused."""
    r = _parse_dt(s, "timetz")
    if r.special is not None:
        if r.special in ("now", "allballs"):
            return _special_datetime(r).time().replace(tzinfo=_UTC)
        raise _syntax("time with time zone", s, "22007")
    if r.hms is None or (r.tz is not None and not isinstance(r.tz, int)):
        raise _syntax("time with time zone", s, "22007")
    days, micros = _clock(r)
    if days:
        raise ParamError("22008", 'date/time field value out of range: "%s"' % (s,))
    off = r.tz or 0
    tz = _UTC if off == 0 else _dt.timezone(_dt.timedelta(seconds=off))
    return _time_of(micros).replace(tzinfo=tz)


def _naive_timestamp(r: _DT, s: str) -> _dt.datetime:
    y, mo, d = r.date  # type: ignore[misc]
    if y > 9999:
        raise ParamError("22008", 'timestamp out of range: "%s"' % (s,))
    days, micros = _clock(r)
    try:
        return _dt.datetime(y, mo, d) + _dt.timedelta(days=days, microseconds=micros)
    except OverflowError:
        raise ParamError("22008", 'timestamp out of range: "%s"' % (s,)) from None


def _parse_timestamp(s: str) -> _dt.datetime:
    """A naive datetime; a zone in the text is checked but ignored, as
    PostgreSQL's timestamp_in does."""
    r = _parse_dt(s, "timestamp")
    if r.special is not None:
        if r.special in ("infinity", "-infinity", "bc"):
            raise ParamError("22008", 'timestamp out of range: "%s"' % (s,))
        if r.special == "allballs":
            raise _syntax("timestamp", s, "22007")
        return _special_datetime(r)
    if r.date is None:
        raise _syntax("timestamp", s, "22007")
    return _naive_timestamp(r, s)


def _parse_timestamptz(s: str) -> _dt.datetime:
    """An aware datetime in UTC.  Text without a zone is taken as UTC: the
    session TimeZone is not known here (clients normally send offsets)."""
    r = _parse_dt(s, "timestamptz")
    if r.special is not None:
        if r.special in ("infinity", "-infinity", "bc"):
            raise ParamError("22008", 'timestamp out of range: "%s"' % (s,))
        if r.special == "allballs":
            raise _syntax("timestamp with time zone", s, "22007")
        return _special_datetime(r).replace(tzinfo=_UTC)
    if r.date is None:
        raise _syntax("timestamp with time zone", s, "22007")
    local = _naive_timestamp(r, s)
    tz = r.tz
    try:
        if tz is None or tz == 0:
            return local.replace(tzinfo=_UTC)
        if isinstance(tz, int):
            return (local - _dt.timedelta(seconds=tz)).replace(tzinfo=_UTC)
        return local.replace(tzinfo=tz).astimezone(_UTC)
    except OverflowError:
        raise ParamError("22008", 'timestamp out of range: "%s"' % (s,)) from None


def _recv_date(data: bytes, encoding: str) -> _dt.date:
    _need(data, 4)
    days = _I32.unpack(data)[0]
    if days == 0x7FFFFFFF:
        raise ParamError("22008", 'date out of range: "infinity"')
    if days == -0x80000000:
        raise ParamError("22008", 'date out of range: "-infinity"')
    try:
        return _dt.date.fromordinal(days + _PG_EPOCH_ORDINAL)
    except (ValueError, OverflowError):
        raise ParamError("22008", "date out of range") from None


def _recv_time(data: bytes, encoding: str) -> _dt.time:
    _need(data, 8)
    micros = _I64.unpack(data)[0]
    if not 0 <= micros < _USECS_PER_DAY:
        raise ParamError("22008", "time out of range")
    return _time_of(micros)


def _recv_timetz(data: bytes, encoding: str) -> _dt.time:
    _need(data, 12)
    micros, zone = struct.unpack(">qi", data)
    if not 0 <= micros < _USECS_PER_DAY:
        raise ParamError("22008", "time out of range")
    if not -_TZDISP_LIMIT < zone < _TZDISP_LIMIT:
        raise ParamError("22009", "time zone displacement out of range")
    tz = _UTC if zone == 0 else _dt.timezone(_dt.timedelta(seconds=-zone))
    return _time_of(micros).replace(tzinfo=tz)


def _timestamp_from_micros(micros: int) -> _dt.datetime:
    if micros == 0x7FFFFFFFFFFFFFFF:
        raise ParamError("22008", 'timestamp out of range: "infinity"')
    if micros == -0x8000000000000000:
        raise ParamError("22008", 'timestamp out of range: "-infinity"')
    try:
        return _PG_EPOCH + _dt.timedelta(microseconds=micros)
    except OverflowError:
        raise ParamError("22008", "timestamp out of range") from None


def _recv_timestamp(data: bytes, encoding: str) -> _dt.datetime:
    _need(data, 8)
    return _timestamp_from_micros(_I64.unpack(data)[0])


def _recv_timestamptz(data: bytes, encoding: str) -> _dt.datetime:
    _need(data, 8)
    return _timestamp_from_micros(_I64.unpack(data)[0]).replace(tzinfo=_UTC)
