"""ICS export: a practitioner's (or the practice's) calendar as RFC 5545 text.

See :mod:`sessions_tui.sync.ics` for the rules (series, overrides, privacy).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import EventKind, Instant, Status
from sessions_tui.domain.model import Client, Staff
from sessions_tui.domain.timeutil import zone
from sessions_tui.services.context import Context
from sessions_tui.services.feeds import (
    IdentifierMode,
    check_identifier,
    client_label,
)
from sessions_tui.services.permissions import require_export
from sessions_tui.store import queries
from sessions_tui.store.queries import parse_recurrence_key
from sessions_tui.store.rows import stored_row_problem
from sessions_tui.store.tables import (
    ClientRow,
    LocationRow,
    PracticeRow,
    StaffRow,
)
from sessions_tui.sync import ics_write
from sessions_tui.sync.ics.common import _CL, _EV, _EX, PRODID, _scope, export_uid

_ZONE_RULES_UNTIL = date(2040, 1, 1)


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


def _same_as_occurrence(row: Any, master: Any) -> bool:
    """Is the override ``row`` exactly the occurrence of ``master`` it replaces? Consumers
    without RECURRENCE-ID support (calcurse) would list that day twice."""
    if row.practitioner_id != master.practitioner_id or row.all_day != master.all_day:
        return False
    fields = ("title", "status", "busy", "location_id", "kind", "client_id", "tzid")
    if any(getattr(row, f, None) != getattr(master, f, None) for f in fields):
        return False
    rid = parse_recurrence_key(row.recurrence_key)
    m_start, m_end = _row_bounds(master)
    start, end = _row_bounds(row)
    if row.all_day:
        rid = rid.astimezone(zone(master.tzid)).date() if isinstance(rid, datetime) else rid
    elif not isinstance(rid, datetime):
        return False
    return bool(start == rid and end - start == m_end - m_start)  # type: ignore[operator]


@dataclass(frozen=True)
class CalendarText:
    """An exported calendar: RFC 5545 text (``to_ical()`` gives its UTF-8 bytes)."""

    text: str

    def to_ical(self) -> bytes:
        """The calendar as UTF-8 bytes."""
        return self.text.encode("utf-8")


def build_calendar(
    s: Session,
    *,
    practitioner: Staff | None,
    identifier: IdentifierMode,
    now: datetime,
    alarm_minutes: int | None = None,
) -> CalendarText:
    """The calendar of ``practitioner`` (or the whole practice), naming clients by ``identifier``;
    with ``alarm_minutes``, each event carries a VALARM that long before it (issue 20).

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
        if master is not None and row.recurrence_key and _same_as_occurrence(row, master):
            continue  # an override equal to its occurrence says nothing (issue 26)
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
            alarm_minutes=alarm_minutes,
            calendar=row.source_calendar if row.kind != EventKind.SESSION.value else None,
            day_zone=row.tzid if row.all_day else None,
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
            rules_from=now.year,
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
