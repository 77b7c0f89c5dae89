"""Issue 24: a first frame that stays. The alerts due at start and the office-hours shading are
in the calendar's first frame (not a second later, pushing the week down or graying slots that
looked bookable); the banner takes two lines at most. The whole program from outside:
``test_issue_24_tmux.py``."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from app_fixtures import CLOCK, NOW

from sessions_tui.app import SessionsApp
from sessions_tui.cli.main import _fast_start
from sessions_tui.cli.options import Options
from sessions_tui.config import Config
from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval
from sessions_tui.services import hours, practice
from sessions_tui.services.context import make_context
from sessions_tui.services.fast_shading import fast_office_hours_for
from sessions_tui.services.shading import office_hours_for
from sessions_tui.store.db import open_database
from sessions_tui.widgets.alert_banner import AlertBanner
from sessions_tui.widgets.time_grid import TimeGrid


def test_issue_24_fast_office_hours_are_the_services(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_database(str(demo_db))
    try:
        ctx = make_context(db, CLOCK, "alice")
        alice = practice.find_practitioner(ctx, "alice")
        ben = practice.find_practitioner(ctx, "ben")
        assert alice.id is not None
        assert ben.id is not None
        hours.set_hours(  # alice's own hours; the others keep the practice default
            ctx,
            WeeklyHours(
                "Europe/London",
                (WeeklyInterval(1, time(8), time(12)), WeeklyInterval(3, time(13), time(0))),
                alice.id,
            ),
        )
        monkeypatch.setenv("SESSIONS_TUI_NOW", NOW)
        found = _fast_start(Options(db=str(demo_db), tz="America/Chicago", user="alice"), Config())
        assert found is not None
        start, _tz = found
        try:
            for ids in (None, [alice.id], [ben.id], [alice.id, ben.id]):
                assert fast_office_hours_for(start.reader, ids) == office_hours_for(ctx, ids)
        finally:
            start.reader.close()
            start.watcher.close()
    finally:
        db.dispose()


@pytest.mark.parametrize("fast", [False, True])
async def test_issue_24_alerts_and_shading_in_the_first_frame(
    demo_db: Path, make_app: object, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    """Alerts ten hours ahead: alice's three events of the day are due at start. The screen
    is checked as soon as the app runs, before any worker or tick: the banner says two lines
    (the last "+1 more") and the grid is shaded."""
    config = Config(alerts=(600,))
    if fast:
        monkeypatch.setenv("SESSIONS_TUI_NOW", NOW)
        found = _fast_start(Options(db=str(demo_db), tz="America/Chicago", user="alice"), config)
        assert found is not None
        start, tz = found
        app = SessionsApp(ctx=None, tz=tz, config=config, clock=CLOCK, fast=start)
    else:
        app = make_app(config=config)  # type: ignore[operator]
    async with app.run_test(size=(80, 24)):
        banner = app.screen.query_one(AlertBanner)
        assert len(banner.lines) == 2, banner.lines
        assert banner.lines[0].startswith("Alert: 12:00–12:45 Staff meeting")
        assert "+1 more" in banner.lines[1]
        assert banner.display
        assert banner.region.height == 2
        assert app.screen.query_one(TimeGrid).shading, "no office-hours shading"
