"""What the calendar remembers between runs that you did not write down: the theme picked in
the app (``ctrl+p`` → "Theme").

Why a state file and not the config file: the config is the user's own text (comments, order,
their choice of quoting); rewriting it from the app would lose what tomllib cannot read back,
so the app never writes it. The state file is JSON in platformdirs' user state dir
(``~/.local/state/sessions-tui/ui-state.json`` on Linux, ``XDG_STATE_HOME`` moves it), written
whole to a temporary file and renamed, so a crash never leaves half a file.

Which theme wins: the one picked in the app, unless the config's ``theme`` was changed since
(the file records the config value the pick was made over). So a pick is kept across runs,
and editing ``theme`` in the config still takes effect on the next start.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger("sessions_tui.ui_state")

STATE_FILE = "ui-state.json"


def state_path() -> Path:
    """The state file (it may not exist yet)."""
    from platformdirs import user_state_dir

    return Path(user_state_dir("sessions-tui", appauthor=False)) / STATE_FILE


def load_state(path: Path | None = None) -> dict[str, Any]:
    """The remembered state; a missing or unreadable file is an empty state (logged): it
    holds preferences only, nothing that a start should fail over."""
    path = path or state_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring the state file %s: %s", path, type(exc).__name__)
        return {}
    return data if isinstance(data, dict) else {}


def remembered_theme(config_theme: str | None, path: Path | None = None) -> str | None:
    """The theme to start with: the one picked in the app unless the config's ``theme`` has
    changed since it was picked; else the config's (``None``: Textual's default)."""
    state = load_state(path)
    picked = state.get("theme")
    if isinstance(picked, str) and state.get("config_theme") == config_theme:
        return picked
    return config_theme


def remember_theme(theme: str, config_theme: str | None, path: Path | None = None) -> None:
    """Keep ``theme`` (picked in the app over the config's ``config_theme``) for next time.

    Raises:
        OSError: The file could not be written (the caller says so in one line).
    """
    path = path or state_path()
    state = load_state(path)
    state.update(theme=theme, config_theme=config_theme)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
