"""Issue 14: search with an active filter never lands silently on an event the filter hides:
such a match is marked in words, counted, and choosing it offers to clear the filter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.pilot import Pilot
from textual.widgets import OptionList
from textual.worker import WorkerCancelled

from sessions_tui.app import SessionsApp
from sessions_tui.domain.timeutil import days_bounds
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.dialogs import ChoiceModal
from sessions_tui.screens.search import HIDDEN, SearchScreen
from sessions_tui.services.calendar import Filters, reader_window_items
from sessions_tui.widgets.time_grid import slot_of

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


async def _search(app: SessionsApp, pilot: Pilot[None], text: str) -> SearchScreen:
    await pilot.press("slash")
    await _settle(app, pilot)
    assert isinstance(app.screen, SearchScreen)
    await pilot.press(*text)
    await _settle(app, pilot)
    return app.screen


def _status(screen: SearchScreen) -> str:
    return str(screen.query_one("#search-status").content)  # type: ignore[attr-defined]


async def test_issue_14_search_says_a_match_is_hidden_and_offers_to_clear(
    make_app: MakeApp,
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await _settle(app, pilot)
        assert app.facts is not None
        carmen = next(p for p in app.facts.practitioners if p.login == "carmen")
        app.apply_filters(Filters(practitioner_ids=frozenset({carmen.id})))
        await _settle(app, pilot)

        # Carmen's client: a match is marked exactly when the calendar's filtered window of
        # its day leaves it out.
        screen = await _search(app, pilot, "Hana")
        results = screen.query_one(OptionList)
        assert results.option_count > 0
        marked = 0
        for n, item in enumerate(screen.items):
            day = (
                item.start.astimezone(app.tz).date()
                if isinstance(item.start, datetime)
                else item.start
            )
            window = reader_window_items(
                app.reader, *days_bounds(day, 1, app.tz), app.tz, app.filters
            )
            on_calendar = any((w.event.id, w.start) == (item.event.id, item.start) for w in window)
            is_marked = HIDDEN.strip() in str(results.get_option_at_index(n).prompt)
            assert is_marked is not on_calendar, item
            marked += is_marked
        assert marked < len(screen.items)  # most of Hana's sessions are with Carmen
        if marked:
            assert f"{marked} hidden by the filter" in _status(screen)
        else:
            assert "hidden" not in _status(screen)
        await pilot.press("escape")
        await _settle(app, pilot)

        # Alice's client: the filter hides them all; the list and the status say so.
        screen = await _search(app, pilot, "Maya")
        results = screen.query_one(OptionList)
        hidden = [it for it in screen.items if not app.filters.shows(it)]
        assert hidden
        assert len(hidden) == len(screen.items)
        assert f"{len(hidden)} hidden by the filter" in _status(screen)
        assert HIDDEN.strip() in str(results.get_option_at_index(0).prompt)

        # Choosing one asks first; "back" keeps the filter and the results.
        await pilot.press("enter", "enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, ChoiceModal)
        chosen = screen.items[results.highlighted or 0]
        await pilot.press("down", "enter")
        await _settle(app, pilot)
        back: object = app.screen
        assert back is screen
        assert app.filters.practitioner_ids == frozenset({carmen.id})

        # "Clear the filter and go there": the filter goes, the cursor is on the event.
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, CalendarScreen)
        assert not app.filters.active
        assert isinstance(chosen.start, datetime)
        assert app.cursor_day == chosen.start.astimezone(app.tz).date()
        assert app.cursor_slot == slot_of(chosen.start, app.tz)
        items = app.screen.current_items()
        assert items is not None
        assert any(it.event.id == chosen.event.id for it in items)  # drawn, not hidden
