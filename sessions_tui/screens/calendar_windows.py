"""The calendar's windows: loading the period on screen, caching it, prefetching its neighbours.

A window is the events of one period (first day, days, zone, filters: :data:`WindowKey`). The
visible window is read in a thread worker (:meth:`CalendarWindows.load_windows`) and posted
back as :class:`~sessions_tui.messages.WindowLoaded`; the last :data:`CACHE_WINDOWS` windows
are kept, so stepping back and forth draws at once. Once a window is drawn, its neighbours
(next, previous, and two more ahead in the week and day views) are read in the background
(:meth:`CalendarWindows.prefetch_windows`), never competing with the paint. A data change
(:meth:`CalendarWindows.invalidate`) drops the cache and cancels a prefetch that may have read
older data. Office-hours shading is loaded and cached the same way, per grid and window.

:class:`CalendarWindows` is mixed into
:class:`~sessions_tui.screens.calendar.CalendarScreen`, which draws what it loads.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from textual import work
from textual.worker import Worker, WorkerState, get_current_worker

from sessions_tui.domain.listing import skipped_of
from sessions_tui.domain.periods import period_range, shift_period
from sessions_tui.domain.timeutil import days_bounds
from sessions_tui.messages import ReportsWorkerFailures, WindowLoaded
from sessions_tui.services.agenda_item import AgendaItem
from sessions_tui.services.calendar import Filters
from sessions_tui.services.holds import calendar_items
from sessions_tui.widgets.time_grid import TimeGrid, lay_out

if TYPE_CHECKING:
    from textual.screen import Screen

    from sessions_tui.app import SessionsApp

    _Base = Screen[None]
else:
    _Base = object

log = logging.getLogger("sessions_tui.calendar")

WindowKey = tuple[date, int, str, Filters]
"""A window: its first day, its number of days, the zone's key and the filters."""
CACHE_WINDOWS = 24
"""How many loaded windows are kept at most (the least recently used goes first)."""
CACHE_ENTRIES = 80_000
"""How many events (occurrences) the kept windows hold together at most: the window on screen
always stays, the least recently used others go first. A week of a 1M-event practice holds
~26,000 occurrences, so 24 of them grew the app by ~190 MiB while browsing (issue 29); the
prefetch reads only as many neighbours as fit (:meth:`CalendarWindows._prefetch`)."""
PREFETCH_DELAY = 0.02
"""Seconds after a window is drawn before its neighbours are loaded (so they never compete
with the paint); a key press in between simply comes first."""


def period_view(view: str) -> str:
    """The period a view shows: the team view shows one day, like the day view."""
    return "day" if view == "team" else view


