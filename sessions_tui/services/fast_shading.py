"""Office-hours shading read with the stdlib ``sqlite3`` (``store.fastread``): the calendar's
first frame, and every later one on a SQLite practice, has its shading without the ORM.

The same answers as :func:`sessions_tui.services.shading.office_hours_for` (a test compares
them); the rules themselves are :mod:`sessions_tui.domain.officehours`. This module imports no
SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time

from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval, hours_in_effect
from sessions_tui.store.fastread import FastReader


def can_read_hours(reader: object) -> bool:
    """Whether ``reader`` is the fast reader, which :func:`fast_office_hours_for` reads."""
    return isinstance(reader, FastReader)


def fast_office_hours_for(
    reader: FastReader, practitioner_ids: Sequence[int] | None
) -> list[WeeklyHours] | None:
    """The office hours that decide shading for a practitioner filter (``None``: unknown), as
    ``services.shading.office_hours_for`` over ``reader``."""
    with reader.snapshot():
        ids = (
            list(practitioner_ids)
            if practitioner_ids
            else [p.id for p in reader.staff() if p.is_practitioner and p.id is not None]
        )
        stored = reader.hours("office")
    found: dict[int | None, WeeklyHours] = {}
    for pid, tzid, intervals in stored:
        found[pid] = WeeklyHours(
            tzid=tzid,
            intervals=tuple(
                sorted(
                    WeeklyInterval(day, time.fromisoformat(start), time.fromisoformat(end))
                    for day, start, end in intervals
                )
            ),
            practitioner_id=pid,
        )
    own = {pid: hours for pid, hours in found.items() if pid is not None and pid in ids}
    return hours_in_effect(ids, own, found.get(None))
