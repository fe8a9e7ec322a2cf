"""COPY ... TO STDOUT and FROM STDIN as clients use them."""
from __future__ import annotations

import psycopg
import pytest

import riffq

ROWS = ([{"name": "id", "type": "int"}, {"name": "note", "type": "text"}],
        [(1, "plain"), (2, "tab\there"), (3, None), (4, "back\\slash\nnewline")])


@pytest.fixture
def port(serve):
    server = riffq.Server("127.0.0.1:0")
    server.on_query(lambda sql, callback, **kw: callback(ROWS))
    return serve(server).port


EXPECTED = "1\tplain\n2\ttab\\there\n3\t\\N\n4\tback\\\\slash\\nnewline\n"


def test_psycopg_copy_to_stdout(port):
    with psycopg.connect(host="127.0.0.1", port=port, user="u", dbname="d", autocommit=True) as conn:
        with conn.cursor() as cur:
            with cur.copy("COPY (select * from t) TO STDOUT") as copy:
                data = b"".join(bytes(chunk) for chunk in copy)
        assert data.decode() == EXPECTED
        with conn.cursor().copy("COPY t TO STDOUT") as copy:
            assert list(copy.rows()) == [("1", "plain"), ("2", "tab\there"), ("3", None),
                                         ("4", "back\\slash\nnewline")]


def test_psql_backslash_copy(port, psql, tmp_path):
    target = tmp_path / "out.tsv"
    out = psql(port, "-c", "\\copy (select * from t) to '%s'" % target)
    assert out.returncode == 0, out.stderr
    assert "COPY 4" in out.stdout
    assert target.read_text() == EXPECTED


def test_copy_from_stdin_and_csv_are_refused_clearly(port):
    with psycopg.connect(host="127.0.0.1", port=port, user="u", dbname="d", autocommit=True) as conn:
        with pytest.raises(psycopg.errors.FeatureNotSupported) as info:
            with conn.cursor().copy("COPY t FROM STDIN") as copy:
                copy.write(b"1\tx\n")
        assert "COPY FROM STDIN" in str(info.value)
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            with conn.cursor().copy("COPY t TO STDOUT WITH (FORMAT csv)") as copy:
                list(copy)
        assert conn.execute("select 1").fetchone() == (1, "plain")   # still usable


def test_copy_escapes_control_characters_like_postgres():
    from riffq._wire.copyout import _escape
    # what PostgreSQL 15 sends for E'a\\b\tc\bd\ve\ff\n' in COPY text format
    assert _escape(b"a\\b\tc\x08d\x0be\x0cf\n") == b"a\\\\b\\tc\\bd\\ve\\ff\\n"


@pytest.mark.parametrize("stmt, direction", [
    ("COPY (SELECT 'x' AS binary) TO STDOUT", "out"),          # words in the query are not options
    ("COPY t TO STDOUT WITH (FORMAT text)", "out"),
    ("copy t to stdout", "out"),
    ("COPY t FROM STDIN", "in"),
    ("COPY t TO '/tmp/file'", None),
])
def test_copy_direction(stmt, direction):
    from riffq._wire.copyout import copy_direction
    assert copy_direction(stmt) == direction


@pytest.mark.parametrize("stmt", ["COPY t TO STDOUT (DELIMITER ',')", "COPY t TO STDOUT CSV HEADER",
                                  "COPY t TO STDOUT WITH (FORMAT binary)"])
def test_copy_options_we_cannot_honour_are_refused(stmt):
    from riffq._wire.copyout import copy_direction
    from riffq._wire.errors import PgError
    with pytest.raises(PgError) as info:
        copy_direction(stmt)
    assert info.value.sqlstate == "0A000"


def test_psql_fetch_count_reads_through_a_cursor(serve, psql):
    """psql with FETCH_COUNT runs DECLARE/FETCH/CLOSE in a transaction; the
    handler sees only the cursor's query, once."""
    calls = []

    def handle(sql, callback, **kw):
        calls.append(sql)
        callback(ROWS)
    server = riffq.Server("127.0.0.1:0")
    server.on_query(handle)
    port = serve(server).port
    out = psql(port, "-At", "-v", "FETCH_COUNT=3", "-c", "select * from t")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[:3] == ["1|plain", "2|tab\there", "3|"]
    assert calls == ["select * from t"]
