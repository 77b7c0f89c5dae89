"""Reading an .ics file one VEVENT at a time, without one icalendar tree for the whole file.

:func:`prescan` finds the calendar-level properties (X-WR-TIMEZONE, X-WR-CALNAME) and the
VTIMEZONEs with a regular expression; the VTIMEZONEs are parsed by icalendar, which registers
their zones for TZID lookups exactly as a whole-file parse would (and before any event, even
when a producer writes them after the events). :func:`iter_vevents` then walks the content
lines once, checks the BEGIN/END nesting, and yields each VEVENT's own properties with the line
number of its ``BEGIN:VEVENT``; nothing else of the file is kept.

:func:`read_vevent` turns those properties into a :class:`VEventData` by hand for the values
it knows (the common date, date-time, text and integer forms). Anything else — an unusual
value form, a PERIOD, a malformed line, a property whose type icalendar would reject — makes it
return ``None``, and the caller parses that one VEVENT with icalendar
(:func:`from_icalendar`), so odd producers get icalendar's exact behaviour and error messages
while the common case costs a fraction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from icalendar.prop import TypesFactory
from icalendar.timezone import tzp

from sessions_tui.sync.ics_text import (
    Source,
    blocks_of,
    iter_content_lines,
    parse_params,
    split_content_line,
    unescape_text,
)

_UTC_TZ = ZoneInfo("UTC")
"""The tzinfo icalendar gives ``...Z`` values (its zoneinfo provider, the default since 6.0),
so both readers give equal values."""


class StructureError(ValueError):
    """The file's BEGIN/END structure is broken; ``line`` says where."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class CalendarInfo:
    """Calendar-level properties of one VCALENDAR of the file."""

    wr_timezone: str = ""
    wr_calname: str = ""
    this_and_future: bool = False
    """Some override has RANGE=THISANDFUTURE (the import then keeps series until the end)."""


@dataclass
class VEventData:
    """The properties of one VEVENT that the import reads, decoded as icalendar decodes them.

    Date and date-time values are ``date``, naive ``datetime`` (floating) or aware ``datetime``
    (a zone resolved through icalendar's TZID lookup, or UTC). ``error`` is icalendar's first
    complaint about any property, if it had one.
    """

    uid: str = ""
    error: tuple[str, str] | None = None
    start: Any = None
    start_tzid: str = ""
    has_start: bool = False
    end: Any = None
    has_end: bool = False
    duration: Any = None
    has_duration: bool = False
    rrules: list[str] = field(default_factory=list)
    transp: str = "OPAQUE"
    status: str = ""
    location: str = ""
    summary: str = ""
    sequence: int = 0
    recurrence_id: Any = None
    has_recurrence_id: bool = False
    exdates: list[Any] = field(default_factory=list)
    rdates: list[tuple[Any, Any]] = field(default_factory=list)
    calendar: str = ""
    """X-SESSIONS-CALENDAR: the calendar label our own export gives an imported event."""
    this_and_future: bool = False
    """RECURRENCE-ID;RANGE=THISANDFUTURE: the override applies to the later occurrences too."""
    day_zone: str = ""
    """X-SESSIONS-DAY-ZONE: the zone our own export gives an all-day event."""


# --- the file's structure -------------------------------------------------------------------

_PRESCAN = re.compile(
    r"^(BEGIN|END):([A-Za-z0-9-]+)[ \t]*\r?$|^(X-WR-TIMEZONE|X-WR-CALNAME)[;:]"
    r"|^(RECURRENCE-ID;[^:\r\n]*RANGE=THISANDFUTURE)",
    re.MULTILINE | re.IGNORECASE,
)


def _logical_line(text: str, pos: int) -> str:
    """The unfolded content line starting at ``pos``."""
    parts = []
    while True:
        end = text.find("\n", pos)
        if end == -1:
            parts.append(text[pos:].rstrip("\r"))
            break
        parts.append(text[pos:end].rstrip("\r"))
        if text[end + 1 : end + 2] in (" ", "\t") and end + 1 < len(text):
            pos = end + 2
            continue
        break
    return "".join(parts)


