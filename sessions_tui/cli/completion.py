"""``sessions-tui completion bash|zsh|fish``: print click's shell completion script.

Install it once, e.g. ``sessions-tui completion bash > ~/.local/share/bash-completion/completions/
sessions-tui`` (docs/CLI.md lists each shell). The script calls ``sessions-tui`` back with
``_SESSIONS_TUI_COMPLETE`` set, which click answers before any command runs.
"""

from __future__ import annotations

import click

COMPLETE_VAR = "_SESSIONS_TUI_COMPLETE"


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL (bash, zsh or fish)."""
    from click.shell_completion import get_completion_class

    root = click.get_current_context().find_root()
    cls = get_completion_class(shell)
    assert cls is not None  # the Choice above allows only shells click knows
    click.echo(cls(root.command, {}, "sessions-tui", COMPLETE_VAR).source())
