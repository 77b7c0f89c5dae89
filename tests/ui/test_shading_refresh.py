"""Issue 14: office-hours shading refreshes live when another client changes the hours."""

from __future__ import annotations

import asyncio
import time as _time
from datetime import date, time
from pathlib import Path

from test_live_refresh import app_on
from test_typeahead import settle

from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.services import hours, practice
from sessions_tui.services.calendar import Filters
from sessions_tui.store.db import open_database
from sessions_tui.widgets.time_grid import TimeGrid

WED = date(2026, 11, 25)


def shaded_slots(app: object) -> frozenset[int]:
    screen = app.screen_stack[0]  # type: ignore[attr-defined]
    assert isinstance(screen, CalendarScreen)
    grid = screen.query_one(TimeGrid)
    grid.render_line(0)  # draws, which works out the shaded slots
    return grid._outside.get(WED, frozenset())


async def test_issue_14_shading_refreshes_from_another_client(demo_db: Path) -> None:
    db_a, db_b = open_database(str(demo_db)), open_database(str(demo_db))
    first, second = app_on(db_a), app_on(db_b, "sam")
    try:
        async with first.run_test(size=(100, 32)) as pa, second.run_test(size=(100, 32)) as pb:
            await settle(first, pa)
            alice = practice.find_practitioner(first.ctx, "alice")
            # The second client shows only Alice, so her hours alone decide the shading.
            second.apply_filters(Filters(practitioner_ids=frozenset({alice.id})))
            await settle(second, pb)
            before = shaded_slots(second)
            assert 20 not in before  # 10:00 Wednesday is inside the demo's hours
            # Another client: Alice now starts at noon on Wednesdays.
            new = WeeklyHours(
                "America/Chicago",
                (WeeklyInterval(2, time(12), time(18)),),
                practitioner_id=alice.id,
            )
            await asyncio.to_thread(hours.set_hours, first.ctx, new)
            deadline = _time.monotonic() + 10
            while 20 not in shaded_slots(second) and _time.monotonic() < deadline:
                await pb.pause(0.1)  # no key pressed: the live refresh must bring it
            after = shaded_slots(second)
            assert 20 in after  # 10:00 is now outside her hours
            assert 26 not in after  # 13:00 still inside
    finally:
        db_a.dispose()
        db_b.dispose()
