"""What the worker processes of ``start(workers=N)`` ask each other about
their sessions: ``pg_stat_activity``, ``pg_cancel_backend`` and
``pg_terminate_backend``.

PostgreSQL's view lists every backend of the server, and its functions reach
any of them, while each riffq worker holds only its own sessions. So a
worker reading the view asks the others for theirs, and one signalling a
session of another worker asks that worker to, over the datagram channels
the workers already share for cancel requests (``prefork.WorkerSlot``). A
worker answers on its loop thread, which owns its sessions, in parts of at
most ``PART_BYTES``; the asking statement runs on a handler thread and waits
at most ``ASK_TIMEOUT`` for the answers. A worker that is stopped, stuck or
gone costs that wait and is left out (its sessions unlisted, a signal to
one of them not sent); it never fails the statement.

The messages (each one datagram, after the one-byte kind):

- ``Q`` request id (4 bytes), asking worker's position (2): which sessions
  do you hold?
- ``S`` request id (4), asking worker's position (2), conn_id (4), 1 to
  terminate or 0 to cancel (1): signal that session;
- ``R`` request id (4), answering worker's position (2), 1 on the last
  part (1), then a part of the answer, as JSON (the rows; whether the
  session was there).
"""
from __future__ import annotations

import datetime
import itertools
import json
import select
import struct
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

#: Longest wait for the other workers' rows.
ASK_TIMEOUT = 1.0
#: Largest part of an answer in one datagram (and what a reader takes at once).
PART_BYTES = 60000
#: Most bytes one worker's answer may take; its rows past that are left out.
MAX_ANSWER_BYTES = 16 << 20
QUESTION = b"Q"
SIGNAL = b"S"
ANSWER = b"R"
_QUESTION = struct.Struct(">IH")
_SIGNAL = struct.Struct(">IHiB")
_ANSWER = struct.Struct(">IHB")


def question(request: int, asker: int) -> bytes:
    return QUESTION + _QUESTION.pack(request, asker)


def read_question(message: bytes) -> Tuple[int, int]:
    """(request id, asking position) of a ``question`` datagram."""
    return _QUESTION.unpack_from(message, 1)


def signal(request: int, asker: int, conn_id: int, terminate: bool) -> bytes:
    return SIGNAL + _SIGNAL.pack(request, asker, conn_id, int(terminate))


def read_signal(message: bytes) -> Tuple[int, int, int, bool]:
    """(request id, asking position, conn_id, terminate) of a ``signal``."""
    request, asker, conn_id, terminate = _SIGNAL.unpack_from(message, 1)
    return request, asker, conn_id, bool(terminate)


def is_question(message: bytes) -> bool:
    return message[:1] == QUESTION and len(message) >= 1 + _QUESTION.size


def is_signal(message: bytes) -> bool:
    return message[:1] == SIGNAL and len(message) >= 1 + _SIGNAL.size


def encode_rows(rows: Sequence[Dict[str, Any]]) -> bytes:
    """The rows as JSON; datetimes travel as ``{"$dt": isoformat}``. Rows past
    MAX_ANSWER_BYTES are dropped, whole."""
    def value(v: Any) -> Any:
        if isinstance(v, datetime.datetime):
            return {"$dt": v.isoformat()}
        return str(v)
    out: List[bytes] = []
    size = 2
    for row in rows:
        blob = json.dumps(row, default=value, separators=(",", ":")).encode("utf-8")
        if size + len(blob) + 1 > MAX_ANSWER_BYTES:
            break
        out.append(blob)
        size += len(blob) + 1
    return b"[" + b",".join(out) + b"]"


def decode(data: bytes) -> Any:
    """An answer's JSON, its datetimes made again."""
    def hook(obj: Dict[str, Any]) -> Any:
        if len(obj) == 1 and "$dt" in obj:
            return datetime.datetime.fromisoformat(obj["$dt"])
        return obj
    return json.loads(data.decode("utf-8"), object_hook=hook)


def answer_parts(request: int, position: int, payload: bytes) -> List[bytes]:
    """The datagrams that carry ``payload`` back to the asking worker."""
    chunks = [payload[i:i + PART_BYTES] for i in range(0, len(payload), PART_BYTES)] or [b""]
    last = len(chunks) - 1
    return [ANSWER + _ANSWER.pack(request, position, int(i == last)) + chunk
            for i, chunk in enumerate(chunks)]


class _Ask:
    __slots__ = ("waiting", "parts", "answers", "done")

    def __init__(self, positions: Set[int]) -> None:
        self.waiting = set(positions)
        self.parts: Dict[int, List[bytes]] = {p: [] for p in positions}
        #: each answering position's decoded answer
        self.answers: Dict[int, Any] = {}
        self.done = threading.Event()
        if not positions:
            self.done.set()


class OpenQuestions:
    """A worker's questions to the others that are still open. ``open`` and
    ``wait`` run on handler threads; ``take`` on the loop thread, as
    answers arrive."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: Dict[int, _Ask] = {}
        self._ids = itertools.count(1)

    def open(self, positions: Set[int]) -> Tuple[int, _Ask]:
        ask = _Ask(positions)
        with self._lock:
            request = next(self._ids) & 0xFFFFFFFF
            self._open[request] = ask
        return request, ask

    def close(self, request: int) -> None:
        with self._lock:
            self._open.pop(request, None)

    def take(self, message: bytes) -> None:
        """One ``R`` datagram: kept, and the ask finished with its last part."""
        if len(message) < 1 + _ANSWER.size:
            return
        request, position, last = _ANSWER.unpack_from(message, 1)
        with self._lock:
            ask = self._open.get(request)
            if ask is None or position not in ask.waiting:
                return      # late (the asker gave up), or not asked
            ask.parts[position].append(message[1 + _ANSWER.size:])
            if not last:
                return
            ask.waiting.discard(position)
            try:
                ask.answers[position] = decode(b"".join(ask.parts.pop(position)))
            except ValueError:
                pass        # a garbled answer leaves that worker out
            if not ask.waiting:
                ask.done.set()

    def wait(self, request: int, ask: _Ask, timeout: float) -> Dict[int, Any]:
        """The answers that arrived within ``timeout``, by position; the ask
        is closed."""
        ask.done.wait(timeout)
        with self._lock:
            self._open.pop(request, None)
            return dict(ask.answers)

    def rows(self, request: int, ask: _Ask, timeout: float) -> List[Dict[str, Any]]:
        """``wait`` for the answers to a ``question``: their rows, together."""
        out: List[Dict[str, Any]] = []
        for answer in self.wait(request, ask, timeout).values():
            if isinstance(answer, list):
                out.extend(r for r in answer if isinstance(r, dict))
        return out


def send_parts(sock: Any, parts: List[bytes], timeout: float = ASK_TIMEOUT) -> Optional[threading.Thread]:
    """Send ``parts`` on a non-blocking datagram socket. What does not fit at
    once is sent by a helper thread that waits for room (the caller is a
    loop thread, which must not wait); returns that thread, if any."""
    for i, part in enumerate(parts):
        try:
            sock.send(part)
        except (BlockingIOError, InterruptedError):
            rest = parts[i:]
            thread = threading.Thread(target=_send_waiting, args=(sock, rest, timeout),
                                      name="riffq-activity", daemon=True)
            thread.start()
            return thread
        except OSError:
            return None     # the asker is gone
    return None


def _send_waiting(sock: Any, parts: List[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for part in parts:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                select.select([], [sock], [], left)
                sock.send(part)
                break
            except (BlockingIOError, InterruptedError):
                continue
            except (OSError, ValueError):
                return
