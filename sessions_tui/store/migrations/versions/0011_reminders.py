"""client reminders: contact consent and preferred name, reminder settings, the sent-log

Revision ID: 0011
Revises: 0008

``client_contact`` gains the client's preferred name and their reminder consent (yes/no and
when it was given). ``reminder_settings`` is the practice's one row of reminder settings;
``reminder_log`` the sent-log whose unique key (event, occurrence, offset, start) lets a
reminder be claimed once only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from sessions_tui.store.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("client_contact") as batch:
        batch.add_column(sa.Column("preferred_name", AutoString(), nullable=True))
        batch.add_column(
            sa.Column("reminders", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("reminders_given_at", UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("client_contact") as batch:
        # The default only filled existing rows; the model has none (it sets the value).
        batch.alter_column("reminders", server_default=None)
    op.create_table(
        "reminder_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hours", AutoString(), nullable=False),
        sa.Column("subject", AutoString(), nullable=False),
        sa.Column("body", AutoString(), nullable=False),
        sa.Column("cancel_hours", sa.Integer(), nullable=True),
        sa.Column("feed_alarm_minutes", sa.Integer(), nullable=True),
        sa.Column("base_url", AutoString(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "reminder_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", AutoString(), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("start_utc", UTCDateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", AutoString(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered", AutoString(), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "occurrence", "offset_minutes", "start_utc"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(
        "ix_reminder_log_occurrence", "reminder_log", ["event_id", "occurrence"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_reminder_log_occurrence", table_name="reminder_log")
    op.drop_table("reminder_log")
    op.drop_table("reminder_settings")
    with op.batch_alter_table("client_contact") as batch:
        batch.drop_column("reminders_given_at")
        batch.drop_column("reminders")
        batch.drop_column("preferred_name")
