"""Rows of the catalog relations that depend on the user's schema or the session.

Each builder takes a :class:`RowContext` and returns row dicts keyed by
column name (missing columns are NULL).  Built-in rows that never change
(pg_type's, the catalog relations' own pg_class/pg_attribute rows) are
produced once by :func:`static_rows`; builders add only the user's part.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .content import (BOOTSTRAP_SUPERUSER_OID, PG_CATALOG_OID, Snapshot, StaticCatalog,
                      UserColumn, UserRelation, stable_oid)
from .content_relrows import (BTREE_AM as _BTREE_AM, attribute_row, class_row,
                           system_attributes)
from . import content_keys as keys
from .content_toast import toast_attributes, toast_classes, toast_index, toast_oids
from .content_builtin import (auth_members, namespace_descriptions,
                              predefined_roles, rewrite_rules, shared_descriptions)
from .pgnames import format_type, quote_ident, sql_data_type
from .._wire.settings_checks import in_base_units
from .viewupdate import EVENT_DELETE, EVENT_INSERT, EVENT_UPDATE, updatable_events

PG_CLASS_OID = 1259
C_COLLATION_OID = 950
_UTF8_MAX_BYTES = 4
_RECORD_IO = (2290, 2291, 2402, 2403)          # record_in/out/recv/send
_ARRAY_IO = (750, 751, 2400, 2401, 3816, 6179)  # array_in/out/recv/send/typanalyze/subscript


@dataclass
class RowContext:
    """What a builder may look at for one statement."""

    static: StaticCatalog
    snap: Snapshot
    session: Any
    sql: str
    #: what per-row functions derive from the session, kept for the statement
    memo: Dict[Any, Any] = field(default_factory=dict)

    @property
    def db(self) -> str:
        return self.session.database


# --- rows shared by the static and the user part -----------------------------


def static_rows(static: StaticCatalog) -> Dict[str, List[Dict[str, Any]]]:
    """Built-in rows derived from the dump: the catalog relations' own
    pg_attribute rows and their pg_tables/pg_views entries."""
    attrs: List[Any] = []
    for rel in static.relations.values():
        if rel.kind == "r":
            attrs.extend(system_attributes(static, rel.oid))
        for i, (name, t) in enumerate(rel.columns):
            domain = rel.domains[i] if rel.domains else None
            # PostgreSQL's bootstrap gives every collatable column of a system
            # table collation C, whatever its type's default (psql's \d shows it)
            attrs.append(attribute_row(static, rel.oid, i + 1, name, domain or t.oid,
                                       -1 if domain else t.typmod, rel.notnull[i],
                                       collation=C_COLLATION_OID if rel.kind == "r" else None))
    return {"pg_attribute": attrs}


# --- namespaces, databases, roles ---------------------------------------------


def _role_name(ctx: RowContext, oid: int) -> str:
    for r in roles(ctx):
        if r["oid"] == oid:
            return r["rolname"]
    return "unknown (OID=%d)" % oid


def roles(ctx: RowContext) -> List[Dict[str, Any]]:
    """pg_roles: the bootstrap superuser, PostgreSQL's predefined roles and
    the connected user."""
    out = ctx.memo.get("roles")
    if out is None:
        out = ctx.memo["roles"] = _roles(ctx)
    return out


def _roles(ctx: RowContext) -> List[Dict[str, Any]]:
    cols = [c[0] for c in ctx.static.relations["pg_roles"].columns]
    template = dict(zip(cols, ctx.static.rows["pg_roles"][0]))
    out = [template] + predefined_roles(template)
    user = ctx.session.user
    if user and all(user != r["rolname"] for r in out):
        out.append(dict(template, rolname=user, oid=role_oid(ctx, user)))
    return out


def role_oid(ctx: RowContext, name: str) -> int:
    if name == "postgres":
        return BOOTSTRAP_SUPERUSER_OID
    return stable_oid("role:" + name, ctx.snap._taken)


def users(ctx: RowContext) -> List[Dict[str, Any]]:
    cols = [c[0] for c in ctx.static.relations["pg_user"].columns]
    template = dict(zip(cols, ctx.static.rows["pg_user"][0]))
    return [dict(template, usename=r["rolname"], usesysid=r["oid"]) for r in roles(ctx)
            if r["rolcanlogin"]]


def namespaces(ctx: RowContext) -> List[Dict[str, Any]]:
    """Built-in schemas keep PostgreSQL's owner and privileges (public
    belongs to pg_database_owner); the user's belong to the superuser."""
    builtin = {r[0]: r for r in ctx.static.rows["pg_namespace"]}
    out = []
    for oid, name in ctx.snap.schemas():
        known = builtin.get(oid)
        if known is not None and known[1] == name:
            out.append({"oid": oid, "nspname": name, "nspowner": known[2], "nspacl": known[3]})
        else:
            out.append({"oid": oid, "nspname": name, "nspowner": BOOTSTRAP_SUPERUSER_OID,
                        "nspacl": None})
    return out


