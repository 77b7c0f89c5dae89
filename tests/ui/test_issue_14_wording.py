"""Issue 14's wording list: each item that can come back, checked at 80x24 where it shows."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import Any

import pytest
from test_typeahead import settle
from textual.widgets import Footer, Select, Static

from sessions_tui.app import SessionsApp
from sessions_tui.screens.actions import ENTRIES
from sessions_tui.screens.calendar import CalendarScreen

MakeApp = Callable[..., SessionsApp]


def footer_cut(app: SessionsApp) -> list[str]:
    """The footer keys of the screen on top that do not fit its width (whole)."""
    footer = app.screen.query_one(Footer)
    right = footer.region.right
    return [
        f"{getattr(key, 'key_display', '')} {getattr(key, 'description', '')}"
        for key in footer.query("FooterKey")
        if key.region.width == 0 or key.region.right > right
    ]


@pytest.mark.parametrize("index", range(len(ENTRIES)), ids=[e.label for e in ENTRIES])
async def test_issue_14_footer_fits_80_columns(make_app: MakeApp, index: int) -> None:
    """Every screen of the … menu (and the calendar) shows its whole footer at 80 columns."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert footer_cut(app) == []
        app.push_screen(ENTRIES[index].open())
        await settle(app, pilot)
        assert footer_cut(app) == [], ENTRIES[index].label


HANA = 28  # 14:00 Wednesday: Hana Tanaka with Carmen Liu


