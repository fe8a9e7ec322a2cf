"""Each getting-started snippet, run as written, driven by real clients.

The examples listen on 127.0.0.1:5433 as the guide shows; the test runs a
copy with only that address changed to a free port, in a subprocess, and
stops it with SIGTERM as a user's Ctrl-C would.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def run_example(tmp_path):
    procs = []

    def start(name):
        port = free_port()
        text = (ROOT / "examples" / name).read_text()
        assert "127.0.0.1:5433" in text
        script = tmp_path / name
        script.write_text(text.replace("127.0.0.1:5433", "127.0.0.1:%d" % port))
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, cwd=str(tmp_path))
        procs.append(proc)
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    out = proc.communicate()[0]
                    pytest.fail("example %s did not start:\n%s" % (name, out))
                time.sleep(0.05)
        return port, proc
    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                pytest.fail("example did not stop on SIGTERM")


def test_minimal_server_with_psql(run_example, psql):
    port, proc = run_example("guide_minimal.py")
    out = psql(port, "-c", "select 1;", password="secret")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:4] == [" one ", "-----", "   1", "(1 row)"]
    out = psql(port, "-At", "-c", "select 'ok' as status", password="secret")
    assert out.stdout.strip() == "ok"
    out = psql(port, "-c", "select 2", password="secret")
    assert "ERROR:  unsupported demo query" in out.stderr
    out = psql(port, "-c", "select 1", password="wrong")
    assert 'password authentication failed for user "user"' in out.stderr
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0


def test_duckdb_server_with_psycopg(run_example):
    port, _ = run_example("guide_duckdb.py")
    with psycopg.connect(host="127.0.0.1", port=port, user="user", password="secret",
                         dbname="db", autocommit=True) as conn:
        rows = conn.execute("select range as i, range * 1.5 as f, 'row ' || range as s "
                            "from range(3)").fetchall()
        assert rows == [(0, 0.0, "row 0"), (1, 1.5, "row 1"), (2, 3.0, "row 2")]
        with pytest.raises(psycopg.errors.InternalError_) as info:
            conn.execute("select * from missing_table")
        assert "missing_table" in info.value.diag.message_primary
        assert conn.execute("select 42").fetchone() == (42,)


def test_callbacks_context_and_conn_id(run_example, psql):
    port, _ = run_example("guide_callbacks.py")
    with psycopg.connect(host="127.0.0.1", port=port, user="user", password="secret",
                         dbname="main", autocommit=True) as conn:
        assert conn.execute("select 1").fetchone() == ("main", conn.info.backend_pid)
        conn.execute("use remote")
        assert conn.execute("select 1").fetchone()[0] == "remote"
        conn.execute("use nowhere")
        with pytest.raises(psycopg.Error) as info:
            conn.execute("select 1")
        assert info.value.diag.sqlstate == "3D000"
    out = psql(port, "-At", "-c", "select 1", password="secret", dbname="remote")
    assert out.stdout.startswith("remote|"), out.stderr


def test_tls_server_as_the_guide_sets_it_up(run_example, tmp_path):
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
                    "-x509", "-days", "1", "-out", "server.crt", "-subj", "/CN=localhost"],
                   cwd=str(tmp_path), check=True, capture_output=True)
    port, _ = run_example("guide_tls.py")
    with psycopg.connect(host="localhost", port=port, user="user", password="secret",
                         dbname="db", sslmode="require") as conn:
        assert conn.info.pgconn.ssl_in_use
        assert conn.execute("select 1").fetchone() == ("localhost",)
