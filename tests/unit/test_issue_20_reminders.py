"""Client email reminders (issue 20): each exactly once per (event, occurrence, offset).

A local SMTP sink (aiosmtpd) receives what the worker sends; a stopped clock is moved forward.
The promises that depend on the store (two workers at once) run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pg_support import drop_database, new_database
from sqlalchemy import select

from sessions_tui.config import SmtpSettings
from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, EventKind, Status
from sessions_tui.domain.model import Role
from sessions_tui.services import appointments, contacts, practice, reminders
from sessions_tui.services.appointments import OccurrenceRef, Scope
from sessions_tui.services.context import Context
from sessions_tui.store.db import Database, open_database
from sessions_tui.store.tables import OutboxRow, ReminderLogRow
from sessions_tui.sync import mailer
from sessions_tui.sync.reminder_worker import run_once

from .test_booking_mail import Sink, free_port

CHI = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 09:00 in Chicago
THU = date(2026, 11, 26)


class MovableClock:
    def __init__(self, at: datetime) -> None:
        self.instant = at

    def now(self) -> datetime:
        return self.instant


@dataclass
class Practice:
    db: Database
    clock: MovableClock
    admin: Context
    alice_id: int
    jo: int  # consents
    kim: int  # does not
    room: int


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=CHI).astimezone(UTC)


def make_practice(url: str) -> Practice:
    db = open_database(url)
    clock = MovableClock(NOW)
    alice = practice.add_staff(
        Context(db, clock, None), "alice", "Alice Moreno", {Role.ADMIN, Role.PRACTITIONER}
    )
    admin = Context(db, clock, alice)
    practice.update_settings(admin, display_tz="America/Chicago", name="Riverside Therapy")
    jo = practice.add_client(admin, "Josephine", "Doe")
    kim = practice.add_client(admin, "Kim", "Lee")
    contacts.set_contact(admin, jo.id, email="jo@example.org", preferred_name="Jo", reminders=True)
    contacts.set_contact(admin, kim.id, email="kim@example.org", reminders=False)
    room = practice.add_location(admin, "Room 2")
    reminders.update_settings(admin, hours="48,24", base_url="https://practice.example.org")
    return Practice(db, clock, admin, alice.id, jo.id, kim.id, room.id)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reminders.db'}"
        return
    admin = request.getfixturevalue("pg_admin")
    db_url = new_database(admin)
    yield db_url
    drop_database(admin, db_url)


@pytest.fixture
def pr(tmp_path: Path) -> Iterator[Practice]:
    p = make_practice(f"sqlite:///{tmp_path / 'reminders.db'}")
    yield p
    p.db.dispose()


@pytest.fixture
def sink() -> Iterator[tuple[Sink, SmtpSettings]]:
    from aiosmtpd.controller import Controller

    handler = Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield (
            handler,
            SmtpSettings(host="127.0.0.1", port=port, security="none", sender="desk@example.org"),
        )
    finally:
        controller.stop()


def book(p: Practice, client: int, start: datetime, rrule: str | None = None) -> int:
    ev = Event(
        EventKind.SESSION,
        start,
        start + timedelta(minutes=50),
        "America/Chicago",
        practitioner_id=p.alice_id,
        client_id=client,
        location_id=p.room,
        rrule=rrule,
    )
    change = appointments.create(p.admin, ev)
    assert change.result_id is not None
    return change.result_id


def run(p: Practice, smtp: SmtpSettings) -> int:
    return run_once(p.db, p.clock, smtp).sent


def test_issue_20_one_email_at_the_offset_then_none(
    pr: Practice, sink: tuple[Sink, SmtpSettings]
) -> None:
    handler, smtp = sink
    book(pr, pr.jo, at(THU, 9))
    book(pr, pr.kim, at(THU, 10))  # no consent: never reminded
    pr.clock.instant = at(THU, 9) - timedelta(hours=48, minutes=1)
    assert run(pr, smtp) == 0  # a minute before the 48-hour offset: nothing
    pr.clock.instant = at(THU, 9) - timedelta(hours=48)
    assert run(pr, smtp) == 1
    assert run(pr, smtp) == 0  # a second run sends nothing
    pr.clock.instant = at(THU, 9) - timedelta(hours=30)
    assert run(pr, smtp) == 0
    pr.clock.instant = at(THU, 9) - timedelta(hours=24)
    assert run(pr, smtp) == 1  # the 24-hour one
    pr.clock.instant = at(THU, 9) - timedelta(hours=1)
    assert run(pr, smtp) == 0
    assert [m["To"] for m in handler.messages] == ["jo@example.org"] * 2
    msg = handler.messages[0]
    body = msg.get_content() if hasattr(msg, "get_content") else msg.get_payload()
    text = str(msg.get_payload(decode=True), "utf-8") if not hasattr(msg, "get_content") else body
    assert "Hello Jo," in text  # the preferred name
    assert "Thursday 26 November 2026 at 09:00" in text  # the practice's zone
    assert "Alice Moreno" in text
    assert "Room 2" in text
    assert "https://practice.example.org/r/" in text
    assert "Doe" not in text  # only what the template names
    assert msg["Subject"] == "Reminder: your session on Thursday 26 November 2026 at 09:00"


def test_issue_20_late_booking_and_a_late_worker(
    pr: Practice, sink: tuple[Sink, SmtpSettings]
) -> None:
    handler, smtp = sink
    pr.clock.instant = at(THU, 9) - timedelta(hours=30)
    book(pr, pr.jo, at(THU, 9))  # booked after the 48-hour offset: the 24-hour one only
    assert run(pr, smtp) == 0
    pr.clock.instant = at(THU, 9) - timedelta(hours=20)  # the worker was down at 24 hours
    assert run(pr, smtp) == 1
    assert run(pr, smtp) == 0
    with pr.db.read() as s:
        offsets = [r.offset_minutes for r in s.execute(select(ReminderLogRow)).scalars()]
    assert offsets == [24 * 60]
    assert len(handler.messages) == 1


def test_issue_20_cancelled_and_moved(pr: Practice, sink: tuple[Sink, SmtpSettings]) -> None:
    handler, smtp = sink
    gone = book(pr, pr.jo, at(THU, 9))
    moved = book(pr, pr.jo, at(THU, 11))
    appointments.cancel(pr.admin, OccurrenceRef(gone))
    appointments.move(pr.admin, OccurrenceRef(moved), timedelta(days=1))  # to Friday 11:00
    for hours_before in range(50, 0, -1):  # every hour up to Friday 11:00
        pr.clock.instant = at(THU + timedelta(days=1), 11) - timedelta(hours=hours_before)
        run(pr, smtp)
    # Cancelled: none; moved: its 48- and 24-hour reminders name the new time only.
    subjects = [m["Subject"] for m in handler.messages]
    assert subjects == ["Reminder: your session on Friday 27 November 2026 at 11:00"] * 2


def test_issue_20_queued_then_cancelled_is_dropped(pr: Practice) -> None:
    eid = book(pr, pr.jo, at(THU, 9))
    pr.clock.instant = at(THU, 9) - timedelta(hours=24)
    assert run_once(pr.db, pr.clock, None).queued == 1  # no SMTP: it waits in the outbox
    appointments.cancel(pr.admin, OccurrenceRef(eid))
    report = run_once(pr.db, pr.clock, None)
    assert (report.queued, report.dropped) == (0, 1)
    with pr.db.read() as s:
        assert s.execute(select(OutboxRow.status)).scalar_one() == "dropped"


def test_issue_20_series_occurrences_each_once(
    pr: Practice, sink: tuple[Sink, SmtpSettings]
) -> None:
    handler, smtp = sink
    sid = book(pr, pr.jo, at(THU, 9), rrule="FREQ=DAILY;COUNT=3")
    appointments.cancel(pr.admin, OccurrenceRef(sid, at(THU, 9) + timedelta(days=1)), Scope.THIS)
    for day in range(3):
        pr.clock.instant = at(THU, 9) + timedelta(days=day) - timedelta(hours=24)
        run(pr, smtp)
        run(pr, smtp)
    # Thursday (24 h), Saturday (48 h, then 24 h); Friday's occurrence is cancelled.
    days = [m["Subject"].split(" on ")[1].split()[0] for m in handler.messages]
    assert days == ["Thursday", "Saturday", "Saturday"]


def test_issue_20_no_consent_none_and_consent_needs_email(pr: Practice) -> None:
    book(pr, pr.kim, at(THU, 9))
    pr.clock.instant = at(THU, 9) - timedelta(hours=24)
    assert run_once(pr.db, pr.clock, None).queued == 0
    with pytest.raises(ValidationError, match="email"):
        contacts.set_contact(pr.admin, pr.kim, email="", reminders=True)
    assert contacts.get_contact(pr.admin, pr.kim).reminders is False
    given = contacts.get_contact(pr.admin, pr.jo).reminders_given_at
    assert given == NOW  # the date consent was given is kept
    pr.clock.instant += timedelta(days=1)
    contacts.set_contact(pr.admin, pr.jo, preferred_name="Josie")  # consent unchanged
    assert contacts.get_contact(pr.admin, pr.jo).reminders_given_at == NOW


def test_issue_20_two_workers_at_once_send_one(url: str, sink: tuple[Sink, SmtpSettings]) -> None:
    handler, smtp = sink
    p = make_practice(url)
    try:
        for hh in (9, 10, 11):
            book(p, p.jo, at(THU, hh))

        def four_workers_at_once() -> None:
            barrier = threading.Barrier(4)
            errors: list[BaseException] = []

            def worker() -> None:
                try:
                    barrier.wait()
                    run_once(p.db, p.clock, smtp)
                except BaseException as exc:  # pragma: no cover - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=worker) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert errors == []

        # Thursday 09:00 is 24 h away; 10:00 and 11:00 are past their 48-hour offset.
        p.clock.instant = at(THU, 9) - timedelta(hours=24)
        four_workers_at_once()
        assert sorted(m["Subject"][-5:] for m in handler.messages) == ["09:00", "10:00", "11:00"]
        p.clock.instant = at(THU, 11) - timedelta(hours=24)
        four_workers_at_once()
        four_workers_at_once()
        subjects = sorted(m["Subject"][-5:] for m in handler.messages)
        assert subjects == ["09:00", "10:00", "10:00", "11:00", "11:00"]
        with p.db.read() as s:
            assert len(s.execute(select(ReminderLogRow)).all()) == 5
    finally:
        p.db.dispose()


def test_issue_20_crash_after_the_server_took_it_is_not_resent(
    pr: Practice, sink: tuple[Sink, SmtpSettings]
) -> None:
    """At most once: the worker dies after the server accepted the reminder and before it
    recorded that; a later worker finds the claim, marks it unknown and sends nothing."""
    handler, smtp = sink
    book(pr, pr.jo, at(THU, 9))
    pr.clock.instant = at(THU, 9) - timedelta(hours=24)

    class Died(BaseException):
        pass

    class SendThenDie(mailer.SmtpConnection):
        def send(self, msg: Any) -> mailer.Refused | None:
            super().send(msg)
            raise Died  # the process is gone before it records "sent"

    with pytest.raises(Died):
        run_once(pr.db, pr.clock, smtp, connect=SendThenDie)
    assert len(handler.messages) == 1
    for minutes in (1, 11, 60):
        pr.clock.instant = at(THU, 9) - timedelta(hours=24) + timedelta(minutes=minutes)
        run_once(pr.db, pr.clock, smtp)
    assert len(handler.messages) == 1
    (entry,) = reminders.sent_log(pr.admin)
    assert entry.status == "unknown"


def test_issue_20_failed_send_is_retried_then_reported(
    pr: Practice, sink: tuple[Sink, SmtpSettings]
) -> None:
    handler, smtp = sink
    down = SmtpSettings(host="127.0.0.1", port=free_port(), security="none", sender="d@example.org")
    book(pr, pr.jo, at(THU, 9))
    pr.clock.instant = at(THU, 9) - timedelta(hours=24)
    assert run_once(pr.db, pr.clock, down).failed == 1
    pr.clock.instant += mailer.RETRY_DELAYS[0]
    assert run_once(pr.db, pr.clock, smtp).sent == 1  # the retry goes through
    assert len(handler.messages) == 1
    book(pr, pr.jo, at(THU, 10))
    pr.clock.instant = at(THU, 10) - timedelta(hours=24)
    for delay in (timedelta(0), *mailer.RETRY_DELAYS):
        pr.clock.instant += delay
        run_once(pr.db, pr.clock, down)
    statuses = [e.status for e in reminders.sent_log(pr.admin)]
    assert statuses == ["failed", "sent"]


def test_issue_20_settings_are_checked(pr: Practice) -> None:
    for bad in ("48,x", "0", "24,24", "999"):
        with pytest.raises(ValidationError):
            reminders.update_settings(pr.admin, hours=bad)
    with pytest.raises(ValidationError, match="unknown placeholder"):
        reminders.update_settings(pr.admin, body="Hi {name}, your notes: {notes}")
    with pytest.raises(ValidationError):
        reminders.update_settings(pr.admin, base_url="not a url")
    assert reminders.get_settings(pr.admin).hours == "48,24"
    assert reminders.update_settings(pr.admin, hours="off").offsets == ()


def test_issue_20_confirmed_status_books_like_scheduled() -> None:
    assert Status("confirmed") is Status.CONFIRMED


def test_issue_20_worker_process_killed_mid_send_never_sends_twice(tmp_path: Path) -> None:
    """A real ``reminders run --once`` process is killed (SIGKILL) while the SMTP server holds
    the reminder and before it answers: the server has it, the worker never recorded it. The
    next run (after the claim's lease) marks it ``unknown`` and sends nothing: at most once."""
    import asyncio
    import email
    import os
    import signal
    import subprocess
    import sys

    from aiosmtpd.controller import Controller

    db_path = tmp_path / "killed.db"
    p = make_practice(f"sqlite:///{db_path}")
    book(p, p.jo, at(THU, 9))
    p.db.dispose()

    class KillingSink:
        def __init__(self) -> None:
            self.messages: list[Any] = []
            self.victim: subprocess.Popen[str] | None = None

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.messages.append(email.message_from_bytes(envelope.content))
            if self.victim is not None:
                os.kill(self.victim.pid, signal.SIGKILL)  # before the worker hears "250"
                await asyncio.sleep(0.5)
            return "250 OK"

    handler = KillingSink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    config = tmp_path / "config.toml"
    config.write_text(
        f"[smtp]\nhost = '127.0.0.1'\nport = {port}\nsecurity = 'none'\nfrom = 'desk@example.org'\n"
    )

    def worker(now: datetime) -> subprocess.Popen[str]:
        env = {
            **os.environ,
            "SESSIONS_TUI_NOW": now.isoformat(),
            "SESSIONS_TUI_DB": str(db_path),
            "SESSIONS_TUI_CONFIG": str(config),
        }
        return subprocess.Popen(
            [sys.executable, "-m", "sessions_tui", "reminders", "run", "--once"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    try:
        due = at(THU, 9) - timedelta(hours=24)
        handler.victim = worker(due)
        handler.victim.wait(60)
        assert handler.victim.returncode == -signal.SIGKILL
        assert len(handler.messages) == 1
        handler.victim = None
        for later in (timedelta(minutes=1), timedelta(minutes=15), timedelta(hours=2)):
            done = worker(due + later)
            _out, err = done.communicate(timeout=60)
            assert done.returncode == 0, err
        assert len(handler.messages) == 1  # never a second copy
        q = open_database(str(db_path))
        try:
            admin = Context(q, p.clock, p.admin.actor)
            (entry,) = reminders.sent_log(admin)
            assert entry.status == "unknown"
        finally:
            q.dispose()
    finally:
        controller.stop()


def test_issue_20_demo_practice_has_addresses_consent_and_24h_reminders(
    demo_ctx: Context, sink: tuple[Sink, SmtpSettings]
) -> None:
    handler, smtp = sink
    people = practice.list_clients(demo_ctx)
    reach = contacts.contacts(demo_ctx, [c.id for c in people])
    assert all((reach[c.id].email or "").endswith("@example.org") for c in people)
    assert sum(r.reminders for r in reach.values()) == len(people) // 2
    assert reminders.get_settings(demo_ctx).offsets == (24 * 60,)
    # The demo was booked "now": over the week after tomorrow, passes every six hours send
    # one reminder per session of a consenting client, and none to the others.
    clock = MovableClock(demo_ctx.clock.now() + timedelta(days=1))
    sent = 0
    for _ in range(4 * 7):
        clock.instant += timedelta(hours=6)
        sent += run_once(demo_ctx.db, clock, smtp).sent
    consenting = {r.email for r in reach.values() if r.reminders}
    assert sent == len(handler.messages) > 0
    assert {m["To"] for m in handler.messages} <= consenting
    with demo_ctx.db.read() as s:
        keys = [(r.event_id, r.occurrence) for r in s.execute(select(ReminderLogRow)).scalars()]
    assert len(keys) == len(set(keys)) == sent
