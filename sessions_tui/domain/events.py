"""Events: client sessions and other events, and the rules every path must obey.

A timed event has aware ``start``/``end`` (kept in UTC) and the IANA zone it was made in
(``tzid``), so a recurring series keeps its wall-clock time across DST. An all-day event has
``date`` values with an exclusive end and belongs to no zone: it stays on its date whatever the
display zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.rrule_text import check_years, normalize_rrule
from sessions_tui.domain.timeutil import is_date_only as is_date_only  # re-exported
from sessions_tui.domain.timeutil import zone

Instant = datetime | date
"""An event boundary: an aware datetime, or a date for all-day events."""

MAX_TITLE = 1_000
"""The longest title an event may have, in characters, whatever door it comes through."""


class EventKind(StrEnum):
    """A client session (practitioner + client) or any other event."""

    SESSION = "session"
    OTHER = "other"


class Status(StrEnum):
    """Cancelled events are kept and shown as cancelled; confirmed ones are scheduled sessions
    the client confirmed (from a reminder's link): they book time exactly as scheduled ones."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Event:
    """One event or the master of a recurring series.

    Attributes:
        id: Store id, ``None`` before it is saved.
        kind: Session or other.
        title: For other events; sessions are titled by their client identifier.
        start: Aware datetime (timed) or date (all-day).
        end: Exclusive end, same type as ``start``.
        tzid: IANA zone the event was made in; recurrences keep wall-clock time in it.
        all_day: True when start/end are dates. Never for client sessions.
        busy: Busy events block availability; free events do not.
        rrule: RRULE body (``FREQ=WEEKLY;BYDAY=MO``) for a series, else ``None``.
        series_id: For an overridden occurrence: the series it belongs to.
        recurrence_id: For an overridden occurrence: the original start it replaces.
    """

    kind: EventKind
    start: Instant
    end: Instant
    tzid: str
    title: str = ""
    practitioner_id: int | None = None
    client_id: int | None = None
    location_id: int | None = None
    all_day: bool = False
    busy: bool = True
    status: Status = Status.SCHEDULED
    notes_completed: bool = False
    rrule: str | None = None
    series_id: int | None = None
    recurrence_id: Instant | None = None
    source_calendar: str | None = None
    uid: str | None = None
    sequence: int = 0
    version: int = 1
    id: int | None = None
    exdates: frozenset[Instant] = field(default_factory=frozenset)

    @property
    def is_session(self) -> bool:
        """True for a client session (practitioner and client)."""
        return self.kind is EventKind.SESSION

    @property
    def is_recurring(self) -> bool:
        """True for the master of a series (it has an RRULE)."""
        return self.rrule is not None

    @property
    def is_cancelled(self) -> bool:
        """True when the status is cancelled (the event is kept and shown so)."""
        return self.status is Status.CANCELLED

    @property
    def duration(self) -> timedelta:
        """Absolute length (a 50-minute session stays 50 minutes on DST days)."""
        if isinstance(self.start, datetime) and isinstance(self.end, datetime):
            return self.end - self.start
        return timedelta(days=(_as_date(self.end) - _as_date(self.start)).days)

    def with_changes(self, **changes: object) -> Event:
        """A copy with ``changes``; validate it again before saving."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _as_date(value: Instant) -> date:
    return value.date() if isinstance(value, datetime) else value


def validate_event(event: Event) -> Event:
    """Enforce the rules that hold whatever path made the event; return it normalised.

    Raises:
        ValidationError: naming the rule broken.
    """
    zone(event.tzid)
    try:
        # (A copy only where something changes: an import validates every event it reads.)
        if type(event.kind) is not EventKind or type(event.status) is not Status:
            event = replace(event, kind=EventKind(event.kind), status=Status(event.status))
    except ValueError:
        raise ValidationError(
            f"bad kind {event.kind!r} or status {event.status!r} "
            "(status is scheduled, confirmed or cancelled)",
            field="status",
        ) from None
    if event.kind is EventKind.SESSION:
        if event.all_day:
            raise ValidationError("a client session cannot be all-day", field="all_day")
        if event.practitioner_id is None:
            raise ValidationError("a client session needs a practitioner", field="practitioner")
        if event.client_id is None:
            raise ValidationError("a client session needs a client", field="client")
    elif not event.title.strip():
        raise ValidationError("an event needs a title", field="title")
    if len(event.title) > MAX_TITLE:
        # Every door (editor, quick add, import, syncs, booking) comes through here: a 60 MB
        # SUMMARY was stored twice, in the event and in its audit row (issue 28).
        raise ValidationError(
            f"a title is at most {MAX_TITLE:,} characters (this one has {len(event.title):,})",
            field="title",
        )
    if event.all_day:
        if not (is_date_only(event.start) and is_date_only(event.end)):
            raise ValidationError("an all-day event has dates, not times", field="start")
    else:
        if not (isinstance(event.start, datetime) and isinstance(event.end, datetime)):
            raise ValidationError("a timed event needs a start and end time", field="start")
        for what, value in (("start", event.start), ("end", event.end)):
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValidationError(f"{what} time has no time zone", field=what)
    if event.end <= event.start:  # type: ignore[operator]
        raise ValidationError("end must be after start", field="end")
    check_years(event)
    if event.rrule is not None:
        rrule = normalize_rrule(event.rrule, event)
        if rrule != event.rrule:
            event = replace(event, rrule=rrule)
    start, end = event.start, event.end
    if (
        isinstance(start, datetime)
        and isinstance(end, datetime)
        and (start.tzinfo is not UTC or end.tzinfo is not UTC)
    ):
        event = replace(event, start=start.astimezone(UTC), end=end.astimezone(UTC))
    return event


@dataclass(frozen=True)
class Occurrence:
    """One appearance of an event in a window.

    ``recurrence_id`` is the original start of this occurrence in its series (``None`` for a
    one-off event); ``event`` is the series master, an override, or the one-off event itself.
    """

    event: Event
    start: Instant
    end: Instant
    recurrence_id: Instant | None = None

    @property
    def all_day(self) -> bool:
        """Whether the occurrence is all-day (its event's ``all_day``)."""
        return self.event.all_day

    @property
    def key(self) -> tuple[int | None, str | None]:
        """Stable identity of the occurrence: (series or event id, recurrence id)."""
        series = self.event.series_id or self.event.id
        rid = self.recurrence_id if self.recurrence_id is not None else self.event.recurrence_id
        return series, (rid.isoformat() if rid is not None else None)

    def sort_key(self, tz_offset: timedelta = timedelta(0)) -> tuple[datetime, int]:
        """All-day first on their day, then by start."""
        if isinstance(self.start, datetime):
            return self.start.astimezone(UTC) + tz_offset, 1
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC), 0
