"""The command line: option placement, agenda output, the demo practice, subprocess smoke tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from sessions_tui.domain.events import EventKind, Status
from sessions_tui.domain.model import Role
from sessions_tui.services import hours, practice
from sessions_tui.services.context import Context
from sessions_tui.store.db import Database
from sessions_tui.store.tables import EventRow

from ._cli import cli, dump

ISSUE_KEYS = {
    "id",
    "kind",
    "title",
    "client",
    "practitioner",
    "location",
    "start",
    "end",
    "all_day",
    "busy",
    "status",
}
"""The keys issue 2 fixes for scripts."""
AGENDA_KEYS = ISSUE_KEYS | {
    "uid",
    "occurrence",
    "zone",
    "notes_completed",
    "recurring",
    "subscribed",
}
"""Plus issue 19's occurrence keys and the two extra keys the README documents."""


@pytest.fixture
def demo_path(demo_db: Database, tmp_path: Path, now_env: str) -> Path:
    demo_db.dispose()
    return tmp_path / "demo.db"


def _agenda_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    result = cli(capsys, "agenda", "--format", "json", *args)
    assert (result.code, result.err) == (0, "")
    data = json.loads(result.out)
    assert isinstance(data, list)
    return data


# --- option placement -------------------------------------------------------------------------


