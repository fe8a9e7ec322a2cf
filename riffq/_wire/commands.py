"""Statements the server answers itself: SET, SHOW, RESET, DISCARD,
transaction control and friends.

Clients send these on connect and on pool release whatever the data behind
the server is, so they must work without the user's handler. Both the simple
and the extended protocol run them through ``run_builtin``, which returns a
``BuiltinResult`` (columns and text rows, or just a tag) and never touches the
wire itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple

from . import messages as m
from . import pgtypes
from .errors import PgError
from .session_sql import (ResetCommand, SetCommand, ShowCommand, SimpleTagCommand,
                          TransactionCommand, classify)
from .settings import SettingError


@dataclass
class BuiltinResult:
    tag: str
    columns: Optional[List[Tuple[str, pgtypes.PgType]]] = None
    rows: Sequence[Sequence[Optional[str]]] = ()
    notice: Optional[PgError] = None


#: Statements still allowed inside a failed transaction block.
_RECOVERY = ("rollback", "rollback_to", "commit")


def classify_statement(stmt: str) -> Any:
    """``classify`` with syntax errors turned into PgError 42601."""
    try:
        return classify(stmt)
    except Exception as exc:
        sqlstate = getattr(exc, "sqlstate", None)
        if sqlstate:
            raise PgError(sqlstate, getattr(exc, "message", str(exc)))
        raise


def check_failed_transaction(session: Any, cmd: Any) -> None:
    """PostgreSQL refuses everything but ending the block after an error."""
    if session.txn == "E" and not (isinstance(cmd, TransactionCommand) and cmd.kind in _RECOVERY):
        raise PgError("25P02", "current transaction is aborted, commands ignored until end of "
                      "transaction block")


def is_builtin(session: Any, cmd: Any) -> bool:
    if cmd is None:
        return False
    if isinstance(cmd, TransactionCommand):
        return not session.app.forward_transaction_control
    return True


def run_builtin(session: Any, cmd: Any) -> BuiltinResult:
    """Execute a classified builtin statement against the session."""
    try:
        if isinstance(cmd, SetCommand):
            notice = None
            if session.txn == "I" and not session.implicit_block and (cmd.transaction or cmd.local):
                notice = PgError("25P01", "%s can only be used in transaction blocks"
                                 % ("SET TRANSACTION" if cmd.transaction else "SET LOCAL"),
                                 severity="WARNING")
            # PostgreSQL warns but still sets it for the transaction under
            # way: nothing lasting after one statement, until Sync in a
            # pipeline of the extended protocol
            if notice is None or session.settings.in_transaction:
                try:
                    _set_checked(session, cmd.items, local=cmd.local or cmd.transaction)
                except PgError:
                    if notice is not None:
                        send_notice(session, notice)    # the warning, then the error
                    raise
            return BuiltinResult("SET", notice=notice)
        if isinstance(cmd, ResetCommand):
            if cmd.name.lower() == "all":
                session._settings_changed(session.settings.reset_all())
            else:
                session.apply_setting(cmd.name, None)
            return BuiltinResult("RESET")
        if isinstance(cmd, ShowCommand):
            return _show(session, cmd.name)
    except SettingError as exc:
        raise PgError(exc.sqlstate, exc.message)
    if isinstance(cmd, SimpleTagCommand):
        tag = cmd.tag
        if not tag.endswith("LISTEN"):
            session.snapshot_taken()
        if tag == "DISCARD ALL":
            if session.txn != "I" or session.implicit_block:
                raise PgError("25001", "DISCARD ALL cannot run inside a transaction block")
            if session.extended.executed > 1:
                raise PgError("25001", "DISCARD ALL cannot be executed within a pipeline")
            session._settings_changed(session.settings.reset_all())
            session.extended.discard_all()
        elif tag.startswith("DEALLOCATE"):
            session.extended.deallocate(getattr(cmd, "name", None), tag == "DEALLOCATE ALL")
        elif tag == "CLOSE CURSOR ALL":
            session.extended.close_all_portals()
        elif tag == "CLOSE CURSOR" and getattr(cmd, "name", None):
            session.extended.close_cursor(cmd.name)
        return BuiltinResult(tag)
    if isinstance(cmd, TransactionCommand):
        # COMMIT of a failed transaction block reports ROLLBACK, as PostgreSQL does.
        tag = "ROLLBACK" if (cmd.kind == "commit" and session.txn == "E") else cmd.tag
        return BuiltinResult(tag, notice=transaction_transition(session, cmd.kind, cmd.tag, cmd.modes,
                                                                cmd.name, cmd.chain))
    raise PgError("XX000", "internal error: unhandled builtin %r" % (cmd,))


def show_columns(session: Any, name: str) -> List[Tuple[str, pgtypes.PgType]]:
    """SHOW's columns: the parameter under its canonical name (``DateStyle``)."""
    if name.lower() == "all":
        return [("name", pgtypes.TEXT), ("setting", pgtypes.TEXT), ("description", pgtypes.TEXT)]
    return [(session.settings.canonical_name(name), pgtypes.TEXT)]


