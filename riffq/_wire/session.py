"""One client connection's protocol state machine.

Theory of operation. A ``Session`` is fed the bytes a client sends and
writes the bytes the server answers through its ``host``; it never touches a
socket or a thread itself. Messages are handled strictly in order: when one
needs the user's code (authentication, a query), the session hands a job to
``host.run`` (a worker thread) and stops reading further messages until the
job's answer comes back through ``host.post`` (the loop thread). That is how
pipelined messages keep their order and why a callback may be called from
any thread, at any time, at most once.

States, in order: ``STARTUP`` (untyped packets: SSLRequest, GSSENCRequest,
CancelRequest, StartupMessage), ``PASSWORD`` (waiting for a 'p' message),
``AUTHORIZING`` (the auth or connect hook is running), ``READY`` (queries),
``CLOSED``. Statement-level work in READY is done by ``simple.py`` and
``extended.py``; results stream through ``_stream_*`` below.
"""
from __future__ import annotations

import datetime
import logging
import secrets
import threading
from collections import deque
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import messages as m
from .fastpath import UnnamedPlan, plan_for
from .errors import PgError, ProtocolViolation
from .framing import Framer
from .results import (EncodedRows, FailedStream, Outcome, ResultStream, encode_error, interpret, row_description,
                      small_outcome, small_rows)
from .settings import Settings, SettingError
from .textformat import TextContext

log = logging.getLogger("riffq")
_get_ident = threading.get_ident

STARTUP, PASSWORD, AUTHORIZING, READY, CLOSED = "STARTUP", "PASSWORD", "AUTHORIZING", "READY", "CLOSED"

#: Stop encoding more of a result while this many bytes wait to be sent.
HIGH_WATER = 1 << 20
#: A callback answer is encoded up front, in the handler's thread, up to this
#: size: small results then reach the client with a single thread handoff.
#: No more than that: a large result's first rows should leave as soon as
#: its first chunk is encoded, while the next chunks are encoded meanwhile.
EAGER_BYTES = 64 * 1024
#: Stop reading a busy client once this many bytes of its messages wait.
MAX_QUEUED_INPUT = 1 << 20
#: PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH: the most a password message may be.
MAX_AUTH_MESSAGE = 65535


class Host:
    """What a Session needs from its surroundings (the event loop)."""

    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...
    def run(self, fn: Callable[[], None], inline: bool = True) -> None: ...
    def can_run_now(self) -> bool: ...
    def run_now(self, job: Any) -> None: ...
    def run_internal(self, fn: Callable[[], None]) -> None: ...
    def post(self, fn: Callable[[], None]) -> None: ...
    def buffered(self) -> int: ...


#: the messages of the extended query protocol
_EXTENDED_MESSAGES = frozenset((m.Parse, m.Bind, m.Describe, m.Execute, m.Close, m.Sync, m.Flush))


