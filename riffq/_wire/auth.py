"""Sans-IO password authentication primitives: SCRAM-SHA-256(-PLUS) and md5.

Nothing here touches a socket.  The wire layer (``authflow``) feeds client
messages in and writes the returned bytes out; keeping the cryptography and
the message parsing free of I/O makes it testable against RFC vectors and
against secrets produced by a real PostgreSQL.

Behaviour (checks, their order, messages and SQLSTATEs) follows PostgreSQL's
``src/backend/libpq/auth-scram.c`` so that clients see the same errors they
would see from PostgreSQL.  Every error is FATAL during authentication, so
:class:`AuthError` carries no severity.
"""
from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
import stringprep
import unicodedata
from dataclasses import dataclass
from typing import List, Optional, Tuple

__all__ = [
    "AuthError", "ScramVerifier", "ScramExchange", "make_scram_verifier", "parse_scram_verifier",
    "secret_kind", "verifier_for_secret", "md5_response_ok", "make_md5_secret",
    "tls_server_end_point", "saslprep",
]

SCRAM_SHA_256 = "SCRAM-SHA-256"
SCRAM_SHA_256_PLUS = "SCRAM-SHA-256-PLUS"
CB_TYPE = "tls-server-end-point"
DEFAULT_ITERATIONS = 4096          # PostgreSQL's scram_iterations default
SALT_LEN = 16                      # SCRAM_DEFAULT_SALT_LEN
RAW_NONCE_LEN = 18                 # SCRAM_RAW_NONCE_LEN
KEY_LEN = 32                       # SHA-256 digest size

FAILED_MESSAGE = 'password authentication failed for user "%s"'

# Secret mixed into mock salts.  Per process, so an attacker cannot
# precompute which salt a non-existent user gets, yet stable for the life of
# the server so the same unknown user always sees the same salt (a changing
# salt would reveal that the user does not exist).
_MOCK_NONCE = secrets.token_bytes(32)


