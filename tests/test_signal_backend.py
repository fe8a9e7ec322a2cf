"""``pg_cancel_backend`` and ``pg_terminate_backend`` (with catalog emulation),
in one process; across workers, ``test_workers.py``. Where PostgreSQL's own
answer is the specification, the same statements run against it."""
from __future__ import annotations

import threading
import time

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import riffq
from test_workers import Who, connect, signal_running, who

#: statements whose whole outcome (rows, WARNINGs, error) PostgreSQL sets
COMPARED = [
    "select pg_cancel_backend(999999)",
    "select pg_terminate_backend(999999)",
    "select pg_terminate_backend(999999, 100)",
    "select pg_terminate_backend(1, -1)",
    "select pg_cancel_backend(NULL), pg_terminate_backend(NULL)",
    "select pg_cancel_backend(pg_backend_pid())",
    "select pg_cancel_backend(0), pg_cancel_backend(-5)",
    "select pg_cancel_backend('999999')",
    "select pg_cancel_backend('x')",
    "select pg_cancel_backend(1.5)",
    "select pg_cancel_backend(99999999999)",
    "select pg_terminate_backend(99999999999)",
]


class Gone(Who):
    """Who, and each disconnect and cancel it is told of."""
    disconnected = []
    cancelled = []

    def handle_disconnect(self, *args, **kwargs):
        Gone.disconnected.append(self.conn_id)

    def handle_cancel(self):
        Gone.cancelled.append(self.conn_id)
        super().handle_cancel()


def outcome(conn, sql):
    warnings = []

    def heard(diag):
        warnings.append((diag.severity, diag.sqlstate, diag.message_primary))
    conn.add_notice_handler(heard)
    try:
        cur = conn.execute(sql)
        return ("rows", cur.fetchall(), [c.type_code for c in cur.description], warnings)
    except psycopg.Error as exc:
        return ("error", exc.sqlstate, str(exc).splitlines()[0], warnings)
    finally:
        conn.remove_notice_handler(heard)


@pytest.fixture
def server(serve):
    return serve(riffq.RiffqServer("127.0.0.1:0", connection_cls=Gone), catalog_emulation=True)


@pytest.mark.parametrize("sql", COMPARED)
def test_outcome_is_postgresqls(server, real_pg, sql):
    with connect(server.port) as ours, psycopg.connect(real_pg.dsn, autocommit=True) as theirs:
        assert outcome(ours, sql) == outcome(theirs, sql)
        # and the session goes on, as PostgreSQL's does
        alive = "select count(*) > 0 from pg_type"
        assert ours.execute(alive).fetchall() == theirs.execute(alive).fetchall() == [(True,)]


def test_terminating_itself_ends_the_session_as_postgresql_does(server, real_pg):
    sql = "select pg_terminate_backend(pg_backend_pid())"
    got = []
    for conn in (connect(server.port), psycopg.connect(real_pg.dsn, autocommit=True)):
        with pytest.raises(psycopg.errors.AdminShutdown) as caught:
            conn.execute(sql)
        got.append((caught.value.sqlstate, str(caught.value).splitlines()[0]))
        assert conn.closed or conn.broken
    assert got[0] == got[1] == ("57P01", "terminating connection due to administrator command")


def test_cancel_ends_another_sessions_statement_and_tells_its_handler(server):
    with connect(server.port) as asker, connect(server.port) as target:
        pid = target.info.backend_pid
        assert signal_running(asker, target) == [psycopg.errors.QueryCanceled]
        assert who(target)[1:3] == (pid, 1)       # the session goes on; its hook saw one cancel
        # nothing running: still true, as PostgreSQL's signal is sent anyway
        assert asker.execute("select pg_cancel_backend(%s)", (pid,)).fetchone() == (True,)


