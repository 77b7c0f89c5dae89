"""The calendar's moves: the cursor keys, today, the previous and next period, the views.

The cursor keys live on the screen, not on the grids: each key reads and sets the App's
cursor at once, in the order the keys arrived, however fast. A grid that computed the next
cursor from its own copy (updated only when the screen redrew) dropped the keys typed ahead
of a frame (issue 14). :class:`CalendarMoves` is mixed into
:class:`~sessions_tui.screens.calendar.CalendarScreen`; :data:`CURSOR_BINDINGS` and
:data:`VIEW_BINDINGS` are part of its ``BINDINGS``.

| Key | Action |
| --- | --- |
| t | Today (keeps the view) |
| n / j, p / k | Next / previous period |
| arrows | Move the cursor (a slot, a day; a week in the month; a column in the team view) |
| m w d T a | Month, week, day, team, agenda view |
| v | Open the view picker |
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType

from sessions_tui.domain.periods import shift_period
from sessions_tui.screens.calendar_windows import period_view
from sessions_tui.widgets.grid_layout import slot_of
from sessions_tui.widgets.view_picker import ViewPicker

if TYPE_CHECKING:
    from textual.screen import Screen

    from sessions_tui.app import SessionsApp

    _Base = Screen[None]
else:
    _Base = object

CURSOR_BINDINGS: list[BindingType] = [
    Binding("t", "today", "Today", id="calendar.today", tooltip="Go to today; keeps the view"),
    Binding("n", "next_period", "Next", id="calendar.next", tooltip="Next month, week or day"),
    Binding(
        "p",
        "previous_period",
        "Prev",
        id="calendar.previous",
        tooltip="Previous month, week or day",
    ),
    # j and k page by period, as n and p; h, l and q say which keys do that. The vim keymap
    # preset ([keymap] preset = "vim") makes h j k l move the cursor and q quit (vim_key).
    Binding(
        "j",
        "vim_key('j')",
        "Next",
        id="calendar.next-j",
        show=False,
        tooltip="Next period (as n); cursor down with the vim keymap preset",
    ),
    Binding(
        "k",
        "vim_key('k')",
        "Prev",
        id="calendar.previous-k",
        show=False,
        tooltip="Previous period (as p); cursor up with the vim keymap preset",
    ),
    Binding(
        "h",
        "vim_key('h')",
        "Left",
        id="calendar.vim-h",
        show=False,
        tooltip="Cursor one day back with the vim keymap preset (else says which keys move)",
    ),
    Binding(
        "l",
        "vim_key('l')",
        "Right",
        id="calendar.vim-l",
        show=False,
        tooltip="Cursor one day on with the vim keymap preset (else says which keys move)",
    ),
    Binding(
        "q",
        "vim_key('q')",
        "Quit",
        id="calendar.vim-q",
        show=False,
        tooltip="Quit with the vim keymap preset (else says that ctrl+q quits)",
    ),
    Binding(
        "up",
        "cursor(0, -1)",
        "Earlier",
        id="calendar.up",
        show=False,
        tooltip="Cursor half an hour earlier (a week back in the month)",
    ),
    Binding(
        "down",
        "cursor(0, 1)",
        "Later",
        id="calendar.down",
        show=False,
        tooltip="Cursor half an hour later (a week on in the month)",
    ),
    Binding(
        "left",
        "cursor(-1, 0)",
        "Prev day",
        id="calendar.left",
        show=False,
        tooltip="Cursor one day back (a column in the team view; a period in the agenda)",
    ),
    Binding(
        "right",
        "cursor(1, 0)",
        "Next day",
        id="calendar.right",
        show=False,
        tooltip="Cursor one day on (a column in the team view; a period in the agenda)",
    ),
]
"""Today, the periods and the cursor: part of ``CalendarScreen.BINDINGS``."""

VIM_MOVES = {"h": (-1, 0), "j": (0, 1), "k": (0, -1), "l": (1, 0)}
"""The vim keymap preset's cursor keys: (days, slots) as :meth:`CalendarMoves.action_cursor`."""

