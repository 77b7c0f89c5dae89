"""The practice's nouns: staff, clients, locations, settings.

Frozen dataclasses; services return these, never database rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sessions_tui.domain.errors import ValidationError


class Role(StrEnum):
    """What a member of staff may do. A practitioner sees clients; the others run the practice."""

    ADMIN = "admin"
    SCHEDULER = "scheduler"
    PRACTITIONER = "practitioner"


_LOGIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$")


def validate_login(login: str) -> str:
    """A login is a short word: letters, digits, ``_ . @ -``."""
    login = login.strip()
    if not _LOGIN.match(login):
        raise ValidationError(
            f"bad login {login!r}: use letters, digits and _ . @ - (up to 64)", field="login"
        )
    return login


def validate_name(value: str, what: str) -> str:
    """A non-empty single-line name."""
    value = value.strip()
    if not value:
        raise ValidationError(f"{what} must not be empty", field=what.replace(" ", "_"))
    if "\n" in value or "\r" in value or len(value) > 200:
        raise ValidationError(
            f"{what} must be one line of at most 200 characters", field=what.replace(" ", "_")
        )
    return value


@dataclass(frozen=True)
class Staff:
    """A member of the practice. ``is_practitioner`` people have sessions on the calendar."""

    id: int
    login: str
    name: str
    roles: frozenset[Role]
    color: str = ""
    default_session_minutes: int = 50

    @property
    def is_admin(self) -> bool:
        """Holds the admin role."""
        return Role.ADMIN in self.roles

    @property
    def is_scheduler(self) -> bool:
        """Holds the scheduler role."""
        return Role.SCHEDULER in self.roles

    @property
    def is_practitioner(self) -> bool:
        """Holds the practitioner role (has sessions on the calendar)."""
        return Role.PRACTITIONER in self.roles

    @property
    def role_label(self) -> str:
        """The roles as ``admin,scheduler,practitioner`` (those held, in that order)."""
        order = [Role.ADMIN, Role.SCHEDULER, Role.PRACTITIONER]
        return ",".join(r.value for r in order if r in self.roles)


@dataclass(frozen=True)
class Client:
    """A person who has sessions. ``internal_id`` is the practice's own record number."""

    id: int
    first_name: str
    last_name: str
    internal_id: str | None = None

    @property
    def full_name(self) -> str:
        """First and last name, space-separated (stripped when one is empty)."""
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def initials(self) -> str:
        """The first letter of each name, upper-cased, each followed by a dot (``A.B.``)."""
        parts = [p for p in (self.first_name, self.last_name) if p]
        return "".join(p[0].upper() + "." for p in parts)


@dataclass(frozen=True)
class ClientContact:
    """How to reach a client and whether they want email reminders.

    Attributes:
        client_id: The client.
        email: Their address (``None``: none known).
        phone: Their phone number, as typed.
        preferred_name: What they like to be called; reminders greet them by it.
        reminders: They agreed to email reminders.
        reminders_given_at: When that answer (yes or no) was recorded.
    """

    client_id: int
    email: str | None = None
    phone: str | None = None
    preferred_name: str | None = None
    reminders: bool = False
    reminders_given_at: datetime | None = None


@dataclass(frozen=True)
class Location:
    """A place sessions happen (a room, a clinic, "Telehealth")."""

    id: int
    name: str
    archived: bool = False


@dataclass(frozen=True)
class PracticeSettings:
    """Practice-wide settings that admins change."""

    name: str = "My practice"
    internal_ids: bool = False
    allow_double_booking: bool = True
    display_tz: str | None = None
    week_starts_monday: bool = False
    is_demo: bool = False
    """Made by ``sessions-tui demo``: anyone may act as any of its (invented) staff."""


def parse_roles(text: str) -> frozenset[Role]:
    """``admin,practitioner`` → roles; a clear error names a bad one."""
    roles: set[Role] = set()
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        try:
            roles.add(Role(part))
        except ValueError:
            raise ValidationError(
                f"unknown role {part!r} (expected admin, scheduler or practitioner)", field="role"
            ) from None
    if not roles:
        raise ValidationError("a member of staff needs at least one role", field="role")
    return frozenset(roles)
