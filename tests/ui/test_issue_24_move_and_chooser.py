"""Issue 24, "Move, exactly" and "One chooser for a crowded slot", at the keys (80x24).

The demo at 2026-11-25 10:00 (Wednesday): Hana Tanaka with Carmen 14:00-15:00 Wednesday, Isla
Fischer with Ben 13:00-13:50 Wednesday, and three sessions at Monday 23 09:00 (Ava Bennett with
Alice, Zoe Kowalski with Ben, Chloe Brennan with Devon), all weekly series of eight.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from test_appointments_ui import CHI, calendar, items, press, settle
from textual.widgets import Label, OptionList

from sessions_tui.app import SessionsApp
from sessions_tui.domain.events import Status
from sessions_tui.screens.dialogs import ChoiceModal
from sessions_tui.screens.event_editor import EventEditorScreen
from sessions_tui.services import practice
from sessions_tui.services.scheduling import AgendaItem
from sessions_tui.widgets.time_grid import TimeGrid

MakeApp = Callable[..., SessionsApp]
WED = date(2026, 11, 25)
MON = date(2026, 11, 23)
SIZE = (80, 24)


def said(app: SessionsApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def question(app: SessionsApp) -> str:
    screen = app.screen
    assert isinstance(screen, ChoiceModal), type(screen)
    return screen.question


def answers(app: SessionsApp) -> list[str]:
    screen = app.screen
    assert isinstance(screen, ChoiceModal), type(screen)
    return [text for text, _value in screen.answers]


SERIES = {"Hana Tanaka": 63, "Isla Fischer": 37}
"""The demo's series of Wednesday 14:00 and 13:00 (their clients have other sessions too)."""


def of(app: SessionsApp, client: str) -> list[AgendaItem]:
    """The sessions of ``client``'s Wednesday series that week, from Sunday 22 on."""
    family = SERIES[client]
    return [
        i for i in items(app, date(2026, 11, 22), 7) if family in (i.event.id, i.event.series_id)
    ]


def hhmm(item: AgendaItem) -> str:
    assert isinstance(item.start, datetime)
    assert isinstance(item.end, datetime)
    return f"{item.start.astimezone(CHI):%a %d %H:%M}-{item.end.astimezone(CHI):%H:%M}"


async def to_hana(app: SessionsApp, pilot: object) -> None:
    """The issue's keys: eight Downs from 10:00 reach Wednesday 14:00, Hana's start."""
    await settle(app, pilot)  # type: ignore[arg-type]
    await press(app, pilot, *["down"] * 8)  # type: ignore[arg-type]
    assert (app.cursor_day, app.cursor_slot) == (WED, 28)


async def to_monday_nine(app: SessionsApp, pilot: object) -> None:
    await settle(app, pilot)  # type: ignore[arg-type]
    await press(app, pilot, "left", "left", "up", "up")  # type: ignore[arg-type]
    assert (app.cursor_day, app.cursor_slot) == (MON, 18)
    assert len(calendar(app).query_one(TimeGrid).events_at(MON, 18)) == 3


# --- Move, exactly ----------------------------------------------------------------------------


async def test_issue_24_move_onto_its_own_slot_half_an_hour(make_app: MakeApp) -> None:
    """``M Down Enter`` on Hana 14:00-15:00 moves her to 14:30 (her own slot was under the
    drop: it opened her details, move mode armed behind them); the ghost follows the cursor
    and the notice says what moved where."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_hana(app, pilot)
        await press(app, pilot, "M", "down")
        grid = calendar(app).query_one(TimeGrid)
        assert grid.ghost is not None
        assert (grid.ghost.day, grid.ghost.slot, grid.ghost.slots) == (WED, 29, 2)
        assert grid.ghost.label == "Hana Tanaka 14:30"
        drawn = [grid.render_line(grid.sticky_rows + s - grid.top).text for s in (29, 30, 31)]
        assert "⇢ Hana" in drawn[0], drawn  # over Hana's own block
        assert "┆" in drawn[1], drawn
        assert "┆" not in drawn[2], drawn
        moving = str(calendar(app).query_one("#moving", Label).content)
        assert moving.startswith("MOVING Hana Tanaka → Wed 25 14:30"), moving
        await press(app, pilot, "enter")
        assert "Move Hana Tanaka, Wed 25 Nov 14:00 to Wed 25 Nov 14:30" in question(app)
        following = "This and following: 4 sessions of Hana Tanaka, Wed 25 Nov 14:00 on"
        assert answers(app)[1] == following
        await press(app, pilot, "enter")  # this session only
        assert not app.screen.is_modal, question(app)
        assert [hhmm(i) for i in of(app, "Hana Tanaka")] == ["Wed 25 14:30-15:30"]
        assert calendar(app).moving is None
        assert grid.ghost is None
        assert any(t.startswith("Moved Hana Tanaka to Wed 25 14:30") for t in said(app)), said(app)
        assert not any("Saved (edit" in t for t in said(app))


async def test_issue_24_move_onto_another_events_slot(make_app: MakeApp) -> None:
    """Hana dropped on Isla's 13:00 (Ben's, no clash for Carmen) moves there; Isla's details
    do not open and Isla stays put."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_hana(app, pilot)
        await press(app, pilot, "M", "up", "up", "enter")
        assert question(app).startswith("Move Hana Tanaka, Wed 25 Nov 14:00 to Wed 25 Nov 13:00")
        await press(app, pilot, "enter")  # this session only
        assert not app.screen.is_modal
        assert [hhmm(i) for i in of(app, "Hana Tanaka")] == ["Wed 25 13:00-14:00"]
        assert [hhmm(i) for i in of(app, "Isla Fischer")] == ["Wed 25 13:00-13:50"]
        assert any(t.startswith("Moved Hana Tanaka to Wed 25 13:00") for t in said(app))


