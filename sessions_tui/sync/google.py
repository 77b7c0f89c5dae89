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
   sides last agreed on (``google_link.local_hash``), every link whose local event is gone
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
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import http.client
import ipaddress
import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.clock import Clock
from sessions_tui.domain.errors import (
    ConflictError,
    PermissionDenied,
    SessionsError,
    ValidationError,
)
from sessions_tui.domain.events import Event, EventKind, Instant, validate_event
from sessions_tui.domain.external import ExternalEvent, to_local
from sessions_tui.domain.subscriptions import is_subscribed
from sessions_tui.domain.timeutil import zone
from sessions_tui.services.feeds import IdentifierMode
from sessions_tui.services.google_settings import SyncMode, account_row
from sessions_tui.services.writer import Writer
from sessions_tui.store import queries
from sessions_tui.store.db import Database
from sessions_tui.store.tables import (
    READ_ONLY_ROLES,
    EventRow,
    ExdateRow,
    GoogleAccountRow,
    GoogleCalendarRow,
    GoogleLinkRow,
)
from sessions_tui.sync.engine import CANCELLED_PREFIX as CANCELLED_PREFIX
from sessions_tui.sync.engine import PendingChanges as PendingChanges
from sessions_tui.sync.engine import SyncProgress as SyncProgress
from sessions_tui.sync.engine import SyncReport as SyncReport
from sessions_tui.sync.engine import client_labels, keep_local, newer_local, pushed_title
from sessions_tui.sync.errors import SyncAuthError as SyncAuthError
from sessions_tui.sync.errors import SyncError as SyncError
from sessions_tui.sync.errors import SyncTransientError as SyncTransientError

log = logging.getLogger(__name__)

ENDPOINT_ENV = "SESSIONS_TUI_GOOGLE_ENDPOINT"
"""For testing only: the API root of a local Calendar emulator (loopback URLs only)."""

GOOGLE_API_ROOT = "https://www.googleapis.com/calendar/v3/"
PROP_UID = "sessionsTuiUid"
"""extendedProperties.private key holding the local uid of events this program made."""
PROP_KIND = "sessionsTuiKind"
PROP_APP = "sessionsTui"
"""Set to ``1`` on every event this program made: ``disconnect --remove-events`` finds them."""
PRACTICE_WIDE = SessionsError("a practice-wide event changes in the practice calendar only")
"""Why a Google change of a practice-wide event is pushed back (one per practitioner's copy)."""
RETRYABLE = {429, 500, 502, 503, 504}


# --- errors and results ---------------------------------------------------------------------


# SyncError, SyncAuthError and SyncTransientError: sessions_tui.sync.errors (imported above).


# SyncReport, SyncProgress and PendingChanges: sessions_tui.sync.engine (imported above).


# --- the client -----------------------------------------------------------------------------


