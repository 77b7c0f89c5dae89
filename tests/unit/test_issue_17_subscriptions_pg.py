"""Issue 17 on a real PostgreSQL: a practitioner subscribes their own calendar over their own
connection (the refresh path, its claim and its one transaction work under row-level security),
and the database itself refuses a subscription row for a colleague's calendar."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sessions_tui.domain.errors import PermissionDenied
from sessions_tui.services.context import make_context
from sessions_tui.services.practice import practitioners
from sessions_tui.store.db import open_database
from sessions_tui.sync import subscriptions as subs

from .test_issue_15_pg_roles import CLOCK, Shared, _refused, shared  # noqa: F401
from .test_issue_17_subscriptions import TWO, feed, ics, vevent  # noqa: F401


def test_issue_17_subscriptions_under_row_level_security(shared: Shared, feed) -> None:  # noqa: F811
    server, url = feed
    server.body = TWO
    db = open_database(shared.url_as("pat"))
    try:
        ctx = make_context(db, CLOCK, shared.login("pat"))
        assert ctx.actor is not None
        first = subs.subscribe(ctx, url, name="Partner", practitioner_id=ctx.actor.id)
        assert first.added == 2
        assert subs.refresh(ctx, "Partner").outcome == "unchanged"  # 304
        server.body = ics(vevent("a@x", "20261021T100000", "20261021T110000", "Only one"))
        changed = subs.refresh(ctx, "Partner")
        assert (changed.updated, changed.removed) == (1, 1)
        quinn = next(p.id for p in practitioners(ctx) if p.login == shared.login("quinn"))
        with pytest.raises(PermissionDenied):
            subs.subscribe(ctx, url, name="Quinn's", practitioner_id=quinn)
    finally:
        db.dispose()
    pat = shared.engine_as("pat")
    try:
        message = _refused(
            pat,
            "INSERT INTO subscription (practitioner_id, name, url, busy, interval_minutes, "
            "created_at, failures, event_count) VALUES ((SELECT id FROM staff WHERE login = :q), "
            "'x', 'https://example.org/x.ics', 'busy', 60, now(), 0, 0)",
            q=shared.login("quinn"),
        )
        assert "row-level security" in message
    finally:
        pat.dispose()
    with shared.db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT count(*) FROM event WHERE source_calendar = :s"),
            {"s": f"subscription:{first.subscription.id}"},
        ).scalar_one()
    assert rows == 1
