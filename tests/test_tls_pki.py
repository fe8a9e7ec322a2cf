"""TLS with a real certificate authority: verify-full and its hostname
check, every PEM key form, direct TLS (PostgreSQL 17's
``sslnegotiation=direct``), refusing plain connections, and client
certificates (verified, exposed to the hooks, and the ``cert`` method).

libpq comes in two versions here: psql 15's and the one inside
psycopg-binary (18), which alone knows ``sslnegotiation`` and
``require_auth``."""
from __future__ import annotations

import socket
import ssl

import psycopg
import pytest

import riffq
from certkit import KEY_KINDS, Pki
from conftest import run_psql
from pgclient import startup_packet
from riffq.auth import scram_verifier


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(str(tmp_path_factory.mktemp("pki")))


@pytest.fixture(scope="module")
def server_cert(pki):
    return pki.server("server")


class TrustConn(riffq.BaseConnection):
    """No password asked (trust); reports what the hooks saw of TLS."""

    def handle_connect(self, ip, port, callback=callable, server_name=None, client_cert=None):
        self.seen = (server_name, client_cert)
        callback(True)

    def handle_query(self, sql, callback=callable, **kwargs):
        server_name, cert = self.seen
        assert cert is self.client_cert     # the attribute and the hook agree
        callback(([{"name": "sni", "type": "str"}, {"name": "subject", "type": "str"},
                   {"name": "cn", "type": "str"}],
                  [(server_name, cert and cert["subject"], cert and cert["common_name"])]))


class Conn(TrustConn):
    def get_password(self, user, database):
        return scram_verifier("pw") if user != "ghost" else None


def start(serve, cert, conn_cls=Conn, ca=None, require_client_cert=False, **start_kw):
    server = riffq.RiffqServer("127.0.0.1:0", connection_cls=conn_cls)
    server.set_tls(cert["crt"], cert["key"], ca=ca, require_client_cert=require_client_cert)
    return serve(server, tls=True, **start_kw).port


def connect(port, host="localhost", user="u", password="pw", **kw):
    return psycopg.connect(host=host, port=port, user=user, password=password, dbname="d",
                           connect_timeout=10, autocommit=True, **kw)


# -- server certificates --------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(KEY_KINDS))
def test_every_key_form_serves_verify_full(serve, pki, kind):
    cert = pki.server("server-" + kind, kind=kind)
    port = start(serve, cert)
    with connect(port, sslmode="verify-full", sslrootcert=pki.ca) as conn:
        assert conn.info.pgconn.ssl_in_use
        assert conn.execute("q").fetchone()[0] == "localhost"


def test_verify_full_checks_the_host_name(serve, pki):
    port = start(serve, pki.server("elsewhere", hosts=["db.example.org"]))
    with pytest.raises(psycopg.OperationalError) as info:
        connect(port, sslmode="verify-full", sslrootcert=pki.ca)
    assert "db.example.org" in str(info.value) and "localhost" in str(info.value)
    # the chain itself is fine: verify-ca does not look at the name
    with connect(port, sslmode="verify-ca", sslrootcert=pki.ca) as conn:
        assert conn.info.pgconn.ssl_in_use


def test_verify_full_refuses_another_ca(serve, pki):
    port = start(serve, pki.server("rogue-server", ca="rogue"))
    with pytest.raises(psycopg.OperationalError) as info:
        connect(port, sslmode="verify-full", sslrootcert=pki.ca)
    assert "certificate verify failed" in str(info.value)


def test_ip_address_in_subject_alt_name(serve, pki, server_cert):
    port = start(serve, server_cert)
    with connect(port, host="127.0.0.1", sslmode="verify-full", sslrootcert=pki.ca) as conn:
        assert conn.info.pgconn.ssl_in_use


