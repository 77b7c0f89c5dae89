"""Shading through the services: office hours read from the store, fallback to the default."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.clock import FixedClock
from sessions_tui.domain.model import Role
from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval
from sessions_tui.domain.timeutil import day_bounds
from sessions_tui.services import hours, practice
from sessions_tui.services.context import Context
from sessions_tui.services.shading import days_without_hours, shading_for_days
from sessions_tui.store.db import open_database

CHICAGO = ZoneInfo("America/Chicago")
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
WEEK = [date(2026, 11, 1) + timedelta(days=i) for i in range(7)]  # Sun 1 Nov (DST ends) – Sat


def weekdays(
    tzid: str, start: time, end: time, pid: int | None = None, days: range = range(5)
) -> WeeklyHours:
    return WeeklyHours(tzid, tuple(WeeklyInterval(d, start, end) for d in days), pid)


def local(intervals: list[tuple[datetime, datetime]], tz: ZoneInfo) -> list[tuple[str, str]]:
    return [
        (a.astimezone(tz).strftime("%H:%M"), b.astimezone(tz).strftime("%H:%M"))
        for a, b in intervals
    ]


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        db = open_database(str(tmp_path / "shade.db"))
        clock = FixedClock(datetime(2026, 10, 20, tzinfo=UTC))
        admin = practice.add_staff(Context(db, clock, None), "admin", "Ada Admin", {Role.ADMIN})
        self.ctx = Context(db, clock, admin)
        self.ann = practice.add_staff(self.ctx, "ann", "Ann Lee", {Role.PRACTITIONER})
        self.bob = practice.add_staff(self.ctx, "bob", "Bob Gray", {Role.PRACTITIONER})


@pytest.fixture
def s(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


def test_no_hours_anywhere_shades_nothing(s: Setup) -> None:
    shaded = shading_for_days(s.ctx, WEEK, CHICAGO, [s.ann.id])
    assert shaded == {d: [] for d in WEEK}
    assert days_without_hours(s.ctx, WEEK, CHICAGO, None) == set()


def test_own_hours_default_fallback_and_union(s: Setup) -> None:
    hours.set_hours(s.ctx, weekdays("America/Chicago", time(9), time(17)))  # practice default
    hours.set_hours(s.ctx, weekdays("America/New_York", time(12), time(20), s.ann.id))
    mon = date(2026, 11, 2)
    ann = shading_for_days(s.ctx, [mon], CHICAGO, [s.ann.id])[mon]
    bob = shading_for_days(s.ctx, [mon], CHICAGO, [s.bob.id])[mon]  # falls back to the default
    both = shading_for_days(s.ctx, [mon], CHICAGO, [s.ann.id, s.bob.id])[mon]
    everyone = shading_for_days(s.ctx, [mon], CHICAGO, None)[mon]
    assert local(ann, CHICAGO) == [("00:00", "11:00"), ("19:00", "00:00")]
    assert local(bob, CHICAGO) == [("00:00", "09:00"), ("17:00", "00:00")]
    assert local(both, CHICAGO) == [("00:00", "09:00"), ("19:00", "00:00")]
    assert everyone == both
    # Seen from New York, the same hours move by an hour.
    assert local(shading_for_days(s.ctx, [mon], NEW_YORK, [s.bob.id])[mon], NEW_YORK) == [
        ("00:00", "10:00"),
        ("18:00", "00:00"),
    ]


def test_dst_week_viewed_from_london(s: Setup) -> None:
    hours.set_hours(s.ctx, weekdays("America/Chicago", time(9), time(17), s.ann.id))
    week = [date(2026, 10, 26) + timedelta(days=i) for i in range(14)]
    shaded = shading_for_days(s.ctx, week, LONDON, [s.ann.id])
    assert set(shaded) == set(week)
    assert local(shaded[date(2026, 10, 30)], LONDON) == [("00:00", "14:00"), ("22:00", "00:00")]
    assert local(shaded[date(2026, 11, 2)], LONDON) == [("00:00", "15:00"), ("23:00", "00:00")]
    assert shaded[date(2026, 11, 1)] == [day_bounds(date(2026, 11, 1), LONDON)]
    assert days_without_hours(s.ctx, week, LONDON, [s.ann.id]) == {
        date(2026, 10, 31),
        date(2026, 11, 1),
        date(2026, 11, 7),
        date(2026, 11, 8),
    }


def test_month_marks_days_only_when_nobody_is_in(s: Setup) -> None:
    hours.set_hours(s.ctx, weekdays("America/Chicago", time(9), time(17), s.ann.id))
    hours.set_hours(s.ctx, weekdays("America/Chicago", time(10), time(14), s.bob.id, range(5, 6)))
    month = [date(2026, 11, 1) + timedelta(days=i) for i in range(30)]
    closed = days_without_hours(s.ctx, month, CHICAGO, [s.ann.id, s.bob.id])
    assert closed == {d for d in month if d.weekday() == 6}  # Sundays only: Bob works Saturdays
    assert days_without_hours(s.ctx, month, CHICAGO, [s.ann.id]) == {
        d for d in month if d.weekday() >= 5
    }


def test_shading_changes_when_hours_are_saved(s: Setup) -> None:
    mon = date(2026, 11, 2)
    hours.set_hours(s.ctx, weekdays("America/Chicago", time(9), time(17), s.ann.id))
    before = shading_for_days(s.ctx, [mon], CHICAGO, [s.ann.id])[mon]
    hours.set_hours(s.ctx, weekdays("America/Chicago", time(8), time(12), s.ann.id))
    after = shading_for_days(s.ctx, [mon], CHICAGO, [s.ann.id])[mon]
    assert before != after
    assert local(after, CHICAGO) == [("00:00", "08:00"), ("12:00", "00:00")]
