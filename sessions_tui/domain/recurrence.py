"""Recurrence: RRULE expansion in the event's own zone.

Expansion works on wall-clock time in the event's ``tzid`` (dateutil iterates naive local times,
zoneinfo attaches the zone), so a weekly 10:00 America/Chicago series stays at 10:00 local on
both sides of a DST change. The RRULE is stored in RFC 5545 form: an ``UNTIL`` of a timed series is
in UTC (``...Z``); for expansion it is turned back into the series' wall-clock time.

The rules a stored RRULE obeys (the limits, :func:`normalize_rrule`, :data:`PRESETS`) live in
:mod:`sessions_tui.domain.rrule_text` and are importable from here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING

from dateutil.rrule import rrule

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, EventKind, Instant, Occurrence
from sessions_tui.domain.rrule_text import (
    MAX_COUNT,
    MAX_EXPANSION,
    MAX_INTERVAL,
    MAX_RULE_LENGTH,
    MAX_SPAN,
    MAX_YEAR,
    MIN_YEAR,
    PRESETS,
    _cached_rule,
    _wall_start,
    check_years,
    describe,
    normalize_rrule,
)
from sessions_tui.domain.timeutil import is_date_only, zone

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

# The rule limits and checks are rrule_text's; callers may import them from here.
__all__ = [
    "MAX_COUNT",
    "MAX_EXPANSION",
    "MAX_INTERVAL",
    "MAX_RULE_LENGTH",
    "MAX_SPAN",
    "MAX_YEAR",
    "MIN_YEAR",
    "PRESETS",
    "check_years",
    "describe",
    "expansion_problem",
    "normalize_rrule",
    "occurrences",
    "require_expandable",
    "series_end",
]


@lru_cache(maxsize=4096)
def _stored_problem(
    body: str, start: Instant, end: Instant, tzid: str, kind: str, all_day: bool
) -> str | None:
    probe = Event(kind=EventKind(kind), start=start, end=end, tzid=tzid, all_day=all_day, title="x")
    try:
        normalize_rrule(body, probe, stored=True)
    except ValidationError as exc:
        return exc.message
    return None


def expansion_problem(event: Event) -> str | None:
    """Why a stored ``event`` cannot be shown, or ``None`` when it can.

    A row written before the rules were bounded (an older database, a hand edit) may hold a
    rule that is refused today (``INTERVAL=0`` never advances). Readers skip such an event with
    a warning naming it, instead of failing for everyone; the answer is cached per rule.
    """
    try:
        if event.rrule is None:
            check_years(event)
            return None
        return _stored_problem(
            event.rrule, event.start, event.end, event.tzid, event.kind.value, event.all_day
        )
    except ValidationError as exc:
        return exc.message


def require_expandable(event: Event) -> None:
    """Raise the :func:`expansion_problem` of ``event``, if any, as a ``ValidationError``."""
    problem = expansion_problem(event)
    if problem is not None:
        raise ValidationError(
            f"event {event.id} cannot be expanded: {problem}" if event.id is not None else problem,
            field="rrule",
        )


def _build_rule(body: str, event: Event, *, checked: bool = True) -> rrule:
    """The dateutil rule of ``body`` for ``event``; a rule refused today raises
    ``ValidationError`` (unless ``checked`` is off, for :func:`normalize_rrule` itself)."""
    if checked:
        problem = _stored_problem(
            body, event.start, event.end, event.tzid, event.kind.value, event.all_day
        )
        if problem is not None:
            where = f"event {event.id} cannot be expanded: " if event.id is not None else ""
            raise ValidationError(where + problem, field="rrule")
    wall, tz = _wall_start(event)
    return _cached_rule(body, wall, tz.key if tz is not None else None)


def series_end(event: Event, *, checked: bool = True) -> datetime | None:
    """A UTC instant after which the series has no occurrence, or ``None`` if endless.

    Used by the store to skip series that cannot touch a window, so an upper bound is enough,
    and it is found without walking the series: with ``UNTIL``, the UNTIL itself plus the
    length of one occurrence; with ``COUNT``, the last of at most :data:`MAX_COUNT`
    occurrences, all within :data:`MAX_SPAN` (:func:`normalize_rrule` holds every stored rule
    to both). A rule refused today raises ``ValidationError``; ``checked=False`` skips that
    check for an event :func:`~sessions_tui.domain.events.validate_event` has just passed
    (the write path: the check is a second walk of the rule).
    """
    if event.rrule is None:
        return None
    rule = _build_rule(event.rrule, event, checked=checked)
    upper = event.rrule.upper()
    if "UNTIL=" in upper:
        until = getattr(rule, "_until", None)  # dateutil keeps the parsed wall-clock UNTIL here
        assert isinstance(until, datetime)
        last = until
    elif "COUNT=" in upper:
        wall0, _tz = _wall_start(event)
        walk = rule.replace(count=None, until=wall0 + MAX_SPAN)
        count = int(dict(p.partition("=")[::2] for p in upper.split(";"))["COUNT"])
        found = None
        for found in islice(walk, count):  # noqa: B007 - at most MAX_COUNT steps
            pass
        if found is None:
            return None
        last = found
    else:
        return None
    _start, end = _occurrence_bounds(event, last)
    if isinstance(end, datetime):
        return end.astimezone(UTC)
    return datetime.combine(end, time(0), tzinfo=UTC) + timedelta(hours=14)


def _occurrence_bounds(event: Event, wall: datetime) -> tuple[Instant, Instant]:
    if event.all_day or is_date_only(event.start):
        day = wall.date()
        return day, day + event.duration
    tz = zone(event.tzid)
    start = wall.replace(tzinfo=tz).astimezone(UTC)
    return start, start + event.duration


def _rid_key(value: Instant) -> Instant:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def occurrences(
    event: Event,
    window_start: datetime,
    window_end: datetime,
    *,
    display_tz: ZoneInfo | None = None,
    skip: Iterable[Instant] = (),
) -> Iterator[Occurrence]:
    """Occurrences of ``event`` overlapping ``[window_start, window_end)``.

    Timed occurrences overlap by instant. All-day ones overlap when their dates meet the local
    days of the window in ``display_tz`` (UTC if not given). ``skip`` holds recurrence ids that
    are not to be produced (deleted occurrences, and those replaced by overrides).
    """
    tz_display = display_tz or UTC
    if event.rrule is None:
        if _overlaps(event.start, event.end, window_start, window_end, tz_display):
            yield Occurrence(event, event.start, event.end, event.recurrence_id)
        return
    skipped = {_rid_key(x) for x in skip} | {_rid_key(x) for x in event.exdates}
    rule = _build_rule(event.rrule, event)
    wall0, tz = _wall_start(event)
    duration = event.duration
    if tz is None:
        first_day = window_start.astimezone(tz_display).date() - duration - timedelta(days=1)
        last_day = window_end.astimezone(tz_display).date() + timedelta(days=1)
        lo = datetime.combine(first_day, time(0))
        hi = datetime.combine(last_day, time(0))
    else:
        # Wall-clock bounds padded by a day for zone offsets; filtered exactly below.
        lo = (window_start - duration).astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
        hi = window_end.astimezone(tz).replace(tzinfo=None) + timedelta(days=1)
    rule = _fast_forward(rule, event.rrule, wall0, lo)
    count = 0
    for wall in rule.xafter(max(lo, wall0), inc=True) if lo > wall0 else rule:
        if wall >= hi:
            break
        count += 1
        if count > MAX_EXPANSION:
            break
        start, end = _occurrence_bounds(event, wall)
        if _rid_key(start) in skipped:
            continue
        if _overlaps(start, end, window_start, window_end, tz_display):
            yield Occurrence(event, start, end, start)


def _fast_forward(rule: rrule, body: str, wall0: datetime, lo: datetime) -> rrule:
    """The same rule restarted at a whole number of periods before ``lo``.

    dateutil walks every occurrence from DTSTART, so a years-old endless weekly series costs
    hundreds of steps per window query (an hourly one, tens of thousands). For
    HOURLY/DAILY/WEEKLY rules without COUNT or BYSETPOS the occurrences after a DTSTART moved
    by whole ``INTERVAL`` periods (wall-clock hours, days or weeks; same weekday, same time,
    same week alignment) are exactly the original ones after it. A COUNT rule walks at most
    :data:`MAX_COUNT` steps, a MONTHLY or YEARLY one at most twelve a year since
    :data:`MIN_YEAR`.
    MONTHLY and YEARLY rules are left alone (day-of-month clamping makes moving them subtle).
    """
    parts = dict(p.partition("=")[::2] for p in body.upper().split(";"))
    freq = parts.get("FREQ")
    if freq not in ("HOURLY", "DAILY", "WEEKLY") or "COUNT" in parts or "BYSETPOS" in parts:
        return rule
    try:
        interval = int(parts.get("INTERVAL", "1"))
    except ValueError:
        return rule
    if interval < 1:
        return rule  # refused by _build_rule before this is reached; never divide by it
    unit = {"HOURLY": timedelta(hours=1), "DAILY": timedelta(days=1)}.get(freq, timedelta(weeks=1))
    step = interval * unit
    periods = (lo - wall0) // step - 1
    if periods < 1:
        return rule
    return rule.replace(dtstart=wall0 + periods * step)


def _overlaps(
    start: Instant,
    end: Instant,
    window_start: datetime,
    window_end: datetime,
    tz: tzinfo,
) -> bool:
    if isinstance(start, datetime) and isinstance(end, datetime):
        return start < window_end and end > window_start
    first = window_start.astimezone(tz).date()  # type: ignore[arg-type]
    last_instant = window_end.astimezone(tz)  # type: ignore[arg-type]
    # window_end is exclusive: a window ending at local midnight does not include that day.
    last = last_instant.date()
    if last_instant.time() == time(0):
        last = last - timedelta(days=1)
    return start <= last and end > first  # type: ignore[operator]
