"""Random walks through transaction blocks, sent to PostgreSQL 15 and to
riffq: every answer must be the same bytes. A walk mixes BEGIN, COMMIT,
ROLLBACK (AND CHAIN), savepoints, SET / SET LOCAL / RESET / SHOW of a
reported and an unreported parameter, statements that fail and that
succeed, DECLARE and CLOSE, in simple Queries of one or several statements
and in extended-protocol pipelines. It checks what riffq answers itself:
tags, errors and their SQLSTATEs, transaction status, ParameterStatus, and
which SETs survive. The walks come from fixed seeds, so a failure names
one to replay."""
from __future__ import annotations

import random

import pytest

from pgclient import query
from test_extended_protocol import SYNC, bind, execute, parse
from test_extended_vs_postgres import DIVZERO, SERIES, UNDEF, assert_same_as_postgres, riffq_port  # noqa: F401 (fixture)

WALKS = 400

STATEMENTS = [
    "begin", "begin isolation level repeatable read", "start transaction read only", "commit",
    "rollback", "commit and chain", "rollback and chain", "end", "abort",
    "savepoint a", "savepoint b", "release a", "release savepoint b", "rollback to a",
    "rollback to savepoint b",
    "set application_name = 'x'", "set application_name = 'y'", "set local application_name = 'z'",
    "reset application_name", "show application_name",
    "set datestyle = 'German'", "set local datestyle = 'SQL, DMY'", "reset datestyle", "show datestyle",
    "set transaction isolation level serializable", "show transaction_isolation",
    "show transaction_read_only",
    SERIES, UNDEF,
    "declare c cursor for " + SERIES, "declare h cursor with hold for " + SERIES,
    "fetch 1 from c", "fetch 1 from h", "close c", "close h",
]


def walk(seed: int):
    """(payload, ReadyForQuery count) of one walk."""
    rng = random.Random(seed)
    body, syncs = b"", 0
    for _ in range(rng.randint(2, 9)):
        kind = rng.random()
        if kind < 0.55:
            body += query(rng.choice(STATEMENTS))
        elif kind < 0.8:
            body += query("; ".join(rng.choice(STATEMENTS) for _ in range(rng.randint(2, 4))))
        else:
            for sql in (rng.choice(STATEMENTS) for _ in range(rng.randint(1, 3))):
                # (PostgreSQL finds a missing table at Parse, riffq's handler
                # at Execute: a statement that fails when it runs instead)
                sql = DIVZERO if sql == UNDEF else sql
                body += parse("", sql) + bind("", "") + execute("")
            body += SYNC
        syncs += 1
    # what is left in force afterwards
    body += query("show application_name; show datestyle") + query("rollback")
    return body, syncs + 2


@pytest.mark.parametrize("seed", range(WALKS))
def test_random_block_walk_same_as_postgres(real_pg, riffq_port, seed):
    assert_same_as_postgres(real_pg, riffq_port, *walk(seed))
