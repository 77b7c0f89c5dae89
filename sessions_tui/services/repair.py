"""Repair: look at one stored event and delete it, without SQL (``sessions-tui events``).

Both work from the stored row alone: the event's recurrence rule is shown as stored and never
expanded, so an event whose rule is broken (an older database, a hand edit, a hostile import)
can still be found and removed. Deleting goes through the one writer, with the same permission
as in the calendar (a practitioner only their own events).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from sessions_tui.domain.errors import SessionsError, ValidationError
from sessions_tui.domain.events import validate_event
from sessions_tui.services.context import Context
from sessions_tui.services.writer import Source, Writer, load
from sessions_tui.store.tables import EventRow, ExdateRow, StaffRow


@dataclass(frozen=True)
class StoredEvent:
    """What ``events show`` prints: the row as stored, and what is wrong with it, if anything."""

    id: int
    uid: str
    kind: str
    title: str
    practitioner: str
    start: str
    end: str
    zone: str
    rrule: str | None
    series_id: int | None
    overrides: int
    deleted_occurrences: int
    status: str
    notes_completed: bool
    problem: str | None

    def lines(self) -> list[str]:
        """The event as ``events show`` prints it, one field per line, its problem last."""
        out = [
            f"event {self.id} ({self.kind}): {self.title or '(no title)'}",
            f"  uid: {self.uid}",
            f"  practitioner: {self.practitioner}",
            f"  start: {self.start}   end: {self.end}   zone: {self.zone}",
            f"  status: {self.status}   notes completed: {'yes' if self.notes_completed else 'no'}",
        ]
        if self.rrule is not None:
            out.append(
                f"  series: {self.rrule} ({self.overrides} changed, "
                f"{self.deleted_occurrences} deleted occurrences)"
            )
        if self.series_id is not None:
            out.append(f"  one occurrence of series {self.series_id}")
        out.append(f"  problem: {self.problem}" if self.problem else "  problem: none found")
        return out


def show(ctx: Context, event_id: int) -> StoredEvent:
    """The stored event ``event_id`` (any member of staff may look)."""
    ctx.require_actor()
    with ctx.db.read() as s:
        row, event = load(s, event_id)
        staff = s.get(StaffRow, row.practitioner_id) if row.practitioner_id else None
        overrides = s.execute(
            select(func.count()).select_from(EventRow).where(EventRow.series_id == event_id)
        ).scalar_one()
        exdates = s.execute(
            select(func.count()).select_from(ExdateRow).where(ExdateRow.series_id == event_id)
        ).scalar_one()
    problem = None
    try:
        validate_event(event)
    except SessionsError as exc:
        problem = exc.message
    except Exception as exc:  # a rule the parser chokes on: name it, never crash
        problem = f"cannot be read ({exc.__class__.__name__}: {exc})"
    return StoredEvent(
        id=event_id,
        uid=row.uid,
        kind=row.kind,
        title=row.title,
        practitioner=f"{staff.name} ({staff.login})" if staff else "(the whole practice)",
        start=str(row.start_date if row.all_day else row.start_utc),
        end=str(row.end_date if row.all_day else row.end_utc),
        zone=row.tzid,
        rrule=row.rrule,
        series_id=row.series_id,
        overrides=int(overrides),
        deleted_occurrences=int(exdates),
        status=row.status,
        notes_completed=row.notes_completed,
        problem=problem,
    )


def delete(ctx: Context, event_id: int, *, series: bool = False) -> str:
    """Delete event ``event_id``; returns what was deleted, in words.

    A series (or an occurrence of one, with ``series``) goes with everything of it; without
    ``series`` a series master is refused (say ``--series``) and an occurrence is deleted alone.
    """
    actor = ctx.require_actor()
    with ctx.db.session() as s:
        row, _event = load(s, event_id)
        writer = Writer.for_actor(s, ctx.clock, actor, Source.REPAIR)
        if row.series_id is not None and series:
            master, _m = load(s, row.series_id)
            writer.delete(master)
            return f"deleted series {row.series_id} with all its occurrences"
        if row.rrule is not None and row.series_id is None:
            if not series:
                raise ValidationError(
                    f"event {event_id} is a series: pass --series to delete it with all its "
                    "occurrences"
                )
            writer.delete(row)
            return f"deleted series {event_id} with all its occurrences"
        writer.delete(row)
        if row.series_id is not None:
            return f"deleted occurrence {event_id} of series {row.series_id}"
        return f"deleted event {event_id}"
