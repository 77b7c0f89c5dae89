"""Two-way CalDAV sync (Nextcloud, Fastmail, iCloud, Radicale): :class:`CalDavEngine`.

The provider-neutral rules are :mod:`sessions_tui.sync.engine`'s; this module is the CalDAV
protocol's side of them. One run, for one practitioner:

1. **Pull** (two-way only), per selected calendar, default first: ``sync-collection`` from the
   stored token (RFC 6578), or a full listing when there is none, the server forgot it, or it
   offers none (then ``PROPFIND`` of ETags). Only resources whose ETag differs from the linked
   one are fetched, by ``calendar-multiget``, a chunk at a time, one transaction per chunk; the
   token is saved only after the whole listing is applied, so a killed run lists again and
   skips what it already has. A resource this program made (its UID is the local uid) is
   recognised and linked, never duplicated.
2. **Push**: every local family (a one-off, or a series with its overrides: one resource)
   whose content differs from what both sides last agreed on (``caldav_link.local_hash``) is
   ``PUT`` (``If-None-Match: *`` to create, at an href derived from the uid, so a retried
   create answers 412 and is adopted; ``If-Match`` to update, a 412 being a conflict resolved
   by the rule); every link whose family is gone is ``DELETE``\\ d.

Protected sessions (completed notes, cancelled) deleted on the server are written back; a
session's title edited on the server is written back (locked); recurring series carry their
overrides as RECURRENCE-ID components and their deleted occurrences as EXDATE, in the series'
own zone (DST-correct).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.clock import Clock
from sessions_tui.domain.errors import ConflictError, PermissionDenied, ValidationError
from sessions_tui.domain.events import Event, EventKind, validate_event
from sessions_tui.services.caldav_settings import account_row, calendar_rows
from sessions_tui.services.feeds import IdentifierMode
from sessions_tui.services.google_settings import SyncMode
from sessions_tui.services.writer import Writer
from sessions_tui.store import queries
from sessions_tui.store.db import Database
from sessions_tui.store.tables import (
    CalDavAccountRow,
    CalDavCalendarRow,
    CalDavLinkRow,
    EventRow,
    ExdateRow,
    StaffRow,
)
from sessions_tui.sync.caldav_dav import DavClient, Listing, NotSupported, TokenInvalid
from sessions_tui.sync.caldav_ical import (
    Family,
    RemoteFamily,
    family_hash,
    parse_resource,
    remote_title,
    render,
    resource_name,
)
from sessions_tui.sync.engine import (
    PendingChanges,
    SyncProgress,
    SyncReport,
    client_labels,
    is_protected,
    keep_local,
    pushed_title,
    target_calendar,
)
from sessions_tui.sync.errors import SyncError

log = logging.getLogger(__name__)

_BAD_ITEM = (ValidationError, ConflictError, PermissionDenied, ValueError, KeyError, TypeError)


@dataclass
class _Op:
    kind: str  # put | delete
    calendar_url: str
    href: str
    uid: str
    text: str
    etag: str | None
    create: bool
    event_id: int | None
    link_id: int | None
    local_hash: str | None
    origin: str


class CalDavEngine:
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
        self.calendars: dict[str, CalDavCalendarRow] = {}
        self.default_calendar = ""
        self.selected: set[str] = set()
        self.read_only: set[str] = set()
        self.fallback_tz = "UTC"
        self._dav: DavClient | None = None

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

    def _client(self) -> DavClient:
        if self._dav is None:
            given = self._client_or_factory
            if given is None:
                raise SyncError("no CalDAV client")
            if isinstance(given, DavClient):
                self._dav = given
            else:
                with self.db.session() as s:
                    acc = s.get(CalDavAccountRow, self.account_id)
                    assert acc is not None
                    url, username = acc.url, acc.username
                self._dav = given(url, username)
        return self._dav

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
            self.calendars = {c.url: c for c in calendar_rows(s, acc.id)}
            self.fallback_tz = _practitioner_zone(s, self.practitioner_id)
        default = [c.url for c in self.calendars.values() if c.role == "default"]
        if not default:
            raise SyncError("no default CalDAV calendar: run `sessions-tui caldav connect`")
        self.default_calendar = default[0]
        self.selected = {c.url for c in self.calendars.values() if c.selected}
        self.read_only = {c.url for c in self.calendars.values() if c.read_only}

    def _record(self, error: str | None) -> None:
        with self.db.session() as s:
            acc = s.get(CalDavAccountRow, self.account_id)
            if acc is not None:
                acc.last_sync_at = self.clock.now()
                acc.last_result = self.report.summary()
                acc.last_error = error

    # --- pull ----------------------------------------------------------------------------

    def _listing(self, cal_url: str, token: str | None) -> Listing:
        dav = self._client()
        try:
            return dav.sync_collection(cal_url, token)
        except TokenInvalid:
            log.info("CalDAV sync token of a calendar expired; full resync")
            self.report.full_resyncs += 1
            try:
                return dav.sync_collection(cal_url, None)
            except NotSupported:
                return dav.list_etags(cal_url)
        except NotSupported:
            return dav.list_etags(cal_url)

    def _pull(self, cal_url: str) -> None:
        with self.db.session() as s:
            token = s.execute(
                select(col(CalDavCalendarRow.sync_token)).where(
                    col(CalDavCalendarRow.account_id) == self.account_id,
                    col(CalDavCalendarRow.url) == cal_url,
                )
            ).scalar_one_or_none()
            # By href key: a server may spell one href differently from how we wrote it
            # (%40 or @); a mismatch must never read as "deleted on the server".
            known = {
                href_key(h): (h, etag)
                for h, etag in s.execute(
                    select(col(CalDavLinkRow.href), col(CalDavLinkRow.etag)).where(
                        col(CalDavLinkRow.account_id) == self.account_id,
                        col(CalDavLinkRow.calendar_url) == cal_url,
                    )
                ).all()
            }
        listing = self._listing(cal_url, token)
        listed = {href_key(h) for h in listing.etags}
        gone = {href_key(h) for h in listing.deleted}
        if listing.complete:
            gone |= set(known) - listed
        deleted = {known[k][0] for k in gone if k in known}
        wanted = [
            h
            for h, etag in listing.etags.items()
            if etag is None or known.get(href_key(h), ("", "\0"))[1] != etag
        ]
        done = 0
        for i in range(0, len(wanted), self.multiget_size):
            if self._cancelled():
                return
            chunk = wanted[i : i + self.multiget_size]
            got = {href_key(h): r for h, r in self._client().multiget(cal_url, chunk).items()}
            with self.db.session() as s:
                for href in chunk:
                    resp = got.get(href_key(href))
                    if resp is None:
                        continue  # gone between the listing and the fetch: next run
                    self._apply(s, cal_url, href, resp.etag, resp.text)
            done += len(chunk)
            self._progress(SyncProgress("pull", cal_url, done))
        if deleted:
            with self.db.session() as s:
                for href in sorted(deleted):
                    self._apply_delete(s, cal_url, href)
        if self._cancelled():
            return
        with self.db.session() as s:
            row = s.execute(
                select(CalDavCalendarRow).where(
                    col(CalDavCalendarRow.account_id) == self.account_id,
                    col(CalDavCalendarRow.url) == cal_url,
                )
            ).scalar_one()
            row.sync_token = listing.token

    def _link(
        self, s: Session, cal_url: str, href: str, *, loose: bool = False
    ) -> CalDavLinkRow | None:
        """The link of ``href``; ``loose`` also finds it spelled another way (a pulled href)."""
        found = s.execute(
            select(CalDavLinkRow).where(
                col(CalDavLinkRow.calendar_url) == cal_url, col(CalDavLinkRow.href) == href
            )
        ).scalar_one_or_none()
        if found is not None or not loose:
            return found
        # The same resource spelled another way (percent-encoding): found by its key, and
        # stored as the server spells it from now on.
        key = href_key(href)
        for link in s.execute(
            select(CalDavLinkRow).where(
                col(CalDavLinkRow.account_id) == self.account_id,
                col(CalDavLinkRow.calendar_url) == cal_url,
            )
        ).scalars():
            if href_key(link.href) == key:
                link.href = href
                return link
        return None

    def _apply(self, s: Session, cal_url: str, href: str, etag: str | None, text: str) -> None:
        try:
            with s.begin_nested():
                remote = parse_resource(
                    text,
                    practitioner_id=self.practitioner_id,
                    calendar_url=cal_url,
                    fallback_tz=self.fallback_tz,
                )
                self._apply_remote(s, cal_url, href, etag, remote)
        except _BAD_ITEM as exc:
            # Log and skip a bad resource: its href only, never its title (client names).
            self.report.errors += 1
            log.warning("skipped CalDAV resource %s: %s", href, exc)

    def _apply_remote(
        self, s: Session, cal_url: str, href: str, etag: str | None, remote: RemoteFamily
    ) -> None:
        link = self._link(s, cal_url, href, loose=True)
        if link is None:
            row = s.execute(
                select(EventRow).where(col(EventRow.uid) == remote.uid)
            ).scalar_one_or_none()
            taken = (
                row is not None
                and s.execute(
                    select(col(CalDavLinkRow.id)).where(
                        col(CalDavLinkRow.account_id) == self.account_id,
                        col(CalDavLinkRow.event_id) == row.id,
                    )
                ).first()
                is not None
            )
            if row is not None and row.series_id is None and not taken:
                # Made here by a run that died before linking it: adopt, never duplicate.
                link = self._new_link(
                    s, cal_url, href, remote.uid, row.id, self._origin_of(row.source_calendar)
                )
                link.etag, link.local_hash = None, None
            else:
                if remote.master is None:
                    raise ValidationError("the resource holds overrides but no event")
                self._insert_family(s, cal_url, href, etag, remote)
                return
        if etag is not None and etag == link.etag:
            return  # our own write coming back
        family = self._family(s, link.event_id)
        if family is None:
            return  # deleted here: the push deletes it there
        self._apply_linked(s, link, etag, family, remote)

    def _insert_family(
        self, s: Session, cal_url: str, href: str, etag: str | None, remote: RemoteFamily
    ) -> None:
        assert remote.master is not None
        tag = hashlib.sha1(cal_url.encode()).hexdigest()[:10]
        uid = f"caldav-{tag}-{remote.uid}"
        writer = self._writer(s)
        mrow = writer.insert(remote.master, uid=uid)
        for o in remote.overrides:
            assert o.recurrence_id is not None
            writer.insert(
                replace(o, series_id=mrow.id, source_calendar=cal_url),
                uid=f"{uid}#{queries.recurrence_key(o.recurrence_id)}",
            )
        link = self._new_link(s, cal_url, href, remote.uid, mrow.id, "remote")
        link.etag = etag
        family = self._family(s, mrow.id)
        assert family is not None
        link.local_hash = self._hash(s, family[1])
        self.report.pulled += 1

    def _apply_linked(
        self,
        s: Session,
        link: CalDavLinkRow,
        etag: str | None,
        family: tuple[EventRow, Family],
        remote: RemoteFamily,
    ) -> None:
        mrow, local = family
        master = local.master
        local_hash = self._hash(s, local)
        if remote.master is None:
            raise ValidationError("the resource holds overrides but no event")
        remote_hash = family_hash(remote.master, remote.overrides, remote_title)
        if remote_hash == local_hash:
            link.etag, link.local_hash = etag, local_hash
            return
        if master.practitioner_id is None:
            self._push_back(link, etag, master.id, "it is practice-wide and changes here only")
            return
        if link.local_hash is not None and local_hash != link.local_hash:
            self.report.conflicts += 1
            keep = keep_local(master, mrow.updated_at, remote.last_modified)
            log.info(
                "conflict on event %s (CalDAV %s): keeping the %s version",
                master.id,
                link.href,
                "local" if keep else "server's",
            )
            if keep:
                link.etag = etag  # the push overwrites the server's copy (If-Match this etag)
                return
        try:
            self._take_remote(s, mrow, local, remote)
        except ValidationError as exc:
            self._push_back(link, etag, master.id, f"the server's change cannot be stored ({exc})")
            return
        after = self._family(s, mrow.id)
        assert after is not None
        new_hash = self._hash(s, after[1])
        link.etag = etag
        # A session's title edited there differs from ours: no agreement, so it is pushed back.
        link.local_hash = new_hash if new_hash == remote_hash else None
        self.report.pulled += 1

    def _push_back(
        self, link: CalDavLinkRow, etag: str | None, event_id: int | None, why: str
    ) -> None:
        self.report.conflicts += 1
        self.report.messages.append(f"kept event {event_id}: {why}; the local version was pushed")
        link.etag, link.local_hash = etag, None

    def _merge(self, base: Event, theirs: Event) -> Event:
        """``base`` (local) with the fields the server carries taken from ``theirs``; a client
        session keeps its kind, client and (locked) title."""
        changes: dict[str, Any] = {
            "start": theirs.start,
            "end": theirs.end,
            "all_day": theirs.all_day,
            "tzid": theirs.tzid,
            "busy": theirs.busy,
        }
        if base.kind is EventKind.OTHER:
            changes["title"] = theirs.title
            changes["status"] = theirs.status
        return validate_event(replace(base, **changes))

    def _take_remote(self, s: Session, mrow: EventRow, local: Family, remote: RemoteFamily) -> None:
        assert remote.master is not None
        writer = self._writer(s)
        master = local.master
        assert mrow.id is not None
        overrides = {
            queries.recurrence_key(o.recurrence_id): o
            for o in local.overrides
            if o.recurrence_id is not None
        }
        new = self._merge(master, remote.master)
        if master.series_id is None:
            new = replace(new, rrule=remote.master.rrule)
        keep_keys = {k for k, o in overrides.items() if is_protected(o)}
        theirs_ex = {queries.recurrence_key(x): x for x in remote.master.exdates}
        if new.rrule and not is_protected(master):
            added = {x for k, x in theirs_ex.items() if k not in keep_keys}
            new = replace(new, exdates=frozenset(master.exdates | added))
        elif not new.rrule:
            new = replace(new, exdates=frozenset())
        writer.update(mrow, new, add_exdates=True)
        if not new.rrule:
            return
        # Occurrences the server deleted that are overridden here: deleted (unless protected).
        for key, o in overrides.items():
            if key in theirs_ex and key not in keep_keys and o.id is not None:
                orow = s.get(EventRow, o.id)
                writer.delete_occurrence(mrow.id, key, orow)
        for ro in remote.overrides:
            assert ro.recurrence_id is not None
            key = queries.recurrence_key(ro.recurrence_id)
            mine = overrides.get(key)
            if key in theirs_ex:
                continue
            if mine is not None and mine.id is not None:
                orow = s.get(EventRow, mine.id)
                if orow is not None:
                    writer.update(orow, self._merge(mine, ro))
                continue
            base = replace(
                master,
                id=None,
                uid=None,
                rrule=None,
                series_id=mrow.id,
                recurrence_id=ro.recurrence_id,
                exdates=frozenset(),
                sequence=0,
                version=1,
            )
            writer.insert(self._merge(base, ro), uid=f"{mrow.uid}#{key}")

    def _apply_delete(self, s: Session, cal_url: str, href: str) -> None:
        link = self._link(s, cal_url, href)
        if link is None:
            return
        family = self._family(s, link.event_id)
        if family is None:
            s.delete(link)  # deleted on both sides
            return
        mrow, local = family
        if local.master.practitioner_id is None:
            s.delete(link)  # practice-wide: the push makes it again
            self.report.conflicts += 1
            return
        try:
            with s.begin_nested():
                writer = self._writer(s)
                writer.delete(mrow)
                if writer.detached:
                    self.report.messages.append(
                        f"kept {len(writer.detached)} protected occurrence(s) of event "
                        f"{local.master.id}: deleted on the server, pushed back"
                    )
        except _BAD_ITEM as exc:
            self.report.errors += 1
            log.warning("could not delete event %s: %s", local.master.id, exc)
            return
        s.delete(link)
        if s.get(EventRow, mrow.id) is not None:
            # A protected session: never deleted by a sync; the push writes it back.
            self.report.messages.append(
                f"kept event {local.master.id}: deleted on the server, pushed back"
            )
        else:
            self.report.deleted += 1

    # --- shared --------------------------------------------------------------------------

    def _writer(self, s: Session) -> Writer:
        return Writer.for_sync(s, self.clock, self.practitioner_id)

    def _origin_of(self, source_calendar: str | None) -> str:
        return "remote" if source_calendar in self.calendars else "local"

    def _new_link(
        self,
        s: Session,
        cal_url: str,
        href: str,
        uid: str,
        event_id: int | None,
        origin: str,
    ) -> CalDavLinkRow:
        link = CalDavLinkRow(
            account_id=self.account_id,
            event_id=event_id,
            calendar_url=cal_url,
            href=href,
            uid=uid,
            origin=origin,
            synced_at=self.clock.now(),
        )
        s.add(link)
        s.flush()
        return link

    def _family(self, s: Session, event_id: int | None) -> tuple[EventRow, Family] | None:
        if event_id is None:
            return None
        row = s.get(EventRow, event_id)
        if row is None:
            return None
        keys = s.execute(
            select(col(ExdateRow.recurrence_key)).where(col(ExdateRow.series_id) == row.id)
        ).scalars()
        master = queries.row_to_event(row, list(keys))
        overrides: tuple[Event, ...] = ()
        if row.rrule is not None:
            overrides = tuple(
                queries.row_to_event(r)
                for r in s.execute(
                    select(EventRow).where(col(EventRow.series_id) == row.id)
                ).scalars()
            )
        return row, Family(master, overrides)

    def _hash(self, s: Session, family: Family) -> str:
        labels = client_labels(s, [family.master, *family.overrides], self.identifier)
        return family_hash(family.master, family.overrides, _titler(labels))

    # --- push ----------------------------------------------------------------------------

    def plan(self) -> list[_Op]:
        """What the push would send now (also the pending-changes count)."""
        ops: list[_Op] = []
        cal_urls = set(self.calendars)
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
            links = (
                s.execute(
                    select(CalDavLinkRow).where(col(CalDavLinkRow.account_id) == self.account_id)
                )
                .scalars()
                .all()
            )
            events = [queries.row_to_event(r, exd.get(r.id or -1, ())) for r in rows]
            labels = client_labels(s, events, self.identifier)
        by_event = {link.event_id: link for link in links}
        masters = {e.id: e for e in events if e.series_id is None}
        children: dict[int, list[Event]] = {}
        for e in events:
            if e.series_id is not None:
                children.setdefault(e.series_id, []).append(e)
        for old in links:
            if old.event_id not in masters and old.calendar_url in self.selected:
                if old.calendar_url in self.read_only:
                    continue
                ops.append(
                    _Op(
                        "delete",
                        old.calendar_url,
                        old.href,
                        old.uid,
                        "",
                        old.etag,
                        False,
                        None,
                        old.id,
                        None,
                        old.origin,
                    )
                )
        titler = _titler(labels)
        stamp = self.clock.now()
        for eid, ev in masters.items():
            assert eid is not None
            link = by_event.get(eid)
            cal = target_calendar(
                ev, link.calendar_url if link else None, cal_urls, self.default_calendar
            )
            tied = ev.source_calendar in cal_urls
            if cal not in self.selected or cal in self.read_only:
                continue  # a removed secondary: kept, never pushed elsewhere
            if self.mode is SyncMode.ONE_WAY and tied:
                continue
            overrides = tuple(children.get(eid, ())) if ev.rrule else ()
            h = family_hash(ev, overrides, titler)
            if link is not None and link.local_hash == h:
                continue
            origin = link.origin if link else self._origin_of(ev.source_calendar)
            uid = link.uid if link else (ev.uid or f"event-{eid}@sessions-tui")
            href = link.href if link else _path(cal) + resource_name(uid)
            text = render(Family(ev, overrides), titler, uid=uid, stamp=stamp)
            ops.append(
                _Op(
                    "put",
                    cal,
                    href,
                    uid,
                    text,
                    link.etag if link else None,
                    link is None,
                    eid,
                    link.id if link else None,
                    h,
                    origin,
                )
            )
        return ops

    def _push(self) -> None:
        ops = self.plan()
        dav = self._client()
        for i in range(0, len(ops), self.write_batch):
            if self._cancelled():
                return
            chunk = ops[i : i + self.write_batch]
            results = []
            for op in chunk:
                if op.kind == "delete":
                    results.append((op, dav.delete_resource(op.href, etag=op.etag)))
                else:
                    results.append((op, dav.put(op.href, op.text, etag=op.etag, create=op.create)))
            followups = []
            with self.db.session() as s:
                for op, resp in results:
                    if resp.status in (200, 201, 204) or (
                        op.kind == "delete" and resp.status in (404, 410)
                    ):
                        self._done(s, op, resp.etag)
                    else:
                        followups.append((op, resp.status))
            for op, status in followups:
                self._follow_up(op, status)
            self._progress(
                SyncProgress(
                    "push", self.default_calendar, self.report.pushed + self.report.deleted
                )
            )

    def _done(self, s: Session, op: _Op, etag: str | None) -> None:
        """Record a successful write (idempotent: a rerun finds the same state)."""
        link = s.get(CalDavLinkRow, op.link_id) if op.link_id is not None else None
        if op.kind == "delete":
            if link is not None:
                s.delete(link)
            self.report.deleted += 1
            return
        if link is None:
            link = self._link(s, op.calendar_url, op.href)
        if link is None:
            link = self._new_link(s, op.calendar_url, op.href, op.uid, op.event_id, op.origin)
        link.event_id = op.event_id
        link.etag = etag  # None when the server sent none: the next pull fetches and agrees
        link.local_hash = op.local_hash
        link.synced_at = self.clock.now()
        s.flush()
        self.report.pushed += 1

    def _follow_up(self, op: _Op, status: int) -> None:
        """Resolve a write the server refused: 412 (exists, or changed since), 403, 404."""
        dav = self._client()
        if status == 403:
            with self.db.session() as s:
                cal = s.execute(
                    select(CalDavCalendarRow).where(
                        col(CalDavCalendarRow.account_id) == self.account_id,
                        col(CalDavCalendarRow.url) == op.calendar_url,
                    )
                ).scalar_one_or_none()
                if cal is not None:
                    cal.read_only = True
            self.read_only.add(op.calendar_url)
            self.report.messages.append(
                f"calendar {op.calendar_url} is read-only for this account: local changes to "
                "its events are not pushed"
            )
            return
        if op.kind == "delete":
            if status == 412:
                # Changed there since we looked, deleted here: the delete here is the later act.
                self.report.conflicts += 1
                resp = dav.delete_resource(op.href, etag=None)
                if resp.status in (200, 204, 404, 410):
                    with self.db.session() as s:
                        self._done(s, op, None)
                    return
            self.report.errors += 1
            log.warning("CalDAV server refused delete of %s: HTTP %s", op.href, status)
            return
        if status == 412 and op.create:
            # Already there: made by an earlier run that died before recording it. Adopt it.
            current = dav.get(op.href)
            if current.status == 200:
                resp = dav.put(op.href, op.text, etag=current.etag, create=False)
                if resp.status in (200, 201, 204):
                    with self.db.session() as s:
                        self._done(s, op, resp.etag)
                    return
                status = resp.status
        elif status == 412:
            self._resolve_stale(op)
            return
        elif status == 404 and op.link_id is not None:
            with self.db.session() as s:
                link = s.get(CalDavLinkRow, op.link_id)
                if link is not None:
                    s.delete(link)  # gone from the server for good: made again next run
            return
        self.report.errors += 1
        log.warning("CalDAV server refused write of %s: HTTP %s", op.href, status)

    def _resolve_stale(self, op: _Op) -> None:
        """412 on an update: the server's copy changed since we looked. The conflict rule:
        sessions keep the local version, other events the later change."""
        dav = self._client()
        current = dav.get(op.href)
        self.report.conflicts += 1
        if current.status != 200:
            with self.db.session() as s:
                link = s.get(CalDavLinkRow, op.link_id) if op.link_id else None
                if link is not None:
                    s.delete(link)  # gone there: made again next run
            return
        with self.db.session() as s:
            family = self._family(s, op.event_id)
            link = s.get(CalDavLinkRow, op.link_id) if op.link_id else None
            if family is None or link is None:
                return
            mrow, local = family
            try:
                remote = parse_resource(
                    current.text,
                    practitioner_id=self.practitioner_id,
                    calendar_url=op.calendar_url,
                    fallback_tz=self.fallback_tz,
                )
            except _BAD_ITEM:
                remote = None
            keep = remote is None or keep_local(local.master, mrow.updated_at, remote.last_modified)
            log.info(
                "conflict on event %s (CalDAV %s, stale etag): keeping the %s version",
                local.master.id,
                op.href,
                "local" if keep else "server's",
            )
            if not keep and remote is not None:
                link.local_hash = self._hash(s, local)  # so the server's version is taken
                try:
                    with s.begin_nested():
                        self._apply_linked(s, link, current.etag, family, remote)
                except _BAD_ITEM as exc:
                    self.report.errors += 1
                    log.warning("skipped CalDAV resource %s: %s", op.href, exc)
                return
        resp = dav.put(op.href, op.text, etag=current.etag, create=False)
        if resp.status in (200, 201, 204):
            with self.db.session() as s:
                self._done(s, op, resp.etag)
        else:
            self.report.errors += 1
            log.warning("CalDAV server refused write of %s: HTTP %s", op.href, resp.status)


def href_key(href: str) -> str:
    """What identifies a resource whatever its spelling: the decoded path."""
    return unquote(urlsplit(href).path)


def _titler(labels: Mapping[int, str]) -> Callable[[Event], str]:
    return lambda ev: pushed_title(ev, labels)


def _path(cal_url: str) -> str:
    path = urlsplit(cal_url).path
    return path if path.endswith("/") else path + "/"


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
    from sessions_tui.sync.caldav_secret import load_password

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
