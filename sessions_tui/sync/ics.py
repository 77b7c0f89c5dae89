"""ICS in and out: RFC 5545 export of a practitioner's (or the practice's) calendar, and import.

Export
    One VEVENT per stored event, sorted by UID, with ZoneInfo starts in the event's own zone and
    a VTIMEZONE for every zone used (``add_missing_timezones``). A series is one VEVENT with
    RRULE and EXDATE (deleted occurrences); each overridden occurrence is a VEVENT with the
    *series'* UID and a RECURRENCE-ID (in the store an override has its own uid, e.g.
    ``<series uid>#<key>``). For a single practitioner's calendar, an override moved to another
    practitioner becomes an EXDATE, and an override of another practitioner's series moved to
    this one is a stand-alone event with its stored uid, so the export gives exactly the
    occurrences the window query gives for that practitioner. Events with no practitioner
    (practice-wide) are part of every practitioner's calendar, as in the window query.

    Privacy: a client session's SUMMARY is the chosen identifier and nothing else; no property
    carries any other part of the client's name, and notes are never exported.

Import
    Events become "other" events of one practitioner. Zones: IANA and Windows names in TZID
    (icalendar maps Windows names), VTIMEZONEs with custom names (matched to an equivalent IANA
    zone by their transitions), X-WR-TIMEZONE (Google, Apple) for floating times and the zone
    of UTC one-off events. Floating times, and times in an unknown TZID, are read in
    X-WR-TIMEZONE, else the practitioner's zone (their office hours' zone, else the practice
    display zone, else UTC). RDATE: each extra date is stored as a separate single event with
    uid ``<uid>#rdate-<key>`` (our store has no RDATE; consumers see the same occurrences).
    RECURRENCE-ID overrides become overrides of the series (RANGE=THISANDFUTURE is treated as
    this occurrence only). Re-importing updates by UID and adds nothing; events missing from a
    later file are left alone. One transaction: a malformed file or event changes nothing and
    is reported with its line and UID.

    Stored uids are namespaced by practitioner (``<uid>#p<id>``) because a uid is unique in the
    store and two practitioners may import the same holidays file; export strips the suffix,
    so export → import → export keeps UIDs.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from sessions_tui.domain.errors import PermissionDenied, SessionsError, ValidationError
from sessions_tui.domain.events import Event, EventKind, Instant, Status, validate_event
from sessions_tui.domain.model import Client, Staff
from sessions_tui.domain.timeutil import zone
from sessions_tui.services import hours as hours_service
from sessions_tui.services.context import Context
from sessions_tui.services.feeds import (
    IdentifierMode,
    can_manage_feed,
    check_identifier,
    client_label,
)
from sessions_tui.services.permissions import require_edit_event
from sessions_tui.store import queries
from sessions_tui.store.queries import parse_recurrence_key, recurrence_key
from sessions_tui.store.tables import (
    ClientRow,
    EventRow,
    ExdateRow,
    LocationRow,
    PracticeRow,
    StaffRow,
)

PRODID = "-//sessions-tui//sessions-tui 0.1//EN"
_IMPORT_SUFFIX = re.compile(r"#p(\d+)$")
_CHUNK = 500
# Core tables: typed as Any, because SQLModel's class attributes confuse mypy in SQL expressions.
_EV: Any = EventRow.__table__  # type: ignore[attr-defined]
_EX: Any = ExdateRow.__table__  # type: ignore[attr-defined]
_CL: Any = ClientRow.__table__  # type: ignore[attr-defined]
_LOC: Any = LocationRow.__table__  # type: ignore[attr-defined]
_ZONE_RULES_UNTIL = date(2040, 1, 1)


class IcsError(ValidationError):
    """A malformed .ics file or event; the message names the file, line and UID."""


# --- export ---------------------------------------------------------------------------------


def export_uid(stored_uid: str, practitioner_id: int | None) -> str:
    """The UID to publish for a stored uid: imported events lose their ``#p<id>`` namespace."""
    match = _IMPORT_SUFFIX.search(stored_uid)
    if match and practitioner_id is not None and int(match.group(1)) == practitioner_id:
        return stored_uid[: match.start()]
    return stored_uid


