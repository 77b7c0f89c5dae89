"""An event's details, read-only: times in the display zone and the event's own zone, people,
place, status, notes and recurrence, and its history from the audit log (who changed what, when;
loaded in a thread worker).

| Key | Action |
| --- | --- |
| e, y, x, delete | Edit, duplicate, cancel, delete this event (back on the calendar) |
| escape | Back to the calendar |
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from sessions_tui.domain.events import EventKind, Status
from sessions_tui.domain.subscriptions import MARK as SUBSCRIPTION_MARK
from sessions_tui.domain.subscriptions import is_subscribed
from sessions_tui.domain.text import safe_text
from sessions_tui.domain.timeutil import clock_text, zone, zone_label
from sessions_tui.messages import ReportsWorkerFailures
from sessions_tui.services.calendar import display_title
from sessions_tui.services.scheduling import AgendaItem

if TYPE_CHECKING:
    from sessions_tui.services.audit import AuditEntry
    from sessions_tui.services.context import Context

FREQ = {"DAILY": "Daily", "WEEKLY": "Weekly", "MONTHLY": "Monthly", "YEARLY": "Yearly"}
EVERY = {"DAILY": "days", "WEEKLY": "weeks", "MONTHLY": "months", "YEARLY": "years"}
DAYS = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe_rrule(rrule: str, first: datetime | None = None) -> str:
    """A series in words: ``FREQ=WEEKLY;COUNT=8`` starting on a Monday → ``Weekly on Monday,
    8 times``; ``FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH`` → ``Every 2 weeks on Monday and
    Thursday``. Parts it does not know are left out rather than shown raw."""
    parts = dict(p.split("=", 1) for p in rrule.split(";") if "=" in p)
    freq = parts.get("FREQ", "")
    interval = parts.get("INTERVAL", "1")
    if interval != "1" and freq in EVERY:
        text = f"Every {interval} {EVERY[freq]}"
    else:
        text = FREQ.get(freq, "Repeats")
    if "BYDAY" in parts:
        days = [DAYS.get(d[-2:], d) for d in parts["BYDAY"].split(",")]
        text += " on " + _and(days)
    elif freq == "WEEKLY" and first is not None:
        text += f" on {first:%A}"
    if "COUNT" in parts:
        text += f", {parts['COUNT']} times"
    if "UNTIL" in parts:
        until = parts["UNTIL"]
        text += (
            f", until {until[:4]}-{until[4:6]}-{until[6:8]}"
            if len(until) >= 8
            else f", until {until}"
        )
    return text


def recurrence_text(item: AgendaItem) -> str:
    ev = item.event
    if ev.rrule:
        from sessions_tui.domain.rrule_text import rule_in_words

        start = ev.start if isinstance(ev.start, datetime) else None
        tz = zone(ev.tzid) if ev.tzid else None
        local = start.astimezone(tz) if start and tz else start
        first = local.date() if local is not None else ev.start
        assert isinstance(first, date)
        # The editor's words (domain.rrule_text: "Monthly on the 4th Wednesday", an UNTIL in
        # the event's zone); rules they do not cover keep this module's shorter reading.
        return rule_in_words(ev.rrule, first, tz) or describe_rrule(ev.rrule, local)
    if ev.series_id is not None:
        return "One occurrence of a recurring series, changed from the series"
    return "Does not repeat"


def when_text(item: AgendaItem, tz: ZoneInfo, *, hours12: bool = False) -> str:
    if isinstance(item.start, datetime) and isinstance(item.end, datetime):
        s, e = item.start.astimezone(tz), item.end.astimezone(tz)
        day = f"{s:%a, %b} {s.day}, {s.year}"
        e_at = clock_text(e, hours12)
        end = e_at if e.date() == s.date() else f"{e:%a, %b} {e.day} {e_at}"
        return f"{day} {clock_text(s, hours12)}–{end}  {zone_label(tz, s)}"
    last = item.end - timedelta(days=1)  # type: ignore[operator]
    first = item.start
    if last == first:
        return f"{first:%a, %b} {first.day}, {first.year}, all day"
    return f"{first:%a, %b} {first.day} – {last:%a, %b} {last.day}, {last.year}, all day"


def detail_lines(
    item: AgendaItem, tz: ZoneInfo, *, privacy: bool, hours12: bool = False
) -> list[tuple[str, str]]:
    """``(label, value)`` pairs shown on the details screen."""
    ev = item.event
    rows: list[tuple[str, str]] = [("When", when_text(item, tz, hours12=hours12))]
    if isinstance(item.start, datetime):
        own = zone(ev.tzid)
        rows.append(("Own zone", when_text(item, own, hours12=hours12)))
    rows.append(("Kind", "Client session" if ev.kind is EventKind.SESSION else "Other event"))
    if item.client is not None:
        client = item.client.initials if privacy else item.client.full_name
        if item.client.internal_id:
            client += f" ({item.client.internal_id})"
        rows.append(("Client", client))
    elif ev.title:
        rows.append(("Title", ev.title))
    rows.append(("Practitioner", item.practitioner.name if item.practitioner else "Whole practice"))
    rows.append(("Location", item.location.name if item.location else "None"))
    rows.append(
        (
            "Status",
            "✗ cancelled"
            if ev.is_cancelled
            else "✔ confirmed by the client"
            if ev.status is Status.CONFIRMED
            else "scheduled",
        )
    )
    rows.append(("Busy", "busy" if ev.busy else "○ free (does not block time)"))
    if ev.kind is EventKind.SESSION:
        rows.append(("Notes", "✓ completed" if ev.notes_completed else "not yet"))
    rows.append(("Repeats", recurrence_text(item)))
    if is_subscribed(ev.source_calendar):
        rows.append(
            ("From", f"{SUBSCRIPTION_MARK} an ICS subscription (read-only: it changes in its feed)")
        )
    elif ev.source_calendar:
        rows.append(("From", f"◇ {ev.source_calendar}"))
    # Names and titles come from outside (ICS, Google, CSV, typed): no control code shown.
    return [(label, safe_text(value)) for label, value in rows]


def history_lines(entries: Sequence[AuditEntry], tz: ZoneInfo) -> list[str]:
    """One line per recorded change, oldest first, the time in the display zone."""
    out = []
    for entry in entries:
        text = entry.summary()
        _utc, sep, rest = text.partition(" UTC  ")
        try:
            at = datetime.fromisoformat(entry.at.replace("Z", "+00:00"))
        except ValueError:
            at = None
        if sep and at is not None and at.tzinfo is not None:
            local = at.astimezone(tz)
            text = f"{local:%Y-%m-%d %H:%M} {zone_label(tz, local).split()[-1].strip('()')}  {rest}"
        out.append(safe_text(text))
    return out


class EventDetailsScreen(ReportsWorkerFailures, Screen[str | None]):
    """Read-only details of one occurrence. It closes with the action to take on the event
    (``edit``, ``duplicate``, ``cancel``, ``delete``: see ``event_actions.ACTIONS``), or None;
    the calendar that opened it runs the action."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="details.close", tooltip="Back to the calendar"),
        Binding("e", "act('edit')", "Edit", id="details.edit", tooltip="Edit this event"),
        Binding(
            "y",
            "act('duplicate')",
            "Duplicate",
            id="details.duplicate",
            tooltip="Copy this event into a new one",
        ),
        Binding(
            "x",
            "act('cancel')",
            "Cancel event",
            id="details.cancel-event",
            tooltip="Cancel this event (kept, shown as cancelled)",
        ),
        Binding(
            "delete",
            "act('delete')",
            "Delete",
            id="details.delete",
            tooltip="Delete this event (asks first)",
        ),
    ]

    DEFAULT_CSS = """
    EventDetailsScreen VerticalScroll { padding: 1 2; }
    EventDetailsScreen #details-title { text-style: bold; margin-bottom: 1; }
    EventDetailsScreen #history-title { text-style: bold; margin-top: 1; }
    EventDetailsScreen #history { color: $text-muted; }
    """

    class HistoryLoaded(Message):
        """The event's audit history, as lines (from the worker)."""

        def __init__(self, lines: Sequence[str]) -> None:
            super().__init__()
            self.lines = lines

    def __init__(self, item: AgendaItem, tz: ZoneInfo, *, privacy: bool) -> None:
        super().__init__()
        self.item = item
        self.tz = tz
        self.privacy = privacy

    def compose(self) -> ComposeResult:
        title = display_title(self.item, privacy=self.privacy)
        if self.item.event.is_cancelled:
            title += " [cancelled]"
        with VerticalScroll():
            yield Static(title, id="details-title", markup=False)
            hours12 = bool(getattr(self.app, "hours12", False))
            for label, value in detail_lines(
                self.item, self.tz, privacy=self.privacy, hours12=hours12
            ):
                yield Static(f"{label + ':':<14}{value}", classes="detail", markup=False)
            yield Static("History", id="history-title")
            yield Static("Loading history…", id="history", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
        event = self.item.event
        # An override's changes are recorded with its series; show the whole series' history.
        event_id = event.series_id or event.id
        ctx = getattr(self.app, "ctx", None)
        if event_id is not None and ctx is not None:
            self.load_history(ctx, event_id)
        else:
            self.query_one("#history", Static).update("No history recorded.")

    @work(
        thread=True,
        exclusive=True,
        group="history",
        exit_on_error=False,
        description="Load the event's history",
    )
    def load_history(self, ctx: Context, event_id: int) -> None:
        from sessions_tui.domain.errors import SessionsError
        from sessions_tui.services.audit import event_history

        try:
            lines = history_lines(event_history(ctx, event_id), self.tz)
        except SessionsError as exc:
            lines = [f"History not available: {exc.message}"]
        self.post_message(self.HistoryLoaded(lines or ["No changes recorded."]))

    def on_event_details_screen_history_loaded(self, message: HistoryLoaded) -> None:
        self.query_one("#history", Static).update("\n".join(message.lines))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_act(self, action: str) -> None:
        """Back to the calendar, which does ``action`` with this event; refused here, in one
        line, when the user may not change it (before any question is asked)."""
        from sessions_tui.screens.event_actions import CHANGING, refusal

        ctx = getattr(self.app, "ctx", None)
        if action in CHANGING and ctx is not None:
            why = refusal(ctx, self.item)
            if why is not None:
                self.notify(why, severity="error", timeout=5)
                return
        self.dismiss(action)