def databases(ctx: RowContext) -> List[Dict[str, Any]]:
    cols = [c[0] for c in ctx.static.relations["pg_database"].columns]
    templates = {r[1]: dict(zip(cols, r)) for r in ctx.static.rows["pg_database"]}
    out = []
    for oid, name in ctx.snap.databases():
        row = dict(templates.get(name, templates["postgres"]))
        row.update(oid=oid, datname=name)
        out.append(row)
    return out


# --- the user's relations ----------------------------------------------------


def _natts(ctx: RowContext, rel: UserRelation) -> int:
    """relnatts needs the columns; ask a lazy source only when the statement
    reads that column (or everything), so listing tables stays cheap.
    Registered columns cost nothing to count (and pg_class rows built from
    them are kept between statements, whatever the statement)."""
    if rel._eager_columns is not None:
        return len(rel._eager_columns)
    sql = ctx.sql.lower()
    if "relnatts" in sql or "*" in sql:
        return len(ctx.snap.columns(rel))
    return 0


def classes(ctx: RowContext) -> List[Tuple[Any, ...]]:
    out: List[Tuple[Any, ...]] = []
    for rel in ctx.snap.relations():
        # a view is its _RETURN rule: relhasrules is always true for one
        toast = toast_oids(ctx, rel)
        out.append(class_row(rel.oid, rel.name, rel.schema_oid, rel.reltype, rel.kind,
                             _natts(ctx, rel), rel.owner, rel.has_index,
                             rel.has_rules or rel.kind in ("v", "m"),
                             rel.has_triggers or keys.has_foreign_key_triggers(ctx, rel),
                             rel.row_security, toast[0] if toast else 0))
        if rel.pk_index_oid:
            out.append(class_row(rel.pk_index_oid, rel.name + "_pkey", rel.schema_oid, 0, "i",
                                 len(_pk_columns(ctx, rel))))
        out.extend(toast_classes(ctx, rel))
    return out


def _pk_columns(ctx: RowContext, rel: UserRelation) -> List[int]:
    return [i + 1 for i, c in enumerate(ctx.snap.columns(rel)) if c.primary_key]


def attributes(ctx: RowContext, relations: Optional[Sequence[UserRelation]] = None
               ) -> List[Tuple[Any, ...]]:
    """pg_attribute's user rows: every relation's, or only ``relations``'
    (with their indexes' and TOAST tables')."""
    out = []
    for rel in ctx.snap.relations() if relations is None else relations:
        cols = ctx.snap.columns(rel)
        if rel.kind in ("r", "m"):
            out.extend(system_attributes(ctx.static, rel.oid))
        for i, c in enumerate(cols):
            out.append(attribute_row(ctx.static, rel.oid, i + 1, c.name, c.type_oid, c.typmod,
                                     not c.nullable, c.default is not None))
        if rel.pk_index_oid:
            for n, attnum in enumerate(_pk_columns(ctx, rel)):
                c = cols[attnum - 1]
                out.append(attribute_row(ctx.static, rel.pk_index_oid, n + 1, c.name, c.type_oid,
                                         c.typmod, False))
        out.extend(toast_attributes(ctx, rel))
    return out


