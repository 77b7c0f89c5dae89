"""google sync: accounts, calendars and event links

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sessions_tui.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "google_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
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
        "google_calendar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.String(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.Column("sync_token", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["google_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "calendar_id"),
    )
    with op.batch_alter_table("google_calendar", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_google_calendar_account_id"), ["account_id"], unique=False
        )
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
        sa.Column("synced_at", sessions_tui.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["google_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("calendar_id", "google_event_id"),
    )
    with op.batch_alter_table("google_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_google_link_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_google_link_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("google_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_google_link_event_id"))
        batch_op.drop_index(batch_op.f("ix_google_link_account_id"))
    op.drop_table("google_link")
    with op.batch_alter_table("google_calendar", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_google_calendar_account_id"))
    op.drop_table("google_calendar")
    op.drop_table("google_account")
