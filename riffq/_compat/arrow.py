"""Optional pyarrow support: Arrow results in, PostgreSQL text out.

pyarrow is an optional dependency (``riffq[arrow]``), so it is imported
lazily and only when an Arrow result is actually seen.  Detection
(:func:`is_arrow_result`) never imports it.
"""
from __future__ import annotations

import datetime as _dt
import struct
import uuid as _uuid
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from .._wire import pgtypes as T
from .._wire.pgtypes import PgType
from .._wire.textformat import TextContext, encoder_for, format_numeric
from .._wire.pginterval import PgInterval

__all__ = [
    "pa",
    "is_arrow_result",
    "open_reader",
    "pg_type_for_arrow",
    "columns_for_schema",
    "encode_batch_text",
    "to_arrow_capsule",
]

Column = Tuple[str, PgType]

_INSTALL_HINT = "pyarrow is needed for Arrow results; install it with: pip install 'riffq[arrow]'"


def pa() -> Any:
    """Import pyarrow on first use, with an install hint when it is missing."""
    try:
        import pyarrow
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return pyarrow


_pa = pa


def _pc() -> Any:
    """pyarrow.compute, imported at the first call and kept: the encoders
    ask for it many times per chunk, and an import statement costs a
    microsecond or two each time."""
    global _compute
    if _compute is None:
        pa()
        import pyarrow.compute as pc

        _compute = pc
    return _compute


_compute: Any = None


# ---------------------------------------------------------------------------
# detection and readers
# ---------------------------------------------------------------------------

_STREAM_CAPSULE = b"arrow_array_stream"


def _capsule_is_stream(obj: Any) -> bool:
    """Check a PyCapsule's name without pyarrow (via the C API)."""
    try:
        import ctypes

        is_valid = ctypes.pythonapi.PyCapsule_IsValid
        is_valid.restype = ctypes.c_int
        is_valid.argtypes = [ctypes.py_object, ctypes.c_char_p]
        return bool(is_valid(obj, _STREAM_CAPSULE))
    except (ImportError, AttributeError, OSError):  # pragma: no cover - exotic runtimes
        return True


def _looks_like_ipc_stream(data: Any) -> bool:
    """Arrow IPC stream framing: [0xFFFFFFFF] <int32 metadata length> <flatbuffer>.

    Metadata is padded to 8 bytes, which keeps random byte strings from
    being mistaken for a stream.
    """
    try:
        head = bytes(memoryview(data)[:12])
    except TypeError:
        return False
    size = memoryview(data).nbytes
    if len(head) < 8:
        return False
    if head[:4] == b"\xff\xff\xff\xff":
        (length,) = struct.unpack("<i", head[4:8])
        return length > 0 and length % 8 == 0 and 8 + length <= size
    # legacy (pre 0.15) framing without the continuation marker
    (length,) = struct.unpack("<i", head[:4])
    if length <= 0 or (length + 4) % 8 != 0 or 4 + length > size:
        return False
    (root,) = struct.unpack("<I", head[4:8])
    return 4 <= root < length


def is_arrow_result(obj: Any) -> bool:
    """True if a handler's return value is Arrow data rather than rows.

    Recognises ``arrow_array_stream`` capsules, objects implementing the
    Arrow PyCapsule interface (``__arrow_c_stream__``: pyarrow, polars,
    pandas, duckdb ...) and Arrow IPC stream bytes.
    """
    if type(obj).__name__ == "PyCapsule":
        return _capsule_is_stream(obj)
    if hasattr(type(obj), "__arrow_c_stream__"):
        return True
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return _looks_like_ipc_stream(obj)
    return False


def open_reader(obj: Any) -> Any:
    """Return a ``pyarrow.RecordBatchReader`` over any Arrow result."""
    p = pa()
    if type(obj).__name__ == "PyCapsule":
        return p.RecordBatchReader._import_from_c_capsule(obj)
    if isinstance(obj, p.RecordBatchReader):
        return obj
    if isinstance(obj, p.Table):
        return obj.to_reader()
    if isinstance(obj, p.RecordBatch):
        return p.RecordBatchReader.from_batches(obj.schema, [obj])
    if hasattr(type(obj), "__arrow_c_stream__"):
        from_stream = getattr(p.RecordBatchReader, "from_stream", None)
        if from_stream is not None:
            return from_stream(obj)
        return p.RecordBatchReader._import_from_c_capsule(obj.__arrow_c_stream__())
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return p.ipc.open_stream(p.py_buffer(obj))
    raise TypeError(
        "expected an Arrow stream (PyCapsule 'arrow_array_stream', an object with "
        "__arrow_c_stream__, or Arrow IPC stream bytes), got %s" % type(obj).__name__
    )


