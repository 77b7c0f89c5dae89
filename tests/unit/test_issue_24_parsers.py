"""Issue 24: the parsers behind the recurrence field, ``g`` (natural dates) and quick add.

Dates are read relative to "today" in the display zone; the tests take it from an aware "now"
on each side of a DST change (America/Chicago on 2026-11-01, Europe/London on 2026-10-25) and
with the process's own zone set far away, which must change nothing.
"""

from __future__ import annotations

import os
import time as time_module
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, EventKind
from sessions_tui.domain.model import Client, Location
from sessions_tui.domain.rrule_text import (
    Repeat,
    preset_rule,
    repeat_of,
    repeat_options,
    rule_in_words,
)
from sessions_tui.services.event_form import EventForm, build_event, form_from_event
from sessions_tui.services.natural_dates import parse_natural_date
from sessions_tui.services.quick_add import parse_quick_add

CHI = ZoneInfo("America/Chicago")
LON = ZoneInfo("Europe/London")
WED = date(2026, 11, 25)


@pytest.fixture(params=["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
def process_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The process's own zone (what time.localtime uses) set to +14, -11 and UTC."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time_module.tzset()
    yield request.param
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time_module.tzset()


# --- the recurrence field ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "words", "choice"),
    [
        ("FREQ=WEEKLY;COUNT=8", "Weekly on Wednesday, 8 times", Repeat("weekly", "after", 8)),
        ("FREQ=WEEKLY;BYDAY=WE", "Weekly on Wednesday", Repeat("weekly")),
        ("FREQ=WEEKLY;INTERVAL=2", "Every 2 weeks on Wednesday", Repeat("every 2 weeks")),
        ("FREQ=DAILY;COUNT=1", "Daily, once", Repeat("daily", "after", 1)),
        ("FREQ=MONTHLY", "Monthly on day 25", Repeat("monthly")),
        ("FREQ=MONTHLY;BYDAY=4WE", "Monthly on the 4th Wednesday", Repeat("monthly on weekday")),
        (
            "FREQ=WEEKLY;INTERVAL=2;UNTIL=20261231T235959Z",
            "Every 2 weeks on Wednesday, until 31 Dec 2026",
            Repeat("every 2 weeks", "on", until=date(2026, 12, 31)),
        ),
        (
            "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,TH;COUNT=10",
            "Every 3 weeks on Monday and Thursday, 10 times",
            Repeat("custom"),
        ),
        ("FREQ=MONTHLY;BYDAY=-1FR", "Monthly on the last Friday", Repeat("custom")),
        ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "Daily on weekdays", Repeat("custom")),
        ("FREQ=WEEKLY;BYDAY=TH", "Weekly on Thursday", Repeat("custom")),  # not the start's day
        ("FREQ=MONTHLY;BYSETPOS=1;BYDAY=MO", None, Repeat("custom")),
    ],
)
def test_issue_24_rule_in_words_and_its_preset(
    rule: str, words: str | None, choice: Repeat
) -> None:
    assert rule_in_words(rule, WED, UTC) == words
    assert repeat_of(rule, WED, UTC) == choice


def test_issue_24_every_preset_round_trips_through_the_form() -> None:
    """A preset saved and reopened is the same preset (and the same rule)."""
    start = datetime(2026, 11, 25, 14, 0, tzinfo=CHI)
    day = start.date()
    for _label, choice in repeat_options(day):
        if choice in ("none", "custom"):
            continue
        for ends, count, until in (
            ("never", "", ""),
            ("after", "8", ""),
            ("on", "", "2027-03-31"),
        ):
            form = EventForm(
                kind=EventKind.OTHER,
                tzid="America/Chicago",
                title="Group",
                date=day.isoformat(),
                start="14:00",
                end="15:00",
                recurrence=choice,
                ends=ends,
                count=count,
                until=until,
            )
            event = build_event(form)
            assert event.rrule == preset_rule(
                Repeat(
                    choice,
                    ends,
                    int(count) if count else None,
                    date.fromisoformat(until) if until else None,
                ),
                day,
            ).replace(";UNTIL=20270331", ";UNTIL=20270401T045959Z")
            again = form_from_event(event, start, "America/Chicago")
            assert (again.recurrence, again.ends, again.count, again.until) == (
                choice,
                ends,
                count,
                until,
            )
            assert build_event(again, event).rrule == event.rrule


