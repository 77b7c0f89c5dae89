"""The calendar's drawing: the header and status bars, and the view on screen.

:meth:`CalendarDrawing._draw_header` writes the period's title, ``loading…``, the zone badge,
the filter summary and the privacy indicator; :meth:`CalendarDrawing._draw_view` hands the
loaded window (and the practitioners' letters and colours, the picked event and the
office-hours shading) to the widget of the current view and keeps the focus on it.
:class:`CalendarDrawing` is mixed into :class:`~sessions_tui.screens.calendar.CalendarScreen`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from textual.widgets import ContentSwitcher, Label, Select

from sessions_tui.domain.periods import period_title
from sessions_tui.screens.calendar_windows import period_view
from sessions_tui.services.agenda_item import AgendaItem
from sessions_tui.widgets.agenda_list import AgendaList
from sessions_tui.widgets.legend import Legend
from sessions_tui.widgets.month_grid import MonthGrid
from sessions_tui.widgets.time_grid import TimeGrid
from sessions_tui.widgets.tz_badge import TzBadge
from sessions_tui.widgets.view_picker import ViewPicker

if TYPE_CHECKING:
    from textual.screen import Screen

    from sessions_tui.app import SessionsApp

    _Base = Screen[None]
else:
    _Base = object

GRID_VIEWS = ("week", "day", "team")
"""The views drawn by the time grid (the cursor is a day and a half-hour slot)."""
VIEW_WIDGETS = {"month": "month-grid", "agenda": "agenda-list"}
"""The widget showing each view (ids in :meth:`CalendarScreen.compose`); the grid views' is
``time-grid``."""


def team_people(app: SessionsApp) -> list[tuple[int, str]]:
    """The team view's columns: ``(id, name)`` of each practitioner the filter shows."""
    facts = app.facts
    if facts is None:
        return []
    wanted = app.filters.practitioner_ids
    return [
        (p.id, p.name)
        for p in facts.practitioners
        if p.id is not None and (wanted is None or p.id in wanted)
    ]


def team_column(app: SessionsApp, people: Sequence[tuple[int, str]]) -> int:
    """The index of the team view's cursor column in ``people``: the App's ``cursor_person``,
    or the first column when it has none or the filter hides it."""
    ids = [pid for pid, _name in people]
    return ids.index(app.cursor_person) if app.cursor_person in ids else 0


class CalendarDrawing(_Base):
    """Draws the calendar's bars and its view (see the module's docstring).

    The screen provides ``sessions``, :meth:`_shading_for` (the loaded office-hours shading)
    and :meth:`_picked_item` (the event picked with ``]`` / ``[``).
    """

    if TYPE_CHECKING:

        @property
        def sessions(self) -> SessionsApp: ...

        def _shading_for(self, grid: str, first: date, days: int) -> Any: ...

        def _picked_item(self) -> AgendaItem | None: ...

    def column_person(self) -> int | None:
        """The practitioner of the team view's cursor column (None in the other views)."""
        app = self.sessions
        if app.view != "team":
            return None
        people = team_people(app)
        return people[team_column(app, people)][0] if people else None

    def _draw_view(self, first: date, days: int, items: Sequence[AgendaItem] | None) -> None:
        """Show the window from ``first`` (``days`` long) in the current view's widget;
        ``items=None`` while it loads."""
        app = self.sessions
        facts = app.facts
        markers = facts.markers if facts else {}
        colors = {p.id: p.color for p in facts.practitioners} if facts else {}
        secondary = facts.secondary_calendars if facts else frozenset()
        now = app.clock.now()
        switcher = self.query_one("#views", ContentSwitcher)
        if app.view in GRID_VIEWS:
            switcher.current = "time-grid"
            grid = self.query_one(TimeGrid)
            people = None
            column = None
            if app.view == "team" and facts is not None:
                people = team_people(app)
                column = team_column(app, people) if people else None
            grid.set_secondary(secondary)
            grid.show(
                days=[first + timedelta(days=n) for n in range(days)],
                tz=app.tz,
                items=items,
                cursor_day=app.cursor_day,
                cursor_slot=app.cursor_slot,
                now=now,
                privacy=app.privacy,
                markers=markers,
                colors=colors,
                people=people,
                cursor_column=column,
                picked=self._picked_item(),
            )
            grid.set_shading(self._shading_for("time", first, days) or {})
            target: Any = grid
        elif app.view == "month":
            switcher.current = "month-grid"
            month = self.query_one(MonthGrid)
            month.set_secondary(secondary)
            month.show(
                first=first,
                weeks=days // 7,
                month=app.cursor_day.month,
                tz=app.tz,
                items=items,
                cursor_day=app.cursor_day,
                now=now,
                privacy=app.privacy,
                markers=markers,
                colors=colors,
            )
            month.set_no_hours(self._shading_for("month", first, days) or set())
            target = month
        else:
            switcher.current = "agenda-list"
            agenda = self.query_one(AgendaList)
            agenda.set_secondary(secondary)
            agenda.show(items, app.tz, first, days, privacy=app.privacy, focus_day=app.cursor_day)
            target = agenda
        picker = self.query_one(ViewPicker)
        if picker.value != app.view:
            with picker.prevent(Select.Changed):
                picker.value = app.view
        if not picker.has_focus and not picker.expanded and self.focused is not target:
            target.focus()
        if facts:
            self.query_one(Legend).set_people(facts.practitioners, facts.markers)

    def _draw_header(self, loading: bool) -> None:
        app = self.sessions
        self.query_one("#view-title", Label).update(
            period_title(period_view(app.view), app.cursor_day, app.week_start)
            + (" · team" if app.view == "team" else "")
        )
        self.query_one("#loading", Label).update("loading…" if loading else "")
        noon = datetime.combine(app.cursor_day, time(12), tzinfo=app.tz)
        self.query_one(TzBadge).show_zone(app.tz, noon)
        facts = app.facts
        summary = app.filters.summary(
            facts.practitioners if facts else (), facts.locations if facts else ()
        )
        self.query_one("#filter-summary", Label).update(summary)
        self.query_one("#privacy-indicator", Label).update(
            "PRIVACY: initials only" if app.privacy else ""
        )
        self.query_one("#privacy-indicator", Label).set_class(app.privacy, "-on")
