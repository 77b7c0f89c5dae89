"""User configuration: a TOML file in platformdirs' config dir; env ``SESSIONS_TUI_*`` wins.

```toml
# ~/.config/sessions-tui/config.toml
tz = "Europe/London"          # display zone (else the practice default, else the local zone)
week_starts_monday = true     # else the practice setting (Sunday by default)
refresh_seconds = 2           # how often open clients look for others' changes

[keymap]                      # binding id (see docs/keys.md) = keys, comma-separated
"calendar.team" = "ctrl+t"
"calendar.next" = "n,right_square_bracket"
```
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sessions_tui.domain.errors import ValidationError


def config_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("sessions-tui", appauthor=False))


@dataclass(frozen=True)
class Config:
    """Settings of one user on one machine.

    Attributes:
        tz: Display zone (IANA name); ``None`` uses the practice default, then tzlocal.
        week_starts_monday: ``None`` follows the practice setting.
        refresh_seconds: Interval of the live-refresh check.
        keymap: Binding id → keys (comma-separated), applied with ``App.set_keymap``; the ids
            are the last column of docs/keys.md.
    """

    tz: str | None = None
    week_starts_monday: bool | None = None
    refresh_seconds: float = 2.0
    keymap: dict[str, str] = field(default_factory=dict)


def load_config(path: Path | None = None) -> Config:
    """Read the config file (missing is fine; malformed is a clear error)."""
    path = path or Path(os.environ.get("SESSIONS_TUI_CONFIG") or config_dir() / "config.toml")
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"bad config file {str(path)!r}: {exc}") from None
    known = {f.name for f in fields(Config)}
    unknown = set(data) - known
    if unknown:
        raise ValidationError(f"bad config file {str(path)!r}: unknown key {sorted(unknown)[0]!r}")
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        raise ValidationError(f"bad config file {str(path)!r}: keymap must be a table")
    for binding_id, keys in keymap.items():
        if not isinstance(keys, str) or not keys.strip():
            raise ValidationError(
                f"bad config file {str(path)!r}: keymap.{binding_id} must be keys "
                'as text, e.g. "ctrl+t" or "n,right"'
            )
    if os.environ.get("SESSIONS_TUI_TZ"):
        data["tz"] = os.environ["SESSIONS_TUI_TZ"]
    return Config(**data)
