"""Foreign keys of registered tables: a column spec's ``"references"``.

``{"customer_id": {"type": "int", "references": "public.customers(id)"}}``
declares what ``customer_id integer REFERENCES public.customers(id)``
declares in PostgreSQL, and the catalog shows what PostgreSQL would: a
``pg_constraint`` row of contype 'f' named ``<table>_<column>_fkey``,
``relhastriggers`` on both tables (the constraint's internal triggers),
and the information_schema rows (table_constraints, key_column_usage,
constraint_column_usage, referential_constraints), which is where psql's
``\\d`` ("Foreign-key constraints:", "Referenced by:"), pgjdbc's
``getImportedKeys`` and SQLAlchemy's ``get_foreign_keys`` look.

The referenced column must be the referenced table's (one-column) primary
key, as PostgreSQL requires a unique index there; a reference riffq cannot
resolve fails the catalog statement with an error naming it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from .._wire.errors import PgError
from .content import UserRelation, stable_oid
from .pgnames import quote_ident

#: ``[schema.]table[(column)]``
REFERENCE = re.compile(r"^\s*(?:(\w+)\s*\.\s*)?(\w+)\s*(?:\(\s*(\w+)\s*\))?\s*$")
#: (left type, right type) -> OID of the mergejoinable "=" between them
_EQ_OPERATORS = {
    (16, 16): 91, (19, 19): 93, (19, 25): 254, (20, 20): 410, (20, 21): 1868, (20, 23): 416,
    (21, 20): 1862, (21, 21): 94, (21, 23): 532, (23, 20): 15, (23, 21): 533, (23, 23): 96,
    (25, 19): 260, (25, 25): 98, (26, 26): 607, (700, 700): 620, (700, 701): 1120,
    (701, 700): 1130, (701, 701): 670, (1042, 1042): 1054, (1082, 1082): 1093,
    (1082, 1114): 2347, (1082, 1184): 2360, (1114, 1082): 2373, (1114, 1114): 2060,
    (1114, 1184): 2536, (1184, 1082): 2386, (1184, 1114): 2542, (1184, 1184): 1320,
    (1700, 1700): 1752, (2950, 2950): 2972,
}


@dataclass
class ForeignKey:
    oid: int
    name: str
    rel: UserRelation
    attnum: int
    column: str
    type_oid: int
    target: UserRelation
    target_attnum: int
    target_column: str
    target_type: int


def parse_reference(text: Any) -> Tuple[Optional[str], str, Optional[str]]:
    """(schema or None, table, column or None); ValueError when malformed."""
    m = REFERENCE.match(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError("\"references\" must be \"[schema.]table[(column)]\", got %r" % (text,))
    return m.group(1), m.group(2), m.group(3)


def foreign_keys(ctx: Any) -> List[ForeignKey]:
    """Every foreign key of the connected database's registered tables."""
    keys = ctx.snap.cache.get("foreign_keys")
    if keys is None:
        keys = ctx.snap.cache["foreign_keys"] = _resolve(ctx)
    return keys


def _resolve(ctx: Any) -> List[ForeignKey]:
    out = []
    if ctx.snap.lazy is not None:
        return out
    for rel in ctx.snap.relations():
        if rel._eager_columns is not None and not any("references" in c
                                                      for c in rel._eager_columns):
            continue      # (thousands of tables: no need to build their columns)
        for i, col in enumerate(ctx.snap.columns(rel)):
            if col.references is None:
                continue
            schema, table, column = parse_reference(col.references)
            schema = schema or rel.schema
            target = next((r for r in ctx.snap.relations_named(table)
                           if r.schema == schema and r.kind == "r"), None)
            where = "table %s.%s column %s references %s" % (rel.schema, rel.name, col.name,
                                                            col.references)
            if target is None:
                raise PgError("42P01", "%s: no registered table %s.%s" % (where, schema, table))
            tcols = ctx.snap.columns(target)
            pk = [j for j, c in enumerate(tcols) if c.primary_key]
            if len(pk) != 1 or (column is not None and tcols[pk[0]].name != column):
                raise PgError("42830", "%s: the referenced column must be the one-column primary "
                              "key of %s.%s" % (where, schema, table))
            if not _equality(tcols[pk[0]].type_oid, col.type_oid):
                raise PgError("42804", "%s: the key columns' types cannot be compared" % where)
            q = "%s.%s.%s.%s" % (ctx.db, rel.schema, rel.name, col.name)
            out.append(ForeignKey(stable_oid("fkey:" + q, ctx.snap._taken),
                                  "%s_%s_fkey" % (rel.name, col.name), rel, i + 1, col.name,
                                  col.type_oid, target, pk[0] + 1, tcols[pk[0]].name,
                                  tcols[pk[0]].type_oid))
    return out


