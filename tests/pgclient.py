"""A tiny raw-socket PostgreSQL client for byte-level tests.

Real drivers hide the message sequence; these tests need to see it and to
send what no driver would (bad lengths, unknown types, invalid UTF-8).
"""
from __future__ import annotations

import socket
import struct
from typing import List, Optional, Tuple


def startup_packet(user: str = "user", database: str = "postgres", version: int = 196608,
                   **params: str) -> bytes:
    body = struct.pack("!i", version)
    for k, v in dict(user=user, database=database, **params).items():
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    return struct.pack("!i", len(body) + 4) + body


def msg(type_byte: bytes, body: bytes = b"") -> bytes:
    return type_byte + struct.pack("!i", len(body) + 4) + body


def query(sql, encoding="utf-8") -> bytes:
    raw = sql if isinstance(sql, bytes) else sql.encode(encoding)
    return msg(b"Q", raw + b"\0")


class RawClient:
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, n: int) -> bool:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                return False
            self.buf += chunk
        return True

    def read_byte(self) -> Optional[bytes]:
        if not self._fill(1):
            return None
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def read_message(self) -> Optional[Tuple[bytes, bytes]]:
        if not self._fill(5):
            return None
        t = self.buf[:1]
        (n,) = struct.unpack("!i", self.buf[1:5])
        if not self._fill(1 + n):
            return None
        body = self.buf[5:1 + n]
        self.buf = self.buf[1 + n:]
        return t, body

    def read_until(self, type_byte: bytes = b"Z") -> List[Tuple[bytes, bytes]]:
        out = []
        while True:
            m = self.read_message()
            if m is None:
                return out
            out.append(m)
            if m[0] == type_byte:
                return out

    def connect(self, **params) -> List[Tuple[bytes, bytes]]:
        self.send(startup_packet(**params))
        return self.read_until(b"Z")

    def closed(self) -> bool:
        """True once the server has closed the connection (EOF)."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False

    def close(self) -> None:
        self.sock.close()


def error_fields(body: bytes) -> dict:
    out = {}
    for part in body.split(b"\0"):
        if part:
            out[part[:1].decode()] = part[1:].decode()
    return out
