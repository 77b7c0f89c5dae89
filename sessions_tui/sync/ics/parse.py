"""ICS import, reading: a file's VEVENTs as validated items, one at a time.

See :mod:`sessions_tui.sync.ics` for the rules (zones, RDATE, RECURRENCE-ID, uids).
"""

from __future__ import annotations

import codecs
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from sessions_tui.domain.errors import SessionsError, ValidationError
from sessions_tui.domain.events import Event, Instant, validate_event
from sessions_tui.domain.external import ExternalEvent, occurrence_of, to_local
from sessions_tui.domain.timeutil import zone
from sessions_tui.store.queries import recurrence_key
from sessions_tui.sync.ics.common import IcsError, import_uid
from sessions_tui.sync.ics.zones import _floating_zone, _tzid_of
from sessions_tui.sync.ics_read import (
    FastReader,
    StructureError,
    VEventData,
    from_icalendar,
    iter_vevents,
    prescan,
    register_timezones,
)


@dataclass
class _Item:
    """One event to store: a master/single, an override, or an RDATE extra."""

    uid: str
    event: Event
    line: int
    source_uid: str
    master_uid: str | None = None
    exdate_keys: set[str] = field(default_factory=set)
    sequence: int = 0


@dataclass
class _Reader:
    """Turns one calendar's VEVENTs into items; knows the file's zones."""

    name: str
    practitioner_id: int
    floating: str
    locations: dict[str, int]
    label: str
    keep_labels: bool = True
    """An event's own X-SESSIONS-CALENDAR (our export) wins over the file's label, unless the
    person named the calendar."""
    _zone_names: dict[str, str | None] = field(default_factory=dict)

    def instant(
        self, value: Any, what: str, wall_zone: str | None = None, hint: str = ""
    ) -> tuple[Instant, str | None]:
        """(UTC instant or date, IANA zone of the value if it had one)."""
        if isinstance(value, datetime):
            tz = value.tzinfo
            if tz is None or value.utcoffset() is None:
                return value.replace(tzinfo=zone(wall_zone or self.floating)).astimezone(UTC), None
            if isinstance(tz, ZoneInfo):
                key = tz.key
                try:
                    known = self._zone_names[key]
                except KeyError:
                    known = self._zone_names[key] = _tzid_of(value, hint)
                return value.astimezone(UTC), known
            return value.astimezone(UTC), _tzid_of(value, hint)
        if isinstance(value, date):
            return value, None
        raise ValidationError(f"{what} is not a date or date-time")

    def read(self, data: VEventData, line: int) -> tuple[_Item, list[_Item]]:
        """The item of one VEVENT, plus RDATE extras."""
        uid = data.uid
        where = f"{self.name} line {line}" + (f" (UID {uid})" if uid else "")
        try:
            return self._read(data, line, uid)
        except SessionsError as exc:
            raise IcsError(f"{where}: {exc.message}") from None
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise IcsError(f"{where}: {exc}") from None

    def _read(self, ev: VEventData, line: int, uid: str) -> tuple[_Item, list[_Item]]:
        if ev.error is not None:
            prop, message = ev.error
            raise ValidationError(f"bad {prop}: {message}")
        if not uid:
            raise ValidationError("event has no UID")
        if not ev.has_start:
            raise ValidationError("event has no DTSTART")
        start_value, start_tz = self._value(ev.start, "DTSTART", ev.start_tzid)
        end_value: Any = None
        if ev.has_end:
            end_value, _ = self._value(ev.end, "DTEND")
        duration = None
        if not ev.has_end and ev.has_duration:
            duration = ev.duration
            if not isinstance(duration, timedelta):
                raise ValidationError("bad DURATION")
        if len(ev.rrules) > 1:
            raise ValidationError("several RRULEs in one event are not supported")
        rid_value = None
        if ev.has_recurrence_id:
            rid_value, _ = self._value(ev.recurrence_id, "RECURRENCE-ID")
        external = ExternalEvent(
            start=start_value,
            end=end_value,
            duration=duration,
            summary=ev.summary,
            tzid=start_tz,
            rrule=ev.rrules[0] if ev.rrules else None,
            exdates=tuple(self._value(v, "EXDATE")[0] for v in ev.exdates),
            transparent=ev.transp.upper() == "TRANSPARENT",
            cancelled=ev.status.upper() == "CANCELLED",
            location=ev.location,
            recurrence_id=rid_value,
            sequence=ev.sequence,
            names=("DTSTART", "DTEND"),
        )
        event = to_local(
            external,
            practitioner_id=self.practitioner_id,
            source_calendar=(ev.calendar if self.keep_labels else "") or self.label,
            fallback_tz=self.floating,
            locations=self.locations,
        )
        item = _Item(
            import_uid(uid, self.practitioner_id),
            event.with_changes(exdates=frozenset()) if event.exdates else event,
            line,
            uid,
            sequence=event.sequence,
        )
        if ev.has_recurrence_id:
            item.master_uid = item.uid
            return item, []
        extras: list[_Item] = []
        if event.rrule:
            item.exdate_keys = {recurrence_key(x) for x in event.exdates}
            base = item.event
            for value, period_end in ev.rdates:
                occ_start = occurrence_of(self._value(value, "RDATE")[0], base)
                if isinstance(period_end, timedelta):
                    occ_end = occ_start + period_end
                elif period_end is not None:
                    occ_end, _ = self.instant(period_end, "RDATE", base.tzid)
                else:
                    occ_end = occ_start + base.duration
                key = recurrence_key(occ_start)
                extra = validate_event(base.with_changes(start=occ_start, end=occ_end, rrule=None))
                extras.append(
                    _Item(
                        import_uid(f"{uid}#rdate-{key}", self.practitioner_id),
                        extra,
                        line,
                        uid,
                        sequence=event.sequence,
                    )
                )
        return item, extras

    def _value(self, value: Any, what: str, hint: str = "") -> tuple[Instant, str | None]:
        """A date, an aware time, or a floating (naive) one, and the IANA zone it names.

        A time in a zone we cannot name (a file's own VTIMEZONE that matches no IANA zone) is
        kept as the instant it is; the event then falls back to the calendar's zone.
        """
        if isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                return value.replace(tzinfo=None), None
            return self.instant(value, what, hint=hint)
        if isinstance(value, date):
            return value, None
        raise ValidationError(f"{what} is not a date or date-time")


