"""The session settings that change how values print as text.

Several run-time parameters (``DateStyle``, ``IntervalStyle``,
``extra_float_digits``, ``bytea_output``, ``TimeZone``) change the text a
client receives for the same value, so every text encoder is built from a
:class:`TextContext`.  Its parsing of the setting strings lives here, apart
from the encoders, so the type-family modules can share it without
depending on each other.
"""
from __future__ import annotations

import datetime as _dt
import operator
import re
from typing import Any, Callable, Dict, Optional, Tuple


_UTC = _dt.timezone.utc


Encoder = Callable[[Any], str]

# ---------------------------------------------------------------------------
# session state
# ---------------------------------------------------------------------------


class TextContext:
    """Session settings that change how values are printed.

    ``tz`` is the session ``TimeZone`` (``timestamptz`` values are printed
    in it); the other settings take PostgreSQL's canonical ``SHOW`` strings:

    * ``datestyle``: ``"ISO, MDY"``, ``"SQL, DMY"``, ``"Postgres, MDY"``,
      ``"German, DMY"`` ... (style and field order, as ``DateStyle``);
    * ``intervalstyle``: ``"postgres"``, ``"postgres_verbose"``,
      ``"sql_standard"`` or ``"iso_8601"``;
    * ``extra_float_digits``: -15 .. 3 (an int or its decimal string);
    * ``bytea_output``: ``"hex"`` or ``"escape"``.

    Invalid values raise ``ValueError``.  Encoders read the context once,
    when they are created, so build new encoders after a ``SET``.
    """

    __slots__ = ("tz", "datestyle", "intervalstyle", "extra_float_digits", "bytea_output", "encoders",
                 "column_encoders", "declared_schemas")

    def __init__(
        self,
        tz: Optional[_dt.tzinfo] = None,
        datestyle: str = "ISO, MDY",
        intervalstyle: str = "postgres",
        extra_float_digits: Any = 1,
        bytea_output: str = "hex",
    ) -> None:
        self.tz: _dt.tzinfo = _UTC if tz is None else tz
        _parse_datestyle(datestyle)  # validate
        self.datestyle: str = datestyle
        style = str(intervalstyle).strip().lower()
        if style not in _INTERVAL_STYLES:
            raise ValueError("invalid IntervalStyle %r" % (intervalstyle,))
        self.intervalstyle: str = style
        self.extra_float_digits: int = _parse_efd(extra_float_digits)
        out = str(bytea_output).strip().lower()
        if out not in ("hex", "escape"):
            raise ValueError("invalid bytea_output %r" % (bytea_output,))
        self.bytea_output: str = out
        #: text encoders made for this context, by type (``textformat.encoders_for``)
        self.encoders: Dict[Any, Any] = {}
        #: ...and by remembered schema (``textformat.column_encoders``)
        self.column_encoders: Dict[int, Any] = {}
        #: a handler's declared schema by its loose key: (its remembered
        #: columns, their encoders) (``results.small_rows``)
        self.declared_schemas: Dict[Any, Any] = {}

    @property
    def iso_dates(self) -> bool:
        """True when dates and timestamps print in ISO style (the default)."""
        return _parse_datestyle(self.datestyle)[0] == _DS_ISO

    def __repr__(self) -> str:
        return "TextContext(tz=%r, datestyle=%r, intervalstyle=%r, extra_float_digits=%r, bytea_output=%r)" % (
            self.tz, self.datestyle, self.intervalstyle, self.extra_float_digits, self.bytea_output)


_DS_ISO, _DS_SQL, _DS_POSTGRES, _DS_GERMAN = range(4)
_DO_YMD, _DO_DMY, _DO_MDY = range(3)
_DS_WORDS = {"iso": _DS_ISO, "sql": _DS_SQL, "postgres": _DS_POSTGRES, "german": _DS_GERMAN}
_DO_WORDS = {
    "ymd": _DO_YMD, "dmy": _DO_DMY, "euro": _DO_DMY, "european": _DO_DMY,
    "mdy": _DO_MDY, "us": _DO_MDY, "noneuro": _DO_MDY, "noneuropean": _DO_MDY,
}
_DATESTYLE_CACHE: Dict[str, Tuple[int, int]] = {}
_INTERVAL_STYLES = ("postgres", "postgres_verbose", "sql_standard", "iso_8601")


def _parse_datestyle(value: Any) -> Tuple[int, int]:
    """``"SQL, DMY"`` -> (style, order), following PostgreSQL's check_datestyle
    (a lone ``German`` implies DMY; the default is ISO, MDY)."""
    hit = _DATESTYLE_CACHE.get(value)
    if hit is not None:
        return hit
    if not isinstance(value, str):
        raise ValueError("invalid DateStyle %r" % (value,))
    style = order = None
    for word in re.split(r"[\s,]+", value.strip().lower()):
        if not word:
            continue
        if word in _DS_WORDS:
            if style is not None and style != _DS_WORDS[word]:
                raise ValueError("conflicting DateStyle specifications in %r" % (value,))
            style = _DS_WORDS[word]
        elif word in _DO_WORDS:
            if order is not None and order != _DO_WORDS[word]:
                raise ValueError("conflicting DateStyle specifications in %r" % (value,))
            order = _DO_WORDS[word]
        elif word != "default":
            raise ValueError("invalid DateStyle %r" % (value,))
    if style is None:
        style = _DS_ISO
    if order is None:
        order = _DO_DMY if style == _DS_GERMAN else _DO_MDY
    result = (style, order)
    if len(_DATESTYLE_CACHE) < 64:
        _DATESTYLE_CACHE[value] = result
    return result


def _parse_efd(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("invalid extra_float_digits %r" % (value,))
    try:
        n = int(value.strip()) if isinstance(value, str) else operator.index(value)
    except (TypeError, ValueError):
        raise ValueError("invalid extra_float_digits %r" % (value,)) from None
    if not -15 <= n <= 3:
        raise ValueError("extra_float_digits %d is outside the valid range -15 .. 3" % n)
    return n
