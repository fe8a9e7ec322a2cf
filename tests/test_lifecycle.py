"""Process-level behaviour: shutdown by signal, streaming under backpressure,
the demo server, and the standard-library-only core."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import riffq
from conftest import find_python, run_psql
from pgclient import RawClient, query

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=30):
    deadline = time.time() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise AssertionError("server did not start: %s" % (proc.communicate()[0],))
            time.sleep(0.05)


SHUTDOWN_SERVER = textwrap.dedent("""
    import json, sys, riffq
    log = open(sys.argv[2], "a")
    def note(*what):
        log.write(json.dumps(what) + "\\n"); log.flush()
    class Conn(riffq.BaseConnection):
        def handle_query(self, sql, callback=callable, **kw):
            callback(([{"name": "x", "type": "int"}], [(1,)]))
        def handle_disconnect(self, ip, port, callback=callable):
            note("disconnect", self.conn_id)
            callback()
    server = riffq.RiffqServer("127.0.0.1:" + sys.argv[1], connection_cls=Conn)
    server.handle_shutdown(lambda: note("shutdown"))
    server.start()
    note("returned")
""")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_server_runs_shutdown_and_disconnects(tmp_path, sig):
    port = free_port()
    script = tmp_path / "server.py"
    script.write_text(SHUTDOWN_SERVER)
    events = tmp_path / "events.jsonl"
    proc = subprocess.Popen([sys.executable, str(script), str(port), str(events)],
                            env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_listening(port, proc)
    conn = psycopg.connect(host="127.0.0.1", port=port, user="u", dbname="d", autocommit=True)
    assert conn.execute("q").fetchone() == (1,)
    proc.send_signal(sig)
    assert proc.wait(15) == 0, proc.communicate()[0]
    with pytest.raises(psycopg.OperationalError) as info:
        conn.execute("q")
    assert "terminating connection due to administrator command" in str(info.value)
    conn.close()
    lines = [json.loads(x) for x in events.read_text().splitlines()]
    assert lines[0] == ["shutdown"]
    assert lines.count(["disconnect", 1]) == 1
    assert lines[-1] == ["returned"]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_slow_reader_keeps_result_streaming_bounded(serve):
    """A client that stops reading stops the pull from the reader."""
    pulled = []
    total = 400
    schema = pa.schema([("n", pa.int64()), ("pad", pa.string())])

    def batches():
        for i in range(total):
            pulled.append(i)
            yield pa.record_batch([pa.array(range(i * 1000, (i + 1) * 1000)),
                                   pa.array(["x" * 100] * 1000)], schema=schema)

    def handler(sql, callback, **kwargs):
        callback(pa.RecordBatchReader.from_batches(schema, batches()).__arrow_c_stream__())

    server = riffq.Server("127.0.0.1:0")
    server.on_query(handler)
    bg = serve(server)
    c = RawClient(bg.port)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    c.connect()
    c.send(query("select everything"))
    time.sleep(1.0)
    stalled_at = len(pulled)
    time.sleep(0.5)
    assert len(pulled) == stalled_at, "the server kept pulling while the client did not read"
    assert stalled_at < total / 4, "pulled %d of %d batches without the client reading" % (stalled_at, total)
    # now read everything: all rows arrive, in order
    rows = 0
    last = -1
    while True:
        t, body = c.read_message()
        if t == b"D":
            n = int(body[6:6 + int.from_bytes(body[2:6], "big")])
            assert n == last + 1
            last = n
            rows += 1
        elif t == b"C":
            assert body == b"SELECT %d\0" % (total * 1000)
        elif t == b"Z":
            break
    assert rows == total * 1000
    c.close()


def _serve_reader(serve, schema, batches):
    """A server answering every query with a reader of ``batches()``."""
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(
        pa.RecordBatchReader.from_batches(schema, batches())))
    return serve(server)


def test_first_rows_leave_before_the_reader_is_read_further(serve):
    """A large result's first rows go out as soon as its first chunk is
    encoded, not after more of the reader has been read and encoded: here
    the reader's second batch comes only once the client has seen rows."""
    from riffq._wire.results import FIRST_ARROW_ROWS
    seen_rows = threading.Event()
    schema = pa.schema([("n", pa.int64()), ("pad", pa.string())])

    def batches():
        for i in range(2):
            if i:
                seen_rows.wait(10)
            start = i * FIRST_ARROW_ROWS
            yield pa.record_batch([pa.array(range(start, start + FIRST_ARROW_ROWS)),
                                   pa.array(["x" * 100] * FIRST_ARROW_ROWS)], schema=schema)

    bg = _serve_reader(serve, schema, batches)
    c = RawClient(bg.port, timeout=5.0)
    c.connect()
    c.send(query("select everything"))
    assert c.read_message()[0] == b"T"
    t, body = c.read_message()      # a socket timeout here: the rows were held back
    assert t == b"D"
    seen_rows.set()
    rows = [int(body[6:6 + int.from_bytes(body[2:6], "big")])]
    while True:
        t, body = c.read_message()
        if t == b"D":
            rows.append(int(body[6:6 + int.from_bytes(body[2:6], "big")]))
        elif t == b"Z":
            break
        else:
            assert (t, body) == (b"C", b"SELECT %d\0" % (2 * FIRST_ARROW_ROWS))
    assert rows == list(range(2 * FIRST_ARROW_ROWS))
    c.close()


