"""The time an online-booking request holds, as the calendar shows it (issue 24).

A request holds ``[start, end)`` of its practitioner's time while it is ``pending`` and its
``expires_at`` is ahead, or while it is being accepted (``accepting``): the rule is
:mod:`sessions_tui.store.holds`'s, and both read paths (``store.fastread`` and
``store.orm_reader``) return what it selects as :class:`Hold` values, built here from a row.
Who may read the requester's name is :mod:`sessions_tui.services.holds`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

PENDING = "pending"
ACCEPTING = "accepting"
HOLD_LABEL = "Hold"
"""What staff who may not see a request's details read on its time."""
HOLD_MARK = "?"
"""Marks a hold wherever it is drawn (its style is tentative; the mark needs no colour)."""


@dataclass(frozen=True)
class Hold:
    """One live request's held time (aware UTC instants) and who asked for it."""

    id: int
    practitioner_id: int
    start: datetime
    end: datetime
    name: str
    service: str
    status: str
    expires_at: datetime


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def hold_from_row(row: Any) -> Hold:
    """The :class:`Hold` of a ``booking_request`` row (ORM or ``sqlite3``)."""
    return Hold(
        id=int(row.id),
        practitioner_id=int(row.practitioner_id),
        start=_utc(row.start_utc),
        end=_utc(row.end_utc),
        name=str(row.name),
        service=str(row.service),
        status=str(row.status),
        expires_at=_utc(row.expires_at),
    )


def is_live(status: str, expires_at: datetime, now: datetime) -> bool:
    """Whether a request in ``status`` expiring at ``expires_at`` holds its time at ``now``."""
    return status == ACCEPTING or (status == PENDING and expires_at > now)
