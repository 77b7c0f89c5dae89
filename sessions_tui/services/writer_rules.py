"""The rules the one writer (:mod:`sessions_tui.services.writer`) applies to every change.

Kept apart from the writer so each stays readable: the booking rule over a whole series, the
stale-version refusal that names who changed what, and which occurrences a sync may never
delete.

**The booking horizon.** When the practice forbids double booking, a new or changed event is
checked against the practitioner's other busy events over its whole life: a one-off over its
own time, a series with ``COUNT`` or ``UNTIL`` up to its real last occurrence. A series with no
end is checked from its start through :data:`BOOKING_HORIZON` (two years) past the later of its
start and now. Beyond that an endless series is not checked from its own side; but every later
booking is checked over its own time against the series' occurrences there, so only two
*endless* series that first meet more than two years out go unnoticed (and each edit of either
re-checks, with the horizon moved on to the new "now").
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from sessions_tui.domain.errors import ConflictError
from sessions_tui.domain.events import Event, Instant, Occurrence, Status
from sessions_tui.domain.recurrence import occurrences, series_end
from sessions_tui.domain.timeutil import zone
from sessions_tui.store import queries

BOOKING_HORIZON = timedelta(days=731)
"""How far past max(start, now) an endless series is checked for double booking."""


def is_protected(event: Event) -> bool:
    """A client session with completed notes, or cancelled: a sync never deletes it."""
    return event.is_session and (event.notes_completed or event.is_cancelled)


def _as_utc(value: Instant, tz: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    assert isinstance(value, date)
    return datetime.combine(value, time(0), tzinfo=tz).astimezone(UTC)


def checked_span(event: Event, now: datetime) -> tuple[datetime, datetime]:
    """The UTC range over which ``event`` is checked for double booking (see the module doc)."""
    tz = zone(event.tzid)
    first = _as_utc(event.start, tz)
    if not event.rrule:
        return first, _as_utc(event.end, tz)
    end = series_end(event)
    if end is None:
        end = max(first, now) + BOOKING_HORIZON
    return first, end


def _own_occurrences(event: Event, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    tz = zone(event.tzid)
    if not event.rrule:
        return [(_as_utc(event.start, tz), _as_utc(event.end, tz))]
    return [
        (_as_utc(o.start, tz), _as_utc(o.end, tz))
        for o in occurrences(event, lo - timedelta(days=1), hi + timedelta(days=1), display_tz=tz)
    ]


def _counts(other: Occurrence, event: Event, ignore_ids: set[int]) -> bool:
    ev = other.event
    if ev.id in ignore_ids or ev.series_id in ignore_ids or not ev.busy:
        return False
    if _is_itself(other, event):
        return False
    return ev.status is not Status.CANCELLED and ev.practitioner_id == event.practitioner_id


def _is_itself(other: Occurrence, event: Event) -> bool:
    """Whether ``other`` is ``event`` itself, or an occurrence ``event`` stands for.

    Only these are left out of the booking rule; the other occurrences of the event's own
    series are counted like anyone else's (an occurrence moved onto its neighbour, or a fork
    moved back onto its head, is a double booking):

    - the stored row of ``event`` (an edit is checked against everything but itself);
    - for a series, its own overrides: each one is checked on its own, when it is written;
    - for an override, the series' occurrence it replaces (not stored as such: before the
      override is written, the window still shows the series' own occurrence there).
    """
    ev = other.event
    if event.id is not None and (ev.id == event.id or ev.series_id == event.id):
        return True
    if event.series_id is not None and event.recurrence_id is not None:
        rid = other.recurrence_id
        return (
            ev.id == event.series_id and rid is not None and _same_instant(rid, event.recurrence_id)
        )
    return False


def _same_instant(a: Instant, b: Instant) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.astimezone(UTC) == b.astimezone(UTC)
    return a == b


def clashes(
    s: Session, event: Event, ignore_ids: Iterable[int], now: datetime, *, limit: int = 3
) -> list[str]:
    """Up to ``limit`` of the practitioner's busy occurrences that ``event`` would overlap."""
    if event.practitioner_id is None or not event.busy or event.status is Status.CANCELLED:
        return []
    ignore = {i for i in ignore_ids if i is not None}
    lo, hi = checked_span(event, now)
    mine = _own_occurrences(event, lo, hi)
    if event.rrule and event.id is not None:
        # A stored series' overridden occurrences are where their overrides say, not here.
        mine = _without_overridden(s, event, mine)
    if not mine:
        return []
    tz = zone(event.tzid)
    others = [
        (_as_utc(o.start, tz), _as_utc(o.end, tz), o)
        for o in queries.window(
            s,
            mine[0][0],
            mine[-1][1],
            display_tz=tz,
            practitioners=[event.practitioner_id],
        )
        if _counts(o, event, ignore)
    ]
    if not others:
        return []
    # A sweep instead of every pair: for each of ours, only the others starting before its end
    # and (by the longest other) not ended before its start can overlap.
    others.sort(key=lambda t: t[0])
    starts = [t[0] for t in others]
    longest = max(t[1] - t[0] for t in others)
    out: list[str] = []
    for a0, a1 in mine:
        i = bisect.bisect_left(starts, a0 - longest)
        j = bisect.bisect_left(starts, a1)
        for b0, b1, occ in others[i:j]:
            if a0 < b1 and b0 < a1:
                out.append(describe_clash(occ, tz))
                break
        if len(out) >= limit:
            break
    return out


