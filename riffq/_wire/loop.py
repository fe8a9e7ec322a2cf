"""The event loop: one thread that owns every socket.

It accepts connections, reads bytes into each connection's Session, writes
what the Session produced, and runs timers. Work that may block (user
handlers, result encoding) runs on a thread pool; those threads reach back
only through ``post``, which queues a function and wakes the loop through a
socket pair. A connection whose client stops reading keeps its bytes in its
own buffer; nothing here ever blocks on one client.
"""
from __future__ import annotations

import errno
import heapq
import itertools
import logging
import socket
import ssl
import threading
import time
import weakref
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from .baton import Baton, BatonLost
from .errors import ProtocolViolation
from .poller import READ, WRITE, new_poller
from .tls import describe_certificate

log = logging.getLogger("riffq")

#: Seconds a client may take from connecting to being authenticated
#: (PostgreSQL's authentication_timeout default).
STARTUP_TIMEOUT = 60.0
#: Output below this many buffered bytes lets a paused result continue.
LOW_WATER = 256 * 1024
RECV_SIZE = 256 * 1024
#: most buffers handed to one sendmsg (the platform allows IOV_MAX, 1024 on Linux)
IOV_LIMIT = 512


class Connection:
    """A client socket, its output buffer, and the Session it feeds."""

    __slots__ = ("loop", "sock", "peer", "session", "_out", "_out_size", "_closing",
                 "_closed", "_writing", "_reading", "_events", "_tls", "_tls_in", "_tls_out",
                 "_handshaking", "_direct", "server_name", "client_cert", "_pending", "_pending_size",
                 "_dirty", "can_run_now", "__weakref__")

    def __init__(self, loop: "EventLoop", sock: socket.socket, peer: Tuple[Any, ...]) -> None:
        self.loop = loop
        self.sock = sock
        self.peer = peer
        self.session: Any = None
        self._out: Deque[memoryview] = deque()
        self._out_size = 0
        #: written this loop turn, sent together by ``flush`` (one syscall
        #: for a whole RowDescription..ReadyForQuery answer)
        self._pending: List[bytes] = []
        self._pending_size = 0
        self._dirty = False
        self._closing = False
        self._closed = False
        self._writing = False
        self._reading = True
        self._events = READ      # registered by the loop on accept
        self._tls: Optional[ssl.SSLObject] = None
        self._tls_in: Optional[ssl.MemoryBIO] = None
        self._tls_out: Optional[ssl.MemoryBIO] = None
        self._handshaking = False
        self._direct = False
        #: the TLS SNI name the client asked for, once the handshake is done
        self.server_name: Optional[str] = None
        #: the client's verified certificate (see ``tls.describe_certificate``)
        self.client_cert: Optional[Dict[str, Any]] = None
        #: whether ``run_now`` may run user code in this turn: the baton's
        #: own answer, with no call of ours around it (asked per statement)
        self.can_run_now: Callable[[], bool] = loop.baton.can_inline

    # Host interface used by the Session --------------------------------

    def write(self, data: bytes) -> None:
        """Queue ``data``; the loop sends everything a turn wrote at once."""
        if self._closed or not data:
            return
        self._pending.append(data)
        self._pending_size += len(data)
        if not self._dirty:
            self._dirty = True
            self.loop.dirty.append(self)

    def flush(self) -> None:
        """Send what ``write`` queued: through TLS, or straight to the socket
        with one scatter-gather call."""
        self._dirty = False
        pending = self._pending
        if not pending or self._closed:
            return
        was = self._out_size + self._pending_size
        if len(pending) == 1 and was < LOW_WATER and self._tls is None:
            # the everyday answer: one small buffer, straight to the socket
            # (below LOW_WATER before, so no drain to report after)
            self._pending = []
            self._pending_size = 0
            self._send_raw(pending[0])
            return
        try:
            self._send_pending()
        finally:
            # a session that saw this output as backlog waits for a drain;
            # sent at once, it never reaches on_writable, so say it here
            if was >= LOW_WATER > self._out_size and self.session is not None \
                    and not self._closed:
                self.session.on_drain()

    def _send_pending(self) -> None:
        pending, self._pending = self._pending, []
        self._pending_size = 0
        if self._tls is not None:
            try:
                for data in pending:
                    self._tls.write(data)
            except ssl.SSLError:
                self._lost()
                return
            data = self._tls_out.read()
            if data:
                self._send_raw(data)
            return
        if len(pending) == 1 or len(pending) > IOV_LIMIT:
            # sendmsg takes at most IOV_MAX (1024 on Linux) buffers
            self._send_raw(pending[0] if len(pending) == 1 else b"".join(pending))
            return
        if self._out:
            for data in pending:
                self._queue(memoryview(data))
            return
        try:
            sent = self.sock.sendmsg(pending)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._lost()
            return
        for data in pending:
            n = len(data)
            if sent >= n:
                sent -= n
                continue
            self._queue(memoryview(data)[sent:])
            sent = 0

    def _queue(self, view: memoryview) -> None:
        self._out.append(view)
        self._out_size += len(view)
        self._want_write(True)

    def start_tls(self, context: ssl.SSLContext, first_bytes: bytes = b"") -> None:
        """Wrap the connection in TLS (server side), with the handshake run
        by the loop as bytes arrive; nothing here blocks. ``first_bytes``:
        a ClientHello that arrived with no SSLRequest before it (PostgreSQL
        17's direct TLS), which must then negotiate ALPN ``postgresql``."""
        self.flush()     # the plaintext 'S' goes out before TLS starts
        self._tls_in = ssl.MemoryBIO()
        self._tls_out = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._tls_in, self._tls_out, server_side=True)
        self._handshaking = True
        if first_bytes:
            self._direct = True
            plain = self._tls_feed(first_bytes)
            if plain:
                self.session.data_received(plain)

    @property
    def tls_active(self) -> bool:
        return self._tls is not None and not self._handshaking

    def _send_raw(self, data: bytes) -> None:
        if not self._out:
            try:
                sent = self.sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._lost()
                return
            if sent == len(data):
                return
            self._queue(memoryview(data)[sent:])
        else:
            self._queue(memoryview(data))

    def close(self) -> None:
        """Close once everything already written has been sent."""
        if self._closed:
            return
        self.flush()
        if self._tls is not None and not self._handshaking and not self._closing:
            # close_notify, as PostgreSQL's SSL_shutdown sends: libpq 17+
            # treats a bare EOF on TLS as an error (e.g. after a cancel)
            try:
                self._tls.unwrap()
            except (ssl.SSLWantReadError, ssl.SSLError, ValueError):
                pass
            self._flush_tls()
        self._closing = True
        if not self._out:
            self._lost()
        else:
            self.loop.call_later(5.0, self._lost)

    def run(self, fn: Callable[[], None], inline: bool = True) -> None:
        """Run user code (handlers, hooks): between two loop turns on the
        loop's own thread (see ``baton``), else, or when the work is known
        to take long (``inline=False``), on the handler pool."""
        loop = self.loop
        if inline and loop.baton.can_inline():
            loop.inline.append(fn)
        else:
            loop.pool.submit(fn)

    def run_now(self, job: Any) -> None:
        """Run user code, ``job.ask()``, at once, in the middle of this loop
        turn (see ``baton``). Should it outlast its budget, another thread
        takes the loop and calls ``job.taken_over()`` to send on what it has
        answered so far; when ``ask`` returns, ``job.handed_over()`` hands on
        the rest and ``BatonLost`` unwinds this thread out of the turn. (One
        object rather than three bound methods made for every statement.)"""
        loop = self.loop
        loop.held = job
        if not loop.baton.run_job(job.ask):
            job.handed_over()
            raise BatonLost()
        loop.held = None

    def run_internal(self, fn: Callable[[], None]) -> None:
        """Run a result's next chunk (reading the user's reader, which may
        wait, and encoding) on a pool of its own, so it is never queued
        behind handlers that block, nor behind other readers that wait (a
        thread each, as handlers have). It starts once
        this turn's output has been sent (``EventLoop.internal``), so only
        the loop's thread may ask: the loop does not wake up for it."""
        self.loop.internal.append(fn)

    def post(self, fn: Callable[[], None]) -> None:
        self.loop.post(fn)

    def buffered(self) -> int:
        return self._out_size + self._pending_size

    # Loop side ------------------------------------------------------------

    def _want_write(self, on: bool) -> None:
        if on == self._writing or self._closed:
            return
        self._writing = on
        self._update_interest()

    def _update_interest(self) -> None:
        """Tell the poller what we wait for; nothing at all is allowed."""
        events = (READ if self._reading else 0) | (WRITE if self._writing else 0)
        sel = self.loop.sel
        if events == self._events:
            return
        if self._events == 0:
            sel.register(self.sock, events, self)
        elif events == 0:
            sel.unregister(self.sock)
        else:
            sel.modify(self.sock, events, self)
        self._events = events

    def pause_reading(self) -> None:
        """Stop reading: the session has enough queued work or unsent output.
        The loop resumes us once the session wants input again."""
        if self._reading and not self._closed:
            self._reading = False
            self._update_interest()
            self.loop.paused.add(self)

    def resume_reading(self) -> None:
        if not self._reading and not self._closed:
            self._reading = True
            self._update_interest()
        self.loop.paused.discard(self)

    def on_readable(self) -> None:
        if self.session is not None and not self.session.wants_input():
            self.pause_reading()
            return
        view = self.loop.recv_view
        try:
            n = self.sock.recv_into(view)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._lost()
            return
        if not n:
            self._lost()
            return
        data = bytes(view[:n])
        if self._closing:
            return
        if self._tls is not None:
            data = self._tls_feed(data)
            if not data:
                return
        self.session.data_received(data)

    def _tls_feed(self, data: bytes) -> bytes:
        """Decrypt what arrived; drives the handshake while it lasts."""
        self._tls_in.write(data)
        if self._handshaking:
            try:
                self._tls.do_handshake()
            except ssl.SSLWantReadError:
                self._flush_tls()
                return b""
            except (ssl.SSLError, ssl.CertificateError, OSError) as exc:
                log.info("TLS handshake with %s failed: %s", self.peer, exc)
                self._flush_tls()
                self._lost()
                return b""
            self._handshaking = False
            self.server_name = self.loop.sni_names.pop(self._tls, None)
            self.client_cert = describe_certificate(self._tls.getpeercert())
            if self._direct and self._tls.selected_alpn_protocol() != "postgresql":
                # PostgreSQL 17 insists on ALPN for direct TLS, so that a TLS
                # connection meant for another protocol is never taken for ours
                self.session.fatal(ProtocolViolation(
                    "received direct SSL connection request without ALPN protocol "
                    "negotiation extension"))
                return b""
        chunks = []
        view = self.loop.recv_view
        while True:
            try:
                n = self._tls.read(RECV_SIZE, view)
                chunk = bytes(view[:n])
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                self._lost()
                return b""
            except ssl.SSLError as exc:
                log.info("TLS error from %s: %s", self.peer, exc)
                self._lost()
                return b""
            if not chunk:
                break
            chunks.append(chunk)
        self._flush_tls()
        return b"".join(chunks)

    def _flush_tls(self) -> None:
        data = self._tls_out.read()
        if data:
            self._send_raw(data)

    def on_writable(self) -> None:
        out = self._out
        was = self._out_size
        while out:
            chunk = out[0]
            try:
                sent = self.sock.send(chunk)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self._lost()
                return
            self._out_size -= sent
            if sent < len(chunk):
                out[0] = chunk[sent:]
                break
            out.popleft()
        if not out:
            self._want_write(False)
            if self._closing:
                self._lost()
                return
        if was >= LOW_WATER > self._out_size and self.session is not None:
            self.session.on_drain()

    def _lost(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._out.clear()
        self._out_size = 0
        self._pending = []
        self._pending_size = 0
        self.loop.paused.discard(self)
        if self._tls is not None:
            self.loop.sni_names.pop(self._tls, None)
        if self._events:
            try:
                self.loop.sel.unregister(self.sock)
            except (KeyError, ValueError):
                pass
            self._events = 0
        try:
            self.sock.close()
        except OSError:
            pass
        loop = self.loop
        loop.conns.discard(self)
        if loop.on_load is not None:
            loop.on_load(len(loop.conns))
        if self.session is not None:
            try:
                self.session.connection_lost()
            except Exception:
                log.exception("error while releasing a connection")


def bind_socket(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    """A TCP socket bound to ``host:port`` (not yet listening). With
    ``reuse_port`` (SO_REUSEPORT), other sockets of this user may bind the
    same address, and the kernel spreads new connections over those that
    listen."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                               flags=socket.AI_PASSIVE)
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            try:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            except OSError:
                pass
        sock.bind(addr)
    except BaseException:
        sock.close()
        raise
    return sock


class _Listener:
    """Poller data of a listening socket."""

    __slots__ = ("sock",)

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock


class _Watch:
    """Poller data for ``watch_readable``: it answers the loop the way a
    Connection does, so the loop's dispatch needs no extra case."""

    __slots__ = ("on_readable", "peer", "_closed")

    def __init__(self, callback: Callable[[], None]) -> None:
        self.on_readable = callback
        self.peer = ("watched channel",)
        self._closed = False

    def on_writable(self) -> None:
        return None

    def _lost(self) -> None:
        return None      # an error in the callback was logged; keep watching


class EventLoop:
    """A readiness loop (``poller``) with cross-thread posting and simple timers."""

    def __init__(self, session_factory: Callable[[Connection], Any], pool: Any, encode_pool: Any) -> None:
        self.sel = new_poller()
        self.pool = pool
        self.encode_pool = encode_pool
        self.session_factory = session_factory
        self.conns: "set[Connection]" = set()
        self.listeners: List[socket.socket] = []
        #: SNI names seen by the TLS context's callback, keyed by SSLObject
        self.sni_names: "weakref.WeakKeyDictionary[Any, str]" = weakref.WeakKeyDictionary()
        #: connections not reading until their session wants input again
        self.paused: "set[Connection]" = set()
        #: connections with output written this turn, flushed before select
        self.dirty: List[Connection] = []
        #: handlers to call between loop turns, and who runs the loop
        self.inline: Deque[Callable[[], None]] = deque()
        #: our own work for the encode pool, handed over after the turn's
        #: flush: a helper woken before it takes the GIL while this thread
        #: is on its way to the send, and the rows written wait for it (the
        #: first rows of an Arrow result left 1 ms later that way)
        self.internal: List[Callable[[], None]] = []
        self.baton = Baton(self._serve, self._wake)
        #: while a handler runs at once (Connection.run_now): the job whose
        #: ``taken_over`` sends on its answer if another thread takes the
        #: loop over meanwhile
        self.held: Any = None
        self.baton.on_takeover = self._release_held
        #: set by ``prefork``: ``place(sock)`` may pass a connection just
        #: accepted to a less busy worker process (True: it did)...
        self.place: Optional[Callable[[socket.socket], bool]] = None
        #: ...and ``on_load(n)`` hears how many connections this loop serves
        self.on_load: Optional[Callable[[int], None]] = None
        #: one receive buffer for all connections (only the baton's holder
        #: reads): ``recv(RECV_SIZE)`` would map and unmap a fresh
        #: buffer of that size for every read
        self.recv_view = memoryview(bytearray(RECV_SIZE))
        self._posted: Deque[Callable[[], None]] = deque()
        self._woken = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.sel.register(self._wake_r, READ, None)
        self._timers: List[Tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._stopping = False

    # ----------------------------------------------------------- plumbing

    def post(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the loop thread soon; safe from any thread."""
        self._posted.append(fn)
        if threading.get_ident() == self.baton.holder:
            return          # the loop runs posted work before it selects again
        if not self._woken:
            self._woken = True
            try:
                self._wake_w.send(b"\0")
            except (BlockingIOError, InterruptedError):
                pass  # the pipe is full of wake-ups already
            except OSError:
                pass  # closing

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the loop thread after ``delay`` seconds (loop thread only)."""
        heapq.heappush(self._timers, (time.monotonic() + delay, next(self._seq), fn))

    def listen(self, host: str, port: int, backlog: int = 1024,
               reuse_port: bool = False) -> Tuple[str, int]:
        """Bind and accept on ``host:port``; ``reuse_port`` lets several
        processes each bind their own socket there (see ``bind_socket``)."""
        sock = bind_socket(host, port, reuse_port)
        sock.listen(backlog)
        return self.add_listener(sock)

    def add_listener(self, sock: socket.socket) -> Tuple[str, int]:
        """Accept on a socket that already listens (one shared with other
        processes, say); returns its bound (host, port)."""
        sock.setblocking(False)
        self.listeners.append(sock)
        self.sel.register(sock, READ, _Listener(sock))
        bound = sock.getsockname()
        return bound[0], bound[1]

    def watch_readable(self, sock: socket.socket, callback: Callable[[], None]) -> None:
        """Call ``callback()`` on the loop thread whenever ``sock`` has input:
        a channel from outside the loop's connections (another process)."""
        sock.setblocking(False)
        self.sel.register(sock, READ, _Watch(callback))

    def stop(self) -> None:
        """Ask the loop to stop; safe from any thread and signal handlers."""
        self._stopping = True
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass

    # ---------------------------------------------------------------- run

    def run(self) -> None:
        """Serve until ``stop()``; see ``baton`` for the threads doing it."""
        self.baton.run()
        # handlers queued when the loop stopped still run (on the pool), as
        # they would have had they been queued there
        while self.inline:
            self.pool.submit(self.inline.popleft())
        self._start_internal()

    def _release_held(self) -> None:
        job, self.held = self.held, None
        if job is not None:
            job.taken_over()

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass    # full of wake-ups already, or closing

    def _serve(self, me: int) -> bool:
        """Loop turns until stopped (True) or the baton is lost (False)."""
        try:
            return self._turns()
        except BatonLost:
            return False    # a handler run mid-turn was taken over (Connection.run_now)

    def _turns(self) -> bool:
        sel = self.sel
        while not self._stopping:
            if self._posted:
                # answers that inline handlers just posted: they leave in the
                # same send as what the turn wrote before them
                self._run_posted()
            if self.dirty:
                self._flush_dirty()
            if self.internal:
                self._start_internal()
            timeout = None
            timers = self._timers
            if timers:
                timeout = max(0.0, timers[0][0] - time.monotonic())
            if self._posted or self.inline:
                timeout = 0     # work left by a holder that lost the baton
            for data, mask in sel.ready(timeout):
                if data is None:
                    self._drain_wake()
                elif type(data) is _Listener:
                    self._accept(data.sock)
                else:           # a Connection, or a _Watch that answers like one
                    try:
                        if mask & WRITE:
                            data.on_writable()
                        if mask & READ and not data._closed:
                            data.on_readable()
                    except Exception:
                        # Our bug, not the client's: end this connection only.
                        log.exception("internal error on connection %s", data.peer)
                        data._lost()
            if self._posted or self._woken:
                self._run_posted()
            # (connections' startup deadlines keep a timer waiting a minute)
            if timers and timers[0][0] <= time.monotonic():
                self._run_timers()
            if self.paused:
                for conn in list(self.paused):
                    if conn.session is None or conn.session.wants_input():
                        conn.resume_reading()
            inline = self.inline
            while inline and not self._stopping:
                if not self.baton.run_job(inline.popleft()):
                    return False
        return True

    def _flush_dirty(self) -> None:
        while self.dirty:       # a flush can let a session write more (on_drain)
            dirty, self.dirty = self.dirty, []
            for conn in dirty:
                try:
                    conn.flush()
                except Exception:
                    log.exception("internal error while sending to %s", conn.peer)
                    conn._lost()

    def _start_internal(self) -> None:
        jobs, self.internal = self.internal, []
        for fn in jobs:
            self.encode_pool.submit(fn)

    def _drain_wake(self) -> None:
        try:
            while len(self._wake_r.recv(4096)) == 4096:
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def _run_posted(self) -> None:
        self._woken = False
        posted = self._posted
        while posted:
            fn = posted.popleft()
            try:
                fn()
            except Exception:
                log.exception("internal error in a posted callback")

    def _run_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, fn = heapq.heappop(self._timers)
            try:
                fn()
            except Exception:
                log.exception("internal error in a timer")

    def _accept(self, lsock: socket.socket) -> None:
        for _ in range(64):
            try:
                sock, peer = lsock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                # Out of descriptors or a transient network error: log, back off
                # briefly, and keep serving; never let accept kill the loop.
                log.warning("accept failed: %s", exc)
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    self._pause_accept(lsock)
                return
            if self.place is not None and self.place(sock):
                continue        # another worker process serves it
            self.adopt(sock, peer)

    def adopt(self, sock: socket.socket, peer: Any) -> None:
        """Serve a connected client socket: one accepted here, or one that
        another worker process passed on."""
        sock.setblocking(False)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Connection(self, sock, peer if isinstance(peer, tuple) else ("", 0))
        try:
            conn.session = self.session_factory(conn)
        except Exception:
            log.exception("could not set up a connection")
            sock.close()
            return
        self.conns.add(conn)
        self.sel.register(sock, READ, conn)
        ref = weakref.ref(conn)
        self.call_later(STARTUP_TIMEOUT, lambda ref=ref: self._startup_deadline(ref()))
        if self.on_load is not None:
            self.on_load(len(self.conns))

    def _pause_accept(self, lsock: socket.socket) -> None:
        try:
            self.sel.unregister(lsock)
        except (KeyError, ValueError):
            return

        def resume() -> None:
            if not self._stopping and lsock.fileno() >= 0:
                self.sel.register(lsock, READ, _Listener(lsock))
        self.call_later(0.1, resume)

    def _startup_deadline(self, conn: Optional[Connection]) -> None:
        if conn is None:
            return
        session = conn.session
        if not conn._closed and session is not None and session.state in ("STARTUP", "PASSWORD"):
            log.info("closing %s: startup not completed within %ss", conn.peer, STARTUP_TIMEOUT)
            conn._lost()

    # ----------------------------------------------------------- shutdown

    def close_listeners(self) -> None:
        for sock in self.listeners:
            try:
                self.sel.unregister(sock)
            except (KeyError, ValueError):
                pass
            sock.close()
        self.listeners = []

    def shutdown_connections(self, goodbye: Callable[[Connection], Optional[bytes]],
                             grace: float = 1.0) -> None:
        """Send each client its goodbye, flush for up to ``grace`` seconds, close all."""
        for conn in list(self.conns):
            data = goodbye(conn)
            if data:
                conn.write(data)
            conn.flush()
            conn._closing = True
        deadline = time.monotonic() + grace
        while any(c._out for c in self.conns) and time.monotonic() < deadline:
            for data, mask in self.sel.ready(0.05):
                if isinstance(data, Connection) and mask & WRITE:
                    data.on_writable()
        for conn in list(self.conns):
            conn._lost()
        self._run_posted()

    def close(self) -> None:
        try:
            self.sel.unregister(self._wake_r)
        except (KeyError, ValueError):
            pass
        self._wake_r.close()
        self._wake_w.close()
        self.sel.close()
