"""PostgreSQL catalog SQL -> SQLite SQL, for the catalog engine.

Two interchangeable paths produce the same :class:`Translation`: the
built-in one (standard library only: ``sqllex`` -> ``sqlparse`` ->
``sqlemit``) and one built on sqlglot's PostgreSQL parser
(``riffq._compat.sqlglot_translate``) when the optional extra is
installed.  Both refuse, with :class:`UnsupportedSql`, whatever they cannot
map faithfully: the catalog must never answer wrongly.
"""
from __future__ import annotations

from typing import Optional

from riffq._catalog.sqlemit import emit_translation
from riffq._catalog.sqlparse import parse_statement
from riffq._catalog.translate_types import OutputColumn, Translation, UnsupportedSql

__all__ = ["translate", "translate_builtin", "UnsupportedSql", "OutputColumn", "Translation",
           "sqlglot_available"]


def translate_builtin(sql: str) -> Translation:
    """The standard-library translator."""
    return emit_translation(parse_statement(sql))


def sqlglot_available() -> bool:
    """True when the sqlglot path can be used (the optional extra imports)."""
    try:
        from riffq._compat import sqlglot_translate
    except ImportError:
        return False
    return sqlglot_translate.AVAILABLE


def translate(sql: str, *, use_sqlglot: Optional[bool] = None) -> Translation:
    """Translate one catalog statement (already split, no trailing ``;``).

    ``use_sqlglot=None`` uses sqlglot when it imports, True forces it
    (ImportError when missing), False forces the built-in translator.
    """
    if use_sqlglot is None:
        use_sqlglot = sqlglot_available()
    if use_sqlglot:
        from riffq._compat.sqlglot_translate import translate_with_sqlglot
        return translate_with_sqlglot(sql)
    return translate_builtin(sql)
