"""Client email reminders: the practice's settings, and the pass that queues the due ones.

**Exactly once per (event, occurrence, offset).** A pass (:func:`queue_due`) reads the
sessions starting within the largest offset, works out which reminder each is due for
(:func:`sessions_tui.domain.reminders.due_offset`), and for each one not yet in the sent-log
opens a transaction that inserts the log row *and* the outbox message together. The log's
unique key (event, occurrence, offset, start) is the claim: a second worker, a restarted
worker, or the same worker's next pass fails to insert it (and so queues nothing), whatever
the backend (SQLite serialises writers; PostgreSQL makes the second insert wait for the first
commit, then refuses it). The mail worker (:mod:`sessions_tui.sync.mailer`) then delivers the
message with retries, and *at most once* across a crash (its docstring says why).

**Who gets one.** A client session (not cancelled) whose client agreed to reminders and has an
email address; not a session booked after the offset; a moved session only for its new time
(the start is part of the key, and a queued message whose session was since cancelled, moved
or lost its consent is dropped before it is sent, :func:`drop_stale`).

**What it says.** Only the practice's template with its placeholders
(:mod:`sessions_tui.domain.reminders`): never notes, never anything else about the client.
Each email carries its own link token (only its sha256 is stored) to the confirm/cancel page
(:mod:`sessions_tui.services.reminder_links`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sessions_tui.clock import Clock
from sessions_tui.domain import reminders as rules
from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import EventKind, Occurrence, Status
from sessions_tui.services.context import Context
from sessions_tui.services.feeds import DEFAULT_BASE_URL
from sessions_tui.services.permissions import require_admin
from sessions_tui.store import queries
from sessions_tui.store.db import Database
from sessions_tui.store.tables import (
    ClientContactRow,
    ClientRow,
    EventRow,
    LocationRow,
    OutboxRow,
    PracticeRow,
    ReminderLogRow,
    ReminderSettingsRow,
    StaffRow,
)

log = logging.getLogger("sessions_tui.reminders")

KIND = "reminder"
"""The outbox kind of reminder emails (sent at most once, :data:`mailer.AT_MOST_ONCE`)."""


@dataclass(frozen=True)
class ReminderSettings:
    """The practice's reminder settings.

    Attributes:
        offsets: Minutes before a session, largest first (empty: reminders off).
        subject: The subject template.
        body: The body template.
        cancel_hours: Clients may cancel from the email until this many hours before the
            session; ``None``: they may only confirm.
        feed_alarm_minutes: Practitioners' ICS feeds carry a VALARM this many minutes before
            each event; ``None``: no alarm.
        base_url: The web service's public address, the start of every reminder's link.
    """

    offsets: tuple[int, ...] = ()
    subject: str = rules.DEFAULT_SUBJECT
    body: str = rules.DEFAULT_BODY
    cancel_hours: int | None = None
    feed_alarm_minutes: int | None = None
    base_url: str = DEFAULT_BASE_URL

    @property
    def hours(self) -> str:
        """The offsets as written in the settings, e.g. ``48,24``."""
        return rules.hours_text(self.offsets)


def _from_row(row: ReminderSettingsRow | None) -> ReminderSettings:
    if row is None:
        return ReminderSettings()
    return ReminderSettings(
        offsets=rules.parse_hours(row.hours),
        subject=row.subject or rules.DEFAULT_SUBJECT,
        body=row.body or rules.DEFAULT_BODY,
        cancel_hours=row.cancel_hours,
        feed_alarm_minutes=row.feed_alarm_minutes,
        base_url=row.base_url or DEFAULT_BASE_URL,
    )


def read_settings(db: Database) -> ReminderSettings:
    """The settings, for the workers and the web service (no user needed)."""
    with db.read() as s:
        return _from_row(s.get(ReminderSettingsRow, 1))


def get_settings(ctx: Context) -> ReminderSettings:
    """The practice's reminder settings (any member of staff may read them)."""
    ctx.require_actor()
    return read_settings(ctx.db)


def local_links(settings: ReminderSettings) -> str | None:
    """Why reminders must not go now (their links would lead to this machine only: the link
    base is a loopback address), as one line saying how to set it; ``None`` when they may."""
    host = (urlsplit(settings.base_url).hostname or "").lower()
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost" or host.endswith(".localhost")
    if not settings.offsets or not loopback:
        return None
    return (
        f"reminders are not sent: their links would lead to {settings.base_url}, which only "
        "this machine can open; set the public address with `sessions-tui settings set "
        "reminders.link-base https://practice.example.org`"
    )