def test_readers_waiting_for_their_next_batch_never_hold_up_other_results(serve):
    """A user's reader is read off the loop, on the threads that encode
    results. Eight streams whose readers wait (a slow upstream, an engine
    still computing) must not keep a ninth client's streamed result, nor a
    cursor's FETCH, waiting for them: there were once four such threads."""
    stalled = 8
    BATCH = 20_000      # a first chunk, then more of this batch encoded ahead
    go = threading.Event()
    waiting = threading.Semaphore(0)
    schema = pa.schema([("n", pa.int64())])

    def batches(wait):
        for i in range(3):
            if i and wait:
                waiting.release()
                go.wait(30)
            yield pa.record_batch([pa.array(range(i * BATCH, (i + 1) * BATCH))], schema=schema)

    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(
        pa.RecordBatchReader.from_batches(schema, batches("stalled" in sql))))
    bg = serve(server)
    clients = []
    try:
        for _ in range(stalled):
            c = RawClient(bg.port, timeout=30.0)
            c.connect()
            c.send(query("select stalled"))
            clients.append(c)
        for _ in range(stalled):
            # (with too few threads, the later readers are not even asked)
            assert waiting.acquire(timeout=10), "a stalled reader was never asked for its next batch"
        got = []

        def other_client():
            with psycopg.connect(host="127.0.0.1", port=bg.port, user="u", dbname="d") as conn:
                got.append(len(conn.execute("select everything").fetchall()))
                conn.execute("declare c cursor for select everything")
                got.append(conn.execute("fetch 5 from c").fetchall()[-1][0])
        runner = threading.Thread(target=other_client, daemon=True)
        runner.start()
        runner.join(10)
        assert got == [3 * BATCH, 4], "held up behind readers that wait"
    finally:
        go.set()
    for c in clients:
        rows = 0
        while True:
            t, body = c.read_message()
            rows += t == b"D"
            if t == b"Z":
                break
        assert rows == 3 * BATCH
        c.close()


def test_every_row_a_reader_gave_leaves_before_its_error(serve):
    """As PostgreSQL sends every row it made before an error: the chunks
    already encoded ahead of the client when the reader raised are sent,
    then the error, in the words a handler's own exception gets."""
    schema = pa.schema([("n", pa.int64())])
    batch, batches_before = 20_000, 5

    def batches():
        for i in range(batches_before):
            yield pa.record_batch([pa.array(range(i * batch, (i + 1) * batch))], schema=schema)
        raise RuntimeError("the upstream went away")

    bg = _serve_reader(serve, schema, batches)
    c = RawClient(bg.port, timeout=10.0)
    c.connect()
    c.send(query("select failing"))
    got = c.read_until(b"Z")
    kinds = [t for t, _ in got]
    assert kinds[0] == b"T" and kinds[-2:] == [b"E", b"Z"]
    assert kinds.count(b"D") == batch * batches_before
    fields = {f[:1]: f[1:] for f in got[-2][1].split(b"\0") if f}
    assert (fields[b"C"], fields[b"M"]) == (b"XX000", b"RuntimeError: the upstream went away")
    c.send(query("select failing"))         # and the session goes on
    assert [t for t, _ in c.read_until(b"Z")][-2:] == [b"E", b"Z"]
    c.close()


