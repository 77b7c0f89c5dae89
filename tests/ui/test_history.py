"""The event details screen shows the event's history from the audit log."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from test_appointments_ui import press, settle
from textual.widgets import Static

from sessions_tui.app import SessionsApp
from sessions_tui.domain.events import EventKind
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.event_details import EventDetailsScreen
from sessions_tui.services import appointments as ap
from sessions_tui.services import scheduling
from sessions_tui.services.context import make_context
from sessions_tui.widgets.time_grid import TimeGrid, slot_of

MakeApp = Callable[..., SessionsApp]


async def test_details_show_who_changed_what_after_edits(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(app, pilot)
        # A single (not recurring) client session in this week, alone in its slot.
        start = datetime.combine(
            app.cursor_day - timedelta(days=3), datetime.min.time(), tzinfo=app.tz
        )
        found = scheduling.agenda(app.ctx, start, start + timedelta(days=10), app.tz)
        grid = app.screen.query_one(TimeGrid)
        target = None
        for item in found:
            ev = item.event
            if (
                ev.kind is EventKind.SESSION
                and ev.rrule is None
                and ev.series_id is None
                and isinstance(item.start, datetime)
                and not ev.is_cancelled
            ):
                day, slot = item.start.astimezone(app.tz).date(), slot_of(item.start, app.tz)
                app.move_cursor(day, slot)
                await settle(app, pilot)
                hits = grid.events_at(day, slot)
                if len(hits) == 1 and hits[0].event.id == ev.id:
                    target = item
                    break
        assert target is not None
        assert target.event.id is not None
        # Another user (the scheduler) marks the notes done, from another client.
        sam = make_context(app.ctx.db, app.ctx.clock, "sam")
        ap.edit(sam, ap.OccurrenceRef(target.event.id, None), notes_completed=True)
        # This user cancels it with the keyboard.
        await press(app, pilot, "x")
        assert scheduling.get_event(app.ctx, target.event.id).is_cancelled
        assert isinstance(app.screen, CalendarScreen)
        await press(app, pilot, "enter")
        assert isinstance(app.screen, EventDetailsScreen)
        await settle(app, pilot)
        history = str(app.screen.query_one("#history", Static).content)
        lines = history.splitlines()
        assert len(lines) == 3, history
        assert "alice created it" in lines[0]
        assert "sam changed notes_completed: 0 → 1" in lines[1]
        assert "alice changed status: scheduled → cancelled" in lines[2]
        # Times in the display zone (the database stamps real time: CST or CDT).
        assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d C[SD]T  ", line) for line in lines)
