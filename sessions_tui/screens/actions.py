"""The "..." actions menu: every screen beyond the calendar, reachable by keyboard.

Each entry names the module and the screen class to open, so the menu itself imports nothing
heavy; a screen's module is imported when it is chosen. Screens take no constructor arguments
(they read the app's state).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from textual.screen import Screen

from sessions_tui.screens.dialogs import ChoiceModal


@dataclass(frozen=True)
class MenuEntry:
    """One line of the actions menu."""

    label: str
    module: str
    screen: str
    key: str = ""
    """The direct key for it on the calendar, shown next to the label ("" if none)."""

    def open(self) -> Screen[object]:
        """A new instance of the entry's screen (its module is imported now)."""
        cls = getattr(importlib.import_module(self.module), self.screen)
        screen = cls()
        assert isinstance(screen, Screen)
        return screen


ENTRIES: list[MenuEntry] = [
    MenuEntry("Office hours", "sessions_tui.screens.office_hours", "OfficeHoursScreen", key="O"),
    MenuEntry(
        "Manage availability", "sessions_tui.screens.availability", "AvailabilityScreen", key="A"
    ),
    MenuEntry("Clients", "sessions_tui.screens.clients", "ClientsScreen"),
    MenuEntry("Staff", "sessions_tui.screens.staff", "StaffScreen"),
    MenuEntry("Locations", "sessions_tui.screens.locations", "LocationsScreen"),
    MenuEntry("Account settings", "sessions_tui.screens.settings", "AccountSettingsScreen"),
    MenuEntry(
        "Reminder settings", "sessions_tui.screens.reminder_settings", "ReminderSettingsScreen"
    ),
    MenuEntry(
        "Sync Calendar (ICS feeds)", "sessions_tui.screens.sync_calendar", "SyncCalendarScreen"
    ),
    MenuEntry("Google sync", "sessions_tui.screens.sync_screen", "GoogleSyncScreen"),
    MenuEntry("CalDAV sync", "sessions_tui.screens.sync_screen", "CalDavSyncScreen"),
    MenuEntry("ICS subscriptions", "sessions_tui.screens.subscriptions", "SubscriptionsScreen"),
    MenuEntry("Booking requests", "sessions_tui.screens.requests", "RequestsScreen", key="R"),
    MenuEntry(
        "Online booking settings", "sessions_tui.screens.booking_settings", "BookingSettingsScreen"
    ),
]
"""The menu, in order. Add an entry when a screen exists (never a placeholder)."""


def actions_menu() -> ChoiceModal[MenuEntry]:
    """The "Go to…" menu of :data:`ENTRIES`, each label with its key when it has one."""
    answers = [(f"{e.label}  ({e.key})" if e.key else e.label, e) for e in ENTRIES]
    return ChoiceModal("Go to…", answers, id="actions-menu")
