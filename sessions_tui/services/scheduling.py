"""Events use cases: create, update, cancel, delete, and the window ("agenda") query."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.events import Event, EventKind, Occurrence, Status, validate_event
from sessions_tui.domain.model import Client, Location, Staff
from sessions_tui.services.agenda_item import AgendaItem as AgendaItem  # re-exported
from sessions_tui.services.agenda_item import assemble
from sessions_tui.services.context import Context
from sessions_tui.services.permissions import require_edit_event
from sessions_tui.store import queries
from sessions_tui.store.tables import ClientRow, EventRow, ExdateRow, LocationRow, StaffRow


def _new_uid() -> str:
    return f"{uuid.uuid4()}@sessions-tui"


def _check_refs(ctx: Context, event: Event) -> None:
    with ctx.db.session() as s:
        if event.practitioner_id is not None:
            row = s.get(StaffRow, event.practitioner_id)
            if row is None or "practitioner" not in row.roles.split(","):
                raise NotFoundError(
                    f"no practitioner with id {event.practitioner_id}", field="practitioner"
                )
        if event.client_id is not None and s.get(ClientRow, event.client_id) is None:
            raise NotFoundError(f"unknown client id {event.client_id}", field="client")
        if event.location_id is not None and s.get(LocationRow, event.location_id) is None:
            raise NotFoundError(f"unknown location id {event.location_id}", field="location")


def create_event(ctx: Context, event: Event, *, uid: str | None = None) -> Event:
    """Validate and store a new event (or series); returns it with its id."""
    actor = ctx.require_actor()
    event = validate_event(event)
    require_edit_event(actor, event)
    _check_refs(ctx, event)
    with ctx.db.session() as s:
        row = insert_event_row(s, ctx, event, uid)
        return queries.row_to_event(row, [queries.recurrence_key(x) for x in event.exdates])


def insert_event_row(s: Session, ctx: Context, event: Event, uid: str | None = None) -> EventRow:
    """Add a validated event (and its deleted occurrences) to the session; the one place rows
    of new events are made."""
    now = ctx.clock.now()
    row = queries.fill_row(
        EventRow(
            uid=uid or event.uid or _new_uid(),
            created_at=now,
            updated_at=now,
            kind=event.kind.value,
            tzid=event.tzid,
            start_utc=now,
            end_utc=now,
        ),
        event,
    )
    s.add(row)
    s.flush()
    for ex in event.exdates:
        s.add(ExdateRow(series_id=row.id, recurrence_key=queries.recurrence_key(ex)))
    s.flush()
    return row


def get_event(ctx: Context, event_id: int) -> Event:
    with ctx.db.read() as s:
        row = s.get(EventRow, event_id)
        if row is None:
            raise NotFoundError(f"no event with id {event_id}")
        keys = s.execute(select(ExdateRow.recurrence_key).where(ExdateRow.series_id == event_id))
        return queries.row_to_event(row, keys.scalars().all())


def update_event(ctx: Context, event_id: int, **changes: Any) -> Event:
    """Change fields of an event (a whole series when it is a series master)."""
    actor = ctx.require_actor()
    current = get_event(ctx, event_id)
    require_edit_event(actor, current)
    expected_version = changes.pop("expected_version", None)
    updated = validate_event(replace(current, **changes))
    require_edit_event(actor, updated)
    _check_refs(ctx, updated)
    with ctx.db.session() as s:
        row = s.get(EventRow, event_id)
        if row is None:
            raise NotFoundError(f"no event with id {event_id}")
        if expected_version is not None and row.version != expected_version:
            from sessions_tui.domain.errors import ConflictError

            raise ConflictError(f"event {event_id} was changed by someone else; reload it")
        queries.fill_row(row, updated)
        row.version += 1
        row.sequence += 1
        row.updated_at = ctx.clock.now()
        s.flush()
        keys = s.execute(select(ExdateRow.recurrence_key).where(ExdateRow.series_id == event_id))
        return queries.row_to_event(row, keys.scalars().all())


def cancel_event(ctx: Context, event_id: int) -> Event:
    """Mark an event cancelled; it stays on the calendar, shown as cancelled."""
    return update_event(ctx, event_id, status=Status.CANCELLED)


def delete_event(ctx: Context, event_id: int) -> None:
    """Remove an event; a series goes with its overrides and exdates."""
    actor = ctx.require_actor()
    current = get_event(ctx, event_id)
    require_edit_event(actor, current)
    with ctx.db.session() as s:
        s.execute(delete(ExdateRow).where(ExdateRow.series_id == event_id))
        s.execute(delete(EventRow).where(EventRow.series_id == event_id))  # type: ignore[arg-type]
        s.execute(delete(EventRow).where(EventRow.id == event_id))  # type: ignore[arg-type]


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
    with ctx.db.read() as s:
        return queries.window(
            s, start, end, display_tz=tz, practitioners=practitioner_ids, locations=location_ids
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
    """Occurrences in ``[start, end)`` with practitioner, client and location resolved."""
    with ctx.db.read() as s:
        occ = queries.window(
            s, start, end, display_tz=tz, practitioners=practitioner_ids, locations=location_ids
        )
        staff_ids = {o.event.practitioner_id for o in occ if o.event.practitioner_id}
        client_ids = {o.event.client_id for o in occ if o.event.client_id}
        loc_ids = {o.event.location_id for o in occ if o.event.location_id}
        staff = (
            {
                r.id: queries.staff_from_row(r)
                for r in s.execute(
                    select(StaffRow).where(col(StaffRow.id).in_(staff_ids))
                ).scalars()
            }
            if staff_ids
            else {}
        )
        clients = (
            {
                r.id: queries.client_from_row(r)
                for r in s.execute(
                    select(ClientRow).where(col(ClientRow.id).in_(client_ids))
                ).scalars()
            }
            if client_ids
            else {}
        )
        locs = (
            {
                r.id: queries.location_from_row(r)
                for r in s.execute(
                    select(LocationRow).where(col(LocationRow.id).in_(loc_ids))
                ).scalars()
            }
            if loc_ids
            else {}
        )
    return assemble(occ, staff, clients, locs)


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
