"""Snapshots of the four views on the demo practice, frozen at 2026-11-25 10:00 Chicago.

Regenerate only after looking at the report: ``pytest tests/snapshots --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from app_fixtures import settle
from textual.pilot import Pilot

from sessions_tui.app import SessionsApp

MakeApp = Callable[..., SessionsApp]


VIEWS = [("month", "m"), ("week", "w"), ("day", "d"), ("agenda", "a")]


@pytest.mark.parametrize("size", [(100, 32), (80, 24)], ids=["100x32", "80x24"])
@pytest.mark.parametrize(("view", "key"), VIEWS, ids=[v for v, _k in VIEWS])
def test_view(
    snap_compare: Any, make_app: MakeApp, view: str, key: str, size: tuple[int, int]
) -> None:
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        assert pilot.app.view == view  # type: ignore[attr-defined]

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(100, 32), (80, 24)], ids=["100x32", "80x24"])
def test_week_in_london(snap_compare: Any, make_app: MakeApp, size: tuple[int, int]) -> None:
    app = make_app(tz=ZoneInfo("Europe/London"))

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_privacy_and_filter_header(snap_compare: Any, make_app: MakeApp) -> None:
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("P", "f", "space")
        await pilot.press("enter")  # applies (escape cancels: issue 24)
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