def _stalled_cursor_server(serve, calls):
    """``select stalled``: 10 rows, then a reader that waits for ``go``
    (returned) before the rest; every statement is noted in ``calls``."""
    go = threading.Event()
    schema = pa.schema([("n", pa.int64())])

    def batches():
        yield pa.record_batch([pa.array(range(10))], schema=schema)
        go.wait(30)
        yield pa.record_batch([pa.array(range(10, 20))], schema=schema)

    def handle(sql, callback, **kw):
        calls.append(sql)
        if "stalled" in sql:
            callback(pa.RecordBatchReader.from_batches(schema, batches()))
        else:
            callback(([{"name": "x", "type": "int4"}], [(1,)]))
    server = riffq.Server("127.0.0.1:0")
    server.on_query(handle)
    return serve(server), go


@pytest.mark.parametrize("protocol", ["simple", "extended"])
def test_a_fetch_waiting_for_its_reader_can_be_cancelled(serve, protocol):
    """A FETCH makes its rows before sending any; a cancel meanwhile ends it
    with 57014 at once, and its cursor is failed, as in PostgreSQL."""
    bg, go = _stalled_cursor_server(serve, [])
    try:
        if protocol == "simple":
            c = RawClient(bg.port)
            key = dict(c.connect())[b"K"]
            c.send(query("begin; declare c cursor for select stalled"))
            c.read_until(b"Z")
            c.send(query("fetch all from c"))
            time.sleep(0.3)
            with socket.create_connection(("127.0.0.1", bg.port)) as cancel:
                cancel.sendall((16).to_bytes(4, "big") + (80877102).to_bytes(4, "big") + key)
            got = c.read_until(b"Z")
            assert [t for t, _ in got] == [b"E", b"Z"] and b"C57014" in got[0][1]
            c.send(query("rollback; select 1"))
            assert [t for t, _ in c.read_until(b"Z")] == [b"C", b"T", b"D", b"C", b"Z"]
            c.close()
            return
        with psycopg.connect(host="127.0.0.1", port=bg.port, user="u", dbname="d") as conn:
            conn.execute("declare c cursor for select stalled")
            timer = threading.Timer(0.3, conn.cancel_safe)     # (PQcancel would hold the GIL)
            timer.start()
            t0 = time.monotonic()
            with pytest.raises(psycopg.errors.QueryCanceled):
                conn.execute("fetch all from c")
            assert time.monotonic() - t0 < 5
            timer.join()
            conn.rollback()
            assert conn.execute("select 1").fetchone() == (1,)
    finally:
        go.set()


def test_a_client_leaving_during_a_fetch_ends_its_query(serve):
    """The statements after the FETCH in that Query never reach the handler."""
    calls = []
    bg, go = _stalled_cursor_server(serve, calls)
    c = RawClient(bg.port)
    c.connect()
    c.send(query("begin; declare c cursor for select stalled; fetch all from c; select after"))
    deadline = time.monotonic() + 5
    while "select stalled" not in calls and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    c.close()
    time.sleep(0.2)
    go.set()
    time.sleep(0.5)
    assert "select after" not in calls


def test_stop_while_start_is_still_setting_up_stops_that_run(serve):
    """Before the loop exists there is nothing to stop; the run remembers."""
    server = riffq.Server("127.0.0.1:0")
    entered, proceed = threading.Event(), threading.Event()
    check = server._check_start_options

    def slow_check(*args):
        entered.set()
        proceed.wait(10)
        return check(*args)
    server._check_start_options = slow_check
    runner = threading.Thread(target=server.start, daemon=True)
    runner.start()
    assert entered.wait(5)
    server.stop()
    proceed.set()
    runner.join(10)
    assert not runner.is_alive(), "the run went on serving after stop()"


