"""The push plan: which writes would bring Google up to date with the local events.

:class:`_Op` is one pending write, :class:`_Plan` the writes of one push (masters, one-offs and
deletes first, then overrides, which need their master in Google; writes to read-only calendars
apart). :meth:`PlanMixin.plan` compares each local event's body with the one both sides last
agreed on (``sync_link.local_hash``); it is also the pending-changes count. No network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sessions_tui.domain.subscriptions import is_subscribed
from sessions_tui.services.sync_common import SyncMode
from sessions_tui.sync.google.items import PROP_UID, content_hash, google_id, instance_suffix
from sessions_tui.sync.google.local import LocalStore


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
    """The writes of one push, in the order they are sent."""

    first: list[_Op] = field(default_factory=list)  # masters, one-offs, deletes
    second: list[_Op] = field(default_factory=list)  # overrides (need their master in Google)
    restore: list[_Op] = field(default_factory=list)  # local changes to read-only calendars

    @property
    def ops(self) -> list[_Op]:
        """The writes to send: :attr:`first`, then :attr:`second`."""
        return self.first + self.second


class PlanMixin(LocalStore):
    """Works out the push plan from the local events and their links."""

    def plan(self) -> _Plan:
        """What the push would send now (also the pending-changes count)."""
        plan = _Plan()
        local = self._snapshot()
        links, by_event, events, labels = local.links, local.by_event, local.events, local.labels
        present, uid_of = set(events), local.uids
        for old in links:
            gone = old.event_id is None or old.event_id not in present
            if gone and old.calendar in self.selected:
                plan.first.append(
                    _Op(
                        "delete",
                        old.calendar,
                        old.remote_id,
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
                cal = link.calendar
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
                    base, mcal = master_link.remote_id, master_link.calendar
                else:
                    master = events.get(ev.series_id)
                    if master is None or master.source_calendar in self.calendars:
                        continue  # a Google master not linked yet: next run
                    base, mcal = google_id(uid_of[ev.series_id]), cal
                gid = link.remote_id if link else f"{base}_{instance_suffix(ev.recurrence_id)}"
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
                    _Op("patch", cal, link.remote_id, body, link.id, eid, link.etag, h, origin)
                )
            else:
                gid = google_id(uid_of[eid])
                body = dict(body, id=gid)
                if origin == "remote" and ev.uid:
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
