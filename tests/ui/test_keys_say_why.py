"""Issue 14: a key that cannot act says why in one line; permission before any question."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from test_typeahead import settle

from sessions_tui.app import SessionsApp
from sessions_tui.config import load_config
from sessions_tui.domain.errors import ValidationError
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.dialogs import ChoiceModal
from sessions_tui.screens.event_details import EventDetailsScreen
from sessions_tui.screens.event_editor import EventEditorScreen

MakeApp = Callable[..., SessionsApp]


def calendar(app: SessionsApp) -> CalendarScreen:
    """The calendar screen (always at the bottom of the stack): it owns the appointment keys."""
    screen = app.screen_stack[0]
    assert isinstance(screen, CalendarScreen)
    return screen


HANA = 28  # 14:00 Wednesday: Hana Tanaka with Carmen Liu, a weekly series


def said(app: SessionsApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_issue_14_s_without_google_says_so(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        assert any("no practitioner is connected to Google" in t for t in said(app)), said(app)
        app.syncing = True
        await pilot.press("s")
        await pilot.pause()
        assert any("running already" in t for t in said(app))


async def test_issue_14_e_on_event_details_edits_it(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        app.move_cursor(app.cursor_day, HANA)
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EventDetailsScreen)
        shown = app.screen.item
        await pilot.press("e")
        await settle(app, pilot)
        assert isinstance(app.screen, EventEditorScreen)
        assert app.screen.item == shown


async def test_issue_14_permission_before_the_scope_question(make_app: MakeApp) -> None:
    app = make_app(user="ben")  # a practitioner; the 14:00 series is Carmen's
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        app.move_cursor(app.cursor_day, HANA)
        await settle(app, pilot)
        for key in ("x", "delete", "M", "e"):
            await pilot.press(key)
            await settle(app, pilot)
            assert not isinstance(app.screen, ChoiceModal), key  # no this/following/all
            assert not isinstance(app.screen, EventEditorScreen), key
            assert calendar(app).moving is None
        assert any("may only change their own events" in t for t in said(app)), said(app)


async def test_issue_14_keymap_from_config_file(
    make_app: MakeApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\n"calendar.team" = "ctrl+t"\n"calendar.down" = "J"\n')
    config = load_config(path)
    app = make_app(config=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        slot = app.cursor_slot
        await pilot.press("J", "J")
        await settle(app, pilot)
        assert app.cursor_slot == slot + 2
        await pilot.press("down")  # remapped away
        await settle(app, pilot)
        assert app.cursor_slot == slot + 2
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        assert app.view == "team"


def test_issue_14_bad_keymap_value_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\n"calendar.team" = 3\n')
    with pytest.raises(ValidationError, match=r"keymap\.calendar\.team"):
        load_config(path)


async def test_issue_14_google_screen_keys_say_why_without_a_connection(
    make_app: MakeApp,
) -> None:
    """o, l and s on the Google screen of a practice nobody connected: one line each, and the
    notices stay on that screen (gone back on the calendar)."""
    from sessions_tui.screens.sync_screen import GoogleSyncScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.push_screen(GoogleSyncScreen())
        await settle(app, pilot)
        for key, words in (
            ("s", "No practitioner is connected to Google yet"),
            ("o", "is not set up for Google yet"),
            ("l", "is not set up for Google yet"),
        ):
            before = len(said(app))
            await pilot.press(key)
            await settle(app, pilot)
            new = said(app)[before:]
            assert len(new) == 1, (key, new)
            assert words in new[0], (key, new)
            assert "\n" not in new[0]
        assert isinstance(app.screen, GoogleSyncScreen)  # nothing opened, nothing asked
        await pilot.press("escape")
        await settle(app, pilot)
        assert said(app) == []  # the Google screen's notices did not follow


async def test_issue_14_e_on_details_of_someone_elses_event_says_why(make_app: MakeApp) -> None:
    app = make_app(user="ben")  # the 14:00 series is Carmen's
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        app.move_cursor(app.cursor_day, HANA)
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EventDetailsScreen)
        for key in ("e", "x", "delete"):
            await pilot.press(key)
            await settle(app, pilot)
            assert isinstance(app.screen, EventDetailsScreen), key  # stays; nothing asked
        texts = said(app)
        assert len(texts) == 3, texts
        assert all("may only change their own events" in t for t in texts), texts
        await pilot.press("y")  # duplicating needs no right to change the original
        await settle(app, pilot)
        assert isinstance(app.screen, EventEditorScreen)
        assert app.screen.item is None  # a new event, filled from the shown one


async def test_issue_14_notices_do_not_pile_over_a_dialog(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        app.move_cursor(app.cursor_day, 6)  # 03:00: nothing there
        await settle(app, pilot)
        await pilot.press("e", "right_square_bracket")
        await settle(app, pilot)
        assert len(said(app)) == 2  # "No event under the cursor", "No events in this slot"
        assert app.screen_stack[0].query("Toast")  # drawn (run_test hides toasts by default)
        await pilot.press("c")  # the "which kind?" question opens
        await settle(app, pilot)
        assert isinstance(app.screen, ChoiceModal)
        assert said(app) == []
        assert not app.screen_stack[0].query("Toast")  # nothing drawn behind the dialog
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("u")
        await settle(app, pilot)
        assert said(app) == ["Nothing to undo."]  # said after the change: it stays


async def test_issue_14_a_notice_said_at_start_is_not_cleared_by_the_first_screen(
    make_app: MakeApp, tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\n"calendar.nope" = "J"\n')
    app = make_app(config=load_config(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert any("keymap.calendar.nope is not a binding id" in t for t in said(app))


async def test_move_mode_shows_while_it_lasts_and_ends_off_the_grid(make_app: MakeApp) -> None:
    """``M`` says it is moving for as long as it is (the status bar, not only a passing
    notice); leaving the grid views ends it, so a later enter in the agenda moves nothing."""
    from textual.widgets import Label

    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        screen = calendar(app)
        for _ in range(8):  # down the day until an event is under the cursor
            if screen.cursor_event() is not None:
                break
            await pilot.press("down")
            await settle(app, pilot)
        item = screen.cursor_event()
        assert item is not None
        label = screen.query_one("#moving", Label)
        assert str(label.content) == ""
        await pilot.press("M")
        await settle(app, pilot)
        assert screen.moving is item
        assert str(label.content).startswith("MOVING ")
        assert "esc" in str(label.content)
        await pilot.press("a")  # the agenda: no slot to move it to
        await settle(app, pilot)
        assert app.view == "agenda"
        assert screen.moving is None
        assert str(label.content) == ""
        await pilot.press("w", "M", "escape")
        await settle(app, pilot)
        assert screen.moving is None
        assert str(label.content) == ""
