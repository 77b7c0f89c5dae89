"""One read interface over the practice database, whichever backend answers.

Two implementations sit behind :class:`Reader`:

* :class:`sessions_tui.store.fastread.FastReader`: the stdlib ``sqlite3`` on a SQLite file at
  the newest migration, so ``sessions-tui agenda`` and the calendar's first frame never import
  SQLAlchemy or SQLModel;
* :class:`sessions_tui.store.orm_reader.OrmReader`: SQLAlchemy, every backend (PostgreSQL,
  a database that needs migrating, in-memory SQLite).

Which one is chosen once, at start, by :func:`open_reader`; screens, services and the CLI take a
``Reader`` and never ask which. The window query and the "who/where" lookup exist once per
backend (both share :mod:`sessions_tui.store.rows` for rows → domain objects and series
expansion); name matching exists once, in :mod:`sessions_tui.domain.names`, over what
:meth:`Reader.staff` and :meth:`Reader.locations` return. This module imports no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sessions_tui.domain.events import Occurrence
from sessions_tui.domain.holds import Hold
from sessions_tui.domain.model import Client, Location, PracticeSettings, Staff


class Reader(Protocol):
    """Read-only queries on one practice database (see the module docstring)."""

    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside see one state of the database (nested uses join the outer one)."""

    def release(self) -> None:
        """End any snapshot held since opening, so later snapshots see newer commits."""

    def close(self) -> None:
        """Free the reader's connection; later reads fail."""

    def staff_by_login(self, login: str) -> Staff | None:
        """The member of staff with ``login``, or ``None``."""

    def staff_count(self) -> int:
        """How many members of staff the practice has (0 on a new practice)."""

    def staff(self) -> list[Staff]:
        """Every member of staff, in name order."""

    def locations(self) -> list[Location]:
        """Every location (archived too), in name order."""

    def settings(self) -> PracticeSettings:
        """The practice settings (defaults before any were saved)."""

    def preference(self, staff_id: int, key: str) -> str | None:
        """A user's remembered choice as stored (JSON text), or ``None``."""

    def secondary_calendars(self) -> frozenset[tuple[int, str]]:
        """``(practitioner id, Google calendar id)`` of every secondary calendar."""

    def people_and_places(
        self, staff_ids: set[int], client_ids: set[int], location_ids: set[int]
    ) -> tuple[dict[int, Staff], dict[int, Client], dict[int, Location]]:
        """Staff, clients and locations by id (the ids that exist)."""

    def window(
        self,
        start: datetime,
        end: datetime,
        *,
        display_tz: ZoneInfo,
        practitioners: Sequence[int] | None = None,
        locations: Sequence[int] | None = None,
    ) -> list[Occurrence]:
        """Every occurrence overlapping ``[start, end)``, sorted by start; a
        :class:`sessions_tui.domain.listing.Listing` naming the stored events it skipped."""

    def holds(
        self,
        start: datetime,
        end: datetime,
        *,
        now: datetime,
        practitioners: Sequence[int] | None = None,
    ) -> list[Hold]:
        """The online-booking requests holding time in ``[start, end)`` at ``now`` (the rule
        of :mod:`sessions_tui.store.holds`), by start then id."""


def open_reader(
    url: str | None,
    orm: Callable[[], Reader],
    *,
    accept: Callable[[Reader], bool] | None = None,
) -> Reader:
    """The reader for the practice at ``url``: chosen here, once.

    The stdlib ``sqlite3`` reader when ``url`` is an existing SQLite file at the newest
    migration (and ``accept`` agrees, e.g. the user is known: otherwise the ORM path gives the
    error); else ``orm()``, which opens (and migrates) the database as the services do.
    """
    if url is not None:
        from sessions_tui.store.fastread import open_fast

        fast = open_fast(url)
        if fast is not None:
            if accept is None or accept(fast):
                return fast
            fast.close()
    return orm()