def _check_cancel_window(new: ReminderSettings) -> None:
    """Online cancelling must still be open when the first reminder arrives."""
    if new.cancel_hours is None or not new.offsets:
        return
    first = max(new.offsets)
    if new.cancel_hours * 60 >= first:
        hours = rules.hours_text((first,))
        raise ValidationError(
            f"cancel-hours {new.cancel_hours} closes online cancelling by the time the first "
            f"reminder goes ({hours} h before): no reminder could offer it; make it less than "
            f"{hours}, or send a reminder earlier",
            field="cancel",
        )


def _check(new: ReminderSettings) -> ReminderSettings:
    rules.check_template(new.subject, "subject")
    rules.check_template(new.body, "body")
    if new.cancel_hours is not None and not 0 <= new.cancel_hours <= 24 * 14:
        raise ValidationError("cancel cutoff: 0 to 336 hours before, or off", field="cancel")
    _check_cancel_window(new)
    if new.feed_alarm_minutes is not None and not 1 <= new.feed_alarm_minutes <= 7 * 24 * 60:
        raise ValidationError("feed alarm: 1 to 10080 minutes before, or off", field="alarm")
    url = new.base_url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
        raise ValidationError(
            f"bad link address {new.base_url!r} (expected https://practice.example.org)",
            field="base_url",
        )
    return replace(new, base_url=url)


def update_settings(ctx: Context, **changes: Any) -> ReminderSettings:
    """Admins only; ``hours`` may be given as text (``"48,24"``) for ``offsets``."""
    require_admin(ctx.require_actor(), "change reminder settings")
    if "hours" in changes:
        changes["offsets"] = rules.parse_hours(str(changes.pop("hours")))
    known = {f.name for f in fields(ReminderSettings)}
    for key in changes:
        if key not in known:
            raise ValidationError(f"unknown reminder setting {key!r}", field=key)
    new = _check(replace(get_settings(ctx), **changes))
    with ctx.db.session() as s:
        row = s.get(ReminderSettingsRow, 1)
        if row is None:
            row = ReminderSettingsRow(id=1, updated_at=ctx.clock.now())
            s.add(row)
        row.hours = rules.hours_text(new.offsets)
        row.subject = "" if new.subject == rules.DEFAULT_SUBJECT else new.subject
        row.body = "" if new.body == rules.DEFAULT_BODY else new.body
        row.cancel_hours = new.cancel_hours
        row.feed_alarm_minutes = new.feed_alarm_minutes
        row.base_url = "" if new.base_url == DEFAULT_BASE_URL else new.base_url
        row.updated_at = ctx.clock.now()
    return new


# --- the pass ---------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    """The sha256 of a confirm link's token: only the hash is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def occurrence_key(occ: Occurrence) -> tuple[int, str]:
    """(event id, occurrence): the series master (or one-off event) and the recurrence key."""
    ev = occ.event
    base = ev.series_id or ev.id
    assert base is not None
    rid = occ.recurrence_id if occ.recurrence_id is not None else ev.recurrence_id
    return base, (queries.recurrence_key(rid) if rid is not None else "")


@dataclass(frozen=True)
class Candidate:
    """A session a reminder is due for now."""

    event_id: int
    occurrence: str
    offset_minutes: int
    start: datetime
    row_id: int
    version: int
    client_id: int

    @property
    def key(self) -> tuple[int, str, int, datetime]:
        """The reminder's identity: event, occurrence, offset and the start it was for."""
        return self.event_id, self.occurrence, self.offset_minutes, self.start


@dataclass(frozen=True)
class PassReport:
    """What one pass did: reminders queued, queued ones dropped, claims lost to another."""

    queued: int = 0
    dropped: int = 0
    lost: int = 0


def _sessions(s: Session, start: datetime, end: datetime) -> list[Occurrence]:
    return [
        o
        for o in queries.window(s, start, end, display_tz=UTC)
        if o.event.kind is EventKind.SESSION
        and o.event.status is not Status.CANCELLED
        and isinstance(o.start, datetime)
        and o.event.client_id is not None
    ]


def _consenting(s: Session, client_ids: set[int]) -> dict[int, ClientContactRow]:
    if not client_ids:
        return {}
    rows = s.execute(
        select(ClientContactRow).where(
            ClientContactRow.client_id.in_(sorted(client_ids)),  # type: ignore[attr-defined]
            ClientContactRow.reminders.is_(True),  # type: ignore[attr-defined]
        )
    ).scalars()
    return {r.client_id: r for r in rows if r.email}


