"""One holder at a time across the whole practice (the Google sync worker).

PostgreSQL: a session-level advisory lock on a dedicated connection; it goes away with the
connection, so a killed process never leaves it behind. SQLite: a lease row in the ``lock``
table with an expiry that the holder renews; a dead holder's lease runs out.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from sessions_tui.store.db import Database


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PracticeLock:
    """A named lock shared by every process that opens the same database."""

    def __init__(self, db: Database, name: str, holder: str, ttl: timedelta = timedelta(minutes=2)):
        self.db = db
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self._pg: Any = None

    def acquire(self, now: datetime) -> bool:
        """Try to take (or renew) the lock; never waits."""
        if self.db.dialect == "postgresql":
            return self._pg_acquire()
        from sessions_tui.store.tables import LockRow

        with self.db.session() as s:
            row = s.get(LockRow, self.name)
            if row is None:
                s.add(LockRow(name=self.name, holder=self.holder, expires_at=now + self.ttl))
                return True
            if row.holder == self.holder or row.expires_at <= now:
                row.holder = self.holder
                row.expires_at = now + self.ttl
                return True
            return False

    def _pg_acquire(self) -> bool:
        if self._pg is not None:
            return True
        import psycopg

        url = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = psycopg.connect(url, autocommit=True)
        got = conn.execute("SELECT pg_try_advisory_lock(%s)", (_key(self.name),)).fetchone()
        if got and got[0]:
            self._pg = conn
            return True
        conn.close()
        return False

    def held_by(self, now: datetime) -> str | None:
        """Who holds the lease (SQLite), for status lines; ``None`` if free or unknown."""
        if self.db.dialect == "postgresql":
            return self.holder if self._pg is not None else None
        from sessions_tui.store.tables import LockRow

        with self.db.read() as s:
            row = s.execute(select(LockRow).where(LockRow.name == self.name)).scalar_one_or_none()
            if row is None or row.expires_at <= now:
                return None
            return row.holder

    def release(self) -> None:
        """Give the lock up: its connection (PostgreSQL) or our lease row (SQLite) goes."""
        if self._pg is not None:
            self._pg.close()
            self._pg = None
            return
        if self.db.dialect == "postgresql":
            return
        from sessions_tui.store.tables import LockRow

        with self.db.session() as s:
            s.execute(
                delete(LockRow).where(
                    LockRow.name == self.name,  # type: ignore[arg-type]
                    LockRow.holder == self.holder,
                )
            )
