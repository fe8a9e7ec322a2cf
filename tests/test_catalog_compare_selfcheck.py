"""The comparison harness judged on itself.

1. Real PostgreSQL against real PostgreSQL: two clusters hold the same
   schema with different user OIDs (the second burns OIDs first), so every
   corpus entry must agree after normalisation.  This proves the
   normalisation rules and the OID placeholders are sufficient (the
   riffq comparison can only fail for riffq's own reasons).  Two clusters
   rather than two databases of one cluster: within one cluster
   ``pg_database`` and ``current_database()`` would differ between the two
   sides, which no rule should paper over.
2. The rules are not too lenient: a wrong type OID, a missing row, a wrong
   relkind, an OID pointing at the wrong object, NULL-versus-value... are
   all still reported, on real answers taken from PostgreSQL.
"""
from __future__ import annotations

import os
import json

import time

import pytest

import pg_fixture
from catalog_compare import (RULES, Answer, CorpusEntry, OidIdentities, ServerContext, Target,
                             bind_oids, compare_answers, compare_entry, create_schema_database,
                             describe_failure, has_top_level_order_by, load_corpus, normalise,
                             order_key_columns, run_statement,
                             oid_placeholders, read_identities)
from catalog_corpus.schema import SCHEMA_SQL, ddl

CORPUS = load_corpus()


@pytest.fixture(scope="module")
def twin_targets():
    """Two real PostgreSQL clusters with the corpus schema, numbered differently."""
    bin_dir = pg_fixture.find_bin_dir()
    if bin_dir is None:
        pytest.skip(pg_fixture.SKIP_REASON)
    clusters = []
    try:
        targets = []
        for label, burn in (("postgres-a", 0), ("postgres-b", 500)):
            pg = pg_fixture.start_postgres(bin_dir)
            clusters.append(pg)
            conninfo = create_schema_database(pg, burn_oids=burn)
            targets.append(Target(label, conninfo, read_identities(conninfo)))
        yield targets
    finally:
        for pg in clusters:
            pg_fixture.stop_postgres(pg)


def test_corpus_is_present_for_every_tool():
    tools = {e.tool.split("+")[0] for e in CORPUS}
    assert tools >= {"psql", "jdbc", "sqlalchemy", "asyncpg", "psycopg", "pgcli"}
    assert len(CORPUS) >= 100


def test_schema_sql_matches_schema_py():
    with open(SCHEMA_SQL, encoding="utf-8") as f:
        assert f.read() == ddl(), "schema.sql is stale: run tools/capture_catalog_corpus.py"


def test_twins_number_user_objects_differently(twin_targets):
    a, b = twin_targets
    assert not a.ids.failed and not b.ids.failed
    assert set(a.ids.by_identity) == set(b.ids.by_identity)
    assert "class:public.customers" in a.ids.by_identity
    differing = [k for k in a.ids.by_identity if a.ids.by_identity[k] != b.ids.by_identity[k]]
    assert len(differing) == len(a.ids.by_identity)


@pytest.mark.parametrize("entry", CORPUS, ids=[e.test_id for e in CORPUS])
def test_postgres_agrees_with_itself(entry, twin_targets):
    reference, candidate = twin_targets
    diffs = compare_entry(entry, reference, candidate)
    assert not diffs, describe_failure(entry, diffs, reference, candidate)


def test_the_twin_check_needs_the_oid_rules(twin_targets):
    """Without user-oid normalisation the twins disagree: the self-check
    really exercises it (and the OID placeholders bind to different OIDs)."""
    rules = [r for r in RULES if r.name not in ("user-oid", "toast-name")]
    disagreeing = []
    for entry in CORPUS:
        answers = [target.answer(entry, rules) for target in twin_targets]
        if compare_answers(answers[0], answers[1], order_key_columns(entry.sql, answers[0].columns)):
            disagreeing.append(entry.test_id)
    assert len(disagreeing) >= 10, disagreeing
    assert any(i.startswith("psql-") for i in disagreeing)


def test_every_corpus_entry_answers_without_error(twin_targets):
    """Captured statements succeeded for the tool; replayed they must too
    (else the corpus or the placeholder binding is broken)."""
    reference = twin_targets[0]
    failed = [(e.test_id, reference.answer(e).error) for e in CORPUS]
    failed = [f for f in failed if f[1] is not None]
    assert not failed


