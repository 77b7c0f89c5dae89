"""A command for the user to paste into a shell, as the sync screens print it."""

from __future__ import annotations

import shlex


def paste_ready(command: str, options: list[tuple[str, str | None]]) -> str:
    """``command`` and its ``options`` (flag, value; ``None`` values are left out), each value
    shell-quoted, in lines of at most ~70 characters joined with ``" \\"``: it pastes into a
    shell as one command, and a terminal's copy of a screen line never cuts an option in two."""
    parts = [f"{flag} {shlex.quote(value)}" for flag, value in options if value]
    lines = [command]
    for part in parts:
        if len(lines[-1]) + 1 + len(part) > 68:
            lines.append("    " + part)
        else:
            lines[-1] += " " + part
    return " \\\n".join(lines)
