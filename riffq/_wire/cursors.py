"""SQL-level cursors: DECLARE ... CURSOR FOR, FETCH, MOVE, CLOSE.

psycopg2's named cursors and psql's FETCH_COUNT read large results this way
(and ``scroll()`` moves with MOVE). A cursor is a portal under the cursor's
name: DECLARE runs the handler once for the query, FETCH streams the next
rows of that result. Only moving forward is offered, as for a NO SCROLL
cursor in PostgreSQL: ABSOLUTE, RELATIVE and FIRST work while they lead
forward, and whatever would go back is PostgreSQL's 55000.
"""
from __future__ import annotations

import re
from typing import Any, List, NamedTuple, Optional, Sequence, Tuple

from .cursor_rows import CursorRows
from .errors import PgError
from .messages import split_data_rows
from .results import column_formats, encode_error

#: an identifier: quoted, or letters (any beyond ASCII too), digits, _ and $
_NAME = r'("(?:[^"]|"")+"|[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_$\u0080-\U0010ffff]*)'
_DECLARE = re.compile(
    r"\s*declare\s+" + _NAME + r"\s+((?:(?:binary|insensitive|asensitive|no\s+scroll|scroll)\s+)*)"
    r"cursor\s+(?:(with|without)\s+hold\s+)?for\s+(.*)$", re.IGNORECASE | re.DOTALL)