def candidates(db: Database, now: datetime, settings: ReminderSettings) -> list[Candidate]:
    """The reminders due now and not yet in the sent-log."""
    if not settings.offsets:
        return []
    horizon = now + timedelta(minutes=max(settings.offsets) + 1)
    with db.read() as s:
        occ = _sessions(s, now, horizon)
        contacts = _consenting(s, {o.event.client_id for o in occ if o.event.client_id})
        occ = [o for o in occ if o.event.client_id in contacts]
        bases = {occurrence_key(o)[0] for o in occ}
        booked: dict[int, datetime] = dict(
            s.execute(
                select(EventRow.id, EventRow.created_at).where(EventRow.id.in_(sorted(bases)))  # type: ignore[union-attr]
            ).all()
        )
        logged = {
            (r.event_id, r.occurrence, r.offset_minutes, r.start_utc)
            for r in s.execute(
                select(ReminderLogRow).where(ReminderLogRow.event_id.in_(sorted(bases)))  # type: ignore[attr-defined]
            ).scalars()
        }
    out: list[Candidate] = []
    for o in occ:
        base, key = occurrence_key(o)
        assert isinstance(o.start, datetime)
        start = o.start.astimezone(UTC)
        due = rules.due_offset(start, booked.get(base, now), now, settings.offsets)
        if due is None:
            continue
        c = Candidate(
            base,
            key,
            due.offset_minutes,
            start,
            o.event.id or base,
            o.event.version,
            o.event.client_id or 0,
        )
        if c.key not in logged:
            out.append(c)
    return out


def _place(s: Session, ev: EventRow) -> str:
    loc = s.get(LocationRow, ev.location_id) if ev.location_id else None
    return loc.name if loc else "at the practice"


def compose(
    s: Session, settings: ReminderSettings, c: Candidate, ev: EventRow, token: str
) -> tuple[str, str, str]:
    """(to, subject, body) of the reminder for ``c``: the template and nothing else."""
    client = s.get(ClientRow, c.client_id)
    contact = s.execute(
        select(ClientContactRow).where(ClientContactRow.client_id == c.client_id)
    ).scalar_one()
    person = s.get(StaffRow, ev.practitioner_id) if ev.practitioner_id else None
    practice = s.get(PracticeRow, 1)
    assert client is not None
    assert contact.email is not None
    values = rules.values_for(
        first_name=client.first_name,
        preferred_name=contact.preferred_name,
        start=c.start,
        tzid=(practice.display_tz if practice and practice.display_tz else ev.tzid),
        practitioner=person.name if person else "your practitioner",
        location=_place(s, ev),
        link=f"{settings.base_url}/r/{token}",
        practice=practice.name if practice else "",
    )
    subject = rules.render(settings.subject, values)
    body = rules.render(settings.body, values).rstrip("\n") + "\n"
    return contact.email, subject, body + _after_template(s, settings, ev)


def _after_template(s: Session, settings: ReminderSettings, ev: EventRow) -> str:
    """What every reminder carries after the practice's template (issue 27): how to move the
    session, and the practice's profile (phone, address, note, privacy link; its name is the
    template's ``{practice}``).

    Moving a session is cancelling it and asking for another time: the line says so, with the
    practitioner's booking page when it is public (a secret page's address is not stored) and
    the practice's phone; it promises online cancelling only while ``cancel_hours`` is set."""
    from sessions_tui.services.booking_mail import public_page
    from sessions_tui.services.practice import read_profile

    profile = read_profile(s)
    page = public_page(s, ev.practitioner_id) if ev.practitioner_id else None
    call = f" call us at {profile.phone}" if profile.phone else " reply to this email"
    if settings.cancel_hours is not None:
        again = f", then ask for another time at {page}" if page else ""
        move = (
            "To change the time: cancel with the link above (until "
            f"{settings.cancel_hours} hours before){again}, or{call}."
        )
    else:
        move = f"To change or cancel the time,{call}."
    footer = profile.mail_footer(with_name=False)
    return f"\n{move}\n" + (f"\n--\n{footer}\n" if footer else "")


