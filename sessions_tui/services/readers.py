"""The ORM read interface for the UI, which does not import the store itself.

(The App reads through a ``store.reader.Reader``: the fast sqlite3 reader of a fast start,
else this one, chosen once at start.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sessions_tui.store.db import Database
    from sessions_tui.store.orm_reader import OrmReader


def orm_reader(db: Database) -> OrmReader:
    """An :class:`~sessions_tui.store.orm_reader.OrmReader` over ``db`` (read-only queries)."""
    from sessions_tui.store.orm_reader import OrmReader

    return OrmReader(db)
