"""Queries that turn rows into domain objects; the window query lives here.

The window query reads only rows that can touch the window: one-off events and overrides by an
index range on ``start_utc`` (bounded below by the longest event's span), and series whose
first start is before the window end and whose last end is after the window start. Series are
then expanded in Python in their own zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sessions_tui.domain.events import Event, EventKind, Instant, Occurrence, Status, is_date_only
from sessions_tui.domain.model import Client, Location, PracticeSettings, Role, Staff
from sessions_tui.domain.recurrence import occurrences, series_end
from sessions_tui.store.tables import (
    ClientRow,
    EventRow,
    ExdateRow,
    LocationRow,
    PracticeRow,
    StaffRow,
)

_EVENT_TABLE = EventRow.__table__  # type: ignore[attr-defined]
"""Selecting table columns gives plain rows (attribute access by column name), which is several
times cheaper than building ORM objects for a calendar window."""

ALL_DAY_PAD = timedelta(hours=14)
"""All-day events have no zone; their UTC search bounds cover every zone's view of the date."""


def recurrence_key(value: Instant) -> str:
    """Text key of a recurrence id: UTC ISO for instants, ISO date for all-day."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def parse_recurrence_key(key: str) -> Instant:
    if "T" in key:
        return datetime.fromisoformat(key)  # "...Z" is UTC (Python 3.11+)
    return date.fromisoformat(key)


def search_bounds(event: Event) -> tuple[datetime, datetime]:
    """UTC bounds used by the index for ``event``'s own time (first occurrence)."""
    if isinstance(event.start, datetime) and isinstance(event.end, datetime):
        return event.start.astimezone(UTC), event.end.astimezone(UTC)
    s = datetime.combine(event.start, time(0), tzinfo=UTC) - ALL_DAY_PAD  # type: ignore[arg-type]
    e = datetime.combine(event.end, time(0), tzinfo=UTC) + ALL_DAY_PAD  # type: ignore[arg-type]
    return s, e


def fill_row(row: EventRow, event: Event) -> EventRow:
    """Copy a validated domain event into a row (not its id, uid, version or timestamps)."""
    s, e = search_bounds(event)
    row.kind = event.kind.value
    row.title = event.title
    row.practitioner_id = event.practitioner_id
    row.client_id = event.client_id
    row.location_id = event.location_id
    row.all_day = event.all_day
    row.start_utc, row.end_utc = s, e
    row.span_s = int((e - s).total_seconds())
    if event.all_day:
        assert is_date_only(event.start) and is_date_only(event.end)
        row.start_date, row.end_date = event.start, event.end  # type: ignore[assignment]
    else:
        row.start_date = row.end_date = None
    row.tzid = event.tzid
    row.busy = event.busy
    row.status = event.status.value
    row.notes_completed = event.notes_completed
    row.rrule = event.rrule
    row.is_series = event.rrule is not None
    row.series_end_utc = series_end(event) if event.rrule else None
    row.series_id = event.series_id
    row.recurrence_key = (
        recurrence_key(event.recurrence_id) if event.recurrence_id is not None else None
    )
    row.source_calendar = event.source_calendar
    return row


def row_to_event(row: EventRow | Any, exdates: Iterable[str] = ()) -> Event:
    start: Instant
    end: Instant
    if row.all_day:
        assert row.start_date is not None and row.end_date is not None
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


def staff_from_row(row: StaffRow) -> Staff:
    assert row.id is not None
    return Staff(
        id=row.id,
        login=row.login,
        name=row.name,
        roles=frozenset(Role(r) for r in row.roles.split(",") if r),
        color=row.color,
        default_session_minutes=row.default_session_minutes,
    )


def client_from_row(row: ClientRow) -> Client:
    assert row.id is not None
    return Client(row.id, row.first_name, row.last_name, row.internal_id)


def location_from_row(row: LocationRow) -> Location:
    assert row.id is not None
    return Location(row.id, row.name, row.archived)


def settings_from_row(row: PracticeRow | None) -> PracticeSettings:
    if row is None:
        return PracticeSettings()
    return PracticeSettings(
        name=row.name,
        internal_ids=row.internal_ids,
        allow_double_booking=row.allow_double_booking,
        display_tz=row.display_tz,
        week_starts_monday=row.week_starts_monday,
    )


def _filters(stmt, practitioners: Sequence[int] | None, locations: Sequence[int] | None):  # type: ignore[no-untyped-def]
    if practitioners is not None:
        stmt = stmt.where(
            or_(EventRow.practitioner_id.in_(list(practitioners)), EventRow.practitioner_id.is_(None))  # type: ignore[union-attr,attr-defined]
        )
    if locations is not None:
        stmt = stmt.where(EventRow.location_id.in_(list(locations)))  # type: ignore[union-attr]
    return stmt


def window(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    display_tz: ZoneInfo,
    practitioners: Sequence[int] | None = None,
    locations: Sequence[int] | None = None,
) -> list[Occurrence]:
    """Every occurrence overlapping ``[start, end)``, sorted by start.

    Series are expanded in their own zone; overrides replace, and exdates remove, the
    occurrences they name. ``practitioners``/``locations`` of ``None`` mean no filter; events
    with no practitioner (practice-wide) are kept under a practitioner filter.
    """
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    max_span = session.execute(
        select(func.max(EventRow.span_s)).where(EventRow.is_series.is_(False))  # type: ignore[attr-defined]
    ).scalar()
    lower = start - timedelta(seconds=int(max_span or 0))
    singles_stmt = select(_EVENT_TABLE).where(
        EventRow.is_series.is_(False),  # type: ignore[attr-defined]
        EventRow.start_utc < end,
        EventRow.start_utc >= lower,
        EventRow.end_utc > start,
    )
    series_stmt = select(_EVENT_TABLE).where(
        EventRow.is_series.is_(True),  # type: ignore[attr-defined]
        EventRow.start_utc < end,
        or_(EventRow.series_end_utc.is_(None), EventRow.series_end_utc > start),  # type: ignore[union-attr]
    )
    singles = session.execute(_filters(singles_stmt, practitioners, locations)).all()
    series = session.execute(_filters(series_stmt, practitioners, locations)).all()
    result: list[Occurrence] = []
    for row in singles:
        ev = row_to_event(row)
        result.extend(occurrences(ev, start, end, display_tz=display_tz))
    if series:
        ids = [r.id for r in series]
        skip: dict[int, set[str]] = {}
        for sid, key in session.execute(
            select(ExdateRow.series_id, ExdateRow.recurrence_key).where(ExdateRow.series_id.in_(ids))  # type: ignore[attr-defined]
        ):
            skip.setdefault(sid, set()).add(key)
        for sid, key in session.execute(
            select(EventRow.series_id, EventRow.recurrence_key).where(
                EventRow.series_id.in_(ids)  # type: ignore[union-attr]
            )
        ):
            if key:
                skip.setdefault(sid, set()).add(key)
        for row in series:
            assert row.id is not None
            ev = row_to_event(row)
            keys = skip.get(row.id, set())
            result.extend(
                occurrences(
                    ev, start, end, display_tz=display_tz,
                    skip=[parse_recurrence_key(k) for k in keys],
                )
            )
    result.sort(key=lambda o: _sort_key(o, display_tz))
    return result


def _sort_key(o: Occurrence, tz: ZoneInfo) -> tuple[datetime, int, int]:
    if isinstance(o.start, datetime):
        return o.start.astimezone(UTC), 1, o.event.id or 0
    return datetime.combine(o.start, time(0), tzinfo=tz).astimezone(UTC), 0, o.event.id or 0
