"""Shared pieces of the real-client test modules."""
from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
import subprocess
import threading
import uuid
from decimal import Decimal

JDBC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jdbc")
PGJDBC_JAR_GLOB = os.path.expanduser(
    "~/.m2/repository/org/postgresql/postgresql/*/postgresql-*.jar")


def typed_samples(text="héllo wörld", flag=True):
    """One value of each scalar type the client tests send through a driver:
    ``(column name, type name, value)``. ``text`` and ``flag`` vary between
    drivers (quotes for client-side interpolation, False that must not read
    as NULL)."""
    utc = dt.timezone.utc
    return [
        ("i2", "int2", 7),
        ("i4", "int4", -123456),
        ("i8", "int8", 2 ** 40),
        ("f4", "float4", 1.5),
        ("f8", "float8", 0.1),
        ("num", "numeric", Decimal("12345.678900")),
        ("txt", "text", text),
        ("flag", "bool", flag),
        ("blob", "bytea", b"\x00\x01\xfe\xff"),
        ("d", "date", dt.date(2024, 2, 29)),
        ("t", "time", dt.time(13, 14, 15, 123456)),
        ("ts", "timestamp", dt.datetime(2024, 1, 2, 3, 4, 5, 6)),
        ("tstz", "timestamptz", dt.datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=utc)),
        ("iv", "interval", dt.timedelta(days=3, seconds=7, microseconds=8)),
        ("u", "uuid", uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
        ("j", "json", {"a": [1, 2, None]}),
        ("jb", "jsonb", {"k": "v"}),
    ]


class RecordingHandler:
    """A query handler that logs every call, then lets ``answer`` reply.

    ``answer(sql, q, callback, kwargs)`` gets ``q``, the statement lower-cased
    with its whitespace collapsed, for matching."""

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()
        self.release = threading.Event()

    def executions(self, prefix=""):
        """Calls that ran a statement (not describe-only ones)."""
        with self.lock:
            return [(s, k) for s, k in self.calls
                    if not k.get("do_describe") and s.lstrip().lower().startswith(prefix)]

    def __call__(self, sql, callback, **kwargs):
        with self.lock:
            self.calls.append((sql, dict(kwargs)))
        self.answer(sql, " ".join(sql.lower().split()), callback, kwargs)

    def answer(self, sql, q, callback, kwargs):
        raise NotImplementedError

    def fallback(self, sql, q, callback):
        """What every test handler does with the rest: a division-by-zero
        error on ``select boom``, a clear 42601 for anything unknown."""
        if q.startswith("select boom"):
            callback(("ERROR", "22012", "division by zero"), is_error=True)
        else:
            callback(("ERROR", "42601", "test handler does not know: %s" % sql), is_error=True)


def serve_recorder(serve, rec):
    """A low-level server answering with ``rec``; returns ``(rec, port)``."""
    import riffq
    server = riffq.Server("127.0.0.1:0")
    server.on_query(rec)
    return rec, serve(server).port


def find_pgjdbc_jar():
    """The pgjdbc jar: ``$PGJDBC_JAR``, else the newest in the local Maven repository."""
    env = os.environ.get("PGJDBC_JAR")
    if env:
        return env if os.path.exists(env) else None
    jars = sorted(j for j in glob.glob(PGJDBC_JAR_GLOB)
                  if not j.endswith(("-sources.jar", "-javadoc.jar")))
    return jars[-1] if jars else None


def compile_jdbc_program(out_dir, source):
    """Compile ``tests/jdbc/<source>`` against pgjdbc into ``out_dir``;
    returns ``(java, classpath)``. Skips when no JDK or pgjdbc jar is installed."""
    import pytest
    java, javac = shutil.which("java"), shutil.which("javac")
    if not java or not javac:
        pytest.skip("JDBC tests need a JDK: `java` and `javac` must be on PATH "
                    "(found java=%r, javac=%r)" % (java, javac))
    jar = find_pgjdbc_jar()
    if jar is None:
        pytest.skip("JDBC tests need the pgjdbc jar: none under %s and PGJDBC_JAR is not set "
                    "(mvn dependency:get -Dartifact=org.postgresql:postgresql:42.7.4)"
                    % PGJDBC_JAR_GLOB)
    res = subprocess.run([javac, "-encoding", "UTF-8", "-cp", jar, "-d", str(out_dir),
                          os.path.join(JDBC_DIR, source)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return java, jar + os.pathsep + str(out_dir)