def import_uid(source_uid: str, practitioner_id: int) -> str:
    """The stored uid of an imported event (see :func:`export_uid`)."""
    return f"{source_uid}#p{practitioner_id}"


def _scope(practitioner_id: int | None, table: Any = None) -> ColumnElement[bool]:
    cols = (table if table is not None else _EV).c
    if practitioner_id is None:
        return and_(True)
    return or_(cols.practitioner_id == practitioner_id, cols.practitioner_id.is_(None))


@dataclass
class _Snapshot:
    """Everything an export reads, loaded in one session."""

    rows: list[EventRow]
    exdates: dict[int, list[str]]
    foreign_overrides: dict[int, list[str]]
    clients: dict[int, Client]
    locations: dict[int, str]


def _load(s: Session, practitioner_id: int | None) -> _Snapshot:
    rows = list(
        s.execute(select(EventRow).where(_scope(practitioner_id)).order_by(_EV.c.id)).scalars()
    )
    exdates: dict[int, list[str]] = defaultdict(list)
    master = _EV.alias("master")
    for sid, key in s.execute(
        select(_EX.c.series_id, _EX.c.recurrence_key)
        .join(master, master.c.id == _EX.c.series_id)
        .where(_scope(practitioner_id, master))
    ):
        exdates[sid].append(key)
    foreign: dict[int, list[str]] = defaultdict(list)
    if practitioner_id is not None:
        override = _EV.alias("override")
        for sid, key in s.execute(
            select(override.c.series_id, override.c.recurrence_key)
            .join(master, master.c.id == override.c.series_id)
            .where(
                _scope(practitioner_id, master),
                override.c.practitioner_id.is_not(None),
                override.c.practitioner_id != practitioner_id,
            )
        ):
            if key:
                foreign[sid].append(key)
    client_ids = select(_EV.c.client_id).where(_scope(practitioner_id)).distinct()
    clients = {
        r.id: queries.client_from_row(r)
        for r in s.execute(select(ClientRow).where(_CL.c.id.in_(client_ids))).scalars()
    }
    locations = {r.id: r.name for r in s.execute(select(LocationRow)).scalars()}
    return _Snapshot(rows, exdates, foreign, clients, locations)  # type: ignore[arg-type]


def _ical_instant(value: Instant, tz: ZoneInfo) -> Instant:
    if isinstance(value, datetime):
        return value.astimezone(tz)
    return value


def _row_bounds(row: EventRow) -> tuple[Instant, Instant]:
    if row.all_day:
        assert row.start_date is not None
        assert row.end_date is not None
        return row.start_date, row.end_date
    return row.start_utc, row.end_utc


