"""The mail worker: sends what booking queued in the ``outbox`` table, with retries.

Web requests never talk to the mail server; they queue a row (in the transaction of the change
the message tells of) and this worker sends it. **Each message is claimed on its own**, just
before it is sent, by a compare-and-set (``pending`` → ``sending``, one UPDATE whose WHERE
names the status), so of two workers (threads, processes, hosts on one PostgreSQL) exactly one
gets it, and a worker that dies mid-pass leaves at most the one message it was sending in
doubt: the ones it sent are recorded ``sent``, the ones it had not reached are still
``pending`` for the next pass. One pass sends on one SMTP connection; a sent message stays in
the table (the log of what went out).

**A refusal is that message's alone.** A message the server refuses (a recipient, the sender,
the content; an internationalised address on a server without SMTPUTF8) is recorded against
that message (retried after :data:`RETRY_DELAYS` for a 4xx answer, ``failed`` at once for a
permanent one) and the connection goes on to the next message. A recipient's domain is
IDNA-encoded (``zoë@exämple.org`` → ``zoë@xn--exmple-cua.org``) so only a non-ASCII local part
needs SMTPUTF8. Every message carries ``Date:`` and a ``Message-ID`` that stays the same
across retries (a receiving system can recognise a second copy).

**The crash window** (a worker dies after the server accepted a message and before ``sent``
was recorded, or a connection drops after the message's data was sent, when the server may or
may not have it). A claim holds a lease (:data:`LEASE`: ``next_attempt_at`` is set that far
ahead); a claim whose lease ran out belongs to a dead worker:

- booking emails (a request received, confirmed, declined) go back to ``pending``: *at least
  once*, since a client who never hears that their session is booked is worse off than one
  told twice;
- reminders (:data:`AT_MOST_ONCE` kinds) become ``unknown`` and are never sent again: *at most
  once*, as issue 20 asks (a crash never duplicates a reminder). ``sessions-tui reminders
  status`` reports them. The same holds when a connection breaks after a reminder's data.

A connection that breaks *before* a message's data (the server closed it between messages)
means the server does not have it: the message is retried like a refused one (after
:data:`RETRY_DELAYS`, so a message the server always drops on cannot hold up the others), and
the pass ends: the rest wait, unclaimed, for the next pass on a new connection.

SMTP settings come from the config file's ``[smtp]`` table
(:class:`sessions_tui.config.SmtpSettings`). The password is read when sending, never logged.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Protocol

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
"""Messages sent in one pass at most (one connection)."""
TIMEOUT = 20.0
"""Seconds before a silent mail server counts as a failure."""
LEASE = timedelta(minutes=10)
"""How long a claim is held; past it the claiming worker is taken to be dead."""
AT_MOST_ONCE = frozenset({"reminder"})
"""Kinds never sent twice: a claim left by a dead worker, or a send that broke off after its
data, ends ``unknown`` instead of being tried again."""
MAYBE = "maybe sent: "
"""Prefix of an error after which the server may have the message (the connection broke after
its data); other errors mean the server does not have it."""


@dataclass(frozen=True)
class Refused:
    """The server refused one message; ``permanent`` for a 5xx answer (no retry)."""

    text: str
    permanent: bool


class Broken(Exception):
    """The connection broke while sending a message; ``maybe``: after its data (the server
    may have it), else before (it does not)."""

    def __init__(self, text: str, *, maybe: bool) -> None:
        super().__init__(text)
        self.text, self.maybe = text, maybe


class Connection(Protocol):
    """An open connection to a mail server."""

    def send(self, msg: EmailMessage) -> Refused | None:
        """Send one message: ``None`` when the server took it, a :class:`Refused`, or raise
        :class:`Broken`."""
        ...

    def close(self) -> None:
        """End the connection (never raises)."""
        ...


Connect = Callable[[SmtpSettings], Connection]
"""Opens a :class:`Connection` (raises ``OSError``/``SMTPException`` when it cannot)."""


def _text(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}"[:300]


def _ascii_domain(addr: str) -> str:
    """``addr`` with its domain IDNA-encoded (unchanged when it cannot be)."""
    local, at, domain = addr.rpartition("@")
    if not at or domain.isascii():
        return addr
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return addr


def message_id(row: OutboxRow, domain: str) -> str:
    """The row's ``Message-ID``: the same on every attempt, and telling a recipient nothing
    (not how many messages the practice sent, nor what kind)."""
    seed = f"{row.id}:{row.kind}:{row.created_at.isoformat()}:{row.to_addr}"
    return f"<{hashlib.sha256(seed.encode()).hexdigest()[:32]}@{domain}>"


def build_message(row: OutboxRow, sender: str, now: datetime | None = None) -> EmailMessage:
    """The email of an outbox row from ``sender``, with its ``.ics`` attached when it has one,
    dated ``now`` (the row's creation time when not given)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = _ascii_domain(row.to_addr)
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(now or row.created_at)
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "localhost"
    msg["Message-ID"] = message_id(row, _ascii_domain(f"x@{domain}")[2:])
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


class SmtpConnection:
    """:class:`Connection` over :mod:`smtplib` (``security``: none, starttls or tls)."""

    def __init__(self, settings: SmtpSettings) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if settings.security == "tls":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
        self.smtp = smtp
        self._in_data = False
        plain_data = smtp.data

        def data(msg: Any) -> tuple[int, bytes]:
            self._in_data = True
            return plain_data(msg)

        smtp.data = data  # type: ignore[method-assign]
        try:
            if settings.security == "starttls":
                smtp.starttls(context=context)
            password = settings.password()
            if settings.username and password is not None:
                smtp.login(settings.username, password)
        except BaseException:
            self.close()
            raise

    def send(self, msg: EmailMessage) -> Refused | None:
        """One message (the :class:`Connection` contract)."""
        self._in_data = False
        try:
            self.smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            return Refused(_text(exc), permanent=all(c >= 500 for c in codes))
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421 or isinstance(exc, smtplib.SMTPServerDisconnected):
                raise Broken(_text(exc), maybe=self._in_data) from exc
            return Refused(_text(exc), permanent=exc.smtp_code >= 500)
        except smtplib.SMTPNotSupportedError as exc:
            # e.g. an internationalised address and no SMTPUTF8: this message only.
            return Refused(_text(exc), permanent=True)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise Broken(_text(exc), maybe=self._in_data) from exc
        except smtplib.SMTPException as exc:
            raise Broken(_text(exc), maybe=self._in_data) from exc
        except (ValueError, UnicodeError) as exc:  # a message smtplib cannot put on the wire
            return Refused(_text(exc), permanent=True)
        return None

    def close(self) -> None:
        """QUIT, or drop the socket when QUIT fails (a failing QUIT never turns sent
        messages into failures)."""
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()


def smtp_send(settings: SmtpSettings, messages: list[EmailMessage]) -> list[str | None]:
    """Send ``messages`` on one connection; per message ``None`` or the error's text (the
    messages after a broken connection are not offered)."""
    conn = SmtpConnection(settings)
    results: list[str | None] = []
    try:
        for msg in messages:
            try:
                outcome = conn.send(msg)
            except Broken as exc:
                results.append((MAYBE if exc.maybe else "") + exc.text)
                break
            results.append(None if outcome is None else outcome.text)
    finally:
        conn.close()
    results.extend(["not sent: the connection broke"] * (len(messages) - len(results)))
    return results


def _failed(row_attempts: int, now: datetime) -> tuple[str, datetime]:
    if row_attempts >= len(RETRY_DELAYS) + 1:
        return "failed", now
    return "pending", now + RETRY_DELAYS[row_attempts - 1]


def _claim_next(db: Database, now: datetime, skip: set[int]) -> OutboxRow | None:
    """Claim the next due message (compare-and-set; one row per transaction)."""
    with db.session() as s:
        stmt = (
            select(OutboxRow)
            .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.id)  # type: ignore[arg-type]
            .limit(len(skip) + 5)
        )
        for r in s.execute(stmt).scalars().all():
            if r.id in skip:
                continue
            # Of two workers that read the same row, the second's UPDATE finds it no longer
            # pending (on PostgreSQL it waits for the first's commit, then re-reads the row).
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
                s.expunge(r)
                return r
            skip.add(r.id or 0)
    return None


