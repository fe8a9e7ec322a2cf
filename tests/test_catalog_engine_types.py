"""Catalog types' text and binary output, byte for byte against PostgreSQL 15.

The reference bytes come from the real server's own output and ``*send``
functions, so a mismatch here is a wire-level bug a driver would see.
"""
from __future__ import annotations

import ipaddress

import psycopg
import pytest

from riffq._wire import pgtypes as T
from riffq._wire.binformat import SUPPORTED_BINARY, binary_encoder_for
from riffq._wire.textformat import encoder_for


@pytest.fixture(scope="module")
def pg(real_pg):
    with psycopg.connect(real_pg.dsn, autocommit=True) as conn:
        yield conn


def _pg_text_and_send(pg, literal: str, typname: str, send: str):
    """The type's own output function (a cast to text may differ: inet's
    adds the mask) and its send function, applied to one literal."""
    out = pg.execute("SELECT typoutput::text FROM pg_type WHERE typname = %s", (typname,)).fetchone()[0]
    row = pg.execute("SELECT %s((%s)::%s)::text, %s((%s)::%s)"
                     % (out, literal, typname, send, literal, typname)).fetchone()
    return row[0], bytes(row[1])


@pytest.mark.parametrize("typ,value,literal,send", [
    (T.INT2VECTOR, [1, 2, 3], "'1 2 3'", "int2vectorsend"),
    (T.INT2VECTOR, [], "''", "int2vectorsend"),
    (T.INT2VECTOR, [-5], "'-5'", "int2vectorsend"),
    (T.OIDVECTOR, [23, 25, 4294967295], "'23 25 4294967295'", "oidvectorsend"),
    (T.OIDVECTOR, [], "''", "oidvectorsend"),
    (T.XID, 4000000000, "'4000000000'", "xidsend"),
    (T.CID, 7, "'7'", "cidsend"),
    (T.XID8, 2 ** 40, "'%d'" % 2 ** 40, "xid8send"),
    (T.TID, (0, 1), "'(0,1)'", "tidsend"),
    (T.TID, (4294967295, 65535), "'(4294967295,65535)'", "tidsend"),
    (T.PG_LSN, 0x16B3748, "'0/16B3748'", "pg_lsn_send"),
    (T.PG_LSN, (0xAB << 32) | 0xC, "'AB/C'", "pg_lsn_send"),
    (T.INET, ipaddress.ip_address("127.0.0.1"), "'127.0.0.1'", "inet_send"),
    (T.INET, ipaddress.ip_interface("10.1.2.3/8"), "'10.1.2.3/8'", "inet_send"),
    (T.INET, ipaddress.ip_address("::1"), "'::1'", "inet_send"),
    (T.INET, ipaddress.ip_network("192.168.0.0/16"), "'192.168.0.0/16'", "inet_send"),
    (T.PG_NODE_TREE, "{CONST :consttype 23}", "'{CONST :consttype 23}'::text", "textsend"),
])
def test_catalog_scalar_matches_postgres(pg, typ, value, literal, send) -> None:
    # pg_node_tree has no input function: compare with text's output/send instead
    typname = "text" if typ is T.PG_NODE_TREE else typ.name
    text, data = _pg_text_and_send(pg, literal, typname, send)
    assert encoder_for(typ)(value) == text
    assert binary_encoder_for(typ)(value) == data


@pytest.mark.parametrize("typ,oid,name", [
    (T.REGCLASS, 1259, "pg_class"),
    (T.REGTYPE, 23, "integer"),
    (T.REGTYPE, 1043, "character varying"),
    (T.REGPROC, 1242, "boolin"),
    (T.REGNAMESPACE, 11, "pg_catalog"),
    (T.REGROLE, 10, "postgres"),
    (T.REGPROCEDURE, 1242, "boolin(cstring)"),
    (T.REGCOLLATION, 950, '"C"'),
])
def test_reg_types_print_names_and_send_oids(pg, typ, oid, name) -> None:
    row = pg.execute("SELECT %d::oid::%s::text, %ssend(%d::oid::%s)"
                     % (oid, typ.name, typ.name, oid, typ.name)).fetchone()
    assert row[0] == name
    assert encoder_for(typ)(T.OidName(oid, name)) == row[0]
    assert binary_encoder_for(typ)(T.OidName(oid, name)) == bytes(row[1])
    assert binary_encoder_for(typ)(oid) == bytes(row[1])


def test_reg_oid_without_name_prints_like_postgres(pg) -> None:
    assert pg.execute("SELECT 0::regclass::text, 99999::regclass::text").fetchone() == ("-", "99999")
    enc = encoder_for(T.REGCLASS)
    assert (enc(0), enc(99999)) == ("-", "99999")


def test_catalog_arrays_match_postgres(pg) -> None:
    cases = [
        (T.array_of(T.REGTYPE), [T.OidName(23, "integer"), T.OidName(25, "text")],
         "ARRAY[23, 25]::oid[]::regtype[]", "array_send"),
        (T.NAME_ARRAY, ["pg_catalog", "public"], "ARRAY['pg_catalog', 'public']::name[]", "array_send"),
        (T.CHAR_ARRAY, ["i", "o"], "ARRAY['i', 'o']::\"char\"[]", "array_send"),
        (T.INT2_ARRAY, [1, 3], "ARRAY[1, 3]::int2[]", "array_send"),
    ]
    for typ, value, expr, send in cases:
        text, data = pg.execute("SELECT (%s)::text, %s(%s)" % (expr, send, expr)).fetchone()
        assert encoder_for(typ)(value) == text
        assert binary_encoder_for(typ)(value) == bytes(data)


def test_aclitem_text_only(pg) -> None:
    text = pg.execute("SELECT datacl::text FROM pg_database WHERE datname = 'template1'").fetchone()[0]
    value = pg.execute("SELECT datacl::text[] FROM pg_database WHERE datname = 'template1'").fetchone()[0]
    assert encoder_for(T.ACLITEM_ARRAY)(value) == text
    # PostgreSQL has no binary output for aclitem; neither do we
    assert T.ACLITEM.oid not in SUPPORTED_BINARY and T.ACLITEM_ARRAY.oid not in SUPPORTED_BINARY
    with pytest.raises(psycopg.errors.UndefinedFunction):
        pg.cursor(binary=True).execute("SELECT datacl FROM pg_database")


def test_catalog_types_parse_by_name() -> None:
    assert T.type_from_name("regclass") is T.REGCLASS
    assert T.type_from_name("oidvector") is T.OIDVECTOR
    assert T.type_from_name("aclitem[]").oid == 1034
    assert T.type_from_name("_regtype").elem is T.REGTYPE


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError):
        binary_encoder_for(T.OIDVECTOR)("1 2")
    with pytest.raises(ValueError):
        binary_encoder_for(T.INT2VECTOR)([70000])
    with pytest.raises(ValueError):
        binary_encoder_for(T.INET)("not an address")
    with pytest.raises(ValueError):
        binary_encoder_for(T.TID)((1,))
