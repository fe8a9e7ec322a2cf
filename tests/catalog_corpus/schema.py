"""The one test schema the catalog corpus is captured and judged against.

Real PostgreSQL gets it as DDL (``ddl()``, also written to ``schema.sql``
next to this file by the capture tool) and a riffq server gets it through
``register_database/register_schema/register_table`` (``register_calls()``).
Both come from the structure below, so the two servers cannot drift apart:
a column added here appears on both sides.

The schema covers what catalog-browsing tools look at: two schemas
(``public`` and ``sales``), the common column types, NOT NULL columns,
single and composite primary keys, foreign keys (one across schemas), a
view, a table without a primary key, and comments on tables and columns.
Secondary indexes are deliberately absent: riffq's registration has no way
to declare them, so including them would only measure something riffq
cannot be told.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

DATABASE = "shop"
SCHEMAS = ("public", "sales")
SCHEMA_SQL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema.sql")


@dataclass(frozen=True)
class Column:
    name: str
    type: str                      # a PostgreSQL type name, as both DDL and register_table accept
    nullable: bool = True
    primary_key: bool = False      # part of the table's primary key (in column order)
    comment: Optional[str] = None
    references: Optional[str] = None  # "schema.table(column)": a foreign key to that key


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    columns: Tuple[Column, ...]
    comment: Optional[str] = None
    view_sql: Optional[str] = None  # a view when set: the SELECT it is defined by

    @property
    def is_view(self) -> bool:
        return self.view_sql is not None

    @property
    def primary_key(self) -> List[str]:
        return [c.name for c in self.columns if c.primary_key]


RELATIONS: Tuple[Relation, ...] = (
    Relation("public", "customers", comment="People who buy things", columns=(
        Column("id", "integer", nullable=False, primary_key=True),
        Column("name", "text", nullable=False, comment="Full name as printed on invoices"),
        Column("email", "varchar(20)"),
        Column("active", "boolean", nullable=False),
        Column("signup_date", "date"),
        Column("created_at", "timestamptz"),
        Column("tags", "text[]"),
        Column("external_id", "uuid"),
        Column("profile", "json"),
    )),
    Relation("public", "events", columns=(
        Column("id", "bigint", nullable=False),
        Column("happened_at", "timestamp"),
        Column("amount", "numeric(12,2)"),
        Column("payload", "json"),
    )),
    Relation("sales", "orders", comment="One row per order", columns=(
        Column("id", "bigint", nullable=False, primary_key=True),
        Column("customer_id", "integer", nullable=False, comment="customers.id of the buyer",
               references="public.customers(id)"),
        Column("total", "numeric(12,2)", nullable=False),
        Column("ordered_on", "date"),
        Column("shipped", "boolean"),
        Column("note", "text"),
    )),
    Relation("sales", "order_lines", columns=(
        Column("order_id", "bigint", nullable=False, primary_key=True,
               references="sales.orders(id)"),
        Column("line_no", "integer", nullable=False, primary_key=True),
        Column("sku", "varchar(20)", nullable=False),
        Column("quantity", "integer"),
    )),
    Relation("public", "active_customers",
             view_sql="SELECT id, name FROM public.customers WHERE active",
             columns=(Column("id", "integer"), Column("name", "text"))),
)


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def relation_ddl(rel: Relation) -> str:
    """One relation (and its comments) as SQL for real PostgreSQL."""
    out = []
    qualified = "%s.%s" % (rel.schema, rel.name)
    if rel.is_view:
        out.append("CREATE VIEW %s AS %s;\n" % (qualified, rel.view_sql))
    else:
        lines = ["    %s %s%s%s" % (c.name, c.type, "" if c.nullable else " NOT NULL",
                                "" if c.references is None else " REFERENCES " + c.references)
                 for c in rel.columns]
        if rel.primary_key:
            lines.append("    PRIMARY KEY (%s)" % ", ".join(rel.primary_key))
        out.append("CREATE TABLE %s (\n%s\n);\n" % (qualified, ",\n".join(lines)))
    if rel.comment is not None:
        kind = "VIEW" if rel.is_view else "TABLE"
        out.append("COMMENT ON %s %s IS %s;\n" % (kind, qualified, _quote_literal(rel.comment)))
    for col in rel.columns:
        if col.comment is not None:
            out.append("COMMENT ON COLUMN %s.%s IS %s;\n"
                       % (qualified, col.name, _quote_literal(col.comment)))
    return "".join(out)


def ddl() -> str:
    """The schema as SQL for real PostgreSQL, run inside database DATABASE."""
    out = ["-- Generated from tests/catalog_corpus/schema.py; do not edit by hand.\n"]
    for schema in SCHEMAS:
        if schema != "public":
            out.append("CREATE SCHEMA %s;\n" % schema)
    out.extend(relation_ddl(rel) for rel in RELATIONS)
    return "".join(out)


def register_calls() -> List[Tuple[str, tuple, Dict[str, Any]]]:
    """The same schema as riffq registration calls: ``(method, args, kwargs)``.

    Column specs carry the documented core keys (``type``, ``nullable``) plus
    the catalog extras ``primary_key: True`` and ``comment``.  A table comment
    and a view have no slot in ``register_table(db, schema, table, columns)``;
    they travel as keyword arguments ``comment=`` and ``view_sql=`` which the
    server must accept (the lead wires them; until then the call raises
    TypeError and the comparison fails loudly rather than silently dropping
    them).
    """
    calls: List[Tuple[str, tuple, Dict[str, Any]]] = [("register_database", (DATABASE,), {})]
    for schema in SCHEMAS:
        calls.append(("register_schema", (DATABASE, schema), {}))
    calls.extend(relation_registration(rel) for rel in RELATIONS)
    return calls


def relation_registration(rel: Relation) -> Tuple[str, tuple, Dict[str, Any]]:
    """One relation as a ``register_table`` call in database DATABASE."""
    columns = []
    for col in rel.columns:
        spec: Dict[str, Any] = {"type": col.type, "nullable": col.nullable}
        if col.primary_key:
            spec["primary_key"] = True
        if col.comment is not None:
            spec["comment"] = col.comment
        if col.references is not None:
            spec["references"] = col.references
        columns.append({col.name: spec})
    kwargs: Dict[str, Any] = {}
    if rel.comment is not None:
        kwargs["comment"] = rel.comment
    if rel.is_view:
        kwargs["view_sql"] = rel.view_sql
    return ("register_table", (DATABASE, rel.schema, rel.name, columns), kwargs)


def apply_registration(server: Any) -> None:
    """Register the schema on a riffq server (``Server`` or ``RiffqServer``)."""
    for method, args, kwargs in register_calls():
        getattr(server, method)(*args, **kwargs)


def user_table_names() -> List[str]:
    """Names of the schema's relations: a statement naming one is not a catalog read."""
    return [rel.name for rel in RELATIONS]

