"""What the emulated catalog contains: PostgreSQL 15's built-in facts plus
the user's databases, schemas and tables.

Built-in facts (``data/pg15_catalog.json.gz``, dumped from a real server by
``tools/dump_pg_catalog_data.py``) never change and are loaded once.  The
user's part comes from the registry's ``register_*`` calls or from the lazy
source, and is read afresh for every catalog statement: a
:class:`Snapshot` asks the source only for what that statement needs, so a
``pg_database`` query never calls ``columns()``.
"""
from __future__ import annotations

import functools
import gzip
import json
import os
import threading
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from .._wire import pgtypes
from .._wire.errors import PgError
from .._wire.pgtypes import PgType

DATA_FILE = os.path.join(os.path.dirname(__file__), "data", "pg15_catalog.json.gz")

#: OIDs below this are PostgreSQL's own; user objects get OIDs from here up.
FIRST_USER_OID = 16384
BOOTSTRAP_SUPERUSER_OID = 10
PG_CATALOG_OID = 11
PUBLIC_OID = 2200
#: Built-in schemas every database has (name -> OID).
BUILTIN_SCHEMAS = {"pg_toast": 99, "pg_catalog": 11, "public": 2200, "information_schema": 13207}
#: Built-in databases (name -> OID), listed whatever the user registers.
BUILTIN_DATABASES = {"template1": 1, "template0": 4, "postgres": 5}
_KINDS = {"table": "r", "view": "v", "materialized_view": "m"}

_data_lock = threading.Lock()
_data: Optional["StaticCatalog"] = None


@dataclass
class CatalogRelation:
    """A catalog table or view riffq provides, with PostgreSQL's columns."""

    key: str                        # "pg_class" or "information_schema.tables"
    schema: str
    name: str
    oid: int
    kind: str
    reltype: int
    columns: List[Tuple[str, PgType]]
    notnull: List[bool]
    #: pg_attribute's atttypid where a column's type is a domain (else None);
    #: ``columns`` holds the base type, which is what results carry
    domains: List[Optional[int]] = field(default_factory=list)

    @property
    def column_types(self) -> Dict[str, PgType]:
        return dict(self.columns)

    @functools.cached_property
    def column_names(self) -> List[str]:
        return [name for name, _ in self.columns]

    @functools.cached_property
    def vector_columns(self) -> List[int]:
        """Positions of int2vector/oidvector columns (zero-based arrays)."""
        return [i for i, (_, t) in enumerate(self.columns) if t.oid in pgtypes.VECTOR_TYPES]


class StaticCatalog:
    """The built-in part of the catalog, shared by every engine."""

    def __init__(self, raw: Dict[str, Any]) -> None:
        self.server_version: str = raw["server_version"]
        #: identifiers quote_ident() must quote: every keyword not unreserved
        self.quoted_keywords = frozenset(raw["quoted_keywords"])
        #: pg_get_expr() text of the built-in expression trees (argument defaults)
        self.expressions: Dict[str, str] = raw.get("expressions", {})
        #: pg_get_constraintdef/pg_get_indexdef of the built-in constraints and
        #: indexes by OID: [plain, pretty] (indexes: and each key column's text)
        definitions = raw.get("definitions", {})
        self.constraint_defs: Dict[int, List[str]] = {
            int(k): v for k, v in definitions.get("constraints", {}).items()}
        self.index_defs: Dict[int, List[Any]] = {
            int(k): v for k, v in definitions.get("indexes", {}).items()}
        self.rows: Dict[str, List[List[Any]]] = raw["rows"]
        self.regproc: Dict[int, str] = {int(k): v for k, v in raw["regproc"].items()}
        type_cols = [c[0] for c in raw["relations"]["pg_type"]["columns"]]
        #: pg_type rows as dicts, by OID and by (namespace OID, name)
        self.types: Dict[int, Dict[str, Any]] = {}
        self.type_by_name: Dict[Tuple[int, str], int] = {}
        for row in self.rows["pg_type"]:
            d = dict(zip(type_cols, row))
            self.types[d["oid"]] = d
            self.type_by_name[(d["typnamespace"], d["typname"])] = d["oid"]
        self.relations: Dict[str, CatalogRelation] = {}
        for key, rel in raw["relations"].items():
            cols = [(c[0], self.pg_type(c[1], c[2])) for c in rel["columns"]]
            self.relations[key] = CatalogRelation(
                key, rel["schema"], key.split(".")[-1], rel["oid"], rel["kind"], rel["reltype"],
                cols, [bool(c[3]) for c in rel["columns"]],
                [c[4] if len(c) > 4 else None for c in rel["columns"]])
        self.relation_by_oid: Dict[int, CatalogRelation] = {
            r.oid: r for r in self.relations.values()}
        proc_cols = [c[0] for c in raw["relations"]["pg_proc"]["columns"]]
        self.procs: List[Dict[str, Any]] = [dict(zip(proc_cols, r)) for r in self.rows["pg_proc"]]
        self.proc_by_oid: Dict[int, Dict[str, Any]] = {p["oid"]: p for p in self.procs}
        for p in self.procs:
            self.regproc.setdefault(p["oid"], p["proname"])
        #: namespace of every built-in pg_class row (indexes and TOAST tables too)
        class_cols = [c[0] for c in raw["relations"]["pg_class"]["columns"]]
        oid_at, nsp_at = class_cols.index("oid"), class_cols.index("relnamespace")
        self.class_namespace: Dict[int, int] = {
            r[oid_at]: r[nsp_at] for r in self.rows.get("pg_class", ())}
        #: (classoid, objoid, objsubid) -> description of a built-in object
        self.descriptions: Dict[Tuple[int, int, int], str] = {
            (r[1], r[0], r[2]): r[3] for r in self.rows.get("pg_description", ())}

    def pg_type(self, typname: str, typmod: int = -1) -> PgType:
        """PgType for a built-in type name (``int4``, ``_aclitem``, ``regclass``)."""
        t = pgtypes.BY_NAME.get(typname)
        if t is None:
            oid = self.type_by_name.get((PG_CATALOG_OID, typname))
            if oid is None:
                return pgtypes.TEXT
            row = self.types[oid]
            elem = None
            if row["typcategory"] == "A" and row["typelem"] and typname.startswith("_"):
                e = self.types[row["typelem"]]
                elem = PgType(e["oid"], e["typname"], e["typlen"])
            t = PgType(oid, typname, row["typlen"], -1, elem)
        if typmod != -1:
            t = pgtypes.with_typmod(t, typmod)
        return t

    def type_by_oid(self, oid: int) -> Optional[PgType]:
        row = self.types.get(oid)
        if row is None:
            return None
        return self.pg_type(row["typname"]) if row["typnamespace"] == PG_CATALOG_OID else \
            PgType(oid, row["typname"], row["typlen"])


