"""Editing recurring series: split ("this and following"), shift, and rule surgery.

Pure functions over :class:`Event`; the services apply them to stored rows. The rules:

* **This event** makes (or updates) an override: a one-off event tied to the series by
  ``series_id`` and ``recurrence_id`` (the original start of the occurrence it replaces).
* **This and following** forks the series: the old one ends just before the occurrence (UNTIL),
  a new series starts there with the change applied; a COUNT is shared between the two so the
  total stays the same. The fork keeps ``source_calendar``.
* **All events** changes the master. A change of start time moves every occurrence by the same
  wall-clock amount, and overrides/exdates are re-keyed by that amount so they still name the
  same occurrences.
* **Overrides survive** a series edit where that is unambiguous: a field the override left equal
  to the series follows the series' change; a field the override changed on purpose keeps the
  override's value. An override whose own time was moved keeps its time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, Instant, is_date_only
from sessions_tui.domain.recurrence import _build_rule
from sessions_tui.domain.timeutil import zone

FOLLOWABLE = (
    "title",
    "practitioner_id",
    "client_id",
    "location_id",
    "busy",
    "status",
    "notes_completed",
)
"""Fields an override inherits from a series edit when it had not changed them itself."""


def parts(rrule_text: str) -> dict[str, str]:
    """An RRULE body as ``{PART: value}``, part names upper-cased, in the rule's order."""
    out: dict[str, str] = {}
    for part in rrule_text.split(";"):
        key, _, value = part.partition("=")
        if key:
            out[key.upper()] = value
    return out


def join(rule_parts: dict[str, str]) -> str:
    """The RRULE body of ``rule_parts`` (the inverse of :func:`parts`)."""
    return ";".join(f"{k}={v}" for k, v in rule_parts.items())


def wall_of(event: Event, value: Instant) -> datetime:
    """The wall-clock (naive) time of ``value`` in the event's zone; dates at midnight."""
    if isinstance(value, datetime):
        return value.astimezone(zone(event.tzid)).replace(tzinfo=None)
    # Wall-clock (naive on purpose): the midnight of an all-day date, as dateutil iterates.
    return datetime(value.year, value.month, value.day)  # noqa: DTZ001


def from_wall(event: Event, wall: datetime) -> Instant:
    """The instant of a wall-clock time in the event's zone (UTC); its date when all-day."""
    if event.all_day:
        return wall.date()
    return wall.replace(tzinfo=zone(event.tzid)).astimezone(UTC)


def occurrence_starts_before(event: Event, rid: Instant) -> int:
    """How many occurrences of the series start before ``rid``."""
    assert event.rrule is not None
    rule = _build_rule(event.rrule, event)
    limit = wall_of(event, rid)
    n = 0
    for wall in rule:
        if wall >= limit:
            break
        n += 1
    return n


def is_occurrence(event: Event, rid: Instant) -> bool:
    """True when ``rid`` is an original start of the series."""
    assert event.rrule is not None
    rule = _build_rule(event.rrule, event)
    wall = wall_of(event, rid)
    hit = rule.after(wall - timedelta(seconds=1), inc=False)
    return hit is not None and hit == wall


def ended_before(event: Event, rid: Instant) -> Event | None:
    """The series cut to end just before ``rid``; ``None`` when nothing would remain."""
    assert event.rrule is not None
    before = occurrence_starts_before(event, rid)
    if before == 0:
        return None
    p = parts(event.rrule)
    p.pop("COUNT", None)
    if is_date_only(event.start):
        assert isinstance(rid, date)
        p["UNTIL"] = (rid - timedelta(days=1)).strftime("%Y%m%d")
    else:
        assert isinstance(rid, datetime)
        p["UNTIL"] = (rid.astimezone(UTC) - timedelta(seconds=1)).strftime("%Y%m%dT%H%M%SZ")
    return replace(event, rrule=join(p))


def starting_at(event: Event, rid: Instant) -> Event:
    """The part of the series from ``rid`` on, as a new series (no id, no uid)."""
    assert event.rrule is not None
    p = parts(event.rrule)
    if "COUNT" in p:
        left = int(p["COUNT"]) - occurrence_starts_before(event, rid)
        if left <= 0:
            raise ValidationError("that occurrence is past the end of the series")
        p["COUNT"] = str(left)
    start = rid
    end = rid + event.duration  # type: ignore[operator]
    return replace(
        event,
        id=None,
        uid=None,
        start=start,
        end=end,
        rrule=join(p),
        exdates=frozenset(e for e in event.exdates if _ge(e, rid)),
        sequence=0,
        version=1,
    )


def _ge(a: Instant, b: Instant) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.astimezone(UTC) >= b.astimezone(UTC)
    return a >= b  # type: ignore[operator]


def _same(a: Instant, b: Instant) -> bool:
    return _ge(a, b) and _ge(b, a)


def wall_delta(event: Event, old: Instant, new: Instant) -> timedelta:
    """The wall-clock shift from ``old`` to ``new`` in the event's zone."""
    return wall_of(event, new) - wall_of(event, old)


def shift(event: Event, value: Instant, delta: timedelta) -> Instant:
    """Move ``value`` by a wall-clock ``delta`` in the event's zone."""
    return from_wall(event, wall_of(event, value) + delta)


def inherit(override: Event, old_series: Event, new_series: Event) -> Event:
    """Apply a series edit to an override, field by field, where it is unambiguous."""
    changes: dict[str, object] = {}
    for name in FOLLOWABLE:
        old_value = getattr(old_series, name)
        if getattr(override, name) == old_value and getattr(new_series, name) != old_value:
            changes[name] = getattr(new_series, name)
    return replace(override, **changes) if changes else override  # type: ignore[arg-type]
