"""Server memory: idle connections, and a big result streamed to a client
that reads at a fixed slow rate."""
from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Callable, Dict, List

from pgclient import RawClient, query  # tests/ is on sys.path (servers.py)
from servers import rss, smaps_rollup


def open_idle(port: int, n: int, user: str) -> List[RawClient]:
    """``n`` connections that finished startup and now sit idle."""
    out = []
    for _ in range(n):
        c = RawClient(port, timeout=30)
        kinds = [t for t, _ in c.connect(user=user)]
        if kinds[-1:] != [b"Z"]:
            raise RuntimeError("startup failed: %r" % kinds)
        out.append(c)
    return out


def backend_pid(client: RawClient, messages) -> int:
    for t, body in messages:
        if t == b"K":
            return struct.unpack("!i", body[:4])[0]
    raise RuntimeError("no BackendKeyData")


def riffq_idle_bytes(pid: int, port: int, n: int) -> Dict[str, float]:
    """RSS growth of the riffq process per idle connection."""
    warm = open_idle(port, 20, "bench")  # first-use allocations are not per connection
    time.sleep(0.5)
    before = rss(pid)
    conns = open_idle(port, n, "bench")
    time.sleep(1.0)
    after = rss(pid)
    for c in conns + warm:
        c.close()
    return {"per_conn": (after - before) / n, "total": after, "n": n}


def pg_backend_bytes(port: int, user: str, n: int = 20) -> Dict[str, float]:
    """Mean Pss/Rss of ``n`` idle PostgreSQL backends."""
    pss, rs, conns = [], [], []
    for _ in range(n):
        c = RawClient(port, timeout=30)
        msgs = c.connect(user=user)
        conns.append((c, backend_pid(c, msgs)))
    time.sleep(0.5)
    for c, pid in conns:
        m = smaps_rollup(pid)
        pss.append(m["Pss"])
        rs.append(m["Rss"])
    for c, _ in conns:
        c.close()
    return {"pss": sum(pss) / n, "rss": sum(rs) / n}


class SlowReader:
    """Reads a text-format result at ``rate`` bytes/s, checking every
    DataRow's first field counts up from 0 (so the bytes are real rows)."""

    def __init__(self, port: int, user: str, sql: str, rate: int) -> None:
        self.client = RawClient(port, timeout=30)
        self.client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        self.pid = backend_pid(self.client, self.client.connect(user=user))
        self.client.send(query(sql))
        self.rate = rate
        self.received = 0
        self.rows = 0
        self.pending = b""
        #: ReadyForQuery came: the whole result was read (a short stream)
        self.finished = False

    def _parse(self) -> None:
        buf, pos = self.pending, 0
        while len(buf) - pos >= 5:
            t = buf[pos:pos + 1]
            (length,) = struct.unpack_from("!i", buf, pos + 1)
            if len(buf) - pos < 1 + length:
                break
            if t == b"D":
                (flen,) = struct.unpack_from("!i", buf, pos + 7)
                if int(buf[pos + 11:pos + 11 + flen]) != self.rows:
                    raise RuntimeError("row %d arrived out of order" % self.rows)
                self.rows += 1
            elif t == b"Z":
                self.finished = True
            pos += 1 + length
        self.pending = buf[pos:]

    def run(self, seconds: float, sample: Callable[[], None]) -> None:
        start = last = time.monotonic()
        while time.monotonic() - start < seconds and not self.finished:
            data = self.client.sock.recv(16384)
            if not data:
                raise RuntimeError("server closed the stream")
            self.received += len(data)
            self.pending += data
            self._parse()
            ahead = self.received / self.rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
            if time.monotonic() - last >= 0.25:
                sample()
                last = time.monotonic()
        sample()
        self.client.close()


def slow_stream(port: int, user: str, sql: str, pid_of: Callable[[SlowReader], int],
                rate: int, seconds: float) -> Dict[str, float]:
    """RSS of the serving process while ``sql`` streams to a slow reader:
    the first sample is taken after the first second."""
    reader = SlowReader(port, user, sql, rate)
    pid = pid_of(reader)
    samples: List[int] = []
    reader.run(seconds, lambda: samples.append(rss(pid)))
    base = samples[min(3, len(samples) - 1)]
    return {"start": base, "max": max(samples), "growth": max(samples) - base,
            "rows": reader.rows, "bytes": reader.received}


def parallel(*fns: Callable[[], Dict[str, float]]) -> List[Dict[str, float]]:
    """Run measurements at the same time (so both see the same machine)."""
    results: List[Dict[str, float]] = [{} for _ in fns]
    errors: List[BaseException] = []

    def run(i: int, fn: Callable[[], Dict[str, float]]) -> None:
        try:
            results[i] = fn()
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
