"""``sessions-tui availability``: text, JSON, --first, bad input."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.cli import run
from sessions_tui.clock import FixedClock
from sessions_tui.domain.model import Role
from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval
from sessions_tui.services import hours, practice, scheduling
from sessions_tui.services.context import Context
from sessions_tui.store.db import open_database

CHICAGO = ZoneInfo("America/Chicago")
NOW = "2026-11-02T10:07:00-06:00"  # Monday, after Chicago's DST change


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SESSIONS_TUI_NOW", NOW)
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("SESSIONS_TUI_TZ", raising=False)
    monkeypatch.delenv("SESSIONS_TUI_DB", raising=False)
    path = str(tmp_path / "cli.db")
    database = open_database(path)
    clock = FixedClock(datetime(2026, 11, 2, 16, tzinfo=UTC))
    admin = practice.add_staff(Context(database, clock, None), "admin", "Ada Admin", {Role.ADMIN})
    ctx = Context(database, clock, admin)
    practice.update_settings(ctx, display_tz="America/Chicago")
    ann = practice.add_staff(ctx, "ann", "Ann Lee", {Role.PRACTITIONER}, default_session_minutes=60)
    bob = practice.add_staff(ctx, "bob", "Bob Gray", {Role.PRACTITIONER})
    hours.set_hours(
        ctx,
        WeeklyHours(
            "America/Chicago", tuple(WeeklyInterval(d, time(9), time(12)) for d in range(5)), ann.id
        ),
        kind=hours.AVAILABILITY,
    )
    hours.set_hours(
        ctx,
        WeeklyHours(
            "America/New_York",
            tuple(WeeklyInterval(d, time(14), time(16)) for d in range(5)),
            bob.id,
        ),
        kind=hours.AVAILABILITY,
    )
    hours.set_override(ctx, ann.id, date(2026, 11, 3), ())  # Ann out on Tuesday
    client = practice.add_client(ctx, "Cara", "Diaz")
    scheduling.create_event(
        ctx,
        scheduling.session_event(
            practitioner=ann,
            client=client,
            start=datetime(2026, 11, 4, 10, tzinfo=CHICAGO),
            minutes=60,
            tzid="America/Chicago",
        ),
    )
    database.dispose()
    return path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_lists_open_slots_with_offsets(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys,
        "availability",
        "--practitioner",
        "ann",
        "--days",
        "3",
        "--format",
        "json",
        "--db",
        db,
        "--user",
        "admin",
    )
    assert (code, err) == (0, "")
    data = json.loads(out)
    # Monday from "now" (10:07 → 10:10), Tuesday out of office, Wednesday around the session.
    assert data == [
        {
            "start": "2026-11-02T10:10:00-06:00",
            "end": "2026-11-02T11:10:00-06:00",
            "practitioner": "Ann Lee",
        },
        {
            "start": "2026-11-04T09:00:00-06:00",
            "end": "2026-11-04T10:00:00-06:00",
            "practitioner": "Ann Lee",
        },
        {
            "start": "2026-11-04T11:00:00-06:00",
            "end": "2026-11-04T12:00:00-06:00",
            "practitioner": "Ann Lee",
        },
    ]
    for item in data:
        assert datetime.fromisoformat(item["start"]).utcoffset() is not None


def test_json_in_another_display_zone_and_minutes(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(
        capsys,
        "availability",
        "--practitioner",
        "Bob Gray",
        "--from",
        "2026-11-03",
        "--days",
        "1",
        "--minutes",
        "30",
        "--format",
        "json",
        "--tz",
        "Europe/London",
        "--db",
        db,
        "--user",
        "ann",
    )
    assert code == 0
    assert [(i["start"], i["end"]) for i in json.loads(out)] == [
        ("2026-11-03T19:00:00+00:00", "2026-11-03T19:30:00+00:00"),
        ("2026-11-03T19:30:00+00:00", "2026-11-03T20:00:00+00:00"),
        ("2026-11-03T20:00:00+00:00", "2026-11-03T20:30:00+00:00"),
        ("2026-11-03T20:30:00+00:00", "2026-11-03T21:00:00+00:00"),
    ]


def test_text_groups_by_day(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        capsys,
        "availability",
        "--db",
        db,
        "--user",
        "admin",
        "--practitioner",
        "ann",
        "--days",
        "3",
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Open 60-minute slots of Ann Lee")
    assert "America/Chicago" in lines[0]
    assert lines[1:] == [
        "Monday, Nov 2, 2026",
        "  10:10–11:10",
        "Tuesday, Nov 3, 2026",
        "  (no open slots)",
        "Wednesday, Nov 4, 2026",
        "  09:00–10:00",
        "  11:00–12:00",
    ]


def test_first_picks_the_earliest_of_several(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        capsys,
        "availability",
        "--first",
        "--practitioner",
        "ann",
        "--practitioner",
        "bob",
        "--from",
        "2026-11-03",
        "--format",
        "json",
        "--db",
        db,
        "--user",
        "admin",
    )
    assert code == 0
    # Ann is out on Tuesday; Bob's 14:00 New York is 13:00 Chicago.
    assert json.loads(out) == [
        {
            "start": "2026-11-03T13:00:00-06:00",
            "end": "2026-11-03T13:50:00-06:00",
            "practitioner": "Bob Gray",
        }
    ]
    code, out, _ = cli(
        capsys,
        "availability",
        "--first",
        "--practitioner",
        "ann",
        "--from",
        "2026-11-03",
        "--db",
        db,
        "--user",
        "admin",
    )
    assert code == 0
    assert out.strip() == (
        "First open 60-minute slot: Wednesday, Nov 4, 2026 09:00–10:00 America/Chicago · Ann Lee"
    )


def test_first_with_nothing_found(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        capsys,
        "availability",
        "--first",
        "--practitioner",
        "ann",
        "--from",
        "2026-11-03",
        "--days",
        "1",
        "--format",
        "json",
        "--db",
        db,
        "--user",
        "admin",
    )
    assert (code, json.loads(out)) == (0, [])
    code, out, _ = cli(
        capsys,
        "availability",
        "--first",
        "--practitioner",
        "ann",
        "--from",
        "2026-11-03",
        "--days",
        "1",
        "--db",
        db,
        "--user",
        "admin",
    )
    assert code == 0
    assert out.startswith("No open 60-minute slot of Ann Lee")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--practitioner", "zed"], "unknown practitioner 'zed'"),
        (["--practitioner", "ann", "--from", "2026-13-01"], "bad --from date '2026-13-01'"),
        (["--practitioner", "ann", "--days", "0"], "--days"),
        (["--practitioner", "ann", "--minutes", "2"], "--minutes"),
        (["--practitioner", "ann", "--tz", "Mars/Base"], "unknown time zone 'Mars/Base'"),
        (["--practitioner", "ann", "--format", "xml"], "--format"),
        ([], "--practitioner"),
        (["--practitioner", "ann", "--user", "nobody"], "unknown user 'nobody'"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(
    db: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = cli(
        capsys,
        "availability",
        "--db",
        db,
        *(args if "--user" in args else [*args, "--user", "admin"]),
    )
    assert code != 0
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("sessions-tui: error: ")
    assert message in err
