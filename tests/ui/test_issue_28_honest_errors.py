"""Issue 28: a save that fails for the storage's sake (the disk full, a damaged file) says so in
the TUI in words naming the cause and the file, not "(OperationalError)"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app_fixtures import CHICAGO, CLOCK
from sqlalchemy import event
from test_appointments_ui import press, settle, type_text
from textual.widgets import Input, Static

from sessions_tui.app import SessionsApp
from sessions_tui.config import Config
from sessions_tui.screens.event_editor import EventEditorScreen
from sessions_tui.services.context import make_context
from sessions_tui.store.db import open_database


async def test_issue_28_tui_save_on_a_full_disk_says_the_disk_is_full(demo_db: Path) -> None:
    db = open_database(str(demo_db))

    def full(dbapi_connection: Any, _record: Any) -> None:
        # SQLite's max_page_count at the pages the file has: the next page it needs is refused
        # with SQLITE_FULL, as when the disk itself is full.
        (pages,) = dbapi_connection.execute("PRAGMA page_count").fetchone()
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    db.engine.dispose()
    event.listen(db.engine, "connect", full)
    app = SessionsApp(
        ctx=make_context(db, CLOCK, "alice"), tz=CHICAGO, config=Config(), clock=CLOCK
    )
    try:
        async with app.run_test(size=(100, 32)) as pilot:
            await settle(app, pilot)
            await press(app, pilot, "c")
            await press(app, pilot, "down", "enter")  # other event
            assert isinstance(app.screen, EventEditorScreen)
            await type_text(app, pilot, "title", "Team retreat")
            # A long title (the row needs a new page of the full file), pasted rather than
            # typed key by key: 1,000 key presses took a minute of the suite.
            title = app.screen.query_one("#title", Input)
            title.value += " " + "planning " * 100
            await settle(app, pilot)
            await press(app, pilot, "ctrl+s")
            assert isinstance(app.screen, EventEditorScreen)  # nothing lost: still open
            said = str(app.screen.query_one("#form-error", Static).content)
            assert "disk is full" in said
            assert str(demo_db) in said
            assert "OperationalError" not in said
    finally:
        db.dispose()


async def test_issue_28_tui_title_past_the_limit_is_refused_in_one_line(make_app: Any) -> None:
    from test_appointments_ui import focus_field
    from textual import events
    from textual.widgets import Input

    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "c")
        await press(app, pilot, "down", "enter")  # other event
        assert isinstance(app.screen, EventEditorScreen)
        await focus_field(app, pilot, "title")
        box = app.focused
        assert isinstance(box, Input)
        box.post_message(events.Paste("x" * 5_000))  # a paste, as a terminal sends one
        await settle(app, pilot)
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, EventEditorScreen)  # not saved, nothing lost
        said = str(app.screen.query_one("#title-error", Static).content)
        assert said == "a title is at most 1,000 characters (this one has 5,000)"
