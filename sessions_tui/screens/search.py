"""Search every date for a client (name or internal ID), title or location.

Type, press enter to move into the results (the first upcoming match is highlighted), then
``n``/``N`` for the next/previous match and enter to jump there on the calendar.

Search looks past the calendar's filter (a name you type is meant to be found), but says so:
a match the filter hides is marked "hidden by the filter" in the list and counted in the
status line, and choosing one asks whether to clear the filter and go there, so the cursor
never lands on a slot that looks empty with no word why (issue 14).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option

from sessions_tui.messages import ReportsWorkerFailures
from sessions_tui.services.calendar import Filters, first_upcoming, search_events
from sessions_tui.services.render import describe
from sessions_tui.services.scheduling import AgendaItem

if TYPE_CHECKING:
    from sessions_tui.app import SessionsApp


HIDDEN = "  (hidden by the filter)"


def result_line(item: AgendaItem, app: SessionsApp) -> str:
    start = item.start.astimezone(app.tz) if isinstance(item.start, datetime) else item.start
    what = describe(item, app.tz, privacy=app.privacy, hours12=app.hours12)
    return f"{start:%a %b} {start.day:>2}, {start.year}  {what}"


def result_text(item: AgendaItem, app: SessionsApp) -> Text:
    """The result's line; dim, and marked in words, when the active filter hides it."""
    if app.filters.shows(item):
        return Text(result_line(item, app))
    return Text(result_line(item, app) + HIDDEN, style="dim")


class SearchResults(OptionList):
    """The matches, one per line with its date."""

    DEFAULT_CSS = "SearchResults { height: 1fr; border: none; }"


class SearchScreen(ReportsWorkerFailures, Screen[AgendaItem | None]):
    """Find events across all dates and jump to one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="search.close", tooltip="Back without jumping"),
        Binding(
            "n", "match(1)", "Next match", id="search.next", tooltip="Highlight the next match"
        ),
        Binding(
            "N",
            "match(-1)",
            "Prev match",
            id="search.previous",
            tooltip="Highlight the previous match",
        ),
        Binding(
            "down",
            "to_results",
            "Results",
            id="search.to-results",
            show=False,
            tooltip="From the search box into the results",
        ),
    ]

    DEFAULT_CSS = """
    SearchScreen #search-input { margin: 0 0; }
    SearchScreen #search-status { padding: 0 1; height: 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.items: Sequence[AgendaItem] = ()

    @property
    def sessions(self) -> SessionsApp:
        return cast("SessionsApp", self.app)

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Client name or ID, title, location", id="search-input")
        yield Label("Type to search every date; enter goes to the results.", id="search-status")
        yield SearchResults(id="search-results")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.run_search(event.value)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_to_results()

    @work(thread=True, exclusive=True, group="search", exit_on_error=False, description="Search")
    def run_search(self, text: str) -> None:
        app = self.sessions
        items = search_events(app.ctx, text, app.tz)
        self.app.call_from_thread(self._show, text, items)

    def _show(self, text: str, items: Sequence[AgendaItem]) -> None:
        if text != self.query_one(Input).value:
            return  # a newer search is on its way
        self.items = items
        results = self.query_one(SearchResults)
        results.clear_options()
        results.add_options(
            [Option(result_text(it, self.sessions), id=str(n)) for n, it in enumerate(items)]
        )
        status = self.query_one("#search-status", Label)
        if not text.strip():
            status.update("Type to search every date; enter goes to the results.")
        elif not items:
            status.update(f"No events match {text.strip()!r}.")
        else:
            hidden = sum(1 for it in items if not self.sessions.filters.shows(it))
            count = f"{len(items)} match{'es' if len(items) != 1 else ''}"
            if hidden:
                count += f", {hidden} hidden by the filter (enter on one offers to clear it)"
            status.update(f"{count}; n/N next/previous, enter jumps there.")
            now = self.sessions.clock.now()
            results.highlighted = first_upcoming(items, now, self.sessions.tz)

    def action_to_results(self) -> None:
        results = self.query_one(SearchResults)
        if results.option_count:
            results.focus()

    def action_match(self, step: int) -> None:
        results = self.query_one(SearchResults)
        if not results.option_count:
            return
        current = results.highlighted if results.highlighted is not None else -step
        results.highlighted = (current + step) % results.option_count
        results.focus()

    @on(OptionList.OptionSelected, "#search-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        item = self.items[event.option_index]
        app = self.sessions
        if app.filters.shows(item):
            self.dismiss(item)
            return
        from sessions_tui.screens.dialogs import ChoiceModal

        facts = app.facts
        summary = (
            app.filters.summary(facts.practitioners, facts.locations)
            if facts is not None
            else "Filter"
        )

        def answered(clear: bool | None) -> None:
            if clear:
                app.apply_filters(Filters())
                self.dismiss(item)

        self.app.push_screen(
            ChoiceModal(
                "The calendar's filter hides this event.",
                [("Clear the filter and go there", True), ("Back to the results", False)],
                detail=f"{summary}. Clearing it shows every event again (f changes it).",
                id="search-hidden",
            ),
            answered,
        )

    def action_close(self) -> None:
        self.dismiss(None)
