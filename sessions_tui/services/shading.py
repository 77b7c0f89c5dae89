"""Shading of the calendar views: the time outside office hours, per display day.

The UI calls these from a worker (they read the database) and maps the result to CSS classes:

```python
shaded = shading_for_days(ctx, week_days, tz, filter_practitioner_ids)
# {date(2026, 11, 2): [(start_utc, end_utc), ...], ...}
closed = days_without_hours(ctx, month_days, tz, filter_practitioner_ids)
```

Rules (see :mod:`sessions_tui.domain.officehours`): each practitioner counts with their own office
hours, else the practice default; with several practitioners a time is shaded only when none of
them is in. ``practitioner_ids`` of ``None`` or empty means every practitioner of the practice
(the unfiltered calendar); with no practitioners at all the practice default decides. Someone with
no hours at all (no own hours, no default) makes nothing shaded: their hours are unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from sessions_tui.domain.officehours import (
    Interval,
    WeeklyHours,
    hours_in_effect,
)
from sessions_tui.domain.officehours import days_without_hours as _days_without_hours
from sessions_tui.domain.officehours import shading_for_day as _shading_for_day
from sessions_tui.services import hours as hours_service
from sessions_tui.services.context import Context
from sessions_tui.services.practice import practitioners


def office_hours_for(
    ctx: Context, practitioner_ids: Sequence[int] | None
) -> list[WeeklyHours] | None:
    """The office hours that decide shading for a practitioner filter (``None``: unknown)."""
    ids = list(practitioner_ids) if practitioner_ids else [p.id for p in practitioners(ctx)]
    own: dict[int, WeeklyHours] = {}
    for pid in ids:
        found = hours_service.get_hours(ctx, pid, kind=hours_service.OFFICE, fallback=False)
        if found is not None:
            own[pid] = found
    default = hours_service.get_hours(ctx, None, kind=hours_service.OFFICE)
    return hours_in_effect(ids, own, default)


def shading_for_days(
    ctx: Context,
    days: Iterable[date],
    display_tz: ZoneInfo,
    practitioner_ids: Sequence[int] | None,
) -> dict[date, list[Interval]]:
    """For each local day, the half-open UTC intervals to shade (outside office hours).

    Args:
        ctx: The service context (reads the database: call it from a worker).
        days: Local dates in ``display_tz`` (a week, or one day).
        display_tz: The zone the calendar is drawn in.
        practitioner_ids: The practitioner filter; ``None`` or empty = every practitioner.

    Returns:
        ``{day: [(start_utc, end_utc), ...]}``, sorted and merged, clipped to the local day
        ``day_bounds(day, display_tz)``; an empty list means nothing to shade that day.
    """
    hours_list = office_hours_for(ctx, practitioner_ids)
    return {day: _shading_for_day(day, display_tz, hours_list) for day in days}


def days_without_hours(
    ctx: Context,
    days: Iterable[date],
    display_tz: ZoneInfo,
    practitioner_ids: Sequence[int] | None,
) -> set[date]:
    """The local days (of ``days``) on which none of the practitioners has office hours.

    Same arguments as :func:`shading_for_days`; the month view marks these days.
    """
    hours_list = office_hours_for(ctx, practitioner_ids)
    return set(_days_without_hours(days, display_tz, hours_list))
