"""Queries that turn rows into domain objects; the window query lives here.

The window query reads only rows that can touch the window: one-off events and overrides by an
index range on ``start_utc`` (bounded below by the longest event's span), and series whose
first start is before the window end and whose last end is after the window start. Series are
then expanded in Python in their own zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    Select,
    Table,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Join
from sqlmodel import col

from sessions_tui.domain.events import Event, Occurrence, is_date_only
from sessions_tui.domain.model import Client, Location, Staff
from sessions_tui.domain.recurrence import series_end
from sessions_tui.store import series_bounds
from sessions_tui.store.rows import (  # re-exported: the pure half lives in store.rows
    client_from_row as client_from_row,
)
from sessions_tui.store.rows import expand_window, sort_key
from sessions_tui.store.rows import location_from_row as location_from_row
from sessions_tui.store.rows import parse_recurrence_key as parse_recurrence_key
from sessions_tui.store.rows import recurrence_key as recurrence_key
from sessions_tui.store.rows import row_to_event as row_to_event
from sessions_tui.store.rows import settings_from_row as settings_from_row
from sessions_tui.store.rows import staff_from_row as staff_from_row
from sessions_tui.store.tables import ClientRow, EventRow, ExdateRow, LocationRow, StaffRow

_EVENT_TABLE = EventRow.__table__  # type: ignore[attr-defined]
"""Selecting table columns gives plain rows (attribute access by column name), which is several
times cheaper than building ORM objects for a calendar window."""

ALL_DAY_PAD = timedelta(hours=14)
"""All-day events have no zone; their UTC search bounds cover every zone's view of the date."""


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
        assert is_date_only(event.start)
        assert is_date_only(event.end)
        row.start_date, row.end_date = event.start, event.end  # type: ignore[assignment]
    else:
        row.start_date = row.end_date = None
    row.tzid = event.tzid
    row.busy = event.busy
    row.status = event.status.value
    row.notes_completed = event.notes_completed
    row.rrule = event.rrule
    row.is_series = event.rrule is not None
    # ``event`` is validated (its rule normalised and walked): no second check of the rule.
    row.series_end_utc = series_end(event, checked=False) if event.rrule else None
    row.series_id = event.series_id
    row.recurrence_key = (
        recurrence_key(event.recurrence_id) if event.recurrence_id is not None else None
    )
    row.source_calendar = event.source_calendar
    return row


def _filters(
    stmt: Select[Any], practitioners: Sequence[int] | None, locations: Sequence[int] | None
) -> Select[Any]:
    if practitioners is not None:
        prac = col(EventRow.practitioner_id)
        stmt = stmt.where(or_(prac.in_(list(practitioners)), prac.is_(None)))
    if locations is not None:
        stmt = stmt.where(col(EventRow.location_id).in_(list(locations)))
    return stmt


_BOUNDS = Table(
    series_bounds.TABLE,
    MetaData(),  # not a model: migration 0012 and its triggers own it (store.series_bounds)
    Column("id", Integer, primary_key=True),
    Column("lo", Float),
    Column("hi", Float),
)


class _CrossJoin(Join):
    """``a CROSS JOIN b ON ...``: SQLite keeps ``a`` (the R*Tree) as the outer loop. Its
    planner would otherwise walk ix_event_window or ix_event_prac_window (ranges that grow
    with the practice) and probe the R*Tree per row. The fast reader's SQL says the same."""

    inherit_cache = True


@compiles(_CrossJoin, "sqlite")
def _cross_join(element: _CrossJoin, compiler: Any, **kw: Any) -> str:
    sql: str = compiler.visit_join(element, **kw)
    return sql.replace(" JOIN ", " CROSS JOIN ", 1)  # the left side is a bare table name


def _series_alive(session: Session, start: datetime, end: datetime) -> Select[Any]:
    """The series rows whose bounds overlap ``[start, end)``, by the index on their bounds
    (:mod:`sessions_tui.store.series_bounds`); the caller adds the exact conditions."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return (
            select(_EVENT_TABLE)
            .select_from(_CrossJoin(_BOUNDS, _EVENT_TABLE, _EVENT_TABLE.c.id == _BOUNDS.c.id))
            .where(
                _BOUNDS.c.lo < series_bounds.epoch(end),
                _BOUNDS.c.hi > series_bounds.epoch(start),
                EventRow.is_series.is_(True),  # type: ignore[attr-defined]
            )
        )
    stmt = select(_EVENT_TABLE).where(
        EventRow.is_series.is_(True),  # type: ignore[attr-defined]
    )
    if dialect == "postgresql":
        stmt = stmt.where(
            literal_column(series_bounds.PG_BOUNDS).op("&&", is_comparison=True)(
                func.tstzrange(start, end, "[)")
            ),
            literal_column("is_series"),  # the partial index's predicate, as written there
        )
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
    series_stmt = _series_alive(session, start, end).where(
        EventRow.start_utc < end,
        or_(col(EventRow.series_end_utc).is_(None), col(EventRow.series_end_utc) > start),
    )
    singles = session.execute(_filters(singles_stmt, practitioners, locations)).all()
    series = session.execute(_filters(series_stmt, practitioners, locations)).all()
    skips: list[tuple[int, str | None]] = []
    if series:
        ids = [r.id for r in series]
        for stmt in (
            select(ExdateRow.series_id, ExdateRow.recurrence_key).where(
                ExdateRow.series_id.in_(ids)  # type: ignore[attr-defined]
            ),
            select(EventRow.series_id, EventRow.recurrence_key).where(
                EventRow.series_id.in_(ids)  # type: ignore[union-attr]
            ),
        ):
            skips.extend((sid, key) for sid, key in session.execute(stmt))
    return expand_window(singles, series, skips, start, end, display_tz)


def people_and_places(
    session: Session, staff_ids: set[int], client_ids: set[int], location_ids: set[int]
) -> tuple[dict[int, Staff], dict[int, Client], dict[int, Location]]:
    """Staff, clients and locations by id: the agenda's "who and where", one query each."""
    staff = (
        {
            r.id: staff_from_row(r)
            for r in session.execute(
                select(StaffRow).where(col(StaffRow.id).in_(sorted(staff_ids)))
            ).scalars()
        }
        if staff_ids
        else {}
    )
    clients = (
        {
            r.id: client_from_row(r)
            for r in session.execute(
                select(ClientRow).where(col(ClientRow.id).in_(sorted(client_ids)))
            ).scalars()
        }
        if client_ids
        else {}
    )
    locations = (
        {
            r.id: location_from_row(r)
            for r in session.execute(
                select(LocationRow).where(col(LocationRow.id).in_(sorted(location_ids)))
            ).scalars()
        }
        if location_ids
        else {}
    )
    return staff, clients, locations  # type: ignore[return-value]


_sort_key = sort_key
