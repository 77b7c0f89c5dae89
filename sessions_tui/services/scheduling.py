"""Events use cases: create, update, cancel, delete, and the window ("agenda") query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.events import Event, EventKind, Occurrence, Status, validate_event
from sessions_tui.domain.model import Client, Location, Staff
from sessions_tui.services.agenda_item import AgendaItem as AgendaItem  # re-exported
from sessions_tui.services.agenda_item import agenda_items
from sessions_tui.services.context import Context
from sessions_tui.services.permissions import holds_role, require_edit_event
from sessions_tui.services.writer import Source, Writer, load
from sessions_tui.store import queries
from sessions_tui.store.orm_reader import OrmReader
from sessions_tui.store.tables import ClientRow, EventRow, LocationRow, StaffRow


def _check_refs(ctx: Context, event: Event) -> None:
    with ctx.db.session() as s:
        if event.practitioner_id is not None:
            row = s.get(StaffRow, event.practitioner_id)
            if row is None or not holds_role(row.roles, "practitioner"):
                raise NotFoundError(
                    f"no practitioner with id {event.practitioner_id}", field="practitioner"
                )
        if event.client_id is not None and s.get(ClientRow, event.client_id) is None:
            raise NotFoundError(f"unknown client id {event.client_id}", field="client")
        if event.location_id is not None and s.get(LocationRow, event.location_id) is None:
            raise NotFoundError(f"unknown location id {event.location_id}", field="location")


def create_event(
    ctx: Context, event: Event, *, uid: str | None = None, source: Source = Source.LOCAL
) -> Event:
    """Validate and store a new event (or series); returns it with its id."""
    actor = ctx.require_actor()
    event = validate_event(event)
    require_edit_event(actor, event)
    _check_refs(ctx, event)
    with ctx.db.session() as s:
        row = insert_event_row(s, ctx, event, uid, source=source)
        return queries.row_to_event(row, [queries.recurrence_key(x) for x in event.exdates])


def insert_event_row(
    s: Session,
    ctx: Context,
    event: Event,
    uid: str | None = None,
    *,
    source: Source = Source.LOCAL,
) -> EventRow:
    """Add an event (and its deleted occurrences) in ``s``'s transaction, through the writer."""
    return Writer.for_actor(s, ctx.clock, ctx.require_actor(), source).insert(event, uid=uid)


def get_event(ctx: Context, event_id: int) -> Event:
    """The stored event ``event_id`` (``NotFoundError`` if there is none)."""
    with ctx.db.read() as s:
        return load(s, event_id)[1]


def occurrences_in(
    ctx: Context,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    *,
    practitioner_ids: Sequence[int] | None = None,
    location_ids: Sequence[int] | None = None,
) -> list[Occurrence]:
    """Bare occurrences overlapping ``[start, end)``."""
    return OrmReader(ctx.db).window(
        start, end, display_tz=tz, practitioners=practitioner_ids, locations=location_ids
    )


def agenda(
    ctx: Context,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    *,
    practitioner_ids: Sequence[int] | None = None,
    location_ids: Sequence[int] | None = None,
) -> list[AgendaItem]:
    """Occurrences in ``[start, end)`` with practitioner, client and location resolved
    (:func:`sessions_tui.services.agenda_item.agenda_items` over the ORM reader)."""
    return agenda_items(
        OrmReader(ctx.db),
        start,
        end,
        tz,
        practitioner_ids=practitioner_ids,
        location_ids=location_ids,
    )


def session_event(
    *,
    practitioner: Staff,
    client: Client,
    start: datetime,
    minutes: int,
    tzid: str,
    location: Location | None = None,
    rrule: str | None = None,
    notes_completed: bool = False,
    status: Status = Status.SCHEDULED,
) -> Event:
    """Build a client-session event (not yet stored)."""
    if start.tzinfo is None:
        raise ValidationError("session start has no time zone", field="start")
    return Event(
        kind=EventKind.SESSION,
        start=start.astimezone(UTC),
        end=(start + timedelta(minutes=minutes)).astimezone(UTC),
        tzid=tzid,
        practitioner_id=practitioner.id,
        client_id=client.id,
        location_id=location.id if location else None,
        rrule=rrule,
        notes_completed=notes_completed,
        status=status,
    )


def all_day_event(
    title: str, first: date, days: int, *, practitioner_id: int | None, busy: bool, tzid: str
) -> Event:
    """An all-day "other" event of ``days`` days from ``first`` (not validated or saved)."""
    return Event(
        kind=EventKind.OTHER,
        title=title,
        start=first,
        end=first + timedelta(days=days),
        all_day=True,
        busy=busy,
        tzid=tzid,
        practitioner_id=practitioner_id,
    )
