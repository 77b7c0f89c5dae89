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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from icalendar.timezone import tzp
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from sessions_tui.about import prodid
from sessions_tui.domain.errors import SessionsError, ValidationError
from sessions_tui.domain.events import Event, EventKind, Instant, Status, validate_event
from sessions_tui.domain.external import ExternalEvent, occurrence_of, to_local
from sessions_tui.domain.model import Client, Staff
from sessions_tui.domain.timeutil import zone
from sessions_tui.services import hours as hours_service
from sessions_tui.services.context import Context
from sessions_tui.services.feeds import (
    IdentifierMode,
    check_identifier,
    client_label,
)
from sessions_tui.services.permissions import holds_role, require_edit_event, require_export
from sessions_tui.services.writer import Batch, row_values
from sessions_tui.store import queries
from sessions_tui.store.queries import parse_recurrence_key, recurrence_key
from sessions_tui.store.rows import stored_row_problem
from sessions_tui.store.tables import (
    ClientRow,
    EventRow,
    ExdateRow,
    LocationRow,
    PracticeRow,
    StaffRow,
)
from sessions_tui.sync import ics_write
from sessions_tui.sync.ics_read import (
    CalendarInfo,
    FastReader,
    StructureError,
    VEventData,
    from_icalendar,
    iter_vevents,
    prescan,
    register_timezones,
)

PRODID = prodid()  # names the installed version (sessions_tui.about)
_IMPORT_SUFFIX = re.compile(r"#p(\d+)$")
_CHUNK = 500
_BATCH = 2000  # events written per batch of an import
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

    rows: list[Any]  # plain rows of the event table (attribute access by column name)
    exdates: dict[int, list[str]]
    foreign_overrides: dict[int, list[str]]
    clients: dict[int, Client]
    locations: dict[int, str]


def _load(s: Session, practitioner_id: int | None) -> _Snapshot:
    # Core rows, not ORM objects: ten times cheaper for a practice of 100,000 events.
    rows = list(s.execute(select(_EV).where(_scope(practitioner_id)).order_by(_EV.c.id)))
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


def _row_bounds(row: Any) -> tuple[Instant, Instant]:
    if row.all_day:
        assert row.start_date is not None
        assert row.end_date is not None
        return row.start_date, row.end_date  # type: ignore[no-any-return]
    return row.start_utc, row.end_utc  # type: ignore[no-any-return]


@dataclass(frozen=True)
class CalendarText:
    """An exported calendar: RFC 5545 text (``to_ical()`` gives its UTF-8 bytes)."""

    text: str

    def to_ical(self) -> bytes:
        return self.text.encode("utf-8")


