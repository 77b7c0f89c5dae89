"""The App's own key bindings (the help's "Everywhere" scope).

They are declared here, not in ``app.py``, so that the help screen (and ``docs/keys.md``, made
from it) can list them without importing the App: the App imports the screens, and no screen
imports the App (the import contract "Layers point downward" keeps it so).
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType


class AppKeys:
    """Holds :attr:`SessionsApp.BINDINGS <sessions_tui.app.SessionsApp.BINDINGS>`.

    | Key | Action |
    | --- | --- |
    | ? | Every key binding |
    | alt+c | Back to the calendar from any screen |
    | alt+d | Dismiss the session alerts |
    | ctrl+q | Quit |
    | ctrl+p | Commands (the theme) |
    | . | The … menu |
    | R | Online booking requests |
    | s | Sync with Google Calendar now |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "question_mark",
            "help",
            "Help",
            id="app.help",
            tooltip="Show every key and what it does",
        ),
        # Priority, unlike the style guide's default: modal screens (filters, go to date) cut
        # the binding chain before the App, and alt+c must work from every screen.
        Binding(
            "alt+c",
            "calendar",
            "Calendar",
            id="app.calendar",
            show=False,
            priority=True,
            tooltip="Back to the calendar from any screen",
        ),
        # Priority, like alt+c: an alert shows on modal screens too. Only while one is shown;
        # otherwise the key goes on to the screen (action_dismiss_alerts skips).
        Binding(
            "alt+d",
            "dismiss_alerts",
            "Dismiss alerts",
            id="app.dismiss-alerts",
            show=False,
            priority=True,
            tooltip="Take the session alerts off the screen (each alert shows once)",
        ),
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            id="app.quit",
            priority=True,
            show=False,
            tooltip="Quit sessions-tui",
        ),
        Binding(
            "ctrl+p",
            "command_palette",
            "Commands",
            id="app.commands",
            show=False,
            tooltip="Commands: change the theme (kept for next time), quit and more",
        ),
        Binding(
            "full_stop",
            "actions_menu",
            "More…",
            id="app.actions",
            tooltip="The … menu: clients, staff, office hours, sync and more",
        ),
        Binding(
            "R",
            "booking_requests",
            "Requests",
            id="app.booking-requests",
            show=False,
            tooltip="Online booking requests waiting for an answer",
        ),
        Binding(
            "s",
            "sync_now",
            "Sync",
            id="app.sync",
            show=False,
            tooltip="Sync with Google Calendar now",
        ),
    ]
