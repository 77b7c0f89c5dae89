"""Writing VEVENTs as RFC 5545 text directly (icalendar only writes the VTIMEZONEs).

Serialising an ``icalendar.Event`` per stored event cost ~400 µs each (an export of 100,000
events took ~40 s); formatting the few properties we publish costs a small fraction of that.
The output is what icalendar wrote for the same events, property for property, in its order
(SUMMARY, DTSTART, DTEND, DTSTAMP, UID, RECURRENCE-ID, SEQUENCE, RRULE, EXDATE, then the rest
alphabetically), so consumers see no change:

* DATE values as ``;VALUE=DATE:YYYYMMDD``; DATE-TIME values in the event's own zone as
  ``;TZID=<zone>:YYYYMMDDTHHMMSS``, or ``...Z`` without TZID when the zone is UTC;
* TEXT values escaped (``\\\\ \\; \\, \\n``); every line folded at 75 octets without splitting
  a UTF-8 character;
* the RRULE written back by icalendar's own ``vRecur`` (cached per distinct rule).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache

import icalendar

from sessions_tui.sync.ics_text import escape_text, fold_line

CALENDAR_PROPERTY = "X-SESSIONS-CALENDAR"
"""Per event: the calendar label of an imported event (read back by the import)."""
DAY_ZONE_PROPERTY = "X-SESSIONS-DAY-ZONE"
"""Per all-day event: its zone (read back by the import)."""


def _is_utc(tz: tzinfo) -> bool:
    return getattr(tz, "key", None) == "UTC" or tz is UTC


def format_utc(value: datetime) -> str:
    """``YYYYMMDDTHHMMSSZ`` of an aware datetime."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def when_property(name: str, value: date | datetime, tz: tzinfo) -> str:
    """A DATE or DATE-TIME property line (unfolded), the time shown in ``tz``."""
    if isinstance(value, datetime):
        if _is_utc(tz):
            return f"{name}:{value.astimezone(UTC).strftime('%Y%m%dT%H%M%S')}Z"
        local = value.astimezone(tz)
        return f"{name};TZID={_tzid(tz)}:{local.strftime('%Y%m%dT%H%M%S')}"
    return f"{name};VALUE=DATE:{value.strftime('%Y%m%d')}"


