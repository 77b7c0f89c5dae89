"""What the practice setup pages (clients, staff, locations, account settings) share.

Each page is a full screen pushed above the calendar: escape closes it, ``alt+c`` (the App's
binding) returns to the calendar from it or from any form opened on it. Pages read the app's
context (``app.ctx``), zone and privacy flag; database work runs in thread workers that post
messages back, because ``post_message`` is thread-safe and is simply dropped once the page has
closed (``call_from_thread`` would run a callback against a screen that is gone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from sessions_tui.domain.model import Staff
from sessions_tui.messages import ReportsWorkerFailures
from sessions_tui.services import permissions

if TYPE_CHECKING:
    from sessions_tui.app import SessionsApp


class SetupPage(ReportsWorkerFailures, Screen[None]):
    """Base class of the setup pages: the app's state, refusal messages and worker failures."""

    DEFAULT_CSS = """
    SetupPage .page-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    SetupPage .page-note { height: auto; padding: 0 1; color: $text-muted; }
    SetupPage .page-note.-read-only { color: $warning; }
    SetupPage .page-note.-empty { display: none; }
    SetupPage DataTable { height: 1fr; }
    """

    class Refused(Message):
        """A service refused a change made from the page (posted from a worker thread)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    @property
    def sessions(self) -> SessionsApp:
        """The running app, typed."""
        return cast("SessionsApp", self.app)

    @property
    def actor(self) -> Staff | None:
        """Who is using the app (``None`` only on a practice with no staff yet)."""
        return self.sessions.ctx.actor

    @property
    def is_admin(self) -> bool:
        actor = self.actor
        return actor is not None and permissions.is_admin(actor)

    @property
    def is_manager(self) -> bool:
        """Admins and schedulers run the practice's lists (clients, locations)."""
        actor = self.actor
        return actor is not None and permissions.is_manager(actor)

    def set_note(self, text: str, *, read_only: bool = False) -> None:
        """Show (or hide, with ``""``) the line under the page title."""
        for note in self.query(".page-note"):
            assert isinstance(note, Static)
            note.update(text)
            note.set_class(not text, "-empty")
            note.set_class(read_only, "-read-only")

    def on_setup_page_refused(self, message: SetupPage.Refused) -> None:
        self.notify(message.text, title="Not changed", severity="error")
