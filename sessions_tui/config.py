"""User configuration: a TOML file in platformdirs' config dir; env ``SESSIONS_TUI_*`` wins.

```toml
# ~/.config/sessions-tui/config.toml
tz = "Europe/London"          # display zone (else the practice default, else the local zone)
week_starts_monday = true     # else the practice setting (Sunday by default)
refresh_seconds = 2           # how often open clients look for others' changes
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
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
    """

    tz: str | None = None
    week_starts_monday: bool | None = None
    refresh_seconds: float = 2.0


def load_config(path: Path | None = None) -> Config:
    """Read the config file (missing is fine; malformed is a clear error)."""
    path = path or Path(os.environ.get("SESSIONS_TUI_CONFIG") or config_dir() / "config.toml")
    data: dict[str, Any] = {}
    if path.exists():
        import tomllib  # here: most runs have no config file (issue 18: ~4 ms of start-up)

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"bad config file {str(path)!r}: {exc}") from None
    known = {f.name for f in fields(Config)}
    unknown = set(data) - known
    if unknown:
        raise ValidationError(f"bad config file {str(path)!r}: unknown key {sorted(unknown)[0]!r}")
    if os.environ.get("SESSIONS_TUI_TZ"):
        data["tz"] = os.environ["SESSIONS_TUI_TZ"]
    return Config(**data)
