"""The loop's poller answers exactly what ``selectors`` would.

``EpollPoller`` replaces ``selectors`` on Linux for speed; each scenario
here is played on a poller and on ``SelectorPoller`` (``selectors`` with
its answers passed through) side by side, over real socket pairs: the
(data, mask) answers must agree, and equal the answer written in the test.
"""
from __future__ import annotations

import select
import socket

import pytest

from riffq._wire.poller import READ, WRITE, EpollPoller, SelectorPoller, new_poller

POLLERS = [SelectorPoller]
if hasattr(select, "epoll"):
    POLLERS.append(EpollPoller)


def answers(poller, timeout=0):
    return sorted(poller.ready(timeout))


@pytest.fixture(params=POLLERS, ids=lambda cls: cls.__name__)
def both(request):
    # SelectorPoller passes selectors' answers through unchanged: the reference
    pair = (request.param(), SelectorPoller())
    yield pair
    for p in pair:
        p.close()


@pytest.fixture
def socks():
    made = [socket.socketpair() for _ in range(3)]
    yield made
    for a, b in made:
        a.close()
        b.close()


def play(both, step):
    """Run ``step`` on the poller and the reference; return both answers."""
    got = [step(p) for p in both]
    return got[0], got[1]


def test_nothing_ready_then_readable(both, socks):
    (a, b), _, _ = socks
    for p in both:
        p.register(a, READ, "a")
    assert [answers(p) for p in both] == [[], []]
    b.send(b"x")
    mine, ref = play(both, answers)
    assert mine == ref == [("a", READ)]


def test_write_interest_and_modify(both, socks):
    (a, _), (c, d), _ = socks
    for p in both:
        p.register(a, WRITE, "a")
        p.register(c, READ, "c")
    d.send(b"y")
    mine, ref = play(both, answers)
    assert mine == ref == [("a", WRITE), ("c", READ)]
    for p in both:
        p.modify(c, READ | WRITE, "c2")
        p.modify(a, READ, "a2")
    mine, ref = play(both, answers)
    assert mine == ref == [("c2", READ | WRITE)]


def test_hang_up_is_reported_only_for_what_was_registered(both, socks):
    (a, b), (c, d), _ = socks
    for p in both:
        p.register(a, READ, "reader")
        p.register(c, WRITE, "writer")
    b.close()
    d.close()
    mine, ref = play(both, answers)
    assert mine == ref == [("reader", READ), ("writer", WRITE)]


def _refused_socket() -> socket.socket:
    """A TCP socket whose connect was refused (epoll: EPOLLERR and EPOLLHUP)."""
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()        # nothing listens there now
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except (BlockingIOError, ConnectionRefusedError):
        pass
    return s


def test_a_refused_connection_is_reported_as_selectors_reports_it(both):
    sockets = [_refused_socket(), _refused_socket()]
    try:
        for p in both:
            p.register(sockets[0], READ, "reader")
            p.register(sockets[1], WRITE, "writer")
        mine, ref = play(both, lambda p: answers(p, 1.0))
        assert mine == ref == [("reader", READ), ("writer", WRITE)]
    finally:
        for s in sockets:
            s.close()


def test_unregistered_is_never_reported(both, socks):
    (a, b), _, _ = socks
    for p in both:
        p.register(a, READ, "a")
    b.send(b"x")
    for p in both:
        p.unregister(a)
    assert [answers(p) for p in both] == [[], []]


@pytest.mark.parametrize("cls", POLLERS, ids=lambda cls: cls.__name__)
def test_registration_errors_match_selectors(cls, socks):
    (a, _), (c, _), _ = socks
    p = cls()
    try:
        p.register(a, READ, "a")
        with pytest.raises(KeyError):
            p.register(a, READ, "again")
        with pytest.raises(KeyError):
            p.modify(c, READ, "never registered")
        p.unregister(a)
        with pytest.raises(KeyError):
            p.unregister(a)
        closed = socket.socket()
        closed.close()
        with pytest.raises(ValueError):
            p.register(closed, READ, "closed")
    finally:
        p.close()


@pytest.mark.parametrize("cls", POLLERS, ids=lambda cls: cls.__name__)
def test_unregister_after_the_peer_closed_and_timeouts(cls, socks):
    (a, b), _, _ = socks
    p = cls()
    try:
        p.register(a, READ, "a")
        assert p.ready(0.001) == []             # a short wait, not a spin: it returns empty
        b.send(b"z")
        assert p.ready(None) == [("a", READ)]   # None waits until something is ready
        a.recv(1)
        b.close()
        assert p.ready(0) == [("a", READ)]      # end of stream reads as readable
        p.unregister(a)
        assert p.ready(0) == []
    finally:
        p.close()


def test_new_poller_uses_epoll_where_there_is_one():
    p = new_poller()
    try:
        assert isinstance(p, EpollPoller if hasattr(select, "epoll") else SelectorPoller)
    finally:
        p.close()
