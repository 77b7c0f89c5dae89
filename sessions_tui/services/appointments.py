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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
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
from sessions_tui.services.writer import Source, Writer
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
    before_events: tuple[dict[str, Any], ...]
    before_exdates: tuple[dict[str, Any], ...]
    family_ids: tuple[int, ...]
    created_ids: tuple[int, ...]
    result_id: int | None = None
    after_versions: tuple[tuple[int, int], ...] = ()
    """(id, version) of every row the change left: undo refuses if any of them moved on."""


# --- snapshots ------------------------------------------------------------------------------

_EVENT_COLS = [c.name for c in EventRow.__table__.columns]  # type: ignore[attr-defined]


def _family_ids(s: Session, master_ids: Iterable[int]) -> set[int]:
    ids = {i for i in master_ids if i is not None}
    if not ids:
        return set()
    children = s.execute(select(EventRow.id).where(EventRow.series_id.in_(ids))).scalars()  # type: ignore[union-attr]
    return ids | {c for c in children if c is not None}


def _snapshot(
    s: Session, ids: set[int]
) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    table = EventRow.__table__  # type: ignore[attr-defined]
    rows = s.execute(select(table).where(table.c.id.in_(ids))).mappings().all()
    ex_table = ExdateRow.__table__  # type: ignore[attr-defined]
    exd = s.execute(select(ex_table).where(ex_table.c.series_id.in_(ids))).mappings().all()
    return tuple(dict(r) for r in rows), tuple(dict(r) for r in exd)


def undo(ctx: Context, change: Change) -> None:
    """Reverse ``change``: remove what it made, restore what it replaced.

    Raises:
        StaleEdit: a colleague changed (or deleted) the rows since; their change is kept.
        ConflictError: the restored time is booked meanwhile (double booking forbidden).
        PermissionDenied: the actor may not change the rows.
    """
    with ctx.db.session() as s:
        ids = set(change.family_ids) | set(change.created_ids)
        ids |= _family_ids(s, ids)
        url = ctx.db.url
        expected = {i: _RESTORED.get((url, i, v), v) for i, v in change.after_versions}
        try:
            now = _writer(s, ctx, Source.UNDO).restore(
                ids, expected, change.before_events, change.before_exdates
            )
        except StaleEdit as exc:
            raise StaleEdit(f"cannot undo {change.description}: {exc}", exc.current, []) from None
        for values in change.before_events:
            _RESTORED[(url, int(values["id"]), int(values["version"]))] = now[int(values["id"])]


_RESTORED: dict[tuple[str, int, int], int] = {}
"""(database, event id, version before a change) → the version its undo restored it under.

Undo gives restored rows new versions (so an editor holding the undone state is stale), yet the
change before it, undone next, expects the versions it left: this maps one to the other."""


def _writer(s: Session, ctx: Context, source: Source = Source.LOCAL) -> Writer:
    return Writer.for_actor(s, ctx.clock, ctx.require_actor(), source)


def _done(s: Session, change: Change) -> Change:
    """``change`` with the versions its rows now have (what undo expects to find)."""
    s.flush()
    ids = set(change.family_ids) | set(change.created_ids)
    ids |= _family_ids(s, ids)
    rows = s.execute(select(EventRow.id, EventRow.version).where(EventRow.id.in_(ids))).all()  # type: ignore[union-attr]
    return replace(change, after_versions=tuple(sorted((int(a), int(b)) for a, b in rows)))


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


