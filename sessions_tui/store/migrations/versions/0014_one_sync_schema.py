"""one sync schema: sync_account, sync_calendar, sync_link with a provider column (issue 25)

Revision ID: 0014
Revises: 0013

Google (``google_account``/``google_calendar``/``google_link``, 0003) and CalDAV
(``caldav_account``/``caldav_calendar``/``caldav_link``, 0009) had a set of tables each, the
same columns under other names. They become one set with a ``provider`` column, and every row is
copied so that a database synced before the upgrade syncs after it with nothing pushed again:

- Google accounts keep their ids; CalDAV account ids are moved past the largest Google id (no
  other table names an account id: OAuth tokens and CalDAV passwords are keyed by practitioner).
  Calendars and links follow their accounts.
- ``calendar`` is the Google calendar id or the CalDAV collection URL; ``remote_id`` the Google
  event id or the CalDAV href; ``uid`` the CalDAV UID (``NULL`` for Google).
- ``origin`` is normalised: Google's ``google`` becomes ``remote``, as CalDAV already wrote
  (``local`` stays). The pushed content does not depend on the word, so stored hashes stay right.
- Links are unique per account (``account_id, calendar, remote_id``): two practitioners'
  accounts may each link the same event of a shared calendar.

Account changes are audited as ``google_account``'s were (0006), now for both providers. On
PostgreSQL the grants and row-level security of the old tables are applied to the new ones by
``store.pg_security.apply`` after the migrations.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sessions_tui.store.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ACCOUNT_COLUMNS = "mode, connected, identifier, last_sync_at, last_result, last_error"


def _when() -> sessions_tui.store.types.UTCDateTime:
    return sessions_tui.store.types.UTCDateTime(timezone=True)


def _create_tables() -> None:
    op.create_table(
        "sync_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("username", sa.String(), nullable=True),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("identifier", sa.String(), nullable=False),
        sa.Column("last_sync_at", _when(), nullable=True),
        sa.Column("last_result", sa.String(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["practitioner_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "practitioner_id"),
    )
    op.create_table(
        "sync_calendar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("calendar", sa.String(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.Column("sync_token", sa.String(), nullable=True),
        sa.Column("access_role", sa.String(), nullable=True),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["sync_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "calendar"),
    )
    op.create_index("ix_sync_calendar_account_id", "sync_calendar", ["account_id"])
    op.create_table(
        "sync_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("calendar", sa.String(), nullable=False),
        sa.Column("remote_id", sa.String(), nullable=False),
        sa.Column("uid", sa.String(), nullable=True),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("local_hash", sa.String(), nullable=True),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("synced_at", _when(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["sync_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "calendar", "remote_id"),
    )
    op.create_index("ix_sync_link_account_id", "sync_link", ["account_id"])
    op.create_index("ix_sync_link_event_id", "sync_link", ["event_id"])


def _audit(dialect: str, table: str) -> None:
    """The audit triggers of 0006 (account settings are privacy settings: the identifier)."""
    if dialect == "sqlite":
        columns = [c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)]

        def as_json(prefix: str) -> str:
            return "json_object(" + ", ".join(f"'{c}', {prefix}.\"{c}\"" for c in columns) + ")"

        now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
        head = "INSERT INTO audit_log (at, actor, entity, entity_id, action, before, after)"
        for action, row, before, after in (
            ("insert", "NEW", "NULL", as_json("NEW")),
            ("update", "NEW", as_json("OLD"), as_json("NEW")),
            ("delete", "OLD", as_json("OLD"), "NULL"),
        ):
            op.execute(f"""CREATE TRIGGER audit_{table}_{action} AFTER {action.upper()} ON {table}
                BEGIN {head} VALUES ({now}, sessions_actor(), '{table}', {row}.rowid,
                '{action}', {before}, {after}); END""")
    elif dialect == "postgresql":
        op.execute(f"""CREATE TRIGGER audit_{table} AFTER INSERT OR UPDATE OR DELETE
            ON {table} FOR EACH ROW EXECUTE FUNCTION sessions_audit()""")


def _drop_audit(dialect: str, table: str) -> None:
    if dialect == "sqlite":
        for action in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_{table}_{action}")
    elif dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS audit_{table} ON {table}")


def _reset_sequence(dialect: str, table: str) -> None:
    """Rows copied with their ids do not move PostgreSQL's sequence: move it past them."""
    if dialect == "postgresql":
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _create_tables()
    # Google: ids kept. CalDAV: ids moved past the largest Google account id.
    op.execute(f"""INSERT INTO sync_account (id, provider, practitioner_id, url, username,
        {_ACCOUNT_COLUMNS}) SELECT id, 'google', practitioner_id, NULL, NULL, {_ACCOUNT_COLUMNS}
        FROM google_account""")
    shift = "(SELECT coalesce(max(id), 0) FROM google_account)"
    op.execute(f"""INSERT INTO sync_account (id, provider, practitioner_id, url, username,
        {_ACCOUNT_COLUMNS}) SELECT id + {shift}, 'caldav', practitioner_id, url, username,
        {_ACCOUNT_COLUMNS} FROM caldav_account""")
    op.execute("""INSERT INTO sync_calendar (account_id, calendar, summary, role, selected,
        sync_token, access_role, read_only) SELECT account_id, calendar_id, summary, role,
        selected, sync_token, access_role, false FROM google_calendar ORDER BY id""")
    op.execute(f"""INSERT INTO sync_calendar (account_id, calendar, summary, role, selected,
        sync_token, access_role, read_only) SELECT account_id + {shift}, url, summary, role,
        selected, sync_token, NULL, read_only FROM caldav_calendar ORDER BY id""")
    op.execute("""INSERT INTO sync_link (account_id, event_id, calendar, remote_id, uid, etag,
        local_hash, origin, synced_at) SELECT account_id, event_id, calendar_id,
        google_event_id, NULL, etag, local_hash,
        CASE WHEN origin = 'google' THEN 'remote' ELSE origin END, synced_at
        FROM google_link ORDER BY id""")
    op.execute(f"""INSERT INTO sync_link (account_id, event_id, calendar, remote_id, uid, etag,
        local_hash, origin, synced_at) SELECT account_id + {shift}, event_id, calendar_url, href,
        uid, etag, local_hash, origin, synced_at FROM caldav_link ORDER BY id""")
    _reset_sequence(dialect, "sync_account")
    _drop_audit(dialect, "google_account")
    for table in ("google_link", "google_calendar", "google_account"):
        op.drop_table(table)
    for table in ("caldav_link", "caldav_calendar", "caldav_account"):
        op.drop_table(table)
    _audit(dialect, "sync_account")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_audit(dialect, "sync_account")
    op.create_table(
        "google_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("identifier", sa.String(), nullable=False),
        sa.Column("last_sync_at", _when(), nullable=True),
        sa.Column("last_result", sa.String(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["practitioner_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("practitioner_id"),
    )
    op.create_table(
        "google_calendar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.String(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.Column("sync_token", sa.String(), nullable=True),
        sa.Column("access_role", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["google_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "calendar_id"),
    )
    op.create_index("ix_google_calendar_account_id", "google_calendar", ["account_id"])
    op.create_table(
        "google_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("calendar_id", sa.String(), nullable=False),
        sa.Column("google_event_id", sa.String(), nullable=False),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("local_hash", sa.String(), nullable=True),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("synced_at", _when(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["google_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("calendar_id", "google_event_id"),
    )
    op.create_index("ix_google_link_account_id", "google_link", ["account_id"])
    op.create_index("ix_google_link_event_id", "google_link", ["event_id"])
    op.create_table(
        "caldav_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("identifier", sa.String(), nullable=False),
        sa.Column("last_sync_at", _when(), nullable=True),
        sa.Column("last_result", sa.String(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["practitioner_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("practitioner_id"),
    )
    op.create_table(
        "caldav_calendar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.Column("sync_token", sa.String(), nullable=True),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["caldav_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "url"),
    )
    op.create_index("ix_caldav_calendar_account_id", "caldav_calendar", ["account_id"])
    op.create_table(
        "caldav_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("calendar_url", sa.String(), nullable=False),
        sa.Column("href", sa.String(), nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("local_hash", sa.String(), nullable=True),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("synced_at", _when(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["caldav_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("calendar_url", "href"),
    )
    op.create_index("ix_caldav_link_account_id", "caldav_link", ["account_id"])
    op.create_index("ix_caldav_link_event_id", "caldav_link", ["event_id"])
    for provider in ("google", "caldav"):
        extra = "" if provider == "google" else "url, username, "
        op.execute(f"""INSERT INTO {provider}_account (id, practitioner_id, {extra}
            {_ACCOUNT_COLUMNS}) SELECT id, practitioner_id, {extra}{_ACCOUNT_COLUMNS}
            FROM sync_account WHERE provider = '{provider}'""")
    mine = "account_id IN (SELECT id FROM sync_account WHERE provider = '{}')"
    op.execute(f"""INSERT INTO google_calendar (account_id, calendar_id, summary, role,
        selected, sync_token, access_role) SELECT account_id, calendar, summary, role, selected,
        sync_token, access_role FROM sync_calendar WHERE {mine.format("google")}""")
    op.execute(f"""INSERT INTO caldav_calendar (account_id, url, summary, role, selected,
        sync_token, read_only) SELECT account_id, calendar, summary, role, selected, sync_token,
        read_only FROM sync_calendar WHERE {mine.format("caldav")}""")
    # The old Google links were unique per calendar, not per account: the first one stays.
    op.execute(f"""INSERT INTO google_link (account_id, event_id, calendar_id, google_event_id,
        etag, local_hash, origin, synced_at) SELECT account_id, event_id, calendar, remote_id,
        etag, local_hash, CASE WHEN origin = 'remote' THEN 'google' ELSE origin END, synced_at
        FROM sync_link WHERE {mine.format("google")} AND id IN (SELECT min(id) FROM sync_link
        GROUP BY calendar, remote_id)""")
    op.execute(f"""INSERT INTO caldav_link (account_id, event_id, calendar_url, href, uid, etag,
        local_hash, origin, synced_at) SELECT account_id, event_id, calendar, remote_id,
        coalesce(uid, ''), etag, local_hash, origin, synced_at FROM sync_link
        WHERE {mine.format("caldav")} AND id IN (SELECT min(id) FROM sync_link
        GROUP BY calendar, remote_id)""")
    for table in ("google_account", "caldav_account"):
        _reset_sequence(dialect, table)
    for table in ("sync_link", "sync_calendar", "sync_account"):
        op.drop_table(table)
    _audit(dialect, "google_account")