def test_global_options_before_and_after_the_subcommand(
    demo_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--from", "2026-11-23", "--days", "3"]
    before = cli(
        capsys,
        "--db",
        str(demo_path),
        "--tz",
        "Europe/London",
        "--user",
        "ben",
        "agenda",
        "--format",
        "json",
        *common,
    )
    after = cli(
        capsys,
        "agenda",
        "--format",
        "json",
        *common,
        "--db",
        str(demo_path),
        "--tz",
        "Europe/London",
        "--user",
        "ben",
    )
    mixed = cli(
        capsys,
        "--db",
        str(demo_path),
        "agenda",
        "--tz",
        "Europe/London",
        "--format",
        "json",
        *common,
        "--user",
        "ben",
    )
    assert before.code == after.code == mixed.code == 0, (before.err, after.err, mixed.err)
    assert before.out == after.out == mixed.out
    starts = [item["start"] for item in json.loads(before.out) if not item["all_day"]]
    assert starts
    assert all(str(s).endswith("+00:00") for s in starts)


@pytest.mark.parametrize(
    "argv",
    [
        ["--db", "{db}", "--user", "alice", "staff", "list", "--format", "json"],
        ["staff", "--db", "{db}", "--user", "alice", "list", "--format", "json"],
        ["staff", "list", "--format", "json", "--db", "{db}", "--user", "alice"],
    ],
)
def test_nested_subcommands_take_options_anywhere(
    demo_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    result = cli(capsys, *[a.replace("{db}", str(demo_path)) for a in argv])
    assert result.code == 0, result.err
    logins = {p["login"] for p in json.loads(result.out)}
    assert logins == {"alice", "ben", "carmen", "dev", "sam"}


def test_sessions_tui_db_env_and_user_env(
    demo_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSIONS_TUI_DB", str(demo_path))
    monkeypatch.setenv("SESSIONS_TUI_USER", "carmen")
    result = cli(capsys, "locations", "list", "--format", "json")
    assert result.code == 0, result.err
    assert {loc["name"] for loc in json.loads(result.out)} == {"Main St Clinic", "Telehealth"}


def test_default_database_lives_in_the_user_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = cli(
        capsys, "staff", "add", "first", "--name", "First Person", "--role", "practitioner"
    )
    assert result.code == 0, result.err
    assert "as admin,practitioner" in result.out  # the first member of staff is an admin
    assert (tmp_path / "home/.local/share/sessions-tui/practice.db").exists()


# --- agenda output ----------------------------------------------------------------------------


def test_agenda_json_keys_and_values(demo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    items = _agenda_json(
        capsys,
        "--db",
        str(demo_path),
        "--user",
        "alice",
        "--tz",
        "America/Chicago",
        "--from",
        "2026-11-23",
        "--days",
        "14",
    )
    assert items
    for item in items:
        assert set(item) == AGENDA_KEYS
        assert item["kind"] in ("session", "other")
        assert item["status"] in ("scheduled", "cancelled")
        for flag in ("all_day", "busy", "notes_completed", "recurring"):
            assert isinstance(item[flag], bool), flag
        if item["kind"] == "session":
            assert item["client"] == item["title"]
            assert item["practitioner"]
        else:
            assert item["client"] is None
        if item["all_day"]:
            date.fromisoformat(str(item["start"]))
            date.fromisoformat(str(item["end"]))
        else:
            assert str(item["start"])[-6:] in ("-06:00", "-05:00")
    kinds = {(i["kind"], i["all_day"], i["busy"], i["status"]) for i in items}
    assert ("other", True, True, "scheduled") in kinds  # the conference
    assert ("other", True, False, "scheduled") in kinds  # the potluck
    assert any(i["recurring"] for i in items)
    assert not all(i["recurring"] for i in items)


def test_agenda_filters_by_practitioner_and_location(
    demo_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--db", str(demo_path), "--user", "alice", "--from", "2026-11-16", "--days", "14"]
    ben = _agenda_json(capsys, *base, "--practitioner", "ben")
    assert ben
    assert {i["practitioner"] for i in ben} <= {"Ben Okafor", None}
    assert any(i["practitioner"] == "Ben Okafor" for i in ben)
    two = _agenda_json(capsys, *base, "--practitioner", "Ben Okafor", "--practitioner", "carmen")
    assert {i["practitioner"] for i in two} - {None} == {"Ben Okafor", "Carmen Liu"}
    tele = _agenda_json(capsys, *base, "--location", "telehealth")
    assert tele
    assert {i["location"] for i in tele} == {"Telehealth"}


def test_agenda_text_lists_each_day(demo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(
        capsys,
        "agenda",
        "--db",
        str(demo_path),
        "--user",
        "alice",
        "--tz",
        "America/Chicago",
        "--days",
        "2",
    )
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "Wednesday, Nov 25, 2026"  # "today" from SESSIONS_TUI_NOW
    assert "Thursday, Nov 26, 2026" in lines
    assert any("[free]" in line and "all day" in line for line in lines)


# --- the demo ---------------------------------------------------------------------------------


def test_demo_twice_adds_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], now_env: str
) -> None:
    path = tmp_path / "d.db"
    first = cli(capsys, "demo", "--db", str(path))
    assert first.code == 0
    assert "Seeded the demo practice" in first.out
    before = dump(path)
    second = cli(capsys, "--db", str(path), "demo")
    assert second.code == 0
    assert "already there; nothing added" in second.out
    assert dump(path) == before


def test_demo_is_the_same_for_the_same_now(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], now_env: str
) -> None:
    outputs, dumps = [], []
    for name in ("one.db", "two.db"):
        path = tmp_path / name
        assert cli(capsys, "demo", "--db", str(path)).code == 0
        outputs.append(
            _agenda_json(
                capsys,
                "--db",
                str(path),
                "--user",
                "alice",
                "--tz",
                "UTC",
                "--from",
                "2026-10-20",
                "--days",
                "70",
            )
        )
        dumps.append(
            {
                k: v
                for k, v in dump(path).items()
                if k
                in (
                    "event",
                    "exdate",
                    "staff",
                    "client",
                    "location",
                    "hours",
                    "hours_interval",
                    "date_override",
                    "practice",
                )
            }
        )
    assert len(outputs[0]) > 50
    assert outputs[0] == outputs[1]
    assert dumps[0] == dumps[1]


def test_demo_practice_contents(demo_ctx: Context) -> None:
    ctx = demo_ctx
    assert {loc.name for loc in practice.list_locations(ctx)} == {"Main St Clinic", "Telehealth"}
    people = practice.list_staff(ctx)
    pracs = [p for p in people if p.is_practitioner]
    assert len(pracs) == 4
    assert [p.login for p in pracs if p.is_admin] == ["alice"]
    schedulers = [p for p in people if Role.SCHEDULER in p.roles]
    assert schedulers
    assert all(not p.is_practitioner for p in schedulers)
    clients = practice.list_clients(ctx)
    assert len(clients) == 30
    assert all(c.internal_id for c in clients)
    assert len({c.internal_id for c in clients}) == 30
    assert practice.get_settings(ctx).internal_ids

    with ctx.db.session() as s:
        rows = s.execute(select(EventRow)).scalars().all()
    sessions = [r for r in rows if r.kind == EventKind.SESSION.value]
    assert any(r.rrule for r in sessions), "weekly recurring series"
    assert any(r.series_id for r in sessions), "overridden occurrences"
    assert any(r.status == Status.CANCELLED.value for r in sessions)
    assert any(r.notes_completed for r in sessions)
    assert any(r.all_day and r.busy for r in rows)
    assert any(r.all_day and not r.busy for r in rows)
    # Sessions span about eight weeks around "now".
    first = min(r.start_utc for r in sessions)
    last = max(r.start_utc for r in sessions if not r.rrule)
    assert (last - first).days >= 28

    default = hours.get_hours(ctx, None)
    assert default is not None
    assert default.intervals
    own = [p for p in pracs if hours.get_hours(ctx, p.id, fallback=False) is not None]
    assert len(own) == 1
    overrides = {p.login: hours.get_overrides(ctx, p.id) for p in pracs}
    assert any(any(not o.intervals for o in items) for items in overrides.values()), (
        "an out-of-office day"
    )
    assert all(hours.get_hours(ctx, p.id, kind=hours.AVAILABILITY, fallback=False) for p in pracs)


# --- the installed script, in a real process --------------------------------------------------


def _script() -> str:
    found = shutil.which("sessions-tui", path=str(Path(sys.executable).parent))
    assert found, "the sessions-tui console script is installed next to python"
    return found


def test_installed_script_agenda_json(demo_path: Path, now_env: str) -> None:
    env = {**os.environ, "SESSIONS_TUI_NOW": now_env}
    out = subprocess.run(
        [
            _script(),
            "agenda",
            "--db",
            str(demo_path),
            "--user",
            "alice",
            "--days",
            "7",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert (out.returncode, out.stderr) == (0, "")
    items = json.loads(out.stdout)
    assert items
    assert all(set(i) == AGENDA_KEYS for i in items)


def test_installed_script_bad_input(demo_path: Path) -> None:
    before = dump(demo_path)
    out = subprocess.run(
        [_script(), "--db", str(demo_path), "agenda", "--user", "alice", "--practitioner", "Zed"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode != 0
    assert out.stdout == ""
    assert out.stderr.splitlines() == [
        "sessions-tui: error: unknown practitioner 'Zed' (practitioners: "
        "Ben Okafor, Carmen Liu, Devon Reyes, Dr. Alice Moreno)"
    ]
    assert dump(demo_path) == before