def user_types(ctx: RowContext) -> List[Dict[str, Any]]:
    """Row types (and their arrays) of the user's relations."""
    base = ctx.static.types[13427]        # information_schema.tables' row type
    arr = ctx.static.types[13426]
    out = []
    for rel in ctx.snap.relations():
        if not rel.reltype:
            continue
        out.append(dict(base, oid=rel.reltype, typname=rel.name, typnamespace=rel.schema_oid,
                        typowner=rel.owner, typrelid=rel.oid, typarray=rel.array_type))
        if rel.array_type:
            out.append(dict(arr, oid=rel.array_type, typname="_" + rel.name,
                            typnamespace=rel.schema_oid, typowner=rel.owner,
                            typelem=rel.reltype))
    return out


def all_types(ctx: RowContext) -> Dict[int, Dict[str, Any]]:
    types = ctx.snap.cache.get("types")
    if types is None:
        types = dict(ctx.static.types)
        types.update((t["oid"], t) for t in user_types(ctx))
        ctx.snap.cache["types"] = types
    return types


def _opclass(ctx: RowContext, typoid: int) -> int:
    cols = [c[0] for c in ctx.static.relations["pg_opclass"].columns]
    for r in ctx.static.rows["pg_opclass"]:
        d = dict(zip(cols, r))
        if d["opcmethod"] == _BTREE_AM and d["opcintype"] == typoid and d["opcdefault"]:
            return d["oid"]
    return 0


def indexes(ctx: RowContext) -> List[Dict[str, Any]]:
    out = []
    for rel in ctx.snap.relations():
        out.extend(toast_index(ctx, rel))
        if not rel.pk_index_oid:
            continue
        keys = _pk_columns(ctx, rel)
        cols = ctx.snap.columns(rel)
        types = [ctx.static.types.get(cols[k - 1].type_oid) or {} for k in keys]
        out.append({
            "indexrelid": rel.pk_index_oid, "indrelid": rel.oid, "indnatts": len(keys),
            "indnkeyatts": len(keys), "indisunique": True, "indnullsnotdistinct": False,
            "indisprimary": True, "indisexclusion": False, "indimmediate": True,
            "indisclustered": False, "indisvalid": True, "indcheckxmin": False,
            "indisready": True, "indislive": True, "indisreplident": False, "indkey": keys,
            "indcollation": [t.get("typcollation", 0) for t in types],
            "indclass": [_opclass(ctx, cols[k - 1].type_oid) for k in keys],
            "indoption": [0] * len(keys),
        })
    return out


def constraints(ctx: RowContext) -> List[Dict[str, Any]]:
    out = []
    for rel in ctx.snap.relations():
        if not rel.pk_constraint_oid:
            continue
        out.append({
            "oid": rel.pk_constraint_oid, "conname": rel.name + "_pkey",
            "connamespace": rel.schema_oid, "contype": "p", "condeferrable": False,
            "condeferred": False, "convalidated": True, "conrelid": rel.oid, "contypid": 0,
            "conindid": rel.pk_index_oid, "conparentid": 0, "confrelid": 0, "confupdtype": " ",
            "confdeltype": " ", "confmatchtype": " ", "conislocal": True, "coninhcount": 0,
            "connoinherit": True, "conkey": _pk_columns(ctx, rel),
        })
    return out + keys.constraint_rows(ctx)


def descriptions(ctx: RowContext) -> List[Dict[str, Any]]:
    out = namespace_descriptions()
    for rel in ctx.snap.relations():
        if rel.comment is not None:
            out.append({"objoid": rel.oid, "classoid": PG_CLASS_OID, "objsubid": 0,
                        "description": rel.comment})
        for i, c in enumerate(ctx.snap.columns(rel)):
            if c.comment is not None:
                out.append({"objoid": rel.oid, "classoid": PG_CLASS_OID, "objsubid": i + 1,
                            "description": c.comment})
    return out


def attrdefs(ctx: RowContext) -> List[Dict[str, Any]]:
    out = []
    for rel in ctx.snap.relations():
        for i, c in enumerate(ctx.snap.columns(rel)):
            if c.default is not None:
                out.append({"oid": stable_oid("default:%d.%d" % (rel.oid, i + 1), ctx.snap._taken),
                            "adrelid": rel.oid, "adnum": i + 1, "adbin": c.default})
    return out


