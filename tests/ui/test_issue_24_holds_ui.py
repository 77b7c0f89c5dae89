"""Issue 24, "Holds are on the calendar", with keys: a pending online-booking request for Ben on
Thu Nov 26 13:00–14:20 is drawn where it holds time in every view (named for alice, "Hold" for a
colleague who may not answer it), the event keys explain it instead of acting on it, creating
over it warns in the editor, and accepting a request onto booked time (``R``, ``a``) follows the
practice's double-booking rule: it asks, naming the clash, or is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from app_fixtures import CLOCK
from test_appointments_ui import choose, pick_client, press, settle
from textual.widgets import DataTable, Label

from sessions_tui.app import SessionsApp
from sessions_tui.domain.events import Event, EventKind
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.dialogs import ChoiceModal
from sessions_tui.screens.event_editor import EventEditorScreen
from sessions_tui.screens.requests import RequestsScreen
from sessions_tui.services import appointments, booking, booking_requests, practice
from sessions_tui.services.booking import Visitor
from sessions_tui.services.context import make_context
from sessions_tui.store.db import open_database
from sessions_tui.widgets.agenda_list import AgendaList
from sessions_tui.widgets.month_grid import MonthGrid
from sessions_tui.widgets.time_grid import TimeGrid

MakeApp = Callable[..., SessionsApp]
CHI = ZoneInfo("America/Chicago")
THU_13 = datetime(2026, 11, 26, 13, 0, tzinfo=CHI)


def ask(db_path: Path) -> int:
    """Jordan Lee asks for Ben's Intake (80 minutes) on Thu 13:00, as the web page does."""
    db = open_database(str(db_path))
    try:
        page = booking.page_for_key(db, "ben")
        assert page is not None
        row = booking.create_request(
            db, CLOCK, page, "Intake", THU_13, Visitor("Jordan Lee", "jo@example.org"), CHI.key
        )
        assert row.id is not None
        return row.id
    finally:
        db.dispose()


def book_ava_with_ben(db_path: Path, *, forbid: bool = False) -> None:
    db = open_database(str(db_path))
    try:
        alice = make_context(db, CLOCK, "alice")
        ben = practice.find_practitioner(alice, "ben")
        ava = next(c for c in practice.list_clients(alice) if c.full_name == "Ava Bennett")
        appointments.create(
            alice,
            Event(
                kind=EventKind.SESSION,
                start=THU_13,
                end=THU_13 + timedelta(minutes=50),
                tzid=CHI.key,
                practitioner_id=ben.id,
                client_id=ava.id,
            ),
        )
        if forbid:
            practice.update_settings(alice, allow_double_booking=False)
    finally:
        db.dispose()


def cell(app: SessionsApp, clock: str, column: int) -> str:
    """The text of one column (1 = the first day or person) on the grid row labelled ``clock``."""
    grid = app.screen.query_one(TimeGrid)
    for y in range(grid.size.height):
        line = grid.render_line(y).text
        if line.startswith(f" {clock} ") or line.startswith(f"▶{clock}"):
            return line.split("│")[column]
    raise AssertionError(f"no row {clock} on the grid")


def notices(app: SessionsApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_issue_24_hold_is_drawn_in_every_view(make_app: MakeApp, demo_db: Path) -> None:
    ask(demo_db)
    app = make_app(user="alice")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        # Week (Sun 22 … Sat 28): Thursday is the fifth column; Ben's letter, "?", the name.
        assert cell(app, "13:00", 5).startswith("B? Jordan"), cell(app, "13:00", 5)
        assert cell(app, "14:00", 5).startswith("┊")  # it holds 13:00-14:20
        assert cell(app, "12:00", 5).strip() in ("·", "")
        # The event keys say what it is instead of acting on it (no event is stored for it).
        await press(app, pilot, "right", *["down"] * 6)
        assert (app.cursor_day, app.cursor_slot) == (THU_13.date(), 26)
        await press(app, pilot, "e")
        assert isinstance(app.screen, CalendarScreen)
        assert any("held by Jordan Lee's online booking request" in t for t in notices(app))
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CalendarScreen), "no event details for a hold"
        # Day and team views.
        await press(app, pilot, "d")
        assert "? 13:00 Jordan Lee" in cell(app, "13:00", 1)
        await press(app, pilot, "T")
        people = [n for _p, n in app.screen.query_one(TimeGrid).people or []]
        ben_column = cell(app, "13:00", people.index("Ben Okafor") + 1)
        assert ben_column.startswith("B? "), ben_column
        assert "Jordan" in ben_column
        # Month: "?" and the name on Thursday; agenda: the line says "[requested]".
        await press(app, pilot, "m")
        month = app.screen.query_one(MonthGrid)
        assert [i.title for i in month.by_day[THU_13.date()] if i.hold] == ["Jordan Lee"]
        text = "\n".join(month.render_line(y).text for y in range(month.size.height))
        assert "B? Jordan" in text
        await press(app, pilot, "a")
        rows = [t for t, item, _d in app.screen.query_one(AgendaList).rows if item is not None]
        assert "13:00–14:20  Jordan Lee · Ben Okafor [requested]" in [r.strip() for r in rows]


