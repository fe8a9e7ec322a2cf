"""PostgreSQL client_encoding names mapped to Python codecs.

A client picks its encoding with the ``client_encoding`` startup parameter,
``SET client_encoding`` or ``SET NAMES``.  PostgreSQL accepts many spellings
for each encoding (``utf-8``, ``Unicode``, ``latin1``, ``ISO-8859-1``,
``WIN1252``, ``Windows1252`` ...) and always reports the canonical name back
(``SHOW client_encoding`` and the ``client_encoding`` ParameterStatus).  A
wire server that fronts a Python engine must (a) reproduce that
canonicalisation so clients see the names they expect, and (b) know which
Python codec to use to encode/decode text on the wire.  This module does
both, using only the standard library.

The alias table reproduces PostgreSQL's ``pg_encname_tbl`` (src/common/
encnames.c) and was checked name by name against PostgreSQL 15 with
``SET client_encoding = '<alias>'; SHOW client_encoding``.
"""

from __future__ import annotations

import codecs
from typing import Dict, List, Optional, Tuple

__all__ = [
    "UnsupportedEncodingError",
    "lookup",
    "normalize_name",
    "canonical_names",
    "pg_name_for_codec",
    "SQL_ASCII",
]

#: PostgreSQL's "no encoding" pseudo encoding.  See :func:`lookup`.
SQL_ASCII = "SQL_ASCII"

# PostgreSQL encodings that can be used as client_encoding, mapped to the
# Python codec that converts the same byte sequences.  None marks encodings
# PostgreSQL knows but the Python standard library cannot convert.
#
# Notes on the less obvious choices:
# * SJIS is really Microsoft's code page 932 in PostgreSQL (aliases
#   mskanji/win932/windows932), so "cp932" is the faithful codec.
# * BIG5 has the aliases win950/windows950 and PostgreSQL's tables include
#   the Microsoft extensions, hence "cp950".
# * UHC is "Unified Hangul Code", i.e. code page 949.
# * EUC_CN is the EUC form of GB2312, which Python calls "gb2312".
# * SQL_ASCII: see lookup().
_CODECS: Dict[str, Optional[str]] = {
    "SQL_ASCII": "utf-8",
    "UTF8": "utf-8",
    "EUC_JP": "euc_jp",
    "EUC_CN": "gb2312",
    "EUC_KR": "euc_kr",
    "EUC_TW": None,
    "EUC_JIS_2004": "euc_jis_2004",
    "MULE_INTERNAL": None,
    "LATIN1": "iso8859_1",
    "LATIN2": "iso8859_2",
    "LATIN3": "iso8859_3",
    "LATIN4": "iso8859_4",
    "LATIN5": "iso8859_9",
    "LATIN6": "iso8859_10",
    "LATIN7": "iso8859_13",
    "LATIN8": "iso8859_14",
    "LATIN9": "iso8859_15",
    "LATIN10": "iso8859_16",
    "WIN1256": "cp1256",
    "WIN1258": "cp1258",
    "WIN866": "cp866",
    "WIN874": "cp874",
    "KOI8R": "koi8_r",
    "WIN1251": "cp1251",
    "WIN1252": "cp1252",
    "ISO_8859_5": "iso8859_5",
    "ISO_8859_6": "iso8859_6",
    "ISO_8859_7": "iso8859_7",
    "ISO_8859_8": "iso8859_8",
    "WIN1250": "cp1250",
    "WIN1253": "cp1253",
    "WIN1254": "cp1254",
    "WIN1255": "cp1255",
    "WIN1257": "cp1257",
    "KOI8U": "koi8_u",
    "SJIS": "cp932",
    "BIG5": "cp950",
    "GBK": "gbk",
    "UHC": "cp949",
    "GB18030": "gb18030",
    "JOHAB": "johab",
    "SHIFT_JIS_2004": "shift_jis_2004",
}

