"""Issue 14: keys that arrive together (one write over SSH) are all handled, in order."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from textual import events
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from sessions_tui.app import SessionsApp

MakeApp = Callable[..., SessionsApp]
WED = date(2026, 11, 25)


def burst(app: SessionsApp, *keys: str) -> None:
    """Deliver ``keys`` at once, as one terminal read would: no pause, no wait for idle
    between them (``pilot.press`` waits for the app to go idle after each key)."""
    driver = app._driver
    assert driver is not None
    for key in keys:
        char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        driver.send_message(event)


async def settle(app: SessionsApp, pilot: Pilot[None]) -> None:
    for _ in range(10):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break
    await pilot.pause()


@pytest.mark.parametrize("view", ["week", "day", "team"])
async def test_issue_14_typeahead_never_drops_a_key(make_app: MakeApp, view: str) -> None:
    app = make_app(view=view)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert (app.cursor_day, app.cursor_slot) == (WED, 20)
        # Pressed with no pause between them, as one write over SSH delivers them.
        burst(app, *["up"] * 20)
        await settle(app, pilot)
        assert app.cursor_slot == 0
        burst(app, *["down"] * 20)
        await settle(app, pilot)
        assert app.cursor_slot == 20
        # In the team view left/right step through the four practitioners' columns, a day
        # at a time only past the first or last (issue 24): from the first column, three
        # lefts are the day before's second column; then right and three lefts, one more day.
        back3, mixed = (-1, -1) if view == "team" else (-3, -2)
        burst(app, "left", "left", "left")
        await settle(app, pilot)
        assert app.cursor_day == WED + timedelta(days=back3)
        burst(app, *["n"] * 5)
        await settle(app, pilot)
        step = 1 if view in ("day", "team") else 7
        assert app.cursor_day == WED + timedelta(days=back3) + timedelta(days=5 * step)
        burst(app, "p", "right", "down", "down", "left", "left", "left", "up", "n")
        await settle(app, pilot)
        expected = WED + timedelta(days=back3) + timedelta(days=5 * step) - timedelta(days=step)
        expected += timedelta(days=mixed) + timedelta(days=step)
        assert (app.cursor_day, app.cursor_slot) == (expected, 21)


async def test_a_burst_is_drawn_when_its_keys_are_handled_not_between_them(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Input may not coalesce, rendering may: while keys of a burst wait their turn no frame is
    drawn (here the in-burst frame interval is longer than the test), and the last key's
    result is on screen once they are handled."""
    from sessions_tui import app_typeahead

    monkeypatch.setattr(app_typeahead, "FRAME_EVERY", 3600.0, raising=False)
    app = make_app(view="week")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        drawn_while_waiting: list[int] = []
        drawn: list[int] = []
        display = app._display

        def counting(screen: object, renderable: object) -> None:
            (drawn_while_waiting if app._typed else drawn).append(len(app._typed))
            display(screen, renderable)  # type: ignore[arg-type]

        monkeypatch.setattr(app, "_display", counting)
        burst(app, *["up"] * 20)
        await settle(app, pilot)
        assert app.cursor_slot == 0
        assert drawn_while_waiting == []
        assert drawn, "the burst's result was never drawn"
        shown = html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")
        top = next(line for line in shown.splitlines() if line.lstrip().startswith("00:00"))
        assert "▸" in top  # the cursor drawn on the first slot, where 20 Up took it
