"""Catalog engine: laziness, errors, typing and thread safety.

SQL is written in the SQLite form of the catalog contract (the translator
is another branch); see catalog_engine_standin.py.
"""
from __future__ import annotations

import threading
from typing import Any, Dict, List

import pytest

from catalog_engine_standin import OutputColumn as OC, StandInTranslator
from riffq._catalog.engine import CatalogEngine, CatalogSession
from riffq._catalog.registry import CatalogRegistry
from riffq._wire import pgtypes as T
from riffq._wire.errors import PgError


def make_session(database: str = "shop", user: str = "alice", settings: Dict[str, str] = None,
                 activity: List[Dict[str, Any]] = ()) -> CatalogSession:
    values = {"search_path": '"$user", public', "TimeZone": "UTC", "DateStyle": "ISO, MDY"}
    values.update(settings or {})

    def set_setting(name: str, value: str, is_local: bool) -> str:
        values[name] = value
        return value
    return CatalogSession(database, user, 4242, "tests", values.get, set_setting,
                          lambda: list(activity), "15.4")


@pytest.fixture
def registry() -> CatalogRegistry:
    reg = CatalogRegistry()
    reg.register_table("shop", "public", "orders", [
        {"id": {"type": "bigint", "nullable": False, "primary_key": True, "comment": "order id"}},
        {"item": {"type": "varchar(40)"}},
        {"price": {"type": "numeric(12,2)"}},
    ])
    reg.register_table("shop", "sales", "leads", [{"name": {"type": "text"}}])
    reg.register_database("other")
    return reg


@pytest.fixture
def tl() -> StandInTranslator:
    return StandInTranslator()


def test_current_schemas_is_a_name_array_list(registry, tl) -> None:
    eng = CatalogEngine(registry, tl)
    sql = tl.tr("SELECT current_schemas(1), current_schemas(0), current_schema()",
                [OC("current_schemas", function="current_schemas"),
                 OC("current_schemas", function="current_schemas"),
                 OC("current_schema", function="current_schema")])
    cols, rows = eng.execute(sql, [], make_session())
    assert [t for _, t in cols] == [T.NAME_ARRAY, T.NAME_ARRAY, T.NAME]
    assert rows == [(["pg_catalog", "public"], ["public"], "public")]
    # search_path is read live from the session
    cols, rows = eng.execute(sql, [], make_session(settings={"search_path": "sales, public"}))
    assert rows == [(["pg_catalog", "sales", "public"], ["sales", "public"], "sales")]


def test_user_tables_reach_pg_class_and_pg_attribute(registry, tl) -> None:
    eng = CatalogEngine(registry, tl)
    sql = tl.tr("SELECT c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod), "
                "a.attnotnull, a.attnum FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
                "AND a.attnum > 0 ORDER BY c.relname, a.attnum",
                [OC("relname", source=("pg_class", "relname")), OC("relkind", source=("pg_class", "relkind")),
                 OC("attname", source=("pg_attribute", "attname")), OC("format_type", function="format_type"),
                 OC("attnotnull", source=("pg_attribute", "attnotnull")),
                 OC("attnum", source=("pg_attribute", "attnum"))],
                ["pg_class", "pg_attribute", "pg_namespace"])
    cols, rows = eng.execute(sql, [], make_session())
    assert [t.name for _, t in cols] == ["name", "char", "name", "text", "bool", "int2"]
    assert rows == [
        ("orders", "r", "id", "bigint", True, 1),
        ("orders", "r", "item", "character varying(40)", False, 2),
        ("orders", "r", "price", "numeric(12,2)", False, 3),
        ("orders_pkey", "i", "id", "bigint", False, 1),
    ]
    # another database sees none of shop's tables
    assert eng.execute(sql, [], make_session("other"))[1] == []


