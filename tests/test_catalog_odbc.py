"""psqlODBC, the ODBC driver behind Excel, Power BI and most BI tools'
generic PostgreSQL connections, answered by riffq as PostgreSQL 15 answers it.

pyodbc drives the machine's psqlODBC (Debian's ``odbc-postgresql``, its
Unicode driver) through unixODBC against real PostgreSQL 15 and against
riffq holding the same schema (``catalog_servers``, both translators), in
a process of its own (``odbc_probe``). Each catalog function a tool calls
to browse a database (SQLTables, SQLColumns, SQLPrimaryKeys,
SQLForeignKeys both ways, SQLStatistics, SQLSpecialColumns, SQLGetTypeInfo,
SQLProcedures, SQLProcedureColumns) and a query of pg_class must return
the same rows, normalised only by ``catalog_compare.RULES``; and the data
table's rows must reach the application as the same Python values. Each
twice: with psqlODBC's defaults and with UseDeclareFetch, which reads
every SELECT through a cursor (``odbc_probe.MODES``).

psqlODBC writes its catalog queries in forms psql and pgjdbc do not use:
joins nested in parentheses (``from ((pg_class c join ...) join ...)``,
``(((select ...) ref join ...) join ...)``), and a join condition naming
an unqualified column that a relation joined later also has.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from catalog_clients import DATA_ROWS, postgres, riffq  # noqa: F401 (fixtures)
from catalog_compare import OID, Answer, ServerContext, compare_answers, normalise
from odbc_probe import ALL_RELATIONS, CALLS, MODES, NO_DRIVER

pytestmark = pytest.mark.catalog_engine

pytest.importorskip("pyodbc", reason="pyodbc is not installed: `make test` installs the test extras")

#: Columns of psqlODBC's answers that hold an OID although the ODBC result
#: does not say so: SQLColumns' ``table oid`` is the pg_class row's OID,
#: which the ``user-oid`` rule turns into the relation's name on each server.
OID_COLUMNS = {"table oid"}
PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "odbc_probe.py")


def probe(conninfo: str) -> dict:
    """``odbc_probe``'s answers for one server (see there why a process)."""
    res = subprocess.run([sys.executable, PROBE, conninfo], capture_output=True, text=True,
                         timeout=300)
    if res.returncode == NO_DRIVER:
        pytest.skip(res.stderr.strip())
    assert res.returncode == 0, "the ODBC probe failed (exit status %d):\n%s" % (
        res.returncode, res.stderr[-3000:])
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def odbc_postgres(postgres):
    return probe(postgres.conninfo)


@pytest.fixture(scope="module")
def odbc_riffq(riffq):
    return probe(riffq.conninfo)


def as_answer(result, ids) -> Answer:
    columns, rows = result
    return normalise(Answer([(label, OID if label in OID_COLUMNS else 0) for label in columns],
                            [tuple(row) for row in rows]), ServerContext(ids))


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("call", [label for label, _ in CALLS])
def test_odbc_catalog_function_agrees_with_postgres(call, mode, postgres, riffq, odbc_postgres,
                                                    odbc_riffq):
    expected, actual = odbc_postgres[mode][call], odbc_riffq[mode][call]
    assert expected[0] != "ERROR", "PostgreSQL failed %s: %s" % (call, expected[1])
    assert actual[0] != "ERROR", "riffq (%s) failed %s: %s" % (riffq.label, call, actual[1])
    assert actual[0] == expected[0], "result columns differ"
    diffs = compare_answers(as_answer(expected, postgres.ids), as_answer(actual, riffq.ids),
                            list(range(len(expected[0]))))
    assert not diffs, "%s on %s:\n%s" % (call, riffq.label, "\n".join(diffs))


@pytest.mark.parametrize("mode", list(MODES))
def test_odbc_catalog_calls_find_the_schema(mode, odbc_postgres):
    """The comparison above compares something: PostgreSQL's own answers
    hold the schema's tables, columns and keys."""
    answers = odbc_postgres[mode]
    tables = {(r[1], r[2]) for r in answers["SQLTables"][1]}
    assert {(rel.schema, rel.name) for rel in ALL_RELATIONS} <= tables
    assert answers["SQLColumns:sales.orders"][1]
    assert answers["SQLForeignKeys:public.customers"][1]
    assert answers["SQLForeignKeys:referencing sales.orders"][1]
    assert answers["SQLStatistics:sales.order_lines"][1]
    assert answers["SQLProcedureColumns:lower"][1]
    assert len(answers["query:pg_class"][1]) > 3      # more than one FETCH of 3


@pytest.mark.parametrize("mode", list(MODES))
def test_odbc_reads_the_data_table_as_from_postgres(mode, odbc_postgres, odbc_riffq):
    """Every typed value and NULL reaches the application as the same
    Python value (type and repr), under the same column names and types."""
    assert odbc_riffq[mode]["data"][0] == odbc_postgres[mode]["data"][0]
    assert odbc_riffq[mode]["data"][1] == odbc_postgres[mode]["data"][1]
    assert len(odbc_riffq[mode]["data"][1]) == len(DATA_ROWS)
