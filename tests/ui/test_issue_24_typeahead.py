"""Issue 24: type-ahead that is exact and fast.

* Keys that change neither the screen nor the focus go straight to their widget (a burst of
  arrows is not handed over one settled frame at a time); every other key, and the keys behind
  it, wait their turn.
* A held key waits for what the key before it started, however long that takes: a form that
  takes longer than the old half-second limit to open still gets the letters typed ahead of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from test_typeahead import burst, settle

from sessions_tui.app import SessionsApp
from sessions_tui.screens.event_editor import EventEditorScreen

MakeApp = Callable[..., SessionsApp]


async def test_issue_24_arrows_go_straight_view_keys_wait(make_app: MakeApp) -> None:
    app = make_app(view="week")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        burst(app, *["down"] * 20)
        await settle(app, pilot)
        assert app.cursor_slot == 40
        assert [(n.key, n.straight) for n in app.key_log] == [("down", True)] * 20
        app.key_log.clear()
        burst(app, "m", "down", "right", "w", "n", "up", "a", "right")
        await settle(app, pilot)
        assert app.view == "agenda"
        assert [(n.key, n.straight) for n in app.key_log] == [
            ("m", False),  # switches the view (and the focus to it)
            ("down", True),  # behind it: its turn came once the month view had the focus
            ("right", True),
            ("w", False),
            ("n", True),
            ("up", True),
            ("a", False),
            ("right", True),
        ]
        assert [n.focused for n in app.key_log] == [
            "time-grid",
            "month-grid",
            "month-grid",
            "month-grid",
            "time-grid",
            "time-grid",
            "time-grid",
            "agenda-list",
        ]


async def test_issue_24_keys_wait_for_a_slow_form(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The calendar is busy for 1.5 s when the kind is chosen (a loaded machine), so the form
    opens late: ``A v a`` typed with ``c enter`` still reach its client field. (The old order
    gave up waiting after 0.5 s and handed the letters to the calendar: ``v`` opened the view
    picker, ``a`` chose the agenda.)"""
    from sessions_tui.screens.dialogs import ChoiceModal

    chose = ChoiceModal.on_option_list_option_selected

    async def busy() -> None:
        await asyncio.sleep(1.5)

    def slow_choice(self: Any, event: Any) -> None:
        self.app.screen_stack[0].call_later(busy)  # ahead of the answer's callback
        chose(self, event)

    monkeypatch.setattr(ChoiceModal, "on_option_list_option_selected", slow_choice)
    app = make_app(view="week")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        burst(app, "c", "enter", "A", "v", "a")
        for _ in range(100):
            await pilot.pause(0.05)
            if len(getattr(app, "key_log", ())) == 5 and not app._typed:
                break
        await settle(app, pilot)
        assert app.view == "week"
        assert isinstance(app.screen, EventEditorScreen)
        assert app.screen.query_one("#client").value == "Ava"  # type: ignore[attr-defined]
