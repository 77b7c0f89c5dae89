"""Issue 14: keys that arrive together (one write over SSH) are all handled, in order."""

from __future__ import annotations

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
        burst(app, "left", "left", "left")
        await settle(app, pilot)
        assert app.cursor_day == WED - timedelta(days=3)
        burst(app, *["n"] * 5)
        await settle(app, pilot)
        step = 1 if view in ("day", "team") else 7
        assert app.cursor_day == WED - timedelta(days=3) + timedelta(days=5 * step)
        burst(app, "p", "right", "down", "down", "left", "left", "left", "up", "n")
        await settle(app, pilot)
        expected = WED - timedelta(days=3) + timedelta(days=5 * step) - timedelta(days=step)
        expected += timedelta(days=1 - 3) + timedelta(days=step)
        assert (app.cursor_day, app.cursor_slot) == (expected, 21)
