"""Open booking slots: availability, minus date overrides, minus busy events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.officehours import DateOverride, Interval, WeeklyHours, intervals_between, subtract


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