async def test_issue_24_a_colleague_sees_hold_not_name(make_app: MakeApp, demo_db: Path) -> None:
    ask(demo_db)
    app = make_app(user="carmen")  # a practitioner: Ben's requests are not hers to answer
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        assert cell(app, "13:00", 5).startswith("B? Hold"), cell(app, "13:00", 5)
        grid = "\n".join(app.screen.query_one(TimeGrid).render_line(y).text for y in range(32))
        assert "Jordan" not in grid


async def test_issue_24_creating_over_a_hold_warns(make_app: MakeApp, demo_db: Path) -> None:
    ask(demo_db)
    app = make_app(user="alice")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "right", *["down"] * 6)  # Thu 26 13:00
        await press(app, pilot, "c")
        assert isinstance(app.screen, ChoiceModal)
        await press(app, pilot, "enter")  # client session
        assert isinstance(app.screen, EventEditorScreen)
        await pick_client(app, pilot, "Ava Bennett")
        await choose(app, pilot, "practitioner", "Ben Okafor")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, ChoiceModal), "asks before booking over the hold"
        detail = str(app.screen.query_one("#choice-detail", Label).content)
        assert "overlaps the booking request of Jordan Lee on Thu Nov 26 13:00" in detail
        await press(app, pilot, "enter")  # "Go back": nothing is booked
        assert isinstance(app.screen, EventEditorScreen)


async def test_issue_24_accepting_onto_booked_time_asks(make_app: MakeApp, demo_db: Path) -> None:
    rid = ask(demo_db)
    book_ava_with_ben(demo_db)
    app = make_app(user="alice")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "R")
        assert isinstance(app.screen, RequestsScreen)
        await press(app, pilot, "a")
        assert isinstance(app.screen, ChoiceModal), "the practice asks first"
        question = str(app.screen.query_one("#choice-question", Label).content)
        detail = str(app.screen.query_one("#choice-detail", Label).content)
        assert question == "Double-book Jordan Lee on Thu Nov 26 13:00?"
        assert detail == "Ben Okafor is already booked then: Ava Bennett Thu Nov 26 13:00–13:50."
        await press(app, pilot, "enter")  # "Go back": still pending
        assert isinstance(app.screen, RequestsScreen)
        assert app.screen.query_one("#requests-table", DataTable).row_count == 1
        await press(app, pilot, "a")
        assert isinstance(app.screen, ChoiceModal)
        await press(app, pilot, "down", "enter")  # "Book anyway"
        await settle(app, pilot)
        assert isinstance(app.screen, RequestsScreen)
        assert app.screen.query_one("#requests-table", DataTable).row_count == 0
    db = open_database(str(demo_db))
    try:
        done = booking_requests.list_requests(make_context(db, CLOCK, "sam"), status="accepted")
        assert [(r.id, r.name) for r in done] == [(rid, "Jordan Lee")]
    finally:
        db.dispose()


async def test_issue_24_accepting_onto_booked_time_refused_when_forbidden(
    make_app: MakeApp, demo_db: Path
) -> None:
    ask(demo_db)
    book_ava_with_ben(demo_db, forbid=True)
    app = make_app(user="alice")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "R", "a")
        assert isinstance(app.screen, RequestsScreen), "refused without a question"
        assert app.screen.query_one("#requests-table", DataTable).row_count == 1
        assert any(
            "double booking is not allowed" in t and "Ava Bennett Thu Nov 26 13:00" in t
            for t in notices(app)
        ), notices(app)
