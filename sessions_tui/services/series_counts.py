"""How many occurrences of a series a change would touch: what the scope questions say.

"This and following: 6 sessions of Ava Bennett, Mon 23 Nov 09:00 on" needs the number of
occurrences from one of them to the end of its series, and "All events" the whole series.
Counted with the domain's own expansion (:func:`~sessions_tui.domain.recurrence.occurrences`,
deleted occurrences left out), and bounded: a series with no end (no ``COUNT``, no ``UNTIL``)
is not counted at all (``None``: the question says "every … from … on").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sessions_tui.domain.events import Event, Instant
from sessions_tui.domain.recurrence import occurrences, series_end
from sessions_tui.services.context import Context


@dataclass(frozen=True)
class SeriesCounts:
    """The occurrences of a series from one of them on (``following``) and in all
    (``total``); ``None`` for a series with no end."""

    following: int | None
    total: int | None


def _utc(value: Instant) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    assert isinstance(value, date)
    return datetime.combine(value, time(0), tzinfo=UTC)


def count_occurrences(master: Event, rid: Instant) -> SeriesCounts:
    """The counts for occurrence ``rid`` (an original start) of the series ``master``."""
    if master.rrule is None:
        return SeriesCounts(1, 1)
    end = series_end(master)
    if end is None:
        return SeriesCounts(None, None)
    lo = _utc(master.start) - timedelta(days=2)
    hi = end + timedelta(days=2)
    starts = [_utc(o.start) for o in occurrences(master, lo, hi, display_tz=UTC)]
    since = _utc(rid)
    # All-day occurrences compare by their date; timed ones by their instant.
    following = sum(1 for s in starts if s >= since)
    return SeriesCounts(max(1, following), max(1, len(starts)))


def series_counts(ctx: Context, event: Event, rid: Instant | None) -> SeriesCounts | None:
    """The counts for the occurrence of ``event`` that starts (originally) at ``rid``: a series
    master with its occurrence's ``rid``, or an override (its master is read); ``None`` when
    ``event`` is no part of a series."""
    from sessions_tui.services.scheduling import get_event

    if event.series_id is not None:
        master = get_event(ctx, event.series_id)
        rid = event.recurrence_id
    else:
        master = event
    if master.rrule is None or rid is None:
        return None
    return count_occurrences(master, rid)
