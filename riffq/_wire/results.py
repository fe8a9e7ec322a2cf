"""What a query handler's callback may answer, turned into wire output.

A handler answers with rows, a command tag or an error, in several accepted
shapes (see the API contract). ``interpret`` checks the answer in the
calling thread and returns one of three outcomes; a rows outcome carries a
``ResultStream`` that produces DataRow bytes a chunk at a time, so a large
result is encoded and sent piece by piece rather than all at once.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import Future
from typing import Any, Callable, Deque, Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from . import messages
from .errors import PgError
from .pgtypes import PgType
from .rowsource import declared_columns, describe, encode_rows
from .textformat import column_encoders, encoders_for
from .workers import DaemonPool

log = logging.getLogger("riffq")

#: Results of at most this many rows, all text, are encoded by one
#: comprehension as soon as the handler answers.
SMALL_ROWS = 64
#: Rows encoded per chunk: large enough to amortise per-chunk costs, small
#: enough that one chunk never holds much memory.
CHUNK_ROWS = 4096
#: Arrow results are encoded by kernels whose cost per call, not per row,
#: dominates small slices: more rows per chunk...
ARROW_CHUNK_ROWS = 65536
#: ...but at most about this many bytes of Arrow data per chunk, so a chunk
#: of very wide rows stays small too.
CHUNK_BYTES = 1 << 20
#: The first chunks of an Arrow result are small (each four times the one
#: before, up to the full size), so the first rows leave after a short
#: encoding delay instead of a full chunk's.
FIRST_ARROW_ROWS = 2048
#: A first batch of at most this many rows is encoded one value at a time,
#: whole (``per_value_datarows``): the kernels' first calls after a pause
#: cost milliseconds.
FIRST_VALUE_ROWS = 64
#: Of a large first batch, this many rows are encoded that way and sent
#: before the kernels start on the rest of the first chunk. Few: one value
#: at a time costs about 7 microseconds a row, three times what a client
#: takes to decode one, so each row more here only delays the kernels (64
#: rows took 0.9 ms after a pause; first rows came after 1.87 ms with 64,
#: 1.19 ms with 16, against PostgreSQL's 0.89 ms).
HEAD_ROWS = 16
#: A first batch of more rows than this is large (the result takes a while
#: anyway); a smaller one's first chunk goes whole, sooner than in two.
LARGE_BATCH_ROWS = 4 * FIRST_ARROW_ROWS
#: Threads encoding Arrow chunks ahead of the sending, shared by all results,
#: and how many chunks one result may have encoded (or encoding) ahead.
PREFETCH_THREADS = 2
PREFETCH_DEPTH = 2
#: A result's chunks are encoded one at a time on those threads until this
#: many have been sent, and two at a time only once the sender has had to
#: wait for one after that: one thread keeps ahead of most clients, and a
#: second then only takes the core of a client on the same machine
#: (asyncpg waited 7-10 ms instead of 16-19). The kernels' first calls make
#: the start of every stream wait, so the first chunks do not count.
SERIAL_CHUNKS = 4

Column = Tuple[str, PgType]


def fields_for(columns: Sequence[Column], formats: Sequence[int] = ()) -> List[messages.Field]:
    """RowDescription fields; ``formats`` follows Bind's result-format rules."""
    out = []
    n = len(formats)
    for i, (name, t) in enumerate(columns):
        fmt = formats[0] if n == 1 else (formats[i] if n > i else 0)
        out.append((name, t.oid, t.typlen, t.typmod, fmt))
    return out


def row_description(columns: Sequence[Column], encoding: str,
                    formats: Sequence[int] = ()) -> bytes:
    """A result's RowDescription. The columns of a remembered schema (a
    tuple, see ``small_rows``) find theirs by identity, without
    building and hashing the fields again."""
    if type(columns) is not tuple or type(formats) is not tuple:
        return messages.row_description(fields_for(columns, formats), encoding)
    key = (id(columns), encoding, formats)
    known = _descriptions.get(key)
    if known is not None and known[0] is columns:
        return known[1]
    made = messages.row_description(fields_for(columns, formats), encoding)
    if len(_descriptions) >= 1024:
        _descriptions.clear()
    _descriptions[key] = (columns, made)    # holding ``columns`` keeps its id unique
    return made


