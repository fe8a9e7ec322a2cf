"""Which of the loop's sockets are ready, asked as cheaply as the platform allows.

``selectors`` answers each ready descriptor with a ``SelectorKey`` looked
up and an event mask recomputed in Python. Answering ``select 1`` costs a
few microseconds of Python in all, so that wrapping showed up as several
percent of pgbench's rate with two worker processes. ``EpollPoller`` keeps
the ``register``/``modify``/``unregister`` contract of a selector and the
masks it reports (``selectors.EVENT_READ``/``EVENT_WRITE``, limited to what
was registered, errors and hang-ups reported as both), but answers
``ready`` with ``(data, mask)`` pairs straight from ``epoll``. Where
there is no epoll, ``SelectorPoller`` gives the same answers through
``selectors``.
"""
from __future__ import annotations

import math
import select
import selectors
from typing import Any, Dict, List, Optional, Tuple, Union

READ = selectors.EVENT_READ
WRITE = selectors.EVENT_WRITE


def _fd(fileobj: Any) -> int:
    """The descriptor of a socket (or of an int, itself)."""
    fd = fileobj if isinstance(fileobj, int) else fileobj.fileno()
    if fd < 0:
        raise ValueError("invalid file descriptor: %r" % (fileobj,))
    return fd


class SelectorPoller:
    """The portable form, over ``selectors.DefaultSelector``."""

    def __init__(self) -> None:
        self._sel = selectors.DefaultSelector()

    def register(self, fileobj: Any, events: int, data: Any) -> None:
        self._sel.register(fileobj, events, data)

    def modify(self, fileobj: Any, events: int, data: Any) -> None:
        self._sel.modify(fileobj, events, data)

    def unregister(self, fileobj: Any) -> None:
        self._sel.unregister(fileobj)

    def ready(self, timeout: Optional[float]) -> List[Tuple[Any, int]]:
        """(data, mask) of every ready registration; ``timeout`` as for
        ``selectors`` (None waits, 0 polls)."""
        return [(key.data, mask) for key, mask in self._sel.select(timeout)]

    def close(self) -> None:
        self._sel.close()


_TO_EPOLL = {READ: select.EPOLLIN, WRITE: select.EPOLLOUT, READ | WRITE: select.EPOLLIN | select.EPOLLOUT} \
    if hasattr(select, "epoll") else {}
#: epoll bits that make a descriptor count as readable (everything but
#: EPOLLOUT, as selectors counts it) and as writable (everything but EPOLLIN)
_AS_READ = ~getattr(select, "EPOLLOUT", 0)
_AS_WRITE = ~getattr(select, "EPOLLIN", 0)
_EPOLLIN = getattr(select, "EPOLLIN", 0)


class EpollPoller:
    """Linux: ``epoll`` with a plain dict from descriptor to (data, events)."""

    def __init__(self) -> None:
        self._ep = select.epoll()
        #: descriptor -> (data, events, the (data, mask) of a plain EPOLLIN)
        self._entries: Dict[int, Tuple[Any, int, Tuple[Any, int]]] = {}

    def register(self, fileobj: Any, events: int, data: Any) -> None:
        fd = _fd(fileobj)
        if fd in self._entries:
            raise KeyError("%r is already registered" % (fileobj,))
        self._ep.register(fd, _TO_EPOLL[events])
        self._entries[fd] = (data, events, (data, events & READ))

    def modify(self, fileobj: Any, events: int, data: Any) -> None:
        fd = _fd(fileobj)
        if fd not in self._entries:
            raise KeyError("%r is not registered" % (fileobj,))
        self._ep.modify(fd, _TO_EPOLL[events])
        self._entries[fd] = (data, events, (data, events & READ))

    def unregister(self, fileobj: Any) -> None:
        fd = _fd(fileobj)
        del self._entries[fd]
        try:
            self._ep.unregister(fd)
        except OSError:
            pass    # closed already: epoll dropped it by itself

    def ready(self, timeout: Optional[float]) -> List[Tuple[Any, int]]:
        """(data, mask) of every ready registration; ``timeout`` as for
        ``selectors`` (None waits, 0 polls)."""
        if timeout is None:
            timeout = -1
        elif timeout > 0:
            # whole milliseconds, rounded up: epoll would round a shorter
            # wait down to zero and the caller would spin until it is due
            timeout = math.ceil(timeout * 1e3) * 1e-3
        else:
            timeout = 0
        entries = self._entries
        out = []
        for fd, ev in self._ep.poll(timeout, len(entries) or 1):
            entry = entries.get(fd)
            if entry is None:
                continue
            if ev == _EPOLLIN:
                # the everyday event: its answer made once, at registration
                out.append(entry[2])
            else:
                out.append((entry[0], entry[1] & ((ev & _AS_READ and READ) | (ev & _AS_WRITE and WRITE))))
        return out

    def close(self) -> None:
        self._ep.close()
        self._entries.clear()


Poller = Union[EpollPoller, SelectorPoller]


def new_poller() -> Poller:
    """The cheapest poller this platform has."""
    return EpollPoller() if hasattr(select, "epoll") else SelectorPoller()