# ------------------------------------------------------ rules are strict

def _entry(sql, params=None):
    return CorpusEntry("unit", 0, sql, params, "unit")


PSQL_LOOKUP = next(e for e in CORPUS if e.tool == "psql" and e.note == "\\d sales.orders")
PSQL_DT = next(e for e in CORPUS if e.tool == "psql" and e.note == "\\dt")


def _tamper_row(answer, row_index, column_name, value):
    col = [c[0] for c in answer.columns].index(column_name)
    rows = list(answer.rows)
    row = list(rows[row_index])
    row[col] = value
    rows[row_index] = tuple(row)
    return Answer(list(answer.columns), rows, answer.error, answer.backend_pid)


def test_wrong_type_oid_is_reported(twin_targets):
    a, b = twin_targets
    good = a.answer(PSQL_DT)
    bad = Answer([(n, 25 if n == "Name" else t) for n, t in good.columns], good.rows)
    diffs = compare_answers(good, bad, order_keys=[])
    assert any("'Name' type OID differs: expected 19, got 25" in d for d in diffs)


def test_missing_row_is_reported(twin_targets):
    a, b = twin_targets
    good = b.answer(PSQL_DT)
    assert len(good.rows) >= 2
    bad = Answer(list(good.columns), good.rows[1:])
    diffs = compare_answers(good, bad, order_keys=[])
    assert diffs and "missing" in diffs[0] and repr(good.rows[0]) in diffs[0]