def prescan(source: Source) -> tuple[list[CalendarInfo], list[tuple[int, str]]]:
    """Calendar-level properties of each VCALENDAR, and each VTIMEZONE's text.

    Returns ``(calendars, vtimezones)``; a VTIMEZONE is ``(line number, text)``. The nesting
    is checked properly later by :func:`iter_vevents`; this only looks at depth to tell a
    calendar's own properties from a component's. ``source`` is the text or its blocks
    (:data:`~sessions_tui.sync.ics_text.Source`); only a VTIMEZONE's own text is kept.
    """
    calendars: list[CalendarInfo] = []
    zones: list[tuple[int, str]] = []
    stack: list[str] = []
    tz_parts: list[str] = []  # the VTIMEZONE being read, when it spans blocks
    tz_line = 0
    lines_before = 0  # line ends in the blocks already scanned
    for text in blocks_of(source):
        tz_start = 0 if tz_parts else -1
        for match in _PRESCAN.finditer(text):
            kind = match.group(1)
            if kind is not None:
                comp = match.group(2).upper()
                if kind.upper() == "BEGIN":
                    if comp == "VCALENDAR" and not stack:
                        calendars.append(CalendarInfo())
                    if comp == "VTIMEZONE" and len(stack) == 1:
                        tz_start = match.start()
                        tz_line = lines_before + text.count("\n", 0, tz_start) + 1
                        tz_parts = []
                    stack.append(comp)
                elif stack and stack[-1] == comp:
                    stack.pop()
                    if comp == "VTIMEZONE" and len(stack) == 1 and tz_start >= 0:
                        # End on a clean line: icalendar only registers the zone when it reads
                        # exactly END:VTIMEZONE.
                        tz_parts.append(text[tz_start : match.end()])
                        block = "".join(tz_parts).rstrip("\r \t") + "\r\n"
                        zones.append((tz_line, block))
                        tz_start, tz_parts = -1, []
                continue
            if match.group(4) is not None:
                if calendars:
                    calendars[-1].this_and_future = True
                continue
            if len(stack) != 1 or stack[0] != "VCALENDAR" or not calendars:
                continue
            parts = split_content_line(_logical_line(text, match.start()))
            if parts is None:
                continue
            value = unescape_text(parts[2]).strip()
            if parts[0] == "X-WR-TIMEZONE":
                calendars[-1].wr_timezone = calendars[-1].wr_timezone or value
            else:
                calendars[-1].wr_calname = calendars[-1].wr_calname or value
        if tz_start >= 0:  # a VTIMEZONE goes on in the next block
            tz_parts.append(text[tz_start:])
        lines_before += text.count("\n")
    return calendars, zones


_REPEATED_TZID = re.compile(r"^(TZID[;:][^\r\n]*\r?\n)(?:TZID[;:][^\r\n]*\r?\n)+", re.MULTILINE)


def register_timezones(zones: list[tuple[int, str]]) -> None:
    """Parse each VTIMEZONE with icalendar, which caches custom zones for TZID lookups.

    Raises:
        StructureError: a VTIMEZONE icalendar cannot read.
    """
    for line, block in zones:
        # A VTIMEZONE that names its TZID twice (a WordPress events feed) is read with one.
        block = _REPEATED_TZID.sub(r"\1", block)
        try:
            icalendar.Timezone.from_ical(block)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StructureError(line, f"not valid iCalendar: {message}") from None


@dataclass
class RawVEvent:
    """One VEVENT as found: where it starts, its content lines, its own properties."""

    calendar: int
    line: int
    lines: list[str]
    props: list[tuple[str, str, str]] | None  # None: a line could not be split

    def text(self) -> str:
        """The VEVENT as iCalendar text, for icalendar."""
        return "\r\n".join(self.lines) + "\r\n"


