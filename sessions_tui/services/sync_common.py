"""What the settings of every two-way provider (Google, CalDAV) share: which local events are a
provider's, and removing them when the practice switches that provider to one-way.

The sync engine's own rules are in :mod:`sessions_tui.sync.engine`; this is the part the
settings services need (they sit below the sync layer).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.clock import clock_from_env
from sessions_tui.services.writer import Writer
from sessions_tui.store.tables import EventRow


def provider_event_ids(
    s: Session, practitioner_id: int, linked: Iterable[int | None], calendars: Iterable[str]
) -> set[int]:
    """Every local event that is a provider's: ``linked`` (pulled from it), or tied by
    ``source_calendar`` to one of its ``calendars`` (a "this and following" fork of a provider's
    event keeps the calendar but, until its first push, has no link)."""
    ids = {i for i in linked if i is not None}
    cal_ids = list(calendars)
    if cal_ids:
        ids |= {
            i
            for i in s.execute(
                select(col(EventRow.id)).where(
                    col(EventRow.practitioner_id) == practitioner_id,
                    col(EventRow.source_calendar).in_(cal_ids),  # type: ignore[union-attr]
                )
            ).scalars()
            if i is not None
        }
    return ids


def remove_provider_events(s: Session, practitioner_id: int, ids: set[int]) -> set[int]:
    """Delete ``ids`` with their overrides, through the one writer (as a sync of
    ``practitioner_id``, so protected sessions stay); returns every id of the family removed,
    for the caller to drop its links to them."""
    if not ids:
        return set()
    children = {
        c
        for c in s.execute(
            select(col(EventRow.id)).where(col(EventRow.series_id).in_(ids))  # type: ignore[union-attr]
        ).scalars()
        if c is not None
    }
    family = ids | children
    writer = Writer.for_sync(s, clock_from_env(), practitioner_id)
    for event_id in sorted(family):
        row = s.get(EventRow, event_id)
        if row is not None:
            writer.delete(row, exdate=False)  # a series goes with its overrides
    return family
