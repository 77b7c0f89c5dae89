"""docs/SETUP.md's walk-through sets up a practice from an empty database with the CLI alone.

The ```console block is read as a transcript: ``$ `` lines are commands and the lines after a
command are its exact output (stderr for a ``sessions-tui: error:`` line, which must also exit
non-zero). The commands run in order against a database in ``tmp_path``; afterwards the staff,
clients, settings and agenda are checked again through ``--format json``. A second test runs the
same commands in a real shell with the installed ``sessions-tui`` script.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sessions_tui.cli import run

from ._cli import as_login

SETUP = Path(__file__).resolve().parents[2] / "docs" / "SETUP.md"
DB_NAME = "riverside.db"


@dataclass
class Step:
    command: str
    output: list[str] = field(default_factory=list)
    heredoc: list[str] | None = None


def console_block(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("```console") + 1
    end = lines.index("```", start)
    return lines[start:end]


def parse_steps(lines: list[str]) -> list[Step]:
    steps: list[Step] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        assert line.startswith("$ "), (
            f"walk-through line {i + 1} is output with no command: {line!r}"
        )
        step = Step(line[2:])
        i += 1
        if "<<" in step.command:
            marker = step.command.split("<<", 1)[1].strip().strip("'\"")
            body: list[str] = []
            while lines[i] != marker:
                body.append(lines[i])
                i += 1
            step.heredoc = body
            i += 1
        while i < len(lines) and not lines[i].startswith("$ "):
            step.output.append(lines[i])
            i += 1
        steps.append(step)
    return steps


@pytest.fixture
def steps() -> list[Step]:
    return parse_steps(console_block(SETUP.read_text(encoding="utf-8")))


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(tmp_path / "no-config.toml"))
    for name in ("SESSIONS_TUI_DB", "SESSIONS_TUI_TZ", "SESSIONS_TUI_NOW", "SESSIONS_TUI_USER"):
        monkeypatch.delenv(name, raising=False)
    # ada, the first admin, types the walk-through and acts as her colleagues (issue 15).
    monkeypatch.setattr("sessions_tui.identity._system_login", lambda: "ada")
    return work


def test_walkthrough_block_has_the_setup_commands(steps: list[Step]) -> None:
    commands = [shlex.split(s.command)[:3] for s in steps if s.command.startswith("sessions-tui")]
    for needed in (
        ["sessions-tui", "staff", "add"],
        ["sessions-tui", "staff", "list"],
        ["sessions-tui", "locations", "add"],
        ["sessions-tui", "clients", "import"],
        ["sessions-tui", "clients", "list"],
        ["sessions-tui", "settings", "set"],
        ["sessions-tui", "agenda", "--from"],
    ):
        assert needed in commands, needed
    first = shlex.split(steps[1].command)
    assert first[:3] == ["sessions-tui", "staff", "add"]
    assert "--user" not in first


def test_walkthrough_runs_in_order_against_a_new_database(
    steps: list[Step],
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = workdir / DB_NAME
    for step in steps:
        argv = shlex.split(step.command)
        if argv[0] == "export":
            key, _, value = argv[1].partition("=")
            assert key == "SESSIONS_TUI_DB"
            assert value.endswith(DB_NAME)
            monkeypatch.setenv(key, str(db))  # the db path, substituted
            continue
        if argv[0] == "cat":
            assert step.heredoc is not None
            assert argv[1] == ">"
            (workdir / argv[2]).write_text("\n".join(step.heredoc) + "\n", encoding="utf-8")
            continue
        assert argv[0] == "sessions-tui", f"unsupported command in the walk-through: {step.command}"
        capsys.readouterr()
        code = run(argv[1:])
        out, err = capsys.readouterr()
        expected = "\n".join(step.output) + ("\n" if step.output else "")
        if step.output and step.output[0].startswith("sessions-tui: error:"):
            assert code != 0, step.command
            assert (out, err) == ("", expected), step.command
        else:
            assert (code, err) == (0, ""), f"{step.command}: {err}"
            assert out == expected, step.command
    assert db.exists()

    def json_of(*args: str) -> object:
        capsys.readouterr()
        assert run([*args, "--format", "json", "--user", "ben"]) == 0
        return json.loads(capsys.readouterr().out)

    staff = json_of("staff", "list")
    assert [(p["login"], p["roles"]) for p in staff] == [  # type: ignore[union-attr, index, attr-defined]
        ("ada", ["admin", "practitioner"]),
        ("ben", ["practitioner"]),
        ("sam", ["scheduler"]),
    ]
    assert [p["default_session_minutes"] for p in staff] == [50, 60, 50]  # type: ignore[union-attr, index, attr-defined]
    clients = json_of("clients", "list")
    assert [(c["first_name"], c["last_name"], c["internal_id"]) for c in clients] == [  # type: ignore[union-attr, index, attr-defined]
        ("Ava", "Bennett", "C-1001"),
        ("Liam", "Castillo", "C-1002"),
        ("Maya", "Nguyen", "C-1003"),
        ("Noah", "Patel", "C-1004"),
    ]
    assert [loc["name"] for loc in json_of("locations", "list")] == [  # type: ignore[union-attr, index, attr-defined]
        "Main St Clinic",
        "Telehealth",
    ]
    settings = json_of("settings", "show")
    assert settings["reminders.hours"] == "off"  # type: ignore[index, call-overload]
    assert {k: v for k, v in settings.items() if "." not in k} == {  # type: ignore[union-attr, attr-defined]
        "name": "Riverside Therapy",
        "internal-ids": True,
        "double-booking": True,
        "display-tz": "America/Chicago",
        "week-starts-monday": False,
    }
    assert json_of("agenda", "--from", "2026-11-30", "--days", "7") == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_walkthrough_in_a_real_shell(steps: list[Step], workdir: Path, tmp_path: Path) -> None:
    """The block, prompts and outputs removed, is a bash script that succeeds step by step."""
    # The walk-through is typed by ada, the practice's first admin, who acts as her colleagues
    # with --user (an admin may, issue 15): the OS login of this shell is ada.
    wrapper = " ".join(shlex.quote(a) for a in as_login("ada"))
    script = ["set -u", f'sessions-tui() {{ {wrapper} "$@"; }}']
    for n, step in enumerate(steps):
        if step.output and step.output[0].startswith("sessions-tui: error:"):
            script.append(f"if {step.command}; then exit {100 + n}; fi")  # must be refused
        elif step.command.startswith("sessions-tui"):
            script.append(f"{step.command} || exit {100 + n}")
        else:
            script.append(step.command)
        if step.heredoc is not None:
            marker = step.command.split("<<", 1)[1].strip().strip("'\"")
            script.extend([*step.heredoc, marker])
    home = tmp_path / "shellhome"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSIONS_TUI_")}
    env.update(
        HOME=str(home),
        SESSIONS_TUI_CONFIG=str(tmp_path / "no-config.toml"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"step {done.returncode - 100} failed: {done.stderr}"
    # `~/riverside.db` went to the (fake) home directory, the CSV to the working directory.
    assert (home / DB_NAME).exists()
    assert (workdir / "clients.csv").exists()
    assert "Imported 3 clients." in done.stdout
    assert done.stdout.count("sessions-tui: error:") == 0
    assert done.stderr.count("sessions-tui: error:") == 1
