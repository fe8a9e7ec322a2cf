"""Npgsql's type loading as Npgsql 6+ sends it: one simple Query of four
statements, answered by riffq as PostgreSQL 15 answers it.

The corpus (``catalog_corpus/npgsql.json``) holds the four statements one
entry each, since its comparison reads one result per statement.  Npgsql
writes them into a single Query message (``version()``, the types, the
composite fields, the enum labels) on the first connection to a database
and reads four results back in that order: every result must be
PostgreSQL's, under both translators.
"""
from __future__ import annotations

import select
from typing import List

import pytest

from catalog_compare import (Answer, ServerContext, compare_answers, connect,
                             create_schema_database, load_corpus, normalise,
                             order_key_columns, read_identities)
from catalog_corpus.schema import DATABASE, apply_registration

BATCH = [e for e in load_corpus() if e.tool == "npgsql" and e.params is None]


def run_batch(conninfo: str, sql: str) -> List[Answer]:
    """Every result of one simple Query, read without blocking the
    interpreter (the riffq server under test runs in this process)."""
    from psycopg import pq
    conn = connect(conninfo)
    try:
        conn.nonblocking = 1
        conn.send_query(sql.encode())
        while conn.flush():
            select.select([], [conn.socket], [], 10)
        answers = []
        while True:
            while conn.is_busy():
                if not select.select([conn.socket], [], [], 30)[0]:
                    raise TimeoutError("no result within 30 s")
                conn.consume_input()
            res = conn.get_result()
            if res is None:
                return answers
            if res.status == pq.ExecStatus.FATAL_ERROR:
                state = (res.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
                answers.append(Answer([], [], (state, res.error_message.decode()),
                                      conn.backend_pid))
                continue
            columns = [(res.fname(i).decode(), res.ftype(i)) for i in range(res.nfields)]
            rows = [tuple(None if res.get_value(r, c) is None else
                          res.get_value(r, c).decode() for c in range(res.nfields))
                    for r in range(res.ntuples)]
            answers.append(Answer(columns, rows, None, conn.backend_pid))
    finally:
        conn.finish()


@pytest.fixture(scope="module")
def servers(real_pg):
    """(PostgreSQL conninfo, riffq conninfo), both holding the corpus schema."""
    import riffq
    from riffq.testing import serve_in_thread
    reference = create_schema_database(real_pg)
    version = run_batch(reference, "SHOW server_version")[0].rows[0][0]
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(
        ("ERROR", "XX000", "reached the handler: " + sql[:80]), is_error=True))
    apply_registration(server)
    bg = serve_in_thread(server, catalog_emulation=True, server_version=version)
    try:
        yield reference, "host=127.0.0.1 port=%d user=postgres dbname=%s" % (bg.port, DATABASE)
    finally:
        bg.stop()


def test_the_batch_holds_the_corpus_statements() -> None:
    assert [e.note.split(":")[0] for e in BATCH] == [
        "version", "load_types", "composite_fields", "enum_labels",
        "load_types_table_composites", "composite_fields_table_composites"]


# Npgsql joins the statements with AppendLine: "\r\n" on Windows (Power BI)
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("translator", ["builtin", "sqlglot"])
def test_npgsql_batch_answers_like_postgres(servers, translator, newline, monkeypatch) -> None:
    monkeypatch.setenv("RIFFQ_CATALOG_TRANSLATOR", translator)
    statements = BATCH[:4]  # what Npgsql sends with Load Table Composites off
    sql = "".join(e.sql.replace("\n", newline) + newline for e in statements)
    results = []
    for conninfo in servers:
        ids = read_identities(conninfo)
        results.append([normalise(a, ServerContext(ids, a.backend_pid))
                        for a in run_batch(conninfo, sql)])
    theirs, ours = results
    assert len(theirs) == len(ours) == 4
    for entry, expected, actual in zip(statements, theirs, ours):
        assert expected.error is None
        diffs = compare_answers(expected, actual, order_key_columns(entry.sql, expected.columns))
        assert not diffs, (entry.note.split(":")[0], diffs)
