"""Answering online booking requests: accept (a client session), decline, or offer a time.

Accepting goes through the appointments service (``appointments.create``, the one writer of
event rows): the request is first *claimed* (``pending`` → ``accepting``, which still holds the
time, so no visitor can take it meanwhile and no second scheduler can accept it too), then the
session is created, then the request is marked ``accepted`` with the confirmation email queued.
If creating the session fails the claim is given back and the request stays pending.

Accepting onto time that is already booked follows the practice's double-booking setting, as
any booking does: when the practice forbids double booking it is refused, naming the clash; when
it allows it ("asks first") :func:`accept` raises :class:`RequestClashes`, naming the clashes,
unless the caller says ``double_book=True`` (the TUI asks the user first, the CLI takes
``--double-book``).

A request from the page exists first ``unverified`` (:mod:`sessions_tui.services.booking.visitor`):
it holds nothing and is listed nowhere here until its address confirms it; then it is
``pending`` (verified and held) like any other.

Clients are matched by the email the visitor typed (``client_contact``); when no email matches
but clients of the same name exist, the caller must choose (``client_id``) or say
``new_client``, and nothing is changed until they do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sessions_tui.domain.errors import ConflictError, NotFoundError, ValidationError
from sessions_tui.services import appointments, booking_mail, scheduling
from sessions_tui.services.booking.model import SlotTaken
from sessions_tui.services.booking.visitor import UNVERIFIED, _lock_practitioner, time_is_free
from sessions_tui.services.context import Context
from sessions_tui.services.permissions import can_manage_booking, require_manage_booking
from sessions_tui.services.practice import _check_client, _insert_client, read_profile
from sessions_tui.store.holds import ACCEPTING, PENDING
from sessions_tui.store.rows import client_from_row, staff_from_row
from sessions_tui.store.tables import (
    BookingRequestRow,
    BookingSettingsRow,
    ClientContactRow,
    ClientRow,
    StaffRow,
)

ACCEPTED = "accepted"
DECLINED = "declined"
EXPIRED = "expired"


@dataclass(frozen=True)
class BookingRequest:
    """A request as staff see it."""

    id: int
    reference: str
    practitioner_id: int
    practitioner: str
    service: str
    minutes: int
    start: datetime
    end: datetime
    visitor_tz: str
    name: str
    email: str
    phone: str | None
    message: str | None
    status: str
    created_at: datetime
    expires_at: datetime
    offered: bool
    reason: str | None
    event_id: int | None
    client_id: int | None
    client: str | None = None
    """The booked client's name (set by :func:`accept`)."""

    def to_json(self, tz: ZoneInfo) -> dict[str, Any]:
        """The request as ``booking requests`` prints it in JSON, times in ``tz``."""
        return {
            "id": self.id,
            "practitioner": self.practitioner,
            "service": self.service,
            "minutes": self.minutes,
            "start": self.start.astimezone(tz).isoformat(),
            "end": self.end.astimezone(tz).isoformat(),
            "visitor_zone": self.visitor_tz,
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "message": self.message,
            "status": self.status,
            "created_at": self.created_at.astimezone(tz).isoformat(),
            "expires_at": self.expires_at.astimezone(tz).isoformat(),
            "offered": self.offered,
            "reason": self.reason,
            "event_id": self.event_id,
            "client_id": self.client_id,
        }


class RequestClashes(ConflictError):
    """Accepting would double-book (the practice allows it, asking first): ``clashes`` names
    each busy event the request's time overlaps; accept again with ``double_book=True``."""

    def __init__(self, request_id: int, name: str, clashes: list[str]) -> None:
        super().__init__(
            f"request {request_id} ({name}) overlaps {'; '.join(clashes)}", field="double_book"
        )
        self.request_id = request_id
        self.clashes = clashes


