"""Issue 18: the index on series' bounds stays in step with every write, on SQLite and
PostgreSQL, and the window query finds through it exactly the series alive in the window.

The promise checked: after each change through the services (create, move all, split "this and
following", remove), the week shows every series occurrence it should and nothing else; on
SQLite the R*Tree holds one interval per series row and nothing more (the triggers kept it in
the same transaction); on PostgreSQL the series statement is answered by the GiST index. The
migration fills the R*Tree from the series already stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pg_support import drop_database, new_database
from sqlalchemy import event, text

from sessions_tui.clock import FixedClock
from sessions_tui.domain.events import Event, EventKind
from sessions_tui.domain.model import Role
from sessions_tui.services import appointments as ap
from sessions_tui.services import practice
from sessions_tui.services.context import Context
from sessions_tui.store import queries, series_bounds
from sessions_tui.store.db import MIGRATIONS_DIR, Database, open_database

CHI = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 25, 16, tzinfo=UTC)
WEEK = (datetime(2026, 12, 6, tzinfo=CHI), datetime(2026, 12, 13, tzinfo=CHI))


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bounds.db'}"
        return
    admin = request.getfixturevalue("pg_admin")
    db_url = new_database(admin)
    yield db_url
    drop_database(admin, db_url)


def _ctx(db: Database) -> Context:
    clock = FixedClock(NOW)
    alice = practice.add_staff(
        Context(db, clock, None), "alice", "Alice Moreno", {Role.ADMIN, Role.PRACTITIONER}
    )
    return Context(db, clock, alice)


def _session(ctx: Context, start: datetime, rrule: str | None, title: str) -> int:
    assert ctx.actor is not None
    made = ap.create(
        ctx,
        Event(
            kind=EventKind.OTHER,
            title=title,
            start=start.astimezone(UTC),
            end=(start + timedelta(minutes=50)).astimezone(UTC),
            tzid="America/Chicago",
            practitioner_id=ctx.actor.id,
            rrule=rrule,
        ),
    )
    assert made.result_id is not None
    return made.result_id


def _week(db: Database) -> list[tuple[str, datetime]]:
    with db.read() as s:
        occ = queries.window(s, *WEEK, display_tz=CHI)
    return [(o.event.title, o.start.astimezone(CHI)) for o in occ]  # type: ignore[union-attr]


def _in_step(db: Database) -> None:
    """SQLite: the R*Tree holds exactly the series rows, each with its bounds (rounded
    outward to 32-bit floats); PostgreSQL: the GiST index answers the series statement."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rtree = {
                int(i): (lo, hi)
                for i, lo, hi in conn.execute(
                    text(f"SELECT id, lo, hi FROM {series_bounds.TABLE}")
                ).all()
            }
            stored = conn.execute(
                text("SELECT id, start_utc, series_end_utc FROM event WHERE is_series")
            ).all()
            assert set(rtree) == {int(r[0]) for r in stored}
            for sid, first, last in stored:
                lo, hi = rtree[int(sid)]
                want_lo = datetime.fromisoformat(first).replace(tzinfo=UTC).timestamp()
                want_hi = (
                    datetime.fromisoformat(last).replace(tzinfo=UTC).timestamp()
                    if last is not None
                    else series_bounds.OPEN_END
                )
                assert lo <= want_lo < lo + 300
                assert hi >= want_hi
                assert hi < want_hi + 300 or last is None
        else:
            _pg_series_statement_uses_the_index(db)


