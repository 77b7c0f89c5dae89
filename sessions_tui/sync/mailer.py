"""The mail worker: sends what booking queued in the ``outbox`` table, with retries.

Web requests never talk to the mail server; they queue a row (in the transaction of the change
the message tells of) and this worker sends it. Each pass takes the due rows, sends each on one
SMTP connection, and marks it ``sent`` (the row stays: it is the log of what was sent) or, on a
failure, schedules the next attempt after :data:`RETRY_DELAYS` and gives up (``failed``) after
the last. A row is sent at most once per pass and is claimed before sending, so two workers do
not both send it.

SMTP settings come from the config file's ``[smtp]`` table
(:class:`sessions_tui.config.SmtpSettings`). The password is read when sending, never logged.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import select, update

from sessions_tui.clock import Clock
from sessions_tui.config import SmtpSettings
from sessions_tui.store.db import Database
from sessions_tui.store.tables import OutboxRow

log = logging.getLogger("sessions_tui.mail")

RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
"""Waits after the 1st, 2nd, … failure; after the last one the message is marked failed."""

BATCH = 50
TIMEOUT = 20.0
"""Seconds before a silent mail server counts as a failure."""

Sender = Callable[[SmtpSettings, list[EmailMessage]], list[str | None]]


def build_message(row: OutboxRow, sender: str) -> EmailMessage:
    """The email of an outbox row from ``sender``, with its ``.ics`` attached when it has one."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = row.to_addr
    msg["Subject"] = row.subject
    domain = sender.rsplit("@", 1)[-1].strip("> ") or None
    msg["Message-ID"] = make_msgid(domain=domain)
    msg.set_content(row.body)
    if row.ics:
        msg.add_attachment(
            row.ics.encode(),
            maintype="text",
            subtype="calendar",
            filename="session.ics",
            params={"method": "PUBLISH"},
        )
    return msg


def smtp_send(settings: SmtpSettings, messages: list[EmailMessage]) -> list[str | None]:
    """Send ``messages`` on one connection; per message ``None`` or the error's text."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.security == "tls":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
    results: list[str | None] = []
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        password = settings.password()
        if settings.username and password is not None:
            smtp.login(settings.username, password)
        for msg in messages:
            try:
                smtp.send_message(msg)
                results.append(None)
            except smtplib.SMTPException as exc:
                results.append(f"{exc.__class__.__name__}: {exc}"[:300])
    return results


def _failed(row_attempts: int, now: datetime) -> tuple[str, datetime]:
    if row_attempts >= len(RETRY_DELAYS) + 1:
        return "failed", now
    return "pending", now + RETRY_DELAYS[row_attempts - 1]


def send_due(
    db: Database, clock: Clock, settings: SmtpSettings, send: Sender = smtp_send
) -> tuple[int, int]:
    """One pass: send every due message. Returns (sent, failed this pass)."""
    now = clock.now()
    with db.session() as s:
        rows = (
            s.execute(
                select(OutboxRow)
                .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.id)
                .limit(BATCH)
            )
            .scalars()
            .all()
        )
        # Claimed: a second worker's pass skips these until the outcome is recorded.
        for r in rows:
            r.status = "sending"
            r.attempts += 1
    if not rows:
        return 0, 0
    messages = [build_message(r, settings.sender) for r in rows]
    try:
        results = send(settings, messages)
    except (OSError, smtplib.SMTPException) as exc:
        results = [f"{exc.__class__.__name__}: {exc}"[:300]] * len(rows)
    sent = failed = 0
    with db.session() as s:
        for r, error in zip(rows, results, strict=True):
            if error is None:
                values = {"status": "sent", "sent_at": now, "last_error": None}
                sent += 1
                log.info("mail %s sent: %s (outbox %s)", r.kind, r.subject, r.id)
            else:
                status, when = _failed(r.attempts, now)
                values = {"status": status, "next_attempt_at": when, "last_error": error}
                failed += 1
                log.warning("mail %s not sent (try %d): %s", r.kind, r.attempts, error)
            s.execute(update(OutboxRow).where(OutboxRow.id == r.id).values(**values))
    return sent, failed


def recover_claims(db: Database) -> None:
    """Messages claimed by a worker that died mid-send go back to the queue."""
    with db.session() as s:
        s.execute(update(OutboxRow).where(OutboxRow.status == "sending").values(status="pending"))


class MailWorker:
    """A daemon thread running :func:`send_due` every ``interval`` seconds until stopped."""

    def __init__(
        self, db: Database, clock: Clock, settings: SmtpSettings, interval: float = 5.0
    ) -> None:
        self.db, self.clock, self.settings, self.interval = db, clock, settings, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mail-worker", daemon=True)

    def start(self) -> None:
        """Put messages a dead worker left mid-send back in the queue, then start sending."""
        recover_claims(self.db)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                send_due(self.db, self.clock, self.settings)
            except Exception:
                log.exception("mail worker pass failed")
            self._stop.wait(self.interval)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current pass; wait up to ``timeout`` seconds for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