_FETCH = re.compile(r"\s*(fetch|move)\b\s*(.*?)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_DIRECTION = re.compile(r"(?:(next|prior|first|last|all|(?:forward|backward)\s+(?:all|[-+]?\d+)|forward|"
                        r"backward|(?:absolute|relative)\s+[-+]?\d+|[-+]?\d+)\s+)?(?:(?:from|in)\s+)?"
                        + _NAME + r"$", re.IGNORECASE | re.DOTALL)
#: direction words: (how, count; None: all)
_WORDS = {"next": ("forward", 1), "forward": ("forward", 1), "all": ("forward", None),
          "prior": ("backward", 1), "backward": ("backward", 1), "first": ("absolute", 1),
          "last": ("absolute", -1)}
#: the largest count PostgreSQL's grammar takes (a signed 32-bit integer)
_MAX_COUNT = 2 ** 31 - 1
_FORWARD_ONLY = ("cursor can only scan forward", "Declare it with SCROLL option to enable backward scan.")


class Declare(NamedTuple):
    name: str
    hold: bool
    query: str
    #: DECLARE ... BINARY: FETCH through the simple protocol gives binary
    binary: bool = False


class Fetch(NamedTuple):
    """FETCH or MOVE: ``how`` is "forward" or "backward" (``count`` rows,
    never negative; None: all), "absolute" or "relative" (to row ``count``)."""
    name: str
    count: Optional[int]
    how: str = "forward"
    move: bool = False

    def plan(self, position: int, at_end: bool) -> Tuple[int, Optional[int]]:
        """(rows to pass over, rows to return; None: all) from a cursor that
        has given ``position`` rows (``at_end``: it found its end), as
        PostgreSQL's NO SCROLL cursor moves; 55000 where it would go back.
        (0, 0) is the current row for FETCH 0; MOVE 0 only counts it.

        Going back is refused when it would happen, as in PostgreSQL: a
        valid statement in a failed block is 25P02 first, and through the
        extended protocol the error comes at Execute. Two backward moves
        go nowhere and pass: MOVE BACKWARD 0 counts the current row, and
        MOVE BACKWARD ALL before the first row (PostgreSQL's rewind)."""
        n = self.count
        if self.how == "backward":
            if self.move and (n == 0 or (n is None and position == 0 and not at_end)):
                return 0, 0
        elif self.how == "absolute":
            # (past the end, PostgreSQL counts one more row behind it)
            if n is not None and n > 0 and n > position + at_end:
                return n - 1 - position, 1
            if n == 0 and position == 0 and not at_end:
                return 0, 0
        elif n is not None and n > 0:
            return (n - 1, 1) if self.how == "relative" else (0, n)
        elif n is None:
            return 0, None
        elif n == 0 and (self.move or not on_a_row(position, at_end)):
            return 0, 0
        raise PgError("55000", _FORWARD_ONLY[0], hint=_FORWARD_ONLY[1])


def _ident(raw: str) -> str:
    """PostgreSQL folds only ASCII letters of an unquoted name."""
    if raw.startswith('"'):
        return raw[1:-1].replace('""', '"')
    return raw.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def parse_declare(stmt: str) -> Optional[Declare]:
    mo = _DECLARE.match(stmt)
    if mo is None:
        return None
    options = (mo.group(2) or "").lower().split()
    if "scroll" in options and "no" not in options:
        raise PgError("0A000", "scrollable cursors are not supported")
    return Declare(_ident(mo.group(1)), (mo.group(3) or "").lower() == "with", mo.group(4).strip(),
                   "binary" in options)


def parse_fetch(stmt: str) -> Optional[Fetch]:
    mo = _FETCH.match(stmt)
    if mo is None:
        return None
    move = mo.group(1).lower() == "move"
    if not mo.group(2):
        raise PgError("42601", "syntax error at end of input")
    d = _DIRECTION.match(mo.group(2))
    if d is None:
        raise PgError("42601", 'syntax error at or near "%s"' % mo.group(2).split()[-1])
    words = (d.group(1) or "next").lower().split()
    count: Optional[int]
    if len(words) == 1 and words[0] in _WORDS:
        how, count = _WORDS[words[0]]
    else:
        how = words[0] if words[0] in ("absolute", "relative", "backward") else "forward"
        count = None if words[-1] == "all" else int(words[-1])
        if count is not None and abs(count) > _MAX_COUNT:
            raise PgError("42601", 'syntax error at or near "%s"' % words[-1].lstrip("+-"))
        if count is not None and count < 0 and how in ("forward", "backward"):
            # FORWARD -n is BACKWARD n, and the other way round
            how, count = "backward" if how == "forward" else "forward", -count
    return Fetch(_ident(d.group(2)), count, how, move)


#: How much of a FETCH's rows are taken before the first is sent (see
#: ``CursorSlice.read_ahead``): as much as a connection's output holds.
FETCH_AHEAD_BYTES = 1 << 20


class CursorSlice:
    """The rows a FETCH or MOVE takes from a cursor portal, as a stream.

    FETCH through the extended protocol is a portal of its own whose rows
    come from the cursor, in ``formats`` (this FETCH's Bind's result
    formats): a cursor that DECLARE made keeps its rows unencoded until
    then (``cursor_rows``). The rows a FETCH passes over first (ABSOLUTE,
    RELATIVE) are passed over the same way, unencoded, in ``next_chunk``:
    on the thread that encodes, never the loop's.

    A portal that Bind made, once an Execute has run it, holds rows already
    encoded in its Bind's formats, as does an Execute of a cursor's own
    portal for what it left: those are fetched in those formats only."""

    def __init__(self, cursor: Any, fetch: Fetch, formats: Sequence[int] = ()) -> None:
        self.cursor = cursor
        #: rows taken from the cursor before they were asked for (``finish``)
        self._held: List[Tuple[Any, int]] = []
        #: what ``finish`` met instead of rows, for the Execute that asks
        self._failure: Optional[PgError] = None
        self._skip, self.remaining = fetch.plan(cursor.position, cursor.done)
        cursor.fetching = self
        self.columns = cursor.outcome.stream.columns
        #: None for a MOVE: its rows are passed over, never encoded
        self._formats: Optional[List[int]] = None if fetch.move else column_formats(formats, len(self.columns))
        if self._formats is not None and (cursor.queued or not isinstance(cursor.outcome.stream, CursorRows)):
            if self._formats != column_formats(cursor.formats, len(self.columns)):
                raise PgError("0A000", 'cannot fetch from portal "%s" in other result formats than its '
                              "Bind's" % cursor.name)

    @property
    def unfinished(self) -> bool:
        """Rows of this FETCH are still in the cursor: an Execute's row
        limit suspended it. Another statement that moves the cursor must
        ``finish`` it first."""
        return self._failure is None and bool(self._skip or (self.remaining != 0 and not self.cursor.done))

    def finish(self) -> None:
        """Take the rest of this FETCH's rows from the cursor now, to send
        when asked: another statement is about to move the cursor. In
        PostgreSQL a FETCH runs to its end at its first Execute, however
        few rows that Execute's limit lets through, and keeps its rows for
        the Executes that follow. It reads the user's reader and encodes:
        run it where results are encoded (``Session.off_loop``)."""
        try:
            while True:
                chunk = self._next_from_cursor()
                if chunk is None:
                    return
                self._held.append(chunk)
        except Exception as exc:
            self._failure = encode_error(exc)

    def read_ahead(self, budget: int) -> None:
        """Take this FETCH's rows now, up to ``budget`` bytes of them.
        PostgreSQL runs a FETCH into a store before it sends a row, so a
        FETCH that fails sends none, not even its RowDescription; so does
        this one when it fails within the budget (``failure``). Past it the
        rest streams, memory staying bounded. Reads the user's reader: run
        it where results are encoded (``Session.off_loop``)."""
        size = 0
        try:
            while size < budget:
                chunk = self._next_from_cursor()
                if chunk is None:
                    self._held.append((b"", -1))        # the end, known already
                    return
                self._held.append(chunk)
                size += len(chunk[0])
        except Exception as exc:
            self._held.clear()
            self._failure = encode_error(exc)

    def cancelled(self, err: PgError) -> None:
        """A cancel ended this FETCH while its rows were being read ahead:
        it fails with ``err``, whatever that thread still takes."""
        self._held = []
        self._failure = err

    def take_held(self) -> List[Tuple[Any, int]]:
        """The chunks ``read_ahead`` took, to send before asking for more
        (ending in the end marker when it met the end: nothing to ask)."""
        held, self._held = self._held, []
        return held

    @property
    def failure(self) -> Optional[PgError]:
        """What ``read_ahead`` or ``finish`` met instead of rows."""
        return self._failure

    def next_chunk(self) -> Optional[Tuple[bytes, int]]:
        if self._held:
            chunk = self._held.pop(0)
            return None if chunk[1] == -1 else chunk
        if self._failure is not None:
            raise self._failure
        return self._next_from_cursor()

    def _next_from_cursor(self) -> Optional[Tuple[bytes, int]]:
        while self._skip:
            got = self._take(self._skip, None)
            if got is None:
                self._skip = self.remaining = 0
                return None
            self._skip -= got[1]
        return self._take(self.remaining, self._formats)

    def _take(self, most: Optional[int], formats: Optional[List[int]]) -> Optional[Tuple[bytes, int]]:
        """The cursor's next rows, at most ``most`` (None: no limit), in
        ``formats`` (None: passed over)."""
        cursor = self.cursor
        if most == 0 or cursor.done:
            return None
        stream = cursor.outcome.stream
        if cursor.queued:
            blob, n = cursor.queued.pop(0)
        else:
            try:
                got = stream.take(most, formats) if isinstance(stream, CursorRows) else stream.next_chunk()
            except Exception:
                cursor.failed = True        # see Portal.failed
                raise
            blob, n = got if got is not None else (b"", -1)
        if n == -1:
            cursor.done = True
            cursor.outcome.stream.close()
            return None
        if most is not None and n > most:
            head, tail = split_data_rows(blob, most)
            cursor.queued.insert(0, (tail, n - most))
            blob, n = head, most
        if self.remaining is not None and not self._skip:
            self.remaining -= n
        cursor.position += n
        return blob, n

    def close(self) -> None:
        """Closing a FETCH leaves the cursor open."""


def on_a_row(position: int, at_end: bool) -> bool:
    """Whether a cursor stands on a row: FETCH 0 would give it again (which
    a NO SCROLL cursor cannot), MOVE 0 counts it."""
    return position > 0 and not at_end
