"""Migrations from an empty database give exactly the models; HEAD_REVISION is the real head."""

from __future__ import annotations

import itertools
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import sessions_tui.store.tables  # noqa: F401  (registers every table on SQLModel.metadata)
from sessions_tui.store import db as store_db
from sessions_tui.store import series_bounds
from sessions_tui.store.db import HEAD_REVISION, MIGRATIONS_DIR, open_database


def _script() -> ScriptDirectory:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg)


def test_head_revision_constant_is_the_script_head() -> None:
    heads = _script().get_heads()
    assert heads == [HEAD_REVISION], "one linear history, and HEAD_REVISION names its head"


def test_migration_history_is_linear_from_0001() -> None:
    revs = list(_script().walk_revisions())
    assert revs[-1].revision == "0001"
    assert revs[-1].down_revision is None
    for newer, older in itertools.pairwise(revs):
        assert newer.down_revision == older.revision


def test_migrations_from_empty_equal_the_models(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    database = open_database(str(path))
    try:
        with database.engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            assert version == HEAD_REVISION
            mc = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": True,
                    "include_name": series_bounds.is_modelled,  # as env.py: no models
                },
            )
            diff = compare_metadata(mc, SQLModel.metadata)
            tables = set(inspect(conn).get_table_names())
    finally:
        database.dispose()
    assert diff == [], f"migrations and models differ: {diff}"
    assert set(SQLModel.metadata.tables) <= tables
    assert {"event", "staff", "client", "location", "exdate", "hours"} <= tables


def test_window_indexes_exist(db: store_db.Database) -> None:
    with db.engine.connect() as conn:
        names = {ix["name"] for ix in inspect(conn).get_indexes("event")}
    assert {"ix_event_window", "ix_event_prac_window"} <= names


def test_sqlite_runs_with_wal_and_foreign_keys(db: store_db.Database) -> None:
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


def test_reopening_a_migrated_database_keeps_its_data(tmp_path: Path) -> None:
    path = str(tmp_path / "again.db")
    first = open_database(path)
    with first.session() as s:
        s.execute(text("INSERT INTO location (name, archived) VALUES ('Room 1', 0)"))
    first.dispose()
    second = open_database(path)
    try:
        with second.session() as s:
            assert s.execute(text("SELECT name FROM location")).scalars().all() == ["Room 1"]
    finally:
        second.dispose()
