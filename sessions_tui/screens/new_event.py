"""Placeholder for creating an event: the appointments form replaces this screen.

The hook is :meth:`sessions_tui.app.SessionsApp.open_create` (or post
:class:`sessions_tui.messages.CreateRequested`); it receives the slot's aware start time.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from sessions_tui.domain.timeutil import zone_label


class NewEventScreen(Screen[None]):
    """Says where a new event would start; escape returns."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="new-event.close", tooltip="Back to the calendar"),
    ]

    DEFAULT_CSS = """
    NewEventScreen Vertical { padding: 1 2; }
    NewEventScreen #new-event-title { text-style: bold; }
    """

    def __init__(self, start: datetime) -> None:
        super().__init__()
        self.start = start

    def compose(self) -> ComposeResult:
        s = self.start
        tz = s.tzinfo
        where = zone_label(tz, s) if tz is not None and hasattr(tz, "key") else ""  # type: ignore[arg-type]
        with Vertical():
            yield Static("New event", id="new-event-title")
            yield Static(
                f"Starts {s:%A, %b} {s.day}, {s.year} at {s:%H:%M} {where}".rstrip(),
                id="new-event-start",
            )
            yield Static(
                "The appointments form comes next; it will open here. Press escape to go back."
            )
        yield Footer(compact=True, show_command_palette=False)

    def action_close(self) -> None:
        self.dismiss()
