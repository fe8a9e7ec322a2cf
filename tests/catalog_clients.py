"""What real clients show of a database, in a form two servers can be compared by.

The client-level judge (``test_catalog_clients*.py``) runs psql, pgjdbc,
SQLAlchemy, psycopg and asyncpg against real PostgreSQL 15 and against riffq
holding the same schema, and compares what each client prints or returns.
This module has the pieces: a data table served by both servers, psql's
printed tables taken apart into cells, and pgjdbc's ``CatalogMeta`` output
read back.  Normalisation reuses ``catalog_compare.RULES``, the documented
list of legitimate differences between two PostgreSQL-compatible servers,
applied to the column a value is shown under.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest

import catalog_servers
from catalog_compare import Answer, OidIdentities, ServerContext, exec_script, normalise
from catalog_corpus.schema import Column, Relation, relation_ddl, relation_registration
from clientkit import typed_samples

# ------------------------------------------------------------- data table

#: Array columns beside ``typed_samples()``'s scalars: asyncpg has no built-in
#: codec for most of them and must introspect the element type in pg_type.
_ARRAY_SAMPLES = [
    ("ia", "int4[]", [1, None, 3]),
    ("i8a", "int8[]", [2 ** 40, -1]),
    ("numa", "numeric[]", [typed_samples()[5][2], None]),
    ("ta", "text[]", ["a", "b c", None, 'q"uote']),
    ("da", "date[]", [typed_samples()[9][2]]),
    ("tstza", "timestamptz[]", [typed_samples()[12][2]]),
]
DATA_SAMPLES: List[Tuple[str, str, Any]] = typed_samples() + _ARRAY_SAMPLES

#: A table whose rows both servers serve: real PostgreSQL from storage, riffq
#: from the test handler (``DataHandler``). Two rows: every value, every NULL.
DATA_TABLE = Relation("public", "typed_values", comment="One column per common type", columns=(
    Column("id", "integer", nullable=False, primary_key=True),
) + tuple(Column(name, pgtype) for name, pgtype, _ in DATA_SAMPLES))
DATA_ROWS: List[Tuple[Any, ...]] = [
    (1,) + tuple(value for _, _, value in DATA_SAMPLES),
    (2,) + tuple(None for _ in DATA_SAMPLES),
]
DATA_QUERY = "SELECT * FROM public.typed_values ORDER BY id"


def create_data_table(conninfo: str) -> None:
    """The data table with its rows in real PostgreSQL (psycopg adapts the values)."""
    import psycopg
    from psycopg.types.json import Json, Jsonb
    exec_script(conninfo, relation_ddl(DATA_TABLE))
    wrap = {"json": Json, "jsonb": Jsonb}
    types = ["integer"] + [pgtype for _, pgtype, _ in DATA_SAMPLES]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for row in DATA_ROWS:
            values = [wrap[t](v) if t in wrap and v is not None else v for t, v in zip(types, row)]
            conn.execute("INSERT INTO public.typed_values VALUES (%s)"
                         % ", ".join("%s::" + t for t in types), values)


def register_data_table(server: Any) -> None:
    """The data table registered on a riffq server, like the corpus schema's."""
    method, args, kwargs = relation_registration(DATA_TABLE)
    getattr(server, method)(*args, **kwargs)


class DataHandler:
    """riffq's handler: the data table's rows for ``DATA_QUERY``, an error
    (the statement quoted) for anything else, which a catalog statement
    reaching the handler would be."""

    columns = [{"name": c.name, "type": c.type} for c in DATA_TABLE.columns]

    def __call__(self, sql: str, callback: Any, **kwargs: Any) -> None:
        if " ".join(sql.split()).rstrip(";") == DATA_QUERY:
            callback((self.columns, DATA_ROWS))
        else:
            callback(("ERROR", "XX000", "statement reached the query handler: %s" % sql[:200]),
                     is_error=True)


# ---------------------------------------------------------------------- psql

_SEPARATOR = re.compile(r"^-+(?:\+-+)*$")
_ROW_COUNT = re.compile(r"^\(\d+ rows?\)$")


def run_psql(conninfo: str, command: str) -> str:
    """What the machine's psql prints for ``command`` (errors included), with
    no psqlrc and no environment settings that would change the output."""
    psql = shutil.which("psql")
    assert psql, "psql is not installed; `make test` installs postgresql-client"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "PAGER"}
    env["PGCONNECT_TIMEOUT"] = "10"
    res = subprocess.run([psql, "-X", "-d", conninfo, "-c", command], capture_output=True,
                         text=True, env=env, timeout=60)
    return res.stdout + ("" if not res.stderr else "[stderr]\n" + res.stderr)


