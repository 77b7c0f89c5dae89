"""A reminder's link: the client confirms the session, or cancels it before the cutoff.

The link names a token (only its sha256 is stored, in the sent-log row of the email that
carried it). The token leads to one occurrence: a one-off session, or one occurrence of a
series, by its original start. Opening the link changes nothing (mail scanners fetch links);
the page's buttons POST the answer.

- **Confirm** sets the occurrence's status to ``confirmed`` (a series occurrence gets an
  override, as an edit of "this event" does).
- **Cancel** sets it to ``cancelled``, when the practice allows it (``reminders.cancel``) and
  until that many hours before the start (:func:`permissions.require_client_cancel`).

A link serves the client it was sent to: once the occurrence belongs to another client (the
series was given to someone else), the link shows and answers nothing but "this link no
longer applies" (:class:`NoLongerApplies`), so one client can never confirm or cancel
another's session.

Both write through the one writer (:meth:`Writer.for_client`), so the audit log records the
change, under the actor ``reminder-link``; open calendars see it at their next refresh. A
cancelled or past session can no longer be answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from sessions_tui.clock import Clock
from sessions_tui.domain import series as ser
from sessions_tui.domain.errors import NotFoundError, PermissionDenied, ValidationError
from sessions_tui.domain.events import Event, Status
from sessions_tui.services import reminders
from sessions_tui.services.permissions import require_client_cancel
from sessions_tui.services.writer import Writer
from sessions_tui.store import queries
from sessions_tui.store.db import Database
from sessions_tui.store.tables import (
    EventRow,
    ExdateRow,
    LocationRow,
    PracticeRow,
    ReminderLogRow,
    StaffRow,
)

ACTOR = "reminder-link"
"""The audit log's actor for a client's answer."""
CONFIRM = "confirm"
CANCEL = "cancel"


class NoLongerApplies(NotFoundError):
    """The link's occurrence now belongs to another client than the one it was sent to."""

    def __init__(self) -> None:
        super().__init__(
            "This link no longer applies: the session it was sent for has changed. "
            "Please call the practice."
        )


@dataclass(frozen=True)
class LinkPage:
    """What the confirm page shows (no client name: whoever holds the link sees it)."""

    practice: str
    practitioner: str
    location: str
    when: str
    zone: str
    status: Status
    can_cancel: bool
    cancel_until: str | None
    past: bool


def _valid_token(token: str) -> bool:
    return 16 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def _entry(s: Session, token: str) -> ReminderLogRow | None:
    if not _valid_token(token):
        return None
    return s.execute(
        select(ReminderLogRow).where(ReminderLogRow.token_hash == reminders.token_hash(token))
    ).scalar_one_or_none()


@dataclass
class _Found:
    row: EventRow
    event: Event
    start: datetime
    master: Event | None
    rid: datetime | None


def _occurrence(s: Session, entry: ReminderLogRow) -> _Found | None:
    """The occurrence the entry names, as it is now (``None`` when it is gone)."""
    base = s.get(EventRow, entry.event_id)
    if base is None:
        return None
    if not entry.occurrence:
        ev = queries.row_to_event(base)
        assert isinstance(ev.start, datetime)
        return _Found(base, ev, ev.start, None, None)
    override = s.execute(
        select(EventRow).where(
            EventRow.series_id == entry.event_id, EventRow.recurrence_key == entry.occurrence
        )
    ).scalar_one_or_none()
    keys = s.execute(select(ExdateRow.recurrence_key).where(ExdateRow.series_id == base.id))
    master = queries.row_to_event(base, keys.scalars().all())
    rid = queries.parse_recurrence_key(entry.occurrence)
    assert isinstance(rid, datetime)
    if override is not None:
        ev = queries.row_to_event(override)
        assert isinstance(ev.start, datetime)
        return _Found(override, ev, ev.start, master, rid)
    if master.rrule is None or rid in master.exdates or not ser.is_occurrence(master, rid):
        return None
    return _Found(base, master, rid, master, rid)


