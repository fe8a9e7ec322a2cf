"""``python -m riffq``: a demo server over an embedded SQLite database.

It needs nothing but the standard library: the data lives in an in-memory
SQLite database created at start, each client gets its own SQLite
connection, and answers use the dependency-free ``(schema_desc, rows)``
result form. Connect with ``psql -h 127.0.0.1 -p 5433 -U demo``.
"""
from __future__ import annotations

import argparse

import logging
import sqlite3
import sys
from typing import Any, Optional, Sequence

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
            verb = sql.split(None, 1)[0].upper() if sql.strip() else "OK"
            tag = {"INSERT": "INSERT 0 %d", "UPDATE": "UPDATE %d", "DELETE": "DELETE %d"}.get(verb)
            callback(tag % max(cur.rowcount, 0) if tag else verb, is_tag=True)
            return
        rows = cur.fetchall()
        schema = [{"name": d[0], "type": None} for d in cur.description]
        callback((schema, rows))

    def handle_disconnect(self, ip: str, port: int, callback=callable) -> None:
        self.db.close()
        callback(True)


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
    host, port = riffq.server.parse_listen_addr(args.listen)
    print("riffq demo server on %s:%s (SQLite, in memory). Try:\n"
          "  psql -h %s -p %s -U demo -c 'select * from cities'\nCtrl-C stops it." % (host, port, host, port))
    sys.stdout.flush()
    server.start()
    keeper.close()


if __name__ == "__main__":
    main()