def search_path(ctx: RowContext) -> List[str]:
    """The session's search_path as schema names (``$user`` resolved).

    Read from the session once per statement: pg_table_is_visible asks for
    every row of a listing (10,000 tables, 10,000 asks). ``set_config``
    in the same statement clears the memo, so a change is seen at once."""
    path = ctx.memo.get("search_path")
    if path is None:
        raw = ctx.session.get_setting("search_path") or '"$user", public'
        path = ctx.memo["search_path"] = _parse_search_path(raw, ctx.session.user)
    return path


def _parse_search_path(raw: str, user: str) -> List[str]:
    out = []
    for part in raw.split(","):
        name = part.strip()
        if name.startswith('"') and name.endswith('"'):
            name = name[1:-1].replace('""', '"')
        else:
            name = name.lower()
        if name == "$user":
            name = user
        if name:
            out.append(name)
    return out


#: search paths whose visibility answers one registration keeps at most
VISIBILITY_PATHS = 8


def visibility_memo(ctx: RowContext) -> Dict[int, int]:
    """pg_table_is_visible's answers for registered relations, by OID, for
    the session's search path, kept with the snapshot's shared cache (so
    for as long as nothing is registered or dropped): at most one entry per
    relation and search path."""
    memo = ctx.memo.get("visibility")
    if memo is None:
        paths = ctx.snap.cache.setdefault("visibility", {})
        key = tuple(search_path(ctx))
        memo = paths.get(key)
        if memo is None:
            if len(paths) >= VISIBILITY_PATHS:
                paths.clear()
            memo = paths[key] = {}
        ctx.memo["visibility"] = memo
    return memo


def relation_visible(ctx: RowContext, rel: UserRelation) -> bool:
    """pg_table_is_visible for a user relation: its schema is on the path and
    no earlier schema there has a relation of the same name. pg_catalog
    comes first unless the path names it (as in PostgreSQL), so a table
    ``public.pg_class`` is hidden by the catalog's own."""
    rank = ctx.memo.get("search_rank")
    if rank is None:
        path = search_path(ctx)
        rank = {}
        for i, schema in enumerate(path if "pg_catalog" in path else ["pg_catalog"] + path):
            rank.setdefault(schema, i)
        ctx.memo["search_rank"] = rank
    mine = rank.get(rel.schema)
    if mine is None:
        return False
    if mine == 0:
        return True     # first on the path: nothing comes before it
    # the static catalog keys pg_catalog's relations by their bare names
    if rank["pg_catalog"] < mine and rel.name in ctx.static.relations:
        return False
    for other in ctx.snap.relations_named(rel.name):
        theirs = rank.get(other.schema)
        if theirs is not None and theirs < mine:
            return False
    return True


def index_def(ctx: RowContext, rel: UserRelation) -> str:
    """pg_get_indexdef: the table is schema-qualified only when not visible."""
    cols = ctx.snap.columns(rel)
    names = ", ".join(quote_ident(cols[k - 1].name) for k in _pk_columns(ctx, rel))
    table = quote_ident(rel.name) if relation_visible(ctx, rel) else \
        "%s.%s" % (quote_ident(rel.schema), quote_ident(rel.name))
    return "CREATE UNIQUE INDEX %s ON %s USING btree (%s)" % (
        quote_ident(rel.name + "_pkey"), table, names)


def pk_def(ctx: RowContext, rel: UserRelation) -> str:
    cols = ctx.snap.columns(rel)
    return "PRIMARY KEY (%s)" % ", ".join(quote_ident(cols[k - 1].name)
                                          for k in _pk_columns(ctx, rel))


# --- pg_catalog views ----------------------------------------------------------


def _catalog_rels(ctx: RowContext, kind: str):
    return [r for r in ctx.static.relations.values() if r.kind == kind]


