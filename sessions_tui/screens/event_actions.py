"""The appointment keys of the calendar: edit, duplicate, cancel, delete, move and undo.

They act on the event under the calendar's cursor (:meth:`CalendarScreen.cursor_event`), so
they live with the screen that owns the cursor, not on the App: :class:`EventActions` is mixed
into :class:`~sessions_tui.screens.calendar.CalendarScreen`, and :data:`EVENT_BINDINGS` is part
of its ``BINDINGS`` (their ids, ``app.edit`` and so on, are kept from when the App held them, so
a ``[keymap]`` written then still applies). The event details screen answers ``e``, ``y``,
``x`` and ``delete`` by closing with the action's name; the calendar then runs it on that event.

The permission to change an event is checked before any question (this/following/all, "Delete
…?"): a key that cannot act says why in one line and asks nothing.

| Key | Action |
| --- | --- |
| e | Edit the event under the cursor |
| y | Duplicate it |
| x | Cancel it (kept, shown as cancelled) |
| delete | Delete it (asks first) |
| M | Move it: arrows, then enter (escape leaves it) |
| u, ctrl+z | Undo the last change |
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding, BindingType

from sessions_tui.domain.errors import SessionsError
from sessions_tui.services.agenda_item import AgendaItem

if TYPE_CHECKING:
    from textual.screen import Screen

    from sessions_tui.app import SessionsApp
    from sessions_tui.services.appointments import Change, OccurrenceRef
    from sessions_tui.services.context import Context

    _Base = Screen[None]
else:
    _Base = object

EVENT_BINDINGS: list[BindingType] = [
    Binding(
        "e",
        "edit_event",
        "Edit",
        id="app.edit",
        show=False,
        tooltip="Edit the event under the cursor",
    ),
    Binding(
        "x",
        "cancel_event",
        "Cancel event",
        id="app.cancel-event",
        show=False,
        tooltip="Cancel the event under the cursor (kept, shown as cancelled)",
    ),
    Binding(
        "delete",
        "delete_event",
        "Delete",
        id="app.delete",
        show=False,
        tooltip="Delete the event under the cursor (asks first)",
    ),
    Binding(
        "y",
        "duplicate_event",
        "Duplicate",
        id="app.duplicate",
        show=False,
        tooltip="Copy the event under the cursor into a new one",
    ),
    Binding(
        "M",
        "move_event",
        "Move",
        id="app.move",
        show=False,
        tooltip="Move the event under the cursor: arrows, then enter",
    ),
    Binding(
        "escape",
        "stop_moving",
        "Stop moving",
        id="app.stop-moving",
        show=False,
        tooltip="Leave move mode without moving",
    ),
    Binding("u", "undo", "Undo", id="app.undo", show=False, tooltip="Undo the last change"),
    Binding(
        "ctrl+z",
        "undo",
        "Undo",
        id="app.undo-ctrl-z",
        show=False,
        tooltip="Undo the last change",
    ),
]

CHANGING = ("edit", "cancel", "delete")
"""The actions that change the event itself (and need the permission to)."""
ACTIONS = ("edit", "duplicate", "cancel", "delete")
"""What the event details screen may ask the calendar to do with its event."""


def refusal(ctx: Context, item: AgendaItem) -> str | None:
    """Why the user may not change ``item`` (one line), or None when they may."""
    from sessions_tui.services.permissions import require_edit_event

    try:
        require_edit_event(ctx.require_actor(), item.event)
    except SessionsError as exc:
        return exc.message
    return None


def occurrence_ref(item: AgendaItem) -> OccurrenceRef:
    """What the appointment services take: the stored event, and the occurrence of a series."""
    from sessions_tui.services.appointments import OccurrenceRef

    event = item.event
    assert event.id is not None
    rid = item.occurrence.recurrence_id if event.series_id is None else None
    return OccurrenceRef(event.id, rid)


def is_recurring(item: AgendaItem) -> bool:
    """Whether the item is part of a series (a rule of its own, or an occurrence of one)."""
    return item.event.rrule is not None or item.event.series_id is not None


class EventActions(_Base):
    """The appointment actions of the calendar screen (see the module's docstring).

    The screen provides ``moving`` (a reactive declared with ``bindings=True``), ``undo_stack``,
    :meth:`cursor_event` and :meth:`invalidate`.
    """

    moving: AgendaItem | None
    undo_stack: list[Change]

    if TYPE_CHECKING:

        @property
        def sessions(self) -> SessionsApp: ...

        def cursor_event(self) -> AgendaItem | None: ...

        def invalidate(self) -> None: ...

    # --- which event, and may I ------------------------------------------------------------

    def event_keys_allowed(self, action: str) -> bool | None:
        """``check_action`` for the keys above: none acts while moving but escape."""
        if action == "stop_moving":
            return self.moving is not None
        if action in ("edit_event", "cancel_event", "delete_event", "duplicate_event"):
            return self.moving is None
        if action in ("move_event", "undo"):
            return self.moving is None
        return True

    def _need_item(self, *, changing: bool = False) -> AgendaItem | None:
        """The event to act on, or None after saying in one line why there is none; with
        ``changing``, also None (said) when the user may not change it, before any question
        (this/following/all) is asked."""
        item = self.cursor_event()
        if item is None:
            self.notify("No event under the cursor.", severity="warning", timeout=3)
            return None
        if item.hold is not None:  # a booking request's held time: no event to act on
            from sessions_tui.services.holds import about_hold

            self.notify(about_hold(item, self.sessions.tz), severity="warning", markup=False)
            return None
        if changing:
            why = refusal(self.sessions.ctx, item)
            if why is not None:
                self.notify(why, severity="error", timeout=5)
                return None
        return item

    def act_on(self, item: AgendaItem, action: str | None) -> None:
        """Run ``action`` (one of :data:`ACTIONS`) on ``item``; None does nothing (the event
        details screen closes with the action the user pressed)."""
        if action is None:
            return
        if action in CHANGING:
            why = refusal(self.sessions.ctx, item)
            if why is not None:
                self.notify(why, severity="error", timeout=5)
                return
        if action == "edit":
            self.open_editor(item.event.kind, item=item)
        elif action == "duplicate":
            self.open_editor(item.event.kind, item=item, duplicate=True)
        elif action in ("cancel", "delete"):
            self.change_event(item, action)

    # --- the keys ----------------------------------------------------------------------------

    def action_edit_event(self) -> None:
        item = self._need_item(changing=True)
        if item is not None:
            self.open_editor(item.event.kind, item=item)

    def action_duplicate_event(self) -> None:
        item = self._need_item()
        if item is not None:
            self.open_editor(item.event.kind, item=item, duplicate=True)

    def action_cancel_event(self) -> None:
        item = self._need_item(changing=True)
        if item is not None:
            self.change_event(item, "cancel")

    def action_delete_event(self) -> None:
        item = self._need_item(changing=True)
        if item is not None:
            self.change_event(item, "delete")

    def action_move_event(self) -> None:
        item = self._need_item(changing=True)
        if item is None:
            return
        app = self.sessions
        if app.view not in ("week", "day", "team"):
            app.view = "week"
        self.moving = item
        self.notify(
            "Moving: arrows pick the new day and time, enter moves it there, "
            "escape leaves it where it was.",
            title="Move",
            timeout=6,
        )

    def action_stop_moving(self) -> None:
        self.moving = None
        self.notify("Not moved.", timeout=3)

    # --- the editor --------------------------------------------------------------------------

    def open_create(self, slot_start: datetime, *, practitioner_id: int | None = None) -> None:
        """Start creating an event at ``slot_start``: first ask which kind, then the form
        (for ``practitioner_id`` when given: the team view's column).

        In move mode, enter on a slot moves the event there instead.
        """
        if self.moving is not None:
            self.finish_move(slot_start)
            return
        from sessions_tui.domain.events import EventKind
        from sessions_tui.screens.dialogs import ChoiceModal

        def chosen(kind: EventKind | None) -> None:
            if kind is not None:
                self.open_editor(kind, start=slot_start, practitioner_id=practitioner_id)

        facts = self.sessions.facts
        people = facts.practitioners if facts is not None and practitioner_id is not None else ()
        whose = next((f" for {p.name}" for p in people if p.id == practitioner_id), "")
        self.app.push_screen(
            ChoiceModal(
                f"New event{whose} at {slot_start:%a %b} {slot_start.day}, {slot_start:%H:%M}",
                [("Client session", EventKind.SESSION), ("Other event", EventKind.OTHER)],
                id="new-kind",
            ),
            chosen,
        )

    def open_editor(
        self,
        kind: Any,
        *,
        start: datetime | None = None,
        item: AgendaItem | None = None,
        duplicate: bool = False,
        practitioner_id: int | None = None,
        quick: Any = None,
    ) -> None:
        from sessions_tui.screens.event_editor import EventEditorScreen

        screen = EventEditorScreen(
            kind,
            start=start,
            item=item,
            duplicate=duplicate,
            practitioner_id=practitioner_id,
            quick=quick,
        )
        self.app.push_screen(screen, self.changed)

    # --- changes in workers ------------------------------------------------------------------

    @work(exclusive=True, group="change", exit_on_error=False, description="Change an event")
    async def change_event(self, item: AgendaItem, what: str) -> None:
        """Cancel or delete, asking first (and which occurrences, for a series)."""
        from sessions_tui.screens.dialogs import confirm, scope_question
        from sessions_tui.services import appointments as ap
        from sessions_tui.services.calendar import display_title

        app = self.sessions
        title = display_title(item, privacy=app.privacy)
        scope = ap.Scope.ALL
        if is_recurring(item):
            picked = await app.push_screen_wait(
                scope_question("Cancel" if what == "cancel" else "Delete")
            )
            if picked is None:
                return
            scope = picked
        if what == "delete":
            ok = await app.push_screen_wait(
                confirm(f"Delete {title}?", "Delete", detail="Undo (u) can bring it back.")
            )
            if not ok:
                return
        ref = occurrence_ref(item)
        try:
            if what == "cancel":
                change = await asyncio.to_thread(ap.cancel, app.ctx, ref, scope)
            else:
                change = await asyncio.to_thread(ap.remove, app.ctx, ref, scope)
        except SessionsError as exc:
            self.notify(exc.message, severity="error", timeout=8)
            return
        self.changed(change)

    @work(exclusive=True, group="change", exit_on_error=False, description="Move an event")
    async def finish_move(self, slot_start: datetime) -> None:
        from sessions_tui.screens.dialogs import confirm, scope_question
        from sessions_tui.services import appointments as ap

        app = self.sessions
        item = self.moving
        self.moving = None
        if item is None:
            return
        start = item.start
        if isinstance(start, datetime):
            delta = slot_start - start
        else:
            delta = timedelta(days=(slot_start.astimezone(app.tz).date() - start).days)
        if not delta:
            self.notify("Same time: not moved.", timeout=3)
            return
        scope = ap.Scope.THIS
        if is_recurring(item):
            picked = await app.push_screen_wait(scope_question("Move"))
            if picked is None:
                return
            scope = picked
        moved = item.event.with_changes(
            start=item.start + delta,  # type: ignore[operator]
            end=item.end + delta,  # type: ignore[operator]
            rrule=None,
            series_id=None,
        )
        ignore = [i for i in (item.event.id, item.event.series_id) if i]
        from sessions_tui.services.holds import warnings_for  # the appointments' and holds'

        warnings = await asyncio.to_thread(warnings_for, app.ctx, moved, ignore_ids=ignore)
        if warnings:
            ok = await app.push_screen_wait(
                confirm("Move anyway?", "Move anyway", detail="It " + "; ".join(warnings) + ".")
            )
            if not ok:
                return
        try:
            change = await asyncio.to_thread(ap.move, app.ctx, occurrence_ref(item), delta, scope)
        except SessionsError as exc:
            self.notify(exc.message, severity="error", timeout=8)
            return
        self.changed(change)

    @work(exclusive=True, group="change", exit_on_error=False, description="Undo")
    async def action_undo(self) -> None:
        from sessions_tui.services import appointments as ap

        if not self.undo_stack:
            self.notify("Nothing to undo.", timeout=3)
            return
        change = self.undo_stack.pop()
        try:
            await asyncio.to_thread(ap.undo, self.sessions.ctx, change)
        except SessionsError as exc:
            self.undo_stack.append(change)
            self.notify(exc.message, severity="error", timeout=8)
            return
        self.notify(f"Undone: {change.description}.", timeout=4)
        self.invalidate()

    def changed(self, change: Change | None) -> None:
        """A change was saved: remember it for undo, redraw, and schedule a sync."""
        if change is None:
            return
        self.undo_stack.append(change)
        del self.undo_stack[:-50]
        self.notify(f"Saved ({change.description}). u undoes it.", timeout=4)
        self.invalidate()
        self.sessions.local_change()