def claim(db: Database, now: datetime, settings: ReminderSettings, c: Candidate) -> bool:
    """Insert ``c``'s log row and its outbox message in one transaction; ``False`` when it
    was claimed already (by another worker) or its session changed since it was read."""
    token = secrets.token_urlsafe(24)
    try:
        with db.session() as s:
            ev = s.get(EventRow, c.row_id)
            if ev is None or ev.version != c.version or ev.status == Status.CANCELLED.value:
                return False  # changed since the read: the next pass decides again
            if s.execute(
                select(ReminderLogRow.id).where(
                    ReminderLogRow.event_id == c.event_id,
                    ReminderLogRow.occurrence == c.occurrence,
                    ReminderLogRow.offset_minutes == c.offset_minutes,
                    ReminderLogRow.start_utc == c.start,
                )
            ).first():
                return False
            to, subject, body = compose(s, settings, c, ev, token)
            out = OutboxRow(
                kind=KIND,
                to_addr=to,
                subject=subject,
                body=body,
                created_at=now,
                next_attempt_at=now,
            )
            s.add(out)
            s.flush()
            s.add(
                ReminderLogRow(
                    event_id=c.event_id,
                    occurrence=c.occurrence,
                    offset_minutes=c.offset_minutes,
                    start_utc=c.start,
                    client_id=c.client_id,
                    outbox_id=out.id,
                    token_hash=token_hash(token),
                    created_at=now,
                )
            )
            s.flush()
    except IntegrityError:
        return False  # the unique key: another worker claimed it first
    return True


def drop_stale(db: Database, now: datetime) -> int:
    """Queued (not yet sent) reminders whose session was cancelled, moved or lost its
    client's consent since: dropped, so they never go."""
    with db.read() as s:
        waiting = s.execute(
            select(ReminderLogRow, OutboxRow.id)
            .join(OutboxRow, OutboxRow.id == ReminderLogRow.outbox_id)  # type: ignore[arg-type]
            .where(OutboxRow.status == "pending")
        ).all()
        stale: list[int] = []
        for entry, outbox_id in waiting:
            found = [
                o
                for o in _sessions(s, entry.start_utc, entry.start_utc + timedelta(minutes=1))
                if occurrence_key(o) == (entry.event_id, entry.occurrence)
                and o.start == entry.start_utc
            ]
            still = bool(found) and found[0].event.client_id in _consenting(s, {entry.client_id})
            if not still or entry.start_utc <= now:
                stale.append(outbox_id)
    dropped = 0
    for outbox_id in stale:
        with db.session() as s:
            done = s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == outbox_id, OutboxRow.status == "pending")
                .values(status="dropped", last_error="the session changed before it was sent")
            )
            dropped += done.rowcount  # type: ignore[attr-defined]
    return dropped


def queue_due(db: Database, clock: Clock) -> PassReport:
    """One pass: queue every reminder due now (once), drop queued ones gone stale."""
    now = clock.now()
    settings = read_settings(db)
    queued = lost = 0
    for c in candidates(db, now, settings):
        if claim(db, now, settings, c):
            queued += 1
            log.info("reminder queued: event %s, %d min before", c.event_id, c.offset_minutes)
        else:
            lost += 1
    return PassReport(queued, drop_stale(db, now), lost)


# --- reports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    """One reminder of the sent-log with its delivery state (for ``reminders status``)."""

    event_id: int
    occurrence: str
    offset_minutes: int
    start: datetime
    status: str
    attempts: int
    error: str | None
    answered: str | None
    cancel_reason: str | None = None
    """What the client wrote when cancelling from the link (optional)."""

    def to_json(self) -> dict[str, Any]:
        """This reminder as one object of ``reminders status --format json``."""
        return {
            "event_id": self.event_id,
            "occurrence": self.occurrence or None,
            "hours_before": self.offset_minutes // 60,
            "start": self.start.isoformat(),
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
            "answered": self.answered,
            "cancel_reason": self.cancel_reason,
        }


def sent_log(ctx: Context, limit: int = 200) -> Sequence[LogEntry]:
    """The newest reminders and their state (schedulers and admins)."""
    from sessions_tui.services.permissions import require_manager

    require_manager(ctx.require_actor(), "see the reminder log")
    with ctx.db.read() as s:
        rows = s.execute(
            select(ReminderLogRow, OutboxRow)
            .join(OutboxRow, OutboxRow.id == ReminderLogRow.outbox_id, isouter=True)  # type: ignore[arg-type]
            .order_by(ReminderLogRow.id.desc())  # type: ignore[union-attr]
            .limit(limit)
        ).all()
        return [
            LogEntry(
                r.event_id,
                r.occurrence,
                r.offset_minutes,
                r.start_utc,
                o.status if o else "unknown",
                o.attempts if o else 0,
                o.last_error if o else None,
                r.answered,
                r.cancel_reason,
            )
            for r, o in rows
        ]
