"""Issue 15: a title with OSC and CSI sequences, imported from an .ics file, reaches no rendered
widget as control codes (what the terminal would be sent is checked), in the week, month and
agenda views, the event details and the search results; and the palette has no Screenshot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from test_appointments_ui import press, settle

from sessions_tui.app import SessionsApp
from sessions_tui.screens.event_details import EventDetailsScreen
from sessions_tui.screens.search import SearchScreen
from sessions_tui.services.context import make_context
from sessions_tui.store.db import open_database
from sessions_tui.sync.ics import import_calendar

MakeApp = Callable[..., SessionsApp]
HOSTILE = "Evil\x1b]0;pwned\x07 title\x1b[2J\x9b31m"
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\n"
    "UID:hostile-ui@example.com\r\nDTSTAMP:20261101T000000Z\r\n"
    "DTSTART;VALUE=DATE:20261125\r\nDTEND;VALUE=DATE:20261126\r\n"
    f"SUMMARY:{HOSTILE}\r\nLOCATION:Annex\x1b]2;owned\x07\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
).encode()


def _plant(demo_db: Path) -> None:
    from sessions_tui.clock import FixedClock
    from sessions_tui.domain.timeutil import parse_aware

    db = open_database(str(demo_db))
    try:
        ctx = make_context(db, FixedClock(parse_aware("2026-11-25T10:00:00-06:00")), "alice")
        actor = ctx.require_actor()
        import_calendar(ctx, ICS, practitioner_id=actor.id, name="evil.ics")
    finally:
        db.dispose()


def terminal_output(app: SessionsApp) -> str:
    """What a full redraw of the current screen would write to the terminal."""
    update = app.screen._compositor.render_update(full=True)
    assert update is not None
    return update.render_segments(app.console)  # type: ignore[attr-defined,no-any-return]


def _clean(out: str) -> None:
    for raw in ("\x1b]0;pwned", "\x1b]2;owned", "\x1b[2J", "\x07", "\x9b"):
        assert raw not in out, raw


async def test_issue_15_hostile_title_reaches_no_widget(make_app: MakeApp, demo_db: Path) -> None:
    _plant(demo_db)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        for keys in (("w",), ("m",), ("d",), ("a",)):
            await press(app, pilot, *keys)
            out = terminal_output(app)
            _clean(out)
            assert "pwned" in out, keys  # shown, visibly
        await press(app, pilot, "enter")  # the all-day event comes first today
        assert isinstance(app.screen, EventDetailsScreen)
        out = terminal_output(app)
        _clean(out)
        assert "pwned" in out
        await press(app, pilot, "escape", "slash")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"Evil")
        await settle(app, pilot)
        await press(app, pilot, "enter")
        out = terminal_output(app)
        _clean(out)
        assert "pwned" in out


async def test_issue_15_palette_has_no_screenshot(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Screenshot" not in titles
        assert "Quit" in " ".join(titles)
        app.action_screenshot()
        await settle(app, pilot)
        assert list(Path.cwd().glob("*.svg")) == []
