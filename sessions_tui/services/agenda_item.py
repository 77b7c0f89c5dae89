"""``AgendaItem``: an occurrence with its people and place resolved, ready to show or print.

Kept free of SQLAlchemy so that ``sessions-tui agenda`` (which reads through
:mod:`sessions_tui.store.fastread` on SQLite) and the plain-text renderer import nothing heavy;
:mod:`sessions_tui.services.scheduling` re-exports it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sessions_tui.domain.events import Event, EventKind, Instant, Occurrence, Status
from sessions_tui.domain.holds import Hold
from sessions_tui.domain.listing import Listing, carry
from sessions_tui.domain.model import Client, Location, Staff
from sessions_tui.domain.subscriptions import is_subscribed
from sessions_tui.store.rows import recurrence_key

_IMPORT_SUFFIX = re.compile(r"#p\d+$")


def published_uid(event: Event) -> str | None:
    """The UID ``event`` has in the practice's ICS feed (``sessions-tui ics export``).

    The same rule as :func:`sessions_tui.sync.ics.export_uid`: an imported event loses its
    ``#p<id>`` namespace; an overridden occurrence is published under its *series'* UID (with a
    RECURRENCE-ID), so its stored ``<series uid>#<recurrence key>`` loses the key.
    """
    uid = event.uid
    if uid is None:
        return None
    uid = _IMPORT_SUFFIX.sub("", uid)
    if event.series_id is not None and event.recurrence_id is not None:
        suffix = "#" + recurrence_key(event.recurrence_id)
        if uid.endswith(suffix):
            uid = uid[: -len(suffix)]
    return uid


if TYPE_CHECKING:
    from sessions_tui.store.reader import Reader


@dataclass(frozen=True)
class AgendaItem:
    """One occurrence with its people and place resolved, ready to show or print.

    ``hold`` is set on the calendar's stand-in for an online-booking request's held time
    (:func:`sessions_tui.services.holds.hold_items`): drawn like an event, in a tentative
    style, but no event is stored for it, so the event keys refuse it.
    """

    occurrence: Occurrence
    practitioner: Staff | None
    client: Client | None
    location: Location | None
    hold: Hold | None = None

    @property
    def event(self) -> Event:
        return self.occurrence.event

    @property
    def id(self) -> int:
        assert self.event.id is not None
        return self.event.id

    @property
    def start(self) -> Instant:
        return self.occurrence.start

    @property
    def end(self) -> Instant:
        return self.occurrence.end

    @property
    def title(self) -> str:
        if self.event.kind is EventKind.SESSION and self.client is not None:
            return self.client.full_name
        return self.event.title

    @property
    def status(self) -> Status:
        return self.event.status

    @property
    def recurrence_id(self) -> Instant | None:
        """The original start of this occurrence in its series; ``None`` for a one-off event."""
        if self.occurrence.recurrence_id is not None:
            return self.occurrence.recurrence_id
        return self.event.recurrence_id

    def to_json(self, tz: ZoneInfo) -> dict[str, Any]:
        """The agenda JSON object scripts rely on (keys fixed by the CLI contract).

        ``id`` is the stored event (a series shares one); ``uid`` with ``occurrence`` (the
        original start, ``None`` for a one-off event) names one occurrence as the ICS feed
        does (UID and RECURRENCE-ID); ``zone`` is the IANA zone the event was made in.
        """
        rid = self.recurrence_id
        return {
            "id": self.id,
            "uid": published_uid(self.event),
            "occurrence": _iso(rid, tz) if rid is not None else None,
            "kind": self.event.kind.value,
            "title": self.title,
            "client": self.client.full_name if self.client else None,
            "practitioner": self.practitioner.name if self.practitioner else None,
            "location": self.location.name if self.location else None,
            "start": _iso(self.start, tz),
            "end": _iso(self.end, tz),
            "zone": self.event.tzid,
            "all_day": self.event.all_day,
            "busy": self.event.busy,
            "status": self.event.status.value,
            "notes_completed": self.event.notes_completed,
            "recurring": self.event.rrule is not None or self.event.series_id is not None,
            "subscribed": is_subscribed(self.event.source_calendar),
        }


def _iso(value: Instant, tz: ZoneInfo) -> str:
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    return value.isoformat()


def referenced_ids(occ: Iterable[Occurrence]) -> tuple[set[int], set[int], set[int]]:
    """Practitioner, client and location ids the occurrences name."""
    staff: set[int] = set()
    clients: set[int] = set()
    locs: set[int] = set()
    for o in occ:
        if o.event.practitioner_id:
            staff.add(o.event.practitioner_id)
        if o.event.client_id:
            clients.add(o.event.client_id)
        if o.event.location_id:
            locs.add(o.event.location_id)
    return staff, clients, locs


def assemble(
    occ: Iterable[Occurrence],
    staff: Mapping[int, Staff],
    clients: Mapping[int, Client],
    locations: Mapping[int, Location],
) -> Listing[AgendaItem]:
    """Agenda items of ``occ``, naming people and places from the given lookups (the events
    the read skipped, :attr:`Listing.skipped`, are carried along)."""
    items = [
        AgendaItem(
            o,
            staff.get(o.event.practitioner_id) if o.event.practitioner_id else None,
            clients.get(o.event.client_id) if o.event.client_id else None,
            locations.get(o.event.location_id) if o.event.location_id else None,
        )
        for o in occ
    ]
    return carry(items, occ)


def agenda_items(
    reader: Reader,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    *,
    practitioner_ids: Sequence[int] | None = None,
    location_ids: Sequence[int] | None = None,
) -> Listing[AgendaItem]:
    """Occurrences in ``[start, end)`` with practitioner, client and location resolved, read
    in one snapshot through ``reader`` (either backend); the skipped events are carried."""
    with reader.snapshot():
        occ = reader.window(
            start, end, display_tz=tz, practitioners=practitioner_ids, locations=location_ids
        )
        return assemble(occ, *reader.people_and_places(*referenced_ids(occ)))
