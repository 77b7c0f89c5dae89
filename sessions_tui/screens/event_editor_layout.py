"""The appointment form's layout: its fields, their ids and its CSS.

:func:`editor_fields` yields the widgets of the event editor's form
(:class:`sessions_tui.screens.event_editor.EventEditorScreen`). A field ``x`` is the widget
``#x`` and, where it has one, its error line is ``#x-error``; ``#form-error`` takes the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, OptionList, Select, Static

from sessions_tui.domain.events import Status
from sessions_tui.domain.model import Location, Staff
from sessions_tui.domain.rrule_text import repeat_options
from sessions_tui.screens.form_modal import TickBox
from sessions_tui.services.event_form import EventForm, form_day

FIELDS = (
    "client",
    "practitioner",
    "location",
    "title",
    "all_day",
    "busy",
    "date",
    "start",
    "end_date",
    "end",
    "minutes",
    "recurrence",
    "count",
    "until",
    "custom_rrule",
    "notes_completed",
    "status",
    "form",
)
"""The names whose error lines (``#<name>-error``, where there is one) a save clears first."""

EDITOR_CSS = """
    EventEditorScreen VerticalScroll { padding: 0 1; }
    EventEditorScreen #editor-title { text-style: bold; padding: 0 0 0 0; }
    EventEditorScreen .row { height: auto; }
    EventEditorScreen .field-label { width: 13; padding: 0 1 0 0; height: 1; margin: 0; }
    EventEditorScreen .short-label { width: auto; padding: 0 1 0 2; height: 1; }
    EventEditorScreen Input { width: 1fr; }
    EventEditorScreen Input.date { width: 14; }
    EventEditorScreen Input.time { width: 9; }
    EventEditorScreen Input.minutes { width: 7; }
    EventEditorScreen Select { width: 1fr; }
    EventEditorScreen Select.narrow { width: 22; }
    EventEditorScreen #client-matches { height: auto; max-height: 5; margin: 0 0 0 13; }
    EventEditorScreen #client-matches.-hidden { display: none; }
    EventEditorScreen .error { color: $error; margin: 0 0 0 13; height: auto; }
    EventEditorScreen .error.-empty { display: none; }
    EventEditorScreen .words { color: $text-muted; margin: 0 0 0 13; height: auto; }
    EventEditorScreen .words.-empty { display: none; }
    EventEditorScreen #custom-row.-hidden { display: none; }
    EventEditorScreen .-hidden { display: none; }
    EventEditorScreen #buttons { height: auto; margin: 1 0 0 13; }
    EventEditorScreen #buttons Button { margin: 0 2 0 0; min-width: 14; }
"""


def editor_fields(
    form: EventForm,
    *,
    title: str,
    session: bool,
    people: Sequence[Staff],
    places: Sequence[Location],
    client_text: str,
    hours12: bool = False,
) -> ComposeResult:
    """The form's widgets, filled from ``form``: a client session's fields when ``session``,
    else another event's; ``people`` and ``places`` are the practitioner and location choices;
    ``hours12``: the time fields' hint is for a 12-hour clock."""
    with VerticalScroll(id="editor-form"):
        yield Static(title, id="editor-title")
        if session:
            with Horizontal(classes="row"):
                yield Label("Client", classes="field-label")
                yield Input(
                    value=client_text,
                    id="client",
                    placeholder="type a client's name",
                    compact=True,
                )
            yield OptionList(id="client-matches", classes="-hidden")
            yield Static("", id="client-error", classes="error -empty")
        else:
            with Horizontal(classes="row"):
                yield Label("Title", classes="field-label")
                yield Input(value=form.title, id="title", compact=True)
            yield Static("", id="title-error", classes="error -empty")
            with Horizontal(classes="row"):
                yield Label("All day", classes="field-label")
                yield TickBox("yes", value=form.all_day, id="all_day", compact=True)
                yield Label("Shows as", classes="short-label")
                yield Select(
                    [("busy", True), ("free", False)],
                    value=form.busy,
                    allow_blank=False,
                    id="busy",
                    classes="narrow",
                    compact=True,
                )
        with Horizontal(classes="row"):
            yield Label("Practitioner", classes="field-label")
            options: list[tuple[str, int]] = [(p.name, p.id) for p in people]
            if session:
                yield Select(
                    options,
                    value=form.practitioner_id if form.practitioner_id else Select.NULL,
                    prompt="choose…",
                    id="practitioner",
                    compact=True,
                )
            else:
                yield Select(
                    [("Whole practice", 0), *options],
                    value=form.practitioner_id or 0,
                    allow_blank=False,
                    id="practitioner",
                    compact=True,
                )
        yield Static("", id="practitioner-error", classes="error -empty")
        with Horizontal(classes="row"):
            yield Label("Location", classes="field-label")
            yield Select(
                [("No location", 0), *[(loc.name, loc.id) for loc in places]],
                value=form.location_id or 0,
                allow_blank=False,
                id="location",
                compact=True,
            )
        with Horizontal(classes="row"):
            yield Label("Date", classes="field-label")
            yield Input(
                value=form.date,
                id="date",
                classes="date",
                compact=True,
                placeholder="YYYY-MM-DD",
            )
            yield Label("Start", classes="short-label start-part")
            yield Input(
                value=form.start,
                id="start",
                classes="time start-part",
                compact=True,
                placeholder="2:30pm" if hours12 else "HH:MM",
            )
            if session:
                yield Label("Minutes", classes="short-label")
                yield Input(value=form.minutes, id="minutes", classes="minutes", compact=True)
        yield Static("", id="date-error", classes="error -empty")
        yield Static("", id="start-error", classes="error -empty")
        yield Static("", id="minutes-error", classes="error -empty")
        if not session:
            with Horizontal(classes="row"):
                yield Label("Ends", classes="field-label")
                yield Input(
                    value=form.end_date,
                    id="end_date",
                    classes="date",
                    compact=True,
                    placeholder="YYYY-MM-DD",
                )
                yield Label("at", classes="short-label start-part")
                yield Input(
                    value=form.end,
                    id="end",
                    classes="time start-part",
                    compact=True,
                    placeholder="2:30pm" if hours12 else "HH:MM",
                )
            yield Static("", id="end_date-error", classes="error -empty")
            yield Static("", id="end-error", classes="error -empty")
        with Horizontal(classes="row"):
            yield Label("Repeats", classes="field-label")
            yield Select(
                repeat_options(form_day(form)),
                value=form.recurrence,
                allow_blank=False,
                id="recurrence",
                compact=True,
            )
        yield Static("", id="recurrence-error", classes="error -empty")
        with Horizontal(classes="row", id="ends-row"):
            yield Label("Ends", classes="field-label")
            yield Select(
                [("never", "never"), ("after", "after"), ("on date", "on")],
                value=form.ends,
                allow_blank=False,
                id="ends",
                classes="narrow",
                compact=True,
            )
            yield Input(
                value=form.count, id="count", classes="minutes", compact=True, placeholder="N"
            )
            yield Label("times", id="count-label", classes="short-label")
            yield Input(
                value=form.until, id="until", classes="date", compact=True, placeholder="YYYY-MM-DD"
            )
        yield Static("", id="count-error", classes="error -empty")
        yield Static("", id="until-error", classes="error -empty")
        with Horizontal(classes="row", id="custom-row"):
            yield Label("RRULE", classes="field-label")
            yield Input(
                value=form.custom_rrule,
                id="custom_rrule",
                compact=True,
                placeholder="FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10",
            )
        yield Static("", id="rule-words", classes="words -empty")
        yield Static("", id="custom_rrule-error", classes="error -empty")
        if session:
            with Horizontal(classes="row"):
                yield Label("Notes", classes="field-label")
                yield TickBox(
                    "completed", value=form.notes_completed, id="notes_completed", compact=True
                )
                yield Label("Status", classes="short-label")
                yield Select(
                    [
                        ("scheduled", Status.SCHEDULED),
                        ("confirmed", Status.CONFIRMED),
                        ("cancelled", Status.CANCELLED),
                    ],
                    value=form.status,
                    allow_blank=False,
                    id="status",
                    classes="narrow",
                    compact=True,
                )
        yield Static("", id="all_day-error", classes="error -empty")
        yield Static("", id="form-error", classes="error -empty")
        with Horizontal(id="buttons"):
            yield Button("Save", id="save", variant="primary", compact=True)
            yield Button("Cancel", id="cancel", compact=True)
