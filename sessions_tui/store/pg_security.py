"""PostgreSQL: who may do what, enforced by the database itself (issues 15 and 28).

Each member of staff is a database *login role* whose name is their staff login; the app takes
who you are from ``current_user`` (``services.context``). The practice's roles are *group
roles*, and grants and row-level security carry the role rules into the database, so raw SQL
over a staff member's own connection cannot get round them:

- ``sessions_owner`` (NOLOGIN, CREATEROLE) owns every table, sequence and function. It is used
  only to migrate (``sessions-tui db upgrade``, run by a superuser or a member of it). The
  owner is not subject to row-level security; no staff role is a member of it, and ``db
  upgrade`` refuses to go on if one is, or has SUPERUSER, CREATEROLE or BYPASSRLS
  (:func:`escalations`).
- ``sessions_practitioner``, ``sessions_scheduler``, ``sessions_admin`` are members of
  ``sessions_staff`` (schema, sequences, the helper functions); ``sessions_service`` is the
  web service's and the mail and reminder workers' group.
- :data:`MODEL` says, for every table, what each role may do on every row and on its own rows;
  :func:`apply` makes the grants and one policy per command from it, and docs/SECURITY.md shows
  the same table (the issue 28 test reads the docs and probes a live server against them).
  Secret columns (:data:`SECRET_COLUMNS`) are granted to no one but the owner. Tables the model
  does not name (the Google and CalDAV rows) keep the issue 15 rules.
- Staff roles are created and changed by ``sessions_grant_login`` and ``sessions_revoke_login``,
  SECURITY DEFINER functions of the owner that only an admin of the practice may call: an
  admin's login needs no CREATEROLE (which on PostgreSQL 15 and older reaches any role).
- Queued mail: ``sessions_outbox_check`` refuses a message to an address the practice does not
  hold for it, one not queued as pending, and any status change that is not forward.

The audit log: rows are written by ``sessions_audit()``, a SECURITY DEFINER trigger function
owned by ``sessions_owner``, on every table staff can change. The actor is ``session_user``,
the role that logged in, which nothing in a session can change (``SET ROLE`` changes
``current_user`` only; ``SET SESSION AUTHORIZATION`` needs a superuser) and no variable can
override. Staff roles may only SELECT the log: they cannot insert a forged row, update, delete
or truncate it, and as they do not own it they cannot ALTER it or disable its triggers. Only a
superuser or owner connection (the migrator, maintenance) names the actor through the
``sessions_tui.actor`` setting, as on SQLite: such a connection can change anything anyway.

:func:`apply` is idempotent and runs after every migration on PostgreSQL, so a table added by a
later migration gets its owner and grants too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

OWNER = "sessions_owner"
STAFF = "sessions_staff"
GROUPS = {
    "admin": "sessions_admin",
    "scheduler": "sessions_scheduler",
    "practitioner": "sessions_practitioner",
}
"""The group role of each practice role."""

# The least-privilege model (issue 28): for each table, what each role may do on every row
# and on its own rows. docs/SECURITY.md shows the same table, and
# tests/unit/test_issue_28_privileges_pg.py probes a live server against the docs.


@dataclass(frozen=True)
class Access:
    """What one role may do on one table: ``every`` on every row, ``own`` on its own rows
    (letters S, I, U, D for SELECT, INSERT, UPDATE, DELETE)."""

    every: str = ""
    own: str = ""


SERVICE = "sessions_service"
"""The web service's and the mail and reminder workers' group role (not a member of staff)."""

_ROLE_TEST = {
    "admin": "sessions_has_role('admin')",
    "scheduler": "sessions_has_role('scheduler')",
    "practitioner": "sessions_has_role('practitioner')",
    "service": f"pg_has_role(current_user, '{SERVICE}', 'USAGE')",
}
_GROUP_OF = {**GROUPS, "service": SERVICE}

_ALL = Access("SIUD")
_READ = Access("S")
_OWN = Access("S", "IUD")
_NONE = Access()


def _staff_table(
    admin: Access, scheduler: Access, practitioner: Access, service: Access = _READ
) -> dict[str, Access]:
    return {
        "admin": admin,
        "scheduler": scheduler,
        "practitioner": practitioner,
        "service": service,
    }


def _by_practitioner(table: str) -> str:
    return f"{table}.practitioner_id = sessions_my_id()"


MODEL: dict[str, tuple[str | None, dict[str, Access]]] = {
    "practice": (None, _staff_table(Access("SU"), _READ, _READ)),
    "staff": (
        "staff.login = current_user::text",
        _staff_table(_ALL, Access("S", "U"), Access("S", "U")),
    ),
    "client": (None, _staff_table(_ALL, _ALL, _READ)),
    "location": (None, _staff_table(_ALL, _ALL, _READ)),
    "event": (_by_practitioner("event"), _staff_table(_ALL, _ALL, _OWN)),
    "exdate": (
        "EXISTS (SELECT 1 FROM event e WHERE e.id = exdate.series_id "
        "AND e.practitioner_id = sessions_my_id())",
        _staff_table(_ALL, _ALL, _OWN),
    ),
    "hours": (_by_practitioner("hours"), _staff_table(_ALL, _ALL, _OWN)),
    "hours_interval": (
        "EXISTS (SELECT 1 FROM hours h WHERE h.id = hours_interval.hours_id "
        "AND h.practitioner_id = sessions_my_id())",
        _staff_table(_ALL, _ALL, _OWN),
    ),
    "date_override": (
        "EXISTS (SELECT 1 FROM hours h WHERE h.id = date_override.hours_id "
        "AND h.practitioner_id = sessions_my_id())",
        _staff_table(_ALL, _ALL, _OWN),
    ),
    "preference": (
        "preference.staff_id = sessions_my_id()",
        _staff_table(Access("", "SIUD"), Access("", "SIUD"), Access("", "SIUD"), _NONE),
    ),
    "feed": (_by_practitioner("feed"), _staff_table(_ALL, _ALL, _OWN)),
    "subscription": (_by_practitioner("subscription"), _staff_table(_ALL, _ALL, _OWN)),
    "booking_settings": (_by_practitioner("booking_settings"), _staff_table(_ALL, _ALL, _OWN)),
    "booking_service": (_by_practitioner("booking_service"), _staff_table(_ALL, _ALL, _OWN)),
    "booking_request": (
        _by_practitioner("booking_request"),
        _staff_table(Access("SU"), Access("SU"), Access("S", "U"), Access("SIU")),
    ),
    "client_contact": (
        "EXISTS (SELECT 1 FROM event e WHERE e.client_id = client_contact.client_id "
        "AND e.practitioner_id = sessions_my_id()) OR EXISTS (SELECT 1 FROM booking_request r "
        "WHERE r.practitioner_id = sessions_my_id() AND r.email = client_contact.email)",
        _staff_table(_ALL, _ALL, _OWN),
    ),
    "outbox": (
        "EXISTS (SELECT 1 FROM booking_request r WHERE r.id = outbox.request_id "
        "AND r.practitioner_id = sessions_my_id())",
        _staff_table(Access("SIU"), Access("SIU"), Access("", "SI"), Access("SIU")),
    ),
    "reminder_settings": (None, _staff_table(Access("SIU"), _READ, _READ)),
    "reminder_log": (None, _staff_table(Access("SIU"), Access("SIU"), _READ, Access("SIU"))),
    "lock": (None, _staff_table(_READ, _READ, _READ)),
    # The log of the outbox holds every message's text: a practitioner reads only their own.
    "audit_log": (
        "(audit_log.entity <> 'outbox' OR audit_log.actor = session_user::text)",
        _staff_table(_READ, _READ, Access("", "S"), _NONE),
    ),
    "alembic_version": (None, _staff_table(_READ, _READ, _READ)),
    # Two-way sync (issue 25): a practitioner's own account, its calendars and links; schedulers
    # and admins run the sync of every connected practitioner, so they write them all.
    "sync_account": (_by_practitioner("sync_account"), _staff_table(_ALL, _ALL, _OWN, _NONE)),
    "sync_calendar": (
        "EXISTS (SELECT 1 FROM sync_account a WHERE a.id = sync_calendar.account_id "
        "AND a.practitioner_id = sessions_my_id())",
        _staff_table(_ALL, _ALL, _OWN, _NONE),
    ),
    "sync_link": (
        "EXISTS (SELECT 1 FROM sync_account a WHERE a.id = sync_link.account_id "
        "AND a.practitioner_id = sessions_my_id())",
        _staff_table(_ALL, _ALL, _OWN, _NONE),
    ),
}
"""Table -> (what makes a row the caller's own, role -> access). The owner role owns every
table and is not subject to row-level security."""

_COLUMNS: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {
    # A member changes their own name and defaults, never their login or roles.
    ("staff", "U"): (("practitioner", "scheduler"), ("name", "color", "default_session_minutes")),
    # Queued mail is never rewritten: the mailer and the reminder pass move its status only.
    ("outbox", "U"): (
        ("admin", "scheduler", "practitioner", "service"),
        ("status", "attempts", "next_attempt_at", "sent_at", "last_error"),
    ),
}
"""(table, operation) -> (the roles limited, the columns they may name)."""

_FROZEN: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {
    # Staff decide a request (status, time offered, the session and client it became); what
    # the visitor wrote, and the address mail about it goes to, stay as they sent it.
    ("booking_request", "U"): (
        ("admin", "scheduler", "practitioner"),
        (
            "id",
            "reference",
            "practitioner_id",
            "service",
            "minutes",
            "visitor_tz",
            "name",
            "email",
            "phone",
            "message",
            "created_at",
        ),
    ),
}
"""(table, operation) -> (the roles limited, the columns they may not name)."""

SECRET_COLUMNS = {"booking_settings": ("link_secret",)}
"""Practice-wide secrets: readable by the owner role only (no grant names these columns)."""

AUDITED = (
    "booking_settings",
    "booking_service",
    "booking_request",
    "client_contact",
    "outbox",
    "reminder_settings",
    "reminder_log",
    "lock",
    "subscription",
    "sync_calendar",
    "sync_link",
)
"""Tables migration 0017 gives the audit trigger (the others have had it since 0004/0006)."""

# Tables the model does not name (Google and CalDAV rows, and any table a later migration
# adds before it is named above): every member of staff reads and writes them, rows limited
# by these rules, as before issue 28.
_LEGACY_POLICIES: dict[str, str] = {}


def _create_role(conn: Connection, name: str) -> None:
    conn.exec_driver_sql(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') "
        f"THEN CREATE ROLE {name} NOLOGIN; END IF; END $$"
    )


def _ddl(conn: Connection, sql: str) -> None:
    """Run ``sql`` holding ``%`` (PL/pgSQL's RAISE and format): the driver reads ``%%`` as one."""
    conn.exec_driver_sql(sql.replace("%", "%%"))


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


_VERBS = {"S": "SELECT", "I": "INSERT", "U": "UPDATE", "D": "DELETE"}
_POLICY = {
    "S": "sessions_select",
    "I": "sessions_insert",
    "U": "sessions_update",
    "D": "sessions_delete",
}
_OLD_POLICIES = ("sessions_read", *_POLICY.values())


def _condition(table: str, op: str) -> str | None:
    """The row-level rule of ``op`` on ``table`` (``None``: no role may do it)."""
    own, access = MODEL[table]
    granted = {role: a for role, a in access.items() if op in a.every + a.own}
    if not granted:
        return None
    if all(op in a.every for a in granted.values()):
        return "true"  # the grants alone decide
    parts = []
    for role, a in granted.items():
        test = _ROLE_TEST[role]
        parts.append(test if op in a.every else f"({test} AND {own})")
    return " OR ".join(parts)


def _columns(conn: Connection, table: str) -> list[str]:
    return [
        str(r[0])
        for r in conn.execute(
            text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = :t "
                "ORDER BY ordinal_position"
            ),
            {"t": table},
        )
    ]


def _quoted(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _grant_model(conn: Connection, table: str) -> None:
    _own, access = MODEL[table]
    columns = _columns(conn, table)
    readable = [c for c in columns if c not in SECRET_COLUMNS.get(table, ())]
    for role, a in access.items():
        group = _GROUP_OF[role]
        for op in "SIUD":
            if op not in a.every + a.own:
                continue
            limited = _COLUMNS.get((table, op))
            if op == "S" and len(readable) < len(columns):
                conn.exec_driver_sql(f'GRANT SELECT ({_quoted(readable)}) ON "{table}" TO {group}')
            elif (table, op) in _FROZEN and role in _FROZEN[(table, op)][0]:
                names = [c for c in columns if c not in _FROZEN[(table, op)][1]]
                conn.exec_driver_sql(
                    f'GRANT {_VERBS[op]} ({_quoted(names)}) ON "{table}" TO {group}'
                )
            elif limited is not None and role in limited[0]:
                names = [c for c in limited[1] if c in columns]
                conn.exec_driver_sql(
                    f'GRANT {_VERBS[op]} ({_quoted(names)}) ON "{table}" TO {group}'
                )
            else:
                conn.exec_driver_sql(f'GRANT {_VERBS[op]} ON "{table}" TO {group}')
    for op, name in _POLICY.items():
        rule = _condition(table, op)
        if rule is None:
            continue  # under row-level security, no policy: no row
        if op == "S":
            conn.exec_driver_sql(f'CREATE POLICY {name} ON "{table}" FOR SELECT USING ({rule})')
        elif op == "I":
            conn.exec_driver_sql(
                f'CREATE POLICY {name} ON "{table}" FOR INSERT WITH CHECK ({rule})'
            )
        elif op == "U":
            conn.exec_driver_sql(
                f'CREATE POLICY {name} ON "{table}" FOR UPDATE USING ({rule}) WITH CHECK ({rule})'
            )
        else:
            conn.exec_driver_sql(f'CREATE POLICY {name} ON "{table}" FOR DELETE USING ({rule})')


def _grant_legacy(conn: Connection, table: str) -> None:
    """A table the model does not name: every member of staff reads and writes it."""
    conn.exec_driver_sql(f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{table}" TO {STAFF}')
    rule = _LEGACY_POLICIES.get(table, "true")
    conn.exec_driver_sql(f'CREATE POLICY sessions_select ON "{table}" FOR SELECT USING (true)')
    conn.exec_driver_sql(
        f'CREATE POLICY sessions_insert ON "{table}" FOR INSERT WITH CHECK ({rule})'
    )
    conn.exec_driver_sql(
        f'CREATE POLICY sessions_update ON "{table}" FOR UPDATE USING ({rule}) WITH CHECK ({rule})'
    )
    conn.exec_driver_sql(f'CREATE POLICY sessions_delete ON "{table}" FOR DELETE USING ({rule})')


def apply(conn: Connection) -> None:
    """Create the roles and (re)apply ownership, grants, policies and the functions."""
    for name in (OWNER, STAFF, SERVICE, *GROUPS.values()):
        _create_role(conn, name)
    everyone = ", ".join((STAFF, SERVICE, *GROUPS.values()))
    for group in GROUPS.values():
        conn.exec_driver_sql(f"GRANT {STAFF} TO {group}")
        # The owner's SECURITY DEFINER functions grant the groups (PostgreSQL 16 asks for
        # ADMIN OPTION even of a CREATEROLE role); no staff role holds it.
        conn.exec_driver_sql(f"GRANT {group} TO {OWNER} WITH ADMIN OPTION")
    conn.exec_driver_sql(f"""DO $$ BEGIN
        IF NOT (SELECT rolcreaterole FROM pg_roles WHERE rolname = '{OWNER}') THEN
            ALTER ROLE {OWNER} CREATEROLE;
        END IF; END $$""")
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    conn.exec_driver_sql(f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {STAFF}, {SERVICE}")
    tables = _tables(conn)
    for table in tables:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" OWNER TO {OWNER}')
        conn.exec_driver_sql(f'REVOKE ALL ON "{table}" FROM PUBLIC, {everyone}')
        # (revoking a table's privileges revokes its column privileges too)
        conn.exec_driver_sql(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        for old in _OLD_POLICIES:
            conn.exec_driver_sql(f'DROP POLICY IF EXISTS {old} ON "{table}"')
    _functions(conn, schema)
    for seq in _sequences(conn):
        conn.exec_driver_sql(f'ALTER SEQUENCE "{seq}" OWNER TO {OWNER}')
        conn.exec_driver_sql(f'GRANT USAGE, SELECT ON SEQUENCE "{seq}" TO {STAFF}, {SERVICE}')
    for table in tables:
        if table in MODEL:
            _grant_model(conn, table)
        else:
            _grant_legacy(conn, table)
    if "outbox" in tables:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS outbox_check ON outbox")
        conn.exec_driver_sql(
            "CREATE TRIGGER outbox_check BEFORE INSERT OR UPDATE ON outbox "
            "FOR EACH ROW EXECUTE FUNCTION sessions_outbox_check()"
        )


def escalations(conn: Connection) -> list[str]:
    """Each way a staff or service login could reach the owner role, with its fix."""
    groups = ", ".join(f"'{g}'" for g in (STAFF, SERVICE, *GROUPS.values()))
    rows = conn.execute(
        text(
            f"""
            WITH RECURSIVE member(oid) AS (
                SELECT oid FROM pg_roles WHERE rolname IN ({groups})
                UNION
                SELECT m.member FROM pg_auth_members m JOIN member ON m.roleid = member.oid
                -- the owner holds the groups to grant them; its own members are the migrators
                WHERE m.member <> (SELECT oid FROM pg_roles WHERE rolname = '{OWNER}')
            )
            SELECT r.rolname, r.rolsuper, r.rolcreaterole, r.rolbypassrls,
                   pg_has_role(r.oid, '{OWNER}', 'MEMBER') AND NOT r.rolsuper
            FROM pg_roles r JOIN member ON member.oid = r.oid
            WHERE r.rolname NOT IN ('{OWNER}') ORDER BY r.rolname
            """
        )
    ).all()
    found: list[str] = []
    for name, superuser, createrole, bypassrls, owner in rows:
        quoted = quote_role(conn, str(name))
        if superuser:
            found.append(f"{name} is a superuser (fix: ALTER ROLE {quoted} NOSUPERUSER)")
        if createrole:
            found.append(
                f"{name} may create and change roles (fix: ALTER ROLE {quoted} NOCREATEROLE)"
            )
        if bypassrls:
            found.append(
                f"{name} bypasses row-level security (fix: ALTER ROLE {quoted} NOBYPASSRLS)"
            )
        if owner:
            found.append(f"{name} is a member of {OWNER} (fix: REVOKE {OWNER} FROM {quoted})")
    return found


def _functions(conn: Connection, schema: str) -> None:
    path = f"SET search_path = {schema}, pg_temp"
    hidden = sorted({c for cs in SECRET_COLUMNS.values() for c in cs})
    secrets = "ARRAY[" + ", ".join(f"'{c}'" for c in hidden) + "]::text[]"
    # The migrator and maintenance (a superuser or a member of the owner role) are trusted.
    trusted = (
        "(EXISTS (SELECT 1 FROM pg_roles WHERE rolname = session_user AND rolsuper) "
        f"OR pg_has_role(session_user, '{OWNER}', 'MEMBER'))"
    )
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
                    CASE WHEN TG_OP = 'INSERT' THEN NULL
                         ELSE (to_jsonb(OLD) - {secrets})::text END,
                    CASE WHEN TG_OP = 'DELETE' THEN NULL
                         ELSE (to_jsonb(NEW) - {secrets})::text END);
            -- Open clients LISTEN on this channel and reload (identical payloads in one
            -- transaction are delivered once).
            PERFORM pg_notify('sessions_tui', TG_TABLE_NAME);
            RETURN NULL;
        END $$""")
    _ddl(
        conn,
        f"""
        CREATE OR REPLACE FUNCTION sessions_outbox_check() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER {path} AS $$
        BEGIN
            IF {trusted} THEN
                RETURN NEW;
            END IF;
            IF TG_OP = 'UPDATE' THEN
                -- Mail goes forward only: a sent or given-up message is never sent again.
                IF NOT (OLD.status = NEW.status AND OLD.status IN ('pending', 'sending')
                        OR (OLD.status, NEW.status) IN (('pending', 'sending'),
                           ('pending', 'dropped'), ('sending', 'sent'), ('sending', 'failed'),
                           ('sending', 'pending'), ('sending', 'unknown'))) THEN
                    RAISE EXCEPTION 'queued mail moves forward only (% to % refused)',
                        OLD.status, NEW.status USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END IF;
            IF NEW.status <> 'pending' OR NEW.attempts <> 0 OR NEW.sent_at IS NOT NULL THEN
                RAISE EXCEPTION 'mail is queued as pending, never as already sent'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NEW.kind IN ('received', 'confirmed', 'declined', 'offered', 'expired') THEN
                IF NOT EXISTS (SELECT 1 FROM booking_request r WHERE r.id = NEW.request_id
                               AND lower(r.email) = lower(NEW.to_addr)) THEN
                    RAISE EXCEPTION 'booking mail goes only to the address of its request'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
            ELSIF NEW.kind = 'reminder' THEN
                IF NOT EXISTS (SELECT 1 FROM client_contact c WHERE c.reminders
                               AND lower(c.email) = lower(NEW.to_addr)) THEN
                    RAISE EXCEPTION 'reminders go only to clients who agreed to them'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
            ELSE
                RAISE EXCEPTION 'no mail of kind % is sent', NEW.kind
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$""",
    )
    # Staff roles are made and changed by these two functions, run with the owner's rights
    # (the owner has CREATEROLE; no staff login needs it, docs/SECURITY.md).
    admin = (
        f"({trusted} OR EXISTS (SELECT 1 FROM staff WHERE login = session_user::text "
        "AND 'admin' = ANY (string_to_array(roles, ','))))"
    )
    groups = ", ".join(f"'{k}', '{v}'" for k, v in GROUPS.items())
    _ddl(
        conn,
        f"""
        CREATE OR REPLACE FUNCTION sessions_grant_login(who text, wanted text[]) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER {path} AS $$
        DECLARE
            target pg_roles%ROWTYPE;
            groups jsonb := jsonb_build_object({groups});
            practice_role text;
        BEGIN
            IF NOT {admin} THEN
                RAISE EXCEPTION 'only an admin of the practice gives staff their roles'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF who !~ '^[A-Za-z0-9_][A-Za-z0-9_.@-]{{0,62}}$' OR left(who, 9) = 'sessions_'
               OR left(who, 3) = 'pg_' THEN
                RAISE EXCEPTION 'not a staff login: %', who USING ERRCODE = 'invalid_name';
            END IF;
            IF EXISTS (SELECT 1 FROM unnest(wanted) w WHERE NOT groups ? w) THEN
                RAISE EXCEPTION 'unknown practice role in %', wanted
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            SELECT * INTO target FROM pg_roles WHERE rolname = who;
            IF NOT FOUND THEN
                EXECUTE format('CREATE ROLE %I LOGIN', who);
            ELSIF target.rolsuper OR target.rolbypassrls OR target.rolcreaterole
                  OR pg_has_role(target.oid, '{OWNER}', 'MEMBER') THEN
                RAISE EXCEPTION 'role % may change roles or bypass security: it cannot be a '
                    'member of staff (docs/SECURITY.md)', who
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            FOR practice_role IN SELECT jsonb_object_keys(groups) LOOP
                IF practice_role = ANY (wanted) THEN
                    EXECUTE format('GRANT %I TO %I', groups ->> practice_role, who);
                ELSE
                    EXECUTE format('REVOKE %I FROM %I', groups ->> practice_role, who);
                END IF;
            END LOOP;
        END $$""",
    )
    revokes = " ".join(f"EXECUTE format('REVOKE {g} FROM %I', who);" for g in GROUPS.values())
    _ddl(
        conn,
        f"""
        CREATE OR REPLACE FUNCTION sessions_revoke_login(who text) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER {path} AS $$
        BEGIN
            IF NOT {admin} THEN
                RAISE EXCEPTION 'only an admin of the practice takes staff roles away'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = who) THEN
                {revokes}
            END IF;
        END $$""",
    )
    for fn in (
        "sessions_audit()",
        "sessions_audit_readonly()",
        "sessions_my_id()",
        "sessions_has_role(text)",
        "sessions_outbox_check()",
        "sessions_grant_login(text, text[])",
        "sessions_revoke_login(text)",
    ):
        conn.exec_driver_sql(f"ALTER FUNCTION {fn} OWNER TO {OWNER}")
        conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")
    conn.exec_driver_sql(
        f"GRANT EXECUTE ON FUNCTION sessions_my_id(), sessions_has_role(text) TO {STAFF}, {SERVICE}"
    )
    conn.exec_driver_sql(
        f"GRANT EXECUTE ON FUNCTION sessions_grant_login(text, text[]), "
        f"sessions_revoke_login(text) TO {GROUPS['admin']}"
    )


def quote_role(conn: Connection, login: str) -> str:
    """``login`` as a quoted SQL identifier (logins are validated, but never trusted here)."""
    return str(conn.execute(text("SELECT quote_ident(:l)"), {"l": login}).scalar_one())


def grant_login(conn: Connection, login: str, roles: set[str]) -> None:
    """Make ``login`` a login role (if it is not one) holding exactly the groups of ``roles``.

    Done by ``sessions_grant_login``, a SECURITY DEFINER function of the owner role that an
    admin may call: the admin's own login role needs no CREATEROLE (docs/SECURITY.md). The
    password is the person's own business (``\\password``, ``~/.pgpass``, peer or certificate
    authentication): none is set here.
    """
    conn.execute(
        text("SELECT sessions_grant_login(:l, CAST(:r AS text[]))"),
        {"l": login, "r": sorted(roles)},
    )


def revoke_login(conn: Connection, login: str) -> None:
    """Take every practice group from ``login`` (the role itself is left to the DBA)."""
    conn.execute(text("SELECT sessions_revoke_login(:l)"), {"l": login})
