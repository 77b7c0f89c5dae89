"""Two-way Google Calendar sync: :class:`SyncEngine`, plain synchronous code.

One run, for one practitioner:

1. **Pull** (two-way mode only), per selected calendar (default, then secondaries): page
   ``events.list`` from the stored ``nextSyncToken`` (a full listing when there is none, or
   after ``410 GONE``), one transaction per page, so a killed run loses at most a page, which
   the next run lists again. Items already linked are matched by ``(calendar, event id)``;
   items this program made are recognised by ``extendedProperties.private`` and re-linked, so a
   full resync never duplicates anything. New Google events come in as *other* events (never
   client sessions) with ``source_calendar`` set to their calendar.
2. **Push**: every local event of the practitioner whose Google body differs from the one both
   sides last agreed on (``sync_link.local_hash``), every link whose local event is gone
   (a delete), in batch requests. New events get a Google id derived from their uid, so a
   retried insert answers ``409`` and is adopted instead of duplicated. Updates carry
   ``If-Match``; a ``412`` is resolved by the conflict rule.

Rules (from the product): a client session's title is locked (re-pushed when edited in
Google); a delete in Google is pushed back when the session has completed notes or is
cancelled, else it deletes locally; when both sides changed, sessions keep the local version
and other events the latest change (each conflict logged and counted); events of a secondary
calendar write back to that calendar and never to another; recurring series map to recurring
events, their overrides to instance exceptions and their deleted occurrences to EXDATE lines.

Faults: each request uses the client's ``num_retries`` (exponential backoff with jitter on 429,
403 rate limits and 5xx); what still fails raises :class:`SyncTransientError`, for the worker's
own, longer backoff (``sync/worker.py``). Every step is idempotent.

The package, part by part (each under :mod:`sessions_tui.sync.google`):

- ``service``: the client: the emulator endpoint, building the client, transport errors, and
  the account's calendar list.
- ``items``: Google items: ids, the body pushed for a local event, the hash both sides
  compare, and reading an item into a local event.
- ``state``: the state the engine's parts share, and its requests.
- ``local``: links, sync tokens and local events (written through the one Writer).
- ``merge``: one changed item onto its linked event or series occurrence (the conflict rule).
- ``pull``: paging ``events.list`` and bringing items in.
- ``access``: read-only calendars.
- ``plan``: the push plan (what differs from what both sides last agreed on).
- ``push``: batches, retries and follow-ups of refused writes.
- ``engine``: :class:`SyncEngine`, :func:`make_engine` and :func:`pending_changes`.

Import from the package (``from sessions_tui.sync.google import SyncEngine``): the names below
are its interface; the parts are free to move.
"""

from __future__ import annotations

from sessions_tui.sync.engine import CANCELLED_PREFIX, PendingChanges, SyncProgress, SyncReport
from sessions_tui.sync.errors import SyncAuthError, SyncError, SyncTransientError
from sessions_tui.sync.google.engine import SyncEngine, make_engine, pending_changes
from sessions_tui.sync.google.items import (
    PROP_APP,
    PROP_KIND,
    PROP_UID,
    body_for,
    canon,
    content_hash,
    event_from_item,
    external_from_item,
    google_id,
    instance_suffix,
)
from sessions_tui.sync.google.merge import PRACTICE_WIDE
from sessions_tui.sync.google.service import (
    ENDPOINT_ENV,
    GOOGLE_API_ROOT,
    RETRYABLE,
    batch_uri,
    build_service,
    endpoint_from_env,
    list_calendars,
)

__all__ = [
    "CANCELLED_PREFIX",
    "ENDPOINT_ENV",
    "GOOGLE_API_ROOT",
    "PRACTICE_WIDE",
    "PROP_APP",
    "PROP_KIND",
    "PROP_UID",
    "RETRYABLE",
    "PendingChanges",
    "SyncAuthError",
    "SyncEngine",
    "SyncError",
    "SyncProgress",
    "SyncReport",
    "SyncTransientError",
    "batch_uri",
    "body_for",
    "build_service",
    "canon",
    "content_hash",
    "endpoint_from_env",
    "event_from_item",
    "external_from_item",
    "google_id",
    "instance_suffix",
    "list_calendars",
    "make_engine",
    "pending_changes",
]
