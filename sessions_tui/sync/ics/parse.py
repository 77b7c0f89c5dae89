"""ICS import, reading: a file's VEVENTs as validated items, one at a time.

See :mod:`sessions_tui.sync.ics` for the rules (zones, RDATE, RECURRENCE-ID, uids).
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
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
from sessions_tui.domain.recurrence import occurrences
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
    named_zone,
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
    rid_day: date | None = None
    this_and_future: bool = False
    """An override's RECURRENCE-ID date as written (its own zone): what it names on an all-day
    series, whatever its value type (Exchange writes a midnight date-time)."""


_FIRST_YEAR = 1900
"""The first year the store keeps (domain.events)."""

_NOTES_KEPT = 200  # lines of a report kept word for word; the rest are counted


@dataclass
class ReadNotes:
    """What a tolerant read skipped and recovered, one line each (issue 26).

    ``strict``: the first problem refuses the whole file (:class:`IcsError`), as before.
    Otherwise an event that cannot be read is skipped with a line naming its line number, UID
    and why, and a shape that can be recovered (no UID, an empty or repeated RRULE, a UID
    given twice) is recovered and noted. Only the first :data:`_NOTES_KEPT` lines of each are
    kept, so a bad large file costs no memory per event.
    """

    strict: bool = False
    skipped: list[str] = field(default_factory=list)
    skipped_count: int = 0
    recovered: list[str] = field(default_factory=list)
    recovered_count: int = 0
    warnings: list[str] = field(default_factory=list)
    this_and_future: bool = False
    """The file has RANGE=THISANDFUTURE overrides (found by the first pass)."""

    def skip(self, message: str) -> None:
        """An event left out; with ``strict``, :class:`IcsError` instead."""
        if self.strict:
            raise IcsError(message)
        self.skipped_count += 1
        if len(self.skipped) < _NOTES_KEPT:
            self.skipped.append(message)

    def recover(self, message: str) -> None:
        """A shape read the way it was meant, noted."""
        self.recovered_count += 1
        if len(self.recovered) < _NOTES_KEPT:
            self.recovered.append(message)

    def warn(self, message: str) -> None:
        """A file-wide warning (an encoding, a zone nothing resolves); each said once."""
        if message not in self.warnings and len(self.warnings) < _NOTES_KEPT:
            self.warnings.append(message)


_STRICT = ReadNotes(strict=True)


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
    notes: ReadNotes = field(default_factory=ReadNotes)
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
        if not ev.has_start:
            raise ValidationError("event has no DTSTART")
        if not uid:
            uid = _derived_uid(ev)
            self.notes.recover(f"{self.name} line {line}: no UID; using {uid} (from its start)")
        rrules = ev.rrules
        if rrules and (len(rrules) > 1 or not rrules[0].strip()):
            where = f"{self.name} line {line} (UID {uid})"
            rrules = [r for r in rrules if r.strip()]
            if len(rrules) < len(ev.rrules):
                self.notes.recover(f"{where}: an empty RRULE, read as no repetition")
            if len(set(rrules)) < len(rrules):
                rrules = list(dict.fromkeys(rrules))
                self.notes.recover(f"{where}: the same RRULE twice, read once")
        if rrules and isinstance(ev.start, date) and ev.start.year < _FIRST_YEAR:
            ev = self._yearly_from_1900(ev, rrules[0], line, uid)
        start_value, start_tz = self._value(ev.start, "DTSTART", ev.start_tzid)
        if (
            ev.start_tzid
            and start_tz is None
            and isinstance(ev.start, datetime)
            and ev.start.tzinfo is None
        ):
            named = named_zone(ev.start_tzid)
            if named is not None:
                start_tz = named.key
            else:
                self.notes.warn(
                    f"{self.name}: TZID {ev.start_tzid!r} is not a zone we know (no VTIMEZONE, "
                    f"not an IANA or Windows name): its times are read in {self.floating}"
                )
        end_value: Any = None
        if ev.has_end:
            end_value, _ = self._value(ev.end, "DTEND")
        duration = None
        if not ev.has_end and ev.has_duration:
            duration = ev.duration
            if not isinstance(duration, timedelta):
                raise ValidationError("bad DURATION")
        if len(rrules) > 1:
            raise ValidationError("several different RRULEs in one event are not supported")
        rid_value = None
        if ev.has_recurrence_id:
            rid_value, _ = self._value(ev.recurrence_id, "RECURRENCE-ID")
        external = ExternalEvent(
            start=start_value,
            end=end_value,
            duration=duration,
            summary=ev.summary,
            tzid=start_tz,
            rrule=rrules[0] if rrules else None,
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
        if event.all_day and ev.day_zone and ev.day_zone != event.tzid:
            # Not a zone: the calendar's, as for any all-day event.
            with contextlib.suppress(ValidationError):
                event = event.with_changes(tzid=zone(ev.day_zone).key)
        item = _Item(
            import_uid(uid, self.practitioner_id),
            event.with_changes(exdates=frozenset()) if event.exdates else event,
            line,
            uid,
            sequence=event.sequence,
        )
        if ev.has_recurrence_id:
            item.master_uid = item.uid
            item.this_and_future = ev.this_and_future
            if isinstance(ev.recurrence_id, datetime):
                item.rid_day = ev.recurrence_id.date()
            return item, []
        extras: list[_Item] = []
        if event.rrule:
            item.exdate_keys = {recurrence_key(x) for x in event.exdates}
        if not ev.rdates:
            return item, extras
        if event.rrule:
            removed = item.exdate_keys
        else:
            removed = {
                recurrence_key(occurrence_of(self._value(v, "EXDATE")[0], event))
                for v in ev.exdates
            }
        base = item.event
        taken = {recurrence_key(base.start)}
        for value, period_end in ev.rdates:
            # RDATE with or without RRULE (issue 26): each date an occurrence of its own,
            # unless it is the start, a date the RRULE gives already, or an EXDATE.
            occ_start = occurrence_of(self._value(value, "RDATE")[0], base)
            key = recurrence_key(occ_start)
            if key in taken or key in removed or (base.rrule and _in_series(base, occ_start)):
                continue
            taken.add(key)
            if isinstance(period_end, timedelta):
                occ_end = occ_start + period_end
            elif period_end is not None:
                occ_end, _ = self.instant(period_end, "RDATE", base.tzid)
            else:
                occ_end = occ_start + base.duration
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

    def _yearly_from_1900(self, ev: VEventData, rule: str, line: int, uid: str) -> VEventData:
        """A yearly series that starts before the years the store keeps (Google's birthdays
        calendar starts a birthday without a year in 1604) starts in the first of those years
        with that day instead: the same occurrences from then on."""
        parts = {p.split("=", 1)[0].upper() for p in rule.split(";") if p}
        if "FREQ=YEARLY" not in rule.upper() or parts & {"COUNT", "INTERVAL", "BYYEARDAY"}:
            return ev
        start = ev.start
        for year in range(_FIRST_YEAR, _FIRST_YEAR + 8):
            try:
                moved = start.replace(year=year)
            except ValueError:  # 29 February
                continue
            shift = moved - start
            self.notes.recover(
                f"{self.name} line {line} (UID {uid}): a yearly series from {start.year}, "
                f"read from {year}"
            )
            end = ev.end + shift if ev.has_end and isinstance(ev.end, date) else ev.end
            return dataclasses.replace(ev, start=moved, end=end)
        return ev

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


def _in_series(event: Event, start: Instant) -> bool:
    """Is ``start`` an occurrence the series' RRULE gives (its EXDATEs aside)?"""
    if isinstance(start, datetime):
        lo, hi = start - timedelta(minutes=1), start + timedelta(minutes=1)
    else:
        lo = datetime(start.year, start.month, start.day, tzinfo=UTC)
        hi = lo + timedelta(days=1)
    probe = event.with_changes(exdates=frozenset())
    return any(o.start == start for o in occurrences(probe, lo, hi, display_tz=ZoneInfo("UTC")))


