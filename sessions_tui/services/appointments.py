"""Appointment use cases with recurrence scopes and undo.

Every change returns a :class:`Change` that :func:`undo` can reverse exactly: before a change the
affected rows (a series master with its overrides and deleted occurrences, or a one-off event)
are snapshotted; undo deletes what the change made and restores the snapshot, in one transaction.
The series rules are in :mod:`sessions_tui.domain.series`.

Every row is written through :mod:`sessions_tui.services.writer`, undo included: it is refused
when a colleague changed the rows since (naming who), when the restored times are booked
meanwhile and the practice forbids double booking, and when the actor may not change them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sessions_tui.domain import series as ser
from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.events import Event, Instant, Status, validate_event
from sessions_tui.domain.officehours import intervals_between, subtract
from sessions_tui.services import hours as hours_service
from sessions_tui.services import practice, scheduling
from sessions_tui.services.context import Context
from sessions_tui.services.google_settings import read_only_source
from sessions_tui.services.permissions import (
    require_edit_event,
    require_writable_source,
    require_writable_subscription,
)
from sessions_tui.services.subscriptions import subscription_of
from sessions_tui.services.writer import Restore, Source, Writer
from sessions_tui.services.writer_rules import StaleEdit as StaleEdit  # re-exported
from sessions_tui.services.writer_rules import clashes
from sessions_tui.services.writer_rules import differences as differences  # re-exported
from sessions_tui.store import queries
from sessions_tui.store.tables import EventRow, ExdateRow


class Scope(StrEnum):
    """Which occurrences of a series a change applies to."""

    THIS = "this"
    FOLLOWING = "following"
    ALL = "all"


@dataclass(frozen=True)
class OccurrenceRef:
    """An occurrence as the UI knows it: the row shown, and its original start in a series."""

    event_id: int
    recurrence_id: Instant | None = None


@dataclass(frozen=True)
class Change:
    """A stored change and what undoing it needs."""

    description: str
    plan: Restore
    """What the change touched, before and after (see :class:`Restore`)."""
    created_ids: tuple[int, ...] = ()
    """Rows the change made (a new event, a fork's new series, an override)."""
    result_id: int | None = None


# --- snapshots ------------------------------------------------------------------------------

_EVENT_COLS = [c.name for c in EventRow.__table__.columns]  # type: ignore[attr-defined]
_EVENTS = EventRow.__table__  # type: ignore[attr-defined]
_EXDATES = ExdateRow.__table__  # type: ignore[attr-defined]


def _family_ids(s: Session, master_ids: Iterable[int | None]) -> set[int]:
    ids = {i for i in master_ids if i is not None}
    if not ids:
        return set()
    children = s.execute(select(EventRow.id).where(EventRow.series_id.in_(ids))).scalars()  # type: ignore[union-attr]
    return ids | {c for c in children if c is not None}


@dataclass(frozen=True)
class _Snapshot:
    rows: dict[int, dict[str, Any]]
    exdates: dict[int, list[dict[str, Any]]]
    """By series id."""

    def keys(self, series_id: int) -> dict[str, int]:
        """A series' deleted occurrences: key → exdate row id."""
        return {x["recurrence_key"]: int(x["id"]) for x in self.exdates.get(series_id, [])}


def _snapshot(s: Session, ids: set[int]) -> _Snapshot:
    ids = _family_ids(s, ids)
    rows = s.execute(select(_EVENTS).where(_EVENTS.c.id.in_(ids))).mappings().all()
    exd = s.execute(select(_EXDATES).where(_EXDATES.c.series_id.in_(ids))).mappings().all()
    by_series: dict[int, list[dict[str, Any]]] = {}
    for x in exd:
        by_series.setdefault(int(x["series_id"]), []).append(dict(x))
    return _Snapshot({int(r["id"]): dict(r) for r in rows}, by_series)


def _record(
    s: Session,
    description: str,
    before: _Snapshot,
    *,
    result_id: int | None = None,
    created: Iterable[int] = (),
    writer: Writer | None = None,
) -> Change:
    """The change just written, as undo needs it; checks the booking rule over what it wrote.

    Compares the rows (and deleted occurrences) of the families involved before and after:
    a row whose version moved, or that came or went, is touched; so is a deleted occurrence
    that came or went. The booking rule is checked once here, over every row the change left
    (an override's neighbours in its own series included), not row by row on the way.
    """
    s.flush()
    after = _snapshot(s, set(before.rows) | set(created))
    touched = {
        i
        for i in set(before.rows) | set(after.rows)
        if i not in after.rows
        or i not in before.rows
        or after.rows[i]["version"] != before.rows[i]["version"]
    }
    if writer is not None:
        writer.check_booking(i for i in touched if i in after.rows)
    masters = {
        i
        for i in touched
        for r in (before.rows.get(i), after.rows.get(i))
        if r is not None and r["series_id"] is None and r["rrule"] is not None
    }
    added: list[tuple[int, str, int]] = []
    removed: list[tuple[int, str]] = []
    for series_id in (set(before.exdates) | set(after.exdates)) - masters:
        old, new = before.keys(series_id), after.keys(series_id)
        added += [(series_id, k, new[k]) for k in sorted(set(new) - set(old))]
        removed += [(series_id, k) for k in sorted(set(old) - set(new))]
    plan = Restore(
        before_events=tuple(before.rows[i] for i in sorted(touched) if i in before.rows),
        before_exdates=tuple(
            {k: v for k, v in x.items() if k != "id"}
            for m in sorted(masters)
            for x in before.exdates.get(m, [])
        ),
        expected={i: int(after.rows[i]["version"]) for i in sorted(touched) if i in after.rows},
        made_ids=tuple(sorted(i for i in touched if i not in before.rows)),
        after_children=tuple(
            (m, tuple(sorted(i for i, r in after.rows.items() if r["series_id"] == m)))
            for m in sorted(masters)
            if m in after.rows
        ),
        after_exdates=tuple(
            (m, tuple(sorted(after.keys(m).items()))) for m in sorted(masters) if m in after.rows
        ),
        added_exdates=tuple(added),
        removed_exdates=tuple(removed),
    )
    return Change(description, plan, tuple(created), result_id)


def undo(ctx: Context, change: Change) -> None:
    """Reverse ``change``: remove what it made, restore what it replaced.

    Any number of steps back: each undo expects the versions the change left, through the
    versions earlier undos gave the same rows (:data:`_RESTORED`).

    Raises:
        StaleEdit: a colleague changed (or deleted) what the change touched since, named;
            their change is kept.
        ConflictError: the restored time is booked meanwhile (double booking forbidden).
        PermissionDenied: the actor may not change the rows.
    """
    url = ctx.db.url
    plan = replace(
        change.plan,
        expected={i: _restored(url, i, v) for i, v in change.plan.expected.items()},
    )
    with ctx.db.session() as s:
        try:
            now = _writer(s, ctx, Source.UNDO).restore(plan)
        except StaleEdit as exc:
            raise StaleEdit(f"cannot undo {change.description}: {exc}", exc.current, []) from None
    for values in change.plan.before_events:
        event_id = int(values["id"])
        _RESTORED[(url, event_id, int(values["version"]))] = now[event_id]


_RESTORED: dict[tuple[str, int, int], int] = {}
"""(database, event id, version before a change) → the version its undo restored it under.

Undo gives restored rows new versions (so an editor holding the undone state is stale), yet the
change before it, undone next, expects the versions it left: :func:`_restored` follows this map
as far as it goes (create, cancel, undo, edit, undo, undo: the create's version was restored
twice). A version is never given twice to one row, so the chain cannot loop."""


def _restored(url: str, event_id: int, version: int) -> int:
    while (url, event_id, version) in _RESTORED:
        version = _RESTORED[(url, event_id, version)]
    return version


def _writer(s: Session, ctx: Context, source: Source = Source.LOCAL) -> Writer:
    return Writer.for_actor(s, ctx.clock, ctx.require_actor(), source)


# --- helpers --------------------------------------------------------------------------------


def _load(s: Session, event_id: int) -> tuple[EventRow, Event]:
    row = s.get(EventRow, event_id)
    if row is None:
        raise NotFoundError(f"no event with id {event_id}")
    keys = s.execute(select(ExdateRow.recurrence_key).where(ExdateRow.series_id == event_id))
    return row, queries.row_to_event(row, keys.scalars().all())


def _insert(
    s: Session, ctx: Context, event: Event, uid: str | None = None, ignore: Iterable[Any] = ()
) -> EventRow:
    return _writer(s, ctx).insert(event, uid=uid, ignore=ignore)


def _apply_changes(event: Event, changes: dict[str, Any]) -> Event:
    return replace(event, **changes)


def _resolve(
    s: Session, ref: OccurrenceRef
) -> tuple[EventRow, Event, EventRow | None, Event | None, Instant | None]:
    """(row, event, master_row, master, recurrence_id) for a reference."""
    row, event = _load(s, ref.event_id)
    if event.series_id is not None:
        mrow, master = _load(s, event.series_id)
        return row, event, mrow, master, event.recurrence_id
    if event.rrule is not None:
        if ref.recurrence_id is None:
            raise ValidationError("say which occurrence of the series (its original start)")
        if not ser.is_occurrence(event, ref.recurrence_id):
            raise NotFoundError("that time is not an occurrence of the series")
        override = s.execute(
            select(EventRow.id).where(
                EventRow.series_id == row.id,
                EventRow.recurrence_key == queries.recurrence_key(ref.recurrence_id),
            )
        ).scalar()
        if override is not None:
            # Changed on its own since the caller looked (by a colleague, or a sync): the
            # occurrence is that override now, not the series' own.
            orow, oevent = _load(s, override)
            return orow, oevent, row, event, ref.recurrence_id
        return row, event, row, event, ref.recurrence_id
    return row, event, None, None, None


# --- warnings -------------------------------------------------------------------------------


def warnings_for(ctx: Context, event: Event, *, ignore_ids: Sequence[int] = ()) -> list[str]:
    """Reasons to ask for confirmation (not refusals): overlaps with the practitioner's busy
    events, and time outside their office hours."""
    event = validate_event(event)
    out: list[str] = []
    if event.practitioner_id is None or event.all_day:
        return out
    with ctx.db.read() as s:
        for clash in clashes(s, event, ignore_ids, ctx.clock.now()):
            out.append(f"overlaps {clash}")
    oh = hours_service.get_hours(ctx, event.practitioner_id)
    if oh is not None and isinstance(event.start, datetime) and isinstance(event.end, datetime):
        inside = intervals_between(oh, event.start, event.end)
        if subtract([(event.start.astimezone(UTC), event.end.astimezone(UTC))], inside):
            out.append("is outside the practitioner's office hours")
    return out


# --- use cases ------------------------------------------------------------------------------


def create(ctx: Context, event: Event) -> Change:
    """Create an event or a series."""
    actor = ctx.require_actor()
    event = validate_event(event)
    require_edit_event(actor, event)
    scheduling._check_refs(ctx, event)
    with ctx.db.session() as s:
        row = _insert(s, ctx, event)
        assert row.id is not None
        return _record(s, "create", _Snapshot({}, {}), result_id=row.id, created=[row.id])


def duplicate(ctx: Context, ref: OccurrenceRef, start: Instant | None = None) -> Change:
    """Copy one occurrence as a new one-off event (at ``start`` if given)."""
    with ctx.db.session() as s:
        _row, event, _m, master, rid = _resolve(s, ref)
    base = event if master is None or event.series_id is not None else master
    occ_start = rid if (rid is not None and event.series_id is None) else base.start
    new_start = start if start is not None else occ_start
    copy = replace(
        base,
        id=None,
        uid=None,
        rrule=None,
        series_id=None,
        recurrence_id=None,
        exdates=frozenset(),
        start=new_start,
        end=new_start + base.duration,  # type: ignore[operator]
        sequence=0,
        version=1,
    )
    return create(ctx, copy)


def edit(
    ctx: Context,
    ref: OccurrenceRef,
    scope: Scope = Scope.ALL,
    *,
    expected: Event | None = None,
    verb: str = "edit",
    shift_all: bool = False,
    **changes: Any,
) -> Change:
    """Change an event; for a series, this occurrence, this and following, or all.

    ``verb`` names the change for the person (the undo list and its notices: "cancel this
    event").

    ``start``/``end`` in ``changes`` are the new times of the referenced occurrence.
    ``expected`` is the event as the editor loaded it: saving over a newer version is refused
    with :class:`StaleEdit` (pass ``None`` to overwrite on purpose).

    ``shift_all`` (a move): every occurrence in scope moves by the same time, those moved on
    their own before included. Without it (an edit setting the series' time), an occurrence
    moved on its own keeps its time, as Google Calendar does.
    """
    actor = ctx.require_actor()
    with ctx.db.session() as s:
        row, event, mrow, master, rid = _resolve(s, ref)
        require_edit_event(actor, event)
        require_writable_source(read_only_source(s, event))
        require_writable_subscription(subscription_of(s, event))
        w = _writer(s, ctx)
        if expected is not None and expected.id is not None and expected.id != row.id:
            # The occurrence the editor opened as part of its series has become an override
            # since (someone changed it on its own): that is a newer version too.
            assert row.id is not None
            w.check_version(row, -1)
        w.check_version(row, expected)
        if master is None:
            assert row.id is not None
            before = _snapshot(s, {row.id})
            w.update(row, _apply_changes(event, changes), book=False)
            return _record(s, verb, before, result_id=row.id, writer=w)
        assert mrow is not None
        assert mrow.id is not None
        assert rid is not None
        before = _snapshot(s, {mrow.id})
        if scope is Scope.THIS:
            result = _edit_this(s, w, row, event, master, rid, changes)
            made = [] if result == row.id else [result]
            return _record(
                s, f"{verb} this event", before, result_id=result, created=made, writer=w
            )
        if scope is Scope.FOLLOWING and ser.occurrence_starts_before(master, rid) > 0:
            created = _edit_following(s, w, mrow, master, rid, changes, shift_all=shift_all)
            return _record(
                s,
                f"{verb} this and following",
                before,
                result_id=created[0],
                created=created,
                writer=w,
            )
        _edit_all(s, w, mrow, master, rid, changes, shift_all=shift_all)
        return _record(s, f"{verb} all events", before, result_id=mrow.id, writer=w)


def _occurrence_event(master: Event, rid: Instant) -> Event:
    """The series' own version of one occurrence (before any override)."""
    end = rid + master.duration  # type: ignore[operator]
    return replace(
        master,
        id=None,
        uid=None,
        rrule=None,
        series_id=master.id,
        recurrence_id=rid,
        start=rid,
        end=end,
        exdates=frozenset(),
        sequence=0,
        version=1,
    )


def _edit_this(
    s: Session,
    w: Writer,
    row: EventRow,
    event: Event,
    master: Event,
    rid: Instant,
    changes: dict[str, Any],
) -> int:
    if event.series_id is not None:  # already an override
        w.update(row, _apply_changes(event, changes), book=False)
        assert row.id is not None
        return row.id
    base = _occurrence_event(master, rid)
    new = _apply_changes(base, changes)
    uid = f"{master.uid}#{queries.recurrence_key(rid)}"
    if s.execute(select(EventRow.id).where(EventRow.uid == uid)).first() is not None:
        # An override moved here by a change of the whole series keeps the uid of the time it
        # was made for: this occurrence's own override needs another.
        uid = f"{uid}#{uuid.uuid4().hex[:8]}"
    created = w.insert(new, uid=uid, book=False)
    assert created.id is not None
    return created.id


def _rekey_children(
    w: Writer,
    s: Session,
    master_id: int,
    master: Event,
    delta: timedelta,
    since: Instant | None,
    new_master_id: int | None = None,
    old_master: Event | None = None,
    new_master: Event | None = None,
    shift_all: bool = False,
) -> None:
    """Move overrides/exdates (from ``since`` on) to ``new_master_id`` and shift their keys."""
    children = s.execute(select(EventRow).where(EventRow.series_id == master_id)).scalars().all()
    for child in children:
        assert child.recurrence_key is not None
        rid = queries.parse_recurrence_key(child.recurrence_key)
        if since is not None and not ser._ge(rid, since):
            continue
        ev = queries.row_to_event(child)
        new_rid = ser.shift(master, rid, delta) if delta else rid
        if delta and shift_all:
            # A move shifts every occurrence in scope by the same time, wherever it stood.
            moved = ser.shift(master, ev.start, delta)
            ev = replace(ev, start=moved, end=moved + ev.duration)  # type: ignore[operator]
        elif delta and ser._same(ev.start, rid):
            # An override that kept the series' time follows the time change.
            ev = replace(ev, start=new_rid, end=new_rid + ev.duration)  # type: ignore[operator]
        ev = replace(ev, recurrence_id=new_rid, series_id=new_master_id or master_id)
        if old_master is not None and new_master is not None:
            ev = ser.inherit(ev, old_master, new_master)
        # The series' own check covered the family's times; an override is checked with it.
        w.update(child, ev, book=False)
    exd = s.execute(select(ExdateRow).where(ExdateRow.series_id == master_id)).scalars().all()
    for x in exd:
        rid = queries.parse_recurrence_key(x.recurrence_key)
        if since is not None and not ser._ge(rid, since):
            continue
        key = queries.recurrence_key(ser.shift(master, rid, delta) if delta else rid)
        w.move_exdate(x, key, new_master_id)


def _edit_all(
    s: Session,
    w: Writer,
    mrow: EventRow,
    master: Event,
    rid: Instant,
    changes: dict[str, Any],
    *,
    shift_all: bool = False,
) -> None:
    changes = dict(changes)
    delta = timedelta(0)
    if "start" in changes:
        delta = ser.wall_delta(master, rid, changes.pop("start"))
        new_len = None
        if "end" in changes:
            new_len = changes.pop("end") - ser.from_wall(master, ser.wall_of(master, rid) + delta)
        new_start = ser.shift(master, master.start, delta)
        changes["start"] = new_start
        changes["end"] = new_start + (new_len if new_len is not None else master.duration)  # type: ignore[operator]
    elif "end" in changes:
        new_len = changes.pop("end") - rid  # type: ignore[operator]
        changes["end"] = master.start + new_len  # type: ignore[operator]
    if delta and master.rrule and "rrule" not in changes:
        changes["rrule"] = _until_shifted(master.rrule, delta)
    new_master = validate_event(_apply_changes(master, changes))
    assert mrow.id is not None
    w.allow(new_master)
    _rekey_children(
        w,
        s,
        mrow.id,
        master,
        delta,
        None,
        old_master=master,
        new_master=new_master,
        shift_all=shift_all,
    )
    w.update(mrow, new_master, book=False)


def _until_shifted(rule: str, delta: timedelta) -> str:
    """``rule`` with its ``UNTIL`` moved by ``delta``: a series moved a day later ends a day
    later (left alone, a series cut by "this and following" and then moved later could end
    before it starts)."""
    p = ser.parts(rule)
    until = p.get("UNTIL")
    if until is None:
        return rule
    if "T" in until:
        at = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        p["UNTIL"] = (at + delta).strftime("%Y%m%dT%H%M%SZ")
    else:
        day = date(int(until[:4]), int(until[4:6]), int(until[6:8]))
        p["UNTIL"] = (day + timedelta(days=delta.days)).strftime("%Y%m%d")
    return ser.join(p)


def _edit_following(
    s: Session,
    w: Writer,
    mrow: EventRow,
    master: Event,
    rid: Instant,
    changes: dict[str, Any],
    *,
    shift_all: bool = False,
) -> list[int]:
    head = ser.ended_before(master, rid)
    tail = ser.starting_at(master, rid)
    assert head is not None
    assert mrow.id is not None
    changes = dict(changes)
    delta = timedelta(0)
    if "start" in changes:
        delta = ser.wall_delta(master, rid, changes["start"])
        if "end" not in changes:
            changes["end"] = changes["start"] + master.duration
    if delta and "rrule" not in changes:
        # The tail ends where the series ended, moved as far as its start: an UNTIL left alone
        # let a tail moved earlier gain an occurrence (or one moved later lose its last).
        changes["rrule"] = _until_shifted(tail.rrule or "", delta)
    # The tail's deleted occurrences are the series' own exdate rows, moved to it below (with
    # the overrides): copying them as well stored each twice (a UNIQUE violation).
    new_tail = validate_event(
        _apply_changes(
            replace(tail, source_calendar=master.source_calendar, exdates=frozenset()), changes
        )
    )
    w.allow(new_tail)
    w.update(mrow, head, book=False)  # ends earlier: frees time, books none
    created = w.insert(new_tail, book=False)
    assert created.id is not None
    _rekey_children(
        w,
        s,
        mrow.id,
        master,
        delta,
        rid,
        new_master_id=created.id,
        old_master=master,
        new_master=new_tail,
        shift_all=shift_all,
    )
    return [created.id]


def cancel(ctx: Context, ref: OccurrenceRef, scope: Scope = Scope.ALL) -> Change:
    """Cancel (kept and shown as cancelled)."""
    return edit(ctx, ref, scope, verb="cancel", status=Status.CANCELLED)


def remove(ctx: Context, ref: OccurrenceRef, scope: Scope = Scope.ALL) -> Change:
    """Delete an event, one occurrence, this and following, or a whole series."""
    actor = ctx.require_actor()
    with ctx.db.session() as s:
        row, event, mrow, master, rid = _resolve(s, ref)
        require_edit_event(actor, event)
        require_writable_source(read_only_source(s, event))
        require_writable_subscription(subscription_of(s, event))
        w = _writer(s, ctx)
        if master is None or mrow is None:
            assert row.id is not None
            before = _snapshot(s, {row.id})
            w.delete(row)
            return _record(s, "delete", before)
        assert mrow.id is not None
        assert rid is not None
        before = _snapshot(s, {mrow.id})
        if scope is Scope.THIS:
            override = row if event.series_id is not None else None
            w.delete_occurrence(mrow.id, queries.recurrence_key(rid), override)
            return _record(s, "delete this event", before)
        if scope is Scope.FOLLOWING:
            head = ser.ended_before(master, rid)
            if head is not None:
                for child in s.execute(
                    select(EventRow).where(EventRow.series_id == mrow.id)
                ).scalars():
                    assert child.recurrence_key is not None
                    if ser._ge(queries.parse_recurrence_key(child.recurrence_key), rid):
                        w.delete(child, exdate=False)
                for x in s.execute(
                    select(ExdateRow).where(ExdateRow.series_id == mrow.id)
                ).scalars():
                    if ser._ge(queries.parse_recurrence_key(x.recurrence_key), rid):
                        w.drop_exdate(x)
                s.flush()
                w.update(mrow, head, book=False)
                return _record(s, "delete this and following", before)
        w.delete_series(mrow)
        return _record(s, "delete all events", before)


def move(ctx: Context, ref: OccurrenceRef, delta: timedelta, scope: Scope = Scope.THIS) -> Change:
    """Shift an occurrence (or the scope) by ``delta`` (a slot, a day)."""
    with ctx.db.session() as s:
        _row, event, _mrow, master, rid = _resolve(s, ref)
    if master is not None and (event.series_id is None or scope is not Scope.THIS):
        # A series' occurrence, or the scope of a series from an override: the series' slot
        # moves by ``delta``, and every occurrence in scope with it (shift_all).
        assert rid is not None
        start = rid
        end = rid + master.duration  # type: ignore[operator]
    else:
        start, end = event.start, event.end
    if event.all_day:
        delta = timedelta(days=delta.days)
    return edit(
        ctx,
        ref,
        scope,
        verb="move",
        shift_all=True,
        start=start + delta,  # type: ignore[operator]
        end=end + delta,  # type: ignore[operator]
    )


def practitioner_default_minutes(ctx: Context, practitioner_id: int) -> int:
    for p in practice.list_staff(ctx):
        if p.id == practitioner_id:
            return p.default_session_minutes
    raise NotFoundError(f"no practitioner with id {practitioner_id}")
