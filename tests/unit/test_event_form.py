"""The appointment form's parsing: errors in words, DST gaps refused, DST overlaps asked."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.domain.events import EventKind
from sessions_tui.services.event_form import (
    AmbiguousTime,
    EventForm,
    FormErrors,
    build_event,
    form_from_event,
)


def _session(**kw: object) -> EventForm:
    base = {
        "kind": EventKind.SESSION,
        "tzid": "America/Chicago",
        "client_id": 1,
        "practitioner_id": 2,
        "date": "2026-12-01",
        "start": "10:00",
        "minutes": "50",
    }
    base.update(kw)
    return EventForm(**base)  # type: ignore[arg-type]


def test_session_form_builds_event_in_zone() -> None:
    ev = build_event(_session())
    assert ev.start == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert (ev.end - ev.start).total_seconds() == 50 * 60  # type: ignore[operator]
    assert ev.tzid == "America/Chicago"
    assert not ev.all_day


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"client_id": None}, "client", "choose a client"),
        ({"practitioner_id": None}, "practitioner", "choose a practitioner"),
        ({"date": "12/01/2026"}, "date", "is not a date"),
        ({"start": "25:00"}, "start", "is not a time"),
        ({"minutes": "0"}, "minutes", "whole number of minutes"),
        ({"all_day": True}, "all_day", "cannot be all-day"),
        ({"recurrence": "custom", "custom_rrule": "FREQ=SOMETIMES"}, "custom_rrule", "frequency"),
    ],
)
def test_session_form_errors_name_the_field(
    changes: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(FormErrors) as caught:
        build_event(_session(**changes))
    assert field in caught.value.errors
    assert words in caught.value.errors[field]


def test_other_event_end_before_start() -> None:
    form = EventForm(
        kind=EventKind.OTHER,
        tzid="Europe/London",
        title="Lunch",
        date="2026-12-01",
        start="13:00",
        end_date="2026-12-01",
        end="12:00",
    )
    with pytest.raises(FormErrors) as caught:
        build_event(form)
    assert caught.value.errors == {"end": "end is before start"}


def test_time_in_dst_gap_is_refused() -> None:
    with pytest.raises(FormErrors) as caught:
        build_event(_session(date="2026-03-08", start="02:30"))
    assert "does not exist" in caught.value.errors["start"]


@pytest.mark.parametrize(
    ("zone_name", "day", "at"),
    [
        ("America/Chicago", "2026-11-01", "01:30"),
        ("Europe/London", "2026-10-25", "01:15"),
        ("Australia/Lord_Howe", "2026-04-05", "01:45"),
    ],
)
def test_ambiguous_time_asks_and_fold_decides(zone_name: str, day: str, at: str) -> None:
    form = _session(tzid=zone_name, date=day, start=at)
    with pytest.raises(AmbiguousTime) as caught:
        build_event(form)
    assert caught.value.field_name == "start"
    assert len(caught.value.choices) == 2
    form.fold["start"] = 0
    first = build_event(form)
    form.fold["start"] = 1
    second = build_event(form)
    assert first.start < second.start  # type: ignore[operator]
    tz = ZoneInfo(zone_name)
    assert first.start.astimezone(tz).strftime("%H:%M") == at  # type: ignore[union-attr]
    assert second.start.astimezone(tz).strftime("%H:%M") == at  # type: ignore[union-attr]


def test_all_day_other_event_uses_dates() -> None:
    form = EventForm(
        kind=EventKind.OTHER,
        tzid="UTC",
        title="Conference",
        all_day=True,
        busy=False,
        date="2026-12-03",
        end_date="2026-12-04",
    )
    ev = build_event(form)
    assert (ev.start, ev.end, ev.busy) == (date(2026, 12, 3), date(2026, 12, 5), False)


def test_form_round_trips_an_event_in_display_zone() -> None:
    ev = build_event(_session(recurrence="every 2 weeks"))
    form = form_from_event(ev, ev.start, "America/New_York")
    assert (form.date, form.start, form.minutes, form.recurrence) == (
        "2026-12-01",
        "11:00",
        "50",
        "every 2 weeks",
    )
    again = build_event(form, base=ev)
    assert again.start == ev.start
    assert again.tzid == "America/Chicago"