def _derived_uid(ev: VEventData) -> str:
    """A UID for an event that has none, from what it is (start, title, repetition): the same
    file gives the same UIDs, so importing it again changes nothing."""
    import hashlib

    basis = "\x1f".join(
        (repr(ev.start), ev.start_tzid, ev.summary, *ev.rrules, repr(ev.recurrence_id))
    )
    return "derived-" + hashlib.sha256(basis.encode()).hexdigest()[:24] + "@sessions-tui"


def iter_items(
    text: str | Callable[[], Iterable[str]],
    *,
    name: str,
    practitioner_id: int,
    floating_tz: str,
    locations: dict[str, int] | None = None,
    label: str | None = None,
    notes: ReadNotes | None = None,
) -> tuple[str, Iterator[_Item]]:
    """The calendar label, and a lazy stream of validated items, one VEVENT at a time.

    With ``notes`` (not strict), an event that cannot be read is skipped and noted there, and
    recovered shapes are noted; without, the first problem raises (all or nothing).

    ``text`` is the file's text, or a function that gives its blocks afresh
    (:func:`file_blocks`; it is called twice, so a file is read twice and never held whole).
    The label and zones are read before the first item (a cheap scan); the items are parsed
    as the stream is consumed, so a large file is never held as a tree.

    Raises (from the stream too):
        IcsError: the first problem, with file name, line and UID.
    """
    blocks: Callable[[], Iterable[str]] = (lambda: (text,)) if isinstance(text, str) else text
    blank = True
    notes = notes or _STRICT

    def first_pass() -> Iterator[str]:
        nonlocal blank
        for block in blocks():
            if blank and block and not block.isspace():
                blank = False
            yield block

    calendars, zones = prescan(first_pass())
    if any(c.this_and_future for c in calendars) and notes is not _STRICT:
        notes.this_and_future = True
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
                            notes=notes,
                        )
                    data = fast.read(raw)
                    try:
                        if data is None:
                            try:
                                data = from_icalendar(raw)
                            except ValueError as exc:
                                message = str(exc).splitlines()[0] if str(exc) else "unreadable"
                                raise IcsError(
                                    f"{where(raw.line)}: not valid iCalendar: {message}"
                                ) from None
                        item, extras = reader.read(data, raw.line)
                    except IcsError as exc:
                        if notes.strict:
                            raise
                        notes.skip(f"{exc.message}; event skipped")
                        continue
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
    items = _Dedup(name).check_all(stream)
    return items, final_label


