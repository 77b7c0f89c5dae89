"""Open booking slots: weekly availability, minus date overrides, minus busy events.

Pending online-booking requests (holds that have not expired) block their time too, so a time
asked for on a booking page is offered to nobody else while a scheduler decides.

Availability (``services.hours`` kind ``availability``) is a practitioner's weekly booking hours in
their own zone (else the practice default, when one is set); a date override replaces the hours of
one local date (no hours = out of office). Busy events of the practitioner, and practice-wide busy
events (no practitioner: a staff meeting), block time; an all-day busy event blocks the whole local
day in the availability's zone. Free and cancelled events block nothing. Events synced from other
calendars are stored as events, so they block the same way.

Slots start where open time starts and follow each other every ``length``; nothing before "now"
(the context's clock) is offered unless ``include_past`` is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sessions_tui.domain.availability import busy_intervals, first_slot, open_intervals, slots
from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.officehours import Interval, merge
from sessions_tui.domain.timeutil import require_aware, zone
from sessions_tui.services import hours as hours_service
from sessions_tui.services.context import Context
from sessions_tui.services.scheduling import occurrences_in
from sessions_tui.store.holds import held_intervals

SEARCH_DAYS = 90
"""How far :func:`first_open_slot` looks ahead."""

_CHUNK = timedelta(days=14)


@dataclass(frozen=True, order=True)
class OpenSlot:
    """A bookable ``[start, end)`` (aware UTC) of one practitioner."""

    start: datetime
    end: datetime
    practitioner_id: int

    def to_json(self, tz: ZoneInfo, practitioner: str | None = None) -> dict[str, Any]:
        """``{"start", "end", "practitioner"}``: ISO 8601 with ``tz``'s offset."""
        return {
            "start": self.start.astimezone(tz).isoformat(),
            "end": self.end.astimezone(tz).isoformat(),
            "practitioner": practitioner,
        }


def _minute_ceiling(value: datetime) -> datetime:
    """Round up to a whole 5 minutes, so "from now" slots start at readable times."""
    value = value.astimezone(UTC)
    rounded = value.replace(second=0, microsecond=0)
    rounded += timedelta(minutes=-rounded.minute % 5)
    if rounded < value:
        rounded += timedelta(minutes=5)
    return rounded


def _check_practitioner(ctx: Context, practitioner_id: int) -> None:
    from sessions_tui.services.practice import practitioners

    if practitioner_id not in {p.id for p in practitioners(ctx)}:
        raise NotFoundError(f"no practitioner with id {practitioner_id}", field="practitioner")


def open_time(
    ctx: Context,
    practitioner_id: int,
    start: datetime,
    end: datetime,
    *,
    buffer: timedelta = timedelta(0),
) -> list[Interval]:
    """The practitioner's free bookable time in ``[start, end)`` (UTC intervals, merged).

    Busy events and pending holds block their time widened by ``buffer`` on each side (the
    booking page's gap between sessions). Past time is included; :func:`open_slots` and
    :func:`first_open_slot` leave it out.
    """
    require_aware(start, "start")
    require_aware(end, "end")
    if end <= start:
        raise ValidationError("end must be after start", field="end")
    weekly = hours_service.get_hours(ctx, practitioner_id, kind=hours_service.AVAILABILITY)
    if weekly is None:
        return []
    overrides = hours_service.get_overrides(ctx, practitioner_id, kind=hours_service.AVAILABILITY)
    tz = zone(weekly.tzid)
    # All-day events are found by the local days of the window in the availability's zone; a
    # day of padding each side catches timed events that straddle the bounds.
    occ = occurrences_in(
        ctx,
        start - timedelta(days=1),
        end + timedelta(days=1),
        tz,
        practitioner_ids=[practitioner_id],
    )
    with ctx.db.read() as s:
        holds = held_intervals(s, practitioner_id, start - buffer, end + buffer, ctx.clock.now())
    busy = merge([(a - buffer, b + buffer) for a, b in [*busy_intervals(occ, tz), *holds]])
    return open_intervals(weekly, overrides, busy, start, end)


def open_slots(
    ctx: Context,
    practitioner_id: int,
    start: datetime,
    end: datetime,
    length: timedelta,
    *,
    include_past: bool = False,
) -> list[OpenSlot]:
    """Every open booking slot of ``length`` in ``[start, end)``, earliest first.

    Raises:
        ValidationError: a naive or reversed range, or a length that is not positive.
        NotFoundError: ``practitioner_id`` is not a practitioner.
    """
    ctx.require_actor()
    if length <= timedelta(0):
        raise ValidationError("session length must be positive", field="length")
    _check_practitioner(ctx, practitioner_id)
    free = open_time(ctx, practitioner_id, start, end)
    if not include_past:
        now = _minute_ceiling(ctx.clock.now())
        free = [(max(a, now), b) for a, b in free if b > now]
    return [OpenSlot(a, b, practitioner_id) for a, b in slots(free, length)]


def first_open_slot(
    ctx: Context,
    practitioner_ids: Sequence[int],
    from_: datetime,
    length: timedelta,
    *,
    days: int = SEARCH_DAYS,
    include_past: bool = False,
) -> OpenSlot | None:
    """The earliest open slot of ``length`` of any of ``practitioner_ids``, from ``from_`` on.

    Looks up to ``days`` days ahead, two weeks at a time, so a near slot is found quickly. Ties
    go to the practitioner listed first. ``None`` when nobody has a slot in that time.
    """
    ctx.require_actor()
    require_aware(from_, "from")
    if length <= timedelta(0):
        raise ValidationError("session length must be positive", field="length")
    if not practitioner_ids:
        raise ValidationError("choose at least one practitioner", field="practitioner")
    for pid in practitioner_ids:
        _check_practitioner(ctx, pid)
    begin = from_ if include_past else max(from_, ctx.clock.now())
    begin = _minute_ceiling(begin)
    limit = begin + timedelta(days=days)
    chunk_start = begin
    while chunk_start < limit:
        # Overlap chunks by one slot length so a slot across a chunk boundary is not missed.
        chunk_end = min(chunk_start + _CHUNK, limit)
        best: OpenSlot | None = None
        for pid in dict.fromkeys(practitioner_ids):
            free = open_time(ctx, pid, chunk_start, min(chunk_end + length, limit))
            found = first_slot(free, length, begin)
            if found is not None and (best is None or found[0] < best.start):
                best = OpenSlot(found[0], found[1], pid)
        if best is not None:
            return best
        chunk_start = chunk_end
    return None
