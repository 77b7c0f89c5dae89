"""Once the start's imports are done, what they made is left out of full garbage collections
(``gc.freeze``): a full pass over it held the UI for ~80-100 ms, one key in thirty."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator

import pytest

from sessions_tui.app import SessionsApp

MakeApp = Callable[..., SessionsApp]


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test process collects as before


async def test_a_terminal_app_freezes_what_its_start_made(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    app = make_app()
    monkeypatch.setattr(SessionsApp, "is_headless", property(lambda self: False))
    async with app.run_test(size=(80, 24)):
        for _ in range(100):  # the help's warm-up runs a second after the start
            if gc.get_freeze_count():
                break
            await asyncio.sleep(0.05)
        assert gc.get_freeze_count() > 10_000  # the screens and the libraries they import


async def test_a_headless_app_leaves_the_collector_alone(make_app: MakeApp, unfrozen: None) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)):
        await asyncio.sleep(1.6)
        assert app.is_headless
        assert gc.get_freeze_count() == 0