# Normalised alias -> canonical PostgreSQL name (PostgreSQL's pg_encname_tbl).
_ALIASES: Dict[str, str] = {
    "abc": "WIN1258",
    "alt": "WIN866",
    "big5": "BIG5",
    "euccn": "EUC_CN",
    "eucjis2004": "EUC_JIS_2004",
    "eucjp": "EUC_JP",
    "euckr": "EUC_KR",
    "euctw": "EUC_TW",
    "gb18030": "GB18030",
    "gbk": "GBK",
    "iso88591": "LATIN1",
    "iso885910": "LATIN6",
    "iso885913": "LATIN7",
    "iso885914": "LATIN8",
    "iso885915": "LATIN9",
    "iso885916": "LATIN10",
    "iso88592": "LATIN2",
    "iso88593": "LATIN3",
    "iso88594": "LATIN4",
    "iso88595": "ISO_8859_5",
    "iso88596": "ISO_8859_6",
    "iso88597": "ISO_8859_7",
    "iso88598": "ISO_8859_8",
    "iso88599": "LATIN5",
    "johab": "JOHAB",
    "koi8": "KOI8R",
    "koi8r": "KOI8R",
    "koi8u": "KOI8U",
    "latin1": "LATIN1",
    "latin10": "LATIN10",
    "latin2": "LATIN2",
    "latin3": "LATIN3",
    "latin4": "LATIN4",
    "latin5": "LATIN5",
    "latin6": "LATIN6",
    "latin7": "LATIN7",
    "latin8": "LATIN8",
    "latin9": "LATIN9",
    "mskanji": "SJIS",
    "muleinternal": "MULE_INTERNAL",
    "shiftjis": "SJIS",
    "shiftjis2004": "SHIFT_JIS_2004",
    "sjis": "SJIS",
    "sqlascii": "SQL_ASCII",
    "tcvn": "WIN1258",
    "tcvn5712": "WIN1258",
    "uhc": "UHC",
    "unicode": "UTF8",
    "utf8": "UTF8",
    "vscii": "WIN1258",
    "win": "WIN1251",
    "win1250": "WIN1250",
    "win1251": "WIN1251",
    "win1252": "WIN1252",
    "win1253": "WIN1253",
    "win1254": "WIN1254",
    "win1255": "WIN1255",
    "win1256": "WIN1256",
    "win1257": "WIN1257",
    "win1258": "WIN1258",
    "win866": "WIN866",
    "win874": "WIN874",
    "win932": "SJIS",
    "win936": "GBK",
    "win949": "UHC",
    "win950": "BIG5",
    "windows1250": "WIN1250",
    "windows1251": "WIN1251",
    "windows1252": "WIN1252",
    "windows1253": "WIN1253",
    "windows1254": "WIN1254",
    "windows1255": "WIN1255",
    "windows1256": "WIN1256",
    "windows1257": "WIN1257",
    "windows1258": "WIN1258",
    "windows866": "WIN866",
    "windows874": "WIN874",
    "windows932": "SJIS",
    "windows936": "GBK",
    "windows949": "UHC",
    "windows950": "BIG5",
}

# PostgreSQL rejects encoding names of NAMEDATALEN (64) bytes or more before
# looking at them at all.
_NAMEDATALEN = 64

_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


class UnsupportedEncodingError(ValueError):
    """PostgreSQL knows the encoding but it cannot be used here.

    Raised for encodings such as MULE_INTERNAL and EUC_TW for which the Python
    standard library has no codec.  It is a ``ValueError`` so callers that do
    not care about the difference can treat it like an unknown name; callers
    that do can report it the way PostgreSQL reports an encoding it has no
    conversion for (SQLSTATE 0A000, "Conversion between X and Y is not
    supported.").  ``pg_name`` holds the canonical PostgreSQL name.
    """

    def __init__(self, name: str, pg_name: str) -> None:
        super().__init__(name)
        self.name = name
        self.pg_name = pg_name


def normalize_name(name: str) -> str:
    """Reduce an encoding name the way PostgreSQL's clean_encoding_name does.

    PostgreSQL compares encoding names after dropping every character that
    is not an ASCII letter or digit and lower-casing the rest, which is why
    ``UTF-8``, ``utf_8`` and ``Utf8`` are all the same encoding.
    """
    return "".join(c for c in name.lower() if c in _ALNUM)


def lookup(name: str) -> Tuple[str, str]:
    """Return ``(postgresql_canonical_name, python_codec_name)`` for *name*.

    Why the pair: the canonical name is what the server must report to the
    client (SHOW / ParameterStatus), the codec is what it must use to turn
    wire bytes into ``str`` and back.

    SQL_ASCII is special.  In PostgreSQL it means "no encoding": bytes are
    passed through unchanged and never validated or converted.  A Python
    server has to produce ``str`` somehow, so this function maps SQL_ASCII to
    the codec ``"utf-8"``; callers that want byte-exact pass-through should
    pair it with a lossless error handler such as ``"surrogateescape"``.
    The caller can recognise the case by the canonical name ``"SQL_ASCII"``.

    Raises ``ValueError(name)`` for names PostgreSQL does not know, and
    :class:`UnsupportedEncodingError` (a ``ValueError`` subclass) for names
    it knows but that have no Python codec (MULE_INTERNAL, EUC_TW).  Turning
    that into PostgreSQL's ``invalid value for parameter "client_encoding"``
    error is the caller's job.
    """
    if not isinstance(name, str):
        raise ValueError(name)
    if len(name.encode("utf-8", "surrogatepass")) >= _NAMEDATALEN:
        raise ValueError(name)
    canonical = _ALIASES.get(normalize_name(name))
    if canonical is None:
        raise ValueError(name)
    codec = _CODECS[canonical]
    if codec is None:
        raise UnsupportedEncodingError(name, canonical)
    return canonical, codec


def pg_name_for_codec(codec: str) -> str:
    """The PostgreSQL name of the encoding a Python codec stands for, for
    error messages (``cp1252`` -> ``WIN1252``; ``utf-8`` -> ``UTF8``)."""
    wanted = codecs.lookup(codec).name
    for pg, py in _CODECS.items():
        if py is not None and pg != SQL_ASCII and codecs.lookup(py).name == wanted:
            return pg
    return codec.upper()


def canonical_names() -> List[str]:
    """All canonical names :func:`lookup` can return, for listing/validation."""
    return [name for name, codec in _CODECS.items() if codec is not None]


def _self_check() -> None:
    """Make sure every codec named above exists in this Python build."""
    for codec in _CODECS.values():
        if codec is not None:
            codecs.lookup(codec)


_self_check()
