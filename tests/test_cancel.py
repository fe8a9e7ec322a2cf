"""Query cancellation: CancelRequest with the BackendKeyData of a session."""
from __future__ import annotations

import signal
import subprocess
import threading
import time

import psycopg
import pytest

import riffq
from conftest import psql_path
from pgclient import RawClient


class Slow(riffq.BaseConnection):
    """Sleeps 30 s on ``slow`` unless cancelled; answers ``fast`` at once."""
    cancelled = []

    def __init__(self, conn_id, executor):
        super().__init__(conn_id, executor)
        self.stop = threading.Event()

    def handle_query(self, sql, callback=callable, **kwargs):
        if "slow" in sql:
            self.stop.wait(30)
            callback(([{"name": "late", "type": "int"}], [(1,)]))
        else:
            callback(([{"name": "fast", "type": "int"}], [(2,)]))

    def handle_cancel(self):
        Slow.cancelled.append(self.conn_id)
        self.stop.set()


@pytest.fixture
def port(serve):
    Slow.cancelled = []
    return serve(riffq.RiffqServer("127.0.0.1:0", connection_cls=Slow)).port


def test_psycopg_cancel_gets_57014_quickly_and_connection_survives(port):
    with psycopg.connect(host="127.0.0.1", port=port, user="u", dbname="d", autocommit=True) as conn:
        # cancel_safe: libpq's blocking PQcancel would hold the GIL that this
        # in-process server needs to answer it
        threading.Timer(0.3, conn.cancel_safe).start()
        t0 = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled) as info:
            conn.execute("select slow")
        assert time.monotonic() - t0 < 3
        assert info.value.diag.sqlstate == "57014"
        assert conn.execute("select fast").fetchone() == (2,)
        assert Slow.cancelled == [conn.info.backend_pid]


def test_psql_ctrl_c_cancels(port):
    proc = subprocess.Popen([psql_path(), "-X", "-h", "127.0.0.1", "-p", str(port), "-U", "u", "-d", "d",
                             "-c", "select slow"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(1.0)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert time.monotonic() - t0 < 3
    assert "canceling statement due to user request" in err


def test_wrong_key_is_ignored_silently(port):
    with psycopg.connect(host="127.0.0.1", port=port, user="u", dbname="d", autocommit=True) as conn:
        pid = conn.info.backend_pid
        c = RawClient(port)
        c.send((16).to_bytes(4, "big") + (80877102).to_bytes(4, "big") + pid.to_bytes(4, "big") + b"nope")
        assert c.closed() and c.buf == b""
        assert conn.execute("select fast").fetchone() == (2,)
        assert Slow.cancelled == []


def test_cancel_of_an_idle_session_does_nothing(port):
    with psycopg.connect(host="127.0.0.1", port=port, user="u", dbname="d", autocommit=True) as conn:
        conn.cancel_safe()
        time.sleep(0.2)
        assert conn.execute("select fast").fetchone() == (2,)


def test_cancel_over_tls(serve, tmp_path):
    """libpq 17+ sends the CancelRequest over TLS when the session required
    it (sslmode=require): SSLRequest, handshake, then the cancel."""
    from certkit import Pki
    pki = Pki(str(tmp_path))
    cert = pki.server("server")
    Slow.cancelled = []
    server = riffq.RiffqServer("127.0.0.1:0", connection_cls=Slow)
    server.set_tls(cert["crt"], cert["key"])
    port = serve(server, tls=True, require_tls=True).port
    with psycopg.connect(host="localhost", port=port, user="u", dbname="d", autocommit=True,
                         sslmode="verify-full", sslrootcert=pki.ca) as conn:
        threading.Timer(0.3, conn.cancel_safe).start()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("select slow")
        assert Slow.cancelled == [conn.info.backend_pid]
        assert conn.execute("select fast").fetchone() == (2,)


class SlowToDescribe(Slow):
    """``describe_parameters`` stalls until cancelled, as a hook asking a
    remote engine for a statement's shape might."""

    def describe_parameters(self, sql, param_types):
        self.stop.wait(30)
        return None


def test_cancel_while_describing_parameters(serve):
    Slow.cancelled = []
    port = serve(riffq.RiffqServer("127.0.0.1:0", connection_cls=SlowToDescribe)).port
    with psycopg.connect(host="127.0.0.1", port=port, user="u", dbname="d", autocommit=True) as conn:
        threading.Timer(0.3, conn.cancel_safe).start()
        t0 = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("select fast where %s = 1", (1,), prepare=True)
        assert time.monotonic() - t0 < 3
        assert Slow.cancelled == [conn.info.backend_pid]
        assert conn.execute("select fast").fetchone() == (2,)
