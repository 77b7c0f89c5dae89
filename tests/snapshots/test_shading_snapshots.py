"""Snapshots of the week view shaded outside office hours (demo practice, frozen clock).

Shaded cells are filled with ``░`` in a dim style, so they also show with NO_COLOR.
Regenerate only after looking at the report: ``pytest tests/snapshots --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from app_fixtures import settle
from textual.pilot import Pilot

from sessions_tui.app import SessionsApp
from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval
from sessions_tui.services import hours
from sessions_tui.services.calendar import Filters
from sessions_tui.services.practice import find_practitioner
from sessions_tui.widgets.time_grid import TimeGrid, outside_slots

MakeApp = Callable[..., SessionsApp]
LONDON = ZoneInfo("Europe/London")


def shaded(app: SessionsApp, day: date) -> frozenset[int]:
    grid = app.screen.query_one(TimeGrid)
    return outside_slots(grid.shading, grid.days, grid.tz).get(day, frozenset())


def half_hours(start: int, end: int) -> set[int]:
    """Slots of the hours ``[start, end)``."""
    return set(range(start * 2, end * 2))


@pytest.mark.parametrize("size", [(100, 32), (80, 24)], ids=["100x32", "80x24"])
def test_shaded_week_one_practitioner(
    snap_compare: Any, make_app: MakeApp, size: tuple[int, int]
) -> None:
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        carmen = find_practitioner(app.ctx, "carmen").id
        app.filters = Filters(practitioner_ids=frozenset({carmen}))
        await settle(pilot)
        # Carmen: Tue–Sat 11:00–19:00 Chicago; Sunday and Monday are out all day.
        assert shaded(app, date(2026, 11, 25)) == half_hours(0, 11) | half_hours(19, 24)
        assert shaded(app, date(2026, 11, 23)) == half_hours(0, 24)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_shaded_week_two_practitioners(snap_compare: Any, make_app: MakeApp) -> None:
    app = make_app()
    ben = find_practitioner(app.ctx, "ben").id
    carmen = find_practitioner(app.ctx, "carmen").id
    # Ben keeps his hours in New York: 08:00–12:00 there is 07:00–11:00 in Chicago.
    hours.set_hours(
        app.ctx,
        WeeklyHours(
            "America/New_York", tuple(WeeklyInterval(d, time(8), time(12)) for d in range(5)), ben
        ),
    )

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app.filters = Filters(practitioner_ids=frozenset({ben, carmen}))
        await settle(pilot)
        # Grayed only where neither is in: Monday Ben alone, Tuesday both (07:00–19:00).
        assert shaded(app, date(2026, 11, 23)) == half_hours(0, 7) | half_hours(11, 24)
        assert shaded(app, date(2026, 11, 24)) == half_hours(0, 7) | half_hours(19, 24)
        assert shaded(app, date(2026, 11, 28)) == half_hours(0, 11) | half_hours(19, 24)

    assert snap_compare(app, terminal_size=(100, 32), run_before=run_before)


def test_shaded_dst_week_from_london(snap_compare: Any, make_app: MakeApp) -> None:
    app = make_app(tz=LONDON)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        # The week of 2026-11-01, when Chicago leaves DST (London left a week before): the
        # practice default 09:00–17:00 Chicago is 15:00–23:00 in London from Monday on, and
        # Carmen's 11:00–19:00 runs to 01:00 the next day.
        app.move_cursor(date(2026, 11, 2), 44)
        await settle(pilot)
        assert app.filters.practitioner_ids is None  # every practitioner
        assert shaded(app, date(2026, 11, 1)) == half_hours(0, 24)
        assert shaded(app, date(2026, 11, 2)) == half_hours(0, 15) | half_hours(23, 24)
        assert shaded(app, date(2026, 11, 3)) == half_hours(0, 15)
        assert shaded(app, date(2026, 11, 4)) == half_hours(1, 15)
        assert shaded(app, date(2026, 11, 7)) == half_hours(1, 17)

    assert snap_compare(app, terminal_size=(100, 32), run_before=run_before)
