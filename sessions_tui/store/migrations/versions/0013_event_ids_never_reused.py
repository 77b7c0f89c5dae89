"""event ids are never reused on SQLite (AUTOINCREMENT) (issue 24)

Revision ID: 0013
Revises: 0012

SQLite gives a table without ``AUTOINCREMENT`` the largest rowid + 1, so deleting the newest
event and creating another reused its id: the audit log then showed one "event N" created,
deleted and created again by two people, and an undo of the delete was refused with a
misleading message. With ``AUTOINCREMENT`` SQLite keeps the largest id ever used in
``sqlite_sequence``. PostgreSQL's identity sequence never reused ids; nothing changes there.

SQLite cannot add ``AUTOINCREMENT`` to a table, so the table is rebuilt the way its docs say
(``lang_altertable.html``, "other kinds of table schema changes"): the new table is made from
the stored ``CREATE TABLE`` with the keyword added, the rows copied with their ids (no trigger
fires: the new table has none yet), the old table dropped, the new one renamed, then its indexes
and triggers (audit log, series bounds) made again from their stored SQL, all with foreign keys
off (``store.db.upgrade``) and checked at the end (``foreign_key_check``).
"""

from __future__ import annotations

import re

from alembic import op
from sqlalchemy import text

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    (create,) = bind.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'event'")
    ).one()
    if "AUTOINCREMENT" in create.upper():
        return
    new, inline = re.subn(
        r"(\bid\s+INTEGER\s+NOT\s+NULL)", r"\1 PRIMARY KEY AUTOINCREMENT", create, count=1
    )
    new, table_pk = re.subn(r",\s*PRIMARY KEY \(id\)", "", new, count=1)
    if not (inline and table_pk):
        raise RuntimeError("unexpected schema of table event; cannot add AUTOINCREMENT")
    dependents = [
        sql
        for (sql,) in bind.execute(
            text(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'event' "
                "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name"
            )
        )
    ]
    columns = ", ".join(
        f'"{name}"' for (_cid, name, *_rest) in bind.execute(text("PRAGMA table_info(event)"))
    )
    # store.db.upgrade turns foreign keys off around the migrations on SQLite (as the recipe
    # says): with them on, dropping the old table would delete what exdates and overrides
    # point at, and renaming would rewrite their references.
    if bind.execute(text("PRAGMA foreign_keys")).scalar():
        raise RuntimeError("migration 0013 needs foreign keys off (store.db.upgrade does it)")
    new = re.sub(r"^CREATE TABLE\s+\"?event\"?", "CREATE TABLE event_rebuilt", new, count=1)
    op.execute(new)
    op.execute(f"INSERT INTO event_rebuilt ({columns}) SELECT {columns} FROM event")
    op.execute("DROP TABLE event")
    op.execute("ALTER TABLE event_rebuilt RENAME TO event")
    for sql in dependents:
        op.execute(sql)
    broken = bind.execute(text("PRAGMA foreign_key_check")).first()
    if broken is not None:
        raise RuntimeError(f"migration 0013 left a broken reference: {tuple(broken)}")


def downgrade() -> None:
    # Keeping AUTOINCREMENT is harmless to the older schema: nothing to undo.
    pass
