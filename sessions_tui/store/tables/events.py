"""Events and their deleted occurrences (exdates): written only through
``services/writer.py`` (``tests/unit/test_one_writer.py`` checks it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from sessions_tui.store.types import UTCDateTime


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
        # Ids are never reused (migration 0013): an audit entry names one event for ever.
        {"sqlite_autoincrement": True},
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
