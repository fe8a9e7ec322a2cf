"""The two servers a catalog comparison runs against, holding the same schema.

``postgres_target`` starts a real PostgreSQL 15 cluster of its own (other
tests create roles in the shared ``real_pg``, which would make role listings
depend on test order) with the corpus schema of ``catalog_corpus/schema.py``;
``riffq_target`` starts a riffq server with ``catalog_emulation=True`` that
registers the same schema and runs on one translator.  Both yield a
``catalog_compare.Target``.  The corpus judge and the client-level tests use
them, so every comparison is made against identically prepared servers.
"""
from __future__ import annotations

import contextlib
import os
from typing import Any, Callable, Dict, Iterator, Optional

import pytest

import pg_fixture
from catalog_compare import Target, create_schema_database, read_identities
from catalog_corpus.schema import DATABASE, apply_registration

TRANSLATOR_ENV = "RIFFQ_CATALOG_TRANSLATOR"
TRANSLATORS = ("builtin", "sqlglot")


def conninfo_params(conninfo: str) -> Dict[str, str]:
    """``host=... port=...`` as a dict (the targets' conninfos have no quoting)."""
    return dict(item.split("=", 1) for item in conninfo.split())


def server_version(conninfo: str) -> str:
    """The ``server_version`` a server reports at startup."""
    from psycopg import pq
    conn = pq.PGconn.connect(conninfo.encode())
    try:
        return conn.parameter_status(b"server_version").decode()
    finally:
        conn.finish()


def refuse_handler(sql: str, callback: Callable[..., None], **kwargs: Any) -> None:
    """A handler for servers that should only ever answer catalog statements."""
    callback(("ERROR", "XX000", "statement reached the query handler: %s" % sql[:200]),
             is_error=True)


@contextlib.contextmanager
def postgres_target(prepare: Optional[Callable[[str], None]] = None) -> Iterator[Target]:
    """A fresh PostgreSQL cluster with the corpus schema, then ``prepare(conninfo)``
    (more objects in the same database); skips when the server binaries are missing."""
    bin_dir = pg_fixture.find_bin_dir()
    if bin_dir is None:
        pytest.skip(pg_fixture.SKIP_REASON)
    pg = pg_fixture.start_postgres(bin_dir)
    try:
        conninfo = create_schema_database(pg)
        if prepare is not None:
            prepare(conninfo)
        yield Target("postgres", conninfo, read_identities(conninfo))
    finally:
        pg_fixture.stop_postgres(pg)


@contextlib.contextmanager
def translator(mode: Optional[str]) -> Iterator[None]:
    """``RIFFQ_CATALOG_TRANSLATOR`` set to ``mode`` for the block, restored
    afterwards; a server's catalog service picks its translator when it starts."""
    saved = os.environ.get(TRANSLATOR_ENV)
    if mode is not None:
        os.environ[TRANSLATOR_ENV] = mode
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(TRANSLATOR_ENV, None)
        else:
            os.environ[TRANSLATOR_ENV] = saved


@contextlib.contextmanager
def riffq_target(mode: str, version: str, handler: Callable[..., None] = refuse_handler,
                 register_extra: Optional[Callable[[Any], None]] = None) -> Iterator[Target]:
    """A riffq server with the corpus schema (then ``register_extra(server)``)
    answering catalog statements with translator ``mode`` and reporting
    ``server_version`` ``version``; other statements go to ``handler``."""
    import riffq
    from riffq.testing import serve_in_thread
    with translator(mode):
        server = riffq.Server("127.0.0.1:0")
        server.on_query(handler)
        apply_registration(server)
        if register_extra is not None:
            register_extra(server)
        bg = serve_in_thread(server, catalog_emulation=True, server_version=version)
        try:
            conninfo = "host=127.0.0.1 port=%d user=postgres dbname=%s" % (bg.port, DATABASE)
            yield Target("riffq[%s]" % mode, conninfo, read_identities(conninfo), translator=mode)
        finally:
            bg.stop()