class QueryCallback:
    """The ``callback`` handed to a query handler.

    Thread-safe and single-shot: the first call is checked in the caller's
    thread and delivered to the session; later calls are logged and ignored,
    because the client has already been answered. The callback, holding the
    checked answer, is itself what the loop thread runs to deliver it.
    Called by a handler that ``Session.call_now`` runs, on that thread and
    before returning, it keeps the answer for ``call_now`` to deliver.
    """

    __slots__ = ("_session", "_token", "_unanswered", "_eager", "_formats", "_outcome", "_pre",
                 "_small", "_runner", "_held", "_question", "_unfed")

    def __init__(self, session: "Session", token: int, eager: bool = True,
                 formats: Optional[Tuple[int, ...]] = (), question: Any = None,
                 runner: Optional[int] = None, unfed: bytes = b"") -> None:
        self._session = session
        self._token = token
        #: (answer, sql, kwargs): what ``ask`` puts to the handler
        self._question = question
        #: emptied by the first call: ``list.pop`` is atomic, so of two
        #: threads calling at once exactly one gets the element (no lock to make)
        self._unanswered = [True]
        self._eager = eager
        self._formats = formats
        #: the thread of ``Session.call_now`` while it runs the handler...
        self._runner = runner
        #: ...and the answer it gave there, kept: ``list.pop`` hands it on
        #: exactly once, should two threads try (see ``_release``)
        self._held: List[bool] = []
        #: an answer kept there in its lightest form (``results.small_rows``)
        self._small: Any = None
        #: ``call_now``'s messages not yet fed to the framer (see ``taken_over``)
        self._unfed = unfed

    def ask(self) -> None:
        """Put the question to the handler, on whichever thread runs this;
        a handler that raises is answered with XX000."""
        answer, sql, kwargs = self._question
        try:
            answer(sql, self, **kwargs)
        except Exception as exc:
            log.exception("query handler raised")
            if self._unanswered:
                self(("ERROR", "XX000", "%s: %s" % (type(exc).__name__, exc)), is_error=True)

    def __call__(self, result: Any = None, *, is_tag: bool = False, is_error: bool = False,
                 **_ignored: Any) -> None:
        try:
            self._unanswered.pop()
        except IndexError:
            log.warning("query callback called again for connection %s; the client was "
                        "already answered, this answer is dropped", self._session.conn_id)
            return
        s = self._session
        if not (is_tag or is_error) and self._eager:
            # the commonest answer, a few rows under a declared schema
            self._small = small_rows(result, s.text_ctx, s.codec, self._formats)
        if self._small is None:
            self._settle(result, is_tag, is_error)
        if self._runner == _get_ident():
            self._held.append(True)     # call_now delivers it when the handler returns
            return
        s.host.post(self._deliver)

    def _settle(self, result: Any, is_tag: bool, is_error: bool) -> None:
        """Check the answer and encode what is due up front, in this thread."""
        s = self._session
        outcome = interpret(result, is_tag, is_error, s.text_ctx, s.codec, self._formats, self._eager)
        pre: List[Tuple[bytes, int]] = []
        stream = outcome.stream
        if stream is not None and self._eager:
            if type(stream) is EncodedRows:
                pre = stream.take()     # encoded already, in this thread
                if len(pre) <= 2 and outcome.error is None and outcome.tag is None:
                    # in one piece (a few Arrow rows, say): answered the short
                    # way, as declared rows are (``small_rows``)
                    columns = stream.columns
                    description = row_description(columns, s.codec, self._formats or ())
                    self._small = (columns, pre[0][0], pre[0][1], description) if len(pre) == 2 \
                        else (columns, b"", 0, description)
                    return
            else:
                outcome, pre = _encode_ahead(outcome)
        self._outcome = outcome
        self._pre = pre

    def _answer(self) -> Tuple[Outcome, List[Tuple[bytes, int]]]:
        """The checked answer in the general form (an outcome, the chunks
        encoded up front)."""
        if self._small is not None:
            return small_outcome(self._small)
        return self._outcome, self._pre

    def _release(self) -> None:
        """Another thread took the loop over while ``call_now``'s handler
        still runs: an answer it already gave leaves now, and any later
        one is posted as a pool thread's would be."""
        self._runner = None
        try:
            self._held.pop()
        except IndexError:
            return
        self._session.host.post(self._deliver)

    def taken_over(self) -> None:
        """On the thread taking the loop over from ``call_now``'s handler,
        before it reads anything more: the request's messages not yet in
        the framer go there first (see ``Session.call_now``)."""
        unfed, self._unfed = self._unfed, b""
        if unfed:
            self._session.framer.feed(unfed)
        self._release()

    def handed_over(self) -> None:
        """``call_now``'s handler returned after losing the loop (see
        ``baton``): what it answered and did not hand on yet goes there."""
        self._release()
        s = self._session
        s.host.post(s._job_finished)

    def _deliver(self) -> None:
        """On the loop thread: hand the answer to the session (see ``Session.post``)."""
        s = self._session
        try:
            outcome, pre = self._answer()
            s._deliver(self._token, outcome, pre)
        except Exception as exc:
            s.internal_error(exc)


def _encode_ahead(outcome: Outcome) -> Tuple[Outcome, List[Tuple[bytes, int]]]:
    """Encode the first chunks in the caller's thread (small results finish here)."""
    stream = outcome.stream
    pre: List[Tuple[bytes, int]] = []
    size = 0
    try:
        while size < EAGER_BYTES and stream.next_is_ready():
            chunk = stream.next_chunk()
            if chunk is None:
                pre.append((b"", -1))  # end marker
                break
            pre.append(chunk)
            size += len(chunk[0])
    except Exception as exc:
        stream.close()
        outcome = Outcome(stream=FailedStream(stream.columns, encode_error(exc)))
    return outcome, pre