def tables_view(ctx: RowContext) -> List[Dict[str, Any]]:
    out = [{"schemaname": r.schema, "tablename": r.name, "tableowner": "postgres",
            "hasindexes": True, "hasrules": False, "hastriggers": False, "rowsecurity": False}
           for r in _catalog_rels(ctx, "r")]
    for rel in ctx.snap.relations():
        if rel.kind == "r":
            out.append({"schemaname": rel.schema, "tablename": rel.name,
                        "tableowner": _role_name(ctx, rel.owner), "hasindexes": rel.has_index,
                        "hasrules": rel.has_rules,
                        "hastriggers": rel.has_triggers or keys.has_foreign_key_triggers(ctx, rel),
                        "rowsecurity": rel.row_security})
    return out


def _view_text(ctx: RowContext, rel: UserRelation) -> Optional[str]:
    from .viewdef import view_definition  # viewdef reads this module's helpers
    return view_definition(ctx, rel)


def views_view(ctx: RowContext) -> List[Dict[str, Any]]:
    out = [{"schemaname": r.schema, "viewname": r.name, "viewowner": "postgres"}
           for r in _catalog_rels(ctx, "v")]
    out.extend({"schemaname": rel.schema, "viewname": rel.name,
                "viewowner": _role_name(ctx, rel.owner), "definition": _view_text(ctx, rel)}
               for rel in ctx.snap.relations() if rel.kind == "v")
    return out


def matviews_view(ctx: RowContext) -> List[Dict[str, Any]]:
    return [{"schemaname": rel.schema, "matviewname": rel.name,
             "matviewowner": _role_name(ctx, rel.owner), "hasindexes": rel.has_index,
             "ispopulated": True} for rel in ctx.snap.relations() if rel.kind == "m"]


def indexes_view(ctx: RowContext) -> List[Dict[str, Any]]:
    return [{"schemaname": rel.schema, "tablename": rel.name, "indexname": rel.name + "_pkey",
             "indexdef": index_def(ctx, rel)}
            for rel in ctx.snap.relations() if rel.pk_index_oid]


def settings(ctx: RowContext) -> List[Dict[str, Any]]:
    """pg_settings: PostgreSQL's rows, values live from the session (and
    the lazy source's settings(), which wins)."""
    cols = [c[0] for c in ctx.static.relations["pg_settings"].columns]
    overrides: Dict[str, Any] = {}
    lazy = ctx.snap.lazy
    if lazy is not None and callable(getattr(lazy, "settings", None)):
        for row in ctx.snap._call("settings"):
            if not isinstance(row.get("name"), str) or "setting" not in row:
                from .content import _malformed
                raise _malformed("settings", row, "needs 'name' and 'setting'")
            overrides[row["name"]] = row["setting"]
    out = []
    for r in ctx.static.rows["pg_settings"]:
        row = dict(zip(cols, r))
        live = overrides.pop(row["name"], None)
        if live is None:
            live = ctx.session.get_setting(row["name"])
            if live is not None and row["unit"] and row["vartype"] == "integer":
                # SHOW's "4MB" is pg_settings' 4096 (kB)
                live = in_base_units(live, row["unit"]) or live
        if live is not None and str(live) != row["setting"]:
            row["setting"] = str(live)
            row["source"] = "session"
        out.append(row)
    for name, value in overrides.items():
        out.append({"name": name, "setting": None if value is None else str(value),
                    "category": "Customized Options", "context": "user", "vartype": "string",
                    "source": "session", "pending_restart": False})
    return out


def _timestamp(v: Any) -> Optional[str]:
    if v is None:
        return None
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    return str(v)


def activity(ctx: RowContext) -> List[Dict[str, Any]]:
    db_oids = {name: oid for oid, name in ctx.snap.databases()}
    out = []
    for a in ctx.session.activity() or []:
        if not isinstance(a, dict):
            continue
        start = _timestamp(a.get("backend_start"))
        user = a.get("usename")
        out.append({
            "datid": db_oids.get(a.get("datname")), "datname": a.get("datname"),
            "pid": a.get("pid"), "usesysid": role_oid(ctx, user) if user else None,
            "usename": user, "application_name": a.get("application_name") or "",
            "client_addr": None if a.get("client_addr") is None else str(a["client_addr"]),
            "client_port": a.get("client_port"), "backend_start": start,
            "xact_start": _timestamp(a.get("xact_start")),
            "query_start": _timestamp(a.get("query_start")) or start,
            "state_change": _timestamp(a.get("state_change")) or start,
            "state": a.get("state"), "query": a.get("query") or "",
            "backend_type": "client backend",
        })
    return out


