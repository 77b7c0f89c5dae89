"""series found by an index on their bounds (issue 18)

Revision ID: 0012
Revises: 0008

SQLite: an R*Tree of every series' [first start, last end], kept in step by triggers on
``event``, filled here from the rows already stored. PostgreSQL: a partial GiST index on the
same interval as a ``tstzrange``. See ``sessions_tui/store/series_bounds.py``.
"""

from __future__ import annotations

from alembic import op

from sessions_tui.store import series_bounds

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(series_bounds.SQLITE_CREATE)
        for trigger in series_bounds.SQLITE_TRIGGERS:
            op.execute(trigger)
        op.execute(series_bounds.SQLITE_BACKFILL)
    elif bind.dialect.name == "postgresql":
        op.execute(series_bounds.PG_CREATE)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in series_bounds.SQLITE_DROP:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute(series_bounds.PG_DROP)
