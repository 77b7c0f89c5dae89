"""Pending online-booking requests as the time they hold.

A request holds ``[start, end)`` while it is ``pending`` and its ``expires_at`` is still ahead;
an expired hold blocks nothing even before anything marks it expired, so expiry needs no job.
A request being accepted (``accepting``: its session is being created) holds its time whatever
its expiry, so nobody can take the time in between. :func:`is_held` is that rule as SQL, the one
place it is written for SQLAlchemy (``store.fastread`` mirrors it for ``sqlite3``, and a test
checks both return the same; :func:`sessions_tui.domain.holds.is_live` is it in Python).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from sessions_tui.domain.holds import ACCEPTING, PENDING, Hold, hold_from_row
from sessions_tui.store.tables import BookingRequestRow

__all__ = ["ACCEPTING", "PENDING", "held_intervals", "holds_between", "is_held"]


def is_held(now: datetime) -> Any:
    """The SQL condition: the request holds its time at ``now``."""
    r = BookingRequestRow
    return or_(r.status == ACCEPTING, and_(r.status == PENDING, r.expires_at > now))  # type: ignore[arg-type]


def held_intervals(
    s: Session, practitioner_id: int, start: datetime, end: datetime, now: datetime
) -> list[tuple[datetime, datetime]]:
    """The UTC intervals held by live requests of ``practitioner_id`` overlapping the range."""
    r = BookingRequestRow
    rows = s.execute(
        select(r.start_utc, r.end_utc).where(
            r.practitioner_id == practitioner_id,
            is_held(now),
            r.start_utc < end,
            r.end_utc > start,
        )
    ).all()
    return sorted((a, b) for a, b in rows)


def holds_between(
    s: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    practitioners: Sequence[int] | None = None,
) -> list[Hold]:
    """Every live hold overlapping ``[start, end)`` (of ``practitioners`` only, when given),
    by start then id."""
    r = BookingRequestRow
    stmt = select(r).where(is_held(now), r.start_utc < end, r.end_utc > start)
    if practitioners is not None:
        stmt = stmt.where(r.practitioner_id.in_(list(practitioners)))  # type: ignore[attr-defined]
    rows = s.execute(stmt.order_by(r.start_utc, r.id)).scalars()  # type: ignore[arg-type]
    return [hold_from_row(row) for row in rows]