def test_class_rows_are_in_pg_class_column_order() -> None:
    """class_row gives pg_class rows as tuples, inserted as they are: their
    order must be the catalog data's, or every column after a difference
    would land in its neighbour's place."""
    from riffq._catalog.content import static_catalog
    from riffq._catalog.content_relrows import CLASS_COLUMNS, class_row
    assert CLASS_COLUMNS == tuple(static_catalog().relations["pg_class"].column_names)
    row = dict(zip(CLASS_COLUMNS, class_row(16390, "t", 2200, 16392, "r", 3, owner=10,
                                            has_index=True, toast=16393)))
    assert (row["oid"], row["relname"], row["relnamespace"], row["reltype"], row["relam"],
            row["relfilenode"], row["relkind"], row["relnatts"], row["reltoastrelid"],
            row["relhasindex"], row["relreplident"], row["relacl"]) == \
        (16390, "t", 2200, 16392, 2, 16390, "r", 3, 16393, True, "d", None)
    # each flag lands in its own column
    for flag, column in (("has_index", "relhasindex"), ("has_rules", "relhasrules"),
                         ("has_triggers", "relhastriggers"), ("row_security", "relrowsecurity")):
        row = dict(zip(CLASS_COLUMNS, class_row(1, "x", 2, 3, "r", 1, **{flag: True})))
        assert [c for c in CLASS_COLUMNS if row[c] is True] == [column, "relispopulated"]
    index = dict(zip(CLASS_COLUMNS, class_row(16394, "t_pkey", 2200, 0, "i", 1)))
    assert (index["relam"], index["relpages"], index["reltuples"], index["relminmxid"],
            index["relreplident"]) == (403, 1, 0.0, 0, "n")


def test_attribute_rows_are_in_pg_attribute_column_order() -> None:
    """attribute_row gives pg_attribute rows as tuples, inserted as they
    are, as class_row does for pg_class."""
    from riffq._catalog.content import static_catalog
    from riffq._catalog.content_relrows import ATTRIBUTE_COLUMNS, attribute_row, system_attributes
    static = static_catalog()
    assert ATTRIBUTE_COLUMNS == tuple(static.relations["pg_attribute"].column_names)
    row = dict(zip(ATTRIBUTE_COLUMNS, attribute_row(static, 16390, 2, "label", 25, -1, True,
                                                    hasdef=True)))
    assert len(row) == len(ATTRIBUTE_COLUMNS)
    assert (row["attrelid"], row["attname"], row["atttypid"], row["attstattarget"], row["attlen"],
            row["attnum"], row["atttypmod"], row["attstorage"], row["attnotnull"],
            row["atthasdef"], row["attisdropped"], row["attislocal"], row["attcollation"],
            row["attacl"]) == \
        (16390, "label", 25, -1, -1, 2, -1, "x", True, True, False, True, 100, None)
    # an array of text: one dimension; storage and collation given
    arr = dict(zip(ATTRIBUTE_COLUMNS, attribute_row(static, 1, 1, "tags", 1009, -1, False,
                                                    storage="p", collation=950)))
    assert (arr["attndims"], arr["attstorage"], arr["attcollation"]) == (1, "p", 950)
    # a type without a collation keeps none, whatever is asked
    num = dict(zip(ATTRIBUTE_COLUMNS, attribute_row(static, 1, 1, "n", 23, -1, False, collation=950)))
    assert (num["attcollation"], num["attbyval"], num["attlen"]) == (0, True, 4)
    ctid = dict(zip(ATTRIBUTE_COLUMNS, system_attributes(static, 7)[-1]))
    assert (ctid["attname"], ctid["attnum"], ctid["attstattarget"], ctid["attnotnull"]) == \
        ("ctid", -1, 0, True)


def test_oids_are_stable_across_engines(registry, tl) -> None:
    sql = tl.tr("SELECT oid, relname FROM pg_class WHERE oid >= 16384 ORDER BY relname", None,
                ["pg_class"])
    first = CatalogEngine(registry, tl).execute(sql, [], make_session())[1]
    second = CatalogEngine(registry, tl).execute(sql, [], make_session())[1]
    # orders, orders_pkey, leads and leads' TOAST table and index (its text column)
    assert first == second and len(first) == 5
    assert all(oid >= 16384 for oid, _ in first)


def test_regclass_renders_names_and_looks_up(registry, tl) -> None:
    eng = CatalogEngine(registry, tl)
    sql = tl.tr("SELECT pg_cast(pg_cast('sales.leads', 'regclass'), 'regclass'), "
                "pg_cast(pg_cast('orders', 'regclass'), 'regclass'), pg_cast(1259, 'regclass'), "
                "pg_cast(pg_cast('pg_type', 'regclass'), 'oid')",
                [OC("regclass", cast="regclass"), OC("regclass", cast="regclass"),
                 OC("regclass", cast="regclass"), OC("oid", cast="oid")])
    cols, rows = eng.execute(sql, [], make_session())
    leads, orders, pgclass, pgtype = rows[0]
    assert isinstance(leads, T.OidName) and leads.text == "sales.leads"
    assert orders.text == "orders" and pgclass.text == "pg_class" and int(pgclass) == 1259
    assert pgtype == 1247
    with pytest.raises(PgError) as err:
        eng.execute(tl.tr("SELECT pg_cast('nope', 'regclass')"), [], make_session())
    assert err.value.sqlstate == "42P01" and 'relation "nope" does not exist' in err.value.message


