"""Errors that travel to the client as ErrorResponse messages.

Every failure the server reports is a value carrying PostgreSQL's severity,
SQLSTATE and message, so the code that detects a problem never needs to know
how it is written on the wire.
"""
from __future__ import annotations

from typing import Optional


class PgError(Exception):
    """A failure to report to the client as an ErrorResponse.

    ``severity`` is ``ERROR`` for a failed statement (the session survives) or
    ``FATAL`` when PostgreSQL would close the connection after reporting it.
    """

    def __init__(self, sqlstate: str, message: str, severity: str = "ERROR",
                 detail: Optional[str] = None, hint: Optional[str] = None,
                 routine: Optional[str] = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message
        self.severity = severity
        self.detail = detail
        self.hint = hint
        #: PostgreSQL's source routine (the R field); some clients act on it,
        #: e.g. asyncpg re-prepares on RevalidateCachedQuery.
        self.routine = routine

    @property
    def fatal(self) -> bool:
        return self.severity in ("FATAL", "PANIC")

    def __repr__(self) -> str:
        return "PgError(%r, %r, severity=%r)" % (self.sqlstate, self.message, self.severity)


class ProtocolViolation(PgError):
    """The client broke the protocol (bad framing, unknown message type).

    PostgreSQL answers these with ``FATAL 08P01`` and closes the connection,
    because the byte stream can no longer be trusted to be in sync.
    """

    def __init__(self, message: str) -> None:
        super().__init__("08P01", message, severity="FATAL")
