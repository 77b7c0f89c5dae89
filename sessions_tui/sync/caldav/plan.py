"""The push plan: which writes would bring the server up to date with the local families.

:class:`_Op` is one pending write (a ``PUT`` of a family's resource, or a ``DELETE``);
:meth:`PlanMixin.plan` compares each local family's hash with the one both sides last agreed on
(``sync_link.local_hash``) and lists links whose family is gone. It is also the
pending-changes count. No network.
"""

from __future__ import annotations

from dataclasses import dataclass

from sessions_tui.domain.events import Event
from sessions_tui.domain.subscriptions import is_subscribed
from sessions_tui.services.sync_common import SyncMode
from sessions_tui.sync.caldav.ical import Family, family_hash, render, resource_name
from sessions_tui.sync.caldav.local import LocalStore, collection_path, make_titler
from sessions_tui.sync.engine import target_calendar


@dataclass
class _Op:
    """One pending write to the server."""

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


class PlanMixin(LocalStore):
    """Works out the push plan from the local families and their links."""

    def plan(self) -> list[_Op]:
        """What the push would send now (also the pending-changes count)."""
        ops: list[_Op] = []
        cal_urls = set(self.calendars)
        local = self._snapshot()
        links, events, labels = local.links, list(local.events.values()), local.labels
        by_event = {link.event_id: link for link in links}
        # A read-only ICS subscription's events are someone else's: never pushed.
        masters = {
            e.id: e for e in events if e.series_id is None and not is_subscribed(e.source_calendar)
        }
        children: dict[int, list[Event]] = {}
        for e in events:
            if e.series_id is not None:
                children.setdefault(e.series_id, []).append(e)
        for old in links:
            if old.event_id not in masters and old.calendar in self.selected:
                if old.calendar in self.read_only:
                    continue
                ops.append(
                    _Op(
                        "delete",
                        old.calendar,
                        old.remote_id,
                        old.uid or "",
                        "",
                        old.etag,
                        False,
                        None,
                        old.id,
                        None,
                        old.origin,
                    )
                )
        titler = make_titler(labels)
        stamp = self.clock.now()
        for eid, ev in masters.items():
            assert eid is not None
            link = by_event.get(eid)
            cal = target_calendar(
                ev, link.calendar if link else None, cal_urls, self.default_calendar
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
            uid = (link.uid if link else None) or ev.uid or f"event-{eid}@sessions-tui"
            href = link.remote_id if link else collection_path(cal) + resource_name(uid)
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
