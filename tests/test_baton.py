"""The watcher that takes the loop from a handler that blocks
(``riffq/_wire/baton.py``): it must catch every blocking handler, and must
not wake the process up while nothing runs."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import riffq
from pgclient import RawClient, query

ROOT = Path(__file__).resolve().parent.parent
ONE = ([{"name": "?column?", "type": "int4"}], [(1,)])


def _handler(sql, callback, **kw):
    if sql == "slow":
        time.sleep(1.0)
    elif sql == "slower":
        time.sleep(2.0)
    callback(ONE)


def _wait_parked(server, timeout=2.0):
    baton = server._loop.baton
    deadline = time.monotonic() + timeout
    while not baton._parked:
        assert time.monotonic() < deadline, "the watcher kept polling a quiet server"
        time.sleep(0.01)


def _waited_behind(slow, quick, statement):
    """Seconds until ``quick`` is answered while ``slow`` runs ``statement``."""
    t0 = time.monotonic()
    slow.send(query(statement))
    time.sleep(0.05)                    # the slow handler is running
    quick.send(query("select 1"))
    assert quick.read_until(b"Z")[-2][1] == b"SELECT 1\0"
    waited = time.monotonic() - t0
    assert slow.read_until(b"Z")[-2][1] == b"SELECT 1\0"
    return waited


def _parked_server(serve):
    server = riffq.Server("127.0.0.1:0")
    server.on_query(_handler)
    bg = serve(server)
    slow, quick = RawClient(bg.port), RawClient(bg.port)
    slow.connect()
    quick.connect()
    _wait_parked(server)
    return server, slow, quick


def test_a_handler_blocking_after_a_quiet_spell_is_taken_over(serve):
    """The watcher stops polling once nothing runs; the next handler wakes
    it, so a handler that then blocks still loses the loop at once."""
    server, slow, quick = _parked_server(serve)
    for _ in range(3):
        _wait_parked(server)
        waited = _waited_behind(slow, quick, "slow")
        assert waited < 0.5, "a request waited %.3f s behind a sleeping handler" % waited
    slow.close()
    quick.close()


def test_a_missed_wake_up_costs_at_most_the_parked_check(serve):
    """Should a parked watcher ever miss its wake-up, it still looks up
    every ``PARKED_CHECK`` seconds, and takes over from a blocked handler."""
    from riffq._wire.baton import PARKED_CHECK
    server, slow, quick = _parked_server(serve)
    server._loop.baton._parked = False       # so the next handler wakes no one
    waited = _waited_behind(slow, quick, "slower")
    assert waited < PARKED_CHECK + 0.5, "a request waited %.3f s behind a sleeping handler" % waited
    slow.close()
    quick.close()


SERVER = """
import sys, riffq
s = riffq.Server("127.0.0.1:" + sys.argv[1])
s.on_query(lambda sql, callback, **kw: callback(([{"name": "n", "type": "int4"}], [(1,)])))
s.start()
"""


def _wakeups(pid: int) -> int:
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches"):
                    total += int(line.split()[1])
    return total


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts wake-ups in /proc (Linux)")
def test_an_idle_server_does_not_wake_up_every_few_milliseconds():
    """Once its clients are quiet, a server wakes only to look for signals
    (10 times a second), not to poll for handlers that are not running."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                c = RawClient(port)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        c.connect()
        c.send(query("select 1"))
        assert c.read_until(b"Z")[-2][1] == b"SELECT 1\0"
        time.sleep(0.5)                     # quiet from here on
        before = _wakeups(proc.pid)
        time.sleep(2.0)
        woken = _wakeups(proc.pid) - before
        # polling every 10 ms would be about 200; signal checks are 20
        assert woken < 60, "an idle server woke up %d times in 2 s" % woken
        c.close()
    finally:
        proc.terminate()
        proc.wait(10)
