"""The state every part of :class:`~sessions_tui.sync.caldav.engine.CalDavEngine` shares.

:class:`EngineState` declares, with their types, the CalDAV attributes the engine's
constructor sets (the account, its calendars and the report are the shared engine's), so each
mixin (:mod:`.local`,
:mod:`.merge`, :mod:`.pull`, :mod:`.plan`, :mod:`.push`) reads the same names. It also owns the
client: one :class:`~sessions_tui.sync.caldav.dav.DavClient` per run.
"""

from __future__ import annotations

from collections.abc import Callable

from sessions_tui.store.tables import SyncAccountRow
from sessions_tui.sync.caldav.dav import DavClient
from sessions_tui.sync.core.engine import AccountEngine
from sessions_tui.sync.core.provider import CALDAV
from sessions_tui.sync.errors import SyncError


class EngineState(AccountEngine):
    """The engine's CalDAV state and its client (the account's, shared by every provider, is
    :class:`~sessions_tui.sync.core.engine.AccountEngine`'s)."""

    provider = CALDAV
    multiget_size: int
    write_batch: int
    # The client given, or the factory making the run's one.
    _client_or_factory: DavClient | Callable[[str, str], DavClient] | None
    _dav: DavClient | None
    _requests_before: int

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