_descriptions: Dict[Tuple[int, str, Tuple[int, ...]], Tuple[Any, bytes]] = {}


class ResultStream:
    """Columns plus an iterator of encoded chunks ``(datarow_bytes, nrows)``.

    ``next_chunk`` runs on a worker while ``close`` may come from the loop
    (a disconnect, a cancel). A reader must never be closed under a thread
    that is reading it (an Arrow C stream crashes the process), so a close
    that arrives mid-read is left to the reading thread to do when it returns.
    """

    #: [True] while the next chunk would take a while (the chunk iterator
    #: says so: the kernels start on it only once it is asked for)
    _next_is_slow: Sequence[bool] = (False,)

    def __init__(self, columns: List[Column], chunks: Iterator[Tuple[bytes, int]],
                 closer: Any = None, next_is_slow: Optional[List[bool]] = None) -> None:
        self.columns = columns
        self._chunks = chunks
        self._closer = closer
        if next_is_slow is not None:
            self._next_is_slow = next_is_slow
        self._lock = threading.Lock()
        self._reading = False
        self._close_requested = False

    def next_chunk(self) -> Optional[Tuple[bytes, int]]:
        """Encode and return the next chunk, or None at the end (or closed)."""
        with self._lock:
            if self._close_requested:
                return None
            self._reading = True
        try:
            chunk = next(self._chunks)
        except StopIteration:
            chunk = None
        finally:
            with self._lock:
                self._reading = False
                closing = self._close_requested
        if chunk is None or closing:
            self._do_close()
            return None
        return chunk

    def next_is_ready(self) -> bool:
        """Whether ``next_chunk`` would answer soon: when not, the rows
        encoded so far leave without waiting for the next."""
        return not self._next_is_slow[0]

    def close(self) -> None:
        with self._lock:
            self._close_requested = True
            if self._reading:
                return          # the reading thread closes it when next() returns
        self._do_close()

    def _do_close(self) -> None:
        with self._lock:
            closer, self._closer = self._closer, None
            chunks, self._chunks = self._chunks, iter(())
        _close_quietly(getattr(chunks, "close", None))
        _close_quietly(closer)


class FailedStream(ResultStream):
    """What is left of a stream that failed after the chunks already taken
    from it: asked for more, it raises ``error``. So those rows leave first,
    then the error, as PostgreSQL sends the rows it made before an error,
    and a cursor over it fails as any (``Portal.failed``)."""

    def __init__(self, columns: List[Column], error: PgError) -> None:
        super().__init__(columns, iter(()))
        self.error = error

    def next_chunk(self) -> Optional[Tuple[bytes, int]]:
        raise self.error


def _close_quietly(close: Optional[Callable[[], Any]]) -> None:
    """A reader failing to close must not hurt us."""
    if close is not None:
        try:
            close()
        except Exception:
            log.debug("closing a result reader failed", exc_info=True)


class EncodedRows(ResultStream):
    """A small result, encoded as soon as the handler answered (in its
    thread): the stream machinery of a large result would cost more than
    the rows themselves."""

    def __init__(self, columns: List[Column], chunks: List[Tuple[bytes, int]]) -> None:
        self.columns = columns
        self._encoded = chunks

    def take(self) -> List[Tuple[bytes, int]]:
        """All the chunks with the end marker (``n == -1``), once."""
        chunks, self._encoded = self._encoded, []
        chunks.append((b"", -1))
        return chunks

    def next_chunk(self) -> Optional[Tuple[bytes, int]]:
        return self._encoded.pop(0) if self._encoded else None

    def close(self) -> None:
        self._encoded = []


def encoded_to_end(pre: List[Tuple[bytes, int]]) -> Optional[Tuple[List[bytes], int]]:
    """A result's chunks and row count when the handler's thread encoded all
    of it (the chunks end with the end marker), else None."""
    if not pre or pre[-1][1] != -1:
        return None
    if len(pre) == 2:
        return [pre[0][0]], pre[0][1]
    return [blob for blob, _ in pre], sum([n for _, n in pre]) + 1    # the marker counts -1