def build_calendar(
    s: Session,
    *,
    practitioner: Staff | None,
    identifier: IdentifierMode,
    now: datetime,
) -> icalendar.Calendar:
    """The calendar of ``practitioner`` (or the whole practice), naming clients by ``identifier``.

    No permission check: callers (:func:`export_calendar`, the feed server) do that.
    """
    settings = queries.settings_from_row(s.get(PracticeRow, 1))
    pid = practitioner.id if practitioner is not None else None
    snap = _load(s, pid)
    name = f"{practitioner.name} – {settings.name}" if practitioner else settings.name
    cal = icalendar.Calendar.new(
        name=name,
        prodid=PRODID,
        uid=f"sessions-tui-{'practitioner-' + str(pid) if pid else 'practice'}",
    )
    by_id = {r.id: r for r in snap.rows}
    stored_uids = {r.uid for r in snap.rows}

    def public_uid(row: EventRow) -> str:
        # An imported copy of an event that is itself in this calendar keeps its stored uid,
        # so no two events share a UID.
        uid = export_uid(row.uid, row.practitioner_id)
        return row.uid if uid != row.uid and uid in stored_uids else uid

    items: list[tuple[str, str, icalendar.Event]] = []  # (uid, recurrence key, VEVENT)
    first_day: date | None = None
    last_day: date | None = None
    for row in snap.rows:
        start, end = _row_bounds(row)
        tz = zone(row.tzid)
        master = by_id.get(row.series_id) if row.series_id is not None else None
        uid = public_uid(row)
        rid: Instant | None = None
        if master is not None and row.recurrence_key:
            uid = public_uid(master)
            rid = _ical_instant(parse_recurrence_key(row.recurrence_key), zone(master.tzid))
            if master.all_day and isinstance(rid, datetime):
                rid = rid.date()
        if row.kind == EventKind.SESSION.value:
            client = snap.clients.get(row.client_id) if row.client_id is not None else None
            summary = (
                client_label(client, identifier, internal_ids=settings.internal_ids)
                if client is not None
                else "Session"
            )
        else:
            summary = row.title
        ev = icalendar.Event.new(
            uid=uid,
            start=_ical_instant(start, tz),
            end=_ical_instant(end, tz),
            summary=summary,
            stamp=now,
            sequence=row.sequence,
            recurrence_id=rid,
            location=snap.locations.get(row.location_id) if row.location_id else None,
            last_modified=row.updated_at,
        )
        ev.add("transp", "OPAQUE" if row.busy else "TRANSPARENT")
        if row.status == Status.CANCELLED.value:
            ev.add("status", "CANCELLED")
        else:
            ev.add("status", "CONFIRMED")
        if row.kind == EventKind.SESSION.value:
            ev.add("class", "PRIVATE")
        if row.rrule:
            ev.add("rrule", icalendar.vRecur.from_ical(row.rrule))
            keys = sorted(set(snap.exdates.get(row.id or 0, [])) |
                          set(snap.foreign_overrides.get(row.id or 0, [])))
            if keys:
                ex = [_ical_instant(parse_recurrence_key(k), tz) for k in keys]
                if row.all_day:
                    ex = [x.date() if isinstance(x, datetime) else x for x in ex]
                ev.add("exdate", ex)
        items.append((uid, (row.recurrence_key or "") if rid is not None else "", ev))
        day0 = start if not isinstance(start, datetime) else start.date()
        day1 = end if not isinstance(end, datetime) else end.date()
        if row.rrule and row.series_end_utc is not None:
            day1 = max(day1, row.series_end_utc.date())
        first_day = day0 if first_day is None else min(first_day, day0)
        last_day = day1 if last_day is None else max(last_day, day1)
    items.sort(key=lambda item: (item[0], item[1]))
    for _uid, _key, ev in items:
        cal.add_component(ev)
    if first_day is not None and last_day is not None:
        # Endless series run past any last date; zone rules are written out to 2040 at least
        # (consumers that know the IANA name, as most do, use their own rules anyway).
        cal.add_missing_timezones(
            first_date=first_day - timedelta(days=1),
            last_date=max(last_day, _ZONE_RULES_UNTIL) + timedelta(days=1),
        )
    return cal


def export_calendar(
    ctx: Context,
    *,
    practitioner_id: int | None,
    identifier: IdentifierMode = IdentifierMode.INITIALS,
    confirm_pii: bool = False,
) -> bytes:
    """RFC 5545 bytes of a practitioner's calendar, or the practice's when ``None``.

    Raises:
        PermissionDenied: a practitioner asking for someone else's (or the whole) calendar.
        ValidationError: full names without ``confirm_pii``; internal IDs while they are off.
    """
    actor = ctx.require_actor()
    if practitioner_id is None:
        if not (actor.is_admin or actor.is_scheduler):
            raise PermissionDenied(
                f"{actor.login} may export only their own calendar (use --practitioner)"
            )
    elif not can_manage_feed(actor, practitioner_id):
        raise PermissionDenied(f"{actor.login} may export only their own calendar")
    check_identifier(ctx, identifier, confirm_pii=confirm_pii)
    with ctx.db.session() as s:
        person: Staff | None = None
        if practitioner_id is not None:
            row = s.get(StaffRow, practitioner_id)
            if row is None:
                raise ValidationError(f"no practitioner with id {practitioner_id}")
            person = queries.staff_from_row(row)
        cal = build_calendar(s, practitioner=person, identifier=identifier, now=ctx.clock.now())
        return bytes(cal.to_ical())


# --- feed fingerprint (for caching and conditional GETs) ------------------------------------


