"""Periods of the calendar's views, as pure date arithmetic: the first day of a week (any
weekday), the days each view shows around the cursor, moving by periods, titles, and the dates
a person types ("today", "+3", "2026-11-25")."""

from __future__ import annotations

from datetime import date, timedelta

VIEWS = ("month", "week", "day", "agenda")
"""The views (the grids' "team" view shares the day's period)."""
AGENDA_DAYS = 7
"""Days the agenda view shows from the cursor day."""


def weekday_of(first: int | bool) -> int:
    """A first day of the week as 0 = Monday … 6 = Sunday; ``True``/``False`` (the older
    "weeks start on Monday" switch, still what the practice setting stores) are Monday and
    Sunday. (``bool`` is an ``int`` to Python: without this ``True`` would be Tuesday.)"""
    if isinstance(first, bool):
        return 0 if first else 6
    if not 0 <= first <= 6:
        raise ValueError(f"a weekday is 0 (Monday) to 6 (Sunday), not {first!r}")
    return first


def week_start(day: date, first: int | bool) -> date:
    """The first day of the week holding ``day``, weeks starting on ``first`` (0 = Monday …
    6 = Sunday; ``True``/``False``: Monday/Sunday, see :func:`weekday_of`)."""
    offset = (day.weekday() - weekday_of(first)) % 7
    return day - timedelta(days=offset)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def period_range(view: str, cursor: date, monday: int | bool) -> tuple[date, int]:
    """The first day and number of days a view shows around ``cursor``, weeks starting on
    ``monday`` (a weekday, 0 = Monday … 6 = Sunday, or the older bool: see
    :func:`weekday_of`).

    The month view shows whole weeks (4 to 6) covering the month; the agenda shows a week from
    the cursor day.
    """
    if view == "day":
        return cursor, 1
    if view == "week":
        return week_start(cursor, monday), 7
    if view == "agenda":
        return cursor, AGENDA_DAYS
    first_of_month = cursor.replace(day=1)
    first = week_start(first_of_month, monday)
    last = add_months(first_of_month, 1) - timedelta(days=1)
    weeks = ((last - first).days // 7) + 1
    return first, weeks * 7


def shift_period(view: str, cursor: date, steps: int) -> date:
    """The cursor day ``steps`` periods later (earlier when negative)."""
    if view == "month":
        return add_months(cursor, steps)
    if view == "day":
        return cursor + timedelta(days=steps)
    return cursor + timedelta(days=7 * steps)


def range_title(first: date, last: date) -> str:
    """``Nov 23 – 29, 2026``, ``Nov 29 – Dec 5, 2026``, ``Dec 27, 2026 – Jan 2, 2027``."""
    if first.year != last.year:
        return f"{first:%b} {first.day}, {first.year} – {last:%b} {last.day}, {last.year}"
    if first.month != last.month:
        return f"{first:%b} {first.day} – {last:%b} {last.day}, {last.year}"
    return f"{first:%b} {first.day} – {last.day}, {last.year}"


def period_title(view: str, cursor: date, monday: int | bool) -> str:
    """The view's title: ``November 2026``, ``Nov 23 – 29, 2026``, ``Wednesday, Nov 25, 2026``."""
    if view == "month":
        return f"{cursor:%B %Y}"
    if view == "day":
        return f"{cursor:%A, %b} {cursor.day}, {cursor.year}"
    first, days = period_range(view, cursor, monday)
    return range_title(first, first + timedelta(days=days - 1))


def parse_user_date(text: str, today: date) -> date:
    """A date typed by a person: ``YYYY-MM-DD``, ``today``, ``tomorrow``, ``yesterday``, ``+3``.

    Raises:
        ValidationError: naming what was typed and what is expected.
    """
    from sessions_tui.domain.errors import ValidationError
    from sessions_tui.domain.timeutil import parse_date

    word = text.strip().lower()
    if not word:
        raise ValidationError("type a date such as 2026-11-25, today or +7", field="date")
    named = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if word in named:
        return today + timedelta(days=named[word])
    if word[0] in "+-" and word[1:].isdigit():
        days = int(word)
        if abs(days) > 36_600:
            raise ValidationError(
                f"{text.strip()!r} is too far away (at most 36600 days)", field="date"
            )
        return today + timedelta(days=days)
    value = parse_date(word, "date")
    if not 1900 <= value.year <= 2200:
        raise ValidationError(
            f"bad date {text.strip()!r}: the year must be 1900 to 2200", field="date"
        )
    return value