def test_terminate_ends_another_session(server):
    Gone.disconnected.clear()
    with connect(server.port) as asker:
        target = connect(server.port)
        pid = target.info.backend_pid
        who(target)         # (the connection's object, whose hook hears the disconnect)
        rows = asker.execute("select pg_terminate_backend(pid) from pg_stat_activity "
                             "where pid = %s", (pid,)).fetchall()
        assert rows == [(True,)]
        with pytest.raises(psycopg.errors.AdminShutdown):
            who(target)
        deadline = time.monotonic() + 5
        while pid not in Gone.disconnected and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pid in Gone.disconnected
        listed = {r[0] for r in asker.execute("select pid from pg_stat_activity").fetchall()}
        assert pid not in listed and asker.info.backend_pid in listed
        # terminated once: the second time there is no such backend
        assert outcome(asker, "select pg_terminate_backend(%d)" % pid)[1:] == (
            [(False,)], [16], [("WARNING", "01000", "PID %d is not a PostgreSQL backend process" % pid)])


def test_the_warning_follows_client_min_messages(server):
    with connect(server.port) as conn:
        conn.execute("set client_min_messages = error")
        assert outcome(conn, "select pg_cancel_backend(999999)") == ("rows", [(False,)], [16], [])


def test_terminate_stops_the_running_statements_work_first(server):
    """As PostgreSQL's SIGTERM aborts the backend's query: the cancel hook
    runs (the engine stops), the client sees only the FATAL, and the
    disconnect hook follows at once rather than when the handler would
    have finished (30 s here)."""
    Gone.disconnected.clear()
    Gone.cancelled.clear()
    with connect(server.port) as asker:
        target = connect(server.port)
        pid = target.info.backend_pid
        t0 = time.monotonic()
        assert signal_running(asker, target, "pg_terminate_backend") == [psycopg.errors.AdminShutdown]
        while pid not in Gone.disconnected and time.monotonic() - t0 < 5:
            time.sleep(0.02)
        assert Gone.cancelled == [pid] and pid in Gone.disconnected
        assert time.monotonic() - t0 < 5


class Streams(riffq.BaseConnection):
    """``select big`` streams 20,000,000 generated rows; ``released`` hears
    when its reader is let go."""
    started = threading.Event()
    released = []

    def handle_query(self, sql, callback=callable, **kwargs):
        schema = pa.schema([("i", pa.int64()), ("s", pa.string())])

        def batches():
            try:
                for k in range(2000):
                    ids = pa.array(range(k * 10000, (k + 1) * 10000), pa.int64())
                    yield pa.RecordBatch.from_arrays([ids, pc.cast(ids, pa.string())], schema=schema)
                    Streams.started.set()
            finally:
                Streams.released.append(self.conn_id)
        if "big" in sql:
            callback(pa.RecordBatchReader.from_batches(schema, batches()))
        else:
            callback(([{"name": "x", "type": "int"}], [(1,)]))


@pytest.mark.parametrize("function, error", [("pg_cancel_backend", psycopg.errors.QueryCanceled),
                                             ("pg_terminate_backend", psycopg.errors.AdminShutdown)])
def test_a_streaming_session_is_signalled_and_its_reader_released(serve, function, error):
    bg = serve(riffq.RiffqServer("127.0.0.1:0", connection_cls=Streams), catalog_emulation=True)
    Streams.started.clear()
    del Streams.released[:]
    with connect(bg.port) as asker, connect(bg.port) as target:
        failed = []

        def fetch():
            try:
                target.execute("select big")
            except psycopg.Error as exc:
                failed.append(type(exc))
        pid = target.info.backend_pid
        runner = threading.Thread(target=fetch)
        runner.start()
        assert Streams.started.wait(10)
        assert asker.execute("select %s(%%s)" % function, (pid,)).fetchone() == (True,)
        runner.join(30)
        assert failed == [error]
        deadline = time.monotonic() + 5
        while not Streams.released and time.monotonic() < deadline:
            time.sleep(0.02)
        assert Streams.released == [pid]
        if error is psycopg.errors.QueryCanceled:
            assert target.execute("select 1").fetchone() == (1,)
        assert asker.execute("select 1").fetchone() == (1,)
