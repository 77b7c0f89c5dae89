"""Recurrences keep their wall-clock time across DST; all-day events keep their date.

Everything goes through the store's window query (``services.scheduling.occurrences_in``), so
the stored UTC bounds, the series pre-filter and the expansion are all exercised.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.domain.timeutil import day_bounds, days_bounds
from sessions_tui.services import scheduling
from sessions_tui.services.context import Context

from ._helpers import all_day, local, timed, utc, window

# (zone, first Thursday of the series, [(last local day before a change, first day after)])
DST_CASES = [
    # 2026: US DST starts Sun Mar 8, ends Sun Nov 1.
    ("America/Chicago", date(2026, 1, 1), [date(2026, 3, 8), date(2026, 11, 1)]),
    # UK: Sun Mar 29, Sun Oct 25.
    ("Europe/London", date(2026, 1, 1), [date(2026, 3, 29), date(2026, 10, 25)]),
    # Lord Howe: 30-minute DST; ends Sun Apr 5, starts Sun Oct 4 (southern hemisphere).
    ("Australia/Lord_Howe", date(2026, 1, 1), [date(2026, 4, 5), date(2026, 10, 4)]),
]


@pytest.mark.parametrize(("tzid", "first", "changes"), DST_CASES)
def test_weekly_series_keeps_local_ten_oclock_across_dst(
    admin_ctx: Context, tzid: str, first: date, changes: list[date]
) -> None:
    tz = ZoneInfo(tzid)
    start = local(first, time(10), tzid)
    series = scheduling.create_event(
        admin_ctx, timed(start, 50, tzid=tzid, rrule="FREQ=WEEKLY;UNTIL=20261231T235959Z")
    )
    occ = window(admin_ctx, *days_bounds(date(2026, 1, 1), 365, tz), tz)
    assert len(occ) == 53  # every Thursday of 2026
    for o in occ:
        assert o.event.id == series.id
        assert isinstance(o.start, datetime)
        wall = o.start.astimezone(tz)
        assert (wall.hour, wall.minute, wall.weekday()) == (10, 0, 3)
        assert o.end - o.start == timedelta(minutes=50)  # type: ignore[operator]
    # The UTC time really moves at each change: the offsets differ before and after.
    for change in changes:
        before = [o for o in occ if o.start.astimezone(tz).date() < change]  # type: ignore[union-attr]
        after = [o for o in occ if o.start.astimezone(tz).date() > change]  # type: ignore[union-attr]
        off_before = before[-1].start.astimezone(tz).utcoffset()  # type: ignore[union-attr]
        off_after = after[0].start.astimezone(tz).utcoffset()  # type: ignore[union-attr]
        assert off_before != off_after


@pytest.mark.parametrize(("tzid", "first", "changes"), DST_CASES)
def test_single_week_windows_around_dst_find_the_occurrence(
    admin_ctx: Context, tzid: str, first: date, changes: list[date]
) -> None:
    """A one-week window right after each change (the case a week view asks for)."""
    tz = ZoneInfo(tzid)
    scheduling.create_event(
        admin_ctx, timed(local(first, time(10), tzid), 60, tzid=tzid, rrule="FREQ=WEEKLY")
    )
    for change in changes:
        for offset in range(-7, 8):
            day = change + timedelta(days=offset)
            occ = window(admin_ctx, *days_bounds(day, 7, tz), tz)
            assert len(occ) == 1, (tzid, day)
            wall = occ[0].start.astimezone(tz)  # type: ignore[union-attr]
            assert wall.time() == time(10)
            assert wall.weekday() == 3


def test_chicago_series_utc_offsets_across_2026_changes(admin_ctx: Context) -> None:
    """10:00 CST is 16:00Z; 10:00 CDT is 15:00Z."""
    tz = ZoneInfo("America/Chicago")
    scheduling.create_event(
        admin_ctx,
        timed(
            local(date(2026, 3, 5), time(10), "America/Chicago"), 60, rrule="FREQ=WEEKLY;COUNT=40"
        ),
    )
    occ = window(admin_ctx, utc(2026, 3, 1), utc(2026, 3, 20), tz)
    assert [o.start for o in occ] == [
        utc(2026, 3, 5, 16),
        utc(2026, 3, 12, 15),
        utc(2026, 3, 19, 15),
    ]
    occ = window(admin_ctx, utc(2026, 10, 25), utc(2026, 11, 13), tz)
    assert [o.start for o in occ] == [
        utc(2026, 10, 29, 15),
        utc(2026, 11, 5, 16),
        utc(2026, 11, 12, 16),
    ]


DISPLAY_ZONES = [
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "UTC",
    "America/Chicago",
    "Asia/Tokyo",
    "Australia/Lord_Howe",
]


@pytest.mark.parametrize("display", DISPLAY_ZONES)
@pytest.mark.parametrize("made_in", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
def test_all_day_event_stays_on_its_date_in_every_display_zone(
    admin_ctx: Context, display: str, made_in: str
) -> None:
    tz = ZoneInfo(display)
    the_day = date(2026, 11, 26)
    ev = scheduling.create_event(admin_ctx, all_day(the_day, 1, tzid=made_in))
    on_day = window(admin_ctx, *day_bounds(the_day, tz), tz)
    assert [(o.event.id, o.start, o.end) for o in on_day] == [
        (ev.id, the_day, the_day + timedelta(1))
    ]
    for other in (the_day - timedelta(days=1), the_day + timedelta(days=1)):
        assert window(admin_ctx, *day_bounds(other, tz), tz) == [], other
    # A week window in that zone holds it exactly once, still as a date.
    week = window(admin_ctx, *days_bounds(date(2026, 11, 22), 7, tz), tz)
    assert [o.start for o in week] == [the_day]
    # And the agenda JSON prints plain dates, whatever the zone.
    item = scheduling.agenda(admin_ctx, *day_bounds(the_day, tz), tz)[0]
    data = item.to_json(tz)
    assert (data["start"], data["end"], data["all_day"]) == ("2026-11-26", "2026-11-27", True)


@pytest.mark.parametrize("display", DISPLAY_ZONES)
def test_all_day_weekly_series_stays_on_its_dates(admin_ctx: Context, display: str) -> None:
    tz = ZoneInfo(display)
    scheduling.create_event(
        admin_ctx,
        all_day(date(2026, 10, 1), 1, tzid="America/Chicago", rrule="FREQ=WEEKLY;COUNT=6"),
    )
    occ = window(admin_ctx, *days_bounds(date(2026, 9, 27), 42, tz), tz)
    assert [o.start for o in occ] == [date(2026, 10, 1) + timedelta(weeks=n) for n in range(6)]
    # A window of the day before each occurrence (local to the viewer) holds nothing.
    for n in range(6):
        day_before = date(2026, 9, 30) + timedelta(weeks=n)
        assert window(admin_ctx, *day_bounds(day_before, tz), tz) == []
