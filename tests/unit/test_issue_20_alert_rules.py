"""Issue 20: the alert rules without a terminal (``services/alerts.py``), the config keys, and
the desktop-notification escape's safety."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.clock import ManualClock
from sessions_tui.config import load_config
from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, EventKind, Occurrence, Status
from sessions_tui.domain.model import Client, Location
from sessions_tui.services.agenda_item import AgendaItem
from sessions_tui.services.alerts import (
    Alert,
    AlertBook,
    alert_text,
    escape_sequence,
    until,
    upcoming,
)

ZONES = [ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")]
T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # Berlin's spring-forward night
CLIENT = Client(1, "Maya", "Nguyen")
ROOM = Location(1, "Room 2")


def item(
    start: datetime,
    *,
    event_id: int = 1,
    minutes: int = 50,
    status: Status = Status.SCHEDULED,
    rid: datetime | None = None,
) -> AgendaItem:
    event = Event(
        kind=EventKind.SESSION,
        start=start,
        end=start + timedelta(minutes=minutes),
        tzid="Europe/Berlin",
        practitioner_id=1,
        client_id=1,
        location_id=1,
        status=status,
        id=event_id,
    )
    return AgendaItem(Occurrence(event, event.start, event.end, rid), None, CLIENT, ROOM)


def all_day(day: date) -> AgendaItem:
    event = Event(
        kind=EventKind.OTHER,
        title="Potluck",
        start=day,
        end=day + timedelta(days=1),
        tzid="Europe/Berlin",
        all_day=True,
        id=9,
    )
    return AgendaItem(Occurrence(event, event.start, event.end), None, None, None)


def run(book: AlertBook, items: list[AgendaItem], clock: ManualClock) -> list[Alert]:
    return book.update(items, clock.now())


def test_issue_20_fires_at_the_offset_never_before_once_per_offset() -> None:
    start = T0 + timedelta(hours=1)
    items = [item(start)]
    clock = ManualClock(start - timedelta(minutes=61))
    book = AlertBook([10, 60])
    assert run(book, items, clock) == []
    clock.advance(timedelta(minutes=1))  # 60 minutes before
    assert [a.offset for a in run(book, items, clock)] == [60]
    for _ in range(3):  # read again, redraw: nothing new
        assert run(book, items, clock) == []
    book.dismiss()
    clock.advance(timedelta(minutes=49, seconds=59))
    assert run(book, items, clock) == []
    assert not book.shown  # dismissed stays dismissed
    clock.advance(timedelta(seconds=1))  # 10 minutes before: the second offset shows it again
    assert [a.offset for a in run(book, items, clock)] == [10]
    assert list(book.shown) == [(1, None)]
    clock.advance(timedelta(minutes=10))  # it starts: withdrawn, and nothing more fires
    assert run(book, items, clock) == []
    assert not book.shown


def test_issue_20_late_start_makes_one_alert_of_the_nearest_offset() -> None:
    start = T0 + timedelta(hours=1)
    book = AlertBook([60, 10, 10])
    alerts = book.update([item(start)], start - timedelta(minutes=5))
    assert [a.offset for a in alerts] == [10]
    assert book.update([item(start)], start - timedelta(minutes=4)) == []


def test_issue_20_moved_alerts_for_new_time_cancelled_none_all_day_none() -> None:
    start = T0 + timedelta(hours=1)
    book = AlertBook([10])
    now = start - timedelta(minutes=5)
    assert len(book.update([item(start), all_day(start.date())], now)) == 1
    moved = item(start + timedelta(minutes=20))
    assert book.update([moved], now) == []
    assert not book.shown  # the old time is withdrawn; 25 min to the new one
    fired = book.update([moved], now + timedelta(minutes=15))
    assert [a.start for a in fired] == [start + timedelta(minutes=20)]
    cancelled = item(start + timedelta(minutes=20), status=Status.CANCELLED)
    assert book.update([cancelled], now + timedelta(minutes=16)) == []
    assert not book.shown
    assert book.update([all_day(start.date())], now) == []


def test_issue_20_occurrences_of_a_series_are_alerted_apart() -> None:
    first = T0 + timedelta(hours=1)
    second = first + timedelta(days=7)
    book = AlertBook([10])
    a = item(first, rid=first)
    b = item(second, rid=second)
    assert len(book.update([a, b], first - timedelta(minutes=1))) == 1
    assert len(book.update([a, b], second - timedelta(minutes=1))) == 1


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_issue_20_text_names_time_client_as_privacy_shows_and_location(tz: ZoneInfo) -> None:
    start = T0 + timedelta(hours=1, minutes=30)  # after Berlin's clocks went forward
    alert = Alert(item(start), 10, start)
    now = start - timedelta(minutes=9, seconds=30)
    local = start.astimezone(tz)
    text = alert_text(alert, tz, now, privacy=True)
    assert text.startswith(f"{local:%H:%M}–")
    assert "M.N." in text
    assert "Maya" not in text
    assert "@ Room 2" in text
    assert text.endswith("in 10 min")
    assert "Maya Nguyen" in alert_text(alert, tz, now, privacy=False)


def test_issue_20_until_rounds_up_to_whole_minutes() -> None:
    assert until(T0 + timedelta(seconds=1), T0) == "in 1 min"
    assert until(T0 + timedelta(minutes=60), T0) == "in 1 h"
    assert until(T0 + timedelta(minutes=65), T0) == "in 1 h 5 min"
    assert until(T0, T0) == "now"


def test_issue_20_upcoming_is_timed_not_cancelled_not_begun() -> None:
    later = item(T0 + timedelta(hours=2), event_id=2)
    soon = item(T0 + timedelta(hours=1), event_id=3)
    begun = item(T0 - timedelta(minutes=1), event_id=4)
    gone = item(T0 + timedelta(minutes=5), event_id=5, status=Status.CANCELLED)
    got = upcoming([later, begun, gone, all_day(T0.date()), soon], T0)
    assert [i.id for i in got] == [3, 2]


def test_issue_20_escape_sequences_and_hostile_text() -> None:
    assert escape_sequence("osc9", "sessions-tui", "10:00 M.N.") == (
        "\x1b]9;sessions-tui: 10:00 M.N.\x07"
    )
    assert escape_sequence("osc777", "sessions-tui", "10:00 M.N.") == (
        "\x1b]777;notify;sessions-tui;10:00 M.N.\x07"
    )
    hostile = "Team\x07\x1b]0;owned\x1b\\; rm\x9b2J"
    for kind in ("osc9", "osc777"):
        seq = escape_sequence(kind, "sessions-tui", hostile)
        inner = seq[2:-1]  # between "ESC ]" and the closing BEL
        assert not re.search("[\x00-\x1f\x7f-\x9f]", inner), repr(seq)
        assert seq.endswith("\x07")
    fields = escape_sequence("osc777", "a;b", "c;d").split(";")
    assert fields == ["\x1b]777", "notify", "a,b", "c,d\x07"]
    wrapped = escape_sequence("osc9", "t", "b", tmux=True)
    assert wrapped == "\x1bPtmux;\x1b\x1b]9;t: b\x07\x1b\\"
    with pytest.raises(ValueError, match="unknown terminal notification"):
        escape_sequence("osc99", "t", "b")


def test_issue_20_manual_clock_only_moves_forward() -> None:
    clock = ManualClock(T0)
    clock.advance(timedelta(minutes=5))
    assert clock.now() == T0 + timedelta(minutes=5)
    clock.set(T0 + timedelta(hours=1))
    assert clock.now() == T0 + timedelta(hours=1)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("toml", "alerts", "escape"),
    [
        ("", (10,), "off"),
        ("alerts = 5\n", (5,), "off"),
        ("alerts = [10, 60, 10]\n", (60, 10), "off"),
        ("alerts = []\n", (), "off"),
        ('alert_escape = "osc9"\n', (10,), "osc9"),
        ("alert_escape = false\n", (10,), "off"),
    ],
)
def test_issue_20_config_keys(
    tmp_path: Path, toml: str, alerts: tuple[int, ...], escape: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml, encoding="utf-8")
    config = load_config(path)
    assert (config.alerts, config.alert_escape) == (alerts, escape)


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('alerts = "10"\n', "alerts must be minutes"),
        ("alerts = [10, 1.5]\n", "alerts value 1.5"),
        ("alerts = [0]\n", "alerts value 0"),
        ("alerts = [true]\n", "alerts value True"),
        ("alerts = [20000]\n", "alerts value 20000"),
        ('alert_escape = "osc99"\n', "alert_escape 'osc99'"),
    ],
)
def test_issue_20_bad_config_is_one_line_naming_it(tmp_path: Path, toml: str, named: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_config(path)
    assert named in caught.value.message
    assert "\n" not in caught.value.message
