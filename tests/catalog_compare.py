"""Judge a server's catalog answers against real PostgreSQL 15's.

The corpus (``tests/catalog_corpus/<tool>.json``) holds catalog statements
captured from real tools.  For each one, both servers answer through libpq
(the same protocol path the tool used: simple Query, or Parse/Bind/Execute
with the captured parameters sent as untyped text, as tools' parameters
reach the server), and the answers are compared as raw text: column names,
column type OIDs from the RowDescription, and every cell.

Two PostgreSQL-compatible servers holding the same schema still differ in
things no client may rely on: the OIDs given to user objects, process ids,
start times, owner names, sizes and statistics.  ``RULES`` lists each such
normalisation with the reason it is legitimate.  Every rule keeps NULL as
NULL and keeps values it does not recognise, so a rule can only make two
answers equal when they differ in exactly the way the rule describes.

User OIDs also appear inside captured statements (psql's ``\\d`` sends
``WHERE c.oid = '16390'`` after looking the table up).  The capture tool
replaces each one by a placeholder ``{{oid:<identity>}}`` naming the object
(``class:public.customers``), and ``bind_oids`` puts back the OID the
replaying server gave that object.
"""
from __future__ import annotations

import glob
import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from psycopg import pq

CORPUS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalog_corpus")

#: PostgreSQL gives user objects OIDs from here on (FirstNormalObjectId).
FIRST_USER_OID = 16384

OID, OIDVECTOR, OID_ARRAY = 26, 30, 1028
INT2, INT4, INT8 = 21, 23, 20


# ---------------------------------------------------------------- corpus

@dataclass(frozen=True)
class CorpusEntry:
    """One captured catalog statement."""
    tool: str
    index: int
    sql: str
    params: Optional[Tuple[Optional[str], ...]]  # None: sent as a simple Query
    note: str

    @property
    def test_id(self) -> str:
        short = re.sub(r"[^A-Za-z0-9_.+\\-]+", "_", self.note).strip("_")[:40]
        return "%s-%03d-%s" % (self.tool, self.index, short)


def load_corpus(directory: str = CORPUS_DIR) -> List[CorpusEntry]:
    """Every entry of every ``<tool>.json`` in the corpus directory."""
    entries: List[CorpusEntry] = []
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        with open(path, encoding="utf-8") as f:
            items = json.load(f)
        for index, item in enumerate(items):
            params = item.get("params")
            entries.append(CorpusEntry(item["tool"], index, item["sql"],
                                       None if params is None else tuple(params), item["note"]))
    return entries


# ------------------------------------------------------ user OID identity

#: How each kind of user object is named, so the same object in two servers
#: gets the same identity whatever OID each server gave it.
IDENTITY_QUERIES = (
    ("class", "SELECT c.oid, n.nspname || '.' || c.relname FROM pg_catalog.pg_class c "
              "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid >= 16384"),
    ("type", "SELECT t.oid, n.nspname || '.' || t.typname FROM pg_catalog.pg_type t "
             "JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE t.oid >= 16384"),
    ("namespace", "SELECT oid, nspname FROM pg_catalog.pg_namespace WHERE oid >= 16384"),
    ("constraint", "SELECT co.oid, n.nspname || '.' || co.conname FROM pg_catalog.pg_constraint co "
                   "JOIN pg_catalog.pg_namespace n ON n.oid = co.connamespace WHERE co.oid >= 16384"),
    ("function", "SELECT p.oid, n.nspname || '.' || p.proname FROM pg_catalog.pg_proc p "
                 "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.oid >= 16384"),
    ("database", "SELECT oid, datname FROM pg_catalog.pg_database WHERE oid >= 16384"),
    ("role", "SELECT oid, rolname FROM pg_catalog.pg_roles WHERE oid >= 16384"),
    ("rule", "SELECT r.oid, n.nspname || '.' || c.relname || '.' || r.rulename "
             "FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class "
             "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE r.oid >= 16384"),
)


