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
#: What may follow TO STDOUT: nothing, or the text format said explicitly.
_TEXT_ONLY = re.compile(r"\s*(?:(?:with\s*)?\(\s*format\s+'?text'?\s*\))?\s*;?\s*$", re.IGNORECASE)
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
    found = None
    for found in _TO_STDOUT.finditer(stmt):
        pass
    if found is not None:
        options = stmt[found.end():]
        if not _TEXT_ONLY.match(options):
            raise PgError("0A000", "COPY TO STDOUT options are not supported here (only the default "
                          "text format): %s" % options.strip())
        return "out"
    return None


def copy_out_response(ncols: int) -> bytes:
    body = b"\x00" + _I16.pack(ncols) + b"\x00\x00" * ncols
    return b"H" + _I32.pack(len(body) + 4) + body


def copy_done() -> bytes:
    return b"c\x00\x00\x00\x04"


_SPECIAL = re.compile(rb"[\\\n\r\t\x08\x0b\x0c]")
_REPLACE = {b"\\": b"\\\\", b"\n": b"\\n", b"\r": b"\\r", b"\t": b"\\t",
            b"\x08": b"\\b", b"\x0b": b"\\v", b"\x0c": b"\\f"}


def _escape(value: bytes) -> bytes:
    """COPY text escaping (as CopyAttributeOutText does for ASCII-safe
    encodings: UTF8 and the single-byte ones)."""
    if _SPECIAL.search(value) is None:
        return value
    return _SPECIAL.sub(lambda mo: _REPLACE[mo.group()], value)


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
