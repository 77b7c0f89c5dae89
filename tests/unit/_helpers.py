"""Small builders shared by the unit tests (not fixtures: plain functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sessions_tui.domain.events import Event, EventKind, Occurrence
from sessions_tui.services import scheduling
from sessions_tui.services.context import Context


def local(day: date, at: time, tzid: str) -> datetime:
    """An aware datetime: wall-clock ``at`` on ``day`` in ``tzid``."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(tzid))


def timed(
    start: datetime,
    minutes: int = 60,
    *,
    tzid: str | None = None,
    title: str = "Meeting",
    rrule: str | None = None,
    **kw: Any,
) -> Event:
    """An "other" timed event (no practitioner unless given)."""
    zone = tzid or str(getattr(start.tzinfo, "key", "UTC"))
    return Event(
        kind=EventKind.OTHER,
        title=title,
        start=start,
        end=start + timedelta(minutes=minutes),
        tzid=zone,
        rrule=rrule,
        **kw,
    )


def all_day(
    first: date,
    days: int = 1,
    *,
    title: str = "Conference",
    tzid: str = "UTC",
    rrule: str | None = None,
    **kw: Any,
) -> Event:
    return Event(
        kind=EventKind.OTHER,
        title=title,
        start=first,
        end=first + timedelta(days=days),
        tzid=tzid,
        all_day=True,
        rrule=rrule,
        **kw,
    )


def window(
    ctx: Context, start: datetime, end: datetime, tz: str | ZoneInfo = "UTC", **filters: Any
) -> list[Occurrence]:
    """The store's window query through the service."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return scheduling.occurrences_in(ctx, start, end, zone, **filters)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def edit_event(ctx: Any, event_id: int, **changes: Any) -> Any:
    """Change a stored event (a whole series when it is one) through the service the UI uses
    (``appointments.edit``, scope all); returns the event as stored after."""
    from sessions_tui.services import appointments, scheduling

    start = scheduling.get_event(ctx, event_id).start
    ref = appointments.OccurrenceRef(event_id, start)
    appointments.edit(ctx, ref, appointments.Scope.ALL, **changes)
    return scheduling.get_event(ctx, event_id)


def cancel_event(ctx: Any, event_id: int) -> Any:
    """Cancel a stored event (all of a series) as the UI does; returns it as stored after."""
    from sessions_tui.domain.events import Status

    return edit_event(ctx, event_id, status=Status.CANCELLED)


def delete_event(ctx: Any, event_id: int) -> None:
    """Delete a stored event (a whole series) as the UI does (``appointments.remove``)."""
    from sessions_tui.services import appointments, scheduling

    start = scheduling.get_event(ctx, event_id).start
    appointments.remove(ctx, appointments.OccurrenceRef(event_id, start), appointments.Scope.ALL)
