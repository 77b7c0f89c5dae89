"""Issue 13: the one writer's rules, on SQLite and PostgreSQL — undo is a change like any other
(versions, booking rule, permissions), and the booking rule covers the whole series."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pg_support import drop_database, new_database

from sessions_tui.clock import FixedClock
from sessions_tui.domain.errors import ConflictError, PermissionDenied
from sessions_tui.domain.events import Event, EventKind
from sessions_tui.domain.model import Role
from sessions_tui.services import appointments as ap
from sessions_tui.services import practice, scheduling
from sessions_tui.services.context import Context
from sessions_tui.store.db import Database, open_database

CHI = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'writer.db'}"
        return
    admin = request.getfixturevalue("pg_admin")
    db_url = new_database(admin)
    yield db_url
    drop_database(admin, db_url)


class Practice:
    """alice (admin, practitioner), ben (practitioner), sam (scheduler), a client."""

    def __init__(self, url: str, *, double_booking: bool = True) -> None:
        self.db: Database = open_database(url)
        clock = FixedClock(NOW)
        alice = practice.add_staff(
            Context(self.db, clock, None), "alice", "Alice Moreno", {Role.ADMIN, Role.PRACTITIONER}
        )
        self.alice = Context(self.db, clock, alice)
        ben = practice.add_staff(self.alice, "ben", "Ben Okafor", {Role.PRACTITIONER})
        self.ben_id = ben.id
        sam = practice.add_staff(self.alice, "sam", "Sam Whitaker", {Role.SCHEDULER})
        # Sam and Ben at their own keyboards (each logged in as themselves).
        self.sam = Context(self.db, clock, sam)
        self.ben = Context(self.db, clock, ben)
        self.cid = practice.add_client(self.alice, "Jane", "Doe", None).id
        practice.update_settings(self.alice, allow_double_booking=double_booking)

    def session(self, start: datetime, pid: int | None = None, **kw: object) -> Event:
        return Event(
            kind=EventKind.SESSION,
            start=start.astimezone(UTC),
            end=(start + timedelta(minutes=50)).astimezone(UTC),
            tzid="America/Chicago",
            practitioner_id=pid if pid is not None else self.alice.actor.id,  # type: ignore[union-attr]
            client_id=self.cid,
            **kw,  # type: ignore[arg-type]
        )


@pytest.fixture
def prac(url: str) -> Iterator[Practice]:
    p = Practice(url, double_booking=False)
    yield p
    p.db.dispose()


def _start(ctx: Context, event_id: int) -> datetime:
    start = scheduling.get_event(ctx, event_id).start
    assert isinstance(start, datetime)
    return start.astimezone(CHI)


def test_issue_13_undo_after_colleagues_edit_is_refused_and_keeps_theirs(prac: Practice) -> None:
    made = ap.create(prac.sam, prac.session(datetime(2026, 12, 1, 10, tzinfo=CHI)))
    assert made.result_id is not None
    ref = ap.OccurrenceRef(made.result_id)
    mine = ap.move(prac.sam, ref, timedelta(hours=1))  # sam: 10:00 → 11:00
    ap.move(prac.alice, ref, timedelta(hours=2))  # alice, later: 11:00 → 13:00
    with pytest.raises(ap.StaleEdit) as refused:
        ap.undo(prac.sam, mine)
    assert "alice" in str(refused.value)
    assert _start(prac.alice, made.result_id).hour == 13  # alice's edit survives


def test_issue_13_undo_into_a_slot_booked_meanwhile_is_refused(prac: Practice) -> None:
    ten = datetime(2026, 12, 1, 10, tzinfo=CHI)
    made = ap.create(prac.sam, prac.session(ten))
    assert made.result_id is not None
    moved = ap.move(prac.sam, ap.OccurrenceRef(made.result_id), timedelta(hours=1))
    other = ap.create(prac.alice, prac.session(ten))  # alice books the freed 10:00
    with pytest.raises(ConflictError, match="double booking"):
        ap.undo(prac.sam, moved)
    assert _start(prac.alice, made.result_id).hour == 11
    assert other.result_id is not None
    assert _start(prac.alice, other.result_id).hour == 10


def test_issue_13_a_practitioners_undo_cannot_touch_another_practitioners_event(
    prac: Practice,
) -> None:
    made = ap.create(prac.sam, prac.session(datetime(2026, 12, 2, 9, tzinfo=CHI)))
    assert made.result_id is not None
    with pytest.raises(PermissionDenied):
        ap.undo(prac.ben, made)  # ben would delete alice's session
    assert scheduling.get_event(prac.alice, made.result_id).practitioner_id == prac.alice.actor.id  # type: ignore[union-attr]
    moved = ap.move(prac.sam, ap.OccurrenceRef(made.result_id), timedelta(hours=1))
    with pytest.raises(PermissionDenied):
        ap.undo(prac.ben, moved)
    assert _start(prac.alice, made.result_id).hour == 10


def test_undo_of_ones_own_change_still_works(prac: Practice) -> None:
    made = ap.create(prac.sam, prac.session(datetime(2026, 12, 1, 10, tzinfo=CHI)))
    assert made.result_id is not None
    moved = ap.move(prac.sam, ap.OccurrenceRef(made.result_id), timedelta(hours=1))
    ap.undo(prac.sam, moved)
    assert _start(prac.sam, made.result_id).hour == 10
    before = scheduling.get_event(prac.sam, made.result_id).version
    assert before > 2  # restored as a new version: an editor holding the moved one is stale
    ap.undo(prac.sam, made)
    with pytest.raises(Exception, match="no event"):
        scheduling.get_event(prac.sam, made.result_id)


def test_issue_13_series_refused_over_a_one_off_14_weeks_out(prac: Practice) -> None:
    first = datetime(2026, 12, 1, 10, tzinfo=CHI)
    ap.create(prac.sam, prac.session(first + timedelta(weeks=14)))
    with pytest.raises(ConflictError, match="double booking"):
        ap.create(prac.sam, prac.session(first, rrule="FREQ=WEEKLY;COUNT=20"))


def test_issue_13_one_off_refused_under_a_20_week_series(prac: Practice) -> None:
    first = datetime(2026, 12, 1, 10, tzinfo=CHI)
    ap.create(prac.sam, prac.session(first, rrule="FREQ=WEEKLY;COUNT=20"))
    with pytest.raises(ConflictError, match="double booking"):
        ap.create(prac.sam, prac.session(first + timedelta(weeks=14)))
    ap.create(prac.sam, prac.session(first + timedelta(weeks=20)))  # after its end: free


def test_issue_13_endless_series_checked_through_the_horizon(prac: Practice) -> None:
    first = datetime(2026, 12, 1, 10, tzinfo=CHI)
    ap.create(prac.sam, prac.session(first + timedelta(weeks=70)))
    with pytest.raises(ConflictError, match="double booking"):
        ap.create(prac.sam, prac.session(first, rrule="FREQ=WEEKLY"))


def test_issue_13_a_sync_never_deletes_a_protected_session_whatever_the_shape(
    prac: Practice,
) -> None:
    from sessions_tui.domain.events import Status
    from sessions_tui.services.writer import Writer, load
    from sessions_tui.store.queries import recurrence_key

    pid = prac.alice.actor.id  # type: ignore[union-attr]
    first = datetime(2026, 12, 1, 10, tzinfo=CHI)
    done = ap.create(prac.sam, prac.session(first - timedelta(days=3), notes_completed=True))
    series = ap.create(prac.sam, prac.session(first, rrule="FREQ=WEEKLY;COUNT=4"))
    assert done.result_id is not None
    assert series.result_id is not None
    week2 = (first + timedelta(weeks=1)).astimezone(UTC)
    cancelled = ap.cancel(prac.sam, ap.OccurrenceRef(series.result_id, week2), ap.Scope.THIS)
    assert cancelled.result_id is not None
    with prac.db.session() as s:
        sync = Writer.for_sync(s, FixedClock(NOW), pid)
        assert sync.delete(load(s, done.result_id)[0]) is False  # the one event
        override = load(s, cancelled.result_id)[0]
        assert sync.delete_occurrence(series.result_id, recurrence_key(week2), override) is False
        sync.delete(load(s, series.result_id)[0])  # the whole series
        assert sync.detached == [cancelled.result_id]
    kept = scheduling.get_event(prac.alice, cancelled.result_id)
    assert kept.status is Status.CANCELLED
    assert kept.series_id is None
    assert kept.rrule is None
    assert scheduling.get_event(prac.alice, done.result_id).notes_completed
    with pytest.raises(Exception, match="no event"):
        scheduling.get_event(prac.alice, series.result_id)


def test_a_sync_writes_only_its_practitioners_events(prac: Practice) -> None:
    from sessions_tui.services.writer import Writer

    with prac.db.session() as s:
        sync = Writer.for_sync(s, FixedClock(NOW), prac.ben_id)
        with pytest.raises(PermissionDenied):
            sync.insert(prac.session(datetime(2026, 12, 1, 10, tzinfo=CHI)))  # alice's
