"""Accept in the TUI asks which client (issue 27): a request from "Mallory Impostor" with Ava
Bennett's address (another letter case) names both and books only whom the user chooses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app_fixtures import CLOCK
from test_booking_requests import ask, settle  # type: ignore[import-not-found]
from textual.widgets import Label, OptionList

from sessions_tui.app import SessionsApp
from sessions_tui.screens.dialogs import ChoiceModal
from sessions_tui.screens.requests import RequestsScreen
from sessions_tui.services import booking_requests, practice
from sessions_tui.services.context import make_context
from sessions_tui.store.db import open_database

MakeApp = Callable[..., SessionsApp]


async def test_issue_27_accept_asks_which_client_and_names_both(
    make_app: MakeApp, demo_db: Path
) -> None:
    rid = ask(demo_db, "Mallory Impostor", "Ava.Bennett@EXAMPLE.org")
    app = make_app(user="sam")
    notices: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("R")
        await settle(app, pilot)
        assert isinstance(app.screen, RequestsScreen)
        await pilot.press("a")
        await settle(app, pilot)
        modal = app.screen
        assert isinstance(modal, ChoiceModal)
        shown = " ".join(str(w.render()) for w in modal.query(Label))
        assert "Mallory Impostor" in shown
        assert "Ava Bennett" in shown
        options = modal.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("Ava Bennett" in p for p in prompts)
        assert any("new client" in p and "Mallory Impostor" in p for p in prompts)
        await pilot.press("down", "enter")  # a new client
        await settle(app, pilot)
        assert isinstance(app.screen, RequestsScreen)
        notices = [n.message for n in app._notifications]
    db = open_database(str(demo_db))
    try:
        sam = make_context(db, CLOCK, "sam")
        (done,) = booking_requests.list_requests(sam, status="accepted")
        assert done.id == rid
        assert done.client_id is not None
        assert practice.get_client(sam, done.client_id).full_name == "Mallory Impostor"
    finally:
        db.dispose()
    assert any("Mallory Impostor" in n and "client" in n for n in notices)


async def test_issue_27_new_booking_link_is_shown_once_in_the_tui(
    make_app: MakeApp, demo_db: Path
) -> None:
    """`l` makes a new secret link and shows it this once; only its hash is stored, and the
    table shows no secret."""
    from textual.widgets import DataTable

    from sessions_tui.screens.booking_settings import BookingSettingsScreen

    app = make_app(user="carmen")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.push_screen(BookingSettingsScreen())
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, BookingSettingsScreen)
        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("down", "enter")  # "New link" (the first answer is "Go back")
        await settle(app, pilot)
        notices = [n.message for n in app._notifications if "/book/" in n.message]
        assert len(notices) == 1
        secret = notices[0].rsplit("/book/", 1)[1]
        assert len(secret) >= 20
        cells = [str(c) for c in screen.query_one("#booking-table", DataTable).get_row_at(0)]
        assert secret not in " ".join(cells)
    assert secret.encode() not in demo_db.read_bytes()
    wal = demo_db.with_name(demo_db.name + "-wal")
    assert not wal.exists() or secret.encode() not in wal.read_bytes()


async def test_issue_27_reminder_settings_warn_of_a_loopback_link_base(
    make_app: MakeApp, demo_db: Path
) -> None:
    """The demo's link base is this machine's: the page says no reminder goes until it is an
    address clients can open, and stops saying it once it is."""
    from textual.widgets import Input, Static

    from sessions_tui.screens.reminder_settings import ReminderSettingsScreen

    app = make_app(user="alice")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.push_screen(ReminderSettingsScreen())
        await settle(app, pilot)
        page = app.screen
        assert isinstance(page, ReminderSettingsScreen)
        warning = page.query_one("#base_url-error", Static)
        assert "no reminder is sent" in str(warning.render())
        page.query_one("#base_url", Input).value = "https://practice.example.org"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert str(warning.render()) == ""
