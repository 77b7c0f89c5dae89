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