def _show(session: Any, name: str) -> BuiltinResult:
    settings = session.settings
    if name.lower() == "all":
        return BuiltinResult("SHOW", show_columns(session, name), [list(r) for r in settings.show_all()])
    value = settings.get(name)
    return BuiltinResult("SHOW", show_columns(session, name), [[value]])


def builtin_outcome(session: Any, res: BuiltinResult) -> Any:
    """A builtin's answer as the outcome of a handler call, so portals treat
    both alike (row limits, suspension, Describe)."""
    from .results import Outcome, ResultStream
    from .textformat import encoder_for
    if res.columns is None:
        return Outcome(tag=res.tag)
    encoders = [encoder_for(t, session.text_ctx) for _, t in res.columns]
    codec = session.codec
    rows = [[None if v is None else enc(v).encode(codec) for enc, v in zip(encoders, row)]
            for row in res.rows]
    chunks = iter([(m.data_rows(rows), len(rows))] if rows else [])
    return Outcome(stream=ResultStream(list(res.columns), chunks))


#: the modes of a transaction: what COMMIT/ROLLBACK AND CHAIN carries into
#: the next, and what its first snapshot fixes
_TRANSACTION_MODES = ("transaction_isolation", "transaction_read_only", "transaction_deferrable")


def transaction_transition(session: Any, kind: str, tag: str,
                           modes: Sequence[Tuple[str, str]] = (),
                           savepoint: Optional[str] = None, chain: bool = False) -> Optional[PgError]:
    """Move the transaction status as ``kind`` does; returns a warning to send.

    Also ends SET LOCAL scopes and drops portals at transaction end.
    """
    txn = session.txn
    warning = None
    if kind == "begin":
        if txn == "I":
            # (an implicit block becomes this one, its SETs and queries with it)
            implicit, session.implicit_block = session.implicit_block, False
            session.txn = "T"
            session.settings.begin()
            try:
                _set_checked(session, modes, local=True)
            except PgError:
                # a BEGIN that fails opens no block (PostgreSQL aborts it in
                # TBLOCK_BEGIN): the implicit transaction it was to take
                # over fails instead
                session.txn, session.implicit_block = "I", implicit
                raise
        else:
            warning = PgError("25001", "there is already a transaction in progress", severity="WARNING")
            if modes:
                # PostgreSQL warns, then sets the modes given as SET
                # TRANSACTION would, which may fail after the warning
                send_notice(session, warning)
                warning = None
                _set_checked(session, modes, local=True)
    elif kind in ("commit", "rollback"):
        if txn == "I":
            if chain:
                raise PgError("25P01", "%s AND CHAIN can only be used in transaction blocks" % tag)
            warning = PgError("25P01", "there is no transaction in progress", severity="WARNING")
            # it still ends an implicit block or transaction, keeping or
            # undoing its SETs
            if session.implicit_block:
                end_implicit_block(session, failed=kind == "rollback")
            elif session.extended.implicit_open:
                session.extended.end_implicit(failed=kind == "rollback")
        else:
            # AND CHAIN: the next transaction starts at once, with the modes
            # in force -- after an error, those the abort left (``Settings.abort``
            # undoes what SET them since the savepoint or BEGIN, not what a
            # chain carried into the block)
            kept = [(n, session.settings.get(n)) for n in _TRANSACTION_MODES] if chain else []
            changes = session.settings.commit() if (kind == "commit" and txn == "T") else session.settings.rollback()
            session.txn = "I"
            session.queried = False
            session._settings_changed(changes or [])
            session.extended.transaction_ended(committed=kind == "commit" and txn == "T")
            if chain:
                session.txn = "T"
                session.settings.begin(carried=kept)
    elif kind == "rollback_to":
        if txn == "I":
            raise PgError("25P01", "ROLLBACK TO SAVEPOINT can only be used in transaction blocks")
        if savepoint is not None:
            session._settings_changed(_savepoint_op(session.settings.rollback_to, savepoint))
            session.extended.rolled_back(session.settings.depth)
        session.txn = "T"
    elif kind in ("savepoint", "release"):
        if txn == "I":
            raise PgError("25P01", "%s can only be used in transaction blocks"
                          % ("RELEASE SAVEPOINT" if kind == "release" else "SAVEPOINT"))
        if savepoint is not None:
            op = session.settings.savepoint if kind == "savepoint" else session.settings.release
            _savepoint_op(op, savepoint)
            if kind == "release":
                session.extended.released(session.settings.depth)
    return warning