def build_calendar(
    s: Session,
    *,
    practitioner: Staff | None,
    identifier: IdentifierMode,
    now: datetime,
) -> CalendarText:
    """The calendar of ``practitioner`` (or the whole practice), naming clients by ``identifier``.

    VEVENTs are written as text (:mod:`sessions_tui.sync.ics_write`); icalendar writes only
    the VTIMEZONEs. No permission check: callers (:func:`export_calendar`, the feed server) do
    that.
    """
    settings = queries.settings_from_row(s.get(PracticeRow, 1))
    pid = practitioner.id if practitioner is not None else None
    snap = _load(s, pid)
    name = f"{practitioner.name} – {settings.name}" if practitioner else settings.name
    head = ics_write.calendar_head(
        name=name,
        prodid=PRODID,
        uid=f"sessions-tui-{'practitioner-' + str(pid) if pid else 'practice'}",
    )
    by_id = {r.id: r for r in snap.rows}
    stored_uids = {r.uid for r in snap.rows}
    stamp = ics_write.format_utc(now)
    labels: dict[int, str] = {}

    def public_uid(row: Any) -> str:
        # An imported copy of an event that is itself in this calendar keeps its stored uid,
        # so no two events share a UID.
        uid = export_uid(row.uid, row.practitioner_id)
        return row.uid if uid != row.uid and uid in stored_uids else uid  # type: ignore[no-any-return]

    def summary_of(row: Any) -> str:
        if row.kind != EventKind.SESSION.value:
            return row.title  # type: ignore[no-any-return]
        if row.client_id is None or row.client_id not in snap.clients:
            return "Session"
        label = labels.get(row.client_id)
        if label is None:
            label = labels[row.client_id] = client_label(
                snap.clients[row.client_id], identifier, internal_ids=settings.internal_ids
            )
        return label

    items: list[tuple[str, str, str]] = []  # (uid, recurrence key, VEVENT text)
    tzids: set[str] = set()
    first_day: date | None = None
    last_day: date | None = None
    for row in snap.rows:
        if stored_row_problem(row) is not None:
            continue  # a row refused today (an older database, a hand edit): logged, left out
        start, end = _row_bounds(row)
        tz = zone(row.tzid)
        master = by_id.get(row.series_id) if row.series_id is not None else None
        uid = public_uid(row)
        rid_line: str | None = None
        if master is not None and row.recurrence_key:
            uid = public_uid(master)
            master_tz = zone(master.tzid)
            rid = parse_recurrence_key(row.recurrence_key)
            if master.all_day and isinstance(rid, datetime):
                rid = rid.astimezone(master_tz).date()
            rid_line = ics_write.when_property("RECURRENCE-ID", rid, master_tz)
            if isinstance(rid, datetime):
                tzids.add(master_tz.key)
        exdate_line: str | None = None
        if row.rrule:
            keys = sorted(
                set(snap.exdates.get(row.id or 0, []))
                | set(snap.foreign_overrides.get(row.id or 0, []))
            )
            if keys:
                ex = [parse_recurrence_key(k) for k in keys]
                if row.all_day:
                    ex = [x.astimezone(tz).date() if isinstance(x, datetime) else x for x in ex]
                exdate_line = ics_write.list_property("EXDATE", ex, tz)
        if isinstance(start, datetime):
            tzids.add(tz.key)
        text = ics_write.vevent(
            summary=summary_of(row),
            start=ics_write.when_property("DTSTART", start, tz),
            end=ics_write.when_property("DTEND", end, tz),
            stamp=stamp,
            uid=uid,
            recurrence_id=rid_line,
            sequence=row.sequence,
            rrule=row.rrule,
            exdate=exdate_line,
            private=row.kind == EventKind.SESSION.value,
            last_modified=(
                ics_write.format_utc(row.updated_at) if row.updated_at is not None else None
            ),
            location=snap.locations.get(row.location_id) if row.location_id else None,
            cancelled=row.status == Status.CANCELLED.value,
            busy=bool(row.busy),
        )
        items.append((uid, (row.recurrence_key or "") if rid_line is not None else "", text))
        day0 = start if not isinstance(start, datetime) else start.date()
        day1 = end if not isinstance(end, datetime) else end.date()
        if row.rrule and row.series_end_utc is not None:
            day1 = max(day1, row.series_end_utc.date())
        first_day = day0 if first_day is None else min(first_day, day0)
        last_day = day1 if last_day is None else max(last_day, day1)
    items.sort(key=lambda item: (item[0], item[1]))
    zones = ""
    if first_day is not None and last_day is not None:
        # Endless series run past any last date; zone rules are written out to 2040 at least
        # (consumers that know the IANA name, as most do, use their own rules anyway).
        zones = ics_write.vtimezones(
            tzids,
            first_day - timedelta(days=1),
            max(last_day, _ZONE_RULES_UNTIL) + timedelta(days=1),
        )
    body = "".join(text for _uid, _key, text in items)
    return CalendarText(head + zones + body + "END:VCALENDAR\r\n")


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
    require_export(ctx.require_actor(), practitioner_id)
    check_identifier(ctx, identifier, confirm_pii=confirm_pii)
    with ctx.db.session() as s:
        person: Staff | None = None
        if practitioner_id is not None:
            row = s.get(StaffRow, practitioner_id)
            if row is None:
                raise ValidationError(f"no practitioner with id {practitioner_id}")
            person = queries.staff_from_row(row)
        cal = build_calendar(s, practitioner=person, identifier=identifier, now=ctx.clock.now())
        return cal.to_ical()


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
        select(
            func.count(), func.max(_EV.c.updated_at), func.sum(_EV.c.id), func.sum(_EV.c.version)
        ).where(_scope(practitioner_id))
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
        from sessions_tui.domain.text import count_of

        stale = count_of(self.removed, "stale occurrence")
        return (
            f"Imported {count_of(self.events, 'event')} into {self.label!r}: {self.added} added, "
            f"{self.updated} updated, {self.unchanged} unchanged"
            + (f", {stale} removed" if self.removed else "")
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
    key = (hint, id(tz), year)
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


@dataclass
class _Reader:
    """Turns one calendar's VEVENTs into items; knows the file's zones."""

    name: str
    practitioner_id: int
    floating: str
    locations: dict[str, int]
    label: str
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
            source_calendar=self.label,
            fallback_tz=self.floating,
            locations=self.locations,
        )
        item = _Item(
            import_uid(uid, self.practitioner_id),
            event.with_changes(exdates=frozenset()),
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


_COMPARED = [
    c.name
    for c in EventRow.__table__.columns  # type: ignore[attr-defined]
    if c.name not in ("id", "uid", "created_at", "updated_at", "version")
]


def _floating_zone(info: CalendarInfo, default: str) -> str:
    wr_tz = info.wr_timezone
    if not wr_tz:
        return default
    try:
        return zone(wr_tz).key
    except ValidationError:
        guessed = tzp.timezone(wr_tz)
        return guessed.key if isinstance(guessed, ZoneInfo) else default


def iter_items(
    text: str,
    *,
    name: str,
    practitioner_id: int,
    floating_tz: str,
    locations: dict[str, int] | None = None,
    label: str | None = None,
) -> tuple[str, Iterator[_Item]]:
    """The calendar label, and a lazy stream of validated items, one VEVENT at a time.

    The label and zones are read before the first item (a cheap scan); the items are parsed
    as the stream is consumed, so a large file is never held as a tree.

    Raises (from the stream too):
        IcsError: the first problem, with file name, line and UID.
    """
    if not text.strip():
        raise IcsError(f"{name}: the file is empty")
    calendars, zones = prescan(text)
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
                for raw in iter_vevents(text):
                    reader = readers.get(raw.calendar)
                    if reader is None:
                        info = calendars[raw.calendar] if raw.calendar < len(calendars) else None
                        floating = _floating_zone(info, floating_tz) if info else floating_tz
                        reader = readers[raw.calendar] = _Reader(
                            name, practitioner_id, floating, locations or {}, final_label
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


def _decode(data: bytes | str, name: str) -> str:
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise IcsError(f"{name} line {line}: not UTF-8 text ({exc.reason})") from None


class _Dedup:
    """Refuses a second VEVENT with the same UID and RECURRENCE-ID."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: dict[tuple[str, str | None], int] = {}

    def check(self, item: _Item) -> None:
        rid = item.event.recurrence_id
        ident = (item.uid, recurrence_key(rid) if rid is not None else None)
        first = self.seen.get(ident)
        if first is not None:
            raise IcsError(
                f"{self.name} line {item.line} (UID {item.source_uid}): the same event appears "
                f"again (first at line {first})"
            )
        self.seen[ident] = item.line

    def check_all(self, items: Iterable[_Item]) -> None:
        for item in items:
            self.check(item)


def import_calendar(
    ctx: Context,
    data: bytes | str,
    *,
    practitioner_id: int,
    name: str = "calendar.ics",
    label: str | None = None,
) -> ImportReport:
    """Bring a calendar in as other events of a practitioner, in one transaction.

    The file is read one VEVENT at a time and written in batches inside that transaction, so
    memory stays bounded by a batch (plus the uids seen); the first problem rolls everything
    back.

    Raises:
        IcsError: malformed file or event (nothing is changed).
        PermissionDenied: a practitioner importing into someone else's calendar.
    """
    actor = ctx.require_actor()
    with ctx.db.session() as s:
        row = s.get(StaffRow, practitioner_id)
        if row is None or not holds_role(row.roles, "practitioner"):
            raise ValidationError(f"no practitioner with id {practitioner_id}")
    probe = Event(
        kind=EventKind.OTHER,
        title="x",
        start=date(2000, 1, 1),
        end=date(2000, 1, 2),
        tzid="UTC",
        all_day=True,
        practitioner_id=practitioner_id,
    )
    require_edit_event(actor, probe)
    floating = practitioner_zone(ctx, practitioner_id)
    with ctx.db.session() as s:
        locations = {
            r.name.casefold(): int(r.id) for r in s.execute(select(LocationRow)).scalars() if r.id
        }
    text = _decode(data, name)
    del data  # the caller may still hold the bytes; we need only the text
    final_label, items = iter_items(
        text,
        name=name,
        practitioner_id=practitioner_id,
        floating_tz=floating,
        locations=locations,
        label=label,
    )
    now = ctx.clock.now()
    report = ImportReport(label=final_label)
    with ctx.db.session() as s:
        sink = _Sink(s, practitioner_id, now, report, _Dedup(name))
        for item in items:
            sink.add(item)
        sink.finish()
    return report


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


class _Sink:
    """Writes items as they come, in batches, inside the caller's transaction.

    Events and series masters go in batches of :data:`_BATCH` (update by uid, exdates of each
    batch's series). Overrides (RECURRENCE-ID) wait until the end, when it is known whether
    their series is in the file; then occurrences of the file's series that the file no longer
    has are removed.
    """

    def __init__(
        self, s: Session, pid: int, now: datetime, report: ImportReport, dedup: _Dedup
    ) -> None:
        self.s, self.pid, self.now, self.report, self.dedup = s, pid, now, report, dedup
        self.out = Batch(s, pid)  # the one writer's bulk path
        self.batch: list[_Item] = []
        self.overrides: list[_Item] = []
        self.master_ids: list[int] = []
        self.master_uids: set[str] = set()
        self.series_ids: dict[str, int] = {}
        self.source_uids: set[str] = set()

    def add(self, item: _Item) -> None:
        self.dedup.check(item)
        self.report.events += 1
        if item.master_uid is None:
            self.batch.append(item)
            if len(self.batch) >= _BATCH:
                self.flush()
        else:
            self.overrides.append(item)

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        if not batch:
            return
        ids = self._write(batch, None)
        wanted: set[tuple[int, str]] = set()
        batch_ids: list[int] = []
        for item in batch:
            new_id = ids[item.uid]
            batch_ids.append(new_id)
            self.master_uids.add(item.uid)
            self.source_uids.add(item.source_uid)
            if item.event.rrule:
                self.series_ids[item.uid] = new_id
                wanted.update((new_id, k) for k in item.exdate_keys)
        self.master_ids.extend(batch_ids)
        self._sync_exdates(batch_ids, wanted)

    def _sync_exdates(self, series_ids: list[int], wanted: set[tuple[int, str]]) -> None:
        have: set[tuple[int, str]] = set()
        for chunk in _chunks(series_ids):
            have.update(
                (sid, key)
                for sid, key in self.s.execute(
                    select(_EX.c.series_id, _EX.c.recurrence_key).where(_EX.c.series_id.in_(chunk))
                )
            )
        self.out.set_exdates(add=wanted - have, remove=have - wanted)

    def _existing(self, uids: Sequence[str]) -> dict[str, dict[str, Any]]:
        cols = _EV.c
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(uids):
            for r in self.s.execute(select(_EV).where(cols.uid.in_(chunk))).mappings():
                found[r["uid"]] = dict(r)
        return found

    def _write(self, batch: list[_Item], series_of: dict[str, int] | None) -> dict[str, int]:
        """Insert or update ``batch`` by uid; returns the ids of its uids."""
        existing = self._existing([i.uid for i in batch])
        for uid, old in existing.items():
            if old["practitioner_id"] != self.pid:
                raise IcsError(f"event {uid!r} already belongs to another practitioner")
        ids = {uid: old["id"] for uid, old in existing.items()}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for item in batch:
            event = item.event
            if series_of is not None:
                assert item.master_uid is not None
                event = event.with_changes(series_id=series_of[item.master_uid])
            values = row_values(event, item.uid, item.sequence, self.now)
            stored = existing.get(item.uid)
            if stored is None:
                inserts.append(values)
            elif any(stored[c] != values[c] for c in _COMPARED):
                changed = {c: values[c] for c in _COMPARED}
                changed.update(
                    b_id=stored["id"], version=stored["version"] + 1, updated_at=self.now
                )
                updates.append(changed)
            else:
                self.report.unchanged += 1
        if inserts:
            ids.update(self.out.insert(inserts))
            self.report.added += len(inserts)
        if updates:
            self.out.update([*_COMPARED, "version", "updated_at"], updates)
            self.report.updated += len(updates)
        return ids

    def finish(self) -> None:
        self.flush()
        # An override attaches to its series when the series is in the file; otherwise (an
        # invitation to one occurrence) it stands alone under its own uid.
        standalone: list[_Item] = []
        attached: list[_Item] = []
        override_uids: set[str] = set()
        for item in self.overrides:
            assert item.master_uid is not None
            assert item.event.recurrence_id is not None
            key = recurrence_key(item.event.recurrence_id)
            item.uid = import_uid(f"{item.source_uid}#{key}", self.pid)
            override_uids.add(item.uid)
            if item.master_uid in self.series_ids:
                attached.append(item)
            else:
                item.event = item.event.with_changes(recurrence_id=None)
                item.master_uid = None
                standalone.append(item)
        self.overrides = []
        for part in (standalone, attached):
            for chunk in _chunks(part, _BATCH):
                self._write(list(chunk), self.series_ids if part is attached else None)
        # Occurrences of the file's series, and RDATE extras, no longer in the file.
        cols = _EV.c

        def in_file(uid: str) -> bool:
            return uid in self.master_uids or uid in override_uids

        stale: list[int] = []
        for chunk in _chunks(self.master_ids):
            for rid_, ruid in self.s.execute(
                select(cols.id, cols.uid).where(cols.series_id.in_(chunk))
            ):
                if not in_file(ruid):
                    stale.append(rid_)
        if self.master_ids:
            for rid_, ruid in self.s.execute(
                select(cols.id, cols.uid).where(
                    cols.practitioner_id == self.pid, cols.uid.contains("#rdate-")
                )
            ):
                if not in_file(ruid) and self._rdate_of_file(ruid):
                    stale.append(rid_)
        self.out.delete(stale)
        self.report.removed = len(stale)

    def _rdate_of_file(self, stored_uid: str) -> bool:
        """Is ``stored_uid`` an RDATE extra (``<uid>#rdate-...``) of a uid in this file?"""
        at = stored_uid.find("#rdate-")
        while at != -1:
            if stored_uid[:at] in self.source_uids:
                return True
            at = stored_uid.find("#rdate-", at + 1)
        return False
