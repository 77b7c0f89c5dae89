"""Online booking: each practitioner's settings, their public page, and visitors' requests.

A practitioner's page is off until they (or an admin/scheduler) turn it on. It offers their
services ("Intake", 80 minutes) over the same open time as ``sessions-tui availability``
(availability − date overrides − busy events − pending holds), further cut by the page's rules:
minimum notice, how far ahead, and a buffer around every busy event and hold.

A visitor's request is stored as a *pending hold* (:mod:`sessions_tui.store.holds`) in one
transaction that first re-checks the time against holds and busy events; on SQLite that
transaction holds the write lock (``BEGIN IMMEDIATE``) and on PostgreSQL an advisory lock per
practitioner, so of two visitors asking for one time at once exactly one gets it and the other
gets :class:`SlotTaken`. Answering requests is :mod:`sessions_tui.services.booking_requests`.

The page is reached at ``/book/<key>``: the practitioner's login when the page is public, else a
random secret that can be rotated (the old link then finds nothing).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from sessions_tui.clock import Clock
from sessions_tui.domain.availability import busy_intervals, slots
from sessions_tui.domain.errors import ConflictError, NotFoundError, ValidationError
from sessions_tui.domain.timeutil import zone
from sessions_tui.services import booking_mail
from sessions_tui.services import hours as hours_service
from sessions_tui.services.availability import OpenSlot, open_time
from sessions_tui.services.context import Context
from sessions_tui.services.permissions import holds_role, require_manage_booking
from sessions_tui.store import queries
from sessions_tui.store.db import Database
from sessions_tui.store.holds import PENDING, held_intervals
from sessions_tui.store.tables import (
    BookingRequestRow,
    BookingServiceRow,
    BookingSettingsRow,
    HoursRow,
    PracticeRow,
    StaffRow,
)

DEFAULT_BASE_URL = "http://127.0.0.1:8765"
MAX_SERVICES = 12
LIMITS = {"name": 100, "email": 254, "phone": 40, "message": 2000}
"""Longest accepted value of each visitor field, in characters."""

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+()./ -]{3,40}$")


class SlotTaken(ConflictError):
    """The time asked for is no longer free (another visitor, or the calendar, took it)."""


@dataclass(frozen=True)
class BookingService:
    """A service offered on a page: its name and length in minutes."""

    name: str
    minutes: int


@dataclass(frozen=True)
class BookingSettings:
    """One practitioner's online booking settings."""

    practitioner_id: int
    practitioner_name: str
    login: str
    enabled: bool
    services: tuple[BookingService, ...]
    notice_minutes: int
    horizon_days: int
    buffer_minutes: int
    hold_minutes: int
    new_clients: bool
    public: bool
    link_secret: str

    @property
    def key(self) -> str:
        """The last part of the page's URL."""
        return self.login if self.public else self.link_secret

    def url(self, base_url: str = DEFAULT_BASE_URL) -> str:
        return f"{base_url.rstrip('/')}/book/{self.key}"

    def to_json(self, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
        return {
            "practitioner": self.practitioner_name,
            "enabled": self.enabled,
            "services": [{"name": s.name, "minutes": s.minutes} for s in self.services],
            "notice_minutes": self.notice_minutes,
            "horizon_days": self.horizon_days,
            "buffer_minutes": self.buffer_minutes,
            "hold_minutes": self.hold_minutes,
            "new_clients": self.new_clients,
            "public": self.public,
            "url": self.url(base_url),
        }


@dataclass(frozen=True)
class BookingPage:
    """What a visitor's page may show: the practitioner's name and services, nothing else."""

    practitioner_id: int
    practitioner_name: str
    practice_name: str
    key: str
    services: tuple[BookingService, ...]
    zone: str
    new_clients: bool
    notice: timedelta
    horizon: timedelta
    buffer: timedelta
    hold: timedelta

    def service(self, name: str) -> BookingService | None:
        return next((s for s in self.services if s.name == name), None)


@dataclass(frozen=True)
class Visitor:
    """What a visitor typed (already checked by :func:`check_visitor`)."""

    name: str
    email: str
    phone: str | None = None
    message: str | None = None


# --- settings -------------------------------------------------------------------------------


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> tuple[str, str]:
    secret = secrets.token_urlsafe(18)
    return secret, _digest(secret)


def _practitioner_row(s: Session, practitioner_id: int) -> StaffRow:
    row = s.get(StaffRow, practitioner_id)
    if row is None or not holds_role(row.roles, "practitioner"):
        raise NotFoundError(f"no practitioner with id {practitioner_id}", field="practitioner")
    return row


def _ensure_row(s: Session, practitioner_id: int, now: datetime) -> BookingSettingsRow:
    row = s.execute(
        select(BookingSettingsRow).where(BookingSettingsRow.practitioner_id == practitioner_id)
    ).scalar_one_or_none()
    if row is None:
        secret, digest = _new_secret()
        row = BookingSettingsRow(
            practitioner_id=practitioner_id, link_secret=secret, link_hash=digest, updated_at=now
        )
        s.add(row)
        s.flush()
    return row


def _services(s: Session, practitioner_id: int) -> tuple[BookingService, ...]:
    rows = s.execute(
        select(BookingServiceRow)
        .where(BookingServiceRow.practitioner_id == practitioner_id)
        .order_by(BookingServiceRow.position, BookingServiceRow.id)
    ).scalars()
    return tuple(BookingService(r.name, r.minutes) for r in rows)


def _to_settings(s: Session, row: BookingSettingsRow, person: StaffRow) -> BookingSettings:
    return BookingSettings(
        practitioner_id=row.practitioner_id,
        practitioner_name=person.name,
        login=person.login,
        enabled=row.enabled,
        services=_services(s, row.practitioner_id),
        notice_minutes=row.notice_minutes,
        horizon_days=row.horizon_days,
        buffer_minutes=row.buffer_minutes,
        hold_minutes=row.hold_minutes,
        new_clients=row.new_clients,
        public=row.public,
        link_secret=row.link_secret,
    )


def get_settings(ctx: Context, practitioner_id: int) -> BookingSettings:
    """A practitioner's booking settings (made, turned off, on first use)."""
    require_manage_booking(ctx.require_actor(), practitioner_id)
    with ctx.db.session() as s:
        person = _practitioner_row(s, practitioner_id)
        return _to_settings(s, _ensure_row(s, practitioner_id, ctx.clock.now()), person)


_BOUNDS = {
    "notice_minutes": (0, 60 * 24 * 60),
    "horizon_days": (1, 366),
    "buffer_minutes": (0, 240),
    "hold_minutes": (5, 60 * 24 * 30),
}


def check_service(name: str, minutes: int) -> BookingService:
    """A service name of 1–60 printable characters and a length of 5–480 minutes."""
    name = " ".join(name.split())
    if not name or len(name) > 60 or any(not c.isprintable() for c in name):
        raise ValidationError(f"bad service name {name!r}: 1–60 printable characters")
    if not 5 <= minutes <= 480:
        raise ValidationError(f"bad length of {name!r}: {minutes} minutes (5–480)")
    return BookingService(name, minutes)


def update_settings(
    ctx: Context,
    practitioner_id: int,
    *,
    services: list[tuple[str, int]] | None = None,
    **changes: Any,
) -> BookingSettings:
    """Change any of ``enabled``, ``notice_minutes``, ``horizon_days``, ``buffer_minutes``,
    ``hold_minutes``, ``new_clients``, ``public``, and (all at once) the ``services``.

    Raises:
        ValidationError: an unknown setting, a value out of bounds, a duplicate service, or
            turning booking on with no service or no availability.
    """
    require_manage_booking(ctx.require_actor(), practitioner_id)
    known = {"enabled", "new_clients", "public", *_BOUNDS}
    for key, value in changes.items():
        if key not in known:
            raise ValidationError(f"unknown booking setting {key!r}")
        if key in _BOUNDS:
            lo, hi = _BOUNDS[key]
            if not isinstance(value, int) or not lo <= value <= hi:
                raise ValidationError(
                    f"bad {key.replace('_', ' ')}: {value} ({lo}–{hi})", field=key
                )
    checked = [check_service(n, m) for n, m in services] if services is not None else None
    if checked is not None:
        if len(checked) > MAX_SERVICES:
            raise ValidationError(f"at most {MAX_SERVICES} services")
        names = [c.name.casefold() for c in checked]
        if len(set(names)) != len(names):
            raise ValidationError("two services have the same name")
    with ctx.db.session() as s:
        person = _practitioner_row(s, practitioner_id)
        row = _ensure_row(s, practitioner_id, ctx.clock.now())
        for key, value in changes.items():
            setattr(row, key, value)
        row.updated_at = ctx.clock.now()
        if checked is not None:
            s.execute(
                delete(BookingServiceRow).where(
                    BookingServiceRow.practitioner_id == practitioner_id
                )
            )
            for i, svc in enumerate(checked):
                s.add(
                    BookingServiceRow(
                        practitioner_id=practitioner_id,
                        name=svc.name,
                        minutes=svc.minutes,
                        position=i,
                    )
                )
            s.flush()
        result = _to_settings(s, row, person)
        if result.enabled and not result.services:
            # Raised inside the unit of work, so nothing of this change is kept.
            raise ValidationError("booking needs at least one service to be turned on")
    return result


def rotate_link(ctx: Context, practitioner_id: int) -> BookingSettings:
    """A new secret link; the old one stops working at once."""
    require_manage_booking(ctx.require_actor(), practitioner_id)
    with ctx.db.session() as s:
        person = _practitioner_row(s, practitioner_id)
        row = _ensure_row(s, practitioner_id, ctx.clock.now())
        row.link_secret, row.link_hash = _new_secret()
        row.updated_at = ctx.clock.now()
        return _to_settings(s, row, person)


def list_settings(ctx: Context) -> list[BookingSettings]:
    """The booking settings the current user may manage, by practitioner name."""
    from sessions_tui.services.permissions import can_manage_booking
    from sessions_tui.services.practice import practitioners

    actor = ctx.require_actor()
    return [get_settings(ctx, p.id) for p in practitioners(ctx) if can_manage_booking(actor, p.id)]


# --- the public page ------------------------------------------------------------------------


def page_for_key(db: Database, key: str) -> BookingPage | None:
    """The page at ``/book/<key>``, or ``None`` (unknown, rotated, turned off: all alike)."""
    if not key or len(key) > 100:
        return None
    with db.read() as s:
        hit = s.execute(
            select(BookingSettingsRow, StaffRow)
            .join(StaffRow, StaffRow.id == BookingSettingsRow.practitioner_id)
            .where(BookingSettingsRow.link_hash == _digest(key))
        ).first()
        if hit is not None and hit[0].public:
            hit = None  # a public page is reached by its login only
        if hit is None:
            hit = s.execute(
                select(BookingSettingsRow, StaffRow)
                .join(StaffRow, StaffRow.id == BookingSettingsRow.practitioner_id)
                .where(StaffRow.login == key, BookingSettingsRow.public.is_(True))  # type: ignore[attr-defined]
            ).first()
        if hit is None:
            return None
        row, person = hit
        services = _services(s, row.practitioner_id)
        if not row.enabled or not services or not holds_role(person.roles, "practitioner"):
            return None
        practice_row = s.get(PracticeRow, 1)
        practice_name = practice_row.name if practice_row is not None else ""
        default_tz = (practice_row.display_tz if practice_row is not None else None) or "UTC"
    weekly = hours_service.get_hours(
        Context(db, _NoClock(), None), row.practitioner_id, kind=hours_service.AVAILABILITY
    )
    return BookingPage(
        practitioner_id=row.practitioner_id,
        practitioner_name=person.name,
        practice_name=practice_name,
        key=key,
        services=services,
        zone=weekly.tzid if weekly is not None else default_tz,
        new_clients=row.new_clients,
        notice=timedelta(minutes=row.notice_minutes),
        horizon=timedelta(days=row.horizon_days),
        buffer=timedelta(minutes=row.buffer_minutes),
        hold=timedelta(minutes=row.hold_minutes),
    )


class _NoClock:
    """For reads that never ask the time."""

    def now(self) -> datetime:
        raise AssertionError("not used")


def _round_up(value: datetime, minutes: int = 5) -> datetime:
    value = value.astimezone(UTC)
    out = value.replace(second=0, microsecond=0)
    out += timedelta(minutes=-out.minute % minutes)
    return out if out >= value else out + timedelta(minutes=minutes)


def page_slots(
    db: Database,
    clock: Clock,
    page: BookingPage,
    service: BookingService,
    start: datetime,
    end: datetime,
) -> list[OpenSlot]:
    """The times a visitor may ask for in ``[start, end)``: free time, after the notice, within
    the horizon, with the buffer kept around busy events and holds."""
    now = clock.now()
    first = max(start, _round_up(now + page.notice))
    last = min(end, now + page.horizon)
    if last <= first:
        return []
    ctx = Context(db, clock, None)
    free = open_time(ctx, page.practitioner_id, first, last, buffer=page.buffer)
    length = timedelta(minutes=service.minutes)
    return [OpenSlot(a, b, page.practitioner_id) for a, b in slots(free, length)]


def is_offered(
    db: Database, clock: Clock, page: BookingPage, service: BookingService, start: datetime
) -> bool:
    """Whether the page offers ``start`` for ``service`` (exactly one of its listed times).

    Slots are cut from the start of each free interval, so the check looks at a day either
    side: a free interval clipped at ``start`` would otherwise offer any minute.
    """
    day = timedelta(days=1)
    length = timedelta(minutes=service.minutes)
    found = page_slots(db, clock, page, service, start - day, start + length + day)
    return any(o.start == start and o.end == start + length for o in found)


# --- requests -------------------------------------------------------------------------------


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
