"""Scheduling the Google and CalDAV syncs from the App: when to run, how long to back off.

Pure Python, no Textual: the App owns the timers and the thread worker; these decide.

How the App wires it (``sessions_tui/app.py``)::

    # on_mount (or once the fast start has warmed up)
    self.sync_schedule = SyncSchedule(interval=60)
    self.set_interval(1.0, self._sync_tick)          # a cheap check, never a sleep loop

    def _sync_tick(self) -> None:
        if not self.syncing and self.sync_schedule.due(time.monotonic()):
            self.run_sync()

    # after any event is saved
    self.sync_schedule.local_change(time.monotonic())

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False,
          description="Google sync")
    def run_sync(self) -> None:
        worker = get_current_worker()
        self.sync_schedule.started(time.monotonic())
        self.post_message(SyncStarted())
        outcome = run_google_sync(
            self.ctx.db, self.ctx.clock, connected_practitioner_ids,
            progress=throttled(self._post_progress, 0.25),   # posts SyncProgressed
            should_cancel=lambda: worker.is_cancelled,
            lock_holder=f"{socket.gethostname()}:{os.getpid()}",
        )
        self.post_message(SyncFinished(outcome))     # the handler calls
                                                     # sync_schedule.finished(now, outcome.ok,
                                                     # quota=outcome.quota)

Each run is logged at INFO (``sessions_tui.sync.worker``): practitioner ids and counts only.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from sessions_tui.clock import Clock
from sessions_tui.store.db import Database
from sessions_tui.sync.core.provider import CALDAV, GOOGLE, Provider
from sessions_tui.sync.google import (
    SyncAuthError,
    SyncError,
    SyncProgress,
    SyncReport,
    SyncTransientError,
    make_engine,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Backoff:
    """Exponential backoff with full jitter for long outages and quota errors.

    The n-th failure waits a random time in ``[0, min(cap, base * factor**n)]``, at least
    ``floor``; quota errors start higher (``quota_base``). ``reset()`` after a success.
    """

    base: float = 5.0
    factor: float = 2.0
    cap: float = 900.0
    floor: float = 1.0
    quota_base: float = 60.0
    rand: Callable[[], float] = random.random
    failures: int = 0

    def next_delay(self, *, quota: bool = False) -> float:
        """The next delay, and count one more failure.

        Full jitter: random up to ``base`` (``quota_base`` after a quota error) times ``factor``
        per earlier failure, capped at ``cap``, and never below ``floor``.
        """
        start = self.quota_base if quota else self.base
        ceiling = min(self.cap, start * self.factor**self.failures)
        self.failures += 1
        return max(self.floor, ceiling * self.rand())

    def reset(self) -> None:
        """Forget the failures (after a success)."""
        self.failures = 0


@dataclass
class SyncSchedule:
    """Decides when the next sync is due (times are ``time.monotonic()`` seconds).

    - every ``interval`` seconds (60 by default);
    - ``debounce`` seconds after the last local change ("soon after each change"; a burst of
      edits gives one sync);
    - after a failure, not before the backoff delay, whatever else asks;
    - ``request()`` (the sync key) makes it due at once unless backing off.
    """

    interval: float = 60.0
    debounce: float = 3.0
    backoff: Backoff = field(default_factory=Backoff)
    last_run: float | None = None
    change_at: float | None = None
    retry_at: float | None = None
    requested: bool = False
    running: bool = False

    def local_change(self, now: float) -> None:
        """Note a local change at ``now`` (a sync follows ``debounce`` seconds after the last)."""
        self.change_at = now

    def request(self) -> None:
        """Ask for a sync at once (the sync key); a backoff still applies."""
        self.requested = True

    def due(self, now: float) -> bool:
        """Whether a sync should start at ``now`` (see the rules above)."""
        if self.running:
            return False
        if self.retry_at is not None:
            return now >= self.retry_at
        if self.requested or self.last_run is None:
            return True
        if self.change_at is not None and now - self.change_at >= self.debounce:
            return True
        return now - self.last_run >= self.interval

    def started(self, now: float) -> None:
        """Record a sync starting at ``now``: the request and pending change are taken."""
        self.running = True
        self.requested = False
        self.change_at = None
        self.last_run = now

    def finished(self, now: float, ok: bool, *, quota: bool = False) -> float | None:
        """Record the outcome; returns the backoff delay after a failure, else ``None``."""
        self.running = False
        if ok:
            self.backoff.reset()
            self.retry_at = None
            return None
        delay = self.backoff.next_delay(quota=quota)
        self.retry_at = now + delay
        return delay


@dataclass(frozen=True)
class SyncOutcome:
    """What the worker reports back to the App (one per run, all practitioners)."""

    reports: dict[int, SyncReport]
    errors: dict[int, str]
    quota: bool = False
    auth: bool = False
    busy_elsewhere: str | None = None
    """Another client of the shared practice holds the sync lease (nothing was run)."""
    label: str = "Google"
    """The providers that ran, for the status line (``Google``, ``CalDAV``, ``Google, CalDAV``)."""

    @property
    def ok(self) -> bool:
        """True when no practitioner's sync failed."""
        return not self.errors

    def summary(self) -> str:
        """One line: the totals, or who holds the lease, and the first failure."""
        total = SyncReport()
        for r in self.reports.values():
            total.pushed += r.pushed
            total.pulled += r.pulled
            total.deleted += r.deleted
            total.conflicts += r.conflicts
            total.errors += r.errors
        line = total.summary()
        if self.busy_elsewhere:
            return f"skipped: {self.busy_elsewhere} is syncing"
        if self.errors:
            line += f"; failed: {next(iter(self.errors.values()))}"
        return line


