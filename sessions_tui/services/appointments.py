"""Appointment use cases with recurrence scopes and undo.

Every change returns a :class:`Change` that :func:`undo` can reverse exactly: before a change the
affected rows (a series master with its overrides and deleted occurrences, or a one-off event)
are snapshotted; undo deletes what the change made and restores the snapshot, in one transaction.
The series rules are in :mod:`sessions_tui.domain.series`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from sessions_tui.domain import series as ser
from sessions_tui.domain.errors import ConflictError, NotFoundError, ValidationError
from sessions_tui.domain.events import Event, Instant, Status, validate_event
from sessions_tui.domain.officehours import intervals_between, subtract
from sessions_tui.domain.recurrence import occurrences
from sessions_tui.domain.timeutil import zone
from sessions_tui.services import hours as hours_service
from sessions_tui.services import practice, scheduling
from sessions_tui.services.context import Context
from sessions_tui.services.google_settings import read_only_source
from sessions_tui.services.permissions import require_edit_event, require_writable_source
from sessions_tui.store import queries
from sessions_tui.store.tables import EventRow, ExdateRow, PracticeRow


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
    """Reverse ``change``: remove what it made, restore what it replaced."""
    ctx.require_actor()
    table = EventRow.__table__  # type: ignore[attr-defined]
    ex_table = ExdateRow.__table__  # type: ignore[attr-defined]
    with ctx.db.session() as s:
        ids = set(change.family_ids) | set(change.created_ids)
        ids |= _family_ids(s, ids)
        s.execute(delete(ex_table).where(ex_table.c.series_id.in_(ids)))
        s.execute(delete(table).where(table.c.id.in_(ids), table.c.series_id.is_not(None)))
        s.execute(delete(table).where(table.c.id.in_(ids)))
        masters = [r for r in change.before_events if r["series_id"] is None]
        children = [r for r in change.before_events if r["series_id"] is not None]
        for group in (masters, children):
            if group:
                s.execute(insert(table), list(group))
        if change.before_exdates:
            s.execute(insert(ex_table), list(change.before_exdates))


# --- helpers --------------------------------------------------------------------------------


def _load(s: Session, event_id: int) -> tuple[EventRow, Event]:
    row = s.get(EventRow, event_id)
    if row is None:
        raise NotFoundError(f"no event with id {event_id}")
    keys = s.execute(select(ExdateRow.recurrence_key).where(ExdateRow.series_id == event_id))
    return row, queries.row_to_event(row, keys.scalars().all())


def _insert(s: Session, ctx: Context, event: Event, uid: str | None = None) -> EventRow:
    return scheduling.insert_event_row(s, ctx, event, uid)


def _save(s: Session, ctx: Context, row: EventRow, event: Event) -> None:
    queries.fill_row(row, event)
    row.version += 1
    row.sequence += 1
    row.updated_at = ctx.clock.now()


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


def _check_booking(ctx: Context, s: Session, event: Event, ignore_ids: set[int]) -> None:
    """Refuse double booking when the practice forbids it (inside the same transaction)."""
    if event.practitioner_id is None or not event.busy or event.status is Status.CANCELLED:
        return
    settings = queries.settings_from_row(s.get(PracticeRow, 1))
    if settings.allow_double_booking:
        return
    if s.get_bind().dialect.name == "postgresql":
        # Two schedulers booking the same practitioner at once: the second waits here until
        # the first commits, then sees its booking. (SQLite's BEGIN IMMEDIATE serialises.)
        s.execute(
            text("SELECT pg_advisory_xact_lock(:k)"),
            {"k": 0x5E55_0000_0000 + event.practitioner_id},
        )
    clash = _clashes(s, event, ignore_ids)
    if clash:
        raise ConflictError(f"double booking is not allowed: overlaps {clash[0]}")


def _clashes(s: Session, event: Event, ignore_ids: set[int], horizon: int = 12) -> list[str]:
    assert event.practitioner_id is not None
    tz = zone(event.tzid)
    out: list[str] = []
    first = (
        event.start
        if isinstance(event.start, datetime)
        else datetime.combine(event.start, datetime.min.time(), tzinfo=tz)
    )  # type: ignore[arg-type]
    window_end = (
        first + timedelta(weeks=horizon)
        if event.rrule
        else first + event.duration + timedelta(days=1)
    )
    mine = list(occurrences(event, first - timedelta(days=1), window_end, display_tz=tz))
    if not mine:
        return out
    others = queries.window(
        s,
        mine[0].start if isinstance(mine[0].start, datetime) else first,
        window_end,
        display_tz=tz,
        practitioners=[event.practitioner_id],
    )
    for o in mine:
        for other in others:
            ev = other.event
            if ev.id in ignore_ids or (ev.series_id in ignore_ids) or not ev.busy:
                continue
            if ev.status is Status.CANCELLED or ev.practitioner_id != event.practitioner_id:
                continue
            if _overlap(o.start, o.end, other.start, other.end, tz):
                when = (
                    other.start.astimezone(tz).strftime("%a %b %d %H:%M")
                    if isinstance(other.start, datetime)
                    else f"{other.start} (all day)"
                )
                out.append(f"{ev.title or 'a session'} on {when}")
                break
    return out


def _overlap(a0: Instant, a1: Instant, b0: Instant, b1: Instant, tz: Any) -> bool:
    def as_dt(v: Instant) -> datetime:
        return v if isinstance(v, datetime) else datetime.combine(v, datetime.min.time(), tzinfo=tz)

    return as_dt(a0) < as_dt(b1) and as_dt(b0) < as_dt(a1)


# --- warnings -------------------------------------------------------------------------------


def warnings_for(ctx: Context, event: Event, *, ignore_ids: Sequence[int] = ()) -> list[str]:
    """Reasons to ask for confirmation (not refusals): overlaps with the practitioner's busy
    events, and time outside their office hours."""
    event = validate_event(event)
    out: list[str] = []
    if event.practitioner_id is None or event.all_day:
        return out
    with ctx.db.session() as s:
        for clash in _clashes(s, event, set(ignore_ids))[:3]:
            out.append(f"overlaps {clash}")
    oh = hours_service.get_hours(ctx, event.practitioner_id)
    if oh is not None and isinstance(event.start, datetime) and isinstance(event.end, datetime):
        inside = intervals_between(oh, event.start, event.end)
        if subtract([(event.start.astimezone(UTC), event.end.astimezone(UTC))], inside):
            out.append("outside the practitioner's office hours")
    return out


# --- use cases ------------------------------------------------------------------------------


def create(ctx: Context, event: Event) -> Change:
    """Create an event or a series."""
    actor = ctx.require_actor()
    event = validate_event(event)
    require_edit_event(actor, event)
    scheduling._check_refs(ctx, event)
    with ctx.db.session() as s:
        _check_booking(ctx, s, event, set())
        row = _insert(s, ctx, event)
        assert row.id is not None
        return Change("create", (), (), (), (row.id,), row.id)


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


class StaleEdit(ConflictError):
    """The event changed since the editor loaded it; ``current`` is what is stored now."""

    def __init__(self, message: str, current: Event, differences: list[str]) -> None:
        super().__init__(message)
        self.current = current
        self.differences = differences


_SHOWN_FIELDS = (
    "start",
    "end",
    "title",
    "practitioner_id",
    "client_id",
    "location_id",
    "status",
    "notes_completed",
    "busy",
    "rrule",
    "all_day",
)


def differences(old: Event, new: Event) -> list[str]:
    """Readable field changes from ``old`` to ``new``."""
    out = []
    tz = zone(new.tzid)
    for name in _SHOWN_FIELDS:
        a, b = getattr(old, name), getattr(new, name)
        if a == b:
            continue
        label = name.removesuffix("_id").replace("_", " ")
        if isinstance(a, datetime) and isinstance(b, datetime):
            a_text, b_text = (
                a.astimezone(tz).strftime("%a %H:%M"),
                b.astimezone(tz).strftime("%a %H:%M"),
            )
        else:
            a_text, b_text = str(a), str(b)
        out.append(f"{label} {a_text} → {b_text}")
    return out


def _who_changed(s: Session, event_id: int) -> str:
    try:
        row = s.execute(
            text(
                "SELECT actor FROM audit_log WHERE entity = 'event' AND entity_id = :i "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"i": event_id},
        ).first()
    except Exception:  # no audit table on an old schema: say "someone"
        return "someone else"
    return str(row[0]) if row and row[0] else "someone else"


def _check_version(s: Session, row: EventRow, expected: Event | None) -> None:
    """Refuse saving over a newer version than the one the editor loaded."""
    if expected is None or expected.version == row.version:
        return
    assert row.id is not None
    current = queries.row_to_event(row)
    diffs = differences(expected, current)
    who = _who_changed(s, row.id)
    what = "; ".join(diffs) if diffs else "no visible fields"
    raise StaleEdit(
        f"{who} changed this event since you opened it ({what}): "
        "reload it, or save again to overwrite",
        current,
        diffs,
    )


def edit(
    ctx: Context,
    ref: OccurrenceRef,
    scope: Scope = Scope.ALL,
    *,
    expected: Event | None = None,
    **changes: Any,
) -> Change:
    """Change an event; for a series, this occurrence, this and following, or all.

    ``start``/``end`` in ``changes`` are the new times of the referenced occurrence.
    ``expected`` is the event as the editor loaded it: saving over a newer version is refused
    with :class:`StaleEdit` (pass ``None`` to overwrite on purpose).
    """
    actor = ctx.require_actor()
    with ctx.db.session() as s:
        row, event, mrow, master, rid = _resolve(s, ref)
        require_edit_event(actor, event)
        require_writable_source(read_only_source(s, event))
        _check_version(s, row, expected)
        if master is None:
            family = {row.id} if row.id is not None else set()
            before = _snapshot(s, family)  # type: ignore[arg-type]
            new = validate_event(_apply_changes(event, changes))
            require_edit_event(actor, new)
            _check_booking(ctx, s, new, family)  # type: ignore[arg-type]
            _save(s, ctx, row, new)
            return Change("edit", *before, tuple(family), (), row.id)  # type: ignore[arg-type]
        assert mrow is not None
        assert mrow.id is not None
        assert rid is not None
        family = _family_ids(s, [mrow.id])
        before = _snapshot(s, family)
        if scope is Scope.THIS:
            result = _edit_this(s, ctx, row, event, master, rid, changes)
            return Change("edit this event", *before, tuple(family), (), result)
        if scope is Scope.FOLLOWING and ser.occurrence_starts_before(master, rid) > 0:
            created = _edit_following(s, ctx, mrow, master, rid, changes)
            return Change(
                "edit this and following", *before, tuple(family), tuple(created), created[0]
            )
        _edit_all(s, ctx, mrow, master, rid, changes)
        return Change("edit all events", *before, tuple(family), (), mrow.id)


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
        new = validate_event(_apply_changes(event, changes))
        require_edit_event(ctx.require_actor(), new)
        _check_booking(ctx, s, new, {row.id, master.id})  # type: ignore[arg-type]
        _save(s, ctx, row, new)
        assert row.id is not None
        return row.id
    base = _occurrence_event(master, rid)
    new = validate_event(_apply_changes(base, changes))
    require_edit_event(ctx.require_actor(), new)
    _check_booking(ctx, s, new, {master.id})  # type: ignore[arg-type]
    created = _insert(s, ctx, new, uid=f"{master.uid}#{queries.recurrence_key(rid)}")
    assert created.id is not None
    return created.id


def _rekey_children(
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
        queries.fill_row(child, ev)
        child.version += 1
        child.sequence += 1
    exd = s.execute(select(ExdateRow).where(ExdateRow.series_id == master_id)).scalars().all()
    for x in exd:
        rid = queries.parse_recurrence_key(x.recurrence_key)
        if since is not None and not ser._ge(rid, since):
            continue
        x.recurrence_key = queries.recurrence_key(ser.shift(master, rid, delta) if delta else rid)
        if new_master_id is not None:
            x.series_id = new_master_id


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
    require_edit_event(ctx.require_actor(), new_master)
    assert mrow.id is not None
    _check_booking(ctx, s, new_master, _family_ids(s, [mrow.id]))
    _rekey_children(s, mrow.id, master, delta, None, old_master=master, new_master=new_master)
    _save(s, ctx, mrow, new_master)


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
    require_edit_event(ctx.require_actor(), new_tail)
    _check_booking(ctx, s, new_tail, _family_ids(s, [mrow.id]))
    _save(s, ctx, mrow, validate_event(head))
    created = _insert(s, ctx, new_tail)
    assert created.id is not None
    _rekey_children(
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
    return edit(ctx, ref, scope, status=Status.CANCELLED)


def remove(ctx: Context, ref: OccurrenceRef, scope: Scope = Scope.ALL) -> Change:
    """Delete an event, one occurrence, this and following, or a whole series."""
    actor = ctx.require_actor()
    with ctx.db.session() as s:
        row, event, mrow, master, rid = _resolve(s, ref)
        require_edit_event(actor, event)
        require_writable_source(read_only_source(s, event))
        if master is None or mrow is None:
            assert row.id is not None
            before = _snapshot(s, {row.id})
            s.delete(row)
            return Change("delete", *before, (row.id,), ())
        assert mrow.id is not None
        assert rid is not None
        family = _family_ids(s, [mrow.id])
        before = _snapshot(s, family)
        if scope is Scope.THIS:
            if event.series_id is not None:
                s.delete(row)
                s.flush()
            s.add(ExdateRow(series_id=mrow.id, recurrence_key=queries.recurrence_key(rid)))
            return Change("delete this event", *before, tuple(family), ())
        if scope is Scope.FOLLOWING:
            head = ser.ended_before(master, rid)
            if head is not None:
                for child in s.execute(
                    select(EventRow).where(EventRow.series_id == mrow.id)
                ).scalars():
                    assert child.recurrence_key is not None
                    if ser._ge(queries.parse_recurrence_key(child.recurrence_key), rid):
                        s.delete(child)
                for x in s.execute(
                    select(ExdateRow).where(ExdateRow.series_id == mrow.id)
                ).scalars():
                    if ser._ge(queries.parse_recurrence_key(x.recurrence_key), rid):
                        s.delete(x)
                s.flush()
                _save(s, ctx, mrow, validate_event(head))
                return Change("delete this and following", *before, tuple(family), ())
        s.execute(delete(ExdateRow).where(ExdateRow.series_id == mrow.id))  # type: ignore[arg-type]
        s.execute(delete(EventRow).where(EventRow.series_id == mrow.id))  # type: ignore[arg-type]
        s.execute(delete(EventRow).where(EventRow.id == mrow.id))  # type: ignore[arg-type]
        return Change("delete all events", *before, tuple(family), ())


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