@dataclass(frozen=True)
class FeedState:
    """What a feed body depends on, cheaply read: equal states give equal bodies.

    Attributes:
        key: A hashable summary of everything the body depends on.
        last_modified: The newest change among the practitioner's events and feed settings.
    """

    key: tuple[Any, ...]
    last_modified: datetime | None


def feed_state(
    s: Session, practitioner_id: int, identifier: IdentifierMode, settings_changed: datetime | None
) -> FeedState:
    """Fingerprint of a practitioner's feed: aggregates, not the events themselves."""
    ev = s.execute(
        select(func.count(), func.max(_EV.c.updated_at), func.sum(_EV.c.id),
               func.sum(_EV.c.version)).where(_scope(practitioner_id))
    ).one()
    master = _EV.alias("master")
    ex = s.execute(
        select(func.count(), func.sum(_EX.c.id))
        .select_from(_EX)
        .join(master, master.c.id == _EX.c.series_id)
        .where(_scope(practitioner_id, master))
    ).one()
    client_ids = select(_EV.c.client_id).where(_scope(practitioner_id)).distinct()
    names = s.execute(
        select(_CL.c.id, _CL.c.first_name, _CL.c.last_name, _CL.c.internal_id)
        .where(_CL.c.id.in_(client_ids))
        .order_by(_CL.c.id)
    ).all()
    locs = s.execute(select(_LOC.c.id, _LOC.c.name).order_by(_LOC.c.id)).all()
    practice = s.get(PracticeRow, 1)
    person = s.get(StaffRow, practitioner_id)
    key = (
        practitioner_id,
        identifier.value,
        tuple(ev),
        tuple(ex),
        _digest(names),
        _digest(locs),
        (practice.name, practice.internal_ids) if practice else None,
        person.name if person else None,
    )
    stamps = [t for t in (ev[1], settings_changed) if t is not None]
    return FeedState(key, max(stamps) if stamps else None)


def _digest(rows: Sequence[Any]) -> str:
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


# --- import ---------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import did. ``unchanged`` rows were already as in the file."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    events: int = 0
    label: str = ""

    def summary(self) -> str:
        return (
            f"Imported {self.events} events into {self.label!r}: {self.added} added, "
            f"{self.updated} updated, {self.unchanged} unchanged"
            + (f", {self.removed} stale occurrences removed" if self.removed else "")
            + "."
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


def practitioner_zone(ctx: Context, practitioner_id: int) -> str:
    """Their office hours' zone, else the practice display zone, else UTC."""
    found = hours_service.get_hours(ctx, practitioner_id)
    if found is not None:
        return found.tzid
    with ctx.db.session() as s:
        settings = queries.settings_from_row(s.get(PracticeRow, 1))
    return settings.display_tz or "UTC"


def _scan_structure(text: str, name: str) -> list[int]:
    """Check BEGIN/END nesting; return the line number of each BEGIN:VEVENT in order."""
    stack: list[tuple[str, int]] = []
    vevents: list[int] = []
    saw_calendar = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        upper = line.upper()
        if upper.startswith("BEGIN:"):
            comp = upper[6:].strip()
            if not stack and comp != "VCALENDAR":
                raise IcsError(f"{name} line {number}: {comp} outside a VCALENDAR")
            if comp == "VCALENDAR":
                saw_calendar = True
            if comp == "VEVENT":
                vevents.append(number)
            stack.append((comp, number))
        elif upper.startswith("END:"):
            comp = upper[4:].strip()
            if not stack or stack[-1][0] != comp:
                expected = f"END:{stack[-1][0]}" if stack else "nothing"
                raise IcsError(f"{name} line {number}: END:{comp} where {expected} was expected")
            stack.pop()
    if stack:
        comp, number = stack[-1]
        raise IcsError(f"{name} line {number}: BEGIN:{comp} is never ended")
    if not saw_calendar:
        raise IcsError(f"{name}: not an iCalendar file (no BEGIN:VCALENDAR)")
    return vevents


def _find_line(text: str, needle: str) -> int | None:
    for number, raw in enumerate(text.splitlines(), start=1):
        if needle and needle in raw:
            return number
    return None


_MAJOR_ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Toronto",
    "America/Mexico_City", "America/Sao_Paulo", "Europe/London", "Europe/Dublin",
    "Europe/Lisbon", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome",
    "Europe/Helsinki", "Europe/Athens", "Europe/Istanbul", "Europe/Moscow", "Asia/Dubai",
    "Asia/Kolkata", "Asia/Shanghai", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney",
    "Australia/Perth", "Pacific/Auckland", "Africa/Johannesburg", "UTC",
)


