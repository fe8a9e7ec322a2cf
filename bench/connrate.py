"""Connections per second: connect, startup, authentication (trust),
ReadyForQuery, Terminate, close, in a loop from several client processes."""
from __future__ import annotations

import multiprocessing
import socket
import time

from pgclient import msg, startup_packet


def _one(port: int, packet: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(packet)
        buf = b""
        while True:  # until ReadyForQuery ('Z', length 5, status) ends the buffer
            data = s.recv(65536)
            if not data:
                raise RuntimeError("connection closed during startup")
            buf += data
            if len(buf) >= 6 and buf[-6:-1] == b"Z\x00\x00\x00\x05":
                break
            if buf[:1] == b"E":
                raise RuntimeError("startup refused: %r" % buf[:200])
        s.sendall(msg(b"X"))


def _worker(port: int, user: str, seconds: float, out: "multiprocessing.Queue[float]") -> None:
    packet = startup_packet(user=user)
    n = 0
    start = time.monotonic()
    try:
        while time.monotonic() - start < seconds:
            _one(port, packet)
            n += 1
    except BaseException:
        out.put(-1.0)  # the parent must not wait for a result that will not come
        raise
    out.put(n / (time.monotonic() - start))


def connections_per_second(port: int, user: str, procs: int = 2, seconds: float = 4.0) -> float:
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(port, user, seconds, out)) for _ in range(procs)]
    for w in workers:
        w.start()
    rates = [out.get(timeout=seconds + 60) for _ in workers]
    for w in workers:
        w.join()
    if min(rates) < 0:
        raise RuntimeError("a connection worker failed")
    return sum(rates)
