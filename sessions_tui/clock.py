"""The one place that reads the real time.

``SESSIONS_TUI_NOW`` (ISO 8601 with offset) freezes "now" for demos and tests.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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


class ManualClock:
    """A clock that stands still until a test moves it (``advance``, ``set``).

    Like :class:`FixedClock` it never reads the machine's time, so Pilot tests can step "now"
    past an alert's offset without sleeping; one lock keeps reads from worker threads whole.
    """

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._at = at.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The instant this clock has been set to."""
        with self._lock:
            return self._at

    def advance(self, delta: timedelta) -> datetime:
        """Move "now" forward by ``delta`` (never back: clocks the app sees only go forward)."""
        if delta < timedelta(0):
            raise ValueError("ManualClock only moves forward")
        with self._lock:
            self._at += delta
            return self._at

    def set(self, at: datetime) -> None:
        """Move "now" to ``at`` (at or after the current instant)."""
        self.advance(at.astimezone(UTC) - self.now())
