"""Issue 24: the team view's column cursor, the filter dialog's keys and boxes, the grid's
"more above/below" marks and multi-day all-day bars (demo at 80x24, alice, Wed Nov 25 10:00)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from app_fixtures import settle
from textual.pilot import Pilot

from sessions_tui.app import SessionsApp
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.filters import FiltersModal
from sessions_tui.services.calendar import Filters, load_filters
from sessions_tui.widgets.check_list import CheckList
from sessions_tui.widgets.time_grid import TimeGrid

MakeApp = Callable[..., SessionsApp]
WED = date(2026, 11, 25)


async def press(pilot: Pilot[None], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def grid_lines(app: SessionsApp) -> list[str]:
    grid = app.screen.query_one(TimeGrid)
    return [grid.render_line(y).text for y in range(grid.size.height)]


# --- the filter dialog -----------------------------------------------------------------------


async def test_issue_24_filter_escape_cancels(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "f")
        assert isinstance(app.screen, FiltersModal)
        await press(pilot, "space", "down", "space")  # untick Ben and Carmen
        await press(pilot, "escape")
        assert isinstance(app.screen, CalendarScreen)
        assert app.filters == Filters()  # nothing applied
        assert not any(w.group == "preferences" for w in app.workers)
        assert load_filters(app.ctx) == Filters()  # nothing remembered
        assert "All events" in str(app.screen.query_one("#filter-summary").render())


@pytest.mark.parametrize("apply", ["enter", "ctrl+s"])
async def test_issue_24_filter_enter_applies(make_app: MakeApp, apply: str) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ben = next(p for p in app.facts.practitioners if p.login == "ben")  # type: ignore[union-attr]
        await press(pilot, "f", "space", apply)  # untick Ben (the first), apply
        assert isinstance(app.screen, CalendarScreen)
        others = frozenset(p.id for p in app.facts.practitioners if p.id != ben.id)  # type: ignore[union-attr]
        assert app.filters.practitioner_ids == others
        await settle(pilot)
        assert load_filters(app.ctx).practitioner_ids == others  # remembered


async def test_issue_24_filter_boxes_read_x_and_blank(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "f", "space")  # untick the first practitioner
        people = app.screen.query_one("#filter-practitioners", CheckList)
        lines = [people.render_line(y).text for y in range(people.option_count)]
        assert lines[0].startswith("[ ] B Ben Okafor"), lines
        assert all(line.startswith("[x] ") for line in lines[1:]), lines
        said = str(app.screen.query_one("#filter-said").render())
        assert said == "B Ben Okafor: unchecked (hidden)"
        await press(pilot, "down")
        assert str(app.screen.query_one("#filter-said").render()) == (
            "C Carmen Liu: checked (shown)"
        )
