"""Go to a date: a small modal with one input; a bad date is explained in words.

It reads natural dates (``fri``, ``dec 24``, ``next monday``, ``+3``, ``-1w``, ISO) with
:func:`sessions_tui.services.natural_dates.parse_natural_date`, relative to the app's today in
its display zone; the parser is imported when a date is submitted, not when the app starts.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from sessions_tui.domain.errors import ValidationError


class GoToDateModal(ModalScreen[date | None]):
    """Ask for a date; dismiss with it, or ``None`` on escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="go-to.cancel", tooltip="Close without moving"),
    ]

    DEFAULT_CSS = """
    GoToDateModal { align: center middle; }
    GoToDateModal > Vertical { width: 64; max-width: 100%; height: auto; border: round $accent;
                               padding: 0 1; background: $surface; }
    GoToDateModal #go-to-error { color: $error; height: auto; width: 100%; }
    """

    def __init__(self, today: date) -> None:
        super().__init__()
        self.today = today

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Go to date: fri, dec 24, next monday, +3, -1w, 2026-12-24")
            yield Input(placeholder=self.today.isoformat(), id="go-to-input")
            yield Label("", id="go-to-error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        from sessions_tui.services.natural_dates import parse_natural_date

        try:
            day = parse_natural_date(event.value, self.today)
        except ValidationError as exc:
            self.query_one("#go-to-error", Label).update(f"✗ {exc.message}")
            return
        self.dismiss(day)

    def action_cancel(self) -> None:
        self.dismiss(None)
