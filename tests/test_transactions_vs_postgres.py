"""Transaction-control sequences the server answers itself, run against a
real PostgreSQL 15 and against riffq: each step's command tag (or SQLSTATE),
the transaction status after it, and SHOW results must match."""
from __future__ import annotations

import psycopg
import pytest

import riffq

SCRIPTS = {
    "commit and chain keeps the modes": [
        "begin isolation level serializable read only", "commit and chain",
        "show transaction_isolation", "show transaction_read_only", "rollback and chain",
        "show transaction_isolation", "commit", "show transaction_isolation",
    ],
    "chain outside a block": ["commit and chain", "rollback and chain", "commit and no chain"],
    "chain after an error": [
        "begin isolation level repeatable read", "select 1/0", "commit and chain",
        "show transaction_isolation", "rollback",
    ],
    "set local dies with the chained commit": [
        "begin", "set local datestyle = 'German'", "commit and chain", "show datestyle", "commit",
    ],
}


class Echo(riffq.BaseConnection):
    def handle_query(self, sql, callback=callable, **kwargs):
        if sql == "select 1/0":
            callback(("ERROR", "22012", "division by zero"), is_error=True)
        else:
            callback(("ERROR", "42601", "unexpected: " + sql), is_error=True)


def run(dsn, script):
    seen = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for sql in script:
            try:
                cur = conn.execute(sql, prepare=False)
                rows = cur.fetchall() if cur.description else None
                seen.append((sql, cur.statusmessage, rows, conn.info.transaction_status.name))
            except psycopg.Error as exc:
                seen.append((sql, "ERROR " + exc.sqlstate, None, conn.info.transaction_status.name))
    return seen


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_matches_postgresql(real_pg, serve, name):
    port = serve(riffq.RiffqServer("127.0.0.1:0", connection_cls=Echo)).port
    ours = run("host=127.0.0.1 port=%d user=postgres dbname=postgres" % port, SCRIPTS[name])
    assert ours == run(real_pg.dsn, SCRIPTS[name])
