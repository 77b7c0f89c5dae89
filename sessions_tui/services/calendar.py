"""Use cases behind the calendar views: windows, filters, search, legend, week start.

Everything here is plain synchronous code the UI calls from thread workers; it returns frozen
dataclasses (``AgendaItem``, ``Filters``, ``Staff``), never rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sessions_tui.domain.events import EventKind, Instant, Occurrence, Status
from sessions_tui.domain.listing import Listing, SkippedEvent, carry
from sessions_tui.domain.model import Location, Staff
from sessions_tui.domain.periods import weekday_of
from sessions_tui.domain.text import safe_text
from sessions_tui.services.agenda_item import AgendaItem

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sessions_tui.services.context import Context
    from sessions_tui.store.reader import Reader

# SQLAlchemy, SQLModel and the services that use them are imported inside the functions that
# need them: the calendar screen imports this module before its first frame, and painting the
# first week must not wait for them (see docs/PERFORMANCE.md).

FILTERS_KEY = "calendar.filters"
"""Preference key under which each user's calendar filter is remembered."""


# --- filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the calendar shows. ``None`` in a field means "no filter on it".

    Attributes:
        practitioner_ids: Show only these practitioners (practice-wide events stay visible).
        location_ids: Show only events at these locations.
        statuses: Show only events with these statuses.
        notes_completed: ``True`` only sessions with notes done, ``False`` only sessions still
            waiting for notes; other events are hidden while this is set.
    """

    practitioner_ids: frozenset[int] | None = None
    location_ids: frozenset[int] | None = None
    statuses: frozenset[Status] | None = None
    notes_completed: bool | None = None

    @property
    def active(self) -> bool:
        return self != Filters()

    def to_json(self) -> dict[str, Any]:
        return {
            "practitioners": sorted(self.practitioner_ids)
            if self.practitioner_ids is not None
            else None,
            "locations": sorted(self.location_ids) if self.location_ids is not None else None,
            "statuses": sorted(s.value for s in self.statuses)
            if self.statuses is not None
            else None,
            "notes_completed": self.notes_completed,
        }

    @classmethod
    def from_json(cls, data: Any) -> Filters:
        """Read a stored filter; anything malformed falls back to "no filter" for that field."""
        if not isinstance(data, dict):
            return cls()

        def ids(value: Any) -> frozenset[int] | None:
            if isinstance(value, list) and all(isinstance(v, int) for v in value):
                return frozenset(value)
            return None

        statuses: frozenset[Status] | None = None
        raw = data.get("statuses")
        if isinstance(raw, list):
            try:
                statuses = frozenset(Status(v) for v in raw)
            except ValueError:
                statuses = None
        notes = data.get("notes_completed")
        return cls(
            practitioner_ids=ids(data.get("practitioners")),
            location_ids=ids(data.get("locations")),
            statuses=statuses,
            notes_completed=notes if isinstance(notes, bool) else None,
        )

    def keeps(self, item: AgendaItem) -> bool:
        """The filters the window query does not apply itself (status and notes)."""
        if self.statuses is not None and item.status not in self.statuses:
            return False
        if self.notes_completed is not None:
            if item.event.kind is not EventKind.SESSION:
                return False
            if item.event.notes_completed is not self.notes_completed:
                return False
        return True

    def shows(self, item: AgendaItem) -> bool:
        """Whether the calendar shows ``item`` under this filter: the window query's part
        (practitioners, with practice-wide events always shown; locations) and :meth:`keeps`.
        Search uses it to say which of its matches the calendar hides."""
        ev = item.event
        if (
            self.practitioner_ids is not None
            and ev.practitioner_id is not None
            and ev.practitioner_id not in self.practitioner_ids
        ):
            return False
        if self.location_ids is not None and ev.location_id not in self.location_ids:
            return False
        return self.keeps(item)

    def summary(self, staff: Sequence[Staff], locations: Sequence[Location]) -> str:
        """One line for the header, e.g. ``Alice Moreno, Ben Okafor · Telehealth · cancelled``."""
        if not self.active:
            return "All events"
        parts: list[str] = []
        if self.practitioner_ids is not None:
            names = [p.name for p in staff if p.id in self.practitioner_ids]
            parts.append(", ".join(names) if names else "no practitioners")
        if self.location_ids is not None:
            names = [loc.name for loc in locations if loc.id in self.location_ids]
            parts.append(", ".join(names) if names else "no locations")
        if self.statuses is not None:
            parts.append(" or ".join(sorted(s.value for s in self.statuses)) or "no status")
        if self.notes_completed is not None:
            parts.append("notes done" if self.notes_completed else "notes not yet")
        return "Filter: " + " · ".join(parts)


def load_filters(ctx: Context) -> Filters:
    """The current user's remembered filter (no filter if none was saved)."""
    return fast_load_filters(_orm_reader(ctx), ctx.actor)


def save_filters(ctx: Context, filters: Filters) -> None:
    """Remember ``filters`` for the current user."""
    from sessions_tui.services.practice import set_preference

    set_preference(ctx, FILTERS_KEY, filters.to_json())


