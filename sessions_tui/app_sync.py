"""Sync scheduling: the two-way syncs (every provider) and the ICS subscriptions, in the
background.

:meth:`SyncRunner._start_sync_schedule` starts a once-a-second tick that asks the
:class:`~sessions_tui.sync.worker.SyncSchedule` (interval, backoff, a push soon after a local
change: :meth:`SyncRunner.local_change`) whether a sync is due, and a once-a-minute refresh of
the subscriptions that are due. :meth:`SyncRunner.run_sync` is the thread worker: each provider
(:class:`~sessions_tui.services.sync_settings.Provider`) in turn, one run at a time, under the
practice-wide lock the CLI's ``sync`` takes too, reporting by messages (``SyncStarted``,
``SyncProgressed``, ``SyncFinished``), which the App turns into its ``syncing`` and
``sync_status`` state (``Google, CalDAV: pushed 3, …``).
:class:`SyncRunner` is mixed into :class:`~sessions_tui.app.SessionsApp`; the sync modules are
imported only when the schedule starts (after the fast start's warm-up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.worker import Worker

from sessions_tui.messages import SyncFinished, SyncProgressed, SyncStarted

if TYPE_CHECKING:
    from textual.app import App

    from sessions_tui.services.context import Context
    from sessions_tui.sync.worker import SyncSchedule

    _Base = App[None]
else:
    _Base = object


class SyncRunner(_Base):
    """Schedules and runs the syncs (see the module's docstring).

    The App provides ``ctx``, ``syncing``, ``sync_status``, ``_sync_asked``,
    ``_subscriptions_running`` and :meth:`_reload`.
    """

    syncing: bool
    sync_status: str
    _sync_label: str = "Sync"
    """The providers of the current or last run (``Google``, ``Google, CalDAV``)."""
    sync_schedule: SyncSchedule
    _sync_asked: bool
    _subscriptions_running: bool

    if TYPE_CHECKING:

        @property
        def ctx(self) -> Context:
            """The services' context (the App's)."""

        def _reload(self) -> None: ...

    def _start_sync_schedule(self) -> None:
        from sessions_tui.sync_runs import new_schedule

        self.sync_schedule = new_schedule(60)
        self.set_interval(1.0, self._sync_tick)
        # ICS subscriptions: each has its own interval (in the database, so clients sharing
        # it agree); once a minute a worker refreshes the ones that are due.
        self.set_timer(2.0, self._subscriptions_tick)
        self.set_interval(60.0, self._subscriptions_tick)
        from sessions_tui.screens.requests import refresh_badge

        refresh_badge(self)  # pending booking requests, once the ORM is ready

    def local_change(self) -> None:
        """This client saved a change: the sync schedule pushes it soon."""
        if hasattr(self, "sync_schedule"):
            import time as _time

            self.sync_schedule.local_change(_time.monotonic())

    def _sync_ended(self, worker: Worker[Any]) -> None:
        """A sync worker ended without ``SyncFinished``: leave the syncing state (unless
        another run has started meanwhile) and let the schedule try again later."""
        import time as _time

        if any(w is not worker and w.group == "sync" and w.is_running for w in self.workers):
            return
        self.syncing = False
        self.sync_status = f"{self._sync_label}: sync failed"
        if hasattr(self, "sync_schedule"):
            self.sync_schedule.finished(_time.monotonic(), False)

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
        from sessions_tui.sync_runs import refresh_due_subscriptions

        try:
            results = refresh_due_subscriptions(self.ctx) if self.ctx.actor else []
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

    # --- two-way sync (every provider) ---------------------------------------------------------

    def _sync_tick(self) -> None:
        import time as _time

        if not self.syncing and self.sync_schedule.due(_time.monotonic()):
            self.run_sync()

    def action_sync_now(self) -> None:
        """``s``: sync now (a sync already running, or a start not finished, is said)."""
        if not hasattr(self, "sync_schedule"):
            self.notify("Still starting; try again in a moment.", timeout=3)
            return
        if self.syncing:
            self.notify(f"A {self._sync_label} sync is running already.", timeout=3)
            return
        self._sync_asked = True  # run_sync says so if there is nothing to sync
        self.sync_schedule.request()
        self._sync_tick()

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False, description="Sync")
    def run_sync(self) -> None:
        """Sync every provider in turn for its connected practitioners (in a thread)."""
        import time as _time

        from textual.worker import get_current_worker

        from sessions_tui.services.sync_settings import Provider, connected_ids
        from sessions_tui.sync_runs import combine, run_background, this_process, throttled

        worker = get_current_worker()
        self.sync_schedule.started(_time.monotonic())
        asked, self._sync_asked = self._sync_asked, False
        ids = {p: connected_ids(p, self.ctx) for p in Provider}
        running = [p for p in Provider if ids[p]]
        if not running:
            self.sync_schedule.finished(_time.monotonic(), True)
            if asked:
                names = " or ".join(p.label for p in Provider)
                menus = ", ".join(f"{p.label} sync" for p in Provider)
                self.call_from_thread(
                    self.notify,
                    f"Nothing to sync: no practitioner is connected to {names} (… → {menus}).",
                    timeout=5,
                )
            return
        self._sync_label = ", ".join(p.label for p in running)
        self.post_message(SyncStarted(self._sync_label))
        common: dict[str, Any] = {
            "progress": throttled(self._post_progress, 0.25),
            "should_cancel": lambda: worker.is_cancelled,
            "lock_holder": this_process(),
        }
        outcome = None
        for provider in running:
            if worker.is_cancelled:
                break
            # The same worker, one provider after the other: one sync at a time here.
            done = run_background(provider, self.ctx.db, self.ctx.clock, ids[provider], **common)
            outcome = done if outcome is None else combine(outcome, done)
        if outcome is not None:  # else cancelled before any ran: _sync_ended says so
            self.post_message(SyncFinished(outcome))

    def _post_progress(self, progress: Any) -> None:
        self.post_message(
            SyncProgressed(f"{progress.phase} {progress.calendar_id}: {progress.done} done")
        )

    def _sync_done(self, outcome: Any) -> None:
        """A run finished (``SyncFinished``): its summary, the schedule told, a refused sign-in
        said, and the calendar reloaded."""
        import time as _time

        self.syncing = False
        self.sync_schedule.finished(_time.monotonic(), outcome.ok, quota=outcome.quota)
        label = getattr(outcome, "label", self._sync_label)
        self.sync_status = f"{label}: {outcome.summary()}"
        if outcome.auth:
            from sessions_tui.services.sync_settings import Provider

            named = [p for p in Provider if p.label in label.split(", ")] or [Provider.GOOGLE]
            command = " or ".join(f"`{p.connect_command}`" for p in named)
            self.notify(
                f"{label} refused the sign-in: run {command} again.",
                severity="error",
                timeout=10,
            )
        self._reload()
