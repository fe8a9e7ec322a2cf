"""Per-session run-time parameters (GUCs) as a PostgreSQL server shows them.

Clients read server parameters constantly: drivers look at the
ParameterStatus burst after authentication (``server_version``,
``client_encoding``, ``DateStyle``, ``integer_datetimes``,
``standard_conforming_strings`` ...), ORMs and tools run ``SHOW`` and ``SET``
on connect, and poolers ``RESET ALL`` / ``DISCARD ALL`` between clients.  A
server that fronts some other engine still has to answer all of that the way
PostgreSQL does, with PostgreSQL's canonical spellings (``SET datestyle =
'iso'`` shows ``ISO, MDY``), its error messages and SQLSTATEs, and its
transactional behaviour (``SET LOCAL`` ends with the transaction and a
rolled-back ``SET`` is undone).  :class:`Settings` is that state machine; it
does no I/O and knows nothing about the wire.

Choices made here (see each docstring for details):

* Unknown parameter names are **accepted** by :meth:`Settings.set` and
  stored, behaving like PostgreSQL's custom placeholder variables
  (``myapp.x``).  PostgreSQL itself only accepts names with a dot; riffq
  fronts other engines whose clients may set engine-specific options, and
  failing those would break connection setup for no benefit.  Dotted names
  must still be valid ``ident.ident`` names (42602 otherwise), and reading a
  name that was never set is still 42704.
* Superuser-only parameters are not policed: every settable parameter can
  be set by every session.
* ``standard_conforming_strings`` cannot be turned off (0A000), because the
  statement splitter lexes strings the standard way and would otherwise
  split backslash-escaped strings wrongly.
"""

from __future__ import annotations

import math
import re
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from . import pgencodings

__all__ = ["REPORTED", "SettingError", "Settings", "check_timezone", "version_num"]

#: Parameters PostgreSQL reports with ParameterStatus (GUC_REPORT), with the
#: exact spelling it sends, in the order of its startup burst (PostgreSQL 15).
#: PostgreSQL 16+ also reports ``scram_iterations``, which clients do not
#: use; it is an ordinary (unreported) parameter here.
REPORTED: Tuple[str, ...] = (
    "application_name",
    "client_encoding",
    "DateStyle",
    "default_transaction_read_only",
    "in_hot_standby",
    "integer_datetimes",
    "IntervalStyle",
    "is_superuser",
    "server_encoding",
    "server_version",
    "session_authorization",
    "standard_conforming_strings",
    "TimeZone",
)


