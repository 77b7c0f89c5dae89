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
    __tablename__ = "staff"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(unique=True, index=True)
    name: str
    roles: str  # comma-separated Role values
    color: str = ""
    default_session_minutes: int = 50


class ClientRow(SQLModel, table=True):
    __tablename__ = "client"
    __table_args__ = (Index("ix_client_name", "last_name", "first_name"),)

    id: int | None = Field(default=None, primary_key=True)
    first_name: str
    last_name: str
    internal_id: str | None = Field(default=None, unique=True)


class LocationRow(SQLModel, table=True):
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
    series_end_utc: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
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
    """Weekly hours: ``kind`` is ``office`` or ``availability``; no practitioner = practice default."""

    __tablename__ = "hours"
    __table_args__ = (UniqueConstraint("kind", "practitioner_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    practitioner_id: int | None = Field(default=None, foreign_key="staff.id")
    tzid: str


class HoursIntervalRow(SQLModel, table=True):
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
