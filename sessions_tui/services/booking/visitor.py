"""A visitor's request: what they typed, checked, and the time held for them in one transaction.

See :mod:`sessions_tui.services.booking` for the locking that keeps two visitors off one time.

From the page a request is made in two steps (issue 27):

1. :func:`ask` stores it ``unverified`` — it holds nothing and the practice does not see it — and
   queues one short email to the address typed, with a link valid for
   :data:`~sessions_tui.services.booking_mail.VERIFY_MINUTES` minutes. Nothing is stored or sent
   when the page takes existing clients only and the address is no client's, or when that address
   already has a live request (unverified or held) with this practitioner: the caller answers
   every visitor alike, so the page reveals nobody.
2. :func:`verify` (the link opened) re-checks the time and holds it (``pending``, announced to the
   practice) with the "request received" email, in one transaction.

Both take a ``deadline`` (``time.monotonic()``): a unit of work that reaches its commit past it
rolls back and raises :class:`TookTooLong`, so a request the visitor was told "took too long" is
neither stored nor mailed. :func:`create_request` (both steps at once) is for callers whose
address is already known to be good (tests, staff tools).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.orm import Session

from sessions_tui.clock import Clock
from sessions_tui.domain.availability import busy_intervals
from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.profile import ServicePlace
from sessions_tui.domain.timeutil import zone
from sessions_tui.services import booking_mail
from sessions_tui.services import hours as hours_service
from sessions_tui.services.booking.model import LIMITS, BookingPage, SlotTaken, Visitor
from sessions_tui.services.booking.page import is_offered
from sessions_tui.store import queries
from sessions_tui.store.db import Database
from sessions_tui.store.holds import ACCEPTING, PENDING, held_intervals, is_held
from sessions_tui.store.tables import (
    BookingRequestRow,
    ClientContactRow,
    HoursRow,
)

UNVERIFIED = "unverified"
"""A page's request whose address has not confirmed it yet: holds nothing, shown to nobody."""
DONE_PAGE_FOR = timedelta(days=1)
"""The done page shows a held request for at most this long after it was confirmed."""


class TookTooLong(Exception):
    """The unit of work reached its commit after its deadline; nothing was kept or queued."""


def _in_time(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise TookTooLong("the request took too long; nothing was kept")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+()./ -]{3,40}$")


def _clean(value: str | None, field: str, *, multiline: bool = False) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > LIMITS[field]:
        raise ValidationError(
            f"{field} is too long (at most {LIMITS[field]} characters)", field=field
        )
    allowed = "\n\t" if multiline else ""
    if any((not c.isprintable()) and c not in allowed for c in value.replace("\r\n", "\n")):
        raise ValidationError(f"{field} contains a control character", field=field)
    return value or None


def check_visitor(name: str, email: str, phone: str | None, message: str | None) -> Visitor:
    """What a visitor typed, trimmed and bounded; each error names its field."""
    clean_name = _clean(name, "name")
    if not clean_name:
        raise ValidationError("Enter your name.", field="name")
    clean_email = _clean(email, "email")
    if not clean_email or not _EMAIL.match(clean_email):
        raise ValidationError("Enter an email address like name@example.com.", field="email")
    clean_phone = _clean(phone, "phone")
    if clean_phone and not _PHONE.match(clean_phone):
        raise ValidationError("A phone number has digits, spaces and + ( ) - only.", field="phone")
    clean_message = _clean(message, "message", multiline=True)
    if clean_message:
        clean_message = clean_message.replace("\r\n", "\n")
    return Visitor(clean_name, clean_email, clean_phone, clean_message)


def _lock_practitioner(s: Session, practitioner_id: int) -> None:
    if s.get_bind().dialect.name == "postgresql":
        # The same key the appointments service locks when it checks double booking, so a
        # request and a booking of one practitioner are never checked at the same time.
        s.execute(
            text("SELECT pg_advisory_xact_lock(:k)"), {"k": 0x5E55_0000_0000 + practitioner_id}
        )


def time_is_free(
    s: Session,
    practitioner_id: int,
    start: datetime,
    end: datetime,
    buffer: timedelta,
    now: datetime,
) -> bool:
    """No live hold and no busy event within ``buffer`` of ``[start, end)`` (inside ``s``)."""
    a, b = start - buffer, end + buffer
    if held_intervals(s, practitioner_id, a, b, now):
        return False
    tzid = s.execute(
        select(HoursRow.tzid).where(
            HoursRow.kind == hours_service.AVAILABILITY, HoursRow.practitioner_id == practitioner_id
        )
    ).scalar_one_or_none()
    tz = zone(tzid) if tzid else ZoneInfo("UTC")
    occ = queries.window(
        s,
        a - timedelta(days=1),
        b + timedelta(days=1),
        display_tz=tz,
        practitioners=[practitioner_id],
    )
    return not any(x < b and a < y for x, y in busy_intervals(occ, tz))