VIEW_BINDINGS: list[BindingType] = [
    Binding("m", "view('month')", "Month", id="calendar.month", show=False, tooltip="Month view"),
    Binding("w", "view('week')", "Week", id="calendar.week", show=False, tooltip="Week view"),
    Binding("d", "view('day')", "Day", id="calendar.day", show=False, tooltip="Day view"),
    Binding(
        "T",
        "view('team')",
        "Team",
        id="calendar.team",
        show=False,
        tooltip="Team view: one day, a column per practitioner",
    ),
    Binding(
        "a",
        "view('agenda')",
        "Agenda",
        id="calendar.agenda",
        show=False,
        tooltip="Agenda (list) view",
    ),
    Binding(
        "v",
        "pick_view",
        "View",
        id="calendar.pick-view",
        show=False,
        tooltip="Open the view picker",
    ),
]
"""The views and the view picker: part of ``CalendarScreen.BINDINGS``."""


class CalendarMoves(_Base):
    """The cursor and view actions of the calendar screen (see the module's docstring).

    The screen provides ``sessions``.
    """

    TYPEAHEAD_FREE: ClassVar[frozenset[str]] = frozenset(
        {"cursor", "today", "next_period", "previous_period"}
    )
    """Actions that change neither the screen nor the focus: keys typed ahead that run them are
    handled at once, not one frame each (``app_typeahead``)."""

    if TYPE_CHECKING:

        @property
        def sessions(self) -> SessionsApp: ...

    def action_cursor(self, days: int, slots: int) -> None:
        """Move the cursor ``days`` and ``slots`` (a week per slot in the month view)."""
        app = self.sessions
        if app.view == "agenda":
            if days:  # up/down belong to the agenda list itself
                app.move_cursor(shift_period("agenda", app.cursor_day, days), None)
        elif app.view == "month":
            app.move_cursor(app.cursor_day + timedelta(days=days + 7 * slots), None)
        elif app.view == "team" and days:
            self._step_column(days)
        else:
            app.move_cursor(app.cursor_day + timedelta(days=days), app.cursor_slot + slots)

    def _step_column(self, step: int) -> None:
        """Team view: the cursor ``step`` practitioners' columns on; past the last column it
        goes to the next day's first (before the first, the previous day's last)."""
        from sessions_tui.screens.calendar_draw import team_column, team_people

        app = self.sessions
        people = team_people(app)
        if not people:
            app.move_cursor(app.cursor_day + timedelta(days=step), None)
            return
        days, column = divmod(team_column(app, people) + step, len(people))
        app.cursor_person = people[column][0]
        if days:
            app.move_cursor(app.cursor_day + timedelta(days=days), None)

    def action_today(self) -> None:
        """Today and now, and the team view's first column: the cursor where a fresh start
        puts it (so keys typed after ``t`` do the same wherever the cursor stood)."""
        app = self.sessions
        now = app.clock.now().astimezone(app.tz)
        app.cursor_person = None
        app.move_cursor(now.date(), slot_of(now, app.tz))

    def action_vim_key(self, key: str) -> None:
        """``h j k l`` move the cursor and ``q`` quits with the vim keymap preset; without it
        ``j``/``k`` page as ``n``/``p`` and ``h``/``l``/``q`` say what to press instead."""
        app = self.sessions
        if app.config is not None and app.config.keymap_preset == "vim":
            if key == "q":
                app.exit()
            else:
                self.action_cursor(*VIM_MOVES[key])
            return
        if key in ("j", "k"):
            self.action_next_period() if key == "j" else self.action_previous_period()
            return
        instead = "ctrl+q quits" if key == "q" else "the arrow keys move the cursor"
        app.notify(
            f'{key} is not bound: {instead} (set [keymap] preset = "vim" for h j k l and q).',
            timeout=5,
            markup=False,  # "[keymap]" is the config's table, not Rich markup
        )

    def action_next_period(self) -> None:
        app = self.sessions
        app.move_cursor(shift_period(period_view(app.view), app.cursor_day, 1), None)

    def action_previous_period(self) -> None:
        app = self.sessions
        app.move_cursor(shift_period(period_view(app.view), app.cursor_day, -1), None)

    def action_view(self, view: str) -> None:
        self.sessions.view = view

    def action_pick_view(self) -> None:
        picker = self.query_one(ViewPicker)
        picker.focus()
        picker.action_show_overlay()