def _to_request(row: BookingRequestRow, practitioner: str, now: datetime) -> BookingRequest:
    assert row.id is not None
    status = row.status
    if status == PENDING and row.expires_at <= now:
        status = EXPIRED
    return BookingRequest(
        id=row.id,
        reference=row.reference,
        practitioner_id=row.practitioner_id,
        practitioner=practitioner,
        service=row.service,
        minutes=row.minutes,
        start=row.start_utc,
        end=row.end_utc,
        visitor_tz=row.visitor_tz,
        name=row.name,
        email=row.email,
        phone=row.phone,
        message=row.message,
        status=status,
        created_at=row.created_at,
        expires_at=row.expires_at,
        offered=row.offered_at is not None,
        reason=row.reason,
        event_id=row.event_id,
        client_id=row.client_id,
    )


def list_requests(ctx: Context, *, status: str | None = PENDING) -> list[BookingRequest]:
    """Requests the current user may answer, earliest time first; ``status=None`` for all.

    ``pending`` lists live holds only; ``expired`` those whose hold ran out unanswered.
    """
    actor = ctx.require_actor()
    now = ctx.clock.now()
    r = BookingRequestRow
    with ctx.db.read() as s:
        stmt = select(r, StaffRow.name).join(StaffRow, StaffRow.id == r.practitioner_id)
        if status == PENDING:
            stmt = stmt.where(r.status == PENDING, r.expires_at > now)
        elif status == EXPIRED:
            stmt = stmt.where(r.status == PENDING, r.expires_at <= now)
        elif status is not None:
            stmt = stmt.where(r.status == status)
        else:
            # A page's request the address has not confirmed is nobody's business yet.
            stmt = stmt.where(r.status != UNVERIFIED)
        rows = s.execute(stmt.order_by(r.start_utc, r.id)).all()
    return [
        _to_request(row, name, now)
        for row, name in rows
        if can_manage_booking(actor, row.practitioner_id)
    ]


def pending_count(ctx: Context) -> int:
    """How many live requests the current user may answer (the TUI's badge)."""
    return len(list_requests(ctx))


def _load(s: Session, request_id: int) -> BookingRequestRow:
    row = s.get(BookingRequestRow, request_id)
    if row is None:
        raise NotFoundError(f"no booking request with id {request_id}")
    return row


def _claim(ctx: Context, request_id: int, to: str) -> BookingRequestRow:
    """``pending`` (live) → ``to``, or a clear refusal; only one caller can win."""
    actor = ctx.require_actor()
    now = ctx.clock.now()
    with ctx.db.session() as s:
        row = _load(s, request_id)
        require_manage_booking(actor, row.practitioner_id)
        if row.status != PENDING:
            raise ConflictError(f"request {request_id} was already answered ({row.status})")
        if row.expires_at <= now:
            raise ConflictError(f"request {request_id} has expired; its time was freed")
        done = s.execute(
            update(BookingRequestRow)
            .where(BookingRequestRow.id == request_id, BookingRequestRow.status == PENDING)
            .values(status=to, decided_at=now, decided_by=actor.login)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(f"request {request_id} was answered by someone else")
        s.refresh(row)
        return row


class ClientChoice(ValidationError):
    """Unsure which client a request is from: ``requester`` (the name the visitor typed) and
    ``matches`` (id, name) of the clients it could be, matched ``by_email`` (the address is
    theirs, the name is not) or by name alone; accept again with ``client_id`` (one of them) or
    ``new_client``."""

    def __init__(
        self, text: str, requester: str, matches: list[tuple[int, str]], *, by_email: bool
    ) -> None:
        super().__init__(text, field="client")
        self.requester, self.matches, self.by_email = requester, matches, by_email


def _same_name(typed: str, client: ClientRow, preferred: str | None) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.split()).casefold()

    names = {norm(f"{client.first_name} {client.last_name}")}
    if preferred:
        names.add(norm(f"{preferred} {client.last_name}"))
    return norm(typed) in names


