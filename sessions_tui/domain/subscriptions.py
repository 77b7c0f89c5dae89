"""Read-only ICS subscriptions: the rules, as plain Python (no store, no network).

A subscription is a calendar someone else keeps (a school-holiday feed, a partner's shared
``.ics`` URL) that a practitioner's calendar follows. Its events are stored as that
practitioner's *other* events (through the one mapping, :mod:`sessions_tui.domain.external`)
with ``source_calendar`` = :func:`source_of` its id, so every view, availability and the
booking page see them; they are never pushed anywhere and never published in the practice's
own feeds.

- **URLs**: ``webcal://`` is read as ``https://`` (what calendar apps do today); ``https://``
  as is; ``http://`` only for a loopback host (a feed served on the same machine, tests),
  since a plain-HTTP feed of someone's busy times could be read or changed on the way.
- **Busy or free**: :class:`BusyMode` — every event busy, every event free, or as the feed
  marks each one (``TRANSP``; busy when unmarked).
- **Schedule**: a subscription is due every ``interval`` minutes after its last attempt; after
  a failure, sooner at first (5, 10, 20 … minutes) but never later than the interval, so a
  feed that comes back is picked up soon and a dead one is not hammered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.text import has_controls

SOURCE_PREFIX = "subscription:"
"""``source_calendar`` of a subscription's events: this prefix and the subscription's id."""

MARK = "⇣"
"""Shown before a subscribed event in the calendar and agenda (with a style, never colour
alone): it comes from a feed and changes there, not here."""

DEFAULT_INTERVAL_MINUTES = 60
MIN_INTERVAL_MINUTES = 5
MAX_INTERVAL_MINUTES = 7 * 24 * 60
RETRY_FIRST_MINUTES = 5
MAX_URL_LENGTH = 2000
MAX_NAME_LENGTH = 80


class BusyMode(StrEnum):
    """How a subscription's events count for booking."""

    BUSY = "busy"
    """Every event blocks booking (a partner's calendar: any entry means "not free")."""
    FREE = "free"
    """No event blocks booking (a school-holiday feed shown for information)."""
    FEED = "feed"
    """As the feed marks each event: ``TRANSP:TRANSPARENT`` is free, anything else busy."""

    def busy(self, feed_busy: bool) -> bool:
        """Whether an event the feed marks ``feed_busy`` blocks booking here."""
        if self is BusyMode.BUSY:
            return True
        if self is BusyMode.FREE:
            return False
        return feed_busy

    @property
    def label(self) -> str:
        """How the choice reads in the status and the CLI."""
        return {"busy": "busy", "free": "free", "feed": "as the feed marks them"}[self.value]


def source_of(subscription_id: int) -> str:
    """The ``source_calendar`` of a subscription's events."""
    return f"{SOURCE_PREFIX}{subscription_id}"


def subscription_id(source_calendar: str | None) -> int | None:
    """The subscription an event came from, or ``None`` (typed here, Google, an import)."""
    if not source_calendar or not source_calendar.startswith(SOURCE_PREFIX):
        return None
    rest = source_calendar[len(SOURCE_PREFIX) :]
    return int(rest) if rest.isdigit() else None


def is_subscribed(source_calendar: str | None) -> bool:
    """Whether an event with this ``source_calendar`` came from a subscription (read-only,
    never pushed to Google or CalDAV, never in a published feed)."""
    return subscription_id(source_calendar) is not None


