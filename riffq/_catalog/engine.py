"""The catalog engine: PostgreSQL catalog queries evaluated by SQLite.

Tools send hundreds of catalog query shapes; rather than canned answers,
the catalog lives in an in-memory SQLite database (``pg_catalog`` and
``information_schema`` attached as databases of those names) and the
translator's SQLite form of each statement runs against it.

Built-in rows are loaded once.  The user's part is materialized per
statement, only for the relations that statement touches, straight from
the registry or the lazy source (so it is always live), and removed again
afterwards.  One SQLite connection serves every thread; a lock makes each
statement (materialize, run, convert, clean up) atomic, which is also what
lets the registered functions see "the current statement's session".
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import json
import re
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from .._wire import pgtypes
from .._wire.errors import PgError
from .._wire.pgtypes import OidName, PgType
from .content import Snapshot, StaticCatalog, static_catalog
from .content_rows import BUILDERS, REGISTRY_ONLY, RowContext, attributes, static_rows
from .functions import REG_NAMES, FunctionHost
from .functions_math import MATH_FUNCTIONS, literal_type, numeric_text
from .functions_sql import BoundedArray, bounded_json, lower_bound, to_list
from .pushdown import attribute_need
from .sqlparse import parse_statement
from .translate_types import Translation
from . import sqlast as A

__all__ = ["CatalogSession", "CatalogEngine", "oid_literal_shape"]

_SQLITE_DBS = ("pg_catalog", "information_schema")
_INTEGER_TYPES = frozenset((16, 20, 21, 23, 26, 28, 29, 5069) + tuple(pgtypes.REG_TYPES))
_REAL_TYPES = frozenset((700, 701, 1700))
_PARAM_RE = re.compile(r"\?(\d+)")
#: translations kept, by statement text: tools repeat the same catalog
#: statements over and over, and sqlglot's parse + rewrite of one costs
#: milliseconds (more than running it)
TRANSLATION_CACHE_SIZE = 512
TRANSLATED_TEXT_MAX = 65536
#: the columns tools look rows up by (``c.oid = ...``, ``attrelid = ...``):
#: indexed once, because otherwise SQLite builds a throwaway index on every
#: statement, which costs milliseconds once thousands of tables are registered
_INDEXED = (("pg_class", "oid"), ("pg_class", "relname"),
            ("pg_attribute", "attrelid"), ("pg_type", "oid"), ("pg_type", "typrelid"),
            ("pg_namespace", "oid"), ("pg_index", "indrelid"), ("pg_index", "indexrelid"),
            ("pg_constraint", "conrelid"), ("pg_attrdef", "adrelid"),
            ("pg_description", "objoid"), ("pg_proc", "oid"), ("pg_depend", "objid"),
            ("pg_depend", "refobjid"), ("pg_inherits", "inhrelid"), ("pg_rewrite", "ev_class"),
            ("information_schema.columns", "table_name"),
            ("information_schema.tables", "table_name"))
#: result types of names that are not pg_proc functions (the translator's
#: helpers and SQL keywords such as current_user)
_EXTRA_FUNCTIONS = {
    "pg_current_user": "name", "pg_session_user": "name", "current_user": "name",
    "session_user": "name", "current_role": "name", "user": "name", "current_catalog": "name",
    "pg_now": "timestamptz", "now": "timestamptz", "current_timestamp": "timestamptz",
    "localtimestamp": "timestamp", "pg_current_date": "date", "current_date": "date",
    "count": "int8", "string_agg": "text", "pg_position": "int4", "position": "int4",
    "pg_extract": "float8", "extract": "numeric", "regexp_match": "text[]",
}


@dataclass
class CatalogSession:
    """What the wire layer tells the engine about the session running a statement."""

    database: str
    user: str
    pid: int
    application_name: str
    get_setting: Callable[[str], Optional[str]]
    set_setting: Callable[[str, str, bool], str]
    activity: Callable[[], List[Dict[str, Any]]]
    server_version: str
    #: ``signal_backend(conn_id, terminate)``: cancel a session's statement or
    #: end the session; whether it was there (None: the server cannot)
    signal_backend: Optional[Callable[[int, bool], bool]] = None


def _default_translate(sql: str) -> Any:
    try:
        from .translate import translate  # the translator lives on its own branch
    except ImportError:
        raise PgError("0A000", "catalog emulation has no SQL translator installed") from None
    return translate(sql)


_PLAIN = frozenset((int, str, float, type(None)))
#: value types sqlite3 cannot store as they are (bool it stores as 0/1)
_CONVERTED = frozenset((list, tuple, _dt.datetime, _dt.date))


def _sqlite_value(v: Any) -> Any:
    if type(v) in _PLAIN:
        return v
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (list, tuple)):
        return json.dumps(list(v), separators=(",", ":"))
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v.isoformat()
    return v


class CatalogEngine:
    """Evaluates catalog statements for every session of one server."""

    def __init__(self, registry: Any, translate: Optional[Callable[[str], Any]] = None) -> None:
        self._registry = registry
        self._translate = translate or _default_translate
        self._static: StaticCatalog = static_catalog()
        self._lock = threading.RLock()
        self._translations: "OrderedDict[str, Any]" = OrderedDict()
        self._translations_lock = threading.Lock()
        self._host = FunctionHost()
        self._conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        for name in _SQLITE_DBS:
            self._conn.execute("ATTACH DATABASE ':memory:' AS %s" % name)
        self._host.register(self._conn)
        self._static_count: Dict[str, int] = {}
        #: relation key -> (registry generation, database) whose user rows
        #: the SQLite table holds between statements
        self._resident: Dict[str, Tuple[int, str]] = {}
        #: ``_pushdown_facts``, made at first use
        self._facts: Optional[Tuple[FrozenSet[str], FrozenSet[str]]] = None
        #: (state, OIDs of the relations) whose pg_attribute rows were
        #: written one relation at a time and stay (state None: none stay)
        self._attribute_rows: Tuple[Optional[Tuple[int, str]], Set[int]] = (None, set())
        #: database -> (registry generation, what snapshots of it built)
        self._shared: Dict[str, Tuple[int, Dict[str, Any]]] = {}
        self._proc_types = self._function_types()
        self._load_static()

    # -- setup -------------------------------------------------------------------
    def _table(self, key: str) -> str:
        rel = self._static.relations[key]
        return '%s."%s"' % (rel.schema, rel.name)

    def _load_static(self) -> None:
        derived = static_rows(self._static)
        self._derived = frozenset(key for key, rows in derived.items() if rows)
        with self._lock:
            self._conn.execute("BEGIN")
            for key, rel in self._static.relations.items():
                cols = ", ".join('"%s" %s' % (name, self._affinity(t)) for name, t in rel.columns)
                self._conn.execute("CREATE TABLE %s (%s)" % (self._table(key), cols))
                rows = [_zero_based(rel, [_sqlite_value(v) for v in r])
                        for r in self._static.rows.get(key, ())
                        if key not in BUILDERS
                        or key in ("pg_class", "pg_type", "pg_description", "pg_index",
                                   "pg_constraint")]
                rows += [self._ordered(rel, d) for d in derived.get(key, ())]
                if rows:
                    marks = ", ".join("?" * len(rel.columns))
                    self._conn.executemany("INSERT INTO %s VALUES (%s)" % (self._table(key), marks),
                                           rows)
                self._static_count[key] = self._conn.execute(
                    "SELECT coalesce(max(rowid), 0) FROM %s" % self._table(key)).fetchone()[0]
            for key, column in _INDEXED:
                if key in self._static.relations:
                    rel = self._static.relations[key]
                    self._conn.execute('CREATE INDEX %s."%s_%s" ON "%s" ("%s")' % (
                        rel.schema, rel.name, column, rel.name, column))
            self._conn.execute("COMMIT")

    @staticmethod
    def _affinity(t: PgType) -> str:
        if t.elem is None and t.oid in _INTEGER_TYPES:
            return "INTEGER"
        if t.elem is None and t.oid in _REAL_TYPES:
            return "REAL"
        return "TEXT"

    @staticmethod
    def _ordered(rel: Any, row: Any) -> Sequence[Any]:
        """A builder's row as SQLite takes it: a dict by column name, or a
        tuple of plain values already in the relation's order (pg_class's:
        ``content_relrows.class_row``), which goes as it is."""
        if type(row) is tuple:
            return row
        # tens of thousands of rows with 10,000 tables: map() and a set test
        # stay in C; only rows holding arrays or dates go value by value
        # vectors first, from the builder's lists (not from the JSON that
        # _sqlite_value would make of them, to be parsed back here)
        values = _zero_based(rel, list(map(row.get, rel.column_names)))
        if not _CONVERTED.isdisjoint(map(type, values)):
            values = [_sqlite_value(v) for v in values]
        return values

    def _function_types(self) -> Dict[str, PgType]:
        rettypes: Dict[str, Set[Tuple[int, bool]]] = {}
        for p in self._static.procs:
            rettypes.setdefault(p["proname"], set()).add((p["prorettype"], p["proretset"]))
        out: Dict[str, PgType] = {}
        for name, ret in rettypes.items():
            if len({oid for oid, _ in ret}) == 1:
                t = self._static.type_by_oid(next(iter(ret))[0])
                if t is not None and t.oid not in (2276, 2277, 2283, 2249, 2278):  # pseudo types
                    out[name] = t
        for name, typname in _EXTRA_FUNCTIONS.items():
            out[name] = pgtypes.type_from_name(typname)
        return out

    # -- public API ----------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any], session: CatalogSession
                ) -> Tuple[List[Tuple[str, PgType]], List[tuple]]:
        """Run one catalog statement; returns (columns, rows) ready for encoding."""
        tr, bound = self._translated_bound(sql, len(params))
        keys = self._relation_keys(tr)
        with self._lock:
            state = self._registry_state(session)
            ctx = RowContext(self._static, self._snapshot(session, state), session, sql)
            self._host.ctx = ctx
            self._host.describing = False
            self._host.pending = None
            try:
                self._materialize(keys, ctx, state, self._attribute_relations(sql, params, keys, ctx,
                                                                               state))
                cur = self._run(tr.sql, list(params) + bound if bound else params)
                names = [d[0] for d in cur.description or ()]
                raw = cur.fetchall()
                math = self._math_columns(sql, tr, keys)
                columns = self._columns(tr, names, keys, math)
                rows = self._convert(columns, raw, math)
            finally:
                self._clear(keys)
                self._host.ctx = None
        return columns, rows

    def describe(self, sql: str, session: CatalogSession) -> Tuple[List[int], List[Tuple[str, PgType]]]:
        """Parameter type OIDs and result columns, without side effects.

        Nothing is materialized and no row is produced, so neither the lazy
        source nor set_config() is touched.  Parameters are described as
        text: clients then send them as strings, which SQLite compares
        with the catalog's typed columns by their affinity.
        """
        tr = self._translated(sql)
        keys = self._relation_keys(tr)
        nparams = max([int(n) for n in _PARAM_RE.findall(tr.sql)] or [0])
        with self._lock:
            self._host.ctx = RowContext(self._static, self._snapshot(
                session, self._registry_state(session)), session, sql)
            self._host.describing = True
            self._host.pending = None
            try:
                cur = self._run("SELECT * FROM (%s) LIMIT 0" % tr.sql, [None] * nparams)
                names = [d[0] for d in cur.description or ()]
            finally:
                self._host.ctx = None
                self._host.describing = False
        return [pgtypes.TEXT.oid] * nparams, self._columns(tr, names, keys,
                                                            self._math_columns(sql, tr, keys))

    # -- steps -------------------------------------------------------------------------
    def _translated(self, sql: str) -> Any:
        """The statement's translation; a translation depends on the text
        alone, so repeated statements reuse it (failures are not kept)."""
        return self._translated_bound(sql, None)[0]

    def _translated_bound(self, sql: str, nargs: Optional[int]) -> Tuple[Any, List[str]]:
        """The translation, and the values it binds after the statement's
        own ``nargs`` parameters.

        Quoted OIDs (psql's ``WHERE c.oid = '16390'``) and the names psql
        looks up vary from one table to the next; they are translated as
        stand-ins (:func:`oid_literal_shape`), so psql describing another
        table reuses the translation. Given ``nargs``, they run as
        parameters where they are whole literals, so the SQL text is the
        same for every table and SQLite finds the statement prepared (its
        cache is by text; preparing one of psql's statements costs about a
        tenth of a millisecond); else they are put back into the text."""
        if len(sql) > TRANSLATED_TEXT_MAX:
            return self._translate_uncached(sql), []
        shaped = oid_literal_shape(sql)
        if shaped is not None:
            tr = self._translated_text(shaped[0])
            if isinstance(tr, Translation):
                template = None if nargs is None else _bound_template(tr.sql, nargs)
                if template is not None:
                    return (dataclasses.replace(tr, sql=template[0]),
                            [shaped[2][i] for i in template[1]])
                out = shaped[1](tr.sql)
                if out is not None:
                    return dataclasses.replace(tr, sql=out), []
        return self._translated_text(sql), []

    def _translated_text(self, sql: str) -> Any:
        with self._translations_lock:
            tr = self._translations.get(sql)
            if tr is not None:
                self._translations.move_to_end(sql)
                return tr
        tr = self._translate_uncached(sql)
        if isinstance(tr, Translation):
            text = _ANCHORED_LITERAL.sub(r"(\1 = '\2')", tr.sql)
            text = _ANCHORED_PREFIX.sub(
                lambda m: "(substr(%s, 1, %d) = '%s')" % (m.group(1), len(m.group(2)), m.group(2)), text)
            tr = dataclasses.replace(tr, sql=text)
        with self._translations_lock:
            self._translations[sql] = tr
            while len(self._translations) > TRANSLATION_CACHE_SIZE:
                self._translations.popitem(last=False)
        return tr

    def _translate_uncached(self, sql: str) -> Any:
        try:
            return self._translate(sql)
        except PgError:
            raise
        except Exception as exc:
            sqlstate = getattr(exc, "sqlstate", None)
            if isinstance(sqlstate, str):
                raise PgError(sqlstate, getattr(exc, "message", str(exc))) from None
            raise PgError("0A000", "catalog emulation cannot translate this statement: %s"
                          % exc) from None

    def _relation_keys(self, tr: Any) -> List[str]:
        keys = []
        for name in sorted(getattr(tr, "relations", ()) or ()):
            name = name.lower()
            if name.startswith("pg_catalog."):
                name = name[len("pg_catalog."):]
            key = name if name in self._static.relations else "information_schema." + \
                name.split(".")[-1]
            if key not in self._static.relations:
                raise PgError("42P01", 'relation "%s" does not exist' % name)
            keys.append(key)
        return keys

    def _registry_state(self, session: CatalogSession) -> Optional[Tuple[int, str]]:
        """What the user's rows of this statement are a function of, when
        they can be kept between statements: eager registrations only (a
        lazy source is read live on every statement, as promised)."""
        if getattr(self._registry, "lazy_source", None) is not None:
            return None
        generation = getattr(self._registry, "generation", None)
        return None if generation is None else (generation, session.database)

    def _snapshot(self, session: CatalogSession, state: Optional[Tuple[int, str]]) -> Snapshot:
        shared = None
        if state is not None:
            kept = self._shared.get(session.database)
            if kept is None or kept[0] != state[0]:
                if len(self._shared) > 16:
                    self._shared.clear()
                kept = self._shared[session.database] = (state[0], {})
            shared = kept[1]
        return Snapshot(self._registry, session.database, session.user, shared)

    def _attribute_relations(self, sql: str, params: Sequence[Any], keys: List[str],
                             ctx: RowContext, state: Optional[Tuple[int, str]]) -> Optional[List[Any]]:
        """The user relations whose pg_attribute rows are all the statement
        can see (``pushdown``), when it reads pg_attribute and all its rows
        are not in place already; None for all of them."""
        if "pg_attribute" not in keys or (state is not None
                                          and self._resident.get("pg_attribute") == state):
            return None
        shaped = oid_literal_shape(sql) if len(sql) <= TRANSLATED_TEXT_MAX else None
        operand = attribute_need(shaped[0] if shaped is not None else sql, *self._pushdown_facts())
        if operand is None:
            return None
        kind, value = operand
        if kind == "none":
            return []
        if kind == "param":
            number = int(value)  # type: ignore[call-overload]
            if not 1 <= number <= len(params):
                return None
            value = params[number - 1]
        else:
            stand_in = _STAND_IN.fullmatch(str(value))
            if stand_in is not None:
                if shaped is None or int(stand_in.group(1)) >= len(shaped[2]):
                    return None
                value = shaped[2][int(stand_in.group(1))]
        try:
            oid = int(str(value))
        except ValueError:
            return None
        rel = ctx.snap.relation_by_oid(oid) or ctx.snap.relation_by_oid(oid, "pk_index_oid")
        if rel is not None:
            return [rel]
        # a built-in relation's rows are always there; any other OID may be
        # one this cannot place (a TOAST table's): all rows, then
        return [] if oid in self._static.class_namespace else None

    def _pushdown_facts(self) -> Tuple[FrozenSet[str], FrozenSet[str]]:
        """(the catalog relations that never hold a row, the aggregates'
        names), for ``pushdown``."""
        facts = self._facts
        if facts is None:
            empty = frozenset(key for key in self._static.relations
                              if "." not in key and key not in BUILDERS
                              and not self._static.rows.get(key) and key not in self._derived)
            aggregates = frozenset(p["proname"] for p in self._static.procs if p.get("prokind") == "a")
            facts = self._facts = (empty, aggregates)
        return facts

    def _materialize(self, keys: List[str], ctx: RowContext,
                     state: Optional[Tuple[int, str]] = None,
                     attribute_relations: Optional[List[Any]] = None) -> None:
        """Insert the user's rows of each relation the statement reads.

        Rows that only depend on the registration stay in place after the
        statement (``_resident``) and are reused while ``state`` holds.
        What is written goes in one transaction: row by row, each insert
        was its own (the connection commits every statement by itself), and
        the 30,000 rows of pg_class for 10,000 tables took a third longer.
        ``attribute_relations``: only these relations' pg_attribute rows,
        for this statement alone.
        """
        writing = False
        try:
            for key in keys:
                builder = BUILDERS.get(key)
                if builder is None:
                    continue
                resident = state is not None and key in REGISTRY_ONLY
                if resident and self._resident.get(key) == state:
                    continue
                partial = key == "pg_attribute" and attribute_relations is not None
                if partial:
                    resident = False
                if not writing:
                    self._conn.execute("BEGIN")
                    writing = True
                if self._resident.pop(key, None) is not None:
                    self._delete_user_rows(key)
                keep = set()    # (pg_attribute) relations whose rows stay
                if key == "pg_attribute":
                    kept_state, kept = self._attribute_rows
                    self._attribute_rows = (None, set())     # until written: cleared after
                    if partial and state is not None and kept_state == state:
                        keep = kept
                        attribute_relations = [r for r in attribute_relations if r.oid not in kept]
                    elif kept_state is not None:
                        self._delete_user_rows(key)
                rel = self._static.relations[key]
                made = attributes(ctx, attribute_relations) if partial else builder(ctx)
                rows = [self._ordered(rel, d) for d in made]
                if rows:
                    marks = ", ".join("?" * len(rel.columns))
                    try:
                        self._conn.executemany("INSERT INTO %s VALUES (%s)" % (self._table(key), marks),
                                               rows)
                    except (sqlite3.Error, OverflowError, TypeError) as exc:
                        raise PgError("XX000", "catalog source produced a malformed %s row: %s"
                                      % (key, exc)) from None
                if resident:
                    self._resident[key] = state  # type: ignore[assignment]
                elif partial and state is not None:
                    # one relation's rows at a time, kept like the whole
                    # table's: psql describing tables one after another
                    # writes each once
                    self._attribute_rows = (state, keep | {r.oid for r in attribute_relations})
        finally:
            if writing:
                self._conn.execute("COMMIT")

    def _clear(self, keys: List[str]) -> None:
        for key in keys:
            if key in BUILDERS and key not in self._resident and not (
                    key == "pg_attribute" and self._attribute_rows[0] is not None):
                self._delete_user_rows(key)

    def _delete_user_rows(self, key: str) -> None:
        self._conn.execute("DELETE FROM %s WHERE rowid > ?" % self._table(key),
                           (self._static_count[key],))

    def _run(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, [_sqlite_value(p) for p in params])
        except sqlite3.Error as exc:
            pending, self._host.pending = self._host.pending, None
            if pending is not None:
                raise pending from None
            raise _sqlite_error(exc) from None
        except PgError:
            raise

    def _math_columns(self, sql: str, tr: Any, keys: List[str]
                      ) -> Dict[int, Tuple[PgType, Optional[int]]]:
        """Result type (and numeric scale) of output columns that call an
        overloaded math function, from the arguments as written."""
        outs = getattr(tr, "columns", None) or []
        wanted = [i for i, oc in enumerate(outs) if not getattr(oc, "cast", None)
                  and (getattr(oc, "function", None) or "").lower() in MATH_FUNCTIONS]
        items = _select_items(sql) if wanted else None
        if items is None or len(items) != len(outs):
            return {}

        def column_type(name: str) -> Optional[str]:
            t = self._type_by_column_name(name, keys)
            return None if t is None else t.name
        out = {}
        for i in wanted:
            found = literal_type(items[i], column_type) if isinstance(items[i], A.Func) else None
            if found is not None:
                out[i] = (pgtypes.type_from_name(found[0]), found[1])
        return out

    def _columns(self, tr: Any, names: List[str], keys: List[str],
                 math: Optional[Dict[int, Tuple[PgType, Optional[int]]]] = None
                 ) -> List[Tuple[str, PgType]]:
        outs = getattr(tr, "columns", None)
        if outs is not None and len(outs) != len(names):
            outs = None
        star: List[Tuple[str, PgType]] = []
        for rel in getattr(tr, "star_relations", None) or ():
            key = rel if rel in self._static.relations else "information_schema." + rel
            if key in self._static.relations:
                star.extend(self._static.relations[key].columns)
        if len(star) != len(names):
            star = []
        result = []
        for i, name in enumerate(names):
            oc = outs[i] if outs is not None else None
            t = math[i][0] if math and i in math else self._output_type(oc, keys)
            if t is None and star:
                t = star[i][1]
            if t is None:
                t = self._type_by_column_name(name, keys)
            result.append((oc.name if oc is not None else name, t or pgtypes.TEXT))
        return result

    def _output_type(self, oc: Any, keys: List[str]) -> Optional[PgType]:
        if oc is None:
            return None
        if getattr(oc, "cast", None):
            return self._type_named(oc.cast)
        if getattr(oc, "pg_type", None):
            return self._type_named(oc.pg_type)
        if getattr(oc, "function", None):
            t = self._proc_types.get(oc.function.lower())
            if t is not None:
                return t
        src = getattr(oc, "source", None)
        if src:
            rel, col = src
            key = rel if rel in self._static.relations else "information_schema." + rel
            if key in self._static.relations:
                t = self._static.relations[key].column_types.get(col)
                if t is not None:
                    return t
        if getattr(oc, "literal", None):
            return self._type_named(oc.literal)
        return None

    def _type_named(self, name: str) -> PgType:
        name = name.strip().lower()
        if name == "char":
            return pgtypes.CHAR
        if name.endswith("[]") and name[:-2] == "char":
            return pgtypes.CHAR_ARRAY
        try:
            return pgtypes.type_from_name(name)
        except ValueError:
            return self._static.pg_type(name)

    def _type_by_column_name(self, name: str, keys: List[str]) -> Optional[PgType]:
        found = {self._static.relations[k].column_types[name] for k in keys
                 if name in self._static.relations[k].column_types}
        return found.pop() if len(found) == 1 else None

    # -- values ----------------------------------------------------------------------
    def _convert(self, columns: List[Tuple[str, PgType]], raw: List[tuple],
                 math: Optional[Dict[int, Tuple[PgType, Optional[int]]]] = None) -> List[tuple]:
        converters = [self._converter(t) for _, t in columns]
        for i, (t, scale) in (math or {}).items():
            if t.oid == pgtypes.NUMERIC.oid:
                converters[i] = lambda v, scale=scale: numeric_text(v, scale)
            elif t.oid in _INTEGER_TYPES:
                converters[i] = int
        if raw:
            # text columns that SQLite gave as text need no call per value
            # (a listing of 10,000 tables is 40,000 of them)
            for i, conv in enumerate(converters):
                if conv is _as_text and all(type(row[i]) in _TEXT_AS_IS for row in raw):
                    converters[i] = None
        if all(conv is None for conv in converters):
            return raw
        out = []
        for row in raw:
            out.append(tuple(v if v is None or conv is None else conv(v)
                             for conv, v in zip(converters, row)))
        return out

    def _converter(self, t: PgType) -> Callable[[Any], Any]:
        if t.elem is not None or t.oid in pgtypes.VECTOR_TYPES:
            elem = t.elem or (pgtypes.INT2 if t.oid == pgtypes.INT2VECTOR.oid else pgtypes.OID)
            conv = self._converter(elem)

            def array(v: Any) -> List[Any]:
                items = [None if x is None else conv(x) for x in to_list(v)]
                lower = lower_bound(v) if t.elem is not None else 1
                return items if lower == 1 else BoundedArray(items, lower)
            return array
        oid = t.oid
        if oid == pgtypes.BOOL.oid:
            return lambda v: v if isinstance(v, str) else bool(v)
        if oid in pgtypes.REG_TYPES:
            kind = t.name
            host = self._host

            def reg(v: Any) -> Any:
                if isinstance(v, str) and not v.lstrip("-").isdigit():
                    return v
                n = int(v)
                return OidName(n, host.reg_text(kind, n)) if kind in REG_NAMES else n
            return reg
        if oid in _INTEGER_TYPES:
            return lambda v: int(v) if isinstance(v, str) and v.lstrip("-").isdigit() else v
        if oid in (pgtypes.TIMESTAMPTZ.oid, pgtypes.TIMESTAMP.oid):
            return _timestamp
        if oid == pgtypes.DATE.oid:
            return lambda v: _dt.date.fromisoformat(v) if isinstance(v, str) and len(v) == 10 else v
        if oid in (pgtypes.FLOAT4.oid, pgtypes.FLOAT8.oid):
            return lambda v: float(v) if isinstance(v, int) else v
        return _as_text


def _as_text(v: Any) -> Any:
    return v if isinstance(v, (str, bytes)) else str(v)


#: what ``_as_text`` returns unchanged (None never reaches a converter)
_TEXT_AS_IS = (str, bytes, type(None))


#: ``x ~ '^(name)$'`` as translated: psql looks a table up by name this way.
#: It is ``x = 'name'`` (PostgreSQL's ``$`` is the end of the text), which
#: SQLite answers from an index instead of calling a function per row
_ANCHORED_LITERAL = re.compile(r"(?i)\bpg_regex\((\w+(?:\.\w+)?), '\^\((\w+)\)\$', 0\)")
#: ``x ~ '^pg_toast'`` (psql's \dt and \d filter schemas this way, once per
#: pg_class row): a literal prefix is ``substr(x, 1, n) = 'prefix'``, with
#: no call into Python per row. Letters, digits and ``_`` only: nothing in
#: the prefix means anything else to a regular expression.
_ANCHORED_PREFIX = re.compile(r"(?i)\bpg_regex\((\w+(?:\.\w+)?), '\^(\w+)', 0\)")
#: a quoted OID in a statement: psql writes each table's OID this way
_OID_LITERAL = re.compile(r"(?<![\w'])'(\d{5,10})'(?!')")
#: a name psql looks up (``\\d orders``: ``relname ~ '^(orders)$'``)
_NAME_PATTERN = re.compile(r"(?<![\w'])'\^\((\w+)\)\$'(?!')")
_STAND_IN = re.compile(r"(?<!\d)9(\d{9})(?!\d)")


@functools.lru_cache(maxsize=64)
def oid_literal_shape(sql: str) -> Optional[Tuple[str, Callable[[str], Optional[str]], Tuple[str, ...]]]:
    """``sql`` with each distinct quoted OID, and each name in a pattern
    ``'^(name)$'``, replaced by a stand-in (``'9000000000'``,
    ``'^(9000000001)$'``...); the function putting them back into a
    translation of it; and the values (stand-in ``9000000000 + i`` is
    ``values[i]``). Both kinds are literals to both translators, which copy
    them through unchanged, so the translation of the stand-in text is the
    translation of the statement. None when there is nothing to replace or
    the text already holds a stand-in; the put-back gives None if the
    translation holds a stand-in it cannot attribute, or lost one. The last
    few texts are kept: routing and translating a statement both ask, and
    psql's statements are long to scan."""
    values: List[str] = []
    if _STAND_IN.search(sql) is not None:
        return None

    def stand_in(value: str) -> str:
        if value not in values:
            values.append(value)
        return "9%09d" % values.index(value)
    shaped = _OID_LITERAL.sub(lambda m: "'%s'" % stand_in(m.group(1)), sql)
    shaped = _NAME_PATTERN.sub(lambda m: "'^(%s)$'" % stand_in(m.group(1)), shaped)
    if not values:
        return None

    def put_back(text: str) -> Optional[str]:
        seen = set()

        def original(m: "re.Match[str]") -> str:
            i = int(m.group(1))
            seen.add(i)
            return values[i] if i < len(values) else m.group(0)
        out = _STAND_IN.sub(original, text)
        return out if seen == set(range(len(values))) else None
    return shaped, put_back, tuple(values)


#: a stand-in that is a whole literal in a translation
_STAND_IN_LITERAL = re.compile(r"(?<![\w'])'9(\d{9})'(?!')")


@functools.lru_cache(maxsize=256)
def _bound_template(text: str, nargs: int) -> Optional[Tuple[str, Tuple[int, ...]]]:
    """A translation of stand-in text with each stand-in literal made a
    parameter numbered after the statement's ``nargs``, and which value
    each takes. None when a stand-in is part of a longer literal (``~*``
    keeps its ``'^(name)$'``) or the parameters are not numbered 1 to
    ``nargs``: the text put-back serves those."""
    if max([int(n) for n in _PARAM_RE.findall(text)] or [0]) > nargs:
        return None
    order: List[int] = []

    def parameter(m: "re.Match[str]") -> str:
        order.append(int(m.group(1)))
        return "?%d" % (nargs + len(order))
    out = _STAND_IN_LITERAL.sub(parameter, text)
    if not order or _STAND_IN.search(out) is not None:
        return None
    return out, tuple(order)


def _zero_based(rel: Any, values: List[Any]) -> List[Any]:
    """int2vector/oidvector values are stored as arrays whose subscripts
    start at 0 (``[0:1]=[26,23]``), which is what they are in PostgreSQL:
    a cast to an array (``proargtypes::regtype[]``) keeps that bound."""
    for i in rel.vector_columns:
        v = values[i]
        if v is not None:
            values[i] = bounded_json(to_list(v) or [], 0)
    return values


@functools.lru_cache(maxsize=256)
def _select_items(sql: str) -> Optional[List[Any]]:
    """The output expressions of a plain SELECT (no ``*``), else None."""
    try:
        body = parse_statement(sql).body
    except Exception:      # the engine's translator accepted it; this parse is only a hint
        return None
    if not isinstance(body, A.Select) or any(isinstance(it.expr, A.Star) for it in body.items):
        return None
    return [it.expr for it in body.items]


def _timestamp(v: Any) -> Any:
    if not isinstance(v, str):
        return v
    s = v.strip().replace(" ", "T", 1)
    if len(s) > 3 and s[-3] in "+-" and s[-2:].isdigit() and ":" not in s[-3:]:
        s += ":00"
    try:
        return _dt.datetime.fromisoformat(s)
    except ValueError:
        return v


_NO_SUCH = (
    (re.compile(r"no such table: (?:\w+\.)?(.+)"), "42P01", 'relation "%s" does not exist'),
    (re.compile(r"no such function: (.+)"), "42883", "function %s does not exist"),
    (re.compile(r"wrong number of arguments to function (\w+)\(\)"), "42883",
     "function %s with these arguments does not exist"),
    (re.compile(r"no such column: (.+)"), "42703", 'column "%s" does not exist'),
)


def _sqlite_error(exc: sqlite3.Error) -> PgError:
    msg = str(exc)
    for rx, state, template in _NO_SUCH:
        m = rx.match(msg)
        if m:
            name = m.group(1)
            return PgError(state, template % (name.lower() if state == "42883" else name))
    if "syntax error" in msg:
        return PgError("42601", "catalog emulation could not evaluate the statement: %s" % msg)
    return PgError("0A000", "catalog emulation cannot evaluate this statement: %s" % msg)
