"""Issue 24 (left from the first round): an undo refused for good leaves the undo list, with
words about undoing (not the editor's "save again"), so the next ``u`` reaches the change before
it instead of repeating the refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from test_appointments_ui import calendar, press, settle

from sessions_tui.app import SessionsApp
from sessions_tui.domain.errors import NotFoundError
from sessions_tui.domain.events import Event, EventKind
from sessions_tui.services import appointments as ap
from sessions_tui.services import practice, scheduling
from sessions_tui.services.context import make_context

MakeApp = Callable[..., SessionsApp]
START = datetime(2026, 11, 26, 21, 0, tzinfo=UTC)  # Thursday 15:00 in Chicago


def _notices(app: SessionsApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_issue_24_a_refused_undo_leaves_the_list(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        ctx = app.ctx
        ben = practice.find_practitioner(ctx, "ben")

        def other(title: str, hours: int) -> Event:
            at = START + timedelta(hours=hours)
            return Event(
                kind=EventKind.OTHER,
                title=title,
                start=at,
                end=at + timedelta(minutes=30),
                tzid="America/Chicago",
                practitioner_id=ben.id,
            )

        first = ap.create(ctx, other("Team lunch", 0))
        second = ap.create(ctx, other("Case review", 2))
        assert first.result_id is not None
        assert second.result_id is not None
        screen = calendar(app)
        screen.changed(first, "Made Team lunch", subject="Team lunch")
        screen.changed(second, "Made Case review", subject="Case review")
        # Ben renames the second one from his own terminal.
        ap.edit(
            make_context(ctx.db, ctx.clock, "ben"),
            ap.OccurrenceRef(second.result_id, START + timedelta(hours=2)),
            ap.Scope.ALL,
            title="Case review (moved to Friday)",
        )

        await press(app, pilot, "u")
        refusal = _notices(app)[-1]
        assert refusal.startswith("Cannot undo"), refusal
        assert "nothing undone" in refusal
        assert "save again" not in refusal
        assert "Ben Okafor" in refusal or "ben" in refusal
        kept = scheduling.get_event(ctx, second.result_id)
        assert kept.title == "Case review (moved to Friday)", "Ben's change stays"

        await press(app, pilot, "u")  # reaches the change before it: Team lunch is undone
        assert _notices(app)[-1].startswith("Undone"), _notices(app)[-1]
        try:
            scheduling.get_event(ctx, first.result_id)
        except NotFoundError:
            pass
        else:
            raise AssertionError("the earlier change was not undone")
        assert screen.undo_stack == []
