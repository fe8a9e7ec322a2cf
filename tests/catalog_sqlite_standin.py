"""TEST STAND-IN for the catalog engine (E's part), used only by T's tests.

The translator's promise is: its SQLite SQL, run over a copy of the catalog
with the contract's ``pg_*`` helper functions registered, returns the rows
PostgreSQL returns.  To test exactly that promise without the real engine,
this stand-in

* copies the catalog relations a statement reads from a real PostgreSQL 15
  into an in-memory SQLite database laid out as the contract says (attached
  ``pg_catalog`` / ``information_schema`` databases, ints/oids as INTEGER,
  bools 0/1, arrays and vectors as JSON text), and
* registers each helper function as a thin Python function that asks the
  same real PostgreSQL for the answer (``format_type``, regex matching,
  casts...).  Delegating keeps the stand-in tiny and makes the semantics of
  each helper exactly PostgreSQL's, so a row mismatch can only come from the
  translation itself.  The engine's real, self-contained implementations
  are E's (``riffq/_catalog/functions*.py``).
"""
from __future__ import annotations

import json
import re
import sqlite3
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

_NUMERIC_CATS = "NB"  # numeric and boolean type categories
_VECTORS = {"int2vector": "int2[]", "oidvector": "oid[]"}


class PgDelegate:
    """Evaluates single PostgreSQL expressions for the stand-in functions."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.cache: Dict[Any, Any] = {}

    def value(self, sql: str, *args: Any) -> Any:
        key = (sql, repr(args))
        if key not in self.cache:
            with self.conn.cursor() as cur:
                cur.execute(sql, args)
                self.cache[key] = cur.fetchone()[0]
        return self.cache[key]


def _pg_literal_array(value: Any) -> Any:
    """JSON array text (SQLite side) -> Python list PostgreSQL's driver adapts."""
    if isinstance(value, str) and value.startswith("["):
        return json.loads(value)
    return value


def _to_sqlite(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value))
    return value


def _is_oid_type(name: Optional[str]) -> bool:
    return name is not None and (name.startswith("reg") or name == "oid")


def _cast_sql(target: str, source: Optional[str], value: Any) -> str:
    """PostgreSQL SQL casting parameter text (as *source*) to *target*, SQLite-shaped."""
    if isinstance(value, int) and _is_oid_type(source):
        src = "(%%s::text::bigint::oid::%s)" % source
    elif isinstance(value, int) and _is_oid_type(target):
        src = "(%s::text::bigint::oid)"
    elif source is not None:
        src = "(%%s::text::%s)" % source
    else:
        src = "%s::text"
    if target.startswith("reg") or target == "oid":
        return "(%s::%s)::oid::bigint" % (src, target)
    if target == "bool":
        return "(%s::bool)::int" % src
    if target.endswith("[]"):
        return "to_json(%s::%s)::text" % (src, target)
    if target in ("int2", "int4", "int8", "float4", "float8", "numeric"):
        return "%s::%s" % (src, target)
    return "(%s::%s)::text" % (src, target)


