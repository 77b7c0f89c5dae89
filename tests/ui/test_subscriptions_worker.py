"""Issue 17 in the TUI: the App's worker refreshes due subscriptions in the background, the
calendar shows the new copy marked ``⇣``, and a feed that starts failing is said once."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from app_fixtures import CLOCK
from test_typeahead import settle
from textual.worker import WorkerCancelled, WorkerFailed
from unit.test_issue_17_subscriptions import feed, ics, vevent  # noqa: F401

from sessions_tui.app import SessionsApp
from sessions_tui.services.context import make_context
from sessions_tui.services.subscriptions import list_subscriptions
from sessions_tui.store.db import open_database
from sessions_tui.sync import subscriptions as subs
from sessions_tui.widgets.time_grid import event_markers

MakeApp = Callable[..., SessionsApp]


async def _wait(app: SessionsApp, pilot) -> None:
    for _ in range(5):
        with contextlib.suppress(WorkerFailed, WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()


async def test_the_worker_refreshes_due_subscriptions_and_says_when_one_fails(
    make_app: MakeApp,
    demo_db: Path,
    feed,  # noqa: F811
) -> None:
    server, url = feed
    server.body = ics(vevent("a@x", "20261125T070000", "20261125T080000", "Early run"))
    db = open_database(str(demo_db))
    try:
        # Subscribed an interval ago: due when the App starts.
        earlier = make_context(db, type(CLOCK)(CLOCK.now() - timedelta(hours=2)), "alice")
        assert earlier.actor is not None
        subs.subscribe(earlier, url, name="Partner", practitioner_id=earlier.actor.id)
    finally:
        db.engine.dispose()
    server.body = ics(vevent("b@x", "20261125T071500", "20261125T081500", "Partner run"))
    app = make_app(view="day")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        app._subscriptions_tick()  # what the 60 s timer does
        await _wait(app, pilot)
        screen = app.screen
        items = [i for i in screen.current_items() if i.event.source_calendar]  # type: ignore[attr-defined]
        assert [i.title for i in items] == ["Partner run"]
        assert "⇣" in event_markers(items[0], "A")
        # The feed breaks, and the subscription is due again: one warning, the copy stays.
        server.mode = "500"
        db = open_database(str(demo_db))
        try:
            with db.session() as s:
                from sessions_tui.store.tables import SubscriptionRow

                for row in s.query(SubscriptionRow):
                    row.last_attempt_at = CLOCK.now() - timedelta(hours=2)
        finally:
            db.engine.dispose()
        app._subscriptions_tick()
        await _wait(app, pilot)
        texts = [n.message for n in app._notifications]
        assert sum("Partner: failed" in t for t in texts) == 1, texts
        assert any("keeping the last good copy" in t for t in texts)
        [sub] = list_subscriptions(app.ctx)
        assert sub.last_error is not None
        assert sub.event_count == 1


async def test_the_subscriptions_page_lists_state_and_refreshes_on_r(
    make_app: MakeApp,
    demo_db: Path,
    feed,  # noqa: F811
) -> None:
    from textual.widgets import DataTable, Static

    from sessions_tui.screens.subscriptions import SubscriptionsScreen

    server, url = feed
    server.body = ics(vevent("a@x", "20261125T070000", "20261125T080000", "Early run"))
    db = open_database(str(demo_db))
    try:
        ctx = make_context(db, CLOCK, "alice")
        assert ctx.actor is not None
        subs.subscribe(ctx, url, name="Partner", practitioner_id=ctx.actor.id)
    finally:
        db.engine.dispose()
    server.mode = "500"
    app = make_app(view="day")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        app.push_screen(SubscriptionsScreen())
        await _wait(app, pilot)
        screen = app.screen
        assert isinstance(screen, SubscriptionsScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 1
        asked = len(server.requests)
        await pilot.press("r")
        await _wait(app, pilot)
        assert len(server.requests) == asked + 1
        detail = str(screen.query_one("#subscriptions-detail", Static).render())
        assert "failing: the feed answered HTTP 500" in detail
        assert "keeping the last good copy" in detail
        assert str(table.get_row_at(0)[-1]) == "failing"
