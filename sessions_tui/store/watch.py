"""Telling open clients that someone else changed the practice's data.

SQLite: ``PRAGMA data_version`` on a connection of our own changes whenever another connection
(any process) commits. PostgreSQL: the audit trigger sends ``NOTIFY sessions_tui`` with the table
name, and a dedicated connection LISTENs. Either way the App polls :meth:`ChangeWatcher.changed`
from a worker thread every second or two and reloads what is on screen.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the calendar's fast start makes a SQLiteWatcher without SQLAlchemy
    from sessions_tui.store.db import Database

CHANNEL = "sessions_tui"


class ChangeWatcher(Protocol):
    """Something that says whether the data changed since the last call."""

    def changed(self) -> bool:
        """True when the data changed since the last call."""
        ...

    def close(self) -> None:
        """Stop watching; later calls of :meth:`changed` return ``False``."""
        ...


class SQLiteWatcher:
    """Watches a SQLite file with ``PRAGMA data_version``."""

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # A worker thread polls while the app may be closing the watcher; sqlite3 crashes the
        # process if a connection is closed while another thread uses it.
        self._lock = threading.Lock()
        self._closed = False
        self._last = self._version()

    def _version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        """True when another connection committed since the last call (``False`` once closed)."""
        with self._lock:
            if self._closed:
                return False
            now = self._version()
            if now != self._last:
                self._last = now
                return True
            return False

    def close(self) -> None:
        """Close the watcher's connection (once; later :meth:`changed` is ``False``)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()


class PostgresWatcher:
    """LISTENs on the ``sessions_tui`` channel of a PostgreSQL database."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._conn: Any = psycopg.connect(url, autocommit=True)
        self._conn.execute(f"LISTEN {CHANNEL}")
        self._lock = threading.Lock()
        self._closed = False

    def changed(self) -> bool:
        """True when a notification arrived since the last call (``False`` once closed)."""
        with self._lock:
            if self._closed:
                return False
            seen = False
            for _note in self._conn.notifies(timeout=0.0):
                seen = True
            return seen

    def close(self) -> None:
        """Close the LISTEN connection (once; later :meth:`changed` is ``False``)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()


class NullWatcher:
    """For databases we cannot watch (in-memory SQLite)."""

    def changed(self) -> bool:
        """Always ``False``: nothing is watched."""
        return False

    def close(self) -> None:
        """Nothing to close."""
        return None


def watcher_for(db: Database) -> ChangeWatcher:
    """The right watcher for ``db``'s backend."""
    url = db.engine.url
    if db.dialect == "sqlite":
        if not url.database or url.database == ":memory:":
            return NullWatcher()
        return SQLiteWatcher(url.database)
    if db.dialect == "postgresql":
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return PostgresWatcher(plain)
    return NullWatcher()
