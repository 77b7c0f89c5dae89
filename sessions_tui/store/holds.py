"""Pending online-booking requests as the time they hold.

A request holds ``[start, end)`` while it is ``pending`` and its ``expires_at`` is still ahead;
an expired hold blocks nothing even before anything marks it expired, so expiry needs no job.
A request being accepted (``accepting``: its session is being created) holds its time whatever
its expiry, so nobody can take the time in between.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from sessions_tui.store.tables import BookingRequestRow

PENDING = "pending"
ACCEPTING = "accepting"


def held_intervals(
    s: Session, practitioner_id: int, start: datetime, end: datetime, now: datetime
) -> list[tuple[datetime, datetime]]:
    """The UTC intervals held by live requests of ``practitioner_id`` overlapping the range."""
    r = BookingRequestRow
    rows = s.execute(
        select(r.start_utc, r.end_utc).where(
            r.practitioner_id == practitioner_id,
            or_(r.status == ACCEPTING, and_(r.status == PENDING, r.expires_at > now)),
            r.start_utc < end,
            r.end_utc > start,
        )
    ).all()
    return sorted((a, b) for a, b in rows)
