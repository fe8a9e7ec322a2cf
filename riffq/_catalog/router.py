"""Which statements the catalog emulation answers instead of the user's handler.

Runs on every statement, so it starts with one substring scan: a statement
that mentions no ``pg_``, ``information_schema``, ``reg`` type or catalog
function name is never a catalog statement and costs nothing more.  Only
then is the statement parsed (with the catalog translator's parser) and its
relations and calls inspected: a read of catalog relations only, or a
relation-free read calling a catalog function or casting to a ``reg*``
type.  Anything mixing in a user table, anything that is not a read, and
anything the catalog parser cannot read goes to the handler untouched.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Iterator, List, Set

from riffq._catalog import sqlast as A
from riffq._catalog.sqllex import SqlLexError, tokenize
from riffq._catalog.sqlparse import parse_statement
from riffq._catalog.translate_types import UnsupportedSql
from riffq._wire.sqlsplit import first_keywords

__all__ = ["is_catalog_statement", "CATALOG_FUNCTIONS"]

# Catalog functions without a pg_/has_ prefix (those prefixes always count).
CATALOG_FUNCTIONS = frozenset([
    "version", "current_database", "current_schema", "current_schemas", "current_user",
    "session_user", "current_role", "current_catalog", "user", "current_setting",
    "set_config", "format_type", "obj_description", "col_description", "shobj_description",
    "txid_current", "inet_server_addr", "inet_server_port", "inet_client_addr",
    "inet_client_port", "quote_ident",
])
_CATALOG_SCHEMAS = ("pg_catalog", "information_schema")

_PRECHECK = re.compile(
    r"pg_|information_schema|version|current_|session_user|user|has_\w*privilege"
    r"|format_type|description|set_config|txid_current|inet_|reg(?:class|type|proc|namespace"
    r"|role|oper|config|dictionary|collation)", re.I)

_READS = ("SELECT", "WITH", "VALUES", "TABLE")


def is_catalog_statement(sql: str) -> bool:
    """True when *sql* (one statement) should be answered by the catalog engine."""
    if _PRECHECK.search(sql) is None:
        return False
    words = first_keywords(sql, 1)
    if not words or words[0] not in _READS:
        return False
    try:
        query = parse_statement(sql)
    except UnsupportedSql as exc:
        # A read of catalog relations the translator cannot evaluate still
        # belongs to the catalog, which answers it with this error (0A000)
        # rather than handing pg_class to a handler that knows nothing of it.
        return exc.sqlstate == "0A000" and _token_relations_all_catalog(sql)
    return _reads_only_catalog(query)


def _token_relations_all_catalog(sql: str) -> bool:
    """Rough relation check for statements the parser refuses: every name after
    FROM / JOIN / a comma in a FROM list is a catalog relation, and there is one."""
    try:
        toks = tokenize(sql)
    except SqlLexError:
        return False
    if any(tok[0] == "word" and tok[1] == "into" for tok in toks):
        return False  # SELECT INTO creates a table: never the catalog's
    found = False
    for i, tok in enumerate(toks[:-1]):
        if tok[0] != "word" or tok[1] not in ("from", "join"):
            continue
        nxt = toks[i + 1]
        if nxt[0] not in ("word", "qword") or nxt[1] in ("lateral", "only", "select"):
            continue
        if toks[i + 2][:2] == ("punct", "."):
            if nxt[1] not in _CATALOG_SCHEMAS:
                return False
        elif not str(nxt[1]).startswith("pg_"):
            return False
        found = True
    return found


def _reads_only_catalog(query: A.Query) -> bool:
    ctes: Set[str] = set()
    relations = 0
    catalog_call = False
    for node in _walk(query):
        if isinstance(node, A.Query):
            ctes.update(c.name for c in node.ctes)
        elif isinstance(node, A.TableRef):
            if node.schema is None and node.name in ctes:
                continue
            if not _is_catalog_relation(node):
                return False
            relations += 1
        elif isinstance(node, A.Func):
            name = node.name[-1]
            if len(node.name) > 1 and node.name[0] in _CATALOG_SCHEMAS:
                catalog_call = True
            elif name.startswith(("pg_", "has_")) or name in CATALOG_FUNCTIONS:
                catalog_call = True
        elif isinstance(node, A.Cast) and node.type.canonical.startswith("reg"):
            catalog_call = True
    return relations > 0 or catalog_call


def _is_catalog_relation(ref: A.TableRef) -> bool:
    if ref.schema is not None:
        return ref.schema in _CATALOG_SCHEMAS
    return ref.name.startswith("pg_")


def _walk(node: object) -> Iterator[object]:
    """Every syntax node below *node* (itself included), depth first."""
    stack: List[object] = [node]
    while stack:
        cur = stack.pop()
        yield cur
        if dataclasses.is_dataclass(cur):
            for f in dataclasses.fields(cur):
                stack.extend(_children(getattr(cur, f.name)))


def _children(value: object) -> List[object]:
    if dataclasses.is_dataclass(value):
        return [value]
    if isinstance(value, (list, tuple)):
        out: List[object] = []
        for v in value:
            out.extend(_children(v))
        return out
    return []
