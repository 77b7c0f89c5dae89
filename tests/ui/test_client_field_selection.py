"""The edit form's client field is selected whole when it opens, so typing replaces the client:
the Internal ID that arrives a moment later (the practice's setting is read in a worker) joins
the selection instead of staying behind what is typed ("X (C-1007)")."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from app_fixtures import settle
from textual.widgets import Input

from sessions_tui.app import SessionsApp
from sessions_tui.services import practice

MakeApp = Callable[..., SessionsApp]


async def test_typing_over_a_client_whose_id_came_late_replaces_all_of_it(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = practice.get_settings

    def slow_settings(ctx: Any) -> Any:
        time.sleep(0.3)  # after the field took focus and selected what it held
        return read(ctx)

    monkeypatch.setattr(practice, "get_settings", slow_settings)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key in ("a", "down", "down", "down", "e"):  # the agenda's fourth item: a session
            await pilot.press(key)
            await settle(pilot)
        box = app.screen.query_one("#client", Input)
        assert box.value.endswith(")"), "the demo practice shows Internal IDs"
        assert box.selected_text == box.value
        await pilot.press("Z")
        assert box.value == "Z"
