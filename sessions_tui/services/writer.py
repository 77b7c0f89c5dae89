"""The one writer of ``event`` and ``exdate`` rows.

Every change to the schedule, whatever its source (a local edit, undo, a sync provider, an ICS
import, the demo, the repair command), goes through a :class:`Writer` bound to the caller's
session, so it is applied in the caller's transaction with the same rules:

- **permission** of the acting user (:mod:`sessions_tui.services.permissions`); a sync or an
  import acts for one practitioner and may write only that practitioner's events;
- **version**: a write that names the version it read is refused when the row moved on, naming
  who changed what (:class:`StaleEdit`);
- **validation** of the domain event (:func:`validate_event`);
- **the booking rule** when the practice forbids double booking, over the whole series
  (:mod:`sessions_tui.services.writer_rules` documents the horizon of a series with no end).
  Events a sync or import brings in that are not client sessions (a Google meeting, an imported
  busy block) are facts about the practitioner's time, not bookings: they are not refused;
- **protected occurrences**: a client session with completed notes, or cancelled, is never
  deleted by a sync, whichever shape the delete takes (the event, an exdate of its occurrence,
  or its whole series: the protected occurrences are kept as one-off events);
- **audit**: the database's triggers record each row change under the actor set here.

Its bulk path for imports is :mod:`sessions_tui.services.writer_batch`; the rules live in
:mod:`sessions_tui.services.writer_rules`. A test (``tests/unit/test_one_writer.py``) walks the
package and fails if any other module writes these tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from sessions_tui.clock import Clock
from sessions_tui.domain.errors import NotFoundError
from sessions_tui.domain.events import Event, validate_event
from sessions_tui.domain.model import Staff
from sessions_tui.services.permissions import require_edit_event, require_sync_write
from sessions_tui.services.writer_batch import Batch, row_values
from sessions_tui.services.writer_rules import (
    StaleEdit,
    differences,
    is_protected,
    require_free,
    who_changed,
)
from sessions_tui.store import queries
from sessions_tui.store.tables import EventRow, ExdateRow
from sessions_tui.store.write_guard import writer_method

__all__ = ["Batch", "Restore", "Source", "StaleEdit", "Writer", "row_values"]

EVENTS: Any = EventRow.__table__  # type: ignore[attr-defined]
EXDATES: Any = ExdateRow.__table__  # type: ignore[attr-defined]
_CHUNK = 500


class Source(StrEnum):
    """Where a change comes from; decides which rules bend (see the module docstring)."""

    LOCAL = "local"
    UNDO = "undo"
    SYNC = "sync"
    IMPORT = "import"
    DEMO = "demo"
    REPAIR = "repair"
    CLIENT = "client"
    """A client answering a reminder's link (confirm or cancel one occurrence)."""

    @property
    def external(self) -> bool:
        return self in (Source.SYNC, Source.IMPORT)


def new_uid() -> str:
    return f"{uuid.uuid4()}@sessions-tui"


def load(s: Session, event_id: int) -> tuple[EventRow, Event]:
    """A stored row and its domain event (with the series' deleted occurrences)."""
    row = s.get(EventRow, event_id)
    if row is None:
        raise NotFoundError(f"no event with id {event_id}")
    keys = s.execute(select(EXDATES.c.recurrence_key).where(EXDATES.c.series_id == event_id))
    return row, queries.row_to_event(row, keys.scalars().all())


