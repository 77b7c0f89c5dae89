"""What links the practice to other calendars: published ICS feeds, two-way sync accounts (Google
and CalDAV, one set of tables with a provider column), their calendars and item links, and ICS
subscriptions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from sessions_tui.store.types import UTCDateTime


class FeedRow(SQLModel, table=True):
    """One-way sync (ICS feed) settings of a practitioner.

    Only ``token_hash`` (sha256 hex of the secret token) is kept (migration 0006), so a copy
    of the database gives no working URL; the server looks feeds up by it and compares in
    constant time.
    """

    __tablename__ = "feed"

    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="staff.id", unique=True)
    enabled: bool = False
    identifier: str = "initials"
    token_hash: str | None = Field(default=None, unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    rotated_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class SyncAccountRow(SQLModel, table=True):
    """Two-way sync settings of one practitioner with one provider (migration 0014; before it
    ``google_account`` and ``caldav_account``).

    ``provider`` is ``google`` or ``caldav``. ``url`` is what the user gave ``caldav connect``
    (a server root or principal URL; discovery finds the calendars from it) and ``username``
    the CalDAV login: both ``None`` for Google. No password or OAuth token is stored here (see
    ``sync/caldav/secret.py`` and ``sync/oauth.py``). ``mode`` is ``two-way`` or ``one-way``;
    ``identifier`` names clients in pushed titles.
    """

    __tablename__ = "sync_account"
    __table_args__ = (UniqueConstraint("provider", "practitioner_id"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str
    practitioner_id: int = Field(foreign_key="staff.id")
    url: str | None = None
    username: str | None = None
    mode: str = "two-way"
    connected: bool = True
    identifier: str = "initials"
    last_sync_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    last_result: str | None = None
    last_error: str | None = None


class SyncCalendarRow(SQLModel, table=True):
    """A remote calendar of an account: the default one (pushed to and pulled from) or a
    secondary one (pulled).

    ``calendar`` is the Google calendar id or the CalDAV collection URL. ``sync_token`` is the
    cursor of the last complete listing (Google's ``nextSyncToken``, RFC 6578's token);
    ``None`` means list in full next time. ``access_role`` is Google's calendarList
    ``accessRole`` (``owner``, ``writer``, ``reader``, ``freeBusyReader``; ``None`` until asked,
    and for CalDAV); ``read_only`` is set when a CalDAV server refused a write.
    """

    __tablename__ = "sync_calendar"
    __table_args__ = (UniqueConstraint("account_id", "calendar"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="sync_account.id", index=True)
    calendar: str
    summary: str = ""
    role: str = "secondary"  # default | secondary
    selected: bool = True
    sync_token: str | None = None
    access_role: str | None = None
    read_only: bool = False


READ_ONLY_ROLES = frozenset({"reader", "freeBusyReader"})
"""Google access roles that may not write events: such calendars are pulled, never pushed to."""


class SyncLinkRow(SQLModel, table=True):
    """A local event tied to one remote *item*: a Google event (one per event or override: a
    Google override is its own event) or a CalDAV resource (one per family: the ``.ics`` holds
    the master VEVENT and its RECURRENCE-ID overrides).

    ``remote_id`` is the Google event id or the CalDAV href; ``uid`` the resource's iCalendar
    UID (``None`` for Google). ``event_id`` has no foreign key on purpose: a link outlives its
    local event until the deletion has been pushed. ``local_hash`` is the hash of the content
    both sides agreed on at the last sync, ``etag`` the remote version seen then. ``origin`` is
    ``local`` (made here and pushed) or ``remote`` (made there and pulled). Links are per
    account: two practitioners connected to one shared calendar each link its events.
    """

    __tablename__ = "sync_link"
    __table_args__ = (UniqueConstraint("account_id", "calendar", "remote_id"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="sync_account.id", index=True)
    event_id: int | None = Field(default=None, index=True)
    calendar: str
    remote_id: str
    uid: str | None = None
    etag: str | None = None
    local_hash: str | None = None
    origin: str = "local"  # local | remote
    synced_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class SubscriptionRow(SQLModel, table=True):
    """A read-only ICS subscription of a practitioner (migration 0010).

    Its events are event rows with ``source_calendar = "subscription:<id>"``. ``busy`` is a
    :class:`~sessions_tui.domain.subscriptions.BusyMode` value; ``etag``/``last_modified`` are
    the last good copy's validators for conditional GETs; ``body_hash`` (sha256 of that copy)
    lets a server without validators send the same body without anything being rewritten.
    """

    __tablename__ = "subscription"
    __table_args__ = (
        UniqueConstraint("practitioner_id", "url"),
        UniqueConstraint("practitioner_id", "name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="staff.id", index=True)
    name: str
    url: str
    busy: str = "feed"
    interval_minutes: int = 60
    created_by: str | None = None
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    last_success_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    last_error: str | None = None
    last_error_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    failures: int = 0
    event_count: int = 0
