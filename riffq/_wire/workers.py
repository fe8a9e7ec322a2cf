"""A thread pool whose threads never keep the process alive.

``concurrent.futures.ThreadPoolExecutor`` joins its threads when the
interpreter exits, so one user handler stuck in a network call would keep
a server alive after SIGTERM. These threads are daemons, started on demand
up to a maximum and kept for reuse.
"""
from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable, Optional


class DaemonPool:
    """``submit(fn) -> Future`` on up to ``max_workers`` daemon threads."""

    def __init__(self, max_workers: int, name: str = "riffq-worker") -> None:
        self._max = max_workers
        self._name = name
        self._tasks: "queue.SimpleQueue[Optional[tuple]]" = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> "Future[Any]":
        fut: "Future[Any]" = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("pool is shut down")
            self._tasks.put((fut, fn, args))
            if self._idle == 0 and self._threads < self._max:
                self._threads += 1
                threading.Thread(target=self._work, name="%s-%d" % (self._name, self._threads),
                                 daemon=True).start()
            elif self._idle:
                self._idle -= 1          # an idle thread will take it
        return fut

    def _work(self) -> None:
        while True:
            item = self._tasks.get()
            if item is None:
                return
            fut, fn, args = item
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(fn(*args))
                except BaseException as exc:  # delivered to whoever waits on it
                    fut.set_exception(exc)
            with self._lock:
                self._idle += 1

    def shutdown(self, wait: bool = False) -> None:
        """Stop taking work; idle threads exit, busy ones finish as daemons."""
        with self._lock:
            self._closed = True
            n = self._threads
        for _ in range(n):
            self._tasks.put(None)
