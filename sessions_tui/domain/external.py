"""One mapping of events from outside calendars (an .ics file, Google) into local events.

Each source parses its own format into an :class:`ExternalEvent` (the facts as the source gave
them, nothing decided yet); :func:`to_local` turns that into a local :class:`Event` by the rules
below, decided here once for every source:

- **Kind**: always an *other* event of the given practitioner (an outside calendar never makes a
  client session), tied to its source by ``source_calendar``.
- **Title**: line breaks become spaces, nothing else changes; a blank title is ``(no title)``.
- **Busy/free**: transparent is free, anything else (or nothing) is busy.
- **Status**: cancelled stays as a cancelled event (shown struck through); anything else is
  scheduled. (A source whose "cancelled" means *deleted*, as Google's does, handles that
  before mapping.)
- **All-day**: a date start is all-day; the end must then be a date too. A missing end is one
  day; an end equal to the start (older Apple exports) is one day.
- **Timed**: an aware time is kept (stored in UTC); a floating (naive) time is wall-clock time in
  the event's zone. A missing end with no duration is zero-length, and a zero-length event (a
  reminder) lasts one minute, since the calendar needs a positive length. An end before the
  start is refused.
- **Zone** (``tzid``): the IANA zone the source named for the start, else the fallback (the
  calendar's zone or the practitioner's). A one-off in UTC (Google's and many exporters' style)
  is edited in the fallback zone; a UTC series keeps UTC so it expands as the source says.
- **Deleted occurrences** (exdates): of an all-day series, dates; of a timed series, instants: an
  aware time as is, a floating one in the event's zone, and a bare date means the occurrence on
  that day at the series' wall-clock time.
- **Overridden occurrence** (``recurrence_id``): read like the start; the result has no rule.

Plain Python: no store, no network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, EventKind, Instant, Status, validate_event
from sessions_tui.domain.timeutil import zone

NO_TITLE = "(no title)"
ZERO_LENGTH = timedelta(minutes=1)
"""How long a zero-length timed event (a reminder) lasts here."""


@dataclass(frozen=True)
class ExternalEvent:
    """One event as an outside calendar gives it, before any local rule is applied.

    Attributes:
        start: A ``date`` (all-day), an aware ``datetime``, or a naive one (floating).
        end: The exclusive end as given, or ``None`` when the source gave none.
        duration: The source's duration, used when it gave no end.
        tzid: The IANA zone the source named for the start, ``None`` if none (floating, an
            offset only, or a zone we could not name).
        rrule: The RRULE body, if the event repeats.
        exdates: Deleted occurrences, as the source wrote them (see :func:`to_local`).
        transparent: Marked free (``TRANSP:TRANSPARENT``, ``transparency: transparent``).
        cancelled: The source's status says cancelled.
        location: Free text; matched to a practice location by name.
        recurrence_id: For an overridden occurrence: the original start it replaces.
        sequence: The source's revision number.
        names: What the source calls the start and the end, for error messages.
    """

    start: Instant
    end: Instant | None = None
    duration: timedelta | None = None
    summary: str = ""
    tzid: str | None = None
    rrule: str | None = None
    exdates: tuple[Instant, ...] = ()
    transparent: bool = False
    cancelled: bool = False
    location: str = ""
    recurrence_id: Instant | None = None
    sequence: int = 0
    names: tuple[str, str] = ("start", "end")


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _resolve(value: Instant, tzid: str) -> Instant:
    """A date as is; an aware time in UTC; a floating time as wall-clock time in ``tzid``."""
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=zone(tzid))
    return value.astimezone(UTC)


def title_of(summary: str) -> str:
    """The local title of an outside event's summary (line breaks become spaces)."""
    title = summary.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    # Kept as written otherwise (blanks too): an export, re-import, export round trip is stable.
    return title if title.strip() else NO_TITLE


def event_zone(ext: ExternalEvent, fallback_tz: str) -> str:
    """The zone a local event made from ``ext`` is kept in (see the module's rules)."""
    if ext.tzid is None:
        return fallback_tz
    if ext.tzid == "UTC" and ext.rrule is None and ext.recurrence_id is None:
        return fallback_tz
    return ext.tzid


def occurrence_of(value: Instant, event: Event) -> Instant:
    """The occurrence of ``event``'s series a deleted-occurrence value names."""
    if event.all_day:
        return value.date() if isinstance(value, datetime) else value
    if isinstance(value, datetime):
        return _resolve(value, event.tzid)
    # A date on a timed series: the occurrence on that day at the series' wall time.
    assert isinstance(event.start, datetime)
    tz = zone(event.tzid)
    wall = event.start.astimezone(tz).timetz().replace(tzinfo=None)
    return datetime.combine(value, wall, tzinfo=tz).astimezone(UTC)


def to_local(
    ext: ExternalEvent,
    *,
    practitioner_id: int,
    source_calendar: str,
    fallback_tz: str,
    locations: Mapping[str, int] | None = None,
) -> Event:
    """The local event for ``ext`` (validated), by the rules in this module's docstring.

    Raises:
        ValidationError: the facts cannot make an event (end before start, mixed types, a bad
            zone, or anything :func:`validate_event` refuses).
    """
    start_name, end_name = ext.names
    tzid = event_zone(ext, fallback_tz)
    wall_tz = ext.tzid or fallback_tz
    all_day = _is_date(ext.start)
    start = _resolve(ext.start, wall_tz)
    end: Instant
    if ext.end is not None:
        if _is_date(ext.end) != all_day:
            raise ValidationError(
                f"{start_name} and {end_name} differ in type (date vs date-time)", field="end"
            )
        end = _resolve(ext.end, wall_tz)
    elif ext.duration is not None:
        end = start + ext.duration
    else:
        end = start + timedelta(days=1) if all_day else start
    if end == start:
        # Zero-length: an all-day event is its day; a timed one (a reminder) one minute.
        end = start + (timedelta(days=1) if all_day else ZERO_LENGTH)
    if end < start:  # type: ignore[operator]
        raise ValidationError(f"{end_name} is before {start_name}", field="end")
    location = ext.location.strip().casefold()
    event = Event(
        kind=EventKind.OTHER,
        title=title_of(ext.summary),
        start=start,
        end=end,
        tzid=tzid,
        practitioner_id=practitioner_id,
        location_id=(locations or {}).get(location) if location else None,
        all_day=all_day,
        busy=not ext.transparent,
        status=Status.CANCELLED if ext.cancelled else Status.SCHEDULED,
        rrule=ext.rrule if ext.recurrence_id is None else None,
        source_calendar=source_calendar,
        sequence=ext.sequence,
    )
    event = validate_event(event)
    if ext.recurrence_id is not None:
        return event.with_changes(recurrence_id=_resolve(ext.recurrence_id, wall_tz))
    if event.rrule and ext.exdates:
        event = event.with_changes(
            exdates=frozenset(occurrence_of(value, event) for value in ext.exdates)
        )
    return event