class StandinFunctions:
    """The contract's helper functions, answered by the real PostgreSQL."""

    def __init__(self, pg: PgDelegate) -> None:
        self.pg = pg

    def register(self, db: sqlite3.Connection) -> None:
        simple = {
            "pg_cast": (-1, self.cast),
            "pg_regex": (3, lambda a, b, ci: self.op(a, "~*" if ci else "~", b)),
            "pg_like": (-1, self.like),
            "pg_any": (3, lambda x, op, arr: self.quant(x, op, arr, "ANY")),
            "pg_all": (3, lambda x, op, arr: self.quant(x, op, arr, "ALL")),
            "pg_array": (-1, lambda *xs: json.dumps(list(xs))),
            "pg_array_json": (1, self.array_json),
            "pg_json_build_object": (-1, self.json_build_object),
            "pg_array_cat": (2, lambda a, b: b if a is None else a if b is None else
                             json.dumps(json.loads(a) + json.loads(b))),
            "pg_subscript": (3, self.subscript),
            "pg_series": (-1, lambda *a: json.dumps(list(range(a[0], a[1] + (1 if len(a) < 3 or a[2] > 0 else -1), a[2] if len(a) > 2 else 1)))),
            "pg_partition_ancestors": (1, lambda oid: self.pg.value(
                "SELECT coalesce(json_agg(r::oid::bigint), '[]')::text FROM "
                "pg_partition_ancestors(%s::bigint::oid) r", oid)),
            "pg_current_user": (0, lambda: self.pg.value("SELECT current_user::text")),
            "pg_session_user": (0, lambda: self.pg.value("SELECT session_user::text")),
            "array_to_string": (-1, lambda arr, sep, *n: None if arr is None else self.pg.value(
                "SELECT array_to_string(%s::text[], %s" + (", %s)" if n else ")"),
                json.loads(arr), sep, *n)),
            "array_upper": (2, lambda arr, d: None if arr is None or arr == "[]" else
                            len(json.loads(arr))),
            "array_lower": (2, lambda arr, d: None if arr is None or arr == "[]" else 1),
            "array_length": (2, lambda arr, d: None if arr is None or arr == "[]" else
                             len(json.loads(arr))),
            "string_to_array": (2, lambda s, sep: None if s is None else json.dumps(
                self.pg.value("SELECT string_to_array(%s, %s)", s, sep))),
        }
        for name, (nargs, fn) in simple.items():
            db.create_function(name, nargs, fn)
        passthrough = {
            "format_type": "format_type(%s::bigint::oid, %s::int)",
            "pg_get_userbyid": "pg_get_userbyid(%s::bigint::oid)::text",
            "pg_table_is_visible": "pg_table_is_visible(%s::bigint::oid)::int",
            "pg_type_is_visible": "pg_type_is_visible(%s::bigint::oid)::int",
            "pg_function_is_visible": "pg_function_is_visible(%s::bigint::oid)::int",
            "pg_encoding_to_char": "pg_encoding_to_char(%s::int)::text",
            "pg_get_function_result": "pg_get_function_result(%s::bigint::oid)",
            "pg_get_function_arguments": "pg_get_function_arguments(%s::bigint::oid)",
            "pg_get_indexdef": "pg_get_indexdef(%s::bigint::oid, %s::int, %s::int::bool)",
            "pg_get_constraintdef": "pg_get_constraintdef(%s::bigint::oid, %s::int::bool)",
            "obj_description": "obj_description(%s::bigint::oid, %s::name)",
            "shobj_description": "shobj_description(%s::bigint::oid, %s::name)",
            "col_description": "col_description(%s::bigint::oid, %s::int)",
            "pg_get_statisticsobjdef_columns": "pg_get_statisticsobjdef_columns(%s::bigint::oid)",
            "pg_relation_is_publishable": "pg_relation_is_publishable(%s::text::oid)::int",
            "pg_get_triggerdef": "pg_get_triggerdef(%s::bigint::oid, %s::int::bool)",
            "current_database": "current_database()::text",
            "current_schema": "current_schema()::text",
            "current_schemas": "to_json(current_schemas(%s::int::bool))::text",
            "version": "version()",
            "current_setting": "current_setting(%s)",
            "pg_get_viewdef": "pg_get_viewdef(%s::bigint::oid, %s::int::bool)",
            "pg_get_serial_sequence": "pg_get_serial_sequence(%s, %s)",
            "quote_ident": "quote_ident(%s)",
            "set_config": "set_config(%s, %s, %s::int::bool)",
            "pg_backend_pid": "pg_backend_pid()",
            "pg_has_role": "pg_has_role(%s, %s)::int",
            "to_regtype": "to_regtype(%s)::oid::bigint",
            "regexp_split_to_array": "to_json(regexp_split_to_array(%s, %s))::text",
            "pg_table_size": "pg_table_size(%s::bigint::oid)",
            "pg_size_pretty": "pg_size_pretty(%s::bigint)",
            "pg_collation_is_visible": "pg_collation_is_visible(%s::bigint::oid)::int",
            "pg_get_partkeydef": "pg_get_partkeydef(%s::bigint::oid)",
            "pg_relation_size": "pg_relation_size(%s::bigint::oid)",
            "pg_stat_get_numscans": "pg_stat_get_numscans(%s::bigint::oid)",
            "parse_ident": "to_json(parse_ident(%s))::text",
            "pg_tablespace_location": "pg_tablespace_location(%s::bigint::oid)",
            "pg_get_ruledef": "pg_get_ruledef(%s::bigint::oid)",
        }
        for name, template in passthrough.items():
            nargs = template.count("%s")
            db.create_function(name, nargs, self._delegate(template))
            if name in ("pg_get_indexdef", "pg_get_expr"):
                short = template.replace(", %s::int::bool)", ")")
                db.create_function(name, nargs - 1, self._delegate(short))
            if name in ("pg_get_constraintdef", "pg_get_viewdef", "pg_get_triggerdef"):
                short = template.replace(", %s::int::bool)", ")")
                db.create_function(name, nargs - 1, self._delegate(short))
            if name == "obj_description":
                db.create_function(name, 1, self._delegate("obj_description(%s::bigint::oid)"))
        for name in ("has_database_privilege", "has_table_privilege", "has_schema_privilege",
                     "has_function_privilege", "has_type_privilege"):
            db.create_function(name, 2, self._privilege(name))
        for name in ("has_table_privilege", "has_schema_privilege", "has_any_column_privilege"):
            db.create_function(name, 3, self._delegate("%s(%%s::name, %%s::text, %%s)::int" % name))
        db.create_function("format", -1, lambda *a: self.pg.value(
            "SELECT format(%s)" % ", ".join(["%s::text"] * len(a)), *a))
        db.create_function("pg_database_size", 1, lambda d: self.pg.value(
            "SELECT pg_database_size(%%s%s)" % ("::bigint::oid" if isinstance(d, int) else
                                                "::text::name"), d))
        db.create_function("pg_get_expr", 2, lambda tree, rel: self.get_expr(tree, rel, 0))
        db.create_function("pg_get_expr", 3, self.get_expr)
        db.create_function("pg_position", 2, lambda a, b: None if a is None or b is None
                           else str(b).find(str(a)) + 1)
        db.create_aggregate("pg_array_agg", 1, _ArrayAgg)
        db.create_aggregate("pg_array_agg_ordered", -1, _OrderedArrayAgg)
        db.create_aggregate("pg_string_agg_ordered", -1, _OrderedStringAgg)
        db.create_aggregate("string_agg", 2, _StringAgg)
        db.create_aggregate("bool_and", 1, _BoolAnd)
        db.create_aggregate("bool_or", 1, _BoolOr)

    def _privilege(self, name: str):
        def call(obj: Any, privilege: Any) -> Any:
            cast = "::bigint::oid" if isinstance(obj, int) else "::text"
            return self.pg.value("SELECT %s(%%s%s, %%s)::int" % (name, cast), obj, privilege)
        return call

    def _delegate(self, template: str):
        def call(*args: Any) -> Any:
            return self.pg.value("SELECT " + template, *args)
        return call

    def array_json(self, value: Any) -> Any:
        """JSON arrays pass; PostgreSQL array text ('{a,b}', as a client sends a
        parameter) becomes one, its elements as text."""
        if value is None or (isinstance(value, str) and value.startswith("[")):
            return value
        return self.pg.value("SELECT to_json(%s::text[])::text", str(value))

    def json_build_object(self, kinds: str, *args: Any) -> Any:
        parts: List[str] = []
        values: List[Any] = []
        for k, (key, value) in enumerate(zip(args[0::2], args[1::2])):
            parts.append("%s::text")
            values.append(key)
            if value is None:
                parts.append("NULL")
                continue
            kind = kinds[k]
            if kind == "b":
                parts.append("%s::int::bool")
            elif kind == "j":
                parts.append("%s::json")
            elif isinstance(value, int):
                parts.append("%s::bigint")
            elif isinstance(value, float):
                parts.append("%s::float8")
            else:
                parts.append("%s::text")
            values.append(value)
        return self.pg.value("SELECT json_build_object(%s)::text" % ", ".join(parts), *values)

    def get_expr(self, tree: Any, rel: Any, pretty: Any) -> Any:
        """pg_node_tree values cannot be sent back, so find the stored one."""
        if tree is None:
            return None
        return self.pg.value(
            "SELECT pg_get_expr(t, %s::bigint::oid, %s::int::bool) FROM ("
            "SELECT adbin AS t FROM pg_attrdef UNION ALL SELECT proargdefaults FROM pg_proc "
            "UNION ALL SELECT indpred FROM pg_index UNION ALL SELECT indexprs FROM pg_index "
            "UNION ALL SELECT conbin FROM pg_constraint) s WHERE t::text = %s LIMIT 1",
            rel, pretty, tree)

    def cast(self, value: Any, target: str, source: Optional[str] = None) -> Any:
        if value is None:
            return None
        if target.endswith("[]") and isinstance(value, str) and value.startswith("["):
            if source and source.startswith("reg") and target in ("text[]", "name[]"):
                return self.pg.value("SELECT to_json(%%s::bigint[]::oid[]::%s::text[])::text"
                                     % source, json.loads(value))
            return value
        if isinstance(value, str) and value.isdigit() and _is_oid_type(target):
            value = int(value)  # reg* input accepts a numeric OID
        return self.pg.value("SELECT " + _cast_sql(target, source, value), str(value))

    def op(self, a: Any, op: str, b: Any) -> Any:
        if a is None or b is None:
            return None
        return int(self.pg.value("SELECT %%s::text %s %%s::text" % op, str(a), str(b)))

    def like(self, a: Any, b: Any, ci: int, escape: Optional[str] = None) -> Any:
        if a is None or b is None:
            return None
        sql = "SELECT %%s::text %s %%s::text" % ("ILIKE" if ci else "LIKE")
        args = [str(a), str(b)]
        if escape is not None:
            sql += " ESCAPE %s"
            args.append(escape)
        return int(self.pg.value(sql, *args))

    def quant(self, x: Any, op: str, arr: Any, quant: str) -> Any:
        if arr is None:
            return None
        items = json.loads(arr)
        if isinstance(x, int) and all(isinstance(i, int) or i is None for i in items):
            res = self.pg.value("SELECT %%s::bigint %s %s(%%s::bigint[])" % (op, quant), x, items)
        else:
            res = self.pg.value("SELECT %%s::text %s %s(%%s::text[])" % (op, quant),
                                None if x is None else str(x),
                                [None if i is None else str(i) for i in items])
        return None if res is None else int(res)

    @staticmethod
    def subscript(arr: Any, index: Any, lower: int) -> Any:
        if arr is None or index is None:
            return None
        items = json.loads(arr)
        k = int(index) - lower
        return items[k] if 0 <= k < len(items) else None