def endpoint_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The emulator endpoint from ``SESSIONS_TUI_GOOGLE_ENDPOINT``, checked to be loopback.

    Raises:
        SyncError: the URL is not http(s) on a loopback host.
    """
    env = os.environ if environ is None else environ
    value = (env.get(ENDPOINT_ENV) or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    host = parts.hostname or ""
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if parts.scheme not in ("http", "https") or not loopback:
        raise SyncError(
            f"{ENDPOINT_ENV}={value!r} is refused: it is for testing against a local emulator "
            "and must be a loopback URL such as http://127.0.0.1:8765/calendar/v3/"
        )
    return value if value.endswith("/") else value + "/"


def batch_uri(api_root: str) -> str:
    """The batch endpoint next to an API root (``.../calendar/v3/`` → ``.../batch/calendar/v3``)."""
    marker = "calendar/v3"
    base = api_root[: api_root.index(marker)] if marker in api_root else api_root
    return base + "batch/calendar/v3"


def build_service(endpoint: str | None, credentials: Any = None, *, timeout: float = 60) -> Any:
    """A Calendar v3 client from the bundled discovery document (no network to build it).

    With ``endpoint`` (the emulator) it uses anonymous credentials and no sign-in.
    """
    import google_auth_httplib2  # type: ignore[import-untyped]
    import httplib2  # type: ignore[import-untyped]
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build  # type: ignore[import-untyped]

    options: dict[str, Any] = {}
    if endpoint is not None:
        credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
        options["api_endpoint"] = endpoint
    if credentials is None:
        raise SyncAuthError("not signed in to Google: run `sessions-tui google connect`")
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
    return build(
        "calendar",
        "v3",
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options=options or None,
    )


# --- mapping --------------------------------------------------------------------------------


def google_id(uid: str) -> str:
    """A valid Google event id (base32hex) derived from a local uid: inserts are idempotent."""
    digest = hashlib.sha1(uid.encode()).digest()
    return base64.b32hexencode(digest).decode().lower().rstrip("=")


def instance_suffix(rid: Instant) -> str:
    if isinstance(rid, datetime):
        return rid.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return rid.strftime("%Y%m%d")


def _utc_text(value: str) -> str:
    return (
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        .astimezone(UTC)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def _exdate_line(value: Instant) -> str:
    if isinstance(value, datetime):
        return "EXDATE:" + value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return "EXDATE;VALUE=DATE:" + value.strftime("%Y%m%d")


def body_for(event: Event, title: str, *, mine: bool) -> dict[str, Any]:
    """The Google event body for a local event (``mine``: made here, carries our uid)."""
    body: dict[str, Any] = {
        "summary": title,
        "transparency": "opaque" if event.busy else "transparent",
        "status": "confirmed",
    }
    if event.all_day:
        body["start"] = {"date": event.start.isoformat()}
        body["end"] = {"date": event.end.isoformat()}
    else:
        assert isinstance(event.start, datetime)
        assert isinstance(event.end, datetime)
        tz = zone(event.tzid)
        body["start"] = {"dateTime": event.start.astimezone(tz).isoformat(), "timeZone": event.tzid}
        body["end"] = {"dateTime": event.end.astimezone(tz).isoformat(), "timeZone": event.tzid}
    if event.rrule:
        body["recurrence"] = [
            "RRULE:" + event.rrule,
            *sorted(_exdate_line(x) for x in event.exdates),
        ]
    if mine and event.uid:
        body["extendedProperties"] = {
            "private": {PROP_APP: "1", PROP_UID: event.uid, PROP_KIND: event.kind.value}
        }
    return body


def canon(item: Mapping[str, Any], default_tz: str) -> dict[str, Any]:
    """The fields both sides sync, in one form, so local and Google versions compare equal."""
    out: dict[str, Any] = {
        "summary": item.get("summary") or "",
        "transparency": item.get("transparency") or "opaque",
        "status": item.get("status") or "confirmed",
    }
    for key in ("start", "end"):
        when = item.get(key) or {}
        if "date" in when:
            out[key] = when["date"]
        elif "dateTime" in when:
            out[key] = _utc_text(when["dateTime"])
            out["tz"] = (item.get("start") or {}).get("timeZone") or default_tz
    rec = item.get("recurrence")
    if rec:
        out["recurrence"] = sorted(rec)
    return out


def content_hash(item: Mapping[str, Any], default_tz: str) -> str:
    text = json.dumps(canon(item, default_tz), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _parse_when(when: Mapping[str, Any]) -> Instant:
    if "date" in when:
        return date.fromisoformat(when["date"])
    return datetime.fromisoformat(when["dateTime"].replace("Z", "+00:00")).astimezone(UTC)


def _parse_exdate(line: str) -> list[Instant]:
    """The values of one ``EXDATE`` line as written: dates, aware times, or floating times
    (read in the event's zone by :func:`~sessions_tui.domain.external.to_local`)."""
    head, _, values = line.partition(":")
    params = dict(p.split("=", 1) for p in head.split(";")[1:] if "=" in p)
    out: list[Instant] = []
    for v in values.split(","):
        v = v.strip()
        if not v:
            continue
        if params.get("VALUE") == "DATE" or "T" not in v:
            out.append(datetime.strptime(v[:8], "%Y%m%d").date())  # noqa: DTZ007 - a date
        elif v.endswith("Z"):
            out.append(datetime.strptime(v, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC))
        else:
            local = datetime.strptime(v, "%Y%m%dT%H%M%S")  # noqa: DTZ007 - zone attached next
            out.append(local.replace(tzinfo=zone(params["TZID"])) if "TZID" in params else local)
    return out


def external_from_item(item: Mapping[str, Any]) -> ExternalEvent:
    """The facts of a Google event, for the one mapping of external events."""
    start = item.get("start") or {}
    rrule = None
    exdates: list[Instant] = []
    for line in item.get("recurrence") or ():
        upper = line.upper()
        if upper.startswith("RRULE:"):
            rrule = line[6:]
        elif upper.startswith("EXDATE"):
            exdates.extend(_parse_exdate(line))
    original = item.get("originalStartTime")
    return ExternalEvent(
        start=_parse_when(start),
        end=_parse_when(item["end"]) if item.get("end") else None,
        summary=item.get("summary") or "",
        tzid=start.get("timeZone") or None,
        rrule=rrule,
        exdates=tuple(exdates),
        transparent=item.get("transparency") == "transparent",
        cancelled=item.get("status") == "cancelled",
        recurrence_id=_parse_when(original) if original else None,
    )


def event_from_item(
    item: Mapping[str, Any],
    *,
    calendar_id: str,
    practitioner_id: int,
    default_tz: str,
    base: Event | None = None,
) -> Event:
    """The local version of a Google event (an *other* event unless ``base`` is a session).

    The facts are mapped by the one mapping of external events
    (:func:`~sessions_tui.domain.external.to_local`), as for an imported .ics file. With
    ``base`` (the linked local event), fields Google does not carry are kept; a client session
    keeps its title (locked) and stays a session.
    """
    mapped = to_local(
        # Google's "cancelled" is a delete, handled before mapping: never a cancelled event.
        replace(external_from_item(item), cancelled=False, recurrence_id=None),
        practitioner_id=practitioner_id,
        source_calendar=calendar_id,
        fallback_tz=default_tz,
    )
    if base is None:
        return mapped
    changes: dict[str, Any] = {
        "start": mapped.start,
        "end": mapped.end,
        "all_day": mapped.all_day,
        "tzid": mapped.tzid,
        "busy": mapped.busy,
    }
    if base.kind is EventKind.OTHER:
        changes["title"] = mapped.title
    if base.rrule is not None or base.series_id is None:
        changes["rrule"] = mapped.rrule
        changes["exdates"] = (
            frozenset(base.exdates | mapped.exdates) if mapped.rrule else frozenset()
        )
    return validate_event(replace(base, **changes))


# --- the engine -----------------------------------------------------------------------------


@dataclass
class _Op:
    """One pending write to Google."""

    kind: str  # insert | patch | delete
    calendar_id: str
    google_event_id: str
    body: dict[str, Any] | None
    link_id: int | None
    event_id: int | None
    etag: str | None
    local_hash: str | None
    origin: str = "local"
    attempts: int = 0


@dataclass
class _Plan:
    first: list[_Op] = field(default_factory=list)  # masters, one-offs, deletes
    second: list[_Op] = field(default_factory=list)  # overrides (need their master in Google)
    restore: list[_Op] = field(default_factory=list)  # local changes to read-only calendars

    @property
    def ops(self) -> list[_Op]:
        return self.first + self.second


class SyncEngine:
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
        self.db = db
        self.clock = clock
        self.practitioner_id = practitioner_id
        self._service_or_factory = service
        self.api_root = api_root
        self.num_retries = num_retries
        self.sleep = sleep
        self.page_size = page_size
        self.batch_size = batch_size
        self.rand = rand
        self._svc: Any = None
        self._events_resource: Any = None
        self._prefetched: dict[tuple[str, str], GoogleLinkRow] = {}
        self._prefetched_ids: set[tuple[str, str]] = set()
        self.account_id = 0
        self.default_calendar = ""
        self.selected: set[str] = set()
        self.calendars: dict[str, GoogleCalendarRow] = {}
        self.read_only: set[str] = set()
        self._restores: list[_Op] = []
        self.report = SyncReport()

    # --- entry point ---------------------------------------------------------------------

    def run(
        self,
        progress: Callable[[SyncProgress], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> SyncReport:
        """One sync; returns the report (also recorded on the account).

        Raises:
            SyncError: not connected; SyncAuthError: sign-in refused; SyncTransientError:
                Google unreachable or rate limiting after retries (the worker backs off).
        """
        self.report = SyncReport()
        self._restores = []
        self._progress = progress or (lambda _p: None)
        self._cancelled = should_cancel or (lambda: False)
        self._load_account()
        self._svc = self._service()
        error: str | None = None
        try:
            self._learn_access()
            if self.read_only & self.selected:
                self._restore(self.plan().restore)
            if self.mode is SyncMode.TWO_WAY:
                order = [
                    self.default_calendar,
                    *sorted(c for c in self.selected if c != self.default_calendar),
                ]
                for cal_id in order:
                    if self._cancelled():
                        break
                    self._pull(cal_id)
            if not self._cancelled():
                self._push()
        except SyncError as exc:
            error = exc.message
            raise
        finally:
            self._record(error)
        return self.report

    def _load_account(self) -> None:
        with self.db.session() as s:
            acc = account_row(s, self.practitioner_id)
            if acc is None or not acc.connected:
                raise SyncError(
                    "Google sync is not connected for this practitioner: run "
                    "`sessions-tui google connect`"
                )
            cals = (
                s.execute(
                    select(GoogleCalendarRow).where(col(GoogleCalendarRow.account_id) == acc.id)
                )
                .scalars()
                .all()
            )
            assert acc.id is not None
            self.account_id = acc.id
            self.mode = SyncMode(acc.mode)
            self.identifier = IdentifierMode(acc.identifier)
            self.calendars = {c.calendar_id: c for c in cals}
        default = [c for c in self.calendars.values() if c.role == "default"]
        if not default:
            raise SyncError(
                "no default Google calendar: run `sessions-tui google connect --calendar ID`"
            )
        self.default_calendar = default[0].calendar_id
        self.selected = {c.calendar_id for c in self.calendars.values() if c.selected}
        self.read_only = {
            c.calendar_id for c in self.calendars.values() if c.access_role in READ_ONLY_ROLES
        }

    def _learn_access(self) -> None:
        """Ask Google what the account may do in each synced calendar (``accessRole``), when not
        known yet or when the calendar is about to be listed in full (a sharing may change)."""
        from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

        wanted = [
            c.calendar_id
            for c in self.calendars.values()
            if c.selected and (c.access_role is None or c.sync_token is None)
        ]
        learned: dict[str, str] = {}
        for cal_id in sorted(wanted):
            try:
                entry = self._execute(self._svc.calendarList().get(calendarId=cal_id))
            except HttpError:
                continue  # not in the account's list (yet): treated as writable
            role = entry.get("accessRole")
            if isinstance(role, str):
                learned[cal_id] = role
        if learned:
            self._set_access(learned)

    def _set_access(self, roles: Mapping[str, str]) -> None:
        with self.db.session() as s:
            for row in s.execute(
                select(GoogleCalendarRow).where(
                    col(GoogleCalendarRow.account_id) == self.account_id,
                    col(GoogleCalendarRow.calendar_id).in_(list(roles)),  # type: ignore[attr-defined]
                )
            ).scalars():
                row.access_role = roles[row.calendar_id]
        for cal_id, role in roles.items():
            if role in READ_ONLY_ROLES:
                self.read_only.add(cal_id)
            else:
                self.read_only.discard(cal_id)

    def _restore(self, ops: list[_Op]) -> None:
        """Undo local changes to events of read-only calendars, before their pull.

        Google's version comes back: each changed series or event is dropped here with its
        links and the calendar is listed in full, which brings it in again as Google has it. A
        "this and following" continuation made here goes (Google's series comes back whole); a
        copy made here of such an event (no rule) stays, as a local event of the practitioner.
        Local events aimed at a read-only *default* calendar are only left unpushed.
        """
        if not ops:
            return
        undone: dict[str, int] = {}
        unpushed: dict[str, int] = {}
        with self.db.session() as s:
            roots: dict[int, str] = {}
            for op in ops:
                if op.origin != "google":
                    unpushed[op.calendar_id] = unpushed.get(op.calendar_id, 0) + 1
                    continue
                if op.event_id is None:  # deleted here: its link goes, the listing restores it
                    link = s.get(GoogleLinkRow, op.link_id) if op.link_id is not None else None
                    if link is not None:
                        s.delete(link)
                        undone[op.calendar_id] = undone.get(op.calendar_id, 0) + 1
                    continue
                loaded = self._load(s, op.event_id)
                if loaded is None:
                    continue
                row, ev = loaded
                if op.link_id is None and ev.series_id is None and ev.rrule is None:
                    # A copy made here: the practitioner's own event now.
                    self._save(s, row, replace(ev, source_calendar=None))
                    continue
                root = ev.series_id if ev.series_id is not None else ev.id
                assert root is not None
                roots[root] = op.calendar_id
            for root, cal_id in roots.items():
                mrow = s.get(EventRow, root)
                if mrow is None:
                    continue
                family = [
                    root,
                    *s.execute(
                        select(col(EventRow.id)).where(col(EventRow.series_id) == root)
                    ).scalars(),
                ]
                s.execute(
                    delete(GoogleLinkRow).where(
                        col(GoogleLinkRow.account_id) == self.account_id,
                        col(GoogleLinkRow.event_id).in_(family),  # type: ignore[union-attr]
                    )
                )
                self._delete_local(s, mrow)
                undone[cal_id] = undone.get(cal_id, 0) + 1
        for cal_id, count in sorted(undone.items()):
            self._save_token(cal_id, None)
            self.report.messages.append(
                f"calendar {cal_id} is read-only for this account: {count} local change(s) "
                "undone, Google's version restored"
            )
        for cal_id, count in sorted(unpushed.items()):
            self.report.messages.append(
                f"calendar {cal_id} is read-only for this account: {count} local event(s) not "
                "pushed; connect a calendar you can write to (`google connect --calendar ID`)"
            )

    def _service(self) -> Any:
        if self._svc is None:
            given = self._service_or_factory
            self._svc = given if hasattr(given, "events") else given()
            # Building a resource walks the discovery document: once per run, not per call.
            self._events_resource = self._svc.events()
        return self._svc

    def _events(self) -> Any:
        self._service()
        return self._events_resource

    def _record(self, error: str | None) -> None:
        with self.db.session() as s:
            acc = s.get(GoogleAccountRow, self.account_id)
            if acc is not None:
                acc.last_sync_at = self.clock.now()
                acc.last_result = self.report.summary()
                acc.last_error = error

    # --- requests ------------------------------------------------------------------------

    def _execute(self, request: Any) -> Any:
        from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

        request._sleep = self.sleep  # the client's retry wait, injectable for tests
        request._rand = self.rand
        self.report.requests += 1
        try:
            return request.execute(num_retries=self.num_retries)
        except HttpError as exc:
            status = exc.resp.status
            if status in RETRYABLE or (status == 403 and _is_rate_limit(exc)):
                raise SyncTransientError(
                    f"Google is busy or rate limiting (HTTP {status}); will retry later",
                    quota=status in (403, 429),
                ) from None
            if status == 401:
                raise SyncAuthError(
                    "Google refused the saved sign-in: run `sessions-tui google connect` again"
                ) from None
            raise
        except _transport_errors() as exc:
            raise SyncTransientError(
                f"cannot reach Google ({exc.__class__.__name__}); will retry later"
            ) from None

    # --- pull ----------------------------------------------------------------------------

    def _pull(self, cal_id: str) -> None:
        from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

        with self.db.session() as s:
            token = s.execute(
                select(col(GoogleCalendarRow.sync_token)).where(
                    col(GoogleCalendarRow.account_id) == self.account_id,
                    col(GoogleCalendarRow.calendar_id) == cal_id,
                )
            ).scalar_one_or_none()
        page_token: str | None = None
        deferred: list[dict[str, Any]] = []
        done = 0
        resyncs = 0
        default_tz = "UTC"
        while True:
            if self._cancelled():
                return
            args: dict[str, Any] = {"calendarId": cal_id, "maxResults": self.page_size}
            if token:
                args["syncToken"] = token
            else:
                args["showDeleted"] = True
            if page_token:
                args["pageToken"] = page_token
            try:
                resp = self._execute(self._events().list(**args))
            except HttpError as exc:
                if exc.resp.status == 410 and resyncs < 2:
                    # The sync token expired: list everything again. Links and private uids
                    # make this safe: nothing is duplicated either side.
                    log.info("sync token of %s invalidated; full resync", cal_id)
                    resyncs += 1
                    self.report.full_resyncs += 1
                    token, page_token, deferred = None, None, []
                    self._save_token(cal_id, None)
                    continue
                raise SyncError(
                    f"cannot list Google calendar {cal_id}: HTTP {exc.resp.status}"
                ) from None
            default_tz = resp.get("timeZone") or default_tz
            items = resp.get("items", [])
            with self.db.session() as s:
                self._prefetch(s, cal_id, [item["id"] for item in items])
                for item in items:
                    if not self._apply(s, cal_id, item, default_tz, final=False):
                        deferred.append(item)
                self._forget_prefetch()
            done += len(items)
            self._progress(SyncProgress("pull", cal_id, done))
            page_token = resp.get("nextPageToken")
            if page_token:
                continue
            with self.db.session() as s:
                for item in deferred:
                    self._apply(s, cal_id, item, default_tz, final=True)
            self._save_token(cal_id, resp.get("nextSyncToken"))
            return

    def _save_token(self, cal_id: str, token: str | None) -> None:
        with self.db.session() as s:
            row = s.execute(
                select(GoogleCalendarRow).where(
                    col(GoogleCalendarRow.account_id) == self.account_id,
                    col(GoogleCalendarRow.calendar_id) == cal_id,
                )
            ).scalar_one()
            row.sync_token = token

    def _prefetch(self, s: Session, cal_id: str, gids: list[str]) -> None:
        """Load the links of a page in one query; :meth:`_link` uses each one once."""
        self._prefetched = {}
        for i in range(0, len(gids), 500):
            for link in s.execute(
                select(GoogleLinkRow).where(
                    col(GoogleLinkRow.calendar_id) == cal_id,
                    col(GoogleLinkRow.google_event_id).in_(gids[i : i + 500]),
                )
            ).scalars():  # type: ignore[attr-defined]
                self._prefetched[(cal_id, link.google_event_id)] = link
        self._prefetched_ids = {(cal_id, g) for g in gids}

    def _forget_prefetch(self) -> None:
        # Prefetched rows belong to one session; never let them leak into the next.
        self._prefetched, self._prefetched_ids = {}, set()

    def _link(self, s: Session, cal_id: str, gid: str) -> GoogleLinkRow | None:
        key = (cal_id, gid)
        if key in self._prefetched_ids:
            # Known from the page's one query; used once, as later steps may change it.
            self._prefetched_ids.discard(key)
            return self._prefetched.pop(key, None)
        return s.execute(
            select(GoogleLinkRow).where(
                col(GoogleLinkRow.calendar_id) == cal_id, col(GoogleLinkRow.google_event_id) == gid
            )
        ).scalar_one_or_none()

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

    def _apply(
        self, s: Session, cal_id: str, item: dict[str, Any], default_tz: str, *, final: bool
    ) -> bool:
        """Bring one Google item in; ``False`` to defer it (its master is not here yet)."""
        key = (cal_id, item.get("id", ""))
        known = self._prefetched.get(key)
        if known is not None and known.etag is not None and known.etag == item.get("etag"):
            # Our own write (or one already seen) coming back: the common case, kept cheap.
            self._prefetched_ids.discard(key)
            self._prefetched.pop(key, None)
            return True
        try:
            with s.begin_nested():
                return self._apply_item(s, cal_id, item, default_tz, final=final)
        except (
            ValidationError,
            ConflictError,  # the writer's booking rule refused it
            PermissionDenied,  # not this practitioner's event to change
            ValueError,
            KeyError,
            TypeError,
        ) as exc:
            # Log and skip a bad item [khal]; its id only, never its title (client names).
            self.report.errors += 1
            log.warning("skipped Google event %s: %s", item.get("id"), exc)
            return True

    def _apply_item(
        self, s: Session, cal_id: str, item: dict[str, Any], default_tz: str, *, final: bool
    ) -> bool:
        gid = item["id"]
        cancelled = item.get("status") == "cancelled"
        link = self._link(s, cal_id, gid)
        if item.get("recurringEventId"):
            return self._apply_exception(s, cal_id, item, link, default_tz, final=final)
        if link is None:
            uid = ((item.get("extendedProperties") or {}).get("private") or {}).get(PROP_UID)
            if uid:
                row = s.execute(
                    select(EventRow).where(col(EventRow.uid) == uid)
                ).scalar_one_or_none()
                if row is not None:
                    # Made here by a run that died before linking it: adopt, never duplicate.
                    if not cancelled:
                        origin = self._origin_of(row.source_calendar)
                        self._new_link(s, cal_id, gid, row.id, origin, item, default_tz)
                    return True
                # Made by another practice database: an ordinary Google event here.
            if cancelled:
                return True
            ev = event_from_item(
                item,
                calendar_id=cal_id,
                practitioner_id=self.practitioner_id,
                default_tz=default_tz,
            )
            cal_tag = hashlib.sha1(cal_id.encode()).hexdigest()[:10]
            row = self._insert(s, ev, uid=f"google-{gid}-{cal_tag}")
            new = self._new_link(s, cal_id, gid, row.id, "google", item, default_tz)
            new.local_hash = content_hash(body_for(ev, ev.title, mine=False), default_tz)
            self.report.pulled += 1
            return True
        loaded = self._load(s, link.event_id)
        if loaded is None:
            if cancelled:
                s.delete(link)  # deleted on both sides
            return True  # deleted here: the push deletes it there
        row, ev = loaded
        self._apply_linked(s, cal_id, item, link, row, ev, default_tz)
        return True

    def _apply_linked(
        self,
        s: Session,
        cal_id: str,
        item: dict[str, Any],
        link: GoogleLinkRow,
        row: EventRow,
        ev: Event,
        default_tz: str,
    ) -> None:
        if item.get("etag") == link.etag:
            return  # our own write coming back
        cancelled = item.get("status") == "cancelled"
        local_hash = self._local_hash(s, row, default_tz)
        remote_hash = content_hash(item, default_tz)
        if ev.practitioner_id is None and (cancelled or remote_hash != local_hash):
            self._push_back(link, item, ev.id, PRACTICE_WIDE)
            return
        if cancelled:
            if ev.is_session and (ev.notes_completed or ev.is_cancelled):
                # The product rule: such a session cannot be deleted from Google; push it back.
                link.etag, link.local_hash = item.get("etag"), None
                self.report.messages.append(f"kept event {ev.id}: deleted in Google, pushed back")
                return
            self._delete_local(s, row)
            s.delete(link)
            self.report.deleted += 1
            return
        if remote_hash == local_hash:
            link.etag, link.local_hash = item.get("etag"), local_hash
            return
        if local_hash != link.local_hash and link.local_hash is not None:
            self.report.conflicts += 1
            keep_local = _keep_local(ev, row.updated_at, item.get("updated"))
            log.info(
                "conflict on event %s (Google %s): keeping the %s version",
                ev.id,
                item["id"],
                "local" if keep_local else "Google",
            )
            if keep_local:
                link.etag = item.get("etag")  # the push overwrites Google with If-Match
                return
        try:
            new = event_from_item(
                item,
                calendar_id=cal_id,
                practitioner_id=self.practitioner_id,
                default_tz=default_tz,
                base=ev,
            )
        except ValidationError as exc:
            self._push_back(link, item, ev.id, exc)
            return
        self._save(s, row, new)
        link.etag = item.get("etag")
        # A session's edited title differs from ours: the hash differs, so it is pushed back.
        link.local_hash = remote_hash if ev.is_session else self._local_hash(s, row, default_tz)
        self.report.pulled += 1

    def _push_back(
        self, link: GoogleLinkRow, item: Mapping[str, Any], event_id: int | None, exc: Exception
    ) -> None:
        """Google's version cannot be held here (a client session made all-day, a rule we
        refuse): the local version wins and the push writes it over Google's (If-Match on the
        etag just seen), so the two sides converge instead of disagreeing for ever."""
        self.report.conflicts += 1
        reason = exc.message if isinstance(exc, SessionsError) else str(exc)
        if exc is PRACTICE_WIDE:
            what = "it is practice-wide and changes here only; the practice's version"
        else:
            what = f"Google's change cannot be stored here ({reason}); the local version"
        self.report.messages.append(f"kept event {event_id}: {what} was pushed back")
        log.info("conflict on event %s (Google %s): %s", event_id, item.get("id"), reason)
        link.etag, link.local_hash = item.get("etag"), None

    def _restore_instance(
        self,
        cal_id: str,
        item: Mapping[str, Any],
        master_link: GoogleLinkRow,
        master: Event,
        rid: Instant,
        default_tz: str,
    ) -> None:
        """Queue a write of the series' own version of an instance over Google's, unless
        Google's already is that (our own restore coming back)."""
        own = replace(
            master,
            id=None,
            uid=None,
            rrule=None,
            series_id=master.id,
            recurrence_id=rid,
            start=rid,
            end=rid + master.duration,  # type: ignore[operator]
            exdates=frozenset(),
        )
        body = self._body(own, {}, master_link.origin)
        if item.get("status") != "cancelled" and content_hash(body, own.tzid) == content_hash(
            item, default_tz
        ):
            return
        self.report.conflicts += 1
        self.report.messages.append(
            f"kept an occurrence of event {master.id}: it is practice-wide and changes here "
            "only; the practice's version was pushed back"
        )
        self._restores.append(
            _Op("patch", cal_id, item["id"], body, None, None, None, None, "restore")
        )

    def _keep_occurrence(
        self,
        s: Session,
        cal_id: str,
        item: Mapping[str, Any],
        master_link: GoogleLinkRow,
        master: Event,
        rid: Instant,
        reason: Exception,
    ) -> None:
        """Keep the series' own version of an occurrence Google changed (as a linked override)
        and push it back over Google's."""
        own = validate_event(
            replace(
                master,
                id=None,
                uid=None,
                rrule=None,
                series_id=master.id,
                recurrence_id=rid,
                start=rid,
                end=rid + master.duration,  # type: ignore[operator]
                exdates=frozenset(),
                sequence=0,
                version=1,
            )
        )
        row = self._insert(s, own, uid=f"{master.uid}#{queries.recurrence_key(rid)}")
        new = self._new_link(s, cal_id, item["id"], row.id, master_link.origin, item, "UTC")
        self._push_back(new, item, row.id, reason)

    def _apply_exception(
        self,
        s: Session,
        cal_id: str,
        item: dict[str, Any],
        link: GoogleLinkRow | None,
        default_tz: str,
        *,
        final: bool,
    ) -> bool:
        master_link = self._link(s, cal_id, item["recurringEventId"])
        loaded_master = self._load(s, master_link.event_id) if master_link else None
        if loaded_master is None:
            return final  # defer until the whole listing is in; then give up quietly
        mrow, master = loaded_master
        assert master_link is not None
        assert mrow.id is not None
        cancelled = item.get("status") == "cancelled"
        rid = _parse_when(item["originalStartTime"])
        key = queries.recurrence_key(rid)
        if link is None and master.practitioner_id is None:
            existing = s.execute(
                select(EventRow).where(
                    col(EventRow.series_id) == mrow.id, col(EventRow.recurrence_key) == key
                )
            ).scalar_one_or_none()
            if existing is None:
                # An occurrence of a practice-wide series changed or deleted in one
                # practitioner's Google: the practice's own occurrence is written back there,
                # and nothing changes here (a sync writes only its practitioner's events).
                self._restore_instance(cal_id, item, master_link, master, rid, default_tz)
                return True
        if link is not None:
            loaded = self._load(s, link.event_id)
            if loaded is None:
                if cancelled:
                    s.delete(link)
                return True
            row, ev = loaded
            if (
                cancelled
                and item.get("etag") != link.etag
                and ev.practitioner_id is not None  # practice-wide: pushed back below
                and not (ev.is_session and (ev.notes_completed or ev.is_cancelled))
            ):
                self._cancel_occurrence(s, mrow.id, key, row)
                s.delete(link)
                self.report.deleted += 1
                return True
            self._apply_linked(s, cal_id, item, link, row, ev, default_tz)
            return True
        override = s.execute(
            select(EventRow).where(
                col(EventRow.series_id) == mrow.id,
                col(EventRow.recurrence_key) == key,
            )
        ).scalar_one_or_none()
        if cancelled:
            if override is not None:
                oev = queries.row_to_event(override)
                if oev.is_session and (oev.notes_completed or oev.is_cancelled):
                    return True  # kept; the push restores the instance
            exists = s.execute(
                select(ExdateRow).where(
                    col(ExdateRow.series_id) == mrow.id, col(ExdateRow.recurrence_key) == key
                )
            ).first()
            if exists is None or override is not None:
                self._cancel_occurrence(s, mrow.id, key, override)
                self.report.deleted += 1
            return True
        if override is not None:
            self._new_link(s, cal_id, item["id"], override.id, master_link.origin, item, default_tz)
            return True
        base = replace(
            master,
            id=None,
            uid=None,
            rrule=None,
            series_id=master.id,
            recurrence_id=rid,
            exdates=frozenset(),
            sequence=0,
            version=1,
        )
        try:
            ev = event_from_item(
                item,
                calendar_id=cal_id,
                practitioner_id=self.practitioner_id,
                default_tz=default_tz,
                base=base,
            )
        except ValidationError as exc:
            if not master.is_session:
                raise
            # An occurrence of a session series changed in Google into something a session
            # cannot be: keep the series' own version of it (as an override, so it is linked)
            # and push that back over Google's.
            self._keep_occurrence(s, cal_id, item, master_link, master, rid, exc)
            return True
        ev = replace(
            ev,
            series_id=master.id,
            recurrence_id=rid,
            rrule=None,
            source_calendar=master.source_calendar,
        )
        row = self._insert(s, ev, uid=f"{master.uid}#{key}")
        new = self._new_link(s, cal_id, item["id"], row.id, master_link.origin, item, default_tz)
        if master.is_session:
            new.local_hash = content_hash(item, default_tz)
        else:
            new.local_hash = self._local_hash(s, row, default_tz)
        self.report.pulled += 1
        return True

    def _cancel_occurrence(
        self, s: Session, master_id: int, key: str, override: EventRow | None
    ) -> None:
        self._writer(s).delete_occurrence(master_id, key, override)

    def _writer(self, s: Session) -> Writer:
        return Writer.for_sync(s, self.clock, self.practitioner_id)

    def _new_link(
        self,
        s: Session,
        cal_id: str,
        gid: str,
        event_id: int | None,
        origin: str,
        item: Mapping[str, Any],
        default_tz: str,
    ) -> GoogleLinkRow:
        link = GoogleLinkRow(
            account_id=self.account_id,
            event_id=event_id,
            calendar_id=cal_id,
            google_event_id=gid,
            etag=item.get("etag"),
            local_hash=content_hash(item, default_tz),
            origin=origin,
            synced_at=self.clock.now(),
        )
        s.add(link)
        s.flush()
        return link

    def _insert(self, s: Session, ev: Event, *, uid: str) -> EventRow:
        return self._writer(s).insert(ev, uid=uid)

    def _save(self, s: Session, row: EventRow, ev: Event) -> None:
        self._writer(s).update(row, ev, add_exdates=True)

    def _delete_local(self, s: Session, row: EventRow) -> None:
        writer = self._writer(s)
        writer.delete(row)
        if writer.detached:
            # Protected sessions a whole-series delete kept as one-off events: unlinked from
            # the gone Google instances, the push makes them anew in Google.
            s.execute(delete(GoogleLinkRow).where(col(GoogleLinkRow.event_id).in_(writer.detached)))

    # --- titles and hashes ---------------------------------------------------------------

    def _titles(self, s: Session, events: Iterable[Event]) -> dict[int, str]:
        return client_labels(s, events, self.identifier)

    def _title(self, ev: Event, labels: Mapping[int, str]) -> str:
        return pushed_title(ev, labels)

    def _origin_of(self, source_calendar: str | None) -> str:
        """``google`` for an event tied to one of the account's calendars (pulled from it, or
        forked locally from such an event), else ``local`` (ours)."""
        return "google" if source_calendar in self.calendars else "local"

    def _body(self, ev: Event, labels: Mapping[int, str], origin: str) -> dict[str, Any]:
        return body_for(ev, self._title(ev, labels), mine=origin == "local")

    def _local_hash(self, s: Session, row: EventRow, default_tz: str) -> str:
        loaded = self._load(s, row.id)
        assert loaded is not None
        ev = loaded[1]
        origin = (
            s.execute(
                select(col(GoogleLinkRow.origin)).where(
                    col(GoogleLinkRow.account_id) == self.account_id,
                    col(GoogleLinkRow.event_id) == row.id,
                )
            )
            .scalars()
            .first()
            or "local"
        )
        return content_hash(self._body(ev, self._titles(s, [ev]), origin), default_tz)

    # --- push ----------------------------------------------------------------------------

    def plan(self) -> _Plan:
        """What the push would send now (also the pending-changes count)."""
        plan = _Plan()
        with self.db.session() as s:
            # The practitioner's events and the practice-wide ones (no practitioner: a staff
            # meeting), which are in their agenda and feed, so in their Google calendar too.
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
            ids = [r.id for r in rows]
            exd: dict[int, list[str]] = {}
            for sid, key in s.execute(
                select(col(ExdateRow.series_id), col(ExdateRow.recurrence_key))
            ):
                exd.setdefault(sid, []).append(key)
            links = (
                s.execute(
                    select(GoogleLinkRow).where(col(GoogleLinkRow.account_id) == self.account_id)
                )
                .scalars()
                .all()
            )
            by_event = {link.event_id: link for link in links}
            events = {r.id: queries.row_to_event(r, exd.get(r.id or -1, ())) for r in rows}
            labels = self._titles(s, events.values())
            present = set(ids)
            uid_of = {r.id: r.uid for r in rows}
        for old in links:
            gone = old.event_id is None or old.event_id not in present
            if gone and old.calendar_id in self.selected:
                plan.first.append(
                    _Op(
                        "delete",
                        old.calendar_id,
                        old.google_event_id,
                        None,
                        old.id,
                        None,
                        old.etag,
                        None,
                        old.origin,
                    )
                )
        for eid, ev in events.items():
            assert eid is not None
            if is_subscribed(ev.source_calendar):
                continue  # a read-only ICS subscription: someone else's, never pushed
            link = by_event.get(eid)
            # Events of a Google calendar go back to it; everything else (typed here, imported
            # from an .ics file, practice-wide) goes to the default calendar.
            google = ev.source_calendar in self.calendars
            cal = ev.source_calendar if google and ev.source_calendar else self.default_calendar
            if link is not None:
                cal = link.calendar_id
            if cal not in self.selected or (self.mode is SyncMode.ONE_WAY and google):
                continue  # a removed secondary: kept, never pushed elsewhere
            origin = link.origin if link is not None else self._origin_of(ev.source_calendar)
            body = self._body(ev, labels, origin)
            h = content_hash(body, ev.tzid)
            if link is not None and link.local_hash == h:
                continue
            if ev.series_id is not None:
                master_link = by_event.get(ev.series_id)
                assert ev.recurrence_id is not None
                if master_link is not None:
                    base, mcal = master_link.google_event_id, master_link.calendar_id
                else:
                    master = events.get(ev.series_id)
                    if master is None or master.source_calendar in self.calendars:
                        continue  # a Google master not linked yet: next run
                    base, mcal = google_id(uid_of[ev.series_id]), cal
                gid = (
                    link.google_event_id if link else f"{base}_{instance_suffix(ev.recurrence_id)}"
                )
                plan.second.append(
                    _Op(
                        "patch",
                        mcal,
                        gid,
                        body,
                        link.id if link else None,
                        eid,
                        link.etag if link else None,
                        h,
                        origin,
                    )
                )
            elif link is not None:
                plan.first.append(
                    _Op(
                        "patch", cal, link.google_event_id, body, link.id, eid, link.etag, h, origin
                    )
                )
            else:
                gid = google_id(uid_of[eid])
                body = dict(body, id=gid)
                if origin == "google" and ev.uid:
                    # A fork of a Google event is Google's: it carries our uid (so a rerun
                    # adopts it) but not our mark, so `disconnect --remove-events` keeps it.
                    body["extendedProperties"] = {"private": {PROP_UID: ev.uid}}
                plan.first.append(_Op("insert", cal, gid, body, None, eid, None, h, origin))
        if self.read_only:
            # Never pushed to: Google would answer 403 on every run. The pull restores them.
            plan.restore = [op for op in plan.ops if op.calendar_id in self.read_only]
            plan.first = [op for op in plan.first if op.calendar_id not in self.read_only]
            plan.second = [op for op in plan.second if op.calendar_id not in self.read_only]
        return plan

    def _push(self) -> None:
        plan = self.plan()
        if plan.restore:
            # Only when a calendar turned read-only since this run's pull began; next run.
            log.info("%d local changes wait for read-only calendars", len(plan.restore))
        for group in (plan.first, plan.second, self._restores):
            self._run_ops(group)
        self._restores = []

    def _request_for(self, op: _Op) -> Any:
        events = self._events()
        if op.kind == "insert":
            req = events.insert(calendarId=op.calendar_id, body=op.body)
        elif op.kind == "patch":
            req = events.patch(calendarId=op.calendar_id, eventId=op.google_event_id, body=op.body)
        else:
            req = events.delete(calendarId=op.calendar_id, eventId=op.google_event_id)
        if op.etag and op.kind == "patch":
            req.headers["If-Match"] = op.etag
        return req

    def _run_ops(self, ops: list[_Op]) -> None:
        from googleapiclient.http import BatchHttpRequest  # type: ignore[import-untyped]

        queue = list(ops)
        round_no = 0
        while queue:
            if self._cancelled():
                return
            chunk, queue = queue[: self.batch_size], queue[self.batch_size :]
            results: dict[str, tuple[Any, Any]] = {}
            batch = BatchHttpRequest(
                callback=functools.partial(_collect, results), batch_uri=batch_uri(self.api_root)
            )
            for i, op in enumerate(chunk):
                batch.add(self._request_for(op), request_id=str(i))
            self._execute_batch(batch)
            retry: list[_Op] = []
            followups: list[tuple[_Op, Any]] = []
            with self.db.session() as s:
                by_cal: dict[str, list[str]] = {}
                for op in chunk:
                    if op.link_id is None:
                        by_cal.setdefault(op.calendar_id, []).append(op.google_event_id)
                self._prefetched, self._prefetched_ids = {}, set()
                for cal, gids in by_cal.items():
                    cached, known = self._prefetched, self._prefetched_ids
                    self._prefetch(s, cal, gids)
                    self._prefetched.update(cached)
                    self._prefetched_ids |= known
                for i, op in enumerate(chunk):
                    resp, exc = results.get(str(i), (None, None))
                    if exc is None:
                        self._done(s, op, resp)
                        continue
                    status = exc.resp.status
                    if status in RETRYABLE or (status == 403 and _is_rate_limit(exc)):
                        op.attempts += 1
                        retry.append(op)
                    elif op.kind == "delete" and status in (404, 410):
                        self._done(s, op, None)
                    else:
                        followups.append((op, exc))
                self._forget_prefetch()
            for op, exc in followups:
                self._follow_up(op, exc)
            self._progress(
                SyncProgress(
                    "push", self.default_calendar, self.report.pushed + self.report.deleted
                )
            )
            if retry:
                if max(op.attempts for op in retry) > self.num_retries:
                    raise SyncTransientError(
                        "Google keeps rate limiting or failing writes; will retry later", quota=True
                    )
                round_no += 1
                self.sleep(min(32.0, self.rand() * 2 ** min(round_no, 5)))
                queue = retry + queue

    def _execute_batch(self, batch: Any) -> None:
        from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

        for attempt in range(self.num_retries + 1):
            self.report.requests += 1
            try:
                batch.execute()
                return
            except HttpError as exc:
                if exc.resp.status not in RETRYABLE and not (
                    exc.resp.status == 403 and _is_rate_limit(exc)
                ):
                    raise SyncError(
                        f"Google refused a batch request: HTTP {exc.resp.status}"
                    ) from None
            except _transport_errors():
                pass
            if attempt < self.num_retries:
                self.sleep(self.rand() * 2**attempt)
        raise SyncTransientError("cannot reach Google or it keeps failing; will retry later")

    def _done(self, s: Session, op: _Op, resp: Mapping[str, Any] | None) -> None:
        """Record a successful write (idempotent: a rerun finds the same state)."""
        link = s.get(GoogleLinkRow, op.link_id) if op.link_id is not None else None
        if op.kind == "delete":
            if link is not None:
                s.delete(link)
            self.report.deleted += 1
            return
        assert resp is not None
        if op.origin == "restore":
            self.report.pushed += 1  # an instance written back: nothing here to link
            return
        if link is None:
            link = self._link(s, op.calendar_id, op.google_event_id)
        if link is None:
            link = GoogleLinkRow(
                account_id=self.account_id,
                calendar_id=op.calendar_id,
                google_event_id=op.google_event_id,
                origin=op.origin,
            )
            s.add(link)
        link.event_id = op.event_id
        link.etag = resp.get("etag")
        link.local_hash = op.local_hash
        link.synced_at = self.clock.now()
        s.flush()
        self.report.pushed += 1

    def _follow_up(self, op: _Op, exc: Any) -> None:
        """Resolve a write Google refused: 409 duplicate, 412 stale etag, 404 gone."""
        from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

        status = exc.resp.status
        events = self._events()
        try:
            if op.kind == "insert" and status == 409:
                # Made by an earlier run that died before recording it: adopt it.
                current = self._execute(
                    events.get(calendarId=op.calendar_id, eventId=op.google_event_id)
                )
                body = {k: v for k, v in (op.body or {}).items() if k != "id"}
                resp = self._execute(
                    events.update(
                        calendarId=op.calendar_id,
                        eventId=op.google_event_id,
                        body=dict(current, **body),
                    )
                )
            elif op.kind == "patch" and status == 412:
                resp = self._resolve_stale(op)
                if resp is None:
                    return
            elif status == 403 and op.calendar_id not in self.read_only:
                # Not a rate limit: the account may not write here (shared read-only). Learn
                # it; the next run restores Google's version instead of retrying for ever.
                self._set_access({op.calendar_id: "reader"})
                self.report.messages.append(
                    f"calendar {op.calendar_id} is read-only for this account: local changes "
                    "to its events are undone by the next sync"
                )
                return
            elif op.kind == "patch" and status == 404 and op.link_id is not None:
                with self.db.session() as s:
                    link = s.get(GoogleLinkRow, op.link_id)
                    if link is not None:
                        s.delete(link)  # gone from Google for good: inserted again next run
                return
            else:
                self.report.errors += 1
                log.warning("Google refused %s of %s: HTTP %s", op.kind, op.google_event_id, status)
                return
        except HttpError as again:
            self.report.errors += 1
            log.warning(
                "Google refused %s of %s: HTTP %s", op.kind, op.google_event_id, again.resp.status
            )
            return
        with self.db.session() as s:
            self._done(s, op, resp)

    def _resolve_stale(self, op: _Op) -> Any:
        """412: Google changed since we looked. Sessions keep local; others the latest."""
        events = self._events()
        current = self._execute(events.get(calendarId=op.calendar_id, eventId=op.google_event_id))
        self.report.conflicts += 1
        with self.db.session() as s:
            loaded = self._load(s, op.event_id)
            if loaded is None:
                return None
            row, ev = loaded
            keep_local = _keep_local(ev, row.updated_at, current.get("updated"))
            log.info(
                "conflict on event %s (Google %s, stale etag): keeping the %s version",
                ev.id,
                op.google_event_id,
                "local" if keep_local else "Google",
            )
            if not keep_local:
                link = s.get(GoogleLinkRow, op.link_id) if op.link_id else None
                if link is not None:
                    self._apply_linked(s, op.calendar_id, current, link, row, ev, ev.tzid)
                return None
        req = events.patch(calendarId=op.calendar_id, eventId=op.google_event_id, body=op.body)
        req.headers["If-Match"] = current.get("etag")
        return self._execute(req)

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
            s.execute(
                delete(GoogleLinkRow).where(
                    col(GoogleLinkRow.account_id) == self.account_id,
                    col(GoogleLinkRow.origin) == "local",
                )
            )
        return self.report.deleted


def _collect(results: dict[str, tuple[Any, Any]], request_id: str, resp: Any, exc: Any) -> None:
    results[request_id] = (resp, exc)


def _newer_local(local_updated: datetime, remote_updated: str | None) -> bool:
    return newer_local(local_updated, remote_updated)


_keep_local = keep_local
"""The shared conflict rule (:func:`sessions_tui.sync.engine.keep_local`)."""


def _is_rate_limit(exc: Any) -> bool:
    try:
        data = json.loads(exc.content.decode("utf-8"))
        reasons = {e.get("reason") for e in data["error"].get("errors", [])}
    except (ValueError, KeyError, AttributeError, UnicodeDecodeError):
        return False
    return bool(reasons & {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})


def _transport_errors() -> tuple[type[BaseException], ...]:
    import httplib2  # type: ignore[import-untyped]

    return (OSError, http.client.HTTPException, httplib2.HttpLib2Error)


def pending_changes(engine: SyncEngine) -> PendingChanges:
    """Local changes waiting for the next push (no network)."""
    engine._load_account()
    plan = engine.plan()
    return PendingChanges(
        sum(1 for op in plan.ops if op.kind != "delete"),
        sum(1 for op in plan.ops if op.kind == "delete"),
    )


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


def list_calendars(
    db: Database, practitioner_id: int, *, environ: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """``(calendar id, name)`` of every calendar in the practitioner's Google account (network).

    For choosing secondary calendars (the Google sync screen, ``google calendars``).

    Raises:
        SyncAuthError: not signed in; SyncTransientError: Google unreachable or busy.
    """
    from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

    endpoint = endpoint_from_env(environ)
    credentials = None
    if endpoint is None:
        from sessions_tui.sync.oauth import load_credentials_for

        credentials = load_credentials_for(db, practitioner_id)
    found: list[tuple[str, str]] = []
    try:
        service = build_service(endpoint, credentials, timeout=30)
        page = None
        while True:
            # One retry: someone is waiting on this list; the error is shown in words.
            resp = service.calendarList().list(pageToken=page).execute(num_retries=1)
            found.extend((c["id"], c.get("summary", "")) for c in resp.get("items", []))
            page = resp.get("nextPageToken")
            if not page:
                return found
    except HttpError as exc:
        if exc.resp.status == 401:
            raise SyncAuthError(
                "Google refused the saved sign-in: run `sessions-tui google connect` again"
            ) from None
        raise SyncTransientError(
            f"Google answered HTTP {exc.resp.status} to the calendar list; try again later"
        ) from None
    except _transport_errors() as exc:
        raise SyncTransientError(
            f"cannot reach Google ({exc.__class__.__name__}); try again later"
        ) from None
