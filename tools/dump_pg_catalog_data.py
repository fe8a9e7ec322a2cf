"""Dump the static catalog facts riffq's catalog emulation serves.

Run once against a real PostgreSQL 15 (a throwaway one is started with the
test fixture's helpers unless ``--dsn`` is given); it writes
``riffq/_catalog/data/pg15_catalog.json.gz`` (gzip-compressed JSON).  The
file holds facts, not code: the column lists and types of every built-in
relation of ``pg_catalog`` and ``information_schema`` (so tools listing
system tables see PostgreSQL's), and the built-in rows that do not depend
on the user's schema (``pg_type``, ``pg_namespace``, ``pg_am``, ``pg_aggregate``,
``pg_conversion``, the text search configurations, every
built-in ``pg_class`` and ``pg_proc`` row, the descriptions of stored
built-in objects, ``pg_settings`` metadata, ...).  Catalogs holding
secrets or server-local state (``pg_authid``, ``pg_statistic``, ...) are
stored as relations without rows.  Values are stored the way the
engine keeps them in SQLite: vectors and arrays as lists, reg* values as
OIDs (with a separate OID -> name map for regproc), xids as integers.

Usage: python tools/dump_pg_catalog_data.py [--dsn DSN] [--out PATH]
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from typing import Any, Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "riffq", "_catalog", "data", "pg15_catalog.json.gz")

#: Built-in objects have OIDs below this; user objects (none in a fresh
#: cluster, but be safe) start here.
FIRST_USER_OID = 16384

#: Catalogs holding secrets or server-local state: the relations exist (tools
#: list them) but no rows are stored.  Every relation not in STATIC_ROWS is
#: stored without rows; this set only documents the ones that must stay so.
SECRET_OR_LOCAL = {
    "pg_authid", "pg_shadow", "pg_hba_file_rules", "pg_ident_file_mappings",
    "pg_file_settings", "pg_statistic", "pg_largeobject", "pg_statistic_ext_data",
}

#: Catalogs whose objects' built-in descriptions are stored (the objects
#: themselves are stored rows, so a description never names a missing one).
DESCRIBED = ("pg_proc", "pg_type", "pg_am", "pg_language", "pg_extension", "pg_collation",
             "pg_opclass", "pg_opfamily", "pg_conversion", "pg_ts_config", "pg_ts_dict",
             "pg_ts_parser", "pg_ts_template")


def _col_expr(name: str, typname: str) -> str:
    """SQL giving a JSON-friendly value for a column of type ``typname``."""
    q = '"%s"' % name
    if typname == "int2vector":
        return "(%s)::int2[]" % q
    if typname == "oidvector":
        return "(%s)::oid[]" % q
    if typname in ("regproc", "regtype", "regclass", "regnamespace", "regrole", "regprocedure",
                   "regoper", "regoperator", "regcollation", "regconfig", "regdictionary"):
        return "(%s)::oid" % q
    if typname in ("_regtype", "_regproc", "_regclass"):
        return "(%s)::oid[]" % q
    if typname in ("xid", "cid", "xid8"):
        return "(%s)::text::bigint" % q
    if typname in ("bool", "int2", "int4", "int8", "oid", "float4", "float8", "_oid", "_int2",
                   "_int4", "_int8", "_bool", "_float4", "_float8", "_text", "_name", "_char"):
        return q
    if typname == "numeric":
        return "(%s)::float8" % q
    if typname.startswith("_"):
        return "(%s)::text[]" % q
    return "(%s)::text" % q


def _relations(cur: Any) -> Dict[str, Dict[str, Any]]:
    cur.execute("""
        SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltype
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('pg_catalog', 'information_schema') AND c.relkind IN ('r', 'v')
        ORDER BY n.nspname, c.relname""")
    rels = {}
    for oid, nsp, relname, kind, reltype in cur.fetchall():
        cur.execute("""
            SELECT a.attname, t.typname, a.atttypmod, bt.typname, t.typtypmod, t.oid, a.attnotnull
            FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_type bt ON bt.oid = t.typbasetype AND t.typtype = 'd'
            WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""",
                    (oid,))
        cols = []
        for attname, typname, typmod, basename, basetypmod, domain, notnull in cur.fetchall():
            # RowDescription carries a domain's base type, so store that;
            # pg_attribute names the domain itself (a fifth element).
            if basename is not None:
                cols.append([attname, basename, basetypmod, bool(notnull), domain])
            else:
                cols.append([attname, typname, typmod, bool(notnull)])
        rels[relname if nsp == "pg_catalog" else "information_schema." + relname] = {
            "schema": nsp, "oid": oid, "kind": kind, "reltype": reltype, "columns": cols}
    return rels


def _rows(cur: Any, rel: Dict[str, Any], relname: str, where: str = "") -> List[List[Any]]:
    exprs = ", ".join(_col_expr(c[0], c[1]) for c in rel["columns"])
    cur.execute("SELECT %s FROM pg_catalog.%s %s" % (exprs, relname, where))
    return [list(r) for r in cur.fetchall()]


STATIC_ROWS = {
    # relation: WHERE clause choosing the built-in rows to keep
    "pg_type": "ORDER BY oid",
    "pg_namespace": "ORDER BY oid",
    "pg_am": "ORDER BY oid",
    "pg_collation": "WHERE collname IN ('default', 'C', 'POSIX', 'ucs_basic') ORDER BY oid",
    "pg_language": "ORDER BY oid",
    "pg_tablespace": "ORDER BY oid",
    "pg_extension": "ORDER BY oid",
    "pg_opclass": "ORDER BY oid",
    "pg_opfamily": "ORDER BY oid",
    "pg_cast": "ORDER BY oid",
    "pg_range": "ORDER BY rngtypid",
    # built-in encoding conversions (DBeaver lists encodings from them), the
    # aggregates' own rows (Grafana's aggregate picker) and text search
    # configurations with what they are made of (psql's \dF, \dFd, \dFp)
    "pg_conversion": "ORDER BY oid",
    "pg_aggregate": "ORDER BY aggfnoid",
    "pg_ts_config": "ORDER BY oid",
    "pg_ts_config_map": "ORDER BY mapcfg, maptokentype, mapseqno",
    "pg_ts_dict": "ORDER BY oid",
    "pg_ts_parser": "ORDER BY oid",
    "pg_ts_template": "ORDER BY oid",
    "pg_database": "ORDER BY oid",
    "pg_roles": "WHERE rolname = 'postgres'",
    "pg_user": "WHERE usename = 'postgres'",
    "pg_settings": "ORDER BY name",
    "pg_class": "WHERE oid < %d ORDER BY oid" % FIRST_USER_OID,  # indexes, TOAST too
    # the catalogs' own indexes (psql's \diS); none has expressions or predicates
    "pg_index": "WHERE indexrelid < %d ORDER BY indexrelid" % FIRST_USER_OID,
    # their primary keys and unique constraints, and information_schema's
    # domain checks (SQLAlchemy's get_domains)
    "pg_constraint": "WHERE oid < %d ORDER BY oid" % FIRST_USER_OID,
    "pg_proc": "WHERE oid < %d ORDER BY oid" % FIRST_USER_OID,
    # extension membership (plpgsql's functions): pgcli's is_extension reads it
    "pg_depend": "WHERE deptype = 'e' ORDER BY classid, objid",
    "pg_description": "",  # filled below: DESCRIBED
}


def dump(dsn: str, out: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
        rels = _relations(cur)
        rows: Dict[str, List[List[Any]]] = {}
        for relname, where in STATIC_ROWS.items():
            if relname == "pg_description":
                rows[relname] = _descriptions(cur, rels, rows)
                continue
            rows[relname] = _rows(cur, rels[relname], relname, where)
        _normalise_settings(rels["pg_settings"], rows["pg_settings"])
        regproc = _regproc_names(cur, rels, rows)
        # identifiers that quote_ident() must quote: every keyword not unreserved
        cur.execute("SELECT word FROM pg_get_keywords() WHERE catcode <> 'U' ORDER BY word")
        keywords = [r[0] for r in cur.fetchall()]
        # pg_get_expr() of the stored expression trees (functions' argument
        # defaults): riffq prints these rather than deparsing node trees
        cur.execute("SELECT DISTINCT proargdefaults::text, pg_get_expr(proargdefaults, 0) "
                    "FROM pg_proc WHERE proargdefaults IS NOT NULL ORDER BY 1")
        expressions = dict(cur.fetchall())
        definitions = _definitions(cur)
    _write(out, version, rels, rows, regproc, keywords, expressions, definitions)


def _definitions(cur: Any) -> Dict[str, Dict[str, Any]]:
    """What pg_get_constraintdef and pg_get_indexdef print for the built-in
    constraints and indexes, by OID: [plain, pretty]; for an index also the
    text of each key column (pg_get_indexdef's second argument)."""
    cur.execute("SELECT oid, pg_get_constraintdef(oid), pg_get_constraintdef(oid, true) "
                "FROM pg_constraint WHERE oid < %d ORDER BY oid" % FIRST_USER_OID)
    constraints = {str(r[0]): [r[1], r[2]] for r in cur.fetchall()}
    cur.execute("SELECT indexrelid, pg_get_indexdef(indexrelid), "
                "pg_get_indexdef(indexrelid, 0, true), array(SELECT pg_get_indexdef(indexrelid, "
                "k, true) FROM generate_series(1, indnatts) k) FROM pg_index "
                "WHERE indexrelid < %d ORDER BY indexrelid" % FIRST_USER_OID)
    indexes = {str(r[0]): [r[1], r[2], r[3]] for r in cur.fetchall()}
    return {"constraints": constraints, "indexes": indexes}


def _descriptions(cur: Any, rels: Dict[str, Any], rows: Dict[str, List[List[Any]]]
                  ) -> List[List[Any]]:
    """pg_description rows of the stored built-in objects of DESCRIBED."""
    out: List[List[Any]] = []
    for catalog in DESCRIBED:
        oid_col = [c[0] for c in rels[catalog]["columns"]].index("oid")
        oids = sorted(r[oid_col] for r in rows[catalog] if r[oid_col] < FIRST_USER_OID)
        out += _rows(cur, rels["pg_description"], "pg_description",
                     "WHERE classoid = %d AND objoid = ANY('{%s}'::oid[]) ORDER BY objoid, objsubid"
                     % (rels[catalog]["oid"], ",".join(map(str, oids))))
    return out


def _normalise_settings(rel: Dict[str, Any], rows: List[List[Any]]) -> None:
    """Forget how the dump server was started: every value is its default."""
    idx = {c[0]: i for i, c in enumerate(rel["columns"])}
    for row in rows:
        if row[idx["source"]] not in ("default", "override"):
            row[idx["setting"]] = row[idx["boot_val"]]
            row[idx["reset_val"]] = row[idx["boot_val"]]
            row[idx["source"]] = "default"
        row[idx["sourcefile"]] = None
        row[idx["sourceline"]] = None


def _regproc_names(cur: Any, rels: Dict[str, Any], rows: Dict[str, List[List[Any]]]) -> Dict[str, str]:
    """OID -> name of every function a stored regproc value names."""
    oids = set()
    for relname, rel_rows in rows.items():
        for i, col in enumerate(rels[relname]["columns"]):
            if col[1] == "regproc":
                oids.update(r[i] for r in rel_rows if r[i])
    cur.execute("SELECT oid, proname FROM pg_proc WHERE oid = ANY(%s) ORDER BY oid", (sorted(oids),))
    return {str(oid): name for oid, name in cur.fetchall()}


def _write(out: str, version: str, rels: Dict[str, Any], rows: Dict[str, List[List[Any]]],
           regproc: Dict[str, str], keywords: List[str], expressions: Dict[str, str],
           definitions: Dict[str, Dict[str, Any]]) -> None:
    dumps = lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False)  # noqa: E731
    lines = ["{", '"server_version":%s,' % dumps(version), '"relations":{']
    names = list(rels)
    for i, name in enumerate(names):
        lines.append("%s:%s%s" % (dumps(name), dumps(rels[name]), "," if i < len(names) - 1 else ""))
    lines.append("},")
    lines.append('"regproc":%s,' % dumps(regproc))
    lines.append('"quoted_keywords":%s,' % dumps(keywords))
    lines.append('"expressions":%s,' % dumps(expressions))
    lines.append('"definitions":%s,' % dumps(definitions))
    lines.append('"rows":{')
    rel_names = list(rows)
    for i, name in enumerate(rel_names):
        lines.append("%s:[" % dumps(name))
        body = rows[name]
        for j, row in enumerate(body):
            lines.append(dumps(row) + ("," if j < len(body) - 1 else ""))
        lines.append("]" + ("," if i < len(rel_names) - 1 else ""))
    lines.append("}}")
    # gzip: the JSON is ~2.5 MB, mostly pg_proc's; compressed it is a tenth of
    # that and decompressing costs a few milliseconds of the first load.
    # mtime=0 keeps the file byte-identical when the facts do not change.
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(("\n".join(lines) + "\n").encode("utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dsn", help="libpq DSN of a PostgreSQL 15; default: start a throwaway one")
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    if args.dsn:
        dump(args.dsn, args.out)
        return
    sys.path.insert(0, ROOT)
    from tests.pg_fixture import find_bin_dir, start_postgres, stop_postgres

    bin_dir = find_bin_dir()
    if bin_dir is None:
        sys.exit("no PostgreSQL server binaries found")
    pg = start_postgres(bin_dir)
    try:
        dump(pg.dsn, args.out)
    finally:
        stop_postgres(pg)


if __name__ == "__main__":
    main()