class CalendarWindows(ReportsWorkerFailures, _Base):
    """The window cache, its loading and prefetching, and the shading (see the module).

    The screen calls :meth:`_init_windows` in its ``__init__`` and provides ``sessions`` and
    :meth:`refresh_view`, which :meth:`_visible_items` starts with.
    """

    if TYPE_CHECKING:

        @property
        def sessions(self) -> SessionsApp: ...

        def refresh_view(self) -> None: ...

    def _init_windows(self) -> None:
        self._cache: OrderedDict[Hashable, Sequence[AgendaItem]] = OrderedDict()
        self._key: WindowKey | None = None
        self._in_flight: WindowKey | None = None
        self._shading: dict[Hashable, Any] = {}
        """Office-hours shading per (grid, first day, days, zone, practitioners) loaded."""
        self._shading_loading: set[Hashable] = set()
        self._fast_hours: dict[frozenset[int] | None, Any] = {}
        """Office hours per practitioner filter, read through the fast reader."""
        self._stale_shading: dict[Hashable, Any] = {}
        self._shading_gen = 0
        self._prefetching: set[Hashable] = set()
        """Windows the running prefetch worker will post (the visible load waits for them)."""
        self._prefetch_worker: Worker[None] | None = None
        self._prefetch_timer: Any = None
        self._prefetched_for: WindowKey | None = None
        """The window whose neighbours the last prefetch round read."""
        self._told_skipped: set[int | None] = set()
        self._laid_out_ahead: dict[int, tuple[Any, ...]] = {}
        """Windows the worker laid out (``time_grid.lay_out``), by the id of their events,
        until their WindowLoaded hands the layout to the grid."""
        """Events already named in a "skipped" notice (each is named once per run)."""

    # --- the window and its cache ------------------------------------------------------------

    def _window(self) -> tuple[WindowKey, date, int]:
        app = self.sessions
        first, days = period_range(period_view(app.view), app.cursor_day, app.week_start)
        return (first, days, app.tz.key, app.filters), first, days

    def invalidate(self) -> None:
        """Forget loaded windows (after the data changed) and reload the visible one."""
        self._cache.clear()
        self._laid_out_ahead.clear()
        self._in_flight = None
        if self._prefetch_worker is not None:
            self._prefetch_worker.cancel()  # what it read may be older than the change
            self._prefetch_worker = None
        self._prefetching.clear()
        self._prefetched_for = None
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

    def _keep(self, key: Hashable, items: Sequence[AgendaItem]) -> None:
        """Cache a loaded window, then drop the least recently used others while the cache
        holds more than :data:`CACHE_WINDOWS` windows or :data:`CACHE_ENTRIES` events. The
        window on screen and the one just loaded stay (if those two alone exceed the bound,
        they are all the cache holds)."""
        cache = self._cache
        cache[key] = items
        cache.move_to_end(key)
        total = sum(len(found) for found in cache.values())
        for old in list(cache):
            if len(cache) <= CACHE_WINDOWS and total <= CACHE_ENTRIES:
                break
            if old != self._key and old != key:
                dropped = cache.pop(old)
                total -= len(dropped)
                for grid in self.query(TimeGrid):
                    grid.forget_layout(dropped)  # its layout goes with it

    def on_window_loaded(self, message: WindowLoaded) -> None:
        ahead = self._laid_out_ahead.pop(id(message.items), None)
        if message.prefetch:
            if message.key not in self._prefetching:
                return  # from a prefetch started before the data changed
            self._prefetching.discard(message.key)
        if message.key == self._in_flight:
            self._in_flight = None
        self._keep(message.key, message.items)
        if ahead is not None and ahead[0] is message.items and message.key in self._cache:
            grids = self.query(TimeGrid)
            if grids:
                grids.first().keep_layout(*ahead)
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
        actor = app.fast.actor if app.fast is not None else app.ctx.actor
        for key, first, days in wanted:
            if worker.is_cancelled:
                return
            start, end = days_bounds(first, days, app.tz)
            # The events and the online-booking holds (drawn tentative, issue 24).
            items = calendar_items(app.reader, start, end, app.tz, key[3], actor, app.clock.now())
            self._tell_skipped(items)
            if app.view in ("week", "day"):
                # Laid out here too, off the UI thread: the frame that shows it only draws.
                columns = [first + timedelta(days=n) for n in range(days)]
                layout = lay_out(items, columns, app.tz, None)
                self._laid_out_ahead[id(items)] = (items, columns, app.tz, layout)
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
        if self._prefetched_for == self._key:
            return  # one round per window: a neighbour the bound dropped is not read again
        self._prefetched_for = self._key
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
        # As many neighbours as fit in the cache beside the window on screen, judged by its
        # size (a dense 1M week leaves room for one or two; an empty one for all four).
        shown = len(self._cache.get(self._key, ())) if self._key is not None else 0
        room = max(1, (CACHE_ENTRIES - shown) // max(1, shown))
        wanted = wanted[:room]
        if wanted:
            self._prefetching = {k for k, _f, _d in wanted}
            self._prefetch_worker = self.prefetch_windows(wanted)

    def _visible_items(self) -> tuple[WindowKey, date, int, Sequence[AgendaItem] | None]:
        """The window on screen and its events (None while loading, which this starts)."""
        key, first, days = self._window()
        self._key = key
        items = self.cached(key)
        if items is None and key != self._in_flight:
            self._in_flight = key
            if key not in self._prefetching:  # else the running prefetch brings it
                self.load_windows([(key, first, days)], set(self._cache))
        elif items is not None:
            self._schedule_prefetch()
        return key, first, days, items

    def _window_worker_done(self, event: Worker.StateChanged) -> None:
        """After a prefetch: load what it did not deliver, or prefetch again; after a worker
        failed, the visible load may start over."""
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

    # --- office hours shading ----------------------------------------------------------------

    def _shading_for(self, grid: str, first: date, days: int) -> Any:
        """The loaded shading of a grid (``time``: intervals per day, ``month``: days with no
        hours), or None while a worker loads it."""
        app = self.sessions
        key = (grid, first, days, app.tz.key, app.filters.practitioner_ids)
        if key in self._shading:
            return self._shading[key]
        if app.fast is not None:
            # A SQLite practice: office hours are a few rows, read at once with sqlite3, so the
            # first frame (and every window after it) has its shading; nothing paints later.
            found = self._fast_shading(key)
            if found is not None:
                self._shading[key] = found
                return found
            if app._ctx is None:
                return None  # the ORM's worker below, once SessionsApp._warm_up made it
        elif not self._shading and not self._stale_shading:
            # The first shading of the run is read before the first frame, as the window is:
            # a slot drawn bookable that turns gray a moment later is a wrong first picture.
            self._shading[key] = self._orm_shading(key)
            return self._shading[key]
        if key not in self._shading_loading:
            self._shading_loading.add(key)
            self.load_shading(key, self._shading_gen)
        return self._stale_shading.get(key)

    def _fast_shading(self, key: tuple[str, date, int, str, frozenset[int] | None]) -> Any:
        """The shading of ``key`` from the fast reader's office hours (read once per filter
        until the shading is forgotten); None when the reader cannot answer."""
        from sessions_tui.domain.officehours import days_without_hours, shading_for_day
        from sessions_tui.services.fast_shading import can_read_hours, fast_office_hours_for

        app = self.sessions
        reader: Any = app.fast.reader if app.fast is not None else None
        if not can_read_hours(reader):
            return None
        grid, first, days, _tz, ids = key
        hours_of = self._fast_hours
        if ids not in hours_of:
            try:
                hours_of[ids] = fast_office_hours_for(reader, sorted(ids) if ids else None)
            except Exception:  # a closed reader, a locked file: the worker path answers
                log.debug("office hours through the fast reader failed", exc_info=True)
                return None
        hours = hours_of[ids]
        dates = [first + timedelta(days=n) for n in range(days)]
        if grid == "month":
            return set(days_without_hours(dates, app.tz, hours))
        return {day: shading_for_day(day, app.tz, hours) for day in dates}

    def _orm_shading(self, key: tuple[str, date, int, str, frozenset[int] | None]) -> Any:
        """The shading of ``key`` read through the services (the ORM), here and now."""
        from sessions_tui.services.shading import days_without_hours, shading_for_days

        grid, first, days, _tz, ids = key
        app = self.sessions
        dates = [first + timedelta(days=n) for n in range(days)]
        people = sorted(ids) if ids is not None else None
        if grid == "month":
            return days_without_hours(app.ctx, dates, app.tz, people)
        return shading_for_days(app.ctx, dates, app.tz, people)

    def _forget_shading(self, *, keep_drawing: bool = False) -> None:
        """Reload office-hours shading; with ``keep_drawing``, the old shading stays on screen
        until the new one is read (no flicker on every live refresh)."""
        self._stale_shading = dict(self._shading) if keep_drawing else {}
        self._shading.clear()
        self._shading_loading.clear()
        self._fast_hours.clear()  # read again (they may have changed)
        self._shading_gen += 1  # results of loads started before now are dropped

    @work(
        thread=True, group="shading", exit_on_error=False, description="Load office hours shading"
    )
    def load_shading(
        self, key: tuple[str, date, int, str, frozenset[int] | None], gen: int
    ) -> None:
        """Read the shading of ``key`` (in a thread) and hand it to the screen; ``gen`` drops
        it if the shading was forgotten meanwhile."""
        self.app.call_from_thread(self._shading_loaded, key, gen, self._orm_shading(key))

    def _shading_loaded(self, key: Hashable, gen: int, found: Any) -> None:
        if gen != self._shading_gen:
            return
        self._shading_loading.discard(key)
        self._shading[key] = found
        self.refresh_view()