def list_property(name: str, values: Iterable[date | datetime], tz: tzinfo) -> str:
    """EXDATE-style list: one property, comma-separated values of one kind."""
    items = list(values)
    if all(isinstance(v, datetime) for v in items):
        if _is_utc(tz):
            text = ",".join(v.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") for v in items)  # type: ignore[attr-defined]
            return f"{name}:{text}"
        text = ",".join(v.astimezone(tz).strftime("%Y%m%dT%H%M%S") for v in items)  # type: ignore[attr-defined]
        return f"{name};TZID={_tzid(tz)}:{text}"
    days = [v.date() if isinstance(v, datetime) else v for v in items]
    return f"{name};VALUE=DATE:{','.join(d.strftime('%Y%m%d') for d in days)}"


def _tzid(tz: tzinfo) -> str:
    key = getattr(tz, "key", None)
    if not key:
        raise ValueError(f"zone {tz!r} has no IANA name")
    return str(key)


@lru_cache(maxsize=256)
def rrule_text(stored: str) -> str:
    """The stored rule as icalendar writes it."""
    text: str = icalendar.vRecur(icalendar.vRecur.from_ical(stored)).to_ical().decode()  # type: ignore[no-untyped-call]
    return text


def text_property(name: str, value: str) -> str:
    """A TEXT content line ``NAME:value``, escaped (not folded)."""
    return f"{name}:{escape_text(value)}"


def vevent(
    *,
    summary: str,
    start: str,
    end: str,
    stamp: str,
    uid: str,
    recurrence_id: str | None,
    sequence: int,
    rrule: str | None,
    exdate: str | None,
    private: bool,
    last_modified: str | None,
    location: str | None,
    cancelled: bool,
    busy: bool,
    alarm_minutes: int | None = None,
    calendar: str | None = None,
    day_zone: str | None = None,
) -> str:
    """One VEVENT, folded, CRLF line ends; date-time lines come preformatted (unfolded).

    ``calendar``: the label of the calendar an imported event came from, written as
    ``X-SESSIONS-CALENDAR`` so that re-importing the export keeps it (issue 26); ``day_zone``:
    an all-day event's zone (a DATE value carries none), as ``X-SESSIONS-DAY-ZONE``.

    ``alarm_minutes``: a display VALARM that many minutes before the start (not on a
    cancelled event)."""
    lines = [
        "BEGIN:VEVENT\r\n",
        fold_line(text_property("SUMMARY", summary)),
        fold_line(start),
        fold_line(end),
        f"DTSTAMP:{stamp}\r\n",
        fold_line(text_property("UID", uid)),
    ]
    if recurrence_id is not None:
        lines.append(fold_line(recurrence_id))
    lines.append(f"SEQUENCE:{sequence}\r\n")
    if rrule:
        lines.append(fold_line(f"RRULE:{rrule_text(rrule)}"))
    if exdate is not None:
        lines.append(fold_line(exdate))
    if private:
        lines.append("CLASS:PRIVATE\r\n")
    if last_modified is not None:
        lines.append(f"LAST-MODIFIED:{last_modified}\r\n")
    if location:
        lines.append(fold_line(text_property("LOCATION", location)))
    lines.append("STATUS:CANCELLED\r\n" if cancelled else "STATUS:CONFIRMED\r\n")
    lines.append("TRANSP:OPAQUE\r\n" if busy else "TRANSP:TRANSPARENT\r\n")
    if calendar:
        lines.append(fold_line(text_property(CALENDAR_PROPERTY, calendar)))
    if day_zone:
        lines.append(fold_line(text_property(DAY_ZONE_PROPERTY, day_zone)))
    if alarm_minutes is not None and not cancelled:
        lines.append(
            "BEGIN:VALARM\r\nACTION:DISPLAY\r\n"
            + fold_line(text_property("DESCRIPTION", summary))
            + f"TRIGGER:-PT{int(alarm_minutes)}M\r\nEND:VALARM\r\n"
        )
    lines.append("END:VEVENT\r\n")
    return "".join(lines)


def calendar_head(*, name: str, prodid: str, uid: str) -> str:
    """BEGIN:VCALENDAR and the calendar's own properties (as icalendar's ``Calendar.new``)."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        + fold_line(text_property("PRODID", prodid))
        + fold_line(text_property("NAME", name))
        + fold_line(text_property("X-WR-CALNAME", name))
        + fold_line(text_property("UID", uid))
    )


def vtimezones(tzids: Iterable[str], first: date, last: date, rules_from: int | None = None) -> str:
    """VTIMEZONE components for ``tzids`` (sorted; UTC needs none): the zone's current rules
    as yearly RRULE onsets from ``rules_from`` (default: this year) and the historical
    transitions since ``first`` (:func:`sessions_tui.sync.ics_zones.vtimezone`), valid for any
    later date; a zone whose rules cannot be written so is written by icalendar for
    ``first``..``last``."""
    from sessions_tui.sync.ics_zones import vtimezone

    year = rules_from if rules_from is not None else datetime.now(UTC).year
    out = []
    for tzid in sorted(set(tzids) - {"UTC"}):
        text = vtimezone(tzid, first, year)
        if text is not None:
            out.append(text)
            continue
        try:
            component = icalendar.Timezone.from_tzid(tzid, first_date=first, last_date=last)
        except ValueError:
            continue  # as add_missing_timezones: an unknown zone gets no VTIMEZONE
        out.append(component.to_ical().decode("utf-8"))
    return "".join(out)