def _without_overridden(
    s: Session, event: Event, mine: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    keys = {
        k
        for (k,) in s.execute(
            text("SELECT recurrence_key FROM event WHERE series_id = :i"), {"i": event.id}
        )
    }
    if not keys:
        return mine
    tz = zone(event.tzid)
    taken = {_as_utc(queries.parse_recurrence_key(k), tz) for k in keys}
    return [m for m in mine if m[0] not in taken]


def describe_clash(occ: Occurrence, tz: Any) -> str:
    """The clashing event and when, in ``tz``: ``<title> on Tue Nov 24 2026 10:00``."""
    when = (
        occ.start.astimezone(tz).strftime("%a %b %d %Y %H:%M")
        if isinstance(occ.start, datetime)
        else f"{occ.start} (all day)"
    )
    return f"{occ.event.title or 'a session'} on {when}"


def require_free(s: Session, event: Event, ignore_ids: Iterable[int], now: datetime) -> None:
    """Refuse double booking when the practice forbids it (inside the caller's transaction)."""
    if event.practitioner_id is None or not event.busy or event.status is Status.CANCELLED:
        return
    from sessions_tui.store.tables import PracticeRow

    if queries.settings_from_row(s.get(PracticeRow, 1)).allow_double_booking:
        return
    if s.get_bind().dialect.name == "postgresql":
        # Two schedulers booking the same practitioner at once: the second waits here until
        # the first commits, then sees its booking. (SQLite's BEGIN IMMEDIATE serialises.)
        s.execute(
            text("SELECT pg_advisory_xact_lock(:k)"),
            {"k": 0x5E55_0000_0000 + event.practitioner_id},
        )
    found = clashes(s, event, ignore_ids, now, limit=1)
    if found:
        raise ConflictError(f"double booking is not allowed: overlaps {found[0]}")


# --- stale versions -----------------------------------------------------------------------


class StaleEdit(ConflictError):
    """The event changed since the editor loaded it; ``current`` is what is stored now."""

    def __init__(self, message: str, current: Event | None, differences: list[str]) -> None:
        super().__init__(message)
        self.current = current
        self.differences = differences


_SHOWN_FIELDS = (
    "start",
    "end",
    "title",
    "practitioner_id",
    "client_id",
    "location_id",
    "status",
    "notes_completed",
    "busy",
    "rrule",
    "all_day",
)


def differences(old: Event, new: Event) -> list[str]:
    """Readable field changes from ``old`` to ``new``."""
    out = []
    tz = zone(new.tzid)
    for name in _SHOWN_FIELDS:
        a, b = getattr(old, name), getattr(new, name)
        if a == b:
            continue
        label = name.removesuffix("_id").replace("_", " ")
        if isinstance(a, datetime) and isinstance(b, datetime):
            a_text, b_text = (
                a.astimezone(tz).strftime("%a %H:%M"),
                b.astimezone(tz).strftime("%a %H:%M"),
            )
        else:
            a_text, b_text = str(a), str(b)
        out.append(f"{label} {a_text} → {b_text}")
    return out


def who_changed(
    s: Session, event_id: int, entity: str = "event", besides: str | None = None
) -> str:
    """The login the audit log names for the newest change of an event (or of another
    audited row: ``entity`` ``"exdate"`` for a deleted occurrence); with ``besides``, the
    newest change by anyone else, if there is one (an undo is refused for a colleague's
    change, even when the actor's own later undo is newer)."""
    try:
        with s.begin_nested():
            row = s.execute(
                text(
                    "SELECT actor FROM audit_log WHERE entity = :e AND entity_id = :i "
                    "ORDER BY actor = :me, id DESC LIMIT 1"
                ),
                {"i": event_id, "e": entity, "me": besides or ""},
            ).first()
    except Exception:  # no audit table (an old schema) or no right to read it: say "someone"
        return "someone else"
    return str(row[0]) if row and row[0] else "someone else"