@dataclass
class Writer:
    """Writes event and exdate rows in ``s``'s transaction, applying the rules.

    Make one with :meth:`for_actor` (a member of staff) or :meth:`for_sync` (a provider or an
    import acting for one practitioner).
    """

    s: Session
    clock: Clock
    actor: Staff | None
    source: Source = Source.LOCAL
    practitioner_id: int | None = None
    """For :attr:`Source.SYNC`/:attr:`Source.IMPORT`: whose calendar is written."""
    detached: list[int] = field(default_factory=list)
    """Ids of protected occurrences a sync's whole-series delete kept as one-off events."""

    @classmethod
    def for_actor(
        cls, s: Session, clock: Clock, actor: Staff, source: Source = Source.LOCAL
    ) -> Writer:
        writer = cls(s, clock, actor, source)
        writer._set_audit_actor(actor.login)
        return writer

    @classmethod
    def for_sync(
        cls, s: Session, clock: Clock, practitioner_id: int, source: Source = Source.SYNC
    ) -> Writer:
        return cls(s, clock, None, source, practitioner_id)

    @classmethod
    def for_client(cls, s: Session, clock: Clock, practitioner_id: int) -> Writer:
        """A client's answer to a reminder: writes one occurrence of ``practitioner_id``'s
        (the permission rule of a sync: that practitioner's events only)."""
        return cls(s, clock, None, Source.CLIENT, practitioner_id)

    def _set_audit_actor(self, login: str) -> None:
        # The engine's begin hook names the actor of the handle that opened the session; say
        # it again here, so the audit log names who acts even if the handle had no actor.
        if self.s.get_bind().dialect.name == "postgresql":
            self.s.execute(text("SELECT set_config('sessions_tui.actor', :a, true)"), {"a": login})

    # --- the rules ---------------------------------------------------------------------

    def allow(self, event: Event) -> None:
        """Permission: refuse (``PermissionDenied``) a write the actor may not make."""
        if self.actor is not None:
            require_edit_event(self.actor, event)
        else:
            assert self.practitioner_id is not None
            require_sync_write(self.practitioner_id, event)

    def _book(self, event: Event, ignore: Iterable[int | None]) -> None:
        if self.source.external and not event.is_session:
            return
        require_free(self.s, event, (i for i in ignore if i is not None), self.clock.now())

    @property
    def _me(self) -> str | None:
        return self.actor.login if self.actor is not None else None

    def check_version(
        self,
        row: EventRow,
        expected: Event | int | None,
        *,
        besides: str | None = None,
        undoing: bool = False,
    ) -> None:
        """Refuse writing over a newer version than the one the caller read (naming who
        changed it: the newest change, or the newest by anyone but ``besides``). An editor is
        told to reload or save again; an undo (``undoing``) that nothing was undone."""
        if expected is None:
            return
        version = expected if isinstance(expected, int) else expected.version
        if version == row.version:
            return
        assert row.id is not None
        current = queries.row_to_event(row)
        diffs = differences(expected, current) if isinstance(expected, Event) else []
        what = "; ".join(diffs) if diffs else "no visible fields"
        who = who_changed(self.s, row.id, besides=besides)
        if undoing:
            raise StaleEdit(f"{who} changed this event since; nothing undone", current, diffs)
        raise StaleEdit(
            f"{who} changed this event since you opened it ({what}): "
            "reload it, or save again to overwrite",
            current,
            diffs,
        )

    # --- rows --------------------------------------------------------------------------

    @writer_method
    def insert(
        self,
        event: Event,
        *,
        uid: str | None = None,
        ignore: Iterable[int | None] = (),
        book: bool = True,
    ) -> EventRow:
        """Store a new event (or series, or override) with its deleted occurrences."""
        event = validate_event(event)
        self.allow(event)
        if book:
            self._book(event, ignore)
        now = self.clock.now()
        row = queries.fill_row(
            EventRow(
                uid=uid or event.uid or new_uid(),
                created_at=now,
                updated_at=now,
                kind=event.kind.value,
                tzid=event.tzid,
                start_utc=now,
                end_utc=now,
            ),
            event,
        )
        self.s.add(row)
        self.s.flush()
        assert row.id is not None
        for ex in event.exdates:
            self.s.add(ExdateRow(series_id=row.id, recurrence_key=queries.recurrence_key(ex)))
        self.s.flush()
        return row

    @writer_method
    def update(
        self,
        row: EventRow,
        event: Event,
        *,
        expected: Event | int | None = None,
        ignore: Iterable[int | None] = (),
        book: bool = True,
        add_exdates: bool = False,
    ) -> None:
        """Change a stored row to ``event`` (the actor must be allowed the old and the new)."""
        self.check_version(row, expected)
        self.allow(queries.row_to_event(row))
        event = validate_event(event)
        self.allow(event)
        if book:
            # The booking rule leaves out the event itself and what it stands for, nothing
            # more: its own series' other occurrences count (writer_rules._is_itself).
            self._book(replace(event, id=row.id), ignore)
        queries.fill_row(row, event)
        row.version += 1
        row.sequence += 1
        row.updated_at = self.clock.now()
        if add_exdates:
            have = set(
                self.s.execute(
                    select(EXDATES.c.recurrence_key).where(EXDATES.c.series_id == row.id)
                ).scalars()
            )
            for x in event.exdates:
                key = queries.recurrence_key(x)
                if key not in have:
                    self.s.add(ExdateRow(series_id=row.id, recurrence_key=key))  # type: ignore[arg-type]
        self.s.flush()

    @writer_method
    def touch(self, row: EventRow) -> None:
        """Mark a row changed now (a provider noting a change of its deleted occurrences)."""
        row.updated_at = self.clock.now()

    @writer_method
    def delete(
        self, row: EventRow, *, expected: Event | int | None = None, exdate: bool = True
    ) -> bool:
        """Delete one row: a one-off, an override (its occurrence then gone, unless ``exdate``
        is false: the series ends before it), or a series with everything of it.

        Returns ``False`` when a sync's delete of a protected session was refused."""
        if row.rrule is not None and row.series_id is None:
            self.delete_series(row, expected=expected)
            return True
        self.check_version(row, expected)
        ev = queries.row_to_event(row)
        self.allow(ev)
        if self.source.external and is_protected(ev):
            return False
        if exdate and row.series_id is not None and row.recurrence_key:
            return self.delete_occurrence(row.series_id, row.recurrence_key, row)
        self.s.delete(row)
        self.s.flush()
        return True

    @writer_method
    def delete_occurrence(self, master_id: int, key: str, override: EventRow | None) -> bool:
        """Delete one occurrence of a series: its override (if any) and an exdate for it."""
        master = self.s.get(EventRow, master_id)
        if master is None:
            raise NotFoundError(f"no event with id {master_id}")
        self.allow(queries.row_to_event(master))
        if override is not None:
            oev = queries.row_to_event(override)
            self.allow(oev)
            if self.source.external and is_protected(oev):
                return False
            self.s.delete(override)
            self.s.flush()
        elif self.source.external and is_protected(queries.row_to_event(master)):
            return False
        exists = self.s.execute(
            select(EXDATES.c.id).where(
                EXDATES.c.series_id == master_id, EXDATES.c.recurrence_key == key
            )
        ).first()
        if exists is None:
            self.s.add(ExdateRow(series_id=master_id, recurrence_key=key))
        master.updated_at = self.clock.now()
        self.s.flush()
        return True

    @writer_method
    def delete_series(self, mrow: EventRow, *, expected: Event | int | None = None) -> None:
        """Delete a series with its overrides and exdates.

        From a sync, the protected occurrences stay: each override that is a protected session
        becomes a one-off event under a new uid (listed in :attr:`detached`), so the next push
        brings it back to the provider. A series that is itself protected (cancelled, or
        every occurrence's notes completed) is not deleted by a sync at all.
        """
        assert mrow.id is not None
        self.check_version(mrow, expected)
        master = queries.row_to_event(mrow)
        self.allow(master)
        if self.source.external and is_protected(master):
            return
        children = self.s.execute(select(EventRow).where(EventRow.series_id == mrow.id)).scalars()
        for child in list(children):
            ev = queries.row_to_event(child)
            self.allow(ev)
            if self.source.external and is_protected(ev):
                queries.fill_row(child, ev.with_changes(series_id=None, recurrence_id=None))
                child.uid = new_uid()
                child.version += 1
                child.sequence += 1
                child.updated_at = self.clock.now()
                assert child.id is not None
                self.detached.append(child.id)
            else:
                self.s.delete(child)
        self.s.flush()
        self.s.execute(delete(EXDATES).where(EXDATES.c.series_id == mrow.id))
        self.s.delete(mrow)
        self.s.flush()

    @writer_method
    def move_exdate(self, x: ExdateRow, key: str, series_id: int | None = None) -> None:
        """Re-key a deleted occurrence (its series moved in time, or was split)."""
        x.recurrence_key = key
        if series_id is not None:
            x.series_id = series_id

    @writer_method
    def drop_exdate(self, x: ExdateRow) -> None:
        self.s.delete(x)

    # --- undo ----------------------------------------------------------------------------

    def check_booking(self, ids: Iterable[int]) -> None:
        """The booking rule over rows as now stored (a change of several rows, checked once
        all of them are written: a fork, a whole series, an undo)."""
        for event_id in sorted(set(ids)):
            try:
                _row, event = load(self.s, event_id)
            except NotFoundError:  # deleted by the change: nothing of it to book
                continue
            self._book(event, ())

    @writer_method
    def restore(self, plan: Restore) -> dict[int, int]:
        """Undo: put back what one change did (:class:`Restore` says what it touched).

        Refused, naming who, when anything the change touched moved on since: a row it
        changed, made or deleted is not at the version it left (``plan.expected``: the
        versions after the change, through the versions of later undos of the same rows); a
        series it changed has other overrides or deleted occurrences than it left; a deleted
        occurrence it added is gone, or one it removed is back. Refused when the actor may not
        change the rows, and when the restored times are booked meanwhile (the booking rule).
        Nothing else is written: a colleague's change to other occurrences of the same series
        stays. Restored rows get new versions (an editor holding the undone state is stale);
        returns them by id.
        """
        rows = {
            r.id: r
            for r in self.s.execute(
                select(EventRow).where(EventRow.id.in_(plan.touched_ids()))  # type: ignore[union-attr]
            ).scalars()
        }
        for event_id, version in sorted(plan.expected.items()):
            row = rows.get(event_id)
            if row is None:
                who = who_changed(self.s, event_id, besides=self._me)
                raise StaleEdit(
                    f"{who} deleted this event since; nothing undone",
                    None,
                    [],
                )
            self.check_version(row, version, besides=self._me, undoing=True)
        for master_id, children in plan.after_children:
            now_children = set(
                self.s.execute(select(EventRow.id).where(EventRow.series_id == master_id)).scalars()
            )
            if now_children != set(children):
                made = sorted(i for i in now_children - set(children) if i is not None)
                who = who_changed(self.s, made[0] if made else master_id, besides=self._me)
                raise StaleEdit(f"{who} changed an occurrence of this series since", None, [])
        for master_id, pairs in plan.after_exdates:
            then = dict(pairs)
            now_ex = self._exdates(master_id)
            if set(now_ex) != set(then):
                gone = [then[k] for k in sorted(set(then) - set(now_ex))]
                came = [now_ex[k] for k in sorted(set(now_ex) - set(then))]
                who = who_changed(self.s, (came or gone)[0], "exdate", self._me)
                raise StaleEdit(
                    f"{who} deleted or restored an occurrence of this series since", None, []
                )
        for master_id, key, exdate_id in plan.added_exdates:
            if key not in self._exdates(master_id):
                who = who_changed(self.s, exdate_id, "exdate", self._me)
                raise StaleEdit(f"{who} changed this series since", None, [])
        for master_id, key in plan.removed_exdates:
            back = self._exdates(master_id).get(key)
            if back is not None:
                who = who_changed(self.s, back, "exdate", self._me)
                raise StaleEdit(f"{who} changed this series since", None, [])
        for row in rows.values():
            self.allow(queries.row_to_event(row))
        before = {int(v["id"]): dict(v) for v in plan.before_events}
        for values in before.values():
            self.allow(_event_of(values))
        self._apply_restore(plan, rows, before)
        # What comes back is checked: the restored rows, and a series whose deleted occurrence
        # comes back (its time may be booked meanwhile).
        self.check_booking({*before, *(m for m, _k, _i in plan.added_exdates)})
        return {i: int(before[i]["version"]) for i in before}

    def _exdates(self, master_id: int) -> dict[str, int]:
        """A series' deleted occurrences: key → exdate row id."""
        found = self.s.execute(
            select(EXDATES.c.recurrence_key, EXDATES.c.id).where(EXDATES.c.series_id == master_id)
        )
        return {str(k): int(i) for k, i in found}

    def _apply_restore(
        self, plan: Restore, rows: dict[int | None, EventRow], before: dict[int, dict[str, Any]]
    ) -> None:
        now = self.clock.now()
        for values in before.values():
            current = rows.get(int(values["id"]))
            values["version"] = max(values["version"], current.version if current else 0) + 1
            values["updated_at"] = now
        masters_first = sorted(before.values(), key=lambda v: v["series_id"] is not None)
        for values in masters_first:  # the rows it deleted come back; masters before overrides
            if values["id"] not in rows:
                self.s.execute(insert(EVENTS), [values])
        for values in masters_first:  # the rows it changed are put back as they were
            if values["id"] in rows:
                self.s.execute(
                    EVENTS.update()
                    .where(EVENTS.c.id == values["id"])
                    .values({k: v for k, v in values.items() if k != "id"})
                )
        made = [i for i in rows if i is not None and i not in before]
        masters = {m for m, _ in plan.after_exdates} | set(made)
        if masters:
            self.s.execute(delete(EXDATES).where(EXDATES.c.series_id.in_(masters)))
        if made:  # what it made goes: overrides before their series
            self.s.execute(
                delete(EVENTS).where(EVENTS.c.id.in_(made), EVENTS.c.series_id.is_not(None))
            )
            self.s.execute(delete(EVENTS).where(EVENTS.c.id.in_(made)))
        if plan.before_exdates:
            self.s.execute(insert(EXDATES), [dict(x) for x in plan.before_exdates])
        for master_id, key, _exdate_id in plan.added_exdates:
            self.s.execute(
                delete(EXDATES).where(
                    EXDATES.c.series_id == master_id, EXDATES.c.recurrence_key == key
                )
            )
        if plan.removed_exdates:
            self.s.execute(
                insert(EXDATES),
                [{"series_id": m, "recurrence_key": k} for m, k in plan.removed_exdates],
            )
        self.s.flush()
        self.s.expire_all()

    def batch(self) -> Batch:
        """Bulk writes for a large import (plain executemany), under the same permission."""
        assert self.practitioner_id is not None
        return Batch(self.s, self.practitioner_id)


