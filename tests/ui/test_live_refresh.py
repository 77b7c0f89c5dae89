"""Live refresh: a change saved by one client shows in another open app within 2 s, no key pressed.

Two SessionsApp instances run side by side on one database (a SQLite file, then PostgreSQL);
the change is made through the services, as the first app's workers (or another scheduler's
client) make it, and the second app's calendar is polled until it shows it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pg_support import drop_database, new_database
from test_appointments_ui import settle
from textual.pilot import Pilot

from sessions_tui.app import SessionsApp
from sessions_tui.clock import FixedClock
from sessions_tui.config import Config
from sessions_tui.domain.events import Event, EventKind
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.services import appointments as ap
from sessions_tui.services import practice
from sessions_tui.services.context import Context, make_context
from sessions_tui.services.demo import seed_demo
from sessions_tui.store.db import Database, open_database
from sessions_tui.widgets.time_grid import TimeGrid

CHICAGO = ZoneInfo("America/Chicago")
CLOCK = FixedClock(datetime(2026, 11, 25, 16, 0, tzinfo=UTC))  # as tests/ui/conftest.py
LIMIT = 2.0
"""The issue's promise: another client's change appears within 2 seconds."""


def app_on(db: Database, user: str = "alice") -> SessionsApp:
    return SessionsApp(ctx=make_context(db, CLOCK, user), tz=CHICAGO, config=Config(), clock=CLOCK)


def shown_titles(app: SessionsApp) -> set[str]:
    """Titles the second app's week grid is drawing right now."""
    screen = app.screen_stack[0]
    assert isinstance(screen, CalendarScreen)
    return {i.event.title for i in screen.query_one(TimeGrid).items}


async def wait_for(pilot: Pilot[None], ok: Callable[[], bool], since: float) -> float:
    """Poll (no key pressed) until ``ok()``; returns the seconds since ``since``."""
    while time.monotonic() - since < LIMIT + 3:
        if ok():
            return time.monotonic() - since
        await pilot.pause(0.05)
    raise AssertionError(f"not shown within {LIMIT + 3} s")


def new_event(ctx: Context, title: str, hour: int) -> Event:
    alice = practice.find_practitioner(ctx, "alice")
    start = datetime(2026, 11, 26, hour, tzinfo=CHICAGO).astimezone(UTC)
    return Event(
        kind=EventKind.OTHER,
        title=title,
        start=start,
        end=start + timedelta(hours=1),
        tzid="America/Chicago",
        practitioner_id=alice.id,
    )


async def check_two_apps(db_a: Database, db_b: Database) -> list[float]:
    """Create, then move, an event through app A's services; time how long app B takes."""
    first, second = app_on(db_a), app_on(db_b, "sam")
    measured = []
    async with first.run_test(size=(110, 36)) as pa, second.run_test(size=(110, 36)) as pb:
        await settle(first, pa)
        await settle(second, pb)
        assert "Live refresh check" not in shown_titles(second)
        # "Another client": the first app's context, in a thread as its workers save.
        change = await asyncio.to_thread(
            ap.create, first.ctx, new_event(first.ctx, "Live refresh check", 15)
        )
        saved = time.monotonic()
        measured.append(
            await wait_for(pb, lambda: "Live refresh check" in shown_titles(second), saved)
        )
        assert change.result_id is not None
        await asyncio.to_thread(
            ap.edit, first.ctx, ap.OccurrenceRef(change.result_id, None), title="Live refresh moved"
        )
        saved = time.monotonic()
        measured.append(
            await wait_for(
                pb,
                lambda: (
                    {"Live refresh moved"} <= shown_titles(second)
                    and "Live refresh check" not in shown_titles(second)
                ),
                saved,
            )
        )
    return measured


async def test_live_refresh_sqlite_two_apps(demo_db: Path) -> None:
    db_a, db_b = open_database(str(demo_db)), open_database(str(demo_db))
    try:
        times = await check_two_apps(db_a, db_b)
    finally:
        db_a.dispose()
        db_b.dispose()
    print(f"\nSQLite live refresh: {', '.join(f'{t:.2f} s' for t in times)}")
    assert all(t <= LIMIT for t in times), times


@pytest.fixture
def pg_demo(pg_admin: str) -> Iterator[str]:
    url = new_database(pg_admin)
    db = open_database(url)
    try:
        seed_demo(Context(db, CLOCK, None))
    finally:
        db.dispose()
    yield url
    drop_database(pg_admin, url)


async def test_live_refresh_postgresql_two_apps(pg_demo: str) -> None:
    db_a, db_b = open_database(pg_demo), open_database(pg_demo)
    try:
        times = await check_two_apps(db_a, db_b)
    finally:
        db_a.dispose()
        db_b.dispose()
    print(f"\nPostgreSQL live refresh: {', '.join(f'{t:.2f} s' for t in times)}")
    assert all(t <= LIMIT for t in times), times
