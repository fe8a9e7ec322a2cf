"""A cursor's rows, kept as the handler gave them until a FETCH takes some.

A plain result is encoded ahead, in the formats its Bind asked for. A
cursor cannot be: each FETCH through the extended protocol is a portal with
result formats of its own (psycopg's binary server-side cursors and
asyncpg's ``fetch("FETCH ...")`` ask for binary, another FETCH of the same
cursor may ask for text), and a FETCH from a BINARY cursor through the
simple protocol is binary. So a cursor keeps its result in parts (Arrow
slices, or lists of Python rows), encodes only the rows a FETCH takes, in
that FETCH's formats, keeps the rest of a part it cut for the next, and
passes over the rows a MOVE skips without encoding them.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from .messages import split_data_rows
from .results import (CHUNK_ROWS, FIRST_VALUE_ROWS, Column, ResultStream, arrow_slices, binary_encoders,
                      encode_row_part, rows_of, unusable_result)


class CursorRows(ResultStream):
    """A ResultStream whose chunks are encoded when taken, in the taker's
    formats. Reading the parts goes through ``ResultStream.next_chunk``, so
    a close from the loop's thread while a FETCH reads on the encoding
    thread is safe in the same way.

    A FETCH of a few rows encodes the whole part they start (a kernel call
    costs about as much for 100 rows as for 65,536: psycopg's 100-row
    FETCHes over a million rows took 15 s encoded one FETCH at a time,
    against 4 s this way) and keeps what it did not take, encoded, beside
    the same rows unencoded: the next FETCH in the same formats takes the
    former, one in other formats encodes the latter again."""

    def __init__(self, columns: List[Column], parts: Iterator[Any],
                 encode: Callable[[Any, Sequence[int]], Any], closer: Any = None) -> None:
        super().__init__(columns, parts, closer)
        self._encode = encode
        #: the rows of the current part not taken yet...
        self._left: Any = None
        #: ...their DataRows (None: not encoded yet) and those DataRows' formats
        self._left_encoded: Any = None
        self._left_formats: Optional[List[int]] = None
        #: the formats of ``next_chunk``'s rows, when the cursor's own portal
        #: is run by an Execute: text, or binary for a BINARY cursor
        self.formats: Sequence[int] = [0] * len(columns)

    def take(self, most: Optional[int], formats: Optional[Sequence[int]]) -> Optional[Tuple[Any, int]]:
        """The next rows, at most ``most`` (None: what is left of a part),
        as DataRows in ``formats`` (a 0 or 1 per column); with ``formats``
        None they are passed over, ``(b"", n)``. None at the end."""
        part = self._left
        if part is None:
            part = ResultStream.next_chunk(self)
            if part is None:
                return None
            self._left, self._left_encoded = part, None
        n = len(part)
        k = n if most is None or most > n else most
        blob = self._left_encoded
        if formats is not None and (blob is None or self._left_formats != list(formats)):
            blob = self._left_encoded = self._encode(part, formats)
            self._left_formats = list(formats)
        if k == n:
            self._left = self._left_encoded = None
            return (b"" if formats is None else blob), n
        self._left = part[k:]
        if blob is not None:
            # (a view: the rest is not copied at every FETCH)
            head, self._left_encoded = split_data_rows(memoryview(blob), k)
            blob = head
        return (b"" if formats is None else blob), k

    def next_chunk(self) -> Optional[Tuple[Any, int]]:
        return self.take(None, self.formats)

    def close(self) -> None:
        super().close()
        self._left = self._left_encoded = None


def open_cursor_rows(result: Any, ctx: Any, encoding: str) -> CursorRows:
    """A handler's answer to a DECLARE's query, checked as any answer is
    (malformed rows and unusable results fail the DECLARE), not encoded."""
    listed = rows_of(result)
    if listed is not None:
        columns, rows = listed
        return CursorRows(columns, (rows[at:at + CHUNK_ROWS] for at in range(0, len(rows), CHUNK_ROWS)),
                          _rows_encoder(columns, ctx, encoding))
    from .._compat import arrow, arrow_datarows
    if not arrow.is_arrow_result(result):
        raise unusable_result(result)
    reader = arrow.open_reader(result)
    columns = arrow.remembered_columns(reader.schema)

    def encode(part: Any, formats: Sequence[int]) -> Any:
        # a few rows value by value: the kernels cost more per call than they do
        if part.num_rows <= FIRST_VALUE_ROWS:
            return arrow_datarows.per_value_datarows(part, columns, ctx, encoding, formats)
        return arrow_datarows.encode_datarows(part, columns, ctx, encoding, formats)
    return CursorRows(columns, (part for part, _ in arrow_slices(reader)), encode,
                      closer=getattr(reader, "close", None))


def _rows_encoder(columns: List[Column], ctx: Any, encoding: str) -> Callable[[Any, Sequence[int]], bytes]:
    made: Dict[Tuple[int, ...], Optional[list]] = {}

    def encode(part: Any, formats: Sequence[int]) -> bytes:
        key = tuple(formats)
        if key not in made:
            made[key] = binary_encoders(columns, formats, ctx, encoding) if any(formats) else None
        return encode_row_part(columns, part, ctx, encoding, made[key])
    return encode
