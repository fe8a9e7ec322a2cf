"""Every code example of README.md, run for real and held to what the README
says around it.

Blocks are found by the heading they sit under. A server block runs as a
script in a subprocess, with only its listening address changed to a free
port, and is stopped with SIGTERM as a user's Ctrl-C would stop it. A block
that only defines a connection class is executed and served with
``serve_in_thread``. Two blocks are deliberately fragments continuing an
earlier one (``CONTINUES``); the test prepends the block they continue.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime
import io
import os
import pathlib
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Dict, Iterator, List, Tuple

import asyncpg
import psycopg
import pytest

import riffq
from certkit import Pki
from conftest import psql_path, run_psql
from pgclient import RawClient, error_fields, startup_packet
from test_lifecycle import free_port, wait_listening

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

Key = Tuple[str, int]   # (heading the block sits under, its index under that heading)

#: every ```python block of README.md -> the test that runs it
RUN_BY: Dict[Key, str] = {
    ("Quickstart", 0): "test_quickstart_answers_select_1_for_user_with_password",
    ("Parameters and prepared statements", 0): "test_parameters_block_declares_types_and_gets_kwargs",
    ("Cancelling a running statement", 0): "test_cancel_block_interrupts_duckdb_at_once",
    ("Connection hooks", 0): "test_connection_hooks_block_refuses_address_and_sees_every_end",
    ("The low-level server", 0): "test_low_level_server_block",
    ("Running, stopping, embedding", 0): "test_serve_in_thread_block",
    ("Cursors", 0): "test_cursors_block_reads_a_binary_server_cursor",
    ("Catalog emulation: browsing with psql, DBeaver, SQLAlchemy", 0):
        "test_readme_catalog.py::test_readme_catalog_example",
    ("Catalog emulation: browsing with psql, DBeaver, SQLAlchemy", 1):
        "test_readme_catalog.py::test_readme_odbc_block_lists_what_the_example_registered",
    ("Using all cores", 0): "test_workers.py::test_readme_example_serves_from_its_workers",
    ("Authentication", 0): "test_authentication_block_checks_scram_itself",
    ("TLS", 0): "test_tls_block_with_the_readme_self_signed_certificate",
    ("TLS", 1): "test_client_certificate_block",
}

#: fragments: block -> the block whose definitions it uses
CONTINUES: Dict[Key, Key] = {
    ("Running, stopping, embedding", 0): ("Quickstart", 0),   # its Connection
    ("TLS", 0): ("Authentication", 0),                        # its Connection, checked over TLS
}


def readme_blocks(lang: str) -> List[Tuple[Key, str]]:
    """The README's fenced blocks in language ``lang``, keyed by heading."""
    heading, seen, out = "", {}, []
    lines = README.read_text().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#") and not line.startswith("#!"):
            heading = line.lstrip("#").strip()
        elif line.startswith("```"):
            end = lines.index("```", i + 1)
            if line[3:].strip() == lang:
                n = seen.get(heading, 0)
                seen[heading] = n + 1
                out.append(((heading, n), "\n".join(lines[i + 1:end]) + "\n"))
            i = end
        i += 1
    return out


MAIN = '\nif __name__ == "__main__":\n'


def block(heading: str, index: int = 0) -> str:
    """The block's code, after the definitions (not the ``__main__`` part)
    of the block it continues."""
    code = dict(readme_blocks("python"))[(heading, index)]
    before = CONTINUES.get((heading, index))
    return (block(*before).split(MAIN)[0] + "\n" + code) if before else code


def sh_line(prefix: str) -> str:
    """The one line of the README's ```sh blocks that starts with ``prefix``."""
    found = [line for _, code in readme_blocks("sh") for line in code.splitlines()
             if line.startswith(prefix)]
    assert len(found) == 1, (prefix, found)
    return found[0]


def exec_block(code: str) -> dict:
    """Run a block as an imported module would (its ``__main__`` part skipped)."""
    namespace = {"__name__": "readme_example"}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace


