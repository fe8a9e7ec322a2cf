"""pg_class and pg_attribute rows as PostgreSQL 15 fills them, for any
relation riffq describes: the catalog's own, the user's, their indexes and
TOAST tables."""
from __future__ import annotations

from typing import Any, Dict, List

from .content import BOOTSTRAP_SUPERUSER_OID, StaticCatalog

HEAP_AM, BTREE_AM = 2, 403

#: The system columns PostgreSQL 15 gives every relation with heap storage
#: (tables, materialized views, TOAST tables; not views or indexes): name,
#: type OID, attnum.  Tools that read pg_attribute without ``attnum > 0``
#: (DBeaver's column listing) show them, so they must be there.
SYSTEM_COLUMNS = (("tableoid", 26, -6), ("cmax", 29, -5), ("xmax", 28, -4),
                  ("cmin", 29, -3), ("xmin", 28, -2), ("ctid", 27, -1))


def attribute_row(static: StaticCatalog, relid: int, attnum: int, name: str, typoid: int,
                  typmod: int, notnull: bool, hasdef: bool = False) -> Dict[str, Any]:
    t = static.types.get(typoid) or static.types[25]
    return {
        "attrelid": relid, "attname": name, "atttypid": typoid, "attstattarget": -1,
        "attlen": t["typlen"], "attnum": attnum, "attndims": 1 if t["typcategory"] == "A" and
        t["typelem"] and t["typstorage"] != "p" else 0,
        "attcacheoff": -1, "atttypmod": typmod, "attbyval": t["typbyval"],
        "attalign": t["typalign"], "attstorage": t["typstorage"], "attcompression": "",
        "attnotnull": notnull, "atthasdef": hasdef, "atthasmissing": False, "attidentity": "",
        "attgenerated": "", "attisdropped": False, "attislocal": True, "attinhcount": 0,
        "attcollation": t["typcollation"],
    }


def system_attributes(static: StaticCatalog, relid: int) -> List[Dict[str, Any]]:
    """pg_attribute rows of a heap relation's system columns, as PostgreSQL
    writes them: NOT NULL, no statistics target (0), stored plain."""
    rows = []
    for name, typoid, attnum in SYSTEM_COLUMNS:
        row = attribute_row(static, relid, attnum, name, typoid, -1, True)
        row["attstattarget"] = 0
        rows.append(row)
    return rows


def class_row(oid: int, name: str, nsp: int, reltype: int, kind: str, natts: int,
              owner: int = BOOTSTRAP_SUPERUSER_OID, has_index: bool = False,
              has_rules: bool = False, has_triggers: bool = False,
              row_security: bool = False, toast: int = 0) -> Dict[str, Any]:
    storage = kind in ("r", "m", "t", "i")
    heap = kind in ("r", "m", "t")
    return {
        "oid": oid, "relname": name, "relnamespace": nsp, "reltype": reltype, "reloftype": 0,
        "relowner": owner, "relam": HEAP_AM if heap else BTREE_AM if kind == "i" else 0,
        # an empty btree index still has its metapage: PostgreSQL reports 1 page
        "relfilenode": oid if storage else 0, "reltablespace": 0, "relpages": int(kind == "i"),
        "reltuples": -1.0 if heap else 0.0, "relallvisible": 0,
        "reltoastrelid": toast, "relhasindex": has_index, "relisshared": False,
        "relpersistence": "p", "relkind": kind, "relnatts": natts, "relchecks": 0,
        "relhasrules": has_rules, "relhastriggers": has_triggers, "relhassubclass": False,
        "relrowsecurity": row_security, "relforcerowsecurity": False, "relispopulated": True,
        "relreplident": "d" if kind in ("r", "m") else "n", "relispartition": False,
        "relrewrite": 0, "relfrozenxid": 0, "relminmxid": 1 if heap else 0,
    }
