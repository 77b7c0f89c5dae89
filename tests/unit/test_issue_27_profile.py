"""Issue 27, "the page a client trusts": the practice's profile (phone, address, note,
privacy-policy link) and each service's place reach every email and calendar file a client gets.

A client told "please call us" gets the number; a client told where the session is gets the
place in the message and in the .ics (LOCATION); a telehealth link goes only to a confirmed
client. Bad profile values are refused with one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import icalendar
import pytest
from sqlalchemy import select

from sessions_tui.domain.errors import PermissionDenied, ValidationError
from sessions_tui.domain.profile import ServicePlace
from sessions_tui.services import booking, booking_requests, practice, reminders
from sessions_tui.store.tables import BookingRequestRow, OutboxRow

from . import test_issue_20_reminders as r20
from ._cli import cli
from .test_booking import THU, Practice, at, make_practice, request

LINK = "https://meet.example.org/alice-room"


def set_profile(ctx: object) -> None:
    practice.update_profile(
        ctx,  # type: ignore[arg-type]
        phone="+1 (312) 555-0142",
        address="12 River St, Chicago IL",
        note="Parking behind the building.",
        privacy_url="https://riverside.example.org/privacy",
    )


@pytest.fixture
def pr(tmp_path: Path) -> Iterator[Practice]:
    p = make_practice(f"sqlite:///{tmp_path / 'profile.db'}")
    practice.add_location(p.admin, "Main office")
    booking.update_settings(
        p.admin,
        p.alice_id,
        services=[
            ("Intake", 80, ServicePlace("telehealth", LINK)),
            ("Session", 50, ServicePlace("main OFFICE")),
        ],
    )
    set_profile(p.admin)
    yield p
    p.db.dispose()


def bodies(p: Practice) -> list[OutboxRow]:
    with p.db.read() as s:
        return list(s.execute(select(OutboxRow).order_by(OutboxRow.id)).scalars())


def test_issue_27_profile_values_are_checked(pr: Practice) -> None:
    for bad in ("call 555-0142", "555 0142 <b>", "++--"):
        with pytest.raises(ValidationError, match="bad phone"):
            practice.update_profile(pr.admin, phone=bad)
    for bad in ("javascript:alert(1)", "ftp://x.example/p", "riverside.example.org/privacy"):
        with pytest.raises(ValidationError, match="http:// or https://"):
            practice.update_profile(pr.admin, privacy_url=bad)
    with pytest.raises(ValidationError, match="printable"):
        practice.update_profile(pr.admin, note="a\x1b[2Jb")
    with pytest.raises(PermissionDenied):
        practice.update_profile(pr.sam, phone="555 0100")  # a scheduler is not an admin
    assert practice.get_profile(pr.admin).phone == "+1 (312) 555-0142"  # nothing changed
    practice.update_profile(pr.admin, note="none")
    assert practice.get_profile(pr.admin).note is None
    with pytest.raises(ValidationError, match="unknown location"):
        booking.update_settings(
            pr.admin, pr.alice_id, services=[("Session", 50, ServicePlace("Nowhere"))]
        )
    # A list given without places (the TUI's) keeps each service's place.
    booking.update_settings(pr.admin, pr.alice_id, services=[("Session", 50), ("Intake", 80)])
    places = {s.name: s.place for s in booking.get_settings(pr.admin, pr.alice_id).services}
    assert places == {
        "Session": ServicePlace("Main office"),
        "Intake": ServicePlace("telehealth", LINK),
    }


def test_issue_27_profile_set_by_the_cli_with_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "cli.db")
    monkeypatch.setattr("sessions_tui.identity._system_login", lambda: "alice")
    assert (
        cli(capsys, "staff", "add", "alice", "--name", "Alice", "--role", "admin", "--db", db).code
        == 0
    )
    done = cli(capsys, "settings", "set", "profile.phone", "+44 20 7946 0018", "--db", db)
    assert (done.code, done.out.strip()) == (0, "Set profile.phone to +44 20 7946 0018.")
    bad = cli(capsys, "settings", "set", "profile.privacy-url", "javascript:alert(1)", "--db", db)
    assert bad.code != 0
    assert len(bad.err_lines) == 1
    assert "http:// or https://" in bad.err
    bad = cli(capsys, "settings", "set", "profile.phone", "call us", "--db", db)
    assert bad.code != 0
    assert len(bad.err_lines) == 1
    assert "bad phone" in bad.err
    shown = cli(capsys, "settings", "show", "--db", db).out
    assert "profile.phone" in shown
    assert "+44 20 7946 0018" in shown


def test_issue_27_booking_emails_carry_the_profile_and_the_place(pr: Practice) -> None:
    held = request(pr, at(THU, 9), service="Session")
    online = request(pr, at(THU, 13), service="Intake")
    booking_requests.accept(pr.sam, held, new_client=True)
    received, received_online, confirmed = bodies(pr)
    for out in (received, received_online, confirmed):
        assert "Phone: +1 (312) 555-0142" in out.body
        assert "12 River St, Chicago IL" in out.body
        assert "Parking behind the building." in out.body
        assert "Privacy policy: https://riverside.example.org/privacy" in out.body
    assert "Where: Main office" in received.body
    assert "(50 minutes)" in received.body
    # Telehealth: said before confirmation, its link only once confirmed.
    assert "Where: Telehealth" in received_online.body
    assert LINK not in received_online.body
    assert "Where: Main office" in confirmed.body
    assert "To change the time, reply to this email or call us at +1 (312) 555-0142" in (
        confirmed.body
    )
    cal = icalendar.Calendar.from_ical(confirmed.ics)
    (ev,) = cal.walk("VEVENT")
    assert str(ev["LOCATION"]) == "Main office, 12 River St, Chicago IL"
    assert "555-0142" in str(ev["DESCRIPTION"])
    booking_requests.accept(pr.sam, online, new_client=True)
    confirmed_online = bodies(pr)[-1]
    assert f"Where: Telehealth ({LINK})" in confirmed_online.body
    (ev,) = icalendar.Calendar.from_ical(confirmed_online.ics).walk("VEVENT")
    assert str(ev["LOCATION"]) == "Telehealth"
    assert LINK in str(ev["DESCRIPTION"])


def test_issue_27_done_page_calendar_file_has_the_location(pr: Practice) -> None:
    rid = request(pr, at(THU, 9), service="Session")
    with pr.db.read() as s:
        reference = s.get(BookingRequestRow, rid).reference  # type: ignore[union-attr]
    page = booking.page_for_key(pr.db, pr.key())
    assert page is not None
    assert page.profile.phone == "+1 (312) 555-0142"
    ics = booking.request_calendar(pr.db, pr.clock, page, reference)
    assert ics is not None
    (ev,) = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert str(ev["LOCATION"]) == "Main office, 12 River St, Chicago IL"
    assert "555-0142" in str(ev["DESCRIPTION"])


def test_issue_27_reminders_carry_the_profile_and_how_to_move(tmp_path: Path) -> None:
    p = r20.make_practice(f"sqlite:///{tmp_path / 'reminders.db'}")
    try:
        set_profile(p.admin)
        reminders.update_settings(p.admin, cancel_hours=12)
        r20.book(p, p.jo, r20.at(r20.THU, 9))
        p.clock.instant = r20.at(r20.THU, 9) - timedelta(hours=24)
        assert reminders.queue_due(p.db, p.clock).queued == 1
        with p.db.read() as s:
            (out,) = s.execute(select(OutboxRow)).scalars()
        assert "Phone: +1 (312) 555-0142" in out.body
        assert "12 River St, Chicago IL" in out.body
        assert "Privacy policy: https://riverside.example.org/privacy" in out.body
        assert "To change the time: cancel with the link above (until 12 hours before)" in (
            out.body
        )
        assert "call us at +1 (312) 555-0142" in out.body
    finally:
        p.db.dispose()


def test_issue_27_reminder_link_page_shows_the_profile(tmp_path: Path) -> None:
    import re
    import urllib.request

    from sessions_tui.web.server import ServeOptions, ServerThread

    p = r20.make_practice(f"sqlite:///{tmp_path / 'link.db'}")
    server = ServerThread(p.db, p.clock, ServeOptions(port=0)).start()
    try:
        set_profile(p.admin)
        practice.update_profile(p.admin, note="<script>alert(1)</script>")
        reminders.update_settings(p.admin, cancel_hours=12)
        r20.book(p, p.jo, r20.at(r20.THU, 9))
        p.clock.instant = r20.at(r20.THU, 9) - timedelta(hours=24)
        assert reminders.queue_due(p.db, p.clock).queued == 1
        with p.db.read() as s:
            (out,) = s.execute(select(OutboxRow)).scalars()
        (token,) = re.findall(r"/r/([A-Za-z0-9_-]+)", out.body)
        p.clock.instant = r20.at(r20.THU, 9) - timedelta(hours=11)  # online cancelling closed
        with urllib.request.urlopen(f"{server.base_url}/r/{token}", timeout=10) as resp:
            html = resp.read().decode()
        assert "+1 (312) 555-0142" in html
        assert "12 River St, Chicago IL" in html
        assert 'href="https://riverside.example.org/privacy"' in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # escaped, never run
        assert "<script>alert" not in html
        # Cancelling online has closed: "please call us" comes with the number.
        assert "please call us at +1 (312) 555-0142" in html
    finally:
        server.shutdown()
        p.db.dispose()


def test_issue_27_cancel_reason_reaches_the_practice(tmp_path: Path) -> None:
    import re
    import urllib.parse
    import urllib.request

    from sessions_tui.web.server import ServeOptions, ServerThread

    p = r20.make_practice(f"sqlite:///{tmp_path / 'reason.db'}")
    server = ServerThread(p.db, p.clock, ServeOptions(port=0)).start()
    try:
        reminders.update_settings(p.admin, cancel_hours=12)
        r20.book(p, p.jo, r20.at(r20.THU, 9))
        p.clock.instant = r20.at(r20.THU, 9) - timedelta(hours=24)
        assert reminders.queue_due(p.db, p.clock).queued == 1
        with p.db.read() as s:
            (out,) = s.execute(select(OutboxRow)).scalars()
        (token,) = re.findall(r"/r/([A-Za-z0-9_-]+)", out.body)
        url = f"{server.base_url}/r/{token}"
        asked = urllib.parse.urlencode({"answer": "cancel"}).encode()
        with urllib.request.urlopen(url, data=asked, timeout=10) as resp:
            assert 'name="reason"' in resp.read().decode()  # the second question offers it
        sure = urllib.parse.urlencode(
            {"answer": "cancel", "sure": "yes", "reason": "Sick\x1b[2J, sorry\n  see you"}
        ).encode()
        with urllib.request.urlopen(url, data=sure, timeout=10) as resp:
            assert "Your session is cancelled." in resp.read().decode()
        (entry,) = reminders.sent_log(p.admin)
        assert entry.answered == "cancelled"
        assert entry.cancel_reason == "Sick[2J, sorry see you"  # no control character kept
        assert entry.to_json()["cancel_reason"] == "Sick[2J, sorry see you"
    finally:
        server.shutdown()
        p.db.dispose()
