"""Rows to domain objects, and the Python half of the window query, without SQLAlchemy.

Both readers of the store share this module: :mod:`sessions_tui.store.queries` (SQLAlchemy, every
backend) and :mod:`sessions_tui.store.fastread` (the stdlib ``sqlite3`` read path that
``sessions-tui agenda`` takes so that it never imports SQLAlchemy or SQLModel). A "row" here is
anything with the event table's column names as attributes and Python values (aware UTC
datetimes, dates, bools).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sessions_tui.domain.errors import SessionsError
from sessions_tui.domain.events import Event, EventKind, Instant, Occurrence, Status
from sessions_tui.domain.listing import Listing, SkippedEvent
from sessions_tui.domain.model import Client, Location, PracticeSettings, Role, Staff
from sessions_tui.domain.recurrence import MAX_YEAR, MIN_YEAR, expansion_problem, occurrences

log = logging.getLogger("sessions_tui.store")

_KINDS = frozenset(k.value for k in EventKind)
_STATUSES = frozenset(s.value for s in Status)

BAD_ROW_ERRORS = (SessionsError, ValueError, TypeError, ArithmeticError, AssertionError)
"""What a stored row that breaks today's rules raises while it is read or expanded (a bad rule,
kind, zone or date); readers skip that row and name it instead of failing for everyone."""


def recurrence_key(value: Instant) -> str:
    """Text key of a recurrence id: UTC ISO for instants, ISO date for all-day."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def parse_recurrence_key(key: str) -> Instant:
    """The instant (aware UTC) or date a :func:`recurrence_key` text names."""
    if "T" in key:
        return datetime.fromisoformat(key)  # "...Z" is UTC (Python 3.11+)
    return date.fromisoformat(key)


def row_to_event(row: Any, exdates: Iterable[str] = ()) -> Event:
    """The :class:`Event` of a stored event row (ORM or Core), with ``exdates`` keys."""
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
    """The :class:`Staff` of a stored staff row (roles from the comma-separated text)."""
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
    """The :class:`Client` of a stored client row."""
    assert row.id is not None
    return Client(row.id, row.first_name, row.last_name, row.internal_id)


def location_from_row(row: Any) -> Location:
    """The :class:`Location` of a stored location row."""
    assert row.id is not None
    return Location(row.id, row.name, row.archived)


def settings_from_row(row: Any | None) -> PracticeSettings:
    """The :class:`PracticeSettings` of the practice row (defaults when ``None``)."""
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
) -> Listing[Occurrence]:
    """Occurrences in ``[start, end)`` of the rows the window query read, sorted by start.

    ``skips`` are ``(series id, recurrence key)`` pairs of the series' exdates and overrides:
    those occurrences are not generated from the series (an override in the window is among
    ``singles``). A row that breaks today's rules is left out, logged, and named in the
    result's ``skipped``.
    """
    result: Listing[Occurrence] = Listing()
    bad: list[SkippedEvent] = []
    for row in singles:
        result.extend(expand_row(row, start, end, display_tz, (), bad))
    skip: dict[int, set[str]] = {}
    for sid, key in skips:
        if key:
            skip.setdefault(sid, set()).add(key)
    for row in series:
        assert row.id is not None
        result.extend(expand_row(row, start, end, display_tz, skip.get(row.id, ()), bad))
    result.sort(key=lambda o: sort_key(o, display_tz))
    result.skipped = tuple(bad)
    return result


def stored_row_problem(row: Any) -> str | None:
    """Why a stored row cannot be shown or exported (logged), or ``None`` when it can."""
    try:
        if row.rrule is None and row.kind in _KINDS and row.status in _STATUSES:
            first, last = (
                (row.start_date, row.end_date) if row.all_day else (row.start_utc, row.end_utc)
            )
            if MIN_YEAR <= first.year <= MAX_YEAR and MIN_YEAR <= last.year <= MAX_YEAR:
                return None  # the common case, without building an Event
        problem = expansion_problem(row_to_event(row))
    except BAD_ROW_ERRORS as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if problem is not None:
        log.warning("event %s skipped: %s", getattr(row, "id", None), problem)
    return problem


def expand_row(
    row: Any,
    start: datetime,
    end: datetime,
    display_tz: ZoneInfo,
    skip_keys: Iterable[str],
    bad: list[SkippedEvent],
) -> list[Occurrence]:
    """The occurrences of one row in ``[start, end)``; none, and an entry in ``bad``, when the
    row breaks today's rules (checked before any walk, so a rule that never ends is not
    walked)."""
    try:
        event = row_to_event(row)
        problem = expansion_problem(event)
        if problem is None:
            return list(
                occurrences(
                    event,
                    start,
                    end,
                    display_tz=display_tz,
                    skip=[parse_recurrence_key(k) for k in skip_keys],
                )
            )
    except BAD_ROW_ERRORS as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    bad.append(SkippedEvent(getattr(row, "id", None), problem))
    log.warning("event %s skipped: %s", getattr(row, "id", None), problem)
    return []


def sort_key(o: Occurrence, tz: ZoneInfo) -> tuple[datetime, int, int]:
    """Order of occurrences: by start, an all-day one at its midnight in ``tz`` and before timed
    ones there, then by event id."""
    if isinstance(o.start, datetime):
        return o.start.astimezone(UTC), 1, o.event.id or 0
    return datetime.combine(o.start, time(0), tzinfo=tz).astimezone(UTC), 0, o.event.id or 0
