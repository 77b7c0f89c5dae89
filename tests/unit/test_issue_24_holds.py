"""Issue 24, "Holds are on the calendar": a pending online-booking request's held time is read
the same by both read paths, drawn for the calendar (named only for those who may answer it),
warned about when an event is put over it, and accepting it onto booked time follows the
practice's double-booking rule (the services and ``sessions-tui booking accept``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from sessions_tui.clock import FixedClock
from sessions_tui.domain.errors import ConflictError
from sessions_tui.domain.events import Event, EventKind, Status
from sessions_tui.domain.holds import HOLD_LABEL
from sessions_tui.domain.timeutil import parse_aware
from sessions_tui.services import appointments, booking, booking_requests, holds, practice
from sessions_tui.services.booking import Visitor
from sessions_tui.services.booking_requests import RequestClashes
from sessions_tui.services.calendar import Filters
from sessions_tui.services.context import Context, make_context
from sessions_tui.services.demo import seed_demo
from sessions_tui.store.db import open_database
from sessions_tui.store.fastread import open_fast
from sessions_tui.store.orm_reader import OrmReader
from sessions_tui.store.tables import BookingRequestRow

from ._cli import cli

CHI = ZoneInfo("America/Chicago")
NOW_TEXT = "2026-11-25T10:00:00-06:00"
CLOCK = FixedClock(parse_aware(NOW_TEXT))
THU_13 = datetime(2026, 11, 26, 13, 0, tzinfo=CHI)


@dataclass
class Demo:
    path: Path
    url: str

    def ctx(self, login: str) -> Iterator[Context]:
        db = open_database(self.url)
        try:
            yield make_context(db, CLOCK, login)
        finally:
            db.dispose()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("holds") / "demo.db"
    db = open_database(f"sqlite:///{path}")
    seed_demo(Context(db, CLOCK, None))
    db.dispose()
    return path


@pytest.fixture
def demo(template: Path, tmp_path: Path) -> Demo:
    path = tmp_path / "demo.db"
    path.write_bytes(template.read_bytes())
    return Demo(path, f"sqlite:///{path}")


def ask(url: str, at: datetime, name: str = "Jordan Lee", service: str = "Intake") -> int:
    """A visitor's request on Ben's page (as the web service makes it)."""
    db = open_database(url)
    try:
        page = booking.page_for_key(db, "ben")
        assert page is not None
        row = booking.create_request(
            db, CLOCK, page, service, at, Visitor(name, "jordan@example.org"), "America/Chicago"
        )
        assert row.id is not None
        return row.id
    finally:
        db.dispose()


def set_status(url: str, request_id: int, **values: object) -> None:
    db = open_database(url)
    try:
        with db.session() as s:
            s.execute(
                update(BookingRequestRow).where(BookingRequestRow.id == request_id).values(**values)  # type: ignore[arg-type]
            )
    finally:
        db.dispose()


def session_for(ctx: Context, practitioner: str, client: str, start: datetime) -> Event:
    pid = practice.find_practitioner(ctx, practitioner).id
    cid = next(c.id for c in practice.list_clients(ctx) if c.full_name == client)
    return Event(
        kind=EventKind.SESSION,
        start=start,
        end=start + timedelta(minutes=50),
        tzid=CHI.key,
        practitioner_id=pid,
        client_id=cid,
    )


def test_issue_24_both_read_paths_agree_on_holds(demo: Demo) -> None:
    live = ask(demo.url, THU_13)
    other = ask(demo.url, datetime(2026, 11, 27, 9, 0, tzinfo=CHI), "Kim Park", "Session")
    gone = ask(demo.url, datetime(2026, 11, 27, 13, 0, tzinfo=CHI), "Old Hold", "Session")
    set_status(demo.url, gone, expires_at=CLOCK.now().astimezone(UTC) - timedelta(minutes=1))
    no = ask(demo.url, datetime(2026, 11, 27, 14, 45, tzinfo=CHI), "Said No", "Session")
    set_status(demo.url, no, status="declined")
    taking = ask(demo.url, datetime(2026, 11, 26, 10, 0, tzinfo=CHI), "Being Taken", "Session")
    set_status(demo.url, taking, status="accepting", expires_at=CLOCK.now() - timedelta(days=1))
    fast = open_fast(demo.url)
    assert fast is not None
    db = open_database(demo.url)
    try:
        orm = OrmReader(db)
        ben = practice.find_practitioner(make_context(db, CLOCK, "alice"), "ben").id
        now = CLOCK.now()
        week = (datetime(2026, 11, 22, tzinfo=CHI), datetime(2026, 11, 29, tzinfo=CHI))
        for start, end in (
            week,
            (THU_13 + timedelta(minutes=79), THU_13 + timedelta(minutes=81)),  # its last minute
            (THU_13 + timedelta(minutes=80), THU_13 + timedelta(hours=3)),  # just after it
        ):
            for who in (None, [ben], [ben + 1000]):
                got = fast.holds(start, end, now=now, practitioners=who)
                assert got == orm.holds(start, end, now=now, practitioners=who), (start, who)
        found = fast.holds(*week, now=now)
        assert [h.id for h in found] == [taking, live, other]  # by start; no expired, declined
        assert found[1].name == "Jordan Lee"
        assert (found[1].start, found[1].end) == (THU_13, THU_13 + timedelta(minutes=80))
        # What the calendar draws: the same through either reader, the hold among the events.
        alice = make_context(db, CLOCK, "alice").actor
        for filters in (Filters(), Filters(practitioner_ids=frozenset({ben}))):
            drawn = holds.calendar_items(fast, *week, CHI, filters, alice, now)
            assert list(drawn) == list(holds.calendar_items(orm, *week, CHI, filters, alice, now))
            held = [i for i in drawn if i.hold is not None]
            assert [(i.title, i.start) for i in held][1:2] == [("Jordan Lee", THU_13)]
            assert len(drawn) > len(held), "the week's events are there too"
    finally:
        fast.close()
        db.dispose()


def test_issue_24_hold_is_named_only_for_those_who_may_answer_it(demo: Demo) -> None:
    ask(demo.url, THU_13)
    db = open_database(demo.url)
    try:
        reader = OrmReader(db)
        day = (datetime(2026, 11, 26, tzinfo=CHI), datetime(2026, 11, 27, tzinfo=CHI))
        titles = {}
        for login in ("alice", "sam", "ben", "carmen"):
            actor = make_context(db, CLOCK, login).actor
            drawn = holds.hold_items(reader, *day, CHI, Filters(), actor, CLOCK.now())
            titles[login] = [i.title for i in drawn]
        assert titles == {
            "alice": ["Jordan Lee"],  # admin
            "sam": ["Jordan Lee"],  # scheduler
            "ben": ["Jordan Lee"],  # his own request
            "carmen": [HOLD_LABEL],  # another practitioner's: the time only
        }
        # A location or status filter that an event would fail hides the hold too.
        place = practice.list_locations(make_context(db, CLOCK, "alice"))[0]
        for hidden in (
            Filters(location_ids=frozenset({place.id})),
            Filters(statuses=frozenset({Status.CANCELLED})),
            Filters(notes_completed=False),
        ):
            assert holds.hold_items(reader, *day, CHI, hidden, None, CLOCK.now()) == []
    finally:
        db.dispose()


def test_issue_24_creating_or_moving_over_a_hold_warns(demo: Demo) -> None:
    rid = ask(demo.url, THU_13)
    for alice in demo.ctx("alice"):
        ava = session_for(alice, "ben", "Ava Bennett", THU_13)
        assert "overlaps the booking request of Jordan Lee on Thu Nov 26 13:00" in (
            holds.warnings_for(alice, ava)
        )
        # Just after the hold (13:00-14:20), or another practitioner's time: no warning.
        later = session_for(alice, "ben", "Ava Bennett", THU_13 + timedelta(minutes=80))
        assert holds.hold_warnings(alice, later) == []
        assert holds.hold_warnings(alice, session_for(alice, "carmen", "Ava Bennett", THU_13)) == []
        # A weekly series that reaches the hold's day warns too.
        weekly = ava.with_changes(
            start=THU_13 - timedelta(days=7),
            end=THU_13 - timedelta(days=7, minutes=-50),
            rrule="FREQ=WEEKLY;COUNT=3",
        )
        assert holds.hold_warnings(alice, weekly) == [
            "overlaps the booking request of Jordan Lee on Thu Nov 26 13:00"
        ]
        # Moving an existing session onto the hold (the same check on the moved copy).
        booked = appointments.create(alice, later)
        assert booked.result_id is not None
        moved = later.with_changes(start=THU_13, end=THU_13 + timedelta(minutes=50))
        assert holds.warnings_for(alice, moved, ignore_ids=[booked.result_id]) == [
            "overlaps the booking request of Jordan Lee on Thu Nov 26 13:00"
        ]
    for carmen in demo.ctx("carmen"):  # may not see Ben's requests: the time, not the name
        ava = session_for(carmen, "ben", "Ava Bennett", THU_13)
        assert holds.hold_warnings(carmen, ava) == [
            "overlaps an online booking hold on Thu Nov 26 13:00"
        ]
    set_status(demo.url, rid, status="declined")
    for alice in demo.ctx("alice"):
        assert holds.hold_warnings(alice, session_for(alice, "ben", "Ava Bennett", THU_13)) == []


def test_issue_24_accepting_onto_booked_time_follows_the_rule(demo: Demo) -> None:
    rid = ask(demo.url, THU_13)
    for alice in demo.ctx("alice"):
        appointments.create(alice, session_for(alice, "ben", "Ava Bennett", THU_13))
        # The practice allows double booking, asking first: refused until the caller says so.
        assert practice.get_settings(alice).allow_double_booking
        with pytest.raises(RequestClashes) as asked:
            booking_requests.accept(alice, rid, new_client=True)
        assert asked.value.clashes == ["Ava Bennett Thu Nov 26 13:00–13:50"]
        assert [r.id for r in booking_requests.list_requests(alice)] == [rid], "still pending"
        # Forbidden: refused, naming the clash, whatever the caller says.
        practice.update_settings(alice, allow_double_booking=False)
        with pytest.raises(ConflictError, match=r"not allowed.*Ava Bennett Thu Nov 26 13:00"):
            booking_requests.accept(alice, rid, new_client=True, double_book=True)
        assert [r.id for r in booking_requests.list_requests(alice)] == [rid]
        practice.update_settings(alice, allow_double_booking=True)
        done = booking_requests.accept(alice, rid, new_client=True, double_book=True)
        assert done.status == "accepted"
        assert done.event_id is not None


def test_issue_24_accepting_onto_free_time_asks_nothing(demo: Demo) -> None:
    rid = ask(demo.url, THU_13)
    for alice in demo.ctx("alice"):
        assert booking_requests.request_clashes(alice, rid) == []
        assert booking_requests.accept(alice, rid, new_client=True).status == "accepted"


def test_issue_24_cli_accept_refuses_booked_time_unless_told(
    demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSIONS_TUI_NOW", NOW_TEXT)
    rid = ask(demo.url, THU_13)
    for alice in demo.ctx("alice"):
        appointments.create(alice, session_for(alice, "ben", "Ava Bennett", THU_13))
    base = ["--db", str(demo.path), "--user", "alice"]
    refused = cli(capsys, "booking", "accept", str(rid), "--new-client", *base)
    assert refused.code == 1
    assert refused.err_lines == [
        f"sessions-tui: error: request {rid} (Jordan Lee) overlaps Ava Bennett Thu Nov 26 "
        "13:00–13:50; not accepted (--double-book accepts it anyway)"
    ]
    done = cli(capsys, "booking", "accept", str(rid), "--new-client", "--double-book", *base)
    assert done.code == 0, done.err
    assert done.out.startswith(f"Accepted #{rid}: session ")


def test_issue_24_privacy_mode_shows_a_requesters_initials() -> None:
    from sessions_tui.domain.holds import Hold
    from sessions_tui.domain.model import Role, Staff
    from sessions_tui.services.calendar import display_title
    from sessions_tui.services.render import describe

    start = THU_13.astimezone(UTC)
    end = start + timedelta(minutes=80)
    hold = Hold(1, 2, start, end, "Jordan Lee", "Intake", "pending", start)
    sam = Staff(5, "sam", "Sam Whitaker", frozenset({Role.SCHEDULER}))
    shown = holds.hold_item(hold, CHI, sam)
    hidden = holds.hold_item(hold, CHI, None)
    assert display_title(shown, privacy=True) == "J.L."
    assert display_title(shown, privacy=False) == "Jordan Lee"
    assert display_title(hidden, privacy=False) == HOLD_LABEL
    assert "J.L." in describe(shown, CHI, privacy=True)
    assert "Jordan" not in describe(shown, CHI, privacy=True)
    assert describe(hidden, CHI).endswith("Hold [requested]")