def static_catalog() -> StaticCatalog:
    """The built-in catalog, loaded from the data file on first use."""
    global _data
    with _data_lock:
        if _data is None:
            _data = StaticCatalog(load_data_file())
        return _data


def load_data_file() -> Dict[str, Any]:
    """The dump's JSON document (gzip-compressed on disk: pg_proc alone is
    over a megabyte as text)."""
    with gzip.open(DATA_FILE, "rt", encoding="utf-8") as f:
        return json.load(f)


# --- the user's objects -------------------------------------------------------


@dataclass
class UserColumn:
    name: str
    type_oid: int
    typmod: int = -1
    nullable: bool = True
    comment: Optional[str] = None
    primary_key: bool = False
    default: Optional[str] = None
    #: ``[schema.]table[(column)]`` this column is a foreign key to
    references: Optional[str] = None


@dataclass
class UserRelation:
    oid: int
    name: str
    schema: str
    schema_oid: int
    kind: str = "r"
    reltype: int = 0
    array_type: int = 0
    owner: int = BOOTSTRAP_SUPERUSER_OID
    has_index: bool = False
    has_rules: bool = False
    has_triggers: bool = False
    row_security: bool = False
    comment: Optional[str] = None
    pk_index_oid: int = 0
    pk_constraint_oid: int = 0
    #: a registered view's defining query
    view_sql: Optional[str] = None
    #: filled on demand by Snapshot.columns()
    _columns: Optional[List[UserColumn]] = field(default=None, repr=False)
    _eager_columns: Optional[List[Dict[str, Any]]] = field(default=None, repr=False)


def stable_oid(key: str, taken: Dict[int, str]) -> int:
    """An OID for ``key`` that is the same in every process and every run.

    Derived from a CRC of the object's qualified name, so a client that
    cached an OID finds the same object next time; a collision probes
    upwards (and is recorded in ``taken``).
    """
    span = 0x7FFFFFFF - FIRST_USER_OID
    oid = FIRST_USER_OID + zlib.crc32(key.encode("utf-8")) % span
    while taken.get(oid, key) != key:
        oid = FIRST_USER_OID + (oid - FIRST_USER_OID + 1) % span
    taken[oid] = key
    return oid


