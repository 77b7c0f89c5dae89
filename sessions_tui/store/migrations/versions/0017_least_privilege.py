"""least privilege: audit triggers on booking, contacts, mail, reminders, locks, subscriptions

Revision ID: 0017
Revises: 0013

On PostgreSQL every table a member of staff can change is audited by ``sessions_audit()`` (the
grants and row-level policies of the tables are (re)applied after every migration by
``store.pg_security.apply``, issue 28). SQLite protects nothing from whoever holds the file
(docs/SECURITY.md): nothing changes there.
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

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
"""The tables staff may change that had no audit trigger (``store.pg_security.AUDITED``)."""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in AUDITED:
        op.execute(f'DROP TRIGGER IF EXISTS audit_{table} ON "{table}"')
        op.execute(f"""CREATE TRIGGER audit_{table} AFTER INSERT OR UPDATE OR DELETE
            ON "{table}" FOR EACH ROW EXECUTE FUNCTION sessions_audit()""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in AUDITED:
        op.execute(f'DROP TRIGGER IF EXISTS audit_{table} ON "{table}"')