def test_a_port_0_server_binds_a_new_port_each_run(serve):
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(([{"name": "x", "type": "int4"}], [(1,)])))
    first = serve(server)
    first.stop()
    taken = socket.create_server(("127.0.0.1", first.port))     # the last run's port, now someone else's
    try:
        again = serve(server)
        assert again.port != first.port
        with psycopg.connect(host="127.0.0.1", port=again.port, user="u", dbname="d") as conn:
            assert conn.execute("select 1").fetchone() == (1,)
    finally:
        taken.close()


def test_disconnect_mid_stream_releases_the_reader(serve):
    released = threading.Event()
    schema = pa.schema([("pad", pa.string())])

    def batches():
        try:
            while True:
                yield pa.record_batch([pa.array(["y" * 1000] * 1000)], schema=schema)
        finally:
            released.set()

    bg = _serve_reader(serve, schema, batches)
    c = RawClient(bg.port)
    c.connect()
    c.send(query("endless"))
    c.read_message()
    c.close()
    assert released.wait(10), "the reader was not released after the client left"
    with psycopg.connect(host="127.0.0.1", port=bg.port, user="u", dbname="d") as conn:
        assert conn.info.status == psycopg.pq.ConnStatus.OK


def test_demo_server_answers_psql(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "riffq", "--listen", "127.0.0.1:%d" % port],
                            cwd=str(tmp_path), env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_listening(port, proc)
        out = run_psql(port, "-At", "-c", "select name, population from cities order by id limit 2",
                       user="demo")
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines() == ["Amsterdam|921402", "Berlin|3755251"]
        out = run_psql(port, "-c", "select * from nowhere", user="demo")
        assert "no such table: nowhere" in out.stderr
        # its catalog is SQLite's own schema, read live, in any database
        out = run_psql(port, "-At", "-c", r"\dt", user="demo", dbname="demo")
        assert out.stdout.splitlines() == ["public|cities|table|postgres",
                                           "public|measurements|table|postgres"], out.stderr
        out = run_psql(port, "-At", "-c", r"\d measurements", user="demo", dbname="demo")
        assert out.stdout.splitlines() == ["city_id|bigint|||", "taken_at|timestamp without time zone|||",
                                           "celsius|double precision|||"], out.stderr
        out = run_psql(port, "-c", "create table notes (id integer primary key, body text not null)",
                       "-c", "insert into notes values (1, 'a'), (2, 'b')", "-c",
                       "create unique index if not exists notes_body on notes (body)", user="demo")
        assert out.stdout.splitlines() == ["CREATE TABLE", "INSERT 0 2", "CREATE INDEX"], out.stderr
        out = run_psql(port, "-At", "-c", r"\d notes", dbname="postgres", user="demo")
        assert out.stdout.splitlines() == ["id|bigint||not null|", "body|text||not null|"], out.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0


#: Importing riffq and serving a query, with the third-party packages riffq
#: might reach for blocked; prints the third-party modules that got loaded
#: anyway (none, for a core of the standard library).
_CORE_SMOKE = textwrap.dedent("""
    import sys
    for name in ("pyarrow", "sqlglot", "duckdb", "numpy", "pandas", "psycopg"):
        sys.modules[name] = None          # importing them now raises ImportError
    before = set(sys.modules)             # what the interpreter loaded by itself
    import riffq, riffq.testing, riffq.helpers, riffq.demo
    import riffq._wire.loop, riffq._wire.session, riffq._wire.extended, riffq._wire.params
    import riffq._wire.binformat, riffq._catalog.registry
    import socket
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(([{"name": "x", "type": "int"}], [(1,)])))
    bg = riffq.testing.serve_in_thread(server, catalog_emulation=True)
    s = socket.create_connection(("127.0.0.1", bg.port))
    body = b"\\0\\3\\0\\0user\\0u\\0\\0"
    s.sendall((len(body) + 4).to_bytes(4, "big") + body)
    s.sendall(b"Q\\0\\0\\0\\x0dselect 1\\0")
    data = b""
    while data.count(b"Z\\0\\0\\0\\x05") < 2:
        data += s.recv(65536)
    assert b"D\\0\\0\\0\\x0b\\0\\x01\\0\\0\\0\\x011" in data, data
    # the catalog answers with the built-in translator (sqlglot is blocked)
    q = b"select typname from pg_type where oid = 16\\0"
    s.sendall(b"Q" + (len(q) + 4).to_bytes(4, "big") + q)
    while data.count(b"Z\\0\\0\\0\\x05") < 3:
        data += s.recv(65536)
    assert b"\\0\\x01\\0\\0\\0\\x04bool" in data, data
    bg.stop()
    import sysconfig
    site_dirs = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    third_party = sorted(n.split(".")[0] for n, m in list(sys.modules.items())
                         if m is not None and n not in before
                         and any(str(getattr(m, "__file__", "") or "").startswith(d) for d in site_dirs))
    print(",".join(sorted(set(third_party))))
""")


