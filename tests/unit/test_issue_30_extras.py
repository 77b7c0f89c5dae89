"""The integrations are extras: a command that needs one that is not installed says which, in
one line, and exits 1; pyproject declares every extra the code checks for (keyring included),
and ``all`` is all of them. The clean install itself (the wheel without extras runs
``--version``, ``demo`` and ``agenda``) is a step of ``.ci/run``."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sessions_tui import extras

from ._cli import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def without(monkeypatch: pytest.MonkeyPatch):
    """Make an extra look uninstalled: its modules are names nothing provides."""

    def hide(extra: str) -> None:
        monkeypatch.setitem(extras.MODULES, extra, ("sessions_tui_no_such_module",))

    return hide


@pytest.mark.parametrize("command", ["google", "caldav", "web"])
def test_issue_30_a_command_without_its_extra_names_it_in_one_line(
    command: str, without, capsys: pytest.CaptureFixture[str]
) -> None:
    without(command)
    result = cli(capsys, command, "status" if command != "web" else "--help")
    assert result.code == 1
    assert result.err_lines == [
        f"sessions-tui: error: 'sessions-tui {command}' needs the {command!r} extra: "
        f"pip install 'sessions-tui[{command}]'"
    ]
    assert result.out == ""


def test_issue_30_the_root_help_lists_commands_whose_extra_is_missing(
    without, capsys: pytest.CaptureFixture[str]
) -> None:
    without("google")
    result = cli(capsys, "--help")
    assert result.code == 0
    assert "google" in result.out


def test_issue_30_an_import_error_deeper_down_names_the_extra() -> None:
    missing = extras.missing_extra(ModuleNotFoundError("no psycopg", name="psycopg"))
    assert missing is not None
    assert missing.message == (
        "this command needs the 'postgres' extra: pip install 'sessions-tui[postgres]'"
    )
    assert extras.missing_extra(ModuleNotFoundError("x", name="google.auth")).extra == "google"
    assert extras.missing_extra(ModuleNotFoundError("x", name="yaml")) is None


def test_issue_30_pyproject_declares_every_extra_and_all_of_them() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    optional = project["optional-dependencies"]
    assert set(extras.MODULES) <= set(optional)
    assert optional["all"] == [f"sessions-tui[{','.join(extras.MODULES)}]"]
    core = " ".join(project["dependencies"])
    for modules in extras.MODULES.values():
        for module in modules:
            assert module not in core, f"{module} is an extra's, not the core's"
    assert any(req.startswith("keyring") for req in optional["keyring"])
    assert (ROOT / "LICENSE").read_text("utf-8").startswith("MIT License")
    assert (ROOT / "sessions_tui" / "py.typed").exists()
