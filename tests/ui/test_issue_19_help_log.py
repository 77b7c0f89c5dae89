"""Issue 19: the help screen (``?``) shows where the log file is, as ``--help`` does."""

from __future__ import annotations

from collections.abc import Callable

from textual.worker import WorkerCancelled

from sessions_tui.app import SessionsApp
from sessions_tui.logs import log_path
from sessions_tui.screens.help import HelpScreen


async def test_issue_19_help_screen_shows_the_log_file(
    make_app: Callable[..., SessionsApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(200, 32)) as pilot:
        for _ in range(10):  # the calendar's first loads (an exclusive worker may be replaced)
            try:
                await app.workers.wait_for_complete()
                break
            except WorkerCancelled:
                continue
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        intro = str(app.screen.query_one("#help-intro").content)  # type: ignore[attr-defined]
        assert str(log_path()) in intro
        assert "/.local/state/" in intro  # the test's XDG_STATE_HOME, not a real home
