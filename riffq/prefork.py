"""Serving from several processes: ``start(workers=N)``.

One Python process parses, encodes and runs its event loop on one core at
a time (the GIL), so to use a machine's cores the server forks. The parent
binds the address first (so port 0 resolves, and "address in use" reaches
the caller as in a single process), forks N workers that each run the
ordinary single-process server with their own loop and thread pools, and
supervises them: a worker that dies is replaced, and ``stop()``, SIGINT or
SIGTERM reach every worker as SIGTERM, after which the parent reaps them.

Sharing the port. On Linux each worker binds its own SO_REUSEPORT socket
and the kernel spreads new connections over them; the parent holds a bound
socket of the same group that never listens (so it is never handed a
connection) to keep the port reserved while a worker restarts. Elsewhere
SO_REUSEPORT does not balance (on macOS the last socket bound takes every
connection), so one listening socket made before the fork is shared and
every worker accepts from it. Either way the kernel's choice ignores how
busy each worker is (the hash often gives one worker 6 of 8 clients), so
each worker publishes its number of connections in shared memory, and one
that would serve two more than the least busy passes a connection it just
accepted, before reading from it, to that worker over its channel (the
socket travels as SCM_RIGHTS).

The sockets carry no SO_INCOMING_CPU mark. One that made the kernel hand
worker ``i`` the connections whose packets the i-th CPU handles (for a
local client, those of the client threads running there) was tried and
taken out: in four comparisons of alternating runs (pgbench, 8 clients,
two workers, simple and extended protocol, 10 to 12 rounds each) it did no
better than the hash, and it sent every connection a client thread opens
and closes in turn to the same worker, so a program making its
connections one after another from one thread used one worker of several.

Connection ids. Worker ``i`` of N issues ``i+1, i+1+N, i+1+2N...``, so the
worker owning any id is ``(id-1) % N``. A CancelRequest may be accepted by
any worker; one for a session elsewhere is forwarded to its owner over a
datagram socket pair per worker, made before the fork, and the owner does
the usual constant-time key check. Each position's next id lives in shared
memory, so a replacement worker continues the sequence rather than
reissuing the ids of the worker it replaces.

The same channels carry what ``pg_stat_activity``, ``pg_cancel_backend`` and
``pg_terminate_backend`` need of the other workers: a worker asks them for
their sessions, or the one holding a session to signal it
(``riffq.worker_activity``).
"""
from __future__ import annotations

import logging
import mmap
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._wire.signals import stop_on
from ._wire.loop import EventLoop, bind_socket
from . import worker_activity as activity

log = logging.getLogger("riffq")

