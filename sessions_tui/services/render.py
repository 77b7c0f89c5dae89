"""Plain-text rendering of agenda items, shared by the CLI and the agenda view."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sessions_tui.domain.events import Status
from sessions_tui.domain.subscriptions import is_subscribed
from sessions_tui.domain.text import safe_text
from sessions_tui.domain.timeutil import clock_text
from sessions_tui.services.agenda_item import AgendaItem


def time_range(item: AgendaItem, tz: ZoneInfo, *, hours12: bool = False) -> str:
    """``09:00–09:50`` (or ``9:00am–9:50am`` on a 12-hour clock), ``all day``."""
    if item.event.all_day:
        return "all day"
    assert isinstance(item.start, datetime)
    assert isinstance(item.end, datetime)
    s, e = item.start.astimezone(tz), item.end.astimezone(tz)
    return f"{clock_text(s, hours12)}–{clock_text(e, hours12)}"


def markers(item: AgendaItem) -> str:
    """Text markers, so nothing relies on colour alone."""
    out = []
    if item.hold is not None:
        return "[requested]"  # an online-booking request's held time, not an event
    if item.status is Status.CANCELLED:
        out.append("[cancelled]")
    elif item.status is Status.CONFIRMED:
        out.append("[confirmed]")
    if not item.event.busy:
        out.append("[free]")
    if item.event.notes_completed:
        out.append("[notes done]")
    if is_subscribed(item.event.source_calendar):
        out.append("[subscribed]")  # read-only, from an ICS subscription
    return " ".join(out)


def hold_initials(label: str) -> str:
    """A hold's label in privacy mode: the requester's initials (``Jo Lee`` → ``J.L.``);
    ``Hold`` (no name shown) stays as it is."""
    from sessions_tui.domain.holds import HOLD_LABEL

    if label == HOLD_LABEL:
        return label
    return "".join(w[0].upper() + "." for w in label.split()[:3]) or label


def describe(
    item: AgendaItem, tz: ZoneInfo, *, privacy: bool = False, hours12: bool = False
) -> str:
    title = item.title
    if privacy and item.client is not None:
        title = item.client.initials
    elif privacy and item.hold is not None:
        title = hold_initials(title)
    span = time_range(item, tz, hours12=hours12)
    parts = [f"{span:<16}" if hours12 else f"{span:<12}", title]
    if item.practitioner:
        parts.append(f"· {item.practitioner.name}")
    if item.location:
        parts.append(f"@ {item.location.name}")
    mark = markers(item)
    if mark:
        parts.append(mark)
    # Titles and names come from outside (ICS, Google, CSV, typed): never a control code.
    return safe_text(" ".join(parts))


def item_days(item: AgendaItem, tz: ZoneInfo) -> list[date]:
    """Local days an item touches (an all-day event on its dates)."""
    if isinstance(item.start, datetime) and isinstance(item.end, datetime):
        first = item.start.astimezone(tz).date()
        last = (item.end.astimezone(tz) - timedelta(microseconds=1)).date()
    else:
        first, last = item.start, item.end - timedelta(days=1)  # type: ignore[assignment,operator]
    days = []
    d = first
    while d <= last:
        days.append(d)
        d += timedelta(days=1)
    return days


def agenda_lines(
    items: Sequence[AgendaItem], tz: ZoneInfo, first: date, days: int, *, privacy: bool = False
) -> Iterator[str]:
    by_day: dict[date, list[AgendaItem]] = {}
    for it in items:
        for d in item_days(it, tz):
            by_day.setdefault(d, []).append(it)
    for n in range(days):
        d = first + timedelta(days=n)
        yield f"{d:%A, %b} {d.day}, {d.year}"
        todays = by_day.get(d, [])
        if not todays:
            yield "  (nothing scheduled)"
        for it in todays:
            yield "  " + describe(it, tz, privacy=privacy)
