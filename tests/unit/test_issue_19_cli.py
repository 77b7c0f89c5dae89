"""Issue 19: a tool that behaves like its neighbours.

``--version`` from the package metadata; ``--help`` names the version and the log file; every
command takes ``--log-level``/``--debug``; each failure a user can cause is one line on stderr
(no traceback) and changes nothing, with the traceback in the log file; ``staff list`` answers
anyone who can open the database; ``completion`` prints click's scripts.
"""

from __future__ import annotations

import functools
import socket
import sqlite3
from importlib import metadata
from pathlib import Path

import pytest

from sessions_tui.about import prodid, version
from sessions_tui.store.db import Database

from ._cli import Result, cli, dump
from .google_harness import Practice, emu_fixture, pr_fixture  # noqa: F401


@pytest.fixture
def demo_path(demo_db: Database, tmp_path: Path, now_env: str) -> Path:
    demo_db.dispose()
    return tmp_path / "demo.db"


def _log_file(tmp_path: Path) -> Path:
    # conftest's XDG_STATE_HOME; platformdirs puts logs under <state>/sessions-tui/log
    return tmp_path / "home/.local/state/sessions-tui/log/sessions-tui.log"


def one_line_error(r: Result, *words: str) -> None:
    """Non-zero, nothing on stdout, exactly one line on stderr naming what was wrong."""
    assert r.code != 0, r.out
    assert r.out == ""
    assert len(r.err_lines) == 1, r.err
    assert r.err.startswith("sessions-tui: error: "), r.err
    assert "Traceback" not in r.err
    for word in words:
        assert word in r.err, r.err


# --- version and help ------------------------------------------------------------------------


def test_issue_19_version_from_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    r = cli(capsys, "--version")
    assert r.code == 0
    assert r.out.strip() == f"sessions-tui {metadata.version('sessions-tui')}"
    assert version() == metadata.version("sessions-tui")
    assert prodid() == f"-//sessions-tui//sessions-tui {version()}//EN"


