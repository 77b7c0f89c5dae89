"""online booking: settings, services, requests (holds), client contacts, email outbox

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from sessions_tui.store.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "booking_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("notice_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("hold_minutes", sa.Integer(), nullable=False),
        sa.Column("new_clients", sa.Boolean(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("link_secret", AutoString(), nullable=False),
        sa.Column("link_hash", AutoString(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["practitioner_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("practitioner_id"),
        sa.UniqueConstraint("link_hash"),
    )
    op.create_table(
        "booking_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["practitioner_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("practitioner_id", "name"),
    )
    op.create_index(
        "ix_booking_service_practitioner_id", "booking_service", ["practitioner_id"], unique=False
    )
    op.create_table(
        "booking_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", AutoString(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("service", AutoString(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("start_utc", UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_utc", UTCDateTime(timezone=True), nullable=False),
        sa.Column("visitor_tz", AutoString(), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("email", AutoString(), nullable=False),
        sa.Column("phone", AutoString(), nullable=True),
        sa.Column("message", AutoString(), nullable=True),
        sa.Column("status", AutoString(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("offered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", AutoString(), nullable=True),
        sa.Column("reason", AutoString(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.ForeignKeyConstraint(["practitioner_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    op.create_index(
        "ix_booking_request_hold",
        "booking_request",
        ["practitioner_id", "status", "start_utc"],
        unique=False,
    )
    op.create_table(
        "client_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("email", AutoString(), nullable=True),
        sa.Column("phone", AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
    )
    op.create_index("ix_client_contact_email", "client_contact", ["email"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", AutoString(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("to_addr", AutoString(), nullable=False),
        sa.Column("subject", AutoString(), nullable=False),
        sa.Column("body", AutoString(), nullable=False),
        sa.Column("ics", AutoString(), nullable=True),
        sa.Column("status", AutoString(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["booking_request.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Open clients LISTEN for changes (store/watch.py); the audit triggers notify for the
        # tables they audit, and a request from the web must reach every open TUI too. (On
        # SQLite, PRAGMA data_version sees every commit.) Requests are not audited: they hold
        # visitors' details, which an append-only log could never forget.
        op.execute("""
            CREATE FUNCTION sessions_notify_request() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('sessions_tui', TG_TABLE_NAME); RETURN NULL; END $$""")
        op.execute("""
            CREATE TRIGGER booking_request_notify AFTER INSERT OR UPDATE OR DELETE
            ON booking_request FOR EACH STATEMENT EXECUTE FUNCTION sessions_notify_request()""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS booking_request_notify ON booking_request")
        op.execute("DROP FUNCTION IF EXISTS sessions_notify_request()")
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_client_contact_email", table_name="client_contact")
    op.drop_table("client_contact")
    op.drop_index("ix_booking_request_hold", table_name="booking_request")
    op.drop_table("booking_request")
    op.drop_index("ix_booking_service_practitioner_id", table_name="booking_service")
    op.drop_table("booking_service")
    op.drop_table("booking_settings")
