"""Issue 13: a stored event whose rule is refused today (an older database, a hand edit) does not
stop the calendar: the views show everything else and a notice names the event and the fix, on
the ordinary start and on the fast (stdlib sqlite3) start alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CHICAGO, CLOCK, NOW
from sqlalchemy import select, text
from sqlmodel import col

from sessions_tui.app import SessionsApp
from sessions_tui.cli.main import _fast_start
from sessions_tui.cli.options import Options
from sessions_tui.config import Config
from sessions_tui.store.db import open_database
from sessions_tui.store.tables import EventRow
from sessions_tui.store.write_guard import writing


def _break_a_series(path: Path) -> int:
    """Hand-edit the first series that has an occurrence in the week on screen."""
    db = open_database(str(path))
    try:
        with writing(), db.session() as s:  # a hand edit, outside the application
            found = s.execute(
                select(col(EventRow.id)).where(col(EventRow.is_series)).order_by(col(EventRow.id))
            ).scalars()
            bad = next(iter(found))
            assert bad is not None
            s.execute(
                text("UPDATE event SET rrule = 'FREQ=DAILY;INTERVAL=0' WHERE id = :i"), {"i": bad}
            )
        return int(bad)
    finally:
        db.dispose()


async def _shown(app: SessionsApp, seen: list[Any]) -> tuple[list[Any], list[str]]:
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen: Any = app.screen
        for _ in range(300):
            if screen.current_items() is not None and any(
                type(m).__name__ == "Notify" for m in seen
            ):
                break
            await pilot.pause(0.02)
        await app.workers.wait_for_complete()
        await pilot.pause()
        items = list(screen.current_items() or [])
    notices = [str(m.notification.message) for m in seen if type(m).__name__ == "Notify"]
    return items, notices


@pytest.mark.parametrize("start", ["ordinary", "fast"])
async def test_issue_13_views_skip_a_stored_bad_rule_with_a_notice(
    start: str,
    demo_db: Path,
    make_app: Callable[..., SessionsApp],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = _break_a_series(demo_db)
    if start == "fast":
        monkeypatch.setenv("SESSIONS_TUI_NOW", NOW)
        found = _fast_start(Options(db=str(demo_db), tz=CHICAGO.key, user="alice"), Config())
        assert found is not None
        fast, tz = found
        app = SessionsApp(ctx=None, tz=tz, config=Config(), clock=CLOCK, fast=fast)
    else:
        app = make_app()
    items, notices = await _shown(app, [])
    assert items, "the rest of the week is shown"
    assert bad not in {i.event.id for i in items}
    assert any(
        f"event {bad} skipped" in n and f"sessions-tui events delete {bad}" in n for n in notices
    ), notices
