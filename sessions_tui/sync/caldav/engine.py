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

from sessions_tui.clock import Clock
from sessions_tui.store.db import Database
from sessions_tui.store.tables import StaffRow
from sessions_tui.sync.caldav.dav import DavClient
from sessions_tui.sync.caldav.plan import _Op
from sessions_tui.sync.caldav.pull import PullMixin
from sessions_tui.sync.caldav.push import PushMixin
from sessions_tui.sync.engine import PendingChanges


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
        self._init_state(db, clock, practitioner_id)
        self._client_or_factory = client
        self.multiget_size = multiget_size
        self.write_batch = write_batch
        self._dav = None
        self._requests_before = 0

    # --- the run's CalDAV steps (the run itself: AccountEngine.run) -----------------------

    def _open(self) -> None:
        self._requests_before = self._client().requests

    def _close(self) -> None:
        self.report.requests += self._client().requests - self._requests_before

    def _planned(self) -> list[_Op]:
        return self.plan()


def pending_changes(engine: CalDavEngine) -> PendingChanges:
    """Local changes waiting for the next push (no network)."""
    return engine.pending()


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
