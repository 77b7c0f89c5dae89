"""The one run every provider's engine makes: :class:`AccountEngine`.

A run, for one practitioner and one account: load the account and its calendars (the default
one pushed to and pulled from, the selected secondaries pulled, the read-only ones never
written), let the provider prepare (Google asks what it may do in each calendar), pull each
selected calendar in two-way mode (the default first), push, and record the report on the
account, also when the run failed. A calendar that is gone remotely (404/410 on a secondary's
listing) is reported once, treated as removed (unselected, its events kept, tied to it), and the
run goes on.

The provider's engine (``sync/google``, ``sync/caldav``) adds its protocol: how a calendar is
pulled (:meth:`AccountEngine._pull`), the push (:meth:`AccountEngine._push`) and its plan
(:meth:`AccountEngine._planned`), and the local side of its links. The rules both follow are in
:mod:`sessions_tui.sync.engine`.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.clock import Clock
from sessions_tui.domain.errors import ConflictError, PermissionDenied, ValidationError
from sessions_tui.domain.events import Event, validate_event
from sessions_tui.services import sync_common
from sessions_tui.services.feeds import IdentifierMode
from sessions_tui.services.sync_common import SyncMode
from sessions_tui.services.writer import Writer
from sessions_tui.store import queries
from sessions_tui.store.db import Database
from sessions_tui.store.locks import PracticeLock
from sessions_tui.store.tables import (
    READ_ONLY_ROLES,
    EventRow,
    ExdateRow,
    HoursRow,
    LockRow,
    PracticeRow,
    SyncAccountRow,
    SyncCalendarRow,
    SyncLinkRow,
)
from sessions_tui.sync.core.provider import Provider
from sessions_tui.sync.engine import PendingChanges, SyncProgress, SyncReport, client_labels
from sessions_tui.sync.errors import CalendarGone, SyncError

BAD_ITEM = (ValidationError, ConflictError, PermissionDenied, ValueError, KeyError, TypeError)
"""What a bad item raises: it is logged by its id and skipped, never the whole run."""

log = logging.getLogger(__name__)


class _Planned(Protocol):
    kind: str


@dataclass
class LocalSnapshot:
    """What a push plan compares: the practitioner's events and the practice-wide ones (no
    practitioner: a staff meeting, in their agenda and feed, so in their calendar too), with
    their exdates, the account's links, and the titles client sessions are pushed with."""

    events: dict[int, Event]
    uids: dict[int, str]
    links: list[SyncLinkRow]
    labels: dict[int, str]

    @property
    def by_event(self) -> dict[int | None, SyncLinkRow]:
        """Each link by the local event it ties."""
        return {link.event_id: link for link in self.links}