# --- information_schema --------------------------------------------------------


def is_schemata(ctx: RowContext) -> List[Dict[str, Any]]:
    return [{"catalog_name": ctx.db, "schema_name": name, "schema_owner": "postgres"}
            for _, name in ctx.snap.schemas()]


def is_tables(ctx: RowContext) -> List[Dict[str, Any]]:
    out = []
    for r in ctx.static.relations.values():
        out.append({"table_catalog": ctx.db, "table_schema": r.schema, "table_name": r.name,
                    "table_type": "BASE TABLE" if r.kind == "r" else "VIEW",
                    "is_insertable_into": "YES" if r.kind == "r" else "NO", "is_typed": "NO"})
    for rel in ctx.snap.relations():
        if rel.kind == "m":
            continue
        out.append({"table_catalog": ctx.db, "table_schema": rel.schema, "table_name": rel.name,
                    "table_type": "BASE TABLE" if rel.kind == "r" else "VIEW",
                    "is_insertable_into": _yes(bool(updatable_events(ctx, rel) & EVENT_INSERT)),
                    "is_typed": "NO"})
    return out


def _yes(flag: bool) -> str:
    return "YES" if flag else "NO"


def is_views(ctx: RowContext) -> List[Dict[str, Any]]:
    out = []
    for rel in ctx.snap.relations():
        if rel.kind != "v":
            continue
        events = updatable_events(ctx, rel)
        out.append({"table_catalog": ctx.db, "table_schema": rel.schema, "table_name": rel.name,
                    "view_definition": _view_text(ctx, rel), "check_option": "NONE",
                    "is_updatable": _yes(events & (EVENT_UPDATE | EVENT_DELETE)
                                         == EVENT_UPDATE | EVENT_DELETE),
                    "is_insertable_into": _yes(bool(events & EVENT_INSERT)),
                    "is_trigger_updatable": "NO", "is_trigger_deletable": "NO",
                    "is_trigger_insertable_into": "NO"})
    return out


_INT_PRECISION = {21: 16, 23: 32, 20: 64, 700: 24, 701: 53}
_DATETIME = {1082: 0, 1083: 6, 1266: 6, 1114: 6, 1184: 6, 1186: 6}


def _column_row(ctx: RowContext, types: Dict[int, Dict[str, Any]], schema: str, table: str,
                pos: int, name: str, typoid: int, typmod: int, nullable: bool,
                default: Optional[str]) -> Dict[str, Any]:
    t = types.get(typoid) or types[25]
    row: Dict[str, Any] = {
        "table_catalog": ctx.db, "table_schema": schema, "table_name": table,
        "column_name": name, "ordinal_position": pos, "column_default": default,
        "is_nullable": "YES" if nullable else "NO", "data_type": sql_data_type(typoid, types),
        "udt_catalog": ctx.db, "udt_schema": "pg_catalog" if t["typnamespace"] == PG_CATALOG_OID
        else schema, "udt_name": t["typname"], "dtd_identifier": str(pos),
        "is_self_referencing": "NO", "is_identity": "NO", "identity_cycle": "NO",
        "is_generated": "NEVER", "is_updatable": "YES",
    }
    if typoid in (1043, 1042, 25):
        if typmod >= 4:
            row["character_maximum_length"] = typmod - 4
            row["character_octet_length"] = (typmod - 4) * _UTF8_MAX_BYTES
        else:
            row["character_octet_length"] = 1073741824
    elif typoid in _INT_PRECISION:
        row["numeric_precision"] = _INT_PRECISION[typoid]
        row["numeric_precision_radix"] = 2
        if typoid in (20, 21, 23):
            row["numeric_scale"] = 0
    elif typoid == 1700:
        row["numeric_precision_radix"] = 10
        if typmod >= 4:
            row["numeric_precision"] = ((typmod - 4) >> 16) & 0xFFFF
            row["numeric_scale"] = (typmod - 4) & 0xFFFF
    elif typoid in _DATETIME:
        row["datetime_precision"] = typmod if typmod >= 0 and typoid != 1186 else _DATETIME[typoid]
    return row


