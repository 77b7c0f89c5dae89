"""Issue 14: help is written for users (keys as printed, what each does, where it works; no
binding ids, no Textual key names) and finds keys as you type; the keys shown are those in
force after the config's ``[keymap]``."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from sessions_tui.app import SessionsApp
from sessions_tui.config import Config
from sessions_tui.logs import log_path
from sessions_tui.screens.help import HelpScreen, key_label, key_rows, textual_key
from sessions_tui.widgets.key_table import KeyTable

MakeApp = Callable[..., SessionsApp]


async def _settle(app: SessionsApp, pilot: Pilot[None]) -> None:
    for _ in range(10):
        try:
            await app.workers.wait_for_complete()
            break
        except WorkerCancelled:
            continue
    await pilot.pause()


def _screen_text(app: SessionsApp) -> str:
    """What the terminal shows, line by line (the help's visible rows and its intro)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_issue_14_help_speaks_to_users(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = _screen_text(app)
        assert "What it does" in text
        assert "Where" in text
        assert "Back to the calendar from any screen" in text
        assert "Log file:" in text
        assert str(log_path()) in str(app.screen.query_one("#help-intro").content)  # type: ignore[attr-defined]
        for developer in ("full_stop", "question_mark", "app.help", "Id", "generated", "Generated"):
            assert developer not in text, developer
        table = app.screen.query_one(KeyTable)
        every = table.shown
        # Type to find: only the matching rows stay, with their place.
        await pilot.press("p", "r", "i", "v", "a", "c", "y")
        await pilot.pause()
        assert 0 < table.shown < every
        text = _screen_text(app)
        assert "Show client initials instead of names" in text
        assert "Calendar" in text
        assert " P " in text  # the key, as printed on the keyboard
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_issue_14_help_shows_the_keys_of_the_keymap(make_app: MakeApp) -> None:
    app = make_app(config=Config(keymap={"calendar.team": "ctrl+t", "app.actions": ";"}))
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        for key in "team":
            await pilot.press(key)
        await pilot.pause()
        assert "ctrl+t" in _screen_text(app)
        await pilot.press("escape", "semicolon")  # ";" as typed in [keymap] opens the … menu
        await pilot.pause()
        assert type(app.screen).__name__ != "CalendarScreen"


def test_issue_14_key_names_both_ways() -> None:
    assert key_label("full_stop,question_mark") == "., ?"
    assert key_label("full_stop") == "."
    assert key_label("ctrl+right_square_bracket") == "ctrl+]"
    assert key_label("escape") == "esc"
    assert textual_key(".") == "full_stop"
    assert textual_key("ctrl+]") == "ctrl+right_square_bracket"
    assert textual_key("/") == "slash"
    assert textual_key("escape") == "escape"
    # Every key the help prints reads back as the binding's own key.
    for row in key_rows():
        for shown in row.keys.split(", "):
            assert "_" not in shown or shown in ("page up",), shown