def iter_vevents(text: Source) -> Iterator[RawVEvent]:
    """Each VEVENT of the file (its text or its blocks), in order, with the nesting checked as
    it goes.

    Raises:
        StructureError: a component outside a VCALENDAR, an END that does not match, a BEGIN
            never ended, no VCALENDAR at all, or a calendar-level line that is not a content
            line.
    """
    stack: list[tuple[str, int]] = []
    calendar = -1
    current: RawVEvent | None = None
    props: list[tuple[str, str, str]] | None = None
    event_depth = 0
    for number, line in iter_content_lines(text):
        parts = split_content_line(line)
        name = parts[0] if parts is not None else ""
        if name == "BEGIN" or name == "END":
            assert parts is not None
            comp = parts[2].strip().upper()
            if name == "BEGIN":
                if not stack and comp != "VCALENDAR":
                    raise StructureError(number, f"{comp} outside a VCALENDAR")
                if comp == "VCALENDAR" and not stack:
                    calendar += 1
                stack.append((comp, number))
                if current is not None:
                    current.lines.append(line)
                elif comp == "VEVENT":
                    props = []
                    current = RawVEvent(calendar, number, [line], props)
                    event_depth = len(stack)
                continue
            if not stack or stack[-1][0] != comp:
                expected = f"END:{stack[-1][0]}" if stack else "nothing"
                raise StructureError(number, f"END:{comp} where {expected} was expected")
            stack.pop()
            if current is not None:
                current.lines.append(line)
                if len(stack) < event_depth:
                    yield current
                    current = None
                    props = None
            continue
        if current is not None:
            current.lines.append(line)
            if len(stack) == event_depth and current.props is not None:
                if parts is None:
                    current.props = None
                else:
                    assert props is not None
                    props.append(parts)
            continue
        if parts is None and stack:
            raise StructureError(
                number,
                f"not valid iCalendar: Content line could not be parsed into parts: {line[:60]!r}",
            )
    if stack:
        comp, number = stack[-1]
        raise StructureError(number, f"BEGIN:{comp} is never ended")
    if calendar < 0:
        raise StructureError(None, "not an iCalendar file (no BEGIN:VCALENDAR)")


# --- one VEVENT by hand ---------------------------------------------------------------------

_TYPES = TypesFactory()
_SAFE_TYPES = {"vText", "vCalAddress", "vUri", "vUnknown", "vCategory", "vInline"}
_DATETIME_TYPES = {"vDDDTypes", "vDatetime"}
_SINGLE = {
    "UID",
    "DTSTART",
    "DTEND",
    "DURATION",
    "TRANSP",
    "STATUS",
    "LOCATION",
    "SUMMARY",
    "SEQUENCE",
    "RECURRENCE-ID",
}
_USED = _SINGLE | {"RRULE", "EXDATE", "RDATE"}
"""The properties the import reads: only a malformed one of these refuses an event."""

_checked: dict[tuple[str, str], str] = {}


class _Fallback(Exception):
    """This VEVENT needs icalendar."""


def _type_name(name: str, value_param: str) -> str:
    key = (name, value_param)
    found = _checked.get(key)
    if found is None:
        found = _TYPES.for_property(name, value_param or None).__name__
        _checked[key] = found
    return found


_MEMO = 20_000
_NO_PARAMS: dict[str, str] = {}