_catalog_columns_cache: Dict[str, List[Dict[str, Any]]] = {}


def _catalog_columns(ctx: RowContext) -> List[Dict[str, Any]]:
    """information_schema.columns rows of the catalog relations themselves;
    they only depend on the database name, so they are computed once each."""
    rows = _catalog_columns_cache.get(ctx.db)
    if rows is None:
        rows = []
        for r in ctx.static.relations.values():
            for i, (name, t) in enumerate(r.columns):
                rows.append(_column_row(ctx, ctx.static.types, r.schema, r.name, i + 1, name,
                                        t.oid, t.typmod, not r.notnull[i], None))
        if len(_catalog_columns_cache) > 16:
            _catalog_columns_cache.clear()
        _catalog_columns_cache[ctx.db] = rows
    return rows


def is_columns(ctx: RowContext) -> List[Dict[str, Any]]:
    types = all_types(ctx)
    out = list(_catalog_columns(ctx))
    for rel in ctx.snap.relations():
        for i, c in enumerate(ctx.snap.columns(rel)):
            out.append(_column_row(ctx, types, rel.schema, rel.name, i + 1, c.name, c.type_oid,
                                   c.typmod, c.nullable, c.default))
    return out


def _pk_rels(ctx: RowContext) -> List[UserRelation]:
    return [rel for rel in ctx.snap.relations() if rel.pk_constraint_oid]


def is_table_constraints(ctx: RowContext) -> List[Dict[str, Any]]:
    out = []
    for rel in _pk_rels(ctx):
        out.append({"constraint_catalog": ctx.db, "constraint_schema": rel.schema,
                    "constraint_name": rel.name + "_pkey", "table_catalog": ctx.db,
                    "table_schema": rel.schema, "table_name": rel.name,
                    "constraint_type": "PRIMARY KEY", "is_deferrable": "NO",
                    "initially_deferred": "NO", "enforced": "YES", "nulls_distinct": "YES"})
    return out + keys.table_constraints(ctx)


def is_key_column_usage(ctx: RowContext) -> List[Dict[str, Any]]:
    return _pk_key_usage(ctx) + keys.key_column_usage(ctx)


def _pk_key_usage(ctx: RowContext) -> List[Dict[str, Any]]:
    out = []
    for rel in _pk_rels(ctx):
        cols = ctx.snap.columns(rel)
        for n, attnum in enumerate(_pk_columns(ctx, rel)):
            out.append({"constraint_catalog": ctx.db, "constraint_schema": rel.schema,
                        "constraint_name": rel.name + "_pkey", "table_catalog": ctx.db,
                        "table_schema": rel.schema, "table_name": rel.name,
                        "column_name": cols[attnum - 1].name, "ordinal_position": n + 1})
    return out


def is_constraint_column_usage(ctx: RowContext) -> List[Dict[str, Any]]:
    return [{"table_catalog": r["table_catalog"], "table_schema": r["table_schema"],
             "table_name": r["table_name"], "column_name": r["column_name"],
             "constraint_catalog": r["constraint_catalog"],
             "constraint_schema": r["constraint_schema"], "constraint_name": r["constraint_name"]}
            for r in _pk_key_usage(ctx)] + keys.constraint_column_usage(ctx)


