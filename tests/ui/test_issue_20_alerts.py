"""Issue 20: the practitioner is alerted N minutes before each of their sessions, on whatever
screen is open, as privacy mode shows the client; once per occurrence and offset.

The App clock is a :class:`ManualClock` the test moves forward; ``app.alerts.check()`` is what
the app's one-second tick runs when it reads again (here called directly, so no test sleeps).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from app_fixtures import CHICAGO
from textual.pilot import Pilot

from sessions_tui.app import SessionsApp
from sessions_tui.clock import ManualClock
from sessions_tui.config import Config
from sessions_tui.domain.events import Event, EventKind
from sessions_tui.screens.filters import FiltersModal
from sessions_tui.screens.search import SearchScreen
from sessions_tui.services import appointments as ap
from sessions_tui.services import practice
from sessions_tui.services.context import Context, make_context
from sessions_tui.store.db import Database, open_database
from sessions_tui.widgets.alert_banner import AlertBanner

SESSION_AT = datetime(2026, 11, 25, 11, 0, tzinfo=CHICAGO)
"""Alice's session with Maya Nguyen at the Main St Clinic (nothing else of hers near it)."""


@pytest.fixture
def db(demo_db: Path) -> Iterator[Database]:
    database = open_database(str(demo_db))
    yield database
    database.engine.dispose()


def book_session(ctx: Context, start: datetime) -> int:
    alice = practice.find_practitioner(ctx, "alice")
    maya = practice.list_clients(ctx, "Maya")[0]
    place = practice.find_location(ctx, "Main St Clinic")
    event = Event(
        kind=EventKind.SESSION,
        start=start.astimezone(UTC),
        end=(start + timedelta(minutes=50)).astimezone(UTC),
        tzid="America/Chicago",
        practitioner_id=alice.id,
        client_id=maya.id,
        location_id=place.id,
    )
    change = ap.create(ctx, event)
    assert change.result_id is not None
    return change.result_id


def app_at(db: Database, clock: ManualClock, config: Config | None = None) -> SessionsApp:
    ctx = make_context(db, clock, "alice")
    return SessionsApp(ctx=ctx, tz=CHICAGO, config=config or Config(), clock=clock)


async def read_and_settle(app: SessionsApp, pilot: Pilot[None]) -> None:
    app.alerts.check()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def banner_lines(app: SessionsApp) -> tuple[str, ...]:
    """What the banner on the current screen says (nothing when there is none)."""
    banners = list(app.screen.query_children(AlertBanner))
    return banners[0].lines if banners and banners[0].display else ()


async def test_issue_20_alert_on_a_modal_in_privacy_mode_once_and_dismissed(
    db: Database,
) -> None:
    clock = ManualClock(SESSION_AT - timedelta(minutes=25))
    book_session(make_context(db, clock, "alice"), SESSION_AT)
    app = app_at(db, clock)
    seen: list[object] = []
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await pilot.pause()
        await pilot.press("P")  # privacy mode: initials on screen
        assert app.privacy
        await pilot.press("f")  # another screen, a modal one
        await pilot.pause()
        assert isinstance(app.screen, FiltersModal)

        await read_and_settle(app, pilot)
        assert banner_lines(app) == ()
        assert app.alerts.fired == []

        clock.advance(timedelta(minutes=14, seconds=59))  # 10 min 1 s before: not yet
        await read_and_settle(app, pilot)
        assert banner_lines(app) == ()

        clock.advance(timedelta(seconds=1))  # exactly 10 minutes before
        await read_and_settle(app, pilot)
        lines = banner_lines(app)
        assert len(lines) == 1
        assert "11:00–11:50" in lines[0]
        assert "M.N." in lines[0]
        assert "Main St Clinic" in lines[0]
        assert "in 10 min" in lines[0]
        assert "Maya" not in lines[0]
        assert "Nguyen" not in lines[0]
        assert isinstance(app.screen, FiltersModal)  # the alert did not close the dialog

        # The banner names the dismiss key; the key works on the modal.
        assert "alt+d" in lines[0]
        await pilot.press("alt+d")
        await pilot.pause()
        assert banner_lines(app) == ()
        assert isinstance(app.screen, FiltersModal)

        # Redraws, re-reads and other screens do not bring it back.
        clock.advance(timedelta(minutes=2))
        await read_and_settle(app, pilot)
        await pilot.press("escape")
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await read_and_settle(app, pilot)
        assert banner_lines(app) == ()
        assert len(app.alerts.fired) == 1


