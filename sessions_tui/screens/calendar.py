"""The calendar: one screen whose body swaps between the month, week/day and agenda views.

State (view, cursor day and slot, filters, privacy) lives on the App as reactives; this screen
watches them, loads the window it needs in a thread worker, and redraws.

| Key | Action |
| --- | --- |
| t | Today (keeps the view) |
| n / j, p / k | Next / previous period |
| arrows | Move the cursor (a slot, a day; a week in the month; a column in the team view) |
| enter | Open the event under the cursor (a list if several), or new event |
| ] / [ | Pick the next / previous event in the cursor's slot and the all-day row |
| m w d T a | Month, week, day, team, agenda view |
| v | Open the view picker |
| c | New event at the cursor |
| / | Search |
| g | Go to a date |
| f | Filters |
| P | Privacy mode |
| F | Next free booking slot |
| O, A | Office hours, Manage availability |
| e y x delete M u | Edit, duplicate, cancel, delete, move the event; undo (``event_actions``) |
| + -, shift+down/up | Lengthen, shorten the event by half an hour (``event_actions``) |

The machinery is in mixins, each with its module: the window cache, loading and prefetch
(``calendar_windows``), the bars and the view's drawing (``calendar_draw``), the event picking
and ``enter`` (``calendar_picking``), the cursor and view keys (``calendar_moves``); this
screen composes them, holds the bindings and wires the messages.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Label, Select
from textual.worker import Worker, WorkerState

from sessions_tui.messages import CreateRequested, HoursChanged
from sessions_tui.screens.calendar_draw import GRID_VIEWS, VIEW_WIDGETS, CalendarDrawing
from sessions_tui.screens.calendar_moves import CURSOR_BINDINGS, VIEW_BINDINGS, CalendarMoves
from sessions_tui.screens.calendar_picking import PICK_BINDINGS, SlotPicking
from sessions_tui.screens.calendar_windows import (
    CACHE_WINDOWS,
    PREFETCH_DELAY,
    CalendarWindows,
    WindowKey,
    period_view,
)
from sessions_tui.screens.event_actions import EVENT_BINDINGS, EventActions
from sessions_tui.services.agenda_item import AgendaItem
from sessions_tui.widgets.agenda_list import AgendaList
from sessions_tui.widgets.alert_banner import AlertBanner
from sessions_tui.widgets.legend import Legend
from sessions_tui.widgets.month_grid import MonthGrid
from sessions_tui.widgets.sync_badge import SyncBadge
from sessions_tui.widgets.time_grid import SLOT_MINUTES, TimeGrid
from sessions_tui.widgets.tz_badge import TzBadge
from sessions_tui.widgets.view_picker import ViewPicker

if TYPE_CHECKING:
    from sessions_tui.app import SessionsApp
    from sessions_tui.services.appointments import Change
    from sessions_tui.services.quick_add import QuickAdd

__all__ = [  # the screen, and the names this module had before the split (issue 19)
    "CACHE_WINDOWS",
    "GRID_VIEWS",
    "PREFETCH_DELAY",
    "VIEW_WIDGETS",
    "CalendarScreen",
    "WindowKey",
    "period_view",
]


class CalendarScreen(
    CalendarWindows, CalendarDrawing, SlotPicking, CalendarMoves, EventActions, Screen[None]
):
    """Month, week, day and agenda views with a header, legend and footer; the appointment
    keys (:mod:`sessions_tui.screens.event_actions`) act on the event under its cursor."""

    HELP = """The calendar. Arrow keys move the cursor; enter opens the event under it or
