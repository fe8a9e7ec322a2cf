"""SQL forms of catalog statements, each answered as PostgreSQL 15 answers it.

psqlODBC's catalog queries (``test_catalog_odbc.py``) brought three forms
that neither translator read as PostgreSQL does, and a fourth riffq sent
to the wrong place:

- joins nested in parentheses, with a table or a subquery first
  (``from ((pg_class c join ...) join ...)``), told apart from a query in
  parentheses (``from ((select ...)) s``);
- an unqualified name in a join condition that a relation joined later
  also has (PostgreSQL looks only among the join's inputs);
- a string constant compared with a boolean column (``indisprimary =
  't'``): PostgreSQL reads the constant as a boolean; riffq compared text
  with 0/1 and found no rows;
- and with its UseDeclareFetch option, ``DECLARE ... CURSOR FOR`` a
  catalog query, which riffq gave to the handler.

Each statement runs on real PostgreSQL and on riffq (both translators)
holding the corpus schema, and the answers must agree.
"""
from __future__ import annotations

import psycopg
import pytest

from catalog_clients import postgres, riffq  # noqa: F401 (fixtures)
from catalog_compare import ServerContext, compare_answers, normalise, run_statement
from riffq._catalog.sqlparse import parse_statement
from riffq._catalog.translate import UnsupportedSql, sqlglot_available, translate

pytestmark = pytest.mark.catalog_engine

STATEMENTS = [
    # parenthesized joins
    "select c.relname, n.nspname from ((pg_catalog.pg_class c join pg_catalog.pg_namespace n "
    "on n.oid = c.relnamespace) join pg_catalog.pg_type t on t.typrelid = c.oid) "
    "where n.nspname = 'sales' order by 1",
    "select c.relname, a.attname from (((pg_class c inner join pg_namespace n on n.oid = "
    "c.relnamespace and n.nspname like 'public') inner join pg_attribute a on a.attrelid = c.oid "
    "and a.attnum > 0) inner join pg_type t on t.oid = a.atttypid) left outer join pg_attrdef d "
    "on a.atthasdef and d.adrelid = a.attrelid and d.adnum = a.attnum order by 1, 2",
    "select r.relname, n.nspname from ((select oid, relname, relnamespace from pg_class "
    "where relkind = 'r') r join pg_namespace n on n.oid = r.relnamespace) "
    "where n.nspname in ('public', 'sales') order by 1",
    "select relname from ((select relname from pg_class where relname = 'pg_class')) s",
    "select relname from ((select relname from pg_class where relname = 'pg_class') union "
    "(select nspname from pg_namespace where nspname = 'sales')) s order by relname",
    "select c.relname from ((pg_class c join pg_namespace n on n.oid = c.relnamespace)) "
    "where c.relname = 'pg_class'",
    # a join condition's unqualified name, also a column of a later relation
    "select ref.conname, a.attname from (((select conname, conrelid, conkey, "
    "generate_series(1, array_length(conkey, 1)) as i from pg_constraint where contype = 'f') ref "
    "join pg_attribute a on a.attrelid = ref.conrelid and a.attnum = conkey[i]) "
    "left join pg_constraint cn on cn.conrelid = ref.conrelid and cn.contype = 'p') "
    "order by 1, 2",
    # string constants compared with booleans
    "select count(*) from pg_index where indisprimary = 't'",
    "select count(*) from pg_index where 'yes' = indisprimary",
    "select count(*) from pg_index where indisprimary <> 'f'",
    "select count(*) from pg_class where relhasindex = ' on '",
    "select count(*) from pg_class where relhasindex = 'tru'",
    "select count(*) from pg_class where relhasindex = 'x'",
    "select count(*) from pg_class where relnatts = '3'",
]


@pytest.mark.parametrize("sql", STATEMENTS)
def test_statement_answers_as_postgres(sql, postgres, riffq):
    expected = normalise(run_statement(postgres.conninfo, sql, None), ServerContext(postgres.ids))
    actual = normalise(run_statement(riffq.conninfo, sql, None), ServerContext(riffq.ids))
    assert expected.error or expected.rows, "PostgreSQL's answer is empty: nothing compared"
    diffs = compare_answers(expected, actual, None if "order by" not in sql else [0])
    assert not diffs, "%s on %s:\n%s" % (sql, riffq.label, "\n".join(diffs))


CURSOR_QUERY = ("select relname, relkind from pg_catalog.pg_class where relname like 'pg_c%' "
                "order by relname")


@pytest.mark.parametrize("protocol", ["simple", "extended"])
def test_a_cursor_over_a_catalog_query_reads_the_catalog(protocol, postgres, riffq):
    """DECLARE ... CURSOR FOR a catalog query is the catalog's to answer
    (psqlODBC's UseDeclareFetch wraps every SELECT so); it went to the
    handler."""
    def fetches(conninfo):
        with psycopg.connect(conninfo) as conn:
            if protocol == "extended":
                cur = conn.cursor()
                cur.execute("declare c cursor for " + CURSOR_QUERY)
                return cur.execute("fetch 2 from c").fetchall(), \
                    cur.execute("fetch all from c").fetchall()
            out = []
            for sql in ("begin", "declare c cursor for " + CURSOR_QUERY, "fetch 2 from c",
                        "fetch all from c"):
                res = conn.pgconn.exec_(sql.encode())      # PQexec: the simple protocol
                assert res.error_message == b"", res.error_message
                out.append([tuple(res.get_value(r, c).decode() for c in range(res.nfields))
                            for r in range(res.ntuples)])
            return out[2], out[3]
    expected = fetches(postgres.conninfo)
    assert len(expected[0]) == 2 and expected[1]
    assert fetches(riffq.conninfo) == expected


@pytest.mark.parametrize("use_sqlglot", [False, True], ids=["builtin", "sqlglot"])
@pytest.mark.parametrize("sql", ["select relname from (pg_class c)",
                                 "select relname from ((pg_class c))"])
def test_a_table_alone_in_parentheses_is_a_syntax_error(sql, use_sqlglot):
    """PostgreSQL's grammar puts joins in parentheses, not a lone table
    (``syntax error at or near ")"``); the statement is then not the
    catalog's (the router hands what it cannot read to the handler)."""
    if use_sqlglot and not sqlglot_available():
        pytest.skip("sqlglot is not installed: `make test` installs the test extras")
    with pytest.raises(UnsupportedSql) as info:
        translate(sql, use_sqlglot=use_sqlglot)
    assert info.value.sqlstate == "42601"


def test_nested_parentheses_are_read_once(monkeypatch):
    """Telling a query from a join looks ahead at the matching parenthesis
    rather than reading one way and then the other at every level, which
    read a 200-level statement's queries 20,000 times (and took 0.2 s)."""
    from riffq._catalog import sqlparse
    calls = []
    real = sqlparse.Parser.query

    def counted(self):
        calls.append(self.i)
        return real(self)
    monkeypatch.setattr(sqlparse.Parser, "query", counted)
    depth = 200
    parse_statement("select 1 from " + "(" * depth + "(select 1 from pg_class) r join pg_namespace n "
                    "on true" + ")" * depth)
    assert len(calls) == 2      # the statement, and the subquery r