def _pg_series_statement_uses_the_index(db: Database) -> None:
    """The series statement of ``queries.window``, as sent, is planned on the GiST index."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if "tstzrange" in statement:
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        _week(db)
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    assert len(seen) == 1, seen
    statement, params = seen[0]
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SET enable_seqscan = off")  # a tiny table: would it use the index at all
        cur.execute("EXPLAIN " + statement, params)
        plan = "\n".join(str(r[0]) for r in cur.fetchall())
    finally:
        raw.close()
    assert series_bounds.PG_INDEX in plan, plan


def test_the_index_follows_every_write(url: str) -> None:
    db = open_database(url)
    try:
        ctx = _ctx(db)
        old_endless = _session(ctx, datetime(2019, 1, 7, 9, tzinfo=CHI), "FREQ=WEEKLY", "endless")
        _session(ctx, datetime(2019, 1, 8, 9, tzinfo=CHI), "FREQ=WEEKLY;COUNT=3", "finished")
        _session(ctx, datetime(2026, 12, 1, 11, tzinfo=CHI), "FREQ=DAILY;COUNT=10", "daily")
        later = _session(ctx, datetime(2026, 12, 14, 9, tzinfo=CHI), "FREQ=WEEKLY", "later")
        _session(ctx, datetime(2026, 12, 9, 15, tzinfo=CHI), None, "one-off")
        _in_step(db)
        week = _week(db)
        assert [t for t, _ in week].count("daily") == 5  # Dec 6-10
        assert ("endless", datetime(2026, 12, 7, 9, tzinfo=CHI)) in week
        assert ("one-off", datetime(2026, 12, 9, 15, tzinfo=CHI)) in week
        assert {t for t, _ in week} == {"daily", "endless", "one-off"}

        # Every occurrence an hour later: the stored bounds move with it.
        first = datetime(2019, 1, 7, 9, tzinfo=CHI).astimezone(UTC)
        ap.move(ctx, ap.OccurrenceRef(old_endless, first), timedelta(hours=1), ap.Scope.ALL)
        _in_step(db)
        assert ("endless", datetime(2026, 12, 7, 10, tzinfo=CHI)) in _week(db)

        # "Later" starts a week earlier: it enters the window.
        first = datetime(2026, 12, 14, 9, tzinfo=CHI).astimezone(UTC)
        ap.move(ctx, ap.OccurrenceRef(later, first), -timedelta(weeks=1), ap.Scope.ALL)
        _in_step(db)
        assert ("later", datetime(2026, 12, 7, 9, tzinfo=CHI)) in _week(db)

        # Split the old series before the window: the old part now ends, the new part is a
        # new series row; the week shows the new part only.
        rid = datetime(2026, 11, 30, 10, tzinfo=CHI).astimezone(UTC)
        ap.edit(
            ctx,
            ap.OccurrenceRef(old_endless, rid),
            ap.Scope.FOLLOWING,
            title="endless, renamed",
        )
        _in_step(db)
        titles = [t for t, _ in _week(db)]
        assert "endless" not in titles
        assert titles.count("endless, renamed") == 1

        first = datetime(2026, 12, 7, 9, tzinfo=CHI).astimezone(UTC)
        ap.remove(ctx, ap.OccurrenceRef(later, first), ap.Scope.ALL)
        _in_step(db)
        assert "later" not in {t for t, _ in _week(db)}
    finally:
        db.dispose()


def _alembic(db: Database, action: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


def test_the_migration_fills_the_index_from_the_series_stored(tmp_path: Path) -> None:
    db = open_database(str(tmp_path / "old.db"))
    try:
        ctx = _ctx(db)
        # The series are stored first (today's services read columns a schema of 0008 lacks),
        # then the schema goes back to before the index: the series stay, the index goes.
        _session(ctx, datetime(2019, 1, 7, 9, tzinfo=CHI), "FREQ=WEEKLY", "endless")
        _session(ctx, datetime(2026, 12, 1, 11, tzinfo=CHI), "FREQ=DAILY;COUNT=10", "daily")
        _session(ctx, datetime(2019, 1, 8, 9, tzinfo=CHI), "FREQ=WEEKLY;COUNT=3", "finished")
        _alembic(db, "downgrade", "0008")  # a practice from before the index
        with db.engine.connect() as conn:
            names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master")).all()}
        assert not any(n.startswith(series_bounds.TABLE) for n in names)
        _alembic(db, "upgrade", "head")
        _in_step(db)
        assert {t for t, _ in _week(db)} == {"daily", "endless"}
    finally:
        db.dispose()


def test_is_modelled_leaves_out_only_the_index(tmp_path: Path) -> None:
    got: dict[str, Any] = {
        n: series_bounds.is_modelled(n, "table")
        for n in ("event", "event_series_bounds", "event_series_bounds_node", "exdate")
    }
    assert got == {
        "event": True,
        "event_series_bounds": False,
        "event_series_bounds_node": False,
        "exdate": True,
    }
    assert not series_bounds.is_modelled(series_bounds.PG_INDEX, "index")
    assert series_bounds.is_modelled("ix_event_window", "index")
