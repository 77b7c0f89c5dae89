"""The calendar's dialogs that the App opens: search, go to a date, filters.

Each moves the App's cursor (or sets its filters) with what the dialog closes with; the
calendar's keys (``/``, ``g``, ``f``) call them. :class:`CalendarDialogs` is mixed into
:class:`~sessions_tui.app.SessionsApp`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from textual.app import App

    from sessions_tui.clock import Clock
    from sessions_tui.services.agenda_item import AgendaItem
    from sessions_tui.services.calendar import CalendarFacts, Filters

    _Base = App[None]
else:
    _Base = object


class CalendarDialogs(_Base):
    """Opens the search, go-to-date and filter dialogs (see the module's docstring).

    The App provides ``tz``, ``clock``, ``facts``, ``filters``, :meth:`move_cursor` and
    :meth:`apply_filters`.
    """

    tz: ZoneInfo
    clock: Clock
    facts: CalendarFacts | None
    filters: Filters

    if TYPE_CHECKING:

        def move_cursor(self, day: date, slot: int | None) -> None:
            """The App's cursor to ``day`` (and ``slot``)."""

        def apply_filters(self, filters: Filters | None) -> None:
            """The App's filters set and remembered."""

    def open_search(self) -> None:
        """Search events; the cursor goes to the one chosen."""
        from sessions_tui.screens.search import SearchScreen

        self.push_screen(SearchScreen(), self._jump_to)

    def _jump_to(self, item: AgendaItem | None) -> None:
        if item is None:
            return
        from sessions_tui.widgets.time_grid import slot_of

        if isinstance(item.start, datetime):
            self.move_cursor(item.start.astimezone(self.tz).date(), slot_of(item.start, self.tz))
        else:
            self.move_cursor(item.start, None)

    def open_go_to_date(self) -> None:
        """Ask for a date; the cursor goes to it."""
        from sessions_tui.screens.go_to_date import GoToDateModal

        today = self.clock.now().astimezone(self.tz).date()
        self.push_screen(GoToDateModal(today), self._go_to)

    def _go_to(self, day: date | None) -> None:
        if day is not None:
            self.move_cursor(day, None)

    def open_filters(self) -> None:
        """The filter panel; what it closes with is applied (and remembered)."""
        from sessions_tui.screens.filters import FiltersModal

        facts = self.facts
        if facts is None:
            self.notify("Still loading practitioners; try again in a moment.")
            return
        self.push_screen(FiltersModal(facts, self.filters), self.apply_filters)
