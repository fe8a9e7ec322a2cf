"""PostgreSQL text output of json and jsonb values.

json passes a ``str`` through untouched and lays out Python objects with
PostgreSQL's separators; jsonb also reorders object keys the way jsonb
stores them and prints floats as numerics.  Values JSON cannot hold
(datetimes, decimals, uuids ...) are written the way ``to_json`` writes
them, whatever the session's DateStyle says.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import json
import math
import re
from typing import Any, Callable, List, Optional, Tuple

from . import pgtypes as T
from .textcontext import Encoder, TextContext
from .textformat_datetime import _timestamp_encoder, _timestamptz_encoder
from .textformat_numbers import _frepr, format_numeric


_datetime = _dt.datetime
_Decimal = decimal.Decimal

# ---------------------------------------------------------------------------
# json / jsonb
# ---------------------------------------------------------------------------

_json_str = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.encode_basestring
_dumps = json.dumps


def _json_float(v: float, jsonb: bool) -> str:
    """A float as a JSON value. JSON has no NaN or infinities: they are
    strings, as in PostgreSQL's to_json (a bare ``NaN`` is no JSON, and
    PostgreSQL's own json input rejects it)."""
    if v != v:
        return '"NaN"'
    if v in (math.inf, -math.inf):
        return '"Infinity"' if v > 0 else '"-Infinity"'
    if jsonb:  # jsonb stores numbers as numeric
        return format_numeric(v)
    return _frepr(v)


def _json_key(k: Any) -> str:
    if isinstance(k, str):
        return k
    if k is True:
        return "true"
    if k is False:
        return "false"
    if k is None:
        return "null"
    if isinstance(k, float):
        return _json_float(k, False).strip('"')      # (a key is quoted as a whole)
    return str(k)


class _JsonWriter:
    """JSON text with PostgreSQL's layout (``", "`` and ``": "``).

    With ``jsonb=True`` objects are ordered as jsonb stores them (shorter
    keys first, then bytewise) and floats are printed as numerics.
    Non-JSON values are rendered the way PostgreSQL's ``to_json`` does.
    """

    def __init__(self, ctx: TextContext, jsonb: bool) -> None:
        self.jsonb = jsonb
        self.ctx = ctx
        self._ts: Optional[Encoder] = None
        self._tstz: Optional[Encoder] = None

    def dumps(self, v: Any) -> str:
        out: List[str] = []
        self._write(v, out.append)
        return "".join(out)

    def _write(self, v: Any, emit: Callable[[str], Any]) -> None:
        if isinstance(v, str):
            emit(_json_str(v))
        elif v is None:
            emit("null")
        elif v is True:
            emit("true")
        elif v is False:
            emit("false")
        elif isinstance(v, int):
            emit(int.__repr__(v))
        elif isinstance(v, float):
            emit(_json_float(v, self.jsonb))
        elif isinstance(v, dict):
            items = [(_json_key(k), x) for k, x in v.items()]
            if self.jsonb:
                dedup = dict(items)  # later duplicates win, as in jsonb
                items = sorted(dedup.items(), key=_jsonb_key_order)
            if not items:
                emit("{}")
                return
            emit("{")
            first = True
            for k, x in items:
                if not first:
                    emit(", ")
                first = False
                emit(_json_str(k))
                emit(": ")
                self._write(x, emit)
            emit("}")
        elif isinstance(v, (list, tuple)):
            if not v:
                emit("[]")
                return
            emit("[")
            first = True
            for x in v:
                if not first:
                    emit(", ")
                first = False
                self._write(x, emit)
            emit("]")
        elif isinstance(v, _Decimal):
            emit(format_numeric(v) if v.is_finite() else _json_str(format_numeric(v)))
        else:
            emit(_json_str(self._scalar_text(v)))

    def _scalar_text(self, v: Any) -> str:
        if isinstance(v, _datetime):
            if v.utcoffset() is None:
                if self._ts is None:
                    self._ts = _timestamp_encoder(self.ctx.tz)
                return self._ts(v).replace(" ", "T", 1)
            if self._tstz is None:
                self._tstz = _timestamptz_encoder(self.ctx.tz)
            return _xsd_offset(self._tstz(v).replace(" ", "T", 1))
        if isinstance(v, (set, frozenset)):
            return str(sorted(v, key=repr))
        t = T.infer_type(v)
        if t is None or t.oid == T.TEXT.oid or t.is_array:
            return str(v)
        from .textformat import encoder_for  # the dispatcher imports this module

        return encoder_for(t, self.ctx)(v)


_TZ_TAIL = re.compile(r"([+-]\d\d)((?::\d\d)*)((?: BC)?)$")


def _xsd_offset(s: str) -> str:
    """``to_json`` writes offsets as ``+HH:MM`` where text output has ``+HH``."""
    m = _TZ_TAIL.search(s)
    if m is None or m.group(2):
        return s
    return s[: m.end(1)] + ":00" + m.group(3)


def _jsonb_key_order(item: Tuple[str, Any]) -> Tuple[int, bytes]:
    b = item[0].encode("utf-8", "surrogatepass")
    return (len(b), b)


def _json_encoder(ctx: TextContext, jsonb: bool) -> Encoder:
    # values inside JSON keep JSON/ISO formatting whatever DateStyle etc. say
    writer = _JsonWriter(TextContext(ctx.tz), jsonb)
    wdumps = writer.dumps

    if jsonb:

        def enc(v: Any) -> str:
            if type(v) is str:
                return v
            return wdumps(v)

        return enc

    def enc_json(v: Any) -> str:
        if type(v) is str:
            return v
        try:
            # (allow_nan=False: a NaN or an infinity goes the writer's way,
            # which makes it a string, as JSON has no such numbers)
            return _dumps(v, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            return wdumps(v)

    return enc_json
