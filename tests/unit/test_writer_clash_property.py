"""Issue 13: the writer's whole-series clash check agrees with brute force.

For random pairs of rules (daily/weekly/monthly, intervals, weekdays, COUNT, UNTIL or endless),
an existing event and a candidate are expanded in full with dateutil (an endless one up to the
documented horizon) and compared pair by pair; :func:`writer_rules.clashes` must find a clash
exactly when brute force does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sessions_tui.clock import FixedClock
from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, EventKind, validate_event
from sessions_tui.domain.model import Role
from sessions_tui.services import practice
from sessions_tui.services.context import Context
from sessions_tui.services.writer import Writer
from sessions_tui.services.writer_rules import BOOKING_HORIZON, clashes
from sessions_tui.store.db import Database, open_database

TZ = "America/Chicago"
CHI = ZoneInfo(TZ)
NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
BASE = datetime(2026, 12, 1)  # a naive wall-clock day in Chicago


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Context]]:
    db = open_database(str(Path(tmp_path_factory.mktemp("clash")) / "p.db"))
    admin = practice.add_staff(
        Context(db, FixedClock(NOW), None), "admin", "Admin", {Role.ADMIN, Role.PRACTITIONER}
    )
    yield db, Context(db, FixedClock(NOW), admin)
    db.dispose()


@st.composite
def events(draw: st.DrawFn) -> tuple[datetime, int, str | None]:
    """(wall start, minutes, rule or None)."""
    start = BASE + timedelta(
        # Few times of day and a wide spread of days: clashes far out are common.
        days=draw(st.integers(0, 300)),
        hours=draw(st.sampled_from([9, 10, 17])),
        minutes=draw(st.sampled_from([0, 30])),
    )
    minutes = draw(st.sampled_from([30, 45, 50, 60, 90, 120]))
    if draw(st.booleans()):
        return start, minutes, None
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 4))}"]
    if freq == "WEEKLY" and draw(st.booleans()):
        days = draw(st.sets(st.sampled_from(["MO", "TU", "WE", "TH", "FR"]), min_size=1))
        parts.append("BYDAY=" + ",".join(sorted(days)))
    end = draw(st.sampled_from(["count", "until", "endless"]))
    if end == "count":
        parts.append(f"COUNT={draw(st.integers(1, 60))}")
    elif end == "until":
        until = (start + timedelta(days=draw(st.integers(1, 400)))).replace(tzinfo=CHI)
        parts.append("UNTIL=" + until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
    return start, minutes, ";".join(parts)


def _event(start: datetime, minutes: int, rule: str | None, pid: int) -> Event:
    aware = start.replace(tzinfo=CHI)
    return Event(
        kind=EventKind.OTHER,
        title="x",
        start=aware.astimezone(UTC),
        end=(aware + timedelta(minutes=minutes)).astimezone(UTC),
        tzid=TZ,
        practitioner_id=pid,
        rrule=rule,
    )


def _brute(
    start: datetime, minutes: int, rule: str | None, until: datetime
) -> list[tuple[datetime, datetime]]:
    """Every occurrence starting before ``until`` (UTC), by dateutil alone."""
    if rule is not None and "UNTIL=" in rule:
        # dateutil wants a naive UNTIL beside a naive (wall-clock) start: the same instant.
        head, _, value = rule.partition("UNTIL=")
        until_utc = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        rule = head + "UNTIL=" + until_utc.astimezone(CHI).strftime("%Y%m%dT%H%M%S")
    walls = [start]
    if rule is not None:
        walls = list(
            rrulestr(rule, dtstart=start, cache=False).xafter(
                start - timedelta(seconds=1), count=5000, inc=True
            )
        )
    out = []
    for wall in walls:
        s = wall.replace(tzinfo=CHI).astimezone(UTC)
        if s >= until:
            break
        out.append((s, (wall + timedelta(minutes=minutes)).replace(tzinfo=CHI).astimezone(UTC)))
    return out


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(existing=events(), candidate=events())
def test_issue_13_whole_series_clash_check_matches_brute_force(
    world: tuple[Database, Context],
    existing: tuple[datetime, int, str | None],
    candidate: tuple[datetime, int, str | None],
) -> None:
    db, ctx = world
    assert ctx.actor is not None
    pid = ctx.actor.id
    try:
        mine = validate_event(_event(*candidate, pid))
        validate_event(_event(*existing, pid))
    except ValidationError:
        assume(False)  # a rule with no occurrence at all: refused before any check
    c_start = mine.start
    assert isinstance(c_start, datetime)
    horizon = max(c_start, NOW) + BOOKING_HORIZON
    ours = _brute(*candidate, until=horizon)
    theirs = _brute(*existing, until=horizon + timedelta(days=1))
    # UNTIL in dateutil is inclusive of the instant; the expansion above already stops there.
    expected = any(a0 < b1 and b0 < a1 for a0, a1 in ours for b0, b1 in theirs)
    s = db.sessions()
    try:
        Writer.for_actor(s, ctx.clock, ctx.actor).insert(_event(*existing, pid), book=False)
        found = clashes(s, mine, (), NOW, limit=1)
    finally:
        s.rollback()
        s.close()
    assert bool(found) == expected, (existing, candidate, found)
