"""Issue 17: the CalDAV sync screen in the "…" menu, by keyboard, against a real CalDAV server
(Radicale on 127.0.0.1); the App's sync worker runs CalDAV and the status line says so."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from test_appointments_ui import press, settle
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from sessions_tui.app import SessionsApp
from sessions_tui.screens.actions import ENTRIES
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.sync_screen import CalDavSyncScreen
from sessions_tui.services import caldav_settings, practice
from sessions_tui.sync.caldav.dav import DavClient
from sessions_tui.sync.caldav.secret import save_password

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from caldav_harness import PASSWORD, Remote

MakeApp = Callable[..., SessionsApp]


async def _open(app: SessionsApp, pilot: Pilot[None]) -> None:
    index = next(n for n, e in enumerate(ENTRIES) if e.label == "CalDAV sync")
    await press(app, pilot, "full_stop", *["down"] * index, "enter")


async def test_issue_17_caldav_screen_shows_status_and_syncs(make_app: MakeApp, radicale) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    user = radicale.new_user()
    remote = Remote(radicale, user)
    work = remote.make_calendar("work", "Work")
    async with app.run_test(size=(110, 36)) as pilot:
        app.sync_schedule.last_run = time.monotonic()  # no periodic sync unless asked
        await settle(app, pilot)
        alice = practice.find_practitioner(app.ctx, "alice")
        found = [(c.url, c.name) for c in DavClient(radicale.url, user, PASSWORD).discover()]
        caldav_settings.connect(
            app.ctx, alice.id, url=radicale.url, username=user, calendars=found, default_url=work
        )
        save_password("alice", user, PASSWORD)
        await _open(app, pilot)
        screen = app.screen
        assert isinstance(screen, CalDavSyncScreen)
        await settle(app, pilot)
        table = screen.query_one(DataTable)
        rows = {str(table.get_row_at(n)[0]): n for n in range(table.row_count)}
        assert str(table.get_row_at(rows["Dr. Alice Moreno"])[1]) == "connected"
        await press(app, pilot, *["down"] * rows["Dr. Alice Moreno"])
        detail = str(screen.query_one("#caldav-detail", Static).content)
        assert "Default calendar: Work" in detail
        assert f"as {user}" in detail
        await press(app, pilot, "s")
        for _ in range(500):
            if not app.syncing and "CalDAV: pushed" in app.sync_status:
                break
            await pilot.pause(0.02)
        assert app.sync_status.startswith("CalDAV: pushed ")
        assert "errors 0" in app.sync_status
        assert remote.resources(work)  # alice's events are on the server now
        await settle(app, pilot)
        assert "Pending changes: 0" in str(screen.query_one("#caldav-detail", Static).content)
        await press(app, pilot, "alt+c")
        assert isinstance(app.screen, CalendarScreen)