def test_issue_19_ics_prodid_names_the_version(
    demo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all.ics"
    r = cli(capsys, "ics", "export", "--db", str(demo_path), "--user", "alice", "-o", str(out))
    assert r.code == 0, r.err
    assert f"PRODID:-//sessions-tui//sessions-tui {version()}//EN\r\n" in out.read_bytes().decode()


@pytest.mark.parametrize("output", [[], ["-o", "-"]])
def test_issue_19_ics_export_to_stdout_is_the_same_file(
    demo_path: Path, tmp_path: Path, now_env: str, output: list[str]
) -> None:
    """``ics export > file`` (and ``-o -``) gives exactly what ``-o file`` writes: CRLF line
    ends (the output filter showed each CR as a visible symbol) and a file that imports."""
    import os
    import subprocess
    import sys

    import icalendar

    base = [sys.executable, "-m", "sessions_tui", "ics", "export", "--db", str(demo_path)]
    base += ["--user", "alice", "--practitioner", "alice"]
    env = dict(os.environ, SESSIONS_TUI_NOW=now_env)
    piped = subprocess.run([*base, *output], env=env, capture_output=True, check=True).stdout
    written = tmp_path / "written.ics"
    subprocess.run([*base, "-o", str(written)], env=env, capture_output=True, check=True)
    assert piped == written.read_bytes()
    assert piped.count(b"\r\n") == piped.count(b"\n") > 10
    assert "\u240d" not in piped.decode()
    assert icalendar.Calendar.from_ical(piped).walk("VEVENT")
    assert not (Path.cwd() / "-").exists()


def test_issue_19_help_names_version_and_log_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = cli(capsys, "--help")
    assert r.code == 0
    assert r.out.splitlines()[0] == f"sessions-tui {version()}"
    assert f"Log file: {_log_file(tmp_path)}" in r.out
    for option in ("--version", "--log-level", "--debug", "--db"):
        assert option in r.out


# --- logging -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--debug", "agenda"],
        ["agenda", "--debug"],
        ["--log-level", "debug", "agenda"],
        ["agenda", "--log-level", "DEBUG"],
    ],
)
def test_issue_19_log_level_before_or_after_the_command(
    demo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    r = cli(capsys, *args, "--db", str(demo_path), "--user", "alice")
    assert r.code == 0, r.err
    text = _log_file(tmp_path).read_text("utf-8")
    assert "DEBUG sessions_tui.cli.main [" in text
    assert "run: agenda" in text
    assert _log_file(tmp_path).stat().st_mode & 0o077 == 0  # private to the user


def test_issue_19_info_is_the_default_level(
    demo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "agenda", "--db", str(demo_path), "--user", "alice").code == 0
    log = _log_file(tmp_path)  # opened at the first record (issue 18): maybe never
    assert not log.exists() or " DEBUG " not in log.read_text("utf-8")
    assert cli(capsys, "agenda", "--db", str(demo_path), "--user", "alice", "--debug").code == 0
    assert " DEBUG " in log.read_text("utf-8")  # the same file, once there is a record


def test_issue_19_bad_log_level_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    one_line_error(cli(capsys, "agenda", "--log-level", "loud"), "--log-level", "loud")


# --- one line for every failure a user can cause --------------------------------------------


def _ics(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad.ics"
    path.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + body + "END:VCALENDAR\r\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["agenda", "--from", "9999-12-31"], ["9999-12-31", "out of range"]),
        (["agenda", "--from", "9999-12-01", "--days", "90"], ["9999-12-01", "past the year 9999"]),
        (
            ["availability", "--practitioner", "alice", "--from", "9999-12-25", "--first"],
            ["9999-12-25", "past the year 9999"],
        ),
        (
            ["availability", "--practitioner", "alice", "--from", "9999-12-25"],
            ["9999-12-25", "past the year 9999"],
        ),
        (["ics", "export", "-o", "/proc/version"], ["cannot write -o '/proc/version'"]),
    ],
)
@pytest.mark.parametrize("fast", [True, False], ids=["fast-read", "orm"])
def test_issue_19_one_line_and_nothing_changed(
    demo_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    words: list[str],
    fast: bool,
) -> None:
    if not fast:
        monkeypatch.setenv("SESSIONS_TUI_NO_FAST_READ", "1")
    before = dump(demo_path)
    one_line_error(cli(capsys, *args, "--db", str(demo_path), "--user", "alice"), *words)
    assert dump(demo_path) == before