def test_primary_key_and_comments(registry, tl) -> None:
    eng = CatalogEngine(registry, tl)
    sql = tl.tr("SELECT con.conname, con.contype, con.conkey, pg_get_constraintdef(con.oid), "
                "pg_get_indexdef(con.conindid), i.indkey, i.indisprimary, "
                "col_description(con.conrelid, 1), obj_description(con.conrelid, 'pg_class') "
                "FROM pg_constraint con JOIN pg_index i ON i.indexrelid = con.conindid "
                "WHERE con.conrelid >= 16384",  # not the system catalogs' own keys
                [OC("conname", source=("pg_constraint", "conname")),
                 OC("contype", source=("pg_constraint", "contype")),
                 OC("conkey", source=("pg_constraint", "conkey")),
                 OC("pg_get_constraintdef", function="pg_get_constraintdef"),
                 OC("pg_get_indexdef", function="pg_get_indexdef"),
                 OC("indkey", source=("pg_index", "indkey")),
                 OC("indisprimary", source=("pg_index", "indisprimary")),
                 OC("col_description", function="col_description"),
                 OC("obj_description", function="obj_description")],
                ["pg_constraint", "pg_index"])
    cols, rows = eng.execute(sql, [], make_session())
    assert [t.name for _, t in cols] == ["name", "char", "_int2", "text", "text", "int2vector",
                                         "bool", "text", "text"]
    assert rows == [("orders_pkey", "p", [1], "PRIMARY KEY (id)",
                     "CREATE UNIQUE INDEX orders_pkey ON orders USING btree (id)", [1], True,
                     "order id", None)]


class CountingSource:
    """A lazy source that records every call."""

    def __init__(self, fail: str = "", malformed: str = "") -> None:
        self.calls: List[str] = []
        self.fail = fail
        self.malformed = malformed

    def _rows(self, method: str, rows: List[Dict[str, Any]], cb: Any) -> None:
        self.calls.append(method)
        if method == self.fail:
            raise RuntimeError("backend down")
        if method == self.malformed:
            rows = [{"name": 42}]
        cb(rows)

    def databases(self, cb: Any) -> None:
        self._rows("databases", [{"oid": 70000, "name": "lazydb"}], cb)

    def schemas(self, database: str, cb: Any) -> None:
        self._rows("schemas", [{"oid": 70001, "name": "app"}], cb)

    def relations(self, database: str, schema: str, cb: Any) -> None:
        rows = [{"oid": 70002, "name": "events", "reltype_oid": 70003, "kind": "table"}] \
            if schema == "app" else []
        self._rows("relations", rows, cb)

    def columns(self, database: str, schema: str, relation: str, cb: Any) -> None:
        self._rows("columns", [{"name": "id", "type_oid": 20, "nullable": False},
                               {"name": "payload", "type_oid": 3802}], cb)


def test_lazy_source_is_read_only_for_touched_relations(tl) -> None:
    reg = CatalogRegistry()
    src = CountingSource()
    reg.set_lazy_source(src)
    eng = CatalogEngine(reg, tl)
    session = make_session("lazydb")
    db_sql = tl.tr("SELECT datname, oid FROM pg_database ORDER BY oid", None, ["pg_database"])
    rows = eng.execute(db_sql, [], session)[1]
    assert ("lazydb", 70000) in rows and ("postgres", 5) in rows
    assert src.calls == ["databases"]
    src.calls.clear()
    eng.execute(tl.tr("SELECT oid, relname FROM pg_class WHERE oid = 70002", None, ["pg_class"]),
                [], session)
    assert "columns" not in src.calls and "relations" in src.calls
    src.calls.clear()
    att = tl.tr("SELECT attname, atttypid FROM pg_attribute "
                "WHERE attrelid = 70002 AND attnum > 0 ORDER BY attnum", None, ["pg_attribute"])
    assert eng.execute(att, [], session)[1] == [("id", 20), ("payload", 3802)]
    assert src.calls.count("columns") == 1
    # live: every statement asks again
    src.calls.clear()
    eng.execute(db_sql, [], session)
    assert src.calls == ["databases"]
    # a statement touching no user relation asks nothing
    src.calls.clear()
    eng.execute(tl.tr("SELECT typname FROM pg_type WHERE oid = 23", None, ["pg_type"]), [], session)
    eng.execute(tl.tr("SELECT version()"), [], session)
    assert "columns" not in src.calls and "databases" not in src.calls


