"""A window's events are laid out once per window, not on every redraw: moving the cursor in
a dense week at 100k events cost ~30 ms of layout per key, and ``n`` laid the week out twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from app_fixtures import settle

from sessions_tui.app import SessionsApp
from sessions_tui.widgets import month_grid, time_grid
from sessions_tui.widgets.month_grid import MonthGrid
from sessions_tui.widgets.time_grid import TimeGrid

MakeApp = Callable[..., SessionsApp]


async def test_cursor_moves_reuse_the_layout_and_a_new_week_is_laid_out_once(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    laid_out: list[int] = []
    place = time_grid.place_events

    def counting(items: Any, days: Any, tz: Any) -> Any:
        laid_out.append(len(items))
        return place(items, days, tz)

    monkeypatch.setattr(time_grid, "place_events", counting)
    app = make_app(view="week")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = app.screen.query_one(TimeGrid)
        assert grid._placed, "the demo's week has events"
        laid_out.clear()
        for key in ("down", "down", "right", "up", "left"):
            await pilot.press(key)
            await settle(pilot)
        assert laid_out == []
        before = {p.item.event.id for p in grid._placed}
        await pilot.press("n")
        await settle(pilot)
        assert len(laid_out) == 1
        assert {p.item.event.id for p in grid._placed} != before  # the next week's, not the old
        await pilot.press("p")
        await settle(pilot)
        assert len(laid_out) == 1  # back to a window laid out a moment ago: its kept layout
        assert {p.item.event.id for p in grid._placed} == before


async def test_the_month_groups_its_window_once_however_the_cursor_moves(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    grouped: list[int] = []
    days_of = month_grid.item_days  # type: ignore[attr-defined]

    def counting(item: Any, tz: Any) -> Any:
        grouped.append(1)
        return days_of(item, tz)

    monkeypatch.setattr(month_grid, "item_days", counting)
    app = make_app(view="month")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        month = app.screen.query_one(MonthGrid)
        assert month.by_day, "the demo's month has events"
        shown = dict(month.by_day)
        grouped.clear()
        for key in ("right", "left", "up", "down"):  # within November
            await pilot.press(key)
            await settle(pilot)
        assert grouped == []
        assert month.by_day == shown
        await pilot.press("n")
        await settle(pilot)
        assert grouped, "the next month is grouped"
        assert month.by_day != shown
