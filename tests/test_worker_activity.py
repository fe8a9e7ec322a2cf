"""``riffq.worker_activity``: how workers carry pg_stat_activity rows to
each other (the view across real workers is in ``test_workers.py``)."""
from __future__ import annotations

import datetime
import socket
import threading

import pytest

from riffq import worker_activity as wa

UTC = datetime.timezone.utc


def row(pid, query="select 1", **extra):
    r = {"pid": pid, "usename": "u", "datname": "d", "application_name": "ünï",
         "client_addr": "127.0.0.1", "client_port": 40000 + pid,
         "backend_start": datetime.datetime(2026, 11, 27, 15, 0, 1, 250000, tzinfo=UTC),
         "state": "idle", "query": query}
    r.update(extra)
    return r


def test_rows_travel_with_their_types():
    rows = [row(1), row(2, query="select 'é' /* \u2603 */", client_addr=None, client_port=None)]
    back = wa.decode(wa.encode_rows(rows))
    assert back == rows
    assert back[0]["backend_start"].tzinfo is not None


def test_an_answer_past_its_limit_drops_whole_rows(monkeypatch):
    monkeypatch.setattr(wa, "MAX_ANSWER_BYTES", 1000)
    rows = [row(i, query="x" * 200) for i in range(10)]
    data = wa.encode_rows(rows)
    assert len(data) <= 1000
    back = wa.decode(data)
    assert 0 < len(back) < 10 and back == rows[:len(back)]


def test_parts_come_together_into_the_rows():
    rows = [row(i, query="q%d " % i + "y" * 50000) for i in range(5)]
    parts = wa.answer_parts(7, 1, wa.encode_rows(rows))
    assert len(parts) > 1 and all(len(p) <= wa.PART_BYTES + 8 for p in parts)
    asks = wa.OpenQuestions()
    request, ask = asks.open({1})
    for part in wa.answer_parts(request, 1, wa.encode_rows(rows)):
        assert not ask.done.is_set()
        asks.take(part)
    assert ask.done.is_set()
    assert asks.rows(request, ask, 0) == rows


def test_only_the_workers_asked_are_waited_for_and_heard():
    asks = wa.OpenQuestions()
    request, ask = asks.open({1, 2})
    asks.take(wa.answer_parts(request, 3, wa.encode_rows([row(30)]))[0])      # not asked
    asks.take(wa.answer_parts(request + 1, 1, wa.encode_rows([row(40)]))[0])  # another question
    asks.take(b"R\x00")                                                        # too short
    asks.take(wa.answer_parts(request, 1, wa.encode_rows([row(10)]))[0])
    assert not ask.done.is_set()
    # a worker that does not answer in time is left out
    assert asks.rows(request, ask, 0.05) == [row(10)]
    # and its late answer finds no question open
    asks.take(wa.answer_parts(request, 2, wa.encode_rows([row(20)]))[0])


def test_a_garbled_answer_leaves_its_worker_out():
    asks = wa.OpenQuestions()
    request, ask = asks.open({1, 2})
    asks.take(wa.answer_parts(request, 1, b"[{not json")[0])
    asks.take(wa.answer_parts(request, 2, wa.encode_rows([row(20)]))[0])
    assert ask.done.is_set() and asks.rows(request, ask, 0) == [row(20)]


def test_nobody_to_ask_answers_at_once():
    asks = wa.OpenQuestions()
    request, ask = asks.open(set())
    assert ask.done.is_set() and asks.rows(request, ask, 10) == []


def test_questions_name_the_request_and_the_asker():
    message = wa.question(123456, 7)
    assert wa.is_question(message) and not wa.is_signal(message)
    assert wa.read_question(message) == (123456, 7)
    assert not wa.is_question(message[:-1])


@pytest.mark.parametrize("terminate", [False, True])
def test_signals_name_the_session_and_what_to_do(terminate):
    message = wa.signal(9, 3, 2 ** 31 - 1, terminate)
    assert wa.is_signal(message) and not wa.is_question(message)
    assert wa.read_signal(message) == (9, 3, 2 ** 31 - 1, terminate)
    assert not wa.is_signal(message[:-1])


def test_a_signals_answer_is_one_workers_true_or_false():
    asks = wa.OpenQuestions()
    request, ask = asks.open({2})
    asks.take(wa.answer_parts(request, 2, b"true")[0])
    assert asks.wait(request, ask, 0) == {2: True}
    # rows() of such answers: none
    request, ask = asks.open({2})
    asks.take(wa.answer_parts(request, 2, b"false")[0])
    assert asks.rows(request, ask, 0) == []


def test_parts_that_do_not_fit_at_once_are_sent_by_a_helper():
    send, recv = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    send.setblocking(False)
    try:
        parts = wa.answer_parts(1, 0, b"z" * (wa.PART_BYTES * 20))
        got = []

        def read():
            while len(got) < len(parts):
                got.append(recv.recv(wa.PART_BYTES + 64))
        helper = wa.send_parts(send, parts)
        assert helper is not None, "20 datagrams of 60 KB fitted at once"
        reader = threading.Thread(target=read)
        reader.start()
        helper.join(5)
        reader.join(5)
        assert got == parts
    finally:
        send.close()
        recv.close()


def test_an_asker_that_is_gone_is_not_an_error():
    send, recv = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    recv.close()
    send.setblocking(False)
    try:
        assert wa.send_parts(send, wa.answer_parts(1, 0, b"[]")) is None
    finally:
        send.close()


@pytest.mark.parametrize("value", [datetime.date(2026, 1, 2), 3.5, True, None, "t"])
def test_other_values_arrive_as_json_has_them(value):
    back = wa.decode(wa.encode_rows([{"v": value}]))[0]["v"]
    expected = str(value) if isinstance(value, datetime.date) else value
    assert back == expected
