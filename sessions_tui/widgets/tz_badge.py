"""The zone badge, always at the top right: ``America/Chicago (CST)``."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from textual.widgets import Static

from sessions_tui.domain.timeutil import zone_label


class TzBadge(Static):
    """The display zone with its abbreviation at the period shown (CST in winter, CDT in summer)."""

    DEFAULT_CSS = """
    TzBadge { width: auto; height: 1; padding: 0 1; background: $panel; color: $text; }
    """

    def show_zone(self, tz: ZoneInfo, at: datetime) -> None:
        self.update(zone_label(tz, at))
