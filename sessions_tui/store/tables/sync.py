"""What links the practice to other calendars: published ICS feeds, Google and CalDAV accounts,
calendars and per-event links, and ICS subscriptions."""

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


class GoogleAccountRow(SQLModel, table=True):
    """Two-way Google sync settings of one practitioner (migration 0003).

    ``mode`` is ``two-way`` or ``one-way``; ``identifier`` names clients in pushed titles.
    """

    __tablename__ = "google_account"

    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="staff.id", unique=True)
    mode: str = "two-way"
    connected: bool = True
    identifier: str = "initials"
    last_sync_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    last_result: str | None = None
    last_error: str | None = None


class GoogleCalendarRow(SQLModel, table=True):
    """A Google calendar of an account: the default one, or a secondary one pulled in."""

    __tablename__ = "google_calendar"
    __table_args__ = (UniqueConstraint("account_id", "calendar_id"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="google_account.id", index=True)
    calendar_id: str
    summary: str = ""
    role: str = "secondary"  # default | secondary
    selected: bool = True
    sync_token: str | None = None
    access_role: str | None = None
    """Google's calendarList ``accessRole`` (``owner``, ``writer``, ``reader``,
    ``freeBusyReader``); ``None`` until the sync engine has asked."""


READ_ONLY_ROLES = frozenset({"reader", "freeBusyReader"})
"""Access roles that may not write events: such calendars are pulled, never pushed to."""


class GoogleLinkRow(SQLModel, table=True):
    """A local event (or override) tied to a Google event.

    ``event_id`` has no foreign key on purpose: a link outlives its local event until the
    deletion has been pushed. ``local_hash`` is the hash of the Google body both sides agreed on
    at the last sync; ``etag`` the Google version seen then.
    """

    __tablename__ = "google_link"
    __table_args__ = (UniqueConstraint("calendar_id", "google_event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="google_account.id", index=True)
    event_id: int | None = Field(default=None, index=True)
    calendar_id: str
    google_event_id: str
    etag: str | None = None
    local_hash: str | None = None
    origin: str = "local"  # local | google
    synced_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class CalDavAccountRow(SQLModel, table=True):
    """Two-way CalDAV sync settings of one practitioner (migration 0009).

    ``url`` is what the user gave ``caldav connect`` (a server root or principal URL; discovery
    finds the calendars from it); the password is never stored here (see
    ``sync/caldav/secret.py``). ``mode`` and ``identifier`` as for Google.
    """

    __tablename__ = "caldav_account"

    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="staff.id", unique=True)
    url: str
    username: str
    mode: str = "two-way"
    connected: bool = True
    identifier: str = "initials"
    last_sync_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    last_result: str | None = None
    last_error: str | None = None


class CalDavCalendarRow(SQLModel, table=True):
    """A calendar collection of a CalDAV account: the default one (pushed to and pulled from)
    or a secondary one (pulled). ``sync_token`` is the RFC 6578 token of the last complete
    listing; ``None`` means list in full next time (ETags decide what is fetched)."""

    __tablename__ = "caldav_calendar"
    __table_args__ = (UniqueConstraint("account_id", "url"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="caldav_account.id", index=True)
    url: str
    summary: str = ""
    role: str = "secondary"  # default | secondary
    selected: bool = True
    sync_token: str | None = None
    read_only: bool = False


class CalDavLinkRow(SQLModel, table=True):
    """A local event family (a one-off, or a series with its overrides) tied to one CalDAV
    resource (one ``.ics`` object: the master VEVENT and its RECURRENCE-ID overrides).

    ``event_id`` (the one-off or the series' master) has no foreign key, as for Google: the link
    outlives its event until the delete has been pushed. ``local_hash`` is the hash of the
    content both sides agreed on at the last sync, ``etag`` the server's version seen then,
    ``uid`` the resource's iCalendar UID.
    """

    __tablename__ = "caldav_link"
    __table_args__ = (UniqueConstraint("calendar_url", "href"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="caldav_account.id", index=True)
    event_id: int | None = Field(default=None, index=True)
    calendar_url: str
    href: str
    uid: str
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