def _loopback(host: str) -> bool:
    import ipaddress  # here: the agenda's fast path imports this module for is_subscribed

    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_url(url: str) -> str:
    """The URL to fetch for what a user typed (see the module's rules).

    Raises:
        ValidationError: not a URL we fetch, naming why.
    """
    from urllib.parse import urlsplit, urlunsplit

    raw = url.strip()
    if not raw:
        raise ValidationError("the subscription URL is empty", field="url")
    if len(raw) > MAX_URL_LENGTH:
        raise ValidationError(f"the URL is longer than {MAX_URL_LENGTH} characters", field="url")
    if any(ord(c) < 33 or ord(c) == 127 for c in raw):
        raise ValidationError("the URL has spaces or control characters in it", field="url")
    parts = urlsplit(raw)
    scheme = parts.scheme.casefold()
    if scheme in ("webcal", "webcals"):
        scheme = "https"
    host = parts.hostname or ""
    if scheme not in ("https", "http") or not host:
        raise ValidationError(
            f"bad URL {raw!r}: use webcal://, https:// (or http:// on this machine)", field="url"
        )
    if scheme == "http" and not _loopback(host):
        raise ValidationError(
            f"bad URL {raw!r}: plain http:// is only fetched from this machine "
            "(127.0.0.1, localhost); use https:// or webcal://",
            field="url",
        )
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise ValidationError(f"bad URL {raw!r}: the port is not a number", field="url") from None
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))


def display_url(url: str) -> str:
    """The URL without its query or user part, for logs and status lines: a shared calendar's
    secret is often in its path or query, so logs name only the scheme and host."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}"


def check_name(name: str) -> str:
    """A subscription's label, stripped; one line, not empty, not too long."""
    label = " ".join(name.split())
    if has_controls(label):
        raise ValidationError("the name has control characters in it", field="name")
    if not label:
        raise ValidationError("the subscription needs a --name", field="name")
    if len(label) > MAX_NAME_LENGTH:
        raise ValidationError(f"the name is longer than {MAX_NAME_LENGTH} characters", field="name")
    if label.isdigit():
        raise ValidationError(
            "the name cannot be only digits (numbers name subscriptions by id)", field="name"
        )
    return label


def check_interval(minutes: int) -> int:
    """``minutes`` if it is an allowed refresh interval, else a ValidationError naming the range."""
    if not MIN_INTERVAL_MINUTES <= minutes <= MAX_INTERVAL_MINUTES:
        raise ValidationError(
            f"the refresh interval must be {MIN_INTERVAL_MINUTES} to {MAX_INTERVAL_MINUTES} "
            "minutes",
            field="interval",
        )
    return minutes


def next_due(
    last_attempt: datetime | None, failures: int, interval_minutes: int
) -> datetime | None:
    """When a subscription should next be fetched (``None``: now, it never was)."""
    if last_attempt is None:
        return None
    minutes = interval_minutes
    if failures > 0:
        minutes = min(interval_minutes, RETRY_FIRST_MINUTES * 2 ** min(failures - 1, 16))
    return last_attempt + timedelta(minutes=minutes)


def is_due(now: datetime, last_attempt: datetime | None, failures: int, interval: int) -> bool:
    """Whether a refresh is due at ``now``, given the last attempt and failures (backoff)."""
    due = next_due(last_attempt, failures, interval)
    return due is None or now >= due


@dataclass(frozen=True)
class Subscription:
    """A subscription as the services give it out (no secret is hidden: only those who may
    manage it are given one).

    Attributes:
        url: What is fetched (normalized: webcal became https).
        etag, last_modified: The validators of the last good copy (conditional GET).
        last_success_at: The last fetch that gave a good copy (or a 304).
        last_error: Why the last attempt failed, ``None`` when it did not.
        event_count: Events stored from the last good copy.
    """

    id: int
    practitioner_id: int
    practitioner: str
    name: str
    url: str
    busy: BusyMode
    interval_minutes: int
    created_at: datetime
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    event_count: int
    etag: str | None = None
    last_modified: str | None = None

    @property
    def source_calendar(self) -> str:
        """The ``source_calendar`` value that marks this subscription's events."""
        return source_of(self.id)

    @property
    def healthy(self) -> bool:
        """True when the last refresh did not fail."""
        return self.last_error is None

    def status_line(self) -> str:
        """One line: fresh, or stale since when and why (the last good copy is kept)."""
        if self.last_success_at is None and self.last_error is None:
            return "not fetched yet"
        if self.last_success_at is None:
            return f"failing: {self.last_error}; no good copy yet"
        ok = f"last good copy {self.last_success_at:%Y-%m-%d %H:%M} UTC"
        if self.last_error is None:
            return f"ok, {self.event_count} events ({ok})"
        return f"failing: {self.last_error}; keeping the {ok} ({self.event_count} events)"
