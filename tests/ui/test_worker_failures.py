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
        assert any("Sync failed (RuntimeError)" in t for t in texts), texts
        assert all("\n" not in t for t in texts)
        # And sync is not stopped until restart: s starts another run.
        app.sync_schedule.request()
        assert app.sync_schedule.due(10**9)


async def test_issue_14_a_screens_worker_that_raises_is_reported_in_one_line(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker.StateChanged does not bubble: a screen's failed worker reaches the App's one
    handler all the same (logged, one line), and the app keeps working."""
    import sessions_tui.screens.sync_screen as google_screen

    def broken(*_a: Any) -> Any:
        raise RuntimeError("no such table: google_settings\nsecond line")

    monkeypatch.setattr(google_screen, "load_statuses", broken)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.push_screen(google_screen.GoogleSyncScreen())
        for _ in range(5):
            with contextlib.suppress(WorkerFailed, WorkerCancelled):
                await app.workers.wait_for_complete()
            await pilot.pause()
        texts = [str(n.message) for n in app._notifications]
        failed = [t for t in texts if "Load Google sync status failed (RuntimeError)" in t]
        assert len(failed) == 1, texts  # reported once, not by the screen and the App both
        assert "no such table" not in failed[0]  # the exception's text may name a client
        assert "\n" not in failed[0]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "calendar"  # still running, keys still work


async def test_issue_14_a_cancelled_sync_leaves_the_syncing_state(make_app: MakeApp) -> None:
    """A sync run that ends without SyncFinished (cancelled mid-run) leaves `syncing`."""
    from textual.worker import Worker, WorkerState

    from sessions_tui.messages import SyncStarted

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.post_message(SyncStarted())
        await pilot.pause()
        assert app.syncing
        worker: Worker[None] = Worker(app, lambda: None, group="sync", description="Google sync")
        app.post_message(Worker.StateChanged(worker, WorkerState.CANCELLED))
        await pilot.pause()
        assert not app.syncing
        assert not app.sync_schedule.running


def test_issue_14_every_class_that_starts_a_worker_reports_its_failures() -> None:
    """Each screen or widget with a ``@work`` method or a ``self.run_worker`` call mixes in
    ReportsWorkerFailures (else a worker of it that raises is silent)."""
    import ast
    import importlib
    from pathlib import Path

    from sessions_tui.messages import ReportsWorkerFailures

    def starts_worker(cls: ast.ClassDef) -> bool:
        for node in ast.walk(cls):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for deco in node.decorator_list:
                    target = deco.func if isinstance(deco, ast.Call) else deco
                    if isinstance(target, ast.Name) and target.id == "work":
                        return True
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "run_worker"
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                return True
        return False

    root = Path(__file__).resolve().parents[2] / "sessions_tui"
    checked, missing = [], []
    for folder in ("screens", "widgets"):
        for path in sorted((root / folder).glob("*.py")):
            module = f"sessions_tui.{folder}.{path.stem}"
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.ClassDef) and starts_worker(node):
                    if node.name == "EventActions":  # a mixin of CalendarScreen (checked)
                        continue
                    cls = getattr(importlib.import_module(module), node.name)
                    checked.append(node.name)
                    if not issubclass(cls, ReportsWorkerFailures):
                        missing.append(f"{module}.{node.name}")
    assert len(checked) >= 10, checked
    assert missing == [], f"these start workers but do not report failures: {missing}"
