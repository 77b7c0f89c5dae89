"""Live refresh: the watcher an open calendar polls to learn that another client changed data.

The UI asks here rather than importing the store (``PRAGMA data_version`` on SQLite,
``LISTEN/NOTIFY`` on PostgreSQL; see :mod:`sessions_tui.store.watch`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sessions_tui.store.db import Database
    from sessions_tui.store.watch import ChangeWatcher


def change_watcher(db: Database | None = None, *, sqlite_path: str | None = None) -> ChangeWatcher:
    """A watcher for ``db``, or for the SQLite file at ``sqlite_path`` (the fast start, which has
    no :class:`Database` yet). ``changed()`` is true once per batch of others' commits."""
    if sqlite_path is not None:
        from sessions_tui.store.watch import SQLiteWatcher

        return SQLiteWatcher(sqlite_path)
    if db is None:
        raise ValueError("change_watcher needs a database or a SQLite path")
    from sessions_tui.store.watch import watcher_for

    return watcher_for(db)