class Snapshot:
    """The user's part of the catalog as one statement sees it.

    Every accessor is computed on first use and kept for the rest of the
    statement, so each lazy source method is called at most once per
    object and only when the statement needs it.
    """

    def __init__(self, registry: Any, database: str, user: str,
                 shared: Optional[Dict[str, Any]] = None) -> None:
        """``shared``: what earlier statements built from the same registry
        generation and database (eager registrations only); the snapshot
        reads its relations, schemas and derived tables from there and adds
        to it, so an unchanged registration is not rebuilt per statement."""
        self.registry = registry
        self.database = database
        self.user = user
        self.lazy = getattr(registry, "lazy_source", None)
        self.cache: Dict[str, Any] = {} if shared is None else shared  # derived tables, see content_rows
        self._taken: Dict[int, str] = self.cache.setdefault("taken", {})
        self._databases: Optional[List[Tuple[int, str]]] = self.cache.get("databases")
        self._schemas: Optional[List[Tuple[int, str]]] = self.cache.get("schemas")
        self._relations: Optional[List[UserRelation]] = self.cache.get("relations")

    # -- lazy source plumbing --------------------------------------------------
    def _call(self, method: str, *args: Any) -> List[Dict[str, Any]]:
        rows: List[Any] = []

        def cb(batch: Any) -> None:
            if batch is None:
                return
            if not isinstance(batch, (list, tuple)):
                raise PgError("XX000", "lazy catalog source %s() passed %s to its callback, "
                              "expected a list of row dicts" % (method, type(batch).__name__))
            rows.extend(batch)

        try:
            getattr(self.lazy, method)(*args, cb)
        except PgError:
            raise
        except Exception as exc:  # the source is user code: report, never crash
            raise PgError("XX000", "lazy catalog source %s() failed: %s: %s"
                          % (method, type(exc).__name__, exc)) from None
        for row in rows:
            if not isinstance(row, dict):
                raise _malformed(method, row, "not a dict")
        return rows

    # -- databases -------------------------------------------------------------
    def databases(self) -> List[Tuple[int, str]]:
        """(oid, name) of every database, built-in ones included."""
        if self._databases is None:
            out: List[Tuple[int, str]] = []
            if self.lazy is not None:
                for row in self._call("databases"):
                    out.append((_oid(row, "oid", "databases"), _name(row, "name", "databases")))
            else:
                for name in list(self.registry.databases):
                    if name not in BUILTIN_DATABASES:
                        out.append((stable_oid("database:" + name, self._taken), name))
            names = {n for _, n in out}
            builtin = [(oid, n) for n, oid in BUILTIN_DATABASES.items() if n not in names]
            self._databases = self.cache["databases"] = sorted(builtin + out)
        return self._databases

    def database_oid(self) -> int:
        if self.database in BUILTIN_DATABASES and self.lazy is None:
            return BUILTIN_DATABASES[self.database]
        for oid, name in self.databases():
            if name == self.database:
                return oid
        return stable_oid("database:" + self.database, self._taken)

    # -- schemas ---------------------------------------------------------------
    def schemas(self) -> List[Tuple[int, str]]:
        """(oid, name) of the connected database's schemas, built-ins included."""
        if self._schemas is None:
            out: Dict[str, int] = dict(BUILTIN_SCHEMAS)
            if self.lazy is not None:
                for row in self._call("schemas", self.database):
                    out[_name(row, "name", "schemas")] = _oid(row, "oid", "schemas")
            else:
                for name in list(self.registry.databases.get(self.database, {})):
                    if name not in out:
                        out[name] = stable_oid("schema:%s.%s" % (self.database, name), self._taken)
            self._schemas = self.cache["schemas"] = sorted((oid, name) for name, oid in out.items())
        return self._schemas

    def schema_names(self) -> Dict[int, str]:
        return {oid: name for oid, name in self.schemas()}

    # -- relations -------------------------------------------------------------
    def relations(self) -> List[UserRelation]:
        """The user's tables and views in the connected database."""
        if self._relations is None:
            self._relations = self.cache["relations"] = self._lazy_relations() \
                if self.lazy is not None else self._eager_relations()
        return self._relations

    def _eager_relations(self) -> List[UserRelation]:
        out = []
        schemas = {name: oid for oid, name in self.schemas()}
        db = self.registry.databases.get(self.database, {})
        comments = getattr(self.registry, "table_comments", {}) or {}
        for schema in sorted(db):
            for table, cols in sorted(dict(db[schema]).items()):
                q = "%s.%s.%s" % (self.database, schema, table)
                view = getattr(self.registry, "view_definitions", {}).get((self.database, schema, table))
                rel = UserRelation(stable_oid("table:" + q, self._taken), table, schema,
                                   schemas[schema], "v" if view is not None else "r")
                rel.view_sql = view
                rel.reltype = stable_oid("type:" + q, self._taken)
                rel.array_type = stable_oid("arraytype:" + q, self._taken)
                rel._eager_columns = list(cols)
                rel.comment = comments.get((self.database, schema, table))
                if any(c.get("primary_key") for c in cols):
                    rel.has_index = True
                    rel.pk_index_oid = stable_oid("index:" + q, self._taken)
                    rel.pk_constraint_oid = stable_oid("constraint:" + q, self._taken)
                out.append(rel)
        return out

    def _lazy_relations(self) -> List[UserRelation]:
        out = []
        for schema_oid, schema in self.schemas():
            if schema in ("pg_toast", "pg_catalog", "information_schema"):
                continue
            for row in self._call("relations", self.database, schema):
                name = _name(row, "name", "relations")
                kind = row.get("kind", "table")
                if kind not in _KINDS:
                    raise _malformed("relations", row, "kind must be one of table, view, "
                                     "materialized_view")
                rel = UserRelation(_oid(row, "oid", "relations"), name, schema, schema_oid,
                                   _KINDS[kind])
                rel.reltype = _oid(row, "reltype_oid", "relations", 0)
                rel.owner = _oid(row, "owner_oid", "relations", BOOTSTRAP_SUPERUSER_OID)
                for flag in ("has_index", "has_rules", "has_triggers", "row_security"):
                    value = row.get(flag, False)
                    if not isinstance(value, bool):
                        raise _malformed("relations", row, "%s must be a bool" % flag)
                    setattr(rel, flag, value)
                out.append(rel)
        return out

    def relation_by_oid(self, oid: int, attr: str = "oid") -> Optional[UserRelation]:
        """The relation whose ``attr`` (``oid``, ``pk_index_oid``,
        ``pk_constraint_oid``) is ``oid``; indexed once per snapshot."""
        key = "rel_by_" + attr
        byoid = self.cache.get(key)
        if byoid is None:
            byoid = self.cache[key] = {getattr(r, attr): r for r in self.relations()
                                       if getattr(r, attr)}
        return byoid.get(oid)

    def relations_named(self, name: str) -> List[UserRelation]:
        """Relations of that name, in every schema (search path lookups)."""
        byname = self.cache.get("rel_by_name")
        if byname is None:
            byname = self.cache["rel_by_name"] = {}
            for r in self.relations():
                byname.setdefault(r.name, []).append(r)
        return byname.get(name, [])

    # -- columns ---------------------------------------------------------------
    def columns(self, rel: UserRelation) -> List[UserColumn]:
        if rel._columns is None:
            if self.lazy is not None:
                rel._columns = [self._lazy_column(rel, row) for row in
                                self._call("columns", self.database, rel.schema, rel.name)]
            else:
                rel._columns = [_eager_column(rel, c) for c in rel._eager_columns or []]
        return rel._columns

    def _lazy_column(self, rel: UserRelation, row: Dict[str, Any]) -> UserColumn:
        name = _name(row, "name", "columns")
        type_oid = _oid(row, "type_oid", "columns")
        nullable = row.get("nullable", True)
        if not isinstance(nullable, bool):
            raise _malformed("columns", row, "nullable must be a bool")
        typmod = row.get("typmod", -1)
        if not isinstance(typmod, int) or isinstance(typmod, bool):
            raise _malformed("columns", row, "typmod must be an int")
        return UserColumn(name, type_oid, typmod, nullable, row.get("comment"))


