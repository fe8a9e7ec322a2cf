"""Making stored secrets for riffq's password checks.

Return one of these from ``get_password`` (or ``Server.on_credentials``)
instead of a plaintext password, so nobody has to store passwords::

    VERIFIERS = {"alice": riffq.auth.scram_verifier("correct horse")}

    class Connection(riffq.BaseConnection):
        def get_password(self, user, database):
            return VERIFIERS.get(user)

A verifier is in PostgreSQL's own format (``SCRAM-SHA-256$4096:...``), so
the ``rolpassword`` values of an existing PostgreSQL work too.
"""
from __future__ import annotations

from typing import Optional


def scram_verifier(password: str, iterations: int = 4096, salt: Optional[bytes] = None) -> str:
    """A SCRAM-SHA-256 verifier for ``password`` (random salt by default)."""
    from ._wire.auth import make_scram_verifier
    return make_scram_verifier(password, iterations, salt)


def md5_secret(password: str, user: str) -> str:
    """PostgreSQL's md5 form, ``"md5" + md5(password + user)`` (for clients
    that only speak md5; prefer SCRAM)."""
    from ._wire.auth import make_md5_secret
    return make_md5_secret(password, user)
