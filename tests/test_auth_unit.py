"""Unit tests for riffq._wire.auth (sans-IO SCRAM-SHA-256, md5, channel binding).

Reference points are external: the RFC 7677 test vector, secrets computed by
a real PostgreSQL (``real_pg`` fixture) and certificates made by openssl.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import shutil
import ssl
import subprocess
import unicodedata
from typing import Optional, Tuple

import pytest

from riffq._wire.auth import (AuthError, ScramExchange, ScramVerifier, make_md5_secret,
                              make_scram_verifier, md5_response_ok, parse_scram_verifier,
                              secret_kind, tls_server_end_point, verifier_for_secret)

RFC_SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
RFC_CNONCE = "rOprNGfwEbeRWgbNEkqO"
RFC_SNONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"


# --------------------------------------------------------------------------
# A tiny independent SCRAM client (RFC 5802), written from the RFC
# --------------------------------------------------------------------------

class Client:
    """Client side of SCRAM-SHA-256, enough to drive ScramExchange."""

    def __init__(self, password: str, nonce: str = "clientNONCE123", gs2: bytes = b"n,,",
                 cb_data: bytes = b"") -> None:
        self.password = password
        self.nonce = nonce
        self.gs2 = gs2
        self.cb_data = cb_data
        self.first_bare = ("n=,r=%s" % nonce).encode("ascii")
        self.server_signature = b""

    def first(self) -> bytes:
        return self.gs2 + self.first_bare

    def final(self, server_first: bytes, password: Optional[str] = None) -> bytes:
        attrs = dict(part.split(b"=", 1) for part in server_first.split(b","))
        salt = base64.b64decode(attrs[b"s"])
        iterations = int(attrs[b"i"])
        pw = self.password if password is None else password
        # NFKC is all SASLprep does to the passwords used in these tests.
        salted = hashlib.pbkdf2_hmac("sha256", unicodedata.normalize("NFKC", pw).encode("utf-8"),
                                     salt, iterations)
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored_key = hashlib.sha256(client_key).digest()
        without_proof = b"c=" + base64.b64encode(self.gs2 + self.cb_data) + b",r=" + attrs[b"r"]
        auth_message = b",".join((self.first_bare, server_first, without_proof))
        signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        self.server_signature = hmac.new(server_key, auth_message, hashlib.sha256).digest()
        return without_proof + b",p=" + base64.b64encode(proof)


def run_exchange(verifier: Optional[ScramVerifier], password: str, **kwargs) -> bytes:
    client = Client(password)
    ex = ScramExchange(verifier, **kwargs)
    server_first = ex.client_first("SCRAM-SHA-256", client.first())
    reply = ex.client_final(client.final(server_first))
    assert reply == b"v=" + base64.b64encode(client.server_signature)
    return reply


def started(verifier: Optional[ScramVerifier] = None, mechanism: str = "SCRAM-SHA-256",
            client: Optional[Client] = None, **kwargs) -> Tuple[ScramExchange, Client, bytes]:
    client = client or Client("pw")
    if verifier is None:
        verifier = parse_scram_verifier(make_scram_verifier("pw", salt=b"s" * 16))
    ex = ScramExchange(verifier, **kwargs)
    return ex, client, ex.client_first(mechanism, client.first())


def expect(sqlstate: str, fn, *args) -> AuthError:
    with pytest.raises(AuthError) as info:
        fn(*args)
    assert info.value.sqlstate == sqlstate, (info.value.sqlstate, info.value.message)
    return info.value


# --------------------------------------------------------------------------
# RFC 7677 vector
# --------------------------------------------------------------------------

def test_rfc7677_vector():
    verifier = parse_scram_verifier(make_scram_verifier("pencil", 4096, RFC_SALT))
    ex = ScramExchange(verifier, _nonce=RFC_SNONCE)
    first = ex.client_first("SCRAM-SHA-256", b"n,,n=user,r=" + RFC_CNONCE.encode())
    assert first == ("r=%s%s,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096" % (RFC_CNONCE, RFC_SNONCE)).encode()
    final = ex.client_final(("c=biws,r=%s%s,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
                             % (RFC_CNONCE, RFC_SNONCE)).encode())
    assert final == b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_rfc7677_wrong_proof_fails_28p01():
    verifier = parse_scram_verifier(make_scram_verifier("pencil", 4096, RFC_SALT))
    ex = ScramExchange(verifier, _nonce=RFC_SNONCE)
    ex.client_first("SCRAM-SHA-256", b"n,,n=user,r=" + RFC_CNONCE.encode())
    err = expect("28P01", ex.client_final, ("c=biws,r=%s%s,p=eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7A"
                                            "ndVQ=" % (RFC_CNONCE, RFC_SNONCE)).encode())
    assert err.message % "bob" == 'password authentication failed for user "bob"'


def test_default_server_nonce_is_18_random_bytes():
    ex, client, first = started()
    nonce = first.split(b",")[0][2:]
    assert nonce.startswith(client.nonce.encode())
    suffix = nonce[len(client.nonce):]
    assert len(base64.b64decode(suffix)) == 18
    ex2, _, first2 = started()
    assert first2 != first


# --------------------------------------------------------------------------
# Verifiers and secrets
# --------------------------------------------------------------------------

def test_make_and_parse_verifier_roundtrip():
    text = make_scram_verifier("secret", iterations=10, salt=b"0123456789abcdef")
    assert text.startswith("SCRAM-SHA-256$10:MDEyMzQ1Njc4OWFiY2RlZg==$")
    v = parse_scram_verifier(text)
    assert (v.iterations, v.salt) == (10, b"0123456789abcdef")
    assert len(v.stored_key) == len(v.server_key) == 32
    assert len(parse_scram_verifier(make_scram_verifier("x")).salt) == 16
    run_exchange(v, "secret")


@pytest.mark.parametrize("bad", [
    "", "SCRAM-SHA-256", "SCRAM-SHA-1$4096:c2FsdA==$a:b", "SCRAM-SHA-256$x:c2FsdA==$a:b",
    "SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA",                     # keys too short
    "SCRAM-SHA-256$4096:!!!$" + "A" * 43 + "=:" + "A" * 43 + "=",  # bad base64 salt
    "SCRAM-SHA-256$0:c2FsdA==$" + "A" * 43 + "=:" + "A" * 43 + "=",
])
def test_parse_verifier_rejects(bad):
    with pytest.raises(ValueError):
        parse_scram_verifier(bad)


def test_secret_kind_and_verifier_for_secret():
    scram = make_scram_verifier("pw")
    assert secret_kind(scram) == "scram"
    assert secret_kind(make_md5_secret("pw", "u")) == "md5"
    assert secret_kind("md5" + "A" * 32) == "plain"          # PG wants lowercase hex
    assert secret_kind("md5abc") == "plain"
    assert secret_kind("hunter2") == "plain"
    assert verifier_for_secret(scram) == parse_scram_verifier(scram)
    assert verifier_for_secret(make_md5_secret("pw", "u")) is None
    plain = verifier_for_secret("hunter2")
    assert plain is not None and plain.iterations == 4096
    assert verifier_for_secret("hunter2").salt == plain.salt      # deterministic per secret
    assert verifier_for_secret("hunter3").salt != plain.salt
    run_exchange(plain, "hunter2")
    with pytest.raises(AuthError):
        run_exchange(plain, "hunter3")


def test_md5_response():
    salt = b"\x01\x02\x03\x04"
    inner = hashlib.md5(b"pwalice").hexdigest()
    response = "md5" + hashlib.md5(inner.encode() + salt).hexdigest()
    assert make_md5_secret("pw", "alice") == "md5" + inner
    assert md5_response_ok("pw", "alice", salt, response)
    assert md5_response_ok("md5" + inner, "alice", salt, response)
    assert not md5_response_ok("pw", "alice", b"\x01\x02\x03\x05", response)
    assert not md5_response_ok("pw2", "alice", salt, response)
    assert not md5_response_ok("pw", "bob", salt, response)
    assert not md5_response_ok(make_scram_verifier("pw"), "alice", salt, response)
    assert not md5_response_ok("pw", "alice", salt, response[:-1])


# --------------------------------------------------------------------------
# Against a real PostgreSQL
# --------------------------------------------------------------------------

def _pg_secret(real_pg, role: str, password_sql: str, encryption: str) -> str:
    sql = ("SET password_encryption='%s'; DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN PASSWORD %s; "
           "SELECT rolpassword FROM pg_authid WHERE rolname='%s'"
           % (encryption, role, role, password_sql, role))
    proc = real_pg.psql(sql, "-At", "-q")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def test_postgres_scram_verifier(real_pg):
    secret = _pg_secret(real_pg, "riffq_auth_r1", "E'sekret \\u00e9'", "scram-sha-256")
    assert secret_kind(secret) == "scram"
    v = parse_scram_verifier(secret)
    run_exchange(v, "sekret \u00e9")
    run_exchange(v, "sekret e\u0301")      # decomposed: SASLprep's NFKC makes it equal
    with pytest.raises(AuthError) as info:
        run_exchange(v, "sekret e")
    assert info.value.sqlstate == "28P01"
    # Our derivation with PostgreSQL's salt and iterations is byte-identical.
    assert make_scram_verifier("sekret \u00e9", v.iterations, v.salt) == secret


@pytest.mark.parametrize("password_sql, password", [
    ("'plain ascii'", "plain ascii"),
    ("E'a\\u00a0b\\u00adc'", "a\u00a0b\u00adc"),        # non-ASCII space mapped, soft hyphen dropped
    ("E'a\\u200bb'", "a\u200bb"),                       # zero-width space maps to SPACE
    ("E'\\ufb01x'", "\ufb01x"),                          # ligature: NFKC
    ("E'\\u00e9\\u0007'", "\u00e9\u0007"),              # prohibited control char: raw bytes
    ("E'\\u0627a'", "\u0627a"),                          # bidi violation: raw bytes
    ("E'\\u0627\\uff11'", "\u0627\uff11"),                # RandAL not at both ends: raw bytes
    ("E'\\u0627\\u0628'", "\u0627\u0628"),                # all RandAL: prepped
    ("E'\\u00ad'", "\u00ad"),                            # maps to empty: raw bytes
])
def test_saslprep_matches_postgres(real_pg, password_sql, password):
    secret = _pg_secret(real_pg, "riffq_auth_prep", password_sql, "scram-sha-256")
    v = parse_scram_verifier(secret)
    assert make_scram_verifier(password, v.iterations, v.salt) == secret


def test_postgres_md5_secret(real_pg):
    secret = _pg_secret(real_pg, "riffq_auth_r2", "'x'", "md5")
    assert secret_kind(secret) == "md5"
    assert secret == make_md5_secret("x", "riffq_auth_r2")
    salt = b"\xaa\xbb\xcc\xdd"
    response = "md5" + hashlib.md5(secret[3:].encode() + salt).hexdigest()
    assert md5_response_ok(secret, "riffq_auth_r2", salt, response)
    wrong = "md5" + hashlib.md5(make_md5_secret("y", "riffq_auth_r2")[3:].encode() + salt).hexdigest()
    assert not md5_response_ok(secret, "riffq_auth_r2", salt, wrong)
    assert verifier_for_secret(secret) is None


def test_our_verifier_accepted_by_postgres(real_pg):
    """PostgreSQL stores our verifier verbatim and logs in a libpq client with it."""
    psycopg = pytest.importorskip("psycopg")
    role, password = "riffq_auth_r3", "our p\u00e4ss"
    ours = make_scram_verifier(password, iterations=4096)
    proc = real_pg.psql("DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN PASSWORD '%s'; "
                        "SELECT rolpassword FROM pg_authid WHERE rolname='%s'"
                        % (role, role, ours, role), "-At", "-q")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == ours
    run_exchange(parse_scram_verifier(ours), password)

    # Require SCRAM for this one role only (the fixture trusts everyone else),
    # then let libpq authenticate against our verifier.
    hba = os.path.join(real_pg.data_dir, "pg_hba.conf")
    with open(hba, encoding="utf-8") as f:
        original = f.read()
    try:
        with open(hba, "w", encoding="utf-8") as f:
            f.write("host all %s 127.0.0.1/32 scram-sha-256\n" % role + original)
        assert real_pg.psql("SELECT pg_reload_conf()").returncode == 0
        dsn = "host=%s port=%d dbname=postgres user=%s" % (real_pg.host, real_pg.port, role)
        with psycopg.connect(dsn, password=password, connect_timeout=10) as conn:
            assert conn.execute("SELECT current_user").fetchone()[0] == role
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(dsn, password="wrong", connect_timeout=10).close()
    finally:
        with open(hba, "w", encoding="utf-8") as f:
            f.write(original)
        real_pg.psql("SELECT pg_reload_conf()")


# --------------------------------------------------------------------------
# Malformed input and protocol rules
# --------------------------------------------------------------------------

def test_bad_gs2_header():
    ex = ScramExchange(None)
    expect("08P01", ex.client_first, "SCRAM-SHA-256", b"x,,n=,r=abc")
    ex = ScramExchange(None)
    expect("08P01", ex.client_first, "SCRAM-SHA-256", b"n;,n=,r=abc")
    ex = ScramExchange(None)
    expect("08P01", ex.client_first, "SCRAM-SHA-256", b"")
    ex = ScramExchange(None)
    expect("08P01", ex.client_first, "SCRAM-SHA-256", b"n,,n=,r=a\x00b")
    ex = ScramExchange(None)
    expect("08P01", ex.client_first, "SCRAM-SHA-256", b"n,,r=abc")          # n= missing
    ex = ScramExchange(None)
    expect("08P01", ex.client_first, "SCRAM-SHA-1", b"n,,n=,r=abc")
    ex = ScramExchange(None)
    expect("08P01", ex.client_first, "SCRAM-SHA-256", b"n,,n=,r=ab\x01c")  # non-printable nonce
    ex = ScramExchange(None)
    expect("08P01", ex.client_first, "SCRAM-SHA-256", b"n,,n=,r=ab,c")     # bare "c" is no attribute


def test_authzid_and_extensions_rejected():
    ex = ScramExchange(None)
    err = expect("0A000", ex.client_first, "SCRAM-SHA-256", b"n,a=admin,n=,r=abc")
    assert err.message == "client uses authorization identity, but it is not supported"
    ex = ScramExchange(None)
    expect("0A000", ex.client_first, "SCRAM-SHA-256", b"n,,m=ext,n=,r=abc")


def test_optional_extension_after_nonce_ignored():
    ex = ScramExchange(None)
    assert ex.client_first("SCRAM-SHA-256", b"n,,n=,r=abc,x=whatever").startswith(b"r=abc")


def test_wrong_nonce():
    ex, client, first = started()
    msg = client.final(first).replace(b",r=" + client.nonce.encode(), b",r=X" + client.nonce.encode())
    err = expect("08P01", ex.client_final, msg)
    assert err.message == "invalid SCRAM response"


def test_channel_binding_attribute_mismatch():
    ex, client, first = started()
    msg = client.final(first).replace(b"c=biws", b"c=eSws")
    err = expect("08P01", ex.client_final, msg)
    assert err.message == "unexpected SCRAM channel-binding attribute in client-final-message"


def test_y_flag_without_plus_is_fine_but_downgrade_rejected():
    ex, client, first = started(client=Client("pw", gs2=b"y,,"))
    ex.client_final(client.final(first))
    ex = ScramExchange(None, channel_binding=b"h" * 32, plus_offered=True)
    err = expect("28000", ex.client_first, "SCRAM-SHA-256", b"y,,n=,r=abc")
    assert err.message == "SCRAM channel binding negotiation error"


def test_channel_binding_plus():
    cb = hashlib.sha256(b"cert").digest()
    client = Client("pw", gs2=b"p=tls-server-end-point,,", cb_data=cb)
    ex, client, first = started(mechanism="SCRAM-SHA-256-PLUS", client=client,
                                channel_binding=cb, plus_offered=True)
    assert ex.client_final(client.final(first)) == b"v=" + base64.b64encode(client.server_signature)

    # Binding data for another certificate (e.g. a MITM proxy): 28000.
    client = Client("pw", gs2=b"p=tls-server-end-point,,", cb_data=hashlib.sha256(b"evil").digest())
    ex, client, first = started(mechanism="SCRAM-SHA-256-PLUS", client=client,
                                channel_binding=cb, plus_offered=True)
    err = expect("28000", ex.client_final, client.final(first))
    assert err.message == "SCRAM channel binding check failed"


def test_channel_binding_mechanism_mismatch():
    cb = b"h" * 32
    for mech, data, kwargs in [
        ("SCRAM-SHA-256", b"p=tls-server-end-point,,n=,r=abc", dict(channel_binding=cb, plus_offered=True)),
        ("SCRAM-SHA-256-PLUS", b"n,,n=,r=abc", dict(channel_binding=cb, plus_offered=True)),
        ("SCRAM-SHA-256-PLUS", b"p=tls-server-end-point,,n=,r=abc", {}),   # not offered
        ("SCRAM-SHA-256-PLUS", b"p=tls-unique,,n=,r=abc", dict(channel_binding=cb, plus_offered=True)),
    ]:
        ex = ScramExchange(None, **kwargs)
        expect("08P01", ex.client_first, mech, data)


def test_replayed_final_and_out_of_order():
    ex, client, first = started()
    final = client.final(first)
    ex.client_final(final)
    expect("08P01", ex.client_final, final)
    ex = ScramExchange(None)
    expect("08P01", ex.client_final, b"c=biws,r=abc,p=AAAA")
    ex, client, first = started()
    expect("08P01", ex.client_first, "SCRAM-SHA-256", client.first())


def test_failed_exchange_cannot_be_retried():
    ex, client, first = started()
    good = client.final(first)
    expect("28P01", ex.client_final, client.final(first, password="nope"))
    expect("08P01", ex.client_final, good)


def test_garbage_base64_proof():
    ex, client, first = started()
    msg = client.final(first)
    expect("08P01", ex.client_final, msg[:msg.index(b",p=")] + b",p=!!!notbase64!!!")
    ex, client, first = started()
    msg = client.final(first)
    expect("08P01", ex.client_final, msg[:msg.index(b",p=")] + b",p=" + base64.b64encode(b"short"))
    ex, client, first = started()
    expect("08P01", ex.client_final, client.final(first) + b",x=trailing")
    ex, client, first = started()
    expect("08P01", ex.client_final, client.final(first).replace(b"c=biws", b"c=!!!!"))


# --------------------------------------------------------------------------
# Unknown users
# --------------------------------------------------------------------------

def _salt_of(first: bytes) -> bytes:
    return dict(p.split(b"=", 1) for p in first.split(b","))[b"s"]


def test_unknown_user_fails_like_wrong_password():
    client = Client("anything")
    ex = ScramExchange(None, mock_salt_seed=b"ghost")
    first = ex.client_first("SCRAM-SHA-256", client.first())
    assert b",i=4096" in first
    err = expect("28P01", ex.client_final, client.final(first))
    assert err.message == 'password authentication failed for user "%s"'

    again = ScramExchange(None, mock_salt_seed=b"ghost").client_first("SCRAM-SHA-256", client.first())
    other = ScramExchange(None, mock_salt_seed=b"casper").client_first("SCRAM-SHA-256",
                                                                       client.first())
    assert _salt_of(again) == _salt_of(first)
    assert _salt_of(other) != _salt_of(first)
    assert len(base64.b64decode(_salt_of(first))) == 16


# --------------------------------------------------------------------------
# tls-server-end-point
# --------------------------------------------------------------------------

def _cert(tmp_path, name: str, *args: str) -> bytes:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not installed")
    key, crt = str(tmp_path / (name + ".key")), str(tmp_path / (name + ".crt"))
    proc = subprocess.run([openssl, "req", "-x509", "-nodes", "-subj", "/CN=riffq-test", "-days", "1",
                           "-keyout", key, "-out", crt] + list(args), capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip("openssl could not make %s: %s" % (name, proc.stderr[-300:]))
    with open(crt, encoding="ascii") as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def test_cb_rsa_sha256(tmp_path):
    der = _cert(tmp_path, "rsa", "-newkey", "rsa:2048", "-sha256")
    assert tls_server_end_point(der) == hashlib.sha256(der).digest()


def test_cb_rsa_sha512(tmp_path):
    der = _cert(tmp_path, "rsa512", "-newkey", "rsa:2048", "-sha512")
    assert tls_server_end_point(der) == hashlib.sha512(der).digest()


def test_cb_rsa_sha1_upgraded(tmp_path):
    der = _cert(tmp_path, "rsa1", "-newkey", "rsa:2048", "-sha1")
    assert tls_server_end_point(der) == hashlib.sha256(der).digest()


def test_cb_ec_sha384(tmp_path):
    der = _cert(tmp_path, "ec", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-sha384")
    assert tls_server_end_point(der) == hashlib.sha384(der).digest()


def test_cb_rsa_pss_sha384(tmp_path):
    der = _cert(tmp_path, "pss", "-newkey", "rsa:2048", "-sha384", "-sigopt",
                "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1")
    assert b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a" in der          # really RSASSA-PSS
    assert tls_server_end_point(der) == hashlib.sha384(der).digest()


def test_cb_ed25519_none(tmp_path):
    der = _cert(tmp_path, "ed", "-newkey", "ed25519")
    assert tls_server_end_point(der) is None


def test_cb_garbage_none():
    assert tls_server_end_point(b"") is None
    assert tls_server_end_point(b"\x30\x82\xff\xff") is None
    assert tls_server_end_point(b"not a certificate") is None


def test_unknown_user_fails_even_if_mock_keys_matched(monkeypatch):
    """Failure for unknown users must not rest on the mock keys being unguessable."""
    import riffq._wire.auth as auth
    real = parse_scram_verifier(make_scram_verifier("pw", salt=b"s" * 16))
    monkeypatch.setattr(auth, "ScramVerifier", lambda *a: real)
    client = Client("pw")
    ex = ScramExchange(None, mock_salt_seed=b"ghost")
    first = ex.client_first("SCRAM-SHA-256", client.first())
    expect("28P01", ex.client_final, client.final(first))
