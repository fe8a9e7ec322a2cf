"""The simple query protocol: one Query message, one or more statements.

As PostgreSQL does, the text is split into statements that are answered in
order, each with its own RowDescription/DataRow/CommandComplete; the first
error skips the rest, and one ReadyForQuery ends the message.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Deque, List, Optional, Tuple

from . import analysis
from . import messages as m
from .cursors import FETCH_AHEAD_BYTES, CursorSlice, Declare, on_a_row
from .copyout import CopyOutStream, convert_queued, copy_done, copy_out_response
from .commands import (check_failed_transaction, end_implicit_block, is_builtin, run_builtin,
                       follow_handler_tag, BuiltinResult)
from .errors import PgError
from .results import Outcome, encoded_to_end, row_description
from .textformat import encoder_for


class SimpleQuery:
    """Runs the statements of one Query message against a Session."""

    def __init__(self, session: Any) -> None:
        self.s = session
        self.queue: Deque[str] = deque()
        self._cmd: Any = None
        self._copy: Optional[str] = None
        self._implicit = False
        #: ``run_single``'s two answers, bound once rather than for every Query
        self._single_answers = (self._answered, self._answered_small)

    def run(self, sql: str) -> None:
        s = self.s
        s.extended.query_started()
        if analysis.empty(sql):
            s.host.write(m.empty_query_response())
            s.ready_for_query()
            return
        self.queue = deque(analysis.statements(sql))
        # Several statements form PostgreSQL's implicit transaction block
        # wherever no explicit one is open (see ``_next``)
        self._implicit = len(self.queue) > 1
        self._next()

    def run_single(self, stmt: str) -> None:
        """A Query of one statement for the handler (``fastpath.SinglePlan``):
        what ``run`` does, without working out again what the text is."""
        s = self.s
        ext = s.extended
        if ext.statements or ext.portals:   # (nothing to drop, as a rule)
            ext.query_started()
        if self.queue:
            self.queue.clear()
        self._implicit = False
        self._cmd = None
        self._copy = None
        done, done_small = self._single_answers
        s.call_now(stmt, {"connection_id": s.conn_id}, done, (), done_small)

    def _next(self) -> None:
        s = self.s
        while self.queue:
            stmt = self.queue.popleft()
            if self._implicit and s.txn == "I" and not s.implicit_block:
                # a block as BEGIN would open one, without saying so: SET
                # LOCAL and DECLARE work in it, DISCARD ALL does not, and an
                # error undoes all of it; it ends with the Query, at a
                # COMMIT or ROLLBACK, or becomes the block a BEGIN opens
                s.implicit_block = True
                s.settings.begin()
            try:
                _, _, cmd, copy, cursor = analysis.prepared(stmt)
                check_failed_transaction(s, cmd)
                if is_builtin(s, cmd):
                    send_builtin(s, run_builtin(s, cmd))
                    continue
                if cursor is not None and self._cursor_statement(cursor):
                    return
                self._copy = copy
                if self._copy == "in":
                    raise PgError("0A000", "COPY FROM STDIN is not supported by this server")
            except PgError as exc:
                self._fail(exc)
                break
            self._cmd = cmd
            s.call_handler(stmt, {"connection_id": s.conn_id}, self._answered,
                           catalog=cmd is None and s.app.is_catalog_statement(stmt))
            return
        self._end_implicit(failed=False)
        s.ready_for_query()

    def _cursor_statement(self, cursor: Any) -> bool:
        """DECLARE and FETCH; True when started (the answer continues later)."""
        s = self.s
        declare = cursor if isinstance(cursor, Declare) else None
        if declare is not None:
            if not declare.hold and s.txn == "I" and not s.implicit_block:
                raise PgError("25P01", "DECLARE CURSOR can only be used in transaction blocks")
            if declare.name in s.extended.portals:
                raise PgError("42P03", 'cursor "%s" already exists' % declare.name)
            s.call_handler(declare.query, {"connection_id": s.conn_id},
                           lambda out, pre: self._declared(declare, out, pre), eager=False, formats=None,
                           catalog=s.app.is_catalog_statement(declare.query))
            return True
        fetch = cursor
        if fetch is None:
            return False
        portal = s.extended.portals.get(fetch.name)
        if s.extended.run_for_fetch(portal, lambda: self._after_finish(fetch)):
            return True
        refused = s.extended.cannot_fetch(fetch.name, portal)
        if refused is not None:
            raise refused
        if portal.fetching is not None and portal.fetching.unfinished:
            s.off_loop(portal.fetching.finish, lambda: self._after_finish(fetch), portal,
                       lambda err: (self._fail(err), self._next()))
            return True
        # text, as PostgreSQL's simple protocol sends a FETCH, but from a BINARY cursor
        formats = (1,) if portal.binary_cursor else ()
        rows = CursorSlice(portal, fetch, formats)       # (where it cannot go: 55000)
        if fetch.move:
            if rows.remaining == 0:
                # MOVE 0 counts the row the cursor is on, without moving
                s.host.write(m.command_complete("MOVE %d" % on_a_row(portal.position, portal.done)))
                self._next()
            else:
                self._send_fetched(fetch, portal, rows, formats)
            return True
        # its rows first, as PostgreSQL's FETCH (see CursorSlice.read_ahead)
        send = lambda: self._send_fetched(fetch, portal, rows, formats)  # noqa: E731
        s.off_loop(lambda: rows.read_ahead(FETCH_AHEAD_BYTES), send, portal,
                   lambda err: (rows.cancelled(err), send()))
        return True

    def _send_fetched(self, fetch: Any, portal: Any, rows: CursorSlice, formats: Tuple[int, ...]) -> None:
        s = self.s

        def finished(err: Optional[PgError], exhausted: bool, leftover: list, sent: int) -> None:
            if err is not None:
                portal.done = portal.failed = True      # (a cancel too, as in PostgreSQL)
                portal.outcome.stream.close()
                self._fail(err)
                s.ready_for_query()
                return
            s.host.write(m.command_complete("%s %d" % ("MOVE" if fetch.move else "FETCH", sent)))
            self._next()
        if rows.failure is not None:
            finished(rows.failure, False, [], 0)
            return
        if not fetch.move:
            s.host.write(row_description(rows.columns, s.codec, formats))
        s.send_rows(rows, rows.take_held(), None, finished, discard=fetch.move)

    def _after_finish(self, fetch: Any) -> None:
        """A FETCH or MOVE once the suspended FETCH before it has its rows."""
        try:
            self._cursor_statement(fetch)
        except PgError as exc:
            self._fail(exc)
            self._next()        # (nothing left to run: ends the Query)

    def _declared(self, declare: Any, outcome: Outcome, pre: List[Tuple[bytes, int]]) -> None:
        s = self.s
        if outcome.error is None and outcome.stream is None:
            outcome.error = PgError("42P11", "cannot open a command that returns no rows as a cursor")
        if outcome.error is not None:
            self._fail(outcome.error)
            s.ready_for_query()
            return
        s.extended.add_cursor(declare, outcome, pre)
        s.host.write(m.command_complete("DECLARE CURSOR"))
        self._next()

    def _fail(self, exc: PgError) -> None:
        self.s.error(exc)
        self.s.statement_failed()
        self.queue.clear()
        self._end_implicit(failed=True)

    def _end_implicit(self, failed: bool) -> None:
        """Close the implicit transaction if no explicit block took it over."""
        s = self.s
        if not self._implicit:
            return
        self._implicit = False
        if s.implicit_block:
            end_implicit_block(s, failed)

    def _answered(self, outcome: Outcome, pre: List[Tuple[bytes, int]]) -> None:
        s = self.s
        if outcome.error is not None:
            self._fail(outcome.error)
            if not outcome.error.fatal:
                s.ready_for_query()
            return
        if outcome.tag is not None:
            s.host.write(m.command_complete(outcome.tag))
            follow_handler_tag(s, self._cmd, outcome.tag)
            self._next()
            return
        stream = outcome.stream
        encoded = None if self._copy is not None else encoded_to_end(pre)
        if encoded is not None:
            # all encoded in the handler's thread: no streaming to set up
            stream.close()
            parts = [row_description(stream.columns, s.codec)] + encoded[0]
            parts.append(m.select_complete(encoded[1]))
            if self.queue:
                s.host.write(b"".join(parts))
                self._next()
            else:       # the Query's last statement: ReadyForQuery in the same write
                if self._implicit:
                    self._end_implicit(failed=False)
                s.ready_for_query(parts)
            return
        if self._copy == "out":
            stream, pre = CopyOutStream(stream), convert_queued(pre)
            s.host.write(copy_out_response(len(stream.columns)))
        else:
            s.host.write(row_description(stream.columns, s.codec))
        s.send_rows(stream, pre, None, lambda err, _exh, _left, sent: self._streamed(stream, err, sent))

    def _answered_small(self, columns: Any, data_rows: bytes, n: int, description: bytes) -> None:
        """``_answered`` for a few rows answered to ``run_single`` (one
        statement: no queue, no implicit block, no COPY)."""
        self.s.ready_for_query([description, data_rows, m.select_complete(n)])

    def _streamed(self, stream: Any, err: Optional[PgError], sent: int) -> None:
        s = self.s
        stream.close()
        if err is not None:
            self._fail(err)
            s.ready_for_query()
            return
        if self._copy == "out":
            s.host.write(copy_done() + m.command_complete("COPY %d" % sent))
        else:
            s.host.write(m.select_complete(sent))
        self._next()


def send_builtin(session: Any, res: BuiltinResult, with_description: bool = True,
                 formats: Tuple[int, ...] = ()) -> None:
    """Write a builtin statement's answer, then its tag. Builtin results are
    text columns, whose binary form is the same bytes as the text form."""
    out = []
    if res.notice is not None:
        n = res.notice
        out.append(m.notice_response(n.severity, n.sqlstate, n.message, encoding=session.codec))
    if res.columns is not None:
        if with_description:
            out.append(row_description(res.columns, session.codec, formats))
        codec = session.codec
        encoders = [encoder_for(t, session.text_ctx) for _, t in res.columns]
        for row in res.rows:
            out.append(m.data_row([None if v is None else enc(v).encode(codec)
                                   for enc, v in zip(encoders, row)]))
        tag = "%s" % res.tag if res.tag != "SELECT" else "SELECT %d" % len(res.rows)
        out.append(m.command_complete(tag))
    else:
        out.append(m.command_complete(res.tag))
    session.host.write(b"".join(out))
