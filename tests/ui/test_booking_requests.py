"""The TUI's Requests screen (issue 16): a request from the web reaches an open app live, and
a scheduler accepts or declines it with keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from app_fixtures import CLOCK
from textual.pilot import Pilot
from textual.widgets import DataTable, Input
from textual.worker import WorkerCancelled

from sessions_tui.app import SessionsApp
from sessions_tui.screens.requests import ReasonModal, RequestsScreen
from sessions_tui.services import booking, booking_requests
from sessions_tui.services.booking import Visitor
from sessions_tui.services.context import make_context
from sessions_tui.store.db import open_database

MakeApp = Callable[..., SessionsApp]


async def settle(app: SessionsApp, pilot: Pilot[None]) -> None:
    for _ in range(20):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            return


def ask(db_path: Path, name: str, email: str, nth: int = 0) -> int:
    """A visitor's request on Ben's demo page (another connection, like the web service)."""
    db = open_database(str(db_path))
    try:
        page = booking.page_for_key(db, "ben")
        assert page is not None
        service = page.services[1]
        now = CLOCK.now()
        slots = booking.page_slots(db, CLOCK, page, service, now, now + timedelta(days=7))
        row = booking.create_request(
            db, CLOCK, page, service.name, slots[nth].start, Visitor(name, email), "UTC"
        )
        assert row.id is not None
        return row.id
    finally:
        db.dispose()


async def test_issue_16_request_reaches_open_app_and_is_accepted(
    make_app: MakeApp, demo_db: Path
) -> None:
    app = make_app(user="sam")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.sub_title == ""
        ask(demo_db, "Jo Visitor", "jo@example.org")
        # The watcher sees the other connection's commit; the badge and a notice follow.
        for _ in range(100):
            await pilot.pause(0.1)
            await settle(app, pilot)
            if app.sub_title:
                break
        assert app.sub_title == "1 booking request"
        await pilot.press("R")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, RequestsScreen)
        table = screen.query_one("#requests-table", DataTable)
        assert table.row_count == 1
        assert "Jo Visitor" in [str(c) for c in table.get_row_at(0)]
        await pilot.press("a")
        await settle(app, pilot)
        assert table.row_count == 0
    db = open_database(str(demo_db))
    try:
        sam = make_context(db, CLOCK, "sam")
        done = booking_requests.list_requests(sam, status="accepted")
        assert [r.name for r in done] == ["Jo Visitor"]
        assert done[0].event_id is not None
    finally:
        db.dispose()


async def test_issue_16_decline_with_reason_from_the_screen(
    make_app: MakeApp, demo_db: Path
) -> None:
    ask(demo_db, "Kim Lee", "kim@example.org")
    app = make_app(user="ben")  # the practitioner answers their own requests
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("R")
        await settle(app, pilot)
        assert isinstance(app.screen, RequestsScreen)
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, ReasonModal)
        app.screen.query_one("#reason", Input).value = "Away that week"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, RequestsScreen)
        assert app.screen.query_one("#requests-table", DataTable).row_count == 0
    db = open_database(str(demo_db))
    try:
        declined = booking_requests.list_requests(make_context(db, CLOCK, "sam"), status="declined")
        assert [(r.name, r.reason) for r in declined] == [("Kim Lee", "Away that week")]
    finally:
        db.dispose()


async def test_issue_16_booking_settings_screen_edits_and_refuses(
    make_app: MakeApp, demo_db: Path
) -> None:
    from sessions_tui.screens.booking_settings import (
        BookingSettingsFormModal,
        BookingSettingsScreen,
    )

    app = make_app(user="carmen")  # a practitioner: only her own page
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.push_screen(BookingSettingsScreen())
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, BookingSettingsScreen)
        assert [s.practitioner_name for s in screen.rows] == ["Carmen Liu"]
        await pilot.press("enter")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, BookingSettingsFormModal)
        form.query_one("#services", Input).value = "Consultation=45"
        form.query_one("#notice_minutes", Input).value = "soon"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, BookingSettingsFormModal)  # refused, in words, kept open
        assert "whole number" in str(form.query_one("#notice_minutes-error").render())
        form.query_one("#notice_minutes", Input).value = "120"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, BookingSettingsScreen)
    db = open_database(str(demo_db))
    try:
        carmen = make_context(db, CLOCK, "carmen")
        mine = booking.get_settings(carmen, carmen.require_actor().id)
        assert [(s.name, s.minutes) for s in mine.services] == [("Consultation", 45)]
        assert mine.notice_minutes == 120
    finally:
        db.dispose()


async def test_requests_screen_shows_a_visitors_brackets_as_typed(
    make_app: MakeApp, demo_db: Path
) -> None:
    """A name typed on the public page is text, not markup: "[/]" once crashed the app when a
    scheduler opened the requests (MarkupError), and "[bold]" restyled the table."""
    name = "Ann [/] [bold]Lee"
    ask(demo_db, name, "ann@example.org")
    app = make_app(user="sam")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("R")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, RequestsScreen)
        table = screen.query_one("#requests-table", DataTable)
        assert table.row_count == 1
        assert name in [str(c) for c in table.get_row_at(0)]
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, ReasonModal)
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert table.row_count == 0
        await pilot.press("escape", "a")  # the booked session, by name, in the agenda view
        await settle(app, pilot)
        assert app.is_running