class SettingError(Exception):
    """A SET/SHOW/RESET failure, carrying what the ErrorResponse needs.

    Accepts ``SettingError(sqlstate, message)`` positionally or by keyword,
    plus optional ``detail`` and ``hint`` (PostgreSQL sends e.g. the list of
    valid enum values as a HINT).
    """

    def __init__(self, sqlstate: str = "XX000", message: str = "", detail: Optional[str] = None,
                 hint: Optional[str] = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message
        self.detail = detail
        self.hint = hint

    def __repr__(self) -> str:
        return "SettingError(%r, %r)" % (self.sqlstate, self.message)


# ---------------------------------------------------------------------------
# Small C-compatible number parsers (PostgreSQL parses GUC numbers with
# strtol/strtod, so "0x10", " 12 ", "1e3" and "1.5" have precise meanings).
# ---------------------------------------------------------------------------

_C_SPACE = " \t\n\v\f\r"
_DEC_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX_FLOAT = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[+-]?(?:inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)", re.IGNORECASE)
_STRTOL = re.compile(r"([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))")
_INT_MIN, _INT_MAX = -2 ** 31, 2 ** 31 - 1


def _skip_c_space(s: str, i: int = 0) -> int:
    while i < len(s) and s[i] in _C_SPACE:
        i += 1
    return i


def _strtol(s: str) -> Tuple[Optional[int], int, bool]:
    """C strtol(s, &end, 0): (value or None, end index, overflowed)."""
    i = _skip_c_space(s)
    m = _STRTOL.match(s, i)
    if m is None:
        return None, 0, False
    sign, hexd, octd, decd = m.groups()
    digits = (hexd or octd or decd).lstrip("0")
    if len(digits) > 22:
        # Far outside a C long; also keeps int() away from huge digit strings.
        return (-1 if sign == "-" else 1) * 2 ** 63, m.end(), True
    if hexd is not None:
        v = int(hexd, 16)
    elif octd is not None:
        v = int(octd, 8)
    else:
        v = int(decd)
    if sign == "-":
        v = -v
    return v, m.end(), not (-2 ** 63 <= v < 2 ** 63)


def _strtod(s: str) -> Tuple[Optional[float], int, bool]:
    """C strtod(s, &end): (value or None, end index, range error)."""
    i = _skip_c_space(s)
    m = _SPECIAL_FLOAT.match(s, i)
    if m is not None:
        text = m.group()
        neg = text.startswith("-")
        core = text.lstrip("+-").lower()
        v = float("nan") if core.startswith("nan") else float("inf")
        return (-v if neg else v), m.end(), False
    m = _HEX_FLOAT.match(s, i)
    if m is not None:
        try:
            v = float.fromhex(m.group())
        except OverflowError:
            return math.inf, m.end(), True
        return v, m.end(), False
    m = _DEC_FLOAT.match(s, i)
    if m is None:
        return None, 0, False
    text = m.group()
    v = float(text)
    if math.isinf(v):
        return v, m.end(), True
    if v == 0.0 and any(c in "123456789" for c in text.split("e")[0].split("E")[0]):
        return v, m.end(), True  # underflow
    return v, m.end(), False


def _rint(v: float) -> float:
    """C rint() in the default rounding mode: round half to even."""
    return float(round(v))


# ---------------------------------------------------------------------------
# Units (guc.c memory_unit_conversion_table / time_unit_conversion_table)
# ---------------------------------------------------------------------------

_MEMORY_UNITS_HINT = 'Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".'
_TIME_UNITS_HINT = 'Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".'

_UNIT_TABLES: Dict[str, List[Tuple[str, float]]] = {
    "B": [("TB", 1024.0 ** 4), ("GB", 1024.0 ** 3), ("MB", 1024.0 ** 2), ("kB", 1024.0), ("B", 1.0)],
    "kB": [("TB", 1024.0 ** 3), ("GB", 1024.0 ** 2), ("MB", 1024.0), ("kB", 1.0),
           ("B", 1.0 / 1024)],
    "ms": [("d", 86400000.0), ("h", 3600000.0), ("min", 60000.0), ("s", 1000.0), ("ms", 1.0),
           ("us", 1.0 / 1000)],
    "s": [("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1.0 / 1000),
          ("us", 1.0 / 1000000)],
    "min": [("d", 1440.0), ("h", 60.0), ("min", 1.0), ("s", 1.0 / 60), ("ms", 1.0 / 60000),
            ("us", 1.0 / 60000000)],
}


def _to_base_unit(value: float, unit_text: str, base: str) -> Optional[float]:
    """convert_to_base_unit(): apply a unit suffix like "MB" or "min"."""
    i = 0
    n = len(unit_text)
    while i < n and unit_text[i] not in _C_SPACE and i < 3:
        i += 1
    unit = unit_text[:i]
    if _skip_c_space(unit_text, i) != n:
        return None
    table = _UNIT_TABLES[base]
    for k, (name, mult) in enumerate(table):
        if name == unit:
            cvalue = value * mult
            if k + 1 < len(table):
                nxt = table[k + 1][1]
                cvalue = _rint(cvalue / nxt) * nxt
            return cvalue
    return None


def _from_base_unit(value: int, base: str) -> str:
    """convert_int_from_base_unit(): the largest unit that divides evenly."""
    for name, mult in _UNIT_TABLES[base]:
        if mult <= 1.0 or value % int(mult) == 0:
            return "%d%s" % (int(_rint(value / mult)), name)
    return str(value)  # pragma: no cover - every table ends with a <= 1 unit


# ---------------------------------------------------------------------------
# Parameter definitions
# ---------------------------------------------------------------------------

INTERNAL, POSTMASTER, SIGHUP, USER = "internal", "postmaster", "sighup", "user"

_NO_SHOW_ALL = 1
_NO_RESET_ALL = 2
_TXN = 4          # per-transaction: transaction_isolation & co


class _Def:
    """Static description of one parameter (a row of guc_tables.c)."""

    __slots__ = ("name", "kind", "boot", "desc", "context", "flags", "lo", "hi", "unit",
                 "options", "hint")

    def __init__(self, name: str, kind: str, boot: str, desc: str, context: str = USER,
                 flags: int = 0, lo: float = 0, hi: float = 0, unit: Optional[str] = None,
                 options: Sequence[Tuple[str, str, bool]] = ()) -> None:
        self.name = name
        self.kind = kind
        self.boot = boot
        self.desc = desc
        self.context = context
        self.flags = flags
        self.lo = lo
        self.hi = hi
        self.unit = unit
        self.options = tuple(options)
        self.hint = "Available values: %s." % ", ".join(
            label for label, _, hidden in self.options if not hidden) if options else None


def _enum(*visible: str, hidden: Sequence[Tuple[str, str]] = ()) -> List[Tuple[str, str, bool]]:
    """Enum options: visible labels, then hidden aliases (label, shown as)."""
    return [(v, v, False) for v in visible] + [(a, b, True) for a, b in hidden]


_BOOL_ALIASES = (("true", "on"), ("false", "off"), ("yes", "on"), ("no", "off"), ("1", "on"),
                 ("0", "off"))
_ISOLATION = _enum("serializable", "repeatable read", "read committed", "read uncommitted")
_INT_MAX_F = float(_INT_MAX)
_DBL_MAX = 1.7976931348623157e308


def _defs(major: int) -> List[_Def]:
    """The parameters this server knows, for a given major version."""
    B, I, R, E, S = "bool", "int", "real", "enum", "string"
    d = [
        # --- reported ---------------------------------------------------------------
        _Def("application_name", S, "",
             "Sets the application name to be reported in statistics and logs."),
        _Def("client_encoding", S, "UTF8", "Sets the client's character set encoding."),
        _Def("DateStyle", S, "ISO, MDY", "Sets the display format for date and time values."),
        _Def("default_transaction_read_only", B, "off",
             "Sets the default read-only status of new transactions."),
        _Def("in_hot_standby", B, "off", "Shows whether hot standby is currently active.",
             INTERNAL),
        _Def("integer_datetimes", B, "on", "Shows whether datetimes are integer based.", INTERNAL),
        _Def("IntervalStyle", E, "postgres", "Sets the display format for interval values.",
             options=_enum("postgres", "postgres_verbose", "sql_standard", "iso_8601")),
        _Def("is_superuser", B, "off", "Shows whether the current user is a superuser.",
             INTERNAL, _NO_SHOW_ALL | _NO_RESET_ALL),
        _Def("server_encoding", S, "UTF8",
             "Shows the server (database) character set encoding.", INTERNAL),
        _Def("server_version", S, "", "Shows the server version.", INTERNAL),
        _Def("session_authorization", S, "", "Sets the session user name.", USER,
             _NO_SHOW_ALL | _NO_RESET_ALL),
        _Def("standard_conforming_strings", B, "on",
             "Causes '...' strings to treat backslashes literally."),
        _Def("TimeZone", S, "UTC",
             "Sets the time zone for displaying and interpreting time stamps."),
        # --- sessions and transactions -------------------------------------------
        _Def("role", S, "none", "Sets the current role.", USER, _NO_SHOW_ALL | _NO_RESET_ALL),
        _Def("search_path", S, '"$user", public',
             "Sets the schema search order for names that are not schema-qualified."),
        _Def("transaction_isolation", E, "read committed",
             "Sets the current transaction's isolation level.", USER, _NO_RESET_ALL | _TXN,
             options=_ISOLATION),
        _Def("default_transaction_isolation", E, "read committed",
             "Sets the transaction isolation level of each new transaction.", options=_ISOLATION),
        _Def("transaction_read_only", B, "off", "Sets the current transaction's read-only status.",
             USER, _NO_RESET_ALL | _TXN),
        _Def("transaction_deferrable", B, "off",
             "Whether to defer a read-only serializable transaction until it can be executed "
             "with no possible serialization failures.", USER, _NO_RESET_ALL | _TXN),
        _Def("default_transaction_deferrable", B, "off",
             "Sets the default deferrable status of new transactions."),
        _Def("statement_timeout", I, "0", "Sets the maximum allowed duration of any statement.",
             lo=0, hi=_INT_MAX_F, unit="ms"),
        _Def("lock_timeout", I, "0",
             "Sets the maximum allowed duration of any wait for a lock.",
             lo=0, hi=_INT_MAX_F, unit="ms"),
        _Def("idle_in_transaction_session_timeout", I, "0",
             "Sets the maximum allowed idle time between queries, when in a transaction.",
             lo=0, hi=_INT_MAX_F, unit="ms"),
        _Def("idle_session_timeout", I, "0",
             "Sets the maximum allowed idle time between queries, when not in a transaction.",
             lo=0, hi=_INT_MAX_F, unit="ms"),
        _Def("client_min_messages", E, "notice",
             "Sets the message levels that are sent to the client.",
             options=_enum("debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice",
                           "warning", "error", hidden=(("debug", "debug2"), ("info", "info")))),
        _Def("synchronous_commit", E, "on",
             "Sets the current transaction's synchronization level.",
             options=_enum("local", "remote_write", "remote_apply", "on", "off",
                           hidden=_BOOL_ALIASES)),
        # --- formatting -----------------------------------------------------------
        _Def("extra_float_digits", I, "1",
             "Sets the number of digits displayed for floating-point values.", lo=-15, hi=3),
        _Def("bytea_output", E, "hex", "Sets the output format for bytea.",
             options=_enum("escape", "hex")),
        _Def("xmlbinary", E, "base64", "Sets how binary values are to be encoded in XML.",
             options=_enum("base64", "hex")),
        _Def("xmloption", E, "content",
             "Sets whether XML data in implicit parsing and serialization operations is to be "
             "considered as documents or content fragments.",
             options=_enum("content", "document")),
        _Def("lc_messages", S, "C", "Sets the language in which messages are displayed."),
        _Def("lc_monetary", S, "C", "Sets the locale for formatting monetary amounts."),
        _Def("lc_numeric", S, "C", "Sets the locale for formatting numbers."),
        _Def("lc_time", S, "C", "Sets the locale for formatting date and time values."),
        _Def("timezone_abbreviations", S, "Default",
             "Selects a file of time zone abbreviations."),
        _Def("default_text_search_config", S, "pg_catalog.english",
             "Sets default text search configuration."),
        _Def("quote_all_identifiers", B, "off",
             "When generating SQL fragments, quote all identifiers."),
        # --- SQL behaviour --------------------------------------------------------
        _Def("array_nulls", B, "on", "Enable input of NULL elements in arrays."),
        _Def("backslash_quote", E, "safe_encoding",
             "Sets whether \"\\'\" is allowed in string literals.",
             options=_enum("safe_encoding", "on", "off", hidden=_BOOL_ALIASES)),
        _Def("check_function_bodies", B, "on",
             "Check routine bodies during CREATE FUNCTION and CREATE PROCEDURE."),
        _Def("escape_string_warning", B, "on",
             "Warn about backslash escapes in ordinary string literals."),
        _Def("transform_null_equals", B, "off", 'Treats "expr=NULL" as "expr IS NULL".'),
        _Def("row_security", B, "on", "Enable row security."),
        _Def("default_table_access_method", S, "heap",
             "Sets the default table access method for new tables."),
        _Def("default_tablespace", S, "",
             "Sets the default tablespace to create tables and indexes in."),
        _Def("temp_tablespaces", S, "",
             "Sets the tablespace(s) to use for temporary tables and sort files."),
        # --- planner and resources ------------------------------------------------
        _Def("jit", B, "off", "Allow JIT compilation."),
        _Def("work_mem", I, "4MB", "Sets the maximum memory to be used for query workspaces.",
             lo=64, hi=_INT_MAX_F, unit="kB"),
        _Def("maintenance_work_mem", I, "64MB",
             "Sets the maximum memory to be used for maintenance operations.",
             lo=1024, hi=_INT_MAX_F, unit="kB"),
        _Def("gin_pending_list_limit", I, "4MB",
             "Sets the maximum size of the pending list for GIN index.",
             lo=64, hi=_INT_MAX_F, unit="kB"),
        _Def("hash_mem_multiplier", R, "2", "Multiple of work_mem to use for hash tables.",
             lo=1, hi=1000),
        _Def("cursor_tuple_fraction", R, "0.1",
             "Sets the planner's estimate of the fraction of a cursor's rows that will be "
             "retrieved.", lo=0, hi=1),
        _Def("random_page_cost", R, "4",
             "Sets the planner's estimate of the cost of a nonsequentially fetched disk page.",
             lo=0, hi=_DBL_MAX),
        _Def("seq_page_cost", R, "1",
             "Sets the planner's estimate of the cost of a sequentially fetched disk page.",
             lo=0, hi=_DBL_MAX),
        _Def("cpu_tuple_cost", R, "0.01",
             "Sets the planner's estimate of the cost of processing each tuple (row).",
             lo=0, hi=_DBL_MAX),
        _Def("default_statistics_target", I, "100", "Sets the default statistics target.",
             lo=1, hi=10000),
        _Def("effective_io_concurrency", I, "1",
             "Number of simultaneous requests that can be handled efficiently by the disk "
             "subsystem.", lo=0, hi=1000),
        _Def("from_collapse_limit", I, "8",
             "Sets the FROM-list size beyond which subqueries are not collapsed.",
             lo=1, hi=_INT_MAX_F),
        _Def("join_collapse_limit", I, "8",
             "Sets the FROM-list size beyond which JOIN constructs are not flattened.",
             lo=1, hi=_INT_MAX_F),
        _Def("geqo", B, "on", "Enables genetic query optimization."),
        _Def("geqo_threshold", I, "12",
             "Sets the threshold of FROM items beyond which GEQO is used.", lo=2, hi=_INT_MAX_F),
        _Def("gin_fuzzy_search_limit", I, "0",
             "Sets the maximum allowed result for exact search by GIN.", lo=0, hi=_INT_MAX_F),
        _Def("max_parallel_workers_per_gather", I, "2",
             "Sets the maximum number of parallel processes per executor node.", lo=0, hi=1024),
        _Def("plan_cache_mode", E, "auto",
             "Controls the planner's selection of custom or generic plan.",
             options=_enum("auto", "force_generic_plan", "force_custom_plan")),
        _Def("constraint_exclusion", E, "partition",
             "Enables the planner to use constraints to optimize queries.",
             options=_enum("partition", "on", "off", hidden=_BOOL_ALIASES)),
        _Def("synchronize_seqscans", B, "on", "Enable synchronized sequential scans."),
        _Def("password_encryption", E, "scram-sha-256",
             "Chooses the algorithm for encrypting passwords.",
             options=_enum("md5", "scram-sha-256")),
    ]
    for name, desc in (
            ("enable_bitmapscan", "bitmap-scan plans"), ("enable_hashagg", "hashed aggregation plans"),
            ("enable_hashjoin", "hash join plans"), ("enable_indexonlyscan", "index-only-scan plans"),
            ("enable_indexscan", "index-scan plans"), ("enable_material", "materialization"),
            ("enable_mergejoin", "merge join plans"), ("enable_nestloop", "nested-loop join plans"),
            ("enable_seqscan", "sequential-scan plans"), ("enable_sort", "explicit sort steps")):
        verb = "Enables the planner's use of %s." % desc
        d.append(_Def(name, B, "on", verb))
    # --- fixed at build or server start ---------------------------------------
    fixed = [
        ("block_size", "8192", "Shows the size of a disk block.", INTERNAL),
        ("data_checksums", "off", "Shows whether data checksums are turned on for this cluster.",
         INTERNAL),
        ("debug_assertions", "off",
         "Shows whether the running server has assertion checks enabled.", INTERNAL),
        ("max_function_args", "100", "Shows the maximum number of function arguments.", INTERNAL),
        ("max_identifier_length", "63", "Shows the maximum identifier length.", INTERNAL),
        ("max_index_keys", "32", "Shows the maximum number of index keys.", INTERNAL),
        ("segment_size", "1GB", "Shows the number of pages per disk file.", INTERNAL),
        ("server_version_num", "", "Shows the server version as an integer.", INTERNAL),
        ("wal_block_size", "8192", "Shows the block size in the write ahead log.", INTERNAL),
        ("wal_segment_size", "16MB", "Shows the size of write ahead log segments.", INTERNAL),
        ("max_connections", "100", "Sets the maximum number of concurrent connections.",
         POSTMASTER),
        ("max_locks_per_transaction", "64", "Sets the maximum number of locks per transaction.",
         POSTMASTER),
        ("max_prepared_transactions", "0",
         "Sets the maximum number of simultaneously prepared transactions.", POSTMASTER),
        ("max_replication_slots", "10",
         "Sets the maximum number of simultaneously defined replication slots.", POSTMASTER),
        ("max_wal_senders", "10",
         "Sets the maximum number of simultaneously running WAL sender processes.", POSTMASTER),
        ("port", "5432", "Sets the TCP port the server listens on.", POSTMASTER),
        ("shared_buffers", "128MB", "Sets the number of shared memory buffers used by the server.",
         POSTMASTER),
        ("superuser_reserved_connections", "3",
         "Sets the number of connection slots reserved for superusers.", POSTMASTER),
        ("wal_level", "replica", "Sets the level of information written to the WAL.", POSTMASTER),
        ("ssl", "off", "Enables SSL connections.", SIGHUP),
    ]
    if major < 16:
        fixed += [("lc_collate", "C", "Shows the collation order locale.", INTERNAL),
                  ("lc_ctype", "C", "Shows the character classification and case conversion "
                                    "locale.", INTERNAL)]
    for name, value, desc, ctx in fixed:
        d.append(_Def(name, S, value, desc, ctx))
    if major >= 16:
        d.append(_Def("scram_iterations", I, "4096",
                      "Sets the iteration count for SCRAM secret generation.",
                      lo=1, hi=_INT_MAX_F))
    return d


_DEFS_CACHE: Dict[bool, Dict[str, _Def]] = {}


def _defs_by_key(major: int) -> Dict[str, _Def]:
    """Definitions keyed by lower-cased name, shared by all sessions (read-only)."""
    new_style = major >= 16
    table = _DEFS_CACHE.get(new_style)
    if table is None:
        table = {d.name.lower(): d for d in _defs(major)}
        _DEFS_CACHE[new_style] = table
    return table


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_CUSTOM_PART = re.compile(r"[A-Za-z_\x80-\U0010ffff][A-Za-z_0-9$\x80-\U0010ffff]*\Z")
_VERSION = re.compile(r"\s*(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?")


def _key(name: str) -> str:
    """GUC names compare case-insensitively (ASCII folding, like guc.c)."""
    return name.translate(_LOWER)


def version_num(server_version: str) -> str:
    """server_version_num for a version string: "17.4.0" -> "170004".

    From PostgreSQL 10 on the number is major * 10000 + minor; before that
    it was major * 10000 + minor * 100 + patch ("9.6.3" -> "90603").
    Suffixes such as " (Debian ...)" or "beta1" are ignored.
    """
    m = _VERSION.match(server_version or "")
    if m is None:
        return "0"
    major = int(m.group(1))
    minor = int(m.group(2) or 0)
    patch = int(m.group(3) or 0)
    if major >= 10:
        return str(major * 10000 + minor)
    return str(major * 10000 + minor * 100 + patch)


def _major(server_version: str) -> int:
    return int(version_num(server_version)) // 10000


# ---------------------------------------------------------------------------
# Value checkers
# ---------------------------------------------------------------------------

def _invalid(name: str, value: str, detail: Optional[str] = None,
             hint: Optional[str] = None, sqlstate: str = "22023") -> SettingError:
    return SettingError(sqlstate, 'invalid value for parameter "%s": "%s"' % (name, value),
                        detail, hint)


def _parse_bool(value: str) -> Optional[bool]:
    """parse_bool(): unique prefixes of true/false/yes/no, on/off, 1/0."""
    v = value.translate(_LOWER)
    if not v:
        return None
    c = v[0]
    if c == "t":
        return True if "true".startswith(v) else None
    if c == "f":
        return False if "false".startswith(v) else None
    if c == "y":
        return True if "yes".startswith(v) else None
    if c == "n":
        return False if "no".startswith(v) else None
    if c == "o" and len(v) >= 2:
        if "on".startswith(v):
            return True
        if "off".startswith(v):
            return False
        return None
    if v == "1":
        return True
    if v == "0":
        return False
    return None


def _parse_int(value: str, unit: Optional[str]) -> Tuple[Optional[int], Optional[str]]:
    """parse_int(): (value in base unit, or None; hint for the error)."""
    lv, end, erange = _strtol(value)
    if lv is None or erange or (end < len(value) and value[end] in ".eE"):
        fv, end, erange = _strtod(value)
        if fv is None or erange or math.isnan(fv):
            return None, None
        val = fv
    else:
        val = float(lv)
    end = _skip_c_space(value, end)
    if end < len(value):
        if unit is None:
            return None, None
        conv = _to_base_unit(val, value[end:], unit)
        if conv is None:
            return None, _MEMORY_UNITS_HINT if unit in ("kB", "B") else _TIME_UNITS_HINT
        val = conv
    if math.isinf(val) or math.isnan(val):
        return None, "Value exceeds integer range."
    val = _rint(val)
    if val > _INT_MAX or val < _INT_MIN:
        return None, "Value exceeds integer range."
    return int(val), None


def _parse_real(value: str) -> Optional[float]:
    """parse_real() for unit-less reals."""
    fv, end, erange = _strtod(value)
    if fv is None or erange or math.isnan(fv):
        return None
    if _skip_c_space(value, end) < len(value):
        return None
    return fv


def _split_identifier_list(raw: str) -> Optional[List[str]]:
    """SplitIdentifierString(raw, ','): None on bad list syntax.

    Unquoted names are folded to lower case, quoted ones keep their case with
    ``""`` collapsed; an empty string is an empty list.
    """
    out: List[str] = []
    n = len(raw)
    i = _skip_c_space(raw)
    if i >= n:
        return out
    while True:
        if raw[i] == '"':
            j = i + 1
            parts: List[str] = []
            while True:
                k = raw.find('"', j)
                if k < 0:
                    return None
                parts.append(raw[j:k])
                if k + 1 < n and raw[k + 1] == '"':
                    parts.append('"')
                    j = k + 2
                    continue
                break
            out.append("".join(parts))
            i = k + 1
        else:
            j = i
            while j < n and raw[j] != "," and raw[j] not in _C_SPACE:
                j += 1
            if j == i:
                return None
            out.append(raw[i:j].translate(_LOWER))
            i = j
        i = _skip_c_space(raw, i)
        if i < n and raw[i] == ",":
            i = _skip_c_space(raw, i + 1)
            if i >= n:
                return None
            continue
        if i >= n:
            return out
        return None


_DATE_STYLES = {"ISO": "ISO", "SQL": "SQL", "POSTGRES": "Postgres", "GERMAN": "German"}


def _check_datestyle(value: str, current: str, reset: str) -> str:
    """check_datestyle(): canonical "Style, ORDER" starting from *current*."""
    items = _split_identifier_list(value)
    if items is None:
        raise _invalid("DateStyle", value, "List syntax is invalid.")
    style, order = (current.split(", ") + ["MDY"])[:2]
    have_style = have_order = False
    ok = True
    for tok in items:
        t = tok.translate(_UPPER)
        new_style = new_order = None
        if t in ("ISO", "SQL", "GERMAN") or t.startswith("POSTGRES"):
            new_style = _DATE_STYLES[t if t in _DATE_STYLES else "POSTGRES"]
        elif t == "YMD":
            new_order = "YMD"
        elif t == "DMY" or t.startswith("EURO"):
            new_order = "DMY"
        elif t in ("MDY", "US") or t.startswith("NONEURO"):
            new_order = "MDY"
        elif t == "DEFAULT":
            sub = _check_datestyle(reset, "ISO, MDY", "ISO, MDY")
            sub_style, sub_order = sub.split(", ")
            if not have_style:
                style = sub_style
            if not have_order:
                order = sub_order
            continue
        else:
            raise _invalid("DateStyle", value, 'Unrecognized key word: "%s".' % tok)
        if new_style is not None:
            if have_style and style != new_style:
                ok = False
            style = new_style
            have_style = True
            if new_style == "German" and not have_order:
                order = "DMY"
        else:
            if have_order and order != new_order:
                ok = False
            order = new_order
            have_order = True
    if not ok:
        raise _invalid("DateStyle", value, 'Conflicting "datestyle" specifications.')
    return "%s, %s" % (style, order)


# -- time zones ----------------------------------------------------------------

_TZ_STRLEN_MAX = 255
_zone_index: Optional[Dict[str, str]] = None


def _zones() -> Dict[str, str]:
    """Lower-cased IANA zone name -> its canonical spelling (built lazily)."""
    global _zone_index
    if _zone_index is None:
        index: Dict[str, str] = {}
        try:
            import zoneinfo  # Python 3.9+
            names: Iterable[str] = zoneinfo.available_timezones()
        except Exception:  # pragma: no cover - no tz database at all
            names = ()
        for name in names:
            index[name.lower()] = name
        _zone_index = index
    return _zone_index


def _zone_file_exists(name: str) -> bool:
    """Last resort for zone files available_timezones() skips (e.g. posixrules)."""
    if not name or name.startswith(("/", ".")) or "\\" in name or ".." in name:
        return False
    try:
        import zoneinfo
        zoneinfo.ZoneInfo(name)
        return True
    except Exception:
        return False


def _getnum(s: str, i: int, lo: int, hi: int) -> Tuple[int, int]:
    """tzcode getnum(): digits with value in [lo, hi]; (-1, i) on failure."""
    n = len(s)
    if i >= n or not ("0" <= s[i] <= "9"):
        return -1, i
    num = 0
    while i < n and "0" <= s[i] <= "9":
        num = num * 10 + (ord(s[i]) - 48)
        if num > hi:
            return -1, i
        i += 1
    if num < lo:
        return -1, i
    return num, i


def _getoffset(s: str, i: int) -> int:
    """tzcode getoffset(): [+-]hh[:mm[:ss]] with hh <= 167; -1 on failure."""
    if i < len(s) and s[i] in "+-":
        i += 1
    num, i = _getnum(s, i, 0, 24 * 7 - 1)
    if num < 0:
        return -1
    for hi in (59, 60):
        if i < len(s) and s[i] == ":":
            num, i = _getnum(s, i + 1, 0, hi)
            if num < 0:
                return -1
        else:
            break
    return i


def _getzname(s: str, i: int) -> Tuple[int, int]:
    """Zone abbreviation: <quoted> or a run without digits, ',', '+', '-'.

    Returns (index after the name, name length) or (-1, 0).
    """
    n = len(s)
    if i < n and s[i] == "<":
        j = s.find(">", i + 1)
        if j < 0:
            return -1, 0
        return j + 1, j - i - 1
    j = i
    while j < n and not ("0" <= s[j] <= "9") and s[j] not in ",+-":
        j += 1
    return j, j - i


def _getrule(s: str, i: int) -> int:
    """tzcode getrule(): Jn, n or Mm.n.d, then an optional /time."""
    n = len(s)
    if i < n and s[i] == "J":
        num, i = _getnum(s, i + 1, 1, 365)
    elif i < n and s[i] == "M":
        num, i = _getnum(s, i + 1, 1, 12)
        for lo, hi in ((1, 5), (0, 6)):
            if num < 0 or i >= n or s[i] != ".":
                return -1
            num, i = _getnum(s, i + 1, lo, hi)
    else:
        num, i = _getnum(s, i, 0, 365)
    if num < 0:
        return -1
    if i < n and s[i] == "/":
        i = _getoffset(s, i + 1)
    return i


def _posix_tz_ok(spec: str) -> bool:
    """PostgreSQL's tzparse() on a POSIX TZ string such as EST5EDT or <+03>-03."""
    n = len(spec)
    i, _ = _getzname(spec, 0)
    if i < 0 or i >= n:
        return False  # PostgreSQL allows an empty STD name, but needs an offset
    i = _getoffset(spec, i)
    if i < 0:
        return False
    if i == n:
        return True
    i, dstlen = _getzname(spec, i)
    if i < 0 or dstlen == 0:
        return False
    if i < n and spec[i] not in ",;":
        i = _getoffset(spec, i)
        if i < 0:
            return False
    if i == n:
        return True
    if spec[i] not in ",;":
        return False
    i = _getrule(spec, i + 1)
    if i < 0 or i >= n or spec[i] != ",":
        return False
    i = _getrule(spec, i + 1)
    return i == n


def _offset_zone_name(gmtoffset: int) -> str:
    """pg_tzset_offset(): the name PostgreSQL gives a numeric offset zone."""
    absoff = abs(gmtoffset)
    text = "%02d" % (absoff // 3600)
    absoff %= 3600
    if absoff:
        text += ":%02d" % (absoff // 60)
        absoff %= 60
        if absoff:
            text += ":%02d" % absoff
    if gmtoffset > 0:
        return "<-%s>+%s" % (text, text)
    return "<+%s>-%s" % (text, text)


def check_timezone(value: str) -> str:
    """Canonical TimeZone for *value*, or SettingError as PostgreSQL reports it.

    Accepts what PostgreSQL's check_timezone() accepts: a number of hours
    (``-8``, ``5.5``; note the SQL sign convention, shown as ``<-08>+08``), an
    IANA zone name in any letter case (``europe/berlin`` -> ``Europe/Berlin``,
    looked up in the tz database through :mod:`zoneinfo`), ``GMT``/``UTC``,
    and POSIX TZ specifications (``EST5EDT``, ``<+03>-03``, ``UTC+5``, shown
    upper-cased).
    """
    if len(value) > _TZ_STRLEN_MAX or value[:8].translate(_LOWER) == "interval":
        raise _invalid("TimeZone", value)
    hours, end, erange = _strtod(value)
    if hours is not None and end == len(value):
        if erange or math.isnan(hours) or math.isinf(hours) or abs(hours) > 1e6:
            raise _invalid("TimeZone", value, "UTC timezone offset is out of range.")
        name = _offset_zone_name(int(-hours * 3600))
        if not _posix_tz_ok(name):
            raise _invalid("TimeZone", value, "UTC timezone offset is out of range.")
        return name
    upper = value.translate(_UPPER)
    if upper == "GMT":
        return "GMT"
    lower = value.translate(_LOWER)
    if lower.startswith("right/"):
        raise SettingError("22023", 'time zone "%s" appears to use leap seconds' % value,
                           "PostgreSQL does not support leap seconds.")
    zones = _zones()
    prefix = ""
    rest = lower
    if lower.startswith("posix/"):
        prefix, rest = "posix/", lower[6:]
    canonical = zones.get(rest)
    if canonical is not None:
        return prefix + canonical
    if _zone_file_exists(value):
        return value
    if upper and upper[0] != ":" and _posix_tz_ok(upper):
        return upper
    raise _invalid("TimeZone", value)


def _clean_ascii(value: str, hex_escapes: bool) -> str:
    """pg_clean_ascii(): only printable ASCII survives in application_name.

    PostgreSQL up to 15 replaces every other byte with "?"; 16 and later
    write it as a \\xNN escape.
    """
    if all(" " <= c <= "~" for c in value):
        return value
    out: List[str] = []
    for c in value:
        if " " <= c <= "~":
            out.append(c)
        else:
            for b in c.encode("utf-8", "surrogatepass"):
                out.append("\\x%02x" % b if hex_escapes else "?")
    return "".join(out)


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------

_ChangeList = List[Tuple[str, str]]


class Settings:
    """The run-time parameters of one session.

    ``server_version`` is what ``SHOW server_version`` says (and
    ``server_version_num`` is derived from it); ``user`` is the session user
    (``session_authorization``).  ``overrides`` are server-side defaults, as
    if from postgresql.conf: they may also change read-only parameters
    (``server_encoding``, ``is_superuser``, ``max_connections`` ...) and add
    unknown ones, and RESET returns to them.

    Values are kept as the strings ``SHOW`` prints.  Every mutating method
    returns the ParameterStatus changes the caller must send, as
    ``(name as in REPORTED, new value)`` pairs.
    """

    def __init__(self, server_version: str = "17.4.0", user: str = "",
                 overrides: Optional[Dict[str, str]] = None) -> None:
        for name, value in (overrides or {}).items():
            if _key(name) == "server_version":
                server_version = value
        self.server_version = server_version
        self.user = user
        self._major = _major(server_version)
        self._defs = _defs_by_key(self._major)
        self._custom: Dict[str, str] = {}            # key -> name as first given
        self._reset: Dict[str, str] = {}
        for k, d in self._defs.items():
            self._reset[k] = d.boot
        self._reset["server_version"] = server_version
        self._reset["server_version_num"] = version_num(server_version)
        self._reset["session_authorization"] = user
        # Checkers may look at current values (DateStyle is relative to the
        # current one, client_encoding to server_encoding) while overrides
        # are applied.
        self._current: Dict[str, str] = self._reset
        override_keys = {_key(x) for x in (overrides or {})}
        for name, value in (overrides or {}).items():
            k = _key(name)
            d = self._defs.get(k)
            if d is None:
                self._custom.setdefault(k, k)
                self._reset[k] = value
            elif d.context == USER and not d.flags & _TXN:
                self._reset[k] = self._check(d, name, value, self._reset[k])
            else:
                self._reset[k] = value
            if k == "server_version" and "server_version_num" not in override_keys:
                self._reset["server_version_num"] = version_num(value)
        self._session: Dict[str, str] = dict(self._reset)
        self._current = dict(self._reset)
        # Transaction/savepoint snapshots: (savepoint name or None, session, current).
        self._stack: List[Tuple[Optional[str], Dict[str, str], Dict[str, str]]] = []

    # ------------------------------------------------------------------ lookup
    @property
    def in_transaction(self) -> bool:
        """True between begin() and commit()/rollback()."""
        return bool(self._stack)

    def _lookup(self, name: str) -> Tuple[str, Optional[_Def]]:
        k = _key(name)
        return k, self._defs.get(k)

    def canonical_name(self, name: str) -> str:
        """The parameter's own spelling (``datestyle`` -> ``DateStyle``).

        PostgreSQL uses it as the column name of SHOW.  Unknown names come
        back lower-cased.
        """
        k, d = self._lookup(name)
        if d is not None:
            return d.name
        return self._custom.get(k, k)

    def is_known(self, name: str) -> bool:
        """True for built-in parameters and for custom ones already set."""
        k, d = self._lookup(name)
        return d is not None or k in self._custom

    def get(self, name: str) -> str:
        """The current value as ``SHOW`` prints it.

        Raises SettingError 42704 for names that are neither built in nor
        ever set.  The per-transaction parameters (transaction_isolation,
        transaction_read_only, transaction_deferrable) show their
        ``default_`` counterpart outside a transaction block, as each
        statement there runs in a fresh transaction.
        """
        k, d = self._lookup(name)
        if d is None:
            if k not in self._custom:
                raise SettingError("42704", 'unrecognized configuration parameter "%s"' % name)
            return self._current.get(k, self._reset.get(k, ""))
        if d.flags & _TXN and not self._stack:
            return self._current["default_" + k]
        return self._current[k]

    def reported(self) -> _ChangeList:
        """(name, value) for every REPORTED parameter, for the startup burst."""
        return [(name, self.get(name)) for name in REPORTED]

    def show_all(self) -> List[Tuple[str, str, str]]:
        """Rows of ``SHOW ALL``: (name, setting, description), sorted by name.

        Like PostgreSQL, hidden parameters (is_superuser,
        session_authorization, role) and custom/unknown ones are left out.
        """
        rows = [(d.name, self.get(d.name), d.desc) for d in self._defs.values()
                if not d.flags & _NO_SHOW_ALL]
        rows.sort(key=lambda r: r[0].lower())
        return rows

    # ------------------------------------------------------------------ checks
    def _check(self, d: _Def, given: str, value: str, current: str) -> str:
        """Validate *value* for *d* and return its canonical form."""
        kind = d.kind
        if kind == "bool":
            b = _parse_bool(value)
            if b is None:
                raise SettingError("22023", 'parameter "%s" requires a Boolean value' % given)
            return "on" if b else "off"
        if kind == "enum":
            lv = value.translate(_LOWER)
            for label, shown, _hidden in d.options:
                if label == lv:
                    return shown
            raise _invalid(given, value, hint=d.hint)
        if kind == "int":
            iv, hint = _parse_int(value, d.unit)
            if iv is None:
                raise _invalid(given, value, hint=hint)
            if iv < d.lo or iv > d.hi:
                unit = " " + d.unit if d.unit else ""
                raise SettingError("22023", "%d%s is outside the valid range for parameter "
                                            "\"%s\" (%d .. %d)" % (iv, unit, given, d.lo, d.hi))
            if d.unit and iv > 0:
                return _from_base_unit(iv, d.unit)
            return str(iv)
        if kind == "real":
            rv = _parse_real(value)
            if rv is None:
                raise _invalid(given, value)
            if rv < d.lo or rv > d.hi:
                raise SettingError("22023", "%g is outside the valid range for parameter \"%s\" "
                                            "(%g .. %g)" % (rv, given, d.lo, d.hi))
            return "%g" % rv
        hook = _STRING_HOOKS.get(_key(d.name))
        if hook is not None:
            return hook(self, value, current)
        return value

    def _check_client_encoding(self, value: str, current: str) -> str:
        try:
            canonical = pgencodings.lookup(value)[0]
        except pgencodings.UnsupportedEncodingError as exc:
            raise _invalid("client_encoding", value, "Conversion between %s and %s is not "
                           "supported." % (exc.pg_name, self._current.get("server_encoding")),
                           sqlstate="0A000")
        except ValueError:
            raise _invalid("client_encoding", value)
        # PostgreSQL keeps the exact string "UNICODE" for old JDBC drivers.
        return "UNICODE" if value == "UNICODE" else canonical

    def _check_datestyle(self, value: str, current: str) -> str:
        return _check_datestyle(value, current, self._reset["datestyle"])

    def _check_timezone(self, value: str, current: str) -> str:
        return check_timezone(value)

    def _check_application_name(self, value: str, current: str) -> str:
        return _clean_ascii(value, hex_escapes=self._major >= 16)

    def _check_session_authorization(self, value: str, current: str) -> str:
        # The engine behind the server does not switch users; only the
        # current session user is acceptable.
        if value != self.user:
            raise SettingError("42501", "permission denied to set session authorization")
        return value

    def _check_role(self, value: str, current: str) -> str:
        if value.translate(_LOWER) == "none":
            return "none"
        if value != self.user:
            raise SettingError("42501", 'permission denied to set role "%s"' % value)
        return value

    # ------------------------------------------------------------------ changes
    def _reported_snapshot(self) -> Dict[str, str]:
        return {name: self.get(name) for name in REPORTED}

    def _changes(self, before: Mapping[str, str]) -> _ChangeList:
        out: _ChangeList = []
        for name in REPORTED:
            value = self.get(name)
            if before[name] != value:
                out.append((name, value))
        return out

    def set(self, name: str, value: Optional[str], local: bool = False,
            startup: bool = False) -> Optional[Tuple[str, str]]:
        """SET *name* to *value*; ``None`` means DEFAULT / RESET.

        Why the details: PostgreSQL canonicalises values (DateStyle, TimeZone,
        client_encoding, booleans, units ...) and clients compare what they
        read back, so the stored value is the canonical one.

        * ``local=True`` is SET LOCAL: it lasts until the end of the current
          transaction, and outside a transaction block it has no effect (the
          caller should send PostgreSQL's WARNING 25P01 "SET LOCAL can only
          be used in transaction blocks").
        * A plain SET inside a transaction block is undone if the
          transaction rolls back.
        * ``startup=True`` is for startup-packet parameters: like PostgreSQL,
          they become the values RESET returns to.
        * Unknown names are accepted and stored (see the module docstring);
          names with a dot must be valid ``ident.ident`` (42602).

        Returns ``(reported_name, new_value)`` when a REPORTED parameter
        changed value, so the caller can send ParameterStatus; else None.
        """
        k, d = self._lookup(name)
        if d is None:
            return self._set_custom(k, name, value, local, startup)
        if d.context != USER:
            suffix = {INTERNAL: "", POSTMASTER: " without restarting the server",
                      SIGHUP: " now"}[d.context]
            raise SettingError("55P02", 'parameter "%s" cannot be changed%s' % (name, suffix))
        if d.flags & _TXN:
            return self._set_transaction_param(k, d, name, value)
        if value is None:
            new = self._reset[k]
        else:
            new = self._check(d, name, value, self._current[k])
            if k == "standard_conforming_strings" and new == "off":
                raise SettingError("0A000", "standard_conforming_strings = off is not supported",
                                   hint="The SQL statement splitter only understands "
                                        "standard conforming strings.")
        return self._store(k, d.name, new, local, startup)

    def _store(self, k: str, rname: str, new: str, local: bool,
               startup: bool) -> Optional[Tuple[str, str]]:
        if local and not self._stack:
            return None
        before = self._current.get(k)
        self._current[k] = new
        if not local:
            self._session[k] = new
        if startup:
            self._reset[k] = new
        if rname in REPORTED and before != new:
            return (rname, new)
        return None

    def _set_custom(self, k: str, name: str, value: Optional[str], local: bool,
                    startup: bool) -> Optional[Tuple[str, str]]:
        if not k:
            raise SettingError("42704", 'unrecognized configuration parameter "%s"' % name)
        if "." in k and not all(_CUSTOM_PART.match(part) for part in name.split(".")):
            raise SettingError("42602", 'invalid configuration parameter name "%s"' % name,
                               "Custom parameter names must be two or more simple identifiers "
                               "separated by dots.")
        self._custom.setdefault(k, k)
        self._reset.setdefault(k, "")
        new = self._reset[k] if value is None else value
        if local and not self._stack:
            return None
        self._current[k] = new
        if not local:
            self._session[k] = new
        if startup:
            self._reset[k] = new
        return None

    def _set_transaction_param(self, k: str, d: _Def, name: str,
                               value: Optional[str]) -> Optional[Tuple[str, str]]:
        """transaction_isolation & co: only meaningful inside a transaction."""
        if value is None:
            new = self._current["default_" + k]
        else:
            new = self._check(d, name, value, self.get(k))
        if self._stack:
            self._current[k] = new
        return None

    def reset_all(self) -> _ChangeList:
        """RESET ALL: every resettable parameter back to its reset value.

        Inside a transaction block this is undone by a rollback, like SET.
        Read-only parameters, session_authorization, role and the
        per-transaction ones are left alone, as in PostgreSQL.
        """
        before = self._reported_snapshot()
        for k, d in self._defs.items():
            if d.context == USER and not d.flags & (_NO_RESET_ALL | _TXN):
                self._current[k] = self._session[k] = self._reset[k]
        for k in self._custom:
            self._current[k] = self._session[k] = self._reset.get(k, "")
        return self._changes(before)

    # ------------------------------------------------------------ transactions
    def begin(self, modes: Iterable[Tuple[str, str]] = ()) -> None:
        """Start a transaction block (BEGIN / START TRANSACTION).

        *modes* are the transaction modes given with BEGIN, as (parameter,
        value) pairs such as ("transaction_isolation", "serializable").
        A second begin() inside a block is ignored, as PostgreSQL only warns.
        """
        if self._stack:
            return
        self._stack.append((None, dict(self._session), dict(self._current)))
        for k in ("transaction_isolation", "transaction_read_only", "transaction_deferrable"):
            self._current[k] = self._current["default_" + k]
        for name, value in modes:
            self.set(name, value, local=True)

    def commit(self) -> _ChangeList:
        """End the block keeping plain SETs and dropping SET LOCAL values."""
        if not self._stack:
            return []
        before = self._reported_snapshot()
        self._stack.clear()
        self._current = dict(self._session)
        return self._changes(before)

    def rollback(self) -> _ChangeList:
        """End the block undoing every SET made in it."""
        if not self._stack:
            return []
        before = self._reported_snapshot()
        _, session, current = self._stack[0]
        self._stack.clear()
        self._session, self._current = session, current
        return self._changes(before)

    def savepoint(self, name: str) -> None:
        """SAVEPOINT *name*: remember the values to restore on ROLLBACK TO."""
        if not self._stack:
            raise SettingError("25P01", "SAVEPOINT can only be used in transaction blocks")
        self._stack.append((name, dict(self._session), dict(self._current)))

    def _find_savepoint(self, name: str) -> int:
        for i in range(len(self._stack) - 1, 0, -1):
            if self._stack[i][0] == name:
                return i
        raise SettingError("3B001", 'savepoint "%s" does not exist' % name)

    def release(self, name: str) -> _ChangeList:
        """RELEASE [SAVEPOINT] *name*: values set since stay in effect."""
        if not self._stack:
            raise SettingError("25P01", "RELEASE SAVEPOINT can only be used in transaction blocks")
        del self._stack[self._find_savepoint(name):]
        return []

    def rollback_to(self, name: str) -> _ChangeList:
        """ROLLBACK TO [SAVEPOINT] *name*: undo SETs made since the savepoint."""
        if not self._stack:
            raise SettingError("25P01", "ROLLBACK TO SAVEPOINT can only be used in transaction "
                                        "blocks")
        i = self._find_savepoint(name)
        before = self._reported_snapshot()
        _, session, current = self._stack[i]
        del self._stack[i + 1:]
        self._session, self._current = dict(session), dict(current)
        return self._changes(before)


def _list_checker(name: str) -> Callable[[Settings, str, str], str]:
    """check_search_path() & co: the value must be a valid identifier list."""
    def check(settings: Settings, value: str, current: str) -> str:
        if _split_identifier_list(value) is None:
            raise _invalid(name, value, "List syntax is invalid.")
        return value
    return check


_STRING_HOOKS: Dict[str, Callable[[Settings, str, str], str]] = {
    "client_encoding": Settings._check_client_encoding,
    "datestyle": Settings._check_datestyle,
    "timezone": Settings._check_timezone,
    "application_name": Settings._check_application_name,
    "search_path": _list_checker("search_path"),
    "temp_tablespaces": _list_checker("temp_tablespaces"),
    "session_authorization": Settings._check_session_authorization,
    "role": Settings._check_role,
}