class _ArrayAgg:
    def __init__(self) -> None:
        self.items: List[Any] = []

    def step(self, x: Any) -> None:
        self.items.append(json.loads(x) if isinstance(x, str) and x.startswith("[") else x)

    def finalize(self) -> Any:
        return json.dumps(self.items) if self.items else None


def _sort_rows(rows: List[Tuple[Any, ...]], spec: str) -> List[Any]:
    """Sort (value..., key...) rows by the keys as the ORDER BY spec says:
    per key a direction letter A/D and a NULL placement letter F/L."""
    nkeys = len(spec) // 2
    for k in reversed(range(nkeys)):
        desc, nulls_first = spec[2 * k] == "D", spec[2 * k + 1] == "F"
        col = len(rows[0]) - nkeys + k if rows else 0
        present = [r for r in rows if r[col] is not None]
        absent = [r for r in rows if r[col] is None]
        present.sort(key=lambda r: (isinstance(r[col], str), r[col]), reverse=desc)
        rows = absent + present if nulls_first else present + absent
    return rows


class _OrderedArrayAgg:
    def __init__(self) -> None:
        self.rows: List[Tuple[Any, ...]] = []
        self.spec = ""

    def step(self, value: Any, spec: str, *keys: Any) -> None:
        self.spec = spec
        self.rows.append((value,) + keys)

    def finalize(self) -> Any:
        if not self.rows:
            return None
        agg = _ArrayAgg()
        for row in _sort_rows(self.rows, self.spec):
            agg.step(row[0])
        return agg.finalize()


