"""Issue 24: each service-level bug of the issue, as the scheduler met it (the state machine in
``test_issue_24_model.py`` finds them too; these name them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.clock import FixedClock
from sessions_tui.domain.errors import ConflictError
from sessions_tui.domain.events import Event, EventKind, Status
from sessions_tui.domain.model import Role
from sessions_tui.services import appointments as ap
from sessions_tui.services import practice, scheduling
from sessions_tui.services.appointments import OccurrenceRef, Scope
from sessions_tui.services.context import Context
from sessions_tui.store.db import Database

CHI = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FIRST = datetime(2026, 11, 23, 12, 30, tzinfo=CHI)


class Staff:
    def __init__(self, db: Database, *, double_booking: bool = False) -> None:
        clock = FixedClock(NOW)
        alice = practice.add_staff(
            Context(db.with_actor("alice"), clock, None),
            "alice",
            "Alice Moreno",
            {Role.ADMIN, Role.PRACTITIONER},
        )
        self.alice = Context(db.with_actor("alice"), clock, alice)
        ben = practice.add_staff(self.alice, "ben", "Ben Okafor", {Role.PRACTITIONER})
        sam = practice.add_staff(self.alice, "sam", "Sam Whitaker", {Role.SCHEDULER})
        self.ben = Context(db.with_actor("ben"), clock, ben)
        self.sam = Context(db.with_actor("sam"), clock, sam)
        practice.update_settings(self.alice, allow_double_booking=double_booking)
        self.client = practice.add_client(self.alice, "Ava", "Bennett", None).id
        self.ben_id = ben.id

    def session(
        self, start: datetime = FIRST, rrule: str | None = None, minutes: int = 50
    ) -> Event:
        return Event(
            kind=EventKind.SESSION,
            start=start,
            end=start + timedelta(minutes=minutes),
            tzid="America/Chicago",
            practitioner_id=self.ben_id,
            client_id=self.client,
            rrule=rrule,
        )


def _starts(ctx: Context) -> list[tuple[datetime, bool]]:
    occs = scheduling.occurrences_in(
        ctx, FIRST - timedelta(days=7), FIRST + timedelta(days=30), CHI
    )
    return [(o.start.astimezone(CHI), o.event.status is Status.CANCELLED) for o in occs]


def test_issue_24_undo_six_steps(db: Database) -> None:
    """create, x, u, edit, u, u: every undo works (it blamed alice for her own change)."""
    st = Staff(db)
    made = ap.create(st.alice, st.session())
    assert made.result_id is not None
    ref = OccurrenceRef(made.result_id)
    cancelled = ap.cancel(st.alice, ref)
    ap.undo(st.alice, cancelled)
    moved = ap.move(st.alice, ref, timedelta(minutes=30))
    ap.undo(st.alice, moved)
    assert _starts(st.alice) == [(FIRST, False)]
    ap.undo(st.alice, made)
    assert _starts(st.alice) == []


def test_issue_24_undo_keeps_a_colleagues_delete(db: Database) -> None:
    """ben edits one occurrence, sam deletes another, ben undoes: sam's delete stays."""
    st = Staff(db)
    series = ap.create(st.ben, st.session(rrule="FREQ=DAILY;COUNT=3"))
    assert series.result_id is not None
    first = FIRST.astimezone(UTC)
    edited = ap.move(st.ben, OccurrenceRef(series.result_id, first), timedelta(minutes=30))
    third = first + timedelta(days=2)
    ap.remove(st.sam, OccurrenceRef(series.result_id, third), Scope.THIS)
    ap.undo(st.ben, edited)
    assert _starts(st.ben) == [(FIRST, False), (FIRST + timedelta(days=1), False)]


def test_issue_24_occurrence_moved_onto_its_neighbour_is_a_clash(db: Database) -> None:
    st = Staff(db)
    series = ap.create(st.alice, st.session(rrule="FREQ=DAILY;COUNT=2"))
    assert series.result_id is not None
    ref = OccurrenceRef(series.result_id, FIRST.astimezone(UTC))
    with pytest.raises(ConflictError, match="double booking"):
        ap.move(st.alice, ref, timedelta(days=1), Scope.THIS)
    assert _starts(st.alice) == [(FIRST, False), (FIRST + timedelta(days=1), False)]


def test_issue_24_fork_moved_back_onto_its_head_is_a_clash(db: Database) -> None:
    st = Staff(db)
    series = ap.create(st.alice, st.session(rrule="FREQ=DAILY;COUNT=3"))
    assert series.result_id is not None
    second = (FIRST + timedelta(days=1)).astimezone(UTC)
    with pytest.raises(ConflictError, match="double booking"):
        ap.move(
            st.alice, OccurrenceRef(series.result_id, second), timedelta(days=-1), Scope.FOLLOWING
        )
    assert len(_starts(st.alice)) == 3


def test_issue_24_following_on_an_override_after_a_deleted_occurrence(db: Database) -> None:
    """Weekly x3: edit #2 'this', delete #3 'this', edit #2 'this and following': no UNIQUE
    violation, and #3 stays deleted."""
    st = Staff(db)
    series = ap.create(st.alice, st.session(rrule="FREQ=WEEKLY;COUNT=3"))
    assert series.result_id is not None
    second = (FIRST + timedelta(weeks=1)).astimezone(UTC)
    third = (FIRST + timedelta(weeks=2)).astimezone(UTC)
    override = ap.edit(
        st.alice, OccurrenceRef(series.result_id, second), Scope.THIS, status=Status.CANCELLED
    )
    ap.remove(st.alice, OccurrenceRef(series.result_id, third), Scope.THIS)
    assert override.result_id is not None
    ap.edit(st.alice, OccurrenceRef(override.result_id), Scope.FOLLOWING, status=Status.SCHEDULED)
    assert [t for t, _ in _starts(st.alice)] == [FIRST, FIRST + timedelta(weeks=1)]


def test_issue_24_event_ids_are_never_reused(db: Database) -> None:
    st = Staff(db)
    ap.create(st.alice, st.session())
    newest = ap.create(st.alice, st.session(FIRST + timedelta(days=1)))
    assert newest.result_id is not None
    ap.remove(st.alice, OccurrenceRef(newest.result_id))
    again = ap.create(st.alice, st.session(FIRST + timedelta(days=2)))
    assert again.result_id is not None
    assert again.result_id > newest.result_id
