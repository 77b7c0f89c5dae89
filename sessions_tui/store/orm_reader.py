"""The SQLAlchemy implementation of :class:`sessions_tui.store.reader.Reader` (every backend).

Reads run in :meth:`Database.read` sessions (no write lock on SQLite); inside
:meth:`OrmReader.snapshot` one session per thread serves every read, so they see one state.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.domain.events import Occurrence
from sessions_tui.domain.holds import Hold
from sessions_tui.domain.model import Client, Location, PracticeSettings, Staff
from sessions_tui.store import holds as held
from sessions_tui.store import queries
from sessions_tui.store.db import Database
from sessions_tui.store.tables import (
    LocationRow,
    PracticeRow,
    PreferenceRow,
    StaffRow,
    SyncAccountRow,
    SyncCalendarRow,
)


class OrmReader:
    """Read-only queries through SQLAlchemy on ``db``; the database stays the caller's."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._local = threading.local()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside share one read session, one state (nested uses join the outer one)."""
        if getattr(self._local, "session", None) is not None:
            yield
            return
        with self.db.read() as s:
            self._local.session = s
            try:
                yield
            finally:
                self._local.session = None

    @contextmanager
    def _session(self) -> Iterator[Session]:
        held = getattr(self._local, "session", None)
        if held is not None:
            yield held
            return
        with self.db.read() as s:
            yield s

    def release(self) -> None:
        """Nothing is held between snapshots."""

    def close(self) -> None:
        """The database belongs to the caller (the services' context): nothing to close."""

    def staff_by_login(self, login: str) -> Staff | None:
        """The member of staff with ``login``, or ``None``."""
        with self._session() as s:
            row = s.execute(select(StaffRow).where(StaffRow.login == login)).scalar_one_or_none()
            return queries.staff_from_row(row) if row is not None else None

    def staff_count(self) -> int:
        """How many members of staff the practice has (0 on a new practice)."""
        with self._session() as s:
            return int(s.execute(select(func.count()).select_from(StaffRow)).scalar_one())

    def staff(self) -> list[Staff]:
        """Every member of staff, in name order."""
        with self._session() as s:
            rows = s.execute(select(StaffRow).order_by(col(StaffRow.name))).scalars()
            return [queries.staff_from_row(r) for r in rows]

    def locations(self) -> list[Location]:
        """Every location (archived too), in name order."""
        with self._session() as s:
            rows = s.execute(select(LocationRow).order_by(col(LocationRow.name))).scalars()
            return [queries.location_from_row(r) for r in rows]

    def settings(self) -> PracticeSettings:
        """The practice settings (defaults before any were saved)."""
        with self._session() as s:
            return queries.settings_from_row(s.get(PracticeRow, 1))

    def preference(self, staff_id: int, key: str) -> str | None:
        """A user's remembered choice as stored (JSON text), or ``None``."""
        with self._session() as s:
            value = s.execute(
                select(col(PreferenceRow.value)).where(
                    col(PreferenceRow.staff_id) == staff_id, col(PreferenceRow.key) == key
                )
            ).scalar_one_or_none()
            return str(value) if value is not None else None

    def secondary_calendars(self) -> frozenset[tuple[int, str]]:
        """``(practitioner id, Google calendar id)`` of every secondary calendar."""
        with self._session() as s:
            return secondary_calendar_keys(s)

    def people_and_places(
        self, staff_ids: set[int], client_ids: set[int], location_ids: set[int]
    ) -> tuple[dict[int, Staff], dict[int, Client], dict[int, Location]]:
        """Staff, clients and locations by id (the ids that exist)."""
        with self._session() as s:
            return queries.people_and_places(s, staff_ids, client_ids, location_ids)

    def window(
        self,
        start: datetime,
        end: datetime,
        *,
        display_tz: ZoneInfo,
        practitioners: Sequence[int] | None = None,
        locations: Sequence[int] | None = None,
    ) -> list[Occurrence]:
        """Every occurrence overlapping ``[start, end)``, as :func:`.queries.window` gives."""
        with self._session() as s:
            return queries.window(
                s,
                start,
                end,
                display_tz=display_tz,
                practitioners=practitioners,
                locations=locations,
            )

    def holds(
        self,
        start: datetime,
        end: datetime,
        *,
        now: datetime,
        practitioners: Sequence[int] | None = None,
    ) -> list[Hold]:
        """As :func:`sessions_tui.store.holds.holds_between`."""
        with self._session() as s:
            return held.holds_between(s, start, end, now, practitioners)


def secondary_calendar_keys(s: Session) -> frozenset[tuple[int, str]]:
    """``(practitioner id, calendar id)`` of every secondary Google calendar."""
    rows = s.execute(
        select(col(SyncAccountRow.practitioner_id), col(SyncCalendarRow.calendar))
        .join(SyncAccountRow, col(SyncAccountRow.id) == col(SyncCalendarRow.account_id))
        .where(col(SyncAccountRow.provider) == "google", col(SyncCalendarRow.role) == "secondary")
    ).all()
    return frozenset((int(pid), str(cal)) for pid, cal in rows)
