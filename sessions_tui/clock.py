"""The one place that reads the real time.

``SESSIONS_TUI_NOW`` (ISO 8601 with offset) freezes "now" for demos and tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sessions_tui.domain.timeutil import parse_aware


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The machine's current time in UTC."""
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    """A clock stopped at one instant (tests and demos)."""

    at: datetime

    def now(self) -> datetime:
        """The stopped instant, in UTC."""
        return self.at.astimezone(UTC)


def clock_from_env(environ: dict[str, str] | None = None) -> Clock:
    """A :class:`FixedClock` when ``SESSIONS_TUI_NOW`` is set, else the system clock."""
    env = os.environ if environ is None else environ
    text = env.get("SESSIONS_TUI_NOW")
    if text:
        return FixedClock(parse_aware(text, "SESSIONS_TUI_NOW"))
    return SystemClock()
