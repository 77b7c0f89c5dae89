"""Issue 19: docs/CLI.md documents every command and its options, the exit codes, the config
file's keys and the environment variables the code reads; the README and docs stand alone in a
clone (no link outside the repository) and say what the test command runs."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import click
import pytest

from sessions_tui.cli.main import cli
from sessions_tui.config import Config

ROOT = Path(__file__).resolve().parents[2]
CLI_MD = ROOT / "docs" / "CLI.md"
GLOBAL = {"--db", "--tz", "--user", "--log-level", "--debug", "--help"}


def _commands(cmd: click.Command, path: tuple[str, ...]) -> list[tuple[str, click.Command]]:
    found = [(" ".join(path), cmd)]
    if isinstance(cmd, click.Group):  # list_commands/get_command: the root group is lazy
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            assert sub is not None
            found += _commands(sub, (*path, name))
    return found


COMMANDS = _commands(cli, ("sessions-tui",))


def _sections() -> dict[str, str]:
    """``### `sessions-tui ics export …``` heading → that section's text."""
    text = CLI_MD.read_text("utf-8")
    out: dict[str, str] = {}
    for part in re.split(r"^### ", text, flags=re.M)[1:]:
        heading, _, body = part.partition("\n")
        match = re.match(r"`(sessions-tui(?: [a-z][a-z-]*)*)", heading)
        if match:
            out[match.group(1)] = body.split("\n## ", 1)[0]
    return out


def _long_options(cmd: click.Command) -> list[str]:
    names: list[str] = []
    for p in cmd.params:
        if isinstance(p, click.Option):
            long = [n for n in p.opts if n.startswith("--")]
            if long and not set(long) & GLOBAL:
                names.append(long[0])
    return names


@pytest.mark.parametrize(("path", "cmd"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_issue_19_every_command_and_option_is_in_cli_md(path: str, cmd: click.Command) -> None:
    sections = _sections()
    assert path in sections, f"docs/CLI.md has no '### `{path}`' section"
    for option in _long_options(cmd):
        assert f"`{option}" in sections[path], f"docs/CLI.md: {path} does not document {option}"


def test_issue_19_global_options_exit_codes_and_config_keys_in_cli_md() -> None:
    text = CLI_MD.read_text("utf-8")
    for option in (*sorted(GLOBAL - {"--help"}), "--version"):
        assert f"`{option}" in text.split("## Exit codes")[0], option
    codes = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    for code in ("0", "1", "2", "130"):
        assert f"| `{code}` |" in codes, code
    config = text.split("## The config file", 1)[1].split("\n## ", 1)[0]
    for f in fields(Config):
        assert f"| `{f.name}` |" in config, f"docs/CLI.md does not document config key {f.name}"


def test_issue_19_every_environment_variable_in_cli_md() -> None:
    used: set[str] = set()
    for path in (ROOT / "sessions_tui").rglob("*.py"):
        used |= set(re.findall(r"SESSIONS_TUI_[A-Z][A-Z_]*[A-Z]", path.read_text("utf-8")))
    used -= {"SESSIONS_TUI_COMPLETE"}  # click's completion protocol (an underscore in front)
    text = CLI_MD.read_text("utf-8")
    missing = sorted(v for v in used if f"`{v}`" not in text)
    assert not missing, f"docs/CLI.md does not document {missing}"


def test_issue_19_docs_stand_alone_in_a_clone() -> None:
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text("utf-8")
        assert "../shared" not in text, f"{doc.name} points outside the repository"
        for target in re.findall(r"`((?:docs|bench|tests|\.ci)/[^`\s]+)`", text):
            assert (ROOT / target).exists(), f"{doc.name} names {target}, which does not exist"


def test_issue_19_readme_says_what_the_test_command_runs() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "plus ruff, mypy and the import contracts" not in readme
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    for step in ("ruff check", "ruff format --check", "mypy", "lint-imports", "python -m build"):
        assert step in ci
