"""The Textual app: global bindings, the calendar state, and the screens it opens.

Why one :class:`CalendarScreen` that swaps its body instead of App ``MODES`` (STYLE.md §2): the
four views share one header (title, filter summary, privacy flag, view picker, zone badge),
one cursor and one loaded window; modes would copy the header into each mode and give each mode
its own screen stack, so ``alt+c`` ("back to the calendar") would depend on which mode was last
used. Swapping a ``ContentSwitcher`` child is instant and keeps one place that loads data. The
state itself is still App reactives (view, cursor day and slot, filters, privacy) as the style
guide asks, so every screen reads and sets the same values.

Importing this module stays cheap: screens other than the calendar, and anything touching the
database, are imported when first used.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.filter import LineFilter
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from sessions_tui.messages import (
    CreateRequested,
    DataChanged,
    SyncFinished,
    SyncProgressed,
    SyncStarted,
)
from sessions_tui.services.calendar import CalendarFacts, Filters
from sessions_tui.widgets.safe_text_filter import SafeTextFilter

log = logging.getLogger("sessions_tui.app")

if TYPE_CHECKING:
    from sessions_tui.clock import Clock
    from sessions_tui.config import Config
    from sessions_tui.domain.model import Staff
    from sessions_tui.services.agenda_item import AgendaItem
    from sessions_tui.services.appointments import Change
    from sessions_tui.services.context import Context
    from sessions_tui.store.orm_reader import OrmReader
    from sessions_tui.store.reader import Reader


@dataclass(frozen=True)
class FastStart:
    """A start that imports neither SQLAlchemy nor SQLModel before the first frame.

    ``sessions-tui`` reads a SQLite practice at the newest migration with the stdlib ``sqlite3``
    (``store.fastread``) to check the user and read the facts and filter the header needs; the
    calendar then reads its windows through ``reader``, and the ORM context (for writes, office
    hours, sync and the other screens) is made by ``make_context`` in a worker after the first
    frame, or on first use.
    """

    reader: Reader
    path: str
    actor: Staff | None
    facts: CalendarFacts
    filters: Filters
    make_context: Callable[[], Context]
    watcher: Any = None
    """The live-refresh watcher, made before anything below was read."""
    first_window: tuple[date, int, Sequence[AgendaItem]] | None = None
    """The week on screen at start (first day, days, events), so the first frame has them."""


_SAFE_TEXT = SafeTextFilter()


class SessionsApp(App[None]):
    """The calendar app.

    | Key | Action |
    | --- | --- |
    | ? | Every key binding |
    | alt+c | Back to the calendar from any screen |
    | ctrl+q | Quit |
    """

    TITLE = "sessions-tui"
    CSS_PATH = "app.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "question_mark",
            "help",
            "Help",
            id="app.help",
            tooltip="Show every key and what it does",
        ),
        # Priority, unlike the style guide's default: modal screens (filters, go to date) cut
        # the binding chain before the App, and alt+c must work from every screen.
        Binding(
            "alt+c",
            "calendar",
            "Calendar",
            id="app.calendar",
            show=False,
            priority=True,
            tooltip="Back to the calendar from any screen",
        ),
        # Priority, like alt+c: an alert shows on modal screens too. Only while one is shown;
        # otherwise the key goes on to the screen (action_dismiss_alerts skips).
        Binding(
            "alt+d",
            "dismiss_alerts",
            "Dismiss alerts",
            id="app.dismiss-alerts",
            show=False,
            priority=True,
            tooltip="Take the session alerts off the screen (each alert shows once)",
        ),
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            id="app.quit",
            priority=True,
            show=False,
            tooltip="Quit sessions-tui",
        ),
        Binding(
            "ctrl+p",
            "command_palette",
            "Commands",
            id="app.commands",
            show=False,
            tooltip="Commands: change the theme (kept for next time), quit and more",
        ),
        Binding(
            "full_stop",
            "actions_menu",
            "More…",
            id="app.actions",
            tooltip="The … menu: clients, staff, office hours, sync and more",
        ),
        # Appointment actions act on the event under the calendar's cursor; check_action keeps
        # them off other screens.
        Binding(
            "e",
            "edit_event",
            "Edit",
            id="app.edit",
            show=False,
            tooltip="Edit the event under the cursor",
        ),
        Binding(
            "x",
            "cancel_event",
            "Cancel event",
            id="app.cancel-event",
            show=False,
            tooltip="Cancel the event under the cursor (kept, shown as cancelled)",
        ),
        Binding(
            "delete",
            "delete_event",
            "Delete",
            id="app.delete",
            show=False,
            tooltip="Delete the event under the cursor (asks first)",
        ),
        Binding(
            "y",
            "duplicate_event",
            "Duplicate",
            id="app.duplicate",
            show=False,
            tooltip="Copy the event under the cursor into a new one",
        ),
        Binding(
            "M",
            "move_event",
            "Move",
            id="app.move",
            show=False,
            tooltip="Move the event under the cursor: arrows, then enter",
        ),
        Binding(
            "escape",
            "stop_moving",
            "Stop moving",
            id="app.stop-moving",
            show=False,
            tooltip="Leave move mode without moving",
        ),
        Binding("u", "undo", "Undo", id="app.undo", show=False, tooltip="Undo the last change"),
        Binding(
            "ctrl+z",
            "undo",
            "Undo",
            id="app.undo-ctrl-z",
            show=False,
            tooltip="Undo the last change",
        ),
        Binding(
            "R",
            "booking_requests",
            "Requests",
            id="app.booking-requests",
            show=False,
            tooltip="Online booking requests waiting for an answer",
        ),
        Binding(
            "s",
            "sync_now",
            "Sync",
            id="app.sync",
            show=False,
            tooltip="Sync with Google Calendar now",
        ),
    ]

    view: reactive[str] = reactive("week")
    """The calendar view: ``month``, ``week``, ``day``, ``team`` or ``agenda``."""
    cursor_day: reactive[date] = reactive(date(2000, 1, 1))
    """The day under the cursor (display zone); it decides the period shown."""
    cursor_slot: reactive[int] = reactive(20)
    """The half-hour slot under the cursor in the week and day views (0 = 00:00)."""
    filters: reactive[Filters] = reactive(Filters())
    """What the calendar shows; remembered per user."""
    privacy: reactive[bool] = reactive(False)
    """Privacy mode: client names become initials on screen."""
    facts: reactive[CalendarFacts | None] = reactive(None)
    """Practitioners, markers, locations and week start, loaded once at start."""

    moving: reactive[AgendaItem | None] = reactive(None, bindings=True)
    """The event being moved with the arrow keys (move mode), if any."""
    syncing: reactive[bool] = reactive(False, bindings=True)
    """A Google sync is running."""
    sync_status: reactive[str] = reactive("")
    """The last Google sync's one-line summary."""

    def __init__(
        self,
        ctx: Context | None,
        tz: ZoneInfo,
        config: Config | None = None,
        *,
        clock: Clock | None = None,
        view: str = "week",
        fast: FastStart | None = None,
    ) -> None:
        super().__init__()
        if ctx is None and fast is None:
            raise ValueError("SessionsApp needs a context or a FastStart")
        self._ctx = ctx
        self._ctx_lock = threading.Lock()
        self.fast = fast
        """Set when started without the ORM (see :class:`FastStart`); the calendar reads its
        windows through ``fast.reader``."""
        self.tz = tz
        self.config = config
        found = clock or (ctx.clock if ctx is not None else None)
        if found is None:
            raise ValueError("SessionsApp needs a clock when started without a context")
        self.clock: Clock = found
        if fast is not None:
            self.set_reactive(SessionsApp.facts, fast.facts)
            self.set_reactive(SessionsApp.filters, fast.filters)
        now = self.clock.now().astimezone(tz)
        self.set_reactive(SessionsApp.view, view)
        self.set_reactive(SessionsApp.cursor_day, now.date())
        self.set_reactive(SessionsApp.cursor_slot, (now.hour * 60 + now.minute) // 30)
        self.undo_stack: list[Change] = []
        """Changes made in this run, newest last; ``u`` reverses the newest."""
        self._watcher: Any = None
        self._sync_asked = False
        self._subscriptions_running = False
        self._orm_reader: OrmReader | None = None
        self._warming = False
        self._warm_up_timer: Any = None
        self._watcher_lock = threading.Lock()
        from sessions_tui.screens.alerts import AlertCenter

        self.alerts = AlertCenter.for_app(self)
        """Practitioner alerts before the user's events (issue 20; docs/ALERTS.md)."""

    @property
    def ctx(self) -> Context:
        """The services' context; with a :class:`FastStart`, made on first use (any thread)."""
        if self._ctx is None:
            with self._ctx_lock:
                if self._ctx is None:
                    assert self.fast is not None
                    self._ctx = self.fast.make_context()
        return self._ctx

    @ctx.setter
    def ctx(self, value: Context) -> None:
        self._ctx = value

    @property
    def reader(self) -> Reader:
        """What the views read through (``store.reader``): the fast reader of a
        :class:`FastStart`, else the ORM reader over :attr:`ctx`. Chosen once, at start."""
        if self.fast is not None:
            return self.fast.reader
        from sessions_tui.services.readers import orm_reader

        if self._orm_reader is None or self._orm_reader.db is not self.ctx.db:
            self._orm_reader = orm_reader(self.ctx.db)
        return self._orm_reader

    @property
    def week_start(self) -> int:
        """The first day of the week (0 = Monday … 6 = Sunday): the user's config, else the
        practice setting; until the facts are loaded, the config (else Sunday)."""
        if self.facts is not None:
            return self.facts.first_weekday
        first = self.config.first_weekday if self.config else None
        return 6 if first is None else first

    @property
    def week_starts_monday(self) -> bool:
        """Whether :attr:`week_start` is Monday (what older callers ask)."""
        return self.week_start == 0

    @property
    def hours12(self) -> bool:
        """Times on a 12-hour clock (the config's ``clock_hours``)."""
        return bool(self.config and self.config.hours12)

    @property
    def first_hour(self) -> int:
        """The hour the week, day and team views open on (the config's ``first_hour``)."""
        return self.config.first_hour if self.config else 7

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's palette commands without "Screenshot": it wrote an SVG of the screen,
        client names and all (privacy mode or not), into the working directory."""
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":
                yield command

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Refused: a screenshot file would hold client names (issue 15)."""
        self.notify("Screenshots are off: they would save client names to a file.")

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then one that drops any control character left in a widget's text
        (titles and names from outside are made visible before that: ``domain.text``)."""
        return [*super().get_line_filters(), _SAFE_TEXT]

    def get_default_screen(self) -> Screen[None]:
        from sessions_tui.screens.calendar import CalendarScreen

        return CalendarScreen()

    def on_mount(self) -> None:
        self._apply_theme()
        self._apply_keymap()
        self.alerts.start()
        refresh = self.config.refresh_seconds if self.config else 2.0
        # Live refresh: look for other clients' changes (cheap; the check runs in a thread).
        self.set_interval(max(0.5, refresh / 2), self._check_for_changes)
        if self.fast is not None:
            # Facts and filters came with the FastStart; the ORM and the sync machinery are
            # imported once the first window is on screen (first_painted), or after a while.
            self._warm_up_timer = self.set_timer(3.0, self._warm_up)
            return
        self.load_facts()
        self._start_sync_schedule()

    def _apply_theme(self) -> None:
        """The theme picked in the app last time (ui_state), else the config's; then every
        change (``ctrl+p`` → Theme) is remembered for the next run."""
        from sessions_tui.ui_state import remembered_theme

        configured = self.config.theme if self.config else None
        name = remembered_theme(configured)
        if name is not None and name in self.available_themes:
            self.theme = name
        elif name is not None:
            log.warning("theme %r is not available; using the default", name)
        self._theme_timer: Any = None
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        # The theme picker previews each theme it passes over: keep the one it settles on.
        if self._theme_timer is not None:
            self._theme_timer.stop()
        self._theme_timer = self.set_timer(0.5, self._keep_theme)

    def _keep_theme(self) -> None:
        from sessions_tui.ui_state import remember_theme, state_path

        self._theme_timer = None
        try:
            remember_theme(self.theme, self.config.theme if self.config else None)
        except OSError as exc:
            self.notify(
                f"Could not keep the theme for next time ({state_path()}: {exc.strerror}).",
                severity="warning",
            )

    def _apply_keymap(self) -> None:
        """The config's ``[keymap]`` (binding id → keys); an unknown id gets one line."""
        keymap = dict(self.config.keymap) if self.config else {}
        if not keymap:
            return
        from sessions_tui.screens.help import cached_key_rows, textual_keymap

        keymap = textual_keymap(keymap)  # "." as well as "full_stop"
        known = {row.id for row in cached_key_rows()}
        unknown = sorted(set(keymap) - known)
        if unknown:
            self.notify(
                f"Config: keymap.{unknown[0]} is not a binding id (see docs/keys.md); ignored.",
                severity="error",
                timeout=8,
            )
        self.set_keymap({k: v for k, v in keymap.items() if k in known})

    def first_painted(self) -> None:
        """The calendar drew its first loaded window: warm up the ORM shortly after (the
        neighbouring windows load first)."""
        if self.fast is not None and self._ctx is None and not self._warming:
            self._warming = True
            self._warm_up_timer.stop()
            self.set_timer(0.25, self._warm_up)

    def _start_sync_schedule(self) -> None:
        from sessions_tui.sync.worker import SyncSchedule

        self.sync_schedule = SyncSchedule(interval=60)
        self.set_interval(1.0, self._sync_tick)
        # ICS subscriptions: each has its own interval (in the database, so clients sharing
        # it agree); once a minute a worker refreshes the ones that are due.
        self.set_timer(2.0, self._subscriptions_tick)
        self.set_interval(60.0, self._subscriptions_tick)
        from sessions_tui.screens.requests import refresh_badge

        refresh_badge(self)  # pending booking requests, once the ORM is ready

    @work(
        thread=True,
        exclusive=True,
        group="warm-up",
        exit_on_error=False,
        description="Open the database for writing",
    )
    def _warm_up(self) -> None:
        """Make the ORM context and import the sync worker off the UI thread."""
        self._warming = True
        import sessions_tui.sync.worker  # noqa: F401  (imported here, not on the UI thread)

        self.ctx  # noqa: B018  (made here, not on first use by a key)
        self.call_from_thread(self._warmed)

    @work(
        thread=True,
        exclusive=True,
        group="warm-up-help",
        exit_on_error=False,
        description="Read the key bindings for the help",
    )
    def _warm_help(self) -> None:
        """Import every screen off the UI thread (what the help reads its keys from), a
        while after the start, so that ``?`` paints at once (issue 14: was seconds)."""
        from sessions_tui.screens.help import cached_key_rows

        cached_key_rows()

    def _warmed(self) -> None:
        from sessions_tui.screens.calendar import CalendarScreen

        if not hasattr(self, "sync_schedule"):  # once, whichever warm-up finished first
            self._start_sync_schedule()
            self.set_timer(1.0, self._warm_help)
        for screen in self.screen_stack:
            if isinstance(screen, CalendarScreen):
                screen.refresh_view()  # now the office-hours shading can load

    @work(
        thread=True,
        exclusive=True,
        group="facts",
        exit_on_error=False,
        description="Load practitioners and filters",
    )
    def load_facts(self) -> None:
        from sessions_tui.services.calendar import calendar_facts, load_filters

        user_week_start = self.config.first_weekday if self.config else None
        facts = calendar_facts(self.ctx, user_week_start)
        filters = load_filters(self.ctx)
        self.call_from_thread(self._facts_loaded, facts, filters)

    def _facts_loaded(self, facts: CalendarFacts, filters: Filters) -> None:
        self.filters = filters
        self.facts = facts

    # --- state changes -----------------------------------------------------------------------

    def move_cursor(self, day: date, slot: int | None) -> None:
        """Put the cursor on ``day`` (and ``slot`` if given); the period follows the cursor."""
        self.cursor_day = day
        if slot is not None:
            self.cursor_slot = max(0, min(47, slot))

    def apply_filters(self, filters: Filters | None) -> None:
        """Show only what ``filters`` lets through, and remember it for this user."""
        if filters is None or filters == self.filters:
            return
        self.filters = filters
        self.save_filters(filters)

    @work(thread=True, group="preferences", exit_on_error=False, description="Save filters")
    def save_filters(self, filters: Filters) -> None:
        from sessions_tui.services.calendar import save_filters

        save_filters(self.ctx, filters)

    # --- screens -----------------------------------------------------------------------------

    def action_help(self) -> None:
        from sessions_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_dismiss_alerts(self) -> None:
        if not self.alerts.showing:
            from textual.actions import SkipAction

            raise SkipAction()  # nothing shown: the key is the screen's
        self.alerts.dismiss()

    def action_calendar(self) -> None:
        """Close every screen above the calendar."""
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def open_event(self, item: AgendaItem) -> None:
        """Show an event's details (read-only)."""
        from sessions_tui.screens.event_details import EventDetailsScreen

        self.push_screen(EventDetailsScreen(item, self.tz, privacy=self.privacy))

    @on(CreateRequested)
    def _create_requested(self, message: CreateRequested) -> None:
        self.open_create(message.start)

    def open_create(self, slot_start: datetime) -> None:
        """Start creating an event at ``slot_start``: first ask which kind, then the form.

        In move mode, enter on a slot moves the event there instead.
        """
        if self.moving is not None:
            self._finish_move(slot_start)
            return
        from sessions_tui.domain.events import EventKind
        from sessions_tui.screens.dialogs import ChoiceModal

        def chosen(kind: EventKind | None) -> None:
            if kind is not None:
                self._open_editor(kind, start=slot_start)

        self.push_screen(
            ChoiceModal(
                f"New event at {slot_start:%a %b} {slot_start.day}, {slot_start:%H:%M}",
                [("Client session", EventKind.SESSION), ("Other event", EventKind.OTHER)],
                id="new-kind",
            ),
            chosen,
        )

    def _open_editor(
        self,
        kind: Any,
        *,
        start: datetime | None = None,
        item: AgendaItem | None = None,
        duplicate: bool = False,
    ) -> None:
        from sessions_tui.screens.event_editor import EventEditorScreen

        screen = EventEditorScreen(kind, start=start, item=item, duplicate=duplicate)
        self.push_screen(screen, self._changed)

    # --- appointments: edit, cancel, delete, duplicate, move, undo ---------------------------

    def on_calendar(self) -> bool:
        from sessions_tui.screens.calendar import CalendarScreen

        return isinstance(self.screen, CalendarScreen)

    def on_details(self) -> bool:
        from sessions_tui.screens.event_details import EventDetailsScreen

        return isinstance(self.screen, EventDetailsScreen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit_event", "cancel_event", "delete_event", "duplicate_event"):
            # On an event's details they act on that event (help lists them there too).
            return (self.on_calendar() or self.on_details()) and self.moving is None
        if action in ("move_event", "undo", "actions_menu"):
            return self.on_calendar() and self.moving is None
        if action == "stop_moving":
            return self.moving is not None
        # sync_now stays enabled while syncing: the key then says a sync is running.
        return True

    def selected_item(self) -> AgendaItem | None:
        """The event the calendar's appointment keys act on (see CalendarScreen.cursor_event)."""
        from sessions_tui.screens.calendar import CalendarScreen
        from sessions_tui.screens.event_details import EventDetailsScreen

        if isinstance(self.screen, EventDetailsScreen):
            return self.screen.item
        screen = self.screen_stack[0] if self.screen_stack else None
        if not isinstance(screen, CalendarScreen):
            return None
        return screen.cursor_event()

    def _need_item(self, *, changing: bool = False) -> AgendaItem | None:
        """The event to act on, or None after saying in one line why there is none; with
        ``changing``, also None (said) when the user may not change it, before any question
        (this/following/all) is asked."""
        item = self.selected_item()
        if item is None:
            self.notify("No event under the cursor.", severity="warning", timeout=3)
            return None
        if changing:
            from sessions_tui.domain.errors import SessionsError
            from sessions_tui.services.permissions import require_edit_event

            try:
                require_edit_event(self.ctx.require_actor(), item.event)
            except SessionsError as exc:
                self.notify(exc.message, severity="error", timeout=5)
                return None
        return item

    def action_edit_event(self) -> None:
        item = self._need_item(changing=True)
        if item is not None:
            self._open_editor(item.event.kind, item=item)

    def action_duplicate_event(self) -> None:
        item = self._need_item()
        if item is not None:
            self._open_editor(item.event.kind, item=item, duplicate=True)

    def action_cancel_event(self) -> None:
        item = self._need_item(changing=True)
        if item is not None:
            self.change_event(item, "cancel")

    def action_delete_event(self) -> None:
        item = self._need_item(changing=True)
        if item is not None:
            self.change_event(item, "delete")

    @work(exclusive=True, group="change", exit_on_error=False, description="Change an event")
    async def change_event(self, item: AgendaItem, what: str) -> None:
        """Cancel or delete, asking first (and which occurrences, for a series)."""
        import asyncio

        from sessions_tui.screens.dialogs import confirm, scope_question
        from sessions_tui.services import appointments as ap
        from sessions_tui.services.calendar import display_title

        title = display_title(item, privacy=self.privacy)
        recurring = item.event.rrule is not None or item.event.series_id is not None
        scope = ap.Scope.ALL
        if recurring:
            picked = await self.push_screen_wait(
                scope_question("Cancel" if what == "cancel" else "Delete")
            )
            if picked is None:
                return
            scope = picked
        if what == "delete":
            ok = await self.push_screen_wait(
                confirm(f"Delete {title}?", "Delete", detail="Undo (u) can bring it back.")
            )
            if not ok:
                return
        ref = self._ref(item)
        try:
            if what == "cancel":
                change = await asyncio.to_thread(ap.cancel, self.ctx, ref, scope)
            else:
                change = await asyncio.to_thread(ap.remove, self.ctx, ref, scope)
        except Exception as exc:
            self._refused(exc)
            return
        self._changed(change)

    def _ref(self, item: AgendaItem) -> Any:
        from sessions_tui.services.appointments import OccurrenceRef

        event = item.event
        assert event.id is not None
        rid = item.occurrence.recurrence_id if event.series_id is None else None
        return OccurrenceRef(event.id, rid)

    def _refused(self, exc: BaseException) -> None:
        from sessions_tui.domain.errors import SessionsError

        if isinstance(exc, SessionsError):
            self.notify(exc.message, severity="error", timeout=8)
        else:
            raise exc

    def action_move_event(self) -> None:
        item = self._need_item(changing=True)
        if item is None:
            return
        if self.view not in ("week", "day", "team"):
            self.view = "week"
        self.moving = item
        self.notify(
            "Moving: arrows pick the new day and time, enter moves it there, "
            "escape leaves it where it was.",
            title="Move",
            timeout=6,
        )

    def action_stop_moving(self) -> None:
        self.moving = None
        self.notify("Not moved.")

    @work(exclusive=True, group="change", exit_on_error=False, description="Move an event")
    async def _finish_move(self, slot_start: datetime) -> None:
        import asyncio

        from sessions_tui.screens.dialogs import confirm, scope_question
        from sessions_tui.services import appointments as ap

        item = self.moving
        self.moving = None
        if item is None:
            return
        start = item.start
        if isinstance(start, datetime):
            delta = slot_start - start
        else:
            delta = timedelta(days=(slot_start.astimezone(self.tz).date() - start).days)
        if not delta:
            self.notify("Same time: not moved.")
            return
        scope = ap.Scope.THIS
        if item.event.rrule is not None or item.event.series_id is not None:
            picked = await self.push_screen_wait(scope_question("Move"))
            if picked is None:
                return
            scope = picked
        moved = item.event.with_changes(
            start=item.start + delta,  # type: ignore[operator]
            end=item.end + delta,  # type: ignore[operator]
            rrule=None,
            series_id=None,
        )
        ignore = [i for i in (item.event.id, item.event.series_id) if i]
        warnings = await asyncio.to_thread(ap.warnings_for, self.ctx, moved, ignore_ids=ignore)
        if warnings:
            ok = await self.push_screen_wait(
                confirm("Move anyway?", "Move anyway", detail="It " + "; ".join(warnings) + ".")
            )
            if not ok:
                return
        try:
            change = await asyncio.to_thread(ap.move, self.ctx, self._ref(item), delta, scope)
        except Exception as exc:
            self._refused(exc)
            return
        self._changed(change)

    def _changed(self, change: Change | None) -> None:
        """A change was saved: remember it for undo, redraw, and schedule a sync."""
        if change is None:
            return
        self.undo_stack.append(change)
        del self.undo_stack[:-50]
        self.notify(f"Saved ({change.description}). u undoes it.", timeout=4)
        self._reload()
        if hasattr(self, "sync_schedule"):
            import time as _time

            self.sync_schedule.local_change(_time.monotonic())

    def _reload(self) -> None:
        from sessions_tui.screens.calendar import CalendarScreen

        self.alerts.check()  # a moved or cancelled event's alert follows it now

        for screen in self.screen_stack:
            if isinstance(screen, CalendarScreen):
                screen.invalidate()

    @work(exclusive=True, group="change", exit_on_error=False, description="Undo")
    async def action_undo(self) -> None:
        import asyncio

        from sessions_tui.services import appointments as ap

        if not self.undo_stack:
            self.notify("Nothing to undo.")
            return
        change = self.undo_stack.pop()
        try:
            await asyncio.to_thread(ap.undo, self.ctx, change)
        except Exception as exc:
            self.undo_stack.append(change)
            self._refused(exc)
            return
        self.notify(f"Undone: {change.description}.")
        self._reload()

    # --- the "..." menu ----------------------------------------------------------------------

    def action_actions_menu(self) -> None:
        from sessions_tui.screens.actions import actions_menu

        def chosen(entry: Any) -> None:
            if entry is not None:
                self.push_screen(entry.open())

        self.push_screen(actions_menu(), chosen)

    # --- worker failures ---------------------------------------------------------------------

    @on(Worker.StateChanged)
    def _app_worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.worker_failed(event.worker)

    def worker_failed(self, worker: Worker[Any]) -> None:
        """The one handler for a worker that raised (the App's own, and screens forward theirs).

        Logged (the exception's type and where, never its text: it may hold a client's name),
        said to the user in one line, and the state the worker held reset, so a failed sync
        never leaves ``syncing`` set and a failed move never leaves move mode on.
        """
        import time as _time
        import traceback

        from sessions_tui.domain.errors import SessionsError

        error = worker.error
        where = "".join(traceback.format_tb(error.__traceback__)) if error else ""
        log.error(
            "worker %s (group %s) failed: %s\n%s",
            worker.name,
            worker.group,
            type(error).__name__,
            where,
        )
        if worker.group == "sync":
            self.syncing = False
            self.sync_status = "Google: sync failed"
            if hasattr(self, "sync_schedule"):
                self.sync_schedule.finished(_time.monotonic(), False)
        elif worker.group == "change":
            self.moving = None
        what = worker.description or "Background work"
        if isinstance(error, SessionsError):
            text = error.message
        else:
            text = f"{what} failed ({type(error).__name__}); everything else keeps working."
        self.notify(text.splitlines()[0] if text else what, severity="error", timeout=6)

    # --- live refresh ------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        group="watch",
        exit_on_error=False,
        description="Look for changes by others",
    )
    def _check_for_changes(self) -> None:
        if self.ensure_watcher().changed():
            self.post_message(DataChanged())

    def ensure_watcher(self) -> Any:
        """The live-refresh watcher, made on first use; call it from a worker thread (it may
        connect to the database server).

        The calendar calls it before it reads its first window, so the watcher's baseline is
        taken before anything is shown: a change committed in between is never missed.
        """
        with self._watcher_lock:
            if self._watcher is None and self.fast is not None:
                from sessions_tui.services.live import change_watcher

                self._watcher = self.fast.watcher or change_watcher(sqlite_path=self.fast.path)
            elif self._watcher is None:
                from sessions_tui.services.live import change_watcher

                self._watcher = change_watcher(self.ctx.db)
            return self._watcher

    @on(DataChanged)
    def _data_changed(self) -> None:
        self._reload()
        from sessions_tui.screens.requests import refresh_badge

        refresh_badge(self)

    def action_booking_requests(self) -> None:
        from sessions_tui.screens.requests import RequestsScreen

        if not isinstance(self.screen, RequestsScreen):
            self.push_screen(RequestsScreen())

    def on_unmount(self) -> None:
        if getattr(self, "_theme_timer", None) is not None:
            self._keep_theme()  # a theme picked just before quitting is kept too
        if self._watcher is not None:
            self._watcher.close()
        if self.fast is not None:
            self.fast.reader.close()

    # --- ICS subscriptions -------------------------------------------------------------------

    def _subscriptions_tick(self) -> None:
        if not self._subscriptions_running:
            self._subscriptions_running = True
            self.refresh_subscriptions()

    @work(
        thread=True,
        exclusive=True,
        group="subscriptions",
        exit_on_error=False,
        description="Refresh ICS subscriptions",
    )
    def refresh_subscriptions(self) -> None:
        """Fetch the subscriptions that are due (conditional GETs; the UI never waits)."""
        from sessions_tui.sync.subscriptions import refresh_all

        try:
            results = refresh_all(self.ctx, due_only=True) if self.ctx.actor else []
        finally:
            self._subscriptions_running = False
        if results:
            self.call_from_thread(self._subscriptions_refreshed, results)

    def _subscriptions_refreshed(self, results: list[Any]) -> None:
        for result in results:
            if not result.ok and result.subscription.failures == 1:
                # Said once, when a subscription starts failing; `subscriptions list` keeps it.
                self.notify(result.summary(), severity="warning", timeout=10, markup=False)
        if any(r.changed for r in results):
            self._reload()

    # --- Google sync -------------------------------------------------------------------------

    def _sync_tick(self) -> None:
        import time as _time

        if not self.syncing and self.sync_schedule.due(_time.monotonic()):
            self.run_sync()

    def action_sync_now(self) -> None:
        if not hasattr(self, "sync_schedule"):
            self.notify("Still starting; try again in a moment.", timeout=3)
            return
        if self.syncing:
            self.notify("A Google sync is running already.", timeout=3)
            return
        self._sync_asked = True  # run_sync says so if there is nothing to sync
        self.sync_schedule.request()
        self._sync_tick()

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False, description="Google sync")
    def run_sync(self) -> None:
        import os
        import socket
        import time as _time

        from textual.worker import get_current_worker

        from sessions_tui.services import caldav_settings
        from sessions_tui.services.google_settings import list_settings
        from sessions_tui.sync.worker import combine, run_caldav_sync, run_google_sync, throttled

        worker = get_current_worker()
        self.sync_schedule.started(_time.monotonic())
        asked, self._sync_asked = self._sync_asked, False
        connected = [s.practitioner.id for s in list_settings(self.ctx) if s.connected]
        on_caldav = [
            s.practitioner.id for s in caldav_settings.list_settings(self.ctx) if s.connected
        ]
        if not connected and not on_caldav:
            self.sync_schedule.finished(_time.monotonic(), True)
            if asked:
                self.call_from_thread(
                    self.notify,
                    "Nothing to sync: no practitioner is connected to Google (… → Google sync).",
                    timeout=5,
                )
            return
        label = ", ".join(n for n, on in (("Google", connected), ("CalDAV", on_caldav)) if on)
        self.post_message(SyncStarted(label))
        holder = f"{socket.gethostname()}:{os.getpid()}"
        common: dict[str, Any] = {
            "progress": throttled(self._post_progress, 0.25),
            "should_cancel": lambda: worker.is_cancelled,
            "lock_holder": holder,
        }
        outcome = None
        if connected:
            outcome = run_google_sync(self.ctx.db, self.ctx.clock, connected, **common)
        if on_caldav and not worker.is_cancelled:
            # The same worker, after Google: one sync at a time against the database.
            done = run_caldav_sync(self.ctx.db, self.ctx.clock, on_caldav, **common)
            outcome = done if outcome is None else combine(outcome, done)
        self.post_message(SyncFinished(outcome))

    def _post_progress(self, progress: Any) -> None:
        self.post_message(
            SyncProgressed(f"{progress.phase} {progress.calendar_id}: {progress.done} done")
        )

    @on(SyncStarted)
    def _sync_started(self, message: SyncStarted) -> None:
        self.syncing = True
        self._sync_label = message.label
        self.sync_status = f"{message.label}: syncing…"

    @on(SyncProgressed)
    def _sync_progressed(self, message: SyncProgressed) -> None:
        self.sync_status = f"{getattr(self, '_sync_label', 'Google')}: {message.text}"

    @on(SyncFinished)
    def _sync_finished(self, message: SyncFinished) -> None:
        import time as _time

        outcome: Any = message.outcome
        self.syncing = False
        self.sync_schedule.finished(_time.monotonic(), outcome.ok, quota=outcome.quota)
        self.sync_status = f"{getattr(outcome, 'label', 'Google')}: {outcome.summary()}"
        if outcome.auth:
            label = getattr(outcome, "label", "Google")
            command = "caldav connect" if label == "CalDAV" else "google connect"
            self.notify(
                f"{label} refused the sign-in: run `sessions-tui {command}` again.",
                severity="error",
                timeout=10,
            )
        self._reload()

    def open_search(self) -> None:
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
        from sessions_tui.screens.go_to_date import GoToDateModal

        today = self.clock.now().astimezone(self.tz).date()
        self.push_screen(GoToDateModal(today), self._go_to)

    def _go_to(self, day: date | None) -> None:
        if day is not None:
            self.move_cursor(day, None)

    def open_filters(self) -> None:
        from sessions_tui.screens.filters import FiltersModal

        facts = self.facts
        if facts is None:
            self.notify("Still loading practitioners; try again in a moment.")
            return
        self.push_screen(FiltersModal(facts, self.filters), self.apply_filters)