# ---------------------------------------------------------------------------
# Arrow type -> PostgreSQL type
# ---------------------------------------------------------------------------


def _is(types: Any, name: str, dt: Any) -> bool:
    fn = getattr(types, name, None)
    return bool(fn is not None and fn(dt))


def _is_month_day_nano(p: Any, dt: Any) -> bool:
    """Arrow's interval of months, days and nanoseconds (DuckDB's INTERVAL;
    ``types.is_interval`` would take the other interval types too, whose
    values are not made of those three fields)."""
    mdn = getattr(p, "month_day_nano_interval", None)
    return mdn is not None and dt == mdn()


def _ext_base(p: Any) -> Any:
    """Base class of every extension type (canonical ones like uuid too)."""
    return getattr(p, "BaseExtensionType", p.ExtensionType)


def _is_uuid_type(p: Any, dt: Any) -> bool:
    uuid_type = getattr(p, "UuidType", None)
    if uuid_type is not None and isinstance(dt, uuid_type):
        return True
    return getattr(dt, "extension_name", None) == "arrow.uuid"


def _is_list_like(types: Any, dt: Any) -> bool:
    return any(
        _is(types, n, dt)
        for n in ("is_list", "is_large_list", "is_fixed_size_list", "is_list_view", "is_large_list_view")
    )


def pg_type_for_arrow(dt: Any) -> PgType:
    """The PostgreSQL column type announced for an Arrow data type.

    Unsigned types widen to the next signed type (uint64 to numeric) so no
    value is out of range for the client; anything without a natural
    PostgreSQL counterpart is sent as text.
    """
    p = pa()
    t = p.types
    if isinstance(dt, _ext_base(p)):
        if _is_uuid_type(p, dt):
            return T.UUID
        return pg_type_for_arrow(dt.storage_type)
    if t.is_dictionary(dt):
        return pg_type_for_arrow(dt.value_type)
    if _is(t, "is_run_end_encoded", dt):
        return pg_type_for_arrow(dt.value_type)
    if t.is_boolean(dt):
        return T.BOOL
    if t.is_integer(dt):
        if t.is_int8(dt) or t.is_int16(dt) or t.is_uint8(dt):
            return T.INT2
        if t.is_int32(dt) or t.is_uint16(dt):
            return T.INT4
        if t.is_int64(dt) or t.is_uint32(dt):
            return T.INT8
        return T.NUMERIC  # uint64
    if t.is_float16(dt) or t.is_float32(dt):
        return T.FLOAT4
    if t.is_float64(dt):
        return T.FLOAT8
    if t.is_decimal(dt):
        try:
            return T.with_typmod(T.NUMERIC, T.numeric_typmod(dt.precision, dt.scale))
        except ValueError:
            return T.NUMERIC
    if t.is_string(dt) or t.is_large_string(dt) or _is(t, "is_string_view", dt):
        return T.TEXT
    if (
        t.is_binary(dt)
        or t.is_large_binary(dt)
        or t.is_fixed_size_binary(dt)
        or _is(t, "is_binary_view", dt)
    ):
        return T.BYTEA
    if t.is_date(dt):
        return T.DATE
    if t.is_time(dt):
        return T.TIME
    if t.is_timestamp(dt):
        return T.TIMESTAMPTZ if dt.tz is not None else T.TIMESTAMP
    if t.is_duration(dt) or _is_month_day_nano(p, dt):
        return T.INTERVAL
    if _is_list_like(t, dt):
        elem = pg_type_for_arrow(dt.value_type)
        try:
            return T.array_of(elem)
        except ValueError:
            return T.TEXT_ARRAY
    if t.is_struct(dt) or t.is_map(dt):
        return T.JSON
    return T.TEXT


def columns_for_schema(schema: Any) -> List[Column]:
    """``(name, PgType)`` for every field of an Arrow schema."""
    return [(field.name, pg_type_for_arrow(field.type)) for field in schema]