def _match_client(
    s: Session, row: BookingRequestRow, client_id: int | None, new_client: bool
) -> tuple[ClientRow | None, ClientChoice | None]:
    """The client to book (``None`` with the question when the caller must choose): a match
    by email whose name differs, or a match by name alone, is never taken on its own."""
    if client_id is not None:
        found = s.get(ClientRow, client_id)
        if found is None:
            raise NotFoundError(f"no client with id {client_id}", field="client")
        return found, None
    if new_client:
        return None, None
    contact = s.execute(
        select(ClientContactRow).where(func.lower(ClientContactRow.email) == row.email.lower())
    ).scalar_one_or_none()
    if contact is not None:
        client = s.get(ClientRow, contact.client_id)
        assert client is not None
        if _same_name(row.name, client, contact.preferred_name):
            return client, None
        named = f"{client.first_name} {client.last_name}"
        return None, ClientChoice(
            f"request {row.id} is from {row.name!r} but its address is client {client.id}'s, "
            f"{named}: pass --client {client.id} to book {named}, or --new-client",
            row.name,
            [(client.id or 0, named)],
            by_email=True,
        )
    first, _, last = row.name.rpartition(" ")
    same = (
        s.execute(
            select(ClientRow).where(
                func.lower(ClientRow.first_name) == (first or last).lower(),
                func.lower(ClientRow.last_name) == (last if first else "").lower(),
            )
        )
        .scalars()
        .all()
    )
    if same:
        ids = ", ".join(str(c.id) for c in same)
        return None, ClientChoice(
            f"no client has the email {row.email}, but {len(same)} named {row.name!r} exist "
            f"(ids {ids}): choose one (--client ID) or a new client (--new-client)",
            row.name,
            [(c.id or 0, f"{c.first_name} {c.last_name}") for c in same],
            by_email=False,
        )
    return None, None


def _client_for(
    ctx: Context, row: BookingRequestRow, client_id: int | None, new_client: bool
) -> int:
    with ctx.db.session() as s:
        client, unsure = _match_client(s, row, client_id, new_client)
        if unsure:
            raise unsure
        if client is None:
            first, _, last = row.name.rpartition(" ")
            first, last, _iid = _check_client(first or last, last if first else "-", None)
            client = _insert_client(s, first, last, None)
        assert client.id is not None
        contact = s.execute(
            select(ClientContactRow).where(ClientContactRow.client_id == client.id)
        ).scalar_one_or_none()
        if contact is None:
            s.add(ClientContactRow(client_id=client.id, email=row.email, phone=row.phone))
        return client.id


def _ics(s: Session, uid: str, row: BookingRequestRow, practitioner: str, now: datetime) -> str:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//sessions-tui//online booking//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    ev = icalendar.Event()
    ev.add("uid", uid)
    ev.add("dtstamp", now.astimezone(UTC))
    ev.add("dtstart", row.start_utc.astimezone(UTC))
    ev.add("dtend", row.end_utc.astimezone(UTC))
    ev.add("summary", f"{row.service} with {practitioner}")
    # Where it happens (issue 27): LOCATION, and a telehealth link in DESCRIPTION and URL.
    profile = read_profile(s)
    place = booking_mail.service_place(s, row.practitioner_id, row.service)
    booking_mail.add_place(ev, place, profile.address, with_link=True)
    phone = f" Phone: {profile.phone}." if profile.phone else ""
    text = f"{profile.name}.{phone}".strip()
    ev.add("description", booking_mail.ics_description(place, text, with_link=True))
    cal.add_component(ev)
    return bytes(cal.to_ical()).decode()


def _own_zone(s: Session, row: BookingRequestRow) -> str:
    """The zone a request's session is booked in: its practitioner's availability zone, else
    the visitor's."""
    from sessions_tui.store.tables import HoursRow

    own = s.execute(
        select(HoursRow.tzid).where(
            HoursRow.kind == "availability", HoursRow.practitioner_id == row.practitioner_id
        )
    ).scalar_one_or_none()
    return own or row.visitor_tz


