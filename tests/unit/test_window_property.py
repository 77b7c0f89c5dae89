"""Property: the window query returns exactly what dateutil says, minus deleted and cancelled.

For random RRULEs (DAILY/WEEKLY/MONTHLY, INTERVAL, COUNT or UNTIL, BYDAY), random zones (with
and without DST, half-hour offsets) and random windows, the reference is
``dateutil.rrule.rrulestr(rule, dtstart=<zone-aware start>)``: its occurrences that overlap the
window, minus the EXDATEs. Some occurrences are also overridden as cancelled: they must still
appear, once, as cancelled (never as the scheduled series occurrence).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sessions_tui.clock import FixedClock
from sessions_tui.domain.events import Status
from sessions_tui.domain.model import Role
from sessions_tui.domain.timeutil import is_ambiguous, is_nonexistent
from sessions_tui.services import practice, scheduling
from sessions_tui.services.context import Context
from sessions_tui.store.db import open_database

from ._helpers import timed, window

ZONES = [
    "UTC",
    "America/Chicago",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Chatham",
    "Europe/Berlin",
    "Pacific/Kiritimati",
]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def rules(draw: st.DrawFn) -> dict[str, object]:
    """A random series: zone, local start, length, RRULE text (UNTIL in UTC as RFC 5545 asks)."""
    tzid = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(tzid)
    day = draw(st.dates(date(2025, 6, 1), date(2027, 6, 1)))
    at = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45])))
    wall = datetime.combine(day, at)
    # A start in a DST gap or overlap is resolved by the editor before it gets here.
    assume(not is_nonexistent(wall, tz) and not is_ambiguous(wall, tz))
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={freq}"]
    interval = draw(st.integers(1, 4))
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    if freq != "DAILY" and draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True))
        if freq == "MONTHLY" and draw(st.booleans()):
            nth = draw(st.sampled_from(["1", "2", "-1"]))
            days = [nth + days[0]]
        parts.append("BYDAY=" + ",".join(days))
    if draw(st.booleans()):
        # Within the 10 years a stored series may run (domain.rrule_text.MAX_SPAN): a monthly
        # COUNT=32 every 4 months is refused, which hypothesis found once in a while.
        most = 40 if freq != "MONTHLY" else min(40, 120 // interval)
        parts.append(f"COUNT={draw(st.integers(1, most))}")
    else:
        until = wall.replace(tzinfo=tz).astimezone(UTC) + timedelta(
            days=draw(st.integers(0, 400)), minutes=draw(st.sampled_from([-30, 0, 1, 600]))
        )
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")
    minutes = draw(st.sampled_from([30, 50, 90, 24 * 60 + 30]))
    return {
        "tzid": tzid,
        "start": wall.replace(tzinfo=tz),
        "rule": ";".join(parts),
        "minutes": minutes,
    }


def _reference(start: datetime, rule: str) -> list[datetime]:
    """Occurrence starts (UTC) from dateutil with a zone-aware DTSTART, first 2,000."""
    out: list[datetime] = []
    for value in rrulestr(rule, dtstart=start, cache=False):
        out.append(value.astimezone(UTC))
        if len(out) >= 2000:
            break
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    series=rules(),
    win_start=st.datetimes(datetime(2025, 5, 1), datetime(2028, 1, 1)),
    win_hours=st.integers(1, 24 * 70),
    display=st.sampled_from(ZONES),
    data=st.data(),
)
def test_window_matches_dateutil(
    series: dict[str, object],
    win_start: datetime,
    win_hours: int,
    display: str,
    data: st.DataObject,
) -> None:
    start = series["start"]
    rule = series["rule"]
    minutes = series["minutes"]
    assert isinstance(start, datetime)
    assert isinstance(rule, str)
    assert isinstance(minutes, int)
    reference = _reference(start, rule)
    assume(reference)
    # The series' exact duration, which RFC 5545 gives every occurrence: its end is made as
    # start + minutes on the wall clock (``timed``), so a start just before a DST change (Lord
    # Howe's half hour) makes it 30 minutes more or less than ``minutes``.
    duration = (start + timedelta(minutes=minutes)).astimezone(UTC) - start.astimezone(UTC)
    ws = win_start.replace(tzinfo=UTC)
    we = ws + timedelta(hours=win_hours)

    # Deleted (EXDATE) and cancelled (override) occurrences, drawn from the reference.
    exdates = set(data.draw(st.lists(st.sampled_from(reference), max_size=3), label="exdates"))
    rest = [r for r in reference if r not in exdates]
    cancelled = set(
        data.draw(st.lists(st.sampled_from(rest), max_size=2), label="cancelled") if rest else []
    )

    db = open_database("sqlite://")
    try:
        clock = FixedClock(NOW)
        admin = practice.add_staff(Context(db, clock, None), "admin", "Ada", {Role.ADMIN})
        ctx = Context(db, clock, admin)
        master = scheduling.create_event(
            ctx,
            timed(start, minutes, tzid=str(series["tzid"]), rrule=rule, exdates=frozenset(exdates)),
        )
        for rid in cancelled:
            override = replace(
                master,
                id=None,
                rrule=None,
                series_id=master.id,
                recurrence_id=rid,
                start=rid,
                end=rid + duration,
                status=Status.CANCELLED,
                uid=None,
                exdates=frozenset(),
            )
            scheduling.create_event(ctx, override)
        got = window(ctx, ws, we, display)
    finally:
        db.dispose()

    expected = sorted(r for r in reference if r not in exdates and r < we and r + duration > ws)
    assert max(reference) > we or len(reference) < 2000  # the reference really covers the window
    got_starts = sorted(o.start for o in got)  # type: ignore[type-var]
    assert got_starts == expected, (rule, start, ws, we)
    for o in got:
        assert o.end - o.start == duration  # type: ignore[operator]
        is_cancelled = o.start in cancelled
        assert (o.event.status is Status.CANCELLED) == is_cancelled
        assert o.event.series_id == (master.id if is_cancelled else None)
        assert o.recurrence_id == o.start