@dataclass
class FastReader:
    """Decodes VEVENT properties by hand; keeps a cache of TZID lookups."""

    zones: dict[str, tzinfo | None] = field(default_factory=dict)
    rrules: dict[str, str] = field(default_factory=dict)
    _whens: dict[tuple[str, str, str], date | datetime] = field(default_factory=dict)
    _params: dict[str, dict[str, str] | None] = field(default_factory=dict)
    """Values and parameter texts already decoded: a practice's file repeats them (the same
    slot for every practitioner, one DTSTAMP, one TZID parameter); both hold immutable
    results, and are emptied when large, so memory stays bounded."""

    def zone_of(self, tzid: str) -> tzinfo | None:
        """The zone of a TZID as icalendar resolves it, else an Outlook display name's
        (:func:`named_zone`); cached, ``None`` if unknown."""
        try:
            return self.zones[tzid]
        except KeyError:
            found = tzp.timezone(tzid) or named_zone(tzid)
            self.zones[tzid] = found
            return found

    def when(self, value: str, params: dict[str, str]) -> date | datetime:
        """A DATE or DATE-TIME value in one of the usual forms; else :class:`_Fallback`."""
        key = (value, params.get("TZID", ""), params.get("VALUE", ""))
        found = self._whens.get(key)
        if found is None:
            if len(self._whens) >= _MEMO:
                self._whens.clear()
            found = self._whens[key] = self._when(value, params)
        return found

    def _params_of(self, ptext: str) -> dict[str, str] | None:
        if not ptext:
            return _NO_PARAMS
        try:
            return self._params[ptext]
        except KeyError:
            if len(self._params) >= _MEMO:
                self._params.clear()
            found = self._params[ptext] = parse_params(ptext)
            return found

    def _when(self, value: str, params: dict[str, str]) -> date | datetime:
        kind = params.get("VALUE", "").upper()
        n = len(value)
        try:
            if n == 8:
                if kind not in ("", "DATE"):
                    raise _Fallback
                return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
            if kind not in ("", "DATE-TIME") or value[8:9] != "T":
                raise _Fallback
            if n == 15:
                # A floating time stays naive here: the reader puts it in the calendar's zone.
                naive = datetime(  # noqa: DTZ001
                    int(value[:4]),
                    int(value[4:6]),
                    int(value[6:8]),
                    int(value[9:11]),
                    int(value[11:13]),
                    int(value[13:15]),
                )
                tzid = params.get("TZID")
                if tzid:
                    tz = self.zone_of(tzid)
                    if tz is not None:
                        return naive.replace(tzinfo=tz)  # what icalendar's localize does (zoneinfo)
                return naive
            if n == 16 and value[15] == "Z" and "TZID" not in params:
                return datetime(
                    int(value[:4]),
                    int(value[4:6]),
                    int(value[6:8]),
                    int(value[9:11]),
                    int(value[11:13]),
                    int(value[13:15]),
                    tzinfo=_UTC_TZ,
                )
        except ValueError:
            raise _Fallback from None
        raise _Fallback

    def rrule_text(self, value: str) -> str:
        """The RRULE as icalendar writes it back (the old reader stored that form)."""
        found = self.rrules.get(value)
        if found is None:
            try:
                found = icalendar.vRecur(icalendar.vRecur.from_ical(value)).to_ical().decode()  # type: ignore[no-untyped-call]
            except (ValueError, TypeError, KeyError):
                raise _Fallback from None
            self.rrules[value] = found
        return found

    def read(self, raw: RawVEvent) -> VEventData | None:
        """The event's data by hand, or ``None`` when icalendar must read it."""
        if raw.props is None:
            return None
        try:
            return self._read(raw.props)
        except _Fallback:
            return None

    def _read(self, props: list[tuple[str, str, str]]) -> VEventData:
        data = VEventData()
        seen: set[str] = set()
        for name, ptext, value in props:
            if name in _SINGLE:
                if name in seen:
                    raise _Fallback
                seen.add(name)
            params = self._params_of(ptext)  # shared: read, never changed
            if params is None:
                raise _Fallback
            if name == "UID":
                data.uid = unescape_text(value).strip()
            elif name == "DTSTART":
                data.start = self.when(value, params)
                data.has_start = True
                data.start_tzid = params.get("TZID", "")
            elif name == "DTEND":
                data.end = self.when(value, params)
                data.has_end = True
            elif name == "SUMMARY":
                data.summary = unescape_text(value)
            elif name == "LOCATION":
                data.location = unescape_text(value)
            elif name == "TRANSP":
                data.transp = unescape_text(value)
            elif name == "STATUS":
                data.status = unescape_text(value)
            elif name == "SEQUENCE":
                try:
                    data.sequence = int(value)
                except ValueError:
                    raise _Fallback from None
            elif name == "RRULE":
                data.rrules.append(self.rrule_text(value))
            elif name == "EXDATE":
                data.exdates.extend(self.when(v, params) for v in value.split(","))
            elif name == "RDATE":
                if "/" in value or params.get("VALUE", "").upper() == "PERIOD":
                    raise _Fallback
                if value:
                    data.rdates.extend((self.when(v, params), None) for v in value.split(","))
            elif name == "RECURRENCE-ID":
                data.recurrence_id = self.when(value, params)
                data.has_recurrence_id = True
                data.this_and_future = params.get("RANGE", "").upper() == "THISANDFUTURE"
            elif name == "DURATION":
                data.duration = self._duration(value, params)
                data.has_duration = True
            elif name == "X-SESSIONS-CALENDAR":
                data.calendar = unescape_text(value).strip()
            elif name == "X-SESSIONS-DAY-ZONE":
                data.day_zone = unescape_text(value).strip()
            else:
                self._check_other(name, params, value)
        return data

    def _duration(self, value: str, params: dict[str, str]) -> timedelta:
        if params:
            raise _Fallback
        try:
            result = icalendar.vDuration.from_ical(value)  # type: ignore[no-untyped-call]
        except (ValueError, TypeError):
            raise _Fallback from None
        if not isinstance(result, timedelta):
            raise _Fallback
        return result

    def _check_other(self, name: str, params: dict[str, str], value: str) -> None:
        """A property the import does not use: only icalendar's verdict on it matters."""
        kind = _type_name(name, params.get("VALUE", ""))
        if kind in _SAFE_TYPES:
            return
        if kind == "vInt":
            try:
                int(value)
            except ValueError:
                raise _Fallback from None
            return
        if kind in _DATETIME_TYPES:
            self.when(value, params)
            return
        raise _Fallback


# --- zone names ------------------------------------------------------------------------------

