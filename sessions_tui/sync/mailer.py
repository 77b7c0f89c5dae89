"""The mail worker: sends what booking queued in the ``outbox`` table, with retries.

Web requests never talk to the mail server; they queue a row (in the transaction of the change
the message tells of) and this worker sends it. Each pass takes the due rows, sends each on one
SMTP connection, and marks it ``sent`` (the row stays: it is the log of what was sent) or, on a
failure, schedules the next attempt after :data:`RETRY_DELAYS` and gives up (``failed``) after
the last. A row is claimed before sending by a compare-and-set (``pending`` → ``sending``, one
UPDATE whose WHERE names the status), so of two workers (threads, processes, hosts on one
PostgreSQL) exactly one gets it.

**The crash window** (a worker dies after the server accepted a message and before ``sent``
was recorded, or a connection drops in the middle of a message, when the server may or may not
have it). A claim holds a lease (:data:`LEASE`: ``next_attempt_at`` is set that far ahead);
a claim whose lease ran out belongs to a dead worker:

- booking emails (a request received, confirmed, declined) go back to ``pending``: *at least
  once*, since a client who never hears that their session is booked is worse off than one
  told twice;
- reminders (:data:`AT_MOST_ONCE` kinds) become ``unknown`` and are never sent again: *at most
  once*, as issue 20 asks (a crash never duplicates a reminder). ``sessions-tui reminders
  status`` reports them. The same holds when a connection breaks in the middle of a reminder.

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
LEASE = timedelta(minutes=10)
"""How long a claim is held; past it the claiming worker is taken to be dead."""
AT_MOST_ONCE = frozenset({"reminder"})
"""Kinds never sent twice: a claim left by a dead worker, or a send that broke off in the
middle, ends ``unknown`` instead of being tried again."""
MAYBE = "maybe sent: "
"""Prefix of an error after which the server may have the message (the connection broke in
the middle of it); other errors mean the server does not have it."""

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
    try:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        password = settings.password()
        if settings.username and password is not None:
            smtp.login(settings.username, password)
        for msg in messages:
            try:
                smtp.send_message(msg)
                results.append(None)
            except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
                # The server answered with a refusal: it does not have the message.
                results.append(f"{exc.__class__.__name__}: {exc}"[:300])
            except (smtplib.SMTPException, OSError) as exc:
                # The connection broke mid-message: the server may have it. The rest were
                # never offered.
                results.append(f"{MAYBE}{exc.__class__.__name__}: {exc}"[:300])
                results.extend(["not sent: the connection broke"] * (len(messages) - len(results)))
                break
    finally:
        # A failing QUIT must not turn messages the server took into failures (sent again).
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
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
    recover_claims(db, now)
    with db.session() as s:
        due = (
            s.execute(
                select(OutboxRow)
                .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.id)
                .limit(BATCH)
            )
            .scalars()
            .all()
        )
        # Claimed by compare-and-set: of two workers that read the same row, the second's
        # UPDATE finds it no longer pending (on PostgreSQL it waits for the first's commit,
        # then re-reads the row) and skips it.
        rows = []
        for r in due:
            claimed = s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == r.id, OutboxRow.status == "pending")
                .values(
                    status="sending", attempts=OutboxRow.attempts + 1, next_attempt_at=now + LEASE
                )
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount == 1:  # type: ignore[attr-defined]
                r.attempts += 1
                rows.append(r)
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
                log.info("mail %s sent (outbox %s)", r.kind, r.id)
            elif error.startswith(MAYBE) and r.kind in AT_MOST_ONCE:
                values = {"status": "unknown", "last_error": error}
                failed += 1
                log.warning("mail %s may or may not have gone (outbox %s): %s", r.kind, r.id, error)
            else:
                status, when = _failed(r.attempts, now)
                values = {"status": status, "next_attempt_at": when, "last_error": error}
                failed += 1
                log.warning("mail %s not sent (try %d): %s", r.kind, r.attempts, error)
            s.execute(update(OutboxRow).where(OutboxRow.id == r.id).values(**values))
    return sent, failed


def recover_claims(db: Database, now: datetime) -> None:
    """Claims whose lease ran out (their worker died mid-send): booking emails go back to the
    queue (at least once), reminders become ``unknown`` (at most once; module docstring)."""
    with db.session() as s:
        stale = (OutboxRow.status == "sending") & (OutboxRow.next_attempt_at <= now)
        once = OutboxRow.kind.in_(sorted(AT_MOST_ONCE))  # type: ignore[attr-defined]
        s.execute(
            update(OutboxRow)
            .where(stale, once)
            .values(status="unknown", last_error="the worker stopped while sending")
        )
        s.execute(update(OutboxRow).where(stale, ~once).values(status="pending"))


class MailWorker:
    """A daemon thread running :func:`send_due` every ``interval`` seconds until stopped."""

    def __init__(
        self, db: Database, clock: Clock, settings: SmtpSettings, interval: float = 5.0
    ) -> None:
        self.db, self.clock, self.settings, self.interval = db, clock, settings, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mail-worker", daemon=True)

    def start(self) -> None:
        """Start the sending thread (each pass first re-queues messages whose lease ran out)."""
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
