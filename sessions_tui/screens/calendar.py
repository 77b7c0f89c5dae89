"""The calendar: one screen whose body swaps between the month, week/day and agenda views.

State (view, cursor day and slot, filters, privacy) lives on the App as reactives; this screen
watches them, loads the window it needs in a thread worker, and redraws.

| Key | Action |
| --- | --- |
| t | Today (keeps the view) |
| n / j, p / k | Next / previous period |
| arrows | Move the cursor (a slot, a day; a week in the month) |
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
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Label, Select
from textual.worker import Worker, WorkerState, get_current_worker

from sessions_tui.domain.listing import skipped_of
from sessions_tui.domain.periods import period_range, period_title, shift_period
from sessions_tui.domain.timeutil import days_bounds
from sessions_tui.messages import (
    CreateRequested,
    HoursChanged,
    ReportsWorkerFailures,
    WindowLoaded,
)
from sessions_tui.screens.event_actions import EVENT_BINDINGS, EventActions
from sessions_tui.services.agenda_item import AgendaItem
from sessions_tui.services.calendar import Filters, reader_window_items
from sessions_tui.widgets.agenda_list import AgendaList
from sessions_tui.widgets.legend import Legend
from sessions_tui.widgets.month_grid import MonthGrid
from sessions_tui.widgets.sync_badge import SyncBadge
from sessions_tui.widgets.time_grid import SLOT_MINUTES, TimeGrid, slot_of
from sessions_tui.widgets.tz_badge import TzBadge
from sessions_tui.widgets.view_picker import ViewPicker

if TYPE_CHECKING:
    from sessions_tui.app import SessionsApp
    from sessions_tui.services.appointments import Change

WindowKey = tuple[date, int, str, Filters]
GRID_VIEWS = ("week", "day", "team")
VIEW_WIDGETS = {"month": "month-grid", "agenda": "agenda-list"}
"""The widget showing each view (ids in :meth:`CalendarScreen.compose`); the grid views' is
``time-grid``."""
"""The views drawn by the time grid (the cursor is a day and a half-hour slot)."""


def period_view(view: str) -> str:
    """The period a view shows: the team view shows one day, like the day view."""
    return "day" if view == "team" else view


CACHE_WINDOWS = 24
PREFETCH_DELAY = 0.02
"""Seconds after a window is drawn before its neighbours are loaded (so they never compete
with the paint); a key press in between simply comes first."""


class CalendarScreen(ReportsWorkerFailures, EventActions, Screen[None]):
    """Month, week, day and agenda views with a header, legend and footer; the appointment
    keys (:mod:`sessions_tui.screens.event_actions`) act on the event under its cursor."""

    HELP = """The calendar. Arrow keys move the cursor; enter opens the event under it or
