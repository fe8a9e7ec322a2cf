"""What a catalog translation produces, shared by both translator paths.

Kept apart from ``translate`` so the parser, the emitter and the sqlglot
path can raise and build these without importing each other.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Set, Tuple

__all__ = ["UnsupportedSql", "OutputColumn", "Translation"]


class UnsupportedSql(Exception):
    """A catalog statement the emulation cannot answer faithfully.

    Why: a wrong answer from an imitation catalog is worse than an error, so
    anything the translator cannot map exactly is refused with PostgreSQL's
    SQLSTATE for it ('0A000' feature not supported, '42601' syntax error,
    '42883' unknown function or operator).
    """

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message


def unsupported(what: str) -> UnsupportedSql:
    """The 0A000 error for a construct the catalog emulation cannot evaluate."""
    return UnsupportedSql("0A000", "catalog emulation does not support %s" % what)


@dataclass
class OutputColumn:
    """One result column as PostgreSQL would describe it (name + typing hints)."""

    name: str
    cast: Optional[str] = None
    function: Optional[str] = None
    source: Optional[Tuple[str, str]] = None
    literal: Optional[str] = None
    # Beyond the contract: the PostgreSQL type when the syntax alone shows it
    # (comparisons and other predicates -> 'bool', '||' -> 'text', count() ->
    # 'int8', casts and literals), so the engine can type columns like
    # ``'d' = any(stxkind) AS ndist_enabled``.
    pg_type: Optional[str] = None


@dataclass
class Translation:
    """SQLite SQL for a catalog statement plus what E needs to type its result."""

    sql: str
    columns: Optional[List[OutputColumn]]
    relations: Set[str] = field(default_factory=set)
    star_relations: List[str] = field(default_factory=list)
