"""Live refresh: a change saved by one client shows in another open app, no key pressed.

Two SessionsApp instances run side by side on one database (a SQLite file, then PostgreSQL);
the change is made through the services, as the first app's workers (or another scheduler's
client) make it. The promise "within 2 seconds" is the mechanism, checked without a stopwatch:
the app asks its change watcher every half refresh interval (2 s by default), and the first
check after another client's commit sees it, after which the calendar shows the change once
its reload has run.
"""

from __future__ import annotations

import asyncio
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


def app_on(db: Database, user: str = "alice") -> SessionsApp:
    return SessionsApp(ctx=make_context(db, CLOCK, user), tz=CHICAGO, config=Config(), clock=CLOCK)


def shown_titles(app: SessionsApp) -> set[str]:
    """Titles the second app's week grid is drawing right now."""
    screen = app.screen_stack[0]
    assert isinstance(screen, CalendarScreen)
    return {i.event.title for i in screen.query_one(TimeGrid).items}


class Checks:
    """The app's change-watcher checks, each with the phase it began in: 0 before another
    client's commit, 1 while it commits, 2 after it committed."""

    def __init__(self, app: SessionsApp) -> None:
        self.watcher = app.ensure_watcher()
        self.phase = 0
        self.results: list[tuple[int, bool]] = []
        self.seen = asyncio.Event()
        loop = asyncio.get_running_loop()
        changed = self.watcher.changed

        def counting() -> bool:
            began = self.phase
            result = bool(changed())
            self.results.append((began, result))
            if result and began >= 1:
                loop.call_soon_threadsafe(self.seen.set)
            return result

        self.watcher.changed = counting

    async def commit(self, change: Callable[[], object]) -> object:
        """Run another client's ``change`` in a thread, marking the phases around it."""
        self.results.clear()
        self.seen.clear()
        self.phase = 1
        try:
            return await asyncio.to_thread(change)
        finally:
            self.phase = 2

    def check_first_after_commit(self) -> None:
        """The first check that began after the commit saw it (or one during it already had)."""
        for began, result in self.results:
            if result and began >= 1:
                return
            assert began < 2, f"a check after the commit missed it: {self.results}"


async def shown_after_a_check(
    app: SessionsApp, pilot: Pilot[None], checks: Checks, ok: Callable[[], bool]
) -> None:
    """No key pressed: the next check of the watcher sees the commit, then the calendar's
    reload shows it. The timeout only stops a hung test; it is not the promise."""
    await asyncio.wait_for(checks.seen.wait(), timeout=60)
    checks.check_first_after_commit()
    for _ in range(100):  # the DataChanged message, then the reload's workers
        await settle(app, pilot)
        if ok():
            return
        await app.workers.wait_for_complete()
    raise AssertionError("the change was seen but the calendar does not show it")


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


async def check_two_apps(db_a: Database, db_b: Database) -> None:
    """Create, then rename, an event through app A's services; app B shows each, unprompted."""
    first, second = app_on(db_a), app_on(db_b, "sam")
    async with first.run_test(size=(110, 36)) as pa, second.run_test(size=(110, 36)) as pb:
        await settle(first, pa)
        await settle(second, pb)
        assert second.config is not None
        assert second.config.refresh_seconds <= 2  # checks every second
        checks = Checks(second)
        assert "Live refresh check" not in shown_titles(second)
        # "Another client": the first app's context, in a thread as its workers save.
        event = new_event(first.ctx, "Live refresh check", 15)
        change = await checks.commit(lambda: ap.create(first.ctx, event))
        assert isinstance(change, ap.Change)
        await shown_after_a_check(
            second, pb, checks, lambda: "Live refresh check" in shown_titles(second)
        )
        ref = ap.OccurrenceRef(change.result_id, None)
        await checks.commit(lambda: ap.edit(first.ctx, ref, title="Live refresh moved"))
        await shown_after_a_check(
            second,
            pb,
            checks,
            lambda: (
                {"Live refresh moved"} <= shown_titles(second)
                and "Live refresh check" not in shown_titles(second)
            ),
        )


async def test_live_refresh_sqlite_two_apps(demo_db: Path) -> None:
    db_a, db_b = open_database(str(demo_db)), open_database(str(demo_db))
    try:
        await check_two_apps(db_a, db_b)
    finally:
        db_a.dispose()
        db_b.dispose()


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
        await check_two_apps(db_a, db_b)
    finally:
        db_a.dispose()
        db_b.dispose()