def iter_items(
    text: str | Callable[[], Iterable[str]],
    *,
    name: str,
    practitioner_id: int,
    floating_tz: str,
    locations: dict[str, int] | None = None,
    label: str | None = None,
) -> tuple[str, Iterator[_Item]]:
    """The calendar label, and a lazy stream of validated items, one VEVENT at a time.

    ``text`` is the file's text, or a function that gives its blocks afresh
    (:func:`file_blocks`; it is called twice, so a file is read twice and never held whole).
    The label and zones are read before the first item (a cheap scan); the items are parsed
    as the stream is consumed, so a large file is never held as a tree.

    Raises (from the stream too):
        IcsError: the first problem, with file name, line and UID.
    """
    blocks: Callable[[], Iterable[str]] = (lambda: (text,)) if isinstance(text, str) else text
    blank = True

    def first_pass() -> Iterator[str]:
        nonlocal blank
        for block in blocks():
            if blank and block and not block.isspace():
                blank = False
            yield block

    calendars, zones = prescan(first_pass())
    if blank:
        raise IcsError(f"{name}: the file is empty")
    final_label = label or next((c.wr_calname for c in calendars if c.wr_calname), "")
    final_label = final_label or Path(name).stem

    def where(line: int | None) -> str:
        return f"{name} line {line}" if line else name

    def stream() -> Iterator[_Item]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                register_timezones(zones)
            except StructureError as exc:
                raise IcsError(f"{where(exc.line)}: {exc.message}") from None
            readers: dict[int, _Reader] = {}
            fast = FastReader()
            try:
                for raw in iter_vevents(blocks()):
                    reader = readers.get(raw.calendar)
                    if reader is None:
                        info = calendars[raw.calendar] if raw.calendar < len(calendars) else None
                        floating = _floating_zone(info, floating_tz) if info else floating_tz
                        reader = readers[raw.calendar] = _Reader(
                            name,
                            practitioner_id,
                            floating,
                            locations or {},
                            final_label,
                            keep_labels=label is None,
                        )
                    data = fast.read(raw)
                    if data is None:
                        try:
                            data = from_icalendar(raw)
                        except ValueError as exc:
                            message = str(exc).splitlines()[0] if str(exc) else "unreadable"
                            raise IcsError(
                                f"{where(raw.line)}: not valid iCalendar: {message}"
                            ) from None
                    item, extras = reader.read(data, raw.line)
                    yield item
                    yield from extras
            except StructureError as exc:
                raise IcsError(f"{where(exc.line)}: {exc.message}") from None

    return final_label, stream()