# --- practice facts the views need ----------------------------------------------------------


@dataclass(frozen=True)
class CalendarFacts:
    """Slow-changing facts loaded once when the calendar opens.

    Attributes:
        practitioners: Practitioners in name order, each with a colour.
        markers: A short unique letter per practitioner id, shown next to their events.
        locations: All locations (archived ones too: old events still name them).
        week_starts_monday: Whether weeks start on Monday for this user.
        secondary_calendars: ``(practitioner id, Google calendar id)`` of each secondary
            calendar: events whose ``source_calendar`` is one of them are styled apart (◇).
        week_start_day: The user's first day of the week (0 = Monday … 6 = Sunday) when
            their config names one; ``None``: Monday or Sunday by ``week_starts_monday``.
    """

    practitioners: tuple[Staff, ...]
    markers: dict[int, str]
    locations: tuple[Location, ...]
    week_starts_monday: bool
    secondary_calendars: frozenset[tuple[int, str]] = frozenset()
    week_start_day: int | None = None

    @property
    def first_weekday(self) -> int:
        """The first day of the week, 0 = Monday … 6 = Sunday."""
        if self.week_start_day is not None:
            return self.week_start_day
        return 0 if self.week_starts_monday else 6


def practitioner_markers(people: Sequence[Staff]) -> dict[int, str]:
    """A unique one-letter marker per practitioner (first free letter of login, then name)."""
    taken: set[str] = set()
    out: dict[int, str] = {}
    for p in people:
        candidates = [c.upper() for c in p.login + p.name if c.isalpha()]
        letter = next((c for c in candidates if c not in taken), None)
        if letter is None:
            letter = (
                next(str(n) for n in range(10) if str(n) not in taken) if len(taken) < 36 else "?"
            )
        taken.add(letter)
        out[p.id] = letter
    return out


def week_starts_monday(ctx: Context, user_setting: bool | None) -> bool:
    """The user's config wins; otherwise the practice setting (Sunday by default)."""
    if user_setting is not None:
        return user_setting
    from sessions_tui.services.practice import get_settings

    return get_settings(ctx).week_starts_monday


def calendar_facts(ctx: Context, user_week_start: int | bool | None = None) -> CalendarFacts:
    """The facts the calendar opens with (:func:`fast_calendar_facts` over the ORM reader)."""
    return fast_calendar_facts(_orm_reader(ctx), ctx.actor, user_week_start)


def _orm_reader(ctx: Context) -> Reader:
    from sessions_tui.store.orm_reader import OrmReader

    return OrmReader(ctx.db)


def is_secondary(item: AgendaItem, secondary: frozenset[tuple[int, str]]) -> bool:
    """Whether ``item`` came from one of its practitioner's secondary Google calendars."""
    ev = item.event
    return (
        ev.source_calendar is not None
        and ev.practitioner_id is not None
        and (ev.practitioner_id, ev.source_calendar) in secondary
    )


# --- windows --------------------------------------------------------------------------------


def window_items(
    ctx: Context, start: datetime, end: datetime, tz: ZoneInfo, filters: Filters
) -> list[AgendaItem]:
    """Occurrences in ``[start, end)`` that pass ``filters``, people and places resolved
    (:func:`reader_window_items` over the ORM reader)."""
    return reader_window_items(_orm_reader(ctx), start, end, tz, filters)


# --- through a Reader (store.reader: the sqlite3 fast path or the ORM, chosen at start) -----
# The calendar paints its first week through the fast reader so that SQLAlchemy is not
# imported before the first frame; the functions above are these over the ORM reader.


def reader_window_items(
    reader: Reader, start: datetime, end: datetime, tz: ZoneInfo, filters: Filters
) -> list[AgendaItem]:
    """Occurrences in ``[start, end)`` that pass ``filters``, people and places resolved, in
    one snapshot; the events the read skipped are carried (``Listing.skipped``)."""
    from sessions_tui.services.agenda_item import agenda_items

    items = agenda_items(
        reader,
        start,
        end,
        tz,
        practitioner_ids=sorted(filters.practitioner_ids)
        if filters.practitioner_ids is not None
        else None,
        location_ids=sorted(filters.location_ids) if filters.location_ids is not None else None,
    )
    return carry([i for i in items if filters.keeps(i)], items)


fast_window_items = reader_window_items
"""The name the calendar screen and its tests know (any :class:`Reader` will do)."""


def fast_calendar_facts(
    reader: Reader, actor: Staff | None, user_week_start: int | bool | None = None
) -> CalendarFacts:
    """Practitioners, markers, locations, week start and secondary calendars, in one snapshot.

    The user's config wins for the week start (any day: 0 = Monday … 6 = Sunday, or the older
    Monday switch as a bool); otherwise the practice setting (Sunday by default)."""
    with reader.snapshot():
        people = tuple(p for p in reader.staff() if p.is_practitioner)
        day = weekday_of(user_week_start) if user_week_start is not None else None
        monday = day == 0 if day is not None else reader.settings().week_starts_monday
        return CalendarFacts(
            practitioners=people,
            markers=practitioner_markers(people),
            locations=tuple(reader.locations()),
            week_starts_monday=monday,
            secondary_calendars=reader.secondary_calendars() if actor is not None else frozenset(),
            week_start_day=day,
        )


