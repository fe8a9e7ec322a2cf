"""pytest plugin: a throwaway real PostgreSQL server for comparison tests.

riffq imitates PostgreSQL; the only trustworthy reference for what
PostgreSQL answers (SHOW output, error messages, SQLSTATEs) is PostgreSQL
itself.  The session-scoped ``real_pg`` fixture starts one from the machine's
server binaries (``/usr/lib/postgresql/<version>/bin``, newest first) in a
temporary directory and stops it at the end of the session.

Load it from a conftest with ``pytest_plugins = ["tests.pg_fixture"]`` or,
when ``tests/`` itself is on ``sys.path``, ``pytest_plugins =
["pg_fixture"]``.  The module uses absolute imports only, so either name
works.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Iterator, List, Optional

import pytest

SKIP_REASON = ("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; "
               "install the postgresql Debian package (make test does)")

_BIN_GLOB = "/usr/lib/postgresql/*/bin"
_START_TIMEOUT = 60.0


def find_bin_dir() -> Optional[str]:
    """The newest /usr/lib/postgresql/<version>/bin that has a postgres binary."""
    found = []
    for path in glob.glob(_BIN_GLOB):
        needed = ("postgres", "initdb", "pg_ctl")
        if all(os.access(os.path.join(path, exe), os.X_OK) for exe in needed):
            version = os.path.basename(os.path.dirname(path))
            key = tuple(int(p) for p in re.findall(r"\d+", version)) or (0,)
            found.append((key, path))
    if not found:
        return None
    found.sort()
    return found[-1][1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RealPostgres:
    """A running throwaway server; see the ``real_pg`` fixture."""

    host = "127.0.0.1"
    user = "postgres"

    def __init__(self, bin_dir: str, base_dir: str, port: int) -> None:
        self.bin_dir = bin_dir
        self.base_dir = base_dir
        self.data_dir = os.path.join(base_dir, "data")
        self.socket_dir = base_dir
        self.log_file = os.path.join(base_dir, "postgres.log")
        self.port = port

    @property
    def dsn(self) -> str:
        """libpq keyword/value connection string for TCP."""
        return "host=%s port=%d user=%s dbname=postgres" % (self.host, self.port, self.user)

    def psql(self, sql: str, *extra_args: str, timeout: float = 60) -> "subprocess.CompletedProcess[str]":
        """Run the machine's psql with ``-c sql`` against this server.

        ``-X`` (no psqlrc) and ``VERBOSITY=verbose`` are always given, so
        errors show their SQLSTATE; output is captured as text.
        """
        psql = shutil.which("psql") or os.path.join(self.bin_dir, "psql")
        cmd = [psql, "-X", "-h", self.host, "-p", str(self.port), "-U", self.user,
               "-d", "postgres", "-v", "VERBOSITY=verbose"] + list(extra_args) + ["-c", sql]
        env = dict(os.environ, PGCONNECT_TIMEOUT="10")
        for var in ("PGPASSWORD", "PGSERVICE", "PGOPTIONS", "PGTZ", "PGDATESTYLE",
                    "PGCLIENTENCODING"):
            env.pop(var, None)
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)

    def __repr__(self) -> str:
        return "RealPostgres(%s, port=%d)" % (self.bin_dir, self.port)


def _as_postgres(cmd: List[str]) -> List[str]:
    """PostgreSQL refuses to run as root: drop to the postgres user when root."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        runuser = shutil.which("runuser") or "/sbin/runuser"
        return [runuser, "-u", "postgres", "--"] + cmd
    return cmd


def _run(cmd: List[str], what: str) -> None:
    proc = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s\n%s" % (what, proc.returncode, proc.stdout,
                                                         proc.stderr))


def _wait_ready(pg: RealPostgres, proc: "subprocess.Popen[bytes]") -> bool:
    """Poll pg_isready until the server accepts connections or gives up."""
    isready = os.path.join(pg.bin_dir, "pg_isready")
    deadline = time.monotonic() + _START_TIMEOUT
    delay = 0.02
    while time.monotonic() < deadline:
        if proc.poll() is not None and proc.returncode != 0:
            return False
        probe = subprocess.run([isready, "-q", "-h", pg.host, "-p", str(pg.port), "-U", pg.user,
                                "-d", "postgres", "-t", "2"], capture_output=True)
        if probe.returncode == 0:
            return True
        time.sleep(delay)  # back off between polls; readiness decides, not the clock
        delay = min(delay * 2, 0.5)
    return False


def start_postgres(bin_dir: str) -> RealPostgres:
    """initdb + start a server in a fresh temp dir; raises RuntimeError on failure."""
    base = tempfile.mkdtemp(prefix="riffq-realpg-")
    try:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            shutil.chown(base, "postgres")
        pg = RealPostgres(bin_dir, base, 0)
        _run([os.path.join(bin_dir, "initdb"), "-D", pg.data_dir, "-A", "trust", "-U", "postgres",
              "--encoding=UTF8", "--locale=C", "--no-sync"], "initdb")
        last_error = ""
        for _attempt in range(3):
            pg.port = _free_port()
            options = " ".join([
                "-p %d" % pg.port,
                "-k %s" % pg.socket_dir,
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c TimeZone=UTC",
                "-c log_timezone=UTC",
            ])
            ctl = subprocess.Popen(_as_postgres([
                os.path.join(bin_dir, "pg_ctl"), "-D", pg.data_dir, "-l", pg.log_file,
                "-o", options, "-W", "start"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if _wait_ready(pg, ctl):
                ctl.wait(timeout=30)
                return pg
            ctl.wait(timeout=30)
            _stop(pg)
            try:
                with open(pg.log_file, encoding="utf-8", errors="replace") as f:
                    last_error = f.read()[-2000:]
            except OSError:
                last_error = ""
        raise RuntimeError("PostgreSQL did not start:\n" + last_error)
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise


def _stop(pg: RealPostgres) -> None:
    subprocess.run(_as_postgres([os.path.join(pg.bin_dir, "pg_ctl"), "-D", pg.data_dir,
                                 "-m", "immediate", "-w", "stop"]),
                   capture_output=True, timeout=60)


def stop_postgres(pg: RealPostgres) -> None:
    """Stop the server (immediate mode) and delete its directory."""
    try:
        _stop(pg)
    finally:
        shutil.rmtree(pg.base_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def real_pg() -> Iterator[RealPostgres]:
    """A real PostgreSQL server for the whole test session.

    Listens on 127.0.0.1 at a free port and on a unix socket in its temp
    dir, trust authentication for user ``postgres``, UTF8 / C locale,
    TimeZone UTC, fsync off.  Attributes: ``host``, ``port``,
    ``socket_dir``, ``user``, ``dsn``, ``bin_dir``; ``psql(sql, *args)``
    runs the machine's psql against it.  Skips the test when no server
    binaries are installed.
    """
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(SKIP_REASON)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # PostgreSQL refuses to run as root; we need runuser and a postgres account.
        import pwd
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a postgres user; cannot start PostgreSQL")
        if shutil.which("runuser") is None and not os.path.exists("/sbin/runuser"):
            pytest.skip("running as root and runuser is missing; cannot start PostgreSQL")
    pg = start_postgres(bin_dir)
    try:
        yield pg
    finally:
        stop_postgres(pg)
