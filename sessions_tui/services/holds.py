"""Online-booking holds on the calendar, and the warning when an event is put over one (issue 24).

A pending request holds its practitioner's time (:mod:`sessions_tui.store.holds`). The calendar
draws that time in every view as a tentative item (:func:`calendar_items`: the window's events
and its holds, read in one snapshot through either :class:`~sessions_tui.store.reader.Reader`).
Each hold is labelled with the requester's name only for staff who may answer the request
(:func:`~sessions_tui.services.permissions.can_manage_booking`); everyone else reads
:data:`~sessions_tui.domain.holds.HOLD_LABEL`. Creating or moving an event over a hold warns
(:func:`warnings_for`, the editor's warnings and the hold's).

Like :mod:`sessions_tui.services.calendar`, this module imports no SQLAlchemy at the top: the
calendar's first week is read through it before the ORM is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sessions_tui.domain.events import Event, EventKind, Occurrence
from sessions_tui.domain.holds import HOLD_LABEL, Hold
from sessions_tui.domain.listing import carry
from sessions_tui.domain.model import Staff
from sessions_tui.domain.text import safe_text
from sessions_tui.services.agenda_item import AgendaItem
from sessions_tui.services.calendar import Filters, reader_window_items
from sessions_tui.services.permissions import can_manage_booking

if TYPE_CHECKING:
    from sessions_tui.services.context import Context
    from sessions_tui.store.reader import Reader


def may_see(actor: Staff | None, hold: Hold) -> bool:
    """Whether ``actor`` may read who asked for ``hold`` (whoever may answer the request)."""
    return actor is not None and can_manage_booking(actor, hold.practitioner_id)


def hold_label(hold: Hold, actor: Staff | None) -> str:
    """The requester's name for staff who may see requests, else :data:`HOLD_LABEL`."""
    name = safe_text(hold.name).strip()
    return name if name and may_see(actor, hold) else HOLD_LABEL


def hold_item(
    hold: Hold, tz: ZoneInfo, actor: Staff | None, practitioner: Staff | None = None
) -> AgendaItem:
    """The calendar's stand-in for ``hold``: a busy timed item of its practitioner, titled by
    :func:`hold_label`, with ``hold`` set (its id is the request's, negated: no event has it)."""
    event = Event(
        kind=EventKind.OTHER,
        start=hold.start.astimezone(tz),
        end=hold.end.astimezone(tz),
        tzid=tz.key,
        title=hold_label(hold, actor),
        practitioner_id=hold.practitioner_id,
        id=-hold.id,
    )
    return AgendaItem(
        Occurrence(event, event.start, event.end), practitioner, None, None, hold=hold
    )


def hold_items(
    reader: Reader,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    filters: Filters,
    actor: Staff | None,
    now: datetime,
) -> list[AgendaItem]:
    """The holds in ``[start, end)`` the calendar shows under ``filters``, by start."""
    wanted = filters.practitioner_ids
    with reader.snapshot():
        found = reader.holds(
            start, end, now=now, practitioners=sorted(wanted) if wanted is not None else None
        )
        if not found:
            return []
        people, _c, _l = reader.people_and_places({h.practitioner_id for h in found}, set(), set())
    items = [hold_item(h, tz, actor, people.get(h.practitioner_id)) for h in found]
    return [i for i in items if filters.shows(i)]


def calendar_items(
    reader: Reader,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    filters: Filters,
    actor: Staff | None,
    now: datetime,
) -> list[AgendaItem]:
    """What the calendar draws of ``[start, end)``: the events that pass ``filters`` (as
    :func:`~sessions_tui.services.calendar.reader_window_items`) and the holds, in one snapshot,
    sorted by start (a hold after the events starting with it); a
    :class:`~sessions_tui.domain.listing.Listing` carrying the events the read skipped."""
    from sessions_tui.store.rows import sort_key

    with reader.snapshot():
        events = reader_window_items(reader, start, end, tz, filters)
        holds = hold_items(reader, start, end, tz, filters, actor, now)
    if not holds:
        return events
    merged = sorted([*events, *holds], key=lambda i: sort_key(i.occurrence, tz)[:2])
    return carry(merged, events)


