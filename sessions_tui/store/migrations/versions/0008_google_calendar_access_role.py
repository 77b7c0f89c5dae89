"""google_calendar.access_role: what the account may do in each calendar

Revision ID: 0008
Revises: 0007

Google's calendarList ``accessRole`` (``owner``, ``writer``, ``reader``, ``freeBusyReader``),
``NULL`` until the sync engine has asked. Events of a calendar the account may only read are
never pushed to; local changes to them are refused, and undone if they happened anyway.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("google_calendar") as batch:
        batch.add_column(
            sa.Column("access_role", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("google_calendar") as batch:
        batch.drop_column("access_role")
