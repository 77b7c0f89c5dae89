"""Keyboard-only appointment flows: book, move, cancel, undo, all-day, and each refusal."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from textual.pilot import Pilot
from textual.widgets import Input, Select, Static
from textual.worker import Worker, WorkerError

from sessions_tui.app import SessionsApp
from sessions_tui.domain.events import Status
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.dialogs import ChoiceModal
from sessions_tui.screens.event_editor import EventEditorScreen
from sessions_tui.services import scheduling
from sessions_tui.services.scheduling import AgendaItem


async def finished(app: SessionsApp, workers: list[Worker[Any]]) -> None:
    """Until ``workers`` end, however they end (a failure is the app's to report, and a test's
    to check on screen; a superseded exclusive worker is cancelled)."""
    with contextlib.suppress(WorkerError):
        await app.workers.wait_for_complete(workers)


async def settle(app: SessionsApp, pilot: Pilot[None]) -> None:
    """Wait for the workers that load and save; not for those waiting on a question (a modal
    is open and waits for keys), nor the periodic change watcher."""
    waiting_on_people = {"change", "save", "watch", "sync"}
    for _ in range(200):
        await pilot.pause()
        busy = [w for w in app.workers if w.is_running and w.group not in waiting_on_people]
        if not busy:
            break
        await finished(app, busy)  # then pause again: their results arrive as messages
    await pilot.pause()


async def press(app: SessionsApp, pilot: Pilot[None], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)
        # A save or change in a thread: let it finish unless it is waiting on a question.
        for _ in range(200):
            pending = [w for w in app.workers if w.is_running and w.group in ("change", "save")]
            if not pending or app.screen.is_modal:
                break
            # Not wait_for_complete: a save may stop to ask (a modal opens), and then waits.
            await pilot.pause(0.02)
        await settle(app, pilot)


MakeApp = Callable[..., SessionsApp]
CHI = ZoneInfo("America/Chicago")


def calendar(app: SessionsApp) -> CalendarScreen:
    """The calendar screen (always at the bottom of the stack): it owns the appointment keys."""
    screen = app.screen_stack[0]
    assert isinstance(screen, CalendarScreen)
    return screen


async def focus_field(app: SessionsApp, pilot: Pilot[None], field_id: str) -> None:
    """Tab (keyboard only) until the field has focus."""
    for _ in range(40):
        if app.focused is not None and app.focused.id == field_id:
            return
        await pilot.press("tab")
        await pilot.pause()
    raise AssertionError(f"tab never reached #{field_id}")


async def type_text(app: SessionsApp, pilot: Pilot[None], field_id: str, text: str) -> None:
    await focus_field(app, pilot, field_id)
    box = app.focused
    assert isinstance(box, Input)
    await pilot.press("end")
    for _ in range(len(box.value)):
        await pilot.press("backspace")
    for ch in text:
        await pilot.press(ch if ch != " " else "space")
    await settle(app, pilot)


async def choose(app: SessionsApp, pilot: Pilot[None], field_id: str, label: str) -> None:
    """Open a Select with the keyboard and move to ``label``."""
    await focus_field(app, pilot, field_id)
    select = app.focused
    assert isinstance(select, Select)
    labels = [str(text) for text, _value in select._options]
    current = labels.index(
        next(str(text) for text, value in select._options if value == select.value)
    )
    await press(app, pilot, "enter")
    wanted = labels.index(label)
    for _ in range(abs(wanted - current)):
        await pilot.press("down" if wanted > current else "up")
    await press(app, pilot, "enter")
    assert str(dict((v, str(k)) for k, v in select._options)[select.value]) == label


def items(app: SessionsApp, first: date, days: int = 21) -> list[AgendaItem]:
    start = datetime.combine(first, datetime.min.time(), tzinfo=CHI)
    return scheduling.agenda(app.ctx, start, start + timedelta(days=days), CHI)


def ours(found: list[AgendaItem]) -> list[AgendaItem]:
    """The sessions this test books: Priya at 10:00 local from Tuesday Nov 24 on."""
    return [
        i
        for i in found
        if i.client
        and i.client.first_name == "Priya"
        and isinstance(i.start, datetime)
        and i.start.astimezone(CHI).hour == 10
        and i.start.astimezone(CHI).weekday() in (1, 2)
        and i.start >= datetime(2026, 11, 24, tzinfo=CHI)
    ]


async def start_session_form(app: SessionsApp, pilot: Pilot[None]) -> None:
    await settle(app, pilot)
    await press(app, pilot, "left", "enter")  # Tuesday Nov 24 10:00 is free
    assert isinstance(app.screen, ChoiceModal)
    await press(app, pilot, "enter")  # client session
    assert isinstance(app.screen, EventEditorScreen)


async def pick_client(app: SessionsApp, pilot: Pilot[None], text: str) -> None:
    await type_text(app, pilot, "client", text)
    await press(app, pilot, "enter")


async def test_book_weekly_session_move_cancel_following_undo(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await start_session_form(app, pilot)
        await pick_client(app, pilot, "Priya")
        assert app.screen.client is not None  # type: ignore[attr-defined]
        assert app.screen.client.first_name == "Priya"  # type: ignore[attr-defined]
        await choose(app, pilot, "recurrence", "Weekly on Tuesday")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, CalendarScreen), "saved and back on the calendar"
        booked = [
            i
            for i in items(app, date(2026, 11, 22))
            if i.client and i.client.first_name == "Priya" and i.event.rrule == "FREQ=WEEKLY"
        ]
        assert [i.start.astimezone(CHI).strftime("%a %d %H:%M") for i in booked] == [  # type: ignore[union-attr, attr-defined]
            "Tue 24 10:00",
            "Tue 01 10:00",
            "Tue 08 10:00",
        ]
        series_id = booked[0].event.id

        # Move the Dec 1 occurrence by a day: cursor there, M, right, enter, "This event".
        await press(app, pilot, "n")  # next week: cursor Tue Dec 1 10:00
        assert app.cursor_day == date(2026, 12, 1)
        assert calendar(app).cursor_event() is not None
        assert calendar(app).cursor_event().event.id == series_id
        await press(app, pilot, "M", "right", "enter")
        assert isinstance(app.screen, ChoiceModal)
        await press(app, pilot, "enter")  # this event
        if isinstance(app.screen, ChoiceModal):  # a warning (overlap / office hours)
            await press(app, pilot, "down", "enter")
        mine = [
            i
            for i in items(app, date(2026, 11, 22))
            if i.client
            and i.client.first_name == "Priya"
            and (i.event.id == series_id or i.event.series_id == series_id)
        ]
        times = [i.start.astimezone(CHI).strftime("%a %d %H:%M") for i in mine]  # type: ignore[union-attr, attr-defined]
        assert times == ["Tue 24 10:00", "Wed 02 10:00", "Tue 08 10:00"]

        # Cancel this and following from Dec 8.
        await press(app, pilot, "n", "left")  # Tue Dec 8
        assert app.cursor_day == date(2026, 12, 8)
        await press(app, pilot, "x")
        assert isinstance(app.screen, ChoiceModal)
        await press(app, pilot, "down", "enter")  # this and following
        mine = ours(items(app, date(2026, 11, 22), 35))
        statuses = [(i.start.astimezone(CHI).day, i.status) for i in mine]  # type: ignore[union-attr, attr-defined]
        assert statuses[:2] == [(24, Status.SCHEDULED), (2, Status.SCHEDULED)]
        assert all(s is Status.CANCELLED for _d, s in statuses[2:])
        assert len(statuses) > 3

        # Undo brings the following ones back.
        await press(app, pilot, "u")
        mine = ours(items(app, date(2026, 11, 22), 35))
        assert all(i.status is Status.SCHEDULED for i in mine)
        assert len(calendar(app).undo_stack) == 2


async def test_create_all_day_free_event(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "c")
        await press(app, pilot, "down", "enter")  # other event
        assert isinstance(app.screen, EventEditorScreen)
        await type_text(app, pilot, "title", "Practice closed")
        await focus_field(app, pilot, "all_day")
        await press(app, pilot, "space")
        await choose(app, pilot, "busy", "free")
        await type_text(app, pilot, "date", "2026-12-24")
        await type_text(app, pilot, "end_date", "2026-12-25")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, CalendarScreen)
        found = [i for i in items(app, date(2026, 12, 20), 10) if i.title == "Practice closed"]
        assert len(found) == 1
        ev = found[0].event
        assert (ev.all_day, ev.busy, ev.start, ev.end) == (
            True,
            False,
            date(2026, 12, 24),
            date(2026, 12, 26),
        )


def error_text(app: SessionsApp, field: str) -> str:
    return str(app.screen.query_one(f"#{field}-error", Static).content)


async def test_refusals_are_shown_next_to_fields(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await start_session_form(app, pilot)
        before = len(items(app, date(2026, 11, 22)))
        # Unknown client: typed, never picked.
        await type_text(app, pilot, "client", "Nobody Atall")
        await press(app, pilot, "ctrl+s")
        assert "choose a client" in error_text(app, "client")
        await pick_client(app, pilot, "Priya")
        # Bad RRULE.
        await choose(app, pilot, "recurrence", "Custom rule…")
        await type_text(app, pilot, "custom_rrule", "FREQ=SOMETIMES")
        await press(app, pilot, "ctrl+s")
        assert "frequency" in error_text(app, "custom_rrule")
        await choose(app, pilot, "recurrence", "Does not repeat")
        # A time that does not exist (clocks jump forward).
        await type_text(app, pilot, "date", "2027-03-14")
        await type_text(app, pilot, "start", "02:30")
        await press(app, pilot, "ctrl+s")
        assert "does not exist" in error_text(app, "start")
        # A time that happens twice: asked which one.
        await type_text(app, pilot, "date", "2026-11-01")
        await type_text(app, pilot, "start", "01:30")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, ChoiceModal)
        assert "happens twice" in str(app.screen.query_one("#choice-question").content)  # type: ignore[attr-defined]
        await press(app, pilot, "escape")
        assert isinstance(app.screen, EventEditorScreen)
        # Escape leaves with nothing changed.
        await press(app, pilot, "escape")
        assert isinstance(app.screen, CalendarScreen)
        assert len(items(app, date(2026, 11, 22))) == before


async def test_end_before_start_refused(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "c", "down", "enter")
        await type_text(app, pilot, "title", "Lunch")
        await type_text(app, pilot, "start", "13:00")
        await type_text(app, pilot, "end", "12:00")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, EventEditorScreen)
        assert error_text(app, "end") == "end is before start"


async def test_edit_and_delete_with_confirmation(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await start_session_form(app, pilot)
        await pick_client(app, pilot, "Priya")
        await press(app, pilot, "ctrl+s")
        assert calendar(app).cursor_event() is not None
        await press(app, pilot, "e")
        assert isinstance(app.screen, EventEditorScreen)
        await type_text(app, pilot, "minutes", "30")
        await press(app, pilot, "ctrl+s")
        item = calendar(app).cursor_event()
        assert item is not None
        assert item.event.duration == timedelta(minutes=30)
        await press(app, pilot, "delete")
        assert isinstance(app.screen, ChoiceModal)
        await press(app, pilot, "enter")  # the first answer is "Go back"
        assert calendar(app).cursor_event() is not None
        await press(app, pilot, "delete", "down", "enter")
        assert calendar(app).cursor_event() is None
        await press(app, pilot, "u")
        assert calendar(app).cursor_event() is not None
