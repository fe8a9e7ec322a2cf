"""Test-only stand-in for the translator's Translation (helper T's
``riffq/_catalog/translate.py`` is not merged yet): the SQL is written
directly in the SQLite form the catalog contract defines."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set, Tuple


@dataclass
class OutputColumn:
    name: str
    cast: Optional[str] = None
    function: Optional[str] = None
    source: Optional[Tuple[str, str]] = None
    literal: Optional[str] = None


@dataclass
class Translation:
    sql: str
    columns: Optional[List[OutputColumn]] = None
    relations: Set[str] = field(default_factory=set)
    star_relations: List[str] = field(default_factory=list)


class StandInTranslator:
    """translate() stand-in: a statement registered with :meth:`tr` gets its
    Translation back (keyed by SQL text, so threads may share it); anything
    else is passed through as SQLite SQL with no typing hints."""

    def __init__(self) -> None:
        self.known: Dict[str, Translation] = {}

    def tr(self, sql: str, columns: Optional[List[OutputColumn]] = None, relations: Iterable[str] = (),
           star: Iterable[str] = ()) -> str:
        self.known[sql] = Translation(sql, columns, set(relations), list(star))
        return sql

    def __call__(self, sql: str) -> Translation:
        return self.known.get(sql) or Translation(sql)
