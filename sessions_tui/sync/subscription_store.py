"""A subscription's copy of its feed: parsing a feed into items, and storing them.

Part of :mod:`sessions_tui.sync.subscriptions` (its docstring gives the rules): the feed is
read by the ICS reader (:func:`sessions_tui.sync.ics.iter_items`, which maps each VEVENT
through :mod:`sessions_tui.domain.external`); :func:`store` makes the stored copy exactly the
items, through the one writer's bulk path, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sessions_tui.domain.events import Event
from sessions_tui.domain.subscriptions import BusyMode, source_of
from sessions_tui.services.writer import Writer, row_values
from sessions_tui.store.queries import recurrence_key
from sessions_tui.store.tables import EventRow, ExdateRow, LocationRow
from sessions_tui.sync.ics import IcsError, ReadNotes, iter_items
from sessions_tui.sync.ics.parse import _decode

_EV: Any = EventRow.__table__  # type: ignore[attr-defined]
_EX: Any = ExdateRow.__table__  # type: ignore[attr-defined]
_CHUNK = 500
_COMPARED = [
    c.name
    for c in EventRow.__table__.columns  # type: ignore[attr-defined]
    if c.name not in ("id", "uid", "created_at", "updated_at", "version")
]


@dataclass
class Item:
    """One event of a feed, with the UID it is matched by."""

    uid: str
    event: Event
    sequence: int
    master_uid: str | None  # an override: its series' uid
    exdate_keys: set[str]

    def for_subscription(self, sub_id: int) -> Item:
        """This item as subscription ``sub_id`` stores it (uids ``…#s<id>``, its source)."""
        suffix = f"#s{sub_id}"
        return Item(
            f"{self.uid}{suffix}",
            self.event.with_changes(source_calendar=source_of(sub_id)),
            self.sequence,
            f"{self.master_uid}{suffix}" if self.master_uid is not None else None,
            self.exdate_keys,
        )


# --- parsing ---------------------------------------------------------------------------------


def locations_of(s: Session) -> dict[str, int]:
    """Location ids by case-folded name."""
    return {r.name.casefold(): int(r.id) for r in s.execute(select(LocationRow)).scalars() if r.id}


def parse_feed(
    body: bytes,
    *,
    practitioner_id: int,
    floating_tz: str,
    busy: BusyMode,
    locations: dict[str, int],
    name: str = "the feed",
    notes: ReadNotes | None = None,
) -> list[Item]:
    """The feed's events as items to store (uids as in the feed: :func:`store` namespaces them
    by the subscription). Needs no database: run it before the write transaction opens.

    An event that cannot be read is skipped (named in ``notes``, with the shapes recovered),
    as an import does (issue 26): one odd event in someone else's calendar does not stop the
    feed. A repeated UID (and RECURRENCE-ID) keeps the higher SEQUENCE, then the later.

    Raises:
        IcsError: not iCalendar (the file as a whole is broken).
    """
    notes = notes if notes is not None else ReadNotes()
    text = _decode(body, name, notes)  # UTF-8, else Windows-1252 with a warning
    if "BEGIN:VCALENDAR" not in text[:4096].upper():
        raise IcsError(f"{name} is not an iCalendar feed (no BEGIN:VCALENDAR)")
    import_suffix = f"#p{practitioner_id}"
    _label, stream = iter_items(
        text,
        name=name,
        practitioner_id=practitioner_id,
        floating_tz=floating_tz,
        locations=locations,
        label=source_of(0),  # set by Item.for_subscription
        notes=notes,
    )
    chosen: dict[tuple[str, str | None], Item] = {}
    raws = list(stream)
    all_day_series = {
        r.source_uid for r in raws if r.master_uid is None and r.event.rrule and r.event.all_day
    }
    for raw in raws:
        event = raw.event.with_changes(busy=busy.busy(raw.event.busy))
        if raw.rid_day is not None and raw.source_uid in all_day_series:
            # On an all-day series an occurrence is named by its date (issue 26).
            event = event.with_changes(recurrence_id=raw.rid_day)
        rid = event.recurrence_id
        if raw.master_uid is not None and rid is not None:
            key = recurrence_key(rid)
            item = Item(
                f"{raw.source_uid}#{key}",
                event,
                raw.sequence,
                raw.source_uid,
                set(),
            )
            ident: tuple[str, str | None] = (raw.source_uid, key)
        else:
            base = raw.uid.removesuffix(import_suffix)
            item = Item(base, event, raw.sequence, None, set(raw.exdate_keys))
            ident = (base, None)
        old = chosen.get(ident)
        if old is None or item.sequence >= old.sequence:
            chosen[ident] = item
    return list(chosen.values())


# --- storing -----------------------------------------------------------------------------------


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


@dataclass
class Counts:
    """How many events a refresh added, updated and removed."""

    added: int = 0
    updated: int = 0
    removed: int = 0


def store(s: Session, writer: Writer, sub_id: int, items: list[Item], now: datetime) -> Counts:
    """Make the stored copy of subscription ``sub_id`` exactly ``items`` (from
    :func:`parse_feed`), in the caller's transaction."""
    items = [i.for_subscription(sub_id) for i in items]
    bulk_writer = writer.batch()
    counts = Counts()
    source = source_of(sub_id)
    existing: dict[str, dict[str, Any]] = {
        r["uid"]: dict(r)
        for r in s.execute(select(_EV).where(_EV.c.source_calendar == source)).mappings()
    }
    masters = [i for i in items if i.master_uid is None]
    series = {i.uid for i in masters if i.event.rrule}
    ids = _write(s, bulk_writer, masters, existing, None, now, counts)
    # Deleted occurrences (EXDATE) of the feed's series.
    series_ids = [ids[u] for u in series]
    wanted = {(ids[i.uid], k) for i in masters if i.uid in series for k in i.exdate_keys}
    have: set[tuple[int, str]] = set()
    for chunk in _chunks(series_ids):
        have.update(
            (sid, key)
            for sid, key in s.execute(
                select(_EX.c.series_id, _EX.c.recurrence_key).where(_EX.c.series_id.in_(chunk))
            )
        )
    bulk_writer.set_exdates(add=wanted - have, remove=have - wanted)
    # Overrides attach to their series when the feed has it; else (an invitation to one
    # occurrence) they stand alone.
    overrides: list[Item] = []
    for item in items:
        if item.master_uid is None:
            continue
        if item.master_uid not in series:
            item = replace(item, event=item.event.with_changes(recurrence_id=None), master_uid=None)
        overrides.append(item)
    series_of = {u: ids[u] for u in series}
    _write(s, bulk_writer, overrides, existing, series_of, now, counts)
    # Whatever of this subscription the feed no longer has: overrides first, then the
    # exdates of series going away, then the events themselves.
    keep = {i.uid for i in items}
    stale = [old for uid, old in existing.items() if uid not in keep]
    stale_children = [o["id"] for o in stale if o["series_id"] is not None]
    stale_masters = [o["id"] for o in stale if o["series_id"] is None]
    bulk_writer.delete(stale_children)
    if stale_masters:
        gone: set[tuple[int, str]] = set()
        for chunk in _chunks(stale_masters):
            gone.update(
                (sid, key)
                for sid, key in s.execute(
                    select(_EX.c.series_id, _EX.c.recurrence_key).where(_EX.c.series_id.in_(chunk))
                )
            )
            # Children of a vanished series that the feed still has (now standalone) were
            # updated above; any left would block the delete, and are stale too.
            orphans = [r[0] for r in s.execute(select(_EV.c.id).where(_EV.c.series_id.in_(chunk)))]
            bulk_writer.delete(orphans)
        bulk_writer.set_exdates(add=set(), remove=gone)
        bulk_writer.delete(stale_masters)
    counts.removed = len(stale)
    return counts


def _write(
    s: Session,
    bulk_writer: Any,
    batch: list[Item],
    existing: dict[str, dict[str, Any]],
    series_of: dict[str, int] | None,
    now: datetime,
    counts: Counts,
) -> dict[str, int]:
    ids = {i.uid: existing[i.uid]["id"] for i in batch if i.uid in existing}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for item in batch:
        event = item.event
        if series_of is not None and item.master_uid is not None:
            event = event.with_changes(series_id=series_of[item.master_uid])
        values = row_values(event, item.uid, item.sequence, now)
        stored = existing.get(item.uid)
        if stored is None:
            inserts.append(values)
        elif any(stored[c] != values[c] for c in _COMPARED):
            changed = {c: values[c] for c in _COMPARED}
            changed.update(b_id=stored["id"], version=stored["version"] + 1, updated_at=now)
            updates.append(changed)
    for chunk in _chunks(inserts):
        ids.update(bulk_writer.insert(list(chunk)))
    if updates:
        bulk_writer.update([*_COMPARED, "version", "updated_at"], updates)
    counts.added += len(inserts)
    counts.updated += len(updates)
    return ids