@functools.lru_cache(maxsize=256)
def _type_named(name: str) -> PgType:
    """Registered type strings repeat across thousands of columns."""
    return pgtypes.type_from_name(name)


def _eager_column(rel: UserRelation, col: Dict[str, Any]) -> UserColumn:
    try:
        t = _type_named(col["type"])
    except ValueError as exc:
        raise PgError("XX000", "table %s.%s column %s: %s" % (rel.schema, rel.name, col["name"],
                                                             exc)) from None
    comment = col.get("comment")
    default = col.get("default")
    return UserColumn(col["name"], t.oid, t.typmod, bool(col.get("nullable", True)) and
                      not col.get("primary_key"), None if comment is None else str(comment),
                      bool(col.get("primary_key")), None if default is None else str(default),
                      col.get("references"))


def _malformed(method: str, row: Any, why: str) -> PgError:
    return PgError("XX000", "lazy catalog source %s() returned a malformed row %r: %s"
                   % (method, row, why))


def _oid(row: Dict[str, Any], key: str, method: str, default: Optional[int] = None) -> int:
    value = row.get(key, default)
    if value is None:
        raise _malformed(method, row, "missing %r" % key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise _malformed(method, row, "%r must be an OID (int)" % key)
    return value


def _name(row: Dict[str, Any], key: str, method: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value:
        raise _malformed(method, row, "%r must be a non-empty string" % key)
    return value


#: A row builder: snapshot (+ session) -> rows as dicts keyed by column name.
RowBuilder = Callable[..., List[Dict[str, Any]]]