class _OrderedStringAgg(_OrderedArrayAgg):
    def step(self, value: Any, sep: Any, spec: str, *keys: Any) -> None:  # type: ignore[override]
        self.spec = spec
        self.rows.append((value, sep) + keys)

    def finalize(self) -> Any:
        agg = _StringAgg()
        for row in _sort_rows(self.rows, self.spec):
            agg.step(row[0], row[1])
        return agg.finalize()


class _StringAgg:
    def __init__(self) -> None:
        self.parts: List[str] = []
        self.seps: List[str] = []

    def step(self, x: Any, sep: Any) -> None:
        if x is not None:
            self.parts.append(str(x))
            self.seps.append("" if sep is None else str(sep))

    def finalize(self) -> Any:
        if not self.parts:
            return None
        out = self.parts[0]
        for sep, part in zip(self.seps[1:], self.parts[1:]):
            out += sep + part
        return out


class _BoolAnd:
    def __init__(self) -> None:
        self.value: Optional[int] = None

    def step(self, x: Any) -> None:
        if x is not None:
            self.value = int(bool(x)) if self.value is None else int(self.value and bool(x))

    def finalize(self) -> Any:
        return self.value


class _BoolOr(_BoolAnd):
    def step(self, x: Any) -> None:
        if x is not None:
            self.value = int(bool(x)) if self.value is None else int(self.value or bool(x))


