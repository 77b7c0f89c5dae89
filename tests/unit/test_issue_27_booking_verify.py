"""Issue 27: a page's request holds nothing until its address confirms it (services, on SQLite
and on a real PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.services import booking, booking_requests
from sessions_tui.services.booking import SlotTaken, TookTooLong, Visitor
from sessions_tui.store.holds import holds_between
from sessions_tui.store.tables import BookingRequestRow, OutboxRow

from .test_booking import JO, THU, Practice, at, make_practice, url  # noqa: F401

BASE = "https://book.example.org"


@pytest.fixture
def pr(url: str) -> Iterator[Practice]:  # noqa: F811
    p = make_practice(url)
    yield p
    p.db.dispose()


def ask(p: Practice, who: Visitor = JO, hh: int = 9, **kw: object) -> str | None:
    return booking.ask(
        p.db, p.clock, p.page(), "Session", at(THU, hh), who, "Europe/Berlin", link_base=BASE, **kw
    )  # type: ignore[arg-type]


def kinds(p: Practice) -> list[str]:
    with p.db.read() as s:
        return [m.kind for m in s.execute(select(OutboxRow).order_by(OutboxRow.id)).scalars()]  # type: ignore[arg-type]


def rows(p: Practice) -> list[BookingRequestRow]:
    with p.db.read() as s:
        return list(s.execute(select(BookingRequestRow)).scalars())


def held_now(p: Practice) -> int:
    with p.db.read() as s:
        return len(holds_between(s, at(THU, 0), at(THU, 23), p.clock.now()))


def test_issue_27_a_request_holds_only_once_confirmed(pr: Practice) -> None:
    token = ask(pr)
    assert token is not None
    assert held_now(pr) == 0
    assert booking_requests.list_requests(pr.sam, status=None) == []
    assert kinds(pr) == ["verify"]
    row = booking.verify(pr.db, pr.clock, pr.page(), token)
    assert row.status == "pending"
    assert held_now(pr) == 1
    assert [r.email for r in booking_requests.list_requests(pr.sam)] == ["jo@example.org"]
    # Opening the link again changes nothing and sends nothing.
    again = booking.verify(pr.db, pr.clock, pr.page(), token)
    assert again.id == row.id
    assert kinds(pr) == ["verify", "received"]
    with pytest.raises(NotFoundError):
        booking.verify(pr.db, pr.clock, pr.page(), "not-a-token")


def test_issue_27_two_confirmations_of_one_time_one_wins(pr: Practice) -> None:
    tokens = [ask(pr, Visitor(f"V {i}", f"v{i}@example.org")) for i in range(2)]
    page = pr.page()
    results: list[object] = []
    start = threading.Barrier(2)

    def confirm(token: str | None) -> None:
        assert token is not None
        start.wait()
        try:
            results.append(booking.verify(pr.db, pr.clock, page, token))
        except SlotTaken as exc:
            results.append(exc)

    threads = [threading.Thread(target=confirm, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(type(r).__name__ for r in results) == ["BookingRequestRow", "SlotTaken"]
    assert held_now(pr) == 1
    assert kinds(pr).count("received") == 1


def test_issue_27_past_its_deadline_nothing_is_kept_or_mailed(pr: Practice) -> None:
    with pytest.raises(TookTooLong):
        ask(pr, deadline=time.monotonic() - 1)
    assert rows(pr) == []
    assert kinds(pr) == []
    token = ask(pr)
    assert token is not None
    with pytest.raises(TookTooLong):
        booking.verify(pr.db, pr.clock, pr.page(), token, deadline=time.monotonic() - 1)
    assert held_now(pr) == 0
    assert kinds(pr) == ["verify"]


def test_issue_27_offered_times_fall_on_the_increment(pr: Practice) -> None:
    local = [s.astimezone(ZoneInfo("America/Chicago")) for s in pr.day_slots(THU)]
    assert local[:4] == [
        datetime.combine(THU, clock_time(9, m), tzinfo=local[0].tzinfo) for m in (0, 15, 30, 45)
    ]
    assert all(t.minute % 15 == 0 for t in local)
    booking.update_settings(pr.admin, pr.alice_id, increment_minutes=30)
    assert booking.get_settings(pr.admin, pr.alice_id).increment_minutes == 30
    assert {s.astimezone(ZoneInfo("America/Chicago")).minute for s in pr.day_slots(THU)} == {0, 30}
    with pytest.raises(ValidationError, match="increment"):
        booking.update_settings(pr.admin, pr.alice_id, increment_minutes=7)
