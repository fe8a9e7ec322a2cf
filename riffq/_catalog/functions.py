"""PostgreSQL's catalog and session functions, registered on the SQLite
connection by their PostgreSQL names.

The functions that need the statement's context (the session, the user's
objects) read it from :class:`FunctionHost`, which the engine points at the
current statement while it holds its lock.  A :class:`PgError` raised inside
a function cannot cross SQLite, so it is parked on the host and re-raised
by the engine once SQLite gives up.
"""
from __future__ import annotations

import datetime as _dt
import inspect
import sqlite3
from typing import Any, Callable, Dict, List, Optional, Tuple

from .._wire.errors import PgError
from . import functions_sql as F
from . import functions_text as T
from .content_keys import constraint_def
from .functions_math import register_math
from .functions_agg import ArrayAgg, OrderedArrayAgg, OrderedStringAgg, pg_json_build_object
from .content import BUILTIN_SCHEMAS, PG_CATALOG_OID
from .content_builtin import DATABASE_DESCRIPTIONS, NAMESPACE_DESCRIPTIONS
from .content_rows import (RowContext, all_types, index_def, pk_def, relation_visible, roles,
                           search_path, visibility_memo)
from .pgnames import format_type, quote_ident
from .viewdef import view_definition

#: PostgreSQL 15's encodings by number (pg_encoding_to_char): pg_conversion
#: rows name them all, the client-only ones (SJIS...) included
_ENCODINGS = dict(enumerate((
    "SQL_ASCII", "EUC_JP", "EUC_CN", "EUC_KR", "EUC_TW", "EUC_JIS_2004", "UTF8",
    "MULE_INTERNAL", "LATIN1", "LATIN2", "LATIN3", "LATIN4", "LATIN5", "LATIN6", "LATIN7",
    "LATIN8", "LATIN9", "LATIN10", "WIN1256", "WIN1258", "WIN866", "WIN874", "KOI8R",
    "WIN1251", "WIN1252", "ISO_8859_5", "ISO_8859_6", "ISO_8859_7", "ISO_8859_8", "WIN1250",
    "WIN1253", "WIN1254", "WIN1255", "WIN1257", "KOI8U", "SJIS", "BIG5", "GBK", "UHC",
    "GB18030", "JOHAB", "SHIFT_JIS_2004"
)))
#: the session functions with an effect: SQLite must call them wherever
#: the statement says, never once for all rows
_EFFECTS = frozenset(("set_config", "pg_cancel_backend", "pg_terminate_backend"))
_TRUE = ("t", "true", "y", "yes", "on", "1")
_FALSE = ("f", "false", "n", "no", "off", "0")
_INT_LIMITS = {"int2": (-32768, 32767), "int4": (-2 ** 31, 2 ** 31 - 1),
               "int8": (-2 ** 63, 2 ** 63 - 1), "oid": (-2 ** 31, 2 ** 32 - 1),
               "xid": (0, 2 ** 32 - 1), "cid": (0, 2 ** 32 - 1)}
_INT_NAMES = {"int2": "smallint", "int4": "integer", "int8": "bigint", "oid": "oid",
              "xid": "xid", "cid": "cid"}
_TEXT_TYPES = ("text", "varchar", "bpchar", "name", "cstring", "unknown")
REG_NAMES = ("regclass", "regtype", "regproc", "regprocedure", "regnamespace", "regrole")


def _split_qualified(name: str) -> List[str]:
    """``schema."Name"`` -> ["schema", "Name"]: unquoted parts fold to lower case."""
    parts: List[str] = []
    buf: List[str] = []
    s = name.strip()
    i = 0
    while i < len(s):
        c = s[i]
        if c == '"':
            j = i + 1
            while j < len(s):
                if s[j] == '"':
                    if s[j + 1:j + 2] == '"':
                        buf.append('"')
                        j += 2
                        continue
                    break
                buf.append(s[j])
                j += 1
            i = j + 1
            continue
        if c == ".":
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(c.lower())
        i += 1
    parts.append("".join(buf))
    return parts


