"""The short path for whole common requests (``riffq/_wire/fastpath.py``)
must answer exactly as the general path does.

Every scenario is played twice against the same server: once with each
request sent in one write (which the short path takes), once with each
request cut in two writes (which it cannot take). The answers must be the
same bytes. Spies on the short path's two entry points prove it ran in the
first play and not in the second, so an equivalence here is not two plays of
the same code.
"""
from __future__ import annotations

import threading
import time

import pytest

import riffq
from riffq._wire import fastpath
from riffq._wire.extended import ExtendedProtocol
from riffq._wire.simple import SimpleQuery
from pgclient import RawClient, error_fields, msg, query

ONE = ([{"name": "?column?", "type": "int4"}], [(1,)])
TWO_COLUMNS = ([{"name": "n", "type": "int8"}, {"name": "t", "type": "text"}],
               [(1, "ä"), (None, "b"), (3, None)])
#: more rows than the handler's thread encodes ahead: the rest streams
BIG = ([{"name": "n", "type": "int4"}], [(i,) for i in range(60000)])


def _arrow(rows):
    """An Arrow answer, as a DuckDB or pandas handler gives one."""
    import pyarrow as pa
    n = [i if i % 3 else None for i in range(rows)]
    return pa.table({"n": pa.array(n, pa.int64()),
                     "t": [None if i % 4 == 1 else "ä%d" % i for i in range(rows)]}).to_reader()


def _answer(sql, callback):
    if sql.startswith("select arrow "):     # "select arrow <rows>"
        callback(_arrow(int(sql.split()[-1])))
    elif sql == "select 1":
        callback(ONE)
    elif sql == "select two":
        callback(TWO_COLUMNS)
    elif sql == "select big":
        callback(BIG)
    elif sql == "insert":
        callback("INSERT 0 1", is_tag=True)
    elif sql == "open block":
        callback("BEGIN", is_tag=True)       # the engine began a transaction
    elif sql == "fail":
        callback(("ERROR", "22012", "division by zero"), is_error=True)
    elif sql == "bad value":
        callback(([{"name": "n", "type": "int4"}], [("not a number",)]))
    elif sql.startswith("slow "):
        time.sleep(0.2)
        _answer(sql[5:], callback)
    elif sql.startswith("later "):          # answered after the handler returned
        threading.Timer(0.02, _answer, (sql[6:], callback)).start()
    elif sql.startswith("joined "):         # answered by a thread the handler waits for
        t = threading.Thread(target=_answer, args=(sql[7:], callback))
        t.start()
        t.join()
    else:
        callback(("ERROR", "42601", "unknown test statement %r" % sql), is_error=True)


def _server():
    srv = riffq.Server("127.0.0.1:0")
    srv.on_query(lambda sql, callback, **kw: _answer(sql, callback))
    return srv


def ext(sql, formats=(), describe=True):
    """Parse/Bind/[Describe]/Execute/Sync of an unnamed statement."""
    fmt = b"".join(f.to_bytes(2, "big") for f in formats)
    out = (msg(b"P", b"\0" + sql.encode() + b"\0\0\0")
           + msg(b"B", b"\0\0\0\0\0\0" + len(formats).to_bytes(2, "big") + fmt))
    if describe:
        out += msg(b"D", b"P\0")
    return out + msg(b"E", b"\0\0\0\0\0") + msg(b"S")


@pytest.fixture
def taken(monkeypatch):
    """How many requests the short path ran."""
    count = [0]
    for cls, name in ((ExtendedProtocol, "run_unnamed"), (SimpleQuery, "run_single")):
        original = getattr(cls, name)

        def spy(self, *args, _original=original):
            count[0] += 1
            return _original(self, *args)
        monkeypatch.setattr(cls, name, spy)
    return count


def _play(port, requests, whole):
    c = RawClient(port)
    c.connect()
    answers = []
    for request in requests:
        if whole:
            c.send(request)
        else:
            c.send(request[:3])
            time.sleep(0.03)        # two reads on the server, not one
            c.send(request[3:])
        answers.append(c.read_until(b"Z"))
    c.close()
    return answers


