"""The authentication exchange of one connection, for each method.

``password`` asks for the cleartext password and either hands it to the
user's ``handle_auth`` (the original riffq's way) or checks it against the
stored secret; ``md5`` and ``scram-sha-256`` never see the password and
check the client's proof against the stored secret that the user's
credentials hook returns. Every failure is reported the same way, at the
same step, whether the user is unknown or the password wrong.
"""
from __future__ import annotations

import logging
import secrets
import struct
from typing import Any, Callable, Optional

from . import messages as m
from .errors import PgError, ProtocolViolation

log = logging.getLogger("riffq")

METHODS = ("trust", "password", "md5", "scram-sha-256", "cert")


def _failed(user: str) -> PgError:
    return PgError("28P01", 'password authentication failed for user "%s"' % user, severity="FATAL")


class Authenticator:
    """Drives one method's messages; ``done(ok_error)`` ends it."""

    def __init__(self, session: Any, method: str) -> None:
        self.s = session
        self.method = method
        self._step = "start"
        self._salt = b""
        self._scram: Any = None
        #: the SASL mechanism the client chose (SCRAM-SHA-256 or -PLUS)
        self.mechanism: Optional[str] = None

    # the first server message ---------------------------------------------

    def start(self) -> None:
        s = self.s
        if self.method == "password":
            s.host.write(m.authentication_cleartext())
        elif self.method == "md5":
            self._salt = secrets.token_bytes(4)
            s.host.write(m.authentication_md5(self._salt))
        else:
            mechanisms = ["SCRAM-SHA-256"]
            if s.app.channel_binding_data(s) is not None:
                mechanisms.insert(0, "SCRAM-SHA-256-PLUS")   # preferred, offered only over TLS
            self._plus_offered = len(mechanisms) == 2
            s.host.write(m.authentication_sasl(mechanisms))
        self._step = "first"

    # 'p' messages ------------------------------------------------------------

    def on_message(self, body: bytes) -> None:
        if self.method in ("password", "md5"):
            end = body.find(b"\x00")
            if end < 0 or end != len(body) - 1:
                raise ProtocolViolation("invalid password packet")
            text = m.decode_text(body[:end], self.s.codec)
            if self.method == "password":
                self._check(lambda secret: _plain_matches(secret, self.s.user, text), text)
            else:
                self._check(lambda secret: _md5_matches(secret, self.s.user, self._salt, text), None)
        elif self._step == "first":
            mechanism, data = _sasl_initial(body)
            self.mechanism = mechanism
            self._step = "lookup"
            self._lookup(lambda secret, found: self._scram_first(secret, found, mechanism, data))
        elif self._step == "final":
            self._scram_final(body)
        else:
            raise ProtocolViolation("unexpected authentication message")

    # checks -------------------------------------------------------------------

    def _check(self, matches: Callable[[str], bool], cleartext: Optional[str]) -> None:
        """Password and md5: the user's own check, or the stored secret."""
        s = self.s
        if self.method == "password" and s.app.checks_passwords_itself:
            s.check_password_with_hook(cleartext)
            return
        self._lookup(lambda secret, found: self._finish(found and secret is not None and matches(secret)))

    def _lookup(self, then: Callable[[Optional[str], bool], None]) -> None:
        """Ask the credentials hook (on a worker) for the user's secret."""
        s = self.s

        def fetch() -> Any:
            return s.app.lookup_secret(s)

        def back(result: Any, exc: Optional[BaseException]) -> None:
            if exc is not None:
                s.fatal(PgError("XX000", "credentials hook raised %s: %s" % (type(exc).__name__, exc),
                                severity="FATAL"))
                return
            if result is not None and not isinstance(result, str):
                s.fatal(PgError("XX000", "credentials hook must return a string or None, got %s"
                                % type(result).__name__, severity="FATAL"))
                return
            then(result, result is not None)
        s.run_user(fetch, back)

    def _scram_first(self, secret: Optional[str], found: bool, mechanism: str, data: bytes) -> None:
        from .auth import AuthError, ScramExchange, verifier_for_secret
        s = self.s
        verifier = verifier_for_secret(secret) if found else None
        try:
            self._scram = ScramExchange(verifier, mock_salt_seed=s.user.encode("utf-8", "replace"),
                                        channel_binding=s.app.channel_binding_data(s),
                                        plus_offered=self._plus_offered)
            reply = self._scram.client_first(mechanism, data)
        except AuthError as exc:
            s.fatal(PgError(exc.sqlstate, exc.message, severity="FATAL"))
            return
        self._step = "final"
        s.host.write(m.authentication_sasl_continue(reply))

    def _scram_final(self, body: bytes) -> None:
        from .auth import AuthError
        try:
            reply = self._scram.client_final(body)
        except AuthError as exc:
            if exc.sqlstate == "28P01":
                self._finish(False)
            else:
                self.s.fatal(PgError(exc.sqlstate, exc.message, severity="FATAL"))
            return
        self.s.host.write(m.authentication_sasl_final(reply))
        self._finish(True)

    def _finish(self, ok: bool) -> None:
        s = self.s
        s.framer.cap = None
        if ok:
            log.debug("%s authentication succeeded for user %r from %s:%s%s", self.method, s.user,
                      s.peer[0], s.peer[1], " with " + self.mechanism if self.mechanism else "")
            s._authorize()
            return
        log.info("%s authentication failed for user %r from %s:%s", self.method, s.user, *s.peer[:2])
        s.fatal(_failed(s.user))


def _sasl_initial(body: bytes):
    """SASLInitialResponse: mechanism name, then int32 length (-1: none) and data."""
    end = body.find(b"\x00")
    if end < 0 or len(body) < end + 5:
        raise ProtocolViolation("malformed SASL initial response")
    mechanism = body[:end].decode("ascii", "replace")
    (n,) = struct.unpack_from("!i", body, end + 1)
    data = body[end + 5:]
    if n == -1:
        data = b""
    elif n != len(data):
        raise ProtocolViolation("malformed SASL initial response")
    return mechanism, data


def _plain_matches(secret: str, user: str, password: str) -> bool:
    """A cleartext password against any kind of stored secret."""
    import hmac
    from .auth import make_md5_secret, parse_scram_verifier, secret_kind
    kind = secret_kind(secret)
    if kind == "plain":
        return hmac.compare_digest(secret.encode("utf-8"), password.encode("utf-8"))
    if kind == "md5":
        return hmac.compare_digest(secret, make_md5_secret(password, user))
    from .auth import make_scram_verifier
    v = parse_scram_verifier(secret)
    derived = parse_scram_verifier(make_scram_verifier(password, v.iterations, v.salt))
    return hmac.compare_digest(derived.stored_key, v.stored_key)


def _md5_matches(secret: str, user: str, salt: bytes, response: str) -> bool:
    from .auth import md5_response_ok, secret_kind
    if secret_kind(secret) == "scram":
        return False      # a SCRAM verifier cannot answer an md5 challenge (PostgreSQL agrees)
    return md5_response_ok(secret, user, salt, response)
