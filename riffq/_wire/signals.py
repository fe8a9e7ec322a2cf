"""Stop on signals, then put the previous handlers back.

Both a single server and the supervisor of ``workers=N`` stop on SIGINT and
SIGTERM; only the main thread may install handlers, so elsewhere (a server
run from a test's thread) this is a no-op.
"""
from __future__ import annotations

import signal
import threading
from typing import Callable, Iterable


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