def _cells(line: str, bounds: List[Tuple[int, int]]) -> Optional[List[str]]:
    """The cells of one table line, or None when it is not a row of this table
    (a footer: no ``|`` where the separator line has its ``+``)."""
    marks = [end for _, end in bounds[:-1]]
    if marks and (len(line) <= marks[-1] or any(line[m] != "|" for m in marks)):
        return None
    return [line[start:end].strip() for start, end in bounds]


def normalise_psql(text: str, ids: OidIdentities) -> List[str]:
    """psql's printed output as lines in which every table is cut into cells,
    each cell normalised by ``catalog_compare.RULES`` under its column header.

    Why cells: a normalised value ("8192 bytes" and "0 bytes" both become
    ``<storage>``) changes the column's width, and psql pads and centres by
    the widths; the padding is psql's own arithmetic on the cells, so the
    cells joined by `` | `` carry all the server told.  An empty cell is how
    psql prints NULL and stays empty, as RULES keep NULL.  Lines outside the
    tables (footers such as ``Indexes:``, ``View definition:``, errors)
    compare as printed."""
    lines = text.split("\n")
    out: List[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and line.strip() and _SEPARATOR.match(lines[i + 1]):
            sep = lines[i + 1]
            marks = [m.start() for m in re.finditer(r"\+", sep)]
            starts = [0] + [m + 1 for m in marks]
            bounds = list(zip(starts, marks + [len(sep)]))
            header = [line[a:b].strip() for a, b in bounds]
            rows = []
            i += 2
            while i < len(lines) and lines[i] and not _ROW_COUNT.match(lines[i]):
                cells = _cells(lines[i], bounds)
                if cells is None:
                    break
                rows.append(tuple(cells))
                i += 1
            answer = Answer([(name, 0) for name in header],
                            [tuple(c or None for c in row) for row in rows])
            answer = normalise(answer, ServerContext(ids))
            if out and out[-1]:  # the title, centred over the table's width
                out[-1] = out[-1].strip()
            out.append(" | ".join(header))
            out.extend(" | ".join(c or "" for c in row) for row in answer.rows)
            continue
        out.append(line.rstrip())
        i += 1
    return out


# ---------------------------------------------------------------------- JDBC

def run_catalog_meta(java_cp: Tuple[str, str], conninfo: str,
                     tables: Sequence[str]) -> Dict[str, Tuple[List[Tuple[str, str]], List[tuple]]]:
    """Run ``tests/jdbc/CatalogMeta.java`` once against a server; returns
    ``{call: ([(column label, type name)], rows)}`` in the order printed."""
    from catalog_servers import conninfo_params
    java, cp = java_cp
    p = conninfo_params(conninfo)
    res = subprocess.run([java, "-cp", cp, "CatalogMeta", p["port"], p["dbname"], p["user"]]
                         + list(tables), capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, JAVA_TOOL_OPTIONS="-Dfile.encoding=UTF-8"))
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr
    results: Dict[str, Tuple[List[Tuple[str, str]], List[tuple]]] = {}
    lines = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert lines and lines[-1] == {"done": True}, res.stdout[-2000:]
    for item in lines[:-1]:
        if "columns" in item:
            results[item["call"]] = ([tuple(c) for c in item["columns"]], [])
        else:
            results[item["call"]][1].append(tuple(item["row"]))
    return results


def jdbc_answer(result: Tuple[List[Tuple[str, str]], List[tuple]], ids: OidIdentities) -> Answer:
    """One DatabaseMetaData result normalised by RULES (by column label)."""
    columns, rows = result
    return normalise(Answer([(label, 0) for label, _ in columns], list(rows)), ServerContext(ids))


# --------------------------------------------------------- the two servers
# Fixtures of the client-level tests (``from catalog_clients import
# postgres, riffq``): one PostgreSQL per test module, one riffq per
# translator, holding the same schema and data table.

@pytest.fixture(scope="module")
def postgres():
    """PostgreSQL 15 with the corpus schema and the data table."""
    with catalog_servers.postgres_target(create_data_table) as target:
        yield target


@pytest.fixture(scope="module", params=catalog_servers.TRANSLATORS)
def riffq(request, postgres):
    """riffq with the same schema and data table, on one translator."""
    version = catalog_servers.server_version(postgres.conninfo)
    with catalog_servers.riffq_target(request.param, version, DataHandler(),
                                      register_data_table) as target:
        yield target
