"""Random sequences of extended-protocol messages, sent to PostgreSQL 15
and to riffq: every answer must be the same bytes. A sequence Parses,
Binds, Describes, Executes (with and without row limits) and Closes named
and unnamed statements and portals, some that exist and some that do not,
with parameters and result formats, between Syncs and simple Queries --
the order of messages, error-until-Sync, suspension and the lifetimes of
statements and portals. The sequences come from fixed seeds, so a failure
names one to replay."""
from __future__ import annotations

import random
import struct

import pytest

from pgclient import msg, query
from test_extended_protocol import SYNC, bind, describe, execute, parse
from test_extended_vs_postgres import (DIVZERO, END, PAIRS, PLUS, SERIES, assert_same_as_postgres, msg_close,
                                       riffq_port)  # noqa: F401 (fixture)

SEQUENCES = 400
NAMES = ["", "", "a", "b"]


def one_message(rng: random.Random) -> bytes:
    kind = rng.random()
    name = rng.choice(NAMES)
    if kind < 0.2:
        sql = rng.choice([SERIES, PAIRS, PLUS, DIVZERO, "begin", "commit", "rollback", "",
                          "set application_name = 'm'", "show application_name"])
        return parse(name, sql, [23] if sql == PLUS and rng.random() < 0.7 else [])
    if kind < 0.45:
        params = [rng.choice([b"1", b"41", None])] if rng.random() < 0.5 else []
        # (no count of formats that differs from the columns': PostgreSQL
        # refuses it at Bind, riffq, which learns the columns from the
        # handler, at Execute -- README "Protocol notes")
        formats = rng.choice([[], [0], [1]])
        return bind(rng.choice(NAMES), name, params, [], formats)
    if kind < 0.55:
        return describe(rng.choice([b"S", b"P"]), name)
    if kind < 0.8:
        return execute(name, rng.choice([0, 0, 1, 2, 3]))
    if kind < 0.87:
        return msg_close(rng.choice([b"S", b"P"]), name)
    if kind < 0.92:
        return msg(b"H")
    return SYNC


def sequence(seed: int):
    """(payload, None) of one sequence: it ends with ``END``."""
    rng = random.Random(seed)
    body = b""
    for _ in range(rng.randint(3, 14)):
        if rng.random() < 0.1:
            body += query(rng.choice([SERIES, "begin", "rollback", "show application_name"]))
        else:
            body += one_message(rng)
    return body + SYNC + query("rollback") + query(END), None


@pytest.mark.parametrize("seed", range(SEQUENCES))
def test_random_messages_same_as_postgres(real_pg, riffq_port, seed):
    assert_same_as_postgres(real_pg, riffq_port, *sequence(seed))
