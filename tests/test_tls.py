"""TLS as the guide sets it up: set_tls(crt, key) and start(tls=True)."""
from __future__ import annotations

import socket
import subprocess

import psycopg
import pytest

import riffq
from conftest import run_psql
from pgclient import RawClient, startup_packet


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    # The guide's own command.
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "server.key"),
                    "-x509", "-days", "1", "-out", str(d / "server.crt"), "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    return str(d / "server.crt"), str(d / "server.key")


class Conn(riffq.BaseConnection):
    def handle_auth(self, user, password, host, database=None, callback=callable):
        callback(password == "secret")

    def handle_connect(self, ip, port, callback=callable, server_name=None):
        self.server_name = server_name
        callback(True)

    def handle_query(self, sql, callback=callable, **kwargs):
        callback(([{"name": "sni", "type": "str"}], [(self.server_name,)]))


@pytest.fixture
def tls_server(serve, cert):
    server = riffq.RiffqServer("127.0.0.1:0", connection_cls=Conn)
    server.set_tls(*cert)
    return serve(server, tls=True)


def test_psycopg_sslmode_require_is_encrypted_and_sees_sni(tls_server):
    with psycopg.connect(host="localhost", port=tls_server.port, user="u", password="secret",
                         dbname="d", sslmode="require", autocommit=True) as conn:
        assert conn.info.pgconn.ssl_in_use
        assert conn.execute("q").fetchone() == ("localhost",)


def test_psql_over_tls(tls_server):
    out = run_psql(tls_server.port, "-At", "-c", "q", password="secret", host="localhost",
                   env_extra={"PGSSLMODE": "require"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "localhost"


def test_plaintext_still_allowed_when_client_prefers_it(tls_server):
    with psycopg.connect(host="127.0.0.1", port=tls_server.port, user="u", password="secret",
                         dbname="d", sslmode="disable") as conn:
        assert not conn.info.pgconn.ssl_in_use


def test_plaintext_pipelined_after_sslrequest_is_refused(tls_server):
    c = RawClient(tls_server.port)
    c.send((8).to_bytes(4, "big") + (80877103).to_bytes(4, "big") + startup_packet())
    t, body = c.read_message()
    assert t == b"E" and b"C08P01" in body
    assert c.closed()


def test_garbage_instead_of_client_hello_closes_only_that_connection(tls_server):
    c = RawClient(tls_server.port)
    c.send((8).to_bytes(4, "big") + (80877103).to_bytes(4, "big"))
    assert c.read_byte() == b"S"
    c.send(b"this is not TLS at all" * 10)
    assert c.closed()
    with psycopg.connect(host="localhost", port=tls_server.port, user="u", password="secret",
                         dbname="d", sslmode="require") as conn:
        assert conn.info.pgconn.ssl_in_use


def test_stalled_handshake_does_not_block_others(tls_server):
    stalled = socket.create_connection(("127.0.0.1", tls_server.port))
    stalled.sendall((8).to_bytes(4, "big") + (80877103).to_bytes(4, "big"))
    assert stalled.recv(1) == b"S"
    try:
        with psycopg.connect(host="localhost", port=tls_server.port, user="u", password="secret",
                             dbname="d", sslmode="require", connect_timeout=5) as conn:
            assert conn.execute("q").fetchone() == ("localhost",)
    finally:
        stalled.close()


def test_tls_without_set_tls_is_an_error():
    server = riffq.RiffqServer("127.0.0.1:0")
    with pytest.raises(ValueError):
        server.start(tls=True)
