"""SQLModel tables. Every instant is UTC (``UTCDateTime``); all-day items keep dates.

Schema changes go through Alembic (``store/migrations``); a test proves the migrations from an
empty database give exactly these tables.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from sessions_tui.store.types import UTCDateTime


class PracticeRow(SQLModel, table=True):
    """The practice's settings: one row, id 1."""

    __tablename__ = "practice"

    id: int | None = Field(default=None, primary_key=True)
    name: str = "My practice"
    internal_ids: bool = False
    allow_double_booking: bool = True
    display_tz: str | None = None
    week_starts_monday: bool = False
    demo_seeded_for: str | None = None


class StaffRow(SQLModel, table=True):
    """A member of staff; ``roles`` holds Role values separated by commas."""

    __tablename__ = "staff"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(unique=True, index=True)
    name: str
    roles: str  # comma-separated Role values
    color: str = ""
    default_session_minutes: int = 50


class ClientRow(SQLModel, table=True):
    """A client; ``internal_id`` is the practice's own record number (unique when set)."""

    __tablename__ = "client"
    __table_args__ = (Index("ix_client_name", "last_name", "first_name"),)

    id: int | None = Field(default=None, primary_key=True)
    first_name: str
    last_name: str
    internal_id: str | None = Field(default=None, unique=True)


class LocationRow(SQLModel, table=True):
    """A place sessions happen; archived ones stay for the events that name them."""

    __tablename__ = "location"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    archived: bool = False