@pytest.mark.parametrize("method", ["databases", "schemas", "relations", "columns"])
def test_lazy_source_failures_name_the_method(tl, method) -> None:
    reg = CatalogRegistry()
    reg.set_lazy_source(CountingSource(fail=method))
    eng = CatalogEngine(reg, tl)
    sql = tl.tr("SELECT count(*) FROM pg_database, pg_attribute", None,
                ["pg_database", "pg_attribute"])
    with pytest.raises(PgError) as err:
        eng.execute(sql, [], make_session("lazydb"))
    assert err.value.sqlstate == "XX000"
    assert "lazy catalog source %s() failed" % method in err.value.message
    assert "backend down" in err.value.message
    reg2 = CatalogRegistry()
    reg2.set_lazy_source(CountingSource(malformed=method))
    with pytest.raises(PgError) as err:
        CatalogEngine(reg2, tl).execute(sql, [], make_session("lazydb"))
    assert err.value.sqlstate == "XX000" and "%s() returned a malformed row" % method in err.value.message
    # the engine is still usable afterwards
    one = tl.tr("SELECT 1", [OC("?column?", literal="int4")])
    assert eng.execute(one, [], make_session("lazydb")) == ([("?column?", T.INT4)], [(1,)])


def test_a_statements_catalog_rows_are_written_in_one_transaction(registry, tl) -> None:
    """The user's rows a statement reads go into SQLite inside one BEGIN ...
    COMMIT (inserted one autocommitted row at a time, 10,000 tables' pg_class
    took a third longer), and none is left open, also when a lazy source
    fails in the middle."""
    eng = CatalogEngine(registry, tl)
    seen: List[str] = []
    eng._conn.set_trace_callback(seen.append)
    sql = tl.tr("SELECT count(*) FROM pg_class, pg_attribute", None, ["pg_class", "pg_attribute"])
    eng.execute(sql, [], make_session())
    writes = [i for i, s in enumerate(seen) if s.startswith(("INSERT", "DELETE"))]
    assert writes and seen.count("BEGIN") == 1 and seen.count("COMMIT") == 1
    assert seen.index("BEGIN") < writes[0] and max(i for i in writes if seen[i].startswith("INSERT")) \
        < seen.index("COMMIT")
    assert not eng._conn.in_transaction
    # rows that stay between statements are not written again: no transaction then
    seen.clear()
    eng.execute(tl.tr("SELECT count(*) FROM pg_class", None, ["pg_class"]), [], make_session())
    assert "BEGIN" not in seen and not eng._conn.in_transaction

    reg = CatalogRegistry()
    reg.set_lazy_source(CountingSource(fail="columns"))
    eng = CatalogEngine(reg, tl)
    with pytest.raises(PgError):
        eng.execute(tl.tr("SELECT count(*) FROM pg_class, pg_attribute", None,
                          ["pg_class", "pg_attribute"]), [], make_session("lazydb"))
    assert not eng._conn.in_transaction
    one = tl.tr("SELECT 1", [OC("?column?", literal="int4")])
    assert eng.execute(one, [], make_session("lazydb")) == ([("?column?", T.INT4)], [(1,)])


def test_unknown_relation_function_column(registry, tl) -> None:
    eng = CatalogEngine(registry, tl)
    cases = [
        (tl.tr("SELECT * FROM pg_nosuch", None, ["pg_nosuch"]), "42P01", 'relation "pg_nosuch" does not exist'),
        (tl.tr("SELECT * FROM pg_catalog.pg_nothing"), "42P01", 'relation "pg_nothing" does not exist'),
        (tl.tr("SELECT no_such_fn(1)"), "42883", "function no_such_fn"),
        (tl.tr("SELECT nosuchcol FROM pg_class", None, ["pg_class"]), "42703", 'column "nosuchcol"'),
        (tl.tr("SELECT current_setting('no.such')"), "42704", 'unrecognized configuration parameter "no.such"'),
        (tl.tr("SELECT pg_cast('abc', 'int4')"), "22P02", 'invalid input syntax for type integer: "abc"'),
        (tl.tr("SELECT pg_regex('a', '(', 0)"), "2201B", "invalid regular expression"),
    ]
    for sql, state, text in cases:
        with pytest.raises(PgError) as err:
            eng.execute(sql, [], make_session())
        assert err.value.sqlstate == state, sql
        assert text in err.value.message, sql