class ReaderFailed(Exception):
    """The user's reader raised while its result streamed (``cause``): not
    an encoding failure, so ``encode_error`` reports it as a handler's own
    exception is reported (XX000, its type and message)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def encode_error(exc: BaseException) -> PgError:
    """What the client is told when a result's values cannot be encoded,
    or its reader fails (``ReaderFailed``). Never raises: a stream's
    failure must reach its client, or the statement would never end."""
    try:
        return _encode_error(exc)
    except Exception:
        log.exception("could not describe a result's failure")
        return PgError("XX000", "could not encode the result: %s" % type(exc).__name__)


def _encode_error(exc: BaseException) -> PgError:
    if isinstance(exc, PgError):
        return exc
    if isinstance(exc, ReaderFailed):
        cause = exc.cause
        if isinstance(cause, PgError):
            return cause
        log.error("a result's reader raised", exc_info=cause)
        return PgError("XX000", "%s: %s" % (type(cause).__name__, cause))
    if isinstance(exc, UnicodeEncodeError) and not 0xD800 <= ord(exc.object[exc.start]) <= 0xDFFF:
        # (a lone surrogate is no character at all, in any encoding: XX000 below)
        from .pgencodings import pg_name_for_codec
        raw = str(exc.object[exc.start:exc.start + 1]).encode("utf-8")
        return PgError("22P05", 'character with byte sequence %s in encoding "UTF8" has no '
                       'equivalent in encoding "%s"' % (" ".join("0x%02x" % b for b in raw),
                                                        pg_name_for_codec(exc.encoding)))
    log.error("encoding a result failed", exc_info=exc)
    return PgError("XX000", "could not encode the result: %s: %s" % (type(exc).__name__, exc))


class Outcome:
    """The checked answer of one handler call."""
    __slots__ = ("error", "tag", "stream")

    def __init__(self, error: Optional[PgError] = None, tag: Optional[str] = None,
                 stream: Optional[ResultStream] = None) -> None:
        self.error = error
        self.tag = tag
        self.stream = stream


def column_formats(formats: Sequence[int], ncols: int) -> List[int]:
    """Bind's result-format rule: none = all text, one = all, else per column.
    A code other than text (0) or binary (1) fails once there is a column to
    send in it, as in PostgreSQL."""
    if not formats:
        return [0] * ncols
    if len(formats) == 1:
        out = [formats[0]] * ncols
    elif len(formats) != ncols:
        raise PgError("08P01", "bind message has %d result formats but query has %d columns"
                      % (len(formats), ncols))
    else:
        out = list(formats)
    for code in out:
        if code != 0 and code != 1:
            raise PgError("22023", "unsupported format code: %d" % code)
    return out


def binary_encoders(columns: Sequence[Column], fmts: Sequence[int], ctx: Any, encoding: str) -> list:
    """Per-column encoders for a result with some binary columns; each
    returns bytes (text columns are text-encoded, then to bytes)."""
    from .binformat import binary_encoder_for
    from .textformat import encoder_for
    out = []
    for (name, t), fmt in zip(columns, fmts):
        if fmt == 1:
            out.append(binary_encoder_for(t, ctx, encoding))
        else:
            enc = encoder_for(t, ctx)
            out.append(lambda v, enc=enc: enc(v).encode(encoding))
    return out


def _encode_values(columns: Sequence[Column], encoders: list, values_by_column: list, nrows: int) -> bytes:
    cols = []
    for (name, t), enc, values in zip(columns, encoders, values_by_column):
        try:
            cols.append([None if v is None else enc(v) for v in values])
        except UnicodeEncodeError:      # 22P05, as for text (results.encode_error)
            raise
        except (TypeError, ValueError, OverflowError) as exc:
            raise PgError("XX000", "cannot encode a value of column \"%s\" as %s: %s" % (name, t.name, exc))
    if not cols:
        return messages.data_rows([[]] * nrows)
    return messages.data_rows(list(zip(*cols)))


def _rows_chunks(columns, rows, ctx, encoding, fmts) -> Iterator[Tuple[bytes, int]]:
    binary = binary_encoders(columns, fmts, ctx, encoding) if any(fmts) else None
    for start in range(0, len(rows), CHUNK_ROWS):
        part = rows[start:start + CHUNK_ROWS]
        yield encode_row_part(columns, part, ctx, encoding, binary), len(part)


def encode_row_part(columns: Sequence[Column], part: Sequence[Sequence[Any]], ctx: Any, encoding: str,
                    binary: Optional[list] = None) -> bytes:
    """DataRows of some rows of a ``(schema, rows)`` result: all text, or,
    given ``binary_encoders``' answer for the result formats, in those."""
    if binary is None:
        blob = messages.text_data_rows(encoders_for([t for _, t in columns], ctx), part, encoding)
        if blob is not None:
            return blob
        # a row or value the one pass refuses: the general way says which
        return messages.data_rows(encode_rows(columns, part, ctx, encoding))
    by_col = [[r[i] for r in part] for i in range(len(columns))]
    return _encode_values(columns, binary, by_col, len(part))


