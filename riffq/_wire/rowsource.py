"""Results in the dependency-free form ``(schema_desc, rows)``.

``schema_desc`` is a list of ``{"name": ..., "type": ...}`` dicts and ``rows``
an iterable of sequences (or dicts keyed by column name).  This is what
handlers return when they do not use pyarrow, so problems in it are
reported as ``ValueError`` with enough detail to find the bad row.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Dict, Iterable, List, Optional, Tuple

from . import pgtypes as T
from .pgtypes import PgType
from .textformat import TextContext, encoders_for

__all__ = ["Column", "describe", "encode_rows"]

Column = Tuple[str, PgType]

_INFER = (None, "", "unknown")


def _column_type(i: int, spec: Mapping[str, Any]) -> Optional[PgType]:
    """Declared type of column ``i``, or None when it is to be inferred."""
    t = spec.get("type")
    if isinstance(t, PgType):
        return None if t.oid == T.UNKNOWN.oid else t
    if t is None or (isinstance(t, str) and t.strip().lower() in _INFER):
        return None
    if not isinstance(t, str):
        raise ValueError(
            "column %d (%r): type must be a string, got %r" % (i, spec.get("name"), t)
        )
    try:
        return T.type_from_name(t)
    except ValueError as exc:
        raise ValueError("column %d (%r): %s" % (i, spec.get("name"), exc)) from None


def _infer_column(i: int, rows: List[Sequence[Any]]) -> PgType:
    """Type of the first informative value in column ``i`` (text if none).

    Lists keep being scanned until one has a non-None element, so a leading
    empty list does not force ``text[]``.
    """
    empty_list = False
    for row in rows:
        v = row[i]
        if v is None:
            continue
        if isinstance(v, (list, tuple)):
            if T._first_scalar(v) is None:
                empty_list = True
                continue
        t = T.infer_type(v)
        if t is not None:
            return t
    return T.TEXT_ARRAY if empty_list else T.TEXT


def _row_from_mapping(n: int, names: List[str], row: Mapping[str, Any]) -> Tuple[Any, ...]:
    unknown = [k for k in row if k not in names]
    if unknown:
        raise ValueError(
            "row %d has keys that are not columns: %s" % (n, ", ".join(repr(k) for k in unknown))
        )
    return tuple(row.get(name) for name in names)


def _schema(schema_desc: Any) -> Tuple[Sequence[str], Sequence[Optional[PgType]]]:
    """Column names and declared types. Handlers answer with the same few
    schemas again and again, so plain ``{"name": str, "type": str}`` lists
    are resolved once and remembered."""
    key = _schema_key(schema_desc)
    if key is not None:
        known = _known_schemas.get(key)
        if known is not None:
            return known
    names, declared = _resolve_schema(schema_desc)
    if key is not None:
        if len(_known_schemas) >= 1024:
            _known_schemas.clear()
        _known_schemas[key] = (tuple(names), tuple(declared))
    return names, declared


_known_schemas: Dict[Tuple[Tuple[str, Optional[str]], ...],
                     Tuple[Tuple[str, ...], Tuple[Optional[PgType], ...]]] = {}


def _schema_key(schema_desc: Any) -> Optional[Tuple[Tuple[str, Optional[str]], ...]]:
    if type(schema_desc) is not list:
        return None
    key = []
    for spec in schema_desc:
        if type(spec) is not dict:
            return None
        name, t = spec.get("name"), spec.get("type")
        if type(name) is not str or (t is not None and type(t) is not str):
            return None
        key.append((name, t))
    return tuple(key)


def declared_columns(schema_desc: Any, key: Tuple[Any, ...]) -> Optional[Tuple[Column, ...]]:
    """The columns of a plain schema that declares every column's type, else
    None (a type to infer from the rows, or a schema to report on). ``key``:
    the schema's loose key, ``((name, type), ...)`` read with ``get`` (see
    ``results.small_rows``), checked strictly only when first seen: the
    same schema comes again and again."""
    known = _all_declared.get(key, False)
    if known is False:
        if _schema_key(schema_desc) != key:
            return None     # not plain dicts of strings: the general way, uncached
        try:
            names, declared = _schema(schema_desc)
        except ValueError:
            known = None
        else:
            known = None if any(t is None for t in declared) else tuple(zip(names, declared))
        if len(_all_declared) >= 1024:
            _all_declared.clear()
        _all_declared[key] = known
    return known


_all_declared: Dict[Tuple[Tuple[str, Optional[str]], ...], Optional[Tuple[Column, ...]]] = {}


def _resolve_schema(schema_desc: Any) -> Tuple[List[str], List[Optional[PgType]]]:
    if not isinstance(schema_desc, (list, tuple)):
        raise ValueError(
            "schema must be a list of {'name': ..., 'type': ...} dicts, got %s"
            % type(schema_desc).__name__
        )
    names: List[str] = []
    declared: List[Optional[PgType]] = []
    for i, spec in enumerate(schema_desc):
        if not isinstance(spec, Mapping) or "name" not in spec:
            raise ValueError(
                "schema entry %d must be a dict with a 'name' key, got %r" % (i, spec)
            )
        name = spec["name"]
        if not isinstance(name, str):
            raise ValueError("schema entry %d: column name must be a string, got %r" % (i, name))
        names.append(name)
        declared.append(_column_type(i, spec))
    return names, declared


def describe(
    schema_desc: Any, rows: Iterable[Any]
) -> Tuple[List[Column], List[Sequence[Any]]]:
    """Validate a ``(schema_desc, rows)`` result and resolve column types.

    Rows are materialised (type inference needs to look at them anyway);
    dict rows become tuples in column order, with missing keys as NULL.
    """
    names, declared = _schema(schema_desc)

    if rows is None:
        rows = []
    if isinstance(rows, (str, bytes)) or not hasattr(rows, "__iter__"):
        raise ValueError("rows must be an iterable of rows, got %s" % type(rows).__name__)
    ncols = len(names)
    out: List[Sequence[Any]] = []
    for n, row in enumerate(rows):
        if type(row) is tuple or type(row) is list:
            pass                      # the common case, without ABC checks
        elif isinstance(row, Mapping):
            row = _row_from_mapping(n, names, row)
        elif isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            if isinstance(row, (str, bytes)) or not hasattr(row, "__len__"):
                raise ValueError(
                    "row %d must be a tuple, list or dict, got %s" % (n, type(row).__name__)
                )
            row = tuple(row)
        if len(row) != ncols:
            raise ValueError(
                "row %d has %d values but the schema has %d columns" % (n, len(row), ncols)
            )
        out.append(row)

    columns: List[Column] = []
    for i, (name, t) in enumerate(zip(names, declared)):
        columns.append((name, t if t is not None else _infer_column(i, out)))
    return columns, out


def _value_error(columns: List[Column], n: int, row: Sequence[Any], encoders: list, exc: BaseException) -> ValueError:
    for i, (enc, v) in enumerate(zip(encoders, row)):
        if v is None:
            continue
        try:
            enc(v)
        except Exception as e:  # noqa: BLE001 - re-reported with context
            name, t = columns[i]
            return ValueError(
                "cannot encode column %r (type %s) in row %d: %s value %r: %s"
                % (name, t.name, n, type(v).__name__, _short_repr(v), e)
            )
    return ValueError("cannot encode row %d: %s" % (n, exc))


def _short_repr(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


def encode_rows(
    columns: List[Column],
    rows: Iterable[Sequence[Any]],
    ctx: TextContext,
    encoding: str = "utf-8",
) -> List[List[Optional[bytes]]]:
    """Render every value in PostgreSQL text format as ``bytes`` (None = NULL).

    A value the column's encoder rejects raises ``ValueError`` naming the
    column, row number and value type; ``UnicodeEncodeError`` for characters
    the client encoding lacks propagates unchanged.
    """
    encoders = encoders_for([t for _, t in columns], ctx)
    ncols = len(encoders)
    names = [name for name, _ in columns]
    utf8 = encoding.replace("_", "-").lower() in ("utf-8", "utf8")
    out: List[List[Optional[bytes]]] = []
    append = out.append
    for n, row in enumerate(rows):
        if type(row) is not tuple and type(row) is not list and isinstance(row, Mapping):
            row = _row_from_mapping(n, names, row)
        if len(row) != ncols:
            raise ValueError(
                "row %d has %d values but the schema has %d columns" % (n, len(row), ncols)
            )
        try:
            if utf8:
                append([None if v is None else enc(v).encode() for enc, v in zip(encoders, row)])
            else:
                append(
                    [None if v is None else enc(v).encode(encoding) for enc, v in zip(encoders, row)]
                )
        except UnicodeEncodeError:
            raise
        except (TypeError, ValueError, OverflowError, AttributeError, ArithmeticError) as exc:
            raise _value_error(columns, n, row, encoders, exc) from exc
    return out
