"""PostgreSQL type descriptors used when describing result columns.

Only the standard library is imported here: these descriptors are needed by
every server, including ones that never touch pyarrow.  OIDs, names and
``typlen`` values match PostgreSQL 15's ``pg_type`` catalog.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
import functools
import numbers
import re
import uuid
from dataclasses import dataclass
from typing import Any, Dict, Optional
from .pginterval import PgInterval

__all__ = [
    "PgType",
    "BY_OID",
    "BY_NAME",
    "array_of",
    "with_typmod",
    "type_from_name",
    "infer_type",
    "numeric_typmod",
    "OidName",
    "REG_TYPES",
    "VECTOR_TYPES",
]


@dataclass(frozen=True)
class PgType:
    """A column type as announced in RowDescription.

    ``typmod`` is the ``atttypmod`` value (``-1`` when there is none) and
    ``elem`` is the element type for array types.
    """

    oid: int
    name: str
    typlen: int
    typmod: int = -1
    elem: Optional["PgType"] = None

    @property
    def is_array(self) -> bool:
        """True for array types (they carry an element type)."""
        return self.elem is not None


# --- scalar types (oid, pg_type.typname, pg_type.typlen) -------------------
BOOL = PgType(16, "bool", 1)
BYTEA = PgType(17, "bytea", -1)
CHAR = PgType(18, "char", 1)
NAME = PgType(19, "name", 64)
INT8 = PgType(20, "int8", 8)
INT2 = PgType(21, "int2", 2)
INT4 = PgType(23, "int4", 4)
TEXT = PgType(25, "text", -1)
OID = PgType(26, "oid", 4)
JSON = PgType(114, "json", -1)
FLOAT4 = PgType(700, "float4", 4)
FLOAT8 = PgType(701, "float8", 8)
UNKNOWN = PgType(705, "unknown", -2)
BPCHAR = PgType(1042, "bpchar", -1)
VARCHAR = PgType(1043, "varchar", -1)
DATE = PgType(1082, "date", 4)
TIME = PgType(1083, "time", 8)
TIMESTAMP = PgType(1114, "timestamp", 8)
TIMESTAMPTZ = PgType(1184, "timestamptz", 8)
INTERVAL = PgType(1186, "interval", 16)
TIMETZ = PgType(1266, "timetz", 12)
NUMERIC = PgType(1700, "numeric", -1)
UUID = PgType(2950, "uuid", 16)
JSONB = PgType(3802, "jsonb", -1)

# --- system catalog types (what pg_catalog columns and functions return) ----
INT2VECTOR = PgType(22, "int2vector", -1)
REGPROC = PgType(24, "regproc", 4)
TID = PgType(27, "tid", 6)
XID = PgType(28, "xid", 4)
CID = PgType(29, "cid", 4)
OIDVECTOR = PgType(30, "oidvector", -1)
PG_NODE_TREE = PgType(194, "pg_node_tree", -1)
INET = PgType(869, "inet", -1)
ACLITEM = PgType(1033, "aclitem", 12)
REGPROCEDURE = PgType(2202, "regprocedure", 4)
REGOPER = PgType(2203, "regoper", 4)
REGOPERATOR = PgType(2204, "regoperator", 4)
REGCLASS = PgType(2205, "regclass", 4)
REGTYPE = PgType(2206, "regtype", 4)
CSTRING = PgType(2275, "cstring", -2)
PG_LSN = PgType(3220, "pg_lsn", 8)
REGCONFIG = PgType(3734, "regconfig", 4)
REGDICTIONARY = PgType(3769, "regdictionary", 4)
REGNAMESPACE = PgType(4089, "regnamespace", 4)
REGROLE = PgType(4096, "regrole", 4)
REGCOLLATION = PgType(4191, "regcollation", 4)
XID8 = PgType(5069, "xid8", 8)

#: OID aliases: stored and sent in binary as an OID, printed in text as a name.
REG_TYPES = frozenset(t.oid for t in (
    REGPROC, REGPROCEDURE, REGOPER, REGOPERATOR, REGCLASS, REGTYPE, REGCONFIG, REGDICTIONARY,
    REGNAMESPACE, REGROLE, REGCOLLATION))
#: Zero-based one-dimensional arrays printed space-separated (indkey, proargtypes ...).
VECTOR_TYPES = frozenset((INT2VECTOR.oid, OIDVECTOR.oid))


class OidName(int):
    """An OID that also knows how PostgreSQL prints it (for reg* columns).

    ``regclass`` and friends are OIDs on disk and in binary, but their text
    output is the object's name as seen from the search path.  The catalog
    engine knows the names, the encoders do not, so the engine hands over
    the OID with its rendering attached: ``OidName(1259, "pg_class")``.
    """

    text: str

    def __new__(cls, oid: int, text: str) -> "OidName":
        self = super().__new__(cls, oid)
        self.text = text
        return self

    def __repr__(self) -> str:
        return "OidName(%d, %r)" % (int(self), self.text)

# --- array types: pg_type.typarray of each scalar above (typlen is -1) ------
_ARRAY_OIDS = {
    BOOL.oid: 1000,
    BYTEA.oid: 1001,
    CHAR.oid: 1002,
    NAME.oid: 1003,
    INT8.oid: 1016,
    INT2.oid: 1005,
    INT4.oid: 1007,
    TEXT.oid: 1009,
    OID.oid: 1028,
    JSON.oid: 199,
    FLOAT4.oid: 1021,
    FLOAT8.oid: 1022,
    BPCHAR.oid: 1014,
    VARCHAR.oid: 1015,
    DATE.oid: 1182,
    TIME.oid: 1183,
    TIMESTAMP.oid: 1115,
    TIMESTAMPTZ.oid: 1185,
    INTERVAL.oid: 1187,
    TIMETZ.oid: 1270,
    NUMERIC.oid: 1231,
    UUID.oid: 2951,
    JSONB.oid: 3807,
    INT2VECTOR.oid: 1006,
    REGPROC.oid: 1008,
    TID.oid: 1010,
    XID.oid: 1011,
    CID.oid: 1012,
    OIDVECTOR.oid: 1013,
    INET.oid: 1041,
    ACLITEM.oid: 1034,
    REGPROCEDURE.oid: 2207,
    REGOPER.oid: 2208,
    REGOPERATOR.oid: 2209,
    REGCLASS.oid: 2210,
    REGTYPE.oid: 2211,
    CSTRING.oid: 1263,
    PG_LSN.oid: 3221,
    REGCONFIG.oid: 3735,
    REGDICTIONARY.oid: 3770,
    REGNAMESPACE.oid: 4090,
    REGROLE.oid: 4097,
    REGCOLLATION.oid: 4192,
    XID8.oid: 271,
}

_SCALARS = (
    BOOL, BYTEA, CHAR, NAME, INT8, INT2, INT4, TEXT, OID, JSON, FLOAT4, FLOAT8,
    UNKNOWN, BPCHAR, VARCHAR, DATE, TIME, TIMESTAMP, TIMESTAMPTZ, INTERVAL,
    TIMETZ, NUMERIC, UUID, JSONB,
    INT2VECTOR, REGPROC, TID, XID, CID, OIDVECTOR, PG_NODE_TREE, INET, ACLITEM, REGPROCEDURE,
    REGOPER, REGOPERATOR, REGCLASS, REGTYPE, CSTRING, PG_LSN, REGCONFIG, REGDICTIONARY,
    REGNAMESPACE, REGROLE, REGCOLLATION, XID8,
)


def _make_array(t: PgType) -> PgType:
    return PgType(_ARRAY_OIDS[t.oid], "_" + t.name, -1, t.typmod, t)


BOOL_ARRAY = _make_array(BOOL)
BYTEA_ARRAY = _make_array(BYTEA)
CHAR_ARRAY = _make_array(CHAR)
NAME_ARRAY = _make_array(NAME)
INT8_ARRAY = _make_array(INT8)
INT2_ARRAY = _make_array(INT2)
INT4_ARRAY = _make_array(INT4)
TEXT_ARRAY = _make_array(TEXT)
OID_ARRAY = _make_array(OID)
JSON_ARRAY = _make_array(JSON)
FLOAT4_ARRAY = _make_array(FLOAT4)
FLOAT8_ARRAY = _make_array(FLOAT8)
BPCHAR_ARRAY = _make_array(BPCHAR)
VARCHAR_ARRAY = _make_array(VARCHAR)
DATE_ARRAY = _make_array(DATE)
TIME_ARRAY = _make_array(TIME)
TIMESTAMP_ARRAY = _make_array(TIMESTAMP)
TIMESTAMPTZ_ARRAY = _make_array(TIMESTAMPTZ)
INTERVAL_ARRAY = _make_array(INTERVAL)
TIMETZ_ARRAY = _make_array(TIMETZ)
NUMERIC_ARRAY = _make_array(NUMERIC)
UUID_ARRAY = _make_array(UUID)
JSONB_ARRAY = _make_array(JSONB)

_ARRAYS = (
    BOOL_ARRAY, BYTEA_ARRAY, CHAR_ARRAY, NAME_ARRAY, INT8_ARRAY, INT2_ARRAY,
    INT4_ARRAY, TEXT_ARRAY, OID_ARRAY, JSON_ARRAY, FLOAT4_ARRAY, FLOAT8_ARRAY,
    BPCHAR_ARRAY, VARCHAR_ARRAY, DATE_ARRAY, TIME_ARRAY, TIMESTAMP_ARRAY,
    TIMESTAMPTZ_ARRAY, INTERVAL_ARRAY, TIMETZ_ARRAY, NUMERIC_ARRAY, UUID_ARRAY,
    JSONB_ARRAY,
) + tuple(_make_array(t) for t in (
    INT2VECTOR, REGPROC, TID, XID, CID, OIDVECTOR, INET, ACLITEM, REGPROCEDURE, REGOPER,
    REGOPERATOR, REGCLASS, REGTYPE, CSTRING, PG_LSN, REGCONFIG, REGDICTIONARY, REGNAMESPACE,
    REGROLE, REGCOLLATION, XID8))

#: Every known type keyed by OID (typmod -1).
BY_OID: Dict[int, PgType] = {t.oid: t for t in _SCALARS + _ARRAYS}
#: Every known type keyed by ``pg_type.typname``.
BY_NAME: Dict[str, PgType] = {t.name: t for t in _SCALARS + _ARRAYS}

ACLITEM_ARRAY = BY_OID[1034]
REGTYPE_ARRAY = BY_OID[2211]


def array_of(t: PgType) -> PgType:
    """Return the array type whose elements are ``t``.

    PostgreSQL has no arrays of arrays (``int[][]`` is ``int[]``), so an array
    type is returned unchanged.  The element typmod is kept because
    PostgreSQL reports it for array columns too (``varchar(10)[]`` -> 14).
    """
    if t.elem is not None:
        return t
    try:
        oid = _ARRAY_OIDS[t.oid]
    except KeyError:
        raise ValueError("type %r has no array type" % (t.name,)) from None
    return PgType(oid, "_" + t.name, -1, t.typmod, t)


def with_typmod(t: PgType, typmod: int) -> PgType:
    """Return ``t`` carrying ``typmod`` (propagated to an array's element)."""
    elem = t.elem
    if elem is not None:
        elem = dataclasses.replace(elem, typmod=typmod)
    return dataclasses.replace(t, typmod=typmod, elem=elem)


def numeric_typmod(precision: int, scale: int = 0) -> int:
    """Encode ``numeric(precision, scale)`` the way PostgreSQL does."""
    if not 1 <= precision <= 1000:
        raise ValueError("NUMERIC precision %d must be between 1 and 1000" % precision)
    if not -1000 <= scale <= 1000:
        raise ValueError("NUMERIC scale %d must be between -1000 and 1000" % scale)
    return ((precision << 16) | (scale & 0x7FF)) + 4


# --- parsing user supplied type strings ------------------------------------

# Plain names (already lower-cased, whitespace collapsed).  The first block is
# the vocabulary of the original riffq schema descriptions; where it disagrees
# with PostgreSQL ("int" is int4 in SQL) the riffq meaning wins because
# existing users rely on it.
_NAMES: Dict[str, PgType] = {
    "int": INT8,
    "float": FLOAT8,
    "bool": BOOL,
    "str": TEXT,
    "string": TEXT,
    "date": DATE,
    "datetime": TIMESTAMP,
    "bytes": BYTEA,
    "binary": BYTEA,
    "decimal": NUMERIC,
    "time": TIME,
    "timedelta": INTERVAL,
    "uuid": UUID,
    "json": JSON,
    "jsonb": JSONB,
    "datetimetz": TIMESTAMPTZ,
    "timestamptz": TIMESTAMPTZ,
    # PostgreSQL spellings
    "integer": INT4,
    "int4": INT4,
    "bigint": INT8,
    "int8": INT8,
    "smallint": INT2,
    "int2": INT2,
    "real": FLOAT4,
    "float4": FLOAT4,
    "double precision": FLOAT8,
    "float8": FLOAT8,
    "numeric": NUMERIC,
    "varchar": VARCHAR,
    "character varying": VARCHAR,
    "bpchar": BPCHAR,
    "text": TEXT,
    "boolean": BOOL,
    "bytea": BYTEA,
    "timestamp": TIMESTAMP,
    "timestamp without time zone": TIMESTAMP,
    "timestamp with time zone": TIMESTAMPTZ,
    "time without time zone": TIME,
    "time with time zone": TIMETZ,
    "timetz": TIMETZ,
    "interval": INTERVAL,
    "oid": OID,
    "name": NAME,
    '"char"': CHAR,
    "unknown": UNKNOWN,
}

_MOD_RE = re.compile(r"^([a-z0-9_ \"]+?)\s*\(\s*([-+]?\d+)\s*(?:,\s*([-+]?\d+)\s*)?\)\s*(.*)$")
_ARRAY_SUFFIX_RE = re.compile(r"^(.*?)\s*((?:\[\s*\d*\s*\])+|\s+array(?:\s*\[\s*\d*\s*\])?)$")


def _bad(spec: str, why: str = "") -> ValueError:
    msg = "unknown PostgreSQL type %r" % (spec,)
    if why:
        msg += " (" + why + ")"
    return ValueError(msg)


def _with_modifier(spec: str, base: str, args: list, rest: str) -> PgType:
    """Handle ``name(args) [with[out] time zone]``."""
    if rest not in ("", "with time zone", "without time zone"):
        raise _bad(spec)
    if rest and base not in ("time", "timestamp"):
        raise _bad(spec)
    if base in ("numeric", "decimal"):
        if len(args) == 1:
            args = [args[0], 0]
        try:
            return with_typmod(NUMERIC, numeric_typmod(args[0], args[1]))
        except ValueError as exc:
            raise _bad(spec, str(exc)) from None
    if len(args) != 1:
        raise _bad(spec, "expected one type modifier")
    n = args[0]
    if base in ("varchar", "character varying", "char", "character", "bpchar"):
        if not 1 <= n <= 10485760:
            raise _bad(spec, "length must be between 1 and 10485760")
        t = VARCHAR if base in ("varchar", "character varying") else BPCHAR
        return with_typmod(t, n + 4)
    if base in ("time", "timestamp", "timestamptz", "timetz", "interval"):
        if not 0 <= n <= 6:
            raise _bad(spec, "precision must be between 0 and 6")
        if base == "interval":
            return with_typmod(INTERVAL, (0x7FFF << 16) | n)
        if base == "time":
            t = TIMETZ if rest == "with time zone" else TIME
        elif base == "timestamp":
            t = TIMESTAMPTZ if rest == "with time zone" else TIMESTAMP
        else:
            t = TIMESTAMPTZ if base == "timestamptz" else TIMETZ
        return with_typmod(t, n)
    if base == "float":
        # SQL float(p): binary digits of precision pick real or double.
        if 1 <= n <= 24:
            return FLOAT4
        if 25 <= n <= 53:
            return FLOAT8
        raise _bad(spec, "float precision must be between 1 and 53")
    raise _bad(spec)


def _scalar_from_name(spec: str, s: str) -> PgType:
    t = _NAMES.get(s)
    if t is not None:
        return t
    if s in ("char", "character"):
        # SQL "char" without a length is character(1).
        return with_typmod(BPCHAR, 5)
    m = _MOD_RE.match(s)
    if m:
        base = m.group(1).strip()
        args = [int(m.group(2))]
        if m.group(3) is not None:
            args.append(int(m.group(3)))
        return _with_modifier(spec, base, args, m.group(4).strip())
    # array typnames such as "_int4"
    t = BY_NAME.get(s)
    if t is not None:
        return t
    raise _bad(spec)


def type_from_name(spec: str) -> PgType:
    """Parse a type string from a user's schema description.

    Accepts the original riffq vocabulary (``int``, ``str``, ``datetime`` ...)
    and PostgreSQL type names with their aliases, modifiers and ``[]``.
    """
    if isinstance(spec, PgType):
        return spec
    if not isinstance(spec, str):
        raise ValueError("type must be a string, got %r" % (spec,))
    return _type_from_text(spec)


@functools.lru_cache(maxsize=512)
def _type_from_text(spec: str) -> PgType:
    """Remembered: handlers describe the same few column types on every
    statement (PgType values are frozen, so sharing them is safe)."""
    s = " ".join(spec.strip().lower().split())
    if not s:
        raise _bad(spec, "empty type name")
    m = _ARRAY_SUFFIX_RE.match(s)
    if m and m.group(1):
        try:
            return array_of(_scalar_from_name(spec, m.group(1)))
        except ValueError as exc:
            if repr(spec) in str(exc):
                raise
            raise _bad(spec, str(exc)) from None
    return _scalar_from_name(spec, s)


# --- inferring types from Python values ------------------------------------


def _first_scalar(seq: Any) -> Any:
    """First non-None, non-list value found depth-first in nested lists."""
    for v in seq:
        if v is None:
            continue
        if isinstance(v, (list, tuple)):
            found = _first_scalar(v)
            if found is not None:
                return found
            continue
        return v
    return None


def infer_type(value: Any) -> Optional[PgType]:
    """Guess the PostgreSQL type for a Python value (``None`` for ``None``).

    Used when a schema description leaves the type out, so results from
    plain Python code still get a sensible column type.  Objects of unknown
    classes map to ``text`` (they are rendered with ``str()``).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT8
    if isinstance(value, float):
        return FLOAT8
    if isinstance(value, str):
        return TEXT
    if isinstance(value, decimal.Decimal):
        return NUMERIC
    if isinstance(value, (bytes, bytearray, memoryview)):
        return BYTEA
    if isinstance(value, _dt.datetime):
        return TIMESTAMPTZ if value.utcoffset() is not None else TIMESTAMP
    if isinstance(value, _dt.date):
        return DATE
    if isinstance(value, _dt.time):
        return TIMETZ if value.tzinfo is not None else TIME
    if isinstance(value, (_dt.timedelta, PgInterval)):
        return INTERVAL
    if isinstance(value, uuid.UUID):
        return UUID
    if isinstance(value, dict):
        return JSON
    if isinstance(value, (list, tuple)):
        first = _first_scalar(value)
        if first is None:
            return TEXT_ARRAY
        elem = infer_type(first)
        if elem is None or elem.oid not in _ARRAY_OIDS:
            return TEXT_ARRAY
        return array_of(elem)
    # numpy and friends: bool-like before integral, integral before real
    if type(value).__name__ in ("bool_", "bool8"):
        return BOOL
    if isinstance(value, numbers.Integral):
        return INT8
    if isinstance(value, numbers.Real):
        return FLOAT8
    return TEXT