def test_issue_19_ics_duration_out_of_range(
    demo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _ics(
        tmp_path,
        "BEGIN:VEVENT\r\nUID:far-1\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART:20261102T090000Z\r\nDURATION:P99999999W\r\nSUMMARY:Far\r\nEND:VEVENT\r\n",
    )
    before = dump(demo_path)
    r = cli(
        capsys, "ics", "import", str(path), "--practitioner", "alice",
        "--db", str(demo_path), "--user", "alice", "--strict",
    )  # fmt: skip
    one_line_error(r, "bad.ics line", "far-1", "out of range")
    assert dump(demo_path) == before


def test_issue_19_newer_schema_is_refused(
    demo_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = sqlite3.connect(demo_path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    before = dump(demo_path)
    for args in (["agenda"], ["staff", "list"], ["ics", "export"]):
        r = cli(capsys, *args, "--db", str(demo_path), "--user", "alice")
        one_line_error(r, "schema version 9999", "newer", "upgrade sessions-tui")
    assert dump(demo_path) == before


@pytest.mark.parametrize("kind", ["under-a-file", "not-a-database", "a-directory"])
def test_issue_19_unreadable_db(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    # Tests may run as root, for whom no mode bit makes a file unreadable; these are the ways a
    # --db path cannot be read that hold for every user.
    plain = tmp_path / "notes.txt"
    plain.write_text("not a database, and longer than a SQLite header ..........", "utf-8")
    path = {
        "under-a-file": plain / "practice.db",
        "not-a-database": plain,
        "a-directory": tmp_path,
    }[kind]
    why = {"not-a-database": ["file is not a database"]}.get(kind, [])  # the driver's words
    for args in (["agenda"], ["staff", "list"]):
        r = cli(capsys, *args, "--db", str(path), "--user", "alice")
        one_line_error(r, str(path), *why)
    assert plain.read_text("utf-8").startswith("not a database")


def test_issue_19_unwritable_home(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under /proc nothing can be made, whoever runs the tests.
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", "/proc/sessions-tui-no-home")
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", "/proc/sessions-tui-no-home/config.toml")
    for args in (
        ["staff", "list"],
        ["agenda"],
        ["staff", "add", "x", "--name", "X", "--role", "admin"],
    ):
        one_line_error(cli(capsys, *args), "/proc/sessions-tui-no-home", "--db")
    assert cli(capsys, "--version").code == 0  # no log file, and still runs


def test_issue_19_google_sync_without_network(
    pr: Practice, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sessions_tui.sync import google

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("SESSIONS_TUI_GOOGLE_ENDPOINT", f"http://127.0.0.1:{port}/")
    monkeypatch.setenv("SESSIONS_TUI_NOW", "2026-11-25T16:00:00+00:00")
    # The client library retries five times with waits; the test does not wait for them.
    monkeypatch.setattr(
        google, "make_engine", functools.partial(google.make_engine, sleep=lambda _s: None)
    )
    pr.session()
    r = cli(capsys, "google", "sync", "--practitioner", "pat", "--db", pr.db.url, "--user", "admin")
    one_line_error(r, "cannot reach Google")


def test_issue_19_unexpected_error_names_the_log_file(
    demo_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sessions_tui.services import render

    def broken(*_a: object, **_k: object) -> list[str]:
        raise RuntimeError("a bug nobody expected")

    monkeypatch.setattr(render, "agenda_lines", broken)
    r = cli(capsys, "agenda", "--db", str(demo_path), "--user", "alice")
    one_line_error(r, "unexpected RuntimeError", str(_log_file(tmp_path)))
    assert r.code == 1
    text = _log_file(tmp_path).read_text("utf-8")
    assert "ERROR sessions_tui.cli.main" in text
    assert "agenda failed unexpectedly" in text
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: a bug nobody expected" in text


# --- staff list and the unknown-user error ---------------------------------------------------


def test_issue_19_staff_list_for_anyone(
    demo_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = cli(capsys, "staff", "list", "--db", str(demo_path), "--user", "stranger")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert any(line.split()[0] == "alice" for line in lines)
    assert "admin" not in r.out  # roles are for staff only
    r = cli(capsys, "staff", "list", "--format", "json", "--db", str(demo_path), "--user", "x")
    import json

    people = json.loads(r.out)
    assert people
    assert all(set(p) == {"login", "name"} for p in people)
    r = cli(capsys, "staff", "list", "--format", "json", "--db", str(demo_path), "--user", "alice")
    assert all("roles" in p for p in json.loads(r.out))
    one_line_error(
        cli(capsys, "agenda", "--db", str(demo_path), "--user", "stranger"),
        "unknown user 'stranger'",
        "sessions-tui staff list",
    )


# --- completion -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete --no-files")],
)
def test_issue_19_completion_scripts(
    capsys: pytest.CaptureFixture[str], shell: str, marker: str
) -> None:
    r = cli(capsys, "completion", shell)
    assert r.code == 0, r.err
    assert marker in r.out
    assert "_SESSIONS_TUI_COMPLETE" in r.out
    one_line_error(cli(capsys, "completion", "tcsh"), "tcsh")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_issue_19_completion_answers(shell: str) -> None:
    """What a shell's Tab runs: the real program (its output filter included) completes."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, _SESSIONS_TUI_COMPLETE=f"{shell}_complete")
    env["COMP_WORDS"] = "sessions-tui ic"
    env["COMP_CWORD"] = "ic" if shell == "fish" else "1"  # fish passes the word itself
    done = subprocess.run(
        [sys.executable, "-m", "sessions_tui"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr
    offered = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert {"ics", "plain,ics"} & set(offered) or "ics" in done.stdout.split(), done.stdout
