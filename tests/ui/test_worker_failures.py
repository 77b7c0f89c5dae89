"""Issue 14: one App-level handler for worker failures; a sync that raises leaves `syncing`."""

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


async def test_issue_14_sync_worker_that_raises_resets_sync_state(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sessions_tui.services.google_settings as gs
    import sessions_tui.sync.worker as sw

    def connected(_ctx: Any) -> list[Any]:
        return [SimpleNamespace(connected=True, practitioner=SimpleNamespace(id=1))]

    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("database is locked")  # not a sync error: the worker raises

    monkeypatch.setattr(gs, "list_settings", connected)
    monkeypatch.setattr(sw, "run_google_sync", broken)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.run_sync()  # the schedule's own tick may start one too: wait for every run
        for _ in range(5):
            with contextlib.suppress(WorkerFailed, WorkerCancelled):
                await app.workers.wait_for_complete()
            await pilot.pause()
        assert not app.syncing
        assert not app.sync_schedule.running
        assert app.sync_status == "Google: sync failed"
        texts = [n.message for n in app._notifications]
        assert any("Google sync failed (RuntimeError)" in t for t in texts), texts
        assert all("\n" not in t for t in texts)
        # And sync is not stopped until restart: s starts another run.
        app.sync_schedule.request()
        assert app.sync_schedule.due(10**9)
