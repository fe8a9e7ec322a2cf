"""Random walks over a cursor, sent to PostgreSQL 15 and to riffq: every
answer must be the same bytes. Each walk DECLAREs a cursor (plain or
BINARY, over one or two columns) and moves through it with FETCH and MOVE
in every direction riffq takes and some it refuses, through the simple
protocol and through the extended protocol with random result formats.
The walks are drawn from fixed seeds, so a failure names one to replay."""
from __future__ import annotations

import random

import pytest

from pgclient import query
from test_extended_protocol import SYNC, bind, describe, execute, parse
from test_extended_vs_postgres import (CREATE_PROBE, INSERT_PROBE, INSERTED, MIDFAIL, PAIRS, SERIES, SET, SHOW,
                                       assert_same_as_postgres, exchange, riffq_port)  # noqa: F401 (fixture)

WALKS = 400


def direction(rng: random.Random) -> str:
    n = rng.randint(-2, 7)
    return rng.choice(["", "next", "all", "forward all", "first", "%d" % n, "forward %d" % n,
                       "absolute %d" % n, "relative %d" % n, "prior", "backward %d" % n, "backward",
                       "backward all", "last"])


def walk(seed: int):
    """(payload, ReadyForQuery count) of one walk."""
    rng = random.Random(seed)
    sql = rng.choice([SERIES, PAIRS])
    ncols = 2 if sql == PAIRS else 1
    binary = rng.random() < 0.3
    body = query("begin") + query("declare c %scursor for %s" % ("binary " if binary else "", sql))
    syncs = 2
    for _ in range(rng.randint(1, 7)):
        word = "move" if rng.random() < 0.3 else "fetch"
        statement = ("%s %s %s c" % (word, direction(rng), rng.choice(["from", "in"]))).replace("  ", " ")
        if rng.random() < 0.5:
            body += query(statement)
        else:
            formats = rng.choice([[], [0], [1]] + ([[0, 1], [1, 0]] if ncols == 2 else []))
            rows = rng.choice([0, 0, 1, 2])
            body += (parse("", statement) + bind("", "", [], [], formats) + describe(b"P", "")
                     + execute("", rows) + SYNC)
        syncs += 1
    return body + query("rollback"), syncs + 1


@pytest.mark.parametrize("seed", range(WALKS))
def test_random_cursor_walk_same_as_postgres(real_pg, riffq_port, seed):
    assert_same_as_postgres(real_pg, riffq_port, *walk(seed))


def _bound(sql: str, formats=()) -> bytes:
    """In a block, a named portal "p" that Bind made and no Execute ran."""
    return query("begin") + parse("", sql) + bind("p", "", [], [], list(formats)) + SYNC


def _fetch_portal(statement: str, formats=()) -> bytes:
    return parse("", statement) + bind("", "", [], [], list(formats)) + describe(b"P", "") + execute("", 0) + SYNC


#: (payload, ReadyForQuery count): a FETCH or MOVE naming a portal Bind made
#: runs it, as PostgreSQL does (portals and cursors are one thing there)
BOUND_PORTALS = {
    "fetch": (_bound(SERIES) + query("fetch 2 from p") + query("fetch all from p") + query("rollback"), 5),
    "move then fetch": (_bound(SERIES) + query("move 2 in p") + query("fetch 1 from p") + query("rollback"), 5),
    "fetch backward": (_bound(SERIES) + query("fetch last from p") + query("fetch prior from p")
                       + query("rollback"), 5),
    "extended fetch": (_bound(PAIRS) + _fetch_portal("fetch 2 from p") + query("fetch all from p")
                       + query("rollback"), 5),
    "extended fetch, binary": (_bound(PAIRS, [1]) + _fetch_portal("fetch 2 from p", [1]) + query("rollback"), 4),
    "fetch, then execute": (_bound(SERIES) + query("fetch 2 from p") + execute("p", 0) + SYNC
                            + query("rollback"), 5),
    "execute part, then fetch": (query("begin") + parse("", SERIES) + bind("p", "", [], [], []) + execute("p", 2)
                                 + SYNC + query("fetch all from p") + query("rollback"), 4),
    "close unrun": (_bound(SERIES) + query("close p") + query("fetch 1 from p") + query("rollback"), 5),
    # a command's portal is refused, not run: SET takes no effect
    "fetch from SET": (_bound(SET) + query("fetch 1 from p") + query("rollback") + query(SHOW), 5),
    "move in SET": (_bound(SET) + query("move 1 in p") + query("rollback"), 4),
    "extended fetch from SET": (_bound(SET) + _fetch_portal("fetch 1 from p") + query("rollback"), 4),
    "fetch from executed SET": (query("begin") + parse("", SET) + bind("p", "", [], [], []) + execute("p", 0)
                                + SYNC + query("fetch 1 from p") + query("rollback"), 4),
    "fetch from DECLARE": (_bound("declare c cursor for " + SERIES) + query("fetch 1 from p")
                           + query("rollback"), 4),
    "fetch from SHOW": (_bound(SHOW) + query("fetch 1 from p") + query("rollback"), 4),
    "extended fetch from none": (query("begin") + _fetch_portal("fetch 1 from nope") + query("rollback"), 3),
    # a handler statement PostgreSQL runs as a command: refused, not run
    "fetch from INSERT": (query(CREATE_PROBE) + _bound(INSERT_PROBE) + query("fetch 1 from p")
                          + query("rollback"), 5),
    "extended fetch from INSERT": (query(CREATE_PROBE) + _bound(INSERT_PROBE) + _fetch_portal("fetch 1 from p")
                                   + query("rollback"), 5),
    "move in CREATE": (_bound("create temp table other (y int)") + query("move 1 in p") + query("rollback"), 4),
}


