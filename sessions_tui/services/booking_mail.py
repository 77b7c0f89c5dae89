"""The emails of online booking, queued in the ``outbox`` table in the caller's transaction.

A message is queued in the same unit of work as the change it tells of (a request held, a
session confirmed, a request declined), so a change is never kept without its email nor an
email sent for a change that was rolled back. The mail worker (:mod:`sessions_tui.sync.mailer`)
sends them; nothing is sent from a web request.

A client's email names only what the client typed (their name), the service (its length and
place: a location or telehealth with its link), the time (in the zone they chose on the page),
the practitioner and the practice, and ends with the practice's public profile (name, phone,
address, note, privacy-policy link: issue 27), so "please call us" comes with the number: never
another client, never an internal ID, never notes.

**Rescheduling** (issue 27). A confirmed session is moved by cancelling it and asking for another
time: the confirmation says so, names the practice's phone, and links the practitioner's booking
page when that page is public and the public address (``reminders.link-base``) is set; the
reminder before the session carries the link that cancels it online. A secret page's address is
not stored (only its hash), so it is never linked from an email.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from sessions_tui.domain.profile import ServicePlace
from sessions_tui.services.practice import read_profile
from sessions_tui.store.tables import (
    BookingRequestRow,
    BookingServiceRow,
    BookingSettingsRow,
    OutboxRow,
    PracticeRow,
    ReminderSettingsRow,
    StaffRow,
)

RECEIVED = "received"
CONFIRMED = "confirmed"
DECLINED = "declined"
OFFERED = "offered"
EXPIRED = "expired"
VERIFY = "verify"
"""The first email to a page's visitor: confirm the address (issue 27). It names the service,
time, practitioner and practice, and of what the visitor typed only their name, cut to
``NAME_SHOWN`` letters and stripped of anything but letters, spaces, ``'`` and ``-`` (no link
or other text of a stranger's rides on the practice's address)."""
NAME_SHOWN = 40
VERIFY_MINUTES = 30
"""How long the link of a :data:`VERIFY` email works."""


def safe_name(name: str) -> str:
    """``name`` as a first email may show it (see :data:`VERIFY`); may be empty."""
    kept = "".join(c if c.isalpha() or c in "'-" else " " for c in name)
    return " ".join(kept.split())[:NAME_SHOWN].strip()


def when_text(start: datetime, tzid: str) -> str:
    """``Thursday 26 November 2026, 09:00 (America/Chicago)``."""
    tz = ZoneInfo(tzid)
    local = start.astimezone(tz)
    return f"{local:%A %d %B %Y, %H:%M} ({tzid})"


def _names(s: Session, row: BookingRequestRow) -> tuple[str, str]:
    person = s.get(StaffRow, row.practitioner_id)
    practice = s.get(PracticeRow, 1)
    return (person.name if person else "your practitioner", practice.name if practice else "")


def service_place(s: Session, practitioner_id: int, service: str) -> ServicePlace:
    """Where ``service`` of the practitioner happens, as now set (empty when not said)."""
    row = s.execute(
        select(BookingServiceRow).where(
            BookingServiceRow.practitioner_id == practitioner_id,
            BookingServiceRow.name == service,
        )
    ).scalar_one_or_none()
    return ServicePlace(row.location, row.link) if row is not None else ServicePlace()


def public_page(s: Session, practitioner_id: int) -> str | None:
    """The practitioner's booking page address, when it is on and public and the public
    address is set (else ``None``: a secret page's address is not stored)."""
    settings = s.execute(
        select(BookingSettingsRow).where(BookingSettingsRow.practitioner_id == practitioner_id)
    ).scalar_one_or_none()
    person = s.get(StaffRow, practitioner_id)
    reminder = s.get(ReminderSettingsRow, 1)
    base = reminder.base_url.strip().rstrip("/") if reminder is not None else ""
    if settings is None or person is None or not settings.enabled or not settings.public:
        return None
    return f"{base}/book/{person.login}" if base else None


def place_line(place: ServicePlace, *, with_link: bool = False) -> str:
    """``\nWhere: …`` for a message body, or ``""`` when the place is not said."""
    text = place.text(with_link=with_link)
    return f"\nWhere: {text}" if text else ""


def add_place(
    ev: Any, place: ServicePlace, profile_address: str | None, *, with_link: bool = False
) -> None:
    """Give an iCalendar event its ``LOCATION`` (the location's name, with the practice's
    address when it has one; ``Telehealth``) and, ``with_link`` (a confirmed session only),
    the telehealth link as ``URL`` (:func:`ics_description` puts it in ``DESCRIPTION``)."""
    if place.telehealth:
        ev.add("location", "Telehealth")
        if place.link and with_link:
            ev.add("url", place.link)
    elif place.location:
        where = f"{place.location}, {profile_address}" if profile_address else place.location
        ev.add("location", where)


def ics_description(place: ServicePlace, text: str, *, with_link: bool = False) -> str:
    """``text``, after the telehealth link when there is one (``with_link`` only)."""
    if place.telehealth and place.link and with_link:
        return f"Join: {place.link}\n{text}"
    return text


def compose(
    s: Session,
    kind: str,
    row: BookingRequestRow,
    *,
    ics: str | None = None,
    link: str | None = None,
) -> tuple[str, str]:
    """The subject and plain-text body of a ``kind`` message about ``row``."""
    practitioner, _ = _names(s, row)
    when = when_text(row.start_utc, row.visitor_tz)
    what = f"{row.service} ({row.minutes} minutes) with {practitioner}"
    place = service_place(s, row.practitioner_id, row.service)
    where = place_line(place, with_link=kind == CONFIRMED)
    profile = read_profile(s)
    footer = profile.mail_footer()
    sign = f"\n\n--\n{footer}\n" if footer else "\n"
    phone = profile.phone
    call = f" or call us at {phone}" if phone else ""
    if kind == VERIFY:
        greet = safe_name(row.name)
        subject = f"Please confirm your request: {row.service} with {practitioner}"
        body = (
            f"Hello{' ' + greet if greet else ''},\n\nSomeone, we hope you, asked for {what} on "
            f"{when} on our booking page with this address.{where}\nTo send the request, open this "
            f"link within {VERIFY_MINUTES} minutes:\n\n{link}\n\n"
            "Until then nothing is held or sent to us. If it was not you, ignore this email: "
            "the request expires by itself and we will not write again."
        )
    elif kind == RECEIVED:
        subject = f"We received your request: {row.service} with {practitioner}"
        body = (
            f"Hello {row.name},\n\nThank you. We received your request for {what} on {when}."
            f"{where}\n"
            "The time is held for you while we look at it; this is not yet a confirmation. "
            "We will write again when it is confirmed."
        )
    elif kind == CONFIRMED:
        subject = f"Confirmed: {row.service} with {practitioner}"
        page = public_page(s, row.practitioner_id)
        again = f", then ask for another time at {page}" if page else ""
        body = (
            f"Hello {row.name},\n\nYour {what} on {when} is confirmed.{where}\n"
            "The attached calendar file adds it to your calendar.\n\n"
            f"To change the time, reply to this email{call}. The reminder we send before the "
            f"session has a link to cancel it online{again}."
        )
    elif kind == DECLINED:
        subject = f"Your request: {row.service} with {practitioner}"
        reason = f"\n\n{row.reason}" if row.reason else ""
        body = (
            f"Hello {row.name},\n\nWe are sorry: we cannot offer {what} on {when}.{reason}\n"
            "You are welcome to ask for another time on the booking page."
        )
    elif kind == OFFERED:
        subject = f"Another time for {row.service} with {practitioner}"
        body = (
            f"Hello {row.name},\n\nThe time you asked for is not possible; we can offer "
            f"{when} instead for {what}. It is held for you: reply to this email{call} to take "
            f"it.{where}"
        )
    elif kind == EXPIRED and row.offered_at is not None:
        subject = f"The time we offered is no longer held: {row.service} with {practitioner}"
        body = (
            f"Hello {row.name},\n\nThe time we offered for {what}, {when}, is no longer held "
            "for you.\nYou are welcome to ask for another time on the booking page."
        )
    elif kind == EXPIRED:
        subject = f"Your request was not answered in time: {row.service} with {practitioner}"
        body = (
            f"Hello {row.name},\n\nWe are sorry: we could not answer your request for {what} "
            f"on {when} in time, and the time is no longer held for you.\n"
            "You are welcome to ask again on the booking page."
        )
    else:
        raise ValueError(f"unknown message kind {kind!r}")
    return subject, body + sign


def queue(
    s: Session,
    kind: str,
    row: BookingRequestRow,
    now: datetime,
    *,
    ics: str | None = None,
    link: str | None = None,
) -> OutboxRow:
    """Add the ``kind`` email to ``row``'s visitor to the outbox (in ``s``'s transaction)."""
    subject, body = compose(s, kind, row, ics=ics, link=link)
    out = OutboxRow(
        kind=kind,
        request_id=row.id,
        to_addr=row.email,
        subject=subject,
        body=body,
        ics=ics,
        created_at=now,
        next_attempt_at=now,
    )
    s.add(out)
    s.flush()
    return out
