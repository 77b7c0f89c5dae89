"""The fast start's warm-up: the ORM and the sync machinery, made after the first frame.

``sessions-tui`` starts with a :class:`FastStart`: the header's facts and the first week are
read with the stdlib ``sqlite3`` before the App runs, so the first frame imports neither
SQLAlchemy nor SQLModel. Once the calendar has drawn its first loaded window
(:meth:`WarmUp.first_painted`), a worker makes the ORM context and imports the sync worker
off the UI thread (:meth:`WarmUp._warm_up`); then the sync schedule starts and the calendar
redraws with its office-hours shading. A start that shows no calendar warms up after a few
seconds all the same, and a while later the help's key table is read ahead of ``?``.
:class:`WarmUp` is mixed into :class:`~sessions_tui.app.SessionsApp`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from textual import work

from sessions_tui.services.calendar import CalendarFacts, Filters

if TYPE_CHECKING:
    from textual.app import App

    from sessions_tui.domain.model import Staff
    from sessions_tui.services.agenda_item import AgendaItem
    from sessions_tui.services.context import Context
    from sessions_tui.store.reader import Reader

    _Base = App[None]
else:
    _Base = object


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


class WarmUp(_Base):
    """Warms up a :class:`FastStart` (see the module's docstring).

    The App provides ``fast``, ``_ctx``, ``ctx``, ``_warming``, ``_warm_up_timer`` and
    :meth:`_start_sync_schedule`.
    """

    fast: FastStart | None
    _ctx: Context | None
    _warming: bool
    _warm_up_timer: Any

    if TYPE_CHECKING:

        @property
        def ctx(self) -> Context:
            """The services' context (the App's)."""

        def _start_sync_schedule(self) -> None: ...

    def first_painted(self) -> None:
        """The calendar drew its first loaded window: warm up the ORM shortly after (the
        neighbouring windows load first)."""
        if self.fast is not None and self._ctx is None and not self._warming:
            self._warming = True
            self._warm_up_timer.stop()
            self.set_timer(0.25, self._warm_up)

    def _warm_up_unless_painting(self, waited: float = 3.0) -> None:
        """The warm-up's fallback, for a start that shows no calendar (the warm-up otherwise
        follows :meth:`first_painted`): while a calendar is still loading its first window,
        wait on (up to 30 s), so that importing the ORM does not slow the first frame on a
        loaded machine."""
        from sessions_tui.screens.calendar import CalendarScreen

        loading = any(
            isinstance(screen, CalendarScreen) and screen.current_items() is None
            for screen in self.screen_stack
        )
        if self._warming or self._ctx is not None:
            return
        if loading and waited < 30:
            self._warm_up_timer = self.set_timer(
                1.0, lambda: self._warm_up_unless_painting(waited + 1)
            )
            return
        self._warm_up()

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
        from sessions_tui.sync_runs import warm_up

        warm_up()  # the sync worker imported here, not on the UI thread

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
        self.call_from_thread(self._freeze_start_up)

    def _freeze_start_up(self) -> None:
        """Leave what the start made (modules, screens, the first windows) out of the garbage
        collector's full passes (``gc.freeze``), once everything is imported.

        A full collection walked those ~140,000 objects and held the UI for 77 to 96 ms: one
        ``n`` in thirty on the 10k practice took 138-166 ms instead of ~60 (measured in the
        process, bench data); frozen, the same collections take ~3 ms. Objects stay freed by
        their reference counts; only cyclic garbage made before this point is never reclaimed.
        A headless app (tests) leaves the collector alone: it draws no frames to protect, and
        thousands of apps in one test process would pile up frozen garbage.
        """
        if self.is_headless:
            return
        import gc

        gc.freeze()

    def _warmed(self) -> None:
        from sessions_tui.screens.calendar import CalendarScreen

        if not hasattr(self, "sync_schedule"):  # once, whichever warm-up finished first
            self._start_sync_schedule()
            self.set_timer(1.0, self._warm_help)
        for screen in self.screen_stack:
            if isinstance(screen, CalendarScreen):
                screen.refresh_view()  # now the office-hours shading can load