def create_request(
    db: Database,
    clock: Clock,
    page: BookingPage,
    service_name: str,
    start: datetime,
    visitor: Visitor,
    visitor_tz: str,
) -> BookingRequestRow:
    """Hold ``start`` for ``visitor`` and queue the "request received" email, in one step
    (the address is taken as confirmed: not for the page, which uses :func:`ask`).

    Raises:
        ValidationError: an unknown service or zone.
        SlotTaken: the time is not (or no longer) one the page offers.
    """
    service = page.service(service_name)
    if service is None:
        raise ValidationError("Choose one of the services offered.", field="service")
    zone(visitor_tz)
    start = start.astimezone(UTC)
    end = start + timedelta(minutes=service.minutes)
    if not is_offered(db, clock, page, service, start):
        raise SlotTaken("That time is no longer free. Please choose another.", field="start")
    now = clock.now()
    with db.with_actor(None).session() as s:
        _lock_practitioner(s, page.practitioner_id)
        if not time_is_free(s, page.practitioner_id, start, end, page.buffer, now):
            raise SlotTaken("That time was just taken. Please choose another.", field="start")
        row = BookingRequestRow(
            reference=secrets.token_urlsafe(12),
            practitioner_id=page.practitioner_id,
            service=service.name,
            minutes=service.minutes,
            start_utc=start,
            end_utc=end,
            visitor_tz=visitor_tz,
            name=visitor.name,
            email=visitor.email,
            phone=visitor.phone,
            message=visitor.message,
            status=PENDING,
            created_at=now,
            expires_at=now + page.hold,
            verified_at=now,
        )
        s.add(row)
        s.flush()
        booking_mail.queue(s, booking_mail.RECEIVED, row, now)
        return row


def _checked_time(
    db: Database, clock: Clock, page: BookingPage, service_name: str, start: datetime, tz: str
) -> tuple[str, int, datetime, datetime]:
    service = page.service(service_name)
    if service is None:
        raise ValidationError("Choose one of the services offered.", field="service")
    zone(tz)
    start = start.astimezone(UTC)
    if not is_offered(db, clock, page, service, start):
        raise SlotTaken("That time is no longer free. Please choose another.", field="start")
    return service.name, service.minutes, start, start + timedelta(minutes=service.minutes)


def _is_client(s: Session, email: str) -> bool:
    found = s.execute(
        select(ClientContactRow.id).where(func.lower(ClientContactRow.email) == email.lower())
    ).first()
    return found is not None


def _has_live_request(s: Session, practitioner_id: int, email: str, now: datetime) -> bool:
    r = BookingRequestRow
    found = s.execute(
        select(r.id).where(
            r.practitioner_id == practitioner_id,
            func.lower(r.email) == email.lower(),
            or_(and_(r.status == UNVERIFIED, r.expires_at > now), is_held(now)),  # type: ignore[arg-type]
        )
    ).first()
    return found is not None


def ask(
    db: Database,
    clock: Clock,
    page: BookingPage,
    service_name: str,
    start: datetime,
    visitor: Visitor,
    visitor_tz: str,
    *,
    link_base: str,
    deadline: float | None = None,
) -> str | None:
    """Store the request unverified and queue the email that confirms it (step 1 above).

    Returns the link's token (only the email carries it), or ``None`` when nothing was stored
    or sent (not a client of an existing-clients-only page; a live request already).

    Raises:
        ValidationError: an unknown service or zone.
        SlotTaken: the time is not (or no longer) one the page offers.
        TookTooLong: past ``deadline`` at the commit (rolled back).
    """
    name, minutes, start, end = _checked_time(db, clock, page, service_name, start, visitor_tz)
    now = clock.now()
    token = secrets.token_urlsafe(24)
    with db.with_actor(None).session() as s:
        if (not page.new_clients and not _is_client(s, visitor.email)) or _has_live_request(
            s, page.practitioner_id, visitor.email, now
        ):
            _in_time(deadline)
            return None
        row = BookingRequestRow(
            reference=secrets.token_urlsafe(12),
            practitioner_id=page.practitioner_id,
            service=name,
            minutes=minutes,
            start_utc=start,
            end_utc=end,
            visitor_tz=visitor_tz,
            name=visitor.name,
            email=visitor.email,
            phone=visitor.phone,
            message=visitor.message,
            status=UNVERIFIED,
            created_at=now,
            expires_at=now + timedelta(minutes=booking_mail.VERIFY_MINUTES),
            verify_hash=_digest(token),
        )
        s.add(row)
        s.flush()
        link = f"{link_base.rstrip('/')}/book/{page.key}/verify/{token}"
        booking_mail.queue(s, booking_mail.VERIFY, row, now, link=link)
        _in_time(deadline)
    return token


