"""The public booking page: found by its key, and the times it offers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from sessions_tui.clock import Clock
from sessions_tui.domain.timeutil import zone
from sessions_tui.services import hours as hours_service
from sessions_tui.services.availability import OpenSlot, open_time
from sessions_tui.services.booking.model import BookingPage, BookingService
from sessions_tui.services.booking.settings import _digest, _services
from sessions_tui.services.context import Context
from sessions_tui.services.permissions import holds_role
from sessions_tui.services.practice import profile_from_row
from sessions_tui.store.db import Database
from sessions_tui.store.tables import (
    BookingSettingsRow,
    PracticeRow,
    ReminderSettingsRow,
    StaffRow,
)


def public_base(db: Database) -> str | None:
    """The web service's public address as set for reminder links (``None`` when unset): the
    start of the links in booking emails too."""
    with db.read() as s:
        row = s.get(ReminderSettingsRow, 1)
        base = row.base_url.strip() if row is not None else ""
    return base.rstrip("/") or None


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
        profile = profile_from_row(practice_row)
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
        increment=timedelta(minutes=row.increment_minutes),
        profile=profile,
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
    return [
        OpenSlot(a, a + length, page.practitioner_id)
        for a in grid_starts(free, length, page.increment, zone(page.zone))
    ]


def grid_starts(
    free: list[tuple[datetime, datetime]], length: timedelta, step: timedelta, tz: ZoneInfo
) -> list[datetime]:
    """Every start on the ``step`` grid of the local hour in ``tz`` (``step`` divides the
    hour) from which ``length`` fits inside one of the ``free`` intervals, in order."""
    out: list[datetime] = []
    for a, b in free:
        local = a.astimezone(tz)
        hour = local.replace(minute=0, second=0, microsecond=0)
        steps = -(-(local - hour) // step)  # ceiling
        s = (hour + steps * step).astimezone(UTC)
        while s + length <= b:
            out.append(s)
            s += step
    return out


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
