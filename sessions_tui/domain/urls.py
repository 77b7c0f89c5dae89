"""Addresses checked where they are set: a public base URL and a host to listen on.

``ics url --base-url notaurl`` printed ``notaurl/feeds/….ics``, a link no calendar app can
follow, and ``--host 999.1.1.1`` got as far as the resolver (issue 28). Each is now refused
in one line naming what was wrong, before anything is stored or started.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from sessions_tui.domain.errors import ValidationError

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.IGNORECASE)


def is_host(value: str) -> bool:
    """Whether ``value`` is an IP address or a well-formed DNS host name (not resolved)."""
    try:
        ipaddress.ip_address(value.strip("[]"))
        return True
    except ValueError:
        pass
    name = value.rstrip(".")
    if not name or len(name) > 253:
        return False
    labels = name.split(".")
    # All-numeric dotted names are IPv4 addresses or nothing (999.1.1.1 is not an address).
    if all(label.isdigit() for label in labels):
        return False
    return all(_LABEL.match(label) for label in labels)


def check_host(value: str, what: str = "--host") -> str:
    """``value`` if it is an address or host name to listen on, else one line saying why."""
    if not is_host(value):
        raise ValidationError(f"bad {what} {value!r}: not an IP address or host name")
    return value


def check_base_url(value: str, what: str = "--base-url") -> str:
    """A public base URL: ``http(s)://host[:port][/path]``, no query or fragment; returned
    without a trailing slash. Anything else is one line saying what a base URL looks like."""
    example = "e.g. https://cal.example.org"
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise ValidationError(f"bad {what} {value!r}: no spaces or control characters ({example})")
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a bad port
    except ValueError as exc:
        raise ValidationError(f"bad {what} {value!r}: {exc} ({example})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            f"bad {what} {value!r}: give the address with http:// or https:// ({example})"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValidationError(
            f"bad {what} {value!r}: no query, fragment or user name in a base URL ({example})"
        )
    if not is_host(parts.hostname) or port == 0:
        raise ValidationError(f"bad {what} {value!r}: {parts.hostname!r} is not a host name")
    return value.rstrip("/")