class Session:
    """Protocol state of one client connection (see the module docstring)."""

    def __init__(self, app: Any, host: Host, peer: Tuple[str, int], pid_source: Callable[[], int]) -> None:
        self.app = app
        self.host = host
        self.peer = peer
        self._next_pid = pid_source
        self.framer = Framer()
        self.state = STARTUP
        self.conn_id: Optional[int] = None
        self.user = ""
        self.database = ""
        self.server_name: Optional[str] = None
        #: for pg_stat_activity: when the client connected, what it ran last
        self.started = datetime.datetime.now(datetime.timezone.utc)
        self.last_query = ""
        #: the client's verified TLS certificate (``tls.describe_certificate``)
        self.client_cert: Optional[Dict[str, Any]] = None
        self._seen_input = False
        self.auth: Any = None
        self.secret = b""
        self.codec = "utf-8"
        self.settings: Optional[Settings] = None
        self.text_ctx = TextContext()
        self.txn = "I"
        #: the statements of a Query of several, outside an explicit block,
        #: run in PostgreSQL's implicit transaction block (``SimpleQuery``)
        self.implicit_block = False
        #: a query ran in the block under way (it fixed the snapshot: see
        #: ``commands._check_transaction_modes``)
        self.queried = False
        self._busy = False
        self._processing = False
        self._jobs = 0
        self._deferred_job: Optional[Callable[[], None]] = None
        self._disconnect_pending = False
        self._token = 0
        self._send: Optional[list] = None
        self._pending_done: Optional[Callable[..., None]] = None
        #: (token, done) of the user hook run_user is waiting for
        self._user_done: Optional[Tuple[int, Callable[..., None]]] = None
        #: (cursor, cancelled) of the ``off_loop`` work running, if any
        self._off_loop: Optional[Tuple[Any, Callable[[PgError], None]]] = None
        self._reports: Dict[str, str] = {}
        self._told: Dict[str, str] = {}
        self._waiting_drain = False
        self._disconnected = False
        #: statement-level machinery, created once the session is READY
        self.simple: Any = None
        self.extended: Any = None

    # ------------------------------------------------------------------ input

    def data_received(self, data: bytes) -> None:
        if self.state == READY and not self._busy and not self.framer.pending():
            # a whole request of a common shape (see ``fastpath``) is run at
            # once when the session is in the everyday state the plan assumes
            # (its unsent output is below HIGH_WATER: the host read this only
            # after asking wants_input)
            try:
                plan = plan_for(data, self.codec, self.app)
                if plan is not None and self.txn != "E" and not self.extended.skipping:
                    if type(plan) is UnnamedPlan:
                        self.extended.run_unnamed(plan, data)
                    else:
                        self.simple.run_single(plan.sql)
                    return
            except Exception as exc:
                self.internal_error(exc)
                return
        if self.state == CLOSED:
            return
        if not self._seen_input:
            self._seen_input = True
            # 0x16 opens a TLS ClientHello; as a length it would be >350 MB,
            # so it can only be PostgreSQL 17's direct TLS
            if data[:1] == b"\x16" and self.app.on_direct_tls(self, data):
                return
        self.framer.feed(data)
        self._process()

    def wants_input(self) -> bool:
        """Whether the host should keep reading from the client. Not while
        our unsent output is high, nor while whole messages already wait
        behind a busy statement: a client cannot make us buffer without end."""
        if self.state == CLOSED:
            return False
        if self.host.buffered() >= HIGH_WATER:
            return False
        return not (self._busy and self.framer.pending() >= MAX_QUEUED_INPUT)

    def _process(self) -> None:
        """Handle buffered messages until one needs to wait. Re-entrant calls
        (a synchronous answer finishing inside this loop) return at once and
        the outer loop carries on, so the stack never grows with a pipeline."""
        if self._processing:
            return
        self._processing = True
        remembered = m.remembered_message
        try:
            while not self._busy and self.state != CLOSED and self.host.buffered() < HIGH_WATER:
                try:
                    msg = self.framer.next_message()
                    if msg is None:
                        return
                    type_byte, body = msg
                    if type_byte is None:
                        self._on_untyped(m.parse_untyped(body))
                        continue
                    if self.state == READY and not self.extended.skipping:
                        # the common case, in short: a message parsed before
                        known = remembered((type_byte, body, self.codec))
                        if known is not None:
                            if type(known) in _EXTENDED_MESSAGES:
                                self.extended.handle(known)
                            else:
                                self._on_ready_message(known)
                            continue
                    self._on_typed(type_byte, body)
                except PgError as exc:
                    # before the session is ready nothing can go on after an
                    # error (PostgreSQL makes every one of them FATAL)
                    if exc.fatal or isinstance(exc, ProtocolViolation) or self.state != READY:
                        self.fatal(exc)
                        return
                    self.error(exc)
                    if self.state == READY:
                        self.statement_failed()
                except Exception as exc:
                    log.exception("internal error on connection %s", self.conn_id)
                    self.fatal(PgError("XX000", "internal error: %s: %s" % (type(exc).__name__, exc),
                                       severity="FATAL"))
                    return
        finally:
            self._processing = False

    def _on_typed(self, type_byte: bytes, body: bytes) -> None:
        if self.state == READY:
            if self.extended is not None and self.extended.skipping and type_byte not in (b"S", b"X"):
                return      # discarded unread until Sync, as PostgreSQL does
            try:
                msg = m.parse_typed(type_byte, body, self.codec)
            except PgError as exc:
                if exc.fatal:
                    raise
                # A message we could frame but not read (a body too short,
                # text not in the client's encoding): fail it the way its
                # protocol fails a statement. A Sync still ends the batch.
                self.error(exc)
                self.statement_failed()
                if type_byte == b"Q":
                    self.ready_for_query()
                elif type_byte == b"S":
                    self.extended.handle(m.Sync())
                else:
                    self.extended.skipping = True
                return
            if type(msg) in _EXTENDED_MESSAGES:
                self.extended.handle(msg)
            else:
                self._on_ready_message(msg)
        elif self.state == PASSWORD:
            if type_byte == b"X":
                self.close()
                return
            if type_byte != b"p":
                raise ProtocolViolation("expected password response, got message type %d" % type_byte[0])
            self.auth.on_message(body)
        else:
            raise ProtocolViolation("unexpected message type %d during startup" % type_byte[0])

    def _on_ready_message(self, msg: Any) -> None:
        kind = type(msg)
        if kind is m.Query:
            self.simple.run(msg.sql)
        elif kind is m.Terminate:
            self.close()
        elif isinstance(msg, (m.CopyData, m.CopyDone, m.CopyFail)):
            pass  # PostgreSQL ignores stray copy messages outside COPY
        elif isinstance(msg, m.FunctionCall):
            self.error(PgError("0A000", "fastpath function calls are not supported"))
            self.statement_failed()
            self.ready_for_query()
        else:
            raise ProtocolViolation("unexpected message %s" % type(msg).__name__)

    # ---------------------------------------------------------------- startup

    def _on_untyped(self, msg: Any) -> None:
        if isinstance(msg, m.SSLRequest):
            self.app.on_ssl_request(self)
        elif isinstance(msg, m.GSSENCRequest):
            self.host.write(b"N")
        elif isinstance(msg, m.CancelRequest):
            self.app.on_cancel_request(msg.pid, msg.secret)
            self.close()
        elif isinstance(msg, m.StartupMessage):
            self.framer.startup = False
            self._on_startup(msg)

    def _on_startup(self, msg: m.StartupMessage) -> None:
        params = dict(msg.params)
        if (msg.version & 0xFFFF) != 0 or any(k.startswith("_pq_.") for k in params):
            unsupported = [k for k in params if k.startswith("_pq_.")]
            self.host.write(m.negotiate_protocol_version(0, unsupported))
            for k in unsupported:
                params.pop(k)
        user = params.pop("user", "")
        if not user:
            raise PgError("28000", "no PostgreSQL user name specified in startup packet", severity="FATAL")
        self.user = user
        self.database = params.pop("database", "") or user
        tls_on = getattr(self.host, "tls_active", False)
        if self.app.require_tls and not tls_on:
            # what a pg_hba.conf of only ``hostssl`` lines answers
            raise PgError("28000", 'no pg_hba.conf entry for host "%s", user "%s", database "%s", '
                          "no encryption" % (self.peer[0], user, self.database), severity="FATAL")
        self.client_cert = getattr(self.host, "client_cert", None) if tls_on else None
        self.conn_id = self._next_pid()
        self.secret = secrets.token_bytes(4)
        self.settings = Settings(server_version=self.app.server_version, user=user)
        options = params.pop("options", "")
        params.pop("replication", None)
        for name, value in list(params.items()) + _parse_options(options):
            try:
                self.apply_setting(name, value, startup=True)
            except SettingError as exc:
                raise PgError(exc.sqlstate, exc.message, severity="FATAL")
        method = self.app.auth_method
        if method == "trust":
            self._authorize()
            return
        if method == "cert":
            self._check_certificate()
            self._authorize()
            return
        from .authflow import Authenticator
        self.auth = Authenticator(self, method)
        self.state = PASSWORD
        self.framer.cap = MAX_AUTH_MESSAGE
        self.auth.start()

    def _check_certificate(self) -> None:
        """The ``cert`` method: a verified client certificate whose common
        name is the user name, PostgreSQL's own rule and wording."""
        cert = self.client_cert
        if cert is None:
            log.info("certificate authentication failed for user %r from %s: no client certificate",
                     self.user, self.peer[0])
            raise PgError("28000", "connection requires a valid client certificate", severity="FATAL")
        if cert.get("common_name") != self.user:
            log.info("certificate authentication failed for user %r from %s: certificate is for %r",
                     self.user, self.peer[0], cert.get("common_name"))
            raise PgError("28000", 'certificate authentication failed for user "%s"' % self.user,
                          severity="FATAL")

    def check_password_with_hook(self, password: str) -> None:
        """The original riffq's way: the user's auth hook sees the password."""
        self.framer.cap = None
        self.state = AUTHORIZING
        self._busy = True
        token = self._new_token()

        def answer(ok: Any = False, message: Optional[str] = None, severity: Optional[str] = None,
                   sqlstate: Optional[str] = None, **_: Any) -> None:
            self.post(lambda: self._auth_answered(token, ok, message, severity, sqlstate))

        self.spawn(lambda: self._call_user(
            answer, lambda: self.app.authenticate(self, password, answer)))

    def _auth_answered(self, token, ok, message, severity, sqlstate) -> None:
        if token != self._token or self.state != AUTHORIZING:
            return
        if ok is True:
            self._authorize()
            return
        log.info("password authentication failed for user %r from %s:%s", self.user, *self.peer[:2])
        self.fatal(PgError(sqlstate or "28P01",
                           message or 'password authentication failed for user "%s"' % self.user,
                           severity=_fatal_severity(severity)))

    def _authorize(self) -> None:
        """Run the connect hook; on admission, finish the startup sequence."""
        self.server_name = getattr(self.host, "server_name", None)
        self.state = AUTHORIZING
        self._busy = True
        token = self._new_token()

        def answer(ok: Any = True, message: Optional[str] = None, severity: Optional[str] = None,
                   sqlstate: Optional[str] = None, **_: Any) -> None:
            self.post(lambda: self._connect_answered(token, ok, message, severity, sqlstate))

        if not self.app.has_connect_hook:
            self._connect_answered(token, True, None, None, None)   # nothing to ask: no thread hop
            return
        self.spawn(lambda: self._call_user(answer, lambda: self.app.connect(self, answer)))

    def _connect_answered(self, token, ok, message, severity, sqlstate) -> None:
        if token != self._token or self.state != AUTHORIZING:
            return
        if ok is not True and ok is not None:
            self.fatal(PgError(sqlstate or "28000", message or "connection rejected by the server",
                               severity=_fatal_severity(severity)))
            return
        from .extended import ExtendedProtocol
        from .simple import SimpleQuery
        self.simple = SimpleQuery(self)
        self.extended = ExtendedProtocol(self)
        out = [m.authentication_ok(), self._setting_notices()]
        self._told = dict(self.settings.reported())
        out += [m.parameter_status(k, v) for k, v in self._told.items()]
        out.append(m.backend_key_data(self.conn_id, self.secret))
        out.append(m.ready_for_query("I"))
        self.host.write(b"".join(out))
        if self.state == CLOSED:
            return              # the client left while we answered
        self.state = READY
        self.app.session_ready(self)
        self._busy = False
        self._process()

    def run_user(self, fn: Callable[[], Any], done: Callable[[Any, Optional[BaseException]], None]) -> None:
        """Run user code on a worker, pausing message processing; ``done(result,
        exception)`` continues on the loop thread."""
        self._busy = True
        token = self._new_token()
        self._user_done = (token, done)

        def job() -> None:
            try:
                result, exc = fn(), None
            except Exception as e:
                log.exception("user hook raised")
                result, exc = None, e

            def back() -> None:
                if token != self._token or self.state == CLOSED:
                    return
                self._busy = False
                self._user_done = None
                done(result, exc)
                if not self._busy:
                    self._process()
            self.post(back)
        self.spawn(job)

    def _call_user(self, answer: Callable[..., None], fn: Callable[[], Any]) -> None:
        """Run a user hook; an exception counts as a refusal with its message."""
        try:
            fn()
        except Exception as exc:
            log.exception("connection hook raised")
            answer(False, "%s: %s" % (type(exc).__name__, exc), "FATAL", "XX000")

    def post(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the loop thread; a bug in it ends only this
        connection, with an error the client can read, never the server."""
        def guarded() -> None:
            try:
                fn()
            except Exception as exc:
                self.internal_error(exc)
        self.host.post(guarded)

    def internal_error(self, exc: BaseException) -> None:
        """Our bug, met on the loop thread: this connection ends with XX000."""
        log.exception("internal error on connection %s", self.conn_id)
        if self.state != CLOSED:
            self.fatal(PgError("XX000", "internal error: %s: %s" % (type(exc).__name__, exc),
                               severity="FATAL"))

    # --------------------------------------------------------------- settings

    def apply_setting(self, name: str, value: Optional[str], local: bool = False,
                      startup: bool = False) -> None:
        """SET a run-time parameter, keeping encoders and ParameterStatus in step.
        Startup-packet values become the session's defaults, as in PostgreSQL."""
        changed = self.settings.set(name, value, local=local, startup=startup)
        self._settings_changed([changed] if changed else [], startup)
        if self.settings.notices and not startup:
            self.host.write(self._setting_notices())

    def _setting_notices(self) -> bytes:
        """What a SET said besides its answer, as NoticeResponses (those of
        the startup packet's settings follow AuthenticationOk, as PostgreSQL
        applies them then)."""
        notices, self.settings.notices = self.settings.notices, []
        return b"".join(m.notice_response("NOTICE", code, text, encoding=self.codec) for code, text in notices)

    def _settings_changed(self, changes: List[Tuple[str, str]], startup: bool = False) -> None:
        for rname, rvalue in changes:
            if rname == "client_encoding":
                from .pgencodings import lookup
                self.codec = lookup(rvalue)[1]
            if not startup:
                self._reports[rname] = rvalue
        self._refresh_text_context()

    def ready_for_query(self, before: Optional[List[bytes]] = None) -> None:
        """ReadyForQuery, preceded by ParameterStatus for every reported
        setting whose value differs from what the client was last told (as
        PostgreSQL reports them: a SET undone by a rollback sends nothing).
        ``before``: the statement's last messages, written in the same go."""
        out = before if before is not None else []
        if not self._reports:
            out.append(m.READY_FOR_QUERY[self.txn])
            self.host.write(b"".join(out))
            return
        # in PostgreSQL 15's order: by name, whatever the case
        for k, v in sorted(self._reports.items(), key=_report_order):
            if self._told.get(k) != v:
                self._told[k] = v
                out.append(m.parameter_status(k, v))
        self._reports.clear()
        out.append(m.READY_FOR_QUERY[self.txn])
        self.host.write(b"".join(out))

    #: The settings that change how values are printed, in TextContext's order.
    _TEXT_SETTINGS = ("TimeZone", "DateStyle", "IntervalStyle", "extra_float_digits", "bytea_output")

    def _refresh_text_context(self) -> None:
        """Rebuild the value printer when a setting it depends on changed."""
        from .textformat import timezone_from_name
        values = tuple(self.settings.get(name) for name in self._TEXT_SETTINGS)
        if values == getattr(self, "_text_settings", None):
            return
        self._text_settings = values
        tzname, datestyle, intervalstyle, float_digits, bytea_output = values
        try:
            tz = timezone_from_name(tzname)
        except ValueError:
            tz = None
        try:
            self.text_ctx = TextContext(tz, datestyle=datestyle, intervalstyle=intervalstyle,
                                        extra_float_digits=float_digits, bytea_output=bytea_output)
        except ValueError:
            log.warning("unusable output settings %r; printing with the defaults", values)
            self.text_ctx = TextContext(tz)

    # --------------------------------------------------------------- handlers

    def spawn(self, job: Callable[[], None], inline: bool = True) -> None:
        """Run user code on the handler pool, counting it: the disconnect hook
        waits until no user code of this connection is running any more."""
        self._jobs += 1

        def run() -> None:
            try:
                job()
            finally:
                self.host.post(self._job_finished)
        self.host.run(run, inline)

    def _job_finished(self) -> None:
        self._jobs -= 1
        if self._jobs:
            return
        if self._disconnect_pending:
            self._disconnect_pending = False
            self.app.disconnect_deferred_done(self)
            self.app.disconnect(self)
        elif self._deferred_job is not None and self.state != CLOSED:
            job, self._deferred_job = self._deferred_job, None
            self._jobs += 1         # the job posts its own _job_finished
            self.host.run(job)

    def _new_token(self) -> int:
        self._token += 1
        return self._token

    def call_handler(self, sql: str, kwargs: Dict[str, Any],
                     done: Callable[[Outcome, List[Tuple[bytes, int]]], None],
                     eager: bool = True, formats: Optional[Tuple[int, ...]] = (),
                     catalog: bool = False) -> None:
        """Run the query handler for ``sql`` (or, with ``catalog``, the
        catalog engine); ``done`` gets its checked answer on the loop thread.
        Message processing pauses until then. ``formats`` None: a cursor's
        query, whose rows are encoded when fetched (``cursor_rows``)."""
        answer = self.app.catalog_handler(self) if catalog else self.app.query_handler
        cb = self._question(answer, sql, kwargs, done, eager, formats)

        def job() -> None:       # what ``spawn`` would wrap, in one function
            try:
                cb.ask()
            finally:
                self.host.post(self._job_finished)

        if self._jobs:
            # A cancelled handler of this connection is still running: the
            # next one waits for it, so a connection never runs two at once.
            self._deferred_job = job
        else:
            self._jobs += 1
            # the catalog engine can take tens of milliseconds: not inline
            self.host.run(job, not catalog)

    def call_now(self, sql: str, kwargs: Dict[str, Any],
                 done: Callable[[Outcome, List[Tuple[bytes, int]]], None],
                 formats: Tuple[int, ...] = (),
                 done_small: Optional[Callable[[Any, bytes, int, bytes], None]] = None,
                 unfed: bytes = b"") -> None:
        """``call_handler`` for a whole request read in this loop turn (the
        short path): the handler runs at once, and an answer it gives before
        returning is delivered at once, leaving in this turn. Any other
        answer arrives the usual way. ``done_small(columns, data_rows, n,
        row_description)``, if given, takes a few rows (``results.small_rows``)
        instead of ``done``, without their general form being made.

        ``unfed``: the request's messages after the ones already handled.
        ``done_small`` answers them without reading them (or feeds them to
        the framer and processes them itself); every other way
        on reads them from the framer, so they are fed to it first: before
        ``done`` or ``call_handler``, when the handler returns without an
        answer, or as another thread takes the loop over mid-handler
        (before it reads anything more from this client)."""
        host = self.host
        if self._jobs or not host.can_run_now():
            if unfed:
                self.framer.feed(unfed)
            self.call_handler(sql, kwargs, done, formats=formats)
            return
        # (_question and snapshot_taken, written out: this runs for every
        # statement; none here is only described, so each takes a snapshot)
        self._busy = True
        self._token = token = self._token + 1
        self._pending_done = done
        self.last_query = sql
        if self.txn != "I" or self.implicit_block or self.extended.executed:
            self.queried = True
        cb = QueryCallback(self, token, True, formats, (self.app.query_handler, sql, kwargs),
                           _get_ident(), unfed)
        self._jobs += 1
        host.run_now(cb)
        cb._runner = None
        # (an error in here reaches data_received, which ends the session)
        small = cb._small
        if cb._held and small is not None and done_small is not None \
                and cb._token == self._token and self.state != CLOSED:
            self._pending_done = None       # what _deliver does before done
            self._busy = False
            done_small(*small)      # (one that feeds the framer reads from it too)
        else:
            if unfed:
                self.framer.feed(unfed)
            if cb._held:
                outcome, pre = cb._answer()
                self._deliver(cb._token, outcome, pre)
        if self._jobs == 1 and not self._disconnect_pending and self._deferred_job is None:
            self._jobs = 0      # _job_finished with nothing waiting for it
        else:
            self._job_finished()

    def _question(self, answer: Callable[..., None], sql: str, kwargs: Dict[str, Any],
                  done: Callable[[Outcome, List[Tuple[bytes, int]]], None], eager: bool,
                  formats: Optional[Tuple[int, ...]]) -> QueryCallback:
        """The callback of a handler call about to start; the session waits
        for its answer (message processing pauses until then)."""
        self._busy = True
        self._token += 1
        self._pending_done = done
        self.last_query = sql
        if not kwargs.get("do_describe"):
            self.snapshot_taken()
        return QueryCallback(self, self._token, eager, formats, (answer, sql, kwargs))

    def snapshot_taken(self) -> None:
        """A statement PostgreSQL runs with a snapshot (a query, CLOSE,
        DISCARD...; not SET, SHOW, FETCH or transaction control) ran: in a
        transaction -- a block, or the implicit one of a Query of several
        statements or of a pipeline -- its modes can no longer change."""
        if self.txn != "I" or self.implicit_block or self.extended.executed:
            self.queried = True

    def cancel(self) -> None:
        """A matching CancelRequest arrived: end the running statement now
        with 57014, as PostgreSQL does. The handler's late answer is dropped
        (its token is stale) and its ``cancel`` hook may stop the engine."""
        err = PgError("57014", "canceling statement due to user request")
        if self._pending_done is not None:
            done, self._pending_done = self._pending_done, None
            self._token += 1
            self._busy = False
            self.app.cancel(self)
            done(Outcome(error=err), [])
            if not self._busy:
                self._process()
        elif self._send is not None:
            self._send[0].close()
            self.app.cancel(self)
            self._finish_send(err, True, [])
        elif self._off_loop is not None:
            cursor, cancelled = self._off_loop
            self._off_loop = None
            self._busy = False
            cursor.failed = True
            self.app.cancel(self)
            if cursor.outcome is not None and cursor.outcome.stream is not None:
                cursor.outcome.stream.close()       # (safe while it is being read)
            cancelled(err)
            if not self._busy:
                self._process()
        elif self._user_done is not None and self._user_done[0] == self._token:
            # a hook such as describe_parameters is still thinking
            done = self._user_done[1]
            self._user_done = None
            self._token += 1
            self._busy = False
            self.app.cancel(self)
            done(None, err)
            if not self._busy:
                self._process()

    def terminate(self, exc: PgError) -> None:
        """End the session as PostgreSQL's SIGTERM ends a backend
        (pg_terminate_backend): a running statement's work is cancelled (the
        ``cancel`` hook runs; only the FATAL ``exc`` reaches the client),
        then the connection closes."""
        running = self._pending_done is not None or self._send is not None or (
            self._off_loop is not None) or (
            self._user_done is not None and self._user_done[0] == self._token)
        if running:
            self._token += 1        # a late answer is dropped
            self.app.cancel(self)
        self.fatal(exc)

    def _deliver(self, token: int, outcome: Outcome, pre: List[Tuple[bytes, int]]) -> None:
        if token != self._token or self.state == CLOSED:
            if outcome.stream is not None:
                outcome.stream.close()
            return
        done, self._pending_done = self._pending_done, None
        self._busy = False
        done(outcome, pre)
        if outcome.error is not None and outcome.error.fatal:
            self.fatal(outcome.error, already_sent=True)
            return
        if not self._busy and self.framer.pending():
            self._process()

    # -------------------------------------------------------------- streaming

    def send_rows(self, stream: ResultStream, queued: List[Tuple[bytes, int]],
                  limit: Optional[int], finished: Callable[..., None], discard: bool = False) -> None:
        """Write a result's DataRows, pulling more only while the output
        buffer is below the high-water mark.

        ``queued`` holds chunks already encoded (``n == -1`` marks the end).
        With a ``limit``, at most that many rows are sent. ``finished(err,
        exhausted, leftover, rows_sent)`` then runs on the loop thread:
        ``leftover`` are encoded chunks not yet sent, for the next Execute.
        ``discard``: the rows are passed over instead (a cursor's MOVE).
        """
        self._busy = True
        self._send = [stream, deque(queued), limit, finished, 0, discard]
        self._continue_send()

    def _continue_send(self) -> None:
        state = self._send
        if state is None:
            return
        stream, queued, limit = state[0], state[1], state[2]
        write = _passed_over if state[5] else self.host.write
        while queued:
            blob, n = queued.popleft()
            if n == -1:
                self._finish_send(None, True, [])
                return
            if limit is not None and n > limit:
                head, tail = m.split_data_rows(blob, limit)
                write(head)
                state[4] += limit
                queued.appendleft((tail, n - limit))
                self._finish_send(None, False, list(queued))
                return
            write(blob)
            state[4] += n
            if limit is not None:
                limit -= n
                state[2] = limit
                if limit == 0:
                    self._finish_send(None, False, list(queued))
                    return
        if self.host.buffered() >= HIGH_WATER:
            self._waiting_drain = True
            return

        def job() -> None:
            try:
                chunk, err = stream.next_chunk(), None
            except Exception as exc:
                chunk, err = None, encode_error(exc)
                stream.close()
            self.post(lambda: self._chunk_ready(stream, chunk, err))

        self.host.run_internal(job)

    def off_loop(self, work: Callable[[], None], then: Callable[[], None],
                 cursor: Any, cancelled: Callable[[PgError], None]) -> None:
        """Run ``work`` where results are encoded, not on the loop's thread
        (it reads ``cursor``'s rows, so a user's reader), message processing
        paused; then ``then`` on the loop's thread.

        A cancel meanwhile (or pg_terminate_backend) fails the cursor, as
        PostgreSQL's cancel fails the portal it interrupts, and calls
        ``cancelled(57014)`` instead of ``then``; the work's thread finishes
        unseen (the cursor's stream, closed, gives it no more rows). So does
        a client that leaves."""
        self._busy = True
        entry = (cursor, cancelled)
        self._off_loop = entry

        def done() -> None:
            if self._off_loop is not entry or self.state == CLOSED:
                return      # cancelled, or the client is gone
            self._off_loop = None
            self._busy = False
            then()
            if not self._busy:
                self._process()

        def job() -> None:
            try:
                work()
            finally:
                self.post(done)
        self.host.run_internal(job)

    def _chunk_ready(self, stream: ResultStream, chunk: Optional[Tuple[bytes, int]],
                     err: Optional[PgError]) -> None:
        state = self._send
        if state is None or state[0] is not stream:
            return  # the connection moved on (closed); the stream is closed there
        if err is not None:
            self._finish_send(err, True, [])
            return
        state[1].append(chunk if chunk is not None else (b"", -1))
        self._continue_send()

    def _finish_send(self, err: Optional[PgError], exhausted: bool,
                     leftover: List[Tuple[bytes, int]]) -> None:
        finished, sent = self._send[3], self._send[4]
        self._send = None
        self._waiting_drain = False
        self._busy = False
        finished(err, exhausted, leftover, sent)
        if not self._busy:
            self._process()

    def on_drain(self) -> None:
        """The host's output buffer fell below the low-water mark."""
        if self._waiting_drain:
            self._waiting_drain = False
            self._continue_send()
        if not self._busy:
            self._process()

    # ------------------------------------------------------------ outcomes

    def error(self, exc: PgError) -> None:
        self.host.write(m.error_response(exc.severity, exc.sqlstate, exc.message,
                                         exc.detail, exc.hint, self.codec, exc.routine))

    def statement_failed(self) -> None:
        """Bookkeeping after an ERROR: an open transaction becomes failed,
        and the SETs of its failed part are undone at once (PostgreSQL's
        abort does that; ROLLBACK then only ends the block), so the
        ReadyForQuery that follows already reports the values in force."""
        if self.txn == "T":
            self.txn = "E"
            self._settings_changed(self.settings.abort())

    def fatal(self, exc: PgError, already_sent: bool = False) -> None:
        if not already_sent:
            sev = _fatal_severity(exc.severity)
            self.host.write(m.error_response(sev, exc.sqlstate, exc.message,
                                             exc.detail, exc.hint, self.codec))
        self.close()

    def close(self) -> None:
        if self.state == CLOSED:
            return
        self.state = CLOSED
        self._release_stream()
        self.host.close()

    def _release_stream(self) -> None:
        state, self._send = self._send, None
        if state is not None:
            state[0].close()
        if self.extended is not None:
            self.extended.release_all()

    def connection_lost(self) -> None:
        """The socket is gone (any reason): release everything exactly once."""
        self.state = CLOSED
        self._token += 1  # late handler answers are dropped
        self.framer = Framer()  # drop buffered input now, not when the object dies
        self._release_stream()
        if self.conn_id is not None:
            self.app.session_gone(self)
        if not self._disconnected and self.conn_id is not None:
            self._disconnected = True
            if self._jobs and not self.app.stopping:
                self._disconnect_pending = True   # after the running handler returns
                self.app.disconnect_deferred(self)
            else:
                self.app.disconnect(self)


def _passed_over(data: bytes) -> None:
    """Where the rows a MOVE passes over go."""


def _report_order(item: Tuple[str, str]) -> str:
    return item[0].lower()


def _fatal_severity(severity: Optional[str]) -> str:
    return severity.upper() if isinstance(severity, str) and severity.upper() in ("FATAL", "PANIC") else "FATAL"


def _parse_options(options: str) -> List[Tuple[str, str]]:
    """The startup ``options`` parameter: ``-c name=value`` / ``--name=value``
    words, with backslash-escaped spaces, as PostgreSQL reads them."""
    words: List[str] = []
    cur: List[str] = []
    esc = False
    for ch in options:
        if esc:
            cur.append(ch)
            esc = False
        elif ch == "\\":
            esc = True
        elif ch.isspace():
            if cur:
                words.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    out: List[Tuple[str, str]] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w == "-c" and i + 1 < len(words):
            w = words[i + 1]
            i += 1
        elif w.startswith("--"):
            w = w[2:]
        elif w.startswith("-c"):
            w = w[2:]
        else:
            i += 1
            continue
        if "=" in w:
            k, v = w.split("=", 1)
            out.append((k.replace("-", "_"), v))
        i += 1
    return out