def has_foreign_key_triggers(ctx: Any, rel: UserRelation) -> bool:
    """PostgreSQL's internal RI triggers sit on both ends of a foreign key."""
    ends = ctx.snap.cache.get("foreign_key_ends")
    if ends is None:
        ends = ctx.snap.cache["foreign_key_ends"] = {
            oid for fk in foreign_keys(ctx) for oid in (fk.rel.oid, fk.target.oid)}
    return rel.oid in ends


def _equality(left: int, right: int) -> int:
    """The btree equality operator PostgreSQL records for a key pair
    (varchar compares as text); 0 when there is none."""
    def base(t: int) -> int:
        return 25 if t == 1043 else t
    return _EQ_OPERATORS.get((base(left), base(right)), 0)


def constraint_rows(ctx: Any) -> List[Dict[str, Any]]:
    out = []
    for fk in foreign_keys(ctx):
        out.append({
            "oid": fk.oid, "conname": fk.name, "connamespace": fk.rel.schema_oid, "contype": "f",
            "condeferrable": False, "condeferred": False, "convalidated": True,
            "conrelid": fk.rel.oid, "contypid": 0, "conindid": fk.target.pk_index_oid,
            "conparentid": 0, "confrelid": fk.target.oid, "confupdtype": "a",
            "confdeltype": "a", "confmatchtype": "s", "conislocal": True, "coninhcount": 0,
            "connoinherit": True, "conkey": [fk.attnum], "confkey": [fk.target_attnum],
            "conpfeqop": [_equality(fk.target_type, fk.type_oid)],
            "conppeqop": [_equality(fk.target_type, fk.target_type)],
            "conffeqop": [_equality(fk.type_oid, fk.type_oid)],
        })
    return out


def constraint_def(ctx: Any, oid: int) -> Optional[str]:
    """pg_get_constraintdef of a foreign key (the target qualified when
    it is not visible on the search path, as PostgreSQL prints it)."""
    from .content_rows import relation_visible
    for fk in foreign_keys(ctx):
        if fk.oid == oid:
            t = fk.target
            table = quote_ident(t.name) if relation_visible(ctx, t) else \
                "%s.%s" % (quote_ident(t.schema), quote_ident(t.name))
            return "FOREIGN KEY (%s) REFERENCES %s(%s)" % (
                quote_ident(fk.column), table, quote_ident(fk.target_column))
    return None


# --- information_schema ---------------------------------------------------------------


def _constraint(ctx: Any, fk: ForeignKey) -> Dict[str, Any]:
    return {"constraint_catalog": ctx.db, "constraint_schema": fk.rel.schema,
            "constraint_name": fk.name}


def table_constraints(ctx: Any) -> List[Dict[str, Any]]:
    return [dict(_constraint(ctx, fk), table_catalog=ctx.db, table_schema=fk.rel.schema,
                 table_name=fk.rel.name, constraint_type="FOREIGN KEY", is_deferrable="NO",
                 initially_deferred="NO", enforced="YES", nulls_distinct=None)
            for fk in foreign_keys(ctx)]


def key_column_usage(ctx: Any) -> List[Dict[str, Any]]:
    return [dict(_constraint(ctx, fk), table_catalog=ctx.db, table_schema=fk.rel.schema,
                 table_name=fk.rel.name, column_name=fk.column, ordinal_position=1,
                 position_in_unique_constraint=1)
            for fk in foreign_keys(ctx)]


def constraint_column_usage(ctx: Any) -> List[Dict[str, Any]]:
    """PostgreSQL lists a foreign key under the columns it references."""
    return [dict(_constraint(ctx, fk), table_catalog=ctx.db, table_schema=fk.target.schema,
                 table_name=fk.target.name, column_name=fk.target_column)
            for fk in foreign_keys(ctx)]


def referential_constraints(ctx: Any) -> List[Dict[str, Any]]:
    return [dict(_constraint(ctx, fk), unique_constraint_catalog=ctx.db,
                 unique_constraint_schema=fk.target.schema,
                 unique_constraint_name=fk.target.name + "_pkey", match_option="NONE",
                 update_rule="NO ACTION", delete_rule="NO ACTION")
            for fk in foreign_keys(ctx)]