def request_clashes(ctx: Context, request_id: int, *, limit: int = 3) -> list[str]:
    """The practitioner's busy events the request's time overlaps, named as the user knows
    them (``Ava Bennett Thu Nov 26 13:00–13:50``: the client of a session, else the title);
    empty when the time is free. The events that count are the booking rule's: busy, not
    cancelled, of the request's practitioner."""
    from sessions_tui.domain.events import Status
    from sessions_tui.domain.timeutil import zone
    from sessions_tui.store import queries

    with ctx.db.read() as s:
        row = _load(s, request_id)
        require_manage_booking(ctx.require_actor(), row.practitioner_id)
        tz = zone(_own_zone(s, row))
        found = [
            o
            for o in queries.window(
                s, row.start_utc, row.end_utc, display_tz=tz, practitioners=[row.practitioner_id]
            )
            if o.event.busy
            and o.event.status is not Status.CANCELLED
            and o.event.practitioner_id == row.practitioner_id
        ][:limit]
        _staff, clients, _places = queries.people_and_places(
            s, set(), {o.event.client_id for o in found if o.event.client_id}, set()
        )
    out = []
    for o in found:
        client = clients.get(o.event.client_id) if o.event.client_id else None
        what = client.full_name if client is not None else (o.event.title or "an event")
        if isinstance(o.start, datetime) and isinstance(o.end, datetime):
            a, b = o.start.astimezone(tz), o.end.astimezone(tz)
            out.append(f"{what} {a:%a %b %d %H:%M}–{b:%H:%M}")
        else:
            out.append(f"{what} ({o.start}, all day)")
    return out


def _check_booking_rule(ctx: Context, row: BookingRequestRow, double_book: bool) -> None:
    """The practice's double-booking rule for accepting ``row`` (see the module docstring)."""
    assert row.id is not None
    found = request_clashes(ctx, row.id)
    if not found:
        return
    from sessions_tui.services.practice import get_settings

    if not get_settings(ctx).allow_double_booking:
        raise ConflictError(
            f"double booking is not allowed: request {row.id} ({row.name}) overlaps {found[0]}",
            field="double_book",
        )
    if not double_book:
        raise RequestClashes(row.id, row.name, found)


def accept(
    ctx: Context,
    request_id: int,
    *,
    client_id: int | None = None,
    new_client: bool = False,
    double_book: bool = False,
) -> BookingRequest:
    """Book the requested time as a client session and queue the confirmation email.

    Raises:
        ValidationError: unsure which client (say ``client_id`` or ``new_client``).
        RequestClashes: the time is booked and the practice asks first (``double_book``).
        ConflictError: already answered, expired, the time is booked and the practice forbids
            double booking, or the session could not be booked.
    """
    with ctx.db.read() as s:
        peek = _load(s, request_id)
    require_manage_booking(ctx.require_actor(), peek.practitioner_id)
    if peek.status == PENDING and peek.expires_at > ctx.clock.now():
        with ctx.db.session() as s:
            _client, unsure = _match_client(s, peek, client_id, new_client)
        if unsure:
            raise unsure
        _check_booking_rule(ctx, peek, double_book)
    row = _claim(ctx, request_id, ACCEPTING)
    try:
        cid = _client_for(ctx, row, client_id, new_client)
        with ctx.db.read() as s:
            person = s.get(StaffRow, row.practitioner_id)
            client = s.get(ClientRow, cid)
            assert person is not None
            assert client is not None
            practitioner, client_obj = staff_from_row(person), client_from_row(client)
        with ctx.db.read() as s:
            tzid = _own_zone(s, row)
        event = scheduling.session_event(
            practitioner=practitioner,
            client=client_obj,
            start=row.start_utc,
            minutes=row.minutes,
            tzid=tzid,
        )
        change = appointments.create(ctx, event)
    except BaseException:
        with ctx.db.session() as s:
            s.execute(
                update(BookingRequestRow)
                .where(BookingRequestRow.id == request_id)
                .values(status=PENDING, decided_at=None, decided_by=None)
            )
        raise
    assert change.result_id is not None
    uid = scheduling.get_event(ctx, change.result_id).uid or f"booking-{row.reference}"
    now = ctx.clock.now()
    with ctx.db.session() as s:
        fresh = _load(s, request_id)
        fresh.status = ACCEPTED
        fresh.event_id = change.result_id
        fresh.client_id = cid
        s.flush()
        ics = _ics(s, uid, fresh, practitioner.name, now)
        booking_mail.queue(s, booking_mail.CONFIRMED, fresh, now, ics=ics)
        return replace(_to_request(fresh, practitioner.name, now), client=client_obj.full_name)