def is_hold(item: AgendaItem | None) -> bool:
    """Whether ``item`` is a hold's stand-in, not a stored event."""
    return item is not None and item.hold is not None


def about_hold(item: AgendaItem, tz: ZoneInfo) -> str:
    """One line on a hold for the user who met it on the calendar (what it is, how to answer)."""
    hold = item.hold
    assert hold is not None
    when = f"{hold.start.astimezone(tz):%a %b %d %H:%M}–{hold.end.astimezone(tz):%H:%M}"
    if item.event.title == HOLD_LABEL:
        return f"{when} is held by an online booking request (not an event)."
    return (
        f"{when} is held by {item.event.title}'s online booking request ({hold.service}): "
        "R lists the requests to accept or decline it; c books the time anyway (it warns)."
    )


# --- the warning ------------------------------------------------------------------------------


def _overlapping(event: Event, hold: Hold) -> bool:
    """Whether ``event`` (a one-off or any occurrence of a series) overlaps ``hold``."""
    from sessions_tui.domain.recurrence import occurrences
    from sessions_tui.domain.timeutil import zone

    if not event.rrule:
        assert isinstance(event.start, datetime)
        assert isinstance(event.end, datetime)
        return event.start < hold.end and hold.start < event.end
    tz = zone(event.tzid)
    around = occurrences(
        event, hold.start - timedelta(days=1), hold.end + timedelta(days=1), display_tz=tz
    )
    return any(
        isinstance(o.start, datetime)
        and isinstance(o.end, datetime)
        and o.start < hold.end
        and hold.start < o.end
        for o in around
    )


def hold_warnings(ctx: Context, event: Event, *, limit: int = 3) -> list[str]:
    """Reasons to ask before saving ``event``: the live holds of its practitioner it overlaps,
    each named for staff who may see requests (``overlaps the booking request of Jo Lee on Thu
    Nov 26 13:00``), else as ``overlaps an online booking hold on …``."""
    from sessions_tui.domain.events import Status
    from sessions_tui.domain.recurrence import series_end
    from sessions_tui.domain.timeutil import zone
    from sessions_tui.store.holds import holds_between

    if (
        event.practitioner_id is None
        or event.all_day
        or not event.busy
        or event.status is Status.CANCELLED
        or not isinstance(event.start, datetime)
        or not isinstance(event.end, datetime)
    ):
        return []
    now = ctx.clock.now()
    lo = event.start
    if event.rrule:
        lo = max(lo, now - timedelta(days=1))  # holds lie ahead: a series' past holds none
        last = series_end(event)
        hi = (last if last is not None else now + timedelta(days=731)) + event.duration
    else:
        hi = event.end
    with ctx.db.read() as s:
        found = holds_between(s, lo, hi, now, [event.practitioner_id])
    tz = zone(event.tzid)
    actor = ctx.actor
    out: list[str] = []
    for hold in found:
        if not _overlapping(event, hold):
            continue
        when = f"{hold.start.astimezone(tz):%a %b %d %H:%M}"
        if may_see(actor, hold):
            out.append(f"overlaps the booking request of {safe_text(hold.name)} on {when}")
        else:
            out.append(f"overlaps an online booking hold on {when}")
        if len(out) >= limit:
            break
    return out


def warnings_for(ctx: Context, event: Event, *, ignore_ids: Sequence[int] = ()) -> list[str]:
    """What the editor and a move ask about before saving ``event``: the appointments
    service's warnings (:func:`sessions_tui.services.appointments.warnings_for`: overlapping
    events, time outside office hours), then the holds it overlaps (:func:`hold_warnings`)."""
    from sessions_tui.domain.events import validate_event
    from sessions_tui.services import appointments

    out = appointments.warnings_for(ctx, event, ignore_ids=ignore_ids)
    return out + hold_warnings(ctx, validate_event(event))
