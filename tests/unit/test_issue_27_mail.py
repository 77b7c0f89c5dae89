"""Mail exactly once per message (issue 27): a real SMTP sink (aiosmtpd) that refuses one
recipient, one that drops the connection mid-batch, and a worker process killed mid-batch;
every test counts what the sink received: none twice, none lost."""

from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from sessions_tui.config import SmtpSettings
from sessions_tui.services import reminders
from sessions_tui.services.context import Context
from sessions_tui.store.db import open_database
from sessions_tui.store.tables import OutboxRow
from sessions_tui.sync import mailer
from sessions_tui.sync.reminder_worker import run_once
from sessions_tui.web.server import ServeOptions, ServerThread

from . import test_booking
from .test_booking_mail import free_port
from .test_issue_20_reminders import THU, Practice, at, book, make_practice


class Sink:
    """Keeps every message; refuses ``refuse`` at RCPT; closes the connection at the
    ``drop_at``-th MAIL FROM (counted over the sink's life) when set."""

    def __init__(self, refuse: str = "", drop_at: int = 0) -> None:
        self.messages: list[Message] = []
        self.refuse, self.drop_at, self.mails = refuse, drop_at, 0

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.mails += 1
        if self.mails == self.drop_at:
            server.transport.close()  # the server goes away between two messages
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address == self.refuse:
            return "550 5.1.1 no such mailbox"
        if address == "drop@example.org":
            server.transport.close()  # this server always hangs up on this one
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def serve(handler: Any) -> tuple[Controller, SmtpSettings]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    return controller, SmtpSettings(
        host="127.0.0.1", port=port, security="none", sender="desk@example.org"
    )


@pytest.fixture
def pr(tmp_path: Path) -> Iterator[Practice]:
    p = make_practice(f"sqlite:///{tmp_path / 'mail27.db'}")
    reminders.update_settings(p.admin, hours="24")
    yield p
    p.db.dispose()


def eight_reminders_due(p: Practice) -> None:
    for hh in range(9, 17):
        book(p, p.jo, at(THU, hh))
    p.clock.instant = at(THU, 16) - timedelta(hours=24)  # all eight are due now


def times(handler: Sink) -> Counter[str]:
    return Counter(str(m["Subject"])[-5:] for m in handler.messages)


EIGHT = Counter(f"{hh:02d}:00" for hh in range(9, 17))


