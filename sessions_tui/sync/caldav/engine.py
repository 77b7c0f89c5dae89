"""The engine: :class:`CalDavEngine` (one run for one practitioner) and how to make one.

:class:`CalDavEngine` loads the account and its calendars, then runs the pull per selected
calendar (:mod:`.pull`, :mod:`.merge`) and the push (:mod:`.plan`, :mod:`.push`), and records
the report on the account. :func:`make_engine` builds one for the practitioner's saved account,
:func:`discover` lists an account's calendars, :func:`pending_changes` counts what the next push
would send.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.clock import Clock
from sessions_tui.services.caldav_settings import account_row, calendar_rows
from sessions_tui.services.feeds import IdentifierMode
from sessions_tui.services.google_settings import SyncMode
from sessions_tui.store.db import Database
from sessions_tui.store.tables import StaffRow, SyncAccountRow
from sessions_tui.sync.caldav.dav import DavClient
from sessions_tui.sync.caldav.pull import PullMixin
from sessions_tui.sync.caldav.push import PushMixin
from sessions_tui.sync.engine import PendingChanges, SyncProgress, SyncReport
from sessions_tui.sync.errors import SyncError


class CalDavEngine(PullMixin, PushMixin):
    """Runs one two-way CalDAV sync for one practitioner. Synchronous; safe in a thread.

    Args:
        db: The practice database (the engine opens its own sessions).
        clock: Tells "now".
        practitioner_id: Whose calendar to sync.
        client: A :class:`DavClient`, or a factory taking ``(url, username)`` (one per run).
        multiget_size: Resources fetched per ``calendar-multiget``.
        write_batch: Writes recorded per transaction (a killed run redoes at most these).
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        practitioner_id: int,
        client: DavClient | Callable[[str, str], DavClient] | None,
        *,
        multiget_size: int = 100,
        write_batch: int = 25,
    ) -> None:
        self.db = db
        self.clock = clock
        self.practitioner_id = practitioner_id
        self._client_or_factory = client
        self.multiget_size = multiget_size
        self.write_batch = write_batch
        self.report = SyncReport()
        self.account_id = 0
        self.mode = SyncMode.TWO_WAY
        self.identifier = IdentifierMode.INITIALS
        self.calendars = {}
        self.default_calendar = ""
        self.selected = set()
        self.read_only = set()
        self.fallback_tz = "UTC"
        self._dav = None

    # --- entry point ---------------------------------------------------------------------

    def run(
        self,
        progress: Callable[[SyncProgress], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> SyncReport:
        """One sync; returns the report (also recorded on the account).

        Raises:
            SyncError: not connected; SyncAuthError: password refused; SyncTransientError:
                server unreachable or failing (the worker backs off).
        """
        self.report = SyncReport()
        self._progress = progress or (lambda _p: None)
        self._cancelled = should_cancel or (lambda: False)
        self._load_account()
        error: str | None = None
        dav = self._client()
        before = dav.requests
        try:
            if self.mode is SyncMode.TWO_WAY:
                order = [self.default_calendar, *sorted(self.selected - {self.default_calendar})]
                for cal_url in order:
                    if self._cancelled():
                        break
                    self._pull(cal_url)
            if not self._cancelled():
                self._push()
        except SyncError as exc:
            error = exc.message
            raise
        finally:
            self.report.requests += dav.requests - before
            self._record(error)
        return self.report

    def _load_account(self) -> None:
        with self.db.session() as s:
            acc = account_row(s, self.practitioner_id)
            if acc is None or not acc.connected:
                raise SyncError(
                    "CalDAV sync is not connected for this practitioner: run "
                    "`sessions-tui caldav connect`"
                )
            assert acc.id is not None
            self.account_id = acc.id
            self.mode = SyncMode(acc.mode)
            self.identifier = IdentifierMode(acc.identifier)
            self.calendars = {c.calendar: c for c in calendar_rows(s, acc.id)}
            self.fallback_tz = _practitioner_zone(s, self.practitioner_id)
        default = [c.calendar for c in self.calendars.values() if c.role == "default"]
        if not default:
            raise SyncError("no default CalDAV calendar: run `sessions-tui caldav connect`")
        self.default_calendar = default[0]
        self.selected = {c.calendar for c in self.calendars.values() if c.selected}
        self.read_only = {c.calendar for c in self.calendars.values() if c.read_only}

    def _record(self, error: str | None) -> None:
        with self.db.session() as s:
            acc = s.get(SyncAccountRow, self.account_id)
            if acc is not None:
                acc.last_sync_at = self.clock.now()
                acc.last_result = self.report.summary()
                acc.last_error = error


def _practitioner_zone(s: Session, practitioner_id: int) -> str:
    """The zone a floating or UTC one-off from the server is edited in: the practitioner's
    office-hours zone, else the practice display zone, else UTC."""
    from sessions_tui.store.tables import HoursRow, PracticeRow

    hours = s.execute(
        select(col(HoursRow.tzid)).where(col(HoursRow.practitioner_id) == practitioner_id)
    ).scalar()
    if hours:
        return str(hours)
    practice = s.get(PracticeRow, 1)
    if practice is not None and practice.display_tz:
        return practice.display_tz
    return "UTC"


def pending_changes(engine: CalDavEngine) -> PendingChanges:
    """Local changes waiting for the next push (no network)."""
    engine._load_account()
    ops = engine.plan()
    return PendingChanges(
        sum(1 for op in ops if op.kind != "delete"), sum(1 for op in ops if op.kind == "delete")
    )


def make_engine(db: Database, clock: Clock, practitioner_id: int, **kwargs: Any) -> CalDavEngine:
    """An engine for the practitioner's saved account (the password from its safe place)."""
    from sessions_tui.sync.caldav.secret import load_password

    with db.session() as s:
        staff = s.get(StaffRow, practitioner_id)
        login = staff.login if staff is not None else ""

    def factory(url: str, username: str) -> DavClient:
        _saved_user, password = load_password(login)
        return DavClient(url, username, password)

    return CalDavEngine(db, clock, practitioner_id, factory, **kwargs)


def discover(url: str, username: str, password: str) -> tuple[DavClient, list[tuple[str, str]]]:
    """Connect and list the account's calendars as ``(url, name)``."""
    dav = DavClient(url, username, password)
    return dav, [(c.url, c.name) for c in dav.discover()]