class AccountEngine:
    """The shared state and run of a two-way sync engine (one run for one practitioner).

    Subclasses set :attr:`provider` and implement :meth:`_pull`, :meth:`_push` and
    :meth:`_planned`; they may add steps around the run (:meth:`_open`, :meth:`_prepare`,
    :meth:`_close`).
    """

    provider: Provider
    db: Database
    clock: Clock
    practitioner_id: int
    report: SyncReport
    account_id: int
    mode: SyncMode
    identifier: IdentifierMode
    default_calendar: str
    selected: set[str]
    calendars: dict[str, SyncCalendarRow]
    read_only: set[str]
    fallback_tz: str
    _progress: Callable[[SyncProgress], None]
    _cancelled: Callable[[], bool]

    def _init_state(self, db: Database, clock: Clock, practitioner_id: int) -> None:
        self.db = db
        self.clock = clock
        self.practitioner_id = practitioner_id
        self.report = SyncReport()
        self.account_id = 0
        self.mode = SyncMode.TWO_WAY
        self.identifier = IdentifierMode.INITIALS
        self.default_calendar = ""
        self.selected = set()
        self.calendars = {}
        self.read_only = set()
        self.fallback_tz = "UTC"
        self._progress = lambda _p: None
        self._cancelled = lambda: False

    # --- the run -------------------------------------------------------------------------

    def run(
        self,
        progress: Callable[[SyncProgress], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> SyncReport:
        """One sync; returns the report (also recorded on the account).

        Raises:
            SyncError: not connected; SyncAuthError: sign-in refused; SyncTransientError:
                the server unreachable or failing after retries (the worker backs off).
        """
        self.report = SyncReport()
        self._progress = progress or (lambda _p: None)
        self._cancelled = should_cancel or (lambda: False)
        self._load_account()
        lock = self._lock()
        error: str | None = None
        try:
            self._open()
            self._prepare()
            if self.mode is SyncMode.TWO_WAY:
                for calendar in self._pull_order():
                    if self._cancelled():
                        break
                    try:
                        self._pull(calendar)
                    except CalendarGone as gone:
                        self._calendar_gone(gone.calendar)
            if not self._cancelled():
                self._push()
        except SyncError as exc:
            error = exc.message
            raise
        finally:
            try:
                self._close()
                self._record(error)
            finally:
                lock.release()
        return self.report

    def _lock(self) -> PracticeLock:
        """One sync of an account at a time, from the CLI, the App's worker or any other
        client of the practice database: a second one is refused with a line naming the
        holder. A holder on this machine whose process is gone (killed) does not count."""
        name = f"{self.provider.name}-sync:{self.practitioner_id}"
        holder = f"{socket.gethostname()}:{os.getpid()}"
        lock = PracticeLock(self.db, name, holder, ttl=timedelta(minutes=30))
        now = self.clock.now()
        if not lock.acquire(now):
            other = lock.held_by(now) or "another client"
            host, _, pid = other.rpartition(":")
            if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
                with self.db.session() as s:
                    s.execute(delete(LockRow).where(col(LockRow.name) == name))
                if lock.acquire(now):
                    return lock
            raise SyncError(
                f"a {self.provider.label} sync of this practitioner is already running "
                f"({other}); try again when it ends"
            )
        return lock

    def _pull_order(self) -> list[str]:
        """The default calendar first, then the selected secondaries by id."""
        return [self.default_calendar, *sorted(self.selected - {self.default_calendar})]

    def _open(self) -> None:
        """Make the run's client (before anything is asked of the server)."""

    def _prepare(self) -> None:
        """What the provider does before the pull (Google: learn its access)."""

    def _close(self) -> None:
        """What the provider does after the run, failed or not."""

    def _pull(self, calendar: str) -> None:
        raise NotImplementedError

    def _push(self) -> None:
        raise NotImplementedError

    def _planned(self) -> Sequence[_Planned]:
        """The writes the next push would make (no network)."""
        raise NotImplementedError

    # --- the account ---------------------------------------------------------------------

    def _load_account(self) -> None:
        label, hint = self.provider.label, self.provider.connect_hint
        with self.db.session() as s:
            acc = sync_common.account_row(s, self.provider.name, self.practitioner_id)
            if acc is None or not acc.connected:
                raise SyncError(
                    f"{label} sync is not connected for this practitioner: run `{hint}`"
                )
            assert acc.id is not None
            self.account_id = acc.id
            self.mode = SyncMode(acc.mode)
            self.identifier = IdentifierMode(acc.identifier)
            self.calendars = {c.calendar: c for c in sync_common.calendar_rows(s, acc.id)}
            self.fallback_tz = practitioner_zone(s, self.practitioner_id)
        default = [c.calendar for c in self.calendars.values() if c.role == "default"]
        if not default:
            raise SyncError(f"no default {label} calendar: run `{self._default_hint()}`")
        self.default_calendar = default[0]
        self.selected = {c.calendar for c in self.calendars.values() if c.selected}
        self.read_only = {
            c.calendar
            for c in self.calendars.values()
            if c.read_only or c.access_role in READ_ONLY_ROLES
        }

    def _default_hint(self) -> str:
        return self.provider.connect_hint

    def _record(self, error: str | None) -> None:
        with self.db.session() as s:
            acc = s.get(SyncAccountRow, self.account_id)
            if acc is not None:
                acc.last_sync_at = self.clock.now()
                acc.last_result = self.report.summary()
                acc.last_error = error

    def _calendar_gone(self, calendar: str) -> None:
        """A secondary calendar is gone remotely: said once, unselected (its events stay, tied
        to it, as for a calendar the user removed), and the run goes on. The default
        calendar cannot be dropped so: its loss stops the run."""
        name = self.calendars[calendar].summary if calendar in self.calendars else ""
        if calendar == self.default_calendar:
            raise SyncError(
                f"the default {self.provider.label} calendar {name or calendar!r} is gone: run "
                f"`{self._default_hint()}`"
            )
        with self.db.session() as s:
            row = s.execute(
                select(SyncCalendarRow).where(
                    col(SyncCalendarRow.account_id) == self.account_id,
                    col(SyncCalendarRow.calendar) == calendar,
                )
            ).scalar_one_or_none()
            if row is not None:
                row.selected, row.sync_token = False, None
        self.selected.discard(calendar)
        message = (
            f"{self.provider.label} calendar {name or calendar!r} is gone: no longer pulled "
            "(its events stay here)"
        )
        log.warning("%s", message)
        self.report.messages.append(message)

    # --- the local side --------------------------------------------------------------------

    def _writer(self, s: Session) -> Writer:
        return Writer.for_sync(s, self.clock, self.practitioner_id)

    def _titles(self, s: Session, events: Iterable[Event]) -> dict[int, str]:
        return client_labels(s, events, self.identifier)

    def _origin_of(self, source_calendar: str | None) -> str:
        """``remote`` for an event tied to one of the account's calendars (pulled from it, or
        forked locally from such an event), else ``local`` (ours)."""
        return "remote" if source_calendar in self.calendars else "local"

    def _load(self, s: Session, event_id: int | None) -> tuple[EventRow, Event] | None:
        if event_id is None:
            return None
        row = s.get(EventRow, event_id)
        if row is None:
            return None
        keys = s.execute(
            select(col(ExdateRow.recurrence_key)).where(col(ExdateRow.series_id) == row.id)
        )
        return row, queries.row_to_event(row, keys.scalars().all())

    def _reconcile(
        self, calendar: str, listed: Iterable[str], key: Callable[[str], str] = str
    ) -> None:
        """After a complete listing of ``calendar`` (a first sync, a 410, a lost sync token):
        every link whose item it did not name is gone remotely (its tombstone may have been
        purged), and is handled as a remote delete (:meth:`_remote_gone`). ``key`` is how
        remote ids are compared (a CalDAV href may be spelled two ways)."""
        names = {key(r) for r in listed}
        with self.db.session() as s:
            links = self._calendar_links(s, calendar)
            missing = [link for link in links if key(link.remote_id) not in names]
            # Masters before their overrides: a series goes with its overrides.
            series = {
                r.id: r.series_id
                for r in s.execute(
                    select(EventRow).where(
                        col(EventRow.id).in_([m.event_id for m in missing if m.event_id])  # type: ignore[union-attr]
                    )
                ).scalars()
            }
            for link in sorted(missing, key=lambda m: series.get(m.event_id) is not None):
                self._remote_gone(s, link)

    def _remote_gone(self, s: Session, link: SyncLinkRow) -> None:
        """The item of ``link`` was deleted remotely. Under the usual rules: a protected
        session (completed notes, cancelled) is kept and pushed back, a practice-wide event is
        pushed back (it changes in the practice's calendar only), anything else is removed
        here."""
        loaded = self._load(s, link.event_id)
        if loaded is None:
            s.delete(link)  # deleted on both sides
            return
        row, ev = loaded
        if ev.practitioner_id is None:
            s.delete(link)  # practice-wide: the push makes it again
            self.report.conflicts += 1
            return
        try:
            with s.begin_nested():
                writer = self._writer(s)
                writer.delete(row)
                if writer.detached:
                    # Protected occurrences a whole-series delete kept as one-offs: unlinked
                    # from the gone items, the push makes them anew.
                    s.execute(
                        delete(SyncLinkRow).where(
                            col(SyncLinkRow.account_id) == self.account_id,
                            col(SyncLinkRow.event_id).in_(writer.detached),  # type: ignore[union-attr]
                        )
                    )
                    self.report.messages.append(
                        f"kept {len(writer.detached)} protected occurrence(s) of event "
                        f"{ev.id}: deleted on the server, pushed back"
                    )
        except BAD_ITEM as exc:
            self.report.errors += 1
            log.warning("could not delete event %s: %s", ev.id, exc)
            return
        s.delete(link)
        if s.get(EventRow, row.id) is not None:
            # A protected session: never deleted by a sync; the push writes it back.
            self.report.messages.append(f"kept event {ev.id}: deleted on the server, pushed back")
        else:
            self.report.deleted += 1

    def _calendar_links(self, s: Session, calendar: str) -> list[SyncLinkRow]:
        """The account's links to the items of one calendar."""
        return list(
            s.execute(
                select(SyncLinkRow).where(
                    col(SyncLinkRow.account_id) == self.account_id,
                    col(SyncLinkRow.calendar) == calendar,
                )
            ).scalars()
        )

    def _find_link(self, s: Session, calendar: str, remote_id: str) -> SyncLinkRow | None:
        """The account's link to one item, if any."""
        return s.execute(
            select(SyncLinkRow).where(
                col(SyncLinkRow.account_id) == self.account_id,
                col(SyncLinkRow.calendar) == calendar,
                col(SyncLinkRow.remote_id) == remote_id,
            )
        ).scalar_one_or_none()

    def _add_link(
        self,
        s: Session,
        calendar: str,
        remote_id: str,
        event_id: int | None,
        origin: str,
        *,
        uid: str | None = None,
        etag: str | None = None,
        local_hash: str | None = None,
    ) -> SyncLinkRow:
        """Tie ``event_id`` to an item (written only once the remote side holds it)."""
        link = SyncLinkRow(
            account_id=self.account_id,
            event_id=event_id,
            calendar=calendar,
            remote_id=remote_id,
            uid=uid,
            etag=etag,
            local_hash=local_hash,
            origin=origin,
            synced_at=self.clock.now(),
        )
        s.add(link)
        s.flush()
        return link

    def _written(
        self,
        s: Session,
        kind: str,
        link_id: int | None,
        item: tuple[str, str],
        event_id: int | None,
        origin: str,
        *,
        etag: str | None = None,
        local_hash: str | None = None,
        uid: str | None = None,
    ) -> None:
        """Record a write the server took (idempotent: a rerun finds the same state): a delete
        drops the link; a put (re)ties ``event_id`` to ``item`` (calendar, remote id) at the
        version the server answered (``None`` when it sent none: the next pull fetches it and
        agrees) and the content both sides now hold."""
        link = s.get(SyncLinkRow, link_id) if link_id is not None else None
        if kind == "delete":
            if link is not None:
                s.delete(link)
            self.report.deleted += 1
            return
        calendar, remote_id = item
        if link is None:
            link = self._find_link(s, calendar, remote_id)
        if link is None:
            link = self._add_link(s, calendar, remote_id, event_id, origin, uid=uid)
        link.event_id = event_id
        link.etag = etag
        link.local_hash = local_hash
        link.synced_at = self.clock.now()
        s.flush()
        self.report.pushed += 1

    def _snapshot(self) -> LocalSnapshot:
        """The local side of a push plan, read in one session (no network)."""
        with self.db.session() as s:
            rows = (
                s.execute(
                    select(EventRow).where(
                        (col(EventRow.practitioner_id) == self.practitioner_id)
                        | col(EventRow.practitioner_id).is_(None)
                    )
                )
                .scalars()
                .all()
            )
            exd: dict[int, list[str]] = {}
            for sid, key in s.execute(
                select(col(ExdateRow.series_id), col(ExdateRow.recurrence_key))
            ):
                exd.setdefault(sid, []).append(key)
            links = list(
                s.execute(
                    select(SyncLinkRow).where(col(SyncLinkRow.account_id) == self.account_id)
                ).scalars()
            )
            events = {r.id: queries.row_to_event(r, exd.get(r.id, ())) for r in rows if r.id}
            labels = self._titles(s, events.values())
            uids = {r.id: r.uid for r in rows if r.id}
        return LocalSnapshot(events, uids, links, labels)

    def _save_cursor(self, calendar: str, cursor: str | None) -> None:
        with self.db.session() as s:
            row = s.execute(
                select(SyncCalendarRow).where(
                    col(SyncCalendarRow.account_id) == self.account_id,
                    col(SyncCalendarRow.calendar) == calendar,
                )
            ).scalar_one()
            row.sync_token = cursor

    def _cursor(self, s: Session, calendar: str) -> str | None:
        return s.execute(
            select(col(SyncCalendarRow.sync_token)).where(
                col(SyncCalendarRow.account_id) == self.account_id,
                col(SyncCalendarRow.calendar) == calendar,
            )
        ).scalar_one_or_none()

    def _forget_links(self, s: Session, origin: str) -> None:
        """Drop the account's links of one origin (after removing what they tied)."""
        s.execute(
            delete(SyncLinkRow).where(
                col(SyncLinkRow.account_id) == self.account_id,
                col(SyncLinkRow.origin) == origin,
            )
        )

    def pending(self) -> PendingChanges:
        """Local changes waiting for the next push (no network)."""
        self._load_account()
        ops = self._planned()
        deletes = sum(1 for op in ops if op.kind == "delete")
        return PendingChanges(len(ops) - deletes, deletes)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def continuation(old: Event, new: Event) -> Event:
    """A fork of the client-session series ``old`` (a split made in another app) with the
    times and rule of ``new``, as a local "this and following" makes: the same client, kind,
    location and practitioner, a new event."""
    return validate_event(
        replace(
            old,
            id=None,
            start=new.start,
            end=new.end,
            all_day=new.all_day,
            tzid=new.tzid,
            rrule=new.rrule,
            exdates=new.exdates,
        )
    )


def practitioner_zone(s: Session, practitioner_id: int) -> str:
    """The zone a floating or UTC one-off from the server is edited in: the practitioner's
    office-hours zone, else the practice display zone, else UTC."""
    hours = s.execute(
        select(col(HoursRow.tzid)).where(col(HoursRow.practitioner_id) == practitioner_id)
    ).scalar()
    if hours:
        return str(hours)
    practice = s.get(PracticeRow, 1)
    if practice is not None and practice.display_tz:
        return practice.display_tz
    return "UTC"
