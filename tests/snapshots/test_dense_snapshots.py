"""Issue 14 snapshots at 80x24: the team view, a week slot with four overlapping sessions
(every client's name readable), and the week without colour (NO_COLOR).

Regenerate only after looking at the report: ``pytest tests/snapshots --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import CHICAGO, CLOCK, settle
from textual.pilot import Pilot

from sessions_tui.app import SessionsApp
from sessions_tui.domain.events import Event, EventKind
from sessions_tui.domain.timeutil import parse_aware
from sessions_tui.services import appointments as ap
from sessions_tui.services.context import make_context
from sessions_tui.services.practice import list_clients, list_staff
from sessions_tui.store.db import open_database
from sessions_tui.widgets.time_grid import TimeGrid

MakeApp = Callable[..., SessionsApp]
MON_NINE = parse_aware("2026-11-23T09:00:00-06:00")


@pytest.fixture
def four_at_nine(demo_db: Path) -> Path:
    """The demo has three sessions at 09:00 on Monday; give the fourth practitioner one too."""
    db = open_database(str(demo_db))
    try:
        ctx = make_context(db, CLOCK, "alice")
        carmen = next(p for p in list_staff(ctx) if p.name.startswith("Carmen"))
        client = list_clients(ctx)[-1]
        ap.create(
            ctx,
            Event(
                kind=EventKind.SESSION,
                start=MON_NINE,
                end=MON_NINE + timedelta(minutes=50),
                tzid=CHICAGO.key,
                practitioner_id=carmen.id,
                client_id=client.id,
            ),
        )
    finally:
        db.engine.dispose()
    return demo_db


def grid_text(app: Any) -> str:
    grid = app.screen.query_one(TimeGrid)
    return "\n".join(grid.render_line(y).text for y in range(grid.size.height))


def every_name_readable(app: Any) -> None:
    grid = app.screen.query_one(TimeGrid)
    day = MON_NINE.astimezone(CHICAGO).date()
    hits = grid.events_at(day, 18, every_column=True)  # the team view: not only the cursor's
    assert len(hits) == 4
    text = grid_text(app)
    for item in hits:
        assert item.title.split()[0] in text, (item.title, text)


def test_issue_14_team_view_80x24(snap_compare: Any, make_app: MakeApp) -> None:
    app = make_app(view="team")

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        text = grid_text(pilot.app)
        for person in pilot.app.facts.practitioners:  # type: ignore[attr-defined]
            assert person.name.split()[0] in text.splitlines()[0]

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_issue_14_week_four_overlapping_80x24(
    snap_compare: Any, make_app: MakeApp, four_at_nine: Path
) -> None:
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        every_name_readable(pilot.app)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_issue_14_team_view_four_overlapping_80x24(
    snap_compare: Any, make_app: MakeApp, four_at_nine: Path
) -> None:
    app = make_app(view="team")

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.move_cursor(  # type: ignore[attr-defined]
            MON_NINE.astimezone(CHICAGO).date(), 18
        )
        await settle(pilot)
        every_name_readable(pilot.app)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_issue_14_week_no_color_80x24(
    snap_compare: Any, make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    assert app.no_color

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