@lru_cache(maxsize=1)
def _candidate_zones() -> tuple[str, ...]:
    from zoneinfo import available_timezones

    rest = sorted(z for z in available_timezones() if z not in _MAJOR_ZONES
                  and not z.startswith(("Etc/", "SystemV/", "posix", "right")))
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
    key = (hint, id(tz), year)
    if key in _match_cache:
        return _match_cache[key]
    samples = [datetime(y, m, d, h, tzinfo=UTC) for y in (year - 1, year, year + 1)
               for m in range(1, 13) for d in (1, 5, 9, 13, 17, 21, 25) for h in (1, 13)]
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


@dataclass
class _Reader:
    """Turns one file's VEVENTs into items; knows the file's zones."""

    name: str
    practitioner_id: int
    floating: str
    locations: dict[str, int]
    label: str

    def instant(
        self, value: Any, what: str, wall_zone: str | None = None, hint: str = ""
    ) -> tuple[Instant, str | None]:
        """(UTC instant or date, IANA zone of the value if it had one)."""
        if isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                return value.replace(tzinfo=zone(wall_zone or self.floating)).astimezone(UTC), None
            return value.astimezone(UTC), _tzid_of(value, hint)
        if isinstance(value, date):
            return value, None
        raise ValidationError(f"{what} is not a date or date-time")

    def read(self, ev: icalendar.Event, line: int) -> tuple[_Item, list[_Item]]:
        """The item of one VEVENT, plus RDATE extras."""
        uid = str(ev.get("UID", "")).strip()
        where = f"{self.name} line {line}" + (f" (UID {uid})" if uid else "")
        try:
            return self._read(ev, line, uid)
        except SessionsError as exc:
            raise IcsError(f"{where}: {exc.message}") from None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise IcsError(f"{where}: {exc}") from None

    def _read(self, ev: icalendar.Event, line: int, uid: str) -> tuple[_Item, list[_Item]]:
        if ev.errors:
            prop, message = ev.errors[0]
            raise ValidationError(f"bad {prop}: {message}")
        if not uid:
            raise ValidationError("event has no UID")
        if "DTSTART" not in ev:
            raise ValidationError("event has no DTSTART")
        raw_start = ev.decoded("DTSTART")
        hint = str(getattr(ev["DTSTART"], "params", {}).get("TZID", ""))
        start, start_tz = self.instant(raw_start, "DTSTART", hint=hint)
        all_day = not isinstance(start, datetime)
        end: Instant
        if "DTEND" in ev:
            raw_end = ev.decoded("DTEND")
            if isinstance(raw_end, datetime) != isinstance(raw_start, datetime):
                raise ValidationError("DTSTART and DTEND differ in type (date vs date-time)")
            end, _ = self.instant(raw_end, "DTEND", start_tz)
        elif "DURATION" in ev:
            duration = ev.decoded("DURATION")
            if not isinstance(duration, timedelta):
                raise ValidationError("bad DURATION")
            end = start + duration
        else:
            end = start + timedelta(days=1) if all_day else start
        if all_day:
            assert isinstance(start, date)
            assert isinstance(end, date)
            if end == start:
                end = start + timedelta(days=1)  # older Apple exports: DTEND = DTSTART
        else:
            assert isinstance(start, datetime)
            assert isinstance(end, datetime)
            if end == start:
                # A zero-length event (a reminder); the calendar needs a positive length.
                end = start + timedelta(minutes=1)
        if end < start:  # type: ignore[operator]
            raise ValidationError("DTEND is before DTSTART")
        rrule_text: str | None = None
        if "RRULE" in ev:
            rule = ev.get("RRULE")
            if isinstance(rule, list):
                if len(rule) > 1:
                    raise ValidationError("several RRULEs in one event are not supported")
                rule = rule[0]
            rrule_text = rule.to_ical().decode()
        tzid = start_tz or self.floating
        if start_tz == "UTC" and rrule_text is None and "RECURRENCE-ID" not in ev:
            # A one-off in UTC (Google's style) is edited in the calendar's zone; a UTC series
            # keeps UTC so it expands as the file says.
            tzid = self.floating
        transp = str(ev.get("TRANSP", "OPAQUE")).upper()
        status = str(ev.get("STATUS", "")).upper()
        location = str(ev.get("LOCATION", "")).strip().casefold()
        title = str(ev.get("SUMMARY", "")).replace("\r\n", " ").replace("\n", " ")
        if not title.strip():
            title = "(no title)"
        event = Event(
            kind=EventKind.OTHER,
            title=title,
            start=start,
            end=end,
            tzid=tzid,
            practitioner_id=self.practitioner_id,
            location_id=self.locations.get(location) if location else None,
            all_day=all_day,
            busy=transp != "TRANSPARENT",
            status=Status.CANCELLED if status == "CANCELLED" else Status.SCHEDULED,
            rrule=rrule_text,
            source_calendar=self.label,
            sequence=int(ev.get("SEQUENCE", 0) or 0),
        )
        event = validate_event(event)
        item = _Item(import_uid(uid, self.practitioner_id), event, line, uid,
                     sequence=event.sequence)
        if "RECURRENCE-ID" in ev:
            rid_raw = ev.decoded("RECURRENCE-ID")
            rid, _ = self.instant(rid_raw, "RECURRENCE-ID", start_tz)
            item.master_uid = item.uid
            item.event = item.event.with_changes(recurrence_id=rid, rrule=None)
            return item, []
        extras: list[_Item] = []
        if rrule_text:
            for value in ev.exdates:
                item.exdate_keys.add(self._occurrence_key(value, event))
            for value, period_end in ev.rdates:
                occ_start = self._occurrence_instant(value, event)
                if isinstance(period_end, timedelta):
                    occ_end = occ_start + period_end
                elif period_end is not None:
                    occ_end, _ = self.instant(period_end, "RDATE", event.tzid)
                else:
                    occ_end = occ_start + event.duration
                key = recurrence_key(occ_start)
                extra = validate_event(event.with_changes(start=occ_start, end=occ_end, rrule=None))
                extras.append(_Item(import_uid(f"{uid}#rdate-{key}", self.practitioner_id), extra,
                                    line, uid, sequence=event.sequence))
        return item, extras

    def _occurrence_instant(self, value: Any, event: Event) -> Instant:
        if event.all_day:
            return value.date() if isinstance(value, datetime) else value  # type: ignore[no-any-return]
        if isinstance(value, datetime):
            inst, _ = self.instant(value, "EXDATE", event.tzid)
            return inst
        # A date on a timed series: the occurrence on that day at the series' wall time.
        assert isinstance(event.start, datetime)
        wall = event.start.astimezone(zone(event.tzid)).timetz().replace(tzinfo=None)
        return datetime.combine(value, wall, tzinfo=zone(event.tzid)).astimezone(UTC)

    def _occurrence_key(self, value: Any, event: Event) -> str:
        return recurrence_key(self._occurrence_instant(value, event))


