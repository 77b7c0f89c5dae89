"""The state every part of :class:`~sessions_tui.sync.caldav.engine.CalDavEngine` shares.

:class:`EngineState` declares, with their types, the attributes the engine's constructor sets
and its run fills in (the account, its calendars, the report), so each mixin (:mod:`.local`,
:mod:`.merge`, :mod:`.pull`, :mod:`.plan`, :mod:`.push`) reads the same names. It also owns the
client: one :class:`~sessions_tui.sync.caldav.dav.DavClient` per run.
"""

from __future__ import annotations

from collections.abc import Callable

from sessions_tui.clock import Clock
from sessions_tui.services.feeds import IdentifierMode
from sessions_tui.services.google_settings import SyncMode
from sessions_tui.store.db import Database
from sessions_tui.store.tables import SyncAccountRow, SyncCalendarRow
from sessions_tui.sync.caldav.dav import DavClient
from sessions_tui.sync.engine import SyncProgress, SyncReport
from sessions_tui.sync.errors import SyncError


class EngineState:
    """The engine's shared state and its client (set by ``CalDavEngine.__init__`` and ``run``)."""

    db: Database
    clock: Clock
    practitioner_id: int
    multiget_size: int
    write_batch: int
    report: SyncReport
    # The account, loaded by CalDavEngine._load_account.
    account_id: int
    mode: SyncMode
    identifier: IdentifierMode
    calendars: dict[str, SyncCalendarRow]
    default_calendar: str
    selected: set[str]
    read_only: set[str]
    fallback_tz: str
    # The client given, or the factory making the run's one.
    _client_or_factory: DavClient | Callable[[str, str], DavClient] | None
    _dav: DavClient | None
    # The run's progress callback and cancel check.
    _progress: Callable[[SyncProgress], None]
    _cancelled: Callable[[], bool]

    def _client(self) -> DavClient:
        if self._dav is None:
            given = self._client_or_factory
            if given is None:
                raise SyncError("no CalDAV client")
            if isinstance(given, DavClient):
                self._dav = given
            else:
                with self.db.session() as s:
                    acc = s.get(SyncAccountRow, self.account_id)
                    assert acc is not None
                    url, username = acc.url or "", acc.username or ""
                self._dav = given(url, username)
        return self._dav
