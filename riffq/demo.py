r"""``python -m riffq``: a demo server over an embedded SQLite database.

It needs nothing but the standard library: the data lives in an in-memory
SQLite database created at start, each client gets its own SQLite
connection, and answers use the dependency-free ``(schema_desc, rows)``
result form. Connect with ``psql -h 127.0.0.1 -p 5433 -U demo``.

Catalog emulation is on, fed by a lazy source that reads SQLite's own
schema on every catalog statement: psql's ``\dt`` and ``\d cities``,
DBeaver's or an ODBC tool's table browser see the SQLite tables, including
those a client created a moment ago, in whatever database they connected to.
"""
from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
import zlib
from typing import Any, Callable, Dict, List, Optional, Sequence

import riffq

_SEED = """
create table cities (id integer primary key, name text not null, country text not null,
                     population integer, founded date);
insert into cities values
  (1, 'Amsterdam', 'NL', 921402, '1275-10-27'),
  (2, 'Berlin', 'DE', 3755251, '1237-01-01'),
  (3, 'İstanbul', 'TR', 15655924, '0660-01-01'),
  (4, 'Zürich', 'CH', 443037, null);
create table measurements (city_id integer, taken_at timestamp, celsius real);
insert into measurements values
  (1, '2026-11-24 08:00:00', 6.5), (1, '2026-11-24 14:00:00', 9.25),
  (2, '2026-11-24 08:00:00', 1.0), (3, '2026-11-24 08:00:00', 12.5);
"""

_DECLTYPES = {"INTEGER": "int8", "INT": "int8", "TEXT": "text", "REAL": "float8",
              "DATE": "date", "TIMESTAMP": "timestamp"}


def _database() -> str:
    return "file:riffq_demo?mode=memory&cache=shared"


class DemoConnection(riffq.BaseConnection):
    """Runs each statement on this client's own SQLite connection."""

    def __init__(self, conn_id: int, executor: Any) -> None:
        super().__init__(conn_id, executor)
        self.db = sqlite3.connect(_database(), uri=True, check_same_thread=False,
                                  detect_types=sqlite3.PARSE_DECLTYPES)

    def handle_query(self, sql: str, callback=callable, **kwargs: Any) -> None:
        try:
            cur = self.db.execute(sql)
        except sqlite3.Error as exc:
            callback(("ERROR", _sqlstate(exc), str(exc)), is_error=True)
            return
        if cur.description is None:
            self.db.commit()
            callback(_command_tag(sql, cur.rowcount), is_tag=True)
            return
        rows = cur.fetchall()
        schema = [{"name": d[0], "type": None} for d in cur.description]
        callback((schema, rows))

    def handle_disconnect(self, ip: str, port: int, callback=callable) -> None:
        self.db.close()
        callback(True)


#: Words between CREATE/DROP/ALTER and the kind of object, which
#: PostgreSQL's command tag leaves out (CREATE UNIQUE INDEX -> CREATE INDEX).
_TAG_SKIPPED = {"OR", "REPLACE", "TEMP", "TEMPORARY", "UNIQUE", "IF", "NOT", "EXISTS",
                "VIRTUAL", "UNLOGGED"}


def _command_tag(sql: str, rowcount: int) -> str:
    """The tag PostgreSQL would send for a statement that returned no rows:
    INSERT 0 n, UPDATE n, DELETE n, CREATE TABLE, DROP VIEW..."""
    words = sql.upper().split()
    if not words:
        return "OK"
    verb = words[0]
    counted = {"INSERT": "INSERT 0 %d", "UPDATE": "UPDATE %d", "DELETE": "DELETE %d"}.get(verb)
    if counted is not None:
        return counted % max(rowcount, 0)
    if verb in ("CREATE", "DROP", "ALTER"):
        kind = next((w for w in words[1:] if w not in _TAG_SKIPPED), "")
        return ("%s %s" % (verb, kind)).strip()
    return verb


#: PostgreSQL type OIDs for SQLite's declared column types, by SQLite's own
#: affinity rules (a declared type containing INT is an integer...);
#: anything else, or no declared type, is text.
_AFFINITY_TYPES = (("INT", 20), ("CHAR", 25), ("CLOB", 25), ("TEXT", 25), ("BLOB", 17),
                   ("REAL", 701), ("FLOA", 701), ("DOUB", 701), ("BOOL", 16),
                   ("TIMESTAMP", 1114), ("DATETIME", 1114), ("DATE", 1082),
                   ("NUMERIC", 1700), ("DECIMAL", 1700))


def _type_oid(declared: str) -> int:
    declared = declared.upper()
    for fragment, oid in _AFFINITY_TYPES:
        if fragment in declared:
            return oid
    return 25


def _oid(kind: str, name: str) -> int:
    """A user-object OID that stays the same for the same name."""
    return 16384 + zlib.crc32(("%s:%s" % (kind, name)).encode()) % (2 ** 31 - 16384)


class SqliteCatalog:
    """The lazy catalog source (``set_lazy_catalog``): SQLite's tables and
    views as the ``public`` schema's, asked afresh on every catalog
    statement through a connection of its own."""

    def _read(self, sql: str, params: Sequence[Any] = ()) -> List[Any]:
        db = sqlite3.connect(_database(), uri=True)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def databases(self, cb: Callable[[List[Dict[str, Any]]], None]) -> None:
        cb([{"oid": _oid("database", "demo"), "name": "demo"}])

    def schemas(self, database: str, cb: Callable[[List[Dict[str, Any]]], None]) -> None:
        cb([])      # public is built in

    def relations(self, database: str, schema: str,
                  cb: Callable[[List[Dict[str, Any]]], None]) -> None:
        if schema != "public":
            cb([])
            return
        rows = self._read("select name, type from sqlite_master where type in ('table', 'view') "
                          "and name not like 'sqlite_%' order by name")
        cb([{"oid": _oid("table", name), "name": name, "reltype_oid": _oid("type", name),
             "kind": kind} for name, kind in rows])

    def columns(self, database: str, schema: str, relation: str,
                cb: Callable[[List[Dict[str, Any]]], None]) -> None:
        rows = self._read("select name, type, \"notnull\", pk from pragma_table_info(?)", (relation,))
        cb([{"name": name, "type_oid": _type_oid(declared or ""), "nullable": not (notnull or pk)}
            for name, declared, notnull, pk in rows])


def _sqlstate(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "no such table" in text:
        return "42P01"
    if "no such column" in text:
        return "42703"
    if "syntax error" in text:
        return "42601"
    return "XX000"


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m riffq", description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:5433", help="host:port (default %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    keeper = sqlite3.connect(_database(), uri=True)   # keeps the shared database alive
    keeper.executescript(_SEED)
    server = riffq.RiffqServer(args.listen, connection_cls=DemoConnection)
    server.set_lazy_catalog(SqliteCatalog())
    host, port = riffq.server.parse_listen_addr(args.listen)
    print("riffq demo server on %s:%s (SQLite, in memory). Try:\n"
          "  psql -h %s -p %s -U demo -c 'select * from cities'\n"
          "  psql -h %s -p %s -U demo -c '\\d cities'\nCtrl-C stops it."
          % (host, port, host, port, host, port))
    sys.stdout.flush()
    server.start(catalog_emulation=True)
    keeper.close()


if __name__ == "__main__":
    main()
