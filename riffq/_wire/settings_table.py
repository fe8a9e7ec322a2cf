"""The run-time parameters riffq knows: PostgreSQL's GUC table, as data.

Every parameter a client may SHOW or SET has a row here (name, type, boot
value, description, context, flags, range, unit, enum options), mirroring
guc_tables.c so that ``SHOW ALL``, range errors and enum hints read like
PostgreSQL's.  A few rows differ by server major version, so the table is
built once per version style and shared read-only by all sessions.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

from .settings_checks import _INT_MAX, _LOWER

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
        _Def("effective_cache_size", I, "4GB",
             "Sets the planner's assumption about the total size of the data caches.",
             lo=1, hi=_INT_MAX_F, unit="8kB"),
        _Def("temp_buffers", I, "8MB",
             "Sets the maximum number of temporary buffers used by each session.",
             lo=100, hi=1073741823, unit="8kB"),
        _Def("max_parallel_workers", I, "8",
             "Sets the maximum number of parallel workers that can be active at one time.",
             lo=0, hi=1024),
        _Def("enable_partition_pruning", B, "on",
             "Enables plan-time and execution-time partition pruning."),
        _Def("enable_partitionwise_aggregate", B, "off", "Enables partitionwise aggregation and grouping."),
        _Def("enable_partitionwise_join", B, "off", "Enables partitionwise join."),
        _Def("cpu_index_tuple_cost", R, "0.005",
             "Sets the planner's estimate of the cost of processing each index entry during an "
             "index scan.", lo=0, hi=_DBL_MAX),
        _Def("cpu_operator_cost", R, "0.0025",
             "Sets the planner's estimate of the cost of processing each operator or function call.",
             lo=0, hi=_DBL_MAX),
        _Def("parallel_setup_cost", R, "1000",
             "Sets the planner's estimate of the cost of starting up worker processes for parallel "
             "query.", lo=0, hi=_DBL_MAX),
        _Def("parallel_tuple_cost", R, "0.1",
             "Sets the planner's estimate of the cost of passing each tuple (row) from worker to "
             "leader backend.", lo=0, hi=_DBL_MAX),
        _Def("parallel_leader_participation", B, "on",
             "Controls whether Gather and Gather Merge also run subplans."),
        _Def("min_parallel_table_scan_size", I, "8MB",
             "Sets the minimum amount of table data for a parallel scan.",
             lo=0, hi=715827882, unit="8kB"),
        _Def("min_parallel_index_scan_size", I, "512kB",
             "Sets the minimum amount of index data for a parallel scan.",
             lo=0, hi=715827882, unit="8kB"),
        _Def("recursive_worktable_factor", R, "10",
             "Sets the planner's estimate of the average size of a recursive query's working table.",
             lo=0.001, hi=1e6),
        _Def("jit_above_cost", R, "100000", "Perform JIT compilation if query is more expensive.",
             lo=-1, hi=_DBL_MAX),
        _Def("jit_inline_above_cost", R, "500000", "Perform JIT inlining if query is more expensive.",
             lo=-1, hi=_DBL_MAX),
        _Def("jit_optimize_above_cost", R, "500000",
             "Optimize JIT-compiled functions if query is more expensive.", lo=-1, hi=_DBL_MAX),
        _Def("jit_expressions", B, "on", "Allow JIT compilation of expressions."),
        _Def("jit_tuple_deforming", B, "on", "Allow JIT compilation of tuple deforming."),
        _Def("geqo_effort", I, "5",
             "GEQO: effort is used to set the default for other GEQO parameters.", lo=1, hi=10),
        _Def("geqo_pool_size", I, "0", "GEQO: number of individuals in the population.",
             lo=0, hi=_INT_MAX_F),
        _Def("geqo_generations", I, "0", "GEQO: number of iterations of the algorithm.",
             lo=0, hi=_INT_MAX_F),
        _Def("geqo_selection_bias", R, "2", "GEQO: selective pressure within the population.",
             lo=1.5, hi=2),
        _Def("geqo_seed", R, "0", "GEQO: seed for random path selection.", lo=0, hi=1),
        _Def("max_parallel_maintenance_workers", I, "2",
             "Sets the maximum number of parallel processes per maintenance operation.",
             lo=0, hi=1024),
        # --- logging, statistics and replication (superuser-only in PostgreSQL;
        # riffq's engine decides who may do what, so any session may set them)
        _Def("session_replication_role", E, "origin",
             "Sets the session's behavior for triggers and rewrite rules.",
             options=_enum("origin", "replica", "local")),
        _Def("log_statement", E, "none", "Sets the type of statements logged.",
             options=_enum("none", "ddl", "mod", "all")),
        _Def("log_min_messages", E, "warning", "Sets the message levels that are logged.",
             options=_enum("debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice",
                           "warning", "error", "log", "fatal", "panic",
                           hidden=(("debug", "debug2"),))),
        _Def("track_activities", B, "on", "Collects information about executing commands."),
        _Def("track_counts", B, "on", "Collects statistics on database activity."),
        _Def("track_io_timing", B, "off", "Collects timing statistics for database I/O activity."),
        _Def("lo_compat_privileges", B, "off",
             "Enables backward compatibility mode for privilege checks on large objects."),
        _Def("allow_system_table_mods", B, "off",
             "Allows modifications of the structure of system tables."),
        _Def("update_process_title", B, "on",
             "Updates the process title to show the active SQL command."),
    ]
    for name, desc in (
            ("enable_bitmapscan", "bitmap-scan plans"), ("enable_hashagg", "hashed aggregation plans"),
            ("enable_hashjoin", "hash join plans"), ("enable_indexonlyscan", "index-only-scan plans"),
            ("enable_indexscan", "index-scan plans"), ("enable_material", "materialization"),
            ("enable_mergejoin", "merge join plans"), ("enable_nestloop", "nested-loop join plans"),
            ("enable_seqscan", "sequential-scan plans"), ("enable_sort", "explicit sort steps"),
            ("enable_async_append", "async append plans"), ("enable_gathermerge", "gather merge plans"),
            ("enable_incremental_sort", "incremental sort steps"), ("enable_memoize", "memoization"),
            ("enable_parallel_append", "parallel append plans"),
            ("enable_parallel_hash", "parallel hash plans"), ("enable_tidscan", "TID scan plans")):
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
        ("max_worker_processes", "8", "Maximum number of concurrent worker processes.", POSTMASTER),
        ("huge_pages", "try", "Use of huge pages on Linux or Windows.", POSTMASTER),
        ("shared_preload_libraries", "", "Lists shared libraries to preload into server.",
         POSTMASTER),
        ("archive_mode", "off", "Allows archiving of WAL files using archive_command.", POSTMASTER),
        ("hot_standby", "on", "Allows connections and queries during recovery.", POSTMASTER),
        ("track_commit_timestamp", "off", "Collects transaction commit time.", POSTMASTER),
        ("wal_buffers", "4MB", "Sets the number of disk-page buffers in shared memory for WAL.",
         POSTMASTER),
        ("dynamic_shared_memory_type", "posix",
         "Selects the dynamic shared memory implementation used.", POSTMASTER),
        ("shared_memory_type", "mmap",
         "Selects the shared memory implementation used for the main shared memory region.",
         POSTMASTER),
        ("logging_collector", "off",
         "Start a subprocess to capture stderr, csvlog and/or jsonlog into log files.", POSTMASTER),
        ("cluster_name", "", "Sets the name of the cluster, which is included in the process title.",
         POSTMASTER),
        ("autovacuum", "on", "Starts the autovacuum subprocess.", SIGHUP),
        ("fsync", "on", "Forces synchronization of updates to disk.", SIGHUP),
        ("full_page_writes", "on",
         "Writes full pages to WAL when first modified after a checkpoint.", SIGHUP),
        ("checkpoint_timeout", "5min", "Sets the maximum time between automatic WAL checkpoints.",
         SIGHUP),
        ("max_wal_size", "1GB", "Sets the WAL size that triggers a checkpoint.", SIGHUP),
        ("min_wal_size", "80MB", "Sets the minimum size to shrink the WAL to.", SIGHUP),
        # riffq's own limit on authentication (loop.STARTUP_TIMEOUT) is this one
        ("authentication_timeout", "1min",
         "Sets the maximum allowed time to complete client authentication.", SIGHUP),
        ("log_directory", "log", "Sets the destination directory for log files.", SIGHUP),
        ("ssl_library", "OpenSSL", "Shows the name of the SSL library.", INTERNAL),
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
