"""subscription: read-only ICS subscriptions of a practitioner

Revision ID: 0010
Revises: 0008

One row per subscribed feed (name, URL, busy mode, refresh interval, the last good copy's
validators and the last attempt's outcome). The subscribed events themselves are event rows
with ``source_calendar = 'subscription:<id>'``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from sessions_tui.store.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("url", AutoString(), nullable=False),
        sa.Column("busy", AutoString(), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("created_by", AutoString(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("etag", AutoString(), nullable=True),
        sa.Column("last_modified", AutoString(), nullable=True),
        sa.Column("body_hash", AutoString(), nullable=True),
        sa.Column("last_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", AutoString(), nullable=True),
        sa.Column("last_error_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["practitioner_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("practitioner_id", "url"),
        sa.UniqueConstraint("practitioner_id", "name"),
    )
    op.create_index(
        "ix_subscription_practitioner_id", "subscription", ["practitioner_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_subscription_practitioner_id", table_name="subscription")
    op.drop_table("subscription")
