"""What psqlODBC shows of a database, read in a process of its own.

``python tests/odbc_probe.py CONNINFO`` connects through pyodbc and the
machine's psqlODBC Unicode driver, makes every catalog call of ``CALLS``
and reads ``DATA_QUERY``, once per connection mode of ``MODES``, and
prints the answers as one JSON object.
``test_catalog_odbc.py`` runs it once per server. A process of its own,
because psqlODBC 13 dies of a segmentation fault when a server answers
one of SQLProcedureColumns' statements with an error: that must fail the
test, not end the test run (and the riffq server under test lives in the
test run's process). Exit status 3: the driver is not installed.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from catalog_clients import DATA_QUERY, DATA_TABLE  # noqa: E402
from catalog_corpus.schema import RELATIONS  # noqa: E402

DRIVER = "PostgreSQL Unicode"
ALL_RELATIONS = RELATIONS + (DATA_TABLE,)
NO_DRIVER = 3

Call = Callable[[Any], Any]


def _calls() -> List[Tuple[str, Call]]:
    """(label, what to call on a new cursor): the database-wide catalog
    functions, then every per-table one for each relation."""
    out: List[Tuple[str, Call]] = [
        ("SQLTables", lambda cur: cur.tables()),
        ("SQLTables:VIEW", lambda cur: cur.tables(tableType="VIEW")),
        ("SQLTables:sales", lambda cur: cur.tables(schema="sales")),
        ("SQLGetTypeInfo", lambda cur: cur.getTypeInfo()),
        ("SQLProcedures:public", lambda cur: cur.procedures(schema="public")),
        ("SQLProcedures:lower", lambda cur: cur.procedures(procedure="lower")),
        ("SQLProcedureColumns:lower", lambda cur: cur.procedureColumns(procedure="lower")),
        ("query:pg_class", lambda cur: cur.execute(
            "select relname, relkind, relnatts from pg_catalog.pg_class where relnamespace = "
            "'pg_catalog'::regnamespace and relkind = 'r' order by relname"))]
    for rel in ALL_RELATIONS:
        t, s = rel.name, rel.schema
        qualified = "%s.%s" % (s, t)
        out += [
            ("SQLColumns:" + qualified, lambda cur, t=t, s=s: cur.columns(table=t, schema=s)),
            ("SQLPrimaryKeys:" + qualified, lambda cur, t=t, s=s: cur.primaryKeys(t, schema=s)),
            ("SQLForeignKeys:" + qualified, lambda cur, t=t, s=s: cur.foreignKeys(t, schema=s)),
            ("SQLForeignKeys:referencing " + qualified,
             lambda cur, t=t, s=s: cur.foreignKeys(foreignTable=t, foreignSchema=s)),
            ("SQLStatistics:" + qualified, lambda cur, t=t, s=s: cur.statistics(t, schema=s)),
            ("SQLSpecialColumns:" + qualified,
             lambda cur, t=t, s=s: cur.rowIdColumns(t, schema=s)),
        ]
    return out


CALLS = _calls()


#: Connection options of each way the probe reads: psqlODBC's defaults, and
#: UseDeclareFetch (a BI tool's setting for large results), which reads
#: every SELECT through DECLARE ... CURSOR and FETCH, here 3 rows at a time.
MODES = {"default": "", "declare-fetch": "UseDeclareFetch=1;Fetch=3"}


def connection_string(params: Dict[str, str], options: str = "") -> str:
    """psqlODBC's Unicode driver, its communication log off (Debian's
    odbcinst.ini turns it on, writing a file into /tmp per connection)."""
    return ("DRIVER={%s};SERVER=%s;PORT=%s;DATABASE=%s;UID=%s;PWD=unused;CommLog=0;Debug=0;%s"
            % (DRIVER, params["host"], params["port"], params["dbname"], params["user"], options))


def answers(conninfo: str, options: str) -> Dict[str, Any]:
    """Every call's [column labels, rows as text] or ["ERROR", message];
    under "data", the data table's [[label, Python type name]...] and its
    rows as (type name, repr) pairs. In a transaction: a cursor that
    DECLARE makes without HOLD needs one."""
    import pyodbc
    params = dict(item.split("=", 1) for item in conninfo.split())
    conn = pyodbc.connect(connection_string(params, options), autocommit=False, timeout=10)
    try:
        out: Dict[str, Any] = {}
        for label, call in CALLS:
            try:
                cur = call(conn.cursor())
                columns = [d[0] for d in cur.description]
                out[label] = [columns, [[None if v is None else str(v) for v in row]
                                        for row in cur.fetchall()]]
            except pyodbc.Error as exc:
                out[label] = ["ERROR", str(exc)]
        cur = conn.cursor().execute(DATA_QUERY)
        out["data"] = [[[d[0], d[1].__name__] for d in cur.description],
                       [[[type(v).__name__, repr(v)] for v in row] for row in cur.fetchall()]]
        return out
    finally:
        conn.close()


def main() -> None:
    import pyodbc
    if DRIVER not in pyodbc.drivers():
        print("psqlODBC's %r driver is not registered with unixODBC (drivers: %r); `make test` "
              "installs Debian's odbc-postgresql" % (DRIVER, pyodbc.drivers()), file=sys.stderr)
        sys.exit(NO_DRIVER)
    json.dump({mode: answers(sys.argv[1], options) for mode, options in MODES.items()}, sys.stdout)


if __name__ == "__main__":
    main()
