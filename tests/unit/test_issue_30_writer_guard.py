"""Issue 30: the one writer is enforced where writes happen, not by a source scan.

Each probe below is an ordinary way to change a stored event or deleted occurrence without the
writer (the twelve ways the old scan missed, and a few more). Each must be refused with
:class:`WriteOutsideWriter` and leave the stored schedule exactly as it was; the writer itself,
and migrations, still write.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import column, delete, insert, select, table, text, update
from sqlalchemy.orm import Session

from sessions_tui.domain.events import Event, EventKind
from sessions_tui.services import appointments
from sessions_tui.services.context import Context
from sessions_tui.store.tables import EventRow, ExdateRow
from sessions_tui.store.write_guard import WriteOutsideWriter, written_table

START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def _snapshot(ctx: Context) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with ctx.db.engine.connect() as conn:
        events = [tuple(r) for r in conn.execute(text("SELECT * FROM event ORDER BY id"))]
        exdates = [tuple(r) for r in conn.execute(text("SELECT * FROM exdate ORDER BY id"))]
    return events, exdates


@pytest.fixture
def stored(admin_ctx: Context) -> tuple[Context, int, int]:
    """A weekly series with one deleted occurrence; returns (ctx, series id, exdate id)."""
    assert admin_ctx.actor is not None
    made = appointments.create(
        admin_ctx,
        Event(
            kind=EventKind.OTHER,
            title="Supervision",
            start=START,
            end=START + timedelta(hours=1),
            tzid="America/Chicago",
            practitioner_id=admin_ctx.actor.id,
            rrule="FREQ=WEEKLY;COUNT=6",
        ),
    )
    assert made.result_id is not None
    appointments.remove(
        admin_ctx,
        appointments.OccurrenceRef(made.result_id, START + timedelta(days=7)),
        appointments.Scope.THIS,
    )
    with admin_ctx.db.session() as s:
        ex = s.execute(select(ExdateRow).where(ExdateRow.series_id == made.result_id)).scalar_one()
        assert ex.id is not None
        return admin_ctx, made.result_id, ex.id


def _orm_status(s: Session, eid: int, _x: int) -> None:
    row = s.get(EventRow, eid)
    assert row is not None
    row.status = "cancelled"


def _orm_notes(s: Session, eid: int, _x: int) -> None:
    row = s.get(EventRow, eid)
    assert row is not None
    row.notes_completed = True


def _setattr_title(s: Session, eid: int, _x: int) -> None:
    setattr(s.get(EventRow, eid), "title", "Renamed")  # noqa: B010 - the probe is setattr


def _bulk_update(s: Session, eid: int, _x: int) -> None:
    s.bulk_update_mappings(EventRow, [{"id": eid, "title": "Bulk"}])  # type: ignore[arg-type]


def _bulk_insert(s: Session, eid: int, _x: int) -> None:
    s.bulk_insert_mappings(ExdateRow, [{"series_id": eid, "recurrence_key": "20261222T150000Z"}])  # type: ignore[arg-type]


def _lightweight_table_delete(s: Session, eid: int, _x: int) -> None:
    s.execute(table("event", column("id")).delete().where(column("id") == eid))


def _core_update(s: Session, eid: int, _x: int) -> None:
    s.execute(update(EventRow).where(EventRow.id == eid).values(title="Core"))  # type: ignore[arg-type]


def _core_insert_exdate(s: Session, eid: int, _x: int) -> None:
    s.execute(insert(ExdateRow).values(series_id=eid, recurrence_key="20261229T150000Z"))


def _merge(s: Session, eid: int, _x: int) -> None:
    row = s.get(EventRow, eid)
    assert row is not None
    s.expunge(row)
    row.title = "Merged"
    s.merge(row)


def _fstring_sql(s: Session, eid: int, _x: int) -> None:
    s.execute(text(f"UPDATE event SET title = 'F' WHERE id = {eid}"))


def _concatenated_sql(s: Session, eid: int, _x: int) -> None:
    s.execute(text("DELETE FROM " + "exdate" + " WHERE series_id = " + str(eid)))


def _insert_or_replace(s: Session, eid: int, x: int) -> None:
    s.execute(
        text(
            "INSERT OR REPLACE INTO exdate (id, series_id, recurrence_key) "
            f"VALUES ({x}, {eid}, '20300101T000000Z')"
        )
    )


def _delete_named_cal(s: Session, _eid: int, x: int) -> None:
    cal_entry = s.get(ExdateRow, x)
    s.delete(cal_entry)


def _driver_sql(s: Session, eid: int, _x: int) -> None:
    s.connection().exec_driver_sql(f'DELETE FROM "event" WHERE series_id = {eid}')


def _new_row_object(s: Session, eid: int, _x: int) -> None:
    s.add(ExdateRow(series_id=eid, recurrence_key="20270105T150000Z"))


def _orm_delete_statement(s: Session, eid: int, _x: int) -> None:
    s.execute(delete(EventRow).where(EventRow.id == eid))  # type: ignore[arg-type]


PROBES: dict[str, Callable[[Session, int, int], None]] = {
    "status flag on a loaded row": _orm_status,
    "notes_completed flag on a loaded row": _orm_notes,
    "setattr": _setattr_title,
    "bulk_update_mappings": _bulk_update,
    "bulk_insert_mappings": _bulk_insert,
    "table('event').delete()": _lightweight_table_delete,
    "Core update()": _core_update,
    "Core insert() of an exdate": _core_insert_exdate,
    "session.merge": _merge,
    "f-string SQL": _fstring_sql,
    "concatenated SQL": _concatenated_sql,
    "INSERT OR REPLACE": _insert_or_replace,
    "delete of a row named cal_entry": _delete_named_cal,
    "driver SQL": _driver_sql,
    "a new row object": _new_row_object,
    "ORM delete()": _orm_delete_statement,
}


@pytest.mark.parametrize("probe", list(PROBES), ids=list(PROBES))
def test_issue_30_a_write_outside_the_writer_is_refused(
    stored: tuple[Context, int, int], probe: str
) -> None:
    ctx, series_id, exdate_id = stored
    before = _snapshot(ctx)
    # The write and its commit: some shapes are refused at once, others when they flush.
    with pytest.raises(WriteOutsideWriter), ctx.db.session() as s:  # noqa: PT012
        PROBES[probe](s, series_id, exdate_id)
        s.commit()
    assert _snapshot(ctx) == before


def test_issue_30_a_change_left_pending_does_not_ride_on_a_writer_call(
    stored: tuple[Context, int, int],
) -> None:
    """A row changed outside the writer and then flushed by a writer call is refused too."""
    ctx, series_id, _x = stored
    before = _snapshot(ctx)
    from sessions_tui.services.writer import Writer

    assert ctx.actor is not None
    with ctx.db.session() as s:
        row = s.get(EventRow, series_id)
        assert row is not None
        row.title = "Smuggled"
        writer = Writer.for_actor(s, ctx.clock, ctx.actor)
        with pytest.raises(WriteOutsideWriter):
            writer.touch(row)
        s.rollback()
    assert _snapshot(ctx) == before


def test_issue_30_the_writer_and_services_still_write(stored: tuple[Context, int, int]) -> None:
    ctx, series_id, _x = stored
    before = _snapshot(ctx)
    appointments.edit(
        ctx,
        appointments.OccurrenceRef(series_id, START),
        appointments.Scope.ALL,
        title="Group supervision",
    )
    after = _snapshot(ctx)
    assert after != before
    with ctx.db.session() as s:
        row = s.get(EventRow, series_id)
        assert row is not None
        assert row.title == "Group supervision"


@pytest.mark.parametrize(
    ("sql", "table_name"),
    [
        ("INSERT INTO event (uid) VALUES (?)", "event"),
        ('insert or replace into "exdate" values (1)', "exdate"),
        ("REPLACE INTO exdate VALUES (1)", "exdate"),
        ("UPDATE OR IGNORE event SET title='x'", "event"),
        ("update main.event set title = 1", "event"),
        ("WITH x AS (SELECT 1) DELETE FROM event WHERE id IN x", "event"),
        ("SELECT * FROM event WHERE updated_at > ?", None),
        ("INSERT INTO event_new SELECT * FROM event", None),
        ("CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON event BEGIN SELECT 1; END", None),
        ("UPDATE events_log SET x = 1", None),
    ],
)
def test_issue_30_which_statements_write_the_schedule(sql: str, table_name: str | None) -> None:
    assert written_table(sql) == table_name
