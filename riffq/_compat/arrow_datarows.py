"""Arrow record batches to DataRow messages, one buffer per batch.

A batch is encoded column by column (``arrow_text``/``arrow_binary``
kernels, or the per-value encoders for what they do not cover), then each
value gets its 4-byte length in front (-1 and no bytes for NULL) and
every row its ``'D'`` header, all with Arrow kernels: the rows of a batch
come out as the contiguous values buffer of one Arrow binary array, which
is handed on as a memoryview without being copied again.

Kernels cover every type of ``arrow.pg_type_for_arrow`` in both formats
under every session setting, dictionary and run-end columns through their
distinct values.  What still goes per value, and why:

* a value the per-value path refuses or lays out by a rule no kernel
  computes: dates and timestamps outside years 1..9999 (Arrow prints other
  years differently), timestamps whose unit overflows microseconds,
  ragged or NULL sub-arrays in binary (``array_send`` refuses most and
  sends the others in an odd shape), more than six dimensions;
* types without a kernel path: maps repeating a key within one value (a
  dict keeps the last) or keyed by other than strings and integers, and
  structs holding one; arrays of lists of json (the inner lists are JSON
  values, not dimensions); month/day/nano intervals and the other types
  the mapping sends as text (printed by ``str``);
* timestamptz in a zone with rules when the values fall into more six-hour
  buckets than a quarter of the rows (looking the zone up per bucket would
  cost about as much).

Per row, inside an otherwise vectorized column: floats the kernels print
differently (exponents, NaN/Infinity, more digits than ``%g`` keeps under
``extra_float_digits <= 0``, NaN in binary), non-ASCII strings in another
client encoding, and JSON strings needing escapes.
"""
from __future__ import annotations

import struct
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .._wire.binformat import binary_encoder_for
from .._wire.errors import PgError
from .._wire.messages import data_rows, text_data_rows
from .._wire.pgtypes import PgType
from .._wire.textformat import TextContext, column_encoders
from .arrow import _encode_column, _plain_array, column_values, pa, schema_facts
from .arrow_binary import big_endian, binary_fields
from .arrow_text import _mods, text_fields

__all__ = ["encode_datarows", "field_values", "per_value_datarows"]

Column = Tuple[str, PgType]
_NULL_PREFIX = b"\xff\xff\xff\xff"


def _per_value_text(arr: Any, name: str, t: PgType, ctx: TextContext, encoding: str) -> List[Optional[bytes]]:
    return _encode_column(arr, t, ctx, encoding, fast=False, name=name)


def _per_value_binary(arr: Any, name: str, t: PgType, ctx: TextContext, encoding: str) -> List[Optional[bytes]]:
    enc = binary_encoder_for(t, ctx, encoding)
    values = column_values(arr, t)
    try:
        return [None if v is None else enc(v) for v in values]
    except UnicodeEncodeError:      # 22P05, as for text (results.encode_error)
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise PgError("XX000", "cannot encode a value of column \"%s\" as %s: %s" % (name, t.name, exc))


def _encoded_runs(p: Any, pc: Any, arr: Any, name: str, t: PgType, ctx: TextContext, encoding: str,
                  binary: bool) -> Optional[Any]:
    """A dictionary or run-end encoded column encoded through its distinct
    values: each value once, then spread out by the indices (``take``) or
    the runs.  None where that is not cheaper or not certain to match:
    more values than rows, or a value the encoders refuse (which the rows
    may never use; the decoded column decides)."""
    ty = p.types
    if ty.is_dictionary(arr.type):
        values = arr.dictionary
    elif hasattr(ty, "is_run_end_encoded") and ty.is_run_end_encoded(arr.type):
        values = arr.values
    else:
        return None
    if len(values) > len(arr):
        return None
    try:
        encoded = field_values(values, name, t, ctx, encoding, binary)
    except (PgError, ValueError, TypeError, OverflowError, p.ArrowException):
        return None
    if ty.is_dictionary(arr.type):
        return encoded.take(arr.indices)
    runs = p.RunEndEncodedArray.from_arrays(arr.run_ends, encoded).slice(arr.offset, len(arr))
    return pc.run_end_decode(runs)


