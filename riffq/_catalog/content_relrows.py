"""pg_class and pg_attribute rows as PostgreSQL 15 fills them, for any
relation riffq describes: the catalog's own, the user's, their indexes and
TOAST tables."""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

from .content import BOOTSTRAP_SUPERUSER_OID, StaticCatalog

HEAP_AM, BTREE_AM = 2, 403

#: The system columns PostgreSQL 15 gives every relation with heap storage
#: (tables, materialized views, TOAST tables; not views or indexes): name,
#: type OID, attnum.  Tools that read pg_attribute without ``attnum > 0``
#: (DBeaver's column listing) show them, so they must be there.
SYSTEM_COLUMNS = (("tableoid", 26, -6), ("cmax", 29, -5), ("xmax", 28, -4),
                  ("cmin", 29, -3), ("xmin", 28, -2), ("ctid", 27, -1))


#: pg_attribute's columns in PostgreSQL 15's order, the order of
#: ``attribute_row``'s values (a test holds it to the catalog data's)
ATTRIBUTE_COLUMNS = (
    "attrelid", "attname", "atttypid", "attstattarget", "attlen", "attnum", "attndims",
    "attcacheoff", "atttypmod", "attbyval", "attalign", "attstorage", "attcompression",
    "attnotnull", "atthasdef", "atthasmissing", "attidentity", "attgenerated", "attisdropped",
    "attislocal", "attinhcount", "attcollation", "attacl", "attoptions", "attfdwoptions",
    "attmissingval")


def attribute_row(static: StaticCatalog, relid: int, attnum: int, name: str, typoid: int,
                  typmod: int, notnull: bool, hasdef: bool = False, stattarget: int = -1,
                  storage: Optional[str] = None, collation: Optional[int] = None
                  ) -> Tuple[Any, ...]:
    """A pg_attribute row, in ``ATTRIBUTE_COLUMNS`` order rather than by
    name (as ``class_row``): 10,000 tables have 220,000 of them with their
    TOAST tables, and putting dicts in order again for SQLite was a sixth
    of the first ``\\d``. ``storage`` and ``collation`` default to the type's."""
    t = static.types.get(typoid) or static.types[25]
    collation = t["typcollation"] if collation is None or not t["typcollation"] else collation
    return (relid, name, typoid, stattarget, t["typlen"], attnum,
            1 if t["typcategory"] == "A" and t["typelem"] and t["typstorage"] != "p" else 0,
            -1, typmod, t["typbyval"], t["typalign"], storage or t["typstorage"], "",
            notnull, hasdef, False, "", "", False, True, 0, collation, None, None, None, None)


def system_attributes(static: StaticCatalog, relid: int) -> List[Tuple[Any, ...]]:
    """pg_attribute rows of a heap relation's system columns, as PostgreSQL
    writes them: NOT NULL, no statistics target (0), stored plain."""
    return [attribute_row(static, relid, attnum, name, typoid, -1, True, stattarget=0)
            for name, typoid, attnum in SYSTEM_COLUMNS]


#: pg_class's columns in PostgreSQL 15's order, the order of ``class_row``'s
#: values (a test holds it to the catalog data's)
CLASS_COLUMNS = (
    "oid", "relname", "relnamespace", "reltype", "reloftype", "relowner", "relam",
    "relfilenode", "reltablespace", "relpages", "reltuples", "relallvisible", "reltoastrelid",
    "relhasindex", "relisshared", "relpersistence", "relkind", "relnatts", "relchecks",
    "relhasrules", "relhastriggers", "relhassubclass", "relrowsecurity", "relforcerowsecurity",
    "relispopulated", "relreplident", "relispartition", "relrewrite", "relfrozenxid",
    "relminmxid", "relacl", "reloptions", "relpartbound")


def class_row(oid: int, name: str, nsp: int, reltype: int, kind: str, natts: int,
              owner: int = BOOTSTRAP_SUPERUSER_OID, has_index: bool = False,
              has_rules: bool = False, has_triggers: bool = False,
              row_security: bool = False, toast: int = 0) -> Tuple[Any, ...]:
    """A pg_class row, in ``CLASS_COLUMNS`` order rather than by name: with
    10,000 tables there are 30,000 of them (tables, TOAST tables, their
    indexes), and a dict each, put in order again for SQLite, was a fifth
    of the first ``\\dt``."""
    storage = kind in ("r", "m", "t", "i")
    heap = kind in ("r", "m", "t")
    return (oid, name, nsp, reltype, 0, owner,
            HEAP_AM if heap else BTREE_AM if kind == "i" else 0,
            oid if storage else 0, 0,
            # an empty btree index still has its metapage: PostgreSQL reports 1 page
            int(kind == "i"), -1.0 if heap else 0.0, 0, toast, has_index, False, "p", kind,
            natts, 0, has_rules, has_triggers, False, row_security, False, True,
            "d" if kind in ("r", "m") else "n", False, 0, 0, 1 if heap else 0,
            None, None, None)