def send_notice(session: Any, notice: PgError) -> None:
    """A WARNING or NOTICE, written now (before the statement's answer,
    or before the error that ends it)."""
    session.host.write(m.notice_response(notice.severity, notice.sqlstate, notice.message,
                                         encoding=session.codec))


def _set_checked(session: Any, items: Sequence[Tuple[str, str]], local: bool) -> None:
    """SET ``items``; in a transaction, then refused where PostgreSQL's
    check hooks refuse a change of its modes (the error fails the block,
    which undoes the SET)."""
    settings = session.settings
    before = [settings.get(n) for n in _TRANSACTION_MODES] if settings.in_transaction else None
    for name, value in items:
        session.apply_setting(name, value, local=local)
    if before is not None:
        _check_transaction_modes(session, before, items)


def _check_transaction_modes(session: Any, before: List[str], items: Sequence[Tuple[str, str]]) -> None:
    """After a query in the block (PostgreSQL: once its snapshot is taken),
    or in a savepoint, in the order of PostgreSQL's check hooks."""
    now = [session.settings.get(n) for n in _TRANSACTION_MODES]
    queried, sub = session.queried, session.settings.depth > 1
    if now[0] != before[0]:
        if queried:
            raise PgError("25001", "SET TRANSACTION ISOLATION LEVEL must be called before any query")
        if sub:
            raise PgError("25001", "SET TRANSACTION ISOLATION LEVEL must not be called in a subtransaction")
    if before[1] == "on" and now[1] == "off":
        if sub:
            raise PgError("25001", "cannot set transaction read-write mode inside a read-only transaction")
        if queried:
            raise PgError("25001", "transaction read-write mode must be set before any query")
    if any(name.lower() == "transaction_deferrable" for name, _ in items):
        if sub:
            raise PgError("25001", "SET TRANSACTION [NOT] DEFERRABLE cannot be called within a subtransaction")
        if queried:
            raise PgError("25001", "SET TRANSACTION [NOT] DEFERRABLE must be called before any query")


def end_implicit_block(session: Any, failed: bool) -> None:
    """The implicit block ends as a transaction does: its SETs kept or
    undone, its cursors closed."""
    session.implicit_block = False
    session.queried = False
    changes = session.settings.rollback() if failed else session.settings.commit()
    session._settings_changed(changes)
    session.extended.transaction_ended(committed=not failed)


def _savepoint_op(op: Any, name: str) -> Any:
    """Savepoints scope SET values too (an unknown name is PostgreSQL's 3B001)."""
    try:
        return op(name) or []
    except SettingError as exc:
        raise PgError(exc.sqlstate, exc.message)


def follow_handler_tag(session: Any, cmd: Any, tag: str) -> None:
    """Follow the transaction status through a tag the user's handler
    returned (a forwarded BEGIN/COMMIT, or any statement the engine treats as
    one). The engine has already done it, so this only records the status;
    it never fails the statement."""
    name = None
    if isinstance(cmd, TransactionCommand):
        kind, word, name = cmd.kind, cmd.tag, cmd.name
    else:
        word = tag.split(" ", 1)[0].upper()
        kind = {"BEGIN": "begin", "START": "begin", "COMMIT": "commit",
                "ROLLBACK": "rollback"}.get(word)
        if kind is None:
            return
    try:
        transaction_transition(session, kind, word, savepoint=name)
    except PgError:
        pass    # e.g. SAVEPOINT outside a block: the engine's business, not ours
