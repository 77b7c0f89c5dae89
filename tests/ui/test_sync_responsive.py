"""The calendar keeps answering keys while a slow Google sync runs (issue 8).

The Calendar emulator (tests/google_emulator.py) delays every HTTP request; a sync started with
``s`` then takes seconds, and meanwhile n/p/m/w must change the period and the view at once.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_appointments_ui import settle
from textual.pilot import Pilot

from sessions_tui.app import SessionsApp
from sessions_tui.services import google_settings, practice
from sessions_tui.services.context import make_context
from sessions_tui.store.db import open_database
from sessions_tui.sync.google import ENDPOINT_ENV
from sessions_tui.widgets.sync_badge import SyncBadge

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from google_emulator import CalendarEmulator

MakeApp = Callable[..., SessionsApp]
CAL = "primary@example.com"
LATENCY = 1.0
"""Seconds the emulator waits before answering each request."""
HANG = 30.0
"""Only a guard against a hung test, not a speed limit: what the test checks is that each key
took effect while the sync was still running (the UI did not wait for the network)."""


@pytest.fixture
def slow_google(monkeypatch: pytest.MonkeyPatch) -> Iterator[CalendarEmulator]:
    with CalendarEmulator() as emu:
        emu.state.latency = LATENCY
        monkeypatch.setenv(ENDPOINT_ENV, emu.endpoint)
        yield emu


async def until(pilot: Pilot[None], ok: Callable[[], bool], limit: float) -> float:
    t0 = time.monotonic()
    while not ok():
        if time.monotonic() - t0 > limit:
            raise AssertionError(f"still waiting after {limit} s")
        await pilot.pause(0.01)
    return time.monotonic() - t0


async def test_keys_are_handled_while_a_slow_sync_runs(
    make_app: MakeApp, demo_db: Path, slow_google: CalendarEmulator
) -> None:
    db = open_database(str(demo_db))
    try:
        ctx = make_context(db, make_app().clock, "alice")
        alice = practice.find_practitioner(ctx, "alice")
        google_settings.connect(ctx, alice.id, CAL)
    finally:
        db.dispose()
    app = make_app()
    async with app.run_test(size=(110, 36)) as pilot:
        # No periodic sync before the key: the test starts it with `s`.
        app.sync_schedule.last_run = time.monotonic()
        await settle(app, pilot)
        assert not app.syncing
        calls_before = slow_google.state.calls
        await pilot.press("s")
        await until(pilot, lambda: app.syncing, 3)
        badge = app.screen.query_one(SyncBadge)
        assert "syncing" in str(badge.content)

        timings: dict[str, float] = {}
        for key, changed in (
            ("n", lambda before: app.cursor_day > before[0]),
            ("p", lambda before: app.cursor_day < before[0]),
            ("m", lambda before: app.view == "month"),
            ("w", lambda before: app.view == "week"),
        ):
            before = (app.cursor_day, app.view)
            assert app.syncing, f"the sync ended before {key!r}: make LATENCY larger"
            t0 = time.monotonic()
            await pilot.press(key)
            await until(pilot, lambda changed=changed, before=before: changed(before), HANG)
            timings[key] = time.monotonic() - t0
            assert app.syncing, f"{key!r} was not handled while the sync ran"
        print(
            "\nkeys during a slow sync (s):", ", ".join(f"{k} {v:.3f}" for k, v in timings.items())
        )

        # The sync really ran against the emulator and finished on its own.
        took = await until(pilot, lambda: not app.syncing, 30)
        print(f"sync finished {took:.1f} s after the last key; status: {app.sync_status}")
        assert slow_google.state.calls - calls_before >= 2
        assert slow_google.state.live_events(CAL), "nothing was pushed"
        assert "pushed" in app.sync_status
        assert "pushed" in str(app.screen.query_one(SyncBadge).content)