def test_issue_24_an_unchanged_preset_keeps_the_rule_as_stored() -> None:
    """``FREQ=WEEKLY;BYDAY=WE`` shows as the weekly preset; saved unchanged it stays as it was
    (no spurious change of the series' rule)."""
    start = datetime(2026, 11, 25, 14, 0, tzinfo=CHI)
    event = Event(
        kind=EventKind.OTHER,
        title="Group",
        start=start,
        end=start.replace(hour=15),
        tzid="America/Chicago",
        rrule="FREQ=WEEKLY;BYDAY=WE;COUNT=8",
    )
    form = form_from_event(event, start, "America/Chicago")
    assert (form.recurrence, form.ends, form.count) == ("weekly", "after", "8")
    assert build_event(form, event).rrule == "FREQ=WEEKLY;BYDAY=WE;COUNT=8"
    form.count = "9"
    assert build_event(form, event).rrule == "FREQ=WEEKLY;COUNT=9"


def test_issue_24_bad_end_is_named() -> None:
    form = EventForm(
        kind=EventKind.OTHER,
        title="Group",
        date="2026-11-25",
        start="14:00",
        end="15:00",
        recurrence="weekly",
        ends="after",
        count="lots",
    )
    with pytest.raises(Exception, match="count: ends after how many times"):
        build_event(form)
    form.ends, form.until = "on", "2026-11-01"
    with pytest.raises(Exception, match="until: the series would end before it starts"):
        build_event(form)


# --- natural dates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fri", date(2026, 11, 27)),
        ("Friday", date(2026, 11, 27)),
        ("wed", date(2026, 11, 25)),  # today is a Wednesday: the coming one is today
        ("dec 24", date(2026, 12, 24)),
        ("24 dec", date(2026, 12, 24)),
        ("24 December", date(2026, 12, 24)),
        ("next monday", date(2026, 11, 30)),
        ("tomorrow", date(2026, 11, 26)),
        ("today", WED),
        ("+3", date(2026, 11, 28)),
        ("-1w", date(2026, 11, 18)),
        ("+2m", date(2027, 1, 25)),
        ("in 2 weeks", date(2026, 12, 9)),
        ("2026-12-24", date(2026, 12, 24)),
        ("Dec 24, 2027", date(2027, 12, 24)),
        ("jan 5", date(2027, 1, 5)),  # the next Jan 5, not the past one
    ],
)
def test_issue_24_natural_dates(text: str, expected: date) -> None:
    assert parse_natural_date(text, WED) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("xyz", "did not understand 'xyz'"),
        ("fri xyz", "did not understand 'xyz'"),
        ("", "type a date"),
        ("15:00", "'15:00' is a time, not a date"),
        ("2026-13-45", "bad date '2026-13-45'"),
        ("dec 24 2300", "the year must be 1900 to 2200"),
    ],
)
def test_issue_24_natural_dates_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        parse_natural_date(text, WED)
    assert "\n" not in caught.value.message


@pytest.mark.parametrize(
    ("now", "zone", "text", "expected"),
    [
        # Chicago: clocks go back at 02:00 CDT on Sunday 2026-11-01.
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), CHI, "today", date(2026, 11, 1)),
        (datetime(2026, 11, 1, 4, 30, tzinfo=UTC), CHI, "today", date(2026, 10, 31)),
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), CHI, "sun", date(2026, 11, 1)),
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), CHI, "mon", date(2026, 11, 2)),
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), CHI, "-1w", date(2026, 10, 25)),
        (datetime(2026, 10, 31, 23, 0, tzinfo=UTC), CHI, "tomorrow", date(2026, 11, 1)),
        (datetime(2026, 10, 31, 23, 0, tzinfo=UTC), CHI, "nov 2", date(2026, 11, 2)),
        # London: clocks go back at 02:00 BST on Sunday 2026-10-25.
        (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), LON, "today", date(2026, 10, 25)),
        (datetime(2026, 10, 24, 22, 30, tzinfo=UTC), LON, "today", date(2026, 10, 24)),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), LON, "fri", date(2026, 10, 30)),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), LON, "+1", date(2026, 10, 26)),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), LON, "oct 24", date(2027, 10, 24)),
        (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), LON, "next monday", date(2026, 10, 26)),
        (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), LON, "oct 25", date(2026, 10, 25)),  # today
    ],
)
def test_issue_24_natural_dates_across_dst(
    process_zone: str, now: datetime, zone: ZoneInfo, text: str, expected: date
) -> None:
    today = now.astimezone(zone).date()
    assert parse_natural_date(text, today) == expected


# --- quick add ----------------------------------------------------------------------------

CLIENTS = [
    Client(1, "Ava", "Bennett", "C-1001"),
    Client(2, "Ava", "Chen"),
    Client(3, "Frida", "Kahlo"),
    Client(4, "Ann", "Lee"),
    Client(5, "Ann", "Leeson"),
]
PLACES = [Location(1, "Telehealth"), Location(2, "Main St Clinic"), Location(3, "Main Annex")]


