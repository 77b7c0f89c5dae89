"""The calendar's fast start (``cli._fast_start``, ``app.FastStart``).

On a SQLite practice at the newest migration, ``sessions-tui`` reads the user, the practice
facts, the remembered filter and the first week with the stdlib ``sqlite3`` and imports the
ORM after the first frame. It must show exactly what the ordinary start shows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import CHICAGO, CLOCK, NOW

from sessions_tui.app import SessionsApp
from sessions_tui.cli.main import _fast_start
from sessions_tui.cli.options import Options
from sessions_tui.config import Config
from sessions_tui.domain.events import Status
from sessions_tui.domain.periods import period_range
from sessions_tui.domain.timeutil import days_bounds
from sessions_tui.services import practice
from sessions_tui.services.calendar import (
    Filters,
    calendar_facts,
    fast_window_items,
    load_filters,
    save_filters,
    window_items,
)
from sessions_tui.services.context import make_context
from sessions_tui.store.db import open_database
from sessions_tui.widgets.time_grid import TimeGrid


def start_fast(db: Path, monkeypatch: pytest.MonkeyPatch, user: str = "alice") -> Any:
    monkeypatch.setenv("SESSIONS_TUI_NOW", NOW)
    return _fast_start(Options(db=str(db), tz=CHICAGO.key, user=user), Config())


def test_fast_start_reads_what_the_services_read(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_database(str(demo_db))
    try:
        ctx = make_context(db, CLOCK, "alice")
        alice = practice.find_practitioner(ctx, "alice")
        remembered = Filters(
            practitioner_ids=frozenset({alice.id}), statuses=frozenset({Status.SCHEDULED})
        )
        save_filters(ctx, remembered)
        found = start_fast(demo_db, monkeypatch)
        assert found is not None
        start, tz = found
        try:
            assert tz == CHICAGO
            assert start.actor == ctx.actor
            assert start.facts == calendar_facts(ctx, None)
            assert start.filters == load_filters(ctx) == remembered
            first, days, items = start.first_window
            assert (first, days) == period_range("week", date(2026, 11, 25), False)
            assert list(items) == window_items(ctx, *days_bounds(first, days, tz), tz, remembered)
            assert items, "the demo's week has alice's sessions"
            place = practice.list_locations(ctx)[0]
            for filters in (
                Filters(),
                remembered,
                Filters(location_ids=frozenset({place.id})),
                Filters(notes_completed=False),
            ):
                for weeks in (-1, 0, 1, 3):
                    bounds = days_bounds(first + timedelta(days=7 * weeks), 7, tz)
                    assert fast_window_items(start.reader, *bounds, tz, filters) == (
                        window_items(ctx, *bounds, tz, filters)
                    ), (filters, weeks)
        finally:
            start.reader.close()
            start.watcher.close()
    finally:
        db.dispose()


def test_fast_start_leaves_the_unusual_to_the_ordinary_path(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert start_fast(demo_db, monkeypatch, user="nobody") is None  # that path names the error
    assert start_fast(tmp_path / "missing.db", monkeypatch) is None
    monkeypatch.setenv("SESSIONS_TUI_NO_FAST_READ", "1")
    assert start_fast(demo_db, monkeypatch) is None


async def test_fast_start_shows_the_same_calendar(
    demo_db: Path, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = start_fast(demo_db, monkeypatch)
    assert found is not None
    start, tz = found
    fast_app = SessionsApp(ctx=None, tz=tz, config=Config(), clock=CLOCK, fast=start)
    shown: dict[str, list[Any]] = {"fast": [], "ordinary": []}
    for name, app in (("fast", fast_app), ("ordinary", make_app())):
        async with app.run_test(size=(100, 32)) as pilot:
            for key in ("", "n", "n", "p", "p", "p", "m", "n", "a", "d", "w"):
                if key:
                    await pilot.press(key)
                screen: Any = app.screen
                for _ in range(200):
                    if screen.current_items() is not None and app.facts is not None:
                        break
                    await pilot.pause(0.01)
                await pilot.pause()
                title = str(screen.query_one("#view-title").render())
                summary = str(screen.query_one("#filter-summary").render())
                grid = screen.query_one(TimeGrid)
                shown[name].append(
                    (app.view, title, summary, list(screen.current_items()), grid.days, grid.items)
                )
            if name == "fast":
                for _ in range(300):  # the ORM context and the sync schedule come after
                    if app._ctx is not None and hasattr(app, "sync_schedule"):
                        break
                    await pilot.pause(0.01)
                assert app._ctx is not None
                assert app.ctx.actor == start.actor
                assert hasattr(app, "sync_schedule")
    assert shown["fast"] == shown["ordinary"]
    assert all(items for view, _t, _s, items, _d, _g in shown["fast"] if view in ("week", "month"))
    assert [v for v, *_rest in shown["fast"]][-5:] == ["month", "month", "agenda", "day", "week"]


def test_the_first_week_paints_before_sqlalchemy_is_imported(demo_db: Path) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        import sessions_tui.app as appmod
        from sessions_tui.cli.main import cli
        from sessions_tui.widgets.time_grid import TimeGrid
        seen = {{}}
        painted = appmod.SessionsApp.first_painted
        def first_painted(self):
            # After the frame that showed the first window (the calendar calls it then):
            # what was imported to draw it.
            grid = self.screen.query_one(TimeGrid)
            if "orm" not in seen and grid.items and not grid.is_loading:
                seen["orm"] = [m for m in ("sqlalchemy", "sqlmodel", "alembic")
                               if m in sys.modules]
            painted(self)
        appmod.SessionsApp.first_painted = first_painted
        def run(self):
            async def go():
                async with self.run_test(size=(100, 32)) as pilot:
                    while "orm" not in seen:
                        await pilot.pause(0.05)
            asyncio.run(go())
        appmod.SessionsApp.run = run
        cli(["--db", {str(demo_db)!r}, "--user", "alice", "--tz", "America/Chicago"],
            standalone_mode=False)
        print(seen)
        """
    )
    env = {**os.environ, "SESSIONS_TUI_NOW": NOW}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "{'orm': []}"
