"""RRULE text: the limits every rule is held to, the checks that hold it to them, and parsing.

:func:`normalize_rrule` validates a rule for an event and returns its stored (RFC 5545) form;
:func:`check_years` bounds an event's years. :func:`sessions_tui.domain.events.validate_event`
calls both, so this module needs nothing of ``events`` at run time (only its types, for
annotations): events → rrule_text, and recurrence (expansion) → both, with no cycle.
"""

from __future__ import annotations

import re
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING

from dateutil.rrule import rrule, rrulestr

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.timeutil import is_date_only, zone

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sessions_tui.domain.events import Event

_ALLOWED_FREQ = {"HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_SESSION_FREQ = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_UNTIL = re.compile(r"UNTIL=([0-9TZ]+)", re.IGNORECASE)
_WEEKDAYS = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"}
_BYDAY = re.compile(r"^([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_INTEGER = re.compile(r"^[+-]?\d{1,9}$")

# --- the limits every rule is held to (README: "Recurrence limits") ------------------------

MAX_COUNT = 1_000
"""A rule's ``COUNT`` is at most this (a weekly series of 19 years, a daily one of 2.7)."""

MAX_SPAN = timedelta(days=3653)
"""A bounded series (``COUNT`` or ``UNTIL``) ends within ten years of its first start: its
``UNTIL`` is at most this after DTSTART and its ``COUNT`` occurrences fall inside it. A longer
series is made endless (no ``COUNT``/``UNTIL``), which every reader expands window by window."""

MAX_INTERVAL = 1_000
"""``INTERVAL`` is 1 to this (``INTERVAL=0`` never advances; a huge one overflows the year)."""

MIN_YEAR = 1900
MAX_YEAR = 2200
"""Every event starts and ends in these years (as the calendar's "go to date" accepts)."""

MAX_RULE_LENGTH = 1_000
"""Characters in an RRULE; longer is not a rule a person or a calendar app writes."""

MAX_EXPANSION = 100_000
"""A last guard: one expansion never produces more occurrences than this, whatever the rule."""

_PARTS = {
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
}
_NUMBER_RANGES = {
    # part: (lowest, highest, negative allowed); RFC 5545 section 3.3.10
    "BYSECOND": (0, 60, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}
_MAX_LIST = 400
"""Values in one BY part (a BYYEARDAY listing every day of a year is 366)."""

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


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, field="rrule")


def check_years(event: Event) -> None:
    """Refuse an event that starts or ends outside :data:`MIN_YEAR` to :data:`MAX_YEAR`."""
    for what, value in (("start", event.start), ("end", event.end)):
        year = value.year
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValidationError(
                f"{what} year {year} is out of range ({MIN_YEAR} to {MAX_YEAR})", field=what
            )


def _split(body: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for part in body.split(";"):
        key, sep, value = part.partition("=")
        key, value = key.strip().upper(), value.strip().upper()
        if not sep or not value or not key:
            raise _refuse(f"bad recurrence rule part {part!r}")
        if key not in _PARTS:
            raise _refuse(f"unknown recurrence rule part {key} (in {part!r})")
        if key in parts:
            raise _refuse(f"recurrence rule part {key} is given twice")
        parts[key] = value
    return parts


def _integer(key: str, value: str, low: int, high: int) -> int:
    if not _INTEGER.match(value) or not low <= int(value) <= high:
        raise _refuse(f"{key}={value} is out of range: {key} must be {low} to {high}")
    return int(value)


def _check_by_parts(parts: dict[str, str], freq: str, *, session: bool) -> None:
    for key, value in parts.items():
        if not key.startswith("BY"):
            continue
        values = value.split(",")
        if len(values) > _MAX_LIST:
            raise _refuse(f"{key} lists {len(values)} values (at most {_MAX_LIST})")
        if session and key in ("BYHOUR", "BYMINUTE", "BYSECOND"):
            raise _refuse(
                f"{key} is not allowed for a client session (its time comes from its start)"
            )
        if key == "BYDAY":
            for item in values:
                m = _BYDAY.match(item)
                if m is None:
                    raise _refuse(f"bad BYDAY value {item!r} (expected e.g. MO, TU or 2TH)")
                if m.group(2) is not None:
                    n = int(m.group(2))
                    if freq not in ("MONTHLY", "YEARLY"):
                        raise _refuse(
                            f"BYDAY={item} counts weekdays, which only FREQ=MONTHLY or "
                            "FREQ=YEARLY can"
                        )
                    if not 1 <= n <= 53:
                        raise _refuse(f"BYDAY={item} is out of range: the count must be 1 to 53")
            continue
        low, high, negative = _NUMBER_RANGES[key]
        for item in values:
            if not _INTEGER.match(item) or (item.startswith("-") and not negative):
                raise _refuse(f"bad {key} value {item!r}")
            n = abs(int(item)) if negative else int(item)
            if not low <= n <= high or (negative and int(item) == 0):
                sign = "±" if negative else ""
                raise _refuse(f"{key}={item} is out of range: {key} must be {sign}{low} to {high}")
    if "BYWEEKNO" in parts and freq != "YEARLY":
        raise _refuse("BYWEEKNO is only allowed with FREQ=YEARLY")
    if "BYSETPOS" in parts and not any(k.startswith("BY") and k != "BYSETPOS" for k in parts):
        raise _refuse("BYSETPOS needs another BY part (e.g. BYDAY) to pick from")
    wkst = parts.get("WKST")
    if wkst is not None and wkst not in _WEEKDAYS:
        raise _refuse(f"bad WKST value {wkst!r} (expected a weekday such as MO)")


def normalize_rrule(text: str, event: Event, *, stored: bool = False) -> str:
    """Validate an RRULE for ``event`` and return it in stored (RFC 5545) form.

    Accepts an optional ``RRULE:`` prefix. Every refusal is one line naming the part
    (``ValidationError`` with ``field="rrule"``; a start or end out of range names that field):

    * unknown or repeated parts, and BY parts out of their RFC 5545 ranges;
    * a FREQ finer than HOURLY, and finer than DAILY (or any BYHOUR/BYMINUTE/BYSECOND) for a
      client session;
    * ``INTERVAL`` outside 1 to :data:`MAX_INTERVAL`, ``COUNT`` outside 1 to :data:`MAX_COUNT`,
      COUNT with UNTIL;
    * a bounded series that runs past :data:`MAX_SPAN` after its start, a start or end outside
      :data:`MIN_YEAR` to :data:`MAX_YEAR`;
    * a rule with no occurrence within :data:`MAX_SPAN` of its start.

    Every check costs at most one walk of the rule through :data:`MAX_SPAN`, so a hostile rule
    is refused quickly, before anything is written.

    ``stored`` is the readers' check of a rule already stored (see
    ``recurrence.expansion_problem``): everything that keeps a window's expansion bounded, but
    not the walk through COUNT occurrences that refuses a COUNT reaching past ten years. That
    is a rule for what may be written, not a danger to a reader (COUNT is bounded by
    :data:`MAX_COUNT`), and the walk was most of the check's cost on every read of a window
    (16 of 22 ms for the 72 series of a 10k practice's week).
    """
    check_years(event)
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    body = body.strip().rstrip(";")
    if not body or "\n" in body or "\r" in body:
        raise _refuse("empty recurrence rule" if not body else "a recurrence rule is one line")
    if len(body) > MAX_RULE_LENGTH:
        raise _refuse(f"recurrence rule is too long ({len(body)} characters, at most 1000)")
    parts = _split(body)
    freq = parts.get("FREQ")
    if freq is None:
        raise _refuse("a recurrence rule needs FREQ (e.g. FREQ=WEEKLY)")
    if freq not in _ALLOWED_FREQ:
        raise _refuse(f"unsupported recurrence frequency {freq} (FREQ=HOURLY at the finest)")
    session = event.kind == "session"
    if session and freq not in _SESSION_FREQ:
        raise _refuse(f"FREQ={freq} is not allowed for a client session (at most daily)")
    if "INTERVAL" in parts:
        _integer("INTERVAL", parts["INTERVAL"], 1, MAX_INTERVAL)
    if "COUNT" in parts and "UNTIL" in parts:
        raise _refuse("a recurrence rule cannot have both COUNT and UNTIL")
    if "COUNT" in parts:
        _integer("COUNT", parts["COUNT"], 1, MAX_COUNT)
    _check_by_parts(parts, freq, session=session)
    wall0, _tz = _wall_start(event)
    if "UNTIL" in parts:
        until = _parse_until(parts["UNTIL"])
        if event.all_day or is_date_only(event.start):
            if isinstance(until, datetime):
                until = until.date()
            parts["UNTIL"] = until.strftime("%Y%m%d")
            too_far = until > (wall0 + MAX_SPAN).date()
        else:
            if not isinstance(until, datetime):
                # A date UNTIL on a timed series: through the end of that local day.
                until = datetime.combine(until, time(23, 59, 59))
            if until.tzinfo is None:
                until = until.replace(tzinfo=zone(event.tzid))
            assert isinstance(event.start, datetime)
            too_far = until > event.start + MAX_SPAN
            parts["UNTIL"] = until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        if too_far:
            raise _refuse(
                f"UNTIL={parts['UNTIL']} is more than 10 years after the start "
                "(make the series endless instead)"
            )
    normalized = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        rule = _unchecked_rule(normalized, event)
    except (ValueError, TypeError, OverflowError) as exc:
        raise _refuse(f"bad recurrence rule {body!r}: {exc}") from None
    within = _probe(rule, wall0)
    if within.after(datetime.min, inc=True) is None:  # noqa: DTZ901 - wall-clock, naive
        raise _refuse(f"recurrence rule {body!r} produces no occurrence within 10 years")
    if "COUNT" in parts and not stored:
        count = int(parts["COUNT"])
        if sum(1 for _ in islice(within, count)) < count:
            raise _refuse(
                f"COUNT={count} runs more than 10 years past the start "
                "(make the series endless instead)"
            )
    return normalized


def _probe(rule: rrule, wall0: datetime) -> rrule:
    """``rule`` without COUNT, ending :data:`MAX_SPAN` after its start, moved to the last
    years before 9999, for checks that must end quickly.

    dateutil tests UNTIL only on dates that pass the BY filters, so a rule that matches
    nothing (``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30``) walks day by day to the year 9999,
    seconds of work. The Gregorian calendar repeats every 400 years (weekdays and leap days
    included), so the same rule started a multiple of 400 years later has the same
    occurrences, moved; near 9999 the walk ends within 400 years of candidates whatever the
    filters. Naive wall-clock times, as dateutil iterates.
    """
    years = (MAXYEAR - 1 - (wall0 + MAX_SPAN).year) // 400 * 400
    start = wall0.replace(year=wall0.year + years)
    until = start + MAX_SPAN
    own = getattr(rule, "_until", None)  # the rule's own UNTIL (wall-clock), moved alike
    if isinstance(own, datetime):
        until = min(until, own.replace(year=own.year + years))
    return rule.replace(dtstart=start, count=None, until=until)


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


def describe(rrule_text: str | None) -> str:
    """A short human label for a rule: ``weekly``, ``every 2 weeks``, ``custom``."""
    if not rrule_text:
        return "none"
    for label, body in PRESETS.items():
        if rrule_text.upper() == body:
            return label
    return rrule_text


def _unchecked_rule(body: str, event: Event) -> rrule:
    """The dateutil rule of ``body`` for ``event``, without the stored-rule check."""
    wall, tz = _wall_start(event)
    return _cached_rule(body, wall, tz.key if tz is not None else None)