def _column_select(name: str, typname: str, category: str, elem_category: Optional[str]) -> str:
    col = '"%s"' % name
    if typname in _VECTORS:
        return "to_json(%s::%s::text[]::numeric[])::text" % (col, _VECTORS[typname])
    if category == "A":
        if elem_category and elem_category in "N":
            return "to_json(%s::text[]::numeric[])::text" % col
        return "to_json(%s::text[])::text" % col
    if category == "B":
        return "%s::int" % col
    if typname in ("xid", "xid8", "cid", "tid"):
        return "%s::text" % col
    if category == "N" or typname == "oid" or typname.startswith("reg"):
        if typname in ("float4", "float8", "numeric"):
            return "%s::float8" % col
        return "%s::oid::bigint" % col if typname != "int8" and typname not in (
            "int2", "int4") else col
    return "%s::text" % col


def _affinity(typname: str, category: str) -> str:
    if typname in _VECTORS or category == "A":
        return "TEXT"
    if category in "BN" or typname == "oid" or typname.startswith("reg"):
        return "REAL" if typname in ("float4", "float8", "numeric") else "INTEGER"
    return "TEXT"


def build_catalog_db(pg_conn: Any, relations: Iterable[str]) -> sqlite3.Connection:
    """An in-memory SQLite holding copies of *relations* read from *pg_conn*.
    (SQLite's callback tracebacks stay off: the switch is global to the
    process, and every later test whose catalog function raises a PgError on
    purpose would print one.)"""
    db = sqlite3.connect(":memory:")
    db.execute("ATTACH DATABASE ':memory:' AS pg_catalog")
    db.execute("ATTACH DATABASE ':memory:' AS information_schema")
    StandinFunctions(PgDelegate(pg_conn)).register(db)
    with pg_conn.cursor() as cur:
        for rel in sorted(set(relations)):
            schema = "pg_catalog" if rel.startswith("pg_") else "information_schema"
            cur.execute("""
                SELECT a.attname, bt.typname, bt.typcategory, et.typcategory
                FROM pg_attribute a
                JOIN pg_class c ON c.oid = a.attrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_type t ON t.oid = a.atttypid
                JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype
                                                  ELSE t.oid END
                LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
                WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0
                  AND NOT a.attisdropped ORDER BY a.attnum""", (schema, rel))
            cols = cur.fetchall()
            if not cols:
                continue
            select = ", ".join(_column_select(*c) for c in cols)
            cur.execute('SELECT %s FROM %s."%s"' % (select, schema, rel))
            rows = cur.fetchall()
            db.execute('CREATE TABLE %s."%s" (%s)' % (schema, rel, ", ".join(
                '"%s" %s' % (c[0], _affinity(c[1], c[2])) for c in cols)))
            db.executemany('INSERT INTO %s."%s" VALUES (%s)' % (
                schema, rel, ", ".join("?" * len(cols))), [tuple(map(_to_sqlite, r)) for r in rows])
    return db


def normalize_pg_value(value: Any, type_name: str) -> Any:
    """A PostgreSQL result value in the shape the SQLite side stores."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if type_name in _VECTORS and isinstance(value, str):
        return [int(x) for x in value.split()]
    if isinstance(value, (list, tuple)):
        return [normalize_pg_value(v, "") for v in value]
    if isinstance(value, str) and re.match(r"^\{.*\}$", value) and type_name.endswith("[]"):
        inner = value[1:-1]
        return [] if not inner else inner.split(",")
    return value


# ---- running a statement on both sides and comparing ------------------------

def pg_result(pg, sql: str, params: Tuple[Any, ...]) -> Tuple[List[str], List[str], list]:
    """Run in PostgreSQL with the server's own parameter typing ($n placeholders)."""
    if params:
        return run_raw(pg, sql, params)
    cur = pg.cursor()
    cur.execute(sql)
    names = [d.name for d in cur.description]
    types = [type_name_of(pg, d.type_code) for d in cur.description]
    return names, types, cur.fetchall()