@contextlib.contextmanager
def run_script(tmp_path: pathlib.Path, code: str, cwd=None, stop_with=signal.SIGTERM) -> Iterator[int]:
    """Run ``code`` as ``python example.py`` listening on a free port; yields the port.
    On exit it must stop cleanly on ``stop_with``."""
    port = free_port()
    address = "127.0.0.1:%d" % port
    assert "127.0.0.1:5433" in code or "0.0.0.0:5433" in code
    script = tmp_path / "example.py"
    script.write_text(code.replace("127.0.0.1:5433", address).replace("0.0.0.0:5433", address))
    proc = subprocess.Popen([sys.executable, str(script)], cwd=str(cwd or tmp_path),
                            env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_listening(port, proc)
        yield port
    finally:
        if proc.poll() is None:
            proc.send_signal(stop_with)
        try:
            rc = proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError("the example did not stop on %s" % signal.Signals(stop_with).name)
        assert rc == 0, proc.communicate()[0]


def pg(port: int, **kw) -> psycopg.Connection:
    kw.setdefault("host", "127.0.0.1")
    kw.setdefault("dbname", "postgres")
    kw.setdefault("connect_timeout", 10)
    return psycopg.connect(port=port, autocommit=True, **kw)


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# ----------------------------------------------------------- the inventory

def test_every_python_block_is_run_by_a_test():
    assert sorted(key for key, _ in readme_blocks("python")) == sorted(RUN_BY)
    for key, where in RUN_BY.items():
        path, name = where.split("::") if "::" in where else (pathlib.Path(__file__).name, where)
        assert "\ndef %s(" % name in (ROOT / "tests" / path).read_text(), (key, where)
    for key, continued in CONTINUES.items():
        assert key in RUN_BY and continued in RUN_BY


# ------------------------------------------------------ the first commands

def make_targets() -> Dict[str, str]:
    """Makefile target -> its recipe."""
    targets: Dict[str, str] = {}
    current = None
    for line in (ROOT / "Makefile").read_text().splitlines():
        m = re.match(r"^([A-Za-z][\w-]*):(?!=)", line)
        if m:
            current = m.group(1)
            targets[current] = ""
        elif line.startswith("\t") and current:
            targets[current] += line.strip() + "\n"
    return targets


def test_first_commands_are_the_makefiles_run_and_test():
    first = readme_blocks("sh")[0][1]
    commands = [line.split("#")[0].strip() for line in first.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
    targets = make_targets()
    phony = re.search(r"^\.PHONY:(.*)$", (ROOT / "Makefile").read_text(), re.M).group(1).split()
    for command in commands:
        target = command.split()[1]
        assert target in targets and target in phony, target
    # what the comments promise: run = the stdlib demo on 127.0.0.1:5433 ...
    run = subprocess.run(["make", "-s", "-n", "run", "PYTHON=" + sys.executable], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert run.split() == [sys.executable, "-m", "riffq"]
    help_text = subprocess.run([sys.executable, "-m", "riffq", "--help"], capture_output=True, text=True,
                               env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True).stdout
    assert "default 127.0.0.1:5433" in help_text
    # ... test = a venv, '.[test]' installed into it, PostgreSQL if missing, then pytest
    test = subprocess.run(["make", "-s", "-n", "-B", "test"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout
    assert "-m venv .venv" in test and "pip install --quiet -e '.[test]'" in test
    assert "apt-get install" in test and "postgresql-client" in test
    assert ".venv/bin/python -m pytest" in test


def test_demo_psql_line_against_make_run(tmp_path):
    run = subprocess.run(["make", "-s", "-n", "run", "PYTHON=" + sys.executable], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    port = free_port()
    proc = subprocess.Popen(shlex.split(run) + ["--listen", "127.0.0.1:%d" % port], cwd=str(tmp_path),
                            env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_listening(port, proc)

        def run_line(prefix):
            argv = shlex.split(sh_line(prefix).split("#")[0])
            argv[argv.index("5433")] = str(port)
            out = subprocess.run([psql_path(), "-X", "-w"] + argv[1:], capture_output=True,
                                 text=True, timeout=30, env=dict(os.environ, PGCONNECT_TIMEOUT="10"))
            assert out.returncode == 0, out.stderr
            return out.stdout
        out = run_line("psql -h 127.0.0.1 -p 5433 -U demo -c 'select")
        assert re.search(r"Amsterdam\s*\|\s*921402", out) and "(4 rows)" in out, out
        out = run_line("psql -h 127.0.0.1 -p 5433 -U demo -c '\\d")
        assert 'Table "public.cities"' in out, out
        assert re.search(r"population\s*\|\s*bigint", out) and re.search(r"founded\s*\|\s*date", out)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0


# -------------------------------------------------------------- Quickstart

def test_quickstart_answers_select_1_for_user_with_password(tmp_path):
    with run_script(tmp_path, block("Quickstart"), stop_with=signal.SIGINT) as port:   # Ctrl-C
        # what the README says to type: psql -U user, password secret, then select 1;
        out = run_psql(port, user="user", password="secret", input="select 1;\n")
        assert out.returncode == 0, out.stderr
        assert out.stdout.split("\n")[:4] == [" one ", "-----", "   1", "(1 row)"]
        out = run_psql(port, "-c", "select 1", user="user", password="wrong")
        assert 'password authentication failed for user "user"' in out.stderr
        with pg(port, user="user", password="secret") as conn:
            with pytest.raises(psycopg.Error) as info:
                conn.execute("select 2")
            assert info.value.sqlstate == "42601" and "unsupported demo query" in str(info.value)
            assert conn.execute(" SELECT 1 ").fetchone() == (1,)


# ------------------------------------------------------------- parameters

def test_parameters_block_declares_types_and_gets_kwargs(serve):
    example = exec_block(block("Parameters and prepared statements"))
    calls = []

    class Recorded(example["Connection"]):
        def handle_query(self, sql, callback=callable, **kwargs):
            calls.append(dict(kwargs, sql=sql))
            return super().handle_query(sql, callback, **kwargs)

    port = serve(riffq.RiffqServer("127.0.0.1:0", connection_cls=Recorded)).port
    promised = repr(([7, "x", datetime.date(2024, 1, 2)], [20, 25, 1082]))
    # the comment's case: three strings, typed by describe_parameters
    with pg(port, user="u") as conn:
        assert conn.execute("select %s, %s, %s", ["7", "x", "2024-01-02"]).fetchone() == (promised,)
        pid = conn.info.backend_pid
    assert calls[-1]["connection_id"] == pid
    assert calls[-1]["do_describe"] is False and calls[-1]["sql"] == "select $1, $2, $3"

    # a client that asks for the parameter types gets the declared ones
    async def with_asyncpg():
        conn = await asyncpg.connect(host="127.0.0.1", port=port, user="u", database="postgres")
        try:
            stmt = await conn.prepare("select $1, $2, $3")
            names = [t.name for t in stmt.get_parameters()]
            value = await stmt.fetchval(7, "x", datetime.date(2024, 1, 2))
            return names, value
        finally:
            await conn.close()
    del calls[:]
    names, value = asyncio.run(with_asyncpg())
    assert names == ["int8", "text", "date"] and value == promised
    describing = [c for c in calls if c["do_describe"]]
    assert describing and describing[0]["query_args"] is None
    assert describing[0]["param_types"] == [20, 25, 1082]
    assert [c["query_args"] for c in calls if not c["do_describe"]] == [[7, "x", datetime.date(2024, 1, 2)]]


# ------------------------------------------------------------------ cancel

def test_cancel_block_interrupts_duckdb_at_once(serve):
    example = exec_block(block("Cancelling a running statement"))
    instances, returned = [], []    # each handler call's end: None or its exception

    class Watched(example["Connection"]):
        def __init__(self, *args):
            super().__init__(*args)
            instances.append(self)

        def handle_query(self, sql, callback=callable, **kwargs):
            try:
                super().handle_query(sql, callback, **kwargs)
            except Exception as exc:
                returned.append(exc)
                raise
            returned.append(None)

    port = serve(riffq.RiffqServer("127.0.0.1:0", connection_cls=Watched)).port
    try:
        with pg(port, user="u") as conn:
            assert conn.execute("select 40 + 2 as answer").fetchone() == (42,)
            threading.Timer(0.5, conn.cancel_safe).start()
            started = time.monotonic()
            # hours of work for DuckDB unless handle_cancel interrupts it
            with pytest.raises(psycopg.errors.QueryCanceled) as info:
                conn.execute("select sum(i) from range(1000000000000) t(i)")
            assert info.value.sqlstate == "57014"
            assert "canceling statement due to user request" in str(info.value)
            assert time.monotonic() - started < 5
            wait_for(lambda: len(returned) == 2)
            assert isinstance(returned[1], example["duckdb"].InterruptException)
            assert conn.execute("select 7").fetchone() == (7,)
    finally:
        for instance in instances:      # should handle_cancel fail, end the query anyway
            instance.duckdb_con.interrupt()


# ------------------------------------------------------------------- hooks

class FromAddress(RawClient):
    """A raw client whose connection comes from ``source`` (any 127.x address)."""

    def __init__(self, port: int, source: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
        self.buf = b""


def test_connection_hooks_block_refuses_address_and_sees_every_end(serve):
    # the example refuses 10.0.0.66; a test can only connect from loopback
    # addresses, so it refuses 127.0.0.2 instead
    code = block("Connection hooks")
    assert code.count('"10.0.0.66"') == 1
    example = exec_block(code.replace('"10.0.0.66"', '"127.0.0.2"'))
    ended = []

    class Recorded(example["Connection"]):
        def handle_disconnect(self, ip, port, callback=callable):
            ended.append(self.conn_id)
            return super().handle_disconnect(ip, port, callback)

    server = riffq.RiffqServer("127.0.0.1:0", connection_cls=Recorded)
    bg = serve(server)
    refused_client = FromAddress(bg.port, "127.0.0.2")
    refused_client.send(startup_packet(user="u"))
    kind, body = refused_client.read_message()
    assert kind == b"E" and error_fields(body)["C"] == "28000" and error_fields(body)["S"] == "FATAL"
    assert refused_client.closed()
    refused_client.close()
    wait_for(lambda: len(ended) == 1)         # a refused connection ends too

    polite = pg(bg.port, user="u")            # ends with Terminate
    polite_id = polite.info.backend_pid
    polite.close()
    wait_for(lambda: len(ended) == 2)
    rude = FromAddress(bg.port, "127.0.0.1")  # ends by dropping the socket
    rude.connect(user="u")
    rude.close()
    wait_for(lambda: len(ended) == 3)
    open_at_stop = pg(bg.port, user="u")      # ends with the server
    open_id = open_at_stop.info.backend_pid
    bg.stop()
    wait_for(lambda: len(ended) == 4)
    open_at_stop.close()
    time.sleep(0.2)
    assert len(ended) == len(set(ended)) == 4 and ended[1] == polite_id and ended[3] == open_id


# --------------------------------------------------------- low-level Server

def test_low_level_server_block(tmp_path):
    with run_script(tmp_path, block("The low-level server")) as port:
        with pg(port, user="anyone", password="secret") as conn:
            assert conn.execute("select whatever").fetchone() == (1,)
            assert conn.execute("select whatever").description[0].name == "x"
        with pytest.raises(psycopg.OperationalError, match='password authentication failed for user "anyone"'):
            pg(port, user="anyone", password="guess")
        # a handler that answers with rows serves COPY TO STDOUT and cursors too
        copy = run_psql(port, "-c", r"\copy (select whatever) to stdout", password="secret")
        assert copy.returncode == 0 and copy.stdout == "1\n", copy.stdout + copy.stderr
        fetched = run_psql(port, "-At", "-v", "FETCH_COUNT=1", "-c", "select whatever", password="secret")
        assert fetched.returncode == 0 and fetched.stdout == "1\n", fetched.stdout + fetched.stderr


# ----------------------------------------------------------- serve_in_thread

def test_serve_in_thread_block():
    code = block("Running, stopping, embedding")
    running, stopping = code.split("\nbg.stop()", 1)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        namespace = exec_block(running)
    bg = namespace["bg"]
    assert printed.getvalue().split() == [str(bg.port)] and bg.port != 0
    try:
        with pg(bg.port, user="user", password="secret") as conn:
            assert conn.execute("select 1").fetchone() == (1,)
    finally:
        exec(compile("bg.stop()" + stopping, "README.md", "exec"), namespace)
    assert not bg.thread.is_alive() and refused(bg.port)


def test_cursors_block_reads_a_binary_server_cursor():
    """The block runs its own server and reads it through psycopg's binary
    named cursor: DECLARE once, then FETCH 5000 at a time."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        namespace = exec_block(block("Cursors"))
    assert printed.getvalue().split() == ["50000"]
    assert not namespace["bg"].thread.is_alive()


# --------------------------------------------------------- authentication

def test_authentication_block_checks_scram_itself(tmp_path):
    with run_script(tmp_path, block("Authentication")) as port:
        with pg(port, user="alice", password="correct horse", require_auth="scram-sha-256") as conn:
            assert conn.execute("select 1").fetchone() == (1,)
        for user, password in [("alice", "battery staple"), ("mallory", "correct horse")]:
            with pytest.raises(psycopg.OperationalError) as info:
                pg(port, user=user, password=password, require_auth="scram-sha-256")
            assert 'password authentication failed for user "%s"' % user in str(info.value)


# --------------------------------------------------------------------- TLS

def test_tls_block_with_the_readme_self_signed_certificate(tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(shlex.split(sh_line("openssl req ")), cwd=str(certs), check=True, capture_output=True)
    code = block("TLS")
    with run_script(tmp_path, code, cwd=certs) as port:
        login = dict(user="alice", password="correct horse")
        for sslmode in ["require", "prefer"]:
            with pg(port, sslmode=sslmode, **login) as conn:
                assert conn.pgconn.ssl_in_use and conn.execute("select 1").fetchone() == (1,)
        # SCRAM over TLS binds the channel
        with pg(port, sslmode="require", channel_binding="require", require_auth="scram-sha-256",
                **login) as conn:
            assert conn.pgconn.ssl_in_use
        # and the certificate (CN=localhost) verifies as its own root
        with pg(port, host="localhost", sslmode="verify-full", sslrootcert=str(certs / "server.crt"),
                **login) as conn:
            assert conn.pgconn.ssl_in_use
    # "a missing file raises OSError now": the same program where there are no files
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "example.py").write_text(code)
    out = subprocess.run([sys.executable, "example.py"], cwd=str(empty), capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=30)
    assert out.returncode != 0 and "OSError" in out.stderr and "server.crt" in out.stderr, out.stderr


def test_client_certificate_block(tmp_path):
    pki = Pki(str(tmp_path))
    pki.server("server")
    shutil.copy(pki.ca, tmp_path / "clients-ca.crt")
    alice = pki.client("alice", "alice")
    bob = pki.client("bob", "bob")
    forged = pki.client("forged", "alice", ca="rogue")

    def client(cert, **kw):
        kw.update(sslcert=cert["crt"], sslkey=cert["key"]) if cert else None
        return pg(port, host="localhost", user="alice", sslrootcert=pki.ca, sslmode="verify-full", **kw)

    with run_script(tmp_path, block("TLS", 1)) as port:
        with client(alice) as conn:
            assert conn.pgconn.ssl_in_use
        with pytest.raises(psycopg.OperationalError, match="connection rejected by the server"):
            client(bob)                      # signed by the CA, but not in ALLOWED
        for cert in [None, forged]:          # no certificate, or another CA's
            with pytest.raises(psycopg.OperationalError):
                client(cert)
        with pytest.raises(psycopg.OperationalError, match="no pg_hba.conf entry.*no encryption"):
            pg(port, user="alice", sslmode="disable")
        # the README's psql line, pointed at this server
        conninfo = re.search(r'`psql "(host=db\.example\.org [^"]*)"`', " ".join(
            README.read_text().split())).group(1)
        conninfo = conninfo.replace("host=db.example.org", "host=localhost port=%d" % port)
        out = subprocess.run([psql_path(), "-X", "-w", conninfo, "-c", r"\conninfo"], cwd=str(tmp_path),
                             capture_output=True, text=True, timeout=30,
                             env=dict(os.environ, PGCONNECT_TIMEOUT="10"))
        assert out.returncode == 0, out.stderr
        assert "SSL connection" in out.stdout, out.stdout
