"""Sync Calendar (ICS feeds) and Google sync screens, by keyboard; alt+c from each."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from test_appointments_ui import press, settle
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, OptionList, Static

from sessions_tui.app import SessionsApp
from sessions_tui.clock import FixedClock
from sessions_tui.screens.actions import ENTRIES
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.dialogs import ChoiceModal
from sessions_tui.screens.sync_calendar import SyncCalendarScreen
from sessions_tui.screens.sync_screen import GoogleSyncScreen
from sessions_tui.services import feeds, google_settings, practice, scheduling
from sessions_tui.services.context import make_context
from sessions_tui.services.feeds import PII_WARNING, IdentifierMode
from sessions_tui.store.db import open_database
from sessions_tui.sync.google import ENDPOINT_ENV, make_engine
from sessions_tui.widgets.agenda_list import AgendaList
from sessions_tui.widgets.month_grid import MonthGrid
from sessions_tui.widgets.time_grid import TimeGrid

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from google_emulator import CalendarEmulator

MakeApp = Callable[..., SessionsApp]
SIZE = (110, 36)
SYNC_CAL = "Sync Calendar (ICS feeds)"
CHICAGO = ZoneInfo("America/Chicago")
CLOCK = FixedClock(datetime(2026, 11, 25, 16, 0, tzinfo=UTC))  # as tests/ui/conftest.py


async def open_from_menu(app: SessionsApp, pilot: Pilot[None], label: str) -> None:
    """The "..." menu by keyboard: ``.``, arrows to the entry, enter."""
    index = next(n for n, e in enumerate(ENTRIES) if e.label == label)
    await press(app, pilot, "full_stop", *["down"] * index, "enter")


def text(app: SessionsApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def feed_of(app: SessionsApp, login: str) -> feeds.FeedSettings:
    return feeds.get_feed(app.ctx, practice.find_practitioner(app.ctx, login).id)


def shown_feed(app: SessionsApp) -> feeds.FeedSettings:
    """The feed as the screen holds it: the token is known only where it was made (issue 15)."""
    feed = app.screen.highlighted()  # type: ignore[attr-defined]
    assert feed is not None
    return feed  # type: ignore[no-any-return]


def option_labels(app: SessionsApp) -> list[str]:
    options = app.screen.query_one(OptionList)
    return [
        str(options.get_option_at_index(n).prompt).strip("• ").strip()
        for n in range(options.option_count)
    ]


async def choose_option(app: SessionsApp, pilot: Pilot[None], label: str) -> None:
    """In an open ChoiceModal, arrow down to ``label`` and press enter."""
    labels = option_labels(app)
    await press(app, pilot, *["down"] * labels.index(label), "enter")


async def test_sync_calendar_turn_on_first_name_url_rotate_and_full_name_warning(
    make_app: MakeApp,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_from_menu(app, pilot, SYNC_CAL)
        assert isinstance(app.screen, SyncCalendarScreen)
        table = app.screen.query_one(DataTable)
        names = [str(table.get_row_at(n)[0]) for n in range(table.row_count)]
        assert names == ["Ben Okafor", "Carmen Liu", "Devon Reyes", "Dr. Alice Moreno"]
        assert "none yet" in text(app, "#feed-url")
        assert feed_of(app, "ben").enabled is False

        # Turn Ben's feed on: a token and a URL appear, stored and shown.
        await press(app, pilot, "space")
        ben = shown_feed(app)
        assert ben.enabled
        assert ben.token is not None
        assert feed_of(app, "ben").token is None  # not stored, only its hash
        first_url = ben.url()
        assert first_url is not None
        assert first_url in text(app, "#feed-url")
        assert str(table.get_row_at(0)[1]) == "on"

        # Copy: the exact URL goes to the clipboard (OSC 52).
        await press(app, pilot, "c")
        assert app.clipboard == first_url

        # Clients by first name (internal ID offered: the demo has Internal IDs on).
        await press(app, pilot, "i")
        assert isinstance(app.screen, ChoiceModal)
        assert option_labels(app) == ["Initials", "First name", "Internal ID", "Full name"]
        await choose_option(app, pilot, "First name")
        assert isinstance(app.screen, SyncCalendarScreen)
        assert feed_of(app, "ben").identifier is IdentifierMode.FIRST_NAME
        assert str(table.get_row_at(0)[2]) == "First name"

        # Rotate: asks first; "Go back" changes nothing, "New URL" replaces it.
        await press(app, pilot, "r")
        assert isinstance(app.screen, ChoiceModal)
        assert "old URL stops working" in str(app.screen.detail)
        await press(app, pilot, "enter")  # the first answer is "Go back"
        assert shown_feed(app).url() == first_url
        await press(app, pilot, "r", "down", "enter")
        second_url = shown_feed(app).url()
        assert second_url is not None
        assert second_url != first_url
        assert second_url in text(app, "#feed-url")
        assert first_url not in text(app, "#feed-url")
        assert feeds.feed_by_token(app.ctx.db, first_url.rsplit("/", 1)[1][:-4]) is None

        # Full name: the PII warning must be confirmed; declining keeps first names.
        await press(app, pilot, "i")
        await choose_option(app, pilot, "Full name")
        assert isinstance(app.screen, ChoiceModal)
        assert app.screen.detail == PII_WARNING
        await press(app, pilot, "enter")  # "No, keep them private"
        assert feed_of(app, "ben").identifier is IdentifierMode.FIRST_NAME
        await press(app, pilot, "i")
        await choose_option(app, pilot, "Full name")
        await press(app, pilot, "down", "enter")
        assert feed_of(app, "ben").identifier is IdentifierMode.FULL
        assert "HIPAA" in text(app, "#feed-warning")

        # Off again: the URL is kept (shown) but the feed is off.
        await press(app, pilot, "o")
        assert feed_of(app, "ben").enabled is False
        assert shown_feed(app).url() == second_url


async def test_internal_id_offered_only_when_the_practice_has_it_on(make_app: MakeApp) -> None:
    app = make_app()
    practice.update_settings(app.ctx, internal_ids=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_from_menu(app, pilot, SYNC_CAL)
        assert "Internal ID" not in text(app, "#sync-calendar-note")  # not offered, not named
        await press(app, pilot, "i")
        assert option_labels(app) == ["Initials", "First name", "Full name"]
        assert not app.screen.query("#choice-detail")  # no "offered once an admin turns…"
        await press(app, pilot, "escape")
        assert isinstance(app.screen, SyncCalendarScreen)
        practice.update_settings(app.ctx, internal_ids=True)
        await press(app, pilot, "escape")
        await open_from_menu(app, pilot, SYNC_CAL)
        await press(app, pilot, "i")
        assert "Internal ID" in option_labels(app)


async def test_practitioner_sees_only_their_own_feed(make_app: MakeApp) -> None:
    app = make_app(user="carmen")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_from_menu(app, pilot, SYNC_CAL)
        table = app.screen.query_one(DataTable)
        assert [str(table.get_row_at(n)[0]) for n in range(table.row_count)] == ["Carmen Liu"]


@pytest.mark.parametrize(
    ("label", "cls"), [(SYNC_CAL, SyncCalendarScreen), ("Google sync", GoogleSyncScreen)]
)
async def test_alt_c_returns_to_the_calendar(
    make_app: MakeApp, label: str, cls: type[Screen[None]]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_from_menu(app, pilot, label)
        assert isinstance(app.screen, cls)
        await press(app, pilot, "alt+c")
        assert isinstance(app.screen, CalendarScreen)
        assert len(app.screen_stack) == 1


# --- Google sync screen and the secondary-calendar style -------------------------------------

CAL = "primary@example.com"
TEAM = "team@group.calendar.google.com"


def _timed(day: str, start: str, end: str) -> dict[str, object]:
    return {
        "start": {"dateTime": f"2026-11-{day}T{start}:00-06:00", "timeZone": "America/Chicago"},
        "end": {"dateTime": f"2026-11-{day}T{end}:00-06:00", "timeZone": "America/Chicago"},
    }


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> Iterator[CalendarEmulator]:
    """Alice connected (emulator) with a pulled secondary calendar, after one sync."""
    with CalendarEmulator() as emu:
        emu.state.clock = lambda: datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
        monkeypatch.setenv(ENDPOINT_ENV, emu.endpoint)
        emu.state.add_calendar(TEAM, "Team")
        emu.state.create(TEAM, summary="Case conference", **_timed("26", "13:00", "14:00"))
        emu.state.create(CAL, summary="Dentist", **_timed("27", "12:00", "13:00"))
        db = open_database(str(demo_db))
        try:
            ctx = make_context(db, CLOCK, "alice")
            alice = practice.find_practitioner(ctx, "alice").id
            google_settings.connect(ctx, alice, CAL, summary="Ada's calendar")
            google_settings.select_calendar(ctx, alice, TEAM, True, summary="Team")
            report = make_engine(db, CLOCK, alice, sleep=lambda _s: None).run()
            assert report.pulled == 2
        finally:
            db.dispose()
        yield emu


async def started(app: SessionsApp, pilot: Pilot[None]) -> None:
    app.sync_schedule.last_run = time.monotonic()  # no periodic sync unless a test asks
    await settle(app, pilot)


def marked_segments(widget: TimeGrid | MonthGrid) -> list[tuple[str, bool]]:
    """``(text, underlined)`` of each drawn segment holding the ◇ marker."""
    out = []
    for y in range(widget.size.height):
        for seg in widget.render_line(y):
            if "◇" in seg.text:
                out.append((seg.text, bool(seg.style and seg.style.underline)))
    return out


async def test_secondary_calendar_events_have_a_marker_and_a_style(
    make_app: MakeApp, google: CalendarEmulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert app.facts is not None
        alice = practice.find_practitioner(app.ctx, "alice").id
        assert app.facts.secondary_calendars == frozenset({(alice, TEAM)})
        # Week: the Team event carries ◇ and is underlined; the default calendar's does not.
        grid = app.screen.query_one(TimeGrid)
        marked = marked_segments(grid)
        assert marked, "no ◇ in the week grid"
        assert all(underlined for _text, underlined in marked)
        # Agenda: exactly the Team event's line starts with ◇.
        await press(app, pilot, "a")
        rows = app.screen.query_one(AgendaList).rows
        marked_rows = [t for t, item, _d in rows if item is not None and "◇" in t]
        assert len(marked_rows) == 1
        assert "Case conference" in marked_rows[0]
        assert any("Dentist" in t and "◇" not in t for t, _i, _d in rows)
        # Month: marked and underlined too.
        await press(app, pilot, "m")
        month_marked = marked_segments(app.screen.query_one(MonthGrid))
        assert month_marked
        assert all(underlined for _text, underlined in month_marked)
        # Day view of Friday: the Dentist (default calendar) is drawn without the marker.
        app.move_cursor(datetime(2026, 11, 27).date(), 24)
        await press(app, pilot, "d")
        day_text = "".join(seg.text for y in range(grid.size.height) for seg in grid.render_line(y))
        assert "Dentist" in day_text
        assert "◇" not in day_text


async def test_google_screen_status_calendars_sync_and_mode(
    make_app: MakeApp, google: CalendarEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_from_menu(app, pilot, "Google sync")
        screen = app.screen
        assert isinstance(screen, GoogleSyncScreen)
        table = screen.query_one(DataTable)
        rows = {
            str(table.get_row_at(n)[0]): [str(c) for c in table.get_row_at(n)]
            for n in range(table.row_count)
        }
        assert rows["Dr. Alice Moreno"][1:3] == ["connected", "two-way"]
        assert rows["Dr. Alice Moreno"][4] == "0"
        assert rows["Ben Okafor"][1] == "not set up"
        # Ben (first row): not set up, with the exact command to connect.
        command = text(app, "#google-detail").replace(" \\\n", " ")
        assert "sessions-tui google connect --user alice --practitioner ben" in command
        assert "--db " in command
        assert "--client-secrets " in command
        alice_row = list(rows).index("Dr. Alice Moreno")
        await press(app, pilot, *["down"] * alice_row)
        detail = text(app, "#google-detail")
        assert "Default calendar: Ada's calendar (primary@example.com)" in detail
        assert f"◇ Team ({TEAM}): pulled" in detail
        assert "Last sync: 2026-11-25 10:00 (pushed" in detail
        assert "Pending changes: 0" in detail
        assert "Sign-in: emulator (no sign-in)" in detail

        # Choose secondary calendars: listed from Google in a worker.
        google.state.add_calendar("holidays@example.com", "Holidays")
        await press(app, pilot, "l")
        assert isinstance(app.screen, ChoiceModal)
        labels = option_labels(app)
        assert f"[x] Team ({TEAM})" in labels
        assert "[ ] Holidays (holidays@example.com)" in labels
        assert not any(CAL in label for label in labels)
        await choose_option(app, pilot, "[ ] Holidays (holidays@example.com)")
        await settle(app, pilot)
        assert "◇ Holidays (holidays@example.com): pulled" in text(app, "#google-detail")

        # Sync now from this screen; the status reloads when it ends.
        google.state.create(CAL, summary="Lunch", **_timed("30", "12:00", "13:00"))
        await press(app, pilot, "s")
        for _ in range(300):
            if not app.syncing and "pulled 1" in app.sync_status:
                break
            await pilot.pause(0.02)
        assert "pulled 1" in app.sync_status
        await settle(app, pilot)
        assert "pulled 1" in text(app, "#google-detail")
        assert "pulled 1" in text(app, "#google-run-state")

        # Two-way -> one-way asks first, then removes Google's events locally.
        def google_titles() -> set[str]:
            start = datetime(2026, 11, 22, tzinfo=CHICAGO)
            return {
                i.event.title
                for i in scheduling.agenda(app.ctx, start, start + timedelta(days=14), CHICAGO)
                if i.event.source_calendar
            }

        assert google_titles() == {"Case conference", "Dentist", "Lunch"}
        await press(app, pilot, "o")
        assert isinstance(app.screen, ChoiceModal)
        assert "removed from this calendar" in str(app.screen.detail)
        await press(app, pilot, "enter")  # "Go back"
        assert google_titles() == {"Case conference", "Dentist", "Lunch"}
        await press(app, pilot, "o", "down", "enter")
        await settle(app, pilot)
        assert google_titles() == set()
        assert "one-way" in text(app, "#google-detail")

        # A listing that cannot reach Google says so in words (and changes nothing).
        monkeypatch.setenv(ENDPOINT_ENV, "http://127.0.0.1:9/calendar/v3/")
        await press(app, pilot, "l")
        for _ in range(300):
            if "Could not list" in text(app, "#google-calendar-error"):
                break
            await pilot.pause(0.02)
        assert "Could not list the Google calendars: cannot reach Google" in text(
            app, "#google-calendar-error"
        )
        assert isinstance(app.screen, GoogleSyncScreen)