_READ = 1 << 20  # bytes read from a file at a time


MAX_BYTES = 256 << 20
"""The largest file an import reads by default (``ics import --max-size`` changes it)."""
MAX_LINE = 4 << 20
"""The longest content line (one property, unfolded) a file may have: a reasonable calendar's
longest (an attachment inline) is far below; ``/dev/zero`` or a broken file reaches it at once."""


def file_blocks(
    fp: BinaryIO,
    name: str,
    size: int = _READ,
    notes: ReadNotes | None = None,
    max_bytes: int = MAX_BYTES,
) -> Iterator[str]:
    """A file's text from its start, in blocks of about ``size`` bytes that each end
    where a content line ends (a line end not followed by a folded continuation), so only a
    block is in memory at a time. A leading BOM is dropped, as ``utf-8-sig`` does. Text that
    is not UTF-8 is read as Windows-1252 from that block on, with a warning in ``notes``.

    Raises:
        IcsError: the file is neither UTF-8 nor Windows-1252, naming the line; it is larger
            than ``max_bytes``; a content line is longer than :data:`MAX_LINE`.
    """
    fp.seek(0)
    carry = b""
    lines_before = 0
    first = True
    encoding = "utf-8"
    total = 0
    while True:
        chunk = fp.read(size)
        total += len(chunk)
        if total > max_bytes:
            raise IcsError(
                f"{name} is larger than {_megabytes(max_bytes)}: not read "
                "(ics import --max-size MB reads larger files)"
            )
        data = carry + chunk if carry else chunk
        if chunk:
            cut = _content_line_end(data)
            if cut == 0:  # no whole content line yet: read on
                if len(data) > MAX_LINE:
                    raise IcsError(
                        f"{name} line {lines_before + 1}: a line longer than "
                        f"{_megabytes(MAX_LINE)}: not an iCalendar file"
                    )
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
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            line = lines_before + data.count(b"\n", 0, exc.start) + 1
            text = _windows_1252(data, f"{name} line {line}", exc, notes)
            encoding = "cp1252"
        lines_before += data.count(b"\n")
        yield text
        if not chunk:
            return


