"""Instructions riffq's server process runs per ``select 1``, counted by valgrind.

pgbench's rates on this machine move by a tenth from one minute to the next,
and ``statement_cost.py`` times the protocol code alone, warm in the cache.
Neither can tell whether a change that saves 3% of the work per statement
helped. This counts instead: the server runs under callgrind (which counts
the user-space instructions each thread executes, whatever else the machine
is doing) while pgbench sends ``select 1`` over a real socket from one
client, first the simple protocol, then the extended one. Kernel work
(the socket calls themselves) is not counted.

For each protocol the counters are zeroed, pgbench runs ``small`` and then
``large`` transactions, each run ending in a dump; the difference of the two
dumps over the difference of the counts is the cost of one transaction,
without the connection's startup. A connection made before anything is
counted takes the first-use imports out of the way. The handler answers
with declared rows, as ``statement_cost.py``'s does, and is given a long
inline budget so that the handler watchdog, which wakes by the clock and
valgrind slows everything fifty-fold, does not count as work per statement.

    .venv/bin/python bench/instructions.py [small large]
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import servers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = r"""
import sys
import riffq
from riffq._wire import baton
baton.INLINE_BUDGET = 3600.0     # see instructions.py

ONE = ([{"name": "?column?", "type": "int4"}], [(1,)])

def handle(sql, callback, **kw):
    callback(ONE)

server = riffq.Server("127.0.0.1:" + sys.argv[1])
server.on_query(handle)
server.start(auth_method="trust")
"""
MODES = ("simple", "extended")


def _pgbench(bin_dir: str, port: int, script: str, mode: str, transactions: int) -> None:
    out = subprocess.run([os.path.join(bin_dir, "pgbench"), "-h", "127.0.0.1", "-p", str(port),
                          "-U", "bench", "-n", "-f", script, "-c", "1", "-t", str(transactions),
                          "-M", mode, "postgres"], capture_output=True, text=True, timeout=600)
    done = "actually processed: %d/%d" % (transactions, transactions)
    if done not in out.stdout:
        raise RuntimeError("pgbench failed:\n" + out.stdout + out.stderr)


def _control(pid: int, flag: str) -> None:
    subprocess.run(["callgrind_control", flag, str(pid)], check=True, capture_output=True, timeout=60)


def _dumped(prefix: str, seen: List[str]) -> int:
    """The instruction total of the dump that appeared since ``seen``."""
    deadline = time.monotonic() + 60
    while True:
        new = sorted(set(glob.glob(prefix + ".*")) - set(seen))
        if new:
            path = new[0]
            seen.append(path)
            time.sleep(0.2)     # written whole before callgrind_control returns; to be safe
            with open(path) as f:
                found = re.search(r"^summary:\s+(\d+)", f.read(), re.M)
            if found:
                return int(found.group(1))
        if time.monotonic() > deadline:
            raise RuntimeError("callgrind wrote no dump")
        time.sleep(0.1)


def count(small: int = 200, large: int = 1200) -> Dict[str, float]:
    """Instructions per transaction for each protocol mode."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise RuntimeError("valgrind (with callgrind_control) is not installed")
    bin_dir = servers.find_bin_dir()
    work = tempfile.mkdtemp(prefix="riffq-instructions-")
    script = os.path.join(work, "select1.sql")
    with open(script, "w") as f:
        f.write("select 1;\n")
    prefix = os.path.join(work, "callgrind.out")
    port = servers.free_port()
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + prefix,
                             sys.executable, "-c", SERVER, str(port)],
                            env=dict(os.environ, PYTHONPATH=ROOT), cwd=work,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        servers.wait_until_accepting(proc, port, 300, "riffq under valgrind")
        for mode in MODES:
            _pgbench(bin_dir, port, script, mode, 20)      # first-use imports, not counted
        seen: List[str] = []
        result = {}
        for mode in MODES:
            totals = []
            for n in (small, large):
                _control(proc.pid, "-z")
                _pgbench(bin_dir, port, script, mode, n)
                _control(proc.pid, "-d")
                totals.append(_dumped(prefix, seen))
            result[mode] = (totals[1] - totals[0]) / (large - small)
        return result
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    small, large = (int(a) for a in sys.argv[1:3]) if len(sys.argv) > 2 else (200, 1200)
    print("riffq server instructions per select 1 (callgrind, one pgbench client, "
          "%d - %d transactions)" % (large, small))
    for mode, per in count(small, large).items():
        print("  %-8s %10.0f" % (mode, per))


if __name__ == "__main__":
    main()
