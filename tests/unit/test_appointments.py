"""Recurrence edit scopes (this / following / all) for edits and deletes, with undo."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.domain.errors import ConflictError, PermissionDenied, ValidationError
from sessions_tui.domain.events import Event, EventKind, Status
from sessions_tui.domain.model import Role
from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval
from sessions_tui.services import appointments as ap
from sessions_tui.services import hours, practice, scheduling
from sessions_tui.services.appointments import OccurrenceRef, Scope
from sessions_tui.services.context import Context

CHI = ZoneInfo("America/Chicago")


def _setup(ctx: Context) -> tuple[int, int, int, int]:
    client = practice.add_client(ctx, "Jane", "Doe", None)
    loc_a = practice.add_location(ctx, "Room A")
    loc_b = practice.add_location(ctx, "Room B")
    assert ctx.actor is not None
    return ctx.actor.id, client.id, loc_a.id, loc_b.id


def _weekly(ctx: Context, first: datetime, rule: str = "FREQ=WEEKLY;COUNT=10") -> Event:
    pid, cid, loc_a, _ = _setup(ctx)
    change = ap.create(
        ctx,
        Event(
            kind=EventKind.SESSION,
            start=first,
            end=first + timedelta(minutes=50),
            tzid="America/Chicago",
            practitioner_id=pid,
            client_id=cid,
            location_id=loc_a,
            rrule=rule,
        ),
    )
    assert change.result_id is not None
    return scheduling.get_event(ctx, change.result_id)


def _starts(
    ctx: Context, start: datetime, days: int = 120
) -> list[tuple[datetime, int | None, str]]:
    occ = scheduling.agenda(ctx, start, start + timedelta(days=days), CHI)
    return [
        (o.start.astimezone(CHI), o.location.id if o.location else None, o.status.value)  # type: ignore[union-attr, attr-defined]
        for o in occ
    ]


# Crosses the DST change of 2026-11-01 in Chicago.
FIRST = datetime(2026, 10, 13, 10, 0, tzinfo=CHI)


def test_edit_this_occurrence_moves_only_it(admin_ctx: Context) -> None:
    series = _weekly(admin_ctx, FIRST)
    rid = datetime(2026, 10, 27, 10, 0, tzinfo=CHI).astimezone(UTC)
    ap.edit(
        admin_ctx,
        OccurrenceRef(series.id, rid),
        Scope.THIS,  # type: ignore[arg-type]
        start=rid + timedelta(days=1),
        end=rid + timedelta(days=1, minutes=50),
    )
    times = [t for t, _, _ in _starts(admin_ctx, FIRST - timedelta(days=1))]
    assert len(times) == 10
    assert datetime(2026, 10, 28, 10, 0, tzinfo=CHI) in times
    assert datetime(2026, 10, 27, 10, 0, tzinfo=CHI) not in times
    # All the others keep 10:00 local across the DST change.
    assert all(t.hour == 10 for t in times)


def test_edit_following_forks_series_and_keeps_total(admin_ctx: Context) -> None:
    series = _weekly(admin_ctx, FIRST)
    _, _, _, loc_b = (None, None, None, practice.find_location(admin_ctx, "Room B").id)
    rid = datetime(2026, 11, 3, 10, 0, tzinfo=CHI).astimezone(UTC)
    new_start = datetime(2026, 11, 3, 14, 0, tzinfo=CHI)
    change = ap.edit(
        admin_ctx,
        OccurrenceRef(series.id, rid),
        Scope.FOLLOWING,  # type: ignore[arg-type]
        start=new_start,
        end=new_start + timedelta(minutes=50),
        location_id=loc_b,
    )
    rows = _starts(admin_ctx, FIRST - timedelta(days=1))
    assert len(rows) == 10
    before = [r for r in rows if r[0] < datetime(2026, 11, 3, tzinfo=CHI)]
    after = [r for r in rows if r[0] >= datetime(2026, 11, 3, tzinfo=CHI)]
    assert [t.hour for t, _, _ in before] == [10, 10, 10]
    assert all(t.hour == 14 and loc == loc_b for t, loc, _ in after)
    head = scheduling.get_event(admin_ctx, series.id)  # type: ignore[arg-type]
    assert head.rrule is not None
    assert "UNTIL=" in head.rrule
    tail = scheduling.get_event(admin_ctx, change.created_ids[0])
    assert tail.rrule == "FREQ=WEEKLY;COUNT=7"


def test_edit_all_changes_time_and_keeps_overrides(admin_ctx: Context) -> None:
    series = _weekly(admin_ctx, FIRST)
    loc_b = practice.find_location(admin_ctx, "Room B").id
    rid_moved = datetime(2026, 10, 20, 10, 0, tzinfo=CHI).astimezone(UTC)
    rid_cancel = datetime(2026, 11, 10, 10, 0, tzinfo=CHI).astimezone(UTC)
    moved_to = datetime(2026, 10, 21, 8, 0, tzinfo=CHI)
    ap.edit(
        admin_ctx,
        OccurrenceRef(series.id, rid_moved),
        Scope.THIS,  # type: ignore[arg-type]
        start=moved_to,
        end=moved_to + timedelta(minutes=50),
    )
    ap.cancel(admin_ctx, OccurrenceRef(series.id, rid_cancel), Scope.THIS)  # type: ignore[arg-type]
    # Whole series one hour later, and in room B.
    rid_any = datetime(2026, 11, 17, 10, 0, tzinfo=CHI).astimezone(UTC)
    ap.edit(
        admin_ctx,
        OccurrenceRef(series.id, rid_any),
        Scope.ALL,  # type: ignore[arg-type]
        start=datetime(2026, 11, 17, 11, 0, tzinfo=CHI),
        end=datetime(2026, 11, 17, 11, 50, tzinfo=CHI),
        location_id=loc_b,
    )
    rows = _starts(admin_ctx, FIRST - timedelta(days=1))
    assert len(rows) == 10
    # The moved override keeps its own time; it follows the location change it never made.
    assert (moved_to, loc_b, "scheduled") in rows
    # The cancelled override follows the time change and stays cancelled.
    assert (datetime(2026, 11, 10, 11, 0, tzinfo=CHI), loc_b, "cancelled") in rows
    others = [r for r in rows if r[0] != moved_to]
    assert all(t.hour == 11 and loc == loc_b for t, loc, _ in others)


def test_delete_scopes(admin_ctx: Context) -> None:
    series = _weekly(admin_ctx, FIRST)
    rid3 = datetime(2026, 10, 27, 10, 0, tzinfo=CHI).astimezone(UTC)
    ap.remove(admin_ctx, OccurrenceRef(series.id, rid3), Scope.THIS)  # type: ignore[arg-type]
    assert len(_starts(admin_ctx, FIRST - timedelta(days=1))) == 9
    rid6 = datetime(2026, 11, 17, 10, 0, tzinfo=CHI).astimezone(UTC)
    ap.remove(admin_ctx, OccurrenceRef(series.id, rid6), Scope.FOLLOWING)  # type: ignore[arg-type]
    rows = _starts(admin_ctx, FIRST - timedelta(days=1))
    assert [t.day for t, _, _ in rows] == [13, 20, 3, 10]
    ap.remove(admin_ctx, OccurrenceRef(series.id, rid6 - timedelta(weeks=1)), Scope.ALL)  # type: ignore[arg-type]
    assert _starts(admin_ctx, FIRST - timedelta(days=1)) == []


def test_cancel_following_then_undo(admin_ctx: Context) -> None:
    series = _weekly(admin_ctx, FIRST)
    before = _starts(admin_ctx, FIRST - timedelta(days=1))
    rid = datetime(2026, 11, 3, 10, 0, tzinfo=CHI).astimezone(UTC)
    change = ap.cancel(admin_ctx, OccurrenceRef(series.id, rid), Scope.FOLLOWING)  # type: ignore[arg-type]
    after = _starts(admin_ctx, FIRST - timedelta(days=1))
    assert [s for _, _, s in after] == ["scheduled"] * 3 + ["cancelled"] * 7
    assert change.description == "cancel this and following"  # what the notice names
    ap.undo(admin_ctx, change)
    assert _starts(admin_ctx, FIRST - timedelta(days=1)) == before


def test_undo_of_whole_series_edit_restores_overrides(admin_ctx: Context) -> None:
    series = _weekly(admin_ctx, FIRST)
    rid = datetime(2026, 10, 20, 10, 0, tzinfo=CHI).astimezone(UTC)
    ap.edit(admin_ctx, OccurrenceRef(series.id, rid), Scope.THIS, notes_completed=True)  # type: ignore[arg-type]
    before = _starts(admin_ctx, FIRST - timedelta(days=1))
    change = ap.move(admin_ctx, OccurrenceRef(series.id, rid), timedelta(days=1), Scope.ALL)  # type: ignore[arg-type]
    assert _starts(admin_ctx, FIRST - timedelta(days=1)) != before
    ap.undo(admin_ctx, change)
    assert _starts(admin_ctx, FIRST - timedelta(days=1)) == before


def test_undo_create_and_delete(admin_ctx: Context) -> None:
    _setup(admin_ctx)
    change = ap.create(
        admin_ctx,
        Event(
            kind=EventKind.OTHER,
            title="Holiday",
            start=date(2026, 12, 24),
            end=date(2026, 12, 26),
            all_day=True,
            busy=False,
            tzid="America/Chicago",
        ),
    )
    assert len(_starts_all(admin_ctx)) == 1
    ap.undo(admin_ctx, change)
    assert _starts_all(admin_ctx) == []
    again = ap.create(
        admin_ctx,
        Event(
            kind=EventKind.OTHER,
            title="Holiday",
            start=date(2026, 12, 24),
            end=date(2026, 12, 26),
            all_day=True,
            busy=False,
            tzid="America/Chicago",
        ),
    )
    gone = ap.remove(admin_ctx, OccurrenceRef(again.result_id))  # type: ignore[arg-type]
    assert _starts_all(admin_ctx) == []
    ap.undo(admin_ctx, gone)
    assert len(_starts_all(admin_ctx)) == 1


def _starts_all(ctx: Context) -> list[object]:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    return list(scheduling.agenda(ctx, start, start + timedelta(days=60), CHI))


def test_following_on_first_occurrence_edits_all(admin_ctx: Context) -> None:
    series = _weekly(admin_ctx, FIRST)
    ap.edit(
        admin_ctx,
        OccurrenceRef(series.id, FIRST.astimezone(UTC)),
        Scope.FOLLOWING,  # type: ignore[arg-type]
        notes_completed=True,
    )
    occ = scheduling.agenda(admin_ctx, FIRST - timedelta(days=1), FIRST + timedelta(days=80), CHI)
    assert len(occ) == 10
    assert all(o.event.notes_completed for o in occ)


def test_fork_keeps_source_calendar(admin_ctx: Context) -> None:
    pid = admin_ctx.actor.id  # type: ignore[union-attr]
    change = ap.create(
        admin_ctx,
        Event(
            kind=EventKind.OTHER,
            title="Team sync",
            start=FIRST,
            end=FIRST + timedelta(hours=1),
            tzid="America/Chicago",
            practitioner_id=pid,
            rrule="FREQ=WEEKLY",
            source_calendar="secondary@example.com",
        ),
    )
    rid = (FIRST + timedelta(weeks=3)).astimezone(UTC)
    fork = ap.edit(
        admin_ctx,
        OccurrenceRef(change.result_id, rid),
        Scope.FOLLOWING,  # type: ignore[arg-type]
        title="Team sync (new room)",
    )
    assert (
        scheduling.get_event(admin_ctx, fork.created_ids[0]).source_calendar
        == "secondary@example.com"
    )
    this = ap.edit(
        admin_ctx,
        OccurrenceRef(change.result_id, FIRST.astimezone(UTC) + timedelta(weeks=1)),  # type: ignore[arg-type]
        Scope.THIS,
        title="Moved",
    )
    assert (
        scheduling.get_event(admin_ctx, this.result_id).source_calendar == "secondary@example.com"
    )  # type: ignore[arg-type]


def test_client_session_never_all_day(admin_ctx: Context) -> None:
    series = _weekly(admin_ctx, FIRST)
    with pytest.raises(ValidationError, match="all-day"):
        ap.edit(
            admin_ctx,
            OccurrenceRef(series.id, FIRST.astimezone(UTC)),
            Scope.THIS,  # type: ignore[arg-type]
            all_day=True,
            start=date(2026, 10, 13),
            end=date(2026, 10, 14),
        )


def test_not_an_occurrence_is_refused(admin_ctx: Context) -> None:
    series = _weekly(admin_ctx, FIRST)
    with pytest.raises(Exception, match="not an occurrence"):
        ap.edit(
            admin_ctx,
            OccurrenceRef(series.id, FIRST.astimezone(UTC) + timedelta(hours=1)),  # type: ignore[arg-type]
            Scope.THIS,
            notes_completed=True,
        )


def test_practitioner_cannot_edit_others(admin_ctx: Context) -> None:
    series = _weekly(admin_ctx, FIRST)
    other = practice.add_staff(admin_ctx, "pat", "Pat Other", {Role.PRACTITIONER})
    pctx = Context(admin_ctx.db, admin_ctx.clock, other)
    with pytest.raises(PermissionDenied):
        ap.edit(
            pctx, OccurrenceRef(series.id, FIRST.astimezone(UTC)), Scope.ALL, notes_completed=True
        )  # type: ignore[arg-type]


def test_warnings_overlap_and_office_hours(admin_ctx: Context) -> None:
    pid, cid, _, _ = _setup(admin_ctx)
    hours.set_hours(
        admin_ctx,
        WeeklyHours(
            "America/Chicago", tuple(WeeklyInterval(d, time(9), time(17)) for d in range(5))
        ),
    )
    start = datetime(2026, 12, 1, 16, 30, tzinfo=CHI)
    first = Event(
        kind=EventKind.SESSION,
        start=start,
        end=start + timedelta(minutes=50),
        tzid="America/Chicago",
        practitioner_id=pid,
        client_id=cid,
    )
    assert ap.warnings_for(admin_ctx, first) == ["is outside the practitioner's office hours"]
    ap.create(admin_ctx, first)
    second = first.with_changes(
        start=start.replace(hour=16, minute=0), end=start.replace(hour=16, minute=50)
    )
    warnings = ap.warnings_for(admin_ctx, second)
    assert any(w.startswith("overlaps") for w in warnings)
    free = first.with_changes(status=Status.CANCELLED)
    ap.create(admin_ctx, free)  # a cancelled session does not block
    assert len(ap.warnings_for(admin_ctx, second)) == 1


def test_double_booking_refused_when_forbidden(admin_ctx: Context) -> None:
    pid, cid, _, _ = _setup(admin_ctx)
    practice.update_settings(admin_ctx, allow_double_booking=False)
    start = datetime(2026, 12, 1, 10, 0, tzinfo=CHI)
    ev = Event(
        kind=EventKind.SESSION,
        start=start,
        end=start + timedelta(minutes=50),
        tzid="America/Chicago",
        practitioner_id=pid,
        client_id=cid,
    )
    ap.create(admin_ctx, ev)
    with pytest.raises(ConflictError, match="double booking"):
        ap.create(
            admin_ctx,
            ev.with_changes(start=start + timedelta(minutes=30), end=start + timedelta(minutes=80)),
        )
    assert (
        len(
            scheduling.agenda(
                admin_ctx, start - timedelta(hours=1), start + timedelta(hours=3), CHI
            )
        )
        == 1
    )