#: Largest id a client can hold: the PID field is a signed 32-bit integer.
MAX_CONN_ID = 2 ** 31 - 1
#: Seconds the parent waits for a worker to finish after SIGTERM (its
#: goodbye flush and disconnect hooks take up to ~6 s) before SIGKILL.
STOP_GRACE = 10.0
#: Seconds all workers get to report that they listen.
START_TIMEOUT = 30.0
#: How often the parent looks for dead workers, and a worker for a dead parent.
POLL_SECONDS = 0.2
PARENT_CHECK_SECONDS = 1.0
#: A worker dying sooner than this after its start is restarted with a
#: growing delay (up to MAX_RESTART_DELAY), so a crash loop does not spin.
QUICK_DEATH = 1.0
MAX_RESTART_DELAY = 10.0
_COUNTER = struct.Struct("<q")
#: the datagram that carries a passed connection's descriptor
_HANDOFF = b"connection"
#: the first byte of a forwarded cancel request (``worker_activity`` has the others)
_CANCEL = b"C"
#: the load published for a worker that is not running
_UNAVAILABLE = 2 ** 62
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def reuse_port_balances() -> bool:
    """True where SO_REUSEPORT spreads connections over the sockets bound
    to a port (Linux); elsewhere workers share one listening socket."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def check_worker_count(workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError("workers must be a positive integer, got %r" % (workers,))
    if workers > 1 and not hasattr(os, "fork"):
        raise ValueError("workers > 1 needs os.fork, which this platform lacks")
    return workers


class WorkerSlot:
    """What one worker process knows of the others: its position, the
    shared listening setup, the cancel channels and the id counters."""

    def __init__(self, position: int, count: int, parent_pid: int, counters: mmap.mmap,
                 channels: List[Tuple[socket.socket, socket.socket]],
                 address: Tuple[str, int], shared_listener: Optional[socket.socket],
                 ready_fd: int, loads: Optional[mmap.mmap] = None,
                 stop_parent: Optional[socket.socket] = None) -> None:
        self.position = position
        self.count = count
        self.parent_pid = parent_pid
        self._counters = counters
        self._loads = loads
        self._inbox = channels[position][0]
        self._outboxes = [send for _, send in channels]
        self._address = address
        self._shared_listener = shared_listener
        self._ready_fd: Optional[int] = ready_fd
        #: a byte written here asks the parent to stop every worker
        self._stop_parent = stop_parent
        self._cancel_here: Callable[[int, bytes], None] = lambda pid, secret: None
        self._activity_here: Callable[[], List[Dict[str, Any]]] = list
        self._signal_here: Callable[[int, bool], bool] = lambda conn_id, terminate: False
        self._asks = activity.OpenQuestions()

    def next_conn_id(self) -> int:
        offset = self.position * _COUNTER.size
        step = _COUNTER.unpack_from(self._counters, offset)[0]
        conn_id = self.position + 1 + self.count * step
        if conn_id > MAX_CONN_ID:        # wrap, as PostgreSQL's PIDs do
            step, conn_id = 0, self.position + 1
        _COUNTER.pack_into(self._counters, offset, step + 1)
        return conn_id

    def attach(self, loop: EventLoop, cancel_here: Callable[[int, bytes], None],
               activity_here: Optional[Callable[[], List[Dict[str, Any]]]] = None,
               signal_here: Optional[Callable[[int, bool], bool]] = None) -> Tuple[str, int]:
        """Start accepting on the shared port, read forwarded cancels and
        the other workers' questions about sessions (``activity_here`` and
        ``signal_here`` answer them, on the loop thread), watch for the
        parent's death, and tell the parent once the loop runs."""
        self._cancel_here = cancel_here
        if activity_here is not None:
            self._activity_here = activity_here
        if signal_here is not None:
            self._signal_here = signal_here
        if self._shared_listener is not None:
            bound = loop.add_listener(self._shared_listener)
        else:
            bound = loop.listen(self._address[0], self._address[1], reuse_port=True)
        for send in self._outboxes:
            send.setblocking(False)
        self._adopt = loop.adopt
        if self._loads is not None and self.count > 1:
            self._set_load(0)       # a replacement starts with no connections
            loop.place = self.place
            loop.on_load = self._set_load
        loop.watch_readable(self._inbox, self._read_inbox)
        loop.post(self._report_ready)

        def check_parent() -> None:
            if os.getppid() != self.parent_pid:
                log.warning("riffq worker %d: the parent process is gone; stopping", os.getpid())
                loop.stop()
            else:
                loop.call_later(PARENT_CHECK_SECONDS, check_parent)
        loop.call_later(PARENT_CHECK_SECONDS, check_parent)
        return bound

    def stop_server(self) -> None:
        """``stop()`` called in this worker: the whole server stops. The
        parent is asked rather than this loop stopped, so the workers stop
        together and in order, and this one is not taken for a crash and
        replaced. (A signal would not do: a parent running ``start`` from a
        thread other than its main one has no handlers.)"""
        if self._stop_parent is None:
            return
        try:
            self._stop_parent.send(b"\0")
        except BlockingIOError:     # full: a stop is already waiting there
            pass
        except OSError as exc:      # the parent is gone: check_parent stops this loop
            log.info("could not ask the parent to stop: %s", exc)

    def forward_cancel(self, pid: int, secret: bytes) -> bool:
        """Send the request to the worker owning ``pid``; False when that is
        this one. Best effort, like PostgreSQL's: nothing is answered."""
        owner = (pid - 1) % self.count
        if owner == self.position:
            return False
        try:
            self._outboxes[owner].send(_CANCEL + pid.to_bytes(4, "big", signed=True) + bytes(secret))
        except (OSError, OverflowError) as exc:
            log.info("could not forward a cancel request to worker %d: %s", owner, exc)
        return True

    # -- balancing ----------------------------------------------------------------
    def _load(self, position: int) -> int:
        return _COUNTER.unpack_from(self._loads, position * _COUNTER.size)[0]

    def _set_load(self, connections: int) -> None:
        _COUNTER.pack_into(self._loads, self.position * _COUNTER.size, connections)

    def place(self, sock: socket.socket) -> bool:
        """Pass a connection just accepted to the least busy worker when
        this one would then serve at least two more than it: the kernel
        spreads connections by a hash of their addresses, which leaves one
        worker with 6 of 8 clients as often as not. True when passed on."""
        loads = [self._load(i) for i in range(self.count)]
        target = min(range(self.count), key=loads.__getitem__)
        if target == self.position or loads[self.position] + 1 - loads[target] < 2:
            return False
        # counted there before it is sent, so a burst of accepts here does not
        # all go to one worker; the target sets its exact count when it has
        # adopted it (after this, or that count would be bumped once more)
        offset = target * _COUNTER.size
        before = _COUNTER.unpack_from(self._loads, offset)[0]
        _COUNTER.pack_into(self._loads, offset, before + 1)
        try:
            socket.send_fds(self._outboxes[target], [_HANDOFF], [sock.fileno()])
        except OSError as exc:
            log.debug("could not pass a connection to worker %d: %s", target, exc)
            _COUNTER.pack_into(self._loads, offset, before)
            return False
        sock.close()
        return True

    def _read_inbox(self) -> None:
        """Cancel requests forwarded by other workers, connections they
        passed on (a descriptor comes with the datagram), and their questions
        about this worker's sessions and answers to this one's."""
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self._inbox, activity.PART_BYTES + 64, 4)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            kind = data[:1]
            if fds:
                for fd in fds:
                    self._adopt_passed(fd)
            elif kind == _CANCEL and len(data) >= 5:
                self._cancel_here(int.from_bytes(data[1:5], "big", signed=True), data[5:])
            elif activity.is_question(data):
                self._answer_activity(*activity.read_question(data))
            elif activity.is_signal(data):
                self._answer_signal(*activity.read_signal(data))
            elif kind == activity.ANSWER:
                self._asks.take(data)

    # -- pg_stat_activity, pg_cancel_backend, pg_terminate_backend -------------------
    def activity_elsewhere(self, timeout: float = activity.ASK_TIMEOUT) -> List[Dict[str, Any]]:
        """The rows of the other running workers' sessions (see
        ``worker_activity``); from a handler thread, never the loop's."""
        others = {i for i in range(self.count) if i != self.position and self._running(i)}
        request, ask = self._asks.open(others)
        for i in others:
            self._ask(i, activity.question(request, self.position))
        return self._asks.rows(request, ask, timeout)

    def signal_elsewhere(self, conn_id: int, terminate: bool,
                         timeout: float = activity.ASK_TIMEOUT) -> Optional[bool]:
        """Cancel or terminate a session another worker holds: whether it
        was there (False when that worker is not running or does not
        answer in time). None when the session would be this worker's."""
        owner = (conn_id - 1) % self.count
        if owner == self.position:
            return None
        if not self._running(owner):
            return False
        request, ask = self._asks.open({owner})
        self._ask(owner, activity.signal(request, self.position, conn_id, terminate))
        return self._asks.wait(request, ask, timeout).get(owner) is True

    def _running(self, position: int) -> bool:
        return self._loads is None or self._load(position) != _UNAVAILABLE

    def _ask(self, position: int, message: bytes) -> None:
        try:
            self._outboxes[position].send(message)
        except OSError as exc:
            log.info("could not ask worker %d about its sessions: %s", position, exc)

    def _answer_activity(self, request: int, asker: int) -> None:
        try:
            payload = activity.encode_rows(self._activity_here())
        except Exception:
            log.exception("could not list this worker's sessions")
            payload = b"[]"
        self._answer(request, asker, payload)

    def _answer_signal(self, request: int, asker: int, conn_id: int, terminate: bool) -> None:
        try:
            done = self._signal_here(conn_id, terminate)
        except Exception:
            log.exception("could not signal session %d", conn_id)
            done = False
        self._answer(request, asker, b"true" if done else b"false")

    def _answer(self, request: int, asker: int, payload: bytes) -> None:
        if 0 <= asker < self.count and asker != self.position:
            activity.send_parts(self._outboxes[asker], activity.answer_parts(request, self.position, payload))

    def _adopt_passed(self, fd: int) -> None:
        sock = socket.socket(fileno=fd)
        try:
            peer = sock.getpeername()
        except OSError:         # the client left before it got here
            sock.close()
            return
        self._adopt(sock, peer)

    def _report_ready(self) -> None:
        self._tell_parent(b"ok")

    def report_failure(self, exc: BaseException) -> None:
        self._tell_parent(("%s: %s" % (type(exc).__name__, exc)).encode("utf-8", "replace"))

    def _tell_parent(self, message: bytes) -> None:
        fd, self._ready_fd = self._ready_fd, None
        if fd is None:
            return
        try:
            os.write(fd, message[:4000])
        except OSError:
            pass
        os.close(fd)