@dataclass
class OidIdentities:
    """User OIDs of one server and the objects they name."""
    by_oid: Dict[int, List[str]] = field(default_factory=dict)
    by_identity: Dict[str, int] = field(default_factory=dict)
    failed: Dict[str, str] = field(default_factory=dict)  # kind -> error, when a query failed

    def add(self, oid: int, identity: str) -> None:
        self.by_oid.setdefault(oid, []).append(identity)
        self.by_identity[identity] = oid

    def token(self, oid: int) -> str:
        """The stable name of a user OID; an unknown or ambiguous OID keeps
        its number, so two servers can never agree on it by accident."""
        names = self.by_oid.get(oid)
        if not names:
            return "<unresolved user oid %d>" % oid
        if len(names) > 1:
            return "<ambiguous user oid %d: %s>" % (oid, "|".join(sorted(names)))
        return "<%s>" % names[0]


def connect(conninfo: str) -> "pq.PGconn":
    """A libpq connection (raw text results, no adaptation) or RuntimeError."""
    # connect_start + poll rather than the blocking PQconnectdb, which holds
    # the GIL: a riffq server running in this process could not answer it
    import select
    conn = pq.PGconn.connect_start(conninfo.encode())
    deadline = time.monotonic() + 30
    while conn.status != pq.ConnStatus.BAD and time.monotonic() < deadline:
        state = conn.connect_poll()
        if state == pq.PollingStatus.OK:
            break
        if state == pq.PollingStatus.FAILED:
            break
        wait = [conn.socket], [], []
        if state == pq.PollingStatus.WRITING:
            wait = [], [conn.socket], []
        select.select(*wait, 1.0)
    if conn.status != pq.ConnStatus.OK:
        message = conn.error_message.decode(errors="replace")
        conn.finish()
        raise RuntimeError("cannot connect to %s: %s" % (conninfo, message))
    return conn


def read_identities(conninfo: str) -> OidIdentities:
    """Ask a server which user objects its OIDs >= 16384 name.

    Each catalog is asked separately so that one the server cannot answer
    only leaves that kind unresolved (recorded in ``failed``)."""
    ids = OidIdentities()
    conn = connect(conninfo)
    try:
        for kind, sql in IDENTITY_QUERIES:
            res = conn.exec_(sql.encode())
            if res.status != pq.ExecStatus.TUPLES_OK:
                ids.failed[kind] = (res.error_message or b"").decode(errors="replace").strip()
                continue
            for r in range(res.ntuples):
                ids.add(int(res.get_value(r, 0)), "%s:%s" % (kind, res.get_value(r, 1).decode()))
    finally:
        conn.finish()
    return _name_toast_by_owner(ids)


_TOAST_NAME = re.compile(r"\bpg_toast_(\d{5,10})")


def _toast_names(text: str, ids: OidIdentities) -> str:
    """``pg_toast_<user oid>`` with the owner's identity instead of its OID."""
    def sub(m: "re.Match[str]") -> str:
        oid = int(m.group(1))
        return "pg_toast_" + ids.token(oid) if oid >= FIRST_USER_OID else m.group(0)
    return _TOAST_NAME.sub(sub, text)


def _name_toast_by_owner(ids: OidIdentities) -> OidIdentities:
    """TOAST relations and their types are named after their owner table's
    OID (``pg_toast.pg_toast_16386``); name them after the owner instead."""
    out = OidIdentities(failed=dict(ids.failed))
    for oid, names in ids.by_oid.items():
        for name in names:
            out.add(oid, _toast_names(name, ids))
    return out


_OID_PLACEHOLDER = re.compile(r"\{\{oid:([^{}]+)\}\}")
_NUMBER = re.compile(r"(?<![\w$.])(\d{5,10})(?![\w.])")


