"""Dates as a person types them: ``fri``, ``dec 24``, ``24 dec``, ``next monday``, ``tomorrow``,
``+3``, ``-1w``, ``2026-12-24``.

:func:`parse_natural_date` reads one date relative to a given day (the app's "today" in its
display zone, from its clock: ``SESSIONS_TUI_NOW`` freezes it). Names and relative words are
read by parsedatetime (a well-kept parser, chosen over dateparser for its cost: ~30 ms to
import and ~3 ms for the first parse, where dateparser took ~70 ms and ~140 ms; see
docs/PERFORMANCE.md, "Natural dates"), imported only when a date that needs it is typed. ISO
dates, ``today`` and the signed offsets (``+3``, ``-1w``, ``+2m``) are read here without it.

A bare weekday is the coming one, today included (``fri`` on a Friday is that Friday); a month
and day without a year is the next one from today (``dec 24`` on Dec 25 is next year's). Only
days are read: the time of day never shifts the answer, so a DST change cannot either.
Anything left over is named in one line (``did not understand 'xyz'``), never guessed; the
prompts show examples of what is read (:data:`HINT`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sessions_tui.domain.errors import ValidationError

MIN_YEAR = 1900
MAX_YEAR = 2200
"""The years a typed date may fall in (as the events' own limits)."""

_OFFSET = re.compile(r"^([+-])\s*(\d{1,5})\s*(d|days?|w|weeks?|m|months?|y|years?)?$")
_NAMED = {"today": 0, "tod": 0, "tomorrow": 1, "tmr": 1, "yesterday": -1}
_FILLERS = {"on", "the", "of", "at", ",", "."}
HINT = "e.g. fri, dec 24, next monday, +3, -1w or 2026-12-24"
"""What the prompts show as examples (the same words the errors suggest)."""


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, field="date")


def _in_range(day: date, text: str) -> date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise _refuse(f"{text!r} is out of range: the year must be {MIN_YEAR} to {MAX_YEAR}")
    return day


def _offset(match: re.Match[str], today: date, text: str) -> date:
    from dateutil.relativedelta import relativedelta

    n = int(match.group(2)) * (-1 if match.group(1) == "-" else 1)
    unit = (match.group(3) or "d")[0]
    try:
        if unit == "d":
            day = today + timedelta(days=n)
        elif unit == "w":
            day = today + timedelta(weeks=n)
        elif unit == "m":
            day = today + relativedelta(months=n)
        else:
            day = today + relativedelta(years=n)
    except (OverflowError, ValueError):
        raise _refuse(f"{text!r} is too far away") from None
    return _in_range(day, text)


@lru_cache(maxsize=1)
def _calendar() -> Any:
    import parsedatetime

    constants = parsedatetime.Constants(localeID="en_US", usePyICU=False)
    constants.CurrentDOWParseStyle = True  # "fri" on a Friday: that Friday, not the next
    constants.DOWParseStyle = 1  # a bare weekday: the coming one
    constants.YearParseStyle = 1  # "dec 24" without a year: the next one
    return parsedatetime.Calendar(constants, version=parsedatetime.VERSION_CONTEXT_STYLE)


def _leftover(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """The words of ``text`` outside ``spans`` (fillers such as "on" left out)."""
    covered = [False] * len(text)
    for start, end in spans:
        for i in range(start, end):
            covered[i] = True
    rest = "".join(" " if covered[i] else ch for i, ch in enumerate(text))
    return [w for w in rest.replace(",", " ").split() if w.lower().strip(".") not in _FILLERS]


def parse_natural_date(text: str, today: date) -> date:
    """The day ``text`` names, relative to ``today``.

    Args:
        text: What was typed: ``fri``, ``friday``, ``dec 24``, ``24 december``, ``12/24``,
            ``next monday``, ``in 2 weeks``, ``tomorrow``, ``+3``, ``-1w``, ``+2m``,
            ``2026-12-24``…
        today: The day it is now in the display zone (``clock.now()`` there).

    Raises:
        ValidationError: one line naming what was not understood (``field="date"``).
    """
    typed = " ".join(text.split())
    word = typed.lower()
    if not word:
        raise _refuse(f"type a date ({HINT})")
    if word in _NAMED:
        return today + timedelta(days=_NAMED[word])
    offset = _OFFSET.match(word)
    if offset is not None:
        return _offset(offset, today, typed)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word):
        from sessions_tui.domain.timeutil import parse_date

        try:
            return _in_range(parse_date(word), typed)
        except ValidationError as exc:
            raise _refuse(exc.message) from None
    # Noon: the day alone matters, and no clock change is near noon.
    source = datetime.combine(today, time(12))
    found = _calendar().nlp(typed, sourceTime=source) or ()
    dates = [m for m in found if m[1].hasDate]
    spans = [(m[2], m[3]) for m in found]
    rest = _leftover(typed, spans)
    if rest:
        raise _refuse(f"did not understand {' '.join(rest)!r}")
    if not dates:
        if found:
            raise _refuse(f"{typed!r} is a time, not a date")
        raise _refuse(f"did not understand {typed!r} (a date such as fri or dec 24)")
    if len(dates) > 1:
        first, second = dates[0][4], dates[1][4]
        raise _refuse(f"{first!r} and {second!r} are two dates: type one")
    value = dates[0][0]
    assert isinstance(value, datetime)
    return _in_range(value.date(), typed)
