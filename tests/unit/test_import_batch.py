"""Issue 18: the import's SQLite bulk insert (``Batch._insert_sqlite``, the driver's
``executemany``) stores exactly what SQLAlchemy's insert stores, byte for byte, and hands back
the right id for every uid, also when the practice already has rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from sessions_tui.clock import FixedClock
from sessions_tui.domain.events import Event, EventKind, Status
from sessions_tui.domain.model import Role
from sessions_tui.services import practice
from sessions_tui.services.context import Context
from sessions_tui.services.writer_batch import EVENTS, Batch, row_values
from sessions_tui.store.db import open_database
from sessions_tui.store.write_guard import writing

NOW = datetime(2026, 11, 25, 16, tzinfo=UTC)


def _events(pid: int) -> list[Event]:
    start = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # a DST change in Chicago
    out = [
        Event(
            kind=EventKind.OTHER,
            title=f"busy {n}",
            start=start + timedelta(hours=n),
            end=start + timedelta(hours=n, minutes=50),
            tzid="America/Chicago",
            practitioner_id=pid,
            busy=n % 2 == 0,
            status=Status.CANCELLED if n % 5 == 0 else Status.SCHEDULED,
            rrule="FREQ=WEEKLY;COUNT=4" if n % 7 == 0 else None,
            source_calendar="file",
        )
        for n in range(40)
    ]
    out.append(
        Event(
            kind=EventKind.OTHER,
            title="all day",
            start=date(2026, 7, 3),
            end=date(2026, 7, 4),
            tzid="America/Chicago",
            all_day=True,
            practitioner_id=pid,
        )
    )
    return out


def _stored(path: Path, how: str) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    db = open_database(str(path))
    try:
        admin = practice.add_staff(
            Context(db, FixedClock(NOW), None), "ada", "Ada", {Role.ADMIN, Role.PRACTITIONER}
        )
        assert admin.id is not None
        values = [row_values(e, f"uid-{n}@t", n, NOW) for n, e in enumerate(_events(admin.id))]
        with writing(), db.session() as s:  # the private bulk paths, called directly
            batch = Batch(s, admin.id)
            if how == "sqlite":
                ids = batch._insert_sqlite(values[:10])
                ids |= batch._insert_sqlite(values[10:])
            else:
                s.execute(insert(EVENTS), values)
                ids = batch._ids_by_uid([str(v["uid"]) for v in values])
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT * FROM event ORDER BY uid")).all()
            by_uid = {str(r[0]): int(r[1]) for r in conn.execute(text("SELECT uid, id FROM event"))}
        assert ids == by_uid
        return [tuple(r) for r in rows], ids
    finally:
        db.dispose()


def test_bulk_insert_stores_what_sqlalchemy_stores(tmp_path: Path) -> None:
    fast, fast_ids = _stored(tmp_path / "fast.db", "sqlite")
    slow, slow_ids = _stored(tmp_path / "slow.db", "sqlalchemy")
    assert len(fast) == 41
    assert fast == slow
    assert fast_ids == slow_ids
