"""App fixtures shared by the Pilot tests (tests/ui) and the snapshots (tests/snapshots): a demo
practice seeded once per session at a fixed "now", copied per test, and an app factory.

Both conftests import these names, so the fixtures are defined once.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.app import SessionsApp
from sessions_tui.clock import FixedClock
from sessions_tui.config import Config
from sessions_tui.domain.timeutil import parse_aware
from sessions_tui.services.context import Context, make_context
from sessions_tui.services.demo import seed_demo
from sessions_tui.store.db import open_database

NOW = "2026-11-25T10:00:00-06:00"
CLOCK = FixedClock(parse_aware(NOW))
CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.delenv("SESSIONS_TUI_NOW", raising=False)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = open_database(str(path))
    seed_demo(Context(db, CLOCK, None))
    db.engine.dispose()
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    return path


@pytest.fixture
def make_app(demo_db: Path) -> Iterator[Callable[..., SessionsApp]]:
    opened = []

    def factory(
        user: str = "alice", tz: ZoneInfo = CHICAGO, config: Config | None = None, **kw: Any
    ) -> SessionsApp:
        db = open_database(str(demo_db))
        opened.append(db)
        ctx = make_context(db, CLOCK, user)
        return SessionsApp(ctx=ctx, tz=tz, config=config or Config(), clock=CLOCK, **kw)

    yield factory
    for db in opened:
        db.engine.dispose()


async def settle(pilot: Any, *, frame: bool = False) -> None:
    """Wait until every worker is done and its messages are handled; with ``frame``, one more
    frame after that (a table sizes its columns to rows added by the last worker on its next
    update: a loaded machine took the picture before it, names cut to the header's width)."""
    import asyncio
    import contextlib

    from textual.worker import WorkerCancelled

    app = pilot.app
    for _ in range(10):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # superseded by a newer exclusive worker: wait for that one
            continue
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break
    await pilot.pause()
    if frame:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(app.screen.wait_for_refresh(), 1.0)
        await pilot.pause()


async def still(pilot: Any, *, rounds: int = 60, gap: float = 0.02) -> int:
    """Wait until the picture stops changing: three pictures, ``gap`` apart, the same (bounded at
    ``rounds``). A settled app can still change after the last worker: a DataTable sizes its
    columns when its message queue runs dry, and the screen redraws on its next update; on a
    loaded machine the snapshot was taken between the two. Text cursors stop blinking (shown
    steadily) first: the picture would change every half second, and a loaded machine took some
    pictures after the first blink. Returns the rounds it took."""
    import re

    for widget in pilot.app.screen.walk_children(with_self=False):
        if getattr(widget, "cursor_blink", False):
            widget.cursor_blink = False

    def picture() -> str:
        return re.sub(r"terminal-\d+", "", pilot.app.export_screenshot())

    last, same = picture(), 0
    for taken in range(1, rounds + 1):
        await pilot.pause(gap)
        await pilot.pause()
        now = picture()
        same = same + 1 if now == last else 0
        if same == 2:
            return taken
        last = now
    return rounds
