"""Open booking time and slots (domain, pure): availability − overrides − busy events."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.domain.availability import busy_intervals, first_slot, open_intervals, slots
from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, EventKind, Occurrence, Status
from sessions_tui.domain.officehours import DateOverride, WeeklyHours, WeeklyInterval
from sessions_tui.domain.timeutil import day_bounds

CHICAGO = ZoneInfo("America/Chicago")
HOUR = timedelta(hours=1)


def U(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def timed(
    start: datetime, end: datetime, *, busy: bool = True, status: Status = Status.SCHEDULED
) -> Occurrence:
    ev = Event(
        kind=EventKind.OTHER,
        title="x",
        start=start,
        end=end,
        tzid="America/Chicago",
        busy=busy,
        status=status,
    )
    return Occurrence(ev, start, end)


def all_day(first: date, days: int = 1, *, busy: bool = True) -> Occurrence:
    ev = Event(
        kind=EventKind.OTHER,
        title="away",
        start=first,
        end=first + timedelta(days=days),
        tzid="America/Chicago",
        all_day=True,
        busy=busy,
    )
    return Occurrence(ev, ev.start, ev.end)


def every_day(tzid: str, start: time, end: time) -> WeeklyHours:
    return WeeklyHours(tzid, tuple(WeeklyInterval(d, start, end) for d in range(7)), 1)


BOOKING = WeeklyHours(
    "America/Chicago",
    tuple(
        WeeklyInterval(d, a, b)
        for d in range(5)
        for a, b in ((time(9), time(12)), (time(13), time(17)))
    ),
    1,
)


# --- busy time ------------------------------------------------------------------------------


def test_cancelled_and_free_events_block_nothing() -> None:
    occ = [
        timed(U(2026, 11, 2, 15), U(2026, 11, 2, 16)),
        timed(U(2026, 11, 2, 17), U(2026, 11, 2, 18), busy=False),
        timed(U(2026, 11, 2, 19), U(2026, 11, 2, 20), status=Status.CANCELLED),
        all_day(date(2026, 11, 3), busy=False),
    ]
    assert busy_intervals(occ, CHICAGO) == [(U(2026, 11, 2, 15), U(2026, 11, 2, 16))]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 8), (U(2026, 3, 8, 6), U(2026, 3, 9, 5))),  # 23 hours
        (date(2026, 11, 1), (U(2026, 11, 1, 5), U(2026, 11, 2, 6))),  # 25 hours
        (date(2026, 11, 2), (U(2026, 11, 2, 6), U(2026, 11, 3, 6))),
    ],
)
def test_all_day_busy_event_blocks_the_whole_local_day(
    day: date, expected: tuple[datetime, datetime]
) -> None:
    assert busy_intervals([all_day(day)], CHICAGO) == [expected]


def test_all_day_event_is_read_in_the_availability_zone() -> None:
    london = ZoneInfo("Europe/London")
    assert busy_intervals([all_day(date(2026, 10, 31), 2)], london) == [
        (U(2026, 10, 31, 0), U(2026, 11, 2, 0))
    ]


# --- overrides ------------------------------------------------------------------------------


def test_out_of_office_and_changed_hours_overrides() -> None:
    start, _ = day_bounds(date(2026, 11, 2), CHICAGO)
    _, end = day_bounds(date(2026, 11, 4), CHICAGO)
    overrides = [
        DateOverride(date(2026, 11, 3)),  # out of office
        DateOverride(date(2026, 11, 4), ((time(10), time(11)),)),  # changed hours
    ]
    got = open_intervals(BOOKING, overrides, [], start, end)
    assert got == [
        (U(2026, 11, 2, 15), U(2026, 11, 2, 18)),  # Mon 9–12 CST
        (U(2026, 11, 2, 19), U(2026, 11, 2, 23)),  # Mon 13–17 CST
        (U(2026, 11, 4, 16), U(2026, 11, 4, 17)),  # Wed 10–11 only
    ]


def test_override_can_open_a_day_with_no_weekly_hours() -> None:
    start, end = day_bounds(date(2026, 11, 7), CHICAGO)  # a Saturday
    assert open_intervals(BOOKING, [], [], start, end) == []
    sat = [DateOverride(date(2026, 11, 7), ((time(10), time(12)),))]
    assert open_intervals(BOOKING, sat, [], start, end) == [
        (U(2026, 11, 7, 16), U(2026, 11, 7, 18))
    ]


# --- busy events against availability -------------------------------------------------------


def test_busy_free_cancelled_and_all_day_events_against_availability() -> None:
    start, _ = day_bounds(date(2026, 11, 2), CHICAGO)
    _, end = day_bounds(date(2026, 11, 3), CHICAGO)
    occ = [
        timed(U(2026, 11, 2, 16), U(2026, 11, 2, 16, 50)),  # Mon 10:00–10:50 busy
        timed(U(2026, 11, 2, 20), U(2026, 11, 2, 21), busy=False),  # free: no effect
        timed(U(2026, 11, 2, 21), U(2026, 11, 2, 22), status=Status.CANCELLED),
        all_day(date(2026, 11, 3)),  # Tuesday gone
    ]
    got = open_intervals(BOOKING, [], busy_intervals(occ, CHICAGO), start, end)
    assert got == [
        (U(2026, 11, 2, 15), U(2026, 11, 2, 16)),
        (U(2026, 11, 2, 16, 50), U(2026, 11, 2, 18)),
        (U(2026, 11, 2, 19), U(2026, 11, 2, 23)),
    ]
    fifty = slots(got, timedelta(minutes=50))
    assert [a.astimezone(CHICAGO).time() for a, _ in fifty] == [
        time(9),
        time(10, 50),
        time(13),
        time(13, 50),
        time(14, 40),
        time(15, 30),
    ]
    assert all(b - a == timedelta(minutes=50) for a, b in fifty)


# --- slots on DST days ----------------------------------------------------------------------

DST_SLOTS = [
    # zone, day, availability, slot length, expected slot starts (UTC)
    (
        "America/Chicago",
        date(2026, 3, 8),
        (time(0), time(4)),
        HOUR,
        [U(2026, 3, 8, 6), U(2026, 3, 8, 7), U(2026, 3, 8, 8)],
    ),
    (
        "America/Chicago",
        date(2026, 11, 1),
        (time(0), time(4)),
        HOUR,
        [U(2026, 11, 1, h) for h in range(5, 10)],
    ),
    (
        "Europe/London",
        date(2026, 3, 29),
        (time(0), time(3)),
        HOUR,
        [U(2026, 3, 29, 0), U(2026, 3, 29, 1)],
    ),
    (
        "Europe/London",
        date(2026, 10, 25),
        (time(0), time(3)),
        HOUR,
        [U(2026, 10, 24, 23), U(2026, 10, 25, 0), U(2026, 10, 25, 1), U(2026, 10, 25, 2)],
    ),
    (
        "Australia/Lord_Howe",
        date(2026, 10, 4),
        (time(1), time(4)),
        HOUR / 2,
        [U(2026, 10, 3, 14, 30) + i * HOUR / 2 for i in range(5)],
    ),
    (
        "Australia/Lord_Howe",
        date(2026, 4, 5),
        (time(1), time(4)),
        HOUR / 2,
        [U(2026, 4, 4, 14) + i * HOUR / 2 for i in range(7)],
    ),
    # Hours away from the change keep their wall-clock time: 9–12 CDT is 14:00–17:00 UTC.
    (
        "America/Chicago",
        date(2026, 3, 8),
        (time(9), time(12)),
        HOUR,
        [U(2026, 3, 8, 14), U(2026, 3, 8, 15), U(2026, 3, 8, 16)],
    ),
]


@pytest.mark.parametrize(
    ("tzid", "day", "span", "length", "expected"),
    DST_SLOTS,
    ids=[f"{z}-{d}-{s[0]:%H}" for z, d, s, _l, _e in DST_SLOTS],
)
def test_slots_on_dst_days(
    tzid: str, day: date, span: tuple[time, time], length: timedelta, expected: list[datetime]
) -> None:
    tz = ZoneInfo(tzid)
    start, end = day_bounds(day, tz)
    got = slots(open_intervals(every_day(tzid, *span), [], [], start, end), length)
    assert [a for a, _ in got] == expected
    assert all(b - a == length for a, b in got)


def test_all_day_busy_on_a_dst_day_leaves_the_neighbours_open() -> None:
    hours = every_day("America/Chicago", time(0), time(0))  # open all day, every day
    start, _ = day_bounds(date(2026, 11, 1), CHICAGO)
    _, end = day_bounds(date(2026, 11, 2), CHICAGO)
    got = open_intervals(
        hours, [], busy_intervals([all_day(date(2026, 11, 1))], CHICAGO), start, end
    )
    assert got == [(U(2026, 11, 2, 6), U(2026, 11, 3, 6))]


# --- first slot -----------------------------------------------------------------------------


def test_first_slot_skips_too_short_gaps_and_respects_not_before() -> None:
    free = [(U(2026, 11, 2, 15), U(2026, 11, 2, 15, 30)), (U(2026, 11, 2, 16), U(2026, 11, 2, 18))]
    assert first_slot(free, HOUR) == (U(2026, 11, 2, 16), U(2026, 11, 2, 17))
    assert first_slot(free, timedelta(minutes=20)) == (U(2026, 11, 2, 15), U(2026, 11, 2, 15, 20))
    assert first_slot(free, HOUR, U(2026, 11, 2, 16, 30)) == (
        U(2026, 11, 2, 16, 30),
        U(2026, 11, 2, 17, 30),
    )
    assert first_slot(free, HOUR, U(2026, 11, 2, 17, 1)) is None
    assert first_slot([], HOUR) is None


def test_length_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="positive"):
        slots([], timedelta(0))
    with pytest.raises(ValidationError, match="positive"):
        first_slot([], timedelta(minutes=-5))
