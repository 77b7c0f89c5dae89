"""Weekly hours (office hours and booking availability) as wall-clock rules in their own zone.

Hours are kept in the zone they were set in and evaluated per local day, so 9:00–17:00
America/Chicago is 10:00–18:00 to a viewer in New York, and stays 9:00–17:00 Chicago time on a
DST-change day. The UI only maps the resulting UTC intervals to shading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.timeutil import day_bounds, zone

Interval = tuple[datetime, datetime]
"""A half-open UTC interval ``[start, end)``."""

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, order=True)
class WeeklyInterval:
    """``weekday`` (0 = Monday) from ``start`` to ``end`` wall-clock; ``end`` 00:00 = midnight."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValidationError(f"bad weekday {self.weekday} (0 = Monday … 6 = Sunday)")
        if self.end != time(0) and self.end <= self.start:
            raise ValidationError(
                f"{WEEKDAYS[self.weekday]} {self.start:%H:%M}–{self.end:%H:%M}: "
                "end must be after start"
            )

    def label(self) -> str:
        """``Mon 09:00–17:00`` (an end at midnight reads ``24:00``)."""
        end = "24:00" if self.end == time(0) else f"{self.end:%H:%M}"
        return f"{WEEKDAYS[self.weekday]} {self.start:%H:%M}–{end}"


@dataclass(frozen=True)
class WeeklyHours:
    """Weekly intervals in one zone. ``practitioner_id`` None is the practice default."""

    tzid: str
    intervals: tuple[WeeklyInterval, ...] = ()
    practitioner_id: int | None = None

    def __post_init__(self) -> None:
        zone(self.tzid)
        by_day: dict[int, list[WeeklyInterval]] = {}
        for item in self.intervals:
            by_day.setdefault(item.weekday, []).append(item)
        for items in by_day.values():
            items.sort()
            for a, b in pairwise(items):
                if a.end == time(0) or b.start < a.end:
                    raise ValidationError(f"{a.label()} overlaps {b.label()}")


@dataclass(frozen=True)
class DateOverride:
    """Hours for one local date instead of the weekly ones; no intervals = unavailable."""

    day: date
    intervals: tuple[tuple[time, time], ...] = field(default_factory=tuple)


def _local(day: date, at: time, tz_name: str) -> datetime:
    return datetime.combine(day, at, tzinfo=zone(tz_name)).astimezone(UTC)


def intervals_between(
    hours: WeeklyHours,
    start: datetime,
    end: datetime,
    overrides: Sequence[DateOverride] = (),
) -> list[Interval]:
    """The UTC intervals of ``hours`` that overlap ``[start, end)``, clipped to it."""
    tz = zone(hours.tzid)
    by_date = {o.day: o for o in overrides}
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    out: list[Interval] = []
    day = first
    while day <= last:
        if day in by_date:
            spans: Iterable[tuple[time, time]] = by_date[day].intervals
        else:
            spans = [(i.start, i.end) for i in hours.intervals if i.weekday == day.weekday()]
        for s, e in spans:
            a = _local(day, s, hours.tzid)
            if e == time(0):
                b = _local(day + timedelta(days=1), time(0), hours.tzid)
            else:
                b = _local(day, e, hours.tzid)
            a, b = max(a, start), min(b, end)
            if a < b:
                out.append((a, b))
        day += timedelta(days=1)
    return merge(out)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Union of intervals, sorted and coalesced."""
    out: list[Interval] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def subtract(base: Iterable[Interval], cuts: Iterable[Interval]) -> list[Interval]:
    """``base`` minus every interval in ``cuts``."""
    result = merge(base)
    for c0, c1 in merge(cuts):
        nxt: list[Interval] = []
        for a, b in result:
            if c1 <= a or c0 >= b:
                nxt.append((a, b))
                continue
            if a < c0:
                nxt.append((a, c0))
            if c1 < b:
                nxt.append((c1, b))
        result = nxt
    return result


def outside(hours_list: Sequence[WeeklyHours], start: datetime, end: datetime) -> list[Interval]:
    """Time in ``[start, end)`` when none of the given hours is in: what views shade."""
    inside = [iv for h in hours_list for iv in intervals_between(h, start, end)]
    return subtract([(start, end)], inside)


# --- shading of the calendar views ---------------------------------------------------------


def hours_in_effect(
    practitioner_ids: Sequence[int],
    own: Mapping[int, WeeklyHours],
    default: WeeklyHours | None,
) -> list[WeeklyHours] | None:
    """The weekly hours that decide shading for the practitioners in the filter.

    Each practitioner counts with their own hours (``own``), else the practice ``default``.
    With no practitioner in the filter the practice default alone decides.

    Returns:
        One :class:`WeeklyHours` per practitioner (the default once, however many fall back to
        it), or ``None`` when someone has no hours at all (none of their own and no practice
        default): their time is unknown, so nothing is shaded. Hours with no intervals are
        known and mean "never in".
    """
    if not practitioner_ids:
        return [default] if default is not None else None
    out: list[WeeklyHours] = []
    for pid in dict.fromkeys(practitioner_ids):
        hours = own.get(pid, default)
        if hours is None:
            return None
        if hours not in out:
            out.append(hours)
    return out


def shading_for_day(
    day: date, display_tz: ZoneInfo, hours_list: Sequence[WeeklyHours] | None
) -> list[Interval]:
    """UTC intervals of the local ``day`` (in ``display_tz``) when none of ``hours_list`` is in.

    The hours stay in their own zone: 9:00–17:00 America/Chicago is shaded outside 10:00–18:00
    for a New York viewer, and a DST-change day (23 or 25 hours) is shaded by its real hours.
    ``None`` (unknown hours, see :func:`hours_in_effect`) shades nothing.
    """
    if hours_list is None:
        return []
    start, end = day_bounds(day, display_tz)
    return outside(hours_list, start, end)


def days_without_hours(
    days: Iterable[date], display_tz: ZoneInfo, hours_list: Sequence[WeeklyHours] | None
) -> list[date]:
    """The local days (in ``display_tz``) with no office hours at all: what the month view marks."""
    if hours_list is None:
        return []
    out: list[date] = []
    for day in days:
        start, end = day_bounds(day, display_tz)
        if not any(intervals_between(h, start, end) for h in hours_list):
            out.append(day)
    return out