@pytest.mark.parametrize("case", sorted(BOUND_PORTALS))
def test_fetch_runs_a_portal_bind_made_as_postgres(real_pg, riffq_port, case):
    inserted = len(INSERTED)
    assert_same_as_postgres(real_pg, riffq_port, *BOUND_PORTALS[case])
    assert len(INSERTED) == inserted, "a FETCH ran the bound INSERT"


#: (payload, ReadyForQuery count): a cursor or portal whose rows stopped on
#: an error is failed for good (PostgreSQL's PORTAL_FAILED). A rollback to a
#: savepoint made after it keeps it, and then every FETCH, MOVE or Execute
#: of it is 55000; CLOSE still drops it. The rows made before the error are
#: sent before it by an Execute, and not at all by a FETCH, whose rows
#: PostgreSQL makes before sending any (not even its RowDescription)
FAILED_PORTALS = {
    "fetch": (query("begin") + query("declare c cursor for " + MIDFAIL) + query("savepoint s")
              + query("fetch 5 from c") + query("rollback to savepoint s") + query("fetch 1 from c")
              + query("rollback to savepoint s") + query("move 1 in c") + query("rollback to savepoint s")
              + query("close c") + query("fetch 1 from c") + query("rollback"), 12),
    "extended fetch": (query("begin") + query("declare c cursor for " + MIDFAIL) + query("savepoint s")
                       + _fetch_portal("fetch 5 from c") + query("rollback to savepoint s")
                       + _fetch_portal("fetch 1 from c") + query("rollback"), 7),
    "execute a bound portal": (query("begin") + parse("", MIDFAIL) + bind("p", "", [], [], [1]) + SYNC
                               + query("savepoint s") + execute("p", 0) + SYNC + query("rollback to savepoint s")
                               + execute("p", 1) + SYNC + query("rollback to savepoint s")
                               + query("fetch 1 from p") + query("rollback"), 9),
}


@pytest.mark.parametrize("case", sorted(FAILED_PORTALS))
def test_a_cursor_whose_rows_failed_cannot_run_again_as_in_postgres(real_pg, riffq_port, case):
    payload, syncs = FAILED_PORTALS[case]
    theirs = exchange(real_pg.port, real_pg.user, payload, syncs)
    mine = exchange(riffq_port, "u", payload, syncs)
    # the same answers, but for the words of the failure (see MIDFAIL)
    first = [t for t, _ in theirs].index(b"E")
    assert theirs[first] == (b"E", b"SERROR" + b"C22012" + b"Mdivision by zero")
    assert mine[first] == (b"E", b"SERROR" + b"CXX000" + b"MZeroDivisionError: division by zero")
    assert mine[:first] + mine[first + 1:] == theirs[:first] + theirs[first + 1:]
    assert (b"E", b"SERROR" + b"C55000" + b'Mportal "%s" cannot be run' % (b"p" if "bound" in case else b"c")) in mine