def oid_placeholders(text: str, ids: OidIdentities) -> str:
    """Replace each user OID in ``text`` by ``{{oid:<identity>}}`` (capture side)."""
    def sub(m: "re.Match[str]") -> str:
        names = ids.by_oid.get(int(m.group(1)))
        if int(m.group(1)) < FIRST_USER_OID or not names or len(names) != 1:
            return m.group(0)
        return "{{oid:%s}}" % names[0]
    return _NUMBER.sub(sub, text)


class MissingObject(LookupError):
    """A statement names a user object the replaying server does not have."""


def bind_oids(text: str, ids: OidIdentities) -> str:
    """Put this server's OID for each ``{{oid:<identity>}}`` placeholder."""
    def sub(m: "re.Match[str]") -> str:
        if m.group(1) not in ids.by_identity:
            raise MissingObject("server has no object %s (needed by the statement)" % m.group(1))
        return str(ids.by_identity[m.group(1)])
    return _OID_PLACEHOLDER.sub(sub, text)


# ---------------------------------------------------------------- answers

@dataclass
class Answer:
    """What a server answered, as raw text: cells are str or None (NULL)."""
    columns: List[Tuple[str, int]]              # (name, type OID) from the RowDescription
    rows: List[Tuple[Optional[str], ...]]
    error: Optional[Tuple[str, str]] = None     # (SQLSTATE, message)
    backend_pid: int = 0


