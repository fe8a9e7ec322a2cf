"""Capture the catalog statements real tools send, from a real PostgreSQL's log.

Starts a throwaway PostgreSQL (the test suite's ``tests/pg_fixture.py``),
turns on ``log_statement = all`` with the JSON log (one entry per line, with
the session's ``application_name`` and the ``parameters: $1 = '...'``
detail of extended-protocol statements), creates the corpus schema
(``tests/catalog_corpus/schema.py``, also written to ``schema.sql``), then
drives each tool against it.  Every step of every tool runs under its own
``application_name`` (``cap:<tool>:<step>``), so each logged statement is
attributed to the tool and the step that sent it.

Only statements the catalog router would take are kept: reads (SELECT /
WITH / VALUES / TABLE) of ``pg_*`` relations, ``information_schema`` or
catalog functions that touch no user table.  User OIDs inside a statement
or its parameters become ``{{oid:<identity>}}`` placeholders (see
``tests/catalog_compare.py``).  Duplicates (same SQL, same parameters) are
kept once per tool, with the step that sent them first.

Usage (from the repository root, with the test venv's Python)::

    python tools/capture_catalog_corpus.py [--tools psql,jdbc,...]
        [--pgcli-python /path/to/venv-with-pgcli/bin/python] [--out tests/catalog_corpus]

Needs: PostgreSQL server binaries, psql, a JDK and the pgjdbc jar (as the
JDBC tests find it), sqlalchemy, psycopg, psycopg2, asyncpg and pyodbc in this
Python, psqlODBC registered with unixODBC (Debian's odbc-postgresql), and pgcli in ``--pgcli-python`` (a separate venv keeps pgcli's dependencies
out of the test environment).  A tool that is missing is reported and
skipped; its corpus file is left as it was.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Callable, Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")
sys.path.insert(0, TESTS)
sys.path.insert(0, ROOT)

import pg_fixture  # noqa: E402
from catalog_compare import (OidIdentities, create_schema_database, oid_placeholders,  # noqa: E402
                             pg_conninfo, read_identities)
from catalog_corpus.schema import DATABASE, SCHEMA_SQL, ddl, user_table_names  # noqa: E402
from riffq._wire.sqlsplit import first_keywords, split_statements  # noqa: E402

APP_PREFIX = "cap:"
LOG_SETTINGS = {
    "logging_collector": "on",
    "log_destination": "jsonlog",
    "log_directory": "capture_log",
    "log_filename": "capture.log",
    "log_statement": "all",
    "log_parameter_max_length": "-1",
}


# ------------------------------------------------------------- the server

def start_logging_server() -> pg_fixture.RealPostgres:
    """A real PostgreSQL logging every statement to a JSON log."""
    bin_dir = pg_fixture.find_bin_dir()
    if bin_dir is None:
        raise SystemExit(pg_fixture.SKIP_REASON)
    pg = pg_fixture.start_postgres(bin_dir)
    admin = pg_conninfo(pg, "postgres")
    from catalog_compare import exec_script
    for name, value in LOG_SETTINGS.items():
        exec_script(admin, "ALTER SYSTEM SET %s = '%s'" % (name, value))
    # logging_collector only takes effect at server start; pg_ctl restart
    # reuses the options the fixture started it with (postmaster.opts).
    subprocess.run(pg_fixture._as_postgres([os.path.join(bin_dir, "pg_ctl"), "-D", pg.data_dir,
                                            "-l", pg.log_file, "-w", "restart"]),
                   check=True, capture_output=True, timeout=120)
    return pg


def log_path(pg: pg_fixture.RealPostgres) -> str:
    return os.path.join(pg.data_dir, LOG_SETTINGS["log_directory"], "capture.json")


# --------------------------------------------------------------- drivers

def app(tool: str, step: str) -> str:
    return (APP_PREFIX + tool + ":" + step)[:63]


PSQL_COMMANDS = ["\\l", "\\dn", "\\dt", "\\d", "\\d+", "\\dv", "\\di", "\\df", "\\du", "\\dT",
                 "\\d sales.orders", "\\d+ public.customers", "\\d+ sales.order_lines",
                 "\\d public.active_customers", "\\dt sales.*", "\\dt+", "\\l+", "\\dn+",
                 "\\d customers"]


def drive_psql(pg: pg_fixture.RealPostgres) -> None:
    psql = shutil.which("psql") or os.path.join(pg.bin_dir, "psql")
    for command in PSQL_COMMANDS:
        env = dict(os.environ, PGAPPNAME=app("psql", command))
        res = subprocess.run([psql, "-X", "-h", pg.host, "-p", str(pg.port), "-U", pg.user,
                              "-d", DATABASE, "-c", command], env=env, capture_output=True,
                             text=True, timeout=60)
        if res.returncode != 0:
            raise RuntimeError("psql %s failed: %s" % (command, res.stderr))


def drive_jdbc(pg: pg_fixture.RealPostgres) -> None:
    from clientkit import find_pgjdbc_jar
    java, javac, jar = shutil.which("java"), shutil.which("javac"), find_pgjdbc_jar()
    if not (java and javac and jar):
        raise ToolMissing("jdbc needs java, javac and the pgjdbc jar (found %r, %r, %r)"
                          % (java, javac, jar))
    source = os.path.join(TESTS, "catalog_corpus", "CaptureJdbc.java")
    with tempfile.TemporaryDirectory() as out:
        res = subprocess.run([javac, "-encoding", "UTF-8", "-cp", jar, "-d", out, source],
                             capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            raise RuntimeError("javac CaptureJdbc.java failed: %s" % res.stderr)
        res = subprocess.run([java, "-cp", jar + os.pathsep + out, "CaptureJdbc", str(pg.port),
                              DATABASE], capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            raise RuntimeError("CaptureJdbc failed: %s" % res.stderr)


class ToolMissing(Exception):
    """The tool is not installed here; its corpus is left as it was."""


SQLALCHEMY_STEPS: List[Tuple[str, Callable[[object], object]]] = [
    ("get_schema_names", lambda insp: insp.get_schema_names()),
    ("get_table_names", lambda insp: (insp.get_table_names(), insp.get_table_names(schema="sales"))),
    ("get_view_names", lambda insp: insp.get_view_names()),
    ("get_columns", lambda insp: (insp.get_columns("customers"),
                                  insp.get_columns("orders", schema="sales"))),
    ("get_pk_constraint", lambda insp: insp.get_pk_constraint("order_lines", schema="sales")),
    ("get_foreign_keys", lambda insp: insp.get_foreign_keys("orders", schema="sales")),
    ("get_indexes", lambda insp: insp.get_indexes("customers")),
    ("get_unique_constraints", lambda insp: insp.get_unique_constraints("customers")),
    ("get_check_constraints", lambda insp: insp.get_check_constraints("customers")),
    ("get_table_comment", lambda insp: insp.get_table_comment("customers")),
    ("has_table", lambda insp: (insp.has_table("customers"), insp.has_table("nope", schema="sales"))),
    ("get_view_definition", lambda insp: insp.get_view_definition("active_customers")),
    ("get_sequence_names", lambda insp: insp.get_sequence_names()),
    ("get_enums", lambda insp: insp.get_enums()),
]


def drive_sqlalchemy(pg: pg_fixture.RealPostgres) -> None:
    try:
        import sqlalchemy
    except ImportError as exc:
        raise ToolMissing("sqlalchemy is not installed: %s" % exc)
    for driver in ("psycopg", "psycopg2"):
        tool = "sqlalchemy+" + driver
        url = "postgresql+%s://%s@%s:%d/%s" % (driver, pg.user, pg.host, pg.port, DATABASE)
        engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool,
                                          connect_args={"application_name": app(tool, "initialize")})
        with engine.connect() as conn:
            for step, call in SQLALCHEMY_STEPS:
                conn.exec_driver_sql("SET application_name = '%s'" % app(tool, step))
                call(sqlalchemy.inspect(conn))  # a fresh inspector: no cached answers
            conn.rollback()
        engine.dispose()


def drive_asyncpg(pg: pg_fixture.RealPostgres) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(host=pg.host, port=pg.port, user=pg.user, database=DATABASE,
                                     server_settings={"application_name": app("asyncpg", "connect")})
        try:
            async def step(name: str) -> None:
                await conn.execute("SET application_name = '%s'" % app("asyncpg", name))
            await step("int8[] result")
            await conn.fetch("SELECT '{1,2}'::int8[] AS a")
            await step("numeric[] result")
            await conn.fetch("SELECT '{1.5,2}'::numeric[] AS n")
            await step("composite public.customers")
            await conn.fetch("SELECT NULL::public.customers AS c")
            await step("aclitem result")
            await conn.fetch("SELECT 'postgres=r/postgres'::aclitem AS acl")
            await step("set_type_codec json")
            await conn.set_type_codec("json", schema="pg_catalog", encoder=json.dumps,
                                      decoder=json.loads)
            await step("set_type_codec uuid text")
            await conn.set_type_codec("uuid", schema="pg_catalog", encoder=str, decoder=str,
                                      format="text")
        finally:
            await conn.close()
    asyncio.run(run())


def drive_psycopg(pg: pg_fixture.RealPostgres) -> None:
    import psycopg
    from psycopg.types import TypeInfo
    from psycopg.types.composite import CompositeInfo
    from psycopg.types.range import RangeInfo
    conninfo = pg_conninfo(pg, DATABASE) + " application_name=" + app("psycopg", "connect")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        def step(name: str) -> None:
            conn.execute("SET application_name = '%s'" % app("psycopg", name))
        step("TypeInfo int8")
        TypeInfo.fetch(conn, "int8")
        step("TypeInfo text[]")
        TypeInfo.fetch(conn, "text[]")
        step("TypeInfo missing type")
        TypeInfo.fetch(conn, "no_such_type")
        step("CompositeInfo public.customers")
        CompositeInfo.fetch(conn, "public.customers")
        step("RangeInfo int4range")
        RangeInfo.fetch(conn, "int4range")


def drive_psqlodbc(pg: pg_fixture.RealPostgres) -> None:
    """Every catalog call of ``tests/odbc_probe.py`` through pyodbc and
    psqlODBC's Unicode driver, each under its own application_name."""
    try:
        import pyodbc
    except ImportError:
        raise ToolMissing("pyodbc is not installed") from None
    import odbc_probe
    if odbc_probe.DRIVER not in pyodbc.drivers():
        raise ToolMissing("psqlODBC's %r driver is not registered" % odbc_probe.DRIVER)
    params = {"host": pg.host, "port": str(pg.port), "dbname": DATABASE, "user": pg.user}
    conn = pyodbc.connect(odbc_probe.connection_string(params), autocommit=True, timeout=10)
    try:
        for label, call in odbc_probe.CALLS:
            if label.endswith(odbc_probe.DATA_TABLE.name):
                continue        # the client tests' table, not the corpus schema's
            conn.cursor().execute("SET application_name = '%s'" % app("psqlodbc", label))
            call(conn.cursor()).fetchall()
    finally:
        conn.close()