def quick(text: str, today: date = WED) -> tuple[object, ...]:
    got = parse_quick_add(text, today, CLIENTS, PLACES)
    return (
        got.client.full_name if got.client else None,
        got.day,
        got.at,
        got.minutes,
        got.location.name if got.location else None,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Ava Bennett fri 15:00 50m @Telehealth",
            ("Ava Bennett", date(2026, 11, 27), time(15), 50, "Telehealth"),
        ),
        (
            "ava b dec 24 3pm 1h30 @tele",
            ("Ava Bennett", date(2026, 12, 24), time(15), 90, "Telehealth"),
        ),
        ("@main st 1h bennett, ava", ("Ava Bennett", None, None, 60, "Main St Clinic")),
        ("C-1001 tomorrow 9:30am", ("Ava Bennett", date(2026, 11, 26), time(9, 30), None, None)),
        ("Ann Lee next monday 2pm", ("Ann Lee", date(2026, 11, 30), time(14), None, None)),
        ("fri 15:00 Frida K", ("Frida Kahlo", date(2026, 11, 27), time(15), None, None)),
        ("fri 15:00", (None, date(2026, 11, 27), time(15), None, None)),  # not Frida
        ("Frida +3 1h", ("Frida Kahlo", date(2026, 11, 28), None, 60, None)),
    ],
)
def test_issue_24_quick_add_reads_each_part(text: str, expected: tuple[object, ...]) -> None:
    assert quick(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Ava Bennett fri xyz", "did not understand 'xyz'"),
        ("xyz 15:00", "did not understand 'xyz'"),
        ("Ava fri", "'Ava' could be Ava Bennett, Ava Chen"),
        ("Ann Le fri", "'Ann Le' could be Ann Lee, Ann Leeson"),
        ("Ava Bennett @Nowhere", "did not understand '@Nowhere'"),
        ("Ava Bennett @main", "'@main' could be Main St Clinic, Main Annex"),
        ("Ava Bennett 15:00 16:00", "two times"),
        ("Ava Bennett 50m 1h", "two lengths"),
        ("Ava Bennett 2m", "not a length"),
        ("Ava Bennett 25:00", "not a time"),
        ("", "type a client"),
    ],
)
def test_issue_24_quick_add_names_what_it_did_not_understand(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        parse_quick_add(text, WED, CLIENTS, PLACES)
    assert "\n" not in caught.value.message


def test_issue_24_quick_add_across_dst(process_zone: str) -> None:
    """The day comes from the display zone's today on each side of the change."""
    before = datetime(2026, 11, 1, 6, 30, tzinfo=UTC).astimezone(CHI).date()  # 01:30 CDT/CST
    assert quick("Ava Bennett sun 1:30am", before)[1:3] == (date(2026, 11, 1), time(1, 30))
    assert quick("Ava Bennett mon", before)[1] == date(2026, 11, 2)
    london = datetime(2026, 10, 25, 0, 30, tzinfo=UTC).astimezone(LON).date()
    assert quick("Ava Bennett tomorrow 09:00", london)[1] == date(2026, 10, 26)


def test_issue_24_the_date_parser_is_not_imported_at_start() -> None:
    """parsedatetime costs ~30 ms to import: only the first typed date that needs it pays."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import sessions_tui.app, sessions_tui.screens.calendar, sessions_tui.screens.help\n"
        "import sessions_tui.screens.go_to_date, sessions_tui.screens.quick_add\n"
        "import sessions_tui.screens.event_editor\n"
        "print('parsedatetime' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_issue_24_keymap_preset_in_the_config(tmp_path) -> None:
    from sessions_tui.config import load_config

    path = tmp_path / "config.toml"
    path.write_text('[keymap]\npreset = "vim"\n"calendar.team" = "ctrl+t"\n', encoding="utf-8")
    config = load_config(path)
    assert (config.keymap_preset, config.keymap) == ("vim", {"calendar.team": "ctrl+t"})
    path.write_text('keymap_preset = "vim"\n', encoding="utf-8")
    assert load_config(path).keymap_preset == "vim"
    path.write_text('[keymap]\npreset = "emacs"\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="keymap preset 'emacs' is not a preset"):
        load_config(path)


def test_issue_24_quick_add_names_clients_as_privacy_mode_shows_them() -> None:
    with pytest.raises(ValidationError, match=r"'Ava' could be A\.B\., A\.C\.") as caught:
        parse_quick_add("Ava fri", WED, CLIENTS, PLACES, shown=lambda c: c.initials)
    assert "Bennett" not in caught.value.message


def test_issue_24_a_preset_too_long_is_said_under_its_end() -> None:
    form = EventForm(
        kind=EventKind.OTHER,
        title="Group",
        date="2026-11-25",
        start="14:00",
        end="15:00",
        recurrence="every 2 weeks",
        ends="after",
        count="999",
    )
    with pytest.raises(Exception, match="count: COUNT=999 runs more than 10 years"):
        build_event(form)
