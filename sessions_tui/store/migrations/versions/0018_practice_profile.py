"""practice profile and service places (issue 27)

Revision ID: 0018
Revises: 0017

The practice's public profile (phone, address, a short note, a privacy-policy link), shown on
every booking page and in every email to clients; and where each booking service happens
(a location's name or ``telehealth``, and a telehealth link); and the optional reason a client
gives when cancelling from a reminder's link (``reminder_log.cancel_reason``). All nullable:
nothing is said until someone sets it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

PRACTICE = ("phone", "address", "note", "privacy_url")
SERVICE = ("location", "link")


def upgrade() -> None:
    with op.batch_alter_table("practice") as batch:
        for name in PRACTICE:
            batch.add_column(sa.Column(name, AutoString(), nullable=True))
    with op.batch_alter_table("booking_service") as batch:
        for name in SERVICE:
            batch.add_column(sa.Column(name, AutoString(), nullable=True))
    with op.batch_alter_table("reminder_log") as batch:
        batch.add_column(sa.Column("cancel_reason", AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminder_log") as batch:
        batch.drop_column("cancel_reason")
    with op.batch_alter_table("booking_service") as batch:
        for name in SERVICE:
            batch.drop_column(name)
    with op.batch_alter_table("practice") as batch:
        for name in PRACTICE:
            batch.drop_column(name)
