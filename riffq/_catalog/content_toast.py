"""TOAST tables of the user's tables, as PostgreSQL creates them.

PostgreSQL gives a table a TOAST table (``pg_toast.pg_toast_<oid>``, with
a unique index ``pg_toast_<oid>_index``) when a row could outgrow a
quarter page: some column is varlena and not of bounded size, or the
bounded sizes add up past the threshold.  Tools that list every relation
(pgjdbc's ``getTables`` with all types, DBeaver's system objects) show
them, so riffq makes the same decision from the registered column types.
Lazy sources are left out: deciding needs every table's columns, and a
lazy source is only asked for columns a statement reads.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from .content import UserRelation, stable_oid
from .content_relrows import attribute_row, class_row, system_attributes

PG_TOAST_OID = 99
#: TOAST_TUPLE_THRESHOLD with 8 kB pages: MAXALIGN_DOWN((8192 - 40) / 4)
_THRESHOLD = 2032
_TUPLE_HEADER = 23
_ALIGN = {"c": 1, "s": 2, "i": 4, "d": 8}
_UTF8_MAX_BYTES = 4
#: (name, type OID) of a TOAST table's columns; its index covers the first two
_TOAST_COLUMNS = (("chunk_id", 26), ("chunk_seq", 23), ("chunk_data", 17))
_INDEX_OPCLASSES = [1981, 1978]            # oid_ops, int4_ops


def _maximum_size(typoid: int, typmod: int) -> int:
    """PostgreSQL's type_maximum_size: a varlena's bound in bytes, or -1."""
    if typmod < 0:
        return -1
    if typoid in (1042, 1043):                    # char(n), varchar(n)
        return (typmod - 4) * _UTF8_MAX_BYTES + 4
    if typoid == 1700 and typmod >= 4:            # numeric(p, s)
        precision = ((typmod - 4) >> 16) & 0xFFFF
        return 8 + (precision + 6) // 4 * 2
    if typoid in (1560, 1562):                    # bit(n), varbit(n)
        return (typmod + 7) // 8 + 8
    return -1


def _align(n: int, to: int) -> int:
    return (n + to - 1) // to * to


def needs_toast(ctx: Any, rel: UserRelation) -> bool:
    """needs_toast_table() of PostgreSQL's toasting.c, for a registered table.

    Decided once per list of column types: thousands of tables registered
    alike share the answer."""
    if rel.kind not in ("r", "m") or ctx.snap.lazy is not None:
        return False
    # registered columns are keyed by their type strings, without parsing them
    shape: Tuple[Any, ...] = tuple(c["type"] for c in rel._eager_columns) \
        if rel._eager_columns is not None else \
        tuple((c.type_oid, c.typmod) for c in ctx.snap.columns(rel))
    memo: Dict[Tuple[Any, ...], bool] = ctx.snap.cache.setdefault("toast_shapes", {})
    if shape not in memo:
        memo[shape] = _needs_toast(ctx, ctx.snap.columns(rel))
    return memo[shape]


def _needs_toast(ctx: Any, columns: List[Any]) -> bool:
    length, toastable, unbounded = 0, False, False
    for c in columns:
        t = ctx.static.types.get(c.type_oid) or ctx.static.types[25]
        if t["typlen"] > 0:
            length = _align(length, _ALIGN[t["typalign"]]) + t["typlen"]
            continue
        toastable = toastable or t["typstorage"] != "p"
        size = _maximum_size(c.type_oid, c.typmod)
        if size < 0:
            unbounded = True
        else:
            length = _align(length, _ALIGN[t["typalign"]]) + size
    if not toastable or unbounded:
        return toastable
    header = _align(_TUPLE_HEADER + (len(columns) + 7) // 8, 8)
    return header + _align(length, 8) > _THRESHOLD


def toast_oids(ctx: Any, rel: UserRelation) -> Optional[Tuple[int, int]]:
    """(TOAST table OID, its index's OID) when the table has one."""
    memo: Dict[int, Optional[Tuple[int, int]]] = ctx.snap.cache.setdefault("toast", {})
    if rel.oid not in memo:
        q = "%s.%s.%s" % (ctx.db, rel.schema, rel.name)
        memo[rel.oid] = (stable_oid("toast:" + q, ctx.snap._taken),
                         stable_oid("toastindex:" + q, ctx.snap._taken)) \
            if needs_toast(ctx, rel) else None
    return memo[rel.oid]


def toast_classes(ctx: Any, rel: UserRelation) -> List[Tuple[Any, ...]]:
    oids = toast_oids(ctx, rel)
    if oids is None:
        return []
    name = "pg_toast_%d" % rel.oid
    return [class_row(oids[0], name, PG_TOAST_OID, 0, "t", 3, has_index=True),
            class_row(oids[1], name + "_index", PG_TOAST_OID, 0, "i", 2)]


def toast_attributes(ctx: Any, rel: UserRelation) -> List[Tuple[Any, ...]]:
    oids = toast_oids(ctx, rel)
    if oids is None:
        return []
    out = system_attributes(ctx.static, oids[0])
    for relid, columns in ((oids[0], _TOAST_COLUMNS), (oids[1], _TOAST_COLUMNS[:2])):
        for i, (name, typoid) in enumerate(columns):
            # chunks are stored as they come
            out.append(attribute_row(ctx.static, relid, i + 1, name, typoid, -1, False, storage="p"))
    return out


def toast_index(ctx: Any, rel: UserRelation) -> List[Dict[str, Any]]:
    oids = toast_oids(ctx, rel)
    if oids is None:
        return []
    return [{
        "indexrelid": oids[1], "indrelid": oids[0], "indnatts": 2, "indnkeyatts": 2,
        "indisunique": True, "indnullsnotdistinct": False, "indisprimary": True,
        "indisexclusion": False, "indimmediate": True, "indisclustered": False,
        "indisvalid": True, "indcheckxmin": False, "indisready": True, "indislive": True,
        "indisreplident": False, "indkey": [1, 2], "indcollation": [0, 0],
        "indclass": list(_INDEX_OPCLASSES), "indoption": [0, 0],
    }]