def _record(db: Database, row: OutboxRow, values: dict[str, Any]) -> None:
    with db.session() as s:
        s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row.id, OutboxRow.status == "sending")
            .values(**values)
        )


def send_due(
    db: Database, clock: Clock, settings: SmtpSettings, connect: Connect = SmtpConnection
) -> tuple[int, int]:
    """One pass: send the due messages, each claimed just before it goes. Returns (sent,
    failed this pass)."""
    now = clock.now()
    recover_claims(db, now)
    queue_expired(db, now)
    sent = failed = 0
    conn: Connection | None = None
    skip: set[int] = set()
    try:
        for _ in range(BATCH):
            row = _claim_next(db, now, skip)
            if row is None:
                break
            skip.add(row.id or 0)
            try:
                if conn is None:
                    conn = connect(settings)
                outcome = conn.send(build_message(row, settings.sender, clock.now()))
            except Broken as exc:
                if conn is not None:
                    conn.close()
                conn = None
                if exc.maybe and row.kind in AT_MOST_ONCE:
                    _record(db, row, {"status": "unknown", "last_error": MAYBE + exc.text})
                    log.warning("mail %s may or may not have gone (outbox %s)", row.kind, row.id)
                else:  # after its data the server may have it; before, it does not
                    status, when = _failed(row.attempts, now)
                    error = (MAYBE if exc.maybe else "") + exc.text
                    _record(
                        db, row, {"status": status, "next_attempt_at": when, "last_error": error}
                    )
                failed += 1
                log.warning("mail connection broke (outbox %s): %s", row.id, exc.text)
                break  # the rest wait, unclaimed, for the next pass
            except (OSError, smtplib.SMTPException) as exc:  # could not connect
                status, when = _failed(row.attempts, now)
                _record(
                    db, row, {"status": status, "next_attempt_at": when, "last_error": _text(exc)}
                )
                failed += 1
                log.warning("mail server unreachable (try %d): %s", row.attempts, _text(exc))
                break
            if outcome is None:
                _record(db, row, {"status": "sent", "sent_at": now, "last_error": None})
                sent += 1
                log.info("mail %s sent (outbox %s)", row.kind, row.id)
                continue
            if outcome.permanent:
                status, when = "failed", now
            else:
                status, when = _failed(row.attempts, now)
            values = {"status": status, "next_attempt_at": when, "last_error": outcome.text}
            _record(db, row, values)
            failed += 1
            log.warning("mail %s refused (outbox %s, try %d)", row.kind, row.id, row.attempts)
    finally:
        if conn is not None:
            conn.close()
    return sent, failed


