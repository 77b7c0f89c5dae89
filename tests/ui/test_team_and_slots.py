"""Issue 14: the team view, dense slots, every event reachable by keys, focus after the picker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from textual.pilot import Pilot
from textual.widgets import Label, OptionList
from textual.worker import WorkerCancelled

from sessions_tui.app import SessionsApp
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.dialogs import ChoiceModal
from sessions_tui.screens.event_details import EventDetailsScreen
from sessions_tui.services.calendar import Filters
from sessions_tui.widgets.time_grid import TimeGrid
from sessions_tui.widgets.view_picker import ViewPicker

MakeApp = Callable[..., SessionsApp]


def calendar(app: SessionsApp) -> CalendarScreen:
    """The calendar screen (always at the bottom of the stack): it owns the appointment keys."""
    screen = app.screen_stack[0]
    assert isinstance(screen, CalendarScreen)
    return screen


MON = date(2026, 11, 23)
THU = date(2026, 11, 26)
NINE = 18  # 09:00


async def settle(app: SessionsApp, pilot: Pilot[None]) -> None:
    for _ in range(10):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break
    await pilot.pause()


def grid_text(app: SessionsApp) -> str:
    grid = app.screen.query_one(TimeGrid)
    return "\n".join(grid.render_line(y).text for y in range(grid.size.height))


async def test_issue_14_team_view_one_column_per_practitioner(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("T")
        await settle(app, pilot)
        assert app.view == "team"
        assert app.screen.query_one(ViewPicker).value == "team"
        header = grid_text(app).splitlines()[0]
        practitioners = app.facts.practitioners if app.facts else ()
        assert len(practitioners) == 4
        for person in practitioners:
            assert person.name.split()[0] in header or person.name[:10] in header
        # Filters apply: only the filtered practitioners get a column.
        keep = frozenset(p.id for p in practitioners[:2] if p.id is not None)
        app.apply_filters(Filters(practitioner_ids=keep))
        await settle(app, pilot)
        header = grid_text(app).splitlines()[0]
        assert header.count("│") == 2
        assert practitioners[2].name.split()[0] not in header


async def test_issue_14_dense_week_slot_names_every_client(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.move_cursor(MON, NINE)
        await settle(app, pilot)
        grid = app.screen.query_one(TimeGrid)
        hits = grid.events_at(MON, NINE)
        assert len(hits) >= 3
        text = grid_text(app)
        assert f"{len(hits)}:" in text
        for item in hits:
            assert item.title.split()[0] in text, item.title


async def test_issue_14_step_through_a_slot_and_open_each(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.move_cursor(MON, NINE)
        await settle(app, pilot)
        hits = app.screen.query_one(TimeGrid).events_at(MON, NINE)
        opened = []
        for n in range(len(hits)):
            await pilot.press("right_square_bracket")
            await settle(app, pilot)
            picked = str(app.screen.query_one("#picked", Label).content).strip()
            assert picked.startswith(f"{n + 1}/{len(hits)}")
            await pilot.press("enter")
            await settle(app, pilot)
            assert isinstance(app.screen, EventDetailsScreen)
            opened.append(app.screen.item)
            await pilot.press("escape")
            await settle(app, pilot)
        assert opened == hits
        # [ goes back from the last one picked.
        await pilot.press("left_square_bracket")
        await settle(app, pilot)
        assert calendar(app).cursor_event() == hits[-2]


async def test_issue_14_all_day_row_is_reachable(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.move_cursor(THU, 6)  # 03:00, an empty slot
        await settle(app, pilot)
        grid = app.screen.query_one(TimeGrid)
        all_day = grid.all_day_on(THU)
        assert all_day
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert calendar(app).cursor_event() == all_day[0]
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EventDetailsScreen)
        assert app.screen.item == all_day[0]


async def test_issue_14_enter_on_busy_slot_opens_a_chooser(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.move_cursor(MON, NINE)
        await settle(app, pilot)
        hits = app.screen.query_one(TimeGrid).events_at(MON, NINE)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ChoiceModal)
        assert app.screen.query_one(OptionList).option_count == len(hits)
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EventDetailsScreen)
        assert app.screen.item == hits[1]


async def test_issue_14_picker_gives_focus_back(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        grid = app.screen.query_one(TimeGrid)
        assert app.focused is grid
        slot = app.cursor_slot
        # Picking the view already shown: no change, and still focus comes back.
        await pilot.press("v", "enter")
        await settle(app, pilot)
        assert app.focused is grid
        await pilot.press("down")
        await settle(app, pilot)
        assert not app.screen.query_one(ViewPicker).expanded
        assert app.cursor_slot == slot + 1
        day = app.cursor_day
        await pilot.press("left")
        await settle(app, pilot)
        assert app.cursor_day == date.fromordinal(day.toordinal() - 1)
        # Escape closes it too, and picking another view lands on that view.
        await pilot.press("v", "escape")
        await settle(app, pilot)
        assert app.focused is grid
        await pilot.press("v", "down", "enter")
        await settle(app, pilot)
        assert app.view == "day"
        assert app.focused is grid
