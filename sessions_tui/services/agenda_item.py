"""``AgendaItem``: an occurrence with its people and place resolved, ready to show or print.

Kept free of SQLAlchemy so that ``sessions-tui agenda`` (which reads through
:mod:`sessions_tui.store.fastread` on SQLite) and the plain-text renderer import nothing heavy;
:mod:`sessions_tui.services.scheduling` re-exports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sessions_tui.domain.events import Event, EventKind, Instant, Occurrence, Status
from sessions_tui.domain.listing import Listing, carry
from sessions_tui.domain.model import Client, Location, Staff

if TYPE_CHECKING:
    from sessions_tui.store.reader import Reader


@dataclass(frozen=True)
class AgendaItem:
    """One occurrence with its people and place resolved, ready to show or print."""

    occurrence: Occurrence
    practitioner: Staff | None
    client: Client | None
    location: Location | None

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

    def to_json(self, tz: ZoneInfo) -> dict[str, Any]:
        """The agenda JSON object scripts rely on (keys fixed by the CLI contract)."""
        return {
            "id": self.id,
            "kind": self.event.kind.value,
            "title": self.title,
            "client": self.client.full_name if self.client else None,
            "practitioner": self.practitioner.name if self.practitioner else None,
            "location": self.location.name if self.location else None,
            "start": _iso(self.start, tz),
            "end": _iso(self.end, tz),
            "all_day": self.event.all_day,
            "busy": self.event.busy,
            "status": self.event.status.value,
            "notes_completed": self.event.notes_completed,
            "recurring": self.event.rrule is not None or self.event.series_id is not None,
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
