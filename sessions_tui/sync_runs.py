"""Running a provider's sync for the screens and the CLI: status with pending changes, sync now
under the practice-wide lock, the App's background runs.

Above the engines (``sessions_tui.sync``), below the screens and the CLI: what both of them
did, each for Google and again for CalDAV, is here once, keyed by
:class:`~sessions_tui.services.sync_settings.Provider`. The settings themselves (mode,
calendars, disconnect) are :mod:`sessions_tui.services.sync_settings`.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sessions_tui.domain.errors import ConflictError, SessionsError
from sessions_tui.domain.model import Staff
from sessions_tui.services import sync_settings
from sessions_tui.services.context import Context
from sessions_tui.services.sync_settings import Provider, SyncSettings

if TYPE_CHECKING:
    from datetime import datetime

    from sessions_tui.clock import Clock
    from sessions_tui.store.db import Database
    from sessions_tui.store.locks import PracticeLock
    from sessions_tui.sync.engine import PendingChanges, SyncReport
    from sessions_tui.sync.worker import SyncOutcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncStatus:
    """One practitioner's sync with one provider, as the screen and ``status`` show it.

    Attributes:
        practitioner: Whose sync this is.
        settings: Their settings, ``None`` when sync was never set up.
        pending: Local changes not yet pushed (``None`` when not connected or unknown).
        sign_in: The credentials in words: Google's token state, or whether the CalDAV
            password is saved.
        problem: Why ``pending`` could not be worked out, if it could not.
    """

    provider: Provider
    practitioner: Staff
    settings: SyncSettings | None
    pending: PendingChanges | None
    sign_in: str
    problem: str | None = None


def engine(provider: Provider, db: Database, clock: Clock, practitioner_id: int) -> Any:
    """The provider's engine for the practitioner's saved account."""
    if provider is Provider.GOOGLE:
        from sessions_tui.sync import google

        return google.make_engine(db, clock, practitioner_id)
    from sessions_tui.sync import caldav

    return caldav.make_engine(db, clock, practitioner_id)


def pending(provider: Provider, ctx: Context, practitioner_id: int) -> PendingChanges:
    """The practitioner's local changes not yet pushed (no network)."""
    if provider is Provider.GOOGLE:
        from sessions_tui.sync.google import SyncEngine, pending_changes

        return pending_changes(SyncEngine(ctx.db, ctx.clock, practitioner_id, None))
    from sessions_tui.sync.caldav import CalDavEngine
    from sessions_tui.sync.caldav import pending_changes as caldav_pending

    return caldav_pending(CalDavEngine(ctx.db, ctx.clock, practitioner_id, None))


def emulated() -> bool:
    """Whether Google calls go to a local emulator (``SESSIONS_TUI_GOOGLE_ENDPOINT``)."""
    from sessions_tui.sync.google import endpoint_from_env

    try:
        return endpoint_from_env() is not None
    except SessionsError:
        return False


def sign_in(provider: Provider, ctx: Context, person: Staff) -> str:
    """The practitioner's credentials in words (no network)."""
    if provider is Provider.CALDAV:
        from sessions_tui.sync.caldav.secret import secret_path

        return "saved" if secret_path(person.login).exists() else "not saved"
    if emulated():
        return "emulator (no sign-in)"
    from sessions_tui.sync.oauth import token_state

    return token_state(person.login, ctx.clock.now()).describe()


def status(provider: Provider, ctx: Context, person: Staff, *, strict: bool = False) -> SyncStatus:
    """The practitioner's status with ``provider`` (no network). A failure to count the pending
    changes is kept in ``problem``, or raised when ``strict``."""
    settings = sync_settings.get_settings(provider, ctx, person.id)
    changes: PendingChanges | None = None
    problem: str | None = None
    if settings is not None and settings.connected:
        try:
            changes = pending(provider, ctx, person.id)
        except SessionsError as exc:
            if strict:
                raise
            problem = exc.message
    return SyncStatus(provider, person, settings, changes, sign_in(provider, ctx, person), problem)


def statuses(provider: Provider, ctx: Context) -> list[SyncStatus]:
    """Every practitioner the actor may manage, with their status (no network)."""
    from sessions_tui.services.practice import practitioners

    actor = ctx.require_actor()
    return [
        status(provider, ctx, person)
        for person in practitioners(ctx)
        if sync_settings.can_manage(actor, person.id)
    ]


