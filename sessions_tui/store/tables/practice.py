"""The practice and its people: practice, staff, clients, locations, office hours (weekly
intervals and date overrides), per-user preferences, the audit log and advisory locks."""

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
    # The public profile (issue 27): shown on booking pages and in emails to clients.
    phone: str | None = None
    address: str | None = None
    note: str | None = None
    privacy_url: str | None = None


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