def field_values(arr: Any, name: str, t: PgType, ctx: TextContext, encoding: str = "utf-8",
                 binary: bool = False, vectorized: bool = True) -> Any:
    """One column's encoded field values as an Arrow binary-like array
    (NULL where the value is NULL); ``vectorized=False`` forces the
    per-value encoders (the tests compare the two)."""
    p, pc = _mods()
    if isinstance(arr, p.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if vectorized:
        out = _encoded_runs(p, pc, arr, name, t, ctx, encoding, binary)
        if out is not None:
            return out
    arr = _plain_array(p, arr)
    if p.types.is_null(arr.type):
        return p.nulls(len(arr), p.binary())
    out = None
    if vectorized:
        try:
            out = (binary_fields if binary else text_fields)(arr, t, ctx, encoding)
        except p.ArrowException:
            out = None  # e.g. overflow scaling seconds to microseconds: the per-value path decides
    if out is None:
        slow = _per_value_binary if binary else _per_value_text
        out = p.array(slow(arr, name, t, ctx, encoding), p.binary())
    return out


#: the DataRow of a result without columns
_NO_COLUMNS_ROW = b"D\x00\x00\x00\x06\x00\x00"


def _check_width(batch: Any, columns: Sequence[Column]) -> None:
    if len(columns) != batch.num_columns:
        raise ValueError("batch has %d columns but %d column types were given"
                         % (batch.num_columns, len(columns)))


def per_value_datarows(batch: Any, columns: Sequence[Column], ctx: TextContext,
                       encoding: str = "utf-8", formats: Sequence[int] = ()) -> bytes:
    """DataRow messages for a few rows by the per-value encoders alone, for
    the first rows of a result: after a pause Arrow's kernels take
    milliseconds over their first calls whatever the number of rows, and a
    few rows one value at a time cost less (64 rows of five columns:
    0.7-1.1 ms, against 1.8-2.6 ms for the kernels' first 2,048)."""
    p = pa()
    _check_width(batch, columns)
    if not columns:
        return _NO_COLUMNS_ROW * batch.num_rows
    if not any(formats):
        blob = _listed_text_rows(batch, columns, ctx, encoding)
        if blob is not None:
            return blob
    fmts = list(formats) or [0] * len(columns)
    cols = []
    for arr, (name, t), fmt in zip(batch.columns, columns, fmts):
        arr = _plain_array(p, arr)
        if p.types.is_null(arr.type):
            cols.append([None] * len(arr))
        else:
            cols.append((_per_value_binary if fmt == 1 else _per_value_text)(arr, name, t, ctx, encoding))
    return data_rows(list(zip(*cols)))


def _listed_text_rows(batch: Any, columns: Sequence[Column], ctx: TextContext,
                      encoding: str) -> Optional[bytes]:
    """Text DataRows in one pass over the rows, when every column's Python
    values go to the encoders as they are (``arrow._types_as_listed``: no
    dictionary to decode, no nanoseconds to cut): a DuckDB or pandas answer
    of a few rows spent most of its protocol time going column by column
    first. None for other batches, or a value the encoders refuse (the
    column-by-column path then reports it with its column and row)."""
    if not schema_facts(batch.schema).listable:
        return None
    arrays = batch.columns
    encoders = column_encoders(columns, ctx)
    try:
        rows = list(zip(*[arr.to_pylist() for arr in arrays]))
    except Exception:       # a timestamp past year 9999, say: reported there too
        return None
    return text_data_rows(encoders, rows, encoding)


def _as_binary(p: Any, f: Any) -> Any:
    return f if f.type == p.binary() else f.cast(p.binary())


def encode_datarows(batch: Any, columns: Sequence[Column], ctx: TextContext,
                    encoding: str = "utf-8", formats: Sequence[int] = (),
                    vectorized: bool = True) -> Any:
    """DataRow messages for every row of ``batch``, as one buffer (a
    memoryview over Arrow memory, or bytes).  ``formats`` holds one 0/1
    per column (text/binary), empty for all text."""
    p, pc = _mods()
    n = batch.num_rows
    ncols = len(columns)
    _check_width(batch, columns)
    if n == 0:
        return b""
    if ncols == 0:
        return _NO_COLUMNS_ROW * n
    fmts = list(formats) or [0] * ncols
    fixed = 4 + 2 + 4 * ncols
    lengths: List[Any] = []
    pieces: List[Any] = []
    for i, ((name, t), fmt) in enumerate(zip(columns, fmts)):
        f = field_values(batch.column(i), name, t, ctx, encoding, binary=fmt == 1, vectorized=vectorized)
        if p.types.is_fixed_size_binary(f.type) and f.null_count == 0:
            width = f.type.byte_width
            fixed += width
            pieces.append(struct.pack(">i", width))
            pieces.append(_as_binary(p, f))
            continue
        f = _as_binary(p, f)
        size = pc.binary_length(f)
        if f.null_count:
            pieces.append(big_endian(pc.fill_null(size, -1).cast(p.int32())).cast(p.binary()))
            pieces.append(pc.fill_null(f, b""))
            lengths.append(pc.fill_null(size, 0))
        else:
            pieces.append(big_endian(size.cast(p.int32())).cast(p.binary()))
            pieces.append(f)
            lengths.append(size)
    if lengths:
        total = lengths[0]
        for extra in lengths[1:]:
            total = pc.add(total, extra)
        total = pc.add(total, fixed).cast(p.int32())
        head = [b"D", big_endian(total).cast(p.binary()), struct.pack(">h", ncols)]
    else:
        head = [b"D" + struct.pack(">ih", fixed, ncols)]
    return _interleave(p, pc, head + pieces, n)


def _merge_constants(pieces: List[Any]) -> List[Any]:
    out: List[Any] = []
    for piece in pieces:
        if isinstance(piece, bytes) and out and isinstance(out[-1], bytes):
            out[-1] += piece
        else:
            out.append(piece)
    return out


#: (rows, which pieces are constants) -> take() indices, for the sizes that
#: come again and again (a reader of equal batches).
_INDEX_CACHE: Dict[Tuple[int, Tuple[bool, ...]], Any] = {}
#: which pieces are constants -> (rows, P, A) laid out for up to that many
#: rows, from which the indices of any smaller batch take two kernels
#: (``_row_major_indices``).  Batches cut to a byte budget come in a new
#: size almost every time, and building their indices from nothing cost
#: more than the rest of the encoding.
_INDEX_TEMPLATES: Dict[Tuple[bool, ...], Tuple[int, Any, Any]] = {}
_CACHED_LAYOUTS = 8
#: indices (4 bytes each) a template may hold beyond what its batch needs
_TEMPLATE_ROOM = 1 << 21


def _remember(cache: Dict[Any, Any], key: Any, value: Any) -> None:
    while len(cache) >= _CACHED_LAYOUTS:
        cache.pop(next(iter(cache)), None)  # the oldest
    cache[key] = value


def _index_template(p: Any, pc: Any, n: int, constant: Tuple[bool, ...]) -> Tuple[Any, Any]:
    """P and A for at least ``n`` rows.  Piece j of row r sits at index
    c_j + n * a_j + r * s_j of the pieces laid end to end, where c_j and a_j
    count the constant and the array pieces before j, and s_j is 0 for a
    constant, 1 for an array: P holds c_j + r * s_j and A holds a_j, at
    position r * k + j, neither depending on n."""
    known = _INDEX_TEMPLATES.get(constant)
    if known is not None and known[0] >= n:
        return known[1], known[2]
    k = len(constant)
    rows = 1 << max(0, n - 1).bit_length()     # room to grow: a power of two,
    if rows * k > _TEMPLATE_ROOM:               # where that stays small
        rows = n
    c, a, consts, arrays = [], [], 0, 0
    for const in constant:
        c.append(consts)
        a.append(arrays)
        if const:
            consts += 1
        else:
            arrays += 1
    i32 = p.int32()
    q = pc.subtract(pc.cumulative_sum(p.repeat(p.scalar(1, i32), rows * k)), p.scalar(1, i32))
    row = pc.divide(q, p.scalar(k, i32))
    piece = pc.subtract(q, pc.multiply(row, p.scalar(k, i32)))
    step = p.array([0 if const else 1 for const in constant], i32).take(piece)
    base = p.array(c, i32).take(piece)
    template = (pc.add(base, pc.multiply(row, step)), p.array(a, i32).take(piece))
    _remember(_INDEX_TEMPLATES, constant, (rows,) + template)
    return template


def _row_major_indices(p: Any, pc: Any, n: int, constant: Tuple[bool, ...]) -> Any:
    """Indices that read the pieces row by row, laid end to end: n values
    for an array piece, a single value for a constant one."""
    idx = _INDEX_CACHE.get((n, constant))
    if idx is None:
        fixed, per_row = _index_template(p, pc, n, constant)
        size = n * len(constant)
        idx = pc.add(fixed.slice(0, size), pc.multiply(per_row.slice(0, size), p.scalar(n, p.int32())))
        _remember(_INDEX_CACHE, (n, constant), idx)
    return idx


def _interleave(p: Any, pc: Any, pieces: List[Any], n: int) -> Any:
    """Concatenate row i of every piece, for every row, into one buffer.

    The pieces are laid end to end (a constant once) and then taken row by
    row: ``take`` on a binary array writes the values in index order, so
    its value buffer is exactly the DataRows (cheaper than a join element
    by element).
    """
    merged = _merge_constants(pieces)
    constant = tuple(isinstance(x, bytes) for x in merged)
    arrays = [_constant_array(p, x) if isinstance(x, bytes) else x for x in merged]
    rows = p.concat_arrays(arrays).take(_row_major_indices(p, pc, n, constant))
    offsets = memoryview(rows.buffers()[1]).cast("i")
    start, end = offsets[rows.offset], offsets[rows.offset + len(rows)]
    return memoryview(rows.buffers()[2])[start:end]


#: one-value arrays of the constant pieces (a DataRow's head, a fixed
#: width's length): the same few for every chunk of a result, and making one
#: with ``pa.array`` cost more than the rest of a small chunk's interleaving
_CONSTANT_ARRAYS: Dict[bytes, Any] = {}


def _constant_array(p: Any, value: bytes) -> Any:
    known = _CONSTANT_ARRAYS.get(value)
    if known is None:
        if len(_CONSTANT_ARRAYS) >= 256:
            _CONSTANT_ARRAYS.clear()
        known = _CONSTANT_ARRAYS[value] = p.array([value], p.binary())
    return known
