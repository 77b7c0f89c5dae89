"""booking links stored as hashes only (issue 27)

Revision ID: 0016
Revises: 0013

``booking_settings.link_secret`` (the secret part of a booking page's URL, kept in clear beside
its hash so the link could be printed again) is dropped: only ``link_hash`` is kept, and the
link is shown once, when it is made, as feed tokens are. Links already given out keep working
(their hash is unchanged). A downgrade cannot recover the secrets: it gives every page a new
secret link (the old ones stop working).
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("booking_settings") as batch:
        batch.drop_column("link_secret")


def downgrade() -> None:
    with op.batch_alter_table("booking_settings") as batch:
        batch.add_column(sa.Column("link_secret", AutoString(), nullable=False, server_default=""))
    bind = op.get_bind()
    table = sa.table(
        "booking_settings",
        sa.column("id", sa.Integer()),
        sa.column("link_secret", AutoString()),
        sa.column("link_hash", AutoString()),
    )
    for (row_id,) in bind.execute(sa.select(table.c.id)).all():
        secret = secrets.token_urlsafe(18)
        digest = hashlib.sha256(secret.encode()).hexdigest()
        bind.execute(
            table.update().where(table.c.id == row_id).values(link_secret=secret, link_hash=digest)
        )
    with op.batch_alter_table("booking_settings") as batch:
        batch.alter_column("link_secret", server_default=None)