@pytest.mark.parametrize(
    "keys",
    [("enter",), ("enter", "e"), ("slash",), ("R",), ("question_mark",), ("f",), ("g",)],
    ids=["details", "editor", "search", "requests", "help", "filters", "go-to"],
)
async def test_issue_14_footer_fits_80_columns_elsewhere(
    make_app: MakeApp, keys: tuple[str, ...]
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.move_cursor(app.cursor_day, HANA)
        await settle(app, pilot)
        for key in keys:
            await pilot.press(key)
            await settle(app, pilot)
        assert not isinstance(app.screen, CalendarScreen), keys
        if app.screen.query(Footer):
            assert footer_cut(app) == [], type(app.screen).__name__


async def test_issue_14_day_names_read_alike_across_the_week(make_app: MakeApp) -> None:
    """80 columns leave columns of 10 and 9 cells: still one form of day name for all."""
    from sessions_tui.widgets.time_grid import TimeGrid

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        header = app.screen.query_one(TimeGrid).render_line(0).text
        labels = [cell.strip().removesuffix("•").strip() for cell in header.split("│")[1:]]
        assert len(labels) == 7, header
        forms = {bool(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}", x)) for x in labels}
        assert forms == {True}, labels  # "Wed 25" beside "Tue 24", never "We 25"


def test_issue_14_legend_letters_wear_the_block_colour() -> None:
    from sessions_tui.domain.model import Role, Staff
    from sessions_tui.widgets.legend import legend_text
    from sessions_tui.widgets.time_grid import tint

    people = [
        Staff(
            id=1,
            login="ben",
            name="Ben Okafor",
            roles=frozenset({Role.PRACTITIONER}),
            color="#2e8b57",
        ),
        Staff(
            id=2,
            login="carmen",
            name="Carmen Liu",
            roles=frozenset({Role.PRACTITIONER}),
            color="purple",
        ),
    ]
    text = legend_text(people, {1: "B", 2: "C"}, 80, "#1e1e1e")
    for person, letter in zip(people, "BC", strict=True):
        at = text.plain.index(f"{letter} ")
        style = text.get_style_at_offset(console(), at)
        assert person.color is not None
        assert style.bgcolor == tint(person.color, "#1e1e1e").bgcolor, letter


def console() -> Any:
    from rich.console import Console

    return Console()


def test_issue_14_counts_read_in_the_right_number() -> None:
    from sessions_tui.domain.text import count_of
    from sessions_tui.sync.ics import ImportReport

    assert count_of(1, "event") == "1 event"
    assert count_of(0, "event") == "0 events"
    assert count_of(2, "entry", "entries") == "2 entries"
    one = ImportReport(added=1, events=1, removed=1, label="x").summary()
    assert one.startswith("Imported 1 event into 'x'"), one
    assert "1 stale occurrence removed" in one
    assert "Imported 2 events" in ImportReport(events=2).summary()


async def test_issue_14_whose_list_never_offers_loading(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("O")
        await settle(app, pilot)
        select = app.screen.query_one("#hours-whose", Select)
        prompts = [str(prompt) for prompt, _value in select._options]
        assert prompts, "the list is empty"
        assert not any("loading" in p for p in prompts), prompts
        assert select.value is not Select.BLANK
        assert not app.screen.query("#hours-whose-loading")


def test_issue_14_google_connect_line_pastes_as_one_working_command() -> None:
    """The line the Google screen suggests parses as `google connect` with --user and
    --client-secrets (a shell joins the backslash-continued lines)."""
    from click.testing import CliRunner

    from sessions_tui.cli.main import cli
    from sessions_tui.screens.sync_words import connect_command
    from sessions_tui.services.sync_settings import Provider

    line = connect_command(
        Provider.GOOGLE, "carmen", "/tmp/a practice.db", user="alice", secrets="/k/c s.json"
    )
    assert all(len(row) <= 72 for row in line.splitlines()), line
    words = shlex.split(line.replace(" \\\n", " "))
    assert words[:3] == ["sessions-tui", "google", "connect"]
    assert words[words.index("--user") + 1] == "alice"
    assert words[words.index("--client-secrets") + 1] == "/k/c s.json"
    assert words[words.index("--db") + 1] == "/tmp/a practice.db"
    # click parses every option before --help acts: an unknown option or a missing value fails.
    result = CliRunner().invoke(cli, [*words[1:], "--help"])
    assert result.exit_code == 0, result.output
    assert "Sign in" in result.output


async def test_issue_14_ids_off_no_ids_in_the_editors_client_suggestions(
    make_app: MakeApp,
) -> None:
    from textual.widgets import Input, OptionList

    from sessions_tui.screens.event_editor import EventEditorScreen
    from sessions_tui.services import practice

    shown: dict[bool, list[str]] = {}
    for ids in (True, False):
        app = make_app()
        practice.update_settings(app.ctx, internal_ids=ids)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            app.move_cursor(app.cursor_day, 6)  # 03:00, free
            await settle(app, pilot)
            await pilot.press("c", "enter")  # a client session
            await settle(app, pilot)
            assert isinstance(app.screen, EventEditorScreen)
            box = app.screen.query_one("#client", Input)
            assert ("internal ID" in box.placeholder) is ids
            await pilot.press(*"Hana")
            await settle(app, pilot)
            matches = app.screen.query_one("#client-matches", OptionList)
            shown[ids] = [
                str(matches.get_option_at_index(n).prompt) for n in range(matches.option_count)
            ]
    assert shown[True]
    assert shown[False]
    assert any("(" in label for label in shown[True]), shown  # the demo's clients have IDs
    assert not any("(" in label for label in shown[False]), shown


async def test_issue_14_ids_off_the_feed_table_says_what_the_feed_uses(
    make_app: MakeApp,
) -> None:
    """A feed set to Internal ID before the practice turned them off names clients by
    initials (services.feeds.client_label): the screen says so, never "Internal ID"."""
    from textual.widgets import DataTable

    from sessions_tui.screens.sync_calendar import SyncCalendarScreen
    from sessions_tui.services import feeds, practice

    app = make_app()
    ben = practice.find_practitioner(app.ctx, "ben")
    feeds.set_identifier(app.ctx, ben.id, feeds.IdentifierMode.INTERNAL_ID)
    practice.update_settings(app.ctx, internal_ids=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.push_screen(SyncCalendarScreen())
        await settle(app, pilot)
        table = app.screen.query_one("#feeds-table", DataTable)
        cells = [str(c) for r in range(table.row_count) for c in table.get_row_at(r)]
        assert "Ben Okafor" in cells
        assert not any("Internal ID" in c for c in cells), cells
        notes = [str(s.content) for s in app.screen.query(Static)]
        assert not any("Internal ID" in n for n in notes), notes
