"""What the session-statement parser produces: commands and errors.

:func:`.session_sql.classify` turns a SET/SHOW/RESET/transaction statement
into one of these frozen dataclasses, which the server executes against
its session state without looking at SQL again; the errors carry what an
ErrorResponse needs (SQLSTATE, message, 1-based position, hint).  Both the
lexer and the grammar depend on these types, so they sit below both.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple, Union

# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------

class StatementError(Exception):
    """An error PostgreSQL would raise for this statement before running it.

    ``sqlstate`` and ``message`` are what the ErrorResponse needs; ``position``
    is the 1-based character position in the statement text (or None).
    """

    def __init__(self, sqlstate: str, message: str, position: Optional[int] = None,
                 hint: Optional[str] = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message
        self.position = position
        self.hint = hint


class SqlSyntaxError(StatementError):
    """A syntax error (SQLSTATE 42601) with PostgreSQL's wording."""

    def __init__(self, message: str, position: Optional[int] = None,
                 hint: Optional[str] = None) -> None:
        super().__init__("42601", message, position, hint)


@dataclass(frozen=True)
class SetCommand:
    """``SET [SESSION|LOCAL] name {TO|=} value`` and its special spellings.

    ``value`` is None for ``DEFAULT`` (and ``SET TIME ZONE LOCAL``), which
    means "reset".  ``SET TRANSACTION`` / ``SET SESSION CHARACTERISTICS AS
    TRANSACTION`` can name several modes at once: the first is in
    ``name``/``value`` and the others in ``more``; :attr:`items` lists them
    all.  ``transaction`` is True for ``SET TRANSACTION``, which PostgreSQL
    applies like SET LOCAL but whose out-of-transaction warning reads
    ``SET TRANSACTION can only be used in transaction blocks``.
    """

    name: str
    value: Optional[str]
    local: bool = False
    more: Tuple[Tuple[str, Optional[str]], ...] = ()
    transaction: bool = False

    @property
    def items(self) -> Tuple[Tuple[str, Optional[str]], ...]:
        """All (name, value) pairs this statement sets, in order."""
        return ((self.name, self.value),) + self.more


@dataclass(frozen=True)
class ShowCommand:
    """``SHOW name``; ``name`` is ``"all"`` for ``SHOW ALL``."""

    name: str


@dataclass(frozen=True)
class ResetCommand:
    """``RESET name``; ``name`` is ``"all"`` for ``RESET ALL``."""

    name: str


@dataclass(frozen=True)
class SimpleTagCommand:
    """A statement answered with just a command tag.

    ``name`` is the object it names (prepared statement, cursor, channel), or
    None for the ALL / ``*`` forms.
    """

    tag: str
    name: Optional[str] = None


@dataclass(frozen=True)
class TransactionCommand:
    """Transaction control.

    ``kind`` is one of begin, commit, rollback, savepoint, release,
    rollback_to; ``tag`` is PostgreSQL's command tag; ``name`` the savepoint;
    ``chain`` is True for ``AND CHAIN``; ``modes`` holds the transaction
    modes of BEGIN / START TRANSACTION as (parameter, value) pairs, e.g.
    ``(("transaction_isolation", "serializable"), ("transaction_read_only",
    "on"))``.
    """

    kind: str
    tag: str
    name: Optional[str] = None
    chain: bool = False
    modes: Tuple[Tuple[str, str], ...] = ()


#: Any of the statement classes :func:`classify` returns.
Command = Union[SetCommand, ShowCommand, ResetCommand, SimpleTagCommand, TransactionCommand]
