"""ICS import, writing: items stored in batches inside one transaction."""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, EventKind, validate_event
from sessions_tui.domain.recurrence import occurrences
from sessions_tui.domain.subscriptions import SOURCE_PREFIX
from sessions_tui.services.context import Context
from sessions_tui.services.permissions import holds_role, require_edit_event
from sessions_tui.services.writer import Batch, row_values
from sessions_tui.store.queries import parse_recurrence_key, recurrence_key
from sessions_tui.store.rows import row_to_event
from sessions_tui.store.tables import (
    EventRow,
    LocationRow,
    StaffRow,
)
from sessions_tui.sync.ics.common import _EV, _EX, IcsError, import_uid
from sessions_tui.sync.ics.parse import (
    MAX_BYTES,
    ReadNotes,
    _decode,
    _Dedup,
    _Item,
    file_blocks,
    iter_items,
)
from sessions_tui.sync.ics.zones import practitioner_zone

_CHUNK = 500
_BATCH = 2000  # events written per batch of an import


@dataclass
class ImportReport:
    """What an import did. ``unchanged`` rows were already as in the file."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    events: int = 0
    label: str = ""
    notes: ReadNotes = field(default_factory=ReadNotes)
    """Events skipped, shapes recovered, warnings (issue 26), one line each."""

    def summary(self) -> str:
        """One line for the person: events, added, updated, unchanged (and removed, skipped
        and recovered, if any)."""
        from sessions_tui.domain.text import count_of

        stale = count_of(self.removed, "stale occurrence")
        skipped = count_of(self.notes.skipped_count, "event")
        recovered = count_of(self.notes.recovered_count, "event")
        return (
            f"Imported {count_of(self.events, 'event')} into {self.label!r}: {self.added} added, "
            f"{self.updated} updated, {self.unchanged} unchanged"
            + (f", {stale} removed" if self.removed else "")
            + (f"; {skipped} skipped" if self.notes.skipped_count else "")
            + (f"; {recovered} recovered" if self.notes.recovered_count else "")
            + "."
        )

    def lines(self) -> list[str]:
        """The report's detail: each warning, skipped and recovered event (then the summary)."""
        notes = self.notes
        out = [f"warning: {w}" for w in notes.warnings]
        out += [f"skipped: {m}" for m in notes.skipped]
        if notes.skipped_count > len(notes.skipped):
            out.append(f"skipped: … and {notes.skipped_count - len(notes.skipped)} more")
        out += [f"recovered: {m}" for m in notes.recovered]
        if notes.recovered_count > len(notes.recovered):
            out.append(f"recovered: … and {notes.recovered_count - len(notes.recovered)} more")
        return out


_COMPARED = [
    c.name
    for c in EventRow.__table__.columns  # type: ignore[attr-defined]
    if c.name not in ("id", "uid", "created_at", "updated_at", "version")
]


def import_calendar(
    ctx: Context,
    data: bytes | str | BinaryIO,
    *,
    practitioner_id: int,
    name: str = "calendar.ics",
    label: str | None = None,
    strict: bool = False,
    max_bytes: int = MAX_BYTES,
) -> ImportReport:
    """Bring a calendar in as other events of a practitioner, in one transaction.

    The file is read one VEVENT at a time and written in batches inside that transaction, so
    memory stays bounded by a batch (plus the uids seen); a broken file rolls everything
    back. Not ``strict`` (the default), an event that cannot be read is skipped and named in
    the report (:attr:`ImportReport.notes`) and the rest come in; ``strict``, it refuses the
    file. ``data`` is the file's bytes or text, or the file itself, open for binary reading
    and seekable: it is then read twice in blocks (:func:`~.parse.file_blocks`), never whole.

    Raises:
        IcsError: malformed file, or (``strict``) event (nothing is changed).
        PermissionDenied: a practitioner importing into someone else's calendar.
    """
    actor = ctx.require_actor()
    with ctx.db.session() as s:
        row = s.get(StaffRow, practitioner_id)
        if row is None or not holds_role(row.roles, "practitioner"):
            raise ValidationError(f"no practitioner with id {practitioner_id}")
    probe = Event(
        kind=EventKind.OTHER,
        title="x",
        start=date(2000, 1, 1),
        end=date(2000, 1, 2),
        tzid="UTC",
        all_day=True,
        practitioner_id=practitioner_id,
    )
    require_edit_event(actor, probe)
    if label is not None and label.startswith(SOURCE_PREFIX):
        raise ValidationError(f"the label {label!r} is reserved for subscriptions", field="label")
    floating = practitioner_zone(ctx, practitioner_id)
    with ctx.db.session() as s:
        locations = {
            r.name.casefold(): int(r.id) for r in s.execute(select(LocationRow)).scalars() if r.id
        }
    notes = ReadNotes(strict=strict)
    source: str | Callable[[], Iterator[str]]
    if isinstance(data, bytes | str):
        if len(data) > max_bytes:
            raise IcsError(f"{name} is larger than {max_bytes >> 20} MB: not read")
        source = _decode(data, name, notes)
        del data  # the caller may still hold the bytes; we need only the text
    else:
        fp = data
        source = lambda: file_blocks(fp, name, notes=notes, max_bytes=max_bytes)  # noqa: E731
    final_label, items = iter_items(
        source,
        name=name,
        practitioner_id=practitioner_id,
        floating_tz=floating,
        locations=locations,
        label=label,
        notes=notes,
    )
    now = ctx.clock.now()
    report = ImportReport(label=final_label, notes=notes)
    with ctx.db.session(bulk=True) as s:
        sink = _Sink(s, practitioner_id, now, report, _Dedup(name, notes))
        for item in items:
            sink.add(item)
        sink.finish()
    return report


