"""The dependency-free result form and the type vocabulary behind it."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from riffq._wire import pgtypes as T
from riffq._wire.rowsource import describe, encode_rows
from riffq._wire.textformat import TextContext, timezone_from_name

# ---------------------------------------------------------------------------
# pgtypes
# ---------------------------------------------------------------------------

# (oid, typname, typlen, array oid) from PostgreSQL 15:
#   SELECT oid, typname, typlen, typarray FROM pg_type WHERE typname IN (...)
PG_TYPE_ROWS = [
    (16, "bool", 1, 1000), (17, "bytea", -1, 1001), (18, "char", 1, 1002), (19, "name", 64, 1003),
    (20, "int8", 8, 1016), (21, "int2", 2, 1005), (23, "int4", 4, 1007), (25, "text", -1, 1009),
    (26, "oid", 4, 1028), (114, "json", -1, 199), (700, "float4", 4, 1021), (701, "float8", 8, 1022),
    (705, "unknown", -2, 0), (1042, "bpchar", -1, 1014), (1043, "varchar", -1, 1015),
    (1082, "date", 4, 1182), (1083, "time", 8, 1183), (1114, "timestamp", 8, 1115),
    (1184, "timestamptz", 8, 1185), (1186, "interval", 16, 1187), (1266, "timetz", 12, 1270),
    (1700, "numeric", -1, 1231), (2950, "uuid", 16, 2951), (3802, "jsonb", -1, 3807),
]


@pytest.mark.parametrize("oid, name, typlen, array_oid", PG_TYPE_ROWS)
def test_catalog_matches_postgres(oid, name, typlen, array_oid):
    t = T.BY_OID[oid]
    assert (t.name, t.typlen, t.typmod, t.elem) == (name, typlen, -1, None)
    assert T.BY_NAME[name] is t
    if array_oid:
        arr = T.array_of(t)
        assert (arr.oid, arr.name, arr.typlen, arr.elem) == (array_oid, "_" + name, -1, t)
        assert T.BY_OID[array_oid] == arr
        assert T.array_of(arr) is arr  # no arrays of arrays in PostgreSQL
    else:
        with pytest.raises(ValueError):
            T.array_of(t)


@pytest.mark.parametrize(
    "spec, oid, typmod",
    [
        # the original riffq vocabulary
        ("int", 20, -1), ("float", 701, -1), ("bool", 16, -1), ("str", 25, -1), ("string", 25, -1),
        ("date", 1082, -1), ("datetime", 1114, -1), ("bytes", 17, -1), ("binary", 17, -1),
        ("decimal", 1700, -1), ("time", 1083, -1), ("timedelta", 1186, -1), ("uuid", 2950, -1),
        ("json", 114, -1), ("jsonb", 3802, -1), ("datetimetz", 1184, -1), ("timestamptz", 1184, -1),
        # PostgreSQL names; typmods as pg_attribute.atttypmod reports them
        ("integer", 23, -1), ("INT4", 23, -1), ("bigint", 20, -1), ("int8", 20, -1),
        ("smallint", 21, -1), ("int2", 21, -1), ("real", 700, -1), ("float4", 700, -1),
        ("double precision", 701, -1), ("Double  Precision", 701, -1), ("float8", 701, -1),
        ("numeric", 1700, -1), ("numeric(12,2)", 1700, 786438), ("NUMERIC( 12 , 2 )", 1700, 786438),
        ("decimal(5)", 1700, 327684), ("numeric(5,-2)", 1700, 329730), ("decimal(7,3)", 1700, 458759),
        ("varchar", 1043, -1), ("varchar(10)", 1043, 14), ("character varying(10)", 1043, 14),
        ("char(3)", 1042, 7), ("character(3)", 1042, 7), ("char", 1042, 5), ("character", 1042, 5),
        ("bpchar", 1042, -1), ('"char"', 18, -1), ("text", 25, -1), ("boolean", 16, -1),
        ("bytea", 17, -1), ("timestamp", 1114, -1), ("timestamp without time zone", 1114, -1),
        ("timestamp with time zone", 1184, -1), ("timestamp(2)", 1114, 2),
        ("timestamp(0) with time zone", 1184, 0), ("time(3)", 1083, 3), ("time with time zone", 1266, -1),
        ("time without time zone", 1083, -1), ("timetz", 1266, -1), ("time(4) with time zone", 1266, 4),
        ("interval", 1186, -1), ("interval(3)", 1186, 2147418115), ("oid", 26, -1), ("name", 19, -1),
        ("float(10)", 700, -1), ("float(30)", 701, -1), ("unknown", 705, -1),
        # arrays
        ("int[]", 1016, -1), ("integer[]", 1007, -1), ("text[]", 1009, -1), ("int4[][]", 1007, -1),
        ("varchar(10)[]", 1015, 14), ("numeric(7,3)[]", 1231, 458759), ("bigint ARRAY", 1016, -1),
        ("timestamp with time zone[]", 1185, -1), ("_int4", 1007, -1), ("uuid[3]", 2951, -1),
        ("jsonb[]", 3807, -1), ("bool[]", 1000, -1), ("double precision[]", 1022, -1),
    ],
)
def test_type_from_name(spec, oid, typmod):
    t = T.type_from_name(spec)
    assert (t.oid, t.typmod) == (oid, typmod)
    if t.elem is not None:
        assert t.elem.typmod == typmod


@pytest.mark.parametrize("spec", ["integr", "", "   ", "varchar(0)", "numeric(0)", "numeric(1001)", "time(7)",
                                  "text(5)", "int[", "foo[]", "unknown[]", "double", "timestamp with zone"])
def test_type_from_name_rejects(spec):
    with pytest.raises(ValueError) as info:
        T.type_from_name(spec)
    assert repr(spec) in str(info.value)


def test_with_typmod_and_frozen():
    t = T.with_typmod(T.VARCHAR_ARRAY, 14)
    assert t.typmod == 14 and t.elem.typmod == 14 and T.VARCHAR_ARRAY.typmod == -1
    with pytest.raises(Exception):
        T.INT4.oid = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        (True, T.BOOL),
        (1, T.INT8),
        (1.5, T.FLOAT8),
        (Decimal("1"), T.NUMERIC),
        ("x", T.TEXT),
        (b"x", T.BYTEA),
        (bytearray(b"x"), T.BYTEA),
        (memoryview(b"x"), T.BYTEA),
        (dt.datetime(2024, 1, 1), T.TIMESTAMP),
        (dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), T.TIMESTAMPTZ),
        (dt.date(2024, 1, 1), T.DATE),
        (dt.time(1, 2), T.TIME),
        (dt.time(1, 2, tzinfo=dt.timezone.utc), T.TIMETZ),
        (dt.timedelta(1), T.INTERVAL),
        (uuid.UUID(int=5), T.UUID),
        ({"a": 1}, T.JSON),
        ([1, 2], T.INT8_ARRAY),
        ((None, "a"), T.TEXT_ARRAY),
        ([None, [None, True]], T.BOOL_ARRAY),
        ([], T.TEXT_ARRAY),
        ([None], T.TEXT_ARRAY),
        ([dt.date(2024, 1, 1)], T.DATE_ARRAY),
        ([{"a": 1}], T.JSON_ARRAY),
        (object(), T.TEXT),
    ],
)
def test_infer_type(value, expected):
    assert T.infer_type(value) == expected


# ---------------------------------------------------------------------------
# describe
# ---------------------------------------------------------------------------


def test_describe_declared_and_inferred_types():
    schema = [
        {"name": "id", "type": "int"},
        {"name": "price", "type": "numeric(10,2)"},
        {"name": "guess"},
        {"name": "none", "type": None},
        {"name": "unk", "type": "unknown"},
        {"name": "tags", "type": "text[]"},
        {"name": "lists"},
        {"name": "nulls"},
        {"name": "given", "type": T.UUID},
    ]
    rows = iter([
        (1, Decimal("1.50"), None, None, None, ["a"], [], None, None),
        (2, Decimal("2.00"), 2.5, "x", dt.date(2024, 1, 1), None, [None, 3], None, uuid.UUID(int=1)),
    ])
    columns, out = describe(schema, rows)
    assert [n for n, _ in columns] == ["id", "price", "guess", "none", "unk", "tags", "lists", "nulls", "given"]
    types = [t for _, t in columns]
    assert types[0] == T.INT8
    assert (types[1].oid, types[1].typmod) == (1700, ((10 << 16) | 2) + 4)
    assert types[2] == T.FLOAT8
    assert types[3] == T.TEXT
    assert types[4] == T.DATE
    assert types[5] == T.TEXT_ARRAY
    assert types[6] == T.INT8_ARRAY  # the empty list does not decide
    assert types[7] == T.TEXT
    assert types[8] == T.UUID
    assert isinstance(out, list) and len(out) == 2


def test_describe_empty_lists_only_is_text_array():
    columns, _ = describe([{"name": "a"}], [([],), ([None],)])
    assert columns[0][1] == T.TEXT_ARRAY


def test_describe_dict_rows():
    columns, rows = describe([{"name": "a", "type": "int"}, {"name": "b"}], [{"a": 1, "b": "x"}, {"b": "y"}])
    assert rows == [(1, "x"), (None, "y")]
    assert columns[1][1] == T.TEXT


def test_describe_no_rows():
    columns, rows = describe([{"name": "a"}, {"name": "b", "type": "float"}], [])
    assert columns == [("a", T.TEXT), ("b", T.FLOAT8)]
    assert rows == []
    assert describe([], [])[0] == []
    assert describe([{"name": "a"}], None)[1] == []


def test_describe_accepts_generators_of_lists():
    columns, rows = describe([{"name": "n"}], ([i] for i in range(3)))
    assert rows == [[0], [1], [2]]
    assert columns == [("n", T.INT8)]


@pytest.mark.parametrize(
    "schema, rows, message",
    [
        ({"name": "a"}, [], "schema must be a list"),
        ("a", [], "schema must be a list"),
        ([{"type": "int"}], [], "schema entry 0 must be a dict with a 'name' key"),
        (["a"], [], "schema entry 0 must be a dict"),
        ([{"name": 1}], [], "column name must be a string"),
        ([{"name": "a", "type": "integr"}], [], "column 0 ('a'): unknown PostgreSQL type 'integr'"),
        ([{"name": "a", "type": 5}], [], "type must be a string"),
        ([{"name": "a"}, {"name": "b"}], [(1, 2), (1,)], "row 1 has 1 values but the schema has 2 columns"),
        ([{"name": "a"}], [(1, 2)], "row 0 has 2 values but the schema has 1 columns"),
        ([{"name": "a"}], [5], "row 0 must be a tuple, list or dict, got int"),
        ([{"name": "a"}], ["abc"], "row 0 must be a tuple, list or dict, got str"),
        ([{"name": "a"}], [{"b": 1}], "row 0 has keys that are not columns: 'b'"),
        ([{"name": "a"}], 5, "rows must be an iterable"),
    ],
)
def test_describe_errors(schema, rows, message):
    with pytest.raises(ValueError) as info:
        describe(schema, rows)
    assert message in str(info.value)


# ---------------------------------------------------------------------------
# encode_rows
# ---------------------------------------------------------------------------


def test_encode_rows_text_values():
    schema = [
        {"name": "i", "type": "int"},
        {"name": "f", "type": "float"},
        {"name": "b", "type": "bool"},
        {"name": "s", "type": "str"},
        {"name": "d", "type": "date"},
        {"name": "ts", "type": "datetime"},
        {"name": "tz", "type": "timestamptz"},
        {"name": "arr", "type": "int[]"},
    ]
    rows = [
        (1, 0.1, True, "héllo", dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5, 600000),
         dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc), [1, None]),
        (None, None, None, None, None, None, None, None),
    ]
    columns, rows = describe(schema, rows)
    ctx = TextContext(timezone_from_name("Asia/Kolkata"))
    out = encode_rows(columns, rows, ctx)
    assert out[0] == [b"1", b"0.1", b"t", "héllo".encode(), b"2024-01-02", b"2024-01-02 03:04:05.6",
                      b"2024-01-02 05:30:00+05:30", b"{1,NULL}"]
    assert out[1] == [None] * 8


def test_encode_rows_other_encoding():
    columns, rows = describe([{"name": "s"}], [("é",)])
    assert encode_rows(columns, rows, TextContext(), "latin-1") == [[b"\xe9"]]
    with pytest.raises(UnicodeEncodeError):
        encode_rows(columns, [("€",)], TextContext(), "latin-1")


def test_encode_rows_reports_column_row_and_type():
    columns, rows = describe([{"name": "a", "type": "int"}, {"name": "when", "type": "date"}],
                             [(1, dt.date(2024, 1, 1)), (2, dt.date(2024, 1, 1)), (3, 12345)])
    with pytest.raises(ValueError) as info:
        encode_rows(columns, rows, TextContext())
    msg = str(info.value)
    assert "'when'" in msg and "row 2" in msg and "int" in msg and "date" in msg


def test_encode_rows_checks_row_width_and_accepts_dicts():
    columns = [("a", T.INT8), ("b", T.TEXT)]
    with pytest.raises(ValueError, match="row 0 has 1 values"):
        encode_rows(columns, [(1,)], TextContext())
    assert encode_rows(columns, [{"a": 1, "b": "x"}], TextContext()) == [[b"1", b"x"]]


def test_inferred_columns_encode():
    columns, rows = describe(
        [{"name": "x"}, {"name": "y"}, {"name": "z"}],
        [(1.5, {"k": [1, 2]}, [dt.date(2024, 1, 1), None])],
    )
    assert [t for _, t in columns] == [T.FLOAT8, T.JSON, T.DATE_ARRAY]
    assert encode_rows(columns, rows, TextContext()) == [[b"1.5", b'{"k": [1, 2]}', b"{2024-01-01,NULL}"]]
