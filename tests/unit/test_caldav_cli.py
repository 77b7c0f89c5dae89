"""Issue 17: ``sessions-tui caldav …`` against a real CalDAV server (Radicale on 127.0.0.1)."""

from __future__ import annotations

import json
import stat
import sys
from datetime import UTC, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from caldav_harness import PASSWORD, T0, Radicale, Remote

from sessions_tui.domain.events import Event, EventKind
from sessions_tui.services import appointments
from sessions_tui.services.context import Context
from sessions_tui.sync.caldav.secret import secret_path

from ._cli import cli, dump


@pytest.fixture(name="setup")
def setup_fixture(admin_ctx: Context, radicale: Radicale, tmp_path: Path) -> tuple[str, Remote]:
    user = radicale.new_user()
    remote = Remote(radicale, user)
    remote.make_calendar("practice", "Practice")
    remote.make_calendar("home", "Home")
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    return user, remote


def test_issue_17_caldav_commands_end_to_end(
    admin_ctx: Context,
    radicale: Radicale,
    setup: tuple[str, Remote],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    user, _remote = setup
    db = str(tmp_path / "practice.db")
    pw = str(tmp_path / "pw")
    r = cli(
        capsys,
        "caldav",
        "connect",
        radicale.url,
        "--username",
        user,
        "--calendar",
        "Practice",
        "--password-file",
        pw,
        "--db",
        db,
    )
    assert r.code == 0, r.err
    assert "Connected Ada Admin to CalDAV calendar 'Practice'" in r.out
    secret = secret_path("admin")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    # The password is in that file only: never in the database.
    assert PASSWORD not in repr(dump(Path(db)))

    appointments.create(
        admin_ctx,
        Event(
            kind=EventKind.OTHER,
            title="Supervision",
            start=T0.astimezone(UTC),
            end=(T0 + timedelta(hours=1)).astimezone(UTC),
            tzid="America/Chicago",
            practitioner_id=admin_ctx.actor.id,
        ),  # type: ignore[union-attr]
    )
    r = cli(capsys, "caldav", "sync", "--db", db)
    assert r.code == 0, r.err
    assert r.out.startswith("pushed 1, pulled 0"), r.out

    r = cli(capsys, "caldav", "status", "--format", "json", "--db", db)
    data = json.loads(r.out)
    assert data["connected"] is True
    assert data["mode"] == "two-way"
    assert data["default_calendar"].endswith("/practice/")
    assert data["pending"] == 0
    assert data["password"] == "saved"

    r = cli(capsys, "caldav", "calendars", "--add", "Home", "--db", db)
    assert r.code == 0, r.err
    assert any(line.startswith("pulled") and "Home" in line for line in r.out.splitlines())

    r = cli(capsys, "caldav", "mode", "one-way", "--db", db)
    assert "now one-way" in r.out

    r = cli(capsys, "caldav", "disconnect", "--db", db)
    assert r.code == 0
    assert not secret.exists()
    r = cli(capsys, "caldav", "sync", "--db", db)
    assert r.code == 1
    assert r.err.count("\n") == 1  # one line, no traceback


def test_issue_17_caldav_connect_refusals_are_one_line(
    admin_ctx: Context,
    radicale: Radicale,
    setup: tuple[str, Remote],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    user, _remote = setup
    db = str(tmp_path / "practice.db")
    (tmp_path / "bad").write_text("wrong\n")
    cases = [
        (radicale.url, str(tmp_path / "bad"), "refused the username or password"),
        ("http://calendar.example.org/", str(tmp_path / "pw"), "use https://"),
        (radicale.url, str(tmp_path / "missing"), "cannot read --password-file"),
    ]
    for url, pw, why in cases:
        r = cli(
            capsys, "caldav", "connect", url, "--username", user, "--password-file", pw, "--db", db
        )
        assert r.code == 1, r.out
        assert len(r.err_lines) == 1, r.err
        assert why in r.err
    r = cli(
        capsys,
        "caldav",
        "connect",
        radicale.url,
        "--username",
        user,
        "--calendar",
        "Nope",
        "--password-file",
        str(tmp_path / "pw"),
        "--db",
        db,
    )
    assert r.code == 1
    assert "no CalDAV calendar 'Nope'" in r.err
    assert not secret_path("admin").exists()  # nothing saved by a refused connect


def test_issue_25_caldav_connect_to_a_silent_server_says_nothing_was_saved(
    admin_ctx: Context, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A first connect whose server does not answer saves nothing (no calendar is known to sync
    with): the one line says so and how to go on, not "will retry later"."""
    import socket

    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    db = str(tmp_path / "practice.db")
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    r = cli(
        capsys,
        "caldav",
        "connect",
        f"http://127.0.0.1:{port}/",
        "--username",
        "ada",
        "--password-file",
        str(tmp_path / "pw"),
        "--db",
        db,
    )
    assert r.code == 1, r.out
    assert len(r.err_lines) == 1, r.err
    assert "cannot reach the CalDAV server" in r.err
    assert "nothing was saved" in r.err
    assert "will retry" not in r.err
    assert not secret_path("admin").exists()
    r = cli(capsys, "caldav", "status", "--db", db)
    assert "CalDAV sync is not set up" in r.out
