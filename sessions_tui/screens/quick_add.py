"""Quick add (``Q``): one typed line opens a new client session's form prefilled.

"Ava Bennett fri 15:00 50m @Telehealth" is read by
:func:`sessions_tui.services.quick_add.parse_quick_add` against the practice's clients and
locations (read in a worker: the screen never waits on the database); a part it does not
understand is named under the input, and the prompt stays open to fix it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from sessions_tui.domain.errors import ValidationError
from sessions_tui.messages import ReportsWorkerFailures
from sessions_tui.services.quick_add import EXAMPLE, QuickAdd

if TYPE_CHECKING:
    from sessions_tui.app import SessionsApp
    from sessions_tui.domain.model import Client


class QuickAddModal(ReportsWorkerFailures, ModalScreen[QuickAdd | None]):
    """Ask for one line; dismiss with what it names, or ``None`` on escape.

    | Key | Action |
    | --- | --- |
    | enter | Open the new session's form, prefilled |
    | escape | Close without adding |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "cancel", "Cancel", id="quick-add.cancel", tooltip="Close without adding"
        ),
    ]
    HELP = (
        "Type a client, a day, a time, a length and @location in any order, e.g. "
        f"{EXAMPLE}; enter opens the form prefilled."
    )

    DEFAULT_CSS = """
    QuickAddModal { align: center middle; }
    QuickAddModal > Vertical { width: 70; max-width: 100%; height: auto; border: round $accent;
                               padding: 0 1; background: $surface; }
    QuickAddModal #quick-add-error { color: $error; height: auto; width: 100%; }
    """

    def __init__(self, today: date) -> None:
        super().__init__()
        self.today = today

    @property
    def sessions(self) -> SessionsApp:
        return cast("SessionsApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Quick add: client, day, time, length, @location")
            yield Input(placeholder=EXAMPLE, id="quick-add-input")
            yield Label("", id="quick-add-error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.read_line(event.value)

    @work(
        thread=True,
        exclusive=True,
        group="quick-add",
        exit_on_error=False,
        description="Read the quick-add line",
    )
    def read_line(self, text: str) -> None:
        """Parse ``text`` against the practice's clients and locations (in a thread)."""
        from sessions_tui.services.practice import list_clients, list_locations
        from sessions_tui.services.quick_add import parse_quick_add

        app = self.sessions
        ctx = app.ctx

        def shown(client: Client) -> str:  # as the client list shows them in privacy mode
            if not app.privacy:
                return client.full_name
            return client.initials + (f" ({client.internal_id})" if client.internal_id else "")

        try:
            found = parse_quick_add(
                text,
                self.today,
                list_clients(ctx),
                list_locations(ctx, include_archived=False),
                shown=shown,
            )
        except ValidationError as exc:
            self.app.call_from_thread(self._refused, exc.message)
            return
        self.app.call_from_thread(self.dismiss, found)

    def _refused(self, message: str) -> None:
        self.query_one("#quick-add-error", Label).update(f"✗ {message}")

    def action_cancel(self) -> None:
        self.dismiss(None)