def parse_calendar(
    data: bytes | str,
    *,
    name: str,
    practitioner_id: int,
    floating_tz: str,
    locations: dict[str, int] | None = None,
    label: str | None = None,
) -> tuple[list[_Item], str]:
    """Parse and validate a whole file into a list (small files, tests); see :func:`iter_items`.

    Raises:
        IcsError: the first problem, with file name, line and UID.
    """
    text = _decode(data, name)
    final_label, stream = iter_items(
        text,
        name=name,
        practitioner_id=practitioner_id,
        floating_tz=floating_tz,
        locations=locations,
        label=label,
    )
    items = list(stream)
    _Dedup(name).check_all(items)
    return items, final_label


_READ = 1 << 20  # bytes read from a file at a time


def file_blocks(fp: BinaryIO, name: str, size: int = _READ) -> Iterator[str]:
    """A UTF-8 file's text from its start, in blocks of about ``size`` bytes that each end
    where a content line ends (a line end not followed by a folded continuation), so only a
    block is in memory at a time. A leading BOM is dropped, as ``utf-8-sig`` does.

    Raises:
        IcsError: the file is not UTF-8, naming the line.
    """
    fp.seek(0)
    carry = b""
    lines_before = 0
    first = True
    while True:
        chunk = fp.read(size)
        data = carry + chunk if carry else chunk
        if chunk:
            cut = _content_line_end(data)
            if cut == 0:  # no whole content line yet: read on
                carry = data
                continue
            data, carry = data[:cut], data[cut:]
        elif not data:
            return
        if first:
            first = False
            if data.startswith(codecs.BOM_UTF8):
                data = data[len(codecs.BOM_UTF8) :]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = lines_before + data.count(b"\n", 0, exc.start) + 1
            raise IcsError(f"{name} line {line}: not UTF-8 text ({exc.reason})") from None
        lines_before += data.count(b"\n")
        yield text
        if not chunk:
            return


def _content_line_end(data: bytes) -> int:
    """Where the last whole content line of ``data`` ends (0: none yet). A line end is only a
    content line's end when the byte after it is known and is not a fold's space or tab; a
    line feed never occurs inside a multi-byte UTF-8 character, so every block decodes alone.
    """
    at = data.rfind(b"\n", 0, len(data) - 1)
    while at != -1 and data[at + 1] in _FOLD:
        at = data.rfind(b"\n", 0, at)
    return at + 1


_FOLD = b" \t"


def _decode(data: bytes | str, name: str) -> str:
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise IcsError(f"{name} line {line}: not UTF-8 text ({exc.reason})") from None


class _Dedup:
    """Refuses a second VEVENT with the same UID and RECURRENCE-ID.

    It holds one entry per event of the file (a series or single event by its stored uid,
    an override by that and its recurrence key) with the line it came from; the import asks
    it which uids the file has (:meth:`has`) instead of keeping sets of its own.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: dict[str, int] = {}
        self.seen_overrides: dict[tuple[str, str], int] = {}

    def check(self, item: _Item) -> None:
        """Remember ``item``; :class:`IcsError` if the file had it already."""
        rid = item.event.recurrence_id
        if rid is None:
            first = self.seen.get(item.uid)
            if first is None:
                self.seen[item.uid] = item.line
        else:
            key = (item.uid, recurrence_key(rid))
            first = self.seen_overrides.get(key)
            if first is None:
                self.seen_overrides[key] = item.line
        if first is not None:
            raise IcsError(
                f"{self.name} line {item.line} (UID {item.source_uid}): the same event appears "
                f"again (first at line {first})"
            )

    def has(self, uid: str) -> bool:
        """Did the file have a series or single event stored as ``uid``?"""
        return uid in self.seen

    def check_all(self, items: Iterable[_Item]) -> None:
        """:meth:`check` each item."""
        for item in items:
            self.check(item)