@pytest.mark.parametrize("sslmode", ["disable", "require", "verify-full"])
@pytest.mark.parametrize("method", ["scram-sha-256", "md5", "password"])
def test_libpq_18_matrix(serve, pki, server_cert, sslmode, method):
    """Every sslmode with every password method, the client insisting on
    that method (require_auth), and on channel binding where TLS allows."""
    class Secrets(Conn):
        def get_password(self, user, database):
            return "pw"
    port = start(serve, server_cert, conn_cls=Secrets, auth_method=method)
    kw = {"sslmode": sslmode, "require_auth": method}
    if sslmode == "verify-full":
        kw["sslrootcert"] = pki.ca
    if method == "scram-sha-256" and sslmode != "disable":
        kw["channel_binding"] = "require"
    with connect(port, **kw) as conn:
        assert conn.info.pgconn.ssl_in_use == (sslmode != "disable")
        assert conn.execute("q").fetchone()[0] == ("localhost" if sslmode != "disable" else None)
    with pytest.raises(psycopg.OperationalError) as info:
        connect(port, password="wrong", **kw)
    assert 'password authentication failed for user "u"' in str(info.value)


@pytest.mark.parametrize("sslmode", ["disable", "require", "verify-full"])
@pytest.mark.parametrize("method", ["scram-sha-256", "md5", "password"])
def test_psql_15_matrix(serve, pki, server_cert, sslmode, method):
    class Secrets(Conn):
        def get_password(self, user, database):
            return "pw"
    port = start(serve, server_cert, conn_cls=Secrets, auth_method=method)
    env = {"PGSSLMODE": sslmode, "PGSSLROOTCERT": pki.ca}
    if method == "scram-sha-256" and sslmode != "disable":
        env["PGCHANNELBINDING"] = "require"
    ok = run_psql(port, "-At", "-c", "q", user="u", password="pw", host="localhost", env_extra=env)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip().split("|")[0] == ("localhost" if sslmode != "disable" else "")
    bad = run_psql(port, "-At", "-c", "q", user="u", password="nope", host="localhost", env_extra=env)
    assert 'password authentication failed for user "u"' in bad.stderr


# -- direct TLS ------------------------------------------------------------------

def test_direct_tls_with_libpq_18(serve, pki, server_cert):
    port = start(serve, server_cert)
    with connect(port, sslmode="verify-full", sslrootcert=pki.ca, sslnegotiation="direct") as conn:
        assert conn.info.pgconn.ssl_in_use
        assert conn.execute("q").fetchone()[0] == "localhost"


def test_direct_tls_without_tls_configured_fails_cleanly(serve):
    server = riffq.RiffqServer("127.0.0.1:0", connection_cls=TrustConn)
    port = serve(server).port
    with pytest.raises(psycopg.OperationalError):
        connect(port, sslmode="require", sslnegotiation="direct")
    with connect(port, host="127.0.0.1", sslmode="disable") as conn:   # still serving
        assert conn.execute("q").fetchone() is not None


def _direct_tls_socket(port, pki, alpn):
    ctx = ssl.create_default_context(cafile=pki.ca)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def _read_message(sock):
    head = b""
    while len(head) < 5:
        chunk = sock.recv(5 - len(head))
        if not chunk:
            return None, b""
        head += chunk
    size = int.from_bytes(head[1:5], "big") - 4
    body = b""
    while len(body) < size:
        body += sock.recv(size - len(body))
    return head[:1], body


def test_direct_tls_needs_alpn_postgresql(serve, pki, server_cert):
    port = start(serve, server_cert, conn_cls=TrustConn)
    with _direct_tls_socket(port, pki, None) as s:
        t, body = _read_message(s)
        assert t == b"E" and b"C08P01" in body and b"ALPN" in body
    with _direct_tls_socket(port, pki, ["postgresql"]) as s:
        assert s.selected_alpn_protocol() == "postgresql"
        s.sendall(startup_packet())
        t, body = _read_message(s)
        assert (t, body[:4]) == (b"R", b"\x00\x00\x00\x00")      # AuthenticationOk


