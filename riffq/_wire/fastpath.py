"""Whole requests of the two commonest shapes, recognised by their bytes.

Most statements reach the server as one read holding one whole request:
either a simple Query of a single statement, or Parse/Bind/[Describe]/
Execute/Sync of an unnamed statement without parameters (what libpq's
``PQexecParams``, pgbench and psycopg send). Framing, parsing and dispatching
those five messages one at a time costs more than answering ``select 1``.

So a read is classified once, by its bytes, into a plan; a read seen again
with the session in its everyday state (ready, no error to skip past, no
transaction failed) is run by ``ExtendedProtocol.run_unnamed`` or
``SimpleQuery.run_single``, which leave the session exactly as the general
path would. Everything else, including every read that is not one whole
request of these shapes, goes the general way. A handler's answer complete
at once answers the messages after Bind without their being framed or read;
otherwise (a large or failed result, an answer that comes later, a handler
that blocks) they go to the session's framer before anything else the client
sends, and the general path finishes the request from there, in order.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Tuple, Union

from . import analysis
from . import messages as m
from .errors import PgError
from .framing import Framer

log = logging.getLogger("riffq")

#: reads longer than this are never classified (nor kept as keys)
MAX_READ = 1024
#: plans kept; past this the table starts afresh
MAX_PLANS = 2048


class SinglePlan:
    """A simple Query holding one statement the handler answers."""

    __slots__ = ("sql", "verdict")

    #: whether the request holds a Parse (which the general path must run
    #: when the application has a parameter type hook: it is called then)
    parses = False

    def __init__(self, sql: str) -> None:
        self.sql = sql
        #: (application, whether it gives this statement to its handler
        #: rather than to the catalog), worked out once per application (see
        #: ``plan_for``); replaced whole, so that servers sharing a process
        #: never read another's verdict half written
        self.verdict: Tuple[Any, bool] = (None, False)


class UnnamedPlan(SinglePlan):
    """Parse/Bind/[Describe]/Execute/Sync of an unnamed statement without
    parameters. ``head``: bytes of Parse and Bind, done before the handler
    runs; ``rest``: bytes of the messages after them."""

    __slots__ = ("formats", "describe", "head", "rest")
    parses = True

    def __init__(self, sql: str, formats: Tuple[int, ...], describe: bool, head: int, rest: int) -> None:
        super().__init__(sql)
        self.formats = formats
        self.describe = describe
        self.head = head
        self.rest = rest


Plan = Union[SinglePlan, UnnamedPlan]

_plans: Dict[Tuple[bytes, str], Optional[Plan]] = {}


def plan_for(data: bytes, encoding: str, app: Any = None) -> Optional[Plan]:
    """The plan for a read, or None when it takes the general path. With
    ``app``, None too when that application's handler does not take the
    statement (the catalog answers it) or the short path cannot run it now
    (a Parse, when the application has a parameter type hook, which the
    general path calls). One call for all of it: this runs for every read."""
    try:
        plan = _plans[(data, encoding)]
    except KeyError:
        plan = _classified(data, encoding)
    if plan is None or app is None:
        return plan
    verdict = plan.verdict
    if verdict[0] is not app:
        verdict = plan.verdict = (app, not app.is_catalog_statement(plan.sql))
    if verdict[1] and not (plan.parses and app.declares_parameter_types):
        return plan
    return None


def _classified(data: bytes, encoding: str) -> Optional[Plan]:
    """Classify a read not seen before, and remember its plan."""
    key = (data, encoding)
    if len(data) > MAX_READ:
        return None
    try:
        plan = _classify(data, encoding)
    except PgError:
        plan = None     # the general path reports it, in its place
    except Exception:
        log.exception("could not classify a request; it takes the general path")
        plan = None
    if len(_plans) >= MAX_PLANS:
        _plans.clear()
    _plans[key] = plan
    return plan


def _classify(data: bytes, encoding: str) -> Optional[Plan]:
    framer = Framer()
    framer.startup = False
    framer.feed(data)
    msgs: List[Tuple[Any, int]] = []
    while True:
        framed = framer.next_message()
        if framed is None:
            break
        type_byte, body = framed
        msgs.append((m.parse_typed(type_byte, body, encoding), 5 + len(body)))
    if framer.pending() or not msgs:
        return None
    kinds = [type(msg) for msg, _ in msgs]
    if kinds == [m.Query]:
        stmts = analysis.statements(msgs[0][0].sql)
        if len(stmts) != 1 or analysis.empty(stmts[0]) or not _for_handler(stmts[0]):
            return None
        return SinglePlan(stmts[0])
    if kinds in ([m.Parse, m.Bind, m.Describe, m.Execute, m.Sync], [m.Parse, m.Bind, m.Execute, m.Sync]):
        parse, bind = msgs[0][0], msgs[1][0]
        describe = kinds[2] is m.Describe
        if parse.name or parse.param_types or bind.portal or bind.statement \
                or bind.params or bind.param_formats:
            return None
        if describe and (msgs[2][0].kind != "P" or msgs[2][0].name):
            return None
        execute = msgs[-2][0]
        if execute.portal or execute.max_rows:
            return None
        sql = parse.sql
        several, empty, _, _, _ = analysis.prepared(sql)
        if several or empty or not _for_handler(sql) or analysis.inferred_types(sql, ()):
            return None
        head = msgs[0][1] + msgs[1][1]
        return UnnamedPlan(sql, tuple(bind.result_formats), describe, head, len(data) - head)
    return None


def _for_handler(stmt: str) -> bool:
    """Neither answered by the server itself nor a cursor or COPY."""
    _, _, cmd, copy, cursor = analysis.prepared(stmt)
    return cmd is None and copy is None and cursor is None
