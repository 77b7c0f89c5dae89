"""Pilot tests of the office hours and availability screens, keyboard only, at 80x24.

Every change is saved as it is made: the tests never press anything like "save", they leave
the screen and read the database through the services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from textual.pilot import Pilot
from textual.widgets import Input, Label, OptionList, Select
from textual.worker import WorkerCancelled

from sessions_tui.app import SessionsApp
from sessions_tui.domain.officehours import DateOverride, WeeklyInterval
from sessions_tui.domain.timeutil import day_bounds
from sessions_tui.screens.actions import ENTRIES
from sessions_tui.screens.availability import AvailabilityScreen
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.free_slot import SessionLengthModal
from sessions_tui.screens.hours_dialogs import IntervalModal, OverrideModal, ZonePickerModal
from sessions_tui.screens.office_hours import OfficeHoursScreen
from sessions_tui.services import hours
from sessions_tui.services.availability import first_open_slot, open_slots
from sessions_tui.services.calendar import Filters
from sessions_tui.services.practice import find_practitioner
from sessions_tui.widgets.hours_editor import HoursEditor
from sessions_tui.widgets.time_grid import TimeGrid, outside_slots, slot_of

MakeApp = Callable[..., SessionsApp]
SIZE = (80, 24)
CHICAGO = ZoneInfo("America/Chicago")
WED = date(2026, 11, 25)


async def settle(app: SessionsApp, pilot: Pilot[None]) -> None:
    """Wait until every worker is done and its messages are handled."""
    for _ in range(10):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break
    await pilot.pause()


async def press(app: SessionsApp, pilot: Pilot[None], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
    await settle(app, pilot)


async def type_text(app: SessionsApp, pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text)
    await settle(app, pilot)


async def open_entry(app: SessionsApp, pilot: Pilot[None], label: str) -> None:
    """Open a screen from the calendar by its direct key (``O``, ``A``)."""
    entry = next(e for e in ENTRIES if e.label == label)
    await press(app, pilot, entry.key)


async def open_from_menu(app: SessionsApp, pilot: Pilot[None], label: str) -> None:
    """Open a screen through the "..." actions menu (``.``, arrows, enter)."""
    index = next(n for n, e in enumerate(ENTRIES) if e.label == label)
    await press(app, pilot, "full_stop", *["down"] * index, "enter")


def text_of(app: SessionsApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Label).content)


def editor_text(app: SessionsApp) -> str:
    return app.screen.query_one(HoursEditor).render().plain


def pid(app: SessionsApp, name: str) -> int:
    return find_practitioner(app.ctx, name).id


async def test_menu_lists_both_screens_with_keys() -> None:
    labels = {e.label: (e.key, e.open().__class__) for e in ENTRIES}
    assert labels["Office hours"] == ("O", OfficeHoursScreen)
    assert labels["Manage availability"] == ("A", AvailabilityScreen)


def shaded_slots(app: SessionsApp, day: date) -> frozenset[int]:
    """The half-hour slots of ``day`` the week grid grays out now."""
    grid = app.screen.query_one(TimeGrid)
    return outside_slots(grid.shading, grid.days, grid.tz).get(day, frozenset())


async def test_office_hours_edit_by_keyboard_is_stored_without_saving(make_app: MakeApp) -> None:
    app = make_app(user="carmen")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        carmen = pid(app, "carmen")
        app.apply_filters(Filters(practitioner_ids=frozenset({carmen})))
        await settle(app, pilot)
        # Carmen works Tue–Sat 11:00–19:00 (Chicago, as the display): 08:00 is grayed out.
        assert {16, 21} <= shaded_slots(app, WED)
        assert 22 not in shaded_slots(app, WED)
        await open_from_menu(app, pilot, "Office hours")
        screen = app.screen
        assert isinstance(screen, OfficeHoursScreen)
        assert "not online-booking availability" in text_of(app, "#hours-heading")
        assert "Carmen Liu's own office hours" in text_of(app, "#hours-status")
        # On Wednesday change 11:00–19:00 to 08:00–19:00.
        await press(app, pilot, "down", "down", "enter")
        assert isinstance(app.screen, IntervalModal)
        await press(app, pilot, *["backspace"] * 5)
        await type_text(app, pilot, "08:00")
        await press(app, pilot, "enter", "enter")
        assert app.screen is screen  # type: ignore[comparison-overlap]
        assert "Wed  [08:00–19:00]" in editor_text(app)
        assert text_of(app, "#hours-saved") == "Saved ✓ 10:00:00"
        await press(app, pilot, "escape")
        assert isinstance(app.screen, CalendarScreen)
        await settle(app, pilot)
        stored = hours.get_hours(app.ctx, carmen, fallback=False)
        assert stored is not None
        assert WeeklyInterval(2, time(8), time(19)) in stored.intervals
        assert WeeklyInterval(2, time(11), time(19)) not in stored.intervals
        assert WeeklyInterval(1, time(11), time(19)) in stored.intervals  # Tuesday untouched
        # The week view's shading follows: 08:00 is now in, 07:30 still out; Tuesday as before.
        assert 16 not in shaded_slots(app, WED)
        assert 15 in shaded_slots(app, WED)
        assert 16 in shaded_slots(app, WED - timedelta(days=1))
        # The day view shades the same way.
        await press(app, pilot, "d")
        assert app.view == "day"
        assert shaded_slots(app, WED) == frozenset(range(16)) | frozenset(range(38, 48))


async def test_add_remove_overlap_and_bad_time_in_words(make_app: MakeApp) -> None:
    app = make_app(user="carmen")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        carmen = pid(app, "carmen")
        before = hours.get_hours(app.ctx, carmen, fallback=False)
        await open_entry(app, pilot, "Office hours")
        await press(app, pilot, "down", "a")  # Tuesday
        form = app.screen
        assert isinstance(form, IntervalModal)
        await type_text(app, pilot, "25:00")
        await press(app, pilot, "enter")
        await type_text(app, pilot, "26:00")
        await press(app, pilot, "enter")
        error = str(form.query_one("#interval-error", Label).content)
        assert error == "Start: 25:00 is not a time of day (00:00 to 23:59)"
        await press(app, pilot, "shift+tab", *["backspace"] * 5)
        await type_text(app, pilot, "9am")
        await press(app, pilot, "enter", "enter")
        assert (
            str(form.query_one("#interval-error", Label).content)
            == "Start: '9am' is not HH:MM (e.g. 09:00 or 17:30)"
        )
        # An overlap with 11:00–19:00 is refused with the domain's words.
        await press(app, pilot, "shift+tab", *["backspace"] * 3)
        await type_text(app, pilot, "10:00")
        await press(app, pilot, "enter", *["backspace"] * 5)
        await type_text(app, pilot, "12:00")
        await press(app, pilot, "enter")
        assert app.screen is form
        assert (
            str(form.query_one("#interval-error", Label).content)
            == "Tue 10:00–12:00 overlaps Tue 11:00–19:00"
        )
        await press(app, pilot, "escape")
        assert isinstance(app.screen, OfficeHoursScreen)
        assert hours.get_hours(app.ctx, carmen, fallback=False) == before
        # A second interval that does not overlap is added; then the first one is removed.
        await press(app, pilot, "a")
        await type_text(app, pilot, "07:00")
        await press(app, pilot, "enter")
        await type_text(app, pilot, "09:30")
        await press(app, pilot, "enter")
        assert "Tue  [07:00–09:30]  11:00–19:00" in editor_text(app)
        await press(app, pilot, "right", "x")
        assert "Tue  [07:00–09:30]" in editor_text(app)
        assert "11:00–19:00" not in editor_text(app).splitlines()[1]
    stored = hours.get_hours(app.ctx, carmen, fallback=False)
    assert stored is not None
    tuesday = [i for i in stored.intervals if i.weekday == 1]
    assert tuesday == [WeeklyInterval(1, time(7), time(9, 30))]


async def test_practitioner_edits_only_their_own(make_app: MakeApp) -> None:
    app = make_app(user="ben")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        ben, carmen = pid(app, "ben"), pid(app, "carmen")
        carmen_before = hours.get_hours(app.ctx, carmen, fallback=False)
        default_before = hours.get_hours(app.ctx, None)
        await open_entry(app, pilot, "Office hours")
        select = app.screen.query_one("#hours-whose", Select)
        assert select.value == str(ben)
        # Ben has none of his own: the default shows, read-only until he copies it.
        assert text_of(app, "#hours-status").startswith("Using the practice default")
        await press(app, pilot, "a")
        assert isinstance(app.screen, OfficeHoursScreen)  # no form opened
        assert "press c to copy" in text_of(app, "#hours-error")
        # Carmen's hours: read-only for Ben, with the reason in words.
        await press(app, pilot, "shift+tab", "enter", "down", "enter", "tab")
        assert select.value == str(carmen)
        assert "Read-only: only Carmen Liu or an admin or scheduler" in text_of(
            app, "#hours-status"
        )
        await press(app, pilot, "a")
        assert isinstance(app.screen, OfficeHoursScreen)
        assert text_of(app, "#hours-error").startswith("Read-only")
        await press(app, pilot, "x", "z")
        assert isinstance(app.screen, OfficeHoursScreen)
        # The practice default: read-only for a practitioner too.
        await press(app, pilot, "shift+tab", "enter", "up", "up", "enter", "tab")
        assert select.value == "default"
        assert "only an admin or a scheduler may change the practice default" in text_of(
            app, "#hours-status"
        )
        await press(app, pilot, "x")
        # Back to his own: copy the default, then change Monday.
        await press(app, pilot, "shift+tab", "enter", "down", "enter", "tab")
        assert select.value == str(ben)
        await press(app, pilot, "c")
        assert text_of(app, "#hours-status") == "Ben Okafor's own office hours."
        await press(app, pilot, "x")  # Monday 09:00–17:00 removed
        assert editor_text(app).splitlines()[0].endswith("closed")
        await press(app, pilot, "escape")
    assert hours.get_hours(app.ctx, carmen, fallback=False) == carmen_before
    assert hours.get_hours(app.ctx, None) == default_before
    own = hours.get_hours(app.ctx, ben, fallback=False)
    assert own is not None
    assert own.practitioner_id == ben
    assert {i.weekday for i in own.intervals} == {1, 2, 3, 4}


async def test_scheduler_changes_the_default_and_its_zone(make_app: MakeApp) -> None:
    app = make_app(user="sam")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_entry(app, pilot, "Office hours")
        assert app.screen.query_one("#hours-whose", Select).value == "default"
        assert text_of(app, "#hours-status").startswith("The practice default")
        await press(app, pilot, "down", "down", "down", "down", "x")  # Friday off
        await press(app, pilot, "z")
        picker = app.screen
        assert isinstance(picker, ZonePickerModal)
        await type_text(app, pilot, "europe lond")
        assert picker.shown == ["Europe/London"]
        await press(app, pilot, "enter")
        assert text_of(app, "#hours-zone").startswith("Zone: Europe/London")
        assert text_of(app, "#hours-saved") == "Saved ✓ 10:00:00"
    default = hours.get_hours(app.ctx, None)
    assert default is not None
    assert default.tzid == "Europe/London"
    assert {i.weekday for i in default.intervals} == {0, 1, 2, 3}


async def test_availability_override_flow(make_app: MakeApp) -> None:
    app = make_app(user="alice")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        alice = pid(app, "alice")
        await open_entry(app, pilot, "Manage availability")
        screen = app.screen
        assert isinstance(screen, AvailabilityScreen)
        assert "not office hours" in text_of(app, "#hours-heading")
        assert "Dr. Alice Moreno's own booking hours" in text_of(app, "#hours-status")
        # A date out of office: tomorrow is offered; no hours = unavailable.
        await press(app, pilot, "o")
        form = app.screen
        assert isinstance(form, OverrideModal)
        await press(app, pilot, "enter", "enter")
        assert app.screen is screen
        tomorrow = date(2026, 11, 26)
        assert hours.get_overrides(app.ctx, alice) == [DateOverride(tomorrow, ())]
        # Other hours on a date; overlapping hours are refused in words first.
        await press(app, pilot, "h", *["backspace"] * 10)
        await type_text(app, pilot, "2026-12-01")
        await press(app, pilot, "enter", *["backspace"] * 11)
        await type_text(app, pilot, "10:00-12:00, 11:00-13:00")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, OverrideModal)
        assert "overlaps" in str(app.screen.query_one("#override-error", Label).content)
        await press(app, pilot, *["backspace"] * 13)
        await press(app, pilot, "enter")
        assert app.screen is screen
        stored = {o.day: o.intervals for o in hours.get_overrides(app.ctx, alice)}
        assert stored == {tomorrow: (), date(2026, 12, 1): ((time(10), time(12)),)}
        listed = screen.query_one("#overrides", OptionList)
        assert listed.option_count == 2
        assert "Tue 2026-12-01  10:00–12:00" in str(listed.get_option_at_index(1).prompt)
        # Change that date's hours from the list: removing every hour makes it unavailable.
        listed.focus()
        await press(app, pilot, "end", "enter")
        assert isinstance(app.screen, OverrideModal)
        assert app.screen.query_one("#override-day", Input).value == "2026-12-01"
        await press(app, pilot, *["backspace"] * 11, "enter")
        stored = {o.day: o.intervals for o in hours.get_overrides(app.ctx, alice)}
        assert stored == {tomorrow: (), date(2026, 12, 1): ()}
        # Remove tomorrow's override: the weekly hours apply again.
        await press(app, pilot, "home", "x")
        assert [o.day for o in hours.get_overrides(app.ctx, alice)] == [date(2026, 12, 1)]
        assert text_of(app, "#hours-saved") == "Saved ✓ 10:00:00"
    start, end = day_bounds(date(2026, 12, 1), CHICAGO)
    assert open_slots(app.ctx, alice, start, end, timedelta(minutes=50)) == []
    start, end = day_bounds(date(2026, 12, 2), CHICAGO)
    assert open_slots(app.ctx, alice, start, end, timedelta(minutes=50))


async def test_availability_is_read_only_for_another_practitioner(make_app: MakeApp) -> None:
    app = make_app(user="ben")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        carmen = pid(app, "carmen")
        await open_entry(app, pilot, "Manage availability")
        await press(app, pilot, "shift+tab", "enter", "down", "enter", "tab")
        assert app.screen.query_one("#hours-whose", Select).value == str(carmen)
        await press(app, pilot, "o")
        assert isinstance(app.screen, AvailabilityScreen)
        assert text_of(app, "#hours-error").startswith("Read-only")
    assert hours.get_overrides(app.ctx, carmen) == []


async def test_find_next_free_slot_skips_a_day_out_of_office(make_app: MakeApp) -> None:
    app = make_app(user="alice")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        ben = pid(app, "ben")
        out = [o.day for o in hours.get_overrides(app.ctx, ben) if not o.intervals]
        assert out == [date(2026, 12, 4)]  # the demo's day out of office for Ben (a Friday)
        app.apply_filters(Filters(practitioner_ids=frozenset({ben})))
        app.move_cursor(out[0], 16)  # Friday 08:00
        await settle(app, pilot)
        await press(app, pilot, "F")
        assert isinstance(app.screen, SessionLengthModal)
        assert app.screen.query_one(Input).value == "50"  # Ben's default session length
        await press(app, pilot, *["backspace"] * 2)
        await type_text(app, pilot, "abc")
        await press(app, pilot, "enter")
        error = str(app.screen.query_one("#length-error", Label).content)
        assert error == "Length: 'abc' is not a number of minutes (e.g. 50)"
        await press(app, pilot, *["backspace"] * 3)
        await type_text(app, pilot, "90")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CalendarScreen)
        start = datetime.combine(out[0], time(8), tzinfo=CHICAGO)
        expected = first_open_slot(app.ctx, [ben], start, timedelta(minutes=90))
        assert expected is not None
        local = expected.start.astimezone(CHICAGO)
        assert local.date() > out[0]  # not on the day out of office
        assert (app.cursor_day, app.cursor_slot) == (local.date(), slot_of(local, CHICAGO))