def _megabytes(n: int) -> str:
    return f"{n / (1 << 20):g} MB"


def _windows_1252(data: bytes, where: str, exc: UnicodeDecodeError, notes: ReadNotes | None) -> str:
    """``data`` read as Windows-1252 (what Outlook and old Windows tools write), with a
    warning; :class:`IcsError` if it is not that either."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise IcsError(f"{where}: not UTF-8 text ({exc.reason})") from None
    (notes or ReadNotes()).warn(f"{where}: not UTF-8 text ({exc.reason}); read as Windows-1252")
    return text


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


def _decode(data: bytes | str, name: str, notes: ReadNotes | None = None) -> str:
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return _windows_1252(data, f"{name} line {line}", exc, notes)


class _Dedup:
    """One event per UID (and RECURRENCE-ID): a repeated one keeps the higher SEQUENCE, then
    the later (as subscriptions do); with strict notes a repeat refuses the file.

    It holds one entry per event of the file (a series or single event by its stored uid,
    an override by that and its recurrence key) with the line it came from, and the SEQUENCE
    of those that have one; the import asks it which uids the file has (:meth:`has`) instead
    of keeping sets of its own.
    """

    def __init__(self, name: str, notes: ReadNotes | None = None) -> None:
        self.name = name
        self.notes = notes or _STRICT
        self.seen: dict[str, int] = {}
        self.sequences: dict[str, int] = {}
        self.seen_overrides: dict[tuple[str, str], tuple[int, int]] = {}

    def check(self, item: _Item) -> bool:
        """Remember ``item``: ``True`` if it is new or replaces an earlier one with a lower or
        equal SEQUENCE, ``False`` if an earlier one wins. Strict: :class:`IcsError` on a repeat.
        """
        rid = item.event.recurrence_id
        if rid is None:
            first = self.seen.get(item.uid)
            if first is None:
                self.seen[item.uid] = item.line
                if item.sequence:
                    self.sequences[item.uid] = item.sequence
                return True
            old_sequence = self.sequences.get(item.uid, 0)
        else:
            key = (item.uid, recurrence_key(rid))
            found = self.seen_overrides.get(key)
            if found is None:
                self.seen_overrides[key] = (item.line, item.sequence)
                return True
            first, old_sequence = found
        where = f"{self.name} line {item.line} (UID {item.source_uid})"
        if self.notes.strict:
            raise IcsError(f"{where}: the same event appears again (first at line {first})")
        keep = item.sequence >= old_sequence
        self.notes.recover(
            f"{where}: the same event appears again (first at line {first}); "
            + (
                "this one is kept (higher or equal SEQUENCE, later)"
                if keep
                else "the first is kept (higher SEQUENCE)"
            )
        )
        if keep:
            if rid is None:
                self.seen[item.uid] = item.line
                self.sequences[item.uid] = item.sequence
            else:
                self.seen_overrides[key] = (item.line, item.sequence)
        return keep

    def has(self, uid: str) -> bool:
        """Did the file have a series or single event stored as ``uid``?"""
        return uid in self.seen

    def check_all(self, items: Iterable[_Item]) -> list[_Item]:
        """The items kept by :meth:`check` (the last kept of each event)."""
        kept: dict[tuple[str, str | None], _Item] = {}
        for item in items:
            if self.check(item):
                rid = item.event.recurrence_id
                ident = (item.uid, recurrence_key(rid) if rid is not None else None)
                kept.pop(ident, None)
                kept[ident] = item
        return list(kept.values())