starts a new one in an empty slot. Left/right move a day (and into the next period at the
edge), in the team view a practitioner's column (c creates for the column's practitioner);
n/p move a whole period."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *CURSOR_BINDINGS,
        *PICK_BINDINGS,
        *VIEW_BINDINGS,
        Binding("c", "create", "New", id="calendar.create", tooltip="New event at the cursor"),
        Binding(
            "slash",
            "search",
            "Search",
            id="calendar.search",
            tooltip="Find events by client, ID, title or location",
        ),
        Binding(
            "g",
            "go_to_date",
            "Go to",
            id="calendar.go-to",
            tooltip="Jump to a typed date: fri, dec 24, next monday, +3, -1w, 2026-12-24",
        ),
        Binding(
            "Q",
            "quick_add",
            "Quick add",
            id="calendar.quick-add",
            show=False,
            tooltip="A line (Ava Bennett fri 15:00 50m @Telehealth) opens a new session filled in",
        ),
        Binding(
            "f",
            "filters",
            "Filter",
            id="calendar.filters",
            tooltip="Filter by practitioner, location, status, notes",
        ),
        Binding(
            "P",
            "privacy",
            "Privacy",
            id="calendar.privacy",
            tooltip="Show client initials instead of names",
        ),
        Binding(
            "F",
            "find_free_slot",
            "Free slot",
            id="calendar.free-slot",
            show=False,
            tooltip="Jump to the next free booking slot of the practitioners in the filter",
        ),
        Binding(
            "O",
            "open_screen('sessions_tui.screens.office_hours', 'OfficeHoursScreen')",
            "Office hours",
            id="calendar.office-hours",
            show=False,
            tooltip="Office hours (private to the practice; they shade the calendar)",
        ),
        Binding(
            "A",
            "open_screen('sessions_tui.screens.availability', 'AvailabilityScreen')",
            "Availability",
            id="calendar.availability",
            show=False,
            tooltip="Manage online-booking availability and dates out of office",
        ),
        *EVENT_BINDINGS,
    ]

    moving: reactive[AgendaItem | None] = reactive(None, bindings=True)
    """The event being moved with the arrow keys (move mode), if any."""

    def __init__(self) -> None:
        super().__init__(id="calendar")
        self._init_windows()
        self._init_picking()
        self.undo_stack: list[Change] = []
        """Changes made in this run, newest last; ``u`` reverses the newest."""

    @property
    def sessions(self) -> SessionsApp:
        return cast("SessionsApp", self.app)

    # --- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Focus starts on the view, not on the first focusable widget (Textual's auto-focus
        # gave it to the view picker, so a key typed before the first frame opened the
        # picker: issue 14's burst over SSH at start-up).
        widget_id = VIEW_WIDGETS.get(self.sessions.view, "time-grid")
        setattr(self, "AUTO_FOCUS", f"#{widget_id}")  # noqa: B010  (Textual reads it per instance)
        yield AlertBanner(self.sessions.alerts.lines())  # alerts due at start: first frame
        with Horizontal(id="top-bar"):
            yield Label("", id="view-title")
            yield Label("", id="loading")
            yield ViewPicker(self.sessions.view, id="view-picker")
            yield TzBadge("", id="tz-badge")
        with Horizontal(id="status-bar"):
            yield Label("", id="filter-summary")
            yield Label("", id="picked")
            yield Label("", id="moving")
            yield SyncBadge("", id="sync-status")
            yield Label("", id="privacy-indicator")
        with ContentSwitcher(initial=widget_id, id="views"):
            yield TimeGrid(id="time-grid")
            yield MonthGrid(id="month-grid")
            yield AgendaList(id="agenda-list")
        yield Legend(id="legend")
        footer = Footer(compact=True, show_command_palette=False)
        # Its keys in the first frame (Textual draws a footer's keys a frame after the screen's
        # bindings settle: the key bar came 0.2-0.5 s after the week).
        footer.set_reactive(Footer._bindings_ready, True)
        yield footer

    def on_mount(self) -> None:
        app = self.sessions
        # The user's clock and first hour (config.py): set once, before the first frame.
        self.query_one(TimeGrid).set_clock(hours12=app.hours12, first_hour=app.first_hour)
        self.query_one(AgendaList).hours12 = app.hours12
        for name in (
            "view",
            "cursor_day",
            "cursor_slot",
            "cursor_person",
            "filters",
            "privacy",
            "facts",
        ):
            self.watch(app, name, self._state_changed, init=False)
        # The sync state only touches its badge (progress arrives a few times a second).
        self.watch(app, "sync_status", self._sync_state_changed, init=True)
        self.watch(app, "syncing", self._sync_state_changed, init=False)
        start = app.fast.first_window if app.fast is not None else None
        if start is not None:  # read before the app started (cli._fast_start)
            first, days, items = start
            self._cache[(first, days, app.tz.key, app.filters)] = items
            self._tell_skipped(items)
        self.refresh_view()
        if self.current_items() is not None:
            self.call_after_refresh(app.first_painted)

    def _state_changed(self, _value: object = None) -> None:
        self._drop_stale_pick()
        if self.moving is not None and self.sessions.view not in GRID_VIEWS:
            self.action_stop_moving()  # a move lands on a slot: not in the month or agenda
        self.refresh_view()

    def watch_moving(self, item: AgendaItem | None) -> None:
        """Move mode is on screen for as long as it lasts (not only in a passing notice):
        the status bar says where enter would drop it, and its ghost is drawn there."""
        label = self.query_one("#moving", Label)
        label.set_class(item is not None, "-on")
        if item is None:
            label.update("")
        self.refresh_view()

    def _sync_state_changed(self, _value: object = None) -> None:
        self.query_one(SyncBadge).show_state(self.sessions.sync_status, self.sessions.syncing)

    def on_screen_resume(self) -> None:
        self._forget_shading()  # office hours may have changed on another screen
        self.refresh_view()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        self._window_worker_done(event)
        if event.state is WorkerState.ERROR and event.worker.group == "change":
            self.moving = None  # a failed move never leaves move mode on
        # ReportsWorkerFailures sends a failure on to the App's one handler.

    @on(HoursChanged)
    def _hours_changed(self, _message: HoursChanged) -> None:
        self._forget_shading()
        self.refresh_view()

    # --- drawing -----------------------------------------------------------------------------

    def refresh_view(self) -> None:
        """Redraw the header and the current view from the App's state and the cache."""
        _key, first, days, items = self._visible_items()
        self._draw_header(items is None)
        self._draw_view(first, days, items)
        if self.sessions.view in GRID_VIEWS:
            self.query_one(TimeGrid).set_ghost(self.ghost())
        if self.moving is not None:
            self.query_one("#moving", Label).update(self.moving_label())

    # --- view messages -----------------------------------------------------------------------

    @on(TimeGrid.CursorMoved)
    def _grid_cursor(self, message: TimeGrid.CursorMoved) -> None:
        self.sessions.move_cursor(message.day, message.slot)

    @on(MonthGrid.CursorMoved)
    def _month_cursor(self, message: MonthGrid.CursorMoved) -> None:
        self.sessions.move_cursor(message.day, None)

    @on(AgendaList.EventSelected)
    def _open_event(self, message: AgendaList.EventSelected) -> None:
        self.open_event(message.item)

    @on(Select.Changed, "#view-picker")
    def _picked(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.sessions.view:
            self.sessions.view = event.value
        self.call_after_refresh(self._focus_view)

    @on(ViewPicker.Closed)
    def _picker_closed(self, _message: ViewPicker.Closed) -> None:
        self.call_after_refresh(self._focus_view)

    def _focus_view(self) -> None:
        self.query_one(f"#{VIEW_WIDGETS.get(self.sessions.view, 'time-grid')}").focus()

    # --- opening events ----------------------------------------------------------------------

    def open_event(self, item: AgendaItem) -> None:
        """Show an event's details (read-only); the keys there (``e``, ``y``, ``x``,
        ``delete``) close them and act on the event here."""
        from sessions_tui.screens.event_details import EventDetailsScreen

        app = self.sessions
        if item.hold is not None:  # a booking request's held time: no event to open
            from sessions_tui.services.holds import about_hold

            self.notify(about_hold(item, app.tz), title="Booking request", timeout=8, markup=False)
            return
        self.app.push_screen(
            EventDetailsScreen(item, app.tz, privacy=app.privacy),
            lambda action: self.act_on(item, action),
        )

    @on(CreateRequested)
    def _create_requested(self, message: CreateRequested) -> None:
        message.stop()
        self.open_create(message.start, practitioner_id=message.practitioner_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.event_keys_allowed(action)

    # --- actions -----------------------------------------------------------------------------

    # The cursor keys live here, not on the grids: each key reads and sets the App's cursor
    # at once, in the order the keys arrived, however fast. A grid that computed the next
    # cursor from its own copy (updated only when the screen redrew) dropped the keys typed
    # ahead of a frame (issue 14).

    def action_create(self) -> None:
        app = self.sessions
        minutes = app.cursor_slot * SLOT_MINUTES
        wall = datetime.combine(app.cursor_day, time(minutes // 60, minutes % 60))
        if app.view in ("month", "agenda"):
            wall = datetime.combine(app.cursor_day, time(9))
        self.post_message(
            CreateRequested(wall.replace(tzinfo=app.tz), practitioner_id=self.column_person())
        )

    def action_quick_add(self) -> None:
        from sessions_tui.screens.quick_add import QuickAddModal

        app = self.sessions
        today = app.clock.now().astimezone(app.tz).date()
        self.app.push_screen(QuickAddModal(today), self._quick_added)

    def _quick_added(self, quick: QuickAdd | None) -> None:
        """The new session's form, prefilled with what the line named; the cursor's day and
        slot for a day or time it did not name."""
        if quick is None:
            return
        from sessions_tui.domain.events import EventKind

        app = self.sessions
        minutes = app.cursor_slot * SLOT_MINUTES
        at = quick.at or time(minutes // 60, minutes % 60)
        if quick.at is None and app.view in ("month", "agenda"):
            at = time(9)
        wall = datetime.combine(quick.day or app.cursor_day, at, tzinfo=app.tz)
        self.open_editor(EventKind.SESSION, start=wall, quick=quick)

    def action_search(self) -> None:
        self.sessions.open_search()

    def action_go_to_date(self) -> None:
        self.sessions.open_go_to_date()

    def action_filters(self) -> None:
        self.sessions.open_filters()

    def action_privacy(self) -> None:
        self.sessions.privacy = not self.sessions.privacy

    def action_find_free_slot(self) -> None:
        from sessions_tui.screens.free_slot import find_next_free_slot

        find_next_free_slot(self.sessions)

    def action_open_screen(self, module: str, screen: str) -> None:
        """Open a screen of the "..." menu directly (its entry's key)."""
        from sessions_tui.screens.actions import MenuEntry

        self.app.push_screen(MenuEntry(screen, module, screen).open())
