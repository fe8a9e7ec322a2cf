"""node-postgres (`pg`, plus `pg-cursor`) against riffq.

The npm packages of tests/node/package.json are installed by the fixture
below into a cache directory outside the repository (keyed by the
package.json's hash; override with RIFFQ_NODE_CACHE), then
tests/node/client.js runs with NODE_PATH pointing there and prints one JSON
line per observation.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import subprocess
import uuid
from decimal import Decimal

import pytest

import riffq
from certkit import Pki
from clientkit import RecordingHandler, serve_recorder
from riffq.auth import scram_verifier

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "node")
SCRIPT = os.path.join(NODE_DIR, "client.js")


@pytest.fixture(scope="module")
def node_env():
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node-postgres tests need Node.js: `node` and `npm` must be on PATH "
                    "(found node=%r, npm=%r)" % (node, npm))
    with open(os.path.join(NODE_DIR, "package.json"), "rb") as f:
        manifest = f.read()
    digest = hashlib.sha256(manifest).hexdigest()[:16]
    base = os.environ.get("RIFFQ_NODE_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "riffq-tests", "node-" + digest)
    modules = os.path.join(base, "node_modules")
    if not os.path.isfile(os.path.join(modules, "pg", "package.json")) or \
            not os.path.isfile(os.path.join(modules, "pg-cursor", "package.json")):
        os.makedirs(base, exist_ok=True)
        with open(os.path.join(base, "package.json"), "wb") as f:
            f.write(manifest)
        try:
            res = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--no-package-lock",
                                  "--loglevel=error"], cwd=base, capture_output=True, text=True,
                                 timeout=180)
        except subprocess.TimeoutExpired:
            pytest.skip("`npm install` of pg/pg-cursor into %s timed out after 180 s "
                        "(is the npm registry reachable?)" % base)
        if res.returncode != 0:
            pytest.skip("`npm install` of pg/pg-cursor into %s failed (npm registry not "
                        "reachable?): %s" % (base, (res.stderr or res.stdout).strip()[-500:]))
    return node, dict(os.environ, NODE_PATH=modules)


OID_NAMES = {16: "bool", 17: "bytea", 20: "int8", 21: "int2", 23: "int4", 25: "text",
             701: "float8", 1700: "numeric", 1184: "timestamptz", 1114: "timestamp",
             3802: "jsonb", 114: "json", 1007: "int4[]", 1009: "text[]", 1082: "date"}


class Recorder(RecordingHandler):
    def answer(self, sql, q, callback, kwargs):
        args = kwargs.get("query_args")
        if q.startswith("select $1::int4 + $2::int4"):
            callback(([{"name": "total", "type": "int4"}], [(args[0] + args[1],)] if args else []))
        elif q.startswith("select echo"):
            # echo the parameters, typed as the server typed them, named by their aliases
            import re
            types = kwargs["param_types"]
            names = re.findall(r"\bas (\w+)", sql) or ["c%d" % i for i in range(len(types))]
            cols = [{"name": n, "type": OID_NAMES[t]} for n, t in zip(names, types)]
            callback((cols, [tuple(args)] if args is not None else []))
        elif q.startswith("select id, name from people"):
            callback(([{"name": "id", "type": "int4"}, {"name": "name", "type": "text"}],
                      [(1, "ann"), (2, "bob")]))
        elif q.startswith("select n from series"):
            limit = args[0] if args else 10
            callback(([{"name": "n", "type": "int4"}], [(i,) for i in range(min(limit, 10))]))
        elif q.startswith("insert into people"):
            callback("INSERT 0 1", is_tag=True)
        elif q.startswith("select * from typed"):
            cols = [("i2", "int2", 7), ("i8", "int8", 2 ** 40), ("f8", "float8", 0.1),
                    ("num", "numeric", Decimal("12.50")), ("b", "bool", True),
                    ("by", "bytea", b"\x00\xff"), ("ts", "timestamptz",
                                                   dt.datetime(2024, 1, 2, 3, 4, 5, 600000,
                                                               tzinfo=dt.timezone.utc)),
                    ("u", "uuid", uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
                    ("j", "jsonb", {"a": [1, None]}), ("ia", "int4[]", [1, None, 3]),
                    ("ta", "text[]", ["a", "b c"]), ("nul", "text", None)]
            callback(([{"name": n, "type": t} for n, t, _ in cols], [tuple(v for _, _, v in cols)]))
        else:
            self.fallback(sql, q, callback)


@pytest.fixture
def rec_server(serve):
    return serve_recorder(serve, Recorder())


def run_node(node_env, port, scenario, options=None):
    node, env = node_env
    extra = [json.dumps(options)] if options else []
    res = subprocess.run([node, SCRIPT, str(port), scenario, *extra], capture_output=True, text=True,
                         timeout=60, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert lines[-1] == ["done", True], lines
    return lines[:-1]


def test_query_with_parameters(node_env, rec_server):
    rec, port = rec_server
    assert run_node(node_env, port, "params") == [
        ["sum", [{"total": 42}]],
        ["fields", [["total", 23]]],
        ["echo", [{"c0": "héllo", "c1": None}]],
        ["named", [{"total": 11}]],
        ["named", [{"total": 12}]],
        ["named", [{"total": 13}]],
        ["array", [[1, "ann"], [2, "bob"]]],
    ]
    plus = rec.executions("select $1::int4 + $2::int4")
    assert [k["query_args"] for _, k in plus] == [[40, 2], [1, 10], [2, 10], [3, 10]]
    # pg sends untyped text parameters; `$1, $2` with no cast are text, as in PostgreSQL
    echo = rec.executions("select echo")[0][1]
    assert echo["query_args"] == ["héllo", None] and echo["param_types"] == [25, 25]


def test_plain_queries(node_env, rec_server):
    rec, port = rec_server
    assert run_node(node_env, port, "plain") == [
        ["rows", [{"id": 1, "name": "ann"}, {"id": 2, "name": "bob"}]],
        ["command", ["SELECT", 2]],
        ["command", ["INSERT", 1]],
        ["multi", [2, 2]],
        ["show", [{"application_name": ""}]],
    ]
    # a query without values goes through the simple protocol
    assert all("query_args" not in k for _, k in rec.executions("select id"))


def test_result_types(node_env, rec_server):
    rec, port = rec_server
    got = dict(run_node(node_env, port, "types"))
    assert got == {
        "i2": 7, "i8": "1099511627776", "f8": 0.1, "num": "12.50", "b": True, "by": "hex:00ff",
        "ts": "date:2024-01-02T03:04:05.600Z", "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "j": {"a": [1, None]}, "ia": [1, None, 3], "ta": ["a", "b c"], "nul": None,
    }


def test_error_then_reuse(node_env, rec_server):
    rec, port = rec_server
    assert run_node(node_env, port, "error") == [
        ["error", ["22012", "division by zero"]],
        ["after", [{"id": 1, "name": "ann"}, {"id": 2, "name": "bob"}]],
        ["error", ["22012"]],
        ["error", ["25P02"]],
        ["after", [{"total": 2}]],
    ]


def test_cursor_reads_in_batches(node_env, rec_server):
    rec, port = rec_server
    assert run_node(node_env, port, "cursor") == [
        ["batches", [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]],
    ]
    assert len(rec.executions("select n from series")) == 1


def test_parameter_types(node_env, rec_server):
    """node-postgres sends JS values as text (Buffers in binary) with type 0;
    the casts type them. The output is what PostgreSQL 15 gives for the
    same query without `echo`."""
    rec, port = rec_server
    assert run_node(node_env, port, "paramtypes") == [
        ["ts", "date:2024-01-02T03:04:05.600Z"],
        ["by", "hex:0001ff"],
        ["ia", [1, None, 3]],
        ["ta", ["a", "b c", None, 'q"x']],
        ["j", {"a": [1, None]}],
        ["b", True],
        ["i8", "12345678901234"],
        ["f8", 1.5],
        ["num", "12.50"],
        ["nul", None],
    ]
    args = rec.executions("select echo")[0][1]["query_args"]
    assert args == [dt.datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=dt.timezone.utc),
                    b"\x00\x01\xff", [1, None, 3], ["a", "b c", None, 'q"x'],
                    '{"a":[1,null]}', True, 12345678901234, 1.5, Decimal("12.50"), None]


class SecureConn(riffq.BaseConnection):
    def get_password(self, user, database):
        return scram_verifier("node pw") if user == "u" else None

    def handle_query(self, sql, callback=callable, **kwargs):
        callback(([{"name": "id", "type": "int4"}, {"name": "name", "type": "text"}], [(1, "ann")]))


@pytest.mark.parametrize("binding", [False, True])
def test_scram_over_verified_tls(node_env, serve, tmp_path, caplog, binding):
    pki = Pki(str(tmp_path))
    cert = pki.server("server")
    server = riffq.RiffqServer("127.0.0.1:0", connection_cls=SecureConn)
    server.set_tls(cert["crt"], cert["key"])
    port = serve(server, tls=True, require_tls=True).port
    caplog.set_level(logging.DEBUG, logger="riffq")
    opts = {"host": "localhost", "password": "node pw", "enableChannelBinding": binding,
            "ssl": {"caFile": pki.ca, "servername": "localhost", "rejectUnauthorized": True}}
    assert run_node(node_env, port, "whoami", opts) == [["rows", [{"id": 1, "name": "ann"}]],
                                                        ["encrypted", True]]
    mechanism = "SCRAM-SHA-256-PLUS" if binding else "SCRAM-SHA-256\n"
    assert mechanism in "\n".join(r.getMessage() for r in caplog.records) + "\n"
    node, env = node_env
    res = subprocess.run([node, SCRIPT, str(port), "whoami", json.dumps(dict(opts, password="bad"))],
                         capture_output=True, text=True, timeout=60, env=env)
    assert res.returncode != 0 and 'password authentication failed for user "u"' in res.stderr
