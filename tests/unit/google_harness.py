"""Shared set-up for the Google sync tests: an emulator, a practice, and engines on it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.clock import FixedClock
from sessions_tui.domain.events import Event, EventKind
from sessions_tui.domain.model import Client, Role, Staff
from sessions_tui.services import appointments, google_settings, practice, scheduling
from sessions_tui.services.context import Context
from sessions_tui.store.db import Database
from sessions_tui.sync.google import SyncEngine, SyncReport, build_service

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from google_emulator import CalendarEmulator

CHI = ZoneInfo("America/Chicago")
CAL = "primary@example.com"
T0 = datetime(2026, 11, 30, 10, 0, tzinfo=CHI)  # a Monday, 10:00 Chicago


@pytest.fixture(name="emu")
def emu_fixture() -> Iterator[CalendarEmulator]:
    with CalendarEmulator() as e:
        e.state.clock = lambda: datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
        yield e


class Practice:
    """A practice with one practitioner (Pat), a client, and Google sync connected."""

    def __init__(self, ctx: Context, emu: CalendarEmulator) -> None:
        self.ctx = ctx
        self.emu = emu
        self.pat: Staff = practice.add_staff(ctx, "pat", "Pat Practitioner", {Role.PRACTITIONER})
        self.jane: Client = practice.add_client(ctx, "Jane", "Doe", "C-17")
        self.bob: Client = practice.add_client(ctx, "Bob", "Roe")
        google_settings.connect(ctx, self.pat.id, CAL)

    @property
    def db(self) -> Database:
        return self.ctx.db

    def engine(self, **kwargs: Any) -> SyncEngine:
        kwargs.setdefault("sleep", lambda _s: None)
        return SyncEngine(
            self.db,
            self.ctx.clock,
            self.pat.id,
            build_service(self.emu.endpoint),
            api_root=self.emu.endpoint,
            **kwargs,
        )

    def sync(self, **kwargs: Any) -> SyncReport:
        return self.engine(**kwargs).run()

    def at(self, minutes: int) -> None:
        """Move the local clock (so local edits are later than Google's)."""
        clock = self.ctx.clock
        assert isinstance(clock, FixedClock)
        object.__setattr__(
            self,
            "ctx",
            Context(self.db, FixedClock(clock.at + timedelta(minutes=minutes)), self.ctx.actor),
        )

    def session(
        self, client: Client | None = None, start: datetime = T0, minutes: int = 50, **kw: Any
    ) -> Event:
        ev = scheduling.session_event(
            practitioner=self.pat,
            client=client or self.jane,
            start=start,
            minutes=minutes,
            tzid="America/Chicago",
            **kw,
        )
        change = appointments.create(self.ctx, ev)
        assert change.result_id is not None
        return scheduling.get_event(self.ctx, change.result_id)

    def other(self, title: str, start: datetime = T0, minutes: int = 60, **kw: Any) -> Event:
        ev = Event(
            kind=EventKind.OTHER,
            title=title,
            start=start.astimezone(UTC),
            end=(start + timedelta(minutes=minutes)).astimezone(UTC),
            tzid="America/Chicago",
            practitioner_id=self.pat.id,
            **kw,
        )
        change = appointments.create(self.ctx, ev)
        assert change.result_id is not None
        return scheduling.get_event(self.ctx, change.result_id)

    def local_events(self) -> list[Event]:
        from sqlalchemy import select

        from sessions_tui.store import queries
        from sessions_tui.store.tables import EventRow, ExdateRow

        with self.db.session() as s:
            rows = s.execute(select(EventRow).order_by(EventRow.id)).scalars().all()
            out = []
            for r in rows:
                keys = (
                    s.execute(select(ExdateRow.recurrence_key).where(ExdateRow.series_id == r.id))
                    .scalars()
                    .all()
                )
                out.append(queries.row_to_event(r, keys))
            return out

    def remote(self, cal: str = CAL) -> list[dict[str, Any]]:
        return self.emu.state.live_events(cal)

    def remote_by_uid(self, uid: str, cal: str = CAL) -> dict[str, Any]:
        hits = [
            e
            for e in self.remote(cal)
            if (e.get("extendedProperties") or {}).get("private", {}).get("sessionsTuiUid") == uid
            and not e.get("recurringEventId")
        ]
        assert len(hits) == 1, hits
        return hits[0]


@pytest.fixture(name="pr")
def pr_fixture(admin_ctx: Context, emu: CalendarEmulator) -> Practice:
    return Practice(admin_ctx, emu)
