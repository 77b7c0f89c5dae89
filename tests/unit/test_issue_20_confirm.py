"""A reminder's link (issue 20): confirm, or cancel before the cutoff; and the feed's VALARM."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import icalendar
import pytest
from sqlalchemy import select

from sessions_tui.domain.errors import NotFoundError, PermissionDenied
from sessions_tui.domain.events import Status
from sessions_tui.services import feeds, reminder_links, reminders
from sessions_tui.services.appointments import OccurrenceRef
from sessions_tui.services.calendar import Filters, window_items
from sessions_tui.store.tables import AuditRow, EventRow, OutboxRow
from sessions_tui.sync.reminder_worker import run_once
from sessions_tui.web.server import ServeOptions, ServerThread

from .test_issue_20_reminders import CHI, THU, Practice, at, book, make_practice, url

__all__ = ["url"]  # the fixture: SQLite and PostgreSQL


@pytest.fixture
def pr(tmp_path: Path) -> Iterator[Practice]:
    p = make_practice(f"sqlite:///{tmp_path / 'confirm.db'}")
    yield p
    p.db.dispose()


@pytest.fixture
def any_pr(url: str) -> Iterator[Practice]:
    """The practice on SQLite and on PostgreSQL (row-level security, audit triggers)."""
    p = make_practice(url)
    yield p
    p.db.dispose()


def token_of(p: Practice, n: int = -1) -> str:
    """The link token in the ``n``-th queued reminder (as the client reads it)."""
    with p.db.read() as s:
        bodies = s.execute(select(OutboxRow.body).order_by(OutboxRow.id)).scalars().all()
    found = re.search(r"/r/([A-Za-z0-9_-]+)", bodies[n])
    assert found is not None
    return found.group(1)


def status_of(p: Practice, start_hh: int) -> Status:
    start = at(THU, 0)
    items = window_items(p.admin, start, start + timedelta(days=2), CHI, Filters())
    (item,) = [i for i in items if i.start == at(THU, start_hh)]
    return item.status


def test_issue_20_confirm_sets_confirmed_with_an_audit_row(any_pr: Practice) -> None:
    pr = any_pr
    eid = book(pr, pr.jo, at(THU, 9))
    pr.clock.instant = at(THU, 9) - timedelta(hours=24)
    assert run_once(pr.db, pr.clock, None).queued == 1
    token = token_of(pr)
    page = reminder_links.page(pr.db, pr.clock, token)
    assert page is not None
    assert (page.status, page.practitioner, page.location) == (
        Status.SCHEDULED,
        "Alice Moreno",
        "Room 2",
    )
    assert page.when == "Thursday 26 November 2026, 09:00"
    assert reminder_links.answer(pr.db, pr.clock, token, "confirm") is Status.CONFIRMED
    assert status_of(pr, 9) is Status.CONFIRMED
    with pr.db.read() as s:
        audit = s.execute(
            select(AuditRow).where(AuditRow.entity == "event", AuditRow.entity_id == eid)
        ).scalars()
        last = list(audit)[-1]
    assert last.actor == reminder_links.ACTOR
    assert json.loads(last.after or "{}")["status"] == "confirmed"
    # A confirmed session still gets its later reminders, and still holds its time.
    pr.clock.instant = at(THU, 9) - timedelta(hours=1)
    assert run_once(pr.db, pr.clock, None).queued == 0  # 24 h was the last offset
    assert reminder_links.page(pr.db, pr.clock, "x" * 32) is None


def test_issue_20_cancel_before_cutoff_refused_after(pr: Practice) -> None:
    reminders.update_settings(pr.admin, cancel_hours=24)
    book(pr, pr.jo, at(THU, 9))
    book(pr, pr.jo, at(THU, 11))
    pr.clock.instant = at(THU, 9) - timedelta(hours=30)
    run_once(pr.db, pr.clock, None)  # two 48-hour reminders
    first, second = token_of(pr, 0), token_of(pr, 1)
    assert reminder_links.answer(pr.db, pr.clock, first, "cancel") is Status.CANCELLED
    assert status_of(pr, 9) is Status.CANCELLED
    pr.clock.instant = at(THU, 11) - timedelta(hours=23)  # past the cutoff
    with pytest.raises(PermissionDenied, match="too late"):
        reminder_links.answer(pr.db, pr.clock, second, "cancel")
    assert status_of(pr, 11) is Status.SCHEDULED
    with pytest.raises(PermissionDenied, match="cancelled"):
        reminder_links.answer(pr.db, pr.clock, first, "confirm")
    reminders.update_settings(pr.admin, cancel_hours=None)
    pr.clock.instant = at(THU, 11) - timedelta(hours=40)
    with pytest.raises(PermissionDenied, match="does not take cancellations"):
        reminder_links.answer(pr.db, pr.clock, second, "cancel")
    with pytest.raises(NotFoundError):
        reminder_links.answer(pr.db, pr.clock, "y" * 32, "confirm")


def test_issue_20_confirm_one_occurrence_of_a_series(pr: Practice) -> None:
    sid = book(pr, pr.jo, at(THU, 9), rrule="FREQ=DAILY;COUNT=3")
    pr.clock.instant = at(THU, 9) + timedelta(days=1) - timedelta(hours=24)
    run_once(pr.db, pr.clock, None)  # Friday's 24 h, Saturday's 48 h
    friday = token_of(pr, 0)
    assert reminder_links.answer(pr.db, pr.clock, friday, "confirm") is Status.CONFIRMED
    start = at(THU, 0)
    items = window_items(pr.admin, start, start + timedelta(days=4), CHI, Filters())
    assert [i.status.value for i in items] == ["scheduled", "confirmed", "scheduled"]
    with pr.db.read() as s:
        override = s.execute(select(EventRow).where(EventRow.series_id == sid)).scalar_one()
    assert override.status == "confirmed"
    # The series is still one series: its master is untouched.
    assert OccurrenceRef(sid).event_id == sid


def test_issue_20_confirm_page_over_http(pr: Practice) -> None:
    reminders.update_settings(pr.admin, cancel_hours=12)
    book(pr, pr.jo, at(THU, 9))
    pr.clock.instant = at(THU, 9) - timedelta(hours=24)
    run_once(pr.db, pr.clock, None)
    token = token_of(pr)
    server = ServerThread(pr.db, pr.clock, ServeOptions(port=0)).start()
    try:
        url = f"{server.base_url}/r/{token}"
        with urllib.request.urlopen(url, timeout=10) as r:
            page = r.read().decode()
        assert "Status: <strong>scheduled</strong>" in page
        assert 'value="confirm"' in page
        assert 'value="cancel"' in page
        assert status_of(pr, 9) is Status.SCHEDULED  # opening the link changes nothing
        req = urllib.request.Request(url, data=b"answer=confirm", method="POST")
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
        with urllib.request.urlopen(req, timeout=10) as r:
            page = r.read().decode()
        assert "your session is confirmed" in page
        assert status_of(pr, 9) is Status.CONFIRMED
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{server.base_url}/r/{'z' * 32}", timeout=10)
        assert err.value.code == 404
    finally:
        server.shutdown()


def test_issue_20_feed_carries_valarm(pr: Practice) -> None:
    from sessions_tui.sync.feed import FeedApp

    book(pr, pr.jo, at(THU, 9))
    feeds.set_enabled(pr.admin, pr.alice_id, True)
    feed = feeds.get_feed(pr.admin, pr.alice_id)
    app = FeedApp(pr.db, pr.clock)
    plain = icalendar.Calendar.from_ical(app.render(feed).body)
    assert [c for c in plain.walk("VALARM")] == []
    reminders.update_settings(pr.admin, feed_alarm_minutes=30)
    cal = icalendar.Calendar.from_ical(app.render(feed).body)  # the cache sees the change
    (event,) = cal.walk("VEVENT")
    (alarm,) = event.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -timedelta(minutes=30)