EXPIRY_NOTICE_WINDOW = timedelta(days=1)
"""Requests whose hold ran out longer ago than this are not told (an upgrade never mails every
old request)."""


def queue_expired(db: Database, now: datetime) -> int:
    """Tell each requester whose hold ran out unanswered (once: the request's row is locked and
    its outbox checked in one transaction). Returns the number queued."""
    from sessions_tui.services import booking_mail
    from sessions_tui.store.tables import BookingRequestRow

    r = BookingRequestRow
    with db.read() as s:
        ids = (
            s.execute(
                select(r.id).where(
                    r.status == "pending",
                    r.expires_at <= now,
                    r.expires_at > now - EXPIRY_NOTICE_WINDOW,
                    ~select(OutboxRow.id)
                    .where(OutboxRow.request_id == r.id, OutboxRow.kind == booking_mail.EXPIRED)
                    .exists(),
                )
            )
            .scalars()
            .all()
        )
    queued = 0
    for rid in ids:
        with db.session() as s:
            row = s.execute(select(r).where(r.id == rid).with_for_update()).scalar_one_or_none()
            if row is None or row.status != "pending" or row.expires_at > now:
                continue  # answered (or given more time) since it was read
            told = s.execute(
                select(OutboxRow.id).where(
                    OutboxRow.request_id == rid, OutboxRow.kind == booking_mail.EXPIRED
                )
            ).first()
            if told is None:
                booking_mail.queue(s, booking_mail.EXPIRED, row, now)
                queued += 1
    return queued


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
