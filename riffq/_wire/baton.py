"""The right to run the event loop, and handing it on.

Most query handlers answer at once (a lookup, a cached frame, DuckDB on a
small table). Sending each of them to a pool thread and its answer back
costs two thread switches, more than the handler itself. So the thread that
runs the loop calls handlers itself ("inline"), between two turns of the
loop, where it holds no state of any connection.

A handler may block instead (a sleep, a long query, waiting on a remote
service). The other connections must not wait for it: a watcher thread
notices a handler that has held the loop for longer than ``budget`` and takes
the baton, becoming the loop thread while the blocked one finishes its
handler. Whoever finishes a handler without the baton hands its results to
the loop through ``post`` (as pool threads always did) and becomes a watcher.
A watcher that has seen no handler for a while stops polling and waits for
the next one to start, so a quiet server, or one streaming a large result to
a client on the same machine, is not woken up a hundred times a second
(it still looks up every ``PARKED_CHECK`` seconds).

A request that arrives whole and of a common shape (see ``fastpath``) has
its handler run at once, in the middle of the loop turn that read it, so
that an answer given at once leaves in the same turn. Should that handler
block and lose the baton, its thread raises ``BatonLost`` to leave the turn
without touching anything more, the events it had not yet dispatched are
reported again to the new holder, and it becomes a watcher. An answer that
handler gave before blocking is handed to the new holder as it takes over
(``on_takeover``), so it leaves at once rather than when the handler returns.

Invariants: exactly one thread holds the baton; only it touches loop and
session state; the baton changes hands only while its holder is inside a
handler, under the lock.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

log = logging.getLogger("riffq")
#: (module globals: run_job runs for every handler)
_get_ident = threading.get_ident
_monotonic = time.monotonic

#: How long an inline handler may hold the loop before another thread takes it.
INLINE_BUDGET = 0.002
#: A watcher with nothing to watch polls less and less often, down to this,
#: and then stops polling until the next handler starts...
IDLE_POLL = 0.010
#: ...looking up anyway this often, should a wake-up ever be missed.
PARKED_CHECK = 0.5
#: How often the thread that called ``run`` looks up from waiting (signals).
SIGNAL_POLL = 0.1
#: Threads allowed in the relay (the holder, watchers, and blocked handlers);
#: past it, handlers go to the pool instead of running inline.
MAX_THREADS = 64


class BatonLost(BaseException):
    """This thread's handler, run in the middle of a loop turn, was taken
    over (see above): unwind to the loop without touching its state. Not an
    ``Exception``, so no handler of errors on the way catches it."""


class Baton:
    """Who runs the loop. ``serve(me)`` runs loop turns until the loop stops
    (True) or ``me`` lost the baton in a handler (False)."""

    def __init__(self, serve: Callable[[int], bool], wake: Callable[[], None],
                 budget: Optional[float] = None) -> None:
        self._serve = serve
        self._wake = wake
        #: (the module's INLINE_BUDGET read now, so a tool can change it)
        self.budget = INLINE_BUDGET if budget is None else budget
        self._lock = threading.Lock()
        #: thread ident of the holder (read without the lock by ``post``)
        self.holder: Optional[int] = None
        self._job_started = 0.0       # monotonic start of the holder's handler, 0: none
        self._jobs = 0                # handlers started inline, ever (activity for watchers)
        self._threads = 0             # threads in the relay
        self._watchers = 0            # of which polling
        self._finished = False
        self._done = threading.Event()
        #: called by a watcher that just took the baton, before it serves
        self.on_takeover: Optional[Callable[[], None]] = None
        #: a watcher with nothing to watch for a while waits on ``_unpark``
        #: instead of polling; the next handler to start sets it
        self._parked = False
        self._unpark = threading.Event()
        #: called by the thread in ``run`` each time it looks up from waiting
        #: (``signals.stop_on_wakeup``)
        self.poll: Optional[Callable[[], None]] = None
        #: a handler raised SystemExit (see ``_loop_failed``)
        self.exit_requested = False

    # -- the loop's side -----------------------------------------------------------
    def run(self) -> None:
        """Serve until the loop stops. The calling thread only waits: the
        loop runs on relay threads, so a handler that blocks never holds up
        the caller (which must see the end, handle signals and clean up)."""
        self._done = threading.Event()
        with self._lock:
            self._finished = False
            self._threads = 1
        threading.Thread(target=self._first_holder, name="riffq-loop", daemon=True).start()
        # Timed waits: a signal caught by another thread only runs its Python
        # handler (stop) once the main thread is back in the interpreter
        while not self._done.wait(SIGNAL_POLL):
            if self.poll is not None:
                self.poll()

    def _first_holder(self) -> None:
        me = threading.get_ident()
        with self._lock:
            self.holder = me
        self._spawn_watcher()
        try:
            if self._serve(me):
                self._finish()
            else:
                self._watch(me)
        except BaseException as exc:
            self._loop_failed(exc)
            self._finish()
        finally:
            with self._lock:
                self._threads -= 1

    def can_inline(self) -> bool:
        return not self._finished and self._threads < MAX_THREADS

    def run_job(self, fn: Callable[[], None]) -> bool:
        """Run a handler inline; False when the baton was taken meanwhile."""
        me = _get_ident()
        self._jobs += 1
        self._job_started = _monotonic()
        if self._parked:        # (read after the start is set: see _watch)
            self._parked = False
            self._unpark.set()
        try:
            fn()
        except Exception:
            log.exception("internal error in an inline job")
        # acquire/release rather than ``with``: this runs for every handler,
        # and nothing between them can raise
        lock = self._lock
        lock.acquire()
        if self.holder == me:
            self._job_started = 0.0
            lock.release()
            return True
        # (the clock now times the new holder's handler: leave it alone)
        lock.release()
        # the new holder may be asleep in select, unaware of what fn posted
        self._wake()
        return False

    # -- watchers --------------------------------------------------------------------
    def _spawn_watcher(self) -> None:
        with self._lock:
            if self._watchers or self._threads >= MAX_THREADS or self._finished:
                return
            self._threads += 1
        threading.Thread(target=self._watch_thread, name="riffq-loop", daemon=True).start()

    def _watch_thread(self) -> None:
        try:
            self._watch(threading.get_ident())
        finally:
            with self._lock:
                self._threads -= 1

    def _watch(self, me: int) -> None:
        """Poll the holder's handler; take the baton from one that runs past
        the budget. A spare watcher (another one polls already) leaves."""
        with self._lock:
            self._watchers += 1
        pause, seen = self.budget, -1
        while True:
            time.sleep(pause)
            with self._lock:
                if self._finished or self._watchers > 1:
                    self._watchers -= 1       # in the same breath, so two spares
                    return                    # never both leave
                started = self._job_started
                if not started or time.monotonic() - started < self.budget:
                    # nothing to take: poll less often while nothing happens,
                    # and not at all once nothing has happened for a while
                    if self._jobs != seen or started or pause < IDLE_POLL:
                        pause = self.budget if self._jobs != seen else min(pause * 2, IDLE_POLL)
                        seen = self._jobs
                        continue
                    self._unpark.clear()
                    self._parked = True
                    parked = True
                else:
                    self.holder = me
                    self._job_started = 0.0
                    self._watchers -= 1
                    parked = False
            if parked:
                # a handler that started before we parked is seen here, one
                # that starts after sees ``_parked`` (run_job sets the start
                # first, then reads it; we set it first, then read the start).
                # The timed wait only bounds what a missed wake-up could cost.
                while not self._job_started and self._jobs == seen and not self._finished:
                    if self._unpark.wait(PARKED_CHECK):
                        break
                self._parked = False
                pause, seen = self.budget, -1
                continue
            self._spawn_watcher()       # someone must watch the new holder
            if self.on_takeover is not None:
                try:
                    self.on_takeover()
                except Exception:
                    log.exception("internal error while taking the loop over")
            try:
                stopped = self._serve(me)
            except BaseException as exc:
                self._loop_failed(exc)
                stopped = True
            if stopped:
                self._finish()
                return
            with self._lock:
                self._watchers += 1
            pause, seen = self.budget, -1

    def _loop_failed(self, exc: BaseException) -> None:
        """The loop ended on an exception. A handler's ``SystemExit`` (say,
        ``sys.exit()``) is a request to stop the server (``exit_requested``,
        which a worker passes on to the others); anything else a failure."""
        if isinstance(exc, SystemExit):
            log.warning("a handler raised SystemExit(%r): the server stops", exc.code)
            self.exit_requested = True
        else:
            log.error("event loop failed", exc_info=exc)

    def _finish(self) -> None:
        with self._lock:
            self._finished = True
            self.holder = None
        self._unpark.set()      # a parked watcher sees the end
        self._done.set()
