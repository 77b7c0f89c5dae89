"""The provider-neutral part of two-way sync: the rules every provider (Google, CalDAV) follows.

A provider knows its protocol (how to list, fetch and write events, what a version tag is);
what it does with them is decided here, once:

- **Titles**: a client session's pushed title is the client as the practice's identifier
  choice names them (:func:`client_labels`), ``Cancelled: `` before it when cancelled; other
  events keep their own title. A session's title is *locked*: an edit made in the provider is
  not taken (the provider's copy differs from what we would push, so it is pushed back).
- **The lock marker**: a client session is pushed private (Google's ``visibility: private``,
  iCalendar's ``CLASS:PRIVATE``: the provider shows its lock) with one description line
  (:data:`LOCKED_NOTE`) saying where its title is set. Neither is part of the content both sides
  compare, so adding the marker re-pushes nothing by itself.
- **Protected deletes**: a client session with completed notes, or cancelled, is never deleted
  by a sync (:func:`is_protected`; the one writer enforces it, whatever shape the delete takes).
- **Busy/free**: a provider's free ("transparent") events are stored free and never block
  booking; busy ones do (the mapping in :mod:`sessions_tui.domain.external`).
- **Where an event is pushed**: an event tied to one of the account's calendars
  (``source_calendar``: pulled from it, or a "this and following" fork of such an event) goes
  back to that calendar and never to another (:func:`target_calendar`); everything else goes to
  the default calendar. A calendar that is no longer selected keeps its events, tied to it and
  never pushed elsewhere. In one-way mode nothing tied to the provider is pushed.
- **Conflicts** (both sides changed since they last agreed): a client session keeps the local
  version; any other event keeps the later change (:func:`keep_local`). Each is counted.
- **Idempotent steps**: a provider writes its link (what both sides agreed on) only after the
  remote write succeeded, and recognises its own writes coming back (by a uid it chose), so a
  run killed anywhere and run again neither duplicates nor loses anything.

Switching two-way to one-way removes that provider's events from the local calendar:
:func:`sessions_tui.services.sync_common.remove_provider_events` (a service, as the settings
screens call it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.domain.events import Event
from sessions_tui.services.feeds import IdentifierMode, client_label
from sessions_tui.services.writer_rules import is_protected as is_protected
from sessions_tui.store import queries
from sessions_tui.store.tables import ClientRow, PracticeRow

CANCELLED_PREFIX = "Cancelled: "

LOCKED_NOTE = (
    "The title of this session is set by the practice's calendar (sessions-tui): change it there."
)
"""The one description line a client session is pushed with (it is also pushed private:
``visibility: private`` / ``CLASS:PRIVATE``, so the provider shows its own lock)."""


@dataclass
class SyncReport:
    """What one run did. ``summary()`` is the line ``google sync``/``caldav sync`` print."""

    pushed: int = 0
    pulled: int = 0
    deleted: int = 0
    conflicts: int = 0
    errors: int = 0
    full_resyncs: int = 0
    requests: int = 0
    messages: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the status and the CLI: what was pushed, pulled, deleted."""
        return (
            f"pushed {self.pushed}, pulled {self.pulled}, deleted {self.deleted}, "
            f"conflicts {self.conflicts}, errors {self.errors}"
        )


@dataclass(frozen=True)
class SyncProgress:
    """A progress note for the UI: ``phase`` is ``pull`` or ``push``."""

    phase: str
    calendar_id: str
    done: int


@dataclass(frozen=True)
class PendingChanges:
    """Local changes not yet in the provider (queued while offline, pushed by the next sync)."""

    to_push: int
    to_delete: int

    @property
    def total(self) -> int:
        """How many writes the plan makes on the remote side."""
        return self.to_push + self.to_delete


def client_labels(
    s: Session, events: Iterable[Event], identifier: IdentifierMode
) -> dict[int, str]:
    """Client id → the name pushed for them, by the practice's identifier choice."""
    ids = {e.client_id for e in events if e.is_session and e.client_id is not None}
    if not ids:
        return {}
    settings = queries.settings_from_row(s.get(PracticeRow, 1))
    out: dict[int, str] = {}
    for r in s.execute(select(ClientRow).where(col(ClientRow.id).in_(ids))).scalars():  # type: ignore[union-attr]
        assert r.id is not None
        out[r.id] = client_label(
            queries.client_from_row(r), identifier, internal_ids=settings.internal_ids
        )
    return out


def pushed_title(event: Event, labels: Mapping[int, str]) -> str:
    """The title a provider gets for ``event`` (locked for client sessions)."""
    if not event.is_session:
        return event.title
    label = labels.get(event.client_id or -1, "Client")
    return CANCELLED_PREFIX + label if event.is_cancelled else label


def newer_local(local_updated: datetime, remote_updated: datetime | str | None) -> bool:
    """Whether the local change is at least as recent as the remote one (no time: local)."""
    if remote_updated is None or remote_updated == "":
        return True
    if isinstance(remote_updated, str):
        remote = datetime.fromisoformat(remote_updated.replace("Z", "+00:00"))
    else:
        remote = remote_updated
    if remote.tzinfo is None:
        remote = remote.replace(tzinfo=UTC)
    return local_updated.astimezone(UTC) >= remote.astimezone(UTC)


def keep_local(
    event: Event, local_updated: datetime, remote_updated: datetime | str | None
) -> bool:
    """The conflict rule: sessions keep the local version, other events the later change."""
    return event.is_session or newer_local(local_updated, remote_updated)


def target_calendar(
    event: Event, linked_calendar: str | None, calendars: Iterable[str], default: str
) -> str:
    """Where ``event`` is pushed: its link's calendar, else the account calendar it is tied
    to (``source_calendar``), else the default calendar."""
    if linked_calendar is not None:
        return linked_calendar
    if event.source_calendar is not None and event.source_calendar in set(calendars):
        return event.source_calendar
    return default