def _check_client(entry: ReminderLogRow, found: _Found) -> None:
    """Refuse (:class:`NoLongerApplies`) when the occurrence is another client's now."""
    if found.event.client_id != entry.client_id:
        raise NoLongerApplies


def _when(at: datetime, tzid: str) -> str:
    local = at.astimezone(ZoneInfo(tzid))
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M}"


def _zone(s: Session, ev: Event) -> str:
    practice = s.get(PracticeRow, 1)
    return practice.display_tz if practice and practice.display_tz else ev.tzid


def page(db: Database, clock: Clock, token: str) -> LinkPage | None:
    """The page of ``token`` (``None``: no such link, or its session is gone).

    Raises:
        NoLongerApplies: the session is another client's now.
    """
    settings = reminders.read_settings(db)
    now = clock.now()
    with db.read() as s:
        entry = _entry(s, token)
        found = _occurrence(s, entry) if entry is not None else None
        if entry is None or found is None:
            return None
        _check_client(entry, found)
        ev = found.event
        person = s.get(StaffRow, ev.practitioner_id) if ev.practitioner_id else None
        loc = s.get(LocationRow, ev.location_id) if ev.location_id else None
        practice = s.get(PracticeRow, 1)
        tzid = _zone(s, ev)
    cutoff = (
        found.start - timedelta(hours=settings.cancel_hours)
        if settings.cancel_hours is not None
        else None
    )
    return LinkPage(
        practice=practice.name if practice else "",
        practitioner=person.name if person else "",
        location=loc.name if loc else "",
        when=_when(found.start, tzid),
        zone=tzid,
        status=ev.status,
        can_cancel=cutoff is not None and now <= cutoff and ev.status is not Status.CANCELLED,
        cancel_until=_when(cutoff, tzid) if cutoff is not None else None,
        past=now >= found.start,
    )


def answer(db: Database, clock: Clock, token: str, what: str, reason: str | None = None) -> Status:
    """Confirm or cancel the occurrence of ``token``; returns its status now. A cancel's
    ``reason`` (optional: spaces folded, control characters dropped, 500 characters at most)
    is kept on the sent-log for the practice (``reminders status``).

    Raises:
        NotFoundError: no such link, or its session is gone (:class:`NoLongerApplies`: the
            session is another client's now).
        PermissionDenied: cancelling is not allowed (any more), or the session is past or
            cancelled.
    """
    if what not in (CONFIRM, CANCEL):
        raise ValidationError(f"unknown answer {what!r}")
    settings = reminders.read_settings(db)
    now = clock.now()
    with db.with_actor(ACTOR).session() as s:
        entry = _entry(s, token)
        found = _occurrence(s, entry) if entry is not None else None
        if entry is None or found is None:
            raise NotFoundError("This link does not lead to a session any more.")
        _check_client(entry, found)
        ev = found.event
        if ev.status is Status.CANCELLED:
            raise PermissionDenied("This session is cancelled.")
        if now >= found.start:
            raise PermissionDenied("This session has already started.")
        new = Status.CONFIRMED if what == CONFIRM else Status.CANCELLED
        if what == CANCEL:
            require_client_cancel(found.start, now, settings.cancel_hours)
        assert ev.practitioner_id is not None
        w = Writer.for_client(s, clock, ev.practitioner_id)
        if ev.status is not new:
            # A change of status moves no time: the booking rule is not asked again.
            if found.master is not None and found.row.series_id is None:
                assert found.rid is not None
                from sessions_tui.services.appointments import _occurrence_event

                key = queries.recurrence_key(found.rid)
                w.insert(
                    _occurrence_event(found.master, found.rid).with_changes(status=new),
                    uid=f"{found.master.uid}#{key}",
                    book=False,
                )
            else:
                w.update(found.row, ev.with_changes(status=new), book=False)
        entry.answered = new.value
        entry.answered_at = now.astimezone(UTC)
        if what == CANCEL and reason:
            kept = " ".join("".join(c for c in reason if c.isprintable() or c.isspace()).split())
            entry.cancel_reason = kept[:500] or None
        s.flush()
        return new
