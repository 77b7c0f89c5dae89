"""Issue 27: the start-time increment of a booking page is set from the command line
(`booking settings --increment`), and the page then offers times on that grid only."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.clock import FixedClock
from sessions_tui.services import booking
from sessions_tui.store.db import Database, open_database

from ._cli import cli, dump


@pytest.fixture
def demo_path(demo_db: Database, tmp_path: Path, now_env: str) -> Path:
    return tmp_path / "demo.db"


def test_issue_27_booking_settings_sets_the_start_time_increment(
    capsys: pytest.CaptureFixture[str], demo_path: Path, now_env: str
) -> None:
    db = ["--db", str(demo_path), "--user", "alice"]
    r = cli(capsys, "booking", "settings", "--practitioner", "ben", "--increment", "30", *db)
    assert r.code == 0, r.err
    assert "start times every 30 min" in r.out
    r = cli(capsys, "booking", "settings", "--practitioner", "ben", "--format", "json", *db)
    assert json.loads(r.out)[0]["increment_minutes"] == 30
    r = cli(capsys, "booking", "settings", "--practitioner", "ben", "--on", "--public", *db)
    assert r.code == 0, r.err
    database = open_database(str(demo_path))
    try:
        page = booking.page_for_key(database, "ben")
        assert page is not None
        now = datetime.fromisoformat(now_env)
        clock = FixedClock(now)
        starts = [
            slot.start.astimezone(ZoneInfo(page.zone))
            for service in page.services
            for slot in booking.page_slots(
                database, clock, page, service, now, now + timedelta(days=14)
            )
        ]
    finally:
        database.dispose()
    assert starts, "the demo's Ben has open times in two weeks"
    assert {s.minute for s in starts} == {0, 30}


def test_issue_27_a_bad_increment_is_one_line_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], demo_path: Path
) -> None:
    db = ["--db", str(demo_path), "--user", "alice"]
    before = dump(demo_path)
    r = cli(capsys, "booking", "settings", "--practitioner", "ben", "--increment", "7", *db)
    assert r.code != 0
    assert len(r.err_lines) == 1, r.err
    assert "increment" in r.err
    assert "15" in r.err  # names what is allowed
    assert dump(demo_path) == before
