"""The extended query protocol: Parse, Bind, Describe, Execute, Close, Sync.

Prepared statements and portals live here with PostgreSQL's lifetimes: the
unnamed ones are replaced by the next Parse/Bind (and destroyed by a simple
Query), portals end with the transaction. A portal's handler runs once,
whether Describe or Execute asks first; its result then streams over one or
more Executes (a row limit suspends the portal). After an error every message
up to Sync is discarded, and each Sync gets exactly one ReadyForQuery.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from . import analysis
from . import messages as m
from .commands import (builtin_outcome, check_failed_transaction, is_builtin,
                       run_builtin, send_notice, show_columns, follow_handler_tag)
from .cursors import FETCH_AHEAD_BYTES, CursorSlice, Declare, Fetch, on_a_row
from .errors import PgError
from .params import ParamError, check_format_count, decode_params
from .results import Outcome, encoded_to_end, row_description, small_outcome
from .session_sql import ShowCommand, TransactionCommand


def no_such_statement(name: str) -> PgError:
    """PostgreSQL names the unnamed statement in words, not as ``""``."""
    if not name:
        return PgError("26000", "unnamed prepared statement does not exist")
    return PgError("26000", 'prepared statement "%s" does not exist' % name)


class Statement:
    __slots__ = ("name", "sql", "cmd", "param_oids", "empty", "columns", "cursor", "catalog", "builtin")

    def __init__(self, name: str, sql: str, cmd: Any, param_oids: List[int], empty: bool,
                 builtin: bool = False) -> None:
        self.name = name
        self.sql = sql
        self.cmd = cmd
        self.param_oids = param_oids
        self.empty = empty
        #: empty, or answered by the server itself (``commands.is_builtin``)
        self.builtin = builtin
        self.columns: Optional[list] = None
        #: a DECLARE or FETCH (cursors.Declare / cursors.Fetch), else None
        self.cursor: Any = None
        #: answered by the catalog engine rather than the handler
        self.catalog = False


class Portal:
    __slots__ = ("name", "stmt", "args", "formats", "outcome", "queued", "done", "failed", "builtin",
                 "holdable", "level", "position", "binary_cursor", "fetching")

    def __init__(self, name: str, stmt: Statement, args: List[Any], formats: Tuple[int, ...]) -> None:
        self.name = name
        self.stmt = stmt
        self.args = args
        self.formats = formats
        self.outcome: Optional[Outcome] = None
        self.queued: List[Tuple[bytes, int]] = []
        self.done = False
        #: its rows stopped on an error (PostgreSQL's PORTAL_FAILED): a rollback
        #: to a savepoint may keep it, but it can never run again (55000)
        self.failed = False
        self.builtin = False
        #: a WITH HOLD cursor outlives its transaction
        self.holdable = False
        #: the block depth it was made at (``Settings.depth``): a rollback to
        #: a savepoint made before it drops it, even WITH HOLD
        self.level = 0
        #: rows a cursor has given or passed over (PostgreSQL's portalPos)
        self.position = 0
        #: DECLARE ... BINARY: a simple Query's FETCH from it is binary
        self.binary_cursor = False
        #: the last FETCH or MOVE that read from it (``cursors.CursorSlice``)
        self.fetching: Any = None

    def completion_tag(self, rows: int) -> str:
        """CommandComplete for a result with rows: ``SELECT n``, ``FETCH n``, ``SHOW``."""
        if isinstance(self.stmt.cmd, ShowCommand):
            return "SHOW"
        op = self.stmt.cursor
        if isinstance(op, Fetch):
            return ("MOVE %d" if op.move else "FETCH %d") % rows
        return "SELECT %d" % rows

    def close(self) -> None:
        if self.outcome is not None and self.outcome.stream is not None:
            self.outcome.stream.close()


def _parsed_json(oid: int, value: Any) -> Any:
    """json/jsonb parameters as Python values, for handlers that ask."""
    if value is None or oid not in (114, 3802):
        return value
    import json
    try:
        return json.loads(value)
    except ValueError as exc:
        raise PgError("22P02", "invalid input syntax for type json: %s" % exc)


def _check_cached_shape(stmt: Statement, outcome: Outcome) -> Outcome:
    """A statement the client described promised a row shape; clients
    (asyncpg, pgjdbc) decode by it. A result of another shape is refused as
    PostgreSQL refuses it, so the client re-prepares instead of misreading."""
    if stmt.columns is None or outcome.stream is None:
        return outcome
    promised = [t.oid for _, t in stmt.columns]
    got = [t.oid for _, t in outcome.stream.columns]
    if promised == got:
        return outcome
    outcome.stream.close()
    stmt.columns = None        # the next Describe asks the handler again
    return Outcome(error=PgError("0A000", "cached plan must not change result type",
                                 routine="RevalidateCachedQuery"))


def _merge_declared(inferred: List[int], client: Tuple[int, ...], declared: Any) -> List[int]:
    """Types from the handler's hook fill what the client left open (OID 0):
    a client that named a type keeps it, as PostgreSQL keeps it."""
    from .pgtypes import type_from_name
    if not isinstance(declared, (list, tuple)):
        raise PgError("XX000", "parameter type hook must return a list of types, got %r" % (declared,))
    out = list(inferred) + [25] * max(0, len(declared) - len(inferred))
    for i, t in enumerate(declared):
        if t is None or (i < len(client) and client[i] != 0):
            continue
        if isinstance(t, int) and not isinstance(t, bool) and t > 0:
            out[i] = t
        elif isinstance(t, str):
            try:
                out[i] = type_from_name(t).oid
            except ValueError as exc:
                raise PgError("42704", "parameter type hook: %s" % exc)
        else:
            raise PgError("XX000", "parameter type hook gave %r for $%d; use an OID, a type name or None"
                          % (t, i + 1))
    return out


class ExtendedProtocol:
    """Per-session prepared statements, portals and the error-until-Sync rule."""

    def __init__(self, session: Any) -> None:
        self.s = session
        self.skipping = False
        #: settings frame of the implicit transaction that lasts until Sync
        #: (opened only when a builtin runs: only those change settings)
        self._implicit = False
        self._implicit_failed = False
        #: statements executed since Sync, transaction control aside: past
        #: one, PostgreSQL calls it a pipeline (DISCARD ALL refuses to run)
        self.executed = 0
        self.statements: Dict[str, Statement] = {}
        self.portals: Dict[str, Portal] = {}
        #: (statement, plan, messages after Bind) of the request ``run_unnamed`` runs
        self._unnamed: Any = None
        #: its two answers, bound once rather than for every request
        self._unnamed_answers = (self._unnamed_done, self._unnamed_small)

    # ------------------------------------------------------------ dispatch

    def handle(self, msg: Any) -> None:
        step = _STEPS[type(msg)]
        if step is None:
            return          # Flush: everything is sent at the end of the turn anyway
        if step is ExtendedProtocol._sync:
            self._sync()    # never "fails": it ends the failure
            return
        try:
            step(self, msg)
        except PgError as exc:
            if exc.fatal:
                raise
            self.fail(exc)

    def fail(self, exc: PgError) -> None:
        self.s.error(exc)
        self.s.statement_failed()
        self.skipping = True
        self._implicit_failed = True

    def _sync(self, msg: Any = None, before: Optional[List[bytes]] = None) -> None:
        s = self.s
        self.skipping = False
        self.executed = 0
        if self._implicit:
            # an error anywhere before Sync undoes the pipeline's SETs and
            # drops the cursors made in it, as PostgreSQL's implicit
            # transaction does; an explicit BEGIN inside it took the frame over
            if s.txn == "I":
                self.end_implicit(self._implicit_failed)
            self._implicit = False
        elif s.txn == "I" and self.portals:
            self._drop_portals()   # the implicit transaction ends here
        if s.txn == "I":
            s.queried = False
        self._implicit_failed = False
        s.ready_for_query(before)

    @property
    def implicit_open(self) -> bool:
        """The settings frame of the implicit transaction before Sync is open."""
        return self._implicit

    def end_implicit(self, failed: bool) -> None:
        """End the implicit transaction before Sync: at Sync, or at a COMMIT
        or ROLLBACK in it (the statements after it start another). Its SETs
        are kept or undone, its cursors kept (WITH HOLD) or dropped."""
        self._implicit = False
        self.s.queried = False
        self.s._settings_changed(self.s.settings.rollback() if failed else self.s.settings.commit())
        self.transaction_ended(committed=not failed)

    # ------------------------------------------------- the common request

    def run_unnamed(self, plan: Any, data: bytes) -> None:
        """Parse/Bind/[Describe]/Execute/Sync of an unnamed statement without
        parameters (``fastpath.UnnamedPlan``), read whole as ``data``: Parse
        and Bind are done here; the rest is answered in one go when the
        handler's result is complete at once, without being read, else it
        goes to the framer and is read as usual (see ``Session.call_now``).
        ParseComplete and BindComplete wait for the answer too (PostgreSQL
        sends nothing before Sync either), so all of it is one write. The
        unnamed portal is made only if it outlives the request."""
        s = self.s
        stmt = Statement("", plan.sql, None, [], False)
        self.statements[""] = stmt
        old = self.portals.pop("", None)
        if old is not None:
            old.close()
        rest = data[plan.head:]
        # what the two answers below need: bound methods rather than closures
        # made per request (the session runs one request at a time)
        self._unnamed = (stmt, plan, rest)
        done, done_small = self._unnamed_answers
        s.call_now(plan.sql, {"connection_id": s.conn_id, "do_describe": False, "param_types": []},
                   done, plan.formats, done_small, rest)

    def _unnamed_done(self, outcome: Outcome, pre: List[Tuple[bytes, int]]) -> None:
        """``run_unnamed``'s answer in the general form (its messages after
        Bind are in the framer)."""
        stmt, plan, _ = self._unnamed
        if outcome.error is None and self._answer_at_once(stmt, plan, outcome, pre):
            return
        portal = self.portals[""] = Portal("", stmt, [], plan.formats)
        portal.outcome = outcome
        self.s.host.write(_PARSE_BIND_COMPLETE)      # before what the general path sends
        if outcome.error is None:
            portal.queued = pre

    def _unnamed_small(self, columns: Any, data_rows: bytes, n: int, description: bytes) -> None:
        """``run_unnamed``'s answer as a few rows, given at once (its
        messages after Bind never reached the framer)."""
        s = self.s
        _, plan, rest = self._unnamed
        if s.txn != "I":
            s.framer.feed(rest)     # a portal to keep: the general form
            self._unnamed_done(*small_outcome((columns, data_rows, n, description)))
            # (answered at once, they left the framer; should they not have
            # been, they are read from there now)
            if not s._busy and s.framer.pending():
                s._process()
            return
        # (_rows_at_once, written out: this answers every small select)
        if plan.describe:
            parts = [_PARSE_BIND_COMPLETE, description, data_rows, m.select_complete(n)]
        else:
            parts = [_PARSE_BIND_COMPLETE, data_rows, m.select_complete(n)]
        self._sync(None, parts)

    def _answer_at_once(self, stmt: Statement, plan: Any, out: Outcome,
                        pre: List[Tuple[bytes, int]]) -> bool:
        """Answer Describe, Execute and Sync together, as their general
        handling would, when the whole result is known; False otherwise."""
        s = self.s
        stream = out.stream
        if stream is None:
            parts = [_PARSE_BIND_COMPLETE]
            if plan.describe:
                parts.append(m.no_data())
            parts.append(m.command_complete(out.tag))
            s.framer.skip(plan.rest)
            follow_handler_tag(s, None, out.tag)
        else:
            encoded = encoded_to_end(pre)
            if encoded is None:
                return False
            stream.close()
            parts = self._rows_at_once(plan, stream.columns, encoded[0], encoded[1])
            s.framer.skip(plan.rest)
        if s.txn != "I":
            # in a transaction block the executed portal lasts until it ends
            portal = self.portals[""] = Portal("", stmt, [], plan.formats)
            portal.outcome = out
            portal.done = True
        self._sync(before=parts)
        return True

    def _rows_at_once(self, plan: Any, columns: Any, data_rows: List[bytes], n: int) -> List[bytes]:
        """What answers the request's messages after Bind when its rows are
        all encoded (``_unnamed_small`` writes its own out)."""
        parts = [_PARSE_BIND_COMPLETE]
        if plan.describe:
            parts.append(row_description(columns, self.s.codec, plan.formats))
        parts += data_rows
        parts.append(m.select_complete(n))
        return parts

    # --------------------------------------------------------------- Parse

    def _parse(self, msg: m.Parse) -> None:
        if msg.name and msg.name in self.statements:
            raise PgError("42P05", 'prepared statement "%s" already exists' % msg.name)
        several, empty, cmd, copy, cursor = analysis.prepared(msg.sql)
        if several:
            raise PgError("42601", "cannot insert multiple commands into a prepared statement")
        if not empty:
            check_failed_transaction(self.s, cmd)
        if copy is not None:
            raise PgError("0A000", "COPY to or from the client is supported through the simple "
                          "query protocol only")
        oids = list(analysis.inferred_types(msg.sql, msg.param_types))
        if len(oids) > 65535:
            raise PgError("54000", "number of parameters must be between 0 and 65535")
        stmt = Statement(msg.name, msg.sql, cmd, oids, empty,
                         empty or (cmd is not None and is_builtin(self.s, cmd)))
        if cmd is None and not empty:
            stmt.cursor = cursor
            stmt.catalog = cursor is None and self.s.app.is_catalog_statement(msg.sql)
        if stmt.builtin or stmt.catalog \
                or not self.s.app.declares_parameter_types:
            self._parsed(stmt)
            return
        # The handler may declare the parameter types itself; it is user
        # code, so it runs on a worker and Parse completes when it answers.
        declared = tuple(msg.param_types)
        self.s.run_user(lambda: self.s.app.parameter_types(self.s, msg.sql, list(oids)),
                        lambda result, exc: self._types_declared(stmt, declared, result, exc))

    def _types_declared(self, stmt: Statement, declared: Tuple[int, ...], result: Any,
                        exc: Optional[BaseException]) -> None:
        if isinstance(exc, PgError):
            self.fail(exc)          # cancelled while the hook ran
            return
        if exc is not None:
            self.fail(PgError("XX000", "parameter type hook raised %s: %s" % (type(exc).__name__, exc)))
            return
        if result is not None:
            try:
                stmt.param_oids = _merge_declared(stmt.param_oids, declared, result)
            except PgError as err:
                self.fail(err)
                return
        self._parsed(stmt)

    def _parsed(self, stmt: Statement) -> None:
        self.statements[stmt.name] = stmt
        self.s.host.write(m.parse_complete())

    # ---------------------------------------------------------------- Bind

    def _bind(self, msg: m.Bind) -> None:
        stmt = self.statements.get(msg.statement)
        if stmt is None:
            raise no_such_statement(msg.statement)
        # in PostgreSQL's order: the message, the block, then the name
        n = len(msg.params)
        try:
            check_format_count(len(msg.param_formats), n)
        except ParamError as exc:
            raise PgError(exc.sqlstate, exc.message)
        if n != len(stmt.param_oids):
            raise PgError("08P01", 'bind message supplies %d parameters, but prepared statement '
                          '"%s" requires %d' % (n, msg.statement, len(stmt.param_oids)))
        check_failed_transaction(self.s, stmt.cmd)
        if msg.portal and msg.portal in self.portals:
            raise PgError("42P03", 'cursor "%s" already exists' % msg.portal)
        if not msg.params and not msg.param_formats:
            args: List[Any] = []
        else:
            try:
                args = decode_params(stmt.param_oids, msg.param_formats, msg.params, self.s.codec)
                if self.s.app.parse_json_parameters:
                    args = [_parsed_json(oid, v) for oid, v in zip(stmt.param_oids, args)]
            except ParamError as exc:
                raise PgError(exc.sqlstate, exc.message)
        old = self.portals.pop(msg.portal, None)
        if old is not None:
            old.close()
        portal = self.portals[msg.portal] = Portal(msg.portal, stmt, args, msg.result_formats)
        portal.level = self.s.settings.depth
        self.s.host.write(m.bind_complete())

    # ------------------------------------------------------------ Describe

    def _describe(self, msg: m.Describe) -> None:
        s = self.s
        if msg.kind == "S":
            stmt = self.statements.get(msg.name)
            if stmt is None:
                raise no_such_statement(msg.name)
            if not self._returns_nothing(stmt):
                # PostgreSQL describes a row-less statement even in a failed
                # block; one with a result shape is refused
                check_failed_transaction(s, stmt.cmd)
            s.host.write(m.parameter_description(stmt.param_oids))
            if stmt.builtin or stmt.cursor is not None:
                self._describe_builtin(stmt, ())
                return
            if stmt.columns is not None:
                self._write_columns(stmt.columns, ())
                return
            kwargs = {"connection_id": s.conn_id, "do_describe": True, "query_args": None,
                      "param_types": list(stmt.param_oids)}
            s.call_handler(stmt.sql, kwargs, lambda out, pre: self._described(stmt, out), eager=False,
                           catalog=stmt.catalog)
            return
        portal = self._portal(msg.name)
        if (portal.stmt.builtin and not isinstance(portal.stmt.cmd, ShowCommand)) \
                or (portal.stmt.cursor is not None and not isinstance(portal.stmt.cursor, Fetch)) \
                or (isinstance(portal.stmt.cursor, Fetch) and portal.stmt.cursor.move):
            self.s.host.write(m.no_data())     # described without running (SET has effects)
            return
        op = portal.stmt.cursor
        if portal.outcome is None and isinstance(op, Fetch):
            target = self.portals.get(op.name)
            if self.cannot_fetch(op.name, target) is not None and not (target is not None and target.failed):
                # as PostgreSQL describes it: no rows; executing it says why
                # (a failed cursor still has its columns)
                self.s.host.write(m.no_data())
                return
        columns = self._cursor_columns(op)
        if portal.outcome is None and columns is not None:
            # a FETCH is described by its cursor, without moving it: where it
            # cannot go is found when it is executed, as in PostgreSQL
            self._write_columns(columns, portal.formats)
            return
        if portal.outcome is None:
            self._run_portal(portal, lambda: self._describe_ran(portal))
            return
        self._describe_ran(portal)

    def _returns_nothing(self, stmt: Statement) -> bool:
        """Known without running it: an empty query or a builtin other than SHOW."""
        return stmt.empty or (stmt.builtin and not isinstance(stmt.cmd, ShowCommand)
                              and stmt.cursor is None)

    def _describe_builtin(self, stmt: Statement, formats: Tuple[int, ...]) -> None:
        columns = self._cursor_columns(stmt.cursor)
        if isinstance(stmt.cmd, ShowCommand):
            self._write_columns(show_columns(self.s, stmt.cmd.name), formats)
        elif columns is not None:
            self._write_columns(columns, formats)
        else:
            self.s.host.write(m.no_data())

    def _cursor_columns(self, op: Any) -> Optional[list]:
        """The columns a FETCH returns: its cursor's, while there is one
        (a MOVE, or a FETCH from no cursor yet, is described as no rows)."""
        if not isinstance(op, Fetch) or op.move:
            return None
        cursor = self.portals.get(op.name)
        if cursor is None or cursor.outcome is None or cursor.outcome.stream is None:
            return None
        return cursor.outcome.stream.columns

    def _write_columns(self, columns: list, formats: Tuple[int, ...]) -> None:
        self.s.host.write(row_description(columns, self.s.codec, formats))

    def _described(self, stmt: Statement, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.fail(outcome.error)
            return
        if outcome.stream is None:
            self.s.host.write(m.no_data())
            return
        stmt.columns = outcome.stream.columns
        outcome.stream.close()
        self._write_columns(stmt.columns, ())

    def _describe_ran(self, portal: Portal) -> None:
        out = portal.outcome
        if out.error is not None:
            portal.done = True
            self.fail(out.error)
        elif out.stream is None:
            self.s.host.write(m.no_data())
        else:
            self._write_columns(out.stream.columns, portal.formats)

    # ------------------------------------------------------------- Execute

    def _portal(self, name: str) -> Portal:
        portal = self.portals.get(name)
        if portal is None:
            raise PgError("34000", 'portal "%s" does not exist' % name)
        return portal

    def _run_portal(self, portal: Portal, then: Any) -> None:
        """Produce a portal's result, once: builtins here, the handler on a
        worker; ``then()`` runs when the outcome is known."""
        s = self.s
        check_failed_transaction(s, portal.stmt.cmd)
        if portal.stmt.builtin:
            res = run_builtin(s, portal.stmt.cmd)
            if res.notice is not None:
                send_notice(s, res.notice)
            portal.builtin = True
            portal.outcome = builtin_outcome(s, res)
            then()
            return
        if portal.stmt.cursor is not None:
            self._run_cursor_portal(portal, then)
            return
        kwargs = {"connection_id": s.conn_id, "do_describe": False,
                  "param_types": list(portal.stmt.param_oids)}
        if portal.stmt.param_oids:
            kwargs["query_args"] = list(portal.args)

        def done(outcome: Outcome, pre: List[Tuple[bytes, int]]) -> None:
            portal.outcome = _check_cached_shape(portal.stmt, outcome)
            portal.queued = pre if portal.outcome.error is None else []
            then()
        s.call_handler(portal.stmt.sql, kwargs, done, formats=portal.formats,
                       catalog=portal.stmt.catalog)

    def run_for_fetch(self, portal: Optional[Portal], then: Any) -> bool:
        """A portal Bind made that no Execute has run yet is run by the
        first FETCH or MOVE naming it, as PostgreSQL runs it then (a
        portal and a cursor are one thing there); True when started,
        ``then()`` following once its outcome is known."""
        if not self._runs_for_fetch(portal):
            return False
        self._run_portal(portal, then)
        return True

    def _runs_for_fetch(self, portal: Optional[Portal]) -> bool:
        return portal is not None and portal.outcome is None and portal.stmt.cursor is None \
            and not self._fetch_refuses_unrun(portal.stmt)

    def _fetch_refuses_unrun(self, stmt: Statement) -> bool:
        """A portal not run yet that a FETCH refuses: one known to give no
        rows (a builtin command, or a handler statement PostgreSQL runs as
        a command: ``analysis.runs_as_command``), or a DECLARE."""
        return self._returns_nothing(stmt) or isinstance(stmt.cursor, Declare) or (
            not stmt.builtin and stmt.cursor is None and analysis.runs_as_command(stmt.sql))

    def cannot_fetch(self, name: str, portal: Optional[Portal]) -> Optional[PgError]:
        """Why a FETCH or MOVE cannot read the portal ``name``, in
        PostgreSQL's words, or None (for a portal not run yet: one that
        ``run_for_fetch`` runs). A command's portal is refused, not run: it
        has no rows to give before it runs (SET would take effect) and
        cannot run again after."""
        if portal is None:
            return PgError("34000", 'cursor "%s" does not exist' % name)
        if portal.failed:
            return PgError("55000", 'portal "%s" cannot be run' % name)
        out = portal.outcome
        if out is None:
            if self._fetch_refuses_unrun(portal.stmt):
                return PgError("XX000", "unsupported portal strategy")
            if portal.stmt.cursor is None:
                return None         # run_for_fetch runs it
            return PgError("34000", 'cursor "%s" does not exist' % name)
        if out.error is not None:
            return out.error        # its query failed when a FETCH ran it
        if out.stream is None:
            if portal.done:
                return PgError("55000", 'portal "%s" cannot be run' % name)
            return PgError("XX000", "unsupported portal strategy")
        return None

    def _run_cursor_portal(self, portal: Portal, then: Any) -> None:
        """DECLARE runs the handler for the cursor's query; FETCH slices it."""
        s = self.s
        op = portal.stmt.cursor
        portal.builtin = True
        if isinstance(op, Fetch):
            cursor = self.portals.get(op.name)
            if self.run_for_fetch(cursor, lambda: self._run_cursor_portal(portal, then)):
                return
            refused = self.cannot_fetch(op.name, cursor)
            if refused is not None:
                portal.outcome = Outcome(error=refused)
            elif cursor.fetching is not None and cursor.fetching.unfinished:
                def cancelled(err: PgError) -> None:
                    portal.outcome = Outcome(error=err)
                    then()
                s.off_loop(cursor.fetching.finish, lambda: self._run_cursor_portal(portal, then), cursor,
                           cancelled)
                return
            else:
                try:
                    rows = CursorSlice(cursor, op, portal.formats)
                except PgError as exc:
                    portal.outcome = Outcome(error=exc)
                else:
                    portal.outcome = Outcome(stream=rows)
                    if op.move and rows.remaining == 0:     # MOVE 0: no move
                        portal.outcome = Outcome(tag="MOVE %d" % on_a_row(cursor.position, cursor.done))
                    elif not op.move:
                        # its rows first, as PostgreSQL's FETCH (see CursorSlice.read_ahead)
                        def fetched() -> None:
                            if rows.failure is not None:
                                portal.outcome = Outcome(error=rows.failure)
                            else:
                                portal.queued = rows.take_held()
                            then()
                        s.off_loop(lambda: rows.read_ahead(FETCH_AHEAD_BYTES), fetched, cursor,
                                   lambda err: (rows.cancelled(err), fetched()))
                        return
            then()
            return
        if not op.hold and s.txn == "I":
            portal.outcome = Outcome(error=PgError("25P01", "DECLARE CURSOR can only be used in "
                                                   "transaction blocks"))
            then()
            return
        if op.name in self.portals:
            portal.outcome = Outcome(error=PgError("42P03", 'cursor "%s" already exists' % op.name))
            then()
            return
        kwargs = {"connection_id": s.conn_id, "do_describe": False,
                  "param_types": list(portal.stmt.param_oids)}
        if portal.stmt.param_oids:
            kwargs["query_args"] = list(portal.args)

        def done(outcome: Outcome, pre: List[Tuple[bytes, int]]) -> None:
            if outcome.error is None and outcome.stream is None:
                outcome = Outcome(error=PgError("42P11", "cannot open a command that returns no "
                                                "rows as a cursor"))
            if outcome.error is not None:
                portal.outcome = outcome
            else:
                self.add_cursor(op, outcome, pre)
                portal.outcome = Outcome(tag="DECLARE CURSOR")
            then()
        s.call_handler(op.query, kwargs, done, eager=False, formats=None,
                       catalog=s.app.is_catalog_statement(op.query))

    def _execute(self, msg: m.Execute) -> None:
        s = self.s
        portal = self._portal(msg.portal)
        check_failed_transaction(s, portal.stmt.cmd)
        if not isinstance(portal.stmt.cmd, TransactionCommand):
            self.executed += 1
        if s.txn == "I" and not self._implicit and (portal.stmt.builtin or portal.stmt.cursor is not None):
            # (a cursor made here belongs to it too: gone if it fails)
            self._implicit = True
            s.settings.begin()
        if portal.stmt.empty:
            s.host.write(m.empty_query_response())
            return
        if portal.failed:
            raise PgError("55000", 'portal "%s" cannot be run' % portal.name)
        if portal.done:
            out = portal.outcome
            if out is not None and out.stream is None:
                # a command runs once; PostgreSQL refuses to run it again
                raise PgError("55000", 'portal "%s" cannot be run' % portal.name)
            s.host.write(m.command_complete(portal.completion_tag(0)))
            return
        limit = msg.max_rows if msg.max_rows > 0 else None
        if portal.outcome is None:
            self._run_portal(portal, lambda: self._send(portal, limit))
        else:
            self._send(portal, limit)

    def _send(self, portal: Portal, limit: Optional[int]) -> None:
        s = self.s
        out = portal.outcome
        if out.error is not None:
            portal.done = True
            self.fail(out.error)
            return
        if out.tag is not None:
            portal.done = True
            s.host.write(m.command_complete(out.tag))
            if not portal.builtin:       # run_builtin already moved the transaction
                follow_handler_tag(s, portal.stmt.cmd, out.tag)
            return
        queued, portal.queued = portal.queued, []

        def finished(err: Optional[PgError], exhausted: bool, leftover: List[Tuple[bytes, int]],
                     sent: int) -> None:
            if err is not None:
                portal.done = portal.failed = True
                if isinstance(out.stream, CursorSlice):
                    out.stream.cursor.failed = True     # a FETCH's error (or cancel) fails its cursor
                out.stream.close()
                self.fail(err)
                return
            if exhausted:
                portal.done = True
                out.stream.close()
                s.host.write(m.command_complete(portal.completion_tag(sent)))
            else:
                portal.queued = leftover
                s.host.write(m.portal_suspended())
        op = portal.stmt.cursor
        move = isinstance(op, Fetch) and op.move
        # a MOVE sends no rows: Execute's row limit does not apply to it
        s.send_rows(out.stream, queued, None if move else limit, finished, discard=move)

    # --------------------------------------------------------------- Close

    def _close(self, msg: m.Close) -> None:
        if msg.kind == "S":
            self.statements.pop(msg.name, None)
        else:
            portal = self.portals.pop(msg.name, None)
            if portal is not None:
                portal.close()
        self.s.host.write(m.close_complete())

    # ------------------------------------------------------ session events

    def _drop_portals(self, keep_holdable: bool = True) -> None:
        portals = self.portals
        if not portals:
            return
        if len(portals) == 1 and "" in portals and not portals[""].holdable:
            portals.pop("").close()    # the everyday case: just the unnamed portal
            return
        kept = {}
        for name, p in self.portals.items():
            if keep_holdable and p.holdable:
                kept[name] = p
            else:
                p.close()
        self.portals = kept

    def add_cursor(self, declare: Declare, outcome: Outcome, queued: List[Tuple[bytes, int]]) -> None:
        """A SQL-level cursor: a named portal holding its query's result
        (``cursor_rows.CursorRows``: ``call_handler`` with formats None)."""
        name = declare.name
        portal = Portal(name, Statement(name, declare.query, None, [], False), [],
                        (1,) if declare.binary else ())
        stream = outcome.stream
        if declare.binary and stream is not None:
            stream.formats = [1] * len(stream.columns)
        portal.outcome = outcome
        portal.queued = queued
        portal.binary_cursor = declare.binary
        portal.holdable = declare.hold
        portal.level = self.s.settings.depth
        self.portals[name] = portal

    def close_cursor(self, name: str) -> None:
        portal = self.portals.pop(name, None)
        if portal is None:
            raise PgError("34000", 'cursor "%s" does not exist' % name)
        portal.close()

    def query_started(self) -> None:
        """A simple Query destroys the unnamed statement and portal, and
        commits the implicit transaction of the pipeline before it (its
        SETs kept, its portals gone), as PostgreSQL does when a Query comes
        before the Sync."""
        if self.s.txn == "I":
            if self._implicit:
                self.end_implicit(failed=False)
            else:
                self._drop_portals()
        self.statements.pop("", None)
        p = self.portals.pop("", None)
        if p is not None:
            p.close()

    def transaction_ended(self, committed: bool) -> None:
        """Portals end with their transaction, but WITH HOLD cursors, which
        outlive it if it commits (a rollback drops those made in it)."""
        if not committed:
            self.rolled_back(1)
        self._drop_portals()
        for portal in self.portals.values():
            portal.level = 0

    def rolled_back(self, depth: int) -> None:
        """ROLLBACK [TO]: drop the portals made at ``depth`` or deeper."""
        for name in [n for n, p in self.portals.items() if p.level >= depth]:
            self.portals.pop(name).close()

    def released(self, depth: int) -> None:
        """RELEASE: what a released savepoint made now belongs to its parent."""
        for portal in self.portals.values():
            if portal.level > depth:
                portal.level = depth

    def discard_all(self) -> None:
        self.statements.clear()
        self._drop_portals(keep_holdable=False)

    def deallocate(self, name: Optional[str], everything: bool) -> None:
        if everything:
            self.statements = {k: v for k, v in self.statements.items() if k == ""}
            return
        if name is not None and name not in self.statements:
            raise PgError("26000", 'prepared statement "%s" does not exist' % name)
        self.statements.pop(name, None)

    def close_all_portals(self) -> None:
        self._drop_portals(keep_holdable=False)

    def release_all(self) -> None:
        self._drop_portals(keep_holdable=False)


_PARSE_BIND_COMPLETE = m.parse_complete() + m.bind_complete()

#: what each extended-protocol message does
_STEPS = {m.Parse: ExtendedProtocol._parse, m.Bind: ExtendedProtocol._bind,
          m.Describe: ExtendedProtocol._describe, m.Execute: ExtendedProtocol._execute,
          m.Close: ExtendedProtocol._close, m.Sync: ExtendedProtocol._sync, m.Flush: None}
