"""PostgreSQL 15's own objects beyond the dump's tables: predefined roles,
their memberships, the descriptions of built-in schemas and databases, and
the ``_RETURN`` rewrite rule every view has.

The role and description facts were read from a freshly initialised
PostgreSQL 15 cluster (``pg_roles``, ``pg_auth_members``,
``obj_description``/``shobj_description``); tools list them (``\\du`` shows
the predefined roles, ``\\l+``/``\\dn+`` the descriptions).
"""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

from .content import BOOTSTRAP_SUPERUSER_OID, stable_oid

#: (oid, rolname) of PostgreSQL 15's predefined roles: no login, inherit only.
PREDEFINED_ROLES: Tuple[Tuple[int, str], ...] = (
    (3373, "pg_monitor"), (3374, "pg_read_all_settings"), (3375, "pg_read_all_stats"),
    (3377, "pg_stat_scan_tables"), (4200, "pg_signal_backend"), (4544, "pg_checkpoint"),
    (4569, "pg_read_server_files"), (4570, "pg_write_server_files"),
    (4571, "pg_execute_server_program"), (6171, "pg_database_owner"),
    (6181, "pg_read_all_data"), (6182, "pg_write_all_data"),
)
#: pg_auth_members: pg_monitor is a member of three of them (roleid, member).
_MEMBERSHIPS = ((3374, 3373), (3375, 3373), (3377, 3373))
PG_NAMESPACE_CLASS_OID = 2615
PG_DATABASE_CLASS_OID = 1262
PG_REWRITE_CLASS_OID = 2618
#: obj_description(oid, 'pg_namespace') of the built-in schemas
NAMESPACE_DESCRIPTIONS: Dict[int, str] = {
    99: "reserved schema for TOAST tables", 11: "system catalog schema",
    2200: "standard public schema",
}
#: shobj_description(oid, 'pg_database') of the built-in databases
DATABASE_DESCRIPTIONS: Dict[int, str] = {
    1: "default template for new databases", 4: "unmodifiable empty database",
    5: "default administrative connection database",
}


def predefined_roles(template: Dict[str, Any]) -> List[Dict[str, Any]]:
    """pg_roles rows of the predefined roles, shaped like ``template``."""
    flags = dict(rolsuper=False, rolinherit=True, rolcreaterole=False, rolcreatedb=False,
                 rolcanlogin=False, rolreplication=False, rolconnlimit=-1,
                 rolvaliduntil=None, rolbypassrls=False, rolconfig=None)
    return [dict(template, oid=oid, rolname=name, **flags) for oid, name in PREDEFINED_ROLES]


def auth_members(ctx: Any) -> List[Dict[str, Any]]:
    return [{"roleid": role, "member": member, "grantor": BOOTSTRAP_SUPERUSER_OID,
             "admin_option": False} for role, member in _MEMBERSHIPS]


def shared_descriptions(ctx: Any) -> List[Dict[str, Any]]:
    return [{"objoid": oid, "classoid": PG_DATABASE_CLASS_OID, "description": text}
            for oid, text in DATABASE_DESCRIPTIONS.items()]


def namespace_descriptions() -> List[Dict[str, Any]]:
    return [{"objoid": oid, "classoid": PG_NAMESPACE_CLASS_OID, "objsubid": 0,
             "description": text} for oid, text in NAMESPACE_DESCRIPTIONS.items()]


def view_rule_oid(ctx: Any, rel: Any) -> int:
    """The stable OID of a view's ``_RETURN`` rule."""
    return stable_oid("rule:%s.%s.%s._RETURN" % (ctx.db, rel.schema, rel.name), ctx.snap._taken)


def rewrite_rules(ctx: Any) -> List[Dict[str, Any]]:
    """pg_rewrite: PostgreSQL implements every view as an unconditional
    INSTEAD rule named ``_RETURN`` on SELECT (ev_type '1')."""
    return [{"oid": view_rule_oid(ctx, rel), "rulename": "_RETURN", "ev_class": rel.oid,
             "ev_type": "1", "ev_enabled": "O", "is_instead": True, "ev_qual": "<>",
             "ev_action": None}
            for rel in ctx.snap.relations() if rel.kind in ("v", "m")]
