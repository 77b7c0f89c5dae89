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
from sessions_tui.store.write_guard import writer_method

EVENTS: Any = EventRow.__table__  # type: ignore[attr-defined]
EXDATES: Any = ExdateRow.__table__  # type: ignore[attr-defined]
_CHUNK = 500
_UNSET = object()


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

    @writer_method
    def insert(self, values: list[dict[str, Any]]) -> dict[str, int]:
        """Insert rows; returns their new ids by uid."""
        self._mine(values)
        if values and self.s.get_bind().dialect.name == "sqlite":
            return self._insert_sqlite(values)
        # A plain executemany, then the new ids by uid: RETURNING with the rows' order kept
        # makes SQLAlchemy send one INSERT per row on SQLite.
        self.s.execute(insert(EVENTS), values)
        return self._ids_by_uid([v["uid"] for v in values])

    def _insert_sqlite(self, values: list[dict[str, Any]]) -> dict[str, int]:
        """The same rows through the driver's ``executemany``: each value converted by its
        column type's own bind processor (what SQLAlchemy would store), without SQLAlchemy's
        per-row parameter machinery; the new ids in one range read instead of a query per 500
        uids (SQLite gives a new row a rowid above every existing one; the write transaction
        holds the database, and the uids are checked, so a miss falls back to the uid query).
        """
        conn = self.s.connection()
        names = list(values[0])
        if any(len(v) != len(names) for v in values):
            self.s.execute(insert(EVENTS), values)
            return self._ids_by_uid([v["uid"] for v in values])
        rows = [[v[n] for n in names] for v in values]
        for i, name in enumerate(names):
            typ = EVENTS.c[name].type.dialect_impl(conn.dialect)
            proc = typ.bind_processor(conn.dialect)
            if proc is None:
                continue
            last: Any = _UNSET
            done: Any = None
            for row in rows:
                value = row[i]
                if value is None:
                    continue
                if value is not last:  # created_at/updated_at: one instant for the batch
                    last, done = value, proc(value)
                row[i] = done
        before = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM event").scalar_one()
        cols = ", ".join(f'"{n}"' for n in names)
        conn.exec_driver_sql(
            f"INSERT INTO event ({cols}) VALUES ({', '.join('?' * len(names))})",
            [tuple(r) for r in rows],
        )
        wanted = {v["uid"] for v in values}
        ids = {
            uid: int(new_id)
            for new_id, uid in conn.exec_driver_sql(
                "SELECT id, uid FROM event WHERE id > ?", (before,)
            )
            if uid in wanted
        }
        if len(ids) != len(wanted):
            return self._ids_by_uid(list(wanted))
        return ids

    def _ids_by_uid(self, uids: list[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for i in range(0, len(uids), _CHUNK):
            ids.update(
                (uid, new_id)
                for new_id, uid in self.s.execute(
                    select(EVENTS.c.id, EVENTS.c.uid).where(EVENTS.c.uid.in_(uids[i : i + _CHUNK]))
                )
            )
        return ids

    @writer_method
    def update(self, columns: Sequence[str], values: list[dict[str, Any]]) -> None:
        """Update rows by ``b_id`` (each dict has ``b_id`` and every name in ``columns``)."""
        self._mine(values)
        sets: dict[str, Any] = {c: bindparam(c) for c in columns}
        self.s.execute(update(EVENTS).where(EVENTS.c.id == bindparam("b_id")).values(sets), values)

    @writer_method
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

    @writer_method
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
