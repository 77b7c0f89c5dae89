"""Live refresh: other clients' changes, seen within a couple of seconds with no key pressed.

A change watcher (``services.live``: SQLite's data version, or PostgreSQL's notifications) is
asked in a thread worker every half refresh interval (:meth:`LiveRefresh._check_for_changes`);
when another client committed, the App gets a :class:`~sessions_tui.messages.DataChanged` and
every calendar forgets its loaded windows and reloads the visible one
(:meth:`LiveRefresh._reload`). The watcher's baseline is taken before the first window is read
(:meth:`LiveRefresh.ensure_watcher`), so no change in between is missed.
:class:`LiveRefresh` is mixed into :class:`~sessions_tui.app.SessionsApp`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from textual import work

from sessions_tui.messages import DataChanged

if TYPE_CHECKING:
    from textual.app import App

    from sessions_tui.app_warmup import FastStart
    from sessions_tui.screens.alerts import AlertCenter
    from sessions_tui.services.context import Context

    _Base = App[None]
else:
    _Base = object


class LiveRefresh(_Base):
    """Watches for other clients' changes and reloads (see the module's docstring).

    The App provides ``fast``, ``ctx``, ``alerts``, ``_watcher`` and ``_watcher_lock``.
    """

    fast: FastStart | None
    alerts: AlertCenter
    _watcher: Any
    _watcher_lock: threading.Lock

    if TYPE_CHECKING:

        @property
        def ctx(self) -> Context:
            """The services' context (the App's)."""

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

    def _reload(self) -> None:
        from sessions_tui.screens.calendar import CalendarScreen

        self.alerts.check()  # a moved or cancelled event's alert follows it now

        for screen in self.screen_stack:
            if isinstance(screen, CalendarScreen):
                screen.invalidate()