async def test_issue_24_move_onto_a_clash_asks_or_refuses_by_the_practice_rule(
    make_app: MakeApp,
) -> None:
    """Hana onto Carmen's Thursday 16:00 (Mateo Alvarez): asked, naming Mateo, while double
    booking is allowed; refused in one line, naming him, once the practice forbids it."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_hana(app, pilot)
        await press(app, pilot, "M", "right", *["down"] * 4, "enter", "enter")
        assert "Move Hana Tanaka anyway?" in question(app)
        detail = app.screen.detail  # type: ignore[attr-defined]
        assert "Mateo Alvarez" in detail, detail
        await press(app, pilot, "escape")  # go back: not moved
        assert [hhmm(i) for i in of(app, "Hana Tanaka")] == ["Wed 25 14:00-15:00"]

        practice.update_settings(app.ctx, allow_double_booking=False)
        await press(app, pilot, "left", *["up"] * 4)
        await press(app, pilot, "M", "right", *["down"] * 4, "enter", "enter")
        assert not app.screen.is_modal
        assert [hhmm(i) for i in of(app, "Hana Tanaka")] == ["Wed 25 14:00-15:00"]
        last = said(app)[-1]
        assert last.startswith("Not moved: Hana Tanaka, Wed 25 Nov 14:00 would overlap"), last
        assert "Mateo Alvarez" in last
        assert "double booking" in last


async def test_issue_24_lengthen_and_shorten_by_a_slot(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_hana(app, pilot)
        await press(app, pilot, "plus")
        assert question(app).startswith("Lengthen Hana Tanaka, Wed 25 Nov 14:00 to end at 15:30")
        await press(app, pilot, "enter")  # this session only
        assert [hhmm(i) for i in of(app, "Hana Tanaka")] == ["Wed 25 14:00-15:30"]
        assert said(app)[-1].startswith("Lengthened Hana Tanaka, Wed 25 Nov 14:00 to 15:30")
        await press(app, pilot, "shift+up", "enter")
        await press(app, pilot, "minus", "enter")
        assert [hhmm(i) for i in of(app, "Hana Tanaka")] == ["Wed 25 14:00-14:30"]
        await press(app, pilot, "minus")  # half an hour already: refused, nothing asked
        assert not app.screen.is_modal
        assert said(app)[-1].startswith("Not shortened: Hana Tanaka")


# --- One chooser for a crowded slot -----------------------------------------------------------


async def chooser(app: SessionsApp, pilot: object, key: str, verb: str) -> list[str]:
    """Press ``key`` on Monday 09:00: the chooser asks, listing the three; answer Zoe."""
    await press(app, pilot, key)  # type: ignore[arg-type]
    assert app.screen.id == "slot-events", (key, type(app.screen))
    assert question(app) == f"3 events at Mon 23 Nov 09:00: {verb} which one?"
    names = answers(app)
    shown = [n.split(" ", 2)[-1] for n in names]
    assert sorted(shown) == ["Ava Bennett", "Chloe Brennan", "Zoe Kowalski"]
    await press(app, pilot, *["down"] * shown.index("Zoe Kowalski"), "enter")  # type: ignore[arg-type]
    return names


async def test_issue_24_each_action_on_a_crowded_slot_asks_and_names(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_monday_nine(app, pilot)
        screen = calendar(app)

        await chooser(app, pilot, "e", "edit")
        assert isinstance(app.screen, EventEditorScreen)
        assert app.screen.item is not None
        assert app.screen.item.title == "Zoe Kowalski"
        await press(app, pilot, "escape")

        await chooser(app, pilot, "y", "duplicate")
        assert isinstance(app.screen, EventEditorScreen)
        assert app.screen.item is None  # a new event, filled from the chosen one
        assert app.screen.client is not None
        assert app.screen.client.full_name == "Zoe Kowalski"
        await press(app, pilot, "escape")

        await chooser(app, pilot, "x", "cancel")
        assert question(app) == "Cancel Zoe Kowalski, Mon 23 Nov 09:00: one of a series"
        assert answers(app) == [
            "This session only: Zoe Kowalski, Mon 23 Nov 09:00",
            "This and following: 4 sessions of Zoe Kowalski, Mon 23 Nov 09:00 on",
            "All 8 sessions of the series of Zoe Kowalski",
        ]
        await press(app, pilot, "enter")  # this session only
        assert said(app)[-1].startswith("Cancelled Zoe Kowalski, Mon 23 Nov 09:00"), said(app)
        statuses = {i.title: i.status for i in items(app, MON, 1) if i.start == screen_start(i)}
        assert statuses["Zoe Kowalski"] is Status.CANCELLED
        assert statuses["Ava Bennett"] is Status.SCHEDULED

        await chooser(app, pilot, "delete", "delete")
        assert question(app) == "Delete Zoe Kowalski, Mon 23 Nov 09:00: one of a series"
        await press(app, pilot, "down", "enter")  # this and following
        assert question(app) == "Delete 4 sessions of Zoe Kowalski, Mon 23 Nov 09:00 on?"
        await press(app, pilot, "escape")

        await chooser(app, pilot, "M", "move")
        assert screen.moving is not None
        assert screen.moving.title == "Zoe Kowalski"
        assert "Zoe Kowalski" in str(screen.query_one("#moving", Label).content)
        await press(app, pilot, "escape")

        await press(app, pilot, "enter")  # enter asks with the same list
        assert app.screen.id == "slot-events"
        assert question(app) == "3 events at Mon 23 Nov 09:00: open which one?"


def screen_start(item: AgendaItem) -> datetime:
    """Monday 23 09:00 in Chicago: the crowded slot."""
    return datetime(2026, 11, 23, 9, tzinfo=CHI)


async def test_issue_24_picked_event_is_acted_on_without_asking(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_monday_nine(app, pilot)
        await press(app, pilot, "right_square_bracket", "right_square_bracket", "x")
        assert question(app) == "Cancel Zoe Kowalski, Mon 23 Nov 09:00: one of a series"


async def test_issue_24_ben_reaches_his_own_session_in_a_crowded_slot(
    make_app: MakeApp,
) -> None:
    """Ben, a practitioner: ``e`` offers only his own session (it was refused on Ava's, the
    first), and says whose the others are."""
    app = make_app(user="ben")
    async with app.run_test(size=SIZE) as pilot:
        await to_monday_nine(app, pilot)
        await press(app, pilot, "e")
        assert app.screen.id == "slot-events"
        assert question(app) == "3 events at Mon 23 Nov 09:00: edit which one?"
        assert [a.split(" ", 2)[-1] for a in answers(app)] == ["Zoe Kowalski"]
        detail = app.screen.detail  # type: ignore[attr-defined]
        assert "Ava Bennett (Dr. Alice Moreno)" in detail
        assert "Chloe Brennan" in detail
        assert app.screen.query_one(OptionList).highlighted == 0
        await press(app, pilot, "enter")
        assert isinstance(app.screen, EventEditorScreen)
        assert app.screen.item is not None
        assert app.screen.item.title == "Zoe Kowalski"
        assert not any("may only change" in t for t in said(app)), said(app)


def test_issue_24_counts_are_bounded_for_an_endless_series() -> None:
    from sessions_tui.domain.events import Event, EventKind, validate_event
    from sessions_tui.services.series_counts import count_occurrences

    start = datetime(2026, 11, 23, 9, tzinfo=CHI)
    base = Event(
        id=1,
        kind=EventKind.OTHER,
        title="Team meeting",
        start=start,
        end=start + timedelta(hours=1),
        tzid="America/Chicago",
        rrule="FREQ=WEEKLY",
    )
    endless = count_occurrences(validate_event(base), start + timedelta(weeks=2))
    assert (endless.following, endless.total) == (None, None)
    counted = count_occurrences(
        validate_event(base.with_changes(rrule="FREQ=WEEKLY;COUNT=5")), start + timedelta(weeks=2)
    )
    assert (counted.following, counted.total) == (3, 5)


async def test_issue_24_none_of_a_crowded_slot_is_yours_says_whose(make_app: MakeApp) -> None:
    """Carmen has none of the three at Monday 09:00: asked nothing, told whose they are."""
    app = make_app(user="carmen")
    async with app.run_test(size=SIZE) as pilot:
        await to_monday_nine(app, pilot)
        await press(app, pilot, "x")
        assert not app.screen.is_modal
        last = said(app)[-1]
        assert "may only change their own events; this slot holds" in last, last
        assert "Zoe Kowalski (Ben Okafor)" in last
