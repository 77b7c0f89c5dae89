"""Issue 28: a bound on expansion, not only on fields — the occurrences one rule makes a day."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, EventKind, validate_event
from sessions_tui.domain.recurrence import expansion_problem
from sessions_tui.domain.rrule_text import MAX_PER_DAY

CHI = ZoneInfo("America/Chicago")
START = datetime(2026, 11, 23, 0, 0, tzinfo=CHI)
EVERY = ",".join(str(n) for n in range(60))
HOSTILE = (
    f"FREQ=DAILY;BYHOUR={','.join(str(h) for h in range(24))};BYMINUTE={EVERY};BYSECOND={EVERY}"
)


def _event(rule: str) -> Event:
    return Event(
        kind=EventKind.OTHER,
        title="Busy",
        start=START,
        end=START + timedelta(minutes=1),
        tzid="America/Chicago",
        rrule=rule,
    )


def test_issue_28_a_rule_of_86400_a_day_is_refused_at_the_door() -> None:
    with pytest.raises(ValidationError, match=r"up to 86400 occurrences a day \(at most 96"):
        validate_event(_event(HOSTILE))


def test_issue_28_the_same_rule_already_stored_is_skipped_by_readers() -> None:
    problem = expansion_problem(_event(HOSTILE))
    assert problem is not None
    assert "occurrences a day" in problem


@pytest.mark.parametrize(
    ("rule", "allowed"),
    [
        ("FREQ=HOURLY", True),  # 24 a day
        ("FREQ=HOURLY;BYMINUTE=0,15,30,45", True),  # 96
        ("FREQ=HOURLY;BYMINUTE=0,10,20,30,40,50", False),  # 144
        ("FREQ=HOURLY;INTERVAL=2;BYMINUTE=0,10,20,30,40,50", True),  # 72
        ("FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16", True),
        ("FREQ=DAILY;BYHOUR=9,10;BYMINUTE=0,1,2,3,4,5,6,7,8,9;BYSECOND=0,30,45", True),  # 60
        ("FREQ=WEEKLY;BYHOUR=9;BYMINUTE=" + EVERY, True),  # 60
        ("FREQ=WEEKLY;BYHOUR=9,10;BYMINUTE=" + EVERY, False),  # 120
    ],
)
def test_issue_28_the_bound_is_the_product_of_the_lists(rule: str, allowed: bool) -> None:
    if allowed:
        assert validate_event(_event(rule)).rrule is not None
    else:
        with pytest.raises(ValidationError, match=f"at most {MAX_PER_DAY}"):
            validate_event(_event(rule))