_COMPARED = [
    c.name
    for c in EventRow.__table__.columns  # type: ignore[attr-defined]
    if c.name not in ("id", "uid", "created_at", "updated_at", "version")
]


def _row_values(event: Event, uid: str, sequence: int, now: datetime) -> dict[str, Any]:
    row = queries.fill_row(
        EventRow(uid=uid, kind=event.kind.value, tzid=event.tzid, start_utc=now, end_utc=now,
                 created_at=now, updated_at=now),
        event,
    )
    values = {name: getattr(row, name) for name in _COMPARED}
    values.update(uid=uid, sequence=sequence, created_at=now, updated_at=now, version=1)
    return values


def parse_calendar(
    data: bytes | str, *, name: str, practitioner_id: int, floating_tz: str,
    locations: dict[str, int] | None = None, label: str | None = None,
) -> tuple[list[_Item], str]:
    """Parse and validate a whole file; returns the items and the calendar label.

    Raises:
        IcsError: the first problem, with file name, line and UID.
    """
    text = data.decode("utf-8-sig", errors="strict") if isinstance(data, bytes) else data
    if not text.strip():
        raise IcsError(f"{name}: the file is empty")
    vevent_lines = _scan_structure(text, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            calendars = icalendar.Calendar.from_ical(text, multiple=True)
        except ValueError as exc:
            message = str(exc).splitlines()[0]
            match = re.search(r"'(.*?)'", message)
            line = _find_line(text, match.group(1)) if match else None
            where = f"{name} line {line}" if line else name
            raise IcsError(f"{where}: not valid iCalendar: {message}") from None
        items: list[_Item] = []
        cal_label = label
        index = 0
        for cal in calendars:
            floating = floating_tz
            wr_tz = str(cal.get("X-WR-TIMEZONE", "")).strip()
            if wr_tz:
                try:
                    floating = zone(wr_tz).key
                except ValidationError:
                    from icalendar.timezone import tzp

                    guessed = tzp.timezone(wr_tz)
                    if isinstance(guessed, ZoneInfo):
                        floating = guessed.key
            if cal_label is None and cal.get("X-WR-CALNAME"):
                cal_label = str(cal.get("X-WR-CALNAME")).strip()
            reader = _Reader(name, practitioner_id, floating, locations or {},
                             cal_label or Path(name).stem)
            for ev in cal.walk("VEVENT"):
                line = vevent_lines[index] if index < len(vevent_lines) else 0
                index += 1
                assert isinstance(ev, icalendar.Event)
                item, extras = reader.read(ev, line)
                items.append(item)
                items.extend(extras)
    final_label = cal_label or Path(name).stem
    for item in items:
        item.event = item.event.with_changes(source_calendar=final_label)
    seen: dict[tuple[str, str | None], int] = {}
    for item in items:
        rid = item.event.recurrence_id
        ident = (item.uid, recurrence_key(rid) if rid is not None else None)
        if ident in seen:
            raise IcsError(
                f"{name} line {item.line} (UID {item.source_uid}): the same event appears "
                f"again (first at line {seen[ident]})"
            )
        seen[ident] = item.line
    return items, final_label


def import_calendar(
    ctx: Context, data: bytes | str, *, practitioner_id: int, name: str = "calendar.ics",
    label: str | None = None,
) -> ImportReport:
    """Bring a calendar in as other events of a practitioner, in one transaction.

    Raises:
        IcsError: malformed file or event (nothing is changed).
        PermissionDenied: a practitioner importing into someone else's calendar.
    """
    actor = ctx.require_actor()
    with ctx.db.session() as s:
        row = s.get(StaffRow, practitioner_id)
        if row is None or "practitioner" not in row.roles.split(","):
            raise ValidationError(f"no practitioner with id {practitioner_id}")
    probe = Event(kind=EventKind.OTHER, title="x", start=date(2000, 1, 1),
                  end=date(2000, 1, 2), tzid="UTC", all_day=True, practitioner_id=practitioner_id)
    require_edit_event(actor, probe)
    floating = practitioner_zone(ctx, practitioner_id)
    with ctx.db.session() as s:
        locations = {
            r.name.casefold(): int(r.id) for r in s.execute(select(LocationRow)).scalars() if r.id
        }
    items, final_label = parse_calendar(
        data, name=name, practitioner_id=practitioner_id, floating_tz=floating,
        locations=locations, label=label,
    )
    now = ctx.clock.now()
    report = ImportReport(events=len(items), label=final_label)
    with ctx.db.session() as s:
        _store(s, items, practitioner_id, now, report)
    return report


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _store(s: Session, items: list[_Item], pid: int, now: datetime, report: ImportReport) -> None:
    table = _EV
    cols = table.c
    uids = [i.uid for i in items]
    existing: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(uids):
        for r in s.execute(select(table).where(cols.uid.in_(chunk))).mappings():
            existing[r["uid"]] = dict(r)
    for uid, old in existing.items():
        if old["practitioner_id"] != pid:
            raise IcsError(f"event {uid!r} already belongs to another practitioner")
    masters = [i for i in items if i.master_uid is None]
    overrides = [i for i in items if i.master_uid is not None]
    ids: dict[str, int] = {uid: r["id"] for uid, r in existing.items()}

    def write(batch: list[_Item], series_of: dict[str, int] | None) -> None:
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for item in batch:
            event = item.event
            if series_of is not None:
                assert item.master_uid is not None
                event = event.with_changes(series_id=series_of[item.master_uid])
            values = _row_values(event, item.uid, item.sequence, now)
            old = existing.get(item.uid)
            if old is None:
                inserts.append(values)
            elif any(old[c] != values[c] for c in _COMPARED):
                changed = {c: values[c] for c in _COMPARED}
                changed.update(b_id=old["id"], version=old["version"] + 1, updated_at=now)
                updates.append(changed)
            else:
                report.unchanged += 1
        if inserts:
            stmt = insert(table).returning(cols.id, cols.uid, sort_by_parameter_order=True)
            for new_id, new_uid in s.execute(stmt, inserts):
                ids[new_uid] = new_id
            report.added += len(inserts)
        if updates:
            from sqlalchemy import bindparam

            sets: dict[str, Any] = {c: bindparam(c) for c in [*_COMPARED, "version", "updated_at"]}
            s.execute(update(table).where(cols.id == bindparam("b_id")).values(sets), updates)
            report.updated += len(updates)

    write(masters, None)
    # An override attaches to its series when the series is in the file; otherwise (an
    # invitation to one occurrence) it stands alone under its own uid.
    file_series = {m.uid for m in masters if m.event.rrule}
    series_of: dict[str, int] = {}
    standalone: list[_Item] = []
    attached: list[_Item] = []
    for item in overrides:
        assert item.master_uid is not None
        assert item.event.recurrence_id is not None
        key = recurrence_key(item.event.recurrence_id)
        master_uid = item.master_uid
        item.uid = import_uid(f"{item.source_uid}#{key}", pid)
        if master_uid in file_series:
            series_of[master_uid] = ids[master_uid]
            attached.append(item)
        else:
            item.event = item.event.with_changes(recurrence_id=None)
            item.master_uid = None
            standalone.append(item)
    for chunk in _chunks([i.uid for i in overrides]):
        for r in s.execute(select(table).where(cols.uid.in_(chunk))).mappings():
            existing[r["uid"]] = dict(r)
    write(standalone, None)
    write(attached, series_of)
    # Exdates of the file's series, and occurrences no longer in the file.
    file_uids = {i.uid for i in items}
    master_ids = [ids[m.uid] for m in masters]
    wanted_ex = {(ids[m.uid], k) for m in masters if m.event.rrule for k in m.exdate_keys}
    have_ex: set[tuple[int, str]] = set()
    for chunk in _chunks(master_ids):
        have_ex.update(
            (sid, key) for sid, key in s.execute(
                select(_EX.c.series_id, _EX.c.recurrence_key).where(_EX.c.series_id.in_(chunk))
            )
        )
    gone_ex = have_ex - wanted_ex
    if gone_ex:
        xt = _EX
        from sqlalchemy import bindparam

        s.execute(
            xt.delete().where(xt.c.series_id == bindparam("sid"),
                              xt.c.recurrence_key == bindparam("k")),
            [{"sid": a, "k": b} for a, b in gone_ex],
        )
    new_ex = wanted_ex - have_ex
    if new_ex:
        s.execute(insert(_EX),
                  [{"series_id": a, "recurrence_key": b} for a, b in sorted(new_ex)])
    # Stale overrides (of series in this file) and RDATE extras.
    stale: list[int] = []
    prefixes = tuple(f"{m.source_uid}#rdate-" for m in masters)
    for chunk in _chunks(master_ids):
        for rid_, ruid in s.execute(
            select(cols.id, cols.uid).where(cols.series_id.in_(chunk))
        ):
            if ruid not in file_uids:
                stale.append(rid_)
    if prefixes:
        for rid_, ruid in s.execute(
            select(cols.id, cols.uid).where(cols.practitioner_id == pid,
                                            cols.uid.contains("#rdate-"))
        ):
            if ruid not in file_uids and ruid.startswith(prefixes):
                stale.append(rid_)
    for chunk in _chunks(stale):
        s.execute(table.delete().where(cols.id.in_(chunk)))
    report.removed = len(stale)
