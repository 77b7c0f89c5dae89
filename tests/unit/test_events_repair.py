"""Issue 13: ``sessions-tui events show ID`` and ``events delete ID [--series]`` remove a broken
event without SQL, with the calendar's permissions and one-line errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from sessions_tui.domain.events import Event, EventKind
from sessions_tui.domain.model import Role
from sessions_tui.services import appointments, practice
from sessions_tui.services.context import Context
from sessions_tui.store.db import Database
from sessions_tui.store.write_guard import writing

from ._cli import cli, dump

START = datetime(2026, 12, 1, 16, tzinfo=UTC)


def _other(pid: int | None, rrule: str | None = None, hours: int = 0) -> Event:
    return Event(
        kind=EventKind.OTHER,
        title="Block",
        start=START + timedelta(hours=hours),
        end=START + timedelta(hours=hours, minutes=30),
        tzid="America/Chicago",
        practitioner_id=pid,
        rrule=rrule,
    )


@pytest.fixture
def broken(admin_ctx: Context, db: Database, tmp_path: Path) -> tuple[Path, int, int, int]:
    """(db path, a series whose stored rule is INTERVAL=0, an occurrence override of it, the
    admin's one-off); ``pat`` is a practitioner with no events."""
    practice.add_staff(admin_ctx, "pat", "Pat Practitioner", {Role.PRACTITIONER})
    assert admin_ctx.actor is not None
    pid = admin_ctx.actor.id
    series = appointments.create(admin_ctx, _other(pid, "FREQ=DAILY;COUNT=5"))
    assert series.result_id is not None
    override = appointments.edit(
        admin_ctx,
        appointments.OccurrenceRef(series.result_id, START + timedelta(days=1)),
        appointments.Scope.THIS,
        title="Moved block",
    )
    one_off = appointments.create(admin_ctx, _other(pid, hours=3))
    with writing(), db.engine.begin() as conn:  # an older database or a hand edit: a bad rule
        conn.execute(
            text("UPDATE event SET rrule = 'FREQ=DAILY;INTERVAL=0' WHERE id = :i"),
            {"i": series.result_id},
        )
    db.dispose()
    assert override.result_id is not None
    assert one_off.result_id is not None
    return tmp_path / "practice.db", series.result_id, override.result_id, one_off.result_id


def test_issue_13_events_show_and_delete_a_broken_series(
    broken: tuple[Path, int, int, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, series, override, one_off = broken
    db = ["--db", str(path), "--user", "admin"]
    shown = cli(capsys, "events", "show", str(series), *db)
    assert shown.code == 0, shown.err
    assert "FREQ=DAILY;INTERVAL=0" in shown.out
    assert "problem:" in shown.out  # what validation says of it (bounded rules: issue 13)
    before = dump(path)
    refused = cli(capsys, "events", "delete", str(series), *db)
    assert refused.code != 0
    assert len(refused.err_lines) == 1
    assert "--series" in refused.err
    assert dump(path) == before  # nothing changed
    done = cli(capsys, "events", "delete", str(override), "--series", *db)
    assert done.code == 0, done.err
    gone = cli(capsys, "events", "show", str(series), *db)
    assert gone.code != 0
    assert gone.err_lines == [f"sessions-tui: error: no event with id {series}"]
    assert cli(capsys, "events", "show", str(override), *db).code != 0
    assert cli(capsys, "events", "show", str(one_off), *db).code == 0  # untouched
    assert cli(capsys, "agenda", "--from", "2026-12-01", "--days", "7", *db).code == 0


def test_issue_13_events_delete_keeps_the_calendars_permissions(
    broken: tuple[Path, int, int, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _series, _override, one_off = broken
    before = dump(path)
    refused = cli(capsys, "events", "delete", str(one_off), "--db", str(path), "--user", "pat")
    assert refused.code != 0
    assert len(refused.err_lines) == 1
    assert "only change their own" in refused.err
    assert dump(path) == before
    bad = cli(capsys, "events", "delete", "x", "--db", str(path), "--user", "admin")
    assert bad.code != 0
    assert len(bad.err_lines) == 1
    done = cli(capsys, "events", "delete", str(one_off), "--db", str(path), "--user", "admin")
    assert done.code == 0
    assert f"Deleted event {one_off}" in done.out