def test_issue_27_refused_message_fails_alone_and_the_rest_go_once(pr: Practice) -> None:
    """One recipient refused (550), one internationalised address on a server without
    SMTPUTF8, and one the server always hangs up on, in the middle of a batch: the healthy
    messages behind them go, each once."""
    handler = Sink(refuse="gone@example.org")
    controller, smtp = serve(handler)
    addresses = [
        "a@example.org",
        "zoë@example.org",  # needs SMTPUTF8, which this server does not offer
        "b@example.org",
        "gone@example.org",  # refused by the server
        "c@exämple.org",  # an internationalised domain: IDNA-encoded, it goes
        "drop@example.org",  # the server closes the connection on it, every time
        "d@example.org",
    ]
    now = pr.clock.now()
    with pr.db.session() as s:
        for n, addr in enumerate(addresses):
            s.add(
                OutboxRow(
                    kind="received",
                    to_addr=addr,
                    subject=f"message {n}",
                    body="Hello",
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    try:
        for delay in (timedelta(0), *mailer.RETRY_DELAYS, timedelta(days=1)):
            pr.clock.instant += delay
            mailer.send_due(pr.db, pr.clock, smtp)
    finally:
        controller.stop()
    got = Counter(str(m["Subject"]) for m in handler.messages)
    assert got == Counter({"message 0": 1, "message 2": 1, "message 4": 1, "message 6": 1})
    assert {m["To"] for m in handler.messages if m["Subject"] == "message 4"} == {
        "c@xn--exmple-cua.org"
    }
    for m in handler.messages:  # every message is dated and identified
        assert m["Date"]
        assert m["Message-ID"]
    with pr.db.read() as s:
        status = {r.to_addr: r.status for r in s.execute(select(OutboxRow)).scalars()}
    assert status["zoë@example.org"] == "failed"
    assert status["gone@example.org"] == "failed"
    assert status["drop@example.org"] == "failed"  # after its retries
    assert [status[a] for a in addresses if "o" not in a.split("@")[0]] == ["sent"] * 4


def test_issue_27_connection_dropped_mid_batch_loses_and_doubles_nothing(pr: Practice) -> None:
    """The server closes the connection when the third reminder starts: the first two are
    sent, the third and the rest go on the next pass; each reminder arrives once."""
    handler = Sink(drop_at=3)
    controller, smtp = serve(handler)
    eight_reminders_due(pr)
    try:
        for _ in range(3):
            run_once(pr.db, pr.clock, smtp)
            pr.clock.instant += timedelta(minutes=1)
    finally:
        controller.stop()
    assert times(handler) == EIGHT
    assert [e.status for e in reminders.sent_log(pr.admin)] == ["sent"] * 8


def test_issue_27_worker_killed_mid_batch_leaves_the_rest_to_send(tmp_path: Path) -> None:
    """A real ``reminders run --once`` process is killed (SIGKILL) while the server holds the
    fourth of eight reminders: the three sent stay ``sent``, the fourth is ``unknown`` (at most
    once: the server has it), the four it never reached are sent by the next run. Each of the
    eight arrives exactly once."""
    db_path = tmp_path / "killed.db"
    p = make_practice(f"sqlite:///{db_path}")
    reminders.update_settings(p.admin, hours="24")
    eight_reminders_due(p)
    due = p.clock.instant
    p.db.dispose()

    class KillingSink(Sink):
        victim: subprocess.Popen[str] | None = None

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            await super().handle_DATA(server, session, envelope)
            if self.victim is not None and len(self.messages) == 4:
                os.kill(self.victim.pid, signal.SIGKILL)  # before the worker hears "250"
                await asyncio.sleep(0.5)
            return "250 OK"

    handler = KillingSink()
    controller, smtp = serve(handler)
    config = tmp_path / "config.toml"
    config.write_text(
        f"[smtp]\nhost = '127.0.0.1'\nport = {smtp.port}\nsecurity = 'none'\n"
        "from = 'desk@example.org'\n"
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
        handler.victim = worker(due)
        handler.victim.wait(60)
        assert handler.victim.returncode == -signal.SIGKILL
        handler.victim = None
        for later in (timedelta(minutes=1), timedelta(minutes=15)):
            done = worker(due + later)
            _out, err = done.communicate(timeout=60)
            assert done.returncode == 0, err
    finally:
        controller.stop()
    assert times(handler) == EIGHT  # none lost, none twice
    q = open_database(str(db_path))
    try:
        log = reminders.sent_log(Context(q, p.clock, p.admin.actor))
        assert Counter(e.status for e in log) == Counter({"sent": 7, "unknown": 1})
    finally:
        q.dispose()


def test_issue_27_requester_is_told_once_when_the_hold_runs_out(tmp_path: Path) -> None:
    """A request nobody answers: when its hold runs out the requester gets one message saying
    so (two workers, several passes: still one)."""
    p = test_booking.make_practice(f"sqlite:///{tmp_path / 'expiry.db'}")
    handler = Sink()
    controller, smtp = serve(handler)
    try:
        test_booking.request(p, test_booking.at(THU, 9))
        mailer.send_due(p.db, p.clock, smtp)  # "we received your request"
        p.clock.instant += timedelta(days=2, hours=1)  # past the 2-day hold
        for _ in range(2):
            mailer.send_due(p.db, p.clock, smtp)
            mailer.send_due(p.db, p.clock, smtp)
            p.clock.instant += timedelta(minutes=5)
    finally:
        controller.stop()
        p.db.dispose()
    subjects = [str(m["Subject"]) for m in handler.messages]
    assert len(subjects) == 2
    assert "not answered in time" in subjects[1]


def test_issue_27_reminder_link_of_a_series_given_to_another_client(pr: Practice) -> None:
    """Jo's reminder link, after Jo's series is given to Kim: it confirms and cancels nothing
    and says the link no longer applies; once the series is Jo's again, it works."""
    from sessions_tui.domain.errors import NotFoundError
    from sessions_tui.domain.events import Status
    from sessions_tui.services import appointments, reminder_links
    from sessions_tui.services.appointments import OccurrenceRef, Scope

    from .test_issue_20_confirm import token_of

    reminders.update_settings(pr.admin, cancel_hours=2)
    eid = book(pr, pr.jo, at(THU, 9), rrule="FREQ=WEEKLY;COUNT=4")
    pr.clock.instant = at(THU, 9) - timedelta(hours=24)
    assert run_once(pr.db, pr.clock, None).queued == 1
    token = token_of(pr)
    appointments.edit(pr.admin, OccurrenceRef(eid, at(THU, 9)), Scope.ALL, client_id=pr.kim)
    for what in (reminder_links.CANCEL, reminder_links.CONFIRM):
        with pytest.raises(NotFoundError, match="no longer applies"):
            reminder_links.answer(pr.db, pr.clock, token, what)
    with pytest.raises(NotFoundError, match="no longer applies"):
        reminder_links.page(pr.db, pr.clock, token)
    server = ServerThread(pr.db, pr.clock, ServeOptions(port=0)).start()
    try:  # over HTTP: the page and a posted cancel answer the same
        url = f"{server.base_url}/r/{token}"
        posted = urllib.request.Request(url, data=b"answer=cancel", method="POST")
        posted.add_header("Content-Type", "application/x-www-form-urlencoded")
        for req in (urllib.request.Request(url), posted):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(req, timeout=10)
            assert err.value.code == 404
            assert "This link no longer applies" in err.value.read().decode()
    finally:
        server.shutdown()
    with pr.db.read() as s:
        from sessions_tui.store.tables import EventRow

        row = s.get(EventRow, eid)
        assert row is not None
        assert row.status == Status.SCHEDULED.value  # Kim's session is untouched
    appointments.edit(pr.admin, OccurrenceRef(eid, at(THU, 9)), Scope.ALL, client_id=pr.jo)
    assert reminder_links.answer(pr.db, pr.clock, token, "confirm") is Status.CONFIRMED
