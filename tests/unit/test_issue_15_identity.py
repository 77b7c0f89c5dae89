"""Issue 15 on SQLite: you are the OS login; ``--user`` (or ``SESSIONS_TUI_USER``) naming
someone else is honoured only for an admin of the practice or on a demo practice; the practice
file is private."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sessions_tui.store.db import open_database

from ._cli import cli, dump


def _login(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setattr("sessions_tui.identity._system_login", lambda: name)


@pytest.fixture
def practice_db(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    now_env: str,
) -> Path:
    """boss (admin), pat and quinn (practitioners), made by boss logged in as boss."""
    _login(monkeypatch, "boss")
    path = tmp_path / "practice.db"
    db = str(path)
    for args in (
        ("staff", "add", "boss", "--name", "Bo Boss", "--role", "admin"),
        ("staff", "add", "pat", "--name", "Pat P", "--role", "practitioner"),
        ("staff", "add", "quinn", "--name", "Quinn Q", "--role", "practitioner"),
    ):
        assert cli(capsys, *args, "--db", db).code == 0
    return path


@pytest.mark.parametrize("command", [("staff", "list"), ("agenda",), ("locations", "list")])
def test_issue_15_user_as_a_non_admin_login_is_refused(
    practice_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
) -> None:
    _login(monkeypatch, "pat")
    before = dump(practice_db)
    result = cli(capsys, *command, "--db", str(practice_db), "--user", "boss")
    assert result.code == 1
    assert result.err_lines == [
        "sessions-tui: error: --user boss: you are logged in as 'pat', not an admin of this "
        "practice; only an admin may act as another member of staff"
    ]
    assert result.out == ""
    assert dump(practice_db) == before
    # The environment variable is the same claim, refused the same way (the fast agenda too).
    monkeypatch.setenv("SESSIONS_TUI_USER", "quinn")
    again = cli(capsys, *command, "--db", str(practice_db))
    assert again.code == 1
    assert "--user quinn: you are logged in as 'pat'" in again.err


def test_issue_15_own_login_and_unknown_login(
    practice_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _login(monkeypatch, "pat")
    assert cli(capsys, "agenda", "--db", str(practice_db)).code == 0
    assert cli(capsys, "agenda", "--db", str(practice_db), "--user", "pat").code == 0
    _login(monkeypatch, "mallory")  # not a member of staff at all
    result = cli(capsys, "staff", "list", "--db", str(practice_db), "--user", "boss")
    assert result.code == 1
    assert "you are logged in as 'mallory', not a member of staff" in result.err


def test_issue_15_an_admin_may_act_as_anyone(
    practice_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _login(monkeypatch, "boss")
    for command in (("staff", "list"), ("agenda",)):
        result = cli(capsys, *command, "--db", str(practice_db), "--user", "pat")
        assert result.code == 0, result.err
    # ... and acting as pat has pat's rights, not the admin's.
    refused = cli(capsys, "locations", "add", "Annex", "--db", str(practice_db), "--user", "pat")
    assert refused.code == 1
    assert "only an admin or scheduler may add locations" in refused.err


def test_issue_15_anyone_may_act_as_anyone_on_a_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "demo.db")
    assert cli(capsys, "demo", "--db", db).code == 0
    _login(monkeypatch, "someone-else")
    for command in (("staff", "list"), ("agenda",)):
        result = cli(capsys, *command, "--db", db, "--user", "alice")
        assert result.code == 0, result.err


def test_issue_15_new_database_file_is_private(tmp_path: Path) -> None:
    os.umask(0o022)  # a usual umask: the file is 0600 all the same
    try:
        path = tmp_path / "new.db"
        open_database(str(path)).dispose()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        shared = tmp_path / "shared"
        shared.mkdir()
        shared.chmod(0o2770)  # set-group-ID folder: the group shares the file
        group_file = shared / "practice.db"
        open_database(str(group_file)).dispose()
        assert stat.S_IMODE(group_file.stat().st_mode) == 0o660
    finally:
        os.umask(0o077)


def test_issue_15_a_world_readable_practice_file_is_warned_about(
    practice_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    practice_db.chmod(0o644)
    for command in (("agenda",), ("staff", "list")):
        result = cli(capsys, *command, "--db", str(practice_db), "--user", "boss")
        assert result.code == 0
        assert result.err_lines == [
            f"sessions-tui: warning: {practice_db} can be read by every user of this machine "
            f"(mode 0644); `chmod 600 {practice_db}` (docs/SECURITY.md)"
        ]
    practice_db.chmod(0o600)
    assert cli(capsys, "agenda", "--db", str(practice_db), "--user", "boss").err == ""
