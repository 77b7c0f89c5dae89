"""Pilot tests: every calendar key, checked on view, period, cursor and the messages seen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Input, Label, OptionList
from textual.worker import WorkerCancelled

from sessions_tui.app import SessionsApp
from sessions_tui.config import Config
from sessions_tui.messages import CreateRequested
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.dialogs import ChoiceModal
from sessions_tui.screens.event_details import EventDetailsScreen
from sessions_tui.screens.event_editor import EventEditorScreen
from sessions_tui.screens.filters import FiltersModal
from sessions_tui.screens.go_to_date import GoToDateModal
from sessions_tui.screens.help import HelpScreen
from sessions_tui.screens.search import SearchScreen
from sessions_tui.widgets.agenda_list import AgendaList
from sessions_tui.widgets.month_grid import MonthGrid
from sessions_tui.widgets.time_grid import TimeGrid
from sessions_tui.widgets.tz_badge import TzBadge

MakeApp = Callable[..., SessionsApp]
WED = date(2026, 11, 25)


async def settle(app: SessionsApp, pilot: Pilot[None]) -> None:
    """Wait until every worker is done and its messages are handled."""
    for _ in range(10):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # superseded by a newer exclusive worker: wait for that one
            continue
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break
    await pilot.pause()


async def press(app: SessionsApp, pilot: Pilot[None], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


def title(app: SessionsApp) -> str:
    return str(app.screen.query_one("#view-title", Label).content)


def grid_text(app: SessionsApp) -> str:
    grid = app.screen.query_one(TimeGrid)
    return "\n".join(grid.render_line(y).text for y in range(grid.size.height))


async def test_opens_on_this_week_with_zone_badge(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, CalendarScreen)
        assert app.view == "week"
        assert (app.cursor_day, app.cursor_slot) == (WED, 20)
        assert title(app) == "Nov 22 – 28, 2026"
        assert str(app.screen.query_one(TzBadge).content) == "America/Chicago (CST)"
        text = grid_text(app)
        assert "Sun 22" in text
        assert "Sat 28" in text
        assert "▶10:00" in text  # the current-time line, from the injected clock
        assert "Hana" in text
        assert "Tanaka" in text


@pytest.mark.parametrize(("next_key", "prev_key"), [("n", "p"), ("j", "k")])
async def test_next_and_previous_period(make_app: MakeApp, next_key: str, prev_key: str) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, next_key)
        assert app.cursor_day == date(2026, 12, 2)
        assert title(app) == "Nov 29 – Dec 5, 2026"
        await press(app, pilot, prev_key, prev_key)
        assert app.cursor_day == date(2026, 11, 18)
        assert title(app) == "Nov 15 – 21, 2026"


@pytest.mark.parametrize(
    ("key", "view", "expected_title", "widget"),
    [
        ("m", "month", "November 2026", MonthGrid),
        ("w", "week", "Nov 22 – 28, 2026", TimeGrid),
        ("d", "day", "Wednesday, Nov 25, 2026", TimeGrid),
        ("a", "agenda", "Nov 25 – Dec 1, 2026", AgendaList),
    ],
)
async def test_view_keys(
    make_app: MakeApp, key: str, view: str, expected_title: str, widget: type
) -> None:
    app = make_app(view="day" if key == "w" else "week")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, key)
        assert app.view == view
        assert title(app) == expected_title
        assert isinstance(app.focused, widget)
        assert app.cursor_day == WED


async def test_period_keys_per_view(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "m", "n")
        assert title(app) == "December 2026"
        assert app.cursor_day == date(2026, 12, 25)
        await press(app, pilot, "d", "p")
        assert title(app) == "Thursday, Dec 24, 2026"
        await press(app, pilot, "left")  # in the day view a day is the period
        assert title(app) == "Wednesday, Dec 23, 2026"
        await press(app, pilot, "a", "right")
        assert title(app) == "Dec 30, 2026 – Jan 5, 2027"
        await press(app, pilot, "left")
        assert title(app) == "Dec 23 – 29, 2026"


async def test_today_keeps_the_view(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "m", "n", "n", "down", "t")
        assert app.view == "month"
        assert app.cursor_day == WED
        assert title(app) == "November 2026"


async def test_arrow_keys_move_the_slot_cursor(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "up", "up", "down")
        assert (app.cursor_day, app.cursor_slot) == (WED, 19)
        await press(app, pilot, "left")
        assert app.cursor_day == date(2026, 11, 24)
        assert title(app) == "Nov 22 – 28, 2026"
        await press(app, pilot, "right", "right", "right", "right", "right")
        assert app.cursor_day == date(2026, 11, 29)  # past Saturday: the next week
        assert title(app) == "Nov 29 – Dec 5, 2026"
        for _ in range(30):
            await pilot.press("down")
        await settle(app, pilot)
        assert app.cursor_slot == 47  # 23:30, the grid scrolled with it
        assert "23:00" in grid_text(app)


async def test_month_arrows_move_by_day_and_week(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "m", "down", "right")
        assert app.cursor_day == date(2026, 12, 3)
        assert title(app) == "December 2026"
        await press(app, pilot, "up", "left", "left")
        assert app.cursor_day == date(2026, 11, 24)
        await press(app, pilot, "enter")  # enter on a month day opens it in the day view
        assert app.view == "day"
        assert title(app) == "Tuesday, Nov 24, 2026"


async def test_enter_on_event_opens_details(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        for _ in range(8):  # 10:00 → 14:00, Hana Tanaka with Carmen Liu
            await pilot.press("down")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, EventDetailsScreen)
        text = " ".join(str(s.content) for s in app.screen.query(".detail"))  # type: ignore[attr-defined]
        assert "Hana Tanaka (C-1011)" in text
        assert "Carmen Liu" in text
        assert "Main St Clinic" in text
        assert "Weekly on Wednesday, 8 times" in text
        assert "14:00–15:00  America/Chicago (CST)" in text
        await press(app, pilot, "escape")
        assert isinstance(app.screen, CalendarScreen)


async def test_enter_in_agenda_opens_details(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "a", "enter")
        assert isinstance(app.screen, EventDetailsScreen)
        assert "Staff meeting" in str(app.screen.query_one("#details-title").content)  # type: ignore[attr-defined]


async def test_enter_on_empty_slot_and_c_request_create(make_app: MakeApp) -> None:
    app = make_app()
    seen: list[Message] = []
    async with app.run_test(size=(100, 32), message_hook=seen.append) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "left", "enter")  # Tuesday 10:00 is free
        assert isinstance(app.screen, ChoiceModal)  # client session or other event?
        starts = {m.start for m in seen if isinstance(m, CreateRequested)}  # seen as it bubbles
        assert starts == {datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/Chicago"))}
        assert "Tue Nov 24, 10:00" in str(app.screen.query_one("#choice-question").content)  # type: ignore[attr-defined]
        await press(app, pilot, "enter")
        assert isinstance(app.screen, EventEditorScreen)
        assert app.screen.query_one("#date", Input).value == "2026-11-24"
        assert app.screen.query_one("#start", Input).value == "10:00"
        await press(app, pilot, "escape", "up", "c")
        assert isinstance(app.screen, ChoiceModal)
        await press(app, pilot, "down", "enter")  # other event
        assert isinstance(app.screen, EventEditorScreen)
        assert app.screen.query_one("#start", Input).value == "09:30"


async def test_search_finds_next_session_and_jumps(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "slash")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"Hana")
        await settle(app, pilot)
        await press(app, pilot, "enter")
        results = app.screen.query_one(OptionList)
        assert results.has_focus
        assert results.option_count == 10
        assert app.screen.items[results.highlighted or 0].start == datetime(
            2026, 11, 25, 20, 0, tzinfo=ZoneInfo("UTC")
        )  # the first session not yet over
        await press(app, pilot, "n", "n")
        await press(app, pilot, "N")
        chosen = app.screen.items[results.highlighted or 0]
        assert chosen.start == datetime(2026, 11, 25, 23, 0, tzinfo=ZoneInfo("UTC"))
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CalendarScreen)
        assert (app.cursor_day, app.cursor_slot) == (WED, 34)  # 17:00


async def test_search_by_internal_id_and_no_match(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "slash")
        await pilot.press(*"C-1011")
        await settle(app, pilot)
        assert app.screen.query_one(OptionList).option_count == 10
        await pilot.press(*"9")
        await settle(app, pilot)
        assert "No events match 'C-10119'" in str(app.screen.query_one("#search-status").content)  # type: ignore[attr-defined]


async def test_go_to_date(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "g")
        assert isinstance(app.screen, GoToDateModal)
        await pilot.press(*"2026-13-45")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, GoToDateModal)
        error = str(app.screen.query_one("#go-to-error", Label).content)
        assert "bad date '2026-13-45': month must be in 1..12" in error
        app.screen.query_one(Input).value = ""
        await pilot.press(*"2027-06-10")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CalendarScreen)
        assert app.cursor_day == date(2027, 6, 10)
        assert title(app) == "Jun 6 – 12, 2027"
        assert str(app.screen.query_one(TzBadge).content) == "America/Chicago (CDT)"


async def test_filters_apply_summarise_and_persist(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        assert str(app.screen.query_one("#filter-summary", Label).content) == "All events"
        await press(app, pilot, "f")
        assert isinstance(app.screen, FiltersModal)
        # Practitioners are listed by name: Ben, Carmen, Devon, Dr. Alice. Keep only Carmen.
        await press(app, pilot, "space", "down", "down", "space", "down", "space")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CalendarScreen)
        carmen = next(p for p in app.facts.practitioners if p.login == "carmen")  # type: ignore[union-attr]
        assert app.filters.practitioner_ids == frozenset({carmen.id})
        assert str(app.screen.query_one("#filter-summary", Label).content) == "Filter: Carmen Liu"
        text = grid_text(app)
        assert "Hana" in text  # Carmen's client
        assert "Maya" not in text  # Alice's client at 13:00 is filtered out
    again = make_app()
    async with again.run_test(size=(100, 32)) as pilot:
        await settle(again, pilot)
        assert again.filters.practitioner_ids == frozenset({carmen.id})
        assert "Carmen Liu" in str(again.screen.query_one("#filter-summary", Label).content)
    other = make_app(user="ben")  # remembered per user
    async with other.run_test(size=(100, 32)) as pilot:
        await settle(other, pilot)
        assert other.filters.practitioner_ids is None


async def test_status_filter_and_reset(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f", "tab", "tab")  # to the status list
        await press(app, pilot, "space")  # untick "scheduled": cancelled and confirmed (issue 20)
        await press(app, pilot, "enter")
        summary = str(app.screen.query_one("#filter-summary", Label).content)
        assert summary == "Filter: cancelled or confirmed"
        assert "Hana" not in grid_text(app)
        await press(app, pilot, "f", "ctrl+r", "enter")
        assert not app.filters.active


async def test_privacy_mode_shows_initials(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        assert "Hana" in grid_text(app)
        await press(app, pilot, "P")
        assert app.privacy
        assert "PRIVACY" in str(app.screen.query_one("#privacy-indicator", Label).content)
        text = grid_text(app)
        assert "Hana" not in text
        assert "H.T." in text
        await press(app, pilot, "a")
        lines = [str(o.prompt) for o in app.screen.query_one(AgendaList).options]
        assert any("H.T. · Carmen Liu" in line for line in lines)
        assert not any("Hana" in line for line in lines)
        await press(app, pilot, "P")
        assert str(app.screen.query_one("#privacy-indicator", Label).content) == ""


async def test_view_picker_opens_by_keyboard(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "v")
        await press(app, pilot, "up", "enter")  # the menu opens on Week; Month is above it
        assert app.view == "month"
        assert title(app) == "November 2026"
        assert not app.screen.query_one("#view-picker").has_focus


async def test_week_starts_monday_from_user_config(make_app: MakeApp) -> None:
    app = make_app(config=Config(week_starts_monday=True))
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        assert title(app) == "Nov 23 – 29, 2026"
        assert grid_text(app).splitlines()[0].split("│")[1].startswith("Mon 23")


async def test_second_display_zone(make_app: MakeApp) -> None:
    app = make_app(tz=ZoneInfo("Europe/London"))
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        assert str(app.screen.query_one(TzBadge).content) == "Europe/London (GMT)"
        assert app.cursor_slot == 32  # 16:00 in London is 10:00 in Chicago
        assert "▶16:00" in grid_text(app)


async def test_help_lists_bindings(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        from sessions_tui.screens.help import keys_markdown

        text = keys_markdown()
        for fragment in ("`alt+c`", "`P`", "Privacy", "`/`", "Next match", "calendar.go-to"):
            assert fragment in text
        await press(app, pilot, "escape")
        assert isinstance(app.screen, CalendarScreen)


OTHER_SCREENS = [
    ("help", ["question_mark"], HelpScreen),
    ("filters", ["f"], FiltersModal),
    ("search", ["slash", "H"], SearchScreen),
    ("go-to-date", ["g", "2"], GoToDateModal),
    ("details", ["a", "enter"], EventDetailsScreen),
    ("new-event-kind", ["c"], ChoiceModal),
    ("new-event-form", ["c", "enter"], EventEditorScreen),
]


@pytest.mark.parametrize(
    ("name", "keys", "screen"), OTHER_SCREENS, ids=[s[0] for s in OTHER_SCREENS]
)
async def test_alt_c_returns_to_calendar(
    make_app: MakeApp, name: str, keys: list[str], screen: type
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, *keys)
        assert isinstance(app.screen, screen), name
        await press(app, pilot, "alt+c")
        assert isinstance(app.screen, CalendarScreen)
        assert len(app.screen_stack) == 1


async def test_alt_c_from_a_stack_of_screens(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "a", "enter", "question_mark")
        assert len(app.screen_stack) == 3
        await press(app, pilot, "alt+c")
        assert len(app.screen_stack) == 1
        assert isinstance(app.screen, CalendarScreen)


async def test_keys_stay_responsive_while_loading(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        for _ in range(6):  # faster than the windows load: the last one wins
            await pilot.press("n")
        await settle(app, pilot)
        assert app.cursor_day == date(2027, 1, 6)
        assert title(app) == "Jan 3 – 9, 2027"
        assert str(app.screen.query_one("#loading", Label).content) == ""


@pytest.mark.parametrize("view", ["week", "month", "agenda"])
async def test_keys_typed_at_start_reach_the_view_not_the_picker(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, view: str
) -> None:
    """Focus goes to the view from the first frame: keys typed while the calendar is still
    starting (over SSH, a burst before the first frame) move the cursor; none opens the
    view picker (which Textual's auto-focus gave the first focus, until issue 14)."""
    from textual.screen import Screen

    from sessions_tui.widgets.view_picker import ViewPicker

    focused: list[object] = []
    set_focus = Screen.set_focus

    def recording(self: Screen[object], widget: object, *args: object, **kw: object) -> None:
        if isinstance(self, CalendarScreen):
            focused.append(widget)
        set_focus(self, widget, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Screen, "set_focus", recording)
    app = make_app()
    app.view = view
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("down", "down")  # at once, before anything has loaded
        await settle(app, pilot)
        picker = app.screen.query_one(ViewPicker)
        assert not picker.expanded
        assert not any(isinstance(w, ViewPicker) for w in focused), focused
        target = {"week": TimeGrid, "month": MonthGrid, "agenda": AgendaList}[view]
        assert isinstance(app.focused, target)
        if view == "week":
            assert (app.cursor_day, app.cursor_slot) == (WED, 22)  # now (10:00, slot 20) + 2
        elif view == "month":
            assert app.cursor_day == date(2026, 12, 9)  # two weeks on