class AuthError(Exception):
    """An authentication failure to report to the client as a FATAL error.

    ``detail`` mirrors PostgreSQL's errdetail for malformed messages; callers
    that only forward ``sqlstate`` and ``message`` lose nothing essential.
    """

    def __init__(self, sqlstate: str, message: str, detail: Optional[str] = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message
        self.detail = detail

    def __repr__(self) -> str:
        return "AuthError(%r, %r)" % (self.sqlstate, self.message)


def _malformed(detail: str) -> AuthError:
    return AuthError("08P01", "malformed SCRAM message", detail)


# --------------------------------------------------------------------------
# SASLprep (RFC 4013), the way PostgreSQL's pg_saslprep applies it
# --------------------------------------------------------------------------

def _is_prohibited(ch: str) -> bool:
    return (stringprep.in_table_c12(ch) or stringprep.in_table_c21_c22(ch)
            or stringprep.in_table_c3(ch) or stringprep.in_table_c4(ch)
            or stringprep.in_table_c5(ch) or stringprep.in_table_c6(ch)
            or stringprep.in_table_c7(ch) or stringprep.in_table_c8(ch)
            or stringprep.in_table_c9(ch) or stringprep.in_table_a1(ch))


def saslprep(password: str) -> Optional[str]:
    """SASLprep ``password``; None when PostgreSQL's pg_saslprep would refuse it.

    Like PostgreSQL, a pure-ASCII string is returned untouched (even with
    control characters) and an empty result counts as prohibited.  Callers
    then fall back to the raw bytes, which is what both libpq and the server
    do, so both sides still agree on the key.
    """
    if password.isascii():
        return password
    mapped: List[str] = []
    for ch in password:
        if stringprep.in_table_c12(ch):
            mapped.append(" ")             # non-ASCII space -> SPACE
        elif stringprep.in_table_b1(ch):
            continue                       # commonly mapped to nothing
        else:
            mapped.append(ch)
    if not mapped:
        return None
    out = unicodedata.normalize("NFKC", "".join(mapped))
    if any(_is_prohibited(ch) for ch in out):
        return None
    if any(stringprep.in_table_d1(ch) for ch in out):
        if any(stringprep.in_table_d2(ch) for ch in out):
            return None
        if not (stringprep.in_table_d1(out[0]) and stringprep.in_table_d1(out[-1])):
            return None
    return out


def _password_bytes(password: str) -> bytes:
    """The bytes that enter PBKDF2: SASLprep'd when possible, else raw UTF-8."""
    prepped = saslprep(password)
    if prepped is not None:
        return prepped.encode("utf-8")
    return password.encode("utf-8", "surrogatepass")


# --------------------------------------------------------------------------
# Verifiers
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class ScramVerifier:
    """What the server stores: enough to verify a client, not to impersonate one."""

    iterations: int
    salt: bytes
    stored_key: bytes
    server_key: bytes


def _hmac(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def _keys(password: str, salt: bytes, iterations: int) -> Tuple[bytes, bytes]:
    """(StoredKey, ServerKey) per RFC 5802."""
    salted = hashlib.pbkdf2_hmac("sha256", _password_bytes(password), salt, iterations)
    client_key = _hmac(salted, b"Client Key")
    return hashlib.sha256(client_key).digest(), _hmac(salted, b"Server Key")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict base64 (invalid characters or padding raise ValueError)."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("invalid base64: %s" % exc) from None


def make_scram_verifier(password: str, iterations: int = DEFAULT_ITERATIONS,
                        salt: Optional[bytes] = None) -> str:
    """A SCRAM-SHA-256 secret in PostgreSQL's rolpassword format.

    Byte-identical to what PostgreSQL computes for the same password, salt
    and iteration count, so secrets can move between riffq and pg_authid.
    """
    if iterations < 1:
        raise ValueError("iterations must be positive")
    if salt is None:
        salt = secrets.token_bytes(SALT_LEN)
    stored, server = _keys(password, salt, iterations)
    return "SCRAM-SHA-256$%d:%s$%s:%s" % (iterations, _b64(salt), _b64(stored), _b64(server))


def parse_scram_verifier(text: str) -> ScramVerifier:
    """Parse ``SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>``; ValueError if malformed."""
    if not isinstance(text, str):
        raise ValueError("SCRAM secret must be a string")
    parts = text.split("$")
    if len(parts) != 3 or parts[0] != "SCRAM-SHA-256":
        raise ValueError("not a SCRAM-SHA-256 secret")
    iter_salt = parts[1].split(":")
    keys = parts[2].split(":")
    if len(iter_salt) != 2 or len(keys) != 2:
        raise ValueError("malformed SCRAM secret")
    it_text, salt_text = iter_salt
    if not it_text.isdigit() or not it_text.isascii():
        raise ValueError("malformed SCRAM iteration count")
    iterations = int(it_text)
    if iterations < 1:
        raise ValueError("SCRAM iteration count must be positive")
    salt = _b64decode(salt_text)
    stored, server = _b64decode(keys[0]), _b64decode(keys[1])
    if len(stored) != KEY_LEN or len(server) != KEY_LEN:
        raise ValueError("SCRAM keys must be %d bytes" % KEY_LEN)
    return ScramVerifier(iterations, salt, stored, server)


def secret_kind(secret: str) -> str:
    """Classify a stored secret as PostgreSQL's get_password_type does.

    ``md5`` needs exactly "md5" + 32 lowercase hex digits; a string that
    parses as a SCRAM secret is ``scram``; anything else is plaintext.
    """
    if (len(secret) == 35 and secret.startswith("md5")
            and all(c in "0123456789abcdef" for c in secret[3:])):
        return "md5"
    try:
        parse_scram_verifier(secret)
    except ValueError:
        return "plain"
    return "scram"


@functools.lru_cache(maxsize=256)
def _plain_verifier(secret: str) -> ScramVerifier:
    # Cached: PBKDF2 would otherwise run on every login for plaintext secrets.
    salt = hmac.new(b"riffq scram salt for plaintext secrets", secret.encode("utf-8", "surrogatepass"),
                    hashlib.sha256).digest()[:SALT_LEN]
    return parse_scram_verifier(make_scram_verifier(secret, DEFAULT_ITERATIONS, salt))


def verifier_for_secret(secret: str) -> Optional[ScramVerifier]:
    """The SCRAM verifier for a stored secret, or None if SCRAM is impossible.

    Plaintext secrets get a salt derived deterministically from the secret,
    so a client sees the same salt on every login (as with a stored
    verifier).  An md5 hash cannot produce SCRAM keys, so it yields None and
    the exchange fails like a wrong password, as in PostgreSQL.
    """
    kind = secret_kind(secret)
    if kind == "scram":
        return parse_scram_verifier(secret)
    if kind == "plain":
        return _plain_verifier(secret)
    return None


# --------------------------------------------------------------------------
# SCRAM exchange
# --------------------------------------------------------------------------

def _sanitize_char(c: int) -> str:
    if 0x20 <= c < 0x7F:
        return chr(c)
    return "0x%02x" % c


def _is_printable_nonce(value: bytes) -> bool:
    """RFC 5802 printable: %x21-2B / %x2D-7E (no comma)."""
    return all(0x21 <= c <= 0x7E and c != 0x2C for c in value)


class _Reader:
    """Cursor over a SCRAM message, mirroring auth-scram.c's read_attr_value."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def peek(self) -> int:
        return self.data[self.pos] if self.pos < len(self.data) else 0

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def _value(self) -> bytes:
        end = self.data.find(b",", self.pos)
        if end < 0:
            value, self.pos = self.data[self.pos:], len(self.data)
        else:
            value, self.pos = self.data[self.pos:end], end + 1
        return value

    def attr(self, name: str) -> bytes:
        c = self.peek()
        if c != ord(name):
            raise _malformed('Expected attribute "%s" but found "%s".'
                             % (name, _sanitize_char(c)))
        self.pos += 1
        if self.peek() != ord("="):
            raise _malformed('Expected character "=" for attribute "%s".' % name)
        self.pos += 1
        return self._value()

    def any_attr(self) -> Tuple[str, bytes]:
        c = self.peek()
        if not (0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A):
            raise _malformed('Attribute expected, but found invalid character "%s".'
                             % _sanitize_char(c))
        self.pos += 1
        if self.peek() != ord("="):
            raise _malformed('Expected character "=" for attribute "%s".' % chr(c))
        self.pos += 1
        return chr(c), self._value()


def _check_message(data: bytes) -> None:
    if not data:
        raise _malformed("The message is empty.")
    if b"\x00" in data:
        raise _malformed("Message length does not match input length.")


def _mock_salt(seed: bytes) -> bytes:
    """Salt shown to unknown users: stable per seed, unpredictable (PG's scram_mock_salt)."""
    return hashlib.sha256(seed + _MOCK_NONCE).digest()[:SALT_LEN]


class ScramExchange:
    """Server side of SCRAM-SHA-256 (RFC 5802/7677) as PostgreSQL runs it.

    One instance per authentication attempt: :meth:`client_first` once, then
    :meth:`client_final` once.  With ``verifier=None`` (unknown user, or a
    secret that cannot do SCRAM) the exchange is carried out with a mock
    salt and fails at the end exactly like a wrong password, so a client
    cannot tell whether the user exists.
    """

    def __init__(self, verifier: Optional[ScramVerifier], *, mock_salt_seed: bytes = b"",
                 channel_binding: Optional[bytes] = None, plus_offered: bool = False,
                 _nonce: Optional[str] = None) -> None:
        self._doomed = verifier is None
        if verifier is None:
            # Random keys: no proof can match them, but the work done is the same.
            verifier = ScramVerifier(DEFAULT_ITERATIONS, _mock_salt(mock_salt_seed),
                                     secrets.token_bytes(KEY_LEN), secrets.token_bytes(KEY_LEN))
        self._verifier = verifier
        self._cb_data = channel_binding
        self._plus_offered = plus_offered
        self._server_nonce = _nonce          # test hook; normally random
        self._state = "init"
        self._cb_in_use = False
        self._cb_flag = ""
        self._gs2_header = b""
        self._client_first_bare = b""
        self._server_first = b""
        self._nonce = b""

    # -- step 1 --------------------------------------------------------
    def client_first(self, mechanism: str, data: bytes) -> bytes:
        """Parse client-first-message; return server-first-message."""
        if self._state != "init":
            self._state = "failed"
            raise AuthError("08P01", "invalid SCRAM exchange state")
        self._state = "failed"           # until proven otherwise
        if mechanism == SCRAM_SHA_256_PLUS and self._cb_data is not None and self._plus_offered:
            self._cb_in_use = True
        elif mechanism == SCRAM_SHA_256:
            self._cb_in_use = False
        else:
            raise AuthError("08P01", "client selected an invalid SASL authentication mechanism")
        _check_message(data)
        r = _Reader(data, "client-first-message")
        flag = r.peek()
        if flag == ord("n") or flag == ord("y"):
            if self._cb_in_use:
                raise _malformed("The client selected SCRAM-SHA-256-PLUS, but the SCRAM "
                                 "message does not include channel binding data.")
            if flag == ord("y") and self._plus_offered:
                # The client thinks we cannot bind although we offered -PLUS:
                # someone stripped it from our mechanism list (RFC 5802 s. 6).
                raise AuthError("28000", "SCRAM channel binding negotiation error",
                                "The client supports SCRAM channel binding but thinks the server "
                                "does not.  However, this server does support channel binding.")
            r.pos += 1
            if r.peek() != ord(","):
                raise _malformed('Comma expected, but found character "%s".'
                                 % _sanitize_char(r.peek()))
            r.pos += 1
            self._cb_flag = chr(flag)
        elif flag == ord("p"):
            if not self._cb_in_use:
                raise _malformed("The client selected SCRAM-SHA-256 without channel binding, "
                                 "but the SCRAM message includes channel binding data.")
            cbname = r.attr("p")
            if cbname != CB_TYPE.encode("ascii"):
                raise AuthError("08P01", 'unsupported SCRAM channel-binding type "%s"'
                                % cbname.decode("ascii", "replace"))
            self._cb_flag = "p"
        else:
            raise _malformed('Unexpected channel-binding flag "%s".' % _sanitize_char(flag))
        if r.peek() == ord("a"):
            raise AuthError("0A000", "client uses authorization identity, but it is not supported")
        if r.peek() != ord(","):
            raise _malformed('Unexpected attribute "%s" in client-first-message.'
                             % _sanitize_char(r.peek()))
        r.pos += 1
        self._gs2_header = data[:r.pos]
        self._client_first_bare = data[r.pos:]
        if r.peek() == ord("m"):
            raise AuthError("0A000", "client requires an unsupported SCRAM extension")
        r.attr("n")                      # ignored: the startup packet names the user
        client_nonce = r.attr("r")
        if not _is_printable_nonce(client_nonce):
            raise AuthError("08P01", "non-printable characters in SCRAM nonce")
        while not r.at_end():            # optional extensions: ignored, as PostgreSQL does
            r.any_attr()
        server_nonce = self._server_nonce
        if server_nonce is None:
            server_nonce = _b64(secrets.token_bytes(RAW_NONCE_LEN))
        self._nonce = client_nonce + server_nonce.encode("ascii")
        v = self._verifier
        self._server_first = b"r=%s,s=%s,i=%d" % (self._nonce, _b64(v.salt).encode("ascii"),
                                                    v.iterations)
        self._state = "salt_sent"
        return self._server_first

    # -- step 2 --------------------------------------------------------
    def client_final(self, data: bytes) -> bytes:
        """Verify client-final-message; return server-final-message (``v=...``).

        Raises AuthError 28P01 with :data:`FAILED_MESSAGE` (the caller fills
        in the user name) for a wrong proof or an unknown user.
        """
        if self._state != "salt_sent":
            self._state = "failed"
            raise AuthError("08P01", "invalid SCRAM exchange state")
        self._state = "failed"
        _check_message(data)
        r = _Reader(data, "client-final-message")
        cb_attr = r.attr("c")
        if self._cb_in_use:
            assert self._cb_data is not None
            expected = _b64(b"p=" + CB_TYPE.encode("ascii") + b",," + self._cb_data).encode("ascii")
            if not hmac.compare_digest(cb_attr, expected):
                raise AuthError("28000", "SCRAM channel binding check failed")
        elif not ((cb_attr == b"biws" and self._cb_flag == "n")
                  or (cb_attr == b"eSws" and self._cb_flag == "y")):
            raise AuthError("08P01", "unexpected SCRAM channel-binding attribute in "
                                     "client-final-message")
        final_nonce = r.attr("r")
        while True:                      # skip extensions up to the proof
            proof_start = r.pos
            name, value = r.any_attr()
            if name == "p":
                break
        try:
            proof = _b64decode(value.decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            proof = b""
        if len(proof) != KEY_LEN:
            raise _malformed("Malformed proof in client-final-message.")
        if not r.at_end():
            raise _malformed("Garbage found at the end of client-final-message.")
        if not hmac.compare_digest(final_nonce, self._nonce):
            raise AuthError("08P01", "invalid SCRAM response", "Nonce does not match.")
        without_proof = data[:proof_start - 1]
        auth_message = b",".join((self._client_first_bare, self._server_first, without_proof))
        v = self._verifier
        signature = _hmac(v.stored_key, auth_message)
        client_key = bytes(a ^ b for a, b in zip(proof, signature))
        ok = hmac.compare_digest(hashlib.sha256(client_key).digest(), v.stored_key)
        if not ok or self._doomed:
            raise AuthError("28P01", FAILED_MESSAGE)
        self._state = "finished"
        return b"v=" + _b64(_hmac(v.server_key, auth_message)).encode("ascii")


# --------------------------------------------------------------------------
# md5
# --------------------------------------------------------------------------

def make_md5_secret(password: str, user: str) -> str:
    """PostgreSQL's stored md5 secret: "md5" + md5(password || user)."""
    return "md5" + hashlib.md5((password + user).encode("utf-8", "surrogatepass")).hexdigest()


def md5_response_ok(secret: str, user: str, salt: bytes, response: str) -> bool:
    """Check an md5 PasswordMessage against a plaintext or md5 secret.

    The client sends "md5" + md5(md5(password || user).hex || salt).hex.  A
    SCRAM secret can never answer this challenge and yields False.
    """
    kind = secret_kind(secret)
    if kind == "scram":
        return False
    stored = secret if kind == "md5" else make_md5_secret(secret, user)
    expected = "md5" + hashlib.md5(stored[3:].encode("ascii") + bytes(salt)).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"),
                               response.encode("utf-8", "surrogatepass"))


# --------------------------------------------------------------------------
# tls-server-end-point (RFC 5929)
# --------------------------------------------------------------------------

_HASH_BY_SIG_OID = {
    "1.2.840.113549.1.1.4": "sha256",     # md5WithRSAEncryption -> SHA-256 per RFC 5929
    "1.2.840.113549.1.1.5": "sha256",     # sha1WithRSAEncryption -> SHA-256
    "1.2.840.113549.1.1.14": "sha224",
    "1.2.840.113549.1.1.11": "sha256",
    "1.2.840.113549.1.1.12": "sha384",
    "1.2.840.113549.1.1.13": "sha512",
    "1.2.840.10045.4.1": "sha256",        # ecdsa-with-SHA1
    "1.2.840.10045.4.3.1": "sha224",
    "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
    "1.2.840.10040.4.3": "sha256",        # dsa-with-sha1
    "2.16.840.1.101.3.4.3.1": "sha224",   # dsa-with-sha224
    "2.16.840.1.101.3.4.3.2": "sha256",   # dsa-with-sha256
}
_HASH_BY_DIGEST_OID = {
    "1.2.840.113549.2.5": "sha256",       # md5
    "1.3.14.3.2.26": "sha256",            # sha1
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
_RSASSA_PSS = "1.2.840.113549.1.1.10"


def _der_item(data: bytes, pos: int) -> Tuple[int, int, int]:
    """(tag, content start, content end) of the DER TLV at ``pos``; ValueError if truncated."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise ValueError("high tag numbers not supported")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or pos + n > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def _oid_text(body: bytes) -> str:
    if not body:
        raise ValueError("empty OID")
    arcs: List[int] = []
    value = 0
    for b in body:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def _algorithm(data: bytes, start: int, end: int) -> Tuple[str, int, int]:
    """AlgorithmIdentifier content [start, end) -> (OID, params start, params end)."""
    tag, s, e = _der_item(data, start)
    if tag != 0x06 or e > end:
        raise ValueError("AlgorithmIdentifier without OID")
    return _oid_text(data[s:e]), e, end


def _pss_hash(data: bytes, start: int, end: int) -> str:
    """hashAlgorithm from RSASSA-PSS-params; default SHA-1 (mapped to SHA-256)."""
    if start >= end:
        return "sha256"
    tag, s, e = _der_item(data, start)
    if tag != 0x30:
        return "sha256"
    pos = s
    while pos < e:
        t, cs, ce = _der_item(data, pos)
        if t == 0xA0:                     # [0] EXPLICIT HashAlgorithm
            it, hs, he = _der_item(data, cs)
            if it != 0x30:
                raise ValueError("bad PSS hashAlgorithm")
            oid, _, _ = _algorithm(data, hs, he)
            name = _HASH_BY_DIGEST_OID.get(oid)
            if name is None:
                raise ValueError("unknown PSS hash")
            return name
        pos = ce
    return "sha256"


def tls_server_end_point(cert_der: bytes) -> Optional[bytes]:
    """RFC 5929 tls-server-end-point channel binding data for a DER certificate.

    The certificate is hashed with its own signature hash, MD5 and SHA-1
    upgraded to SHA-256.  None when the signature algorithm has no single
    hash (Ed25519/Ed448) or is unknown, or the DER cannot be read; the
    caller then does not offer SCRAM-SHA-256-PLUS, as PostgreSQL does.
    """
    try:
        tag, s, e = _der_item(cert_der, 0)
        if tag != 0x30:
            return None
        tag, _ts, te = _der_item(cert_der, s)      # tbsCertificate
        if tag != 0x30:
            return None
        tag, as_, ae = _der_item(cert_der, te)     # signatureAlgorithm
        if tag != 0x30 or ae > e:
            return None
        oid, ps, pe = _algorithm(cert_der, as_, ae)
        if oid == _RSASSA_PSS:
            name: Optional[str] = _pss_hash(cert_der, ps, pe)
        else:
            name = _HASH_BY_SIG_OID.get(oid)
    except (ValueError, IndexError):
        return None
    if name is None:
        return None
    return hashlib.new(name, cert_der).digest()

