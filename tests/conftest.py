"""Shared fixtures: riffq servers on port 0 and the machine's psql."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import psycopg
import pytest

sys.path.insert(0, os.path.dirname(__file__))
pytest_plugins = ["pg_fixture"]

from riffq.testing import serve_in_thread  # noqa: E402


@pytest.fixture
def serve():
    """``serve(server, **start_kwargs)`` starts a server in a thread and
    returns it running (``.port``); every server is stopped at teardown."""
    running = []

    def start(server, **kwargs):
        bg = serve_in_thread(server, **kwargs)
        running.append(bg)
        return bg
    yield start
    for bg in running:
        bg.stop()


def psql_path() -> str:
    path = shutil.which("psql")
    if path is None:
        pytest.fail("psql is not installed; `make test` installs postgresql-client")
    return path


def run_psql(port, *args, user="user", password=None, dbname="postgres", host="127.0.0.1",
             input=None, timeout=30, env_extra=None):
    """Run the machine's psql against a server; returns CompletedProcess."""
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    env.pop("PGPASSWORD", None)
    if password is not None:
        env["PGPASSWORD"] = password
    env.update(env_extra or {})
    cmd = [psql_path(), "-X", "-h", host, "-p", str(port), "-U", user, "-d", dbname, "-w"] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, input=input, timeout=timeout)


@pytest.fixture
def psql():
    return run_psql


@pytest.fixture(scope="module")
def pg_conn(real_pg):
    """A connection to the session's real PostgreSQL, for comparing values."""
    with psycopg.connect(real_pg.dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module", params=["builtin", "sqlglot"])
def engine(request):
    """riffq's catalog engine with nothing registered, on each translator
    (sqlglot is a test dependency)."""
    from riffq._catalog.engine import CatalogEngine
    from riffq._catalog.registry import CatalogRegistry
    from riffq._catalog.translate import translate

    use = request.param == "sqlglot"
    return CatalogEngine(CatalogRegistry(), lambda sql: translate(sql, use_sqlglot=use))


def find_python(version: str) -> "str | None":
    """An interpreter of Python ``version`` ("3.9") on this machine: on PATH
    or under ~/.pyenv. pyenv's shims answer to ``python3.9`` without being
    one, so each candidate is asked for its version."""
    import glob
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s*/bin/python%s"
                                                     % (version, version))))
    candidates += [c for c in (shutil.which("python" + version),) if c]
    want = "(%s)" % ", ".join(version.split("."))
    for candidate in candidates:
        try:
            out = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=30)
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.strip() == want:
            return candidate
    return None
