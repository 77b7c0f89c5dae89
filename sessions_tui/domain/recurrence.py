"""Recurrence: RRULE validation and expansion in the event's own zone.

Expansion works on wall-clock time in the event's ``tzid`` (dateutil iterates naive local times,
zoneinfo attaches the zone), so a weekly 10:00 America/Chicago series stays at 10:00 local on
both sides of a DST change. The RRULE is stored in RFC 5545 form: an ``UNTIL`` of a timed series is
in UTC (``...Z``); for expansion it is turned back into the series' wall-clock time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING

from dateutil.rrule import rrule, rrulestr

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, Instant, Occurrence, is_date_only
from sessions_tui.domain.timeutil import zone

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

_ALLOWED_FREQ = {"HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_UNTIL = re.compile(r"UNTIL=([0-9TZ]+)", re.IGNORECASE)
# Occurrences of an endless series are not stored anywhere, so the walk stops somewhere.
MAX_EXPANSION = 100_000

PRESETS = {
    "weekly": "FREQ=WEEKLY",
    "every 2 weeks": "FREQ=WEEKLY;INTERVAL=2",
    "monthly": "FREQ=MONTHLY",
    "daily": "FREQ=DAILY",
}


def _wall_start(event: Event) -> tuple[datetime, ZoneInfo | None]:
    if is_date_only(event.start):
        return datetime.combine(event.start, time(0)), None  # type: ignore[arg-type]
    tz = zone(event.tzid)
    assert isinstance(event.start, datetime)
    return event.start.astimezone(tz).replace(tzinfo=None), tz


def _parse_until(text: str) -> datetime | date:
    text = text.upper()
    try:
        if "T" not in text:
            return datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 - a date
        if text.endswith("Z"):
            return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        # Floating UNTIL: read in the series zone by the caller.
        return datetime.strptime(text, "%Y%m%dT%H%M%S")  # noqa: DTZ007
    except ValueError:
        raise ValidationError(f"bad UNTIL {text!r} in recurrence rule", field="rrule") from None


def normalize_rrule(text: str, event: Event) -> str:
    """Validate an RRULE for ``event`` and return it in stored (RFC 5545) form.

    Accepts an optional ``RRULE:`` prefix. Refuses unknown parts, SECONDLY/MINUTELY rules,
    COUNT with UNTIL, and a rule that produces no occurrence at all.
    """
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    body = body.strip().rstrip(";")
    if not body or "\n" in body:
        raise ValidationError("empty recurrence rule", field="rrule")
    parts = {}
    for part in body.split(";"):
        key, sep, value = part.partition("=")
        if not sep or not value:
            raise ValidationError(f"bad recurrence rule part {part!r}", field="rrule")
        parts[key.strip().upper()] = value.strip().upper()
    freq = parts.get("FREQ")
    if freq is None:
        raise ValidationError("a recurrence rule needs FREQ (e.g. FREQ=WEEKLY)", field="rrule")
    if freq not in _ALLOWED_FREQ:
        raise ValidationError(f"unsupported recurrence frequency {freq}", field="rrule")
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValidationError("a recurrence rule cannot have both COUNT and UNTIL", field="rrule")
    if "UNTIL" in parts:
        until = _parse_until(parts["UNTIL"])
        if event.all_day or is_date_only(event.start):
            if isinstance(until, datetime):
                until = until.date()
            parts["UNTIL"] = until.strftime("%Y%m%d")
        else:
            if not isinstance(until, datetime):
                # A date UNTIL on a timed series: through the end of that local day.
                until = datetime.combine(until, time(23, 59, 59))
            if until.tzinfo is None:
                until = until.replace(tzinfo=zone(event.tzid))
            parts["UNTIL"] = until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    normalized = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        rule = _build_rule(normalized, event)
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"bad recurrence rule {body!r}: {exc}", field="rrule") from None
    # dateutil iterates naive wall-clock times in the series zone, so the bound is naive too.
    if rule.after(datetime.min, inc=True) is None:  # noqa: DTZ901
        raise ValidationError(f"recurrence rule {body!r} produces no occurrence", field="rrule")
    return normalized


def _build_rule(body: str, event: Event) -> rrule:
    wall, tz = _wall_start(event)
    return _cached_rule(body, wall, tz.key if tz is not None else None)


@lru_cache(maxsize=4096)
def _cached_rule(body: str, wall: datetime, tz_name: str | None) -> rrule:
    # Parsing an RRULE costs more than expanding a week of it; a calendar asks for the same
    # series on every repaint, so parsed rules are kept (rrule objects built with cache=False
    # hold no iteration state and are safe to share).
    tz = zone(tz_name) if tz_name is not None else None
    match = _UNTIL.search(body)
    if match and tz is not None and match.group(1).upper().endswith("Z"):
        until = _parse_until(match.group(1))
        assert isinstance(until, datetime)
        local = until.astimezone(tz).replace(tzinfo=None)
        body = body[: match.start(1)] + local.strftime("%Y%m%dT%H%M%S") + body[match.end(1) :]
    elif match and tz is None and "T" not in match.group(1).upper():
        body = body[: match.start(1)] + match.group(1) + "T000000" + body[match.end(1) :]
    rule = rrulestr(body, dtstart=wall, cache=False)
    assert isinstance(rule, rrule)
    return rule


def series_end(event: Event) -> datetime | None:
    """The UTC instant after which the series has no occurrence, or ``None`` if endless.

    Used by the store to skip series that cannot touch a window.
    """
    if event.rrule is None:
        return None
    rule = _build_rule(event.rrule, event)
    if "UNTIL" not in event.rrule.upper() and "COUNT" not in event.rrule.upper():
        return None
    last = None
    for last in rule:  # noqa: B007 - bounded by COUNT or UNTIL
        pass
    if last is None:
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
    hundreds of steps per window query. For DAILY/WEEKLY rules without COUNT or BYSETPOS the
    occurrences after a DTSTART moved by whole ``INTERVAL`` periods (wall-clock days or weeks;
    same weekday, same time, same week alignment) are exactly the original ones after it.
    MONTHLY and YEARLY rules are left alone (day-of-month clamping makes moving them subtle).
    """
    parts = dict(p.partition("=")[::2] for p in body.upper().split(";"))
    freq = parts.get("FREQ")
    if freq not in ("DAILY", "WEEKLY") or "COUNT" in parts or "BYSETPOS" in parts:
        return rule
    try:
        interval = int(parts.get("INTERVAL", "1"))
    except ValueError:
        return rule
    step = timedelta(days=interval * (7 if freq == "WEEKLY" else 1))
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


def describe(rrule_text: str | None) -> str:
    """A short human label for a rule: ``weekly``, ``every 2 weeks``, ``custom``."""
    if not rrule_text:
        return "none"
    for label, body in PRESETS.items():
        if rrule_text.upper() == body:
            return label
    return rrule_text
