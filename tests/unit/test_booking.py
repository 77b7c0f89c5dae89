"""Online booking services (issue 16): holds, races, expiry, busy time, answering, email.

Store-level promises run on SQLite and on a real PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pg_support import drop_database, new_database
from sqlalchemy import func, select

from sessions_tui.domain.errors import ConflictError, PermissionDenied, ValidationError
from sessions_tui.domain.events import Event, EventKind
from sessions_tui.domain.model import Role
from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval
from sessions_tui.services import booking, booking_requests, hours, practice, scheduling
from sessions_tui.services.availability import open_slots
from sessions_tui.services.booking import BookingPage, SlotTaken, Visitor
from sessions_tui.services.context import Context
from sessions_tui.store.db import Database, open_database
from sessions_tui.store.tables import BookingRequestRow, ClientContactRow, OutboxRow

CHI = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # Wednesday 10:00 in Chicago
THU = date(2026, 11, 26)
JO = Visitor("Jo Visitor", "jo@example.org", None, "first time")


class MovableClock:
    """A stopped clock that a test moves on (holds expire)."""

    def __init__(self, at: datetime) -> None:
        self.instant = at

    def now(self) -> datetime:
        return self.instant


@dataclass
class Practice:
    db: Database
    clock: MovableClock
    admin: Context
    sam: Context
    alice_id: int
    ben_id: int
    keys: dict[int, str] = field(default_factory=dict)

    def key(self, pid: int | None = None) -> str:
        """The page's key: its login when public, else its secret link (only hashes are
        stored: the secret is shown when made, so the first call makes a new one)."""
        pid = pid or self.alice_id
        settings = booking.get_settings(self.admin, pid)
        if settings.public:
            return settings.login
        if pid not in self.keys:
            made = booking.rotate_link(self.admin, pid).key
            assert made is not None
            self.keys[pid] = made
        return self.keys[pid]

    def page(self, pid: int | None = None) -> BookingPage:
        page = booking.page_for_key(self.db, self.key(pid))
        assert page is not None
        return page

    def day_slots(self, day: date, service: str = "Session") -> list[datetime]:
        page = self.page()
        svc = page.service(service)
        assert svc is not None
        start = datetime.combine(day, time(0), tzinfo=CHI)
        found = booking.page_slots(self.db, self.clock, page, svc, start, start + timedelta(1))
        return [s.start for s in found]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'booking.db'}"
        return
    admin = request.getfixturevalue("pg_admin")
    db_url = new_database(admin)
    yield db_url
    drop_database(admin, db_url)


def make_practice(url: str) -> Practice:
    """Alice (admin, practitioner) books Mon–Fri 9–17 Chicago; Ben is a practitioner; Sam a
    scheduler. Alice's page: Intake 80 and Session 50 minutes, 60 minutes' notice, 10 buffer."""
    db = open_database(url)
    clock = MovableClock(NOW)
    alice = practice.add_staff(
        Context(db, clock, None), "alice", "Alice Moreno", {Role.ADMIN, Role.PRACTITIONER}
    )
    admin = Context(db, clock, alice)
    ben = practice.add_staff(admin, "ben", "Ben Okafor", {Role.PRACTITIONER})
    sam = practice.add_staff(admin, "sam", "Sam Whitaker", {Role.SCHEDULER})
    spans = tuple(WeeklyInterval(d, time(9), time(17)) for d in range(5))
    hours.set_hours(admin, WeeklyHours("America/Chicago", spans, alice.id), kind=hours.AVAILABILITY)
    booking.update_settings(
        admin,
        alice.id,
        services=[("Intake", 80), ("Session", 50)],
        enabled=True,
        notice_minutes=60,
        buffer_minutes=10,
    )
    # Sam at Sam's own keyboard (logged in as sam).
    return Practice(db, clock, admin, Context(db, clock, sam), alice.id, ben.id)


@pytest.fixture
def pr(url: str) -> Iterator[Practice]:
    p = make_practice(url)
    yield p
    p.db.dispose()


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=CHI).astimezone(UTC)


def request(p: Practice, start: datetime, who: Visitor = JO, service: str = "Session") -> int:
    row = booking.create_request(p.db, p.clock, p.page(), service, start, who, "Europe/Berlin")
    assert row.id is not None
    return row.id


def test_issue_16_page_offers_only_free_times_after_notice(pr: Practice) -> None:
    # Wednesday: now is 10:00, 60 minutes' notice: nothing before 11:00.
    wed = pr.day_slots(date(2026, 11, 25))
    assert wed[0] == at(date(2026, 11, 25), 11)
    thu = pr.day_slots(THU)
    assert thu[0] == at(THU, 9)
    # The horizon (60 days by default) ends the offer.
    assert pr.day_slots(date(2027, 2, 1)) == []
    # Unknown or turned-off pages are not found.
    assert booking.page_for_key(pr.db, "nobody") is None
    booking.update_settings(pr.admin, pr.alice_id, enabled=False)
    assert booking.page_for_key(pr.db, pr.key()) is None


def test_issue_16_request_holds_time_for_everyone(pr: Practice) -> None:
    start = at(THU, 9)
    rid = request(pr, start)
    assert start not in pr.day_slots(THU)
    # The buffer keeps 10 minutes after the hold: the next Session starts no earlier than 10:00.
    assert min(s for s in pr.day_slots(THU)) >= at(THU, 10)
    # The CLI's availability does not offer it either.
    cli = open_slots(pr.admin, pr.alice_id, at(THU, 0), at(THU, 23), timedelta(minutes=50))
    assert all(not (s.start < at(THU, 9, 50) and at(THU, 9) < s.end) for s in cli)
    with pytest.raises(SlotTaken):
        request(pr, start, Visitor("Other Person", "other@example.org"))
    pending = booking_requests.list_requests(pr.sam)
    assert [r.id for r in pending] == [rid]
    with pr.db.read() as s:
        outbox = s.execute(select(OutboxRow)).scalars().all()
    assert [(o.kind, o.to_addr) for o in outbox] == [("received", "jo@example.org")]
    # The email names the time in the visitor's zone, and only what they typed.
    assert "Thursday 26 November 2026, 16:00 (Europe/Berlin)" in outbox[0].body
    assert "Jo Visitor" in outbox[0].body


def test_issue_16_two_visitors_same_time_exactly_one_wins(url: str) -> None:
    p = make_practice(url)
    try:
        start = at(THU, 10, 30)  # an Intake (80 minutes) time the page lists
        page = p.page()
        barrier = threading.Barrier(4)
        outcomes: list[str] = []
        lock = threading.Lock()

        def ask(n: int) -> None:
            db = open_database(url)  # each visitor on its own connection pool, like processes
            try:
                who = Visitor(f"Visitor {n}", f"v{n}@example.org")
                barrier.wait(10)
                try:
                    booking.create_request(db, p.clock, page, "Intake", start, who, "UTC")
                    result = "won"
                except SlotTaken:
                    result = "taken"
            finally:
                db.dispose()
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(outcomes) == ["taken", "taken", "taken", "won"]
        with p.db.read() as s:
            held = s.execute(select(func.count()).select_from(BookingRequestRow)).scalar_one()
        assert held == 1
    finally:
        p.db.dispose()


def test_issue_16_expired_hold_frees_the_time(pr: Practice) -> None:
    start = at(THU, 9)
    rid = request(pr, start)
    assert start not in pr.day_slots(THU)
    pr.clock.instant = NOW + timedelta(minutes=2880, seconds=1)  # the default hold: 2 days
    later = pr.day_slots(date(2026, 11, 30))
    assert later  # the page still works after expiry
    # Thursday is now in the past; look at the hold directly: it blocks nothing.
    with pr.db.read() as s:
        from sessions_tui.store.holds import held_intervals

        assert held_intervals(s, pr.alice_id, at(THU, 0), at(THU, 23), pr.clock.now()) == []
    assert [r.id for r in booking_requests.list_requests(pr.sam, status="expired")] == [rid]
    assert booking_requests.list_requests(pr.sam) == []
    with pytest.raises(ConflictError, match="expired"):
        booking_requests.accept(pr.sam, rid, new_client=True)


def test_issue_16_expired_hold_offers_time_again(pr: Practice) -> None:
    booking.update_settings(pr.admin, pr.alice_id, hold_minutes=30)
    start = at(THU, 9)
    request(pr, start)
    assert start not in pr.day_slots(THU)
    pr.clock.instant = NOW + timedelta(minutes=31)
    assert start in pr.day_slots(THU)


def test_issue_16_busy_google_and_all_day_events_remove_times(pr: Practice) -> None:
    fri = date(2026, 11, 27)
    mon = date(2026, 11, 30)
    assert pr.day_slots(fri)
    assert at(mon, 9, 45) in pr.day_slots(mon)
    # An all-day busy event (a conference) removes the whole day.
    scheduling.create_event(
        pr.admin,
        scheduling.all_day_event(
            "Conference", fri, 1, practitioner_id=pr.alice_id, busy=True, tzid="America/Chicago"
        ),
    )
    assert pr.day_slots(fri) == []
    # A busy event pulled in from Google (stored as an event with a Google link) removes its
    # time and the buffer around it; a free one removes nothing.
    google = scheduling.create_event(
        pr.admin,
        Event(
            kind=EventKind.OTHER,
            title="Dentist (from Google)",
            start=at(mon, 9, 45),
            end=at(mon, 10, 35),
            tzid="America/Chicago",
            practitioner_id=pr.alice_id,
            busy=True,
        ),
    )
    with pr.db.session() as s:
        from sessions_tui.store.tables import SyncAccountRow, SyncLinkRow

        acct = SyncAccountRow(provider="google", practitioner_id=pr.alice_id)
        s.add(acct)
        s.flush()
        assert acct.id is not None
        s.add(
            SyncLinkRow(
                account_id=acct.id,
                event_id=google.id,
                calendar="primary",
                remote_id="g1",
                origin="remote",
            )
        )
    monday = pr.day_slots(mon)
    assert at(mon, 9, 45) not in monday
    # Nothing within the 10-minute buffer of 09:45–10:35.
    assert all(
        not (s < at(mon, 10, 45) and at(mon, 9, 35) < s + timedelta(minutes=50)) for s in monday
    )
    assert monday
    scheduling.create_event(
        pr.admin,
        Event(
            kind=EventKind.OTHER,
            title="Free reminder",
            start=at(mon, 14, 0),
            end=at(mon, 15),
            tzid="America/Chicago",
            practitioner_id=pr.alice_id,
            busy=False,
        ),
    )
    assert pr.day_slots(mon) == monday  # a free event blocks nothing


def test_issue_16_accept_books_session_matches_client_by_email(pr: Practice) -> None:
    rid = request(pr, at(THU, 9), service="Intake")
    done = booking_requests.accept(pr.sam, rid)
    assert done.status == "accepted"
    assert done.event_id is not None
    assert done.client_id is not None
    event = scheduling.get_event(pr.admin, done.event_id)
    assert (event.start, event.end) == (at(THU, 9), at(THU, 10, 20))
    assert (event.practitioner_id, event.client_id) == (pr.alice_id, done.client_id)
    assert practice.get_client(pr.admin, done.client_id).first_name == "Jo"
    # The time stays taken (now by the session), and the confirmation carries an .ics.
    assert at(THU, 9) not in pr.day_slots(THU, "Intake")
    with pr.db.read() as s:
        confirmed = s.execute(select(OutboxRow).where(OutboxRow.kind == "confirmed")).scalar_one()
    assert confirmed.to_addr == "jo@example.org"
    assert confirmed.ics is not None
    assert "BEGIN:VEVENT" in confirmed.ics
    assert event.uid in confirmed.ics  # type: ignore[operator]
    # The same email later: the same client, no duplicate (another name asks first: issue 27).
    again = request(pr, at(date(2026, 12, 1), 9), Visitor("Jo Visitor", "JO@example.org"))
    assert booking_requests.accept(pr.sam, again).client_id == done.client_id
    with pr.db.read() as s:
        assert s.execute(select(func.count()).select_from(ClientContactRow)).scalar_one() == 1
    # Answered requests cannot be answered again.
    with pytest.raises(ConflictError, match="already answered"):
        booking_requests.decline(pr.sam, rid)


def test_issue_16_accept_asks_when_unsure_which_client(pr: Practice) -> None:
    existing = practice.add_client(pr.admin, "Jo", "Visitor", None)
    rid = request(pr, at(THU, 9))
    with pytest.raises(ValidationError, match="--client ID"):
        booking_requests.accept(pr.sam, rid)
    assert booking_requests.list_requests(pr.sam)[0].status == "pending"  # nothing changed
    assert booking_requests.accept(pr.sam, rid, client_id=existing.id).client_id == existing.id


def test_issue_16_decline_frees_time_and_tells_client(pr: Practice) -> None:
    start = at(THU, 9)
    rid = request(pr, start)
    assert start not in pr.day_slots(THU)
    done = booking_requests.decline(pr.sam, rid, "Away that day")
    assert done.status == "declined"
    assert start in pr.day_slots(THU)
    with pr.db.read() as s:
        declined = s.execute(select(OutboxRow).where(OutboxRow.kind == "declined")).scalar_one()
    assert "Away that day" in declined.body


def test_issue_16_offer_moves_the_hold(pr: Practice) -> None:
    rid = request(pr, at(THU, 9))
    done = booking_requests.offer(pr.sam, rid, at(THU, 14))
    assert done.offered
    assert at(THU, 9) in pr.day_slots(THU)
    assert at(THU, 14) not in pr.day_slots(THU)
    request(pr, at(THU, 9), Visitor("Other Person", "other@example.org"))
    with pytest.raises(SlotTaken):
        booking_requests.offer(pr.sam, rid, at(THU, 9, 30))  # another visitor's hold
    assert booking_requests.list_requests(pr.sam)[-1].start == at(THU, 14)  # unchanged
    accepted = booking_requests.accept(pr.sam, rid, new_client=True)
    assert accepted.start == at(THU, 14)


def test_issue_16_booking_permissions(pr: Practice) -> None:
    ben = Context(pr.db, pr.clock, practice.find_practitioner(pr.admin, "ben"))
    with pytest.raises(PermissionDenied):
        booking.update_settings(ben, pr.alice_id, enabled=False)
    with pytest.raises(PermissionDenied):
        booking.rotate_link(ben, pr.alice_id)
    mine = booking.update_settings(ben, pr.ben_id, services=[("Session", 50)])
    assert mine.services == (booking.BookingService("Session", 50),)
    rid = request(pr, at(THU, 9))
    with pytest.raises(PermissionDenied):
        booking_requests.accept(ben, rid)
    assert booking_requests.list_requests(ben) == []
    assert len(booking_requests.list_requests(pr.sam)) == 1


def test_issue_16_bad_settings_change_nothing(pr: Practice) -> None:
    booking.get_settings(pr.admin, pr.ben_id)  # made: its secret link is shown this once
    before = booking.get_settings(pr.admin, pr.ben_id)
    with pytest.raises(ValidationError, match="at least one service"):
        booking.update_settings(pr.admin, pr.ben_id, enabled=True)
    with pytest.raises(ValidationError, match="buffer"):
        booking.update_settings(pr.admin, pr.ben_id, buffer_minutes=-5)
    with pytest.raises(ValidationError, match="same name"):
        booking.update_settings(pr.admin, pr.ben_id, services=[("A", 30), ("a", 40)])
    with pytest.raises(ValidationError, match="length"):
        booking.update_settings(pr.admin, pr.ben_id, services=[("Long", 10_000)])
    assert booking.get_settings(pr.admin, pr.ben_id) == before


def test_issue_16_rotated_link_finds_nothing(pr: Practice) -> None:
    old = pr.key()
    new = booking.rotate_link(pr.admin, pr.alice_id).key
    assert new is not None
    assert old != new
    assert booking.page_for_key(pr.db, old) is None
    assert booking.page_for_key(pr.db, new) is not None
    # A public page is reached by the login only, not by the old secret.
    booking.update_settings(pr.admin, pr.alice_id, public=True)
    assert booking.page_for_key(pr.db, "alice") is not None
    assert booking.page_for_key(pr.db, new) is None


@pytest.mark.parametrize(
    ("name", "email", "phone", "message", "field"),
    [
        ("", "a@b.org", None, None, "name"),
        ("x" * 101, "a@b.org", None, None, "name"),
        ("Jo\x1b[31m", "a@b.org", None, None, "name"),
        ("Jo", "not-an-email", None, None, "email"),
        ("Jo", "a@b.org", "call me maybe", None, "phone"),
        ("Jo", "a@b.org", None, "m" * 2001, "message"),
        ("Jo", "a@b.org", None, "bell\x07", "message"),
    ],
)
def test_issue_16_visitor_input_is_bounded(
    name: str, email: str, phone: str | None, message: str | None, field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        booking.check_visitor(name, email, phone, message)
    assert err.value.field == field