class SchemaFacts(NamedTuple):
    """What riffq works out once per distinct Arrow schema."""
    #: ``columns_for_schema`` as a tuple, the same object for every equal
    #: schema: RowDescriptions and encoders are found by its identity
    #: (``results.row_description``)
    columns: Tuple[Column, ...]
    #: every column's ``to_pylist`` values go to the text encoders as they
    #: are (``_types_as_listed``), so a few rows can be listed row by row
    listable: bool


def schema_facts(schema: Any) -> SchemaFacts:
    """The facts of ``schema``, remembered: handlers answer with the same
    few schemas again and again. Hashing a pyarrow schema formats every
    field's type (1.4 microseconds for two columns), so the schema seen
    last is compared first (``Schema.equals``, 0.06 microseconds): a
    DuckDB handler's answers are new schema objects each time, equal to
    the one before. Schemas that differ only in metadata or nullability
    have equal facts."""
    last_schema, last_facts = _last_facts
    if last_schema is not None:
        try:
            if schema is last_schema or schema.equals(last_schema):
                return last_facts
        except Exception:       # not a pyarrow schema: the long way
            pass
    try:
        known = _remembered.get(schema)
    except TypeError:       # a schema that cannot be hashed: kept as the last one only
        known = _work_out(schema)
    else:
        if known is None:
            known = _work_out(schema)
            if len(_remembered) >= 256:
                _remembered.clear()
            _remembered[schema] = known
    _remember_last(schema, known)
    return known


def remembered_columns(schema: Any) -> Tuple[Column, ...]:
    """``columns_for_schema`` as one tuple per distinct schema (see
    ``schema_facts``)."""
    return schema_facts(schema).columns


def _work_out(schema: Any) -> SchemaFacts:
    columns = tuple(columns_for_schema(schema))
    try:
        listed = _types_as_listed(pa())
        listable = all(field.type in listed for field in schema)
    except TypeError:       # a user's extension type: pyarrow makes them unhashable
        listable = False
    return SchemaFacts(columns, listable)


def _remember_last(schema: Any, facts: SchemaFacts) -> None:
    global _last_facts
    _last_facts = (schema, facts)     # one tuple: read whole by other threads


_remembered: Dict[Any, SchemaFacts] = {}
_last_facts: Tuple[Any, Any] = (None, None)


# ---------------------------------------------------------------------------
# encoding record batches
# ---------------------------------------------------------------------------


def _us_type(p: Any, dt: Any) -> Any:
    """``dt`` with nanosecond temporal types replaced by microseconds
    (PostgreSQL's resolution; Python's datetime cannot hold nanoseconds)."""
    t = p.types
    if t.is_timestamp(dt):
        return p.timestamp("us", dt.tz) if dt.unit == "ns" else dt
    if t.is_time64(dt):
        return p.time64("us") if dt.unit == "ns" else dt
    if t.is_duration(dt):
        return p.duration("us") if dt.unit == "ns" else dt
    if t.is_list(dt):
        return p.list_(dt.value_field.with_type(_us_type(p, dt.value_type)))
    if t.is_large_list(dt):
        return p.large_list(dt.value_field.with_type(_us_type(p, dt.value_type)))
    if t.is_fixed_size_list(dt):
        return p.list_(dt.value_field.with_type(_us_type(p, dt.value_type)), dt.list_size)
    if _is(t, "is_list_view", dt):
        return p.list_view(dt.value_field.with_type(_us_type(p, dt.value_type)))
    if _is(t, "is_large_list_view", dt):
        return p.large_list_view(dt.value_field.with_type(_us_type(p, dt.value_type)))
    if t.is_struct(dt):
        return p.struct([f.with_type(_us_type(p, f.type)) for f in dt])
    if t.is_map(dt):
        return p.map_(
            dt.key_field.with_type(_us_type(p, dt.key_type)),
            dt.item_field.with_type(_us_type(p, dt.item_type)),
        )
    return dt


