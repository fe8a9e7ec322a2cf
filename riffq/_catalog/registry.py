"""What the user declared for catalog emulation: databases, schemas, tables.

The eager ``register_*`` calls and the lazy source are only recorded here;
the catalog engine reads them when it answers a catalog statement.
"""
from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional, Tuple


class CatalogRegistry:
    """Thread-safe record of registered databases, schemas and tables."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.databases: Dict[str, Dict[str, Dict[str, List[Dict[str, Any]]]]] = {}
        #: (database, schema, table) -> the table's comment (pg_description)
        self.table_comments: Dict[Tuple[str, str, str], str] = {}
        #: (database, schema, table) -> the defining query of a view
        self.view_definitions: Dict[Tuple[str, str, str], str] = {}
        self.lazy_source: Optional[Any] = None
        #: bumped by every change: the engine keeps what it built from the
        #: registry (rows, OIDs) until this moves
        self.generation = 0

    def register_database(self, database: str) -> None:
        with self._lock:
            self.databases.setdefault(str(database), {})
            self.generation += 1

    def register_schema(self, database: str, schema: str) -> None:
        with self._lock:
            self.databases.setdefault(str(database), {}).setdefault(str(schema), {})
            self.generation += 1

    def register_table(self, database: str, schema: str, table: str,
                       columns: List[Dict[str, Any]], comment: Optional[str] = None,
                       view_sql: Optional[str] = None) -> None:
        """``comment`` becomes the table's description (``\\dt+``, ``obj_description``);
        ``view_sql`` makes it a view (relkind ``v``) with that definition."""
        cols = _check_columns(table, columns)
        key = (str(database), str(schema), str(table))
        with self._lock:
            db = self.databases.setdefault(key[0], {})
            db.setdefault(key[1], {})[key[2]] = cols
            for store, value in ((self.table_comments, comment), (self.view_definitions, view_sql)):
                if value is None:
                    store.pop(key, None)
                else:
                    store[key] = str(value)
            self.generation += 1

    def reset_after_fork(self) -> None:
        """A forked worker: a thread of the parent may have held the lock."""
        self._lock = threading.Lock()

    def set_lazy_source(self, source: Any) -> None:
        for name in ("databases", "schemas", "relations", "columns"):
            if not callable(getattr(source, name, None)):
                raise TypeError("lazy catalog source needs a %s(...) method" % name)
        with self._lock:
            self.lazy_source = source
            self.generation += 1


def _check_columns(table: str, columns: Any) -> List[Dict[str, Any]]:
    """Columns are one-key dicts ``{"name": {"type": ..., "nullable": ...}}``."""
    if not isinstance(columns, list):
        raise TypeError("columns of table %r must be a list of {name: {type, nullable}} dicts" % table)
    out = []
    for col in columns:
        if not isinstance(col, dict) or len(col) != 1:
            raise TypeError("column entry %r of table %r must be a one-key dict "
                            "{name: {\"type\": ..., \"nullable\": ...}}" % (col, table))
        (name, spec), = col.items()
        if not isinstance(spec, dict) or "type" not in spec:
            raise TypeError("column %r of table %r needs a \"type\"" % (name, table))
        if "references" in spec:
            from .content_keys import parse_reference
            try:
                parse_reference(spec["references"])
            except ValueError as exc:
                raise ValueError("column %r of table %r: %s" % (name, table, exc)) from None
        out.append({"name": str(name), "type": str(spec["type"]),
                    "nullable": bool(spec.get("nullable", True)), **{
                        k: v for k, v in spec.items() if k not in ("type", "nullable")}})
    return out
