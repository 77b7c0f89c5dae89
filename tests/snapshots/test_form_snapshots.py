"""Snapshots of the appointment forms and their questions at 80x24 (issue 4).

Regenerate only after looking at the report: ``pytest tests/snapshots --snapshot-update``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerError

from sessions_tui.app import SessionsApp

MakeApp = Callable[..., SessionsApp]
IDLE = {"change", "save", "watch", "sync"}


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for loading workers (not those waiting on a question, nor the periodic ones)."""
    app = pilot.app
    for _ in range(200):
        await pilot.pause()
        busy = [w for w in app.workers if w.is_running and w.group not in IDLE]
        if not busy:
            break
        with contextlib.suppress(WorkerError):  # however they end: the screen shows it
            await app.workers.wait_for_complete(busy)
    await pilot.pause()


async def keys(pilot: Pilot[Any], *pressed: str) -> None:
    for key in pressed:
        await pilot.press(key)
        await settle(pilot)


FORMS = {
    # name: keys from the calendar (cursor Wed Nov 25 10:00, Chicago)
    "kind-question": ["left", "enter"],
    "session-form": ["left", "enter", "enter"],
    "session-form-errors": ["left", "enter", "enter", "ctrl+s"],
    "other-event-form": ["left", "enter", "down", "enter"],
    "edit-session-form": ["a", "down", "down", "down", "e"],
    "scope-question": ["a", "down", "down", "down", "x"],
}


@pytest.mark.parametrize("name", list(FORMS), ids=list(FORMS))
def test_form_at_80x24(snap_compare: Any, make_app: MakeApp, name: str) -> None:
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await keys(pilot, *FORMS[name])
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
