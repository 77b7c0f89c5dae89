"""security: feed tokens kept only as hashes; audit of feeds, Google settings, clients, locations

Revision ID: 0006
Revises: 0004

On PostgreSQL the roles, grants, row-level security and the SECURITY DEFINER audit function are
(re)applied after every migration by ``store.pg_security.apply`` (called from
``store.db.upgrade``), so they also cover tables that later migrations add.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

AUDITED = ("feed", "google_account", "client", "location")
"""Privacy events too: a switch to full client names in a feed is one (issue 15)."""


def _sqlite_json(prefix: str, columns: list[str]) -> str:
    pairs = ", ".join(f"'{c}', {prefix}.\"{c}\"" for c in columns)
    return f"json_object({pairs})"


def upgrade() -> None:
    bind = op.get_bind()
    # A copy of the database must not yield a working feed URL: only the hash stays. The
    # URLs already handed out keep working (the server looks feeds up by the hash).
    with op.batch_alter_table("feed") as batch:
        batch.drop_column("token")
    if bind.dialect.name == "sqlite":
        now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
        head = "INSERT INTO audit_log (at, actor, entity, entity_id, action, before, after)"
        for table in AUDITED:
            columns = [c["name"] for c in sa.inspect(bind).get_columns(table)]
            new, old = _sqlite_json("NEW", columns), _sqlite_json("OLD", columns)
            op.execute(f"""CREATE TRIGGER audit_{table}_insert AFTER INSERT ON {table} BEGIN
                {head} VALUES ({now}, sessions_actor(), '{table}', NEW.rowid, 'insert', NULL,
                {new}); END""")
            op.execute(f"""CREATE TRIGGER audit_{table}_update AFTER UPDATE ON {table} BEGIN
                {head} VALUES ({now}, sessions_actor(), '{table}', NEW.rowid, 'update', {old},
                {new}); END""")
            op.execute(f"""CREATE TRIGGER audit_{table}_delete AFTER DELETE ON {table} BEGIN
                {head} VALUES ({now}, sessions_actor(), '{table}', OLD.rowid, 'delete', {old},
                NULL); END""")
    elif bind.dialect.name == "postgresql":
        for table in AUDITED:
            op.execute(f"""CREATE TRIGGER audit_{table} AFTER INSERT OR UPDATE OR DELETE
                ON {table} FOR EACH ROW EXECUTE FUNCTION sessions_audit()""")


def downgrade() -> None:
    bind = op.get_bind()
    for table in AUDITED:
        if bind.dialect.name == "sqlite":
            for action in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS audit_{table}_{action}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS audit_{table} ON {table}")
    with op.batch_alter_table("feed") as batch:
        batch.add_column(sa.Column("token", AutoString(), nullable=True))
