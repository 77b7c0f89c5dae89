"""Issue 14: personal settings in the config file (week start on any day, 12- or 24-hour
clock, the first hour shown, the theme kept across runs); a bad value is one line naming the
key, and nothing opens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Label
from textual.worker import WorkerCancelled

from sessions_tui.app import SessionsApp
from sessions_tui.cli.main import run
from sessions_tui.config import Config
from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.timeutil import clock_text, parse_clock
from sessions_tui.widgets.agenda_list import AgendaList
from sessions_tui.widgets.month_grid import MonthGrid
from sessions_tui.widgets.time_grid import TimeGrid

MakeApp = Callable[..., SessionsApp]


async def _settle(app: SessionsApp, pilot: Pilot[None]) -> None:
    for _ in range(10):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break
    await pilot.pause()


async def _press(app: SessionsApp, pilot: Pilot[None], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await _settle(app, pilot)


def _title(app: SessionsApp) -> str:
    return str(app.screen.query_one("#view-title", Label).content)


def _grid_lines(app: SessionsApp) -> list[str]:
    grid = app.screen.query_one(TimeGrid)
    return [grid.render_line(y).text for y in range(grid.size.height)]


@pytest.mark.parametrize(
    ("week_start", "first", "title", "next_title"),
    [
        ("sunday", date(2026, 11, 22), "Nov 22 – 28, 2026", "Nov 29 – Dec 5, 2026"),
        ("Wednesday", date(2026, 11, 25), "Nov 25 – Dec 1, 2026", "Dec 2 – 8, 2026"),
        ("sat", date(2026, 11, 21), "Nov 21 – 27, 2026", "Nov 28 – Dec 4, 2026"),
    ],
)
async def test_issue_14_week_starts_on_the_configured_day(
    make_app: MakeApp, week_start: str, first: date, title: str, next_title: str
) -> None:
    app = make_app(config=Config(week_start=week_start))
    async with app.run_test(size=(100, 32)) as pilot:
        await _settle(app, pilot)
        grid = app.screen.query_one(TimeGrid)
        assert grid.days == [first + timedelta(days=n) for n in range(7)]
        header = _grid_lines(app)[0].split("│")[1:]
        assert header[0].strip().startswith(f"{first:%a}"[:2])
        assert str(first.day) in header[0]
        assert _title(app) == title
        await _press(app, pilot, "n")
        assert _title(app) == next_title
        await _press(app, pilot, "m")  # the month's rows start on the same day
        month = app.screen.query_one(MonthGrid)
        assert month.first is not None
        assert month.first.weekday() == first.weekday()
        assert month.first <= date(2026, 12, 1) < month.first + timedelta(days=7)


async def test_issue_14_twelve_hour_clock(make_app: MakeApp) -> None:
    app = make_app(config=Config(clock_hours=12))
    async with app.run_test(size=(100, 32)) as pilot:
        await _settle(app, pilot)
        gutters = [line.split("│")[0] for line in _grid_lines(app)]
        assert "▶10:00a" in gutters  # now (10:00) on the 12-hour clock
        assert any(g.strip() == "9am" for g in gutters)
        assert any(g.strip() == "1pm" for g in gutters)
        assert not any("13:00" in g for g in gutters)
        await _press(app, pilot, "a")
        agenda = app.screen.query_one(AgendaList)
        text = "\n".join(row for row, _item, _day in agenda.rows)
        assert "am–" in text or "pm–" in text
        assert ":00pm" in text or ":30pm" in text


def test_issue_14_times_typed_on_either_clock() -> None:
    for typed, expected in [
        ("14:30", (14, 30)),
        ("1430", (14, 30)),
        ("930", (9, 30)),
        ("2:30pm", (14, 30)),
        ("2:30 PM", (14, 30)),
        ("2pm", (14, 0)),
        ("12am", (0, 0)),
        ("12:15pm", (12, 15)),
    ]:
        at = parse_clock(typed)
        assert (at.hour, at.minute) == expected, typed
        # What the form writes reads back as the same time, on both clocks.
        assert parse_clock(clock_text(at, True)) == at
        assert parse_clock(clock_text(at, False)) == at
    for bad in ("13pm", "25:00", "noon", "", "2:3pm"):
        with pytest.raises(ValueError):  # noqa: PT011 - any bad time
            parse_clock(bad)


async def test_issue_14_first_hour_is_scrolled_into_view(make_app: MakeApp) -> None:
    app = make_app(config=Config(first_hour=9))
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        grid = app.screen.query_one(TimeGrid)
        assert grid.top == 18  # 09:00
        first_slot_row = _grid_lines(app)[grid.sticky_rows]
        assert first_slot_row.startswith(" 09:00")
        await _press(app, pilot, "n", "t")  # away and back: the first hour again
        assert grid.top == 18


async def test_issue_14_theme_is_kept_across_runs(make_app: MakeApp) -> None:
    first = make_app()
    async with first.run_test(size=(80, 24)) as pilot:
        await _settle(first, pilot)
        assert first.theme == "textual-dark"
        first.theme = "nord"  # what ctrl+p → Theme does
        await pilot.pause()
    second = make_app()
    async with second.run_test(size=(80, 24)) as pilot:
        await _settle(second, pilot)
        assert second.theme == "nord"
    # The config's theme changed since the pick: the config wins from now on.
    third = make_app(config=Config(theme="gruvbox"))
    async with third.run_test(size=(80, 24)) as pilot:
        await _settle(third, pilot)
        assert third.theme == "gruvbox"


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('week_start = "funday"', "week_start"),
        ("clock_hours = 13", "clock_hours"),
        ("first_hour = 24", "first_hour"),
        ('first_hour = "seven"', "first_hour"),
        ('theme = "neon-glow"', "theme"),
    ],
)
def test_issue_14_bad_setting_is_one_line_naming_the_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    line: str,
    key: str,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(line + "\n", encoding="utf-8")
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(config))
    started: list[object] = []
    monkeypatch.setattr(SessionsApp, "run", lambda self, **kw: started.append(self))
    code = run(["--db", str(tmp_path / "practice.db")])
    err = capsys.readouterr().err
    assert code == 1
    assert not started  # the calendar never opened
    assert not (tmp_path / "practice.db").exists()  # nothing made either
    assert len(err.strip().splitlines()) == 1, err
    assert key in err
    assert err.startswith("sessions-tui: error:")


def test_issue_14_config_checks_values_when_made() -> None:
    with pytest.raises(ValidationError, match="week_start"):
        Config(week_start="someday")
    assert Config(week_start="Sun").first_weekday == 6
    assert Config(week_starts_monday=True).first_weekday == 0
    assert Config(week_start="friday", week_starts_monday=True).first_weekday == 4
    assert Config().first_weekday is None