SCENARIOS = {
    "rows": [ext("select 1"), ext("select two"), query("select 1"), query("select two")],
    "no describe": [ext("select 1", describe=False), ext("select two", describe=False)],
    "binary results": [ext("select two", formats=(1,)), ext("select 1", formats=(0,))],
    "streamed": [ext("select big"), query("select big"), ext("select 1")],
    "tags": [ext("insert"), query("insert"), ext("insert", describe=False)],
    "errors": [ext("fail"), query("fail"), ext("bad value"), query("bad value"), ext("select 1")],
    "handler opens a block": [ext("open block"), ext("select 1"), query("fail"), ext("select 1"),
                              query("rollback"), query("select 1")],
    "builtin block": [query("begin"), ext("select 1"), ext("fail"), ext("select 1"),
                      query("select 1"), query("rollback"), ext("select 1")],
    "unnamed statement stays": [ext("select two"),
                                msg(b"B", b"\0\0\0\0\0\0\0\0") + msg(b"D", b"P\0") + msg(b"E", b"\0\0\0\0\0")
                                + msg(b"S"),
                                msg(b"D", b"S\0") + msg(b"S")],
    "unnamed portal ends with the transaction": [
        ext("select 1"), msg(b"E", b"\0\0\0\0\0") + msg(b"S")],
    "unnamed portal lasts in a block": [
        query("begin"), ext("select two"), msg(b"E", b"\0\0\0\0\0") + msg(b"S"),
        msg(b"D", b"P\0") + msg(b"S"), query("commit"), msg(b"E", b"\0\0\0\0\0") + msg(b"S")],
    "arrow": [ext("select arrow 3"), query("select arrow 3"), ext("select arrow 3", formats=(1,)),
              ext("select arrow 0"), query("select arrow 0"), ext("select arrow 3", describe=False),
              ext("select arrow 100"), query("select arrow 100"), ext("later select arrow 3"),
              query("joined select arrow 3")],
    "arrow in a block": [query("begin"), ext("select arrow 3"), msg(b"E", b"\0\0\0\0\0") + msg(b"S"),
                         msg(b"D", b"P\0") + msg(b"S"), query("commit")],
    "answered from another thread": [ext("later select two"), query("later select 1"),
                                     ext("joined select two"), query("joined fail"),
                                     ext("later select big"), query("joined insert")],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_short_path_answers_as_the_general_path(serve, taken, name):
    bg = serve(_server())
    requests = SCENARIOS[name]
    short = _play(bg.port, requests, whole=True)
    taken_whole = taken[0]
    general = _play(bg.port, requests, whole=False)
    assert taken[0] == taken_whole, "a request cut in two reads went the short way"
    assert taken_whole > 0, "no request of the scenario took the short path"
    assert short == general
    # ...and neither play is the same failure of the test's own handler
    for answer in short:
        for kind, body in answer:
            if kind == b"E":
                message = error_fields(body)["M"]
                assert "unknown test statement" not in message and "Error: " not in message, message


def test_a_few_rows_answered_at_once_skip_their_general_form(serve, monkeypatch):
    """Rows the short path's handler answers at once go straight to the
    plan's writer, never made into an outcome and encoded chunks first;
    only a portal that must outlive the request (in a block), or an answer
    that arrives later, from another thread, needs those."""
    from riffq._wire import extended, results, session
    made = []

    def general(small, _original=results.small_outcome):
        made.append(small[2])
        return _original(small)
    monkeypatch.setattr(session, "small_outcome", general)
    monkeypatch.setattr(extended, "small_outcome", general)
    bg = serve(_server())
    answers = _play(bg.port, [query("select 1"), ext("select two"), ext("select 1", describe=False)],
                    whole=True)
    assert [kind for kind, _ in answers[0]] == [b"T", b"D", b"C", b"Z"]
    assert [kind for kind, _ in answers[1]] == [b"1", b"2", b"T", b"D", b"D", b"D", b"C", b"Z"]
    assert made == []
    _play(bg.port, [query("begin"), ext("select two"), query("commit"), query("later select 1")],
          whole=True)
    assert made == [3, 1]   # the portal kept in the block, then the later answer


def test_transaction_states_reach_ready_for_query(serve, taken):
    bg = serve(_server())
    answers = _play(bg.port, SCENARIOS["handler opens a block"], whole=True)
    # the handler's BEGIN tag opened a block; the error failed it
    assert [a[-1][1] for a in answers] == [b"T", b"T", b"E", b"E", b"I", b"I"]
    assert error_fields(answers[3][0][1])["C"] == "25P02"
    assert taken[0] == 4    # not the one in the failed block, nor the builtin ROLLBACK


def test_a_request_arriving_during_a_slow_answer_waits_its_turn(serve, taken):
    """A handler that sleeps loses the loop to another thread, which must
    feed the rest of the short path's request to the framer before it reads
    anything more; a request the client sends meanwhile must follow it,
    whether the short path finishes the first one or the general one does."""
    bg = serve(_server())
    for first in ("slow select 1", "slow select big", "slow fail"):
        c = RawClient(bg.port)
        c.connect()
        c.send(ext(first))
        time.sleep(0.05)            # the handler is sleeping now
        c.send(ext("select two"))
        a, b = c.read_until(b"Z"), c.read_until(b"Z")
        assert [t for t, _ in b] == [b"1", b"2", b"T", b"D", b"D", b"D", b"C", b"Z"], first
        assert b[-2][1] == b"SELECT 3\0"
        assert a[-1][0] == b"Z"
        c.close()


def test_the_short_path_keeps_the_catalog_and_the_parameter_hook(serve, taken):
    seen = []
    srv = riffq.Server("127.0.0.1:0")
    srv.on_query(lambda sql, callback, **kw: callback(ONE))
    srv.on_parameter_types(lambda conn_id, sql, types: seen.append(sql))
    bg = serve(srv)
    _play(bg.port, [ext("select 1")], whole=True)
    assert seen == ["select 1"]      # Parse asked the hook, as the general path does
    assert taken[0] == 0


def test_each_server_routes_the_same_statement_its_own_way(serve, taken):
    """A plan is shared by every server of the process; whether the catalog
    answers it is each server's own decision."""
    catalog_sql = "select relname from pg_class where relname = 'pg_type'"
    handled = []

    def handler(sql, callback, **kw):
        handled.append(sql)
        callback(([{"name": "relname", "type": "text"}], [("from the handler",)]))
    with_catalog, without = riffq.Server("127.0.0.1:0"), riffq.Server("127.0.0.1:0")
    with_catalog.on_query(handler)
    without.on_query(handler)
    a = serve(with_catalog, catalog_emulation=True)
    b = serve(without)
    for _ in range(2):
        for bg, expect in ((a, b"pg_type"), (b, b"from the handler")):
            for request in (ext(catalog_sql), query(catalog_sql)):
                rows = [body for t, body in _play(bg.port, [request], whole=True)[0] if t == b"D"]
                assert len(rows) == 1 and rows[0].endswith(expect)
    assert handled == [catalog_sql] * 4      # only the server without the catalog asked it
    assert taken[0] == 4


def test_a_bug_in_the_short_path_ends_only_its_connection(serve, monkeypatch):
    def broken(self, plan, data):
        raise RuntimeError("boom")
    bg = serve(_server())
    other = RawClient(bg.port)
    other.connect()
    monkeypatch.setattr(ExtendedProtocol, "run_unnamed", broken)
    c = RawClient(bg.port)
    c.connect()
    c.send(ext("select 1"))
    (kind, body), = c.read_until(b"E")
    fields = error_fields(body)
    assert (fields["S"], fields["C"]) == ("FATAL", "XX000") and "boom" in fields["M"]
    assert c.closed()
    other.send(query("select two"))
    assert other.read_until(b"Z")[-2][1] == b"SELECT 3\0"


def test_plans_are_kept_by_bytes_and_bounded(monkeypatch):
    monkeypatch.setattr(fastpath, "_plans", {})
    monkeypatch.setattr(fastpath, "MAX_PLANS", 4)
    plan = fastpath.plan_for(ext("select 1"), "utf-8")
    assert isinstance(plan, fastpath.UnnamedPlan) and plan.sql == "select 1"
    assert fastpath.plan_for(ext("select 1"), "utf-8") is plan
    # not one whole request of the two shapes: the general path
    assert fastpath.plan_for(ext("select 1") + ext("select 1"), "utf-8") is None
    assert fastpath.plan_for(ext("select 1")[:-1], "utf-8") is None
    assert fastpath.plan_for(query("select 1; select 2"), "utf-8") is None
    assert fastpath.plan_for(query("begin"), "utf-8") is None
    assert fastpath.plan_for(query("copy t to stdout with (format csv)"), "utf-8") is None
    assert fastpath.plan_for(ext("select $1"), "utf-8") is None
    assert len(fastpath._plans) <= 4
    assert fastpath.plan_for(b"x" * (fastpath.MAX_READ + 1), "utf-8") is None


def test_an_answer_given_at_once_leaves_in_the_turn_that_read_the_request(serve, monkeypatch):
    """On the short path the handler runs as soon as its request is read,
    and an answer it gives before returning is written then, not handed to
    the next loop turn; an answer from another thread still is."""
    from riffq._wire.loop import Connection
    posted = []
    original = Connection.post

    def spy(self, fn):
        posted.append(getattr(fn, "__qualname__", ""))
        return original(self, fn)
    monkeypatch.setattr(Connection, "post", spy)
    bg = serve(_server())
    _play(bg.port, [ext("select 1"), query("select two"), ext("fail"), query("insert")],
          whole=True)
    assert "QueryCallback._deliver" not in posted
    _play(bg.port, [ext("later select 1"), query("joined select two")], whole=True)
    assert posted.count("QueryCallback._deliver") == 2


def test_a_few_arrow_rows_are_answered_the_short_way(serve, monkeypatch):
    """An Arrow answer read and encoded whole when the handler gives it (at
    most FIRST_VALUE_ROWS rows) is written as declared rows are, without
    the general delivery; one that streams still takes it."""
    from riffq._wire.session import Session
    delivered = []
    original = Session._deliver

    def spy(self, *args):
        delivered.append(args)
        return original(self, *args)
    monkeypatch.setattr(Session, "_deliver", spy)
    bg = serve(_server())
    answers = _play(bg.port, [ext("select arrow 3"), query("select arrow 3"),
                              ext("select arrow 3", formats=(1,)), ext("select arrow 0")], whole=True)
    assert delivered == []
    assert [[kind for kind, _ in a] for a in answers] == [
        [b"1", b"2", b"T", b"D", b"D", b"D", b"C", b"Z"], [b"T", b"D", b"D", b"D", b"C", b"Z"],
        [b"1", b"2", b"T", b"D", b"D", b"D", b"C", b"Z"], [b"1", b"2", b"T", b"C", b"Z"]]
    assert answers[0][4][1] == b"\0\x02\0\0\0\x011\xff\xff\xff\xff"       # 1, NULL
    assert answers[2][4][1] == b"\0\x02\0\0\0\x08" + (1).to_bytes(8, "big") + b"\xff\xff\xff\xff"
    assert answers[3][3][1] == b"SELECT 0\0"
    _play(bg.port, [ext("select arrow 100")], whole=True)
    assert len(delivered) == 1


def test_a_handler_blocking_on_the_short_path_delays_no_other_connection(serve):
    """The handler runs in the middle of a loop turn; when it blocks,
    another thread takes the loop over, and requests read in that same turn
    from other connections are answered while it sleeps."""
    bg = serve(_server())
    slow, quick = RawClient(bg.port), RawClient(bg.port)
    slow.connect()
    quick.connect()
    for request in (ext, query):
        for _ in range(5):
            t0 = time.monotonic()
            slow.send(request("slow select two"))
            quick.send(request("select 1"))       # most often read in the same turn
            assert [t for t, _ in quick.read_until(b"Z")][-3:] == [b"D", b"C", b"Z"]
            waited = time.monotonic() - t0
            answer = slow.read_until(b"Z")
            assert answer[-2][1] == b"SELECT 3\0"
            assert waited < 0.15, "a quick request waited %.3f s behind a sleeping handler" % waited
    slow.send(ext("select 1"))              # the slow connection carries on as usual
    assert slow.read_until(b"Z")[-2][1] == b"SELECT 1\0"
    slow.close()
    quick.close()


def test_an_answer_given_before_the_handler_blocks_is_not_held_back(serve):
    """A handler that answers and then goes on working (cleanup, a remote
    log) blocks the loop's thread; once another thread takes the loop over,
    the answer it already gave must leave, not wait for the handler."""
    def handler(sql, callback, **kw):
        callback(ONE)
        time.sleep(0.5)
    srv = riffq.Server("127.0.0.1:0")
    srv.on_query(handler)
    bg = serve(srv)
    c = RawClient(bg.port)
    c.connect()
    for request in (ext("select 1"), query("select 1")):
        t0 = time.monotonic()
        c.send(request)
        answer = c.read_until(b"Z")
        waited = time.monotonic() - t0
        assert answer[-2][1] == b"SELECT 1\0"
        assert waited < 0.3, "the answer waited %.2f s for the handler to return" % waited
        time.sleep(0.6)         # the handler is done before the next request
    c.close()
