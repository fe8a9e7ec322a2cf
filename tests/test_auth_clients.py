"""SCRAM-SHA-256 (with and without channel binding), MD5 and cleartext
authentication with real clients: libpq (psql 15 and psycopg's bundled
libpq), asyncpg and pg8000."""
from __future__ import annotations

import asyncio
import ssl
import subprocess

import asyncpg
import pg8000.native
import psycopg
import pytest

import riffq
from certkit import Pki
from conftest import run_psql
from riffq.auth import md5_secret, scram_verifier

USERS = {
    "plain_user": "plain pw",                              # stored as plaintext
    "scram_user": scram_verifier("s3cret é"),               # stored as a SCRAM verifier
    "md5_user": md5_secret("md5 pw", "md5_user"),           # stored as an md5 hash
}
PASSWORDS = {"plain_user": "plain pw", "scram_user": "s3cret é", "md5_user": "md5 pw"}


class Conn(riffq.BaseConnection):
    def get_password(self, user, database):
        return USERS.get(user)

    def handle_query(self, sql, callback=callable, **kwargs):
        callback(([{"name": "ok", "type": "int"}], [(1,)]))


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("authtls")
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "k.pem"),
                    "-x509", "-days", "1", "-sha256", "-out", str(d / "c.pem"), "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    return str(d / "c.pem"), str(d / "k.pem")


def start(serve, method=None, tls_cert=None):
    server = riffq.RiffqServer("127.0.0.1:0", connection_cls=Conn)
    kwargs = {}
    if method:
        kwargs["auth_method"] = method
    if tls_cert:
        server.set_tls(*tls_cert)
        kwargs["tls"] = True
    return serve(server, **kwargs).port


def pg_connect(port, user, password, **kw):
    return psycopg.connect(host="127.0.0.1", port=port, user=user, password=password, dbname="d",
                           connect_timeout=10, **kw)


@pytest.mark.parametrize("user", sorted(PASSWORDS))
def test_scram_default_with_every_kind_of_stored_secret(serve, user):
    port = start(serve)
    needs = {} if user == "md5_user" else {"require_auth": "scram-sha-256"}
    if user == "md5_user":
        # an md5 hash cannot answer SCRAM: that user fails, as in PostgreSQL
        with pytest.raises(psycopg.OperationalError) as info:
            pg_connect(port, user, PASSWORDS[user])
        assert 'password authentication failed for user "md5_user"' in str(info.value)
        return
    with pg_connect(port, user, PASSWORDS[user], **needs) as conn:
        assert conn.execute("q").fetchone() == (1,)


def test_wrong_password_and_unknown_user_fail_alike(serve):
    port = start(serve)
    for user, password in (("scram_user", "nope"), ("ghost", "whatever")):
        with pytest.raises(psycopg.OperationalError) as info:
            pg_connect(port, user, password)
        assert 'password authentication failed for user "%s"' % user in str(info.value)


def test_psql_15_scram_and_wrong_password(serve):
    port = start(serve)
    ok = run_psql(port, "-At", "-c", "q", user="scram_user", password="s3cret é")
    assert ok.returncode == 0 and ok.stdout.strip() == "1", ok.stderr
    bad = run_psql(port, "-At", "-c", "q", user="scram_user", password="wrong")
    assert "password authentication failed" in bad.stderr


def test_md5_method(serve):
    port = start(serve, "md5")
    for user in ("md5_user", "plain_user"):
        with pg_connect(port, user, PASSWORDS[user], require_auth="md5") as conn:
            assert conn.execute("q").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError):
        pg_connect(port, "scram_user", PASSWORDS["scram_user"])   # a verifier cannot do md5


def test_password_method_checks_stored_secrets(serve):
    port = start(serve, "password")
    for user in sorted(PASSWORDS):
        with pg_connect(port, user, PASSWORDS[user], require_auth="password") as conn:
            assert conn.execute("q").fetchone() == (1,)


def test_scram_with_channel_binding_over_tls(serve, cert):
    port = start(serve, tls_cert=cert)
    with pg_connect(port, "scram_user", PASSWORDS["scram_user"], sslmode="require",
                    channel_binding="require") as conn:
        assert conn.info.pgconn.ssl_in_use
        assert conn.execute("q").fetchone() == (1,)


def test_channel_binding_required_but_not_offered_without_tls(serve):
    port = start(serve)
    with pytest.raises(psycopg.OperationalError):
        pg_connect(port, "scram_user", PASSWORDS["scram_user"], sslmode="disable",
                   channel_binding="require")


def test_asyncpg_and_pg8000_scram(serve, cert):
    port = start(serve, tls_cert=cert)

    async def main():
        conn = await asyncpg.connect(host="127.0.0.1", port=port, user="scram_user",
                                     password=PASSWORDS["scram_user"], database="d", ssl=False,
                                     timeout=10)
        try:
            return await conn.fetchval("q")
        finally:
            await conn.close()
    assert asyncio.run(main()) == 1
    conn = pg8000.native.Connection("scram_user", host="127.0.0.1", port=port, database="d",
                                    password=PASSWORDS["scram_user"], timeout=10)
    try:
        assert conn.run("q") == [[1]]
    finally:
        conn.close()


def test_asyncpg_and_pg8000_scram_over_verified_tls(serve, tmp_path):
    pki = Pki(str(tmp_path))
    cert = pki.server("server")
    port = start(serve, tls_cert=(cert["crt"], cert["key"]))
    ctx = ssl.create_default_context(cafile=pki.ca)      # verifies the chain and "localhost"

    async def main():
        conn = await asyncpg.connect(host="localhost", port=port, user="scram_user",
                                     password=PASSWORDS["scram_user"], database="d", ssl=ctx,
                                     timeout=10)
        try:
            return await conn.fetchval("q"), conn._protocol.get_settings() is not None, \
                conn._transport.get_extra_info("ssl_object") is not None
        finally:
            await conn.close()
    assert asyncio.run(main()) == (1, True, True)
    conn = pg8000.native.Connection("scram_user", host="localhost", port=port, database="d",
                                    password=PASSWORDS["scram_user"], timeout=10, ssl_context=ctx)
    try:
        assert conn.run("q") == [[1]]
        assert conn._usock.version().startswith("TLS")
    finally:
        conn.close()
