"""In what order the event loop does things within one turn
(``riffq/_wire/loop.py``): what a turn wrote reaches the socket before the
loop wakes a helper thread for more work, since a helper woken first takes
the GIL while the loop is still on its way to the send."""
from __future__ import annotations

import select
import socket
import threading
import time

from riffq._wire.loop import EventLoop
from riffq._wire.workers import DaemonPool


def test_helper_work_starts_after_the_turns_output_is_sent():
    seen = []
    loop_box = []
    client_box = []

    class AnswerThenMore:
        """Answers each read, then asks a helper for more (as a result
        stream asks for its next chunk)."""

        def __init__(self, conn):
            self.conn = conn

        def data_received(self, data):
            self.conn.write(b"answer:" + bytes(data))

            def more():
                client = client_box[0]
                arrived, _, _ = select.select([client], [], [], 0)
                seen.append(client.recv(64, socket.MSG_PEEK) if arrived else b"not sent yet")
                loop_box[0].stop()

            self.conn.run_internal(more)
            # the rest of the turn (other connections' reads, handlers) lets
            # other threads run: a helper already woken would peek now
            time.sleep(0.05)

        def wants_input(self):
            return True

        def on_drain(self):
            pass

        def connection_lost(self):
            pass

    loop = EventLoop(AnswerThenMore, DaemonPool(2), DaemonPool(2))
    loop_box.append(loop)
    host, port = loop.listen("127.0.0.1", 0)
    runner = threading.Thread(target=loop.run, daemon=True)
    runner.start()
    client = socket.create_connection((host, port), timeout=10)
    client_box.append(client)
    try:
        client.sendall(b"q")
        runner.join(10)
        assert not runner.is_alive(), "the helper's work never ran"
        assert seen == [b"answer:q"]
    finally:
        client.close()
        loop.stop()