PGCLI_SCRIPT = r"""
import sys
from pgcli.pgexecute import PGExecute
from pgspecial.main import PGSpecial
port, db = int(sys.argv[1]), sys.argv[2]
e = PGExecute(database=db, user="postgres", host="127.0.0.1", port=port,
              application_name="cap:pgcli:connect")
def step(name):
    e.conn.execute("SET application_name = 'cap:pgcli:%s'" % name)
for name in ("search_path", "schemata", "tables", "views", "table_columns", "view_columns",
             "databases", "functions", "datatypes", "foreignkeys", "casing"):
    step(name)
    result = getattr(e, name)()
    if result is not None and not isinstance(result, (str, bytes)):
        list(result)
special = PGSpecial()
for command in ("\\dt", "\\d customers", "\\d sales.orders", "\\df", "\\dn", "\\dv", "\\di",
                "\\du", "\\dT", "\\l"):
    step(command)
    for _ in e.run(command, pgspecial=special):
        pass
"""


def drive_pgcli(pg: pg_fixture.RealPostgres, python: Optional[str]) -> None:
    if not python or not os.path.exists(python):
        raise ToolMissing("pgcli needs --pgcli-python pointing at a Python with pgcli installed")
    res = subprocess.run([python, "-c", PGCLI_SCRIPT, str(pg.port), DATABASE],
                         capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise RuntimeError("pgcli driver failed: %s" % res.stderr)


# ---------------------------------------------------------- log to corpus

_MESSAGE = re.compile(r"^(statement|execute (?!fetch from)[^:]*): (.*)$", re.S)
_PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')(?:, |$)", re.S)

_CATALOG_HINT = re.compile(
    r"pg_|information_schema|\bversion\s*\(|current_database|current_schema|current_user"
    r"|session_user|current_role|current_catalog|current_setting|set_config"
    r"|has_\w+_privilege|format_type|::\s*reg\w+|inet_server|txid_current|obj_description"
    r"|col_description", re.I)


def parse_parameters(detail: str) -> List[Optional[str]]:
    """``parameters: $1 = 'a''b', $2 = NULL`` -> ``["a'b", None]``."""
    body = detail[len("parameters: "):] if detail.startswith("parameters: ") else ""
    values: Dict[int, Optional[str]] = {}
    for m in _PARAM.finditer(body):
        raw = m.group(2)
        values[int(m.group(1))] = None if raw == "NULL" else raw[1:-1].replace("''", "'")
    return [values[i] for i in sorted(values)]


def names_user_table(sql: str) -> bool:
    names = "|".join(re.escape(n) for n in user_table_names())
    pattern = r"\b(?:from|join)\s+(?:\"?(?:public|sales)\"?\.)?\"?(?:%s)\"?(?![\w.])" % names
    return re.search(pattern, sql, re.I) is not None


def is_catalog_statement(sql: str) -> bool:
    """A read that only the catalog can answer (the router contract, approximately)."""
    words = first_keywords(sql, 1)
    if not words or words[0] not in ("SELECT", "WITH", "VALUES", "TABLE"):
        return False
    return _CATALOG_HINT.search(sql) is not None and not names_user_table(sql)


def read_log(path: str) -> List[Dict[str, object]]:
    """Logged statements of the capture sessions, in order:
    ``{"app", "sql", "params"}`` with params None for a simple Query."""
    out: List[Dict[str, object]] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            app_name = entry.get("application_name") or ""
            m = _MESSAGE.match(entry.get("message") or "")
            if not app_name.startswith(APP_PREFIX) or m is None:
                continue
            if m.group(1) == "statement":
                for stmt in split_statements(m.group(2)):
                    out.append({"app": app_name, "sql": stmt, "params": None})
            else:
                detail = entry.get("detail") or ""
                out.append({"app": app_name, "sql": m.group(2),
                            "params": parse_parameters(detail)})
    return out


def build_corpus(logged: List[Dict[str, object]], ids: OidIdentities) -> Dict[str, List[dict]]:
    """Catalog statements per tool, deduplicated, user OIDs as placeholders."""
    corpus: Dict[str, List[dict]] = {}
    seen = set()
    for item in logged:
        sql = str(item["sql"])
        if not is_catalog_statement(sql):
            continue
        _, tool, step = str(item["app"]).split(":", 2)
        sql = oid_placeholders(sql, ids)
        params = item["params"]
        if params is not None:
            params = [None if p is None else oid_placeholders(p, ids) for p in params]
        key = (tool, sql, None if params is None else tuple(params))
        if key in seen:
            continue
        seen.add(key)
        corpus.setdefault(tool.split("+")[0], []).append(
            {"tool": tool, "note": step, "sql": sql, "params": params})
    return corpus


# ------------------------------------------------------------------ main

def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tools", default="psql,jdbc,sqlalchemy,asyncpg,psycopg,psqlodbc,pgcli")
    parser.add_argument("--pgcli-python", default=os.environ.get("PGCLI_PYTHON"))
    parser.add_argument("--out", default=os.path.join(TESTS, "catalog_corpus"))
    parser.add_argument("--keep-log", metavar="PATH",
                        help="also copy the server's JSON log here (to review what was filtered out)")
    args = parser.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    drivers = {
        "psql": drive_psql, "jdbc": drive_jdbc, "sqlalchemy": drive_sqlalchemy,
        "asyncpg": drive_asyncpg, "psycopg": drive_psycopg, "psqlodbc": drive_psqlodbc,
        "pgcli": lambda pg: drive_pgcli(pg, args.pgcli_python),
    }
    unknown = [t for t in tools if t not in drivers]
    if unknown:
        parser.error("unknown tools %s (known: %s)" % (unknown, ", ".join(drivers)))

    with open(SCHEMA_SQL, "w", encoding="utf-8") as f:
        f.write(ddl())
    pg = start_logging_server()
    try:
        conninfo = create_schema_database(pg)
        ids = read_identities(conninfo)
        captured = []
        for tool in tools:
            try:
                drivers[tool](pg)
                captured.append(tool)
            except ToolMissing as exc:
                print("skipped %s: %s" % (tool, exc), file=sys.stderr)
    finally:
        pg_fixture._stop(pg)  # stopping flushes the log
    try:
        if args.keep_log:
            shutil.copyfile(log_path(pg), args.keep_log)
        corpus = build_corpus(read_log(log_path(pg)), ids)
    finally:
        shutil.rmtree(pg.base_dir, ignore_errors=True)
    for tool in captured:
        entries = corpus.get(tool, [])
        path = os.path.join(args.out, tool + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(entries, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print("%-12s %4d statements -> %s" % (tool, len(entries), os.path.relpath(path, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
