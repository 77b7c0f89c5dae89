"""Open booking slots through the services: availability, overrides and stored events."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.clock import FixedClock
from sessions_tui.domain.errors import NotFoundError, PermissionDenied, ValidationError
from sessions_tui.domain.events import Event, EventKind, Status
from sessions_tui.domain.model import Role, Staff
from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval
from sessions_tui.domain.timeutil import day_bounds, days_bounds
from sessions_tui.services import hours, practice, scheduling
from sessions_tui.services.availability import first_open_slot, open_slots, open_time
from sessions_tui.services.context import Context
from sessions_tui.store.db import open_database

CHICAGO = ZoneInfo("America/Chicago")
LONDON = ZoneInfo("Europe/London")
FIFTY = timedelta(minutes=50)
HOUR = timedelta(hours=1)


def U(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def booking(
    tzid: str,
    pid: int | None,
    spans: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13), time(17))),
    days: range = range(5),
) -> WeeklyHours:
    return WeeklyHours(tzid, tuple(WeeklyInterval(d, a, b) for d in days for a, b in spans), pid)


class Practice:
    """An admin, two practitioners (Ann in Chicago, Bob in London) and a client."""

    def __init__(self, tmp_path: Path, now: datetime) -> None:
        self.db = open_database(str(tmp_path / "practice.db"))
        self.clock = FixedClock(now)
        admin = practice.add_staff(
            Context(self.db, self.clock, None), "admin", "Ada Admin", {Role.ADMIN}
        )
        self.ctx = Context(self.db, self.clock, admin)
        self.ann = practice.add_staff(self.ctx, "ann", "Ann Lee", {Role.PRACTITIONER})
        self.bob = practice.add_staff(self.ctx, "bob", "Bob Gray", {Role.PRACTITIONER})
        self.client = practice.add_client(self.ctx, "Cara", "Diaz")

    def at(self, now: datetime) -> Context:
        return Context(self.db, FixedClock(now), self.ctx.actor)

    def session(self, who: Staff, start: datetime, minutes: int = 50, **kw: object) -> Event:
        ev = scheduling.session_event(
            practitioner=who,
            client=self.client,
            start=start,
            minutes=minutes,
            tzid="America/Chicago",
            **kw,
        )  # type: ignore[arg-type]
        return scheduling.create_event(self.ctx, ev)

    def other(self, who: Staff | None, start: datetime, end: datetime, **kw: object) -> Event:
        return scheduling.create_event(
            self.ctx,
            Event(
                kind=EventKind.OTHER,
                title="block",
                start=start,
                end=end,
                tzid="America/Chicago",
                practitioner_id=who.id if who else None,
                **kw,
            ),
        )  # type: ignore[arg-type]


@pytest.fixture
def p(tmp_path: Path) -> Practice:
    # "Now" is well before the dates the tests look at, so nothing is cut as past.
    prac = Practice(tmp_path, U(2026, 1, 5, 12))
    hours.set_hours(prac.ctx, booking("America/Chicago", prac.ann.id), kind=hours.AVAILABILITY)
    return prac


def local_starts(slots: list, tz: ZoneInfo = CHICAGO) -> list[str]:  # type: ignore[type-arg]
    return [s.start.astimezone(tz).strftime("%a %H:%M") for s in slots]


def test_busy_free_cancelled_and_all_day_events(p: Practice) -> None:
    mon = date(2026, 11, 2)
    p.session(p.ann, datetime.combine(mon, time(9), tzinfo=CHICAGO))  # busy 9:00–9:50
    p.session(p.ann, datetime.combine(mon, time(13), tzinfo=CHICAGO), status=Status.CANCELLED)
    p.other(
        p.ann,
        datetime.combine(mon, time(14), tzinfo=CHICAGO),
        datetime.combine(mon, time(15), tzinfo=CHICAGO),
        busy=False,
    )
    p.other(
        p.bob,
        datetime.combine(mon, time(15), tzinfo=CHICAGO),  # someone else's: no effect
        datetime.combine(mon, time(17), tzinfo=CHICAGO),
    )
    scheduling.create_event(
        p.ctx,
        scheduling.all_day_event(
            "Conference",
            mon + timedelta(days=1),
            1,
            practitioner_id=p.ann.id,
            busy=True,
            tzid="America/Chicago",
        ),
    )
    scheduling.create_event(
        p.ctx,
        scheduling.all_day_event(
            "Optional picnic",
            mon + timedelta(days=2),
            1,
            practitioner_id=p.ann.id,
            busy=False,
            tzid="America/Chicago",
        ),
    )
    start, end = days_bounds(mon, 3, CHICAGO)
    got = open_slots(p.ctx, p.ann.id, start, end, HOUR)
    assert local_starts(got) == [
        "Mon 09:50",
        "Mon 10:50",
        "Mon 13:00",
        "Mon 14:00",
        "Mon 15:00",
        "Mon 16:00",
        "Wed 09:00",
        "Wed 10:00",
        "Wed 11:00",
        "Wed 13:00",
        "Wed 14:00",
        "Wed 15:00",
        "Wed 16:00",
    ]


def test_recurring_busy_series_and_practice_wide_event_block(p: Practice) -> None:
    mon = date(2026, 11, 2)
    p.session(
        p.ann,
        datetime.combine(mon, time(10), tzinfo=CHICAGO),
        minutes=60,
        rrule="FREQ=DAILY;COUNT=3",
    )
    p.other(
        None,
        datetime.combine(mon, time(13), tzinfo=CHICAGO),
        datetime.combine(mon, time(14), tzinfo=CHICAGO),
    )  # staff meeting, no practitioner
    start, end = days_bounds(mon, 2, CHICAGO)
    got = open_slots(p.ctx, p.ann.id, start, end, HOUR)
    assert local_starts(got) == [
        "Mon 09:00",
        "Mon 11:00",
        "Mon 14:00",
        "Mon 15:00",
        "Mon 16:00",
        "Tue 09:00",
        "Tue 11:00",
        "Tue 13:00",
        "Tue 14:00",
        "Tue 15:00",
        "Tue 16:00",
    ]


def test_overrides_out_of_office_and_changed_hours(p: Practice) -> None:
    mon = date(2026, 11, 2)
    hours.set_override(p.ctx, p.ann.id, mon, ())
    hours.set_override(p.ctx, p.ann.id, mon + timedelta(days=1), ((time(10), time(12)),))
    start, end = days_bounds(mon, 2, CHICAGO)
    assert local_starts(open_slots(p.ctx, p.ann.id, start, end, HOUR)) == ["Tue 10:00", "Tue 11:00"]


def test_slots_are_shown_in_any_display_zone_but_kept_in_the_hours_zone(p: Practice) -> None:
    # Ann's 9:00 Chicago on the Friday before Chicago's DST change is 14:00 in London (GMT
    # already); on the Monday after, 15:00.
    fri, mon = date(2026, 10, 30), date(2026, 11, 2)
    for day, london_first in ((fri, "14:00"), (mon, "15:00")):
        start, end = day_bounds(day, CHICAGO)
        got = open_slots(p.ctx, p.ann.id, start, end, HOUR)
        assert got[0].start.astimezone(LONDON).strftime("%H:%M") == london_first
        assert got[0].to_json(LONDON, "Ann Lee") == {
            "start": got[0].start.astimezone(LONDON).isoformat(),
            "end": got[0].end.astimezone(LONDON).isoformat(),
            "practitioner": "Ann Lee",
        }
        assert got[0].to_json(LONDON)["start"].endswith("+00:00")


def test_dst_days_in_both_directions(p: Practice) -> None:
    everyday = booking("America/Chicago", p.ann.id, ((time(0), time(4)),), range(7))
    hours.set_hours(p.ctx, everyday, kind=hours.AVAILABILITY)
    for day, count in ((date(2026, 3, 8), 3), (date(2026, 11, 1), 5)):
        start, end = day_bounds(day, CHICAGO)
        got = open_slots(p.ctx, p.ann.id, start, end, HOUR)
        assert len(got) == count
        assert got[0].start == start


def test_past_time_is_not_offered(p: Practice) -> None:
    mon = date(2026, 11, 2)
    ctx = p.at(datetime.combine(mon, time(10, 7), tzinfo=CHICAGO))
    start, end = day_bounds(mon, CHICAGO)
    assert local_starts(open_slots(ctx, p.ann.id, start, end, HOUR))[:2] == [
        "Mon 10:10",
        "Mon 13:00",
    ]
    past = open_slots(ctx, p.ann.id, start, end, HOUR, include_past=True)
    assert local_starts(past)[0] == "Mon 09:00"


def test_fallback_to_practice_default_availability(p: Practice) -> None:
    mon = date(2026, 11, 2)
    start, end = day_bounds(mon, CHICAGO)
    assert open_slots(p.ctx, p.bob.id, start, end, HOUR) == []
    hours.set_hours(
        p.ctx, booking("Europe/London", None, ((time(9), time(11)),)), kind=hours.AVAILABILITY
    )
    got = open_slots(p.ctx, p.bob.id, *days_bounds(mon, 1, LONDON), HOUR)
    assert [s.start.astimezone(LONDON).strftime("%H:%M") for s in got] == ["09:00", "10:00"]


def test_first_open_slot_earliest_across_practitioners(p: Practice) -> None:
    hours.set_hours(p.ctx, booking("Europe/London", p.bob.id), kind=hours.AVAILABILITY)
    mon = date(2026, 11, 2)
    from_, _ = day_bounds(mon, CHICAGO)
    found = first_open_slot(p.ctx, [p.ann.id, p.bob.id], from_, FIFTY)
    # Bob's 9:00 London (09:00 UTC) is before Ann's 9:00 Chicago (15:00 UTC).
    assert found is not None
    assert (found.practitioner_id, found.start) == (p.bob.id, U(2026, 11, 2, 9))
    assert found.end - found.start == FIFTY
    only_ann = first_open_slot(p.ctx, [p.ann.id], from_, FIFTY)
    assert only_ann is not None
    assert (only_ann.practitioner_id, only_ann.start) == (p.ann.id, U(2026, 11, 2, 15))
    # From the middle of Ann's busy morning on: the next free 50 minutes.
    p.session(p.ann, datetime.combine(mon, time(9), tzinfo=CHICAGO), minutes=150)
    later = first_open_slot(
        p.ctx, [p.ann.id], datetime.combine(mon, time(8), tzinfo=CHICAGO), FIFTY
    )
    assert later is not None
    assert later.start.astimezone(CHICAGO).time() == time(13)


def test_first_open_slot_looks_weeks_ahead_and_gives_up(p: Practice) -> None:
    mon = date(2026, 11, 2)
    scheduling.create_event(
        p.ctx,
        scheduling.all_day_event(
            "Leave", mon, 33, practitioner_id=p.ann.id, busy=True, tzid="America/Chicago"
        ),
    )
    from_, _ = day_bounds(mon, CHICAGO)
    found = first_open_slot(p.ctx, [p.ann.id], from_, FIFTY)
    assert found is not None
    assert found.start.astimezone(CHICAGO) == datetime(2026, 12, 7, 9, tzinfo=CHICAGO)  # Monday
    assert first_open_slot(p.ctx, [p.ann.id], from_, FIFTY, days=30) is None
    assert first_open_slot(p.ctx, [p.bob.id], from_, FIFTY) is None  # no availability at all


def test_bad_input_and_permissions(p: Practice) -> None:
    start, end = day_bounds(date(2026, 11, 2), CHICAGO)
    with pytest.raises(ValidationError, match="end must be after start"):
        open_time(p.ctx, p.ann.id, end, start)
    with pytest.raises(ValidationError, match="positive"):
        open_slots(p.ctx, p.ann.id, start, end, timedelta(0))
    with pytest.raises(NotFoundError, match="no practitioner"):
        open_slots(p.ctx, 999, start, end, HOUR)
    with pytest.raises(ValidationError, match="at least one practitioner"):
        first_open_slot(p.ctx, [], start, HOUR)
    with pytest.raises(ValidationError, match="no time zone"):
        first_open_slot(p.ctx, [p.ann.id], datetime(2026, 11, 2), HOUR)
    with pytest.raises(PermissionDenied):
        open_slots(Context(p.db, p.clock, None), p.ann.id, start, end, HOUR)


def test_clearing_an_override_brings_the_weekly_hours_back(p: Practice) -> None:
    tue = date(2026, 11, 3)
    start, end = day_bounds(tue, CHICAGO)
    hours.set_override(p.ctx, p.ann.id, tue, ())
    assert open_slots(p.ctx, p.ann.id, start, end, HOUR) == []
    assert hours.clear_override(p.ctx, p.ann.id, tue) is True
    assert len(open_slots(p.ctx, p.ann.id, start, end, HOUR)) == 7
    assert hours.clear_override(p.ctx, p.ann.id, tue) is False


def test_hours_belong_to_practitioners(p: Practice) -> None:
    sam = practice.add_staff(p.ctx, "sam", "Sam S", {Role.SCHEDULER})
    for pid in (sam.id, 999):
        with pytest.raises(NotFoundError, match="no practitioner"):
            hours.set_hours(p.ctx, booking("America/Chicago", pid), kind=hours.AVAILABILITY)
    with pytest.raises(ValidationError, match="unknown kind of hours"):
        hours.set_hours(p.ctx, booking("America/Chicago", p.ann.id), kind="holidays")
    bob_ctx = Context(p.db, p.clock, p.bob)
    with pytest.raises(PermissionDenied):
        hours.set_override(bob_ctx, p.ann.id, date(2026, 11, 3), ())