def test_translator_errors_keep_their_sqlstate(registry) -> None:
    class Unsupported(Exception):
        sqlstate = "0A000"
        message = "catalog emulation does not support LATERAL"

    def translate(sql: str) -> Any:
        raise Unsupported()
    with pytest.raises(PgError) as err:
        CatalogEngine(registry, translate).execute("SELECT ...", [], make_session())
    assert (err.value.sqlstate, err.value.message) == ("0A000", Unsupported.message)


def test_settings_and_set_config(registry, tl) -> None:
    eng = CatalogEngine(registry, tl)
    session = make_session(settings={"application_name": "psql"})
    sql = tl.tr("SELECT name, setting FROM pg_settings WHERE name IN ('application_name', 'DateStyle')"
                " ORDER BY name", None, ["pg_settings"])
    assert eng.execute(sql, [], session)[1] == [("DateStyle", "ISO, MDY"), ("application_name", "psql")]
    setc = tl.tr("SELECT set_config('application_name', 'x', 0)",
                 [OC("set_config", function="set_config")])
    # describe has no side effects; execute does
    assert eng.describe(setc, session)[1][0][1] == T.TEXT
    assert session.get_setting("application_name") == "psql"
    assert eng.execute(setc, [], session)[1] == [("x",)]
    assert session.get_setting("application_name") == "x"


def test_settings_with_units_count_in_their_units(registry, tl) -> None:
    """SHOW prints "8MB"; pg_settings.setting counts the same in its unit
    (kB, 8kB blocks, MB, s...), and is "session" only when it differs."""
    eng = CatalogEngine(registry, tl)
    session = make_session(settings={"work_mem": "8MB", "effective_cache_size": "4GB", "max_wal_size": "1GB",
                                     "checkpoint_timeout": "5min", "statement_timeout": "90s"})
    sql = tl.tr("SELECT name, setting, unit, source FROM pg_settings WHERE name IN ('work_mem', "
                "'effective_cache_size', 'max_wal_size', 'checkpoint_timeout', 'statement_timeout') ORDER BY name",
                None, ["pg_settings"])
    assert eng.execute(sql, [], session)[1] == [
        ("checkpoint_timeout", "300", "s", "default"), ("effective_cache_size", "524288", "8kB", "default"),
        ("max_wal_size", "1024", "MB", "default"), ("statement_timeout", "90000", "ms", "session"),
        ("work_mem", "8192", "kB", "session")]


def test_stat_activity_is_live(registry, tl) -> None:
    import datetime as dt
    started = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
    acts = [{"pid": 7, "usename": "alice", "datname": "shop", "application_name": "psql",
             "client_addr": "127.0.0.1", "client_port": 5555, "backend_start": started,
             "state": "active", "query": "SELECT 1"}]
    eng = CatalogEngine(registry, tl)
    sql = tl.tr("SELECT pid, usename, client_addr, backend_start, state FROM pg_stat_activity",
                None, ["pg_stat_activity"])
    cols, rows = eng.execute(sql, [], make_session(activity=acts))
    assert [t.name for _, t in cols] == ["int4", "name", "inet", "timestamptz", "text"]
    assert rows == [(7, "alice", "127.0.0.1", started, "active")]


def test_describe_matches_execute_types_and_params(registry, tl) -> None:
    eng = CatalogEngine(registry, tl)
    sql = tl.tr("SELECT c.relname, c.oid FROM pg_class c WHERE c.relname = ?1 AND c.relnamespace = ?2",
                None, ["pg_class"])
    params, cols = eng.describe(sql, make_session())
    assert params == [25, 25]
    assert cols == [("relname", T.NAME), ("oid", T.OID)]
    ecols, rows = eng.execute(sql, ["orders", "2200"], make_session())
    assert ecols == cols and rows[0][0] == "orders"


def test_concurrent_execute_from_threads(registry, tl) -> None:
    eng = CatalogEngine(registry, tl)
    by_db = tl.tr("SELECT current_database(), count(*) FROM pg_class WHERE oid >= 16384",
                  [OC("current_database", function="current_database"), OC("count", function="count")],
                  ["pg_class"])
    expected = {"shop": ("shop", 5), "other": ("other", 0)}  # TOAST rows included
    errors: List[BaseException] = []

    def worker(db: str) -> None:
        try:
            for _ in range(40):
                rows = eng.execute(by_db, [], make_session(db))[1]
                assert rows == [expected[db]], rows
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(db,)) for db in ("shop", "other") * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[0]
