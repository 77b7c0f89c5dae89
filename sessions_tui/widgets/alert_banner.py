"""``AlertBanner``: the practitioner's alerts, one line each, at the top of whatever screen is open.

The alert centre (``screens/alerts.py``) mounts one into each screen that becomes current and
sets its lines (two at most: the last says "+N more"); the calendar composes its own, so that
the alerts due at start are in its first frame. It is docked at the top, so on a full screen it
takes the top rows (the screen's own content moves down, nothing is hidden) and on a modal it
sits above the dialog. It takes no focus, so a form's typing is never interrupted by an alert
arriving.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static


class AlertBanner(Static):
    """One line per alert, plain text (names from outside are never markup).

    | Key | Action |
    | --- | --- |
    | (none) | The dismiss key is the App's ``app.dismiss-alerts`` (alt+d by default). |
    """

    DEFAULT_CSS = """
    AlertBanner {
        dock: top;
        width: 100%;
        height: auto;
        max-height: 2;
        padding: 0 1;
        background: $warning;
        color: $text;
        text-style: bold;
    }
    AlertBanner.-empty { display: none; }
    """

    def __init__(self, lines: Sequence[str] = ()) -> None:
        super().__init__("", id="alert-banner", markup=False)
        self.lines: tuple[str, ...] = ()
        """What the banner says now, one alert a line (tests read it)."""
        self.add_class("-empty")
        self.show_lines(lines)

    def show_lines(self, lines: Sequence[str]) -> None:
        """Say ``lines`` (none: the banner is hidden)."""
        lines = tuple(lines)
        if lines == self.lines:
            return
        self.lines = lines
        self.set_class(not lines, "-empty")
        self.update(Text("\n".join(lines), no_wrap=True, overflow="ellipsis"))
