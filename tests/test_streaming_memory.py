"""Streaming an Arrow result keeps server memory bounded and lets go of
the reader when the client goes away.

The server runs in its own process so its RSS is its own; the client is a
raw socket that reads slowly, so the server is always ahead of it and only
flow control keeps it from encoding the whole result into memory.
"""
from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("pyarrow")

from pgclient import RawClient, query  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROWS = 2_000_000

SERVER = r"""
import sys
import pyarrow as pa, pyarrow.compute as pc
import riffq

n = int(sys.argv[2])
schema = pa.schema([("id", pa.int64()), ("x", pa.float64()), ("label", pa.string()),
                    ("ts", pa.timestamp("us")), ("flag", pa.bool_())])

def batches():
    produced = 0
    try:
        for start in range(0, n, 8192):
            ids = pa.array(range(start, min(n, start + 8192)), pa.int64())
            yield pa.RecordBatch.from_arrays([
                ids,
                pc.divide(pc.cast(ids, pa.float64()), 7.0),
                pc.binary_join_element_wise("row number ", pc.cast(ids, pa.string()), ""),
                pc.cast(pc.add(pc.multiply(ids, 1000000), 1704067200000000), pa.timestamp("us")),
                pc.equal(pc.bit_wise_and(ids, 1), 0),
            ], schema=schema)
            produced += len(ids)
            print("produced", produced, flush=True)
    finally:
        print("released", produced, flush=True)

def handle(sql, callback, **kw):
    if sql.startswith("select 1"):
        callback(([{"name": "one", "type": "int4"}], [(1,)]))
    else:
        callback(pa.RecordBatchReader.from_batches(schema, batches()))

s = riffq.Server("127.0.0.1:" + sys.argv[1])
s.on_query(handle)
print("ready", flush=True)
s.start()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss(pid: int) -> int:
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for %d" % pid)


class _Server:
    def __init__(self) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, str(self.port), str(ROWS)],
                                     stdout=subprocess.PIPE, text=True,
                                     env=dict(os.environ, PYTHONPATH=ROOT))
        self.lines: "queue.Queue[str]" = queue.Queue()
        self.produced = 0
        threading.Thread(target=self._pump, daemon=True).start()
        self.wait_for("ready", 30)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _pump(self) -> None:
        for line in self.proc.stdout:
            word, *rest = line.split()
            if word == "produced":
                self.produced = int(rest[0])
            self.lines.put(line.strip())

    def wait_for(self, word: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("server never said %r" % word) from None
            if line.split()[0] == word:
                return line

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture()
def server():
    s = _Server()
    try:
        yield s
    finally:
        s.stop()


def _read_slowly(client: RawClient, rate: float, seconds: float, on_tick) -> int:
    """Receive at about ``rate`` bytes/s for ``seconds``; returns bytes read."""
    client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    got, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        data = client.sock.recv(16384)
        assert data, "server closed the connection mid-result"
        got += len(data)
        on_tick(got)
        ahead = got / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    return got


def test_slow_client_keeps_server_memory_flat_and_disconnect_releases_reader(server):
    client = RawClient(server.port)
    client.connect(user="slow")
    client.send(query("select * from generated"))
    samples = []
    baseline = []

    def tick(got):
        if not baseline and got > 4 * 1024 * 1024:
            baseline.append(_rss(server.proc.pid))
        elif baseline:
            samples.append(_rss(server.proc.pid))

    got = _read_slowly(client, rate=6 * 1024 * 1024, seconds=6.0, on_tick=tick)
    # ~40 bytes a row: the whole result is ~80 MB, the client has read a part
    assert 20 * 1024 * 1024 < got < 60 * 1024 * 1024
    assert 0 < server.produced < ROWS, "the reader was pulled to the end: no flow control"
    growth = max(samples) - baseline[0]
    assert growth < 40 * 1024 * 1024, "server RSS grew by %d MB" % (growth >> 20)

    produced_at_close = server.produced
    client.close()
    released = int(server.wait_for("released", 10).split()[1])
    assert released < ROWS
    # pulls stopped where the client left, not at the end of the result
    assert released - produced_at_close <= 8192 * 8

    again = RawClient(server.port)
    again.connect(user="next")
    again.send(query("select 1"))
    kinds = [t for t, _ in again.read_until(b"Z")]
    assert kinds == [b"T", b"D", b"C", b"Z"]
    again.close()