def list_remote_calendars(
    provider: Provider, ctx: Context, practitioner_id: int
) -> list[tuple[str, str]]:
    """The account's calendars, ``(key, name)``: Google lists them (network); CalDAV's are the
    ones ``connect`` found."""
    if provider is Provider.GOOGLE:
        from sessions_tui.sync.google import list_calendars

        return list(list_calendars(ctx.db, practitioner_id))
    settings = sync_settings.require_settings(provider, ctx, practitioner_id)
    return [(c.key, c.summary) for c in settings.calendars]


def this_process() -> str:
    """Who holds a lock taken here: ``host:pid``, as the App's worker says it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def sync_now(
    provider: Provider, ctx: Context, practitioner_id: int, *, holder: str | None = None
) -> SyncReport:
    """One sync of the practitioner, under the provider's practice-wide lock (the one the
    App's worker takes): if another process holds it, nothing runs and a
    :class:`~sessions_tui.domain.errors.ConflictError` says who."""
    from sessions_tui.store.locks import PracticeLock

    sync_settings.require_manage(ctx.require_actor(), practitioner_id)
    lock = PracticeLock(ctx.db, provider.lock_name, holder or this_process())
    if not _take(lock, ctx.clock.now()):
        who = lock.held_by(ctx.clock.now()) or "another process"
        raise ConflictError(
            f"another {provider.label} sync is running ({who} holds the lock); "
            "nothing was synced: try again when it ends"
        )
    try:
        log.info("%s sync of practitioner %s started", provider.label, practitioner_id)
        report: SyncReport = engine(provider, ctx.db, ctx.clock, practitioner_id).run()
        log.info(
            "%s sync of practitioner %s: %s", provider.label, practitioner_id, report.summary()
        )
        return report
    finally:
        lock.release()


def _take(lock: PracticeLock, now: datetime) -> bool:
    """Take the lock; a lease left by a process of this machine that has died (killed mid-sync)
    is taken over at once rather than when it runs out."""
    if lock.acquire(now):
        return True
    who = lock.held_by(now)
    if who is None or not _dead_here(who):
        return False
    from sessions_tui.store.locks import PracticeLock

    log.warning("taking over the %s lock of %s, a process that is gone", lock.name, who)
    PracticeLock(lock.db, lock.name, who).release()
    return lock.acquire(now)


def _dead_here(holder: str) -> bool:
    """Whether ``holder`` (``host:pid``) is a process of this machine that no longer runs."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it runs, as another user
        return False
    return False


def run_background(
    provider: Provider,
    db: Database,
    clock: Clock,
    practitioner_ids: Iterable[int],
    **common: Any,
) -> SyncOutcome:
    """The App's background run of ``provider`` for the connected practitioners (the
    worker's function, which takes the same lock and never raises a sync error)."""
    from sessions_tui.sync.worker import run_caldav_sync, run_google_sync

    run: Callable[..., SyncOutcome] = (
        run_google_sync if provider is Provider.GOOGLE else run_caldav_sync
    )
    return run(db, clock, list(practitioner_ids), **common)


# --- the rest of what the App and the screens need from sync/ (the one door: the import
# contracts forbid them sync/ itself) -------------------------------------------------------


def warm_up() -> None:
    """Import the sync worker (off the UI thread, before the first sync needs it)."""
    import sessions_tui.sync.worker  # noqa: F401


def new_schedule(interval: int) -> Any:
    """The App's :class:`~sessions_tui.sync.worker.SyncSchedule` (interval, backoff)."""
    from sessions_tui.sync.worker import SyncSchedule

    return SyncSchedule(interval=interval)


def combine(first: SyncOutcome, second: SyncOutcome) -> SyncOutcome:
    """One outcome for the status line from two providers' runs."""
    from sessions_tui.sync.worker import combine as _combine

    return _combine(first, second)


def throttled(fn: Callable[[Any], None], seconds: float) -> Callable[[Any], None]:
    """``fn`` called at most once per ``seconds`` (progress messages)."""
    from sessions_tui.sync.worker import throttled as _throttled

    return _throttled(fn, seconds)


def refresh_subscription(ctx: Context, ident: str) -> Any:
    """Fetch one ICS subscription now (:func:`sessions_tui.sync.subscriptions.refresh`)."""
    from sessions_tui.sync.subscriptions import refresh

    return refresh(ctx, ident)


def refresh_due_subscriptions(ctx: Context) -> list[Any]:
    """Fetch the subscriptions that are due (conditional GETs)."""
    from sessions_tui.sync.subscriptions import refresh_all

    return list(refresh_all(ctx, due_only=True))


def default_client_secrets() -> str:
    """Where ``google connect`` looks for the OAuth client file by default."""
    from sessions_tui.sync.oauth import default_client_secrets as where

    return str(where())
