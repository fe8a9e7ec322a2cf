"""What the catalog engine keeps between statements, and when it lets go.

Registered (eager) objects are materialised once per registry generation;
a registration made later must show up in the very next statement, each
database must see only its own tables, a lazy source must still be asked on
every statement, and a translation is reused only for the identical text.
"""
from __future__ import annotations

from typing import Any, List

import pytest

from riffq._catalog.engine import CatalogEngine, CatalogSession, oid_literal_shape
from riffq._catalog.registry import CatalogRegistry
from riffq._catalog.translate import translate
from riffq._wire.errors import PgError

TABLES = ("SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
          "ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1")
COLUMNS = ("SELECT table_name, column_name FROM information_schema.columns "
           "WHERE table_schema = 'public' ORDER BY 1, ordinal_position")


def session(database: str = "shop") -> CatalogSession:
    values = {"search_path": '"$user", public'}
    return CatalogSession(database, "alice", 1, "tests", values.get, lambda *a: "",
                          lambda: [], "15.4")


class CountingTranslator:
    def __init__(self) -> None:
        self.calls: List[str] = []

    def __call__(self, sql: str) -> Any:
        self.calls.append(sql)
        return translate(sql, use_sqlglot=False)


def names(engine: CatalogEngine, sql: str, database: str = "shop") -> List[Any]:
    return engine.execute(sql, [], session(database))[1]


def test_a_later_registration_is_seen_by_the_next_statement() -> None:
    reg = CatalogRegistry()
    reg.register_table("shop", "public", "a", [{"id": {"type": "int"}}])
    eng = CatalogEngine(reg, CountingTranslator())
    assert names(eng, TABLES) == [("a",)]
    assert names(eng, COLUMNS) == [("a", "id")]
    reg.register_table("shop", "public", "b", [{"x": {"type": "text"}}, {"y": {"type": "int"}}])
    assert names(eng, TABLES) == [("a",), ("b",)]
    assert names(eng, COLUMNS) == [("a", "id"), ("b", "x"), ("b", "y")]
    # re-registering a table with other columns replaces them
    reg.register_table("shop", "public", "a", [{"renamed": {"type": "int"}}])
    assert names(eng, COLUMNS) == [("a", "renamed"), ("b", "x"), ("b", "y")]


def test_each_database_sees_its_own_tables_when_statements_alternate() -> None:
    reg = CatalogRegistry()
    reg.register_table("shop", "public", "orders", [{"id": {"type": "int"}}])
    reg.register_table("crm", "public", "leads", [{"id": {"type": "int"}}])
    eng = CatalogEngine(reg, CountingTranslator())
    for _ in range(2):
        assert names(eng, TABLES, "shop") == [("orders",)]
        assert names(eng, TABLES, "crm") == [("leads",)]
        assert names(eng, TABLES, "postgres") == []


class OneTableSource:
    def __init__(self) -> None:
        self.calls: List[str] = []
        self.table = "events"

    def databases(self, cb: Any) -> None:
        self.calls.append("databases")
        cb([{"oid": 70000, "name": "shop"}])

    def schemas(self, database: str, cb: Any) -> None:
        self.calls.append("schemas")
        cb([])

    def relations(self, database: str, schema: str, cb: Any) -> None:
        self.calls.append("relations")
        cb([{"oid": 70002, "name": self.table}] if schema == "public" else [])

    def columns(self, database: str, schema: str, relation: str, cb: Any) -> None:
        self.calls.append("columns")
        cb([{"name": "id", "type_oid": 20}])


def test_a_lazy_source_replaces_kept_rows_and_is_read_on_every_statement() -> None:
    reg = CatalogRegistry()
    reg.register_table("shop", "public", "eager_one", [{"id": {"type": "int"}}])
    eng = CatalogEngine(reg, CountingTranslator())
    assert names(eng, TABLES) == [("eager_one",)]
    src = OneTableSource()
    reg.set_lazy_source(src)
    assert names(eng, TABLES) == [("events",)]
    src.table = "renamed"
    assert names(eng, TABLES) == [("renamed",)]
    assert src.calls.count("relations") == 2


def test_translations_are_reused_for_the_same_text_only() -> None:
    reg = CatalogRegistry()
    reg.register_table("shop", "public", "a", [{"id": {"type": "int"}}])
    tl = CountingTranslator()
    eng = CatalogEngine(reg, tl)
    names(eng, TABLES)
    names(eng, TABLES)
    names(eng, TABLES + " LIMIT 5")
    assert tl.calls == [TABLES, TABLES + " LIMIT 5"]
    bad = "SELECT relname FROM pg_catalog.pg_class WHERE"
    for _ in range(2):
        with pytest.raises(PgError) as err:
            names(eng, bad)
        assert err.value.sqlstate == "42601"
    assert tl.calls.count(bad) == 2      # failures are not kept


def test_statements_differing_in_quoted_oids_share_one_translation() -> None:
    """psql quotes each table's OID into its \\d statements: describing
    another table must reuse the translation and still answer for the OID
    it was given."""
    reg = CatalogRegistry()
    reg.register_table("shop", "public", "a", [{"id": {"type": "int"}}])
    reg.register_table("shop", "public", "b", [{"x": {"type": "text"}}, {"y": {"type": "int"}}])
    tl = CountingTranslator()
    eng = CatalogEngine(reg, tl)
    oids = dict(names(eng, "SELECT c.relname, c.oid FROM pg_catalog.pg_class c "
                           "WHERE c.relname IN ('a', 'b')"))
    template = ("SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = '%d' "
                "AND a.attnum > 0 AND '%d' = '%d' ORDER BY a.attnum")
    assert names(eng, template % (oids["a"], oids["a"], oids["a"])) == [("id",)]
    assert names(eng, template % (oids["b"], oids["b"], oids["b"])) == [("x",), ("y",)]
    # the same OID must not be confused with another one in the same statement
    assert names(eng, template % (oids["b"], oids["a"], oids["b"])) == []
    shaped = [sql for sql in tl.calls if "attrelid" in sql]
    assert len(shaped) == 2 and all(str(oids["a"]) not in sql for sql in shaped)


