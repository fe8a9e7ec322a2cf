"""SQL-level cursors: DECLARE ... CURSOR FOR, FETCH, CLOSE.

psycopg2's named cursors and psql's FETCH_COUNT read large results this way.
A cursor is a portal under the cursor's name: DECLARE runs the handler once
for the query, FETCH streams the next rows of that result. Only forward
fetching is offered, as for a NO SCROLL cursor in PostgreSQL.
"""
from __future__ import annotations

import re
from typing import Any, NamedTuple, Optional, Tuple

from .errors import PgError

_NAME = r'("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_DECLARE = re.compile(
    r"\s*declare\s+" + _NAME + r"\s+((?:binary|insensitive|asensitive|no\s+scroll|scroll)\s+)*"
    r"cursor\s+(?:(with|without)\s+hold\s+)?for\s+(.*)$", re.IGNORECASE | re.DOTALL)
_FETCH = re.compile(r"\s*(fetch|move)\b\s*(.*?)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_DIRECTION = re.compile(r"(?:(next|all|forward\s+all|forward\s+\d+|forward|\+?\d+)\s+)?(?:(?:from|in)\s+)?"
                        + _NAME + r"$", re.IGNORECASE | re.DOTALL)


class Declare(NamedTuple):
    name: str
    hold: bool
    query: str


class Fetch(NamedTuple):
    name: str
    count: Optional[int]      # None: all remaining rows


def _ident(raw: str) -> str:
    if raw.startswith('"'):
        return raw[1:-1].replace('""', '"')
    return raw.lower()


def parse_declare(stmt: str) -> Optional[Declare]:
    mo = _DECLARE.match(stmt)
    if mo is None:
        return None
    options = (mo.group(2) or "").lower().split()
    if "binary" in options:
        raise PgError("0A000", "binary cursors are not supported")
    if "scroll" in options and "no" not in options:
        raise PgError("0A000", "scrollable cursors are not supported")
    return Declare(_ident(mo.group(1)), (mo.group(3) or "").lower() == "with", mo.group(4).strip())


def parse_fetch(stmt: str) -> Optional[Fetch]:
    mo = _FETCH.match(stmt)
    if mo is None:
        return None
    if mo.group(1).lower() == "move":
        raise PgError("0A000", "MOVE is not supported; use FETCH")
    d = _DIRECTION.match(mo.group(2))
    if d is None:
        raise PgError("55000", "cursor can only scan forward",
                      hint="Declare it with SCROLL option to enable backward scan.")
    direction = " ".join((d.group(1) or "next").lower().split())
    if direction in ("all", "forward all"):
        count = None
    elif direction in ("next", "forward"):
        count = 1
    else:
        count = int(direction.split()[-1].lstrip("+"))
    return Fetch(_ident(d.group(2)), count)


class CursorSlice:
    """The next ``count`` rows (None: all) of a cursor portal, as a stream.

    FETCH through the extended protocol is a portal of its own whose rows
    come from the cursor: chunks the cursor already encoded are used first
    and whatever is not taken is given back to it."""

    def __init__(self, cursor: Any, count: Optional[int]) -> None:
        self.cursor = cursor
        self.remaining = count
        self.columns = cursor.outcome.stream.columns

    def next_chunk(self) -> Optional[Tuple[bytes, int]]:
        from .messages import split_data_rows
        cursor = self.cursor
        if self.remaining == 0 or cursor.done:
            return None
        if cursor.queued:
            blob, n = cursor.queued.pop(0)
        else:
            got = cursor.outcome.stream.next_chunk()
            blob, n = got if got is not None else (b"", -1)
        if n == -1:
            cursor.done = True
            cursor.outcome.stream.close()
            return None
        if self.remaining is not None and n > self.remaining:
            head, tail = split_data_rows(blob, self.remaining)
            cursor.queued.insert(0, (tail, n - self.remaining))
            blob, n = head, self.remaining
        if self.remaining is not None:
            self.remaining -= n
        return blob, n

    def close(self) -> None:
        """Closing a FETCH leaves the cursor open."""