_DISPLAY = re.compile(r"^\s*\((?:GMT|UTC)\s*(?:([+-])(\d{1,2}):?(\d{2}))?\)\s*(.*)$", re.IGNORECASE)
_REGIONS = {
    "eastern time": "America/New_York",
    "central time": "America/Chicago",
    "mountain time": "America/Denver",
    "pacific time": "America/Los_Angeles",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
    "atlantic time": "America/Halifax",
    "arizona": "America/Phoenix",
    "coordinated universal time": "UTC",
}
"""Outlook display names that name a region, not a city (the rest name cities)."""


def _cities() -> dict[str, str]:
    from zoneinfo import available_timezones

    found: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix", "right")):
            found.setdefault(name.rsplit("/", 1)[1].replace("_", " ").casefold(), name)
    return found


_CITY_ZONES: dict[str, str] = {}


def named_zone(tzid: str) -> ZoneInfo | None:
    """The IANA zone an Outlook display name means: ``(GMT+10:00) Canberra, Melbourne,
    Sydney`` or ``(UTC-06:00) Central Time (US & Canada)``. Windows zone ids (``Central
    Standard Time``) are CLDR's windowsZones, which icalendar resolves already; a display name
    is matched by its region, else by a city in it whose zone has the offset it states
    (standard time, or daylight time) in the current year. ``None`` if nothing matches.
    """
    match = _DISPLAY.match(tzid)
    if match is None:
        return None
    sign, hours, minutes, rest = match.groups()
    offset = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
    if sign == "-":
        offset = -offset
    text = rest.casefold()
    for region, name in _REGIONS.items():
        if text.startswith(region):
            return ZoneInfo(name)
    if not _CITY_ZONES:
        _CITY_ZONES.update(_cities())
    year = datetime.now().year  # noqa: DTZ005 - only the year, to read today's offsets
    for city in re.split(r"[,:;/]| - ", rest):
        key = _CITY_ZONES.get(city.strip().casefold())
        if key is None:
            continue
        tz = ZoneInfo(key)
        offsets = {datetime(year, m, 1, 12, tzinfo=tz).utcoffset() for m in (1, 7)}
        if offset in offsets:
            return tz
    return None


# --- one VEVENT by icalendar ----------------------------------------------------------------


def from_icalendar(raw: RawVEvent) -> VEventData:
    """The event's data as icalendar reads it (the careful path for unusual events).

    Raises:
        ValueError: icalendar could not read the VEVENT at all.
    """
    ev = icalendar.Event.from_ical(raw.text())
    if not isinstance(ev, icalendar.Event):
        raise ValueError("not a VEVENT")
    data = VEventData(uid=str(ev.get("UID", "")).strip())
    for prop, message in ev.errors:
        # A property the import does not use (CREATED, DTSTAMP, ...) and a line icalendar
        # could not split at all (prop None) are no reason to refuse the event (issue 26).
        if prop and str(prop).upper() in _USED:
            data.error = (str(prop), message)
            return data
    if "DTSTART" in ev:
        data.has_start = True
        data.start = ev.decoded("DTSTART")
        data.start_tzid = str(getattr(ev["DTSTART"], "params", {}).get("TZID", ""))
    if "DTEND" in ev:
        data.has_end = True
        data.end = ev.decoded("DTEND")
    if "DURATION" in ev:
        data.has_duration = True
        data.duration = ev.decoded("DURATION")
    if "RRULE" in ev:
        rule = ev.get("RRULE")
        rules = rule if isinstance(rule, list) else [rule]
        data.rrules = [r.to_ical().decode() for r in rules]
    data.transp = str(ev.get("TRANSP", "OPAQUE"))
    data.status = str(ev.get("STATUS", ""))
    data.location = str(ev.get("LOCATION", ""))
    data.summary = str(ev.get("SUMMARY", ""))
    data.sequence = int(ev.get("SEQUENCE", 0) or 0)
    if "RECURRENCE-ID" in ev:
        data.has_recurrence_id = True
        data.recurrence_id = ev.decoded("RECURRENCE-ID")
        rid_range = getattr(ev["RECURRENCE-ID"], "params", {}).get("RANGE", "")
        data.this_and_future = str(rid_range).upper() == "THISANDFUTURE"
    data.exdates = list(ev.exdates)
    data.rdates = list(ev.rdates)
    data.calendar = str(ev.get("X-SESSIONS-CALENDAR", "")).strip()
    data.day_zone = str(ev.get("X-SESSIONS-DAY-ZONE", "")).strip()
    return data
