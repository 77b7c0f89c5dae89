"""Issue 29: a week is laid out once per window, however the user browses (cursor moves,
refreshes, ``n`` and ``p`` back to it), and the window cache is bounded by the events it
holds, not only by its number of windows (memory flat while browsing a dense practice)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from app_fixtures import settle

from sessions_tui.app import SessionsApp
from sessions_tui.screens import calendar_windows
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.widgets import grid_layout, grid_paint, time_grid
from sessions_tui.widgets.time_grid import TimeGrid

MakeApp = Callable[..., SessionsApp]


async def idle(pilot: Any) -> None:
    """Until the calendar's prefetch round (started by a timer after the paint) is done."""
    screen = pilot.app.screen
    for _ in range(200):
        await settle(pilot)
        if screen._prefetch_timer is None and screen._prefetch_worker is None:
            return
        await pilot.pause(0.01)


async def test_issue_29_layout_once_per_window_over_moves_refreshes_and_round_trips(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    placed: list[tuple[Any, ...]] = []
    clustered: list[int] = []
    place, cluster = time_grid.place_events, grid_layout.clusters_by_column

    def counting_place(items: Any, days: Any, tz: Any) -> Any:
        placed.append(tuple(days))
        return place(items, days, tz)

    def counting_clusters(blocks: Any) -> Any:
        clustered.append(len(blocks))
        return cluster(blocks)

    monkeypatch.setattr(time_grid, "place_events", counting_place)
    monkeypatch.setattr(time_grid, "clusters_by_column", counting_clusters)
    monkeypatch.setattr(grid_paint, "clusters_by_column", counting_clusters)
    app = make_app(view="week")
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot)
        grid = app.screen.query_one(TimeGrid)
        assert grid._placed, "the demo's week has events"
        placed.clear()
        clustered.clear()
        for key in ("down", "down", "right", "up", "left", "down"):
            await pilot.press(key)
            await settle(pilot)
            grid.refresh()
            await pilot.pause()
        assert placed == []  # every frame drew the kept layout
        assert clustered == []
        await idle(pilot)
        for _round in range(3):
            await pilot.press("n")
            await idle(pilot)
            await pilot.press("down", "up")
            await idle(pilot)
            await pilot.press("p")
            await idle(pilot)
        # Each week laid out once (its clusters with it): the next one ahead, by the prefetch
        # (so the frame ``n`` shows only draws), and the first one kept its layout.
        assert len(placed) == len(set(placed))
        assert len(clustered) == len(placed)
        assert tuple(grid.days) not in placed

        placed.clear()
        for _step in range(2):  # to a week never shown yet (the prefetch read it)
            await pilot.press("n")
            await idle(pilot)
        assert tuple(grid.days) not in placed  # laid out before the keys, off the UI thread


async def test_issue_29_the_window_cache_holds_at_most_its_bound_of_events(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(view="week")
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot)
        screen = app.screen
        assert isinstance(screen, CalendarScreen)
        week = len(screen.current_items() or [])
        assert week > 5, "the demo's week has events"
        bound = week + week // 2  # room for the week on screen and half of another
        monkeypatch.setattr(calendar_windows, "CACHE_ENTRIES", bound)
        for key in ["n"] * 5 + ["p"] * 8 + ["n"] * 3:
            await pilot.press(key)
            await idle(pilot)
            cache = screen._cache
            held = sum(len(items) for items in cache.values())
            assert screen._key in cache  # the window on screen stays
            # Within the bound, or the window on screen and the one just read alone.
            assert held <= bound or len(cache) <= 2, (len(cache), held, bound)
        assert len(screen._cache) < 8  # not the dozen windows browsed


async def test_issue_29_cursor_moves_reuse_the_crowded_clusters_cells(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dense day's clusters are drawn as styled name lists (hundreds of names at 100k):
    built once per layout, width and top row, not on every cursor move."""
    built: list[int] = []
    dense_cells = grid_paint.GridPainter._dense_cells

    def counting(self: grid_paint.GridPainter, widths: Any) -> Any:
        built.append(len(widths))
        return dense_cells(self, widths)

    monkeypatch.setattr(grid_paint.GridPainter, "_dense_cells", counting)
    app = make_app(view="week")
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot)
        grid = app.screen.query_one(TimeGrid)
        frame = grid.render_line(5)
        built.clear()
        for key in ("down", "right", "up", "left"):
            await pilot.press(key)
            await settle(pilot)
            grid.render_line(5)
        assert built == []
        assert grid.render_line(5) == frame  # the cursor is back: the same picture
        await pilot.press("n")
        await settle(pilot)
        grid.render_line(5)
        assert len(built) == 1  # another week: built again
