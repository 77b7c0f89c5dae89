"""Issue 25: the App's sync state is provider-neutral. Asked to sync with nothing connected, it
names every provider; a run that fails is named by the providers that ran."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from test_typeahead import settle
from textual.worker import WorkerCancelled, WorkerFailed

from sessions_tui.app import SessionsApp

MakeApp = Callable[..., SessionsApp]


async def _runs_end(app: SessionsApp, pilot: Any) -> None:
    for _ in range(5):
        with contextlib.suppress(WorkerFailed, WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()


async def test_issue_25_nothing_to_sync_names_every_provider(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app._sync_asked = True
        app.run_sync()
        await _runs_end(app, pilot)
        texts = [str(n.message) for n in app._notifications]
        assert any(
            "no practitioner is connected to Google or CalDAV (… → Google sync, CalDAV sync)" in t
            for t in texts
        ), texts


async def test_issue_25_a_failed_caldav_run_is_named_caldav(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sessions_tui.services.caldav_settings as cs
    import sessions_tui.sync.worker as sw

    def connected(_ctx: Any) -> list[Any]:
        return [SimpleNamespace(connected=True, practitioner=SimpleNamespace(id=1))]

    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(cs, "list_settings", connected)
    monkeypatch.setattr(sw, "run_caldav_sync", broken)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.run_sync()
        await _runs_end(app, pilot)
        assert not app.syncing
        assert app.sync_status == "CalDAV: sync failed"