def _save(
    s: Session, ctx: Context, row: EventRow, event: Event, ignore: Iterable[Any] = ()
) -> None:
    _writer(s, ctx).update(row, event, ignore=ignore)


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
        return _done(s, Change("create", (), (), (), (row.id,), row.id))


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
    **changes: Any,
) -> Change:
    """Change an event; for a series, this occurrence, this and following, or all.

    ``verb`` names the change for the person (the undo list and its notices: "cancel this
    event").

    ``start``/``end`` in ``changes`` are the new times of the referenced occurrence.
    ``expected`` is the event as the editor loaded it: saving over a newer version is refused
    with :class:`StaleEdit` (pass ``None`` to overwrite on purpose).
    """
    actor = ctx.require_actor()
    with ctx.db.session() as s:
        row, event, mrow, master, rid = _resolve(s, ref)
        require_edit_event(actor, event)
        require_writable_source(read_only_source(s, event))
        require_writable_subscription(subscription_of(s, event))
        _writer(s, ctx).check_version(row, expected)
        if master is None:
            family = {row.id} if row.id is not None else set()
            before = _snapshot(s, family)  # type: ignore[arg-type]
            _save(s, ctx, row, _apply_changes(event, changes))
            return _done(s, Change(verb, *before, tuple(family), (), row.id))  # type: ignore[arg-type]
        assert mrow is not None
        assert mrow.id is not None
        assert rid is not None
        family = _family_ids(s, [mrow.id])
        before = _snapshot(s, family)
        if scope is Scope.THIS:
            result = _edit_this(s, ctx, row, event, master, rid, changes)
            return _done(s, Change(f"{verb} this event", *before, tuple(family), (), result))
        if scope is Scope.FOLLOWING and ser.occurrence_starts_before(master, rid) > 0:
            created = _edit_following(s, ctx, mrow, master, rid, changes)
            return _done(
                s,
                Change(
                    f"{verb} this and following", *before, tuple(family), tuple(created), created[0]
                ),
            )
        _edit_all(s, ctx, mrow, master, rid, changes)
        return _done(s, Change(f"{verb} all events", *before, tuple(family), (), mrow.id))


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
    ctx: Context,
    row: EventRow,
    event: Event,
    master: Event,
    rid: Instant,
    changes: dict[str, Any],
) -> int:
    if event.series_id is not None:  # already an override
        _save(s, ctx, row, _apply_changes(event, changes), ignore={master.id})
        assert row.id is not None
        return row.id
    base = _occurrence_event(master, rid)
    new = _apply_changes(base, changes)
    created = _insert(
        s, ctx, new, uid=f"{master.uid}#{queries.recurrence_key(rid)}", ignore={master.id}
    )
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
        if delta and ser._same(ev.start, rid):
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
    s: Session, ctx: Context, mrow: EventRow, master: Event, rid: Instant, changes: dict[str, Any]
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
    new_master = validate_event(_apply_changes(master, changes))
    assert mrow.id is not None
    w = _writer(s, ctx)
    family = _family_ids(s, [mrow.id])
    w.allow(new_master)
    _rekey_children(w, s, mrow.id, master, delta, None, old_master=master, new_master=new_master)
    w.update(mrow, new_master, ignore=family)


def _edit_following(
    s: Session, ctx: Context, mrow: EventRow, master: Event, rid: Instant, changes: dict[str, Any]
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
    new_tail = validate_event(
        _apply_changes(replace(tail, source_calendar=master.source_calendar), changes)
    )
    w = _writer(s, ctx)
    family = _family_ids(s, [mrow.id])
    w.allow(new_tail)
    w.update(mrow, head, book=False)  # ends earlier: frees time, books none
    created = w.insert(new_tail, ignore=family)
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
            return _done(s, Change("delete", *before, (row.id,), ()))
        assert mrow.id is not None
        assert rid is not None
        family = _family_ids(s, [mrow.id])
        before = _snapshot(s, family)
        if scope is Scope.THIS:
            override = row if event.series_id is not None else None
            w.delete_occurrence(mrow.id, queries.recurrence_key(rid), override)
            return _done(s, Change("delete this event", *before, tuple(family), ()))
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
                return _done(s, Change("delete this and following", *before, tuple(family), ()))
        w.delete_series(mrow)
        return _done(s, Change("delete all events", *before, tuple(family), ()))


def move(ctx: Context, ref: OccurrenceRef, delta: timedelta, scope: Scope = Scope.THIS) -> Change:
    """Shift an occurrence (or the scope) by ``delta`` (a slot, a day)."""
    with ctx.db.session() as s:
        _row, event, _mrow, master, rid = _resolve(s, ref)
    if master is not None and event.series_id is None:
        assert rid is not None
        start = rid
        end = rid + master.duration  # type: ignore[operator]
    else:
        start, end = event.start, event.end
    if event.all_day:
        days = timedelta(days=delta.days)
        return edit(ctx, ref, scope, start=start + days, end=end + days)  # type: ignore[operator]
    return edit(ctx, ref, scope, start=start + delta, end=end + delta)  # type: ignore[operator]


def practitioner_default_minutes(ctx: Context, practitioner_id: int) -> int:
    for p in practice.list_staff(ctx):
        if p.id == practitioner_id:
            return p.default_session_minutes
    raise NotFoundError(f"no practitioner with id {practitioner_id}")
