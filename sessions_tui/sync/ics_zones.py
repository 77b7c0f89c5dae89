"""VTIMEZONE components that every consumer reads the same, for any date (issue 26).

Each zone is written as Google, Apple and Thunderbird write it: the zone's *current* rules as
yearly ``RRULE`` onsets (one STANDARD and one DAYLIGHT sub-component, no end), read from the
POSIX rule at the end of the zone's TZif file; before those, one sub-component per historical
transition the exported events need (a DTSTART each, no RDATE lists: ical.js ignores the
DTSTART of a sub-component that has RDATEs). A zone whose rule cannot be written as a yearly
RRULE (a transition time past midnight, a Julian-day rule) gets icalendar's generated
VTIMEZONE instead.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import TZPATH, ZoneInfo

_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
_NAME = r"(<[^>]+>|[A-Za-z]{3,})"
_OFFSET = r"([+-]?\d{1,2}(?::\d{2}){0,2})"
_RULE = r"M(\d{1,2})\.(\d)\.(\d)(?:/(-?\d{1,3}(?::\d{2}){0,2}))?"
_POSIX = re.compile(
    rf"^{_NAME}{_OFFSET}(?:{_NAME}(?:{_OFFSET})?,{_RULE},{_RULE})?$",
)


def _tzif(key: str) -> bytes | None:
    for base in TZPATH:
        path = Path(base) / key
        if path.is_file():
            return path.read_bytes()
    try:
        from importlib.resources import files

        package, _, name = f"tzdata.zoneinfo.{key}".replace("/", ".").rpartition(".")
        return files(package).joinpath(name).read_bytes()
    except (ImportError, FileNotFoundError, OSError, ValueError):
        return None


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")]
    parts += [0] * (3 - len(parts))
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


@lru_cache(maxsize=64)
def posix_rule(key: str) -> tuple[Any, ...] | None:
    """``(std name, std offset s, dst name, dst offset s, start rule, end rule)`` of a zone's
    current rules (the rules ``None`` without DST); ``None`` if they cannot be written as
    yearly RRULEs."""
    data = _tzif(key)
    if data is None or len(data) < 5 or data[4:5] < b"2":
        return None
    footer = data.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("ascii", "replace")
    match = _POSIX.match(footer)
    if match is None:
        return None
    std, std_off, dst, dst_off, m1, w1, d1, t1, m2, w2, d2, t2 = match.groups()
    std_s = -_seconds(std_off)
    if dst is None:
        return (std.strip("<>"), std_s, None, None, None, None)
    dst_s = -_seconds(dst_off) if dst_off else std_s + 3600
    rules = []
    for m, w, d, t in ((m1, w1, d1, t1), (m2, w2, d2, t2)):
        at = _seconds(t) if t else 7200
        if not 0 <= at < 86400:
            return None
        rules.append((int(m), int(w), int(d), at))
    return (std.strip("<>"), std_s, dst.strip("<>"), dst_s, rules[0], rules[1])


def _nth(year: int, month: int, week: int, weekday: int) -> date:
    """The ``week``-th (5: last) ``weekday`` (0 Sunday) of ``month``."""
    first = date(year, month, 1)
    shift = (weekday - (first.weekday() + 1) % 7) % 7
    day = first + timedelta(days=shift + 7 * (week - 1))
    while day.month != month:
        day -= timedelta(days=7)
    return day


def _offset(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{sign}{h:02d}{m:02d}" + (f"{s:02d}" if s else "")


def _local(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%S")


def _sub(kind: str, start: datetime, before: int, after: int, name: str, rrule: str = "") -> str:
    return (
        f"BEGIN:{kind}\r\nDTSTART:{_local(start)}\r\n"
        + (f"RRULE:{rrule}\r\n" if rrule else "")
        + f"TZNAME:{name}\r\nTZOFFSETFROM:{_offset(before)}\r\nTZOFFSETTO:{_offset(after)}\r\n"
        + f"END:{kind}\r\n"
    )


def _seconds_of(value: timedelta | None) -> int:
    return int(value.total_seconds()) if value is not None else 0


def _transitions(tz: ZoneInfo, lo: datetime, hi: datetime) -> list[tuple[datetime, int, int]]:
    """(UTC instant, offset before, offset after) of each change of offset in ``[lo, hi)``."""
    found = []
    step = timedelta(days=1)
    at = lo
    before = _seconds_of(at.astimezone(tz).utcoffset())
    while at < hi:
        nxt = min(at + step, hi)
        after = _seconds_of(nxt.astimezone(tz).utcoffset())
        if after != before:
            a, b = at, nxt  # bisect to the second
            while b - a > timedelta(seconds=1):
                mid = a + (b - a) / 2
                if _seconds_of(mid.astimezone(tz).utcoffset()) == before:
                    a = mid
                else:
                    b = mid
            when = b.replace(microsecond=0)
            found.append((when, before, after))
            before = after
        at = nxt
    return found


def vtimezone(key: str, first: date, rules_from: int) -> str | None:
    """The VTIMEZONE of IANA zone ``key`` for events from ``first`` on: historical transitions
    from ``first`` to 1 January of ``rules_from``, then the current rules as yearly RRULEs.
    ``None`` if the current rules cannot be written so (the caller falls back)."""
    rule = posix_rule(key)
    if rule is None:
        return None
    tz = ZoneInfo(key)
    std, std_s, dst, dst_s, start_rule, end_rule = rule
    y0 = max(rules_from, first.year)
    lo = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(days=2)
    hi = datetime(y0, 1, 1, tzinfo=UTC)
    parts: list[str] = []
    # The offset in force at the start, then each historical change.
    at0 = min(lo, hi)
    off0 = _seconds_of(at0.astimezone(tz).utcoffset())
    dst0 = _seconds_of(at0.astimezone(tz).dst())
    name0 = at0.astimezone(tz).tzname() or std
    kind0 = "DAYLIGHT" if dst0 else "STANDARD"
    parts.append(
        _sub(kind0, (at0 + timedelta(seconds=off0)).replace(tzinfo=None), off0, off0, name0)
    )
    for when, before, after in _transitions(tz, lo, hi) if lo < hi else []:
        local = when.astimezone(tz)
        kind = "DAYLIGHT" if _seconds_of(local.dst()) else "STANDARD"
        wall = (when + timedelta(seconds=before)).replace(tzinfo=None)
        parts.append(_sub(kind, wall, before, after, local.tzname() or std))
    if dst is None:
        if not parts or off0 != std_s:
            start = datetime(y0, 1, 1, tzinfo=UTC).replace(tzinfo=None)  # a wall time
            parts.append(_sub("STANDARD", start, std_s, std_s, std))
    else:
        for kind, (m, w, d, at), before, after, name in (
            ("DAYLIGHT", start_rule, std_s, dst_s, dst),
            ("STANDARD", end_rule, dst_s, std_s, std),
        ):
            day = _nth(y0, m, w, d)
            onset = datetime(day.year, day.month, day.day, tzinfo=UTC).replace(
                tzinfo=None
            ) + timedelta(seconds=at)
            byday = f"{w if w < 5 else -1}{_DAYS[d]}"
            parts.append(
                _sub(kind, onset, before, after, name, f"FREQ=YEARLY;BYMONTH={m};BYDAY={byday}")
            )
    return f"BEGIN:VTIMEZONE\r\nTZID:{key}\r\n" + "".join(parts) + "END:VTIMEZONE\r\n"
