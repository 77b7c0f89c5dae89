"""Time-zone helpers: validation, local-day bounds, wall-clock conversion.

Storage is UTC; zones are IANA names resolved with :mod:`zoneinfo`. Naive datetimes never
leave this module: they exist only as the wall-clock input of :func:`localize`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sessions_tui.domain.errors import ValidationError


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """Return the :class:`ZoneInfo` for an IANA name, or raise a clear ValidationError."""
    if not name or name != name.strip() or ".." in name or name.startswith("/"):
        raise ValidationError(
            f"unknown time zone {name!r} (expected an IANA name such as Europe/London)"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(
            f"unknown time zone {name!r} (expected an IANA name such as Europe/London)"
        ) from None


def is_date_only(value: datetime | date) -> bool:
    """True for a ``date`` that is not a ``datetime``."""
    return isinstance(value, date) and not isinstance(value, datetime)


def require_aware(value: datetime, what: str = "time") -> datetime:
    """Reject naive datetimes: the domain never guesses a zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{what} {value.isoformat()} has no time zone")
    return value


def to_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC."""
    return require_aware(value).astimezone(UTC)


def localize(wall: datetime, tz: ZoneInfo, *, fold: int = 0) -> datetime:
    """Attach ``tz`` to a wall-clock datetime.

    ``fold`` picks the first (0) or second (1) instance of an ambiguous time, as in PEP 495.
    A wall-clock time in a DST gap is kept by zoneinfo's rule (it maps forward by the gap).
    """
    return wall.replace(tzinfo=tz, fold=fold)


def is_nonexistent(wall: datetime, tz: ZoneInfo) -> bool:
    """True when the wall-clock time falls in a DST gap of ``tz``."""
    aware = wall.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None) != wall.replace(tzinfo=None)


def is_ambiguous(wall: datetime, tz: ZoneInfo) -> bool:
    """True when the wall-clock time happens twice in ``tz`` (DST ends)."""
    first = wall.replace(tzinfo=tz, fold=0).utcoffset()
    second = wall.replace(tzinfo=tz, fold=1).utcoffset()
    return first != second and not is_nonexistent(wall, tz)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The half-open UTC range of a local day; 23 or 25 hours long on DST days.

    Raises:
        ValidationError: the day is too near the end of the calendar (9999-12-31) to have an
            end in ``tz``.
    """
    try:
        start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            f"date {day.isoformat()} is out of range (too close to the year 10000)",
            field="date",
        ) from None
    return start, end


def days_bounds(first: date, days: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The half-open UTC range covering ``days`` local days from ``first``.

    Raises:
        ValidationError: the range runs past the end of the calendar.
    """
    start, _ = day_bounds(first, tz)
    try:
        last = first + timedelta(days=days)
    except OverflowError:
        raise ValidationError(
            f"{days} days from {first.isoformat()} run past the year 9999",
            field="date",
        ) from None
    end, _ = day_bounds(last, tz)
    return start, end


def zone_label(tz: ZoneInfo, at: datetime) -> str:
    """``America/Chicago (CST)``: the zone name and its abbreviation at ``at``."""
    abbrev = require_aware(at).astimezone(tz).tzname() or ""
    return f"{tz.key} ({abbrev})" if abbrev and abbrev != tz.key else tz.key


def clock_text(at: time | datetime, hours12: bool = False) -> str:
    """A wall-clock time as the user reads it: ``14:30`` or, on a 12-hour clock, ``2:30pm``
    (``12:00am`` is midnight, ``12:00pm`` noon)."""
    if not hours12:
        return f"{at.hour:02d}:{at.minute:02d}"
    return f"{(at.hour - 1) % 12 + 1}:{at.minute:02d}{'am' if at.hour < 12 else 'pm'}"


def parse_clock(text: str) -> time:
    """A typed time on either clock: ``14:30``, ``1430``, ``930``, ``2:30pm``, ``2pm``,
    ``2:30 PM``, ``12am`` (midnight). A :class:`ValueError` for anything else."""
    cleaned = text.strip().lower().replace(" ", "").replace(".", "")
    suffix = ""
    for end in ("am", "pm", "a", "p"):
        if cleaned.endswith(end):
            cleaned, suffix = cleaned[: -len(end)], end[0]
            break
    if cleaned.isdigit() and len(cleaned) in (3, 4):
        cleaned = f"{cleaned[:-2]}:{cleaned[-2:]}"
    elif cleaned.isdigit() and len(cleaned) in (1, 2) and suffix:
        cleaned = f"{cleaned}:00"
    hour_text, sep, minute_text = cleaned.partition(":")
    if not sep or not hour_text.isdigit() or len(minute_text) != 2 or not minute_text.isdigit():
        raise ValueError(f"not a time: {text!r}")
    hour, minute = int(hour_text), int(minute_text)
    if suffix:
        if not 1 <= hour <= 12:
            raise ValueError(f"not a 12-hour time: {text!r}")
        hour = hour % 12 + (12 if suffix == "p" else 0)
    return time(hour, minute)  # ValueError past 23:59


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: str, what: str = "date") -> date:
    """Parse ``YYYY-MM-DD`` with a clear error."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        if _ISO_DAY.fullmatch(text.strip()):  # the right shape, a day the calendar lacks
            raise ValidationError(f"bad {what} {text!r}: {exc}") from None
        raise ValidationError(f"bad {what} {text!r} (expected YYYY-MM-DD)") from None


def parse_aware(text: str, what: str = "time") -> datetime:
    """Parse an ISO 8601 datetime that must carry an offset."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"bad {what} {text!r} (expected ISO 8601 with an offset)") from None
    if value.tzinfo is None:
        raise ValidationError(f"bad {what} {text!r}: it needs an offset such as +00:00")
    return value