def decline(ctx: Context, request_id: int, reason: str | None = None) -> BookingRequest:
    """Decline a pending request (its time is free again) and queue the email."""
    if reason is not None:
        reason = " ".join(reason.split())[:500] or None
        if reason and any(not c.isprintable() for c in reason):
            raise ValidationError("the reason contains a control character", field="reason")
    _claim(ctx, request_id, DECLINED)
    now = ctx.clock.now()
    with ctx.db.session() as s:
        row = _load(s, request_id)
        row.reason = reason
        s.flush()
        booking_mail.queue(s, booking_mail.DECLINED, row, now)
        person = s.get(StaffRow, row.practitioner_id)
        return _to_request(row, person.name if person else "", now)


def offer(ctx: Context, request_id: int, start: datetime) -> BookingRequest:
    """Hold another time for the visitor instead (renewing the hold) and tell them by email.

    The request stays pending at the new time, so accepting it later books that time.
    """
    actor = ctx.require_actor()
    now = ctx.clock.now()
    start = start.astimezone(UTC)
    with ctx.db.session() as s:
        row = _load(s, request_id)
        require_manage_booking(actor, row.practitioner_id)
        if row.status != PENDING or row.expires_at <= now:
            raise ConflictError(f"request {request_id} is not pending")
        settings = s.execute(
            select(BookingSettingsRow).where(
                BookingSettingsRow.practitioner_id == row.practitioner_id
            )
        ).scalar_one_or_none()
        buffer = timedelta(minutes=settings.buffer_minutes if settings else 0)
        hold = timedelta(minutes=settings.hold_minutes if settings else 2880)
        _lock_practitioner(s, row.practitioner_id)
        end = start + timedelta(minutes=row.minutes)
        # This request's own hold must not block its new time.
        row.status = "offering"
        s.flush()
        if start <= now or not time_is_free(s, row.practitioner_id, start, end, buffer, now):
            raise SlotTaken("that time is not free", field="start")
        row.status = PENDING
        row.start_utc, row.end_utc = start, end
        row.offered_at = now
        row.expires_at = now + hold
        s.flush()
        booking_mail.queue(s, booking_mail.OFFERED, row, now)
        person = s.get(StaffRow, row.practitioner_id)
        return _to_request(row, person.name if person else "", now)


def outbox_log(ctx: Context, limit: int = 200) -> list[dict[str, Any]]:
    """The newest booking emails, queued, sent or failed (admins and schedulers)."""
    from sessions_tui.services.permissions import require_manager
    from sessions_tui.store.tables import OutboxRow

    require_manager(ctx.require_actor(), "read the booking email log")
    with ctx.db.read() as s:
        rows = s.execute(select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)).scalars()  # type: ignore[union-attr]
        return [
            {
                "id": r.id,
                "kind": r.kind,
                "to": r.to_addr,
                "subject": r.subject,
                "status": r.status,
                "attempts": r.attempts,
                "created_at": r.created_at,
                "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                "error": r.last_error,
                "request_id": r.request_id,
            }
            for r in rows
        ]
