"""Snapshots of the practice setup pages at 80x24 on the demo practice.

Regenerate only after looking at the report: ``pytest tests/snapshots --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from app_fixtures import settle
from textual.pilot import Pilot
from textual.widgets import Input

from sessions_tui.app import SessionsApp
from sessions_tui.screens.clients import ClientsScreen
from sessions_tui.screens.locations import LocationsScreen
from sessions_tui.screens.settings import AccountSettingsScreen
from sessions_tui.screens.staff import StaffScreen
from sessions_tui.services import practice

MakeApp = Callable[..., SessionsApp]
SIZE = (80, 24)


def opening(screen: type, *keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot, frame=True)
        pilot.app.push_screen(screen())
        await settle(pilot, frame=True)
        for key in keys:
            await pilot.press(key)
            await settle(pilot, frame=True)

    return run_before


PAGES = [
    ("clients", ClientsScreen),
    ("staff", StaffScreen),
    ("locations", LocationsScreen),
    ("settings", AccountSettingsScreen),
]


@pytest.mark.parametrize(("user"), ["alice", "ben"], ids=["admin", "practitioner"])
@pytest.mark.parametrize(("name", "screen"), PAGES, ids=[p[0] for p in PAGES])
def test_page(snap_compare: Any, make_app: MakeApp, name: str, screen: type, user: str) -> None:
    app = make_app(user=user)
    assert snap_compare(app, terminal_size=SIZE, run_before=opening(screen))


def test_clients_search_in_privacy_mode(snap_compare: Any, make_app: MakeApp) -> None:
    app = make_app()
    app.privacy = True
    assert snap_compare(
        app, terminal_size=SIZE, run_before=opening(ClientsScreen, "slash", "n", "o")
    )


def test_client_form_duplicate_id(snap_compare: Any, make_app: MakeApp) -> None:
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        await opening(ClientsScreen, "a")(pilot)
        screen = pilot.app.screen
        screen.query_one("#first_name", Input).value = "Dup"
        screen.query_one("#last_name", Input).value = "Licate"
        screen.query_one("#internal_id", Input).value = "C-1001"
        await pilot.press("ctrl+s")
        await settle(pilot, frame=True)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_staff_form(snap_compare: Any, make_app: MakeApp) -> None:
    app = make_app()
    assert snap_compare(app, terminal_size=SIZE, run_before=opening(StaffScreen, "o"))


def test_locations_with_an_archived_one(snap_compare: Any, make_app: MakeApp) -> None:
    app = make_app()
    main = practice.find_location(app.ctx, "Main St Clinic")
    practice.update_location(app.ctx, main.id, archived=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=opening(LocationsScreen))