def test_core_imports_only_the_standard_library():
    """Importing riffq and serving a query must not load any third-party module."""
    out = subprocess.run([sys.executable, "-c", _CORE_SMOKE], cwd=str(ROOT), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_core_parses_as_python_3_9():
    """riffq supports Python 3.9: no syntax of a later Python (``match``,
    ``except*``...), and no ``X | Y`` annotation a 3.9 interpreter would
    evaluate (in a module without ``from __future__ import annotations``).
    Nor anything a later Python warns about when it compiles a module, such
    as an invalid escape sequence (a SyntaxWarning since 3.12)."""
    import ast
    import warnings
    problems = []
    for path in sorted((ROOT / "riffq").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(source, filename=str(path), feature_version=(3, 9))
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                compile(source, str(path), "exec")
        except SyntaxError as exc:
            problems.append("%s: %s" % (path.relative_to(ROOT), exc))
            continue
        if "from __future__ import annotations" in source:
            continue
        for node in ast.walk(tree):
            annotations = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = node.args
                annotations = [a.annotation for a in args.posonlyargs + args.args + args.kwonlyargs
                               + [args.vararg, args.kwarg] if a is not None] + [node.returns]
            elif isinstance(node, ast.AnnAssign):
                annotations = [node.annotation]
            for ann in annotations:
                if ann is not None and any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr)
                                           for n in ast.walk(ann)):
                    problems.append("%s:%d: X | Y annotation" % (path.relative_to(ROOT), ann.lineno))
    assert problems == []


def test_core_serves_on_python_3_9():
    """The same program as above on a real Python 3.9, when this machine has
    one: the core needs nothing but that interpreter's standard library."""
    python39 = find_python("3.9")
    if python39 is None:
        pytest.skip("no Python 3.9 interpreter here (python3.9 on PATH or under ~/.pyenv); "
                    "the syntax check above still covers 3.9")
    out = subprocess.run([python39, "-c", _CORE_SMOKE], cwd=str(ROOT), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_wide_rows_are_encoded_in_small_chunks():
    """A chunk is bounded in bytes, not only in rows."""
    from riffq._wire.results import CHUNK_BYTES, open_stream
    from riffq._wire.textformat import TextContext
    wide = pa.table({"blob": pa.array(["x" * 100_000] * 100)})     # 10 MB in one batch
    stream = open_stream(wide, TextContext())
    sizes = []
    while True:
        chunk = stream.next_chunk()
        if chunk is None:
            break
        sizes.append(len(chunk[0]))
    assert sum(sizes) > 10_000_000
    assert max(sizes) <= CHUNK_BYTES + 200_000


def test_large_result_to_a_fast_reader_completes(serve):
    """Output written in one loop turn can pass the high-water mark and then
    leave in a single send: the session waiting for a drain must still be
    told, or the rest of the result never goes (a regression once)."""
    n = 200_000
    ids = pa.array(range(n), pa.int64())
    table = pa.table({"id": ids, "label": pc.cast(ids, pa.string()),
                      "x": pc.divide(pc.cast(ids, pa.float64()), 7.0)})

    def handle(sql, callback, **kwargs):
        callback(table.to_reader(max_chunksize=65536))
    server = riffq.Server("127.0.0.1:0")
    server.on_query(handle)
    bg = serve(server)
    got = []

    def fetch():
        for binary in (False, True):
            with psycopg.connect(host="127.0.0.1", port=bg.port, user="u", dbname="d") as conn:
                got.append(len(conn.cursor(binary=binary).execute("select *").fetchall()))
    t = threading.Thread(target=fetch, daemon=True)
    t.start()
    t.join(60)
    assert got == [n, n]
