"""Alembic environment: runs on the connection handed in by ``store.db.upgrade``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from sessions_tui.store import series_bounds, tables  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")

if connection is None:  # pragma: no cover - offline use (alembic CLI)
    raise SystemExit("run migrations through sessions_tui.store.db.upgrade")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_name=series_bounds.is_modelled,  # the series index: migrations own it
)
with context.begin_transaction():
    context.run_migrations()
