"""Validating a ``TimeZone`` value the way PostgreSQL's check_timezone does.

``SET TIME ZONE`` takes more than zone names: a number of hours, IANA names
in any letter case and POSIX ``TZ`` specifications, each shown back by
``SHOW`` in its own canonical spelling.  Whether a POSIX specification is
valid is decided by a port of the tz code's parser that PostgreSQL uses, so
riffq refuses exactly the strings PostgreSQL refuses, with its message.
"""
from __future__ import annotations

import math
from typing import Dict, Iterable, Optional, Tuple

from .settings_checks import SettingError, _LOWER, _UPPER, _invalid, _strtod


_TZ_STRLEN_MAX = 255
_zone_index: Optional[Dict[str, str]] = None


def _zones() -> Dict[str, str]:
    """Lower-cased IANA zone name -> its canonical spelling (built lazily)."""
    global _zone_index
    if _zone_index is None:
        index: Dict[str, str] = {}
        try:
            import zoneinfo  # Python 3.9+
            names: Iterable[str] = zoneinfo.available_timezones()
        except Exception:  # pragma: no cover - no tz database at all
            names = ()
        for name in names:
            index[name.lower()] = name
        _zone_index = index
    return _zone_index


def _zone_file_exists(name: str) -> bool:
    """Last resort for zone files available_timezones() skips (e.g. posixrules)."""
    if not name or name.startswith(("/", ".")) or "\\" in name or ".." in name:
        return False
    try:
        import zoneinfo
        zoneinfo.ZoneInfo(name)
        return True
    except Exception:
        return False


def _getnum(s: str, i: int, lo: int, hi: int) -> Tuple[int, int]:
    """tzcode getnum(): digits with value in [lo, hi]; (-1, i) on failure."""
    n = len(s)
    if i >= n or not ("0" <= s[i] <= "9"):
        return -1, i
    num = 0
    while i < n and "0" <= s[i] <= "9":
        num = num * 10 + (ord(s[i]) - 48)
        if num > hi:
            return -1, i
        i += 1
    if num < lo:
        return -1, i
    return num, i


def _getoffset(s: str, i: int) -> int:
    """tzcode getoffset(): [+-]hh[:mm[:ss]] with hh <= 167; -1 on failure."""
    if i < len(s) and s[i] in "+-":
        i += 1
    num, i = _getnum(s, i, 0, 24 * 7 - 1)
    if num < 0:
        return -1
    for hi in (59, 60):
        if i < len(s) and s[i] == ":":
            num, i = _getnum(s, i + 1, 0, hi)
            if num < 0:
                return -1
        else:
            break
    return i


def _getzname(s: str, i: int) -> Tuple[int, int]:
    """Zone abbreviation: <quoted> or a run without digits, ',', '+', '-'.

    Returns (index after the name, name length) or (-1, 0).
    """
    n = len(s)
    if i < n and s[i] == "<":
        j = s.find(">", i + 1)
        if j < 0:
            return -1, 0
        return j + 1, j - i - 1
    j = i
    while j < n and not ("0" <= s[j] <= "9") and s[j] not in ",+-":
        j += 1
    return j, j - i


def _getrule(s: str, i: int) -> int:
    """tzcode getrule(): Jn, n or Mm.n.d, then an optional /time."""
    n = len(s)
    if i < n and s[i] == "J":
        num, i = _getnum(s, i + 1, 1, 365)
    elif i < n and s[i] == "M":
        num, i = _getnum(s, i + 1, 1, 12)
        for lo, hi in ((1, 5), (0, 6)):
            if num < 0 or i >= n or s[i] != ".":
                return -1
            num, i = _getnum(s, i + 1, lo, hi)
    else:
        num, i = _getnum(s, i, 0, 365)
    if num < 0:
        return -1
    if i < n and s[i] == "/":
        i = _getoffset(s, i + 1)
    return i


def _posix_tz_ok(spec: str) -> bool:
    """PostgreSQL's tzparse() on a POSIX TZ string such as EST5EDT or <+03>-03."""
    n = len(spec)
    i, _ = _getzname(spec, 0)
    if i < 0 or i >= n:
        return False  # PostgreSQL allows an empty STD name, but needs an offset
    i = _getoffset(spec, i)
    if i < 0:
        return False
    if i == n:
        return True
    i, dstlen = _getzname(spec, i)
    if i < 0 or dstlen == 0:
        return False
    if i < n and spec[i] not in ",;":
        i = _getoffset(spec, i)
        if i < 0:
            return False
    if i == n:
        return True
    if spec[i] not in ",;":
        return False
    i = _getrule(spec, i + 1)
    if i < 0 or i >= n or spec[i] != ",":
        return False
    i = _getrule(spec, i + 1)
    return i == n


def _offset_zone_name(gmtoffset: int) -> str:
    """pg_tzset_offset(): the name PostgreSQL gives a numeric offset zone."""
    absoff = abs(gmtoffset)
    text = "%02d" % (absoff // 3600)
    absoff %= 3600
    if absoff:
        text += ":%02d" % (absoff // 60)
        absoff %= 60
        if absoff:
            text += ":%02d" % absoff
    if gmtoffset > 0:
        return "<-%s>+%s" % (text, text)
    return "<+%s>-%s" % (text, text)


def check_timezone(value: str) -> str:
    """Canonical TimeZone for *value*, or SettingError as PostgreSQL reports it.

    Accepts what PostgreSQL's check_timezone() accepts: a number of hours
    (``-8``, ``5.5``; note the SQL sign convention, shown as ``<-08>+08``), an
    IANA zone name in any letter case (``europe/berlin`` -> ``Europe/Berlin``,
    looked up in the tz database through :mod:`zoneinfo`), ``GMT``/``UTC``,
    and POSIX TZ specifications (``EST5EDT``, ``<+03>-03``, ``UTC+5``, shown
    upper-cased).
    """
    if len(value) > _TZ_STRLEN_MAX or value[:8].translate(_LOWER) == "interval":
        raise _invalid("TimeZone", value)
    hours, end, erange = _strtod(value)
    if hours is not None and end == len(value):
        if erange or math.isnan(hours) or math.isinf(hours) or abs(hours) > 1e6:
            raise _invalid("TimeZone", value, "UTC timezone offset is out of range.")
        name = _offset_zone_name(int(-hours * 3600))
        if not _posix_tz_ok(name):
            raise _invalid("TimeZone", value, "UTC timezone offset is out of range.")
        return name
    upper = value.translate(_UPPER)
    if upper == "GMT":
        return "GMT"
    lower = value.translate(_LOWER)
    if lower.startswith("right/"):
        raise SettingError("22023", 'time zone "%s" appears to use leap seconds' % value,
                           "PostgreSQL does not support leap seconds.")
    zones = _zones()
    prefix = ""
    rest = lower
    if lower.startswith("posix/"):
        prefix, rest = "posix/", lower[6:]
    canonical = zones.get(rest)
    if canonical is not None:
        return prefix + canonical
    if _zone_file_exists(value):
        return value
    if upper and upper[0] != ":" and _posix_tz_ok(upper):
        return upper
    raise _invalid("TimeZone", value)