def test_wrong_relkind_is_reported(twin_targets):
    a, b = twin_targets
    entry = _entry("SELECT c.oid, c.relname, c.relkind FROM pg_catalog.pg_class c "
                   "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                   "WHERE n.nspname IN ('public', 'sales') ORDER BY c.relname")
    good, other = a.answer(entry), b.answer(entry)
    assert compare_answers(good, other, order_keys=[]) == []
    bad = _tamper_row(other, 0, "relkind", "v" if other.rows[0][2] != "v" else "r")
    assert compare_answers(good, bad, order_keys=[])


def test_oid_of_the_wrong_object_is_reported(twin_targets):
    """user-oid maps by identity: an OID that names another object differs."""
    a, b = twin_targets
    raw = Answer([("oid", 26), ("relname", 19)],
                 [(str(b.ids.by_identity["class:sales.orders"]), "customers")])
    good = Answer([("oid", 26), ("relname", 19)],
                  [(str(a.ids.by_identity["class:public.customers"]), "customers")])
    diffs = compare_answers(normalise(good, ServerContext(a.ids)),
                            normalise(raw, ServerContext(b.ids)), order_keys=None)
    assert diffs and "class:sales.orders" in diffs[0]


def test_unknown_user_oids_never_agree_by_accident():
    ids = OidIdentities()
    one = normalise(Answer([("oid", 26)], [("16500",)]), ServerContext(ids))
    two = normalise(Answer([("oid", 26)], [("16501",)]), ServerContext(ids))
    assert compare_answers(one, two, order_keys=None)


def test_system_oids_are_compared_verbatim():
    ids = OidIdentities()
    ids.add(16400, "class:public.t")
    one = normalise(Answer([("typ", 26)], [("23",)]), ServerContext(ids))
    two = normalise(Answer([("typ", 26)], [("20",)]), ServerContext(ids))
    assert compare_answers(one, two, order_keys=None)


def test_null_versus_value_survives_every_rule():
    ids = OidIdentities()
    for rule in RULES:
        # a column the rule covers: find one by probing the common names
        for name, typ in (("relowner", 26), ("relacl", 1034), ("reltuples", 700), ("pid", 23),
                          ("backend_start", 1184), ("oid", 26), ("version", 25),
                          ("wait_event", 25)):
            if rule.applies(name, typ):
                with_value = normalise(Answer([(name, typ)], [("x",) if typ != 26 else ("16500",)]),
                                       ServerContext(ids))
                with_null = normalise(Answer([(name, typ)], [(None,)]), ServerContext(ids))
                assert compare_answers(with_value, with_null, order_keys=None), rule.name
                break
        else:
            pytest.fail("no probe column for rule %s" % rule.name)


def _wait_for_no_other_clients(conninfo, timeout=10.0):
    """PostgreSQL lists a closed connection until its backend has exited."""
    sql = ("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
           "AND pid <> pg_backend_pid()")
    deadline = time.monotonic() + timeout
    while run_statement(conninfo, sql, None).rows != [("0",)] and time.monotonic() < deadline:
        time.sleep(0.05)


def test_activity_keeps_the_client_rows_and_their_riffq_visible_fields(twin_targets):
    a, b = twin_targets
    entry = _entry("SELECT pid, datname, usename, application_name, state, query, backend_type, "
                   "wait_event, backend_start FROM pg_catalog.pg_stat_activity")
    raw = run_statement(a.conninfo, entry.sql, None)
    assert any(r[6] == "checkpointer" for r in raw.rows)  # PostgreSQL shows its processes
    _wait_for_no_other_clients(a.conninfo)     # the backend that served ``raw`` leaves late
    good, other = a.answer(entry), b.answer(entry)
    assert compare_answers(good, other, None) == []
    assert [r[1:4] + r[6:7] for r in good.rows] == [("shop", "postgres", "", "client backend")]
    assert good.rows[0][0] == "<own backend pid>"
    # a wrong database name or state is still a difference
    assert compare_answers(good, _tamper_row(other, 0, "datname", "postgres"), None)
    assert compare_answers(good, _tamper_row(other, 0, "state", "idle"), None)


def test_own_pid_is_not_some_other_pid():
    ctx = ServerContext(OidIdentities(), backend_pid=42)
    own = normalise(Answer([("pid", 23)], [("42",)]), ctx)
    other = normalise(Answer([("pid", 23)], [("43",)]), ServerContext(OidIdentities(), 43 + 1))
    assert compare_answers(own, other, order_keys=None)


def test_rules_document_their_reason():
    assert len({r.name for r in RULES}) == len(RULES)
    for rule in RULES:
        assert len(rule.reason) > 60, rule.name


def test_version_rule_keeps_the_major_version():
    ctx = ServerContext(OidIdentities())
    v15 = normalise(Answer([("version", 25)], [("PostgreSQL 15.8 on x86_64-pc-linux-gnu, "
                                                   "compiled by gcc 12, 64-bit",)]), ctx)
    v16 = normalise(Answer([("version", 25)], [("PostgreSQL 16.1 on aarch64, compiled by clang",)]),
                    ctx)
    assert v15.rows == [("PostgreSQL 15 <build>",)]
    assert compare_answers(v15, v16, order_keys=None)


def test_error_answers_compare_by_sqlstate():
    ok = Answer([("a", 23)], [("1",)])
    err = Answer([], [], ("42P01", 'relation "x" does not exist'))
    other_err = Answer([], [], ("0A000", "catalog emulation does not support x"))
    assert compare_answers(ok, err, order_keys=None)
    assert compare_answers(err, other_err, order_keys=None)
    assert compare_answers(err, Answer([], [], ("42P01", "different words")), order_keys=None) == []


def test_row_order_matters_only_under_top_level_order_by():
    a = Answer([("n", 19), ("k", 23)], [("x", "1"), ("y", "2")])
    b = Answer([("n", 19), ("k", 23)], [("y", "2"), ("x", "1")])
    assert compare_answers(a, b, order_keys=None) == []
    diffs = compare_answers(a, b, order_keys=[0])
    assert len(diffs) == 1 and diffs[0].startswith("same rows in a different order")
    assert not has_top_level_order_by("SELECT array_agg(a ORDER BY b) FROM t")
    assert not has_top_level_order_by("SELECT 'order by' FROM t")
    assert not has_top_level_order_by("SELECT a FROM (SELECT a FROM t ORDER BY a) s")
    assert has_top_level_order_by(PSQL_DT.sql)


def test_rows_tying_on_the_sort_keys_may_come_in_any_order():
    cols = [("name", 19), ("depth", 23)]
    a = Answer(cols, [("a", "2"), ("b", "1"), ("c", "1")])
    b = Answer(cols, [("a", "2"), ("c", "1"), ("b", "1")])
    wrong = Answer(cols, [("b", "1"), ("a", "2"), ("c", "1")])
    keys = order_key_columns("SELECT DISTINCT * FROM x ORDER BY depth DESC", cols)
    assert keys == [1]
    assert compare_answers(a, b, keys) == []
    assert compare_answers(a, wrong, keys)


def test_order_keys_resolve_ordinals_names_and_stop_at_expressions():
    cols = [("Schema", 19), ("Name", 19), ("oid", 26)]
    assert order_key_columns("SELECT ... ORDER BY 1,2", cols) == [0, 1]
    assert order_key_columns('SELECT ... ORDER BY n."Schema" DESC NULLS LAST, 2 LIMIT 3', cols) == [0, 1]
    assert order_key_columns("SELECT ... ORDER BY c.oid, lower(x), 2", cols) == [2]
    assert order_key_columns("SELECT ... ORDER BY lower(x), 1", cols) == []
    assert order_key_columns("SELECT a FROM (SELECT 1 ORDER BY 1) s", cols) is None


def test_oid_placeholders_round_trip():
    capture, replay = OidIdentities(), OidIdentities()
    capture.add(16390, "class:public.customers")
    replay.add(17001, "class:public.customers")
    sql = "SELECT 1 WHERE c.oid = '16390' AND x = 16390 AND y = 163900 AND z = 23"
    marked = oid_placeholders(sql, capture)
    assert marked == ("SELECT 1 WHERE c.oid = '{{oid:class:public.customers}}' "
                      "AND x = {{oid:class:public.customers}} AND y = 163900 AND z = 23")
    assert bind_oids(marked, replay) == sql.replace("16390'", "17001'").replace(
        "x = 16390", "x = 17001")
    assert oid_placeholders("'{16390,23}'", capture) == "'{{{oid:class:public.customers}},23}'"


def test_corpus_files_are_well_formed():
    directory = os.path.dirname(SCHEMA_SQL)
    for name in os.listdir(directory):
        if name.endswith(".json"):
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                items = json.load(f)
            keys = [(i["tool"], i["sql"], json.dumps(i["params"])) for i in items]
            assert len(keys) == len(set(keys)), "duplicates in %s" % name
            for item in items:
                assert set(item) == {"tool", "note", "sql", "params"}, name
                assert item["params"] is None or isinstance(item["params"], list)


# ------------------------------------------- one schema, two descriptions

def test_register_calls_describe_what_postgres_holds(twin_targets):
    """The riffq registration built from schema.py says what the DDL built
    from schema.py made in PostgreSQL: types, nullability, keys, comments."""
    from riffq._wire.pgtypes import type_from_name
    from catalog_corpus.schema import DATABASE, register_calls
    calls = register_calls()
    assert calls[0] == ("register_database", (DATABASE,), {})
    tables = [c for c in calls if c[0] == "register_table"]
    sql = ("SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid, "
           "a.attnotnull, COALESCE(a.attnum = ANY(k.conkey), false), "
           "pg_catalog.col_description(c.oid, a.attnum), pg_catalog.obj_description(c.oid, "
           "'pg_class'), c.relkind, pg_catalog.pg_get_viewdef(c.oid) IS NOT NULL "
           "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
           "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
           "LEFT JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p' "
           "WHERE n.nspname = $1 AND c.relname = $2 ORDER BY a.attnum")
    assert len(tables) == 5
    for _, (db, schema, table, columns), kwargs in tables:
        got = run_statement(twin_targets[0].conninfo, sql, [schema, table])
        assert got.error is None and len(got.rows) == len(columns), (table, got)
        for (name, fmt, typoid, notnull, pk, comment, tcomment, kind, isview), col in zip(
                got.rows, columns):
            (cname, spec), = col.items()
            assert cname == name
            assert type_from_name(spec["type"]).oid == int(typoid), (table, name)
            assert spec["type"].replace("integer", "int").replace("boolean", "bool") in (
                fmt.replace("integer", "int").replace("boolean", "bool").replace(
                    "character varying", "varchar").replace(
                    "timestamp with time zone", "timestamptz").replace(
                    "timestamp without time zone", "timestamp"),)
            assert spec["nullable"] == (notnull == "f")
            assert spec.get("primary_key", False) == (pk == "t")
            assert spec.get("comment") == comment
            assert kwargs.get("comment") == tcomment
            assert ("view_sql" in kwargs) == (kind == "v")
