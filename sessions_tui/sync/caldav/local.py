"""The local side of a CalDAV sync: links, local families, their hashes; href helpers.

:class:`LocalStore` finds and makes ``sync_link`` rows, loads a local *family* (a one-off, or
a master with its overrides: one resource), hashes it as it would be pushed, and writes through
the one :class:`~sessions_tui.services.writer.Writer`, so the booking and permission rules hold
for a sync as for a person.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.domain.events import Event
from sessions_tui.store import queries
from sessions_tui.store.tables import EventRow, SyncLinkRow
from sessions_tui.sync.caldav.ical import Family, family_hash
from sessions_tui.sync.caldav.state import EngineState
from sessions_tui.sync.core.engine import BAD_ITEM as BAD_ITEM
from sessions_tui.sync.engine import client_labels, pushed_title


def href_key(href: str) -> str:
    """What identifies a resource whatever its spelling: the decoded path."""
    return unquote(urlsplit(href).path)


def make_titler(labels: Mapping[int, str]) -> Callable[[Event], str]:
    """The title each event is pushed with, given the client labels of a family."""
    return lambda ev: pushed_title(ev, labels)


def collection_path(cal_url: str) -> str:
    """The path of a calendar collection, ending in ``/`` (a new resource's href is under it)."""
    path = urlsplit(cal_url).path
    return path if path.endswith("/") else path + "/"


class LocalStore(EngineState):
    """Links and local families as the sync reads and writes them."""

    def _link(
        self, s: Session, cal_url: str, href: str, *, loose: bool = False
    ) -> SyncLinkRow | None:
        """The link of ``href``; ``loose`` also finds it spelled another way (a pulled href)."""
        found = self._find_link(s, cal_url, href)
        if found is not None or not loose:
            return found
        # The same resource spelled another way (percent-encoding): found by its key, and
        # stored as the server spells it from now on.
        key = href_key(href)
        for link in self._calendar_links(s, cal_url):
            if href_key(link.remote_id) == key:
                link.remote_id = href
                return link
        return None

    def _new_link(
        self,
        s: Session,
        cal_url: str,
        href: str,
        uid: str,
        event_id: int | None,
        origin: str,
    ) -> SyncLinkRow:
        return self._add_link(s, cal_url, href, event_id, origin, uid=uid)

    def _family(self, s: Session, event_id: int | None) -> tuple[EventRow, Family] | None:
        loaded = self._load(s, event_id)  # the row and its event, deleted occurrences included
        if loaded is None:
            return None
        row, master = loaded
        overrides: tuple[Event, ...] = ()
        if row.rrule is not None:
            overrides = tuple(
                queries.row_to_event(r)
                for r in s.execute(
                    select(EventRow).where(col(EventRow.series_id) == row.id)
                ).scalars()
            )
        return row, Family(master, overrides)

    def _hash(self, s: Session, family: Family) -> str:
        labels = client_labels(s, [family.master, *family.overrides], self.identifier)
        return family_hash(family.master, family.overrides, make_titler(labels))
