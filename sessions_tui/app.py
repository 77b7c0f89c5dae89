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

from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen

from sessions_tui.messages import CreateRequested
from sessions_tui.services.calendar import CalendarFacts, Filters

if TYPE_CHECKING:
    from sessions_tui.clock import Clock
    from sessions_tui.config import Config
    from sessions_tui.services.context import Context
    from sessions_tui.services.scheduling import AgendaItem


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
        Binding("question_mark", "help", "Help", id="app.help", tooltip="Show every key binding"),
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
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            id="app.quit",
            priority=True,
            show=False,
            tooltip="Quit sessions-tui",
        ),
    ]

    view: reactive[str] = reactive("week")
    """The calendar view: ``month``, ``week``, ``day`` or ``agenda``."""
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

    def __init__(
        self,
        ctx: Context,
        tz: ZoneInfo,
        config: Config | None = None,
        *,
        clock: Clock | None = None,
        view: str = "week",
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.tz = tz
        self.config = config
        self.clock: Clock = clock or ctx.clock
        now = self.clock.now().astimezone(tz)
        self.set_reactive(SessionsApp.view, view)
        self.set_reactive(SessionsApp.cursor_day, now.date())
        self.set_reactive(SessionsApp.cursor_slot, (now.hour * 60 + now.minute) // 30)

    @property
    def week_starts_monday(self) -> bool:
        """Until the practice settings are loaded, the user's config (else Sunday)."""
        if self.facts is not None:
            return self.facts.week_starts_monday
        return bool(self.config and self.config.week_starts_monday)

    def get_default_screen(self) -> Screen[None]:
        from sessions_tui.screens.calendar import CalendarScreen

        return CalendarScreen()

    def on_mount(self) -> None:
        self.load_facts()

    @work(
        thread=True,
        exclusive=True,
        group="facts",
        exit_on_error=False,
        description="Load practitioners and filters",
    )
    def load_facts(self) -> None:
        from sessions_tui.services.calendar import calendar_facts, load_filters

        user_monday = self.config.week_starts_monday if self.config else None
        facts = calendar_facts(self.ctx, user_monday)
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
        """Start creating an event at ``slot_start``: the hook the appointments form replaces."""
        from sessions_tui.screens.new_event import NewEventScreen

        self.push_screen(NewEventScreen(slot_start))

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
