"""Cutting the client's byte stream into messages.

PostgreSQL frames messages two ways: the first packet(s) of a connection
carry no type byte (``int32 length, int32 code, body``), everything after the
startup packet is ``byte type, int32 length, body``. The length is checked
before any body is buffered, so a hostile length never makes us allocate.
"""
from __future__ import annotations

import struct
from typing import Optional, Tuple

from .errors import ProtocolViolation

_I32 = struct.Struct("!i")

#: PostgreSQL's MAX_STARTUP_PACKET_LENGTH.
MAX_STARTUP_PACKET = 10000
#: Messages that carry only names or nothing (Sync, Flush, Describe, Close...).
MAX_SMALL_MESSAGE = 10000
#: PostgreSQL's PQ_LARGE_MESSAGE_LIMIT, for Query, Parse, Bind, CopyData...
MAX_LARGE_MESSAGE = (1 << 30) - 1

_SMALL_TYPES = frozenset(b"SHXDCcE")


#: the one-byte ``bytes`` of each message type, made once
_TYPE_BYTES = [bytes((i,)) for i in range(256)]


class Framer:
    """Accumulates bytes and yields whole message bodies, one at a time."""

    __slots__ = ("_buf", "_pos", "startup", "cap")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0
        #: True while the next packet is an untyped startup-phase packet.
        self.startup = True
        #: A lower limit for every message while set (e.g. during authentication).
        self.cap: Optional[int] = None

    def feed(self, data: bytes) -> None:
        if self._pos and self._pos == len(self._buf):
            self._buf.clear()
            self._pos = 0
        self._buf += data

    def pending(self) -> int:
        """Bytes received but not yet returned as a message."""
        return len(self._buf) - self._pos

    def next_message(self) -> Optional[Tuple[Optional[bytes], bytes]]:
        """Return ``(type_byte, body)`` (type None in startup mode) or None."""
        buf, pos = self._buf, self._pos
        avail = len(buf) - pos
        if self.startup:
            if avail < 4:
                return None
            length = _I32.unpack_from(buf, pos)[0]
            if length < 8 or length > MAX_STARTUP_PACKET:
                raise ProtocolViolation("invalid length of startup packet")
            if avail < length:
                return None
            body = bytes(buf[pos + 4:pos + length])
            self._advance(length)
            return None, body
        if avail < 5:
            return None
        type_byte = buf[pos]
        length = _I32.unpack_from(buf, pos + 1)[0]
        limit = MAX_SMALL_MESSAGE if type_byte in _SMALL_TYPES else MAX_LARGE_MESSAGE
        if self.cap is not None:
            limit = min(limit, self.cap)
        if length < 4 or length > limit:
            raise ProtocolViolation("invalid message length")
        if avail < length + 1:
            return None
        end = pos + 1 + length
        body = bytes(buf[pos + 5:end])
        if end > 65536 and end * 2 > len(buf):
            del buf[:end]           # as _advance, inline: this runs per message
            end = 0
        self._pos = end
        return _TYPE_BYTES[type_byte], body

    def skip(self, n: int) -> None:
        """Drop ``n`` buffered bytes: messages handled without framing them
        (see ``fastpath``)."""
        self._advance(n)

    def _advance(self, n: int) -> None:
        self._pos += n
        if self._pos > 65536 and self._pos * 2 > len(self._buf):
            del self._buf[:self._pos]
            self._pos = 0