def run_statement(conninfo: str, sql: str, params: Optional[Sequence[Optional[str]]]) -> Answer:
    """Run one statement on a fresh connection and return its raw answer.

    A fresh connection per statement keeps entries independent (a captured
    ``set_config`` cannot leak into the next one).  ``params=None`` sends a
    simple Query; otherwise Parse/Bind/Execute with every parameter untyped
    text, which is how the captured values were logged."""
    conn = connect(conninfo)
    try:
        if params is None:
            res = conn.exec_(sql.encode())
        else:
            res = conn.exec_params(sql.encode(),
                                   [None if p is None else p.encode() for p in params],
                                   result_format=pq.Format.TEXT)
        pid = conn.backend_pid
        if res.status == pq.ExecStatus.FATAL_ERROR:
            state = (res.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
            msg = (res.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or b"").decode(errors="replace")
            return Answer([], [], (state, msg), pid)
        columns = [(res.fname(i).decode(), res.ftype(i)) for i in range(res.nfields)]
        rows = []
        for r in range(res.ntuples):
            row = []
            for c in range(res.nfields):
                v = res.get_value(r, c)
                row.append(None if v is None else v.decode())
            rows.append(tuple(row))
        return Answer(columns, rows, None, pid)
    finally:
        conn.finish()


# ---------------------------------------------------------- normalisation

@dataclass
class ServerContext:
    """What a normalisation rule may know about the server that answered."""
    ids: OidIdentities
    backend_pid: int = 0


@dataclass(frozen=True)
class Rule:
    """One legitimate difference between two PostgreSQL-compatible servers.

    ``applies(column_name, type_oid)`` picks the columns; ``rewrite(value,
    ctx)`` maps a non-NULL text value to its normal form."""
    name: str
    reason: str
    applies: Callable[[str, int], bool]
    rewrite: Callable[[str, ServerContext], str]


def _map_oid_list(value: str, ctx: ServerContext) -> str:
    """Rewrite user OIDs in ``oid`` / ``oid[]`` / ``oidvector`` text."""
    def one(tok: str) -> str:
        return ctx.ids.token(int(tok)) if tok.isdigit() and int(tok) >= FIRST_USER_OID else tok
    if value.startswith("{") and value.endswith("}"):
        inner = value[1:-1]
        return "{" + ",".join(one(t) for t in inner.split(",")) + "}" if inner else value
    return " ".join(one(t) for t in value.split(" "))


def _names(*names: str) -> Callable[[str, int], bool]:
    wanted = {n.lower() for n in names}
    return lambda col, typ: col.lower() in wanted


def _own_pid(value: str, ctx: ServerContext) -> str:
    if value.strip().isdigit() and int(value) == ctx.backend_pid:
        return "<own backend pid>"
    return "<other backend pid>"


# the version may carry a distributor's suffix with spaces ("15.18 (Debian 15.18-0+deb12u1)")
_VERSION = re.compile(r"^PostgreSQL (\d+)(\.\d+)?[^\n]*? on .*$", re.S)

RULES: Tuple[Rule, ...] = (
    Rule("user-oid",
         "PostgreSQL numbers user objects from 16384 in creation order across the whole "
         "cluster; another server (or a second cluster with a different history) numbers "
         "the same object differently. An OID column (oid, oid[], oidvector) value >= 16384 "
         "becomes the name of the object it denotes in THAT server's catalog, so a value "
         "pointing at the wrong object still differs.",
         lambda col, typ: typ in (OID, OID_ARRAY, OIDVECTOR), _map_oid_list),
    Rule("toast-name",
         "PostgreSQL names a table's TOAST relation after the table's OID (pg_toast_16386); "
         "the number becomes the owner's identity, as in user-oid.",
         lambda col, typ: True, lambda v, ctx: _toast_names(v, ctx.ids)),
    Rule("backend-pid",
         "Process ids are assigned by the operating system (riffq uses connection ids). "
         "Only whether a pid is the asking connection's own survives.",
         lambda col, typ: typ in (INT4, INT8) and col.lower() in ("pid", "pg_backend_pid",
                                                                  "leader_pid"),
         _own_pid),
    Rule("server-time",
         "Start times of the server, backend, transaction and query, and the current time, "
         "are wall-clock readings that no two runs share.",
         _names("backend_start", "xact_start", "query_start", "state_change",
                "pg_postmaster_start_time", "pg_conf_load_time", "now", "current_timestamp",
                "statement_timestamp", "transaction_timestamp", "clock_timestamp"),
         lambda v, ctx: "<time>"),
    Rule("version-build",
         "version() ends with the platform and compiler PostgreSQL was built with; a "
         "reimplementation has neither. The major version is kept.",
         lambda col, typ: True,
         lambda v, ctx: _VERSION.sub(lambda m: "PostgreSQL %s <build>" % m.group(1), v)),
    Rule("owner",
         "Who owns an object depends on which role created it (PostgreSQL: the bootstrap "
         "superuser of the cluster, riffq: a role of its own); tools show it but never act "
         "on it. NULL stays NULL.",
         _names("relowner", "nspowner", "datdba", "proowner", "typowner", "extowner",
                "owner", "tableowner", "viewowner", "matviewowner", "schemaowner",
                "table_owner", "schema_owner", "grantor", "grantee", "typowner_name"),
         lambda v, ctx: "<owner>"),
    Rule("acl",
         "Access privilege lists name the owning and granted roles (see owner). NULL "
         "(default privileges) stays NULL, so granted-vs-default still differs.",
         _names("relacl", "nspacl", "datacl", "proacl", "typacl", "attacl", "lanacl",
                "fdwacl", "srvacl", "defaclacl", "access privileges", "column privileges"),
         lambda v, ctx: "<acl>"),
    Rule("storage-statistics",
         "Page counts, tuple estimates, on-disk sizes, file node numbers and freeze "
         "horizons reflect storage and vacuum history, not the schema. Size functions "
         "count under their own names and under the aliases tools give them (DBeaver's "
         "index_rel_size is pg_relation_size of an index: PostgreSQL's empty btree has "
         "its 8192-byte metapage, riffq stores nothing).",
         _names("reltuples", "relpages", "relallvisible", "relfilenode", "relfrozenxid",
                "relminmxid", "datfrozenxid", "datminmxid", "size", "pg_relation_size",
                "pg_total_relation_size", "pg_table_size", "pg_indexes_size",
                "pg_database_size", "index_rel_size"),
         lambda v, ctx: "<storage>"),
    Rule("activity-detail",
         "pg_stat_activity columns riffq has no source for (wait events, transaction ids, "
         "query ids, the statement timing of other sessions, the client host name); riffq "
         "reports pid, usename, datname, application_name, client_addr, client_port, "
         "backend_start, state and query, which stay compared.",
         _names("datid", "usesysid", "leader_pid", "client_hostname", "wait_event_type",
                "wait_event", "backend_xid", "backend_xmin", "query_id"),
         lambda v, ctx: "<activity detail>"),
)

#: PostgreSQL's own processes that show in pg_stat_activity and a wire-level
#: server does not have.
_SERVER_PROCESSES = ("autovacuum launcher", "logical replication launcher", "background writer",
                     "checkpointer", "walwriter", "archiver", "startup", "walreceiver",
                     "walsender", "autovacuum worker", "background worker")


def drop_server_processes(answer: Answer) -> Answer:
    """Rows of PostgreSQL's background processes, told by ``backend_type``.

    Why: pg_stat_activity lists the checkpointer, WAL writer, launchers...
    beside client connections; riffq has only client connections. Only rows
    whose ``backend_type`` names such a process go: without a
    ``backend_type`` column nothing is dropped (and a difference shows)."""
    names = [c[0] for c in answer.columns]
    if "backend_type" not in names:
        return answer
    col = names.index("backend_type")
    rows = [r for r in answer.rows if r[col] not in _SERVER_PROCESSES]
    return Answer(list(answer.columns), rows, answer.error, answer.backend_pid)


def normalise(answer: Answer, ctx: ServerContext, rules: Sequence[Rule] = RULES) -> Answer:
    """The answer without server processes, every rule applied to the
    columns it covers."""
    answer = drop_server_processes(answer)
    per_column = [[r for r in rules if r.applies(name, typ)] for name, typ in answer.columns]
    rows = []
    for row in answer.rows:
        out = []
        for value, col_rules in zip(row, per_column):
            for rule in col_rules:
                if value is not None:
                    value = rule.rewrite(value, ctx)
            out.append(value)
        rows.append(tuple(out))
    return Answer(list(answer.columns), rows, answer.error, answer.backend_pid)


# --------------------------------------------------------------- compare

def _top_level_words(sql: str) -> List[Tuple[int, str]]:
    """(position, lower-cased text) of the words and commas outside any
    parentheses, strings, quoted names and comments."""
    out: List[Tuple[int, str]] = []
    depth, i, n = 0, 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"":
            end = sql.find(c, i + 1)
            while end != -1 and end + 1 < n and sql[end + 1] == c:
                end = sql.find(c, end + 2)
            end = n if end == -1 else end + 1
            if depth == 0 and c == '"':
                out.append((i, sql[i:end]))
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end == -1 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end == -1 else end + 2
        elif c == "(":
            depth, i = depth + 1, i + 1
        elif c == ")":
            depth, i = max(0, depth - 1), i + 1
        elif depth == 0 and (c.isalnum() or c in "_.$"):
            m = re.match(r"[\w.$]+", sql[i:])
            out.append((i, m.group().lower()))
            i += m.end()
        else:
            if depth == 0 and c == ",":
                out.append((i, ","))
            i += 1
    return out


def order_by_items(sql: str) -> Optional[List[str]]:
    """The outermost query's ORDER BY items (words of each, lower-cased
    except quoted names), or None when it does not sort: only then is row
    order part of the answer."""
    words = _top_level_words(sql)
    for k in range(len(words) - 1):
        if words[k][1] == "order" and words[k + 1][1] == "by":
            items: List[List[str]] = [[]]
            for _, w in words[k + 2:]:
                if w in ("limit", "offset", "fetch", "for"):
                    break
                if w == ",":
                    items.append([])
                else:
                    items[-1].append(w)
            return [" ".join(item) for item in items if item]
    return None


def has_top_level_order_by(sql: str) -> bool:
    return order_by_items(sql) is not None


def order_key_columns(sql: str, columns: Sequence[Tuple[str, int]]) -> Optional[List[int]]:
    """Indexes of the output columns the outermost ORDER BY sorts on, as far
    as they can be told (an ordinal, or a name of an output column); the list
    stops at the first item that is an expression.  None: unordered.

    Why: rows that tie on the sort keys may come in any order, so only the
    sequence of key values is part of the answer."""
    items = order_by_items(sql)
    if items is None:
        return None
    names = [c[0] for c in columns]
    keys: List[int] = []
    for item in items:
        expr = re.sub(r"\s+(asc|desc|nulls first|nulls last|nulls|first|last)\b.*$", "", item)
        expr = expr.strip()
        if expr.isdigit() and 1 <= int(expr) <= len(names):
            keys.append(int(expr) - 1)
            continue
        last = expr.split(".")[-1].strip()
        name = last[1:-1].replace('""', '"') if last.startswith('"') else last
        if re.fullmatch(r'[\w$]+|"[^"]*"', last) and name in names:
            keys.append(names.index(name))
            continue
        break
    return keys


def _row_key(row: Tuple[Optional[str], ...]) -> Tuple[Tuple[bool, str], ...]:
    return tuple((v is None, v or "") for v in row)


def _groups(rows: List[tuple], keys: List[int]) -> List[Tuple[tuple, List[tuple]]]:
    """Consecutive runs of rows with equal sort keys, each run sorted."""
    out: List[Tuple[tuple, List[tuple]]] = []
    for row in rows:
        key = tuple(row[k] for k in keys)
        if out and out[-1][0] == key:
            out[-1][1].append(row)
        else:
            out.append((key, [row]))
    return [(k, sorted(g, key=_row_key)) for k, g in out]


_OID_TOKEN = re.compile(r"_<[a-z]+:[^<>]+>")


def _numbered_apart(rows: Sequence[tuple], keys: List[int]) -> List[tuple]:
    """Rows whose sort key embeds a user OID in a name (``pg_toast_16386``,
    compared as ``pg_toast_<class:public.t>``) are left out of the order
    check: where they sort depends on how each server numbers its objects,
    not on the statement. They still count in the multiset comparison."""
    return [r for r in rows if not any(isinstance(r[k], str) and _OID_TOKEN.search(r[k])
                                       for k in keys)]


def compare_answers(expected: Answer, actual: Answer,
                    order_keys: Optional[List[int]] = None) -> List[str]:
    """Differences between two (normalised) answers, empty when they agree.

    Errors compare by SQLSTATE only (messages may quote OIDs and differ in
    wording); columns by name and type OID; rows as multisets, and when the
    statement sorts (``order_keys`` not None) the sequence of sort-key
    values must match too (rows tying on the keys may come in any order)."""
    diffs: List[str] = []
    if expected.error or actual.error:
        if (expected.error or ("",))[0] != (actual.error or ("",))[0]:
            diffs.append("error differs: expected %r, got %r" % (expected.error, actual.error))
        return diffs
    if [c[0] for c in expected.columns] != [c[0] for c in actual.columns]:
        diffs.append("column names differ: expected %r, got %r"
                     % ([c[0] for c in expected.columns], [c[0] for c in actual.columns]))
    for (name, e_type), (_, a_type) in zip(expected.columns, actual.columns):
        if e_type != a_type:
            diffs.append("column %r type OID differs: expected %d, got %d" % (name, e_type, a_type))
    e_sorted = sorted(expected.rows, key=_row_key)
    a_sorted = sorted(actual.rows, key=_row_key)
    if e_sorted != a_sorted:
        missing = _multiset_minus(e_sorted, a_sorted)
        extra = _multiset_minus(a_sorted, e_sorted)
        diffs.append("rows differ (%d expected, %d got)\n  missing: %s\n  unexpected: %s"
                     % (len(e_sorted), len(a_sorted), _show(missing), _show(extra)))
    elif order_keys is not None and (
            _groups(_numbered_apart(expected.rows, order_keys), order_keys)
            != _groups(_numbered_apart(actual.rows, order_keys), order_keys)):
        diffs.append("same rows in a different order (statement has ORDER BY; sort-key "
                     "columns %s)\n  expected: %s\n  got: %s"
                     % ([expected.columns[k][0] for k in order_keys], _show(expected.rows),
                        _show(actual.rows)))
    return diffs


def _multiset_minus(rows: List[tuple], other: List[tuple]) -> List[tuple]:
    remaining = list(other)
    out = []
    for row in rows:
        if row in remaining:
            remaining.remove(row)
        else:
            out.append(row)
    return out


def _show(rows: Iterable[tuple], limit: int = 8) -> str:
    rows = list(rows)
    text = "\n    ".join(repr(r) for r in rows[:limit])
    more = "" if len(rows) <= limit else "\n    ... %d more" % (len(rows) - limit)
    return ("\n    " + text + more) if rows else "none"


# --------------------------------------------------------------- targets

@dataclass
class Target:
    """A server under comparison: how to connect and its user OID identities."""
    label: str
    conninfo: str
    ids: OidIdentities
    translator: Optional[str] = None  # riffq only: the RIFFQ_CATALOG_TRANSLATOR it runs with

    def answer(self, entry: CorpusEntry, rules: Sequence[Rule] = RULES) -> Answer:
        """This server's normalised answer to ``entry``."""
        sql = bind_oids(entry.sql, self.ids)
        params = None if entry.params is None else [
            None if p is None else bind_oids(p, self.ids) for p in entry.params]
        raw = run_statement(self.conninfo, sql, params)
        return normalise(raw, ServerContext(self.ids, raw.backend_pid), rules)


def compare_entry(entry: CorpusEntry, reference: Target, candidate: Target) -> List[str]:
    """Differences between the reference's and the candidate's answer to one entry."""
    expected = reference.answer(entry)
    actual = candidate.answer(entry)
    return compare_answers(expected, actual, order_key_columns(entry.sql, expected.columns))


def describe_failure(entry: CorpusEntry, diffs: List[str], reference: Target,
                     candidate: Target) -> str:
    params = "" if entry.params is None else "\nparams: %r" % (entry.params,)
    return ("%s disagrees with %s on %s (%s):\n%s%s\n--\n%s"
            % (candidate.label, reference.label, entry.test_id, entry.note, entry.sql, params,
               "\n".join(diffs)))


# ------------------------------------------------------- real PostgreSQL

def exec_script(conninfo: str, sql: str) -> None:
    """Run SQL (several statements allowed) or raise with the server's message."""
    conn = connect(conninfo)
    try:
        res = conn.exec_(sql.encode())
        if res.status == pq.ExecStatus.FATAL_ERROR:
            raise RuntimeError("%s failed: %s" % (sql[:200], res.error_message.decode()))
    finally:
        conn.finish()


def pg_conninfo(pg: "object", dbname: str) -> str:
    """libpq conninfo for a ``pg_fixture.RealPostgres`` and one database."""
    return "host=%s port=%d user=%s dbname=%s" % (pg.host, pg.port, pg.user, dbname)


def create_schema_database(pg: "object", burn_oids: int = 0) -> str:
    """Create the corpus database from schema.py in a real PostgreSQL;
    returns its conninfo.

    ``burn_oids`` first uses up that many OIDs (large objects created and
    dropped), so this cluster numbers the same schema differently from a
    fresh one: that is what makes a PostgreSQL-against-PostgreSQL check
    exercise the user-OID normalisation."""
    from catalog_corpus.schema import DATABASE, ddl
    admin = pg_conninfo(pg, "postgres")
    if burn_oids:
        exec_script(admin, "SELECT pg_catalog.lo_unlink(pg_catalog.lo_create(0)) "
                           "FROM pg_catalog.generate_series(1, %d)" % burn_oids)
    exec_script(admin, "DROP DATABASE IF EXISTS %s" % DATABASE)
    exec_script(admin, "CREATE DATABASE %s" % DATABASE)
    conninfo = pg_conninfo(pg, DATABASE)
    exec_script(conninfo, ddl())
    return conninfo
