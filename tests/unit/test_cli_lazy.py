"""The CLI imports a command group's module only when that command runs (issue 18: the
``agenda`` path pays for no other group), and ``--help`` still lists every command."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from sessions_tui.cli.main import COMMANDS, cli

OTHER_GROUPS = ["practice", "availability", "ics", "settings", "google"]


def test_issue_18_agenda_imports_no_other_command_module() -> None:
    code = (
        "import json, sys; from sessions_tui.cli import run; "
        "rc = run(['agenda', '--help']); "
        "print(json.dumps([m for m in sys.modules if m.startswith('sessions_tui.cli.')]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "sessions_tui.cli.agenda" in loaded
    assert not loaded & {f"sessions_tui.cli.{m}" for m in OTHER_GROUPS}


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert f"  {name} " in result.output


def test_an_unknown_command_is_one_clear_error() -> None:
    result = CliRunner().invoke(cli, ["agendaa"])
    assert result.exit_code != 0
    assert "No such command 'agendaa'" in result.output
