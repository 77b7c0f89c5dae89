"""caldav sync: accounts, calendars and resource links

Revision ID: 0009
Revises: 0008

Two-way CalDAV sync (issue 17). One link per local event family (a one-off, or a series with
its overrides): a CalDAV resource holds the master VEVENT and its RECURRENCE-ID overrides
together. Passwords are never stored in the database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sessions_tui.store.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "caldav_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("identifier", sa.String(), nullable=False),
        sa.Column(
            "last_sync_at", sessions_tui.store.types.UTCDateTime(timezone=True), nullable=True
        ),
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
    with op.batch_alter_table("caldav_calendar", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_caldav_calendar_account_id"), ["account_id"], unique=False
        )
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
        sa.Column("synced_at", sessions_tui.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["caldav_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("calendar_url", "href"),
    )
    with op.batch_alter_table("caldav_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_caldav_link_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_caldav_link_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("caldav_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_caldav_link_event_id"))
        batch_op.drop_index(batch_op.f("ix_caldav_link_account_id"))
    op.drop_table("caldav_link")
    with op.batch_alter_table("caldav_calendar", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_caldav_calendar_account_id"))
    op.drop_table("caldav_calendar")
    op.drop_table("caldav_account")
