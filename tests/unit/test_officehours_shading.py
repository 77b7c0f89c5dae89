"""Shading intervals and days without office hours (domain, pure).

Expected values are written out in UTC by hand from the zones' offsets, not computed by the
code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.officehours import (
    WeeklyHours,
    WeeklyInterval,
    days_without_hours,
    hours_in_effect,
    shading_for_day,
)
from sessions_tui.domain.timeutil import day_bounds


def U(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def every_day(tzid: str, start: time, end: time, pid: int | None = None) -> WeeklyHours:
    return WeeklyHours(tzid, tuple(WeeklyInterval(d, start, end) for d in range(7)), pid)


def weekdays(tzid: str, start: time, end: time, pid: int | None = None) -> WeeklyHours:
    return WeeklyHours(tzid, tuple(WeeklyInterval(d, start, end) for d in range(5)), pid)


def total(intervals: list[tuple[datetime, datetime]]) -> timedelta:
    return sum((b - a for a, b in intervals), timedelta(0))


# --- DST-change days, in both directions, hours in the display zone ---------------------------

DST_DAYS = [
    # zone, day, expected shading (UTC), length of the local day
    (
        "America/Chicago",
        date(2026, 3, 8),
        [(U(2026, 3, 8, 6), U(2026, 3, 8, 14)), (U(2026, 3, 8, 22), U(2026, 3, 9, 5))],
        23,
    ),
    (
        "America/Chicago",
        date(2026, 11, 1),
        [(U(2026, 11, 1, 5), U(2026, 11, 1, 15)), (U(2026, 11, 1, 23), U(2026, 11, 2, 6))],
        25,
    ),
    (
        "Europe/London",
        date(2026, 3, 29),
        [(U(2026, 3, 29, 0), U(2026, 3, 29, 8)), (U(2026, 3, 29, 16), U(2026, 3, 29, 23))],
        23,
    ),
    (
        "Europe/London",
        date(2026, 10, 25),
        [(U(2026, 10, 24, 23), U(2026, 10, 25, 9)), (U(2026, 10, 25, 17), U(2026, 10, 26, 0))],
        25,
    ),
    # Lord Howe moves its clocks by half an hour: +10:30 -> +11 on 2026-10-04, back on 04-05.
    (
        "Australia/Lord_Howe",
        date(2026, 10, 4),
        [(U(2026, 10, 3, 13, 30), U(2026, 10, 3, 22)), (U(2026, 10, 4, 6), U(2026, 10, 4, 13))],
        23.5,
    ),
    (
        "Australia/Lord_Howe",
        date(2026, 4, 5),
        [(U(2026, 4, 4, 13), U(2026, 4, 4, 22, 30)), (U(2026, 4, 5, 6, 30), U(2026, 4, 5, 13, 30))],
        24.5,
    ),
]


@pytest.mark.parametrize(
    ("tzid", "day", "expected", "hours_long"),
    DST_DAYS,
    ids=[f"{z}-{d}" for z, d, _e, _h in DST_DAYS],
)
def test_shading_on_dst_days_keeps_nine_to_five_wall_clock(
    tzid: str, day: date, expected: list[tuple[datetime, datetime]], hours_long: float
) -> None:
    tz = ZoneInfo(tzid)
    shaded = shading_for_day(day, tz, [every_day(tzid, time(9), time(17))])
    assert shaded == expected
    start, end = day_bounds(day, tz)
    assert end - start == timedelta(hours=hours_long)
    # 9:00–17:00 is eight real hours whatever the day's length; the rest is shaded.
    assert (end - start) - total(shaded) == timedelta(hours=8)
    assert shaded[0][1].astimezone(tz).time() == time(9)
    assert shaded[1][0].astimezone(tz).time() == time(17)


@pytest.mark.parametrize(
    ("day", "open_hours"),
    [(date(2026, 3, 8), 11), (date(2026, 11, 1), 13)],
)
def test_hours_spanning_the_transition_count_real_hours(day: date, open_hours: int) -> None:
    """00:00–12:00 on the day clocks change is 11 real hours in spring and 13 in autumn."""
    tz = ZoneInfo("America/Chicago")
    shaded = shading_for_day(day, tz, [every_day("America/Chicago", time(0), time(12))])
    start, end = day_bounds(day, tz)
    assert len(shaded) == 1
    assert shaded[0][1] == end
    assert shaded[0][0].astimezone(tz).time() == time(12)
    assert shaded[0][0] - start == timedelta(hours=open_hours)


# --- hours kept in their own zone, drawn in the display zone ---------------------------------


def test_chicago_hours_seen_from_new_york_are_ten_to_six() -> None:
    ny = ZoneInfo("America/New_York")
    shaded = shading_for_day(
        date(2026, 11, 2), ny, [weekdays("America/Chicago", time(9), time(17))]
    )
    assert shaded == [
        (U(2026, 11, 2, 5), U(2026, 11, 2, 15)),
        (U(2026, 11, 2, 23), U(2026, 11, 3, 5)),
    ]
    assert shaded[0][1].astimezone(ny).time() == time(10)
    assert shaded[1][0].astimezone(ny).time() == time(18)


def test_week_of_2026_11_01_from_london_moves_chicago_hours_by_an_hour() -> None:
    """London is already on GMT; Chicago leaves CDT on Sunday 1 November."""
    london = ZoneInfo("Europe/London")
    hours = [weekdays("America/Chicago", time(9), time(17))]
    friday = shading_for_day(date(2026, 10, 30), london, hours)
    monday = shading_for_day(date(2026, 11, 2), london, hours)
    assert [(a.astimezone(london).time(), b.astimezone(london).time()) for a, b in friday] == [
        (time(0), time(14)),
        (time(22), time(0)),
    ]
    assert [(a.astimezone(london).time(), b.astimezone(london).time()) for a, b in monday] == [
        (time(0), time(15)),
        (time(23), time(0)),
    ]
    # The weekend has no hours: shaded from midnight to midnight, 24 hours.
    saturday = shading_for_day(date(2026, 10, 31), london, hours)
    assert saturday == [day_bounds(date(2026, 10, 31), london)]


def test_display_dst_day_with_hours_in_another_zone() -> None:
    """London springs forward on 2026-03-29; Chicago hours (already CDT) are 15:00–23:00 BST."""
    london = ZoneInfo("Europe/London")
    shaded = shading_for_day(
        date(2026, 3, 29), london, [every_day("America/Chicago", time(9), time(17))]
    )
    assert shaded == [
        (U(2026, 3, 29, 0), U(2026, 3, 29, 14)),
        (U(2026, 3, 29, 22), U(2026, 3, 29, 23)),
    ]


def test_hours_crossing_the_viewers_midnight_land_on_the_next_day() -> None:
    """Chicago Mon–Fri 9–17 is Tue–Sat 00:00–08:00 in Tokyo."""
    tokyo = ZoneInfo("Asia/Tokyo")
    hours = [weekdays("America/Chicago", time(9), time(17))]
    week = [date(2026, 11, 2) + timedelta(days=i) for i in range(7)]
    assert days_without_hours(week, tokyo, hours) == [date(2026, 11, 2), date(2026, 11, 8)]
    tuesday = shading_for_day(date(2026, 11, 3), tokyo, hours)
    assert tuesday == [(U(2026, 11, 2, 23), U(2026, 11, 3, 15))]  # 08:00 to midnight Tokyo
    ny = ZoneInfo("America/New_York")
    assert days_without_hours(week, ny, hours) == [date(2026, 11, 7), date(2026, 11, 8)]


# --- several practitioners, fallback to the practice default ---------------------------------


def test_two_practitioners_shade_only_where_neither_is_in() -> None:
    chicago = ZoneInfo("America/Chicago")
    a = WeeklyHours("America/Chicago", (WeeklyInterval(0, time(9), time(13)),), 1)
    b = WeeklyHours("America/New_York", (WeeklyInterval(0, time(12), time(17)),), 2)  # 11–16 CT
    shaded = shading_for_day(date(2026, 11, 2), chicago, [a, b])
    assert shaded == [
        (U(2026, 11, 2, 6), U(2026, 11, 2, 15)),
        (U(2026, 11, 2, 22), U(2026, 11, 3, 6)),
    ]
    only_b = shading_for_day(date(2026, 11, 2), chicago, [b])
    assert only_b[0] == (U(2026, 11, 2, 6), U(2026, 11, 2, 17))


def test_two_practitioners_with_a_gap_between_them() -> None:
    chicago = ZoneInfo("America/Chicago")
    a = WeeklyHours("America/Chicago", (WeeklyInterval(0, time(9), time(10)),), 1)
    b = WeeklyHours("America/Chicago", (WeeklyInterval(0, time(14), time(15)),), 2)
    shaded = shading_for_day(date(2026, 11, 2), chicago, [a, b])
    assert shaded == [
        (U(2026, 11, 2, 6), U(2026, 11, 2, 15)),
        (U(2026, 11, 2, 16), U(2026, 11, 2, 20)),
        (U(2026, 11, 2, 21), U(2026, 11, 3, 6)),
    ]


def test_hours_in_effect_falls_back_to_the_practice_default() -> None:
    default = weekdays("America/Chicago", time(9), time(17))
    own = {1: weekdays("America/Chicago", time(11), time(19), 1)}
    assert hours_in_effect([1, 2], own, default) == [own[1], default]
    # Two who fall back count the default once.
    assert hours_in_effect([2, 3], own, default) == [default]
    assert hours_in_effect([], own, default) == [default]
    # Nobody knows practitioner 2's hours: nothing can be shaded.
    assert hours_in_effect([1, 2], own, None) is None
    assert hours_in_effect([], own, None) is None
    assert shading_for_day(date(2026, 11, 2), ZoneInfo("UTC"), None) == []
    assert days_without_hours([date(2026, 11, 2)], ZoneInfo("UTC"), None) == []


def test_fallback_practitioner_is_shaded_by_the_default_hours() -> None:
    chicago = ZoneInfo("America/Chicago")
    default = weekdays("America/Chicago", time(9), time(17))
    own = {1: weekdays("America/Chicago", time(11), time(19), 1)}
    only_2 = shading_for_day(date(2026, 11, 2), chicago, hours_in_effect([2], own, default))
    only_1 = shading_for_day(date(2026, 11, 2), chicago, hours_in_effect([1], own, default))
    assert only_2[0][1].astimezone(chicago).time() == time(9)
    assert only_1[0][1].astimezone(chicago).time() == time(11)
    both = shading_for_day(date(2026, 11, 2), chicago, hours_in_effect([1, 2], own, default))
    assert [(a.astimezone(chicago).time(), b.astimezone(chicago).time()) for a, b in both] == [
        (time(0), time(9)),
        (time(19), time(0)),
    ]


def test_hours_with_no_intervals_shade_everything() -> None:
    tz = ZoneInfo("Europe/London")
    never = WeeklyHours("Europe/London", (), 1)
    day = date(2026, 10, 25)
    assert shading_for_day(day, tz, [never]) == [day_bounds(day, tz)]
    assert days_without_hours([day], tz, [never]) == [day]


def test_hours_ending_at_midnight_reach_the_end_of_the_day() -> None:
    tz = ZoneInfo("America/Chicago")
    late = WeeklyHours("America/Chicago", (WeeklyInterval(6, time(18), time(0)),))  # Sunday
    shaded = shading_for_day(date(2026, 11, 1), tz, [late])
    assert shaded == [(U(2026, 11, 1, 5), U(2026, 11, 2, 0))]  # 18:00 CST = 00:00 UTC


def test_overlapping_weekly_intervals_are_refused() -> None:
    with pytest.raises(ValidationError, match="overlaps"):
        WeeklyHours(
            "UTC", (WeeklyInterval(0, time(9), time(12)), WeeklyInterval(0, time(11), time(13)))
        )
    with pytest.raises(ValidationError, match="unknown time zone"):
        WeeklyHours("Mars/Olympus", ())
