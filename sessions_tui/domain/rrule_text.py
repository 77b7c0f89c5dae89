"""RRULE text: the limits every rule is held to, the checks that hold it to them, and parsing.

:func:`normalize_rrule` validates a rule for an event and returns its stored (RFC 5545) form;
:func:`check_years` bounds an event's years. :func:`sessions_tui.domain.events.validate_event`
calls both, so this module needs nothing of ``events`` at run time (only its types, for
annotations): events → rrule_text, and recurrence (expansion) → both, with no cycle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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

MAX_PER_DAY = 96
"""Occurrences one rule may make in a day: every quarter of an hour. Each BY list is bounded
on its own, but their product is what a reader expands: ``FREQ=DAILY`` with ``BYHOUR`` 0–23,
``BYMINUTE`` 0–59 and ``BYSECOND`` 0–59 (400 bytes) made 86,400 a day, and a one-day agenda
took 12 s."""

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
    per_day = per_day_bound(parts, freq)
    if per_day > MAX_PER_DAY:
        raise _refuse(
            f"recurrence rule makes up to {per_day} occurrences a day (at most {MAX_PER_DAY}: "
            "fewer BYHOUR, BYMINUTE or BYSECOND values)"
        )


def per_day_bound(parts: dict[str, str], freq: str) -> int:
    """The most occurrences a rule can make in one day: the product of its BYHOUR, BYMINUTE
    and BYSECOND lists (one each when absent), with FREQ=HOURLY's own hours."""

    def count(key: str) -> int:
        value = parts.get(key)
        return len(set(value.split(","))) if value else 1

    hours = count("BYHOUR")
    if freq == "HOURLY":
        interval = int(parts.get("INTERVAL", "1") or 1)
        every = -(-24 // max(interval, 1))
        hours = min(hours, every) if "BYHOUR" in parts else every
    return hours * count("BYMINUTE") * count("BYSECOND")


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


# --- the editor's "Repeats" field: presets, their rules, and any rule in words ------------

REPEAT_CHOICES = (
    "none",
    "daily",
    "weekly",
    "every 2 weeks",
    "monthly",
    "monthly on weekday",
    "custom",
)
"""The values of the event form's "Repeats" field (:func:`repeat_options` labels them)."""

REPEAT_ENDS = ("never", "after", "on")
"""How a preset series ends: never, after a number of occurrences (COUNT), on a date (UNTIL)."""

_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", -1: "last", -2: "second-to-last"}
_UNITS = {"HOURLY": "hour", "DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
_EVERY = {"HOURLY": "Hourly", "DAILY": "Daily", "WEEKLY": "Weekly", "MONTHLY": "Monthly"}
_EVERY["YEARLY"] = "Yearly"


@dataclass(frozen=True)
class Repeat:
    """What the "Repeats" field shows for a rule: a preset and its end, or ``custom``.

    Attributes:
        choice: One of :data:`REPEAT_CHOICES`.
        ends: One of :data:`REPEAT_ENDS` (``never`` for ``none`` and ``custom``).
        count: The number of occurrences when ``ends`` is ``after``.
        until: The last day (in the event's zone) when ``ends`` is ``on``.
    """

    choice: str = "none"
    ends: str = "never"
    count: int | None = None
    until: date | None = None


def nth_weekday(day: date) -> int:
    """Which of its month's weekdays ``day`` is: 1 to 4, or -1 for a fifth (the last)."""
    n = (day.day - 1) // 7 + 1
    return -1 if n == 5 else n


def _day_list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def repeat_options(day: date) -> list[tuple[str, str]]:
    """The "Repeats" field's (label, value) pairs for a series starting on ``day``."""
    weekday = _DAY_NAMES[day.weekday()]
    return [
        ("Does not repeat", "none"),
        ("Daily", "daily"),
        (f"Weekly on {weekday}", "weekly"),
        (f"Every 2 weeks on {weekday}", "every 2 weeks"),
        (f"Monthly on day {day.day}", "monthly"),
        (f"Monthly on the {_ORDINALS[nth_weekday(day)]} {weekday}", "monthly on weekday"),
        ("Custom rule…", "custom"),
    ]


def preset_rule(repeat: Repeat, day: date) -> str | None:
    """The RRULE of a preset (``None`` for ``none``) for a series starting on ``day``.

    ``custom`` has no rule here (the form's text is the rule). The end is ``COUNT=N`` or a
    date ``UNTIL`` (which :func:`normalize_rrule` makes the end of that day in the event's
    zone).
    """
    code = _DAY_CODES[day.weekday()]
    body = {
        "none": None,
        "daily": "FREQ=DAILY",
        "weekly": "FREQ=WEEKLY",
        "every 2 weeks": "FREQ=WEEKLY;INTERVAL=2",
        "monthly": "FREQ=MONTHLY",
        "monthly on weekday": f"FREQ=MONTHLY;BYDAY={nth_weekday(day)}{code}",
    }.get(repeat.choice)
    if body is None:
        return None
    if repeat.ends == "after" and repeat.count is not None:
        body += f";COUNT={repeat.count}"
    elif repeat.ends == "on" and repeat.until is not None:
        body += f";UNTIL={repeat.until:%Y%m%d}"
    return body


def _rule_parts(text: str) -> dict[str, str] | None:
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    parts: dict[str, str] = {}
    for part in body.strip().rstrip(";").split(";"):
        key, sep, value = part.partition("=")
        key, value = key.strip().upper(), value.strip().upper()
        if not sep or not key or not value or key in parts:
            return None
        parts[key] = value
    return parts if "FREQ" in parts else None


def _until_day(value: str, tz: ZoneInfo | None) -> date | None:
    try:
        until = _parse_until(value)
    except ValidationError:
        return None
    if isinstance(until, datetime):
        if until.tzinfo is not None and tz is not None:
            until = until.astimezone(tz)
        return until.date()
    return until


def repeat_of(rule: str | None, day: date, tz: ZoneInfo | None = None) -> Repeat:
    """The preset that makes ``rule`` for a series starting on ``day``, else ``custom``.

    A rule is a preset when it means exactly what the preset's rule means (the start's own
    weekday may be named: ``FREQ=WEEKLY;BYDAY=MO`` from a Monday is weekly on Monday); a
    date-time ``UNTIL`` is read as its day in ``tz`` (the event's zone).
    """
    if not rule:
        return Repeat()
    parts = _rule_parts(rule)
    custom = Repeat("custom")
    if parts is None:
        return custom
    parts.pop("WKST", None)  # no effect on these presets (one weekday a week at most)
    ends, count, until = "never", None, None
    if "COUNT" in parts:
        if "UNTIL" in parts or not parts["COUNT"].isdigit():
            return custom
        ends, count = "after", int(parts.pop("COUNT"))
    elif "UNTIL" in parts:
        until = _until_day(parts.pop("UNTIL"), tz)
        if until is None:
            return custom
        ends = "on"
    code = _DAY_CODES[day.weekday()]
    interval = parts.pop("INTERVAL", "1").lstrip("0") or "0"
    freq = parts.pop("FREQ")
    byday = parts.pop("BYDAY", None)
    bymonthday = parts.pop("BYMONTHDAY", None)
    if parts:  # any other part: not a preset
        return custom
    choice = None
    if freq == "DAILY" and interval == "1" and byday is None and bymonthday is None:
        choice = "daily"
    elif freq == "WEEKLY" and byday in (None, code) and bymonthday is None:
        choice = {"1": "weekly", "2": "every 2 weeks"}.get(interval)
    elif freq == "MONTHLY" and interval == "1":
        if byday is None and bymonthday in (None, str(day.day)):
            choice = "monthly"
        elif bymonthday is None and byday == f"{nth_weekday(day)}{code}":
            choice = "monthly on weekday"
    if choice is None:
        return custom
    return Repeat(choice, ends, count, until)


def _weekday_words(value: str, yearly: bool = False) -> str | None:
    plain: list[str] = []
    counted: list[str] = []
    for item in value.split(","):
        m = _BYDAY.match(item)
        if m is None:
            return None
        name = _DAY_NAMES[_DAY_CODES.index(m.group(3))]
        if m.group(2) is None:
            plain.append(name)
            continue
        n = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
        if n not in _ORDINALS:
            return None
        counted.append(f"the {_ORDINALS[n]} {name}")
    if plain and counted:
        return None
    if counted:
        return "on " + _day_list(counted)
    if plain == list(_DAY_NAMES[:5]):
        return "on weekdays"
    return "on " + _day_list(plain)


def rule_in_words(rule: str | None, day: date, tz: ZoneInfo | None = None) -> str | None:
    """A rule as a person says it, for a series starting on ``day``: ``Weekly on Monday,
    8 times``, ``Every 3 weeks on Monday and Thursday, until 31 Dec 2026``, ``Monthly on
    the last Friday``; ``Does not repeat`` for none.

    ``None`` for a rule with parts these words do not cover (BYSETPOS, BYYEARDAY, BYWEEKNO,
    BYHOUR…) or that does not read as a rule: the caller shows the rule itself.
    """
    if not rule:
        return "Does not repeat"
    parts = _rule_parts(rule)
    if parts is None:
        return None
    parts.pop("WKST", None)
    freq = parts.pop("FREQ")
    if freq not in _UNITS:
        return None
    interval_text = parts.pop("INTERVAL", "1")
    if not interval_text.isdigit() or int(interval_text) < 1:
        return None
    interval = int(interval_text)
    unit = _UNITS[freq]
    words = [_EVERY[freq] if interval == 1 else f"Every {interval} {unit}s"]
    byday = parts.pop("BYDAY", None)
    bymonthday = parts.pop("BYMONTHDAY", None)
    bymonth = parts.pop("BYMONTH", None)
    count = parts.pop("COUNT", None)
    until = parts.pop("UNTIL", None)
    if parts:
        return None
    months = ""
    if bymonth is not None:
        try:
            numbers = [int(m) for m in bymonth.split(",")]
            months = _day_list([date(2000, m, 1).strftime("%B") for m in numbers])
        except ValueError:
            return None
    if byday is not None:
        text = _weekday_words(byday)
        if text is None:
            return None
        words.append(text + (f" of {months}" if months else ""))
    elif bymonthday is not None:
        try:
            days = [int(d) for d in bymonthday.split(",")]
        except ValueError:
            return None
        names = ["the last day" if d == -1 else str(d) for d in days]
        if any(d < -1 or d == 0 for d in days):
            return None
        lead = "on day " if len(days) == 1 and days[0] > 0 else "on days "
        if days == [-1]:
            lead = "on "
        words.append(lead + _day_list(names) + (f" of {months}" if months else ""))
    elif months:
        words.append(f"in {months}")
    elif freq == "WEEKLY":
        words.append(f"on {_DAY_NAMES[day.weekday()]}")
    elif freq == "MONTHLY":
        words.append(f"on day {day.day}")
    elif freq == "YEARLY":
        words.append(f"on {day.day} {day:%B}")
    text = " ".join(words)
    if count is not None:
        if not count.isdigit():
            return None
        text += ", once" if int(count) == 1 else f", {int(count)} times"
    elif until is not None:
        last = _until_day(until, tz)
        if last is None:
            return None
        text += f", until {last.day} {last:%b %Y}"
    return text