def arrow_slices(reader) -> Iterator[Tuple[Any, int]]:
    """The reader's batches cut to chunk size (the first chunks smaller),
    each slice with the number of rows of its batch.

    What is left of a batch once the first chunks are cut is split into
    equal parts no larger than a chunk, rather than into full chunks and a
    remainder: a reader of like batches then comes in a few sizes, whose row
    layouts stay cached (``arrow_datarows._INDEX_CACHE``). Cut the other
    way, a million rows of ``wide`` came in nine sizes, one more than the
    cache keeps, and every chunk's layout was built again.
    """
    ramp = FIRST_ARROW_ROWS
    batches = iter(reader)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except Exception as exc:
            raise ReaderFailed(exc) from exc
        n = batch.num_rows
        step = ARROW_CHUNK_ROWS
        if n and batch.nbytes > CHUNK_BYTES:
            step = max(1, min(step, CHUNK_BYTES * n // batch.nbytes))
        start = 0
        while start < n and ramp < step:
            yield (batch.slice(start, ramp) if start or ramp < n else batch), n
            start += ramp
            ramp = min(4 * ramp, ARROW_CHUNK_ROWS)
        if start < n:
            left = n - start
            size = -(-left // -(-left // step))     # equal parts, each at most a chunk
            for at in range(start, n, size):
                yield (batch.slice(at, size) if at or size < n else batch), n


_prefetch_pool: Optional[DaemonPool] = None
_prefetch_lock = threading.Lock()


def _prefetcher() -> DaemonPool:
    global _prefetch_pool
    with _prefetch_lock:
        if _prefetch_pool is None:
            _prefetch_pool = DaemonPool(PREFETCH_THREADS, "riffq-arrow-encode")
        return _prefetch_pool


def _arrow_chunks(reader, columns, ctx, encoding, fmts,
                  slow: Optional[List[bool]] = None) -> Iterator[Tuple[Any, int]]:
    """DataRows of an Arrow result, encoded by Arrow kernels
    (``_compat.arrow_datarows``); each chunk they make is a memoryview over
    Arrow memory that goes to the socket without another copy. The first
    rows of a large batch, and a batch of a few rows, are encoded value by
    value instead (``per_value_datarows``, see HEAD_ROWS); the first
    chunk, and the rest of a first chunk begun value by value, are encoded
    by the thread asking for them (``slow[0]`` says when that takes a while).

    While one chunk is being sent the next ones are already being encoded
    on helper threads (the kernels run without the GIL), so encoding
    overlaps sending, one chunk at a time or, when that falls behind, two
    (SERIAL_CHUNKS). Only encoding moves
    there: the reader is read only by the thread consuming this generator,
    as ResultStream requires, and at most PREFETCH_DEPTH chunks are encoded
    ahead, so memory stays bounded.
    """
    from .._compat.arrow_datarows import encode_datarows, per_value_datarows
    pool = _prefetcher()
    ahead: Deque[Tuple[Any, int]] = deque()
    first = True
    serial = True   # see SERIAL_CHUNKS
    sent = 0
    try:
        for part, batch_rows in arrow_slices(reader):
            if first and (part.num_rows <= FIRST_VALUE_ROWS or batch_rows > LARGE_BATCH_ROWS):
                # a few rows, or the start of a large batch: value by value
                # at once, the rest of the chunk to the kernels once these
                # are taken. Not before: a helper starting on it would hold
                # the GIL in its first calls, and these rows waited for it
                # (1.4 ms of 2.8 in a trace of asyncpg's fetch).
                head = part if part.num_rows <= FIRST_VALUE_ROWS else part.slice(0, HEAD_ROWS)
                chunk = per_value_datarows(head, columns, ctx, encoding, fmts)
                first = False
                more = head.num_rows < part.num_rows
                if slow is not None:
                    slow[0] = more
                yield chunk, head.num_rows
                if slow is not None:
                    slow[0] = False     # (later chunks are asked for on a pool thread: waiting is fine there)
                if more:
                    rest = part.slice(head.num_rows)
                    yield encode_datarows(rest, columns, ctx, encoding, fmts), rest.num_rows
                continue
            if first:
                # nothing is being encoded yet: here, rather than wait for a helper
                first = False
                yield encode_datarows(part, columns, ctx, encoding, fmts), part.num_rows
                continue
            if serial and ahead:
                fut = _after(ahead[-1][0], pool, encode_datarows, part, columns, ctx, encoding, fmts)
            else:
                fut = pool.submit(encode_datarows, part, columns, ctx, encoding, fmts)
            ahead.append((fut, part.num_rows))
            if len(ahead) > PREFETCH_DEPTH:
                fut, rows = ahead.popleft()
                sent += 1
                if serial and sent > SERIAL_CHUNKS and not fut.done():
                    serial = False
                yield fut.result(), rows
        yield from _drain(ahead)
    except ReaderFailed:
        # the rows the reader gave before it failed leave first, as
        # PostgreSQL sends the rows it made before an error
        yield from _drain(ahead)
        raise
    finally:
        for fut, _ in ahead:
            fut.cancel()


def _drain(ahead: "Deque[Tuple[Any, int]]") -> Iterator[Tuple[Any, int]]:
    """The chunks encoded ahead, in order, as each is ready."""
    while ahead:
        fut, rows = ahead.popleft()
        yield fut.result(), rows


def _after(prev: Any, pool: DaemonPool, fn: Callable[..., Any], *args: Any) -> Any:
    """A future of ``fn(*args)`` on the pool, started once ``prev`` is done."""
    out: Future = Future()

    def start(_: Any) -> None:
        if not out.set_running_or_notify_cancel():
            return

        def copy(inner: Any) -> None:
            exc = inner.exception()
            if exc is not None:
                out.set_exception(exc)
            else:
                out.set_result(inner.result())

        try:
            pool.submit(fn, *args).add_done_callback(copy)
        except Exception as exc:        # a pool shut down meanwhile
            out.set_exception(exc)

    prev.add_done_callback(start)
    return out


def _few_arrow_rows(reader, columns, ctx, encoding, fmts) -> Tuple[Optional[bytes], int, Iterable[Any]]:
    """(DataRows, rows, ()) for an Arrow result of at most FIRST_VALUE_ROWS
    rows, read to its end and encoded value by value at once: the stream
    machinery (slicing, a generator, the stream's lock) costs more than a
    few rows (a three-row answer's protocol code: 41 microseconds through
    it). For any other: (None, 0, its batches again), the ones read first
    included and a failure to read them raised where the stream would have
    met it, so that the stream behaves as if nothing had been read."""
    per_value_datarows = _arrow_mods()[1].per_value_datarows
    read: List[Any] = []
    rows = 0
    try:
        for batch in reader:
            read.append(batch)
            rows += batch.num_rows
            if rows > FIRST_VALUE_ROWS:
                return None, 0, _replay(read, reader, None)
    except Exception as exc:
        return None, 0, _replay(read, (), exc)
    try:
        return b"".join([per_value_datarows(b, columns, ctx, encoding, fmts) for b in read]), rows, ()
    except Exception:
        return None, 0, _replay(read, (), None)   # the stream meets the same failure, the same way


def _replay(read: List[Any], rest: Any, failure: Optional[BaseException]) -> Iterator[Any]:
    yield from read
    if failure is not None:
        raise failure
    yield from rest


def _error_from(value: Any) -> PgError:
    """An ``is_error`` answer: ``(severity, sqlstate, message)`` or close to it."""
    if isinstance(value, PgError):
        return value
    if isinstance(value, BaseException):
        return PgError("XX000", str(value) or type(value).__name__)
    if isinstance(value, (tuple, list)) and len(value) == 3 and all(isinstance(v, str) for v in value):
        severity, sqlstate, message = value
        severity = severity.upper()
        if severity not in ("ERROR", "FATAL", "PANIC"):
            severity = "ERROR"
        if len(sqlstate) != 5 or not sqlstate.isalnum():
            return PgError("XX000", "%s (handler gave an invalid SQLSTATE %r)" % (message, sqlstate))
        return PgError(sqlstate.upper(), message, severity=severity)
    if isinstance(value, str):
        return PgError("XX000", value)
    return PgError("XX000", "query handler reported an error in an unusable form: %r; "
                   "expected (severity, sqlstate, message)" % (value,))


def interpret(result: Any, is_tag: bool, is_error: bool, ctx: Any,
              encoding: str = "utf-8", formats: Optional[Sequence[int]] = (),
              eager: bool = False) -> Outcome:
    """Check a handler's answer; never raises, unusable answers become XX000.
    ``eager``: the rows will be sent, so a small list of them is encoded now.
    ``formats`` None: a cursor's rows, each FETCH choosing its formats
    (``cursor_rows``)."""
    if is_error:
        return Outcome(error=_error_from(result))
    if is_tag:
        if not isinstance(result, str) or not result.strip() or "\x00" in result:
            return Outcome(error=PgError("XX000", "query handler returned is_tag=True with "
                                         "an unusable command tag %r; expected a string such as "
                                         "'INSERT 0 1'" % (result,)))
        return Outcome(tag=result.strip())
    try:
        if formats is None:
            from .cursor_rows import open_cursor_rows
            return Outcome(stream=open_cursor_rows(result, ctx, encoding))
        return Outcome(stream=open_stream(result, ctx, encoding, formats, eager))
    except PgError as exc:
        return Outcome(error=exc)
    except Exception as exc:
        log.exception("could not read a query handler's result")
        return Outcome(error=PgError("XX000", "query handler returned an unusable result: %s: %s"
                                     % (type(exc).__name__, exc)))


class TypedRows(NamedTuple):
    """Rows whose PostgreSQL column types are already known (the catalog's
    answers): no inference from a schema description."""
    columns: List[Column]
    rows: List[Sequence[Any]]


def rows_of(result: Any) -> Optional[Tuple[List[Column], List[Sequence[Any]]]]:
    """The columns and rows of a ``(schema_desc, rows)`` or ``TypedRows``
    answer, checked; None for any other shape (Arrow, or unusable)."""
    if isinstance(result, TypedRows):
        return result.columns, result.rows
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], list):
        # (a few rows under a declared schema were encoded by ``small_rows``)
        try:
            return describe(result[0], result[1])
        except ValueError as exc:
            raise PgError("XX000", "query handler returned malformed rows: %s" % exc)
    return None


def open_stream(result: Any, ctx: Any, encoding: str = "utf-8",
                formats: Sequence[int] = (), eager: bool = False) -> ResultStream:
    """Accept any supported result shape and prepare it for streaming."""
    listed = rows_of(result)
    if listed is None:
        return _open_other(result, ctx, encoding, formats, eager)
    columns, rows = listed
    fmts = column_formats(formats, len(columns))
    if eager and len(rows) <= SMALL_ROWS and not any(fmts):
        blob = _small_text_rows(columns, rows, ctx, encoding)
        if blob is not None:
            return EncodedRows(columns, [(blob, len(rows))] if rows else [])
    chunks = _rows_chunks(columns, rows, ctx, encoding, fmts)
    if eager and len(rows) <= CHUNK_ROWS:
        try:
            return EncodedRows(columns, list(chunks))
        except Exception as exc:
            raise encode_error(exc)
    return ResultStream(columns, chunks)


def small_rows(result: Any, ctx: Any, encoding: str,
               formats: Sequence[int] = ()) -> Optional[Tuple[Tuple[Column, ...], bytes, int, bytes]]:
    """A few text rows under a schema naming every type, checked and encoded
    in one pass, without ``describe`` walking them first: (the remembered
    columns, their DataRows, how many, their RowDescription in ``encoding``).
    None: the general way."""
    if type(result) is not tuple or len(result) != 2 or any(formats):
        return None
    schema_desc, rows = result
    if type(rows) is not list or len(rows) > SMALL_ROWS:
        return None
    if type(schema_desc) is not list:
        return None
    # the schema's loose key finds its columns and their encoders at once
    key = ()
    try:
        for spec in schema_desc:
            key += ((spec.get("name"), spec.get("type")),)     # (get: no defaultdict grows)
        known = ctx.declared_schemas.get(key)
    except Exception:       # not mappings, a value that cannot be hashed...
        return None
    if known is None or known[2] != encoding:
        # (a SET client_encoding keeps the context but changes the names' bytes)
        declared = declared_columns(schema_desc, key)
        if declared is None:
            return None
        # every column in text: the same RowDescription whatever text
        # formats a Bind named
        known = (declared, column_encoders(declared, ctx), encoding, row_description(declared, encoding))
        memo = ctx.declared_schemas
        if len(memo) >= 256:
            memo.clear()
        memo[key] = known
    declared, encoders, _, description = known
    blob = messages.text_data_rows(encoders, rows, encoding)
    if blob is None:
        return None
    return declared, blob, len(rows), description


def small_outcome(small: Tuple[Tuple[Column, ...], bytes, int, bytes]
                  ) -> Tuple[Outcome, List[Tuple[bytes, int]]]:
    """``small_rows``'s answer in the general form: the outcome, and the
    chunks already encoded, ending with the end marker."""
    columns, blob, n, _ = small
    return Outcome(None, None, EncodedRows(columns, [])), ([(blob, n), _END] if n else [_END])


_END = (b"", -1)


def _small_text_rows(columns: List[Column], rows: Sequence[Sequence[Any]], ctx: Any,
                     encoding: str) -> Optional[bytes]:
    """DataRows of a few text rows in one go, or None when any value needs
    the general path (which then reports the problem with its context)."""
    return messages.text_data_rows(encoders_for([t for _, t in columns], ctx), rows, encoding)


#: ``_compat.arrow`` and ``_compat.arrow_datarows``, imported at the first
#: answer that may be Arrow (pyarrow is optional): an import statement
#: run for every answer costs a microsecond or two each time
_arrow_modules: Optional[Tuple[Any, Any]] = None


def _arrow_mods() -> Tuple[Any, Any]:
    global _arrow_modules
    if _arrow_modules is None:
        from .._compat import arrow, arrow_datarows
        _arrow_modules = (arrow, arrow_datarows)
    return _arrow_modules


def _open_other(result: Any, ctx: Any, encoding: str, formats: Sequence[int],
                eager: bool = False) -> ResultStream:
    arrow = _arrow_mods()[0]
    if arrow.is_arrow_result(result):
        reader = arrow.open_reader(result)
        columns = arrow.remembered_columns(reader.schema)
        fmts = column_formats(formats, len(columns))
        closer = getattr(reader, "close", None)
        batches: Iterable[Any] = reader
        if eager:
            blob, rows, batches = _few_arrow_rows(reader, columns, ctx, encoding, fmts)
            if blob is not None:
                _close_quietly(closer)      # read to its end: release it now
                return EncodedRows(columns, [(blob, rows)] if rows else [])
        slow = [False]
        return ResultStream(columns, _arrow_chunks(batches, columns, ctx, encoding, fmts, slow),
                            closer=closer, next_is_slow=slow)
    raise unusable_result(result)


def unusable_result(result: Any) -> PgError:
    """What the client is told when a handler answers neither Arrow nor rows."""
    if result is None:
        return PgError("XX000", "query handler answered None; answer rows, a command tag "
                       "with is_tag=True, or an error with is_error=True")
    return PgError("XX000", "query handler returned an unusable result of type %s; expected an "
                   "Arrow stream, Arrow IPC bytes or (schema_desc, rows)" % type(result).__name__)
