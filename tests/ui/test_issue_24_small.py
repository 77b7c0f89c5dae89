"""Issue 24 (smaller items): the recurrence field in words, natural dates for ``g``, quick
add (``Q``) and the vim keymap preset, pressed as a person would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from test_appointments_ui import choose, pick_client, settle, start_session_form, type_text
from textual.widgets import Input, Label, Select, Static

from sessions_tui.app import SessionsApp
from sessions_tui.config import load_config
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.event_details import EventDetailsScreen
from sessions_tui.screens.event_editor import EventEditorScreen
from sessions_tui.screens.go_to_date import GoToDateModal

MakeApp = Callable[..., SessionsApp]
WED = date(2026, 11, 25)
HANA = 28  # 14:00 Wednesday: Hana Tanaka with Carmen Liu, the demo's FREQ=WEEKLY;COUNT=8


def select_label(app: SessionsApp, field_id: str) -> str:
    select = app.screen.query_one(f"#{field_id}", Select)
    return next(str(text) for text, value in select._options if value == select.value)


def shown(app: SessionsApp, selector: str) -> bool:
    widget = app.screen.query_one(selector)
    return widget.display and not widget.has_class("-hidden")


async def open_editor_at(app: SessionsApp, pilot, day: date, slot: int) -> EventEditorScreen:
    app.move_cursor(day, slot)
    await settle(app, pilot)
    await pilot.press("e")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, EventEditorScreen)
    return screen


async def test_issue_24_demo_series_shows_its_preset_in_words(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = await open_editor_at(app, pilot, WED, HANA)
        assert screen.loaded is not None
        assert screen.loaded.rrule == "FREQ=WEEKLY;COUNT=8"
        assert select_label(app, "recurrence") == "Weekly on Wednesday"
        assert select_label(app, "ends") == "after"
        assert app.screen.query_one("#count", Input).value == "8"
        assert shown(app, "#ends-row")
        assert shown(app, "#count")
        assert not shown(app, "#custom-row"), "a preset, not a raw RRULE"


async def test_issue_24_preset_saved_and_reopened_is_the_same_preset(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await start_session_form(app, pilot)  # Tuesday Nov 24 10:00
        await pick_client(app, pilot, "Priya")
        await choose(app, pilot, "recurrence", "Monthly on the 4th Tuesday")
        await choose(app, pilot, "ends", "after")
        await type_text(app, pilot, "count", "5")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CalendarScreen)
        screen = await open_editor_at(app, pilot, date(2026, 11, 24), 20)
        assert screen.loaded is not None
        assert screen.loaded.rrule == "FREQ=MONTHLY;BYDAY=4TU;COUNT=5"
        assert select_label(app, "recurrence") == "Monthly on the 4th Tuesday"
        assert select_label(app, "ends") == "after"
        assert app.screen.query_one("#count", Input).value == "5"
        # The event's details say the same words (they said "Monthly on Tuesday, 5 times").
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EventDetailsScreen)
        text = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "Monthly on the 4th Tuesday, 5 times" in text


async def test_issue_24_custom_rule_is_said_in_words(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await open_editor_at(app, pilot, WED, HANA)
        await choose(app, pilot, "recurrence", "Custom rule…")
        # The custom rule starts as the preset's own rule, said in words under it.
        assert app.screen.query_one("#custom_rrule", Input).value == "FREQ=WEEKLY;COUNT=8"
        words = str(app.screen.query_one("#rule-words").render())
        assert "Weekly on Wednesday, 8 times" in words
        await type_text(app, pilot, "custom_rrule", "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,TH")
        words = str(app.screen.query_one("#rule-words").render())
        assert "Every 3 weeks on Monday and Thursday" in words


async def go_to(app: SessionsApp, pilot, text: str) -> None:
    await pilot.press("g")
    await settle(app, pilot)
    assert isinstance(app.screen, GoToDateModal)
    app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await settle(app, pilot)


async def test_issue_24_go_to_fri_and_dec_24(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "fri")
        assert isinstance(app.screen, CalendarScreen)
        assert app.cursor_day == date(2026, 11, 27)
        await go_to(app, pilot, "dec 24")
        assert app.cursor_day == date(2026, 12, 24)
        await go_to(app, pilot, "next monday")
        assert app.cursor_day == date(2026, 11, 30)  # from today (Wed 25), not the cursor
        await go_to(app, pilot, "fri xyz")
        assert isinstance(app.screen, GoToDateModal)
        error = str(app.screen.query_one("#go-to-error", Label).content)
        assert "did not understand 'xyz'" in error


async def test_issue_24_quick_add_prefills_the_editor(make_app: MakeApp) -> None:
    from sessions_tui.screens.quick_add import QuickAddModal

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("Q")
        await settle(app, pilot)
        assert isinstance(app.screen, QuickAddModal)
        app.screen.query_one(Input).value = "Ava Bennett fri 15:00 50m @Telehealth xyz"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, QuickAddModal), "an unknown word keeps the prompt open"
        error = str(app.screen.query_one("#quick-add-error", Label).content)
        assert "did not understand 'xyz'" in error
        app.screen.query_one(Input).value = "Ava Bennett fri 15:00 50m @Telehealth"
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, EventEditorScreen)
        assert screen.client is not None
        assert screen.client.full_name == "Ava Bennett"
        assert screen.query_one("#client", Input).value.startswith("Bennett, Ava")
        assert screen.query_one("#date", Input).value == "2026-11-27"
        assert screen.query_one("#start", Input).value == "15:00"
        assert screen.query_one("#minutes", Input).value == "50"
        assert select_label(app, "location") == "Telehealth"
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, CalendarScreen)


async def test_issue_24_vim_preset_moves_with_hjkl_and_q_quits(make_app: MakeApp, tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\npreset = "vim"\n', encoding="utf-8")
    config = load_config(path)
    assert config.keymap_preset == "vim"
    assert config.keymap == {}
    app = make_app(config=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert (app.cursor_day, app.cursor_slot) == (WED, 20)
        await pilot.press("j")
        await settle(app, pilot)
        assert (app.cursor_day, app.cursor_slot) == (WED, 21)
        await pilot.press("l")
        await settle(app, pilot)
        assert (app.cursor_day, app.cursor_slot) == (date(2026, 11, 26), 21)
        await pilot.press("h", "k")
        await settle(app, pilot)
        assert (app.cursor_day, app.cursor_slot) == (WED, 20)
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0, "q quit the app"


async def test_issue_24_without_preset_h_l_q_say_what_to_press(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("q")
        await settle(app, pilot)
        assert app.is_running
        notes = [str(n.message) for n in app._notifications]
        assert any("q is not bound: ctrl+q quits" in n for n in notes), notes
        await pilot.press("l")
        await settle(app, pilot)
        assert app.cursor_day == WED, "l does not move without the preset"
        notes = [str(n.message) for n in app._notifications]
        assert any("l is not bound: the arrow keys move the cursor" in n for n in notes), notes
        await pilot.press("j")  # still the next period, as before
        await settle(app, pilot)
        assert app.cursor_day == date(2026, 12, 2)
