"""A visitor's request: what they typed, checked, and the time held for them in one transaction.

See :mod:`sessions_tui.services.booking` for the locking that keeps two visitors off one time.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from sessions_tui.clock import Clock
from sessions_tui.domain.availability import busy_intervals
from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.timeutil import zone
from sessions_tui.services import booking_mail
from sessions_tui.services import hours as hours_service
from sessions_tui.services.booking.model import LIMITS, BookingPage, SlotTaken, Visitor
from sessions_tui.services.booking.page import is_offered
from sessions_tui.store import queries
from sessions_tui.store.db import Database
from sessions_tui.store.holds import PENDING, held_intervals
from sessions_tui.store.tables import (
    BookingRequestRow,
    HoursRow,
)

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
    """Hold ``start`` for ``visitor`` and queue the "request received" email.

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
        )
        s.add(row)
        s.flush()
        booking_mail.queue(s, booking_mail.RECEIVED, row, now)
        return row


def request_by_reference(
    db: Database, page: BookingPage, reference: str
) -> BookingRequestRow | None:
    """The visitor's own request, for the confirmation page (by its random reference)."""
    if not reference or len(reference) > 40:
        return None
    with db.read() as s:
        row = s.execute(
            select(BookingRequestRow).where(BookingRequestRow.reference == reference)
        ).scalar_one_or_none()
    if row is None or row.practitioner_id != page.practitioner_id:
        return None
    return row
