"""Online booking's values: a practitioner's settings and services, a page, a visitor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sessions_tui.domain.errors import ConflictError
from sessions_tui.domain.profile import PracticeProfile, ServicePlace

DEFAULT_BASE_URL = "http://127.0.0.1:8765"
MAX_SERVICES = 12
LIMITS = {"name": 100, "email": 254, "phone": 40, "message": 2000}
"""Longest accepted value of each visitor field, in characters."""


class SlotTaken(ConflictError):
    """The time asked for is no longer free (another visitor, or the calendar, took it)."""


@dataclass(frozen=True)
class BookingService:
    """A service offered on a page: its name, length in minutes and place (issue 27)."""

    name: str
    minutes: int
    place: ServicePlace = field(default_factory=ServicePlace)


@dataclass(frozen=True)
class BookingSettings:
    """One practitioner's online booking settings."""

    practitioner_id: int
    practitioner_name: str
    login: str
    enabled: bool
    services: tuple[BookingService, ...]
    notice_minutes: int
    horizon_days: int
    buffer_minutes: int
    hold_minutes: int
    new_clients: bool
    public: bool
    link_secret: str | None = None
    """The secret part of the link: only from the call that made it (only its hash is
    stored)."""
    increment_minutes: int = 15
    """Offered start times fall every this many minutes of the local hour."""

    @property
    def key(self) -> str | None:
        """The last part of the page's URL (``None``: a secret link made earlier; it is not
        stored)."""
        return self.login if self.public else self.link_secret

    def url(self, base_url: str = DEFAULT_BASE_URL) -> str | None:
        """The page's address under ``base_url``: ``<base>/book/<key>`` (``None``: a secret
        link made earlier, which is not stored)."""
        key = self.key
        return None if key is None else f"{base_url.rstrip('/')}/book/{key}"

    def to_json(self, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
        """The settings as ``booking settings`` prints them in JSON (the link only in ``url``)."""
        return {
            "practitioner": self.practitioner_name,
            "enabled": self.enabled,
            "services": [
                {"name": s.name, "minutes": s.minutes, "location": s.place.location}
                | ({"link": s.place.link} if s.place.link else {})
                for s in self.services
            ],
            "notice_minutes": self.notice_minutes,
            "horizon_days": self.horizon_days,
            "buffer_minutes": self.buffer_minutes,
            "hold_minutes": self.hold_minutes,
            "new_clients": self.new_clients,
            "public": self.public,
            "increment_minutes": self.increment_minutes,
            "url": self.url(base_url),
        }


@dataclass(frozen=True)
class BookingPage:
    """What a visitor's page may show: the practitioner's name and services, nothing else."""

    practitioner_id: int
    practitioner_name: str
    practice_name: str
    key: str
    services: tuple[BookingService, ...]
    zone: str
    new_clients: bool
    notice: timedelta
    horizon: timedelta
    buffer: timedelta
    hold: timedelta
    increment: timedelta = timedelta(minutes=15)
    profile: PracticeProfile = field(default_factory=PracticeProfile)
    """The practice's public profile, in the header and footer of every page (issue 27)."""

    def service(self, name: str) -> BookingService | None:
        """The offered service called ``name`` exactly, or ``None``."""
        return next((s for s in self.services if s.name == name), None)


@dataclass(frozen=True)
class Visitor:
    """What a visitor typed (already checked by :func:`check_visitor`)."""

    name: str
    email: str
    phone: str | None = None
    message: str | None = None
