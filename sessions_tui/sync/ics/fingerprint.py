"""The feed fingerprint: what a feed body depends on, for caching and conditional GETs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sessions_tui.services.feeds import (
    IdentifierMode,
)
from sessions_tui.store.tables import (
    PracticeRow,
    ReminderSettingsRow,
    StaffRow,
)
from sessions_tui.sync.ics.common import _CL, _EV, _EX, _LOC, _scope


@dataclass(frozen=True)
class FeedState:
    """What a feed body depends on, cheaply read: equal states give equal bodies.

    Attributes:
        key: A hashable summary of everything the body depends on.
        last_modified: The newest change among the practitioner's events and feed settings.
    """

    key: tuple[Any, ...]
    last_modified: datetime | None


def feed_state(
    s: Session, practitioner_id: int, identifier: IdentifierMode, settings_changed: datetime | None
) -> FeedState:
    """Fingerprint of a practitioner's feed: aggregates, not the events themselves."""
    ev = s.execute(
        select(
            func.count(), func.max(_EV.c.updated_at), func.sum(_EV.c.id), func.sum(_EV.c.version)
        ).where(_scope(practitioner_id))
    ).one()
    master = _EV.alias("master")
    ex = s.execute(
        select(func.count(), func.sum(_EX.c.id))
        .select_from(_EX)
        .join(master, master.c.id == _EX.c.series_id)
        .where(_scope(practitioner_id, master))
    ).one()
    client_ids = select(_EV.c.client_id).where(_scope(practitioner_id)).distinct()
    names = s.execute(
        select(_CL.c.id, _CL.c.first_name, _CL.c.last_name, _CL.c.internal_id)
        .where(_CL.c.id.in_(client_ids))
        .order_by(_CL.c.id)
    ).all()
    locs = s.execute(select(_LOC.c.id, _LOC.c.name).order_by(_LOC.c.id)).all()
    practice = s.get(PracticeRow, 1)
    person = s.get(StaffRow, practitioner_id)
    reminders = s.get(ReminderSettingsRow, 1)
    key = (
        practitioner_id,
        reminders.feed_alarm_minutes if reminders else None,
        identifier.value,
        tuple(ev),
        tuple(ex),
        _digest(names),
        _digest(locs),
        (practice.name, practice.internal_ids) if practice else None,
        person.name if person else None,
    )
    stamps = [t for t in (ev[1], settings_changed) if t is not None]
    return FeedState(key, max(stamps) if stamps else None)


def _digest(rows: Sequence[Any]) -> str:
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
