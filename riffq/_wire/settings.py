"""Per-session run-time parameters (GUCs) as a PostgreSQL server shows them.

Clients read server parameters constantly: drivers look at the
ParameterStatus burst after authentication (``server_version``,
``client_encoding``, ``DateStyle``, ``integer_datetimes``,
``standard_conforming_strings`` ...), ORMs and tools run ``SHOW`` and ``SET``
on connect, and poolers ``RESET ALL`` / ``DISCARD ALL`` between clients.  A
server that fronts some other engine still has to answer all of that the way
PostgreSQL does, with PostgreSQL's canonical spellings (``SET datestyle =
'iso'`` shows ``ISO, MDY``), its error messages and SQLSTATEs, and its
transactional behaviour (``SET LOCAL`` ends with the transaction and a
rolled-back ``SET`` is undone).  :class:`Settings` is that state machine; it
does no I/O and knows nothing about the wire.

Choices made here (see each docstring for details):

* Unknown parameter names are **accepted** by :meth:`Settings.set` and
  stored, behaving like PostgreSQL's custom placeholder variables
  (``myapp.x``).  PostgreSQL itself only accepts names with a dot; riffq
  fronts other engines whose clients may set engine-specific options, and
  failing those would break connection setup for no benefit.  Dotted names
  must still be valid ``ident.ident`` names (42602 otherwise), and reading a
  name that was never set is still 42704.
* Superuser-only parameters are not policed: every settable parameter can
  be set by every session.
* ``standard_conforming_strings`` cannot be turned off (0A000), because the
  statement splitter lexes strings the standard way and would otherwise
  split backslash-escaped strings wrongly.

The pieces live in their own modules: the parameter table
(:mod:`.settings_table`), the value checkers and C-compatible number parsing
(:mod:`.settings_checks`), and TimeZone validation
(:mod:`.settings_timezone`); this module is the per-session state machine.
"""
from __future__ import annotations

from typing import Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from . import pgencodings
from .settings_checks import SettingError as SettingError
from .settings_checks import (_LOWER, _check_datestyle, _clean_ascii, _from_base_unit, _invalid, _parse_bool,
                              _parse_int, _parse_real, _split_identifier_list)
from .settings_table import version_num as version_num
from .settings_table import (INTERNAL, POSTMASTER, SIGHUP, USER, _CUSTOM_PART, _Def, _NO_RESET_ALL,
                             _NO_SHOW_ALL, _TXN, _defs_by_key, _key, _major)
from .settings_timezone import check_timezone as check_timezone
from .session_sql_lexer import truncate_identifier

__all__ = ["REPORTED", "SettingError", "Settings", "check_timezone", "version_num"]

#: Parameters PostgreSQL reports with ParameterStatus (GUC_REPORT), with the
#: exact spelling it sends, in the order of its startup burst (PostgreSQL 15).
#: PostgreSQL 16+ also reports ``scram_iterations``, which clients do not
#: use; it is an ordinary (unreported) parameter here.
REPORTED: Tuple[str, ...] = (
    "application_name",
    "client_encoding",
    "DateStyle",
    "default_transaction_read_only",
    "in_hot_standby",
    "integer_datetimes",
    "IntervalStyle",
    "is_superuser",
    "server_encoding",
    "server_version",
    "session_authorization",
    "standard_conforming_strings",
    "TimeZone",
)


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------

_ChangeList = List[Tuple[str, str]]