def _no_such_signature(fn: Callable[..., Any], args: Tuple[Any, ...]) -> Optional[PgError]:
    """PostgreSQL's 42883 when ``fn`` takes no such number of arguments
    (SQLite passes any number to functions registered with -1)."""
    try:
        inspect.signature(fn).bind(*args)
    except TypeError:
        pass
    except ValueError:       # no signature to inspect (a builtin)
        return None
    else:
        return None
    kinds = ", ".join("unknown" if a is None or isinstance(a, str) else
                      "integer" if isinstance(a, int) else "numeric" for a in args)
    name = getattr(fn, "__name__", "function").lstrip("_")
    return PgError("42883", "function %s(%s) does not exist" % (name, kinds))


class FunctionHost:
    """Holds the current statement's context for the registered functions."""

    def __init__(self) -> None:
        self.ctx: Optional[RowContext] = None
        self.describing = False
        self.pending: Optional[PgError] = None
        self.started = _dt.datetime.now(_dt.timezone.utc)

    # -- plumbing ----------------------------------------------------------------
    def _wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            try:
                return fn(*args)
            except PgError as exc:
                self.pending = exc
                raise
            except (TypeError, ValueError, OverflowError) as exc:
                self.pending = _no_such_signature(fn, args) or PgError(
                    "22023", "invalid argument for %s(): %s"
                    % (getattr(fn, "__name__", "function"), exc))
                raise
        return call

    def _regex_matcher(self) -> Callable[..., Optional[int]]:
        """``~`` filters run once per catalog row (30,000 pg_class rows with
        10,000 tables): compiled patterns are looked up in a plain dict,
        without the generic wrapper's extra call."""
        compiled: Dict[Tuple[Any, Any], Any] = {}

        def regex(value: Any, pattern: Any, icase: Any = 0) -> Optional[int]:
            if value is None or pattern is None:
                return None
            rx = compiled.get((pattern, icase))
            if rx is None:
                try:
                    rx = F.compile_are(str(pattern), bool(icase))
                except PgError as exc:
                    self.pending = exc
                    raise
                if len(compiled) > 512:
                    compiled.clear()
                compiled[(pattern, icase)] = rx
            return 1 if rx.search(value if type(value) is str else F._text(value)) else 0
        return regex

    def register(self, conn: sqlite3.Connection) -> None:
        pure = dict(
            pg_like=F.pg_like, pg_similar=F.pg_similar, pg_any=F.pg_any,
            pg_all=F.pg_all, pg_array=F.pg_array, pg_array_json=F.pg_array_json,
            pg_subscript=F.pg_subscript, pg_series=F.pg_series, pg_position=F.pg_position,
            pg_extract=F.pg_extract, array_to_string=F.array_to_string,
            array_length=F.array_length, array_upper=F.array_upper, array_lower=F.array_lower,
            cardinality=F.cardinality, array_position=F.array_position,
            regexp_replace=F.regexp_replace, regexp_match=F.regexp_match,
            regexp_split_to_array=F.regexp_split_to_array, pg_array_cat=F.pg_array_cat,
            pg_json_build_object=pg_json_build_object,
            split_part=F.split_part, left=F.left, right=F.right, lpad=F.lpad, rpad=F.rpad,
            # LEFT and RIGHT are join keywords in SQLite: callable only under these names
            pg_left=F.left, pg_right=F.right,
            starts_with=F.starts_with, concat=F.concat, concat_ws=F.concat_ws,
            quote_literal=F.quote_literal, quote_ident=lambda s: None if s is None else
            quote_ident(str(s)), pg_size_pretty=F.pg_size_pretty,
            pg_encoding_to_char=lambda n: None if n is None else _ENCODINGS.get(int(n), ""),
            pg_char_to_encoding=lambda s: {v.lower(): k for k, v in _ENCODINGS.items()}.get(
                str(s).lower(), -1),
            string_to_array=T.string_to_array, parse_ident=T.parse_ident, format=T.pg_format,
        )
        for name, fn in pure.items():
            conn.create_function(name, -1, self._wrap(fn), deterministic=True)
        conn.create_function("pg_regex", -1, self._regex_matcher(), deterministic=True)
        register_math(conn, self._wrap)
        session = dict(
            version=self.version, current_database=self.current_database,
            current_schema=self.current_schema, current_schemas=self.current_schemas,
            pg_current_user=self.current_user, pg_session_user=self.current_user,
            pg_backend_pid=lambda: self.ctx.session.pid, current_setting=self.current_setting,
            pg_cancel_backend=self.cancel_backend, pg_terminate_backend=self.terminate_backend,
            set_config=self.set_config, pg_cast=self.pg_cast, format_type=self.format_type,
            pg_get_userbyid=self.get_userbyid, pg_get_expr=self.get_expr,
            pg_get_indexdef=self.get_indexdef, pg_get_constraintdef=self.get_constraintdef,
            pg_get_viewdef=self.get_viewdef, pg_partition_ancestors=self.partition_ancestors, pg_get_triggerdef=lambda *a: None,
            pg_get_ruledef=lambda *a: None, pg_get_statisticsobjdef_columns=lambda *a: None,
            pg_get_partkeydef=lambda *a: None, pg_get_serial_sequence=lambda *a: None,
            pg_get_function_arguments=self.function_arguments,
            pg_get_function_identity_arguments=self.function_arguments,
            pg_get_function_result=self.function_result,
            # SQL-standard bodies (BEGIN ATOMIC) only: no built-in or registered function has one
            pg_get_function_sqlbody=lambda oid: None,
            pg_table_is_visible=self.table_is_visible, pg_type_is_visible=self.type_is_visible,
            pg_function_is_visible=lambda oid: None if oid is None else 1,
            pg_opclass_is_visible=lambda oid: None if oid is None else 1,
            pg_opfamily_is_visible=lambda oid: None if oid is None else 1,
            pg_operator_is_visible=lambda oid: None if oid is None else 1,
            pg_collation_is_visible=lambda oid: None if oid is None else 1,
            pg_statistics_obj_is_visible=lambda oid: None if oid is None else 1,
            pg_conversion_is_visible=lambda oid: None if oid is None else 1,
            pg_ts_config_is_visible=lambda oid: None if oid is None else 1,
            pg_tableoid=self.tableoid,
            obj_description=self.obj_description, col_description=self.col_description,
            shobj_description=self.shobj_description,
            pg_postmaster_start_time=lambda: self.started.isoformat(),
            pg_conf_load_time=lambda: self.started.isoformat(),
            pg_relation_size=lambda *a: 0, pg_total_relation_size=lambda *a: 0,
            pg_table_size=lambda *a: 0, pg_indexes_size=lambda *a: 0,
            pg_stat_get_numscans=lambda oid: None if oid is None else 0,
            pg_relation_is_publishable=lambda oid: 1 if self._user_rel(oid) else 0,
            txid_current=lambda: 1000, pg_current_xact_id=lambda: 1000,
            inet_server_addr=lambda: None, inet_server_port=lambda: None,
            inet_client_addr=lambda: None, inet_client_port=lambda: None,
            pg_is_in_recovery=lambda: 0, pg_tablespace_location=lambda oid: "",
            pg_now=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat(),
            pg_current_date=lambda: _dt.date.today().isoformat(),
            pg_typeof=self.unsupported("pg_typeof"), to_regtype=self.to_regtype,
            pg_database_size=self.database_size,
            getdatabaseencoding=lambda: self.current_setting("server_encoding"),
            pg_has_role=lambda *a: 1, has_any_column_privilege=lambda *a: 1,
            to_char=lambda v, fmt=None: None if v is None else str(v),
        )
        for priv in ("table", "schema", "database", "function", "column", "type", "sequence",
                     "language", "foreign_data_wrapper", "server", "tablespace"):
            session["has_%s_privilege" % priv] = lambda *a: 1
        # "deterministic" tells SQLite a call with constant arguments can be
        # evaluated once per statement, which holds here: the session and the
        # snapshot do not change while a statement runs.  The functions with
        # an effect run wherever SQLite puts them.
        for name, fn in session.items():
            conn.create_function(name, -1, self._wrap(fn), deterministic=name not in _EFFECTS)
        conn.create_aggregate("pg_array_agg", 1, ArrayAgg)
        conn.create_aggregate("array_agg", 1, ArrayAgg)
        conn.create_aggregate("pg_array_agg_ordered", -1, OrderedArrayAgg)
        conn.create_aggregate("pg_string_agg_ordered", -1, OrderedStringAgg)
        conn.create_aggregate("string_agg", 2, F.StringAgg)
        conn.create_aggregate("bool_and", 1, type("BoolAnd", (F.BoolAgg,), {
            "__init__": lambda s: F.BoolAgg.__init__(s, True)}))
        conn.create_aggregate("bool_or", 1, type("BoolOr", (F.BoolAgg,), {
            "__init__": lambda s: F.BoolAgg.__init__(s, False)}))
        conn.create_aggregate("every", 1, type("Every", (F.BoolAgg,), {
            "__init__": lambda s: F.BoolAgg.__init__(s, True)}))

    def cancel_backend(self, pid: Any) -> Optional[int]:
        """pg_cancel_backend: the session's running statement ends with 57014."""
        return self._signal_backend(pid, False)

    def terminate_backend(self, pid: Any, timeout: Any = 0) -> Optional[int]:
        """pg_terminate_backend: the session ends with FATAL 57P01. It is gone
        when the call returns, so ``timeout`` (milliseconds to wait for that)
        only has to be valid."""
        if timeout is not None and int(timeout) < 0:
            raise PgError("22003", '"timeout" must not be negative')
        return self._signal_backend(pid, True)

    def _signal_backend(self, pid: Any, terminate: bool) -> Optional[int]:
        name = "pg_terminate_backend" if terminate else "pg_cancel_backend"
        if pid is None:
            return None
        if isinstance(pid, str):        # an untyped literal: PostgreSQL reads it as integer
            try:
                pid = int(pid.strip())
            except ValueError:
                raise PgError("22P02", 'invalid input syntax for type integer: "%s"' % pid) from None
        # the pid is an integer (int4): a wider or fractional one matches no function
        if isinstance(pid, float) or not isinstance(pid, int):
            raise PgError("42883", "function %s(numeric) does not exist" % name)
        if not _INT_LIMITS["int4"][0] <= pid <= _INT_LIMITS["int4"][1]:
            raise PgError("42883", "function %s(bigint) does not exist" % name)
        signal = self.ctx.session.signal_backend
        if signal is None:
            raise PgError("0A000", "catalog emulation does not support %s()" % name)
        return 1 if signal(pid, terminate) else 0

    def unsupported(self, name: str) -> Callable[..., Any]:
        def fn(*args: Any) -> Any:
            raise PgError("0A000", "catalog emulation does not support %s()" % name)
        fn.__name__ = name
        return fn

    # -- session -------------------------------------------------------------------
    def version(self) -> str:
        return "PostgreSQL %s on x86_64-pc-linux-gnu, compiled by riffq, 64-bit" % (
            self.ctx.session.server_version)

    def current_database(self) -> str:
        return self.ctx.session.database

    def current_user(self) -> str:
        return self.ctx.session.user

    def search_path(self) -> List[str]:
        return search_path(self.ctx)

    def _schema_oids(self) -> Dict[str, int]:
        return {name: oid for oid, name in self.ctx.snap.schemas()}

    def current_schemas(self, implicit: Any = 1) -> str:
        known = self._schema_oids()
        path = [s for s in self.search_path() if s in known]
        if implicit and "pg_catalog" not in path:
            path.insert(0, "pg_catalog")
        return F.to_json(path)

    def current_schema(self) -> Optional[str]:
        known = self._schema_oids()
        for s in self.search_path():
            if s in known:
                return s
        return None

    def current_setting(self, name: Any, missing_ok: Any = 0) -> Optional[str]:
        if name is None:
            return None
        value = self.ctx.session.get_setting(str(name))
        if value is None and not missing_ok:
            raise PgError("42704", 'unrecognized configuration parameter "%s"' % name)
        return value

    def set_config(self, name: Any, value: Any, is_local: Any) -> Optional[str]:
        if name is None:
            raise PgError("22004", "SET requires parameter name")
        if self.describing:
            return value
        value = self.ctx.session.set_setting(str(name), "" if value is None else str(value),
                                             bool(is_local))
        self.ctx.memo.clear()       # what the statement derived from settings (search_path)
        return value

    # -- catalog lookups -------------------------------------------------------------
    def _user_rel(self, oid: Any) -> Any:
        return None if oid is None else self.ctx.snap.relation_by_oid(int(oid))

    def types(self) -> Dict[int, Dict[str, Any]]:
        return all_types(self.ctx)

    def _visible(self) -> Tuple[int, ...]:
        known = self._schema_oids()
        return (PG_CATALOG_OID,) + tuple(known[s] for s in self.search_path() if s in known)

    def format_type(self, oid: Any, typmod: Any) -> Optional[str]:
        if oid is None:
            return None
        types = self.types() if int(oid) >= 16384 else self.ctx.static.types
        names = {oid_: n for oid_, n in self.ctx.snap.schemas()} if int(oid) >= 16384 else None
        return format_type(int(oid), None if typmod is None else int(typmod), types,
                           self._visible() if names else (PG_CATALOG_OID, 2200), names)

    def to_regtype(self, text: Any) -> Optional[int]:
        if text is None:
            return None
        try:
            return self._type_lookup(str(text))
        except PgError:
            return None

    def database_size(self, database: Any) -> Optional[int]:
        """riffq stores nothing: every database it knows is empty (0 bytes);
        an unknown name or OID is PostgreSQL's error."""
        if database is None:
            return None
        for row in self.ctx.snap.databases():
            if str(database) in (str(row[0]), row[1]):
                return 0
        if isinstance(database, int) or str(database).isdigit():
            return None
        raise PgError("3D000", 'database "%s" does not exist' % database)

    def get_userbyid(self, oid: Any) -> Optional[str]:
        if oid is None:
            return None
        names = self.ctx.memo.get("role_names")
        if names is None:
            names = self.ctx.memo["role_names"] = {r["oid"]: r["rolname"]
                                                 for r in reversed(roles(self.ctx))}
        name = names.get(int(oid))
        return "unknown (OID=%d)" % int(oid) if name is None else name

    def get_viewdef(self, oid: Any, pretty: Any = 0) -> Optional[str]:
        """A registered view's definition as PostgreSQL deparses it (see
        viewdef.py); ``pretty`` true (or a wrap column) drops the parentheses."""
        if oid is None:
            return None
        rel = self.ctx.snap.relation_by_oid(int(oid))
        return None if rel is None else view_definition(self.ctx, rel, bool(pretty))

    def get_expr(self, tree: Any, *_relation: Any) -> Any:
        """PostgreSQL's text of a stored expression: built-in trees as the
        dump recorded it; the user's defaults are kept as text already."""
        if tree is None:
            return None
        return self.ctx.static.expressions.get(tree, tree)

    def partition_ancestors(self, oid: Any) -> Optional[str]:
        """pg_partition_ancestors as the JSON array the translator walks:
        nothing is partitioned here, so a relation is its only ancestor."""
        if oid is None:
            return None
        oid = self.reg_lookup("regclass", oid) if isinstance(oid, str) and \
            not oid.strip().isdigit() else int(oid)
        known = oid in self.ctx.static.relation_by_oid or self._user_rel(oid) is not None
        return F.to_json([oid] if known else [])

    def tableoid(self, relname: Any) -> Optional[int]:
        """The ``tableoid`` system column of a catalog relation (the
        translators rewrite ``alias.tableoid`` into this call)."""
        rel = self.ctx.static.relations.get(str(relname))
        return None if rel is None else rel.oid

    def get_indexdef(self, oid: Any, column: Any = 0, pretty: Any = 0) -> Optional[str]:
        builtin = None if oid is None else self.ctx.static.index_defs.get(int(oid))
        if builtin is not None:
            n = int(column or 0)
            if n:
                return builtin[2][n - 1] if 0 < n <= len(builtin[2]) else ""
            return builtin[1] if pretty else builtin[0]
        rel = None if oid is None else self.ctx.snap.relation_by_oid(int(oid), "pk_index_oid")
        if rel is None:
            return None
        if column:
            cols = self.ctx.snap.columns(rel)
            keys = [i + 1 for i, c in enumerate(cols) if c.primary_key]
            n = int(column)
            return quote_ident(cols[keys[n - 1] - 1].name) if 0 < n <= len(keys) else ""
        return index_def(self.ctx, rel)

    def get_constraintdef(self, oid: Any, pretty: Any = 0) -> Optional[str]:
        builtin = None if oid is None else self.ctx.static.constraint_defs.get(int(oid))
        if builtin is not None:
            return builtin[1] if pretty else builtin[0]
        rel = None if oid is None else self.ctx.snap.relation_by_oid(int(oid), "pk_constraint_oid")
        if rel is not None:
            return pk_def(self.ctx, rel)
        return None if oid is None else constraint_def(self.ctx, int(oid))

    def _proc(self, oid: Any) -> Optional[Dict[str, Any]]:
        if oid is None:
            return None
        return self.ctx.static.proc_by_oid.get(int(oid))

    def function_arguments(self, oid: Any) -> Optional[str]:
        p = self._proc(oid)
        if p is None:
            return None
        names = p.get("proargnames") or []
        out = []
        for i, t in enumerate(p["proargtypes"] or []):
            name = names[i] if i < len(names) and names[i] else ""
            typ = format_type(t, None, self.ctx.static.types)
            if p["provariadic"] and i == len(p["proargtypes"]) - 1:
                typ = "VARIADIC " + typ
            out.append(("%s %s" % (quote_ident(name), typ)) if name else typ)
        return ", ".join(out)

    def function_result(self, oid: Any) -> Optional[str]:
        p = self._proc(oid)
        if p is None:
            return None
        text = format_type(p["prorettype"], None, self.ctx.static.types)
        return ("SETOF " + text) if p["proretset"] else text

    def table_is_visible(self, oid: Any) -> Optional[int]:
        if oid is None:
            return None
        oid = int(oid)
        # psql's \dt asks for every table it lists: the answers are kept
        # while the registration and the search path stay the same
        known = visibility_memo(self.ctx)
        seen = known.get(oid)
        if seen is not None:
            return seen
        namespace = self.ctx.static.class_namespace.get(oid)
        if namespace is not None:
            return 1 if namespace == PG_CATALOG_OID else 0
        rel = self._user_rel(oid) or self.ctx.snap.relation_by_oid(oid, "pk_index_oid")
        if rel is None:
            return None     # not kept: any number of OIDs may be asked about
        seen = known[oid] = int(relation_visible(self.ctx, rel))
        return seen

    def type_is_visible(self, oid: Any) -> Optional[int]:
        if oid is None:
            return None
        row = self.types().get(int(oid))
        if row is None:
            return None
        return 1 if row["typnamespace"] in self._visible() else 0

    def _descriptions(self) -> Dict[Tuple[int, int], str]:
        cache = self.ctx.snap.cache
        if "descriptions" not in cache:
            out = {}
            for rel in self.ctx.snap.relations():
                if rel.comment is not None:
                    out[(rel.oid, 0)] = rel.comment
                for i, c in enumerate(self.ctx.snap.columns(rel)):
                    if c.comment is not None:
                        out[(rel.oid, i + 1)] = c.comment
            cache["descriptions"] = out
        return cache["descriptions"]

    @staticmethod
    def shobj_description(oid: Any, catalog: Any) -> Optional[str]:
        if oid is None or catalog is None or str(catalog) != "pg_database":
            return None
        return DATABASE_DESCRIPTIONS.get(int(oid))

    def obj_description(self, oid: Any, catalog: Any = None) -> Optional[str]:
        if oid is None:
            return None
        if catalog is not None and str(catalog) == "pg_namespace":
            return NAMESPACE_DESCRIPTIONS.get(int(oid))
        if int(oid) < 16384:
            return self._builtin_description(int(oid), catalog)
        if catalog is not None and str(catalog) != "pg_class":
            return None
        return self._descriptions().get((int(oid), 0))

    def _builtin_description(self, oid: int, catalog: Any) -> Optional[str]:
        """A built-in object's description from the dump (pg_proc's, pg_type's, ...)."""
        static = self.ctx.static
        if catalog is None:  # the deprecated one-argument form: any catalog
            return next((text for (_, objoid, sub), text in static.descriptions.items()
                         if objoid == oid and sub == 0), None)
        rel = static.relations.get(str(catalog))
        return None if rel is None else static.descriptions.get((rel.oid, oid, 0))

    def col_description(self, oid: Any, attnum: Any) -> Optional[str]:
        if oid is None or attnum is None or int(oid) < 16384:
            return None
        return self._descriptions().get((int(oid), int(attnum)))

    # -- casts ---------------------------------------------------------------------
    def pg_cast(self, value: Any, target: Any, source: Any = None) -> Any:
        if value is None:
            return None
        target = str(target).lower()
        source = None if source is None else str(source).lower()
        if target.endswith("[]") or target in ("int2vector", "oidvector"):
            items = F.to_list(value) if not isinstance(value, str) or value[:1] in "[{" \
                else F.to_list(value.strip())
            elem = target[:-2] if target.endswith("[]") else ("int2" if target == "int2vector"
                                                              else "oid")
            src = source[:-2] if source and source.endswith("[]") else None
            lower = 1 if not target.endswith("[]") else 0 if source in (
                "int2vector", "oidvector") else F.lower_bound(value)
            return F.bounded_json([None if v is None else self.pg_cast(v, elem, src)
                                   for v in items], lower)
        if target in REG_NAMES:
            if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
                return self.reg_lookup(target, value)
            return int(value)
        if target in _INT_LIMITS:
            return self._to_int(value, target)
        if target in ("float4", "float8", "numeric"):
            try:
                return float(value)
            except ValueError:
                raise PgError("22P02", 'invalid input syntax for type %s: "%s"' % (
                    {"float4": "real", "float8": "double precision"}.get(target, target),
                    value)) from None
        if target == "bool":
            if isinstance(value, (int, float)):
                return 1 if value else 0
            s = str(value).strip().lower()
            if s in _TRUE or (len(s) > 1 and any(t.startswith(s) for t in ("true", "yes"))):
                return 1
            if s in _FALSE or (len(s) > 1 and any(t.startswith(s) for t in ("false", "no"))):
                return 0
            raise PgError("22P02", 'invalid input syntax for type boolean: "%s"' % value)
        if target in _TEXT_TYPES or target == "char":
            text = self.to_text(value, source)
            return text[:1] if target == "char" else text
        return value

    def _to_int(self, value: Any, target: str) -> int:
        if isinstance(value, float):
            n = int(value + (0.5 if value >= 0 else -0.5))
        elif isinstance(value, int):
            n = value
        else:
            s = str(value).strip()
            try:
                n = int(s)
            except ValueError:
                raise PgError("22P02", 'invalid input syntax for type %s: "%s"'
                              % (_INT_NAMES[target], value)) from None
        lo, hi = _INT_LIMITS[target]
        if not lo <= n <= hi:
            raise PgError("22003", "value \"%s\" is out of range for type %s"
                          % (value, _INT_NAMES[target]))
        return n & 0xFFFFFFFF if target == "oid" else n

    def to_text(self, value: Any, source: Optional[str]) -> str:
        if source in REG_NAMES and isinstance(value, int):
            return self.reg_text(source, value)
        if source == "bool" and isinstance(value, int):
            return "true" if value else "false"
        if source in ("int2vector", "oidvector") and isinstance(value, str):
            # a vector's text form: its items separated by spaces ('1 2')
            return " ".join(str(v) for v in F.to_list(value))
        if source and source.endswith("[]") and isinstance(value, str):
            from .._wire.textformat import encoder_for
            from .._wire import pgtypes
            items = F.to_list(value)
            elem = source[:-2]
            named = elem in REG_NAMES
            return encoder_for(pgtypes.TEXT_ARRAY)(F.BoundedArray(
                [None if v is None else self.reg_text(elem, int(v)) if named else F._text(v)
                 for v in items], F.lower_bound(value)))
        if isinstance(value, float):
            from .._wire.textformat import format_float8
            return format_float8(value)
        return str(value)

    def reg_text(self, kind: str, oid: int) -> str:
        """How PostgreSQL prints a reg* value (name, qualified when needed)."""
        if oid == 0:
            return "-"
        ctx = self.ctx
        if kind == "regtype":
            return self.format_type(oid, None) if oid in self.types() else str(oid)
        if kind in ("regproc", "regprocedure"):
            name = ctx.static.regproc.get(oid)
            if name is None:
                return str(oid)
            if kind == "regprocedure":
                p = self._proc(oid)
                args = ",".join(format_type(t, None, ctx.static.types)
                                for t in (p["proargtypes"] if p else []))
                return "%s(%s)" % (name, args)
            return name
        if kind == "regnamespace":
            return quote_ident(dict(ctx.snap.schemas()).get(oid, str(oid)))
        if kind == "regrole":
            for r in roles(ctx):
                if r["oid"] == oid:
                    return quote_ident(r["rolname"])
            return str(oid)
        builtin = ctx.static.relation_by_oid.get(oid)
        if builtin is not None:
            return quote_ident(builtin.name) if builtin.schema == "pg_catalog" else \
                "%s.%s" % (quote_ident(builtin.schema), quote_ident(builtin.name))
        for attr, suffix in (("oid", ""), ("pk_index_oid", "_pkey")):
            rel = ctx.snap.relation_by_oid(oid, attr)
            if rel is not None:
                name = rel.name + suffix
                return quote_ident(name) if self.table_is_visible(rel.oid) else \
                    "%s.%s" % (quote_ident(rel.schema), quote_ident(name))
        return str(oid)

    def reg_lookup(self, kind: str, text: str) -> int:
        """Text -> OID for a reg* cast, searching the search path."""
        ctx = self.ctx
        if kind == "regtype":
            return self._type_lookup(text)
        parts = _split_qualified(text)
        name = parts[-1]
        schema = parts[-2] if len(parts) > 1 else None
        if kind == "regnamespace":
            oid = self._schema_oids().get(name)
            if oid is None:
                raise PgError("3F000", 'schema "%s" does not exist' % name)
            return oid
        if kind == "regrole":
            for r in roles(ctx):
                if r["rolname"] == name:
                    return r["oid"]
            raise PgError("42704", 'role "%s" does not exist' % name)
        if kind in ("regproc", "regprocedure"):
            base = name.split("(")[0]
            if schema in (None, "pg_catalog"):
                for p in ctx.static.procs:
                    if p["proname"] == base:
                        return p["oid"]
                for oid, proname in sorted(ctx.static.regproc.items()):
                    if proname == base:
                        return oid
            raise PgError("42883", 'function "%s" does not exist' % text)
        path = [schema] if schema else ["pg_catalog"] + self.search_path()
        for s in path:
            for rel in ctx.static.relations.values():
                if rel.schema == s and rel.name == name:
                    return rel.oid
            for rel in ctx.snap.relations_named(name):
                if rel.schema == s:
                    return rel.oid
            for rel in ctx.snap.relations_named(name[:-5]) if name.endswith("_pkey") else ():
                if rel.schema == s and rel.pk_index_oid:
                    return rel.pk_index_oid
        raise PgError("42P01", 'relation "%s" does not exist' % text)

    def _type_lookup(self, text: str) -> int:
        from .._wire import pgtypes
        s = text.strip()
        try:
            t = pgtypes.type_from_name(s)
            if s.lower() not in ("int", "float", "str", "string", "datetime", "bytes", "binary",
                                 "decimal", "timedelta", "datetimetz"):
                return t.oid
        except ValueError:
            pass
        parts = _split_qualified(s)
        name = parts[-1]
        schema_oids = self._schema_oids()
        path = [parts[-2]] if len(parts) > 1 else ["pg_catalog"] + self.search_path()
        for sch in path:
            nsp = schema_oids.get(sch, BUILTIN_SCHEMAS.get(sch))
            for oid, row in self.types().items():
                if row["typname"] == name and row["typnamespace"] == nsp:
                    return oid
        raise PgError("42704", 'type "%s" does not exist' % text)
