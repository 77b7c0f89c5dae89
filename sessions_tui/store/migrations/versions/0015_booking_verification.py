"""booking requests wait for their address to confirm them (issue 27)

Revision ID: 0015
Revises: 0013

A request from the booking page is stored ``unverified``: it holds nothing and is not shown to
the practice until the link mailed to the address it names is opened (``verify_hash``: sha256
hex of that link's token; the token is only in the email). ``verified_at`` is when it was
confirmed (then it holds its time, ``pending``); an unverified request whose ``expires_at``
passes is simply dead. Existing rows were made before verification existed: they keep their
state, with no hash.

``booking_settings.increment_minutes`` (default 15): the page offers start times on this grid
of the practitioner's local hour (09:00, 09:15, …), not back to back (09:50, 10:40).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessions_tui.store.types import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild on SQLite: the table's triggers stay as they are).
    op.add_column("booking_request", sa.Column("verify_hash", sa.String(), nullable=True))
    op.add_column(
        "booking_request", sa.Column("verified_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "booking_settings",
        sa.Column("increment_minutes", sa.Integer(), nullable=False, server_default="15"),
    )
    op.create_index(
        "ix_booking_request_verify_hash", "booking_request", ["verify_hash"], unique=True
    )
    op.create_index(
        "ix_booking_request_email", "booking_request", ["practitioner_id", "email"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_booking_request_email", table_name="booking_request")
    op.drop_index("ix_booking_request_verify_hash", table_name="booking_request")
    with op.batch_alter_table("booking_settings") as batch:
        batch.drop_column("increment_minutes")
    with op.batch_alter_table("booking_request") as batch:
        batch.drop_column("verified_at")
        batch.drop_column("verify_hash")
