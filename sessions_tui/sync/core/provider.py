"""The providers the one engine syncs with, and what it needs to know of each.

The unit a provider stores is an **item**: a Google event (a series' overrides are events of
their own, linked one by one) or a CalDAV resource (one ``.ics``: a series with its overrides,
linked as a family). A link (``sync_link``) ties one item to one local event: the event itself,
or the series master for a CalDAV family. ``remote_id`` is the item's id in its calendar (the
Google event id, the CalDAV href); ``etag`` its version; ``sync_calendar.sync_token`` the
cursor a calendar's changes are listed from (Google's sync token, RFC 6578's; none: a full
listing, compared by ETag).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    """A kind of two-way account."""

    name: str
    """As stored in ``sync_account.provider``: ``google`` or ``caldav``."""
    label: str
    """As people read it: ``Google``, ``CalDAV``."""

    @property
    def connect_hint(self) -> str:
        """The command line that (re)connects an account."""
        return f"sessions-tui {self.name} connect"


GOOGLE = Provider("google", "Google")
CALDAV = Provider("caldav", "CalDAV")
