"""Find the next free booking slot from the calendar cursor (the calendar's ``F`` key).

Asks for a session length (the practitioner's default), then looks, in a thread worker, for the
earliest open booking slot of the practitioners in the filter from the cursor on
(:func:`sessions_tui.services.availability.first_open_slot`), and moves the cursor there.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from sessions_tui.domain.errors import SessionsError

if TYPE_CHECKING:
    from sessions_tui.app import SessionsApp
    from sessions_tui.domain.model import Staff
    from sessions_tui.services.availability import OpenSlot

MAX_MINUTES = 12 * 60


def parse_minutes(text: str) -> int:
    """Whole minutes, 5 to 720; raises ValueError with the words to show."""
    value = text.strip()
    if not value.isdigit():
        raise ValueError(f"Length: {value or 'nothing'!r} is not a number of minutes (e.g. 50)")
    minutes = int(value)
    if not 5 <= minutes <= MAX_MINUTES:
        raise ValueError(f"Length: {minutes} minutes is out of range (5 to {MAX_MINUTES})")
    return minutes


class SessionLengthModal(ModalScreen[int | None]):
    """How long a session to look for, in minutes; enter searches, escape cancels.

    | Key | Action |
    | --- | --- |
    | enter | Find the next free slot of that length |
    | escape | Close, nothing happens |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "cancel", "Cancel", id="free-slot.cancel", tooltip="Close without searching"
        ),
    ]

    DEFAULT_CSS = """
    SessionLengthModal { align: center middle; }
    SessionLengthModal > Vertical { width: 60; max-width: 96%; height: auto;
                                    border: thick $accent; background: $surface; padding: 0 1; }
    SessionLengthModal .form-title { text-style: bold; padding: 0 0 1 0; }
    SessionLengthModal #length-error { color: $error; text-style: bold; }
    """

    def __init__(self, minutes: int, who: str) -> None:
        super().__init__(id="session-length")
        self.minutes = minutes
        self.who = who

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Next free booking slot for {self.who}", classes="form-title")
            yield Label("Session length in minutes")
            yield Input(str(self.minutes), id="length-minutes")
            yield Label("", id="length-error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        try:
            minutes = parse_minutes(event.value)
        except ValueError as exc:
            self.query_one("#length-error", Label).update(str(exc))
            return
        self.dismiss(minutes)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _filter_people(app: SessionsApp) -> list[Staff]:
    facts = app.facts
    if facts is None:
        return []
    ids = app.filters.practitioner_ids
    return [p for p in facts.practitioners if ids is None or p.id in ids]


def default_minutes(app: SessionsApp, people: list[Staff]) -> int:
    """The session length offered: the user's own when they are in the filter, else the first's."""
    actor = app.ctx.actor
    mine = next((p for p in people if actor is not None and p.id == actor.id), None)
    chosen = mine or (people[0] if people else None)
    return chosen.default_session_minutes if chosen else 50


def cursor_start(app: SessionsApp) -> datetime:
    """Where the search starts: the cursor slot (week/day), else the cursor day's midnight."""
    if app.view in ("week", "day", "team"):
        from sessions_tui.widgets.time_grid import SLOT_MINUTES

        minutes = app.cursor_slot * SLOT_MINUTES
        wall = time(minutes // 60, minutes % 60)
    else:
        wall = time(0)
    return datetime.combine(app.cursor_day, wall, tzinfo=app.tz)


def find_next_free_slot(app: SessionsApp) -> None:
    """Ask for a length, then search in a worker and move the cursor to what is found."""
    if app.facts is None:
        app.notify("Still loading practitioners; try again in a moment.")
        return
    people = _filter_people(app)
    if not people:
        app.notify("No practitioner in the filter: choose some with f.", severity="warning")
        return
    who = people[0].name if len(people) == 1 else f"{len(people)} practitioners"

    def asked(minutes: int | None) -> None:
        if minutes is not None:
            _search(app, people, cursor_start(app), timedelta(minutes=minutes))

    app.push_screen(SessionLengthModal(default_minutes(app, people), who), asked)


def _search(app: SessionsApp, people: list[Staff], start: datetime, length: timedelta) -> None:
    from sessions_tui.services.availability import first_open_slot

    ctx, ids = app.ctx, [p.id for p in people]

    def run() -> None:
        try:
            found = first_open_slot(ctx, ids, start, length)
        except SessionsError as exc:
            app.call_from_thread(app.notify, str(exc), severity="error")
            return
        app.call_from_thread(_found, app, people, found, length)

    app.run_worker(
        run,
        thread=True,
        exclusive=True,
        group="free-slot",
        exit_on_error=False,
        description="Find the next free slot",
    )


def _found(app: SessionsApp, people: list[Staff], slot: OpenSlot | None, length: timedelta) -> None:
    from sessions_tui.services.availability import SEARCH_DAYS
    from sessions_tui.widgets.time_grid import slot_of

    minutes = int(length.total_seconds() // 60)
    if slot is None:
        app.notify(
            f"No free {minutes}-minute slot in the next {SEARCH_DAYS} days.", severity="warning"
        )
        return
    start = slot.start.astimezone(app.tz)
    end = slot.end.astimezone(app.tz)
    app.move_cursor(start.date(), slot_of(start, app.tz))
    name = next((p.name for p in people if p.id == slot.practitioner_id), "")
    app.notify(
        f"Next free {minutes} minutes: {start:%a %b} {start.day} "
        f"{start:%H:%M}–{end:%H:%M} {name}".rstrip(),
        title="Free slot",
    )