async def test_issue_20_alert_follows_screens_and_leaves_when_the_session_starts(
    db: Database,
) -> None:
    clock = ManualClock(SESSION_AT - timedelta(minutes=5))
    book_session(make_context(db, clock, "alice"), SESSION_AT)
    app = app_at(db, clock, Config(alerts=(60, 10)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await read_and_settle(app, pilot)
        # Opened 5 minutes before: both offsets are due, one alert says so.
        lines = banner_lines(app)
        assert len(lines) == 1
        assert "Maya Nguyen" in lines[0]
        assert "in 5 min" in lines[0]
        assert len(app.alerts.fired) == 1

        await pilot.press("slash")  # a full screen pushed over the calendar
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        assert banner_lines(app) == lines

        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("P")
        await pilot.pause()
        assert app.privacy
        assert "M.N." in banner_lines(app)[0]
        assert "Maya" not in banner_lines(app)[0]

        clock.advance(timedelta(minutes=5))  # the session starts: the alert goes
        app.alerts.evaluate()
        await pilot.pause()
        # Only this session's alert: at 11:00 the demo's 12:00 staff meeting is an hour away,
        # and its own 60-minute alert may be up by now (it is once the alert center has read
        # the hour ahead again, which a loaded machine reaches before this line).
        assert not [line for line in banner_lines(app) if "M.N." in line or "Maya" in line]
        assert all("Staff meeting" in line for line in banner_lines(app))


async def test_issue_20_moved_alerts_at_new_time_cancelled_none(db: Database) -> None:
    clock = ManualClock(SESSION_AT - timedelta(minutes=9))
    ctx = make_context(db, clock, "alice")
    event_id = book_session(ctx, SESSION_AT)
    app = app_at(db, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await read_and_settle(app, pilot)
        assert len(app.alerts.fired) == 1

        # Moved half an hour later (elsewhere): the alert of the old time is withdrawn ...
        ap.move(ctx, ap.OccurrenceRef(event_id), timedelta(minutes=30))
        await read_and_settle(app, pilot)
        assert banner_lines(app) == ()
        # ... and the new time alerts at its own offset, once.
        clock.advance(timedelta(minutes=25))  # 11:16: 14 min before the new start
        await read_and_settle(app, pilot)
        assert len(app.alerts.fired) == 1
        clock.advance(timedelta(minutes=5))  # 11:21: the new start, 11:30, is 9 min away
        await read_and_settle(app, pilot)
        assert len(app.alerts.fired) == 2
        assert "11:30–12:20" in banner_lines(app)[0]

        # Cancelled: withdrawn, and never alerted again.
        ap.cancel(ctx, ap.OccurrenceRef(event_id))
        await read_and_settle(app, pilot)
        assert banner_lines(app) == ()
        clock.advance(timedelta(minutes=5))
        await read_and_settle(app, pilot)
        assert banner_lines(app) == ()
        assert len(app.alerts.fired) == 2


async def test_issue_20_terminal_notification_escape_when_enabled(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TMUX", raising=False)  # inside tmux the escape is wrapped (unit test)
    # Not due at start (an alert due then is said at once, before privacy mode is on).
    clock = ManualClock(SESSION_AT - timedelta(minutes=11))
    book_session(make_context(db, clock, "alice"), SESSION_AT)
    app = app_at(db, clock, Config(alert_escape="osc777"))
    async with app.run_test(size=(80, 24)) as pilot:
        written: list[str] = []
        driver = app._driver
        assert driver is not None
        real_write = driver.write

        def capture(data: str) -> None:
            written.append(data)
            real_write(data)

        driver.write = capture  # type: ignore[method-assign]
        await pilot.press("P")
        clock.advance(timedelta(minutes=1))
        await read_and_settle(app, pilot)
        notes = [w for w in written if w.startswith("\x1b]777;")]
        assert notes == [
            "\x1b]777;notify;sessions-tui;11:00–11:50 M.N. @ Main St Clinic, in 10 min\x07"
        ]
        await read_and_settle(app, pilot)  # once per alert, not per redraw
        assert len([w for w in written if w.startswith("\x1b]777;")]) == 1


async def test_issue_20_no_escape_by_default(db: Database) -> None:
    clock = ManualClock(SESSION_AT - timedelta(minutes=10))
    book_session(make_context(db, clock, "alice"), SESSION_AT)
    app = app_at(db, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        written: list[str] = []
        app.alerts.write_terminal = written.append
        await read_and_settle(app, pilot)
        assert banner_lines(app)
        assert written == []
