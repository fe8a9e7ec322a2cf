"""PostgreSQL text output of bytea, uuid, inet and the system-catalog types.

These encoders are short, but each spelling is what psql and drivers
expect: ``\\x`` hex or the escape form for bytea, the ``reg*`` types as
the object's name (a bare OID as digits, 0 as ``-``),
``int2vector``/``oidvector`` as space-separated numbers, ``tid`` as
``(block,offset)``, ``pg_lsn`` as two hex halves and ``inet`` without the
``/bits`` of a single host.
"""
from __future__ import annotations

import ipaddress
import operator
import uuid
from typing import Any

from .textcontext import Encoder

# ---------------------------------------------------------------------------
# strings, bytes, uuid
# ---------------------------------------------------------------------------


_BYTEA_ESCAPE = tuple(
    "\\\\" if b == 0x5C else ("\\%03o" % b if b < 0x20 or b > 0x7E else chr(b)) for b in range(256)
)


def format_bytea_escape(b: bytes) -> str:
    """``byteaout`` with ``bytea_output = escape``: printable ASCII as is,
    backslash doubled, every other byte as ``\\ooo``."""
    return "".join(map(_BYTEA_ESCAPE.__getitem__, b))


def _bytea_escape_encoder() -> Encoder:
    fmt = format_bytea_escape

    def enc(v: Any) -> str:
        if type(v) is bytes:
            return fmt(v)
        if isinstance(v, (bytes, bytearray, memoryview)):
            return fmt(bytes(v))
        if isinstance(v, str):
            return v
        raise TypeError("cannot format %s as bytea" % type(v).__name__)

    return enc


def _bytea_encoder() -> Encoder:
    def enc(v: Any) -> str:
        if type(v) is bytes:
            return "\\x" + v.hex()
        if isinstance(v, (bytes, bytearray, memoryview)):
            return "\\x" + bytes(v).hex()
        if isinstance(v, str):
            return v
        raise TypeError("cannot format %s as bytea" % type(v).__name__)

    return enc


def _uuid_encoder() -> Encoder:
    UUID = uuid.UUID

    def enc(v: Any) -> str:
        if type(v) is UUID:
            return str(v)
        if isinstance(v, str):
            return v
        if isinstance(v, UUID):
            return str(v)
        if isinstance(v, (bytes, bytearray, memoryview)) and len(v) == 16:
            return str(UUID(bytes=bytes(v)))
        raise TypeError("cannot format %s as uuid" % type(v).__name__)

    return enc


# ---------------------------------------------------------------------------
# system catalog types
# ---------------------------------------------------------------------------


def _reg_encoder() -> Encoder:
    """reg* types print the object's name; the catalog engine supplies it.

    An :class:`~riffq._wire.pgtypes.OidName` carries its rendering; a bare
    OID prints as digits (PostgreSQL does so for an OID naming nothing) and
    0 as ``-``, as ``regclassout`` and friends do.
    """

    def enc(v: Any) -> str:
        text = getattr(v, "text", None)
        if text is not None:
            return text
        if isinstance(v, str):
            return v
        n = operator.index(v)
        return "-" if n == 0 else str(n)

    return enc


def _vector_encoder() -> Encoder:
    """int2vector / oidvector: the elements separated by single spaces."""

    def enc(v: Any) -> str:
        if isinstance(v, str):
            return v
        return " ".join(str(operator.index(x)) for x in v)

    return enc


def _tid_encoder() -> Encoder:
    def enc(v: Any) -> str:
        if isinstance(v, str):
            return v
        block, offset = v
        return "(%d,%d)" % (operator.index(block), operator.index(offset))

    return enc


def _pg_lsn_encoder() -> Encoder:
    def enc(v: Any) -> str:
        if isinstance(v, str):
            return v
        n = operator.index(v)
        return "%X/%X" % (n >> 32, n & 0xFFFFFFFF)

    return enc


def format_inet(v: Any) -> str:
    """inet output: the address, with ``/bits`` only when not a single host."""
    if isinstance(v, str):
        return v
    if isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return str(v)
    if isinstance(v, (ipaddress.IPv4Interface, ipaddress.IPv6Interface)):
        if v.network.prefixlen == v.max_prefixlen:
            return str(v.ip)
        return "%s/%d" % (v.ip, v.network.prefixlen)
    if isinstance(v, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        if v.prefixlen == v.max_prefixlen:
            return str(v.network_address)
        return str(v)
    raise TypeError("cannot format %s as inet" % type(v).__name__)