def _plain_array(p: Any, arr: Any) -> Any:
    """Decode dictionary/run-end/extension wrappers and chunking."""
    if isinstance(arr, p.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    dt = arr.type
    if isinstance(dt, _ext_base(p)):
        if _is_uuid_type(p, dt):
            return arr
        return _plain_array(p, arr.storage)
    if p.types.is_dictionary(dt):
        return _plain_array(p, arr.dictionary_decode())
    if _is(p.types, "is_run_end_encoded", dt):
        return _plain_array(p, _pc().run_end_decode(arr))
    return arr


def _py_converter(p: Any, dt: Any) -> Optional[Callable[[Any], Any]]:
    """Post-process ``to_pylist`` values so JSON columns get dicts: maps come
    back as lists of (key, value) pairs, and may be nested anywhere."""
    t = p.types
    if t.is_map(dt):
        kc = _py_converter(p, dt.key_type)
        ic = _py_converter(p, dt.item_type)

        def conv_map(v: Any) -> Any:
            return {
                (kc(k) if kc and k is not None else k): (ic(x) if ic and x is not None else x)
                for k, x in v
            }

        return conv_map
    if t.is_struct(dt):
        convs = [(f.name, _py_converter(p, f.type)) for f in dt]
        if all(c is None for _, c in convs):
            return None
        active = [(n, c) for n, c in convs if c is not None]

        def conv_struct(v: Any) -> Any:
            v = dict(v)
            for name, c in active:
                x = v.get(name)
                if x is not None:
                    v[name] = c(x)
            return v

        return conv_struct
    if _is_list_like(t, dt):
        ec = _py_converter(p, dt.value_type)
        if ec is None:
            return None
        return lambda v: [None if x is None else ec(x) for x in v]
    if t.is_dictionary(dt):
        return _py_converter(p, dt.value_type)
    if _is_month_day_nano(p, dt):
        # month_day_nano_interval (DuckDB's INTERVAL): PostgreSQL's three
        # fields, the nanoseconds floored to microseconds as for timestamps
        return lambda v: PgInterval(v.months, v.days, v.nanoseconds // 1000)
    return None


def _strings_to_bytes(p: Any, s: Any, encoding: str, utf8: bool) -> List[Optional[bytes]]:
    if p.types.is_binary(s.type):  # already in the client encoding
        return s.to_pylist()
    if utf8:
        dt = s.type
        if p.types.is_large_string(dt):
            target = p.large_binary()
        elif _is(p.types, "is_string_view", dt):
            target = p.binary_view()
        else:
            target = p.binary()
        return s.cast(target).to_pylist()
    return [None if v is None else v.encode(encoding) for v in s.to_pylist()]


def _floor_us(p: Any, arr: Any) -> Any:
    """timestamp[ns] -> timestamp[us] rounding toward the past, so the text
    is the nanosecond value with its last three digits cut off (a plain
    cast truncates toward 1970 and would turn 1969-12-31 23:59:59.999999999
    into 1970-01-01 00:00:00)."""
    pc = _pc()
    ns = arr.cast(p.int64())
    q = pc.divide(ns, 1000)  # integer division truncates toward zero
    q = pc.subtract(q, pc.cast(pc.less(pc.subtract(ns, pc.multiply(q, 1000)), 0), p.int64()))
    return q.cast(p.timestamp("us", arr.type.tz))


def _to_us(p: Any, arr: Any) -> Any:
    """Replace nanosecond temporal values (also nested) by microseconds."""
    dt = arr.type
    target = _us_type(p, dt)
    if target.equals(dt):
        return arr
    t = p.types
    if t.is_timestamp(dt):
        return _floor_us(p, arr)
    if arr.offset:
        # from_arrays() cannot combine a null mask with sliced offsets
        arr = p.concat_arrays([arr])
    if t.is_list(dt) or t.is_large_list(dt):
        return type(arr).from_arrays(arr.offsets, _to_us(p, arr.values), mask=arr.is_null())
    if _is(t, "is_list_view", dt) or _is(t, "is_large_list_view", dt):
        # list views cannot be cast (and casting them to lists loses values
        # in some pyarrow versions): rebuild around converted values
        return type(arr).from_arrays(arr.offsets, arr.sizes, _to_us(p, arr.values), mask=arr.is_null())
    if t.is_struct(dt):
        children = [_to_us(p, arr.field(i)) for i in range(dt.num_fields)]
        fields = [dt.field(i).with_type(c.type) for i, c in enumerate(children)]
        return p.StructArray.from_arrays(children, fields=fields, mask=arr.is_null())
    try:
        return arr.cast(target, safe=False)
    except (p.ArrowNotImplementedError, p.ArrowInvalid):
        return arr


_TYPES_AS_LISTED: Optional[frozenset] = None


def _types_as_listed(p: Any) -> frozenset:
    """Arrow types whose ``to_pylist`` values the encoders take as they are
    (no nanoseconds to cut, no maps to turn into dicts)."""
    global _TYPES_AS_LISTED
    if _TYPES_AS_LISTED is None:
        _TYPES_AS_LISTED = frozenset([
            p.bool_(), p.int8(), p.int16(), p.int32(), p.int64(), p.uint8(), p.uint16(),
            p.uint32(), p.uint64(), p.float32(), p.float64(), p.string(), p.large_string(),
            p.binary(), p.large_binary(), p.date32(), p.timestamp("us")])
    return _TYPES_AS_LISTED


def _python_values(p: Any, arr: Any, t: PgType) -> List[Any]:
    dt = arr.type
    if dt in _types_as_listed(p):
        return arr.to_pylist()
    if p.types.is_timestamp(dt) and dt.tz is not None and t.oid == T.TIMESTAMPTZ.oid:
        # naive UTC wall clock: the timestamptz encoder treats naive as UTC,
        # and this avoids building tzinfo objects for every value
        arr = (_floor_us(p, arr) if dt.unit == "ns" else arr).cast(p.timestamp("us"))
    else:
        arr = _to_us(p, arr)
    values = arr.to_pylist()
    conv = _py_converter(p, arr.type)
    if conv is not None:
        values = [None if v is None else conv(v) for v in values]
    return values


def _encode_column(
    arr: Any,
    t: PgType,
    ctx: TextContext,
    encoding: str = "utf-8",
    fast: bool = True,
    name: str = "?",
) -> List[Optional[bytes]]:
    """Text-encode one Arrow column; ``fast=False`` forces the per-value path
    (the tests check both give identical bytes)."""
    p = pa()
    arr = _plain_array(p, arr)
    utf8 = encoding.replace("_", "-").lower() in ("utf-8", "utf8")
    if p.types.is_null(arr.type):
        return [None] * len(arr)
    if fast:
        from .arrow_text import text_fields

        try:
            s = text_fields(arr, t, ctx, encoding)
        except p.ArrowException:
            s = None  # e.g. overflow scaling seconds to microseconds
        if s is not None:
            return _strings_to_bytes(p, s, encoding, utf8)
    try:
        values = _python_values(p, arr, t)
    except (ValueError, OverflowError, p.ArrowException) as exc:
        raise ValueError(
            "cannot convert Arrow column %r (%s) to Python values: %s" % (name, arr.type, exc)
        ) from exc
    enc = encoder_for(t, ctx)
    try:
        if utf8:
            return [None if v is None else enc(v).encode() for v in values]
        return [None if v is None else enc(v).encode(encoding) for v in values]
    except UnicodeEncodeError:
        raise
    except (TypeError, ValueError, OverflowError, AttributeError, ArithmeticError) as exc:
        for n, v in enumerate(values):
            if v is None:
                continue
            try:
                enc(v)
            except Exception:  # noqa: BLE001 - re-reported with context
                raise ValueError(
                    "cannot encode column %r (type %s) in row %d: %s value: %s"
                    % (name, t.name, n, type(v).__name__, exc)
                ) from exc
        raise


def encode_batch_text(
    batch: Any, columns: Sequence[Column], ctx: TextContext, encoding: str = "utf-8"
) -> List[List[Optional[bytes]]]:
    """Rows of PostgreSQL text values (bytes, None for NULL) for a batch.

    Works column by column so simple types are converted by Arrow compute
    kernels instead of per-value Python calls; the result is row-major
    because DataRow messages are.
    """
    n = batch.num_rows
    if len(columns) != batch.num_columns:
        raise ValueError(
            "batch has %d columns but %d column types were given" % (batch.num_columns, len(columns))
        )
    if not columns:
        return [[] for _ in range(n)]
    cols = [
        _encode_column(batch.column(i), t, ctx, encoding, name=name)
        for i, (name, t) in enumerate(columns)
    ]
    return [list(r) for r in zip(*cols)]


# ---------------------------------------------------------------------------
# dependency-free rows -> Arrow
# ---------------------------------------------------------------------------


def _arrow_type_for_pg(p: Any, t: PgType) -> Optional[Any]:
    """Arrow type used for a PostgreSQL type (None: infer from values)."""
    if t.elem is not None:
        inner = _arrow_type_for_pg(p, t.elem)
        return p.list_(inner if inner is not None else p.string())
    oid = t.oid
    simple = {
        T.BOOL.oid: p.bool_(),
        T.INT2.oid: p.int16(),
        T.INT4.oid: p.int32(),
        T.INT8.oid: p.int64(),
        T.OID.oid: p.int64(),
        T.FLOAT4.oid: p.float32(),
        T.FLOAT8.oid: p.float64(),
        T.BYTEA.oid: p.binary(),
        T.DATE.oid: p.date32(),
        T.TIME.oid: p.time64("us"),
        T.TIMESTAMP.oid: p.timestamp("us"),
        T.TIMESTAMPTZ.oid: p.timestamp("us", tz="UTC"),
        T.INTERVAL.oid: p.duration("us"),
    }
    at = simple.get(oid)
    if at is not None:
        return at
    if oid == T.NUMERIC.oid:
        if t.typmod >= 4:
            prec, scale = (t.typmod - 4) >> 16, (t.typmod - 4) & 0x7FF
            if scale >= 0x400:
                scale -= 0x800
            if prec <= 38:
                return p.decimal128(prec, scale)
            if prec <= 76:
                return p.decimal256(prec, scale)
        return None
    if oid == T.UUID.oid and hasattr(p, "uuid"):
        return p.uuid()
    return p.string()


def _to_arrow_values(p: Any, t: PgType, at: Any, ctx: TextContext) -> Callable[[Any], Any]:
    """Per-value conversion into something ``pyarrow.array`` accepts."""
    if t.elem is not None:
        inner = _to_arrow_values(p, t.elem, at.value_type, ctx)

        def conv_list(v: Any) -> Any:
            if isinstance(v, str):
                raise TypeError("pre-formatted array text cannot be converted to Arrow")
            return [None if x is None else inner(x) for x in v]

        return conv_list
    if p.types.is_string(at):
        if t.oid == T.TEXT.oid:
            return lambda v: v if isinstance(v, str) else str(v)
        return encoder_for(t, ctx)
    if _is_uuid_type(p, at):
        def conv_uuid(v: Any) -> bytes:
            if isinstance(v, _uuid.UUID):
                return v.bytes
            if isinstance(v, str):
                return _uuid.UUID(v).bytes
            return bytes(v)

        return conv_uuid
    if t.oid == T.TIMESTAMPTZ.oid:
        utc = _dt.timezone.utc

        def conv_tstz(v: Any) -> Any:
            if isinstance(v, _dt.datetime) and v.utcoffset() is None:
                return v.replace(tzinfo=utc)
            return v

        return conv_tstz
    return lambda v: v


def to_arrow_capsule(schema_desc: Any, rows: Any) -> Any:
    """Turn a ``(schema_desc, rows)`` result into an Arrow stream capsule.

    Backs ``riffq.helpers.to_arrow`` so plain-Python results can use the
    Arrow code path.  Types follow the schema (``int`` -> int64,
    ``datetime`` -> timestamp[us], ...) or are inferred from the values.
    """
    from .._wire.rowsource import describe

    p = pa()
    columns, materialised = describe(schema_desc, rows)
    ctx = TextContext()
    arrays = []
    fields = []
    for i, (name, t) in enumerate(columns):
        values = [row[i] for row in materialised]
        at = _arrow_type_for_pg(p, t)
        try:
            if at is None:  # numeric without precision: let pyarrow pick
                arr = None
                try:
                    arr = p.array(values)
                except (p.ArrowException, TypeError, ValueError):
                    pass
                if arr is None or not p.types.is_decimal(arr.type):
                    arr = p.array([None if v is None else format_numeric(v) for v in values], p.string())
            else:
                conv = _to_arrow_values(p, t, at, ctx)
                arr = p.array([None if v is None else conv(v) for v in values], type=at)
        except (p.ArrowException, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(
                "column %r (type %s): cannot convert values to Arrow: %s" % (name, t.name, exc)
            ) from exc
        arrays.append(arr)
        fields.append(p.field(name, arr.type))
    schema = p.schema(fields)
    table = p.Table.from_arrays(arrays, schema=schema)
    reader = p.RecordBatchReader.from_batches(schema, table.to_batches())
    return reader.__arrow_c_stream__()


def column_values(arr: Any, t: PgType) -> List[Any]:
    """Python values of an Arrow column as the per-value encoders take them
    (the binary result path encodes from these)."""
    return _python_values(pa(), arr, t)
