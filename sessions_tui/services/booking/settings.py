"""Online booking settings: a practitioner's page switch, services, rules and link."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.profile import TELEHEALTH, ServicePlace
from sessions_tui.services.booking.model import MAX_SERVICES, BookingService, BookingSettings
from sessions_tui.services.context import Context
from sessions_tui.services.permissions import holds_role, require_manage_booking
from sessions_tui.store.tables import (
    BookingServiceRow,
    BookingSettingsRow,
    LocationRow,
    StaffRow,
)


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
    row, _secret = _ensure_row_and_secret(s, practitioner_id, now)
    return row


def _ensure_row_and_secret(
    s: Session, practitioner_id: int, now: datetime
) -> tuple[BookingSettingsRow, str | None]:
    """The settings row, made when missing; with the secret of its link when just made (only
    the hash is stored, so this is the one time it can be shown)."""
    row = s.execute(
        select(BookingSettingsRow).where(BookingSettingsRow.practitioner_id == practitioner_id)
    ).scalar_one_or_none()
    if row is not None:
        return row, None
    secret, digest = _new_secret()
    row = BookingSettingsRow(practitioner_id=practitioner_id, link_hash=digest, updated_at=now)
    s.add(row)
    s.flush()
    return row, secret


def _services(s: Session, practitioner_id: int) -> tuple[BookingService, ...]:
    rows = s.execute(
        select(BookingServiceRow)
        .where(BookingServiceRow.practitioner_id == practitioner_id)
        .order_by(BookingServiceRow.position, BookingServiceRow.id)
    ).scalars()
    return tuple(BookingService(r.name, r.minutes, ServicePlace(r.location, r.link)) for r in rows)


def _to_settings(
    s: Session, row: BookingSettingsRow, person: StaffRow, secret: str | None = None
) -> BookingSettings:
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
        link_secret=secret,
        increment_minutes=row.increment_minutes,
    )


def get_settings(ctx: Context, practitioner_id: int) -> BookingSettings:
    """A practitioner's booking settings (made, turned off, on first use)."""
    require_manage_booking(ctx.require_actor(), practitioner_id)
    with ctx.db.session() as s:
        person = _practitioner_row(s, practitioner_id)
        row, secret = _ensure_row_and_secret(s, practitioner_id, ctx.clock.now())
        return _to_settings(s, row, person, secret)


_BOUNDS = {
    "notice_minutes": (0, 60 * 24 * 60),
    "horizon_days": (1, 366),
    "buffer_minutes": (0, 240),
    "hold_minutes": (5, 60 * 24 * 30),
    "increment_minutes": (5, 60),
}
INCREMENTS = (5, 10, 15, 20, 30, 60)
"""The start-time grids a page may use (each divides the hour)."""


def check_service(name: str, minutes: int, place: ServicePlace | None = None) -> BookingService:
    """A service name of 1–60 printable characters and a length of 5–480 minutes (its place is
    checked against the practice's locations by :func:`update_settings`)."""
    name = " ".join(name.split())
    if not name or len(name) > 60 or any(not c.isprintable() for c in name):
        raise ValidationError(f"bad service name {name!r}: 1–60 printable characters")
    if not 5 <= minutes <= 480:
        raise ValidationError(f"bad length of {name!r}: {minutes} minutes (5–480)")
    return BookingService(name, minutes, place or ServicePlace())


def _place(s: Session, place: ServicePlace) -> ServicePlace:
    """``place`` with its location spelt as the practice's (not archived) location is; an
    unknown location is refused."""
    if place.location is None or place.telehealth:
        return place
    names = s.execute(
        select(LocationRow.name).where(LocationRow.archived.is_(False))  # type: ignore[attr-defined]
    ).scalars()
    found = next((n for n in names if n.casefold() == place.location.casefold()), None)
    if found is None:
        raise ValidationError(
            f"unknown location {place.location!r} (add it with `locations add`, or say "
            f"{TELEHEALTH})",
            field="location",
        )
    return ServicePlace(found, None)


def update_settings(
    ctx: Context,
    practitioner_id: int,
    *,
    services: Sequence[tuple[str, int] | tuple[str, int, ServicePlace]] | None = None,
    **changes: Any,
) -> BookingSettings:
    """Change any of ``enabled``, ``notice_minutes``, ``horizon_days``, ``buffer_minutes``,
    ``hold_minutes``, ``increment_minutes``, ``new_clients``, ``public``, and (all at once) the
    ``services`` (``(name, minutes)`` keeps the place a service of that name had;
    ``(name, minutes, place)`` sets it).

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
            if key == "increment_minutes" and value not in INCREMENTS:
                allowed = ", ".join(map(str, INCREMENTS))
                raise ValidationError(
                    f"bad increment minutes: {value} (one of {allowed})", field=key
                )
    checked = (
        [check_service(svc[0], svc[1], svc[2] if len(svc) > 2 else None) for svc in services]
        if services is not None
        else None
    )
    placed = [len(svc) > 2 for svc in services or ()]
    if checked is not None:
        if len(checked) > MAX_SERVICES:
            raise ValidationError(f"at most {MAX_SERVICES} services")
        names = [c.name.casefold() for c in checked]
        if len(set(names)) != len(names):
            raise ValidationError("two services have the same name")
    with ctx.db.session() as s:
        person = _practitioner_row(s, practitioner_id)
        row, secret = _ensure_row_and_secret(s, practitioner_id, ctx.clock.now())
        for key, value in changes.items():
            setattr(row, key, value)
        row.updated_at = ctx.clock.now()
        if checked is not None:
            before = {old.name.casefold(): old.place for old in _services(s, practitioner_id)}
            checked = [
                BookingService(c.name, c.minutes, _place(s, c.place))
                if given
                else BookingService(
                    c.name, c.minutes, before.get(c.name.casefold(), ServicePlace())
                )
                for c, given in zip(checked, placed, strict=True)
            ]
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
                        location=svc.place.location,
                        link=svc.place.link,
                    )
                )
            s.flush()
        result = _to_settings(s, row, person, secret)
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
        secret, row.link_hash = _new_secret()
        row.updated_at = ctx.clock.now()
        return _to_settings(s, row, person, secret)


def list_settings(ctx: Context) -> list[BookingSettings]:
    """The booking settings the current user may manage, by practitioner name."""
    from sessions_tui.services.permissions import can_manage_booking
    from sessions_tui.services.practice import practitioners

    actor = ctx.require_actor()
    return [get_settings(ctx, p.id) for p in practitioners(ctx) if can_manage_booking(actor, p.id)]
