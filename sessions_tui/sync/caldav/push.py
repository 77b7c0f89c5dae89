"""The push: send the plan's writes and record what the server answered.

:class:`PushMixin` writes each family with ``PUT`` (``If-None-Match: *`` to create, at an href
derived from the uid, so a retried create answers 412 and is adopted; ``If-Match`` to update,
a 412 being a conflict resolved by the rule) and deletes the resources of gone families,
recording each success on its link a batch at a time, so a killed run redoes at most a batch.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.store.tables import SyncCalendarRow, SyncLinkRow
from sessions_tui.sync.caldav.ical import parse_resource
from sessions_tui.sync.caldav.local import BAD_ITEM
from sessions_tui.sync.caldav.merge import MergeMixin
from sessions_tui.sync.caldav.plan import PlanMixin, _Op
from sessions_tui.sync.engine import SyncProgress, keep_local

log = logging.getLogger("sessions_tui.sync.caldav")  # one logger for the engine's parts


class PushMixin(PlanMixin, MergeMixin):
    """Sends the push plan to the server and records each write."""

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
        self._written(
            s,
            op.kind,
            op.link_id,
            (op.calendar_url, op.href),
            op.event_id,
            op.origin,
            etag=etag,
            local_hash=op.local_hash,
            uid=op.uid,
        )

    def _follow_up(self, op: _Op, status: int) -> None:
        """Resolve a write the server refused: 412 (exists, or changed since), 403, 404."""
        dav = self._client()
        if status == 403:
            with self.db.session() as s:
                cal = s.execute(
                    select(SyncCalendarRow).where(
                        col(SyncCalendarRow.account_id) == self.account_id,
                        col(SyncCalendarRow.calendar) == op.calendar_url,
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
                link = s.get(SyncLinkRow, op.link_id)
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
                link = s.get(SyncLinkRow, op.link_id) if op.link_id else None
                if link is not None:
                    s.delete(link)  # gone there: made again next run
            return
        with self.db.session() as s:
            family = self._family(s, op.event_id)
            link = s.get(SyncLinkRow, op.link_id) if op.link_id else None
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
            except BAD_ITEM:
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
                except BAD_ITEM as exc:
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