def test_sslrequest_inside_tls_is_refused(serve, pki, server_cert):
    port = start(serve, server_cert, conn_cls=TrustConn)
    with _direct_tls_socket(port, pki, ["postgresql"]) as s:
        s.sendall((8).to_bytes(4, "big") + (80877103).to_bytes(4, "big"))
        t, body = _read_message(s)
        assert t == b"E" and b"SFATAL" in body and b"unsupported frontend protocol" in body


# -- requiring TLS -------------------------------------------------------------------

def test_require_tls_refuses_plain_connections(serve, pki, server_cert):
    port = start(serve, server_cert, require_tls=True)
    with pytest.raises(psycopg.OperationalError) as info:
        connect(port, host="127.0.0.1", sslmode="disable")
    assert 'no pg_hba.conf entry for host "127.0.0.1", user "u", database "d", no encryption' \
        in str(info.value)
    with connect(port, sslmode="require") as conn:
        assert conn.info.pgconn.ssl_in_use
    ok = run_psql(port, "-At", "-c", "q", user="u", password="pw", host="localhost",
                  env_extra={"PGSSLMODE": "prefer"})
    assert ok.returncode == 0, ok.stderr


def test_require_tls_without_tls_is_a_setup_error():
    server = riffq.RiffqServer("127.0.0.1:0", connection_cls=TrustConn)
    with pytest.raises(ValueError, match="require_tls"):
        server.start(require_tls=True)


# -- client certificates -------------------------------------------------------------

def test_client_certificate_reaches_the_hooks(serve, pki, server_cert):
    alice = pki.client("alice", "alice")
    port = start(serve, server_cert, ca=pki.ca)
    with connect(port, sslmode="verify-full", sslrootcert=pki.ca,
                 sslcert=alice["crt"], sslkey=alice["key"]) as conn:
        assert conn.execute("q").fetchone() == ("localhost", "CN=alice,O=riffq tests", "alice")
    with connect(port, sslmode="require") as conn:      # a certificate is optional here
        assert conn.execute("q").fetchone() == ("localhost", None, None)


def test_certificate_from_another_ca_is_refused(serve, pki, server_cert):
    mallory = pki.client("mallory", "alice", ca="rogue")
    port = start(serve, server_cert, ca=pki.ca)
    with pytest.raises(psycopg.OperationalError):
        connect(port, sslmode="require", sslcert=mallory["crt"], sslkey=mallory["key"])


def test_required_client_certificate(serve, pki, server_cert):
    alice = pki.client("alice2", "alice")
    port = start(serve, server_cert, ca=pki.ca, require_client_cert=True)
    with pytest.raises(psycopg.OperationalError):
        connect(port, sslmode="require")
    with connect(port, sslmode="require", sslcert=alice["crt"], sslkey=alice["key"]) as conn:
        assert conn.execute("q").fetchone()[2] == "alice"


def test_cert_method_matches_common_name_to_user(serve, pki, server_cert):
    alice = pki.client("alice3", "alice")
    port = start(serve, server_cert, conn_cls=TrustConn, ca=pki.ca, auth_method="cert")
    with connect(port, user="alice", password=None, sslmode="require",
                 sslcert=alice["crt"], sslkey=alice["key"]) as conn:
        assert conn.execute("q").fetchone()[2] == "alice"
    with pytest.raises(psycopg.OperationalError) as info:
        connect(port, user="bob", password=None, sslmode="require",
                sslcert=alice["crt"], sslkey=alice["key"])
    assert 'certificate authentication failed for user "bob"' in str(info.value)
    with pytest.raises(psycopg.OperationalError) as info:
        connect(port, user="alice", password=None, sslmode="require")
    assert "connection requires a valid client certificate" in str(info.value)


def test_cert_method_needs_a_ca(pki, server_cert):
    server = riffq.RiffqServer("127.0.0.1:0", connection_cls=TrustConn)
    server.set_tls(server_cert["crt"], server_cert["key"])
    with pytest.raises(ValueError, match="cert"):
        server.start(tls=True, auth_method="cert")