class EventRow(SQLModel, table=True):
    """An event, the master of a series, or an overridden occurrence (``series_id`` set).

    ``start_utc``/``end_utc`` bound the event in time for the window query. For all-day events
    (which have no zone) they are padded by 14 hours each side of the dates' UTC midnights, so the
    index finds them from any display zone; the exact date test happens after the query.
    ``span_s`` is ``end_utc - start_utc`` in seconds; its maximum bounds the index range scan.
    """

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_window", "is_series", "start_utc"),
        Index("ix_event_prac_window", "practitioner_id", "is_series", "start_utc"),
        Index("ix_event_span", "is_series", "span_s"),
        Index("ix_event_series", "series_id", "recurrence_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # EventKind
    title: str = ""
    practitioner_id: int | None = Field(default=None, foreign_key="staff.id")
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    location_id: int | None = Field(default=None, foreign_key="location.id")
    all_day: bool = False
    start_utc: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    end_utc: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    start_date: date | None = None
    end_date: date | None = None
    span_s: int = 0
    tzid: str
    busy: bool = True
    status: str = "scheduled"
    notes_completed: bool = False
    rrule: str | None = None
    is_series: bool = False
    series_end_utc: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    series_id: int | None = Field(default=None, foreign_key="event.id")
    recurrence_key: str | None = None
    source_calendar: str | None = None
    uid: str = Field(unique=True)
    sequence: int = 0
    version: int = 1
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ExdateRow(SQLModel, table=True):
    """A deleted occurrence of a series (RFC 5545 EXDATE)."""

    __tablename__ = "exdate"
    __table_args__ = (UniqueConstraint("series_id", "recurrence_key"),)

    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(foreign_key="event.id", index=True)
    recurrence_key: str


class HoursRow(SQLModel, table=True):
    """Weekly hours: ``kind`` is ``office`` or ``availability``.

    No practitioner means the practice default.
    """

    __tablename__ = "hours"
    __table_args__ = (UniqueConstraint("kind", "practitioner_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    practitioner_id: int | None = Field(default=None, foreign_key="staff.id")
    tzid: str


class HoursIntervalRow(SQLModel, table=True):
    """One weekly interval of a set of hours: a weekday (0 = Monday) and ``HH:MM`` start and end."""

    __tablename__ = "hours_interval"

    id: int | None = Field(default=None, primary_key=True)
    hours_id: int = Field(foreign_key="hours.id", index=True)
    weekday: int
    start: str  # HH:MM
    end: str  # HH:MM, 00:00 = midnight


class DateOverrideRow(SQLModel, table=True):
    """Changed hours of one date for a practitioner's availability; empty spans = unavailable."""

    __tablename__ = "date_override"
    __table_args__ = (UniqueConstraint("hours_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    hours_id: int = Field(foreign_key="hours.id", index=True)
    day: date
    spans: str = ""  # "09:00-12:00,13:00-17:00"


class PreferenceRow(SQLModel, table=True):
    """Per-user remembered choices (filters, view), as JSON text."""

    __tablename__ = "preference"
    __table_args__ = (UniqueConstraint("staff_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id")
    key: str
    value: str


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


class AuditRow(SQLModel, table=True):
    """Append-only history of changes to events, hours and settings.

    Rows are written by database triggers (migration 0004), so every path that changes a row is
    recorded, and other triggers refuse any UPDATE or DELETE of this table.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: str  # ISO 8601 UTC, set by the database
    actor: str | None = None
    entity: str  # table name
    entity_id: int | None = None
    action: str  # insert | update | delete
    before: str | None = None  # JSON of the row before
    after: str | None = None  # JSON of the row after


class LockRow(SQLModel, table=True):
    """A named lease (the Google sync worker) on backends without advisory locks."""

    __tablename__ = "lock"

    name: str = Field(primary_key=True)
    holder: str
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class BookingSettingsRow(SQLModel, table=True):
    """Online booking settings of one practitioner (migration 0007).

    The page is found by ``link_hash`` (sha256 hex of the secret in its URL) when ``public`` is
    off, and by the practitioner's login when it is on; ``link_secret`` is kept so the link can
    be printed again (it is given to clients, like a phone number, not a credential).
    """

    __tablename__ = "booking_settings"

    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="staff.id", unique=True)
    enabled: bool = False
    notice_minutes: int = 1440
    horizon_days: int = 60
    buffer_minutes: int = 0
    hold_minutes: int = 2880
    new_clients: bool = True
    public: bool = False
    link_secret: str
    link_hash: str = Field(unique=True)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class BookingServiceRow(SQLModel, table=True):
    """A service offered on a practitioner's booking page ("Intake", 80 minutes)."""

    __tablename__ = "booking_service"
    __table_args__ = (UniqueConstraint("practitioner_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="staff.id", index=True)
    name: str
    minutes: int
    position: int = 0


class BookingRequestRow(SQLModel, table=True):
    """A visitor's request for a time: a pending hold until accepted, declined or expired.

    ``status`` is ``pending``, ``accepted``, ``declined`` or ``expired``; a pending request
    whose ``expires_at`` has passed blocks nothing (and is marked expired when next seen).
    """

    __tablename__ = "booking_request"
    __table_args__ = (Index("ix_booking_request_hold", "practitioner_id", "status", "start_utc"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True)
    practitioner_id: int = Field(foreign_key="staff.id")
    service: str
    minutes: int
    start_utc: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    end_utc: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    visitor_tz: str
    name: str
    email: str
    phone: str | None = None
    message: str | None = None
    status: str = "pending"
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    offered_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    decided_by: str | None = None
    reason: str | None = None
    event_id: int | None = None
    client_id: int | None = Field(default=None, foreign_key="client.id")


class ClientContactRow(SQLModel, table=True):
    """How to reach a client (kept beside ``client`` so booking can match them by email)."""

    __tablename__ = "client_contact"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", unique=True)
    email: str | None = Field(default=None, index=True)
    phone: str | None = None
    preferred_name: str | None = None
    """What the client likes to be called (reminders greet them by it; else the first name)."""
    reminders: bool = False
    """The client agreed to email reminders (migration 0011); none are sent otherwise."""
    reminders_given_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    """When that answer (yes or no) was given: the record of consent."""


class OutboxRow(SQLModel, table=True):
    """An email waiting to be sent (or sent: the log of what went out).

    ``status`` is ``pending``, ``sending`` (claimed by a worker), ``sent``, ``failed`` (gave
    up after the retries), and for reminders also ``unknown`` (a worker died while sending: it
    may or may not have gone; never sent again) or ``dropped`` (its session was cancelled or
    moved before it went).
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # received | confirmed | declined | offered | new-request | reminder
    request_id: int | None = Field(default=None, foreign_key="booking_request.id")
    to_addr: str
    subject: str
    body: str
    ics: str | None = None
    status: str = "pending"
    attempts: int = 0
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_error: str | None = None


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


class ReminderSettingsRow(SQLModel, table=True):
    """The practice's client reminder settings: one row, id 1 (migration 0011).

    ``hours`` lists the offsets before a session, comma-separated (``"48,24"``; empty: no
    reminders). ``subject``/``body`` are templates (:mod:`sessions_tui.domain.reminders`).
    ``cancel_hours``: clients may cancel from the email until this many hours before the
    session (``None``: they may only confirm). ``feed_alarm_minutes``: practitioners' ICS feeds
    carry a VALARM this many minutes before each event (``None``: none).
    """

    __tablename__ = "reminder_settings"

    id: int | None = Field(default=None, primary_key=True)
    hours: str = ""
    subject: str = ""
    body: str = ""
    cancel_hours: int | None = None
    feed_alarm_minutes: int | None = None
    base_url: str = ""
    """The web service's public address, the start of the links in reminders."""
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReminderLogRow(SQLModel, table=True):
    """The sent-log of client reminders: one row per (event, occurrence, offset, start).

    The row is inserted, with its outbox message, in the transaction that decides to send; the
    unique key makes a second worker's (or a restarted worker's) claim of the same reminder
    fail, so it is queued once. ``event_id`` is the one-off event or the series master;
    ``occurrence`` the occurrence's recurrence key (``""`` for a one-off); ``start_utc`` the
    time the reminder names, so a session moved after a reminder went gets one for its new time
    and none for the old. ``token_hash`` (sha256 hex) finds the occurrence from the email's
    confirm/cancel link; the token itself is only in the email.
    """

    __tablename__ = "reminder_log"
    __table_args__ = (
        UniqueConstraint("event_id", "occurrence", "offset_minutes", "start_utc"),
        Index("ix_reminder_log_occurrence", "event_id", "occurrence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int
    occurrence: str = ""
    offset_minutes: int
    start_utc: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    client_id: int = Field(foreign_key="client.id")
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    token_hash: str = Field(unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    answered: str | None = None  # confirmed | cancelled
    answered_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
