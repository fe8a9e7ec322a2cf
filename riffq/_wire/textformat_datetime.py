"""PostgreSQL text output of dates, times, timestamps and intervals.

Date/time output depends on the session more than any other family:
``TimeZone`` decides the offset a ``timestamptz`` is shown in, ``DateStyle``
its layout (ISO, SQL, Postgres, German, with day/month order), and
``IntervalStyle`` the interval grammar.  Zone names are resolved here too
(:func:`timezone_from_name`), because the abbreviation PostgreSQL prints for
a fixed-offset zone depends on how the zone was spelled in ``SET``.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Callable, Dict, Optional, Tuple

from .textcontext import Encoder, _DO_DMY, _DS_GERMAN, _DS_SQL
from .pginterval import PgInterval, format_pg_interval


_UTC = _dt.timezone.utc
_datetime = _dt.datetime
_date = _dt.date
_time = _dt.time
_timedelta = _dt.timedelta

# ---------------------------------------------------------------------------
# date / time
# ---------------------------------------------------------------------------
_NUMERIC_TZ_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# POSIX style fixed offset, optionally preceded by an abbreviation:
# "+02:00", "UTC+3", "GMT-2", "<+07>-7".  POSIX counts hours *west* of
# Greenwich, so the sign is inverted compared with ISO 8601.
_POSIX_TZ_RE = re.compile(
    r"^([A-Za-z]{3,}|<[+-]?[A-Za-z0-9]+(?::?[0-9]+)*>)?"
    r"([+-]?)(\d{1,2})(?::(\d{1,2}))?$"
)
_ZONE_KEYS_LOWER: Optional[Dict[str, str]] = None
_GMT = _dt.timezone(_timedelta(0), "GMT")


def _zoneinfo(name: str) -> Optional[_dt.tzinfo]:
    global _ZONE_KEYS_LOWER
    try:
        import zoneinfo
    except ImportError:  # pragma: no cover - Python < 3.9
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        pass
    # PostgreSQL matches zone names case-insensitively ("europe/amsterdam").
    if _ZONE_KEYS_LOWER is None:
        try:
            keys = zoneinfo.available_timezones()
        except Exception:  # pragma: no cover - unusual tzdata installs
            keys = set()
        _ZONE_KEYS_LOWER = {k.lower(): k for k in keys}
    key = _ZONE_KEYS_LOWER.get(name.lower())
    if key is None:
        return None
    try:
        return zoneinfo.ZoneInfo(key)
    except (ValueError, KeyError, OSError):  # pragma: no cover
        return None


def timezone_from_name(name: str) -> _dt.tzinfo:
    """Resolve a ``SET TIME ZONE`` value the way PostgreSQL does.

    Accepts IANA names (case-insensitive), ``UTC``/``GMT``, plain numbers of
    hours (``-5``, ``5.5``: ISO sign, east positive) and POSIX fixed offsets
    (``+02:00``, ``UTC+3``: POSIX sign, *west* positive, exactly like
    PostgreSQL).  Raises ``ValueError`` for anything else.

    Fixed-offset zones carry the abbreviation PostgreSQL prints for them in
    the SQL, Postgres and German DateStyles as their ``tzname``: ``GMT``,
    ``+05:30`` for numeric hours, the POSIX abbreviation (``UTC+3`` ->
    ``UTC``, ``<+07>-7`` -> ``+07``) or nothing at all (``+02:00``).
    """
    if not isinstance(name, str):
        raise ValueError("time zone must be a string, got %r" % (name,))
    s = name.strip()
    if not s:
        raise ValueError("invalid time zone %r" % (name,))
    low = s.lower()
    if low in ("utc", "etc/utc"):
        return _UTC
    if low in ("gmt", "etc/gmt"):
        return _GMT
    if _NUMERIC_TZ_RE.match(s):
        hours = float(s)
        if not -15.0 <= hours <= 15.0:
            raise ValueError("time zone offset %r is out of range" % (name,))
        off = _timedelta(seconds=round(hours * 3600))
        return _dt.timezone(off, format_offset(off))
    if "/" not in s or not s.startswith(("+", "-")):
        tz = _zoneinfo(s)
        if tz is not None:
            return tz
    m = _POSIX_TZ_RE.match(s)
    if m:
        hours, minutes = int(m.group(3)), int(m.group(4) or 0)
        if hours > 24 or minutes > 59:
            raise ValueError("time zone offset %r is out of range" % (name,))
        seconds = hours * 3600 + minutes * 60
        if m.group(2) != "-":
            seconds = -seconds
        # PostgreSQL parses the upper-cased spec, so "utc0" prints "UTC"
        abbrev = (m.group(1) or "").strip("<>").upper()
        if not seconds and abbrev == "UTC":
            return _UTC
        return _dt.timezone(_timedelta(seconds=seconds), abbrev)
    raise ValueError("invalid time zone %r" % (name,))



_OFFSET_CACHE: Dict[_timedelta, str] = {}


def format_offset(off: Optional[_timedelta]) -> str:
    """UTC offset as PostgreSQL prints it: ``+00``, ``-06:30``, ``+05:53:28``."""
    if off is None:
        return "+00"
    s = _OFFSET_CACHE.get(off)
    if s is not None:
        return s
    secs = off.days * 86400 + off.seconds
    sign = "-" if secs < 0 else "+"
    h, rem = divmod(abs(secs), 3600)
    m, sec = divmod(rem, 60)
    s = "%s%02d" % (sign, h)
    if m or sec:
        s += ":%02d" % m
        if sec:
            s += ":%02d" % sec
    if len(_OFFSET_CACHE) < 1024:
        _OFFSET_CACHE[off] = s
    return s


def _fmt_clock(h: int, m: int, s: int, us: int) -> str:
    if us:
        return ("%02d:%02d:%02d.%06d" % (h, m, s, us)).rstrip("0")
    return "%02d:%02d:%02d" % (h, m, s)


def _plain_datetime(v: _datetime) -> _datetime:
    """Drop datetime subclasses (pandas.Timestamp prints nanoseconds)."""
    if type(v) is _datetime:
        return v
    return _datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, v.tzinfo, fold=v.fold)


def _naive_ts_text(v: _datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS[.frac]`` for a naive datetime."""
    v = _plain_datetime(v)
    s = v.isoformat(" ")
    return s.rstrip("0") if v.microsecond else s


