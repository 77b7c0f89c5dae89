"""The one writer's bulk path (part of :mod:`sessions_tui.services.writer`): an import's rows
as dicts, written with plain ``executemany`` so 100k events stay fast."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from sessions_tui.domain.errors import PermissionDenied
from sessions_tui.domain.events import Event
from sessions_tui.store import queries
from sessions_tui.store.tables import EventRow, ExdateRow

EVENTS: Any = EventRow.__table__  # type: ignore[attr-defined]
EXDATES: Any = ExdateRow.__table__  # type: ignore[attr-defined]
_CHUNK = 500


def row_values(event: Event, uid: str, sequence: int, now: Any) -> dict[str, Any]:
    """The event table's values for an event: ``fill_row`` on a plain namespace.

    The same code as the ORM writes, without building an ORM object per row (which cost more
    than half of a large import's time).
    """
    row = SimpleNamespace()
    queries.fill_row(cast(EventRow, row), event)
    values: dict[str, Any] = row.__dict__
    values.update(uid=uid, sequence=sequence, created_at=now, updated_at=now, version=1)
    return values


class Batch:
    """The import's bulk writes: rows as dicts, executemany, in the caller's transaction.

    Every row must belong to the practitioner the import writes for (permission). Rows come
    validated from the ICS reader; they are imported busy blocks, not bookings (no booking
    rule), and an import never deletes a client session.
    """

    def __init__(self, s: Session, practitioner_id: int) -> None:
        self.s, self.pid = s, practitioner_id

    def _mine(self, values: Iterable[dict[str, Any]]) -> None:
        for v in values:
            if v.get("practitioner_id", self.pid) != self.pid:
                raise PermissionDenied(f"event {v.get('uid')!r} belongs to another practitioner")

    def insert(self, values: list[dict[str, Any]]) -> dict[str, int]:
        """Insert rows; returns their new ids by uid."""
        self._mine(values)
        # A plain executemany, then the new ids by uid: RETURNING with the rows' order kept
        # makes SQLAlchemy send one INSERT per row on SQLite.
        self.s.execute(insert(EVENTS), values)
        ids: dict[str, int] = {}
        uids = [v["uid"] for v in values]
        for i in range(0, len(uids), _CHUNK):
            ids.update(
                (uid, new_id)
                for new_id, uid in self.s.execute(
                    select(EVENTS.c.id, EVENTS.c.uid).where(EVENTS.c.uid.in_(uids[i : i + _CHUNK]))
                )
            )
        return ids

    def update(self, columns: Sequence[str], values: list[dict[str, Any]]) -> None:
        """Update rows by ``b_id`` (each dict has ``b_id`` and every name in ``columns``)."""
        self._mine(values)
        sets: dict[str, Any] = {c: bindparam(c) for c in columns}
        self.s.execute(update(EVENTS).where(EVENTS.c.id == bindparam("b_id")).values(sets), values)

    def set_exdates(self, add: set[tuple[int, str]], remove: set[tuple[int, str]]) -> None:
        """Delete the ``remove`` and insert the ``add`` ``(series id, recurrence key)`` pairs."""
        if remove:
            self.s.execute(
                EXDATES.delete().where(
                    EXDATES.c.series_id == bindparam("sid"),
                    EXDATES.c.recurrence_key == bindparam("k"),
                ),
                [{"sid": a, "k": b} for a, b in remove],
            )
        if add:
            self.s.execute(
                insert(EXDATES), [{"series_id": a, "recurrence_key": b} for a, b in sorted(add)]
            )

    def delete(self, ids: Sequence[int]) -> None:
        """Delete rows of this practitioner (never a protected client session)."""
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            self.s.execute(
                delete(EVENTS).where(
                    EVENTS.c.id.in_(chunk),
                    EVENTS.c.practitioner_id == self.pid,
                    ~((EVENTS.c.kind == "session") & (EVENTS.c.notes_completed.is_(True))),
                    ~((EVENTS.c.kind == "session") & (EVENTS.c.status == "cancelled")),
                )
            )
