"""The engine: :class:`SyncEngine` (one run for one practitioner) and how to make one.

:class:`SyncEngine` loads the account and its calendars, then runs the parts its mixins hold:
the read-only check (:mod:`.access`), the pull per calendar (:mod:`.pull`, :mod:`.merge`) and
the push (:mod:`.plan`, :mod:`.push`), and records the report on the account. It also removes
the events it made (``google disconnect --remove-events``). :func:`make_engine` builds one for
Google or the emulator; :func:`pending_changes` counts what the next push would send.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from sessions_tui.clock import Clock
from sessions_tui.store.db import Database
from sessions_tui.store.tables import (
    EventRow,
    SyncLinkRow,
)
from sessions_tui.sync.engine import PendingChanges, SyncReport
from sessions_tui.sync.google.items import PROP_APP, PROP_UID
from sessions_tui.sync.google.plan import _Op
from sessions_tui.sync.google.pull import PullMixin
from sessions_tui.sync.google.push import PushMixin
from sessions_tui.sync.google.service import GOOGLE_API_ROOT, build_service, endpoint_from_env


class SyncEngine(PullMixin, PushMixin):
    """Runs one two-way sync for one practitioner. Synchronous; safe to run in a thread.

    Args:
        db: The practice database (the engine opens its own sessions).
        clock: Tells "now" for timestamps.
        practitioner_id: Whose calendar to sync.
        service: A Calendar v3 client, or a zero-argument factory making one (one per run, as
            httplib2 is not thread-safe).
        api_root: The API root the client talks to (for the batch endpoint).
        num_retries: The client's retries of one request (429/403 rate limit/5xx/dropped).
        sleep: Waits between retries (tests pass a no-op).
        page_size: ``maxResults`` of ``events.list`` (Google allows up to 2500).
        batch_size: Writes per batch request (Google advises at most 50).
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        practitioner_id: int,
        service: Any,
        *,
        api_root: str = GOOGLE_API_ROOT,
        num_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int = 2500,
        batch_size: int = 50,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._init_state(db, clock, practitioner_id)
        self._service_or_factory = service
        self.api_root = api_root
        self.num_retries = num_retries
        self.sleep = sleep
        self.page_size = page_size
        self.batch_size = batch_size
        self.rand = rand
        self._svc: Any = None
        self._events_resource: Any = None
        self._prefetched: dict[tuple[str, str], SyncLinkRow] = {}
        self._prefetched_ids: set[tuple[str, str]] = set()
        self._restores: list[_Op] = []

    # --- the run's Google steps (the run itself: AccountEngine.run) -----------------------

    def _open(self) -> None:
        self._restores = []
        self._svc = self._service()

    def _prepare(self) -> None:
        self._learn_access()
        if self.read_only & self.selected:
            self._restore(self.plan().restore)

    def _default_hint(self) -> str:
        return "sessions-tui google connect --calendar ID"

    def _planned(self) -> list[_Op]:
        return self.plan().ops

    # --- disconnect ----------------------------------------------------------------------

    def remove_created_events(self) -> int:
        """Delete from Google every event this program made (found by its private uid)."""
        self._load_account()
        self._svc = self._service()
        cal_ids = sorted(self.calendars)
        with self.db.session() as s:
            # Only ours: an event tied to a Google calendar (pulled, or a "this and following"
            # fork of the user's own Google series, which older versions marked as ours) stays.
            uids = {
                uid
                for uid, source in s.execute(
                    select(col(EventRow.uid), col(EventRow.source_calendar))
                )
                if self._origin_of(source) == "local"
            }
        ops: list[_Op] = []
        for cal_id in cal_ids:
            page: str | None = None
            while True:
                args: dict[str, Any] = {"calendarId": cal_id, "maxResults": self.page_size}
                if page:
                    args["pageToken"] = page
                resp = self._execute(
                    self._events().list(privateExtendedProperty=f"{PROP_APP}=1", **args)
                )
                for item in resp.get("items", []):
                    uid = ((item.get("extendedProperties") or {}).get("private") or {}).get(
                        PROP_UID
                    )
                    if uid and uid in uids and not item.get("recurringEventId"):
                        ops.append(_Op("delete", cal_id, item["id"], None, None, None, None, None))
                page = resp.get("nextPageToken")
                if not page:
                    break
        self.selected = set(cal_ids)
        self.report = SyncReport()
        self._progress = lambda _p: None
        self._cancelled = lambda: False
        self._run_ops(ops)
        with self.db.session() as s:
            self._forget_links(s, "local")
        return self.report.deleted


def pending_changes(engine: SyncEngine) -> PendingChanges:
    """Local changes waiting for the next push (no network)."""
    return engine.pending()


def make_engine(
    db: Database,
    clock: Clock,
    practitioner_id: int,
    *,
    credentials: Any = None,
    environ: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> SyncEngine:
    """An engine talking to Google, or to the emulator named by ``SESSIONS_TUI_GOOGLE_ENDPOINT``.

    Without the emulator, ``credentials`` is loaded from the saved token when not given.
    """
    endpoint = endpoint_from_env(environ)
    if endpoint is None and credentials is None:
        from sessions_tui.sync.oauth import load_credentials_for

        credentials = load_credentials_for(db, practitioner_id)
    return SyncEngine(
        db,
        clock,
        practitioner_id,
        lambda: build_service(endpoint, credentials),
        api_root=endpoint or GOOGLE_API_ROOT,
        **kwargs,
    )
