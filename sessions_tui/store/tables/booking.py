"""Online booking and client email: booking settings, services and requests, client contacts,
the mail outbox, reminder settings and the reminder log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from sessions_tui.store.types import UTCDateTime


class BookingSettingsRow(SQLModel, table=True):
    """Online booking settings of one practitioner (migration 0007).

    The page is found by ``link_hash`` (sha256 hex of the secret in its URL) when ``public`` is
    off, and by the practitioner's login when it is on. Only the hash is stored (migration
    0016): the secret link is shown once, when it is made, as feed tokens are.
    """

    __tablename__ = "booking_settings"

    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="staff.id", unique=True)
    enabled: bool = False
    notice_minutes: int = 1440
    horizon_days: int = 60
    buffer_minutes: int = 0
    hold_minutes: int = 2880
    increment_minutes: int = Field(default=15, sa_column_kwargs={"server_default": "15"})
    """Offered start times fall on this grid of the practitioner's local hour (migration 0015)."""
    new_clients: bool = True
    public: bool = False
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
    location: str | None = None
    """A practice location's name, or ``telehealth`` (issue 27); ``None``: not said."""
    link: str | None = None
    """The telehealth link, with ``location == "telehealth"``."""


class BookingRequestRow(SQLModel, table=True):
    """A visitor's request for a time: a pending hold until accepted, declined or expired.

    ``status`` is ``unverified`` (from the page, until its address opens the mailed link: it
    holds nothing, the practice does not see it, and it is dead once ``expires_at`` passes),
    ``pending``, ``accepted``, ``declined`` or ``expired``; a pending request whose
    ``expires_at`` has passed blocks nothing (and is marked expired when next seen).
    ``verify_hash`` is the sha256 hex of the link's token (migration 0015).
    """

    __tablename__ = "booking_request"
    __table_args__ = (
        Index("ix_booking_request_hold", "practitioner_id", "status", "start_utc"),
        Index("ix_booking_request_verify_hash", "verify_hash", unique=True),
        Index("ix_booking_request_email", "practitioner_id", "email"),
    )

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
    verify_hash: str | None = None
    verified_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


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
    cancel_reason: str | None = None
    """What the client wrote when cancelling from the link (optional; issue 27)."""
    answered_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
