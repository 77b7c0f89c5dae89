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

Parts of the App's work are mixins in modules of their own: the fast start's warm-up
(``app_warmup``, with :class:`FastStart`), the live refresh (``app_live``), the sync
scheduling (``app_sync``), the theme and keymap (``app_prefs``) and the calendar's dialogs
(``app_dialogs``); the App keeps its state, the screens it opens and the message wiring.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.filter import LineFilter
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from sessions_tui.app_dialogs import CalendarDialogs
from sessions_tui.app_live import LiveRefresh
from sessions_tui.app_prefs import Preferences
from sessions_tui.app_sync import SyncRunner
from sessions_tui.app_typeahead import KeyOrder
from sessions_tui.app_warmup import FastStart, WarmUp
from sessions_tui.messages import (
    DataChanged,
    SyncFinished,
    SyncProgressed,
    SyncStarted,
    WorkerFailed,
)
from sessions_tui.screens.app_keys import AppKeys
from sessions_tui.services.calendar import CalendarFacts, Filters
from sessions_tui.widgets.safe_text_filter import SafeTextFilter

log = logging.getLogger("sessions_tui.app")

if TYPE_CHECKING:
    from sessions_tui.clock import Clock
    from sessions_tui.config import Config
    from sessions_tui.services.context import Context
    from sessions_tui.store.orm_reader import OrmReader
    from sessions_tui.store.reader import Reader

__all__ = ["FastStart", "SessionsApp"]  # FastStart is app_warmup's (issue 19 moved it)

_SAFE_TEXT = SafeTextFilter()


class SessionsApp(
    KeyOrder, WarmUp, LiveRefresh, SyncRunner, Preferences, CalendarDialogs, App[None]
):
    """The calendar app.

    | Key | Action |
    | --- | --- |
    | ? | Every key binding |
    | alt+c | Back to the calendar from any screen |
    | ctrl+q | Quit |
    """

    TITLE = "sessions-tui"
    NOTIFICATION_TIMEOUT = 4
    """Seconds a notice stays (Textual's default is 5); every notice also goes when the screen
    changes (see :meth:`_screen_changed`)."""
    CSS_PATH = "app.tcss"

    BINDINGS: ClassVar[list[BindingType]] = AppKeys.BINDINGS
    """Declared in :mod:`sessions_tui.screens.app_keys`, where the help screen reads them."""

    view: reactive[str] = reactive("week")
    """The calendar view: ``month``, ``week``, ``day``, ``team`` or ``agenda``."""
    cursor_day: reactive[date] = reactive(date(2000, 1, 1))
    """The day under the cursor (display zone); it decides the period shown."""
    cursor_slot: reactive[int] = reactive(20)
    """The half-hour slot under the cursor in the week and day views (0 = 00:00)."""
    cursor_person: reactive[int | None] = reactive(None)
    """The team view's column: the practitioner whose column the cursor is in (None, or one
    the filter hides: the first column)."""
    filters: reactive[Filters] = reactive(Filters())
    """What the calendar shows; remembered per user."""
    privacy: reactive[bool] = reactive(False)
    """Privacy mode: client names become initials on screen."""
    facts: reactive[CalendarFacts | None] = reactive(None)
    """Practitioners, markers, locations and week start, loaded once at start."""

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
        self._init_key_order()
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
        self.alerts.prime()  # those due now are in the first frame (issue 24)

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
        # Notices belong to the screen they were said on: none piles over a dialog or follows
        # you to another screen. Immediate, so a notice said just after the change (the
        # "Saved" of a form that closed) stays.
        self.screen_change_signal.subscribe(self, self._screen_changed, immediate=True)
        self._apply_keymap()
        self.alerts.start()
        refresh = self.config.refresh_seconds if self.config else 2.0
        # Live refresh: look for other clients' changes (cheap; the check runs in a thread).
        self.set_interval(max(0.5, refresh / 2), self._check_for_changes)
        if self.fast is not None:
            # Facts and filters came with the FastStart; the ORM and the sync machinery are
            # imported once the first window is on screen (first_painted), or after a while.
            self._warm_up_timer = self.set_timer(3.0, self._warm_up_unless_painting)
            return
        self.load_facts()
        self._start_sync_schedule()
        self.set_timer(1.0, self._warm_help)

    def _screen_changed(self, screen: Screen[Any]) -> None:
        self.clear_notifications()
        # Textual redraws only the new screen's toasts; a screen below a dialog would keep
        # drawing its own through the dialog's transparent backdrop.
        for other in self.screen_stack:
            if other is not screen:
                other.query("ToastHolder").remove()

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "actions_menu":  # the calendar's menu, not while moving an event
            from sessions_tui.screens.calendar import CalendarScreen

            screen = self.screen
            return isinstance(screen, CalendarScreen) and screen.moving is None
        # sync_now stays enabled while syncing: the key then says a sync is running.
        return True

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
        elif event.state is WorkerState.CANCELLED and event.worker.group == "sync":
            self._sync_ended(event.worker)  # cancelled mid-run: the run is over all the same

    @on(WorkerFailed)
    def _screen_worker_failed(self, message: WorkerFailed) -> None:
        """A screen's (or widget's) worker raised: see ``messages.ReportsWorkerFailures``."""
        self.worker_failed(message.worker)

    def worker_failed(self, worker: Worker[Any]) -> None:
        """The one handler for a worker that raised (the App's own, and screens forward theirs).

        Logged (the exception's type and where, never its text: it may hold a client's name),
        said to the user in one line, and the state the worker held reset, so a failed sync
        never leaves ``syncing`` set (the calendar leaves move mode when its move fails).
        """
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
            self._sync_ended(worker)
        what = worker.description or "Background work"
        if isinstance(error, SessionsError):
            text = error.message
        else:
            text = f"{what} failed ({type(error).__name__}); everything else keeps working."
        self.notify(text.splitlines()[0] if text else what, severity="error", timeout=6)

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
        self._sync_done(message.outcome)
