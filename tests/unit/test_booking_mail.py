"""Booking emails: queued with the change, sent by the worker to a local SMTP sink, retried."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from sessions_tui.config import SmtpSettings, load_config
from sessions_tui.domain.errors import ValidationError
from sessions_tui.services import booking_requests
from sessions_tui.store.tables import OutboxRow
from sessions_tui.sync import mailer

from .test_booking import THU, Practice, at, make_practice, request


class Sink:
    """Keeps every message the SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sink() -> Iterator[tuple[Sink, SmtpSettings]]:
    handler = Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield (
            handler,
            SmtpSettings(
                host="127.0.0.1", port=port, security="none", sender="Practice <desk@example.org>"
            ),
        )
    finally:
        controller.stop()


@pytest.fixture
def pr(tmp_path: Path) -> Iterator[Practice]:
    p = make_practice(f"sqlite:///{tmp_path / 'mail.db'}")
    yield p
    p.db.dispose()


def test_issue_16_received_and_confirmed_reach_the_client(
    pr: Practice, sink: tuple[Sink, SmtpSettings]
) -> None:
    handler, settings = sink
    rid = request(pr, at(THU, 9))
    assert handler.messages == []  # nothing is sent from the request itself
    assert mailer.send_due(pr.db, pr.clock, settings) == (1, 0)
    booking_requests.accept(pr.sam, rid, new_client=True)
    assert mailer.send_due(pr.db, pr.clock, settings) == (1, 0)
    assert mailer.send_due(pr.db, pr.clock, settings) == (0, 0)  # each is sent once
    received, confirmed = handler.messages
    assert received["To"] == "jo@example.org"
    assert "received your request" in received["Subject"]
    assert confirmed["Subject"].startswith("Confirmed:")
    parts = {p.get_content_type(): p for p in confirmed.walk()}
    assert "text/calendar" in parts
    ics = parts["text/calendar"].get_payload(decode=True)
    assert b"BEGIN:VEVENT" in ics
    assert b"DTSTART:20261126T150000Z" in ics
    # The log of what was sent.
    log = booking_requests.outbox_log(pr.sam)
    assert [(r["kind"], r["status"]) for r in log] == [("confirmed", "sent"), ("received", "sent")]


def test_issue_16_mail_is_retried_then_given_up(pr: Practice) -> None:
    down = SmtpSettings(host="127.0.0.1", port=free_port(), security="none", sender="d@example.org")
    request(pr, at(THU, 9))
    assert mailer.send_due(pr.db, pr.clock, down) == (0, 1)
    with pr.db.read() as s:
        row = s.execute(select(OutboxRow)).scalar_one()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == pr.clock.now() + mailer.RETRY_DELAYS[0]
    assert mailer.send_due(pr.db, pr.clock, down) == (0, 0)  # not due yet
    for delay in mailer.RETRY_DELAYS:
        pr.clock.instant += delay
        mailer.send_due(pr.db, pr.clock, down)
    with pr.db.read() as s:
        row = s.execute(select(OutboxRow)).scalar_one()
    assert (row.status, row.attempts) == ("failed", len(mailer.RETRY_DELAYS) + 1)
    assert row.last_error


def test_issue_16_smtp_settings_from_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    path.write_text(
        "[smtp]\nhost = 'mail.example.org'\nsecurity = 'tls'\nusername = 'desk'\n"
        f"password_file = '{secret}'\nfrom = 'desk@example.org'\n"
    )
    smtp = load_config(path).smtp
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.security, smtp.sender) == (
        "mail.example.org",
        465,
        "tls",
        "desk@example.org",
    )
    assert smtp.password() == "s3cret"
    monkeypatch.setenv("SESSIONS_TUI_SMTP_PASSWORD", "from-env")
    assert smtp.password() == "from-env"
    path.write_text("[smtp]\nhost = 'x'\nsecurity = 'ssl'\nfrom = 'a@b.org'\n")
    with pytest.raises(ValidationError, match="security"):
        load_config(path)
    path.write_text("[smtp]\nhost = 'x'\nfrom = 'a@b.org'\npasword = 'typo'\n")
    with pytest.raises(ValidationError, match="pasword"):
        load_config(path)


def test_issue_16_declined_mail_has_reason(pr: Practice, sink: tuple[Sink, SmtpSettings]) -> None:
    handler, settings = sink
    rid = request(pr, at(THU, 9))
    booking_requests.decline(pr.sam, rid, "Fully booked that week")
    pr.clock.instant += timedelta(seconds=1)
    assert mailer.send_due(pr.db, pr.clock, settings) == (2, 0)
    declined = handler.messages[-1]
    assert "Fully booked that week" in declined.get_payload()
