"""PostgreSQL: who may do what, enforced by the database itself (issue 15).

Each member of staff is a database *login role* whose name is their staff login; the app takes
who you are from ``current_user`` (``services.context``). The practice's three roles are *group
roles*, and grants and row-level security carry the role rules into the database, so raw SQL
over a staff member's own connection cannot get round them:

- ``sessions_owner`` (NOLOGIN) owns every table, sequence and function. It is used only to
  migrate (``sessions-tui db upgrade``, run by a superuser or a member of it). The owner is not
  subject to row-level security; no staff role is a member of it.
- ``sessions_staff`` holds what every member of staff needs: reading the practice, writing
  events, exdates, office hours, availability, preferences, feeds and Google settings (rows
  limited by the policies below), and their own name, colour and default length in ``staff``.
- ``sessions_practitioner``, ``sessions_scheduler``, ``sessions_admin`` are members of
  ``sessions_staff``; schedulers and admins also write clients and locations; admins also staff
  and the practice settings.

Row-level security (the staff table says who has which practice role, and only admins write
it): a practitioner changes only their own events (and their exdates), their own office hours
and availability (and their intervals and overrides), their own feed and Google account;
schedulers and admins change all; the practice settings only admins; preferences only their
owner.

The audit log: rows are written by ``sessions_audit()``, a SECURITY DEFINER trigger function
owned by ``sessions_owner``. The actor is ``session_user``, the role that logged in, which
nothing in a session can change (``SET ROLE`` changes ``current_user`` only; ``SET SESSION
AUTHORIZATION`` needs a superuser) and no variable can override. Staff roles may only SELECT
the log: they cannot insert a forged row, update, delete or truncate it, and as they do not own
it they cannot ALTER it or disable its triggers. Only a superuser or owner connection (the
migrator, maintenance) names the actor through the ``sessions_tui.actor`` setting, as on
SQLite: such a connection can change anything anyway.

:func:`apply` is idempotent and runs after every migration on PostgreSQL, so a table added by a
later migration gets its owner and grants too.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

OWNER = "sessions_owner"
STAFF = "sessions_staff"
GROUPS = {
    "admin": "sessions_admin",
    "scheduler": "sessions_scheduler",
    "practitioner": "sessions_practitioner",
}
"""The group role of each practice role."""

# Tables every member of staff writes (rows limited by the policies).
_STAFF_WRITES = (
    "event",
    "exdate",
    "hours",
    "hours_interval",
    "date_override",
    "preference",
    "feed",
    "sync_account",
    "sync_calendar",
    "sync_link",
    "lock",
)
_MANAGER_WRITES = ("client", "location")
_ADMIN_WRITES = ("staff", "practice")
_READ_ONLY = ("audit_log", "alembic_version")

_MANAGER = "(sessions_has_role('admin') OR sessions_has_role('scheduler'))"
_POLICIES: dict[str, str] = {
    "event": f"{_MANAGER} OR practitioner_id = sessions_my_id()",
    "exdate": (
        "EXISTS (SELECT 1 FROM event e WHERE e.id = exdate.series_id AND "
        f"({_MANAGER} OR e.practitioner_id = sessions_my_id()))"
    ),
    "hours": f"{_MANAGER} OR practitioner_id = sessions_my_id()",
    "hours_interval": (
        "EXISTS (SELECT 1 FROM hours h WHERE h.id = hours_interval.hours_id AND "
        f"({_MANAGER} OR h.practitioner_id = sessions_my_id()))"
    ),
    "date_override": (
        "EXISTS (SELECT 1 FROM hours h WHERE h.id = date_override.hours_id AND "
        f"({_MANAGER} OR h.practitioner_id = sessions_my_id()))"
    ),
    "feed": f"{_MANAGER} OR practitioner_id = sessions_my_id()",
    "sync_account": f"{_MANAGER} OR practitioner_id = sessions_my_id()",
    "subscription": f"{_MANAGER} OR practitioner_id = sessions_my_id()",
    "practice": "sessions_has_role('admin')",
    "staff": "sessions_has_role('admin') OR login = current_user::text",
}
"""Who may write a row of each table (reading is open to every member of staff)."""

_OWN_ONLY = {"preference": "staff_id = sessions_my_id()"}
"""Tables whose rows only their owner reads or writes."""


def _create_role(conn: Connection, name: str) -> None:
    conn.exec_driver_sql(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') "
        f"THEN CREATE ROLE {name} NOLOGIN; END IF; END $$"
    )


def _tables(conn: Connection) -> list[str]:
    return [
        str(r[0])
        for r in conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        )
    ]


def _sequences(conn: Connection) -> list[str]:
    return [
        str(r[0])
        for r in conn.execute(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
        )
    ]


def apply(conn: Connection) -> None:
    """Create the roles and (re)apply ownership, grants, policies and the audit function."""
    for name in (OWNER, STAFF, *GROUPS.values()):
        _create_role(conn, name)
    for group in GROUPS.values():
        conn.exec_driver_sql(f"GRANT {STAFF} TO {group}")
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    conn.exec_driver_sql(f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {STAFF}")
    _functions(conn, schema)
    tables = _tables(conn)
    for table in tables:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" OWNER TO {OWNER}')
        conn.exec_driver_sql(f'REVOKE ALL ON "{table}" FROM PUBLIC')
        conn.exec_driver_sql(f'REVOKE ALL ON "{table}" FROM {STAFF}, {", ".join(GROUPS.values())}')
        conn.exec_driver_sql(f'GRANT SELECT ON "{table}" TO {STAFF}')
    for seq in _sequences(conn):
        conn.exec_driver_sql(f'ALTER SEQUENCE "{seq}" OWNER TO {OWNER}')
        conn.exec_driver_sql(f'GRANT USAGE, SELECT ON SEQUENCE "{seq}" TO {STAFF}')
    # A table this module does not name (one a later migration adds, e.g. online booking) is
    # written by every member of staff: the app's services decide who may, as for Google rows.
    unnamed = tuple(
        t
        for t in tables
        if t not in (*_STAFF_WRITES, *_MANAGER_WRITES, *_ADMIN_WRITES, *_READ_ONLY)
    )
    writes = (
        (STAFF, _STAFF_WRITES + unnamed),
        (GROUPS["scheduler"], _MANAGER_WRITES),
        (GROUPS["admin"], _MANAGER_WRITES + _ADMIN_WRITES),
    )
    for role, names in writes:
        for table in names:
            if table in tables:
                conn.exec_driver_sql(f'GRANT INSERT, UPDATE, DELETE ON "{table}" TO {role}')
    if "staff" in tables:
        # A member changes their own name and defaults, never their login or roles.
        conn.exec_driver_sql(
            f"GRANT UPDATE (name, color, default_session_minutes) ON staff TO {STAFF}"
        )
    for table in tables:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        for old in ("sessions_read", "sessions_insert", "sessions_update", "sessions_delete"):
            conn.exec_driver_sql(f'DROP POLICY IF EXISTS {old} ON "{table}"')
        rule = _POLICIES.get(table)
        own = _OWN_ONLY.get(table)
        if own is not None:
            conn.exec_driver_sql(
                f'CREATE POLICY sessions_read ON "{table}" FOR ALL USING ({own}) WITH CHECK ({own})'
            )
            continue
        conn.exec_driver_sql(f'CREATE POLICY sessions_read ON "{table}" FOR SELECT USING (true)')
        if rule is None:  # grants alone decide (clients, locations, Google rows, the log)
            rule = "true"
        conn.exec_driver_sql(
            f'CREATE POLICY sessions_insert ON "{table}" FOR INSERT WITH CHECK ({rule})'
        )
        conn.exec_driver_sql(
            f'CREATE POLICY sessions_update ON "{table}" FOR UPDATE '
            f"USING ({rule}) WITH CHECK ({rule})"
        )
        conn.exec_driver_sql(
            f'CREATE POLICY sessions_delete ON "{table}" FOR DELETE USING ({rule})'
        )


def _functions(conn: Connection, schema: str) -> None:
    path = f"SET search_path = {schema}, pg_temp"
    conn.exec_driver_sql(f"""
        CREATE OR REPLACE FUNCTION sessions_my_id() RETURNS integer
        LANGUAGE sql STABLE {path} AS $$
            SELECT id FROM staff WHERE login = current_user::text
        $$""")
    conn.exec_driver_sql(f"""
        CREATE OR REPLACE FUNCTION sessions_has_role(wanted text) RETURNS boolean
        LANGUAGE sql STABLE {path} AS $$
            SELECT coalesce((SELECT wanted = ANY (string_to_array(roles, ','))
                             FROM staff WHERE login = current_user::text), false)
        $$""")
    conn.exec_driver_sql(f"""
        CREATE OR REPLACE FUNCTION sessions_audit() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER {path} AS $$
        DECLARE
            row_id integer;
            who text := session_user::text;
        BEGIN
            -- Only a superuser or the owner (migrations, maintenance) may name the actor:
            -- they can change anything anyway. Everyone else is the role that logged in.
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = session_user AND rolsuper)
               OR pg_has_role(session_user, '{OWNER}', 'MEMBER') THEN
                who := coalesce(nullif(current_setting('sessions_tui.actor', true), ''), who);
            END IF;
            IF TG_OP = 'DELETE' THEN
                row_id := (to_jsonb(OLD) ->> 'id')::integer;
            ELSE
                row_id := (to_jsonb(NEW) ->> 'id')::integer;
            END IF;
            INSERT INTO audit_log (at, actor, entity, entity_id, action, before, after)
            VALUES (to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    who, TG_TABLE_NAME, row_id, lower(TG_OP),
                    CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD)::text END,
                    CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW)::text END);
            -- Open clients LISTEN on this channel and reload (identical payloads in one
            -- transaction are delivered once).
            PERFORM pg_notify('sessions_tui', TG_TABLE_NAME);
            RETURN NULL;
        END $$""")
    for fn in ("sessions_audit()", "sessions_audit_readonly()", "sessions_my_id()"):
        conn.exec_driver_sql(f"ALTER FUNCTION {fn} OWNER TO {OWNER}")
    conn.exec_driver_sql(f"ALTER FUNCTION sessions_has_role(text) OWNER TO {OWNER}")
    conn.exec_driver_sql("REVOKE ALL ON FUNCTION sessions_audit() FROM PUBLIC")
    conn.exec_driver_sql(
        f"GRANT EXECUTE ON FUNCTION sessions_my_id(), sessions_has_role(text) TO {STAFF}"
    )


def quote_role(conn: Connection, login: str) -> str:
    """``login`` as a quoted SQL identifier (logins are validated, but never trusted here)."""
    return str(conn.execute(text("SELECT quote_ident(:l)"), {"l": login}).scalar_one())


def grant_login(conn: Connection, login: str, roles: set[str]) -> None:
    """Make ``login`` a login role (if it is not one) holding exactly the groups of ``roles``.

    Run by an admin whose own role has CREATEROLE and ADMIN OPTION on the groups
    (docs/SECURITY.md). The password is the person's own business (``\\password``,
    ``~/.pgpass``, peer or certificate authentication): none is set here.
    """
    role = quote_role(conn, login)
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :l"), {"l": login}).first()
    if exists is None:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
    for practice_role, group in GROUPS.items():
        verb = "GRANT {g} TO {r}" if practice_role in roles else "REVOKE {g} FROM {r}"
        conn.exec_driver_sql(verb.format(g=group, r=role))


def revoke_login(conn: Connection, login: str) -> None:
    """Take every practice group from ``login`` (the role itself is left to the DBA)."""
    role = quote_role(conn, login)
    for group in GROUPS.values():
        conn.exec_driver_sql(f"REVOKE {group} FROM {role}")
