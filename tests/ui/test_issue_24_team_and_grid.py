"""Issue 24: the team view's column cursor, the filter dialog's keys and boxes, the grid's
"more above/below" marks and multi-day all-day bars (demo at 80x24, alice, Wed Nov 25 10:00)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from app_fixtures import CHICAGO, settle
from textual.pilot import Pilot

from sessions_tui.app import SessionsApp
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.filters import FiltersModal
from sessions_tui.services.calendar import Filters, load_filters
from sessions_tui.widgets.check_list import CheckList
from sessions_tui.widgets.time_grid import TimeGrid

MakeApp = Callable[..., SessionsApp]
WED = date(2026, 11, 25)


async def press(pilot: Pilot[None], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def grid_lines(app: SessionsApp) -> list[str]:
    grid = app.screen.query_one(TimeGrid)
    return [grid.render_line(y).text for y in range(grid.size.height)]


# --- the filter dialog -----------------------------------------------------------------------


async def test_issue_24_filter_escape_cancels(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "f")
        assert isinstance(app.screen, FiltersModal)
        await press(pilot, "space", "down", "space")  # untick Ben and Carmen
        await press(pilot, "escape")
        assert isinstance(app.screen, CalendarScreen)
        assert app.filters == Filters()  # nothing applied
        assert not any(w.group == "preferences" for w in app.workers)
        assert load_filters(app.ctx) == Filters()  # nothing remembered
        assert "All events" in str(app.screen.query_one("#filter-summary").render())


@pytest.mark.parametrize("apply", ["enter", "ctrl+s"])
async def test_issue_24_filter_enter_applies(make_app: MakeApp, apply: str) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ben = next(p for p in app.facts.practitioners if p.login == "ben")  # type: ignore[union-attr]
        await press(pilot, "f", "space", apply)  # untick Ben (the first), apply
        assert isinstance(app.screen, CalendarScreen)
        others = frozenset(p.id for p in app.facts.practitioners if p.id != ben.id)  # type: ignore[union-attr]
        assert app.filters.practitioner_ids == others
        await settle(pilot)
        assert load_filters(app.ctx).practitioner_ids == others  # remembered


async def test_issue_24_filter_boxes_read_x_and_blank(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "f", "space")  # untick the first practitioner
        people = app.screen.query_one("#filter-practitioners", CheckList)
        lines = [people.render_line(y).text for y in range(people.option_count)]
        assert lines[0].startswith("[ ] B Ben Okafor"), lines
        assert all(line.startswith("[x] ") for line in lines[1:]), lines
        said = str(app.screen.query_one("#filter-said").render())
        assert said == "B Ben Okafor: unchecked (hidden)"
        await press(pilot, "down")
        assert str(app.screen.query_one("#filter-said").render()) == (
            "C Carmen Liu: checked (shown)"
        )
        await press(pilot, "up", "ctrl+r")  # everything ticked again: the line says so
        assert str(app.screen.query_one("#filter-said").render()) == (
            "B Ben Okafor: checked (shown)"
        )


# --- the team view's column cursor -----------------------------------------------------------


def header_cells(app: SessionsApp) -> list[str]:
    return [cell.strip() for cell in grid_lines(app)[0].split("│")[1:]]


def cursor_header(app: SessionsApp) -> str:
    """The text of the header segment drawn in the cursor's style (reverse video: focused)."""
    grid = app.screen.query_one(TimeGrid)
    marked = [s.text.strip() for s in grid.render_line(0) if s.style and s.style.reverse]
    assert len(marked) == 1, marked
    return marked[0]


async def test_issue_24_team_column_cursor_moves(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "T")
        people = app.facts.practitioners  # type: ignore[union-attr]
        grid = app.screen.query_one(TimeGrid)
        assert grid.cursor_column == 0
        assert cursor_header(app).startswith("B Ben")
        await press(pilot, "right")
        assert app.cursor_day == WED
        assert app.cursor_person == people[1].id
        assert grid.cursor_column == 1
        assert cursor_header(app).startswith("C Carmen")
        # The slot cursor is in that column only.
        now_row = next(line for line in grid_lines(app) if line.startswith("▶"))
        assert [cell[:1] for cell in now_row.split("│")[1:]] == ["─", "▸", "─", "─"]
        await press(pilot, "right", "right")
        assert (app.cursor_day, grid.cursor_column) == (WED, 3)
        await press(pilot, "right")  # past the last column: the next day's first
        assert app.cursor_day == date(2026, 11, 26)
        assert app.cursor_person == people[0].id
        assert cursor_header(app).startswith("B Ben")
        assert "Thursday" in str(app.screen.query_one("#view-title").render())
        await press(pilot, "left")  # before the first: the previous day's last
        assert app.cursor_day == WED
        assert app.cursor_person == people[3].id
        assert cursor_header(app).startswith("A ")


