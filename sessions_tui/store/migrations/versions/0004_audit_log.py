"""audit log written by triggers, append-only; lock table

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import sessions_tui.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

AUDITED = ("event", "exdate", "hours", "hours_interval", "date_override", "practice", "staff")


def _sqlite_json(prefix: str, columns: list[str]) -> str:
    pairs = ", ".join(f"'{c}', {prefix}.\"{c}\"" for c in columns)
    return f"json_object({pairs})"


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("before", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("after", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_entity", "audit_log", ["entity", "entity_id"], unique=False)
    op.create_table(
        "lock",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column(
            "expires_at", sessions_tui.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("name"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_triggers(bind)
    elif bind.dialect.name == "postgresql":
        _pg_triggers()


def _sqlite_triggers(bind: sa.engine.Connection) -> None:
    now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    for table in AUDITED:
        columns = [c["name"] for c in sa.inspect(bind).get_columns(table)]
        new, old = _sqlite_json("NEW", columns), _sqlite_json("OLD", columns)
        head = "INSERT INTO audit_log (at, actor, entity, entity_id, action, before, after)"
        op.execute(f"""CREATE TRIGGER audit_{table}_insert AFTER INSERT ON {table} BEGIN
            {head} VALUES ({now}, sessions_actor(), '{table}', NEW.rowid, 'insert', NULL, {new});
            END""")
        op.execute(f"""CREATE TRIGGER audit_{table}_update AFTER UPDATE ON {table} BEGIN
            {head} VALUES ({now}, sessions_actor(), '{table}', NEW.rowid, 'update', {old}, {new});
            END""")
        op.execute(f"""CREATE TRIGGER audit_{table}_delete AFTER DELETE ON {table} BEGIN
            {head} VALUES ({now}, sessions_actor(), '{table}', OLD.rowid, 'delete', {old}, NULL);
            END""")
    for action in ("UPDATE", "DELETE"):
        op.execute(f"""CREATE TRIGGER audit_log_no_{action.lower()} BEFORE {action} ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""")


def _pg_triggers() -> None:
    op.execute("""
        CREATE FUNCTION sessions_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            row_id integer;
        BEGIN
            IF TG_OP = 'DELETE' THEN
                row_id := (to_jsonb(OLD) ->> 'id')::integer;
            ELSE
                row_id := (to_jsonb(NEW) ->> 'id')::integer;
            END IF;
            INSERT INTO audit_log (at, actor, entity, entity_id, action, before, after)
            VALUES (to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    nullif(current_setting('sessions_tui.actor', true), ''),
                    TG_TABLE_NAME, row_id, lower(TG_OP),
                    CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD)::text END,
                    CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW)::text END);
            -- Open clients LISTEN on this channel and reload (identical payloads in one
            -- transaction are delivered once).
            PERFORM pg_notify('sessions_tui', TG_TABLE_NAME);
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE FUNCTION sessions_audit_readonly() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit log is append-only';
        END $$""")
    for table in AUDITED:
        op.execute(f"""CREATE TRIGGER audit_{table} AFTER INSERT OR UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION sessions_audit()""")
    op.execute("""CREATE TRIGGER audit_log_readonly BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION sessions_audit_readonly()""")
    op.execute("""CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION sessions_audit_readonly()""")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in AUDITED:
            for action in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS audit_{table}_{action}")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        for table in AUDITED:
            op.execute(f"DROP TRIGGER IF EXISTS audit_{table} ON {table}")
        op.execute("DROP TRIGGER IF EXISTS audit_log_readonly ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS sessions_audit()")
        op.execute("DROP FUNCTION IF EXISTS sessions_audit_readonly()")
    op.drop_table("lock")
    op.drop_index("ix_audit_entity", table_name="audit_log")
    op.drop_table("audit_log")