def _rid_order(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    assert isinstance(value, date)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _with_rule(rrule: str, **parts: str | None) -> str:
    """``rrule`` with ``parts`` set (``None``: removed)."""
    kept = [p for p in rrule.split(";") if p and p.split("=", 1)[0].upper() not in parts]
    kept += [f"{k}={v}" for k, v in parts.items() if v is not None]
    return ";".join(kept)


def _split_series(masters: list[_Item], overrides: list[_Item], pid: int) -> list[_Item]:
    """``masters`` with each RANGE=THISANDFUTURE override applied (issue 26): the series ends
    before that occurrence, and a new series (uid ``<UID>#future-<key>``) goes on from the
    override's start, with its title, length and status, and the rest of the rule (COUNT
    shared out, UNTIL kept). Later overrides and EXDATEs move to the new series, by the
    override's shift. ``overrides`` are re-pointed in place; returns the series to write."""
    by_uid = {m.uid: m for m in masters}
    mine: dict[str, list[_Item]] = {}
    for o in overrides:
        if o.master_uid in by_uid:
            mine.setdefault(o.master_uid, []).append(o)
    out = list(masters)
    for uid, group in mine.items():
        if not any(o.this_and_future for o in group):
            continue
        group.sort(key=lambda o: _rid_order(o.event.recurrence_id))
        current = by_uid[uid]
        delta = timedelta(0)
        for o in group:
            rid = o.event.recurrence_id
            assert rid is not None
            here = rid + delta  # the occurrence in the current series' times
            if not o.this_and_future:
                if current.uid != uid:
                    o.master_uid = current.uid
                    o.source_uid = current.source_uid  # as our export names it
                    o.event = o.event.with_changes(recurrence_id=here)
                continue
            series = current.event
            assert series.rrule is not None
            lo = _rid_order(series.start) - timedelta(days=1)
            whole = series.with_changes(exdates=frozenset())
            cut = _rid_order(here)
            before = sum(1 for occ in occurrences(whole, lo, cut) if _rid_order(occ.start) < cut)
            count = re.search(r"COUNT=(\d+)", series.rrule, re.IGNORECASE)
            if count:
                old_rule = _with_rule(series.rrule, COUNT=str(before))
                new_rule = _with_rule(series.rrule, COUNT=str(int(count.group(1)) - before))
            else:
                if isinstance(here, datetime):
                    until = (here - timedelta(seconds=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
                else:
                    until = (here - timedelta(days=1)).strftime("%Y%m%d")
                old_rule = _with_rule(series.rrule, UNTIL=until)
                new_rule = series.rrule
            shift = o.event.start - here  # type: ignore[operator]
            current.event = series.with_changes(rrule=old_rule if before else series.rrule)
            if not before:  # the first occurrence onwards: the override is the whole series
                out.remove(current)
            keys = current.exdate_keys
            moved = {
                recurrence_key(parse_recurrence_key(k) + shift)
                for k in keys
                if _rid_order(parse_recurrence_key(k)) >= cut
            }
            current.exdate_keys = {
                k for k in keys if _rid_order(parse_recurrence_key(k)) < _rid_order(here)
            }
            new_uid = f"{o.source_uid}#future-{recurrence_key(rid)}"
            new = _Item(
                import_uid(new_uid, pid),
                validate_event(
                    o.event.with_changes(recurrence_id=None, rrule=new_rule, exdates=frozenset())
                ),
                o.line,
                new_uid,
                exdate_keys=moved,
                sequence=o.sequence,
            )
            out.append(new)
            overrides.remove(o)
            current = new
            delta = delta + shift
    return out


def _is_occurrence(override: Event, master: Event) -> bool:
    """Is ``override`` exactly the occurrence of ``master`` it names?"""
    rid = override.recurrence_id
    return (
        override.start == rid
        and override.all_day == master.all_day
        and override.duration == master.duration
        and override.title == master.title
        and override.status == master.status
        and override.busy == master.busy
        and override.location_id == master.location_id
    )


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


class _Sink:
    """Writes items as they come, in batches, inside the caller's transaction.

    Events and series masters go in batches of :data:`_BATCH` (update by uid, exdates of each
    batch's series). Overrides (RECURRENCE-ID) wait until the end, when it is known whether
    their series is in the file; then occurrences of the file's series that the file no longer
    has are removed.
    """

    def __init__(
        self, s: Session, pid: int, now: datetime, report: ImportReport, dedup: _Dedup
    ) -> None:
        self.s, self.pid, self.now, self.report, self.dedup = s, pid, now, report, dedup
        self.out = Batch(s, pid)  # the one writer's bulk path
        self.batch: list[_Item] = []
        self.overrides: list[_Item] = []
        # Per event of the file only its id (8 bytes); which uids the file has, the dedup
        # knows already.
        self.master_ids = array("q")
        self.series_ids: dict[str, int] = {}
        self.all_day_series: set[str] = set()
        self.deferred: list[_Item] = []

    def add(self, item: _Item) -> None:
        first = not self._seen_before(item)
        if not self.dedup.check(item):
            return
        if first:
            self.report.events += 1
        if item.master_uid is None:
            if not first:  # a repeat that wins: replace it if still waiting, else update it
                self.batch = [i for i in self.batch if i.uid != item.uid]
                self.deferred = [i for i in self.deferred if i.uid != item.uid]
            if item.event.rrule and self.report.notes.this_and_future:
                self.deferred.append(item)  # may be split by a THISANDFUTURE override
                return
            self.batch.append(item)
            if len(self.batch) >= _BATCH:
                self.flush()
        else:
            self.overrides.append(item)

    def _masters_of(self, overrides: Iterable[_Item]) -> dict[str, Event]:
        """The stored series (as events) the overrides name, loaded once at the end: only
        series with overrides are read, none is held while the file streams."""
        wanted = {o.master_uid for o in overrides if o.master_uid in self.series_ids}
        found: dict[str, Event] = {}
        ids = [self.series_ids[u] for u in wanted if u is not None]
        for chunk in _chunks(ids):
            for row in self.s.execute(select(_EV).where(_EV.c.id.in_(list(chunk)))):
                found[row.uid] = row_to_event(row)
        return found

    def _seen_before(self, item: _Item) -> bool:
        rid = item.event.recurrence_id
        if rid is None:
            return self.dedup.has(item.uid)
        return (item.uid, recurrence_key(rid)) in self.dedup.seen_overrides

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        if not batch:
            return
        ids = self._write(batch, None)
        wanted: set[tuple[int, str]] = set()
        batch_ids: list[int] = []
        for item in batch:
            new_id = ids[item.uid]
            batch_ids.append(new_id)
            if item.event.rrule:
                self.series_ids[item.uid] = new_id
                if item.event.all_day:
                    self.all_day_series.add(item.uid)
                wanted.update((new_id, k) for k in item.exdate_keys)
        self.master_ids.extend(batch_ids)
        self._sync_exdates(batch_ids, wanted)

    def _sync_exdates(self, series_ids: list[int], wanted: set[tuple[int, str]]) -> None:
        have: set[tuple[int, str]] = set()
        for chunk in _chunks(series_ids):
            have.update(
                (sid, key)
                for sid, key in self.s.execute(
                    select(_EX.c.series_id, _EX.c.recurrence_key).where(_EX.c.series_id.in_(chunk))
                )
            )
        self.out.set_exdates(add=wanted - have, remove=have - wanted)

    def _existing(self, uids: Sequence[str]) -> dict[str, dict[str, Any]]:
        cols = _EV.c
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(uids):
            for r in self.s.execute(select(_EV).where(cols.uid.in_(chunk))).mappings():
                found[r["uid"]] = dict(r)
        return found

    def _write(self, batch: list[_Item], series_of: dict[str, int] | None) -> dict[str, int]:
        """Insert or update ``batch`` by uid; returns the ids of its uids."""
        existing = self._existing([i.uid for i in batch])
        for uid, old in existing.items():
            if old["practitioner_id"] != self.pid:
                raise IcsError(f"event {uid!r} already belongs to another practitioner")
        ids = {uid: old["id"] for uid, old in existing.items()}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for item in batch:
            event = item.event
            if series_of is not None:
                assert item.master_uid is not None
                event = event.with_changes(series_id=series_of[item.master_uid])
            values = row_values(event, item.uid, item.sequence, self.now)
            stored = existing.get(item.uid)
            if stored is None:
                inserts.append(values)
            elif any(stored[c] != values[c] for c in _COMPARED):
                changed = {c: values[c] for c in _COMPARED}
                changed.update(
                    b_id=stored["id"], version=stored["version"] + 1, updated_at=self.now
                )
                updates.append(changed)
            else:
                self.report.unchanged += 1
        if inserts:
            ids.update(self.out.insert(inserts))
            self.report.added += len(inserts)
        if updates:
            self.out.update([*_COMPARED, "version", "updated_at"], updates)
            self.report.updated += len(updates)
        return ids

    def finish(self) -> None:
        self.flush()
        # An override attaches to its series when the series is in the file; otherwise (an
        # invitation to one occurrence) it stands alone under its own uid.
        standalone: list[_Item] = []
        attached: list[_Item] = []
        override_uids: set[str] = set()
        if self.deferred:
            for item in _split_series(self.deferred, self.overrides, self.pid):
                self.batch.append(item)
            self.deferred = []
            self.flush()
        last: dict[tuple[str, str], _Item] = {}
        for item in self.overrides:  # a repeated override: the last one kept wins
            assert item.event.recurrence_id is not None
            if item.rid_day is not None and item.master_uid in self.all_day_series:
                # On an all-day series an occurrence is named by its date (issue 26).
                item.event = item.event.with_changes(recurrence_id=item.rid_day)
            last[(item.uid, recurrence_key(item.event.recurrence_id))] = item
        masters = self._masters_of(last.values())
        for item in last.values():
            assert item.master_uid is not None
            assert item.event.recurrence_id is not None
            key = recurrence_key(item.event.recurrence_id)
            item.uid = import_uid(f"{item.source_uid}#{key}", self.pid)
            master = masters.get(item.master_uid)
            if master is not None and _is_occurrence(item.event, master):
                continue  # an override that changes nothing is its occurrence (issue 26)
            override_uids.add(item.uid)
            if item.master_uid in self.series_ids:
                attached.append(item)
            else:
                item.event = item.event.with_changes(recurrence_id=None)
                item.master_uid = None
                standalone.append(item)
        self.overrides = []
        for part in (standalone, attached):
            for chunk in _chunks(part, _BATCH):
                self._write(list(chunk), self.series_ids if part is attached else None)
        # Occurrences of the file's series, and RDATE extras, no longer in the file.
        cols = _EV.c

        def in_file(uid: str) -> bool:
            return self.dedup.has(uid) or uid in override_uids

        stale: list[int] = []
        for chunk in _chunks(self.master_ids):
            for rid_, ruid in self.s.execute(
                select(cols.id, cols.uid).where(cols.series_id.in_(list(chunk)))
            ):
                if not in_file(ruid):
                    stale.append(rid_)
        if self.master_ids:
            for rid_, ruid in self.s.execute(
                select(cols.id, cols.uid).where(
                    cols.practitioner_id == self.pid, cols.uid.contains("#rdate-")
                )
            ):
                if not in_file(ruid) and self._rdate_of_file(ruid):
                    stale.append(rid_)
        self.out.delete(stale)
        self.report.removed = len(stale)

    def _rdate_of_file(self, stored_uid: str) -> bool:
        """Is ``stored_uid`` an RDATE extra (``<uid>#rdate-...``) of a uid in this file?"""
        at = stored_uid.find("#rdate-")
        while at != -1:
            if self.dedup.has(import_uid(stored_uid[:at], self.pid)):
                return True
            at = stored_uid.find("#rdate-", at + 1)
        return False