async def test_issue_24_team_c_and_enter_create_for_the_column(make_app: MakeApp) -> None:
    from textual.widgets import Select

    from sessions_tui.screens.dialogs import ChoiceModal
    from sessions_tui.screens.event_editor import EventEditorScreen

    app = make_app()  # alice, a practitioner herself
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        carmen = next(p for p in app.facts.practitioners if p.login == "carmen")  # type: ignore[union-attr]
        devon = next(p for p in app.facts.practitioners if p.login == "dev")  # type: ignore[union-attr]
        await press(pilot, "T", "right", "c")
        assert isinstance(app.screen, ChoiceModal)
        assert "for Carmen Liu" in str(app.screen.query_one("Label").render())
        await press(pilot, "enter")
        assert isinstance(app.screen, EventEditorScreen)
        assert app.screen.query_one("#practitioner", Select).value == carmen.id
        assert app.screen.query_one("#minutes").value == str(carmen.default_session_minutes)  # type: ignore[attr-defined]
        await press(pilot, "escape")
        # enter on an empty slot of Devon's column (10:00; Carmen's has no event either).
        await press(pilot, "right", "enter")
        assert isinstance(app.screen, ChoiceModal)
        await press(pilot, "enter")
        assert isinstance(app.screen, EventEditorScreen)
        assert app.screen.query_one("#practitioner", Select).value == devon.id


async def test_issue_24_team_headers_fit_80_columns(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "T")
        cells = header_cells(app)
        people = app.facts.practitioners  # type: ignore[union-attr]
        markers = app.facts.markers  # type: ignore[union-attr]
        assert len(cells) == len(people) == 4
        for cell, person in zip(cells, people, strict=True):
            letter, *words = cell.split()
            assert letter == markers[person.id]
            name = person.name.split()
            for word in words:
                whole = word in name
                initial = word.endswith(".") and any(w.startswith(word[:-1]) for w in name)
                assert whole or initial or word.endswith("…"), (cell, person.name)
        assert "A Dr. Alice M." in cells  # the fourth header, cut to "Dr. Alice Moren" before


# --- more above / below the visible hours ----------------------------------------------------


def column_cells(line: str) -> list[str]:
    return line.split("│")[1:]


async def test_issue_24_more_below_and_above_marks(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = app.screen.query_one(TimeGrid)
        last = grid.top + grid.visible_slots - 1  # the last half hour on screen (15:30)
        days = grid.columns
        below = [
            len({id(i) for i in app.screen.current_items() or () if _starts_after(i, d, last)})  # type: ignore[attr-defined]
            for d in days
        ]
        wed = days.index(WED)
        assert below[wed] >= 1  # Hana Tanaka at 17:00, out of sight at 80x24
        cells = column_cells(grid_lines(app)[-1])
        for n, count in enumerate(below):
            if count:
                assert f"▼{count}" in cells[n].replace("▼ ", "▼"), (n, cells[n])
            else:
                assert "▼" not in cells[n], (n, cells[n])
        assert cells[wed].endswith(f"▼{below[wed]} below")
        # Scrolled down to the evening, what is above says so at the top.
        app.move_cursor(WED, 44)  # 22:00
        await settle(pilot)
        first_slot = grid_lines(app)[grid.sticky_rows]
        assert "▲" in column_cells(first_slot)[wed], first_slot
        # The day view has room for the words.
        await press(pilot, "d")
        app.move_cursor(WED, 20)
        await settle(pilot)
        assert grid_lines(app)[-1].rstrip().endswith("▼ 1 more below")


def _starts_after(item: object, day: date, last: int) -> bool:
    from datetime import datetime

    from sessions_tui.widgets.grid_layout import slot_of

    start = getattr(item, "start", None)
    if not isinstance(start, datetime):
        return False
    local = start.astimezone(CHICAGO)
    return local.date() == day and slot_of(start, CHICAGO) > last


# --- multi-day all-day events ----------------------------------------------------------------


async def test_issue_24_multi_day_all_day_event_is_one_bar(make_app: MakeApp) -> None:
    from datetime import timedelta

    from sessions_tui.services import appointments as ap
    from sessions_tui.services.scheduling import all_day_event

    app = make_app()
    sun = date(2026, 11, 22)
    # A two-day event first (Sun-Mon), then the three-day one (Mon-Wed): drawn day by day, the
    # retreat was on the second line on Monday and the first on Tuesday and Wednesday.
    for title, first, days in (("Audit prep", sun, 2), ("Team retreat", sun + timedelta(1), 3)):
        ap.create(
            app.ctx,
            all_day_event(title, first, days, practitioner_id=None, busy=True, tzid=CHICAGO.key),
        )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = app.screen.query_one(TimeGrid)
        strip = grid_lines(app)[1 : grid.sticky_rows]
        assert len(strip) == 2
        retreat = [line for line in strip if "Team" in line]
        assert len(retreat) == 1, strip  # one line
        line = retreat[0]
        assert line.count("Team") == 1, line  # its title once
        cells = column_cells(line)
        assert len(cells) == 7 - 2, cells  # Mon, Tue and Wed are one cell: a bar
        assert "Team retreat" in cells[1], cells
        prep = next(line for line in strip if "Audit" in line)
        assert len(column_cells(prep)) == 7 - 1  # Sun and Mon, one bar


async def test_issue_24_team_cursor_header_stands_out_without_colour(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "T", "right")
        grid = app.screen.query_one(TimeGrid)
        styled = {
            s.text.strip(): (bool(s.style and s.style.underline), bool(s.style and s.style.reverse))
            for s in grid.render_line(0)
            if s.text.strip() and s.text.strip() != "│"
        }
        cursor = [text for text, marks in styled.items() if any(marks)]
        assert cursor == ["C Carmen L."], styled