def test_a_number_like_the_stand_ins_keeps_the_statement_as_written() -> None:
    tl = CountingTranslator()
    eng = CatalogEngine(CatalogRegistry(), tl)
    sql = ("SELECT count(*) FROM pg_catalog.pg_class WHERE oid = '16390' "
           "OR oid = '9000000000'")
    assert names(eng, sql) == [(0,)]
    assert tl.calls == [sql]


def test_anchored_name_patterns_match_exactly() -> None:
    """psql's ``relname ~ '^(name)$'`` is answered as an equality: the same
    rows, case-sensitive, and other patterns still go through the regex."""
    reg = CatalogRegistry()
    for name in ("users", "Users", "users2"):
        reg.register_table("shop", "public", name, [{"id": {"type": "int"}}])
    eng = CatalogEngine(reg, CountingTranslator())
    base = ("SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relkind = 'r' AND "
            "c.relnamespace = 2200 AND c.relname ")
    assert names(eng, base + "OPERATOR(pg_catalog.~) '^(users)$'") == [("users",)]
    assert names(eng, base + "~ '^(Users)$' ORDER BY 1") == [("Users",)]
    assert names(eng, base + "~* '^(users)$' ORDER BY 1") == [("Users",), ("users",)]
    assert names(eng, base + "~ '^(users.*)$' ORDER BY 1") == [("users",), ("users2",)]
    assert names(eng, base + "!~ '^(users)$' ORDER BY 1") == [("Users",), ("users2",)]


def test_lookups_of_different_names_share_one_translation() -> None:
    """psql's ``\\d orders`` looks the table up with ``relname ~ '^(orders)$'``:
    describing another table reuses the translation, answers for the name
    it was given, and keeps the operator's case rules."""
    reg = CatalogRegistry()
    for name in ("orders", "Orders", "lines"):
        reg.register_table("shop", "public", name, [{"id": {"type": "int"}}])
    tl = CountingTranslator()
    eng = CatalogEngine(reg, tl)
    lookup = ("SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relname "
              "OPERATOR(pg_catalog.%s) '^(%s)$' AND c.relkind = 'r' ORDER BY 1")
    assert names(eng, lookup % ("~", "orders")) == [("orders",)]
    assert names(eng, lookup % ("~", "lines")) == [("lines",)]
    assert names(eng, lookup % ("~", "Orders")) == [("Orders",)]
    assert names(eng, lookup % ("~", "missing")) == []
    assert names(eng, lookup % ("~*", "ORDERS")) == [("Orders",), ("orders",)]
    assert names(eng, lookup % ("~*", "LINES")) == [("lines",)]
    shaped = [sql for sql in tl.calls if "relname" in sql]
    assert len(shaped) == 2 and not any(n in sql for sql in shaped for n in ("orders", "lines"))
    # a pattern that is not a plain name is translated as written
    assert names(eng, lookup % ("~", "or.*")) == [("orders",)]
    assert tl.calls[-1] == lookup % ("~", "or.*")


def test_a_translation_that_loses_a_stand_in_is_not_used() -> None:
    shaped, put_back, values = oid_literal_shape("SELECT 1 WHERE '16390' = '16391' OR x ~ '^(orders)$'")
    assert shaped == "SELECT 1 WHERE '9000000000' = '9000000001' OR x ~ '^(9000000002)$'"
    assert put_back(shaped) == "SELECT 1 WHERE '16390' = '16391' OR x ~ '^(orders)$'"
    assert values == ("16390", "16391", "orders")
    assert put_back("SELECT 1 WHERE '9000000000' = '9000000001'") is None
    assert put_back(shaped + " AND '9000000003' = 1") is None


def test_oids_and_names_run_as_parameters_of_one_sqlite_text() -> None:
    """SQLite keeps prepared statements by text: with the OID and the name
    bound as parameters, psql's statements for the next table run the
    very text already prepared."""
    reg = CatalogRegistry()
    reg.register_table("shop", "public", "a", [{"id": {"type": "int"}}, {"v": {"type": "text"}}])
    eng = CatalogEngine(reg, CountingTranslator())
    attrs = ("SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = '%s' "
             "AND a.attnum > $1 ORDER BY a.attnum")
    first, bound_first = eng._translated_bound(attrs % "16390", 1)
    second, bound_second = eng._translated_bound(attrs % "16402", 1)
    assert first.sql == second.sql and "16390" not in first.sql and "?2" in first.sql
    assert (bound_first, bound_second) == (["16390"], ["16402"])
    oid = names(eng, "SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relname = 'a'")[0][0]
    assert eng.execute(attrs % oid, ["1"], session())[1] == [("v",)]
    assert eng.execute(attrs % oid, ["0"], session())[1] == [("id",), ("v",)]
    lookup = "SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relname OPERATOR(pg_catalog.%s) '^(%s)$'"
    tr, bound = eng._translated_bound(lookup % ("~", "orders"), 0)
    assert bound == ["orders"] and "orders" not in tr.sql
    # inside a longer literal (a case-blind pattern) the name is put back as text
    tr, bound = eng._translated_bound(lookup % ("~*", "orders"), 0)
    assert bound == [] and "'^(orders)$'" in tr.sql
