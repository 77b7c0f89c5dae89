"""The calendar's event picking: which event under the cursor the keys act on, and ``enter``.

Several events can share a half hour. ``]`` and ``[`` step through the cursor slot's events,
then the cursor day's all-day events (:meth:`SlotPicking.slot_events`); the picked one is drawn
in reverse video and named in the status bar, and stays picked while the view and the cursor
stay put. :meth:`SlotPicking.cursor_event` is the event the appointment keys
(:mod:`~sessions_tui.screens.event_actions`) act on. ``enter`` opens the picked event, the
only one under the cursor, or a list to choose from; on an empty slot it starts a new event.

| Key | Action |
| --- | --- |
| enter | Open the event under the cursor (a list if several), or new event |
| ] / [ | Pick the next / previous event in the cursor's slot and the all-day row |
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from textual.binding import Binding, BindingType
from textual.widgets import Label

from sessions_tui.messages import CreateRequested
from sessions_tui.screens.calendar_draw import GRID_VIEWS
from sessions_tui.services.agenda_item import AgendaItem
from sessions_tui.widgets.agenda_list import AgendaList
from sessions_tui.widgets.time_grid import TimeGrid

if TYPE_CHECKING:
    from textual.screen import Screen

    from sessions_tui.app import SessionsApp

    _Base = Screen[None]
else:
    _Base = object

PICK_BINDINGS: list[BindingType] = [
    Binding(
        "enter",
        "select",
        "Open/new",
        id="calendar.select",
        show=False,
        tooltip="Open the event under the cursor (a list if several), or start a new one",
    ),
    Binding(
        "right_square_bracket",
        "step_event(1)",
        "Next event",
        id="calendar.next-event",
        show=False,
        tooltip="Pick the next event in the cursor's slot, then the day's all-day events",
    ),
    Binding(
        "left_square_bracket",
        "step_event(-1)",
        "Prev event",
        id="calendar.previous-event",
        show=False,
        tooltip="Pick the previous event in the cursor's slot or the all-day row",
    ),
]
"""The keys of :class:`SlotPicking`, part of ``CalendarScreen.BINDINGS``."""


class SlotPicking(_Base):
    """Picks the event the calendar's keys act on (see the module's docstring).

    The screen calls :meth:`_init_picking` in its ``__init__`` and provides ``sessions``,
    :meth:`current_items`, :meth:`open_event` and :meth:`refresh_view`.
    """

    if TYPE_CHECKING:

        @property
        def sessions(self) -> SessionsApp: ...

        def current_items(self) -> Sequence[AgendaItem] | None: ...

        def open_event(self, item: AgendaItem) -> None: ...

        def column_person(self) -> int | None: ...

        def refresh_view(self) -> None: ...

        moving: AgendaItem | None

    def _init_picking(self) -> None:
        self._pick: tuple[str, date, int, int | None, AgendaItem] | None = None
        """The event picked with ``]`` / ``[``: valid while the view and cursor stay put."""

    def _drop_stale_pick(self) -> None:
        """Forget the picked event once the view or the cursor moved off it."""
        if self._pick is not None and self._picked_item() is None:
            self._pick = None
            self.query_one("#picked", Label).update("")

    def slot_events(self) -> list[AgendaItem]:
        """What ``]`` / ``[`` step through: the cursor slot's events, then the cursor day's
        all-day events."""
        app = self.sessions
        if app.view not in GRID_VIEWS:
            return []
        grid = self.query_one(TimeGrid)
        return grid.events_at(app.cursor_day, app.cursor_slot) + grid.all_day_on(app.cursor_day)

    def _picked_item(self) -> AgendaItem | None:
        if self._pick is None or self._pick[:4] != self._pick_place():
            return None
        return self._pick[4]

    def _pick_place(self) -> tuple[str, date, int, int | None]:
        """Where a pick holds: the view, the cursor's day and slot (and team column)."""
        app = self.sessions
        person = app.cursor_person if app.view == "team" else None
        return (app.view, app.cursor_day, app.cursor_slot, person)

    def cursor_event(self) -> AgendaItem | None:
        """The event the appointment keys act on: the one picked with ``]`` / ``[``, else the
        first under the cursor (the highlighted one in the agenda)."""
        from sessions_tui.services.render import item_days

        app = self.sessions
        if app.view in GRID_VIEWS:
            picked = self._picked_item()
            if picked is not None:
                return picked
            hits = self.query_one(TimeGrid).events_at(app.cursor_day, app.cursor_slot)
            return hits[0] if hits else None
        if app.view == "agenda":
            return self.query_one(AgendaList).current_item
        for item in self.current_items() or ():
            if app.cursor_day in item_days(item, app.tz):
                return item
        return None

    def action_step_event(self, step: int) -> None:
        app = self.sessions
        if app.view not in GRID_VIEWS:
            self.notify("] and [ pick events in the week, day and team views.", timeout=3)
            return
        found = self.slot_events()
        if not found:
            self.notify("No events in this slot or the all-day row.", timeout=3)
            return
        current = self._picked_item()
        at = found.index(current) if current in found else (-1 if step > 0 else len(found))
        item = found[(at + step) % len(found)]
        self._pick = (*self._pick_place(), item)
        self.refresh_view()
        from sessions_tui.services.calendar import display_title

        n = found.index(item) + 1
        self.query_one("#picked", Label).update(
            f" {n}/{len(found)} {display_title(item, privacy=app.privacy)}"
        )

    def candidates(self) -> list[AgendaItem] | None:
        """The events an action on "the event under the cursor" chooses among: the picked one
        (``]`` / ``[``), else every event in the cursor's slot (the grids), the highlighted one
        (the agenda), or the cursor day's events (the month); None while the period loads."""
        from sessions_tui.services.render import item_days

        app = self.sessions
        if app.view == "agenda":
            item = self.query_one(AgendaList).current_item
            return [item] if item is not None else []
        if self.current_items() is None:
            return None
        if app.view in GRID_VIEWS:
            picked = self._picked_item()
            if picked is not None:
                return [picked]
            return self.query_one(TimeGrid).events_at(app.cursor_day, app.cursor_slot)
        return [i for i in self.current_items() or () if app.cursor_day in item_days(i, app.tz)]

    def with_event(
        self, verb: str, then: Callable[[AgendaItem], object], *, changing: bool = False
    ) -> None:
        """Run ``then`` on the event under the cursor; when several share the cursor's slot
        and none is picked, first ask which one (the list ``enter`` shows), offering only
        those the user may change when ``changing``. Says in one line why when there is none
        (or none the user may change), and asks nothing then."""
        from sessions_tui.screens.event_actions import refusal
        from sessions_tui.screens.event_words import whose

        found = self.candidates()
        if found is None:
            self.notify("Still loading this period; try again in a moment.", timeout=3)
            return
        act = then

        def then_or_explain(item: AgendaItem) -> object:
            if item.hold is not None:  # a booking request's held time: no event to act on
                from sessions_tui.services.holds import about_hold

                tz = self.sessions.tz
                self.notify(about_hold(item, tz), severity="warning", markup=False)
                return None
            return act(item)

        if not found:
            self.notify("No event under the cursor.", severity="warning", timeout=3)
            return
        ctx = self.sessions.ctx
        allowed = [
            i for i in found if not changing or i.hold is not None or refusal(ctx, i) is None
        ]
        if not allowed:
            why = refusal(ctx, found[0])
            if len(found) > 1:
                why = f"{why}; this slot holds {whose(found, privacy=self.sessions.privacy)}"
            self.notify(why or "You may not change this event.", severity="error", timeout=6)
            return
        if len(found) == 1:
            then_or_explain(found[0])
            return
        others = [i for i in found if i not in allowed]
        detail = ""
        if others:
            detail = "Not yours to change: " + whose(others, privacy=self.sessions.privacy)
        self._choose_event(allowed, then_or_explain, verb=verb, total=len(found), detail=detail)

    def action_select(self) -> None:
        """Enter: open the picked event, the only one under the cursor, or a list of them;
        on an empty slot, start a new event (the month view opens the day)."""
        app = self.sessions
        if app.view == "month":
            app.view = "day"
            return
        if app.view == "agenda":
            item = self.query_one(AgendaList).current_item
            if item is not None:
                self.open_event(item)
            return
        if self.current_items() is None:
            self.notify("Still loading this period; press enter again in a moment.", timeout=3)
            return
        slot = self.query_one(TimeGrid).slot_start(app.cursor_day, app.cursor_slot)
        if self.moving is not None:  # move mode: enter drops it here, whatever is here
            self.post_message(CreateRequested(slot))
        elif self.candidates():
            self.with_event("Open", self.open_event)
        else:
            self.post_message(CreateRequested(slot, practitioner_id=self.column_person()))

    def _choose_event(
        self,
        hits: list[AgendaItem],
        then: Callable[[AgendaItem], object],
        *,
        verb: str,
        total: int,
        detail: str = "",
    ) -> None:
        """Ask which of ``hits`` (of ``total`` events under the cursor) to ``verb``."""
        from sessions_tui.screens.dialogs import ChoiceModal
        from sessions_tui.screens.event_words import when
        from sessions_tui.services.calendar import display_title

        app = self.sessions

        def label(item: AgendaItem) -> str:
            letter = ""
            facts = app.facts
            pid = item.event.practitioner_id
            if facts is not None and pid is not None:
                letter = facts.markers.get(pid, "")
            at = (
                f"{item.start.astimezone(app.tz):%H:%M} "
                if isinstance(item.start, datetime)
                else ""
            )
            return f"{letter} {at}{display_title(item, privacy=app.privacy)}".strip()

        def chosen(item: AgendaItem | None) -> None:
            if item is not None:
                then(item)

        if app.view in GRID_VIEWS:
            slot = self.query_one(TimeGrid).slot_start(app.cursor_day, app.cursor_slot)
            where = when(slot, app.tz)
        else:
            where = when(app.cursor_day, app.tz)
        self.app.push_screen(
            ChoiceModal(
                f"{total} events at {where}: {verb.lower()} which one?",
                [(label(item), item) for item in hits],
                detail=detail,
                id="slot-events",
            ),
            chosen,
        )