@dataclass(frozen=True)
class Restore:
    """What undoing one change needs: what it touched, as it was and as it left it.

    A change *touches* the rows it made, deleted or changed (their version moved), and the
    deleted occurrences it added or removed. Undo puts back only these, and only while they
    are as the change left them (:meth:`Writer.restore`).
    """

    before_events: tuple[dict[str, Any], ...]
    """Rows the change changed or deleted, as they were before it."""
    before_exdates: tuple[dict[str, Any], ...]
    """The deleted occurrences of the series it changed (in ``after_exdates``), as before."""
    expected: dict[int, int]
    """Rows it changed or made: the version each must still have (id → version)."""
    made_ids: tuple[int, ...] = ()
    after_children: tuple[tuple[int, tuple[int, ...]], ...] = ()
    """For each series it changed or made: the ids of its overrides as the change left them."""
    after_exdates: tuple[tuple[int, tuple[tuple[str, int], ...]], ...] = ()
    """For each series it changed or made: its deleted occurrences as the change left them
    (key, exdate row id: the audit log names who changed a row by its id)."""
    added_exdates: tuple[tuple[int, str, int], ...] = ()
    """Occurrences it deleted of a series it did not otherwise change (series id, key, row)."""
    removed_exdates: tuple[tuple[int, str], ...] = ()

    def touched_ids(self) -> set[int]:
        """Every row id the change touched (changed, made or deleted)."""
        return {int(v["id"]) for v in self.before_events} | set(self.expected) | set(self.made_ids)


def _event_of(values: dict[str, Any]) -> Event:
    return queries.row_to_event(cast(EventRow, SimpleNamespace(**values)))
