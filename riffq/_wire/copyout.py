"""COPY ... TO STDOUT: a handler's rows sent in COPY's text format.

psql's ``\\copy``, psycopg's ``copy()`` and ``pg_dump``-style tools read a
result as CopyOutResponse/CopyData/CopyDone. The handler answers the COPY
statement with rows like any query; they are re-framed here, value bytes
unchanged, with COPY's text escaping. Sending them as an ordinary result
instead would make those clients read nothing at all.
"""
from __future__ import annotations

import re
import struct
from typing import Any, List, Optional, Tuple

from .errors import PgError
from .sqlsplit import first_keywords

_TO_STDOUT = re.compile(r"\bto\s+stdout\b", re.IGNORECASE)
_FROM_STDIN = re.compile(r"\bfrom\s+stdin\b", re.IGNORECASE)
_NOT_TEXT = re.compile(r"\b(csv|binary)\b", re.IGNORECASE)
_I16 = struct.Struct("!h")
_I32 = struct.Struct("!i")
_ESCAPES = {ord("\\"): "\\\\", ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


def copy_direction(stmt: str) -> Optional[str]:
    """``"out"`` for COPY ... TO STDOUT, ``"in"`` for COPY ... FROM STDIN,
    else None. Formats other than text are refused with 0A000."""
    if first_keywords(stmt, 1) != ["COPY"]:
        return None
    if _FROM_STDIN.search(stmt):
        return "in"
    if _TO_STDOUT.search(stmt):
        if _NOT_TEXT.search(stmt):
            raise PgError("0A000", "COPY TO STDOUT is supported in the text format only")
        return "out"
    return None


def copy_out_response(ncols: int) -> bytes:
    body = b"\x00" + _I16.pack(ncols) + b"\x00\x00" * ncols
    return b"H" + _I32.pack(len(body) + 4) + body


def copy_done() -> bytes:
    return b"c\x00\x00\x00\x04"


def _escape(value: bytes) -> bytes:
    if b"\\" in value or b"\n" in value or b"\r" in value or b"\t" in value:
        return value.replace(b"\\", b"\\\\").replace(b"\n", b"\\n").replace(b"\r", b"\\r") \
            .replace(b"\t", b"\\t")
    return value


def rows_to_copy_data(blob: bytes) -> bytes:
    """Concatenated DataRow messages to CopyData messages, one per row."""
    out: List[bytes] = []
    pos, end = 0, len(blob)
    unpack_i32, unpack_i16 = _I32.unpack_from, _I16.unpack_from
    while pos < end:
        length = unpack_i32(blob, pos + 1)[0]
        n = unpack_i16(blob, pos + 5)[0]
        p = pos + 7
        fields = []
        for _ in range(n):
            ln = unpack_i32(blob, p)[0]
            p += 4
            if ln < 0:
                fields.append(b"\\N")
            else:
                fields.append(_escape(blob[p:p + ln]))
                p += ln
        line = b"\t".join(fields) + b"\n"
        out.append(b"d" + _I32.pack(len(line) + 4) + line)
        pos += 1 + length
    return b"".join(out)


class CopyOutStream:
    """A ResultStream whose chunks come out as CopyData."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.columns = stream.columns

    def next_chunk(self) -> Optional[Tuple[bytes, int]]:
        chunk = self._stream.next_chunk()
        if chunk is None:
            return None
        return rows_to_copy_data(chunk[0]), chunk[1]

    def close(self) -> None:
        self._stream.close()


def convert_queued(pre: List[Tuple[bytes, int]]) -> List[Tuple[bytes, int]]:
    return [(rows_to_copy_data(b) if n > 0 else b, n) for b, n in pre]
