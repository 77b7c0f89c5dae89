"""Every screen of the "…" menu opens by keyboard and alt+c returns to the calendar from it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_appointments_ui import press, settle

from sessions_tui.app import SessionsApp
from sessions_tui.screens.actions import ENTRIES
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.dialogs import ChoiceModal

MakeApp = Callable[..., SessionsApp]


@pytest.mark.parametrize("index", range(len(ENTRIES)), ids=[e.label for e in ENTRIES])
async def test_menu_screen_opens_and_alt_c_returns(make_app: MakeApp, index: int) -> None:
    entry = ENTRIES[index]
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "full_stop")
        assert isinstance(app.screen, ChoiceModal)
        await press(app, pilot, *(["down"] * index), "enter")
        assert type(app.screen).__name__ == entry.screen, entry.label
        await press(app, pilot, "alt+c")
        assert isinstance(app.screen, CalendarScreen)
        assert len(app.screen_stack) == 1


def test_menu_lists_every_screen_once() -> None:
    names = [e.screen for e in ENTRIES]
    assert len(names) == len(set(names))
    assert {
        "ClientsScreen",
        "StaffScreen",
        "LocationsScreen",
        "AccountSettingsScreen",
        "OfficeHoursScreen",
        "AvailabilityScreen",
        "SyncCalendarScreen",
        "GoogleSyncScreen",
    } <= set(names)
