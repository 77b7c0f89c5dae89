"""How a changed resource merges into its linked local family (the conflict rule).

:class:`MergeMixin`: when both sides changed, sessions keep the local version and other events
the latest change (each conflict counted); a client session keeps its kind, client and locked
title; a change this program cannot hold, or one to a practice-wide event, is pushed back.
Occurrences the server deleted or overrode become EXDATEs and overrides here, except protected
sessions (completed notes, cancelled), which are kept.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, EventKind, validate_event
from sessions_tui.store import queries
from sessions_tui.store.tables import EventRow, SyncLinkRow
from sessions_tui.sync.caldav.ical import Family, RemoteFamily, family_hash, remote_title
from sessions_tui.sync.caldav.local import LocalStore
from sessions_tui.sync.engine import is_protected, keep_local

log = logging.getLogger("sessions_tui.sync.caldav")  # one logger for the engine's parts


class MergeMixin(LocalStore):
    """Applies a server resource to the local family it is linked to."""

    def _apply_linked(
        self,
        s: Session,
        link: SyncLinkRow,
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
                link.remote_id,
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
        self, link: SyncLinkRow, etag: str | None, event_id: int | None, why: str
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
