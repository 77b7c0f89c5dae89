"""The pull: page ``events.list`` of one calendar and bring each item in.

:class:`PullMixin` lists from the stored ``nextSyncToken`` (everything, deleted items too, when
there is none or after ``410 GONE``), one transaction per page, so a killed run loses at most
a page. Items already linked go to :class:`~.merge.MergeMixin`; items this program made are
recognised by their private uid and re-linked, never duplicated; new ones come in as *other*
events of their calendar. Exceptions whose master is not here yet wait for the last page.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.domain.errors import ConflictError, PermissionDenied, ValidationError
from sessions_tui.domain.events import Event
from sessions_tui.store.tables import EventRow, SyncLinkRow
from sessions_tui.sync.core.engine import continuation
from sessions_tui.sync.engine import SyncProgress
from sessions_tui.sync.errors import CalendarGone, SyncError
from sessions_tui.sync.google.items import PROP_UID, body_for, content_hash, event_from_item
from sessions_tui.sync.google.merge import MergeMixin

log = logging.getLogger("sessions_tui.sync.google")  # one logger for the whole package


_SPLIT_ID = re.compile(r"^(?P<base>.+)_R\d{8}(T\d{6}Z?)?$")
"""The id Google gives the continuation of a series split by "this and following"."""


class PullMixin(MergeMixin):
    """Lists one Google calendar's changes and applies them locally."""

    def _pull(self, cal_id: str) -> None:
        from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

        with self.db.session() as s:
            token = self._cursor(s, cal_id)
        page_token: str | None = None
        deferred: list[dict[str, Any]] = []
        listed: set[str] = set()  # every item of a full listing (none when incremental)
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
                    token, page_token, deferred, listed = None, None, [], set()
                    self._save_token(cal_id, None)
                    continue
                if exc.resp.status in (404, 410):
                    raise CalendarGone(cal_id) from None
                raise SyncError(
                    f"cannot list Google calendar {cal_id}: HTTP {exc.resp.status}"
                ) from None
            default_tz = resp.get("timeZone") or default_tz
            # Deletes last: a series split on its first occurrence in Google is deleted there
            # and continued by a new event, which must find the old one still linked.
            items = sorted(resp.get("items", []), key=lambda i: i.get("status") == "cancelled")
            if not token:
                listed.update(item["id"] for item in items)
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
            if not token:
                # A full listing names every event the calendar still has, deleted ones too
                # (showDeleted) until Google purges their tombstones: a link to an event it
                # does not name is a delete made there.
                self._reconcile(cal_id, listed)
            self._save_token(cal_id, resp.get("nextSyncToken"))
            return

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
        if link is None and not cancelled and item.get("recurrence"):
            parent = self._split_parent(s, cal_id, item)
            if parent is not None:
                self._fork(s, cal_id, item, parent, default_tz)
                return True
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
            new = self._new_link(s, cal_id, gid, row.id, "remote", item, default_tz)
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

    def _split_parent(
        self, s: Session, cal_id: str, item: dict[str, Any]
    ) -> tuple[EventRow, Event] | None:
        """The local client-session series a new recurring Google event continues ("this and
        following" made in Google): named by Google's ``<old id>_R<date>`` id, or carrying our
        private uid of a series already linked to another Google event (Google copied it)."""
        candidates: list[SyncLinkRow | None] = []
        named = _SPLIT_ID.match(item["id"])
        if named:
            candidates.append(self._find_link(s, cal_id, named["base"]))
        uid = ((item.get("extendedProperties") or {}).get("private") or {}).get(PROP_UID)
        if uid:
            row = s.execute(select(EventRow).where(col(EventRow.uid) == uid)).scalar_one_or_none()
            if row is not None:
                candidates.append(
                    s.execute(
                        select(SyncLinkRow).where(
                            col(SyncLinkRow.account_id) == self.account_id,
                            col(SyncLinkRow.event_id) == row.id,
                            col(SyncLinkRow.remote_id) != item["id"],
                        )
                    )
                    .scalars()
                    .first()
                )
        for link in candidates:
            loaded = self._load(s, link.event_id) if link is not None else None
            if loaded is not None and loaded[1].is_session and loaded[1].rrule:
                return loaded
        return None

    def _fork(
        self,
        s: Session,
        cal_id: str,
        item: dict[str, Any],
        parent: tuple[EventRow, Event],
        default_tz: str,
    ) -> None:
        """The continuation of a split client-session series becomes a fork of it, as a local
        "this and following" makes: the same client and kind, ours (never an anonymous
        event, never written over the old series)."""
        _row, old = parent
        mapped = event_from_item(
            item, calendar_id=cal_id, practitioner_id=self.practitioner_id, default_tz=default_tz
        )
        fork = continuation(old, mapped)
        row = self._insert(s, fork, uid=f"{uuid.uuid4()}@sessions-tui")
        self._new_link(s, cal_id, item["id"], row.id, "local", item, default_tz)
        self.report.pulled += 1
        self.report.messages.append(
            f"event {old.id} was split in Google: its continuation is event {row.id}"
        )
