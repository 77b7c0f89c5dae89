"""The pull: list what changed in one calendar and bring each resource in.

:class:`PullMixin` asks ``sync-collection`` from the stored token (RFC 6578), or lists all ETags
when there is none, the server forgot it or offers none; only resources whose ETag differs from
the linked one are fetched (``calendar-multiget``, one transaction per chunk), and the token is
saved only after the whole listing is applied. A resource this program made is recognised by
its UID and linked, never duplicated; a resource deleted on the server deletes its family here
(protected sessions are kept and pushed back).
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event
from sessions_tui.store import queries
from sessions_tui.store.tables import EventRow, SyncLinkRow
from sessions_tui.sync.caldav.dav import Listing, NotSupported, TokenInvalid
from sessions_tui.sync.caldav.ical import RemoteFamily, parse_resource
from sessions_tui.sync.caldav.local import BAD_ITEM, href_key
from sessions_tui.sync.caldav.merge import MergeMixin
from sessions_tui.sync.core.engine import continuation
from sessions_tui.sync.engine import SyncProgress, client_labels, pushed_title

log = logging.getLogger("sessions_tui.sync.caldav")  # one logger for the engine's parts


class PullMixin(MergeMixin):
    """Lists one calendar's changes on the server and applies them locally."""

    _related: str | None = None
    """The ``RELATED-TO`` of the resource being applied."""
    _touched: frozenset[str] | set[str] = frozenset()
    """The href keys of linked resources the listing being applied changed or removed."""

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
            token = self._cursor(s, cal_url)
            # By href key: a server may spell one href differently from how we wrote it
            # (%40 or @); a mismatch must never read as "deleted on the server".
            known = {
                href_key(h): (h, etag)
                for h, etag in s.execute(
                    select(col(SyncLinkRow.remote_id), col(SyncLinkRow.etag)).where(
                        col(SyncLinkRow.account_id) == self.account_id,
                        col(SyncLinkRow.calendar) == cal_url,
                    )
                ).all()
            }
        listing = self._listing(cal_url, token)
        listed = {href_key(h) for h in listing.etags}
        gone = {href_key(h) for h in listing.deleted}
        if listing.complete:
            gone |= set(known) - listed
        deleted = {known[k][0] for k in gone if k in known}
        # The linked resources this listing changed or removed: a split made elsewhere ends
        # (or removes) the old series in the same listing that brings its continuation.
        self._touched = gone | {href_key(h) for h in listing.etags if href_key(h) in known}
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
                    self._related = related_to(resp.text)
                    self._apply(s, cal_url, href, resp.etag, resp.text)
            done += len(chunk)
            self._progress(SyncProgress("pull", cal_url, done))
        if deleted:
            with self.db.session() as s:
                for href in sorted(deleted):
                    self._apply_delete(s, cal_url, href)
        if self._cancelled():
            return
        self._save_cursor(cal_url, listing.token)

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
        except BAD_ITEM as exc:
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
                    select(col(SyncLinkRow.id)).where(
                        col(SyncLinkRow.account_id) == self.account_id,
                        col(SyncLinkRow.event_id) == row.id,
                    )
                ).first()
                is not None
            )
            parent = None
            if not (row is not None and row.series_id is None and not taken):
                parent = self._split_parent(s, cal_url, remote)
            if parent is not None:
                self._fork(s, cal_url, href, etag, remote, parent)
                return
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

    def _apply_delete(self, s: Session, cal_url: str, href: str) -> None:
        link = self._link(s, cal_url, href)
        if link is not None:
            self._remote_gone(s, link)

    def _split_parent(
        self, s: Session, cal_url: str, remote: RemoteFamily
    ) -> tuple[EventRow, Event] | None:
        """The local client-session series a new recurring resource continues ("this and all
        future" made in another app): named by its ``RELATED-TO``, or, where the app leaves no
        link, a series of this calendar changed or removed in the same listing whose pushed
        title (the client marker) the new resource carries and that starts before it."""
        master = remote.master
        if master is None or not master.rrule:
            return None
        links = self._calendar_links(s, cal_url)
        related = [link for link in links if self._related and link.uid == self._related]
        touched = [link for link in links if href_key(link.remote_id) in self._touched]
        for link, by_title in [(x, False) for x in related] + [(x, True) for x in touched]:
            loaded = self._load(s, link.event_id)
            if loaded is None or not (loaded[1].is_session and loaded[1].rrule):
                continue
            old = loaded[1]
            if by_title:
                title = pushed_title(old, client_labels(s, [old], self.identifier))
                if title != master.title or not old.start < master.start:
                    continue
            return loaded
        return None

    def _fork(
        self,
        s: Session,
        cal_url: str,
        href: str,
        etag: str | None,
        remote: RemoteFamily,
        parent: tuple[EventRow, Event],
    ) -> None:
        """The continuation becomes a fork of the client's series, as a local "this and
        following" makes: the same client and kind, ours; never an anonymous event, never
        written over the old series."""
        _row, old = parent
        master = remote.master
        assert master is not None
        fork = continuation(old, master)
        row = self._writer(s).insert(fork, uid=f"{uuid.uuid4()}@sessions-tui")
        link = self._new_link(s, cal_url, href, remote.uid, row.id, "local")
        link.etag = etag
        family = self._family(s, row.id)
        assert family is not None
        link.local_hash = self._hash(s, family[1])
        self.report.pulled += 1
        self.report.messages.append(
            f"event {old.id} was split on the server: its continuation is event {row.id}"
        )


def related_to(text: str) -> str | None:
    """The UID a resource names in ``RELATED-TO`` (the series it continues), if any."""
    found = re.search(r"^RELATED-TO[^:\r\n]*:(.+?)\r?$", text, re.MULTILINE)
    return found.group(1).strip() if found else None
