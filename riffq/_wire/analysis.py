"""What the server reads from a statement's text, worked out once per text.

Clients send the same few statements again and again: pgbench and ORMs
repeat them, and the unnamed prepared statement of every parameterised
driver call is parsed anew each time. Lexing a statement (splitting,
classifying, finding cursors, COPY and parameter casts) costs more than
answering ``SELECT 1``, so short texts are remembered. Long ones are not:
a multi-megabyte INSERT must not stay in memory after it ran.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Optional, Sequence, Tuple

from .commands import classify_statement
from .copyout import copy_direction
from .cursors import parse_declare, parse_fetch
from .sqlsplit import first_keywords, is_empty_query, split_statements

#: texts longer than this are analysed every time, never kept
MAX_CACHED_TEXT = 4096


def _cached(fn: Any) -> Any:
    remembered = lru_cache(maxsize=1024)(fn)

    def lookup(sql: str, *args: Any) -> Any:
        return remembered(sql, *args) if len(sql) <= MAX_CACHED_TEXT else fn(sql, *args)
    lookup.__doc__ = fn.__doc__
    lookup.cache_info = remembered.cache_info  # type: ignore[attr-defined]
    return lookup


@_cached
def statements(sql: str) -> Tuple[str, ...]:
    """The statements of a simple Query, as PostgreSQL's lexer splits them."""
    return tuple(split_statements(sql))


@_cached
def empty(sql: str) -> bool:
    return is_empty_query(sql)


@_cached
def command(stmt: str) -> Any:
    """What ``commands.classify_statement`` makes of it (immutable values)."""
    return classify_statement(stmt)


@_cached
def copy_of(stmt: str) -> Optional[str]:
    return copy_direction(stmt)


#: First words of the statements PostgreSQL runs as commands (DDL), and of
#: those that are commands unless they have a RETURNING clause.
_COMMANDS = frozenset(("CREATE", "DROP", "ALTER", "TRUNCATE", "GRANT", "REVOKE", "COMMENT"))
_MODIFYING = frozenset(("INSERT", "UPDATE", "DELETE", "MERGE"))
_RETURNING = re.compile(r"\breturning\b", re.I)


@_cached
def runs_as_command(stmt: str) -> bool:
    """Whether PostgreSQL runs this handler statement as a command, whose
    portal gives no rows: INSERT, UPDATE, DELETE or MERGE without
    RETURNING, and DDL. A FETCH naming such a portal before it ran is
    refused without running it. The word RETURNING anywhere, even in a
    string, is taken for the clause: in doubt the statement runs, as riffq
    ran it before it looked."""
    words = first_keywords(stmt, 1)
    if not words:
        return False
    if words[0] in _MODIFYING:
        return _RETURNING.search(stmt) is None
    return words[0] in _COMMANDS


@_cached
def cursor_of(stmt: str) -> Any:
    """A DECLARE or FETCH (named tuples), else None."""
    return parse_declare(stmt) or parse_fetch(stmt)


@_cached
def parameter_types(sql: str, declared: Tuple[int, ...]) -> Tuple[int, ...]:
    from .paraminfer import infer_param_types
    return tuple(infer_param_types(sql, declared))


def inferred_types(sql: str, declared: Sequence[int]) -> Tuple[int, ...]:
    return parameter_types(sql, tuple(declared))


@_cached
def prepared(sql: str) -> Tuple[bool, bool, Any, Optional[str], Any]:
    """What Parse needs of a text, in one lookup: ``(several statements,
    empty, command, COPY direction, cursor)``."""
    is_empty = empty(sql)
    cmd = None if is_empty else command(sql)
    return (len(statements(sql)) > 1, is_empty, cmd,
            None if is_empty else copy_of(sql),
            cursor_of(sql) if cmd is None and not is_empty else None)
