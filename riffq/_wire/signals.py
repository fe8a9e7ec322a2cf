"""Stop on signals, then put the previous handlers back.

Both a single server and the supervisor of ``workers=N`` stop on SIGINT and
SIGTERM; only the main thread may install handlers, so elsewhere (a server
run from a test's thread) this is a no-op.
"""
from __future__ import annotations

import signal
import socket
import threading
from typing import Callable, Iterable, Tuple


def stop_on(signals: Iterable[int], stop: Callable[[], None]) -> Callable[[], None]:
    """Call ``stop()`` on each of ``signals``; returns the function that
    restores the handlers there were before."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {}
    for sig in signals:
        try:
            previous[sig] = signal.signal(sig, lambda signum, frame: stop())
        except (ValueError, OSError):
            pass

    def restore() -> None:
        for sig, handler in previous.items():
            try:
                signal.signal(sig, handler)
            except (ValueError, OSError):
                pass
    return restore


def stop_on_wakeup(signals: Iterable[int], stop: Callable[[], None]
                   ) -> Tuple[Callable[[], None], Callable[[], None]]:
    """A second way for ``signals`` (whose handlers ``stop_on`` installed)
    to reach ``stop``: ``(poll, restore)``, ``poll`` to be called by the
    main thread as it waits.

    A worker of ``workers=N`` started from a thread other than the main one
    is forked from that thread. In such a child, Python 3.13.0 never runs a
    Python-level handler for a signal the kernel hands to another of its
    threads (the flag is raised for a thread state the fork left behind),
    so a SIGTERM could leave the worker serving until the parent kills it.
    The C-level handler still writes the signal's number to the wakeup fd,
    which ``poll`` reads. (``stop`` may then run twice: it must not mind.)"""
    if threading.current_thread() is not threading.main_thread():
        return (lambda: None), (lambda: None)
    wanted = frozenset(int(sig) for sig in signals)
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    try:
        previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    except (ValueError, OSError):
        reader.close()
        writer.close()
        return (lambda: None), (lambda: None)

    def poll() -> None:
        try:
            seen = reader.recv(512)
        except OSError:         # nothing arrived (BlockingIOError), or closed
            return
        if wanted.intersection(seen):
            stop()

    def restore() -> None:
        try:
            signal.set_wakeup_fd(previous)
        except (ValueError, OSError):
            pass
        reader.close()
        writer.close()
    return poll, restore
