"""Rows to domain objects, and the Python half of the window query, without SQLAlchemy.

Both readers of the store share this module: :mod:`sessions_tui.store.queries` (SQLAlchemy, every
backend) and :mod:`sessions_tui.store.fastread` (the stdlib ``sqlite3`` read path that
``sessions-tui agenda`` takes so that it never imports SQLAlchemy or SQLModel). A "row" here is
anything with the event table's column names as attributes and Python values (aware UTC
datetimes, dates, bools).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sessions_tui.domain.events import Event, EventKind, Instant, Occurrence, Status
from sessions_tui.domain.model import Client, Location, PracticeSettings, Role, Staff
from sessions_tui.domain.recurrence import occurrences


def recurrence_key(value: Instant) -> str:
    """Text key of a recurrence id: UTC ISO for instants, ISO date for all-day."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def parse_recurrence_key(key: str) -> Instant:
    if "T" in key:
        return datetime.fromisoformat(key)  # "...Z" is UTC (Python 3.11+)
    return date.fromisoformat(key)


def row_to_event(row: Any, exdates: Iterable[str] = ()) -> Event:
    start: Instant
    end: Instant
    if row.all_day:
        assert row.start_date is not None
        assert row.end_date is not None
        start, end = row.start_date, row.end_date
    else:
        start, end = row.start_utc, row.end_utc
    return Event(
        id=row.id,
        kind=EventKind(row.kind),
        title=row.title,
        practitioner_id=row.practitioner_id,
        client_id=row.client_id,
        location_id=row.location_id,
        all_day=row.all_day,
        start=start,
        end=end,
        tzid=row.tzid,
        busy=row.busy,
        status=Status(row.status),
        notes_completed=row.notes_completed,
        rrule=row.rrule,
        series_id=row.series_id,
        recurrence_id=parse_recurrence_key(row.recurrence_key) if row.recurrence_key else None,
        source_calendar=row.source_calendar,
        uid=row.uid,
        sequence=row.sequence,
        version=row.version,
        exdates=frozenset(parse_recurrence_key(k) for k in exdates),
    )


def staff_from_row(row: Any) -> Staff:
    assert row.id is not None
    return Staff(
        id=row.id,
        login=row.login,
        name=row.name,
        roles=frozenset(Role(r) for r in row.roles.split(",") if r),
        color=row.color,
        default_session_minutes=row.default_session_minutes,
    )


def client_from_row(row: Any) -> Client:
    assert row.id is not None
    return Client(row.id, row.first_name, row.last_name, row.internal_id)


def location_from_row(row: Any) -> Location:
    assert row.id is not None
    return Location(row.id, row.name, row.archived)


def settings_from_row(row: Any | None) -> PracticeSettings:
    if row is None:
        return PracticeSettings()
    return PracticeSettings(
        name=row.name,
        internal_ids=row.internal_ids,
        allow_double_booking=row.allow_double_booking,
        display_tz=row.display_tz,
        week_starts_monday=row.week_starts_monday,
        is_demo=bool(row.demo_seeded_for),
    )


def expand_window(
    singles: Iterable[Any],
    series: Iterable[Any],
    skips: Iterable[tuple[int, str | None]],
    start: datetime,
    end: datetime,
    display_tz: ZoneInfo,
) -> list[Occurrence]:
    """Occurrences in ``[start, end)`` of the rows the window query read, sorted by start.

    ``skips`` are ``(series id, recurrence key)`` pairs of the series' exdates and overrides:
    those occurrences are not generated from the series (an override in the window is among
    ``singles``).
    """
    result: list[Occurrence] = []
    for row in singles:
        result.extend(occurrences(row_to_event(row), start, end, display_tz=display_tz))
    skip: dict[int, set[str]] = {}
    for sid, key in skips:
        if key:
            skip.setdefault(sid, set()).add(key)
    for row in series:
        assert row.id is not None
        keys = skip.get(row.id, ())
        result.extend(
            occurrences(
                row_to_event(row),
                start,
                end,
                display_tz=display_tz,
                skip=[parse_recurrence_key(k) for k in keys],
            )
        )
    result.sort(key=lambda o: sort_key(o, display_tz))
    return result


def sort_key(o: Occurrence, tz: ZoneInfo) -> tuple[datetime, int, int]:
    if isinstance(o.start, datetime):
        return o.start.astimezone(UTC), 1, o.event.id or 0
    return datetime.combine(o.start, time(0), tzinfo=tz).astimezone(UTC), 0, o.event.id or 0