class _Child:
    __slots__ = ("pid", "position", "ready_fd", "started_at", "ready", "message")

    def __init__(self, pid: int, position: int, ready_fd: int) -> None:
        self.pid = pid
        self.position = position
        self.ready_fd: Optional[int] = ready_fd
        self.started_at = time.monotonic()
        self.ready = False
        self.message = b""


class Supervisor:
    """The parent process of ``start(workers=N)``."""

    def __init__(self, server: Any, count: int, start_kwargs: Dict[str, Any]) -> None:
        self.server = server
        self.count = count
        self.start_kwargs = start_kwargs
        self.children: Dict[int, _Child] = {}
        self._stopping = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._restart_at: Dict[int, float] = {}
        self._restart_delay: Dict[int, float] = {}
        self._port_holder: Optional[socket.socket] = None
        self._shared_listener: Optional[socket.socket] = None
        self._channels: List[Tuple[socket.socket, socket.socket]] = []
        self._counters: Optional[mmap.mmap] = None
        #: each worker's number of open connections, for ``WorkerSlot.place``
        self._loads: Optional[mmap.mmap] = None
        self.address: Tuple[str, int] = (server.host, server.port)
        self._pid = os.getpid()

    # ------------------------------------------------------------ public

    def stop(self) -> None:
        """Stop every worker and return from ``run``; safe from any thread
        and from signal handlers."""
        self._stopping.set()
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass

    def run(self, on_listening: Callable[[str, int], None]) -> None:
        """Bind, fork the workers, call ``on_listening`` once all accept,
        and supervise them until ``stop()``."""
        restore = lambda: None  # noqa: E731
        try:
            self._bind()
            # from here on, so that a signal during startup stops cleanly too
            # (workers still starting are stopped with the others)
            restore = self._install_signals()
            self._counters = mmap.mmap(-1, _COUNTER.size * self.count)
            self._loads = mmap.mmap(-1, _COUNTER.size * self.count)
            # nobody passes a connection to a worker before it serves
            # (``attach`` publishes its 0 then)
            for position in range(self.count):
                _COUNTER.pack_into(self._loads, position * _COUNTER.size, _UNAVAILABLE)
            self._channels = [socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
                              for _ in range(self.count)]
            for position in range(self.count):
                self._spawn(position)
            self._await_ready()
            if self._stopping.is_set():
                return
            log.info("riffq listening on %s:%s with %d worker processes", self.address[0],
                     self.address[1], self.count)
            on_listening(*self.address)
            while not self._stopping.is_set():
                self._wait(POLL_SECONDS)
                self._reap(expected=False)
                self._restart_due()
        finally:
            self._stop_children()
            restore()
            self._close()

    # ------------------------------------------------------------- setup

    def _bind(self) -> None:
        host, port = self.address
        if reuse_port_balances():
            # A plain bind first: it fails, as one process would, when
            # anything listens there, even another SO_REUSEPORT group.
            probe = bind_socket(host, port)
            host, port = probe.getsockname()[:2]
            probe.close()
            self._port_holder = bind_socket(host, port, reuse_port=True)
        else:
            self._shared_listener = bind_socket(host, port)
            self._shared_listener.listen(1024)
            host, port = self._shared_listener.getsockname()[:2]
        self.address = (host, port)

    def _spawn(self, position: int) -> None:
        read_fd, write_fd = os.pipe()
        # Signals wait until the child has set its own handlers: the
        # parent's, run in the child, would swallow a stop request.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            pid = os.fork()
        except BaseException:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            os.close(read_fd)
            os.close(write_fd)
            raise
        if pid == 0:
            os.close(read_fd)
            self._run_child(position, write_fd, blocked)    # never returns
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        child = _Child(pid, position, read_fd)
        self.children[position] = child
        self._sel.register(read_fd, selectors.EVENT_READ, child)

    def _run_child(self, position: int, ready_fd: int, blocked: Any) -> None:
        code = 1
        slot = None
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            # Ctrl-C reaches the whole process group: workers leave it to
            # the parent, which stops them all in order.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            _exit_with_parent(self._pid)
            self._sel.close()
            self._wake_r.close()
            for other in self.children.values():
                if other.ready_fd is not None:
                    os.close(other.ready_fd)
            if self._port_holder is not None:
                self._port_holder.close()
            slot = WorkerSlot(position, self.count, self._pid, self._counters, self._channels,
                              self.address, self._shared_listener, ready_fd, self._loads,
                              self._wake_w)
            self.server.become_worker(slot)
            self.server.start(**self.start_kwargs)
            code = 0
        except BaseException as exc:
            try:
                log.exception("riffq worker %d failed", os.getpid())
                if slot is not None:
                    slot.report_failure(exc)
            except BaseException:
                pass
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except BaseException:
                    pass
            os._exit(code)

    def _await_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not all(c.ready for c in self.children.values()):
            if self._stopping.is_set():
                return
            if time.monotonic() > deadline:
                raise TimeoutError("riffq workers did not start within %ss" % START_TIMEOUT)
            self._wait(POLL_SECONDS)
            self._reap(expected=True)

    def _install_signals(self) -> Callable[[], None]:
        return stop_on(_STOP_SIGNALS, self.stop)

    # ------------------------------------------------------- supervision

    def _wait(self, timeout: float) -> None:
        """Sleep until ``timeout``, a stop, or a worker's ready report. A
        byte on the wake socket is a stop, from ``stop()`` here or from a
        worker's (``WorkerSlot.stop_server``)."""
        for key, _ in self._sel.select(timeout):
            child = key.data
            if child is None:
                try:
                    while self._wake_r.recv(512):
                        self._stopping.set()
                except (BlockingIOError, InterruptedError):
                    pass
                continue
            self._read_report(child)

    def _read_report(self, child: _Child) -> None:
        try:
            data = os.read(child.ready_fd, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            child.message += data
            child.ready = child.message == b"ok"
            return
        self._sel.unregister(child.ready_fd)
        os.close(child.ready_fd)
        child.ready_fd = None

    def _reap(self, expected: bool) -> None:
        """Collect workers that exited. During startup (``expected``) that
        is a failure to start; later the worker is replaced."""
        for position, child in list(self.children.items()):
            try:
                pid, status = os.waitpid(child.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = child.pid, 0
            if pid == 0:
                continue
            self._forget(position)
            if self._loads is not None:
                # nobody passes connections to a dead worker; its replacement
                # publishes its own count (0) once it serves
                _COUNTER.pack_into(self._loads, position * _COUNTER.size, _UNAVAILABLE)
            if child.ready_fd is not None:
                self._read_report(child)
            what = _describe_exit(status)
            if self._stopping.is_set():     # asked to stop (by a worker, maybe this one)
                continue
            if expected:
                reason = child.message.decode("utf-8", "replace") if child.message else what
                raise RuntimeError("riffq worker %d could not start: %s" % (position, reason))
            lived = time.monotonic() - child.started_at
            delay = 0.0
            if lived < QUICK_DEATH:
                delay = min(max(0.5, 2 * self._restart_delay.get(position, 0.0)), MAX_RESTART_DELAY)
            self._restart_delay[position] = delay
            log.warning("riffq worker %d (pid %d) %s; starting a replacement%s", position,
                        child.pid, what, " in %.1fs" % delay if delay else "")
            self._restart_at[position] = time.monotonic() + delay

    def _forget(self, position: int) -> None:
        child = self.children.pop(position)
        if child.ready_fd is not None:
            try:
                self._sel.unregister(child.ready_fd)
            except (KeyError, ValueError):
                pass

    def _restart_due(self) -> None:
        now = time.monotonic()
        for position, when in list(self._restart_at.items()):
            if when <= now and not self._stopping.is_set():
                del self._restart_at[position]
                self._spawn(position)

    # ---------------------------------------------------------- shutdown

    def _stop_children(self) -> None:
        for child in self.children.values():
            _signal(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while self.children:
            for position, child in list(self.children.items()):
                try:
                    pid, _ = os.waitpid(child.pid, os.WNOHANG)
                except ChildProcessError:
                    pid = child.pid
                if pid:
                    self._forget(position)
                    if child.ready_fd is not None:
                        os.close(child.ready_fd)
            if not self.children:
                break
            if time.monotonic() > deadline:
                for child in self.children.values():
                    log.warning("riffq worker pid %d did not stop in %ss; killing it",
                                child.pid, STOP_GRACE)
                    _signal(child.pid, signal.SIGKILL)
                deadline = float("inf")
            time.sleep(0.02)

    def _close(self) -> None:
        for sock in (self._port_holder, self._shared_listener, self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        for recv, send in self._channels:
            recv.close()
            send.close()
        self._sel.close()
        for shared in (self._counters, self._loads):
            if shared is not None:
                shared.close()


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _describe_exit(status: int) -> str:
    code = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status
    if code < 0:
        try:
            return "was killed by %s" % signal.Signals(-code).name
        except ValueError:
            return "was killed by signal %d" % -code
    return "exited with code %d" % code


def _exit_with_parent(parent_pid: int) -> None:
    """Linux: have the kernel send SIGTERM when the parent dies, so a
    SIGKILLed parent leaves no workers behind. (Elsewhere the worker's loop
    polls ``getppid``.)"""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:      # it died before prctl took effect
        os._exit(0)