def run_provider_sync(
    provider: Provider,
    db: Database,
    clock: Clock,
    practitioner_ids: Iterable[int],
    *,
    progress: Callable[[SyncProgress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    engine_factory: Callable[[int], Any] | None = None,
    lock_holder: str | None = None,
) -> SyncOutcome:
    """Run one sync per practitioner with ``provider`` (in the calling thread); never raises a
    sync error.

    This is what the App's ``@work(thread=True)`` method calls. With ``lock_holder`` (e.g.
    ``f"{hostname}:{pid}"``) it first takes the practice-wide ``<provider>-sync`` lease, so only
    one of the clients sharing a database syncs an account of that provider at a time; if
    another holds it, nothing runs.
    """
    lock = None
    if lock_holder is not None:
        from sessions_tui.store.locks import PracticeLock

        lock = PracticeLock(db, f"{provider.name}-sync", lock_holder)
        if not lock.acquire(clock.now()):
            busy = lock.held_by(clock.now()) or "another client"
            return SyncOutcome({}, {}, busy_elsewhere=busy, label=provider.label)
    try:
        if engine_factory is None and provider is CALDAV:
            from sessions_tui.sync import caldav

            engine_factory = lambda p: caldav.make_engine(db, clock, p)  # noqa: E731
        out = _run_all(
            db, clock, practitioner_ids, progress, should_cancel, engine_factory, provider.label
        )
        return replace(out, label=provider.label)
    finally:
        if lock is not None:
            lock.release()


run_google_sync = functools.partial(run_provider_sync, GOOGLE)
""":func:`run_provider_sync` for the practitioners' Google accounts."""

run_caldav_sync = functools.partial(run_provider_sync, CALDAV)
""":func:`run_provider_sync` for the practitioners' CalDAV accounts (its own ``caldav-sync``
lease: a Google sync elsewhere does not hold it up)."""


def combine(first: SyncOutcome, second: SyncOutcome) -> SyncOutcome:
    """One outcome for the status line from the Google and the CalDAV runs."""
    return SyncOutcome(
        {**first.reports, **{-k: v for k, v in second.reports.items()}},
        {**first.errors, **{-k: v for k, v in second.errors.items()}},
        quota=first.quota or second.quota,
        auth=first.auth or second.auth,
        busy_elsewhere=first.busy_elsewhere or second.busy_elsewhere,
        label=f"{first.label}, {second.label}",
    )


def _run_all(
    db: Database,
    clock: Clock,
    practitioner_ids: Iterable[int],
    progress: Callable[[SyncProgress], None] | None,
    should_cancel: Callable[[], bool] | None,
    engine_factory: Callable[[int], Any] | None,
    provider: str = "Google",
) -> SyncOutcome:
    reports: dict[int, SyncReport] = {}
    errors: dict[int, str] = {}
    quota = auth = False
    for pid in practitioner_ids:
        if should_cancel is not None and should_cancel():
            log.info("%s sync cancelled before practitioner %s", provider, pid)
            break
        log.info("%s sync of practitioner %s started", provider, pid)
        failure: SyncError | None = None
        try:
            engine = (engine_factory or (lambda p: make_engine(db, clock, p)))(pid)
            reports[pid] = engine.run(progress=progress, should_cancel=should_cancel)
        except SyncTransientError as exc:
            errors[pid] = exc.message
            failure = exc
            quota = quota or exc.quota
        except SyncAuthError as exc:
            errors[pid] = exc.message
            failure = exc
            auth = True
        except SyncError as exc:
            errors[pid] = exc.message
            failure = exc
        if failure is not None:
            # The message is ours (no event titles); the traceback helps support.
            log.warning(
                "%s sync of practitioner %s failed: %s", provider, pid, failure, exc_info=failure
            )
        else:
            log.info("%s sync of practitioner %s: %s", provider, pid, reports[pid].summary())
    return SyncOutcome(reports, errors, quota, auth)


def throttled(
    fn: Callable[[T], None], seconds: float, now: Callable[[], float] = time.monotonic
) -> Callable[[T], None]:
    """``fn`` called at most once per ``seconds`` (for ``SyncProgress`` messages)."""
    last = [float("-inf")]

    def call(value: T) -> None:
        t = now()
        if t - last[0] >= seconds:
            last[0] = t
            fn(value)

    return call
