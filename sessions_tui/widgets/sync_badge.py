"""The Google sync state in the calendar's status bar: ``Google: pushed 3, pulled 0, …``."""

from __future__ import annotations

from textual.widgets import Static


class SyncBadge(Static):
    """The last Google sync's one-line summary, or ``Google: syncing…`` while a run is going.

    Hidden until a run of this session has something to say (so a practice that does not use
    Google sees nothing). A failed run is shown in the warning colour, and always in words.
    """

    DEFAULT_CSS = """
    SyncBadge { width: auto; max-width: 60%; height: 1; padding: 0 1; color: $text-muted; }
    SyncBadge.-syncing { color: $accent; text-style: bold; }
    SyncBadge.-failed { color: $warning; }
    SyncBadge.-empty { display: none; }
    """

    def show_state(self, status: str, syncing: bool) -> None:
        text = status
        if syncing and "syncing" not in status:
            text = "Google: syncing… " + status.removeprefix("Google: ")
        self.update(text)
        self.set_class(not text, "-empty")
        self.set_class(syncing, "-syncing")
        self.set_class(not syncing and ("failed" in status or "refused" in status), "-failed")
