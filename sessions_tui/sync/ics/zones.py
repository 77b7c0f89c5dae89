"""Zones of imported times: the practitioner's zone, and IANA names for a file's own VTIMEZONEs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar.timezone import tzp

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.timeutil import zone
from sessions_tui.services import hours as hours_service
from sessions_tui.services.context import Context
from sessions_tui.store import queries
from sessions_tui.store.tables import (
    PracticeRow,
)
from sessions_tui.sync.ics_read import (
    CalendarInfo,
)


def practitioner_zone(ctx: Context, practitioner_id: int) -> str:
    """Their office hours' zone, else the practice display zone, else UTC."""
    found = hours_service.get_hours(ctx, practitioner_id)
    if found is not None:
        return found.tzid
    with ctx.db.session() as s:
        settings = queries.settings_from_row(s.get(PracticeRow, 1))
    return settings.display_tz or "UTC"


_MAJOR_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Helsinki",
    "Europe/Athens",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Perth",
    "Pacific/Auckland",
    "Africa/Johannesburg",
    "UTC",
)


@lru_cache(maxsize=1)
def _candidate_zones() -> tuple[str, ...]:
    from zoneinfo import available_timezones

    rest = sorted(
        z
        for z in available_timezones()
        if z not in _MAJOR_ZONES and not z.startswith(("Etc/", "SystemV/", "posix", "right"))
    )
    return (*_MAJOR_ZONES, *rest)


def _same_offsets(tz: tzinfo, name: str, samples: Sequence[datetime]) -> bool:
    other = ZoneInfo(name)
    return all(s.astimezone(tz).utcoffset() == s.astimezone(other).utcoffset() for s in samples)


_match_cache: dict[tuple[str, int, int], str | None] = {}


def _match_zone(tz: tzinfo, year: int, hint: str) -> str | None:
    """An IANA zone with the same offsets as ``tz`` (a file's own VTIMEZONE) around ``year``.

    A name in the TZID (``/mozilla.org/.../Europe/Berlin``) or a Windows name is tried first,
    then common zones, then every zone; the offsets are compared twice a week for three years.
    """
    # One search per zone of the file, not per year of its events (issue 26: an Outlook
    # custom zone that matches nothing cost a full search of every zone for each year).
    key = (hint, id(tz), 0)
    if key in _match_cache:
        return _match_cache[key]
    samples = [
        datetime(y, m, d, h, tzinfo=UTC)
        for y in (year - 1, year, year + 1)
        for m in range(1, 13)
        for d in (1, 5, 9, 13, 17, 21, 25)
        for h in (1, 13)
    ]
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    hinted = [z for z in _candidate_zones() if hint == z or hint.endswith("/" + z)]
    if hint in WINDOWS_TO_OLSON:
        hinted.insert(0, WINDOWS_TO_OLSON[hint])
    found = None
    for name in (*hinted, *_candidate_zones()):
        try:
            if _same_offsets(tz, name, samples):
                found = name
                break
        except (ValueError, OverflowError, KeyError):
            continue
    _match_cache[key] = found
    return found


def _tzid_of(value: datetime, hint: str = "") -> str | None:
    """An IANA name for an aware datetime's zone, or ``None`` if none is known."""
    tz: tzinfo | None = value.tzinfo
    if isinstance(tz, ZoneInfo):
        try:
            zone(tz.key)
            return tz.key
        except ValidationError:
            return None
    if tz is None:
        return None
    if value.utcoffset() == timedelta(0) and tz.tzname(value) in ("UTC", "Z", "GMT"):
        return "UTC"
    return _match_zone(tz, value.year, hint)


def _floating_zone(info: CalendarInfo, default: str) -> str:
    wr_tz = info.wr_timezone
    if not wr_tz:
        return default
    try:
        return zone(wr_tz).key
    except ValidationError:
        guessed = tzp.timezone(wr_tz)
        return guessed.key if isinstance(guessed, ZoneInfo) else default