starts a new one in an empty slot. Left/right move a day (and into the next period at the
edge); n/p move a whole period."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "today", "Today", id="calendar.today", tooltip="Go to today; keeps the view"),
        Binding("n", "next_period", "Next", id="calendar.next", tooltip="Next month, week or day"),
        Binding(
            "p",
            "previous_period",
            "Prev",
            id="calendar.previous",
            tooltip="Previous month, week or day",
        ),
        Binding(
            "j",
            "next_period",
            "Next",
            id="calendar.next-j",
            show=False,
            tooltip="Next period (as n)",
        ),
        Binding(
            "k",
            "previous_period",
            "Prev",
            id="calendar.previous-k",
            show=False,
            tooltip="Previous period (as p)",
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
            tooltip="Cursor one day back (the previous period in the agenda)",
        ),
        Binding(
            "right",
            "cursor(1, 0)",
            "Next day",
            id="calendar.right",
            show=False,
            tooltip="Cursor one day on (the next period in the agenda)",
        ),
        Binding(
            "enter",
            "select",
            "Open/new",
            id="calendar.select",
            show=False,
            tooltip="Open the event under the cursor (a list if several), or start a new one",
        ),
        Binding(
            "right_square_bracket",
            "step_event(1)",
            "Next event",
            id="calendar.next-event",
            show=False,
            tooltip="Pick the next event in the cursor's slot, then the day's all-day events",
        ),
        Binding(
            "left_square_bracket",
            "step_event(-1)",
            "Prev event",
            id="calendar.previous-event",
            show=False,
            tooltip="Pick the previous event in the cursor's slot or the all-day row",
        ),
        Binding(
            "m", "view('month')", "Month", id="calendar.month", show=False, tooltip="Month view"
        ),
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
        Binding("c", "create", "New", id="calendar.create", tooltip="New event at the cursor"),
        Binding(
            "slash",
            "search",
            "Search",
            id="calendar.search",
            tooltip="Find events by client, ID, title or location",
        ),
        Binding("g", "go_to_date", "Go to", id="calendar.go-to", tooltip="Jump to a typed date"),
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
        self._cache: OrderedDict[Hashable, Sequence[AgendaItem]] = OrderedDict()
        self._key: WindowKey | None = None
        self._in_flight: WindowKey | None = None
        self._shading: dict[Hashable, Any] = {}
        """Office-hours shading per (grid, first day, days, zone, practitioners) loaded."""
        self._shading_loading: set[Hashable] = set()
        self._stale_shading: dict[Hashable, Any] = {}
        self._shading_gen = 0
        self._prefetching: set[Hashable] = set()
        """Windows the running prefetch worker will post (the visible load waits for them)."""
        self._prefetch_worker: Worker[None] | None = None
        self._prefetch_timer: Any = None
        self._pick: tuple[str, date, int, AgendaItem] | None = None
        """The event picked with ``]`` / ``[``: valid while the view and cursor stay put."""
        self._told_skipped: set[int | None] = set()
        """Events already named in a "skipped" notice (each is named once per run)."""
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
        with Horizontal(id="top-bar"):
            yield Label("", id="view-title")
            yield Label("", id="loading")
            yield ViewPicker(self.sessions.view, id="view-picker")
            yield TzBadge("", id="tz-badge")
        with Horizontal(id="status-bar"):
            yield Label("", id="filter-summary")
            yield Label("", id="picked")
            yield SyncBadge("", id="sync-status")
            yield Label("", id="privacy-indicator")
        with ContentSwitcher(initial=widget_id, id="views"):
            yield TimeGrid(id="time-grid")
            yield MonthGrid(id="month-grid")
            yield AgendaList(id="agenda-list")
        yield Legend(id="legend")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        app = self.sessions
        # The user's clock and first hour (config.py): set once, before the first frame.
        self.query_one(TimeGrid).set_clock(hours12=app.hours12, first_hour=app.first_hour)
        self.query_one(AgendaList).hours12 = app.hours12
        for name in ("view", "cursor_day", "cursor_slot", "filters", "privacy", "facts"):
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
        if self._pick is not None and self._picked_item() is None:
            self._pick = None
            self.query_one("#picked", Label).update("")
        self.refresh_view()

    def _sync_state_changed(self, _value: object = None) -> None:
        self.query_one(SyncBadge).show_state(self.sessions.sync_status, self.sessions.syncing)

    def on_screen_resume(self) -> None:
        self._forget_shading()  # office hours may have changed on another screen
        self.refresh_view()

    # --- the window and its cache ------------------------------------------------------------

    def _window(self) -> tuple[WindowKey, date, int]:
        app = self.sessions
        first, days = period_range(period_view(app.view), app.cursor_day, app.week_start)
        return (first, days, app.tz.key, app.filters), first, days

    def invalidate(self) -> None:
        """Forget loaded windows (after the data changed) and reload the visible one."""
        self._cache.clear()
        self._in_flight = None
        if self._prefetch_worker is not None:
            self._prefetch_worker.cancel()  # what it read may be older than the change
            self._prefetch_worker = None
        self._prefetching.clear()
        # Office hours may have changed too (another client's change arrives the same way as
        # an event's): reload the shading, drawing the old one until the new one is read.
        self._forget_shading(keep_drawing=True)
        self.refresh_view()

    def cached(self, key: Hashable) -> Sequence[AgendaItem] | None:
        items = self._cache.get(key)
        if items is not None:
            self._cache.move_to_end(key)
        return items

    def current_items(self) -> Sequence[AgendaItem] | None:
        """The loaded events of the period on screen (None while loading)."""
        return self._cache.get(self._key) if self._key is not None else None

    def on_window_loaded(self, message: WindowLoaded) -> None:
        if message.prefetch:
            if message.key not in self._prefetching:
                return  # from a prefetch started before the data changed
            self._prefetching.discard(message.key)
        if message.key == self._in_flight:
            self._in_flight = None
        self._cache[message.key] = message.items
        self._cache.move_to_end(message.key)
        while len(self._cache) > CACHE_WINDOWS:
            self._cache.popitem(last=False)
        if message.key == self._key:
            self.refresh_view()
            self.call_after_refresh(self.sessions.first_painted)

    @work(
        thread=True,
        exclusive=True,
        group="window",
        exit_on_error=False,
        description="Load calendar window",
    )
    def load_windows(self, wanted: list[tuple[WindowKey, date, int]], known: set[Hashable]) -> None:
        """Load the visible window."""
        self._load(wanted, prefetch=False)

    @work(
        thread=True,
        group="prefetch",
        exit_on_error=False,
        description="Load the neighbouring windows ahead of need",
    )
    def prefetch_windows(self, wanted: list[tuple[WindowKey, date, int]]) -> None:
        """Load the next and previous periods into the cache (unless cancelled)."""
        self._load(wanted, prefetch=True)

    def _load(self, wanted: list[tuple[WindowKey, date, int]], *, prefetch: bool) -> None:
        worker = get_current_worker()
        app = self.sessions
        app.ensure_watcher()  # before the first read: see SessionsApp.ensure_watcher
        for key, first, days in wanted:
            if worker.is_cancelled:
                return
            start, end = days_bounds(first, days, app.tz)
            items = reader_window_items(app.reader, start, end, app.tz, key[3])
            self._tell_skipped(items)
            if prefetch and worker.is_cancelled:
                return  # cancelled by a data change while reading: what it read may be old
            self.post_message(WindowLoaded(key, items, prefetch=prefetch))

    def _tell_skipped(self, items: Sequence[AgendaItem]) -> None:
        """A notice naming each stored event the read left out (a rule refused
        today, from an older database or a hand edit); the rest of the window is shown."""
        fresh = [s for s in skipped_of(items) if s.event_id not in self._told_skipped]
        if not fresh:
            return
        self._told_skipped.update(s.event_id for s in fresh)
        text = "\n".join(s.warning() for s in fresh)
        # notify posts a message, which is safe from a worker thread; the text is not markup.
        self.notify(text, severity="warning", timeout=10, markup=False)

    def _schedule_prefetch(self) -> None:
        """Load the visible window's neighbours once the screen is idle."""
        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
        self._prefetch_timer = self.set_timer(PREFETCH_DELAY, self._prefetch)

    def _prefetch(self) -> None:
        self._prefetch_timer = None
        if self._prefetch_worker is not None or self._in_flight is not None:
            return  # busy: the worker (or the visible load) schedules another round when done
        app = self.sessions
        wanted = []
        # Next, previous, then two more ahead for "n n n…" (weeks and days; months are big).
        view = period_view(app.view)
        for step in (1, -1) if view == "month" else (1, -1, 2, 3):
            other = shift_period(view, app.cursor_day, step)
            f2, d2 = period_range(view, other, app.week_start)
            key = (f2, d2, app.tz.key, app.filters)
            if key not in self._cache and key != self._in_flight:
                wanted.append((key, f2, d2))
        if wanted:
            self._prefetching = {k for k, _f, _d in wanted}
            self._prefetch_worker = self.prefetch_windows(wanted)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.worker is self._prefetch_worker and event.state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self._prefetch_worker = None
            self._prefetching.clear()
            if self._key is not None and self._key not in self._cache:
                # The visible window was left to this prefetch, which did not deliver it.
                if self._in_flight == self._key:
                    self._in_flight = None
                self.refresh_view()
            elif event.state is WorkerState.SUCCESS:
                self._schedule_prefetch()  # the cursor may have moved on meanwhile
        if event.state is WorkerState.ERROR:
            self._in_flight = None
            if event.worker.group == "change":
                self.moving = None  # a failed move never leaves move mode on
            # ReportsWorkerFailures sends it on to the App's one handler.

    # --- office hours shading ----------------------------------------------------------------

    def _shading_for(self, grid: str, first: date, days: int) -> Any:
        """The loaded shading of a grid (``time``: intervals per day, ``month``: days with no
        hours), or None while a worker loads it."""
        app = self.sessions
        key = (grid, first, days, app.tz.key, app.filters.practitioner_ids)
        if key in self._shading:
            return self._shading[key]
        if app.fast is not None and app._ctx is None:
            return None  # after the first frame: SessionsApp._warm_up redraws when ready
        if key not in self._shading_loading:
            self._shading_loading.add(key)
            self.load_shading(key, self._shading_gen)
        return self._stale_shading.get(key)

    def _forget_shading(self, *, keep_drawing: bool = False) -> None:
        """Reload office-hours shading; with ``keep_drawing``, the old shading stays on screen
        until the new one is read (no flicker on every live refresh)."""
        self._stale_shading = dict(self._shading) if keep_drawing else {}
        self._shading.clear()
        self._shading_loading.clear()
        self._shading_gen += 1  # results of loads started before now are dropped

    @work(
        thread=True, group="shading", exit_on_error=False, description="Load office hours shading"
    )
    def load_shading(
        self, key: tuple[str, date, int, str, frozenset[int] | None], gen: int
    ) -> None:
        from sessions_tui.services.shading import days_without_hours, shading_for_days

        grid, first, days, _tz, ids = key
        app = self.sessions
        dates = [first + timedelta(days=n) for n in range(days)]
        people = sorted(ids) if ids is not None else None
        if grid == "month":
            found: Any = days_without_hours(app.ctx, dates, app.tz, people)
        else:
            found = shading_for_days(app.ctx, dates, app.tz, people)
        self.app.call_from_thread(self._shading_loaded, key, gen, found)

    def _shading_loaded(self, key: Hashable, gen: int, found: Any) -> None:
        if gen != self._shading_gen:
            return
        self._shading_loading.discard(key)
        self._shading[key] = found
        self.refresh_view()

    @on(HoursChanged)
    def _hours_changed(self, _message: HoursChanged) -> None:
        self._forget_shading()
        self.refresh_view()

    # --- drawing -----------------------------------------------------------------------------

    def refresh_view(self) -> None:
        """Redraw the header and the current view from the App's state and the cache."""
        app = self.sessions
        key, first, days = self._window()
        self._key = key
        items = self.cached(key)
        if items is None and key != self._in_flight:
            self._in_flight = key
            if key not in self._prefetching:  # else the running prefetch brings it
                self.load_windows([(key, first, days)], set(self._cache))
        elif items is not None:
            self._schedule_prefetch()
        self._draw_header(items is None)
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
            if app.view == "team" and facts is not None:
                wanted = app.filters.practitioner_ids
                people = [
                    (p.id, p.name)
                    for p in facts.practitioners
                    if p.id is not None and (wanted is None or p.id in wanted)
                ]
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
        self.app.push_screen(
            EventDetailsScreen(item, app.tz, privacy=app.privacy),
            lambda action: self.act_on(item, action),
        )

    @on(CreateRequested)
    def _create_requested(self, message: CreateRequested) -> None:
        message.stop()
        self.open_create(message.start)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.event_keys_allowed(action)

    # --- actions -----------------------------------------------------------------------------

    # The cursor keys live here, not on the grids: each key reads and sets the App's cursor
    # at once, in the order the keys arrived, however fast. A grid that computed the next
    # cursor from its own copy (updated only when the screen redrew) dropped the keys typed
    # ahead of a frame (issue 14).

    def action_cursor(self, days: int, slots: int) -> None:
        """Move the cursor ``days`` and ``slots`` (a week per slot in the month view)."""
        app = self.sessions
        if app.view == "agenda":
            if days:  # up/down belong to the agenda list itself
                app.move_cursor(shift_period("agenda", app.cursor_day, days), None)
        elif app.view == "month":
            app.move_cursor(app.cursor_day + timedelta(days=days + 7 * slots), None)
        else:
            app.move_cursor(app.cursor_day + timedelta(days=days), app.cursor_slot + slots)

    def slot_events(self) -> list[AgendaItem]:
        """What ``]`` / ``[`` step through: the cursor slot's events, then the cursor day's
        all-day events."""
        app = self.sessions
        if app.view not in GRID_VIEWS:
            return []
        grid = self.query_one(TimeGrid)
        return grid.events_at(app.cursor_day, app.cursor_slot) + grid.all_day_on(app.cursor_day)

    def _picked_item(self) -> AgendaItem | None:
        app = self.sessions
        if self._pick is None or self._pick[:3] != (app.view, app.cursor_day, app.cursor_slot):
            return None
        return self._pick[3]

    def cursor_event(self) -> AgendaItem | None:
        """The event the appointment keys act on: the one picked with ``]`` / ``[``, else the
        first under the cursor (the highlighted one in the agenda)."""
        from sessions_tui.services.render import item_days

        app = self.sessions
        if app.view in GRID_VIEWS:
            picked = self._picked_item()
            if picked is not None:
                return picked
            hits = self.query_one(TimeGrid).events_at(app.cursor_day, app.cursor_slot)
            return hits[0] if hits else None
        if app.view == "agenda":
            return self.query_one(AgendaList).current_item
        for item in self.current_items() or ():
            if app.cursor_day in item_days(item, app.tz):
                return item
        return None

    def action_step_event(self, step: int) -> None:
        app = self.sessions
        if app.view not in GRID_VIEWS:
            self.notify("] and [ pick events in the week, day and team views.", timeout=3)
            return
        found = self.slot_events()
        if not found:
            self.notify("No events in this slot or the all-day row.", timeout=3)
            return
        current = self._picked_item()
        at = found.index(current) if current in found else (-1 if step > 0 else len(found))
        item = found[(at + step) % len(found)]
        self._pick = (app.view, app.cursor_day, app.cursor_slot, item)
        self.refresh_view()
        from sessions_tui.services.calendar import display_title

        n = found.index(item) + 1
        self.query_one("#picked", Label).update(
            f" {n}/{len(found)} {display_title(item, privacy=app.privacy)}"
        )

    def action_select(self) -> None:
        """Enter: open the picked event, the only one under the cursor, or a list of them;
        on an empty slot, start a new event (the month view opens the day)."""
        app = self.sessions
        if app.view == "month":
            app.view = "day"
            return
        if app.view == "agenda":
            item = self.query_one(AgendaList).current_item
            if item is not None:
                self.open_event(item)
            return
        if self.current_items() is None:
            self.notify("Still loading this period; press enter again in a moment.", timeout=3)
            return
        picked = self._picked_item()
        hits = self.query_one(TimeGrid).events_at(app.cursor_day, app.cursor_slot)
        if picked is not None:
            self.open_event(picked)
        elif len(hits) == 1:
            self.open_event(hits[0])
        elif hits:
            self._choose_event(hits)
        else:
            slot = self.query_one(TimeGrid).slot_start(app.cursor_day, app.cursor_slot)
            self.post_message(CreateRequested(slot))

    def _choose_event(self, hits: list[AgendaItem]) -> None:
        from sessions_tui.screens.dialogs import ChoiceModal
        from sessions_tui.services.calendar import display_title

        app = self.sessions

        def label(item: AgendaItem) -> str:
            letter = ""
            facts = app.facts
            pid = item.event.practitioner_id
            if facts is not None and pid is not None:
                letter = facts.markers.get(pid, "")
            when = (
                f"{item.start.astimezone(app.tz):%H:%M} "
                if isinstance(item.start, datetime)
                else ""
            )
            return f"{letter} {when}{display_title(item, privacy=app.privacy)}".strip()

        def chosen(item: AgendaItem | None) -> None:
            if item is not None:
                self.open_event(item)

        self.app.push_screen(
            ChoiceModal(
                f"{len(hits)} events at this time: which one?",
                [(label(item), item) for item in hits],
                id="slot-events",
            ),
            chosen,
        )

    def action_today(self) -> None:
        app = self.sessions
        now = app.clock.now().astimezone(app.tz)
        app.move_cursor(now.date(), slot_of(now, app.tz))

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

    def action_create(self) -> None:
        app = self.sessions
        minutes = app.cursor_slot * SLOT_MINUTES
        wall = datetime.combine(app.cursor_day, time(minutes // 60, minutes % 60))
        if app.view in ("month", "agenda"):
            wall = datetime.combine(app.cursor_day, time(9))
        self.post_message(CreateRequested(wall.replace(tzinfo=app.tz)))

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