def fast_load_filters(reader: Reader, actor: Staff | None) -> Filters:
    """The remembered filter of ``actor`` (no filter for none, or if none was saved)."""
    import json

    if actor is None:
        return Filters()
    with reader.snapshot():
        raw = reader.preference(actor.id, FILTERS_KEY)
    try:
        return Filters.from_json(json.loads(raw) if raw is not None else None)
    except ValueError:
        return Filters()


def display_title(item: AgendaItem, *, privacy: bool) -> str:
    """The client's name (initials in privacy mode) for a session, else the event title."""
    if item.client is not None and item.event.kind is EventKind.SESSION:
        return safe_text(item.client.initials if privacy else item.client.full_name)
    if item.hold is not None and privacy:  # a booking request's hold: its requester's initials
        from sessions_tui.services.render import hold_initials

        return safe_text(hold_initials(item.event.title))
    # Titles come from outside (ICS, Google, typed): shown with no control code in them.
    return safe_text(item.event.title)


# --- search ---------------------------------------------------------------------------------


def _resolve(s: Session, occ: Sequence[Occurrence]) -> list[AgendaItem]:
    from sessions_tui.services.agenda_item import assemble, referenced_ids
    from sessions_tui.store.queries import people_and_places

    return assemble(occ, *people_and_places(s, *referenced_ids(occ)))


def _utc_key(value: Instant, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=tz).astimezone(UTC)


def search_events(
    ctx: Context, text: str, tz: ZoneInfo, *, limit: int = 300, horizon_days: int = 730
) -> list[AgendaItem]:
    """Occurrences whose client (name or internal ID), title or location matches ``text``.

    Searches every date: open-ended series are expanded up to ``horizon_days`` after now. The
    result is sorted by start; when it is longer than ``limit``, the matches nearest to now are
    kept (a quarter before it, the rest after), because "when is the next session?" is the
    question asked most.
    """
    from sqlalchemy import or_, select
    from sqlmodel import col

    from sessions_tui.store.rows import expand_row
    from sessions_tui.store.tables import ClientRow, EventRow, ExdateRow, LocationRow

    needle = text.strip()
    if not needle:
        return []
    like = f"%{needle}%"
    now = ctx.clock.now()
    horizon = now + timedelta(days=horizon_days)
    with ctx.db.session() as s:
        client_ids = select(col(ClientRow.id)).where(
            col(ClientRow.first_name).ilike(like)
            | col(ClientRow.last_name).ilike(like)
            | col(ClientRow.internal_id).ilike(like)
            | (col(ClientRow.first_name) + " " + col(ClientRow.last_name)).ilike(like)
        )
        loc_ids = select(col(LocationRow.id)).where(col(LocationRow.name).ilike(like))
        rows = (
            s.execute(
                select(EventRow).where(
                    or_(
                        col(EventRow.client_id).in_(client_ids),
                        col(EventRow.location_id).in_(loc_ids),
                        col(EventRow.title).ilike(like),
                    )
                )
            )
            .scalars()
            .all()
        )
        series_ids = [r.id for r in rows if r.is_series]
        skip: dict[int, set[str]] = {}
        if series_ids:
            for sid, key in s.execute(
                select(col(ExdateRow.series_id), col(ExdateRow.recurrence_key)).where(
                    col(ExdateRow.series_id).in_(series_ids)
                )
            ):
                skip.setdefault(sid, set()).add(key)
            for osid, okey in s.execute(
                select(col(EventRow.series_id), col(EventRow.recurrence_key)).where(
                    col(EventRow.series_id).in_(series_ids)
                )
            ):
                if osid is not None and okey:
                    skip.setdefault(osid, set()).add(okey)
        occ: list[Occurrence] = []
        bad: list[SkippedEvent] = []
        for row in rows:
            lo, hi = row.start_utc, row.end_utc
            if row.is_series:
                hi = min(row.series_end_utc or horizon, horizon)
            assert row.id is not None
            keys = skip.get(row.id, set())
            occ.extend(expand_row(row, lo, hi + timedelta(days=1), tz, keys, bad))
        occ.sort(key=lambda o: (_utc_key(o.start, tz), o.event.id or 0))
        if len(occ) > limit:
            first_future = next(
                (n for n, o in enumerate(occ) if _utc_key(o.end, tz) > now), len(occ)
            )
            begin = max(0, min(first_future - limit // 4, len(occ) - limit))
            occ = occ[begin : begin + limit]
        return carry(_resolve(s, occ), Listing((), bad))


def first_upcoming(items: Iterable[AgendaItem], now: datetime, tz: ZoneInfo) -> int:
    """Index of the first item that has not ended by ``now`` (the last one if all have)."""
    last = -1
    for n, item in enumerate(items):
        last = n
        if _utc_key(item.end, tz) > now:
            return n
    return max(last, 0)