class Settings:
    """The run-time parameters of one session.

    ``server_version`` is what ``SHOW server_version`` says (and
    ``server_version_num`` is derived from it); ``user`` is the session user
    (``session_authorization``).  ``overrides`` are server-side defaults, as
    if from postgresql.conf: they may also change read-only parameters
    (``server_encoding``, ``is_superuser``, ``max_connections`` ...) and add
    unknown ones, and RESET returns to them.

    Values are kept as the strings ``SHOW`` prints.  Every mutating method
    returns the ParameterStatus changes the caller must send, as
    ``(name as in REPORTED, new value)`` pairs.
    """

    def __init__(self, server_version: str = "17.4.0", user: str = "",
                 overrides: Optional[Dict[str, str]] = None) -> None:
        for name, value in (overrides or {}).items():
            if _key(name) == "server_version":
                server_version = value
        self.server_version = server_version
        self.user = user
        self._major = _major(server_version)
        self._defs = _defs_by_key(self._major)
        #: (sqlstate, message) of the NOTICEs a SET gave (a value cut to
        #: a name's length), for the session to send and clear
        self.notices: List[Tuple[str, str]] = []
        self._custom: Dict[str, str] = {}            # key -> name as first given
        self._reset: Dict[str, str] = {}
        for k, d in self._defs.items():
            self._reset[k] = d.boot
        self._reset["server_version"] = server_version
        self._reset["server_version_num"] = version_num(server_version)
        self._reset["session_authorization"] = user
        # Checkers may look at current values (DateStyle is relative to the
        # current one, client_encoding to server_encoding) while overrides
        # are applied.
        self._current: Dict[str, str] = self._reset
        override_keys = {_key(x) for x in (overrides or {})}
        for name, value in (overrides or {}).items():
            k = _key(name)
            d = self._defs.get(k)
            if d is None:
                self._custom.setdefault(k, k)
                self._reset[k] = value
            elif d.context == USER and not d.flags & _TXN:
                self._reset[k] = self._check(d, name, value, self._reset[k])
            else:
                self._reset[k] = value
            if k == "server_version" and "server_version_num" not in override_keys:
                self._reset["server_version_num"] = version_num(value)
        self._session: Dict[str, str] = dict(self._reset)
        self._current = dict(self._reset)
        # Transaction/savepoint snapshots: (savepoint name or None, session, current).
        self._stack: List[Tuple[Optional[str], Dict[str, str], Dict[str, str]]] = []
        #: the transaction modes AND CHAIN carried into the block (``begin``)
        self._carried: Dict[str, str] = {}

    # ------------------------------------------------------------------ lookup
    @property
    def in_transaction(self) -> bool:
        """True between begin() and commit()/rollback()."""
        return bool(self._stack)

    @property
    def depth(self) -> int:
        """How deep in the block: 1 inside BEGIN, one more per savepoint
        (0 outside a block). Portals remember it to go with a rollback."""
        return len(self._stack)

    def _lookup(self, name: str) -> Tuple[str, Optional[_Def]]:
        k = _key(name)
        return k, self._defs.get(k)

    def canonical_name(self, name: str) -> str:
        """The parameter's own spelling (``datestyle`` -> ``DateStyle``).

        PostgreSQL uses it as the column name of SHOW.  Unknown names come
        back lower-cased.
        """
        k, d = self._lookup(name)
        if d is not None:
            return d.name
        return self._custom.get(k, k)

    def is_known(self, name: str) -> bool:
        """True for built-in parameters and for custom ones already set."""
        k, d = self._lookup(name)
        return d is not None or k in self._custom

    def get(self, name: str) -> str:
        """The current value as ``SHOW`` prints it.

        Raises SettingError 42704 for names that are neither built in nor
        ever set.  The per-transaction parameters (transaction_isolation,
        transaction_read_only, transaction_deferrable) show their
        ``default_`` counterpart outside a transaction block, as each
        statement there runs in a fresh transaction.
        """
        k, d = self._lookup(name)
        if d is None:
            if k not in self._custom:
                raise SettingError("42704", 'unrecognized configuration parameter "%s"' % name)
            return self._current.get(k, self._reset.get(k, ""))
        if d.flags & _TXN and not self._stack:
            return self._current["default_" + k]
        return self._current[k]

    def reported(self) -> _ChangeList:
        """(name, value) for every REPORTED parameter, for the startup burst."""
        return [(name, self.get(name)) for name in REPORTED]

    def show_all(self) -> List[Tuple[str, str, str]]:
        """Rows of ``SHOW ALL``: (name, setting, description), sorted by name.

        Like PostgreSQL, hidden parameters (is_superuser,
        session_authorization, role) and custom/unknown ones are left out.
        """
        rows = [(d.name, self.get(d.name), d.desc) for d in self._defs.values()
                if not d.flags & _NO_SHOW_ALL]
        rows.sort(key=lambda r: r[0].lower())
        return rows

    # ------------------------------------------------------------------ checks
    def _check(self, d: _Def, given: str, value: str, current: str) -> str:
        """Validate *value* for *d* and return its canonical form."""
        kind = d.kind
        if kind == "bool":
            b = _parse_bool(value)
            if b is None:
                raise SettingError("22023", 'parameter "%s" requires a Boolean value' % given)
            return "on" if b else "off"
        if kind == "enum":
            lv = value.translate(_LOWER)
            for label, shown, _hidden in d.options:
                if label == lv:
                    return shown
            raise _invalid(given, value, hint=d.hint)
        if kind == "int":
            iv, hint = _parse_int(value, d.unit)
            if iv is None:
                raise _invalid(given, value, hint=hint)
            if iv < d.lo or iv > d.hi:
                unit = " " + d.unit if d.unit else ""
                raise SettingError("22023", "%d%s is outside the valid range for parameter "
                                            "\"%s\" (%d .. %d)" % (iv, unit, given, d.lo, d.hi))
            if d.unit and iv > 0:
                return _from_base_unit(iv, d.unit)
            return str(iv)
        if kind == "real":
            rv = _parse_real(value)
            if rv is None:
                raise _invalid(given, value)
            if rv < d.lo or rv > d.hi:
                raise SettingError("22023", "%g is outside the valid range for parameter \"%s\" "
                                            "(%g .. %g)" % (rv, given, d.lo, d.hi))
            return "%g" % rv
        hook = _STRING_HOOKS.get(_key(d.name))
        if hook is not None:
            return hook(self, value, current)
        return value

    def _check_client_encoding(self, value: str, current: str) -> str:
        try:
            canonical = pgencodings.lookup(value)[0]
        except pgencodings.UnsupportedEncodingError as exc:
            raise _invalid("client_encoding", value, "Conversion between %s and %s is not "
                           "supported." % (exc.pg_name, self._current.get("server_encoding")),
                           sqlstate="0A000")
        except ValueError:
            raise _invalid("client_encoding", value)
        # PostgreSQL keeps the exact string "UNICODE" for old JDBC drivers.
        return "UNICODE" if value == "UNICODE" else canonical

    def _check_datestyle(self, value: str, current: str) -> str:
        return _check_datestyle(value, current, self._reset["datestyle"])

    def _check_timezone(self, value: str, current: str) -> str:
        return check_timezone(value)

    def _check_application_name(self, value: str, current: str) -> str:
        if self._major >= 15:
            # GUC_IS_NAME (PostgreSQL 15): cut to 63 bytes, with a NOTICE,
            # before the check hook cleans it
            cut = truncate_identifier(value)
            if cut != value:
                self.notices.append(("42622", 'identifier "%s" will be truncated to "%s"' % (value, cut)))
                value = cut
        return _clean_ascii(value, hex_escapes=self._major >= 16)

    def _check_session_authorization(self, value: str, current: str) -> str:
        # The engine behind the server does not switch users; only the
        # current session user is acceptable.
        if value != self.user:
            raise SettingError("42501", "permission denied to set session authorization")
        return value

    def _check_role(self, value: str, current: str) -> str:
        if value.translate(_LOWER) == "none":
            return "none"
        if value != self.user:
            raise SettingError("42501", 'permission denied to set role "%s"' % value)
        return value

    # ------------------------------------------------------------------ changes
    def _reported_snapshot(self) -> Dict[str, str]:
        return {name: self.get(name) for name in REPORTED}

    def _changes(self, before: Mapping[str, str]) -> _ChangeList:
        out: _ChangeList = []
        for name in REPORTED:
            value = self.get(name)
            if before[name] != value:
                out.append((name, value))
        return out

    def set(self, name: str, value: Optional[str], local: bool = False,
            startup: bool = False) -> Optional[Tuple[str, str]]:
        """SET *name* to *value*; ``None`` means DEFAULT / RESET.

        Why the details: PostgreSQL canonicalises values (DateStyle, TimeZone,
        client_encoding, booleans, units ...) and clients compare what they
        read back, so the stored value is the canonical one.

        * ``local=True`` is SET LOCAL: it lasts until the end of the current
          transaction, and outside a transaction block it has no effect (the
          caller should send PostgreSQL's WARNING 25P01 "SET LOCAL can only
          be used in transaction blocks").
        * A plain SET inside a transaction block is undone if the
          transaction rolls back.
        * ``startup=True`` is for startup-packet parameters: like PostgreSQL,
          they become the values RESET returns to.
        * Unknown names are accepted and stored (see the module docstring);
          names with a dot must be valid ``ident.ident`` (42602).

        Returns ``(reported_name, new_value)`` when a REPORTED parameter
        changed value, so the caller can send ParameterStatus; else None.
        """
        k, d = self._lookup(name)
        if d is None:
            return self._set_custom(k, name, value, local, startup)
        if d.context != USER:
            suffix = {INTERNAL: "", POSTMASTER: " without restarting the server",
                      SIGHUP: " now"}[d.context]
            raise SettingError("55P02", 'parameter "%s" cannot be changed%s' % (name, suffix))
        if d.flags & _TXN:
            return self._set_transaction_param(k, d, name, value)
        if value is None:
            new = self._reset[k]
        else:
            new = self._check(d, name, value, self._current[k])
            if k == "standard_conforming_strings" and new == "off":
                raise SettingError("0A000", "standard_conforming_strings = off is not supported",
                                   hint="The SQL statement splitter only understands "
                                        "standard conforming strings.")
        return self._store(k, d.name, new, local, startup)

    def _store(self, k: str, rname: str, new: str, local: bool,
               startup: bool) -> Optional[Tuple[str, str]]:
        if local and not self._stack:
            return None
        before = self._current.get(k)
        self._current[k] = new
        if not local:
            self._session[k] = new
        if startup:
            self._reset[k] = new
        if rname in REPORTED and before != new:
            return (rname, new)
        return None

    def _set_custom(self, k: str, name: str, value: Optional[str], local: bool,
                    startup: bool) -> Optional[Tuple[str, str]]:
        if not k:
            raise SettingError("42704", 'unrecognized configuration parameter "%s"' % name)
        if "." in k and not all(_CUSTOM_PART.match(part) for part in name.split(".")):
            raise SettingError("42602", 'invalid configuration parameter name "%s"' % name,
                               "Custom parameter names must be two or more simple identifiers "
                               "separated by dots.")
        self._custom.setdefault(k, k)
        self._reset.setdefault(k, "")
        new = self._reset[k] if value is None else value
        if local and not self._stack:
            return None
        self._current[k] = new
        if not local:
            self._session[k] = new
        if startup:
            self._reset[k] = new
        return None

    def _set_transaction_param(self, k: str, d: _Def, name: str,
                               value: Optional[str]) -> Optional[Tuple[str, str]]:
        """transaction_isolation & co: only meaningful inside a transaction."""
        if value is None:
            new = self._current["default_" + k]
        else:
            new = self._check(d, name, value, self.get(k))
        if self._stack:
            self._current[k] = new
        return None

    def reset_all(self) -> _ChangeList:
        """RESET ALL: every resettable parameter back to its reset value.

        Inside a transaction block this is undone by a rollback, like SET.
        Read-only parameters, session_authorization, role and the
        per-transaction ones are left alone, as in PostgreSQL.
        """
        before = self._reported_snapshot()
        for k, d in self._defs.items():
            if d.context == USER and not d.flags & (_NO_RESET_ALL | _TXN):
                self._current[k] = self._session[k] = self._reset[k]
        for k in self._custom:
            self._current[k] = self._session[k] = self._reset.get(k, "")
        return self._changes(before)

    # ------------------------------------------------------------ transactions
    def begin(self, modes: Iterable[Tuple[str, str]] = (),
              carried: Iterable[Tuple[str, str]] = ()) -> None:
        """Start a transaction block (BEGIN / START TRANSACTION).

        *modes* are the transaction modes given with BEGIN, as (parameter,
        value) pairs such as ("transaction_isolation", "serializable").
        *carried* are those AND CHAIN carries over from the block before:
        unlike *modes* (PostgreSQL sets those as SET LOCAL would), an error
        in the block does not undo them (``abort``).
        A second begin() inside a block is ignored, as PostgreSQL only warns.
        """
        if self._stack:
            return
        self._stack.append((None, dict(self._session), dict(self._current)))
        for k in ("transaction_isolation", "transaction_read_only", "transaction_deferrable"):
            self._current[k] = self._current["default_" + k]
        self._carried = {}
        for name, value in carried:
            self.set(name, value, local=True)
            self._carried[_key(name)] = self.get(name)
        for name, value in modes:
            self.set(name, value, local=True)

    def commit(self) -> _ChangeList:
        """End the block keeping plain SETs and dropping SET LOCAL values."""
        if not self._stack:
            return []
        before = self._reported_snapshot()
        self._stack.clear()
        self._current = dict(self._session)
        return self._changes(before)

    def rollback(self) -> _ChangeList:
        """End the block undoing every SET made in it."""
        if not self._stack:
            return []
        before = self._reported_snapshot()
        _, session, current = self._stack[0]
        self._stack.clear()
        self._session, self._current = session, current
        return self._changes(before)

    def abort(self) -> _ChangeList:
        """An error in a block: undo the SETs made since the innermost
        savepoint (or since BEGIN), keeping the block and its savepoints
        for the ROLLBACK [TO] that must follow."""
        if not self._stack:
            return []
        before = self._reported_snapshot()
        _, session, current = self._stack[-1]
        self._session, self._current = dict(session), dict(current)
        if len(self._stack) == 1:
            self._current.update(self._carried)
        return self._changes(before)

    def savepoint(self, name: str) -> None:
        """SAVEPOINT *name*: remember the values to restore on ROLLBACK TO."""
        if not self._stack:
            raise SettingError("25P01", "SAVEPOINT can only be used in transaction blocks")
        self._stack.append((name, dict(self._session), dict(self._current)))

    def _find_savepoint(self, name: str) -> int:
        for i in range(len(self._stack) - 1, 0, -1):
            if self._stack[i][0] == name:
                return i
        raise SettingError("3B001", 'savepoint "%s" does not exist' % name)

    def release(self, name: str) -> _ChangeList:
        """RELEASE [SAVEPOINT] *name*: values set since stay in effect."""
        if not self._stack:
            raise SettingError("25P01", "RELEASE SAVEPOINT can only be used in transaction blocks")
        del self._stack[self._find_savepoint(name):]
        return []

    def rollback_to(self, name: str) -> _ChangeList:
        """ROLLBACK TO [SAVEPOINT] *name*: undo SETs made since the savepoint."""
        if not self._stack:
            raise SettingError("25P01", "ROLLBACK TO SAVEPOINT can only be used in transaction "
                                        "blocks")
        i = self._find_savepoint(name)
        before = self._reported_snapshot()
        _, session, current = self._stack[i]
        del self._stack[i + 1:]
        self._session, self._current = dict(session), dict(current)
        return self._changes(before)


def _list_checker(name: str) -> Callable[[Settings, str, str], str]:
    """check_search_path() & co: the value must be a valid identifier list."""
    def check(settings: Settings, value: str, current: str) -> str:
        if _split_identifier_list(value) is None:
            raise _invalid(name, value, "List syntax is invalid.")
        return value
    return check


_STRING_HOOKS: Dict[str, Callable[[Settings, str, str], str]] = {
    "client_encoding": Settings._check_client_encoding,
    "datestyle": Settings._check_datestyle,
    "timezone": Settings._check_timezone,
    "application_name": Settings._check_application_name,
    "search_path": _list_checker("search_path"),
    "temp_tablespaces": _list_checker("temp_tablespaces"),
    "session_authorization": Settings._check_session_authorization,
    "role": Settings._check_role,
}