def is_routines(ctx: RowContext) -> List[Dict[str, Any]]:
    types = ctx.static.types
    out = []
    for p in ctx.static.procs:
        specific = "%s_%d" % (p["proname"], p["oid"])
        ret = types.get(p["prorettype"], {})
        out.append({
            "specific_catalog": ctx.db, "specific_schema": "pg_catalog", "specific_name": specific,
            "routine_catalog": ctx.db, "routine_schema": "pg_catalog", "routine_name": p["proname"],
            "routine_type": "FUNCTION" if p["prokind"] != "p" else "PROCEDURE",
            "data_type": sql_data_type(p["prorettype"], types),
            "type_udt_catalog": ctx.db, "type_udt_schema": "pg_catalog",
            "type_udt_name": ret.get("typname"), "dtd_identifier": "0",
            "routine_body": "EXTERNAL", "routine_definition": p["prosrc"],
            "external_name": p["prosrc"], "external_language": "INTERNAL",
            "parameter_style": "GENERAL", "is_deterministic": "YES" if p["provolatile"] == "i"
            else "NO", "sql_data_access": "MODIFIES", "is_null_call": "YES" if p["proisstrict"]
            else "NO", "schema_level_routine": "YES", "max_dynamic_result_sets": 0,
            "is_user_defined_cast": "NO", "is_implicitly_invocable": "NO",
            "security_type": "INVOKER", "as_locator": "NO", "is_udt_dependent": "NO",
        })
    return out


def is_catalog_name(ctx: RowContext) -> List[Dict[str, Any]]:
    return [{"catalog_name": ctx.db}]


def is_character_sets(ctx: RowContext) -> List[Dict[str, Any]]:
    return [{"character_set_name": "UTF8", "character_repertoire": "UCS", "form_of_use": "UTF8",
             "default_collate_catalog": ctx.db, "default_collate_schema": "pg_catalog",
             "default_collate_name": "C"}]


def is_enabled_roles(ctx: RowContext) -> List[Dict[str, Any]]:
    return [{"role_name": r["rolname"]} for r in roles(ctx)]


#: relation key -> builder of its dynamic rows (static rows are loaded once):
#: dicts by column name, or tuples in the relation's column order
BUILDERS: Dict[str, Callable[[RowContext], Sequence[Any]]] = {
    "pg_namespace": namespaces,
    "pg_database": databases,
    "pg_roles": roles,
    "pg_user": users,
    "pg_class": classes,
    "pg_attribute": attributes,
    "pg_type": user_types,
    "pg_index": indexes,
    "pg_constraint": constraints,
    "pg_description": descriptions,
    "pg_attrdef": attrdefs,
    "pg_tables": tables_view,
    "pg_views": views_view,
    "pg_matviews": matviews_view,
    "pg_indexes": indexes_view,
    "pg_settings": settings,
    "pg_stat_activity": activity,
    "pg_auth_members": auth_members,
    "pg_shdescription": shared_descriptions,
    "pg_rewrite": rewrite_rules,
    "information_schema.schemata": is_schemata,
    "information_schema.tables": is_tables,
    "information_schema.views": is_views,
    "information_schema.columns": is_columns,
    "information_schema.table_constraints": is_table_constraints,
    "information_schema.key_column_usage": is_key_column_usage,
    "information_schema.constraint_column_usage": is_constraint_column_usage,
    "information_schema.referential_constraints": keys.referential_constraints,
    "information_schema.routines": is_routines,
    "information_schema.information_schema_catalog_name": is_catalog_name,
    "information_schema.character_sets": is_character_sets,
    "information_schema.enabled_roles": is_enabled_roles,
}

#: builders whose rows depend only on the registration and the connected
#: database, never on the session (user, settings) or the statement: with
#: eager registrations the engine keeps their rows until the registry changes
#: (pg_views and information_schema.views are not: a view's definition
#: qualifies names by the session's search_path)
REGISTRY_ONLY = frozenset((
    "pg_namespace", "pg_database", "pg_class", "pg_attribute", "pg_type", "pg_index",
    "pg_constraint", "pg_description", "pg_attrdef", "pg_tables", "pg_matviews",
    "pg_rewrite", "information_schema.schemata", "information_schema.tables",
    "information_schema.columns",
    "information_schema.table_constraints", "information_schema.key_column_usage",
    "information_schema.constraint_column_usage", "information_schema.routines",
    "information_schema.referential_constraints",
    "information_schema.information_schema_catalog_name", "information_schema.character_sets",
))

# static pg_class rows are the dump's; format_type is re-exported for functions
__all__ = ["BUILDERS", "REGISTRY_ONLY", "RowContext", "static_rows", "all_types", "format_type", "index_def",
           "pk_def", "roles", "UserColumn", "search_path", "relation_visible"]
