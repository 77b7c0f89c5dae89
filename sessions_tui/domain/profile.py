"""The practice's public profile and a booking service's place: what clients are shown.

Pure rules, no store. A profile is shown on every booking page and in every email the practice
sends clients (issue 27), so each value is checked where it is set: printable text of a bounded
length, a phone number of phone characters only, a privacy-policy link that is ``http(s)``.
Pages escape every value when they draw it; emails are plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sessions_tui.domain.errors import ValidationError

LIMITS = {"phone": 40, "address": 200, "note": 300, "privacy_url": 300, "link": 300}
"""Longest accepted value of each field, in characters."""
_PHONE_CHARS = frozenset("0123456789+-() ./")
TELEHEALTH = "telehealth"
"""A service's place when it is held online (with an optional link)."""


@dataclass(frozen=True)
class PracticeProfile:
    """What a client is told about the practice (every field may be empty)."""

    name: str = ""
    phone: str | None = None
    address: str | None = None
    note: str | None = None
    privacy_url: str | None = None

    def mail_footer(self, *, with_name: bool = True) -> str:
        """The lines an email ends with: name, phone, address, note, privacy link."""
        phone = f"Phone: {self.phone}" if self.phone else None
        lines = [x for x in (self.name if with_name else None, phone, self.address) if x]
        if self.note:
            lines.append(self.note)
        if self.privacy_url:
            lines.append(f"Privacy policy: {self.privacy_url}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ServicePlace:
    """Where a booking service happens: a location's name, or telehealth with a link."""

    location: str | None = None
    """A practice location's name, or :data:`TELEHEALTH`; ``None``: not said."""
    link: str | None = None
    """The telehealth link (only with :data:`TELEHEALTH`)."""

    @property
    def telehealth(self) -> bool:
        """Held online."""
        return self.location == TELEHEALTH

    def text(self, *, with_link: bool = False) -> str | None:
        """``Telehealth (https://…)`` (the link only ``with_link``), ``Telehealth``, the
        location's name, or ``None``.

        A telehealth link is a way into the practitioner's room: it goes only to a client whose
        session is confirmed (the confirmation and its calendar file), never on the public page
        nor in a mail to an address not yet known to be the client's."""
        if self.telehealth:
            return f"Telehealth ({self.link})" if self.link and with_link else "Telehealth"
        return self.location


def _text(value: str | None, field: str, label: str) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if not value or value.lower() in ("none", "off"):
        return None
    if len(value) > LIMITS[field] or any(not c.isprintable() for c in value):
        raise ValidationError(
            f"bad {label}: at most {LIMITS[field]} printable characters", field=field
        )
    return value


def check_url(value: str | None, field: str, label: str) -> str | None:
    """An ``http(s)`` address with a host, or ``None`` (empty, ``none``)."""
    text = _text(value, field, label)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
        raise ValidationError(f"bad {label} {text!r}: an http:// or https:// address", field=field)
    return text


def check_phone(value: str | None) -> str | None:
    """Digits, spaces and ``+ - ( ) . /`` only, with at least one digit; or ``None``."""
    text = _text(value, "phone", "phone")
    if text is None:
        return None
    bad = sorted({c for c in text if c not in _PHONE_CHARS})
    if bad or not any(c.isdigit() for c in text):
        shown = "".join(bad) or "no digit"
        raise ValidationError(
            f"bad phone {text!r}: digits, spaces and + - ( ) . / only ({shown})", field="phone"
        )
    return text


def check_profile(
    phone: str | None, address: str | None, note: str | None, privacy_url: str | None
) -> tuple[str | None, str | None, str | None, str | None]:
    """The profile's fields checked (see the module docstring)."""
    return (
        check_phone(phone),
        _text(address, "address", "address"),
        _text(note, "note", "note"),
        check_url(privacy_url, "privacy_url", "privacy-policy link"),
    )


def parse_place(text: str) -> ServicePlace:
    """``telehealth``, ``telehealth https://…``, a location name, or ``""`` (not said)."""
    text = " ".join(text.split())
    if not text:
        return ServicePlace()
    head, _, rest = text.partition(" ")
    if head.lower() == TELEHEALTH:
        return ServicePlace(TELEHEALTH, check_url(rest or None, "link", "telehealth link"))
    return ServicePlace(_text(text, "address", "location"))