def _by_token(s: Session, page: BookingPage, token: str) -> BookingRequestRow | None:
    if not token or len(token) > 64:
        return None
    row = s.execute(
        select(BookingRequestRow).where(BookingRequestRow.verify_hash == _digest(token))
    ).scalar_one_or_none()
    if row is None or row.practitioner_id != page.practitioner_id:
        return None
    return row


def request_for_token(
    db: Database, clock: Clock, page: BookingPage, token: str
) -> BookingRequestRow | None:
    """The request a verification link names while it can still be confirmed (unverified and
    in time) or was just confirmed (its done page still shows); else ``None``."""
    now = clock.now()
    with db.read() as s:
        row = _by_token(s, page, token)
    if row is None:
        return None
    if row.status == UNVERIFIED:
        return row if row.expires_at > now else None
    return row if _done_page_shows(row, now) else None


def verify(
    db: Database, clock: Clock, page: BookingPage, token: str, *, deadline: float | None = None
) -> BookingRequestRow:
    """Confirm the request of ``token``: hold its time and queue "request received" (step 2).

    Opening the link again once confirmed gives the same request (nothing more is sent).

    Raises:
        NotFoundError: no such link, or its time ran out.
        SlotTaken: the time was taken meanwhile (the request stays unconfirmed).
        TookTooLong: past ``deadline`` at the commit (rolled back).
    """
    now = clock.now()
    with db.with_actor(None).session() as s:
        _lock_practitioner(s, page.practitioner_id)
        row = _by_token(s, page, token)
        if row is not None and row.status != UNVERIFIED and _done_page_shows(row, now):
            return row
        if row is None or row.status != UNVERIFIED or row.expires_at <= now:
            raise NotFoundError("This link has expired or was already used.", field="link")
        if row.start_utc < now + page.notice or not time_is_free(
            s, page.practitioner_id, row.start_utc, row.end_utc, page.buffer, now
        ):
            raise SlotTaken("That time was just taken. Please choose another.", field="start")
        row.status = PENDING
        row.verified_at = now
        row.expires_at = now + page.hold
        s.flush()
        booking_mail.queue(s, booking_mail.RECEIVED, row, now)
        _in_time(deadline)
        return row


def _done_page_shows(row: BookingRequestRow, now: datetime) -> bool:
    if row.status not in (PENDING, ACCEPTING) or row.verified_at is None:
        return False
    if row.status == PENDING and row.expires_at <= now:
        return False
    return now < row.verified_at + DONE_PAGE_FOR


def request_by_reference(
    db: Database, clock: Clock, page: BookingPage, reference: str
) -> BookingRequestRow | None:
    """The visitor's own request, for the done page (by its random reference): only while it
    is confirmed, unanswered and less than :data:`DONE_PAGE_FOR` old."""
    if not reference or len(reference) > 40:
        return None
    with db.read() as s:
        row = s.execute(
            select(BookingRequestRow).where(BookingRequestRow.reference == reference)
        ).scalar_one_or_none()
    if row is None or row.practitioner_id != page.practitioner_id:
        return None
    return row if _done_page_shows(row, clock.now()) else None


def request_calendar(db: Database, clock: Clock, page: BookingPage, reference: str) -> bytes | None:
    """The held request as an iCalendar file for the visitor's own calendar ("add to
    calendar" on the done page): one ``TENTATIVE`` event, while the done page shows."""
    import icalendar

    row = request_by_reference(db, clock, page, reference)
    if row is None:
        return None
    cal = icalendar.Calendar()
    cal.add("prodid", "-//sessions-tui//online booking//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    ev = icalendar.Event()
    ev.add("uid", f"request-{row.reference}@sessions-tui")
    ev.add("dtstamp", clock.now().astimezone(UTC))
    ev.add("dtstart", row.start_utc.astimezone(UTC))
    ev.add("dtend", row.end_utc.astimezone(UTC))
    ev.add("summary", f"Requested: {row.service} with {page.practitioner_name}")
    ev.add("status", "TENTATIVE")
    where = f" ({page.practice_name})" if page.practice_name else ""
    phone = f" Phone: {page.profile.phone}." if page.profile.phone else ""
    service = page.service(row.service)
    place = service.place if service is not None else ServicePlace()
    booking_mail.add_place(ev, place, page.profile.address)
    text = f"Not yet confirmed: we will email you when it is{where}.{phone}"
    ev.add("description", booking_mail.ics_description(place, text))
    cal.add_component(ev)
    return bytes(cal.to_ical())