_MAX_DAY_INDEX = _dt.date.max.toordinal() - 1  # 9999-12-31, counted from 0001-01-01


def _edge_local(v: _datetime, tz: _dt.tzinfo) -> Tuple[str, _timedelta]:
    """Local wall-clock text for an aware ``v`` whose conversion into ``tz``
    leaves Python's year range (PostgreSQL prints ``... BC`` / year 10000).

    Returns ``(text, offset)``; ``text`` has a ``" BC"`` placeholder handled
    by the caller via the returned marker.
    """
    naive = v.replace(tzinfo=None)
    utc = (naive - _datetime.min) - (v.utcoffset() or _timedelta(0))
    ref = _datetime.min + min(max(utc, _timedelta(0)), _datetime.max - _datetime.min)
    off = tz.utcoffset(ref) or _timedelta(0)
    local = utc + off
    day = local.days
    secs = local.seconds
    clock = _fmt_clock(secs // 3600, secs // 60 % 60, secs % 60, local.microseconds)
    if day < 0:  # before 0001-01-01: December of 1 BC
        return "0001-12-%02d %s\x00BC" % (32 + day, clock), off
    if day > _MAX_DAY_INDEX:
        return "10000-01-%02d %s" % (day - _MAX_DAY_INDEX, clock), off
    return _naive_ts_text(_datetime.min + local), off


def _timestamp_encoder(tz: _dt.tzinfo) -> Encoder:
    def enc(v: Any) -> str:
        if type(v) is _datetime and v.tzinfo is None:
            return _naive_ts_text(v)
        return slow(v)

    def slow(v: Any) -> str:
        if isinstance(v, _datetime):
            if v.utcoffset() is None:
                return _naive_ts_text(v)
            # timestamptz -> timestamp: wall clock in the session zone
            try:
                return _naive_ts_text(v.astimezone(tz).replace(tzinfo=None))
            except OverflowError:
                text, _ = _edge_local(v, tz)
                return text.replace("\x00", " ")
        if isinstance(v, str):
            return v
        if isinstance(v, _date):
            return v.isoformat() + " 00:00:00"
        raise TypeError("cannot format %s as timestamp" % type(v).__name__)

    return enc


def _timestamptz_inputs(aware: Callable[[_datetime], str]) -> Encoder:
    """What a timestamptz column accepts: aware datetimes, naive ones taken
    as UTC, dates as UTC midnight, and strings already in text form."""
    def enc(v: Any) -> str:
        if isinstance(v, _datetime):
            if v.utcoffset() is None:
                v = v.replace(tzinfo=_UTC)
            return aware(v)
        if isinstance(v, str):
            return v
        if isinstance(v, _date):
            return aware(_datetime(v.year, v.month, v.day, tzinfo=_UTC))
        raise TypeError("cannot format %s as timestamptz" % type(v).__name__)
    return enc


def _timestamptz_encoder(tz: _dt.tzinfo) -> Encoder:
    is_utc = tz is _UTC

    def enc(v: Any) -> str:
        if type(v) is _datetime:
            if v.tzinfo is None:
                if is_utc:
                    return _naive_ts_text(v) + "+00"
                v = v.replace(tzinfo=_UTC)
            return aware(v)
        return slow(v)

    def aware(v: _datetime) -> str:
        if type(v) is not _datetime:
            v = _plain_datetime(v)
        try:
            local = v.astimezone(tz)
        except OverflowError:
            text, off = _edge_local(v, tz)
            base, _, bc = text.partition("\x00")
            return base + format_offset(off) + (" " + bc if bc else "")
        off = local.utcoffset()
        s = local.isoformat(" ")
        if local.microsecond:
            s = s[:26].rstrip("0")
        else:
            s = s[:19]
        return s + format_offset(off)

    slow = _timestamptz_inputs(aware)

    return enc


def _date_encoder() -> Encoder:
    def enc(v: Any) -> str:
        if type(v) is _date:
            return v.isoformat()
        if isinstance(v, _datetime):
            return v.date().isoformat()
        if isinstance(v, _date):
            return _date.isoformat(v)
        if isinstance(v, str):
            return v
        raise TypeError("cannot format %s as date" % type(v).__name__)

    return enc


_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY_ABBR = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def _date2j(y: int, m: int, d: int) -> int:
    """PostgreSQL's ``date2j`` (astronomical year: 1 BC is 0)."""
    if m > 2:
        m += 1
        y += 4800
    else:
        m += 13
        y += 4799
    century = y // 100
    return y * 365 - 32167 + y // 4 - century + century // 4 + 7834 * m // 256 + d


def _restyle(iso: str, style: int, order: int, tzn: Optional[str]) -> str:
    """Re-lay an ISO ``YYYY-MM-DD[ HH:MM:SS[.f]][ BC]`` text (no offset) in a
    non-ISO DateStyle, as ``EncodeDateOnly``/``EncodeDateTime`` do; ``tzn``
    is the zone abbreviation for timestamptz (None: none printed)."""
    bc = iso.endswith(" BC")
    if bc:
        iso = iso[:-3]
    date, _, clock = iso.partition(" ")
    ystr, mm, dd = date.rsplit("-", 2)
    if style == _DS_SQL:
        out = (dd + "/" + mm if order == _DO_DMY else mm + "/" + dd) + "/" + ystr
        if clock:
            out += " " + clock
    elif style == _DS_GERMAN:
        out = dd + "." + mm + "." + ystr
        if clock:
            out += " " + clock
    elif not clock:  # Postgres style, date only
        out = (dd + "-" + mm if order == _DO_DMY else mm + "-" + dd) + "-" + ystr
    else:  # Postgres style: "Tue Jan 02 03:04:05 2024"
        y = int(ystr)
        wday = _DAY_ABBR[(_date2j(1 - y if bc else y, int(mm), int(dd)) + 1) % 7]
        mon = _MONTH_ABBR[int(mm) - 1]
        md = dd + " " + mon if order == _DO_DMY else mon + " " + dd
        out = wday + " " + md + " " + clock + " " + ystr
    if tzn is not None:
        out += " " + tzn
    return out + " BC" if bc else out


def _styled(iso_enc: Encoder, style: int, order: int) -> Encoder:
    """Wrap an ISO date/timestamp encoder for another DateStyle."""

    def enc(v: Any) -> str:
        if isinstance(v, str):
            return v
        return _restyle(iso_enc(v), style, order, None)

    return enc


def _fixed_abbrev(tz: _dt.tzinfo) -> Optional[str]:
    """Abbreviation for a zone with one constant offset (None: varies)."""
    if type(tz) is not _dt.timezone:
        return None
    off = tz.utcoffset(None)
    name = tz.tzname(None)
    if tz is not _UTC and name == _dt.timezone(off).tzname(None):
        return format_offset(off)  # unnamed: PostgreSQL's numeric form
    return name


def _abbrev_of(local: _datetime) -> str:
    name = local.tzname()
    if name is None:
        return format_offset(local.utcoffset())
    return name[:10]  # MAXTZLEN


def _timestamptz_styled(tz: _dt.tzinfo, style: int, order: int) -> Encoder:
    """timestamptz in the SQL/Postgres/German DateStyles: local wall clock
    followed by the zone's abbreviation (``CET``, ``EDT``, ``UTC``)."""
    fixed = _fixed_abbrev(tz)
    if fixed is not None:
        fixed = fixed[:10]

    def aware(v: _datetime) -> str:
        if type(v) is not _datetime:
            v = _plain_datetime(v)
        try:
            local = v.astimezone(tz)
        except OverflowError:
            text, off = _edge_local(v, tz)
            base, _, bc = text.partition("\x00")
            if fixed is not None:
                tzn = fixed
            else:
                ref = _datetime.min if bc else _datetime.max
                try:
                    tzn = tz.tzname(ref) or format_offset(off)
                except Exception:  # pragma: no cover - unusual tzinfo
                    tzn = format_offset(off)
            return _restyle(base + (" BC" if bc else ""), style, order, tzn[:10])
        tzn = fixed if fixed is not None else _abbrev_of(local)
        return _restyle(_naive_ts_text(local.replace(tzinfo=None)), style, order, tzn)

    return _timestamptz_inputs(aware)


def _time_value(v: Any, type_name: str) -> _time:
    if isinstance(v, _time):
        return v
    if isinstance(v, _datetime):
        return v.timetz()
    if isinstance(v, _timedelta) and _timedelta(0) <= v < _timedelta(days=1):
        return (_datetime.min + v).time()
    raise TypeError("cannot format %s as %s" % (type(v).__name__, type_name))


def _time_encoder() -> Encoder:
    def enc(v: Any) -> str:
        if type(v) is _time and v.tzinfo is None:
            s = v.isoformat()
            return s.rstrip("0") if v.microsecond else s
        if isinstance(v, str):
            return v
        t = _time_value(v, "time")
        return _fmt_clock(t.hour, t.minute, t.second, t.microsecond)

    return enc


def _timetz_encoder() -> Encoder:
    def enc(v: Any) -> str:
        if isinstance(v, str):
            return v
        t = _time_value(v, "timetz")
        # naive times are taken as UTC, like naive timestamps
        return _fmt_clock(t.hour, t.minute, t.second, t.microsecond) + format_offset(t.utcoffset())

    return enc


def format_interval(v: _timedelta) -> str:
    """``interval_out`` (IntervalStyle=postgres) for a timedelta.

    A timedelta is one signed length of time, so its day and time fields
    share its sign: ``timedelta(seconds=-1)`` prints ``-00:00:01`` and
    ``timedelta(days=-1, hours=-2)`` ``-1 days -02:00:00``, as PostgreSQL
    prints ``interval '-1 second'`` and ``interval '-1 day -2 hours'``.
    """
    total = v.days * 86400000000 + v.seconds * 1000000 + v.microseconds
    neg = total < 0
    days, rem = divmod(-total if neg else total, 86400000000)
    secs, us = divmod(rem, 1000000)
    sign = "-" if neg else ""
    parts = []
    if days:
        parts.append("%s%d day%s" % (sign, days, "" if days == 1 and not neg else "s"))
    if rem or not days:
        parts.append(sign + _fmt_clock(secs // 3600, secs // 60 % 60, secs % 60, us))
    return " ".join(parts)


def _interval_fields(v: _timedelta) -> Tuple[int, int, int, int, int]:
    """Signed (day, hour, min, sec, usec) of a timedelta, all sharing its sign
    (``interval2itm`` of the interval PostgreSQL would store)."""
    total = v.days * 86400000000 + v.seconds * 1000000 + v.microseconds
    neg = total < 0
    days, rem = divmod(-total if neg else total, 86400000000)
    secs, us = divmod(rem, 1000000)
    k = -1 if neg else 1
    return k * days, k * (secs // 3600), k * (secs // 60 % 60), k * (secs % 60), k * us


def format_interval_style(v: _timedelta, style: str = "postgres") -> str:
    """``interval_out`` for a timedelta under any ``IntervalStyle``: an
    interval without months, its day and time fields sharing the
    timedelta's sign (``pginterval`` has the general case)."""
    if style == "postgres":
        return format_interval(v)
    if style not in ("sql_standard", "iso_8601", "postgres_verbose"):
        raise ValueError("invalid IntervalStyle %r" % (style,))
    mday, hour, mins, sec, fsec = _interval_fields(v)
    return format_pg_interval(PgInterval(0, mday, ((hour * 60 + mins) * 60 + sec) * 1000000 + fsec), style)


def _interval_encoder(style: str = "postgres") -> Encoder:
    if style == "postgres":
        fmt = format_interval
    else:
        def fmt(v: _timedelta) -> str:
            return format_interval_style(v, style)

    def enc(v: Any) -> str:
        if type(v) is _timedelta:
            return fmt(v)
        if isinstance(v, str):
            return v
        if isinstance(v, _timedelta):
            return fmt(v)
        if isinstance(v, PgInterval):       # one with months (pginterval)
            return format_pg_interval(v, style)
        raise TypeError("cannot format %s as interval" % type(v).__name__)

    return enc
