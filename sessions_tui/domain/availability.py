"""Open booking slots: availability, minus date overrides, minus busy events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Occurrence
from sessions_tui.domain.officehours import (
    DateOverride,
    Interval,
    WeeklyHours,
    intervals_between,
    merge,
    subtract,
)
from sessions_tui.domain.timeutil import day_bounds


def open_intervals(
    availability: WeeklyHours,
    overrides: Sequence[DateOverride],
    busy: Iterable[Interval],
    start: datetime,
    end: datetime,
) -> list[Interval]:
    """Free bookable time in ``[start, end)``."""
    base = intervals_between(availability, start, end, overrides)
    return subtract(base, busy)


def slots(
    intervals: Iterable[Interval], length: timedelta, step: timedelta | None = None
) -> list[Interval]:
    """Cut open intervals into bookable slots of ``length``, starting every ``step``."""
    if length <= timedelta(0):
        raise ValidationError("session length must be positive")
    step = step or length
    out: list[Interval] = []
    for a, b in intervals:
        t = a
        while t + length <= b:
            out.append((t, t + length))
            t += step
    return out


def busy_intervals(occurrences: Iterable[Occurrence], tz: ZoneInfo) -> list[Interval]:
    """The UTC time that ``occurrences`` block for booking.

    Cancelled and free events block nothing. A timed event blocks its own time; an all-day busy
    event blocks its whole local days in ``tz`` (the zone of the practitioner's availability),
    23 or 25 hours on a DST-change day.
    """
    out: list[Interval] = []
    for occ in occurrences:
        if occ.event.is_cancelled or not occ.event.busy:
            continue
        if isinstance(occ.start, datetime) and isinstance(occ.end, datetime):
            out.append((occ.start.astimezone(UTC), occ.end.astimezone(UTC)))
        else:
            first = occ.start.date() if isinstance(occ.start, datetime) else occ.start
            last = occ.end.date() if isinstance(occ.end, datetime) else occ.end
            out.append((day_bounds(first, tz)[0], day_bounds(last, tz)[0]))
    return merge(out)


def first_slot(
    intervals: Iterable[Interval], length: timedelta, not_before: datetime | None = None
) -> Interval | None:
    """The earliest ``[start, start + length)`` inside ``intervals``, not before ``not_before``."""
    if length <= timedelta(0):
        raise ValidationError("session length must be positive")
    for a, b in merge(intervals):
        if not_before is not None:
            a = max(a, not_before)
        if a + length <= b:
            return a, a + length
    return None