def run_raw(pg, sql: str, params: Tuple[Any, ...]):
    """Execute *sql* with $n placeholders through the extended protocol."""
    import psycopg
    pgconn = pg.pgconn
    res = pgconn.exec_params(sql.encode(), [None if p is None else str(p).encode()
                                            for p in params])
    if res.status != 2:  # TUPLES_OK
        raise AssertionError(res.error_message.decode())
    names = [res.fname(i).decode() for i in range(res.nfields)]
    types = [type_name_of(pg, res.ftype(i)) for i in range(res.nfields)]
    loader = psycopg.adapt.Transformer(pg)
    loader.set_pgresult(res)
    rows = [loader.load_row(r, tuple) for r in range(res.ntuples)]
    return names, types, rows


_TYPE_CACHE: Dict[int, str] = {}


def type_name_of(pg, oid: int) -> str:
    if oid not in _TYPE_CACHE:
        _TYPE_CACHE[oid] = pg.execute("SELECT format_type(%s, NULL)", (oid,)).fetchone()[0]
    return _TYPE_CACHE[oid]


def normalize_sqlite_cell(pg, value: Any, type_name: str) -> Any:
    if value is None:
        return None
    if type_name.endswith("[]") or type_name in ("int2vector", "oidvector"):
        if isinstance(value, str) and value.startswith("["):
            items = json.loads(value)
            if type_name in ("\"char\"[]", "text[]", "name[]", "aclitem[]"):
                return [None if i is None else str(i) for i in items]
            return items
        return value
    if type_name.startswith("reg") and isinstance(value, int):
        return pg.execute("SELECT %%s::oid::%s::text" % type_name, (value,)).fetchone()[0]
    if type_name == "boolean" and isinstance(value, int):
        return value
    if type_name == "numeric" and isinstance(value, (int, float)):
        return float(value)
    return value


def normalize_pg_cell(value: Any, type_name: str) -> Any:
    value = normalize_pg_value(value, type_name)
    if type_name == "numeric" and value is not None:
        return float(value)
    if type_name in ("\"char\"[]", "text[]", "name[]", "aclitem[]") and isinstance(value, list):
        return [None if i is None else str(i) for i in value]
    return value


def normalize_sqlite_result(pg, rows: Iterable[tuple], types: Sequence[str]) -> List[tuple]:
    return [tuple(normalize_sqlite_cell(pg, v, t) for v, t in zip(row, types)) for row in rows]


def normalize_pg_result(rows: Iterable[tuple], types: Sequence[str]) -> List[tuple]:
    return [tuple(normalize_pg_cell(v, t) for v, t in zip(row, types)) for row in rows]


_INT_PARAM_TYPES = frozenset(["smallint", "integer", "bigint", "oid"])


def sqlite_params(pg, sql: str, params: Sequence[Optional[str]]) -> Tuple[Any, ...]:
    """Text parameters as the engine binds them: typed the way PostgreSQL
    infers each ``$n`` of *sql* (integers and oids as INTEGER, bool as 0/1,
    floats as REAL, everything else as the text sent)."""
    if not params:
        return ()
    res = pg.pgconn.prepare(b"", sql.encode())
    if res.status != 1:  # COMMAND_OK
        raise AssertionError(res.error_message.decode())
    desc = pg.pgconn.describe_prepared(b"")
    out: List[Any] = []
    for i, value in enumerate(params):
        kind = type_name_of(pg, desc.param_type(i))
        if value is None:
            out.append(None)
        elif kind in _INT_PARAM_TYPES:
            out.append(int(value))
        elif kind == "boolean":
            out.append(int(pg.execute("SELECT %s::bool", (value,)).fetchone()[0]))
        elif kind in ("real", "double precision", "numeric"):
            out.append(float(value))
        else:
            out.append(value)
    return tuple(out)
