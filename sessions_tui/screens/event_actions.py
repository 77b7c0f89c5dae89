"""The appointment keys of the calendar: edit, duplicate, cancel, delete, move and undo.

They act on the event under the calendar's cursor (:meth:`CalendarScreen.cursor_event`), so
they live with the screen that owns the cursor, not on the App: :class:`EventActions` is mixed
into :class:`~sessions_tui.screens.calendar.CalendarScreen`, and :data:`EVENT_BINDINGS` is part
of its ``BINDINGS`` (their ids, ``app.edit`` and so on, are kept from when the App held them, so
a ``[keymap]`` written then still applies). The event details screen answers ``e``, ``y``,
``x`` and ``delete`` by closing with the action's name; the calendar then runs it on that event.

The permission to change an event is checked before any question (this/following/all, "Delete
…?"): a key that cannot act says why in one line and asks nothing. On a slot of several events
with none picked (``]`` / ``[``), each key first asks which one, with the list ``enter`` shows,
offering only the events the user may change (:meth:`SlotPicking.with_event`). Every question
and notice names the event, and for a series how many occurrences the answer touches
(:mod:`~sessions_tui.screens.event_words`).

In move mode (``M``) a ghost of the event follows the cursor and ``enter`` drops it at the
cursor, whatever is there; a clash is asked about, or refused when the practice forbids double
booking, naming what it clashes with.

| Key | Action |
| --- | --- |
| e | Edit the event under the cursor |
| y | Duplicate it |
| x | Cancel it (kept, shown as cancelled) |
| delete | Delete it (asks first) |
| M | Move it: arrows, then enter (escape leaves it) |
| + / shift+down | Lengthen it by half an hour |
| - / shift+up | Shorten it by half an hour |
| u, ctrl+z | Undo the last change |
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding, BindingType

from sessions_tui.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDenied,
    SessionsError,
)
from sessions_tui.screens import event_words as words
from sessions_tui.services.agenda_item import AgendaItem
from sessions_tui.widgets.grid_layout import SLOT_MINUTES, slot_of, slot_start
from sessions_tui.widgets.grid_paint import Ghost

if TYPE_CHECKING:
    from textual.screen import Screen

    from sessions_tui.app import SessionsApp
    from sessions_tui.domain.events import Event
    from sessions_tui.services.appointments import Change, OccurrenceRef, Scope
    from sessions_tui.services.context import Context
    from sessions_tui.services.series_counts import SeriesCounts

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
        "plus",
        "resize_event(1)",
        "Longer",
        id="app.lengthen",
        show=False,
        tooltip="Lengthen the event under the cursor by half an hour",
    ),
    Binding(
        "shift+down",
        "resize_event(1)",
        "Longer",
        id="app.lengthen-shift-down",
        show=False,
        tooltip="Lengthen the event under the cursor by half an hour (as +)",
    ),
    Binding(
        "minus",
        "resize_event(-1)",
        "Shorter",
        id="app.shorten",
        show=False,
        tooltip="Shorten the event under the cursor by half an hour (not below half an hour)",
    ),
    Binding(
        "shift+up",
        "resize_event(-1)",
        "Shorter",
        id="app.shorten-shift-up",
        show=False,
        tooltip="Shorten the event under the cursor by half an hour (as -)",
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


def as_occurrence(item: AgendaItem, **times: object) -> Event:
    """``item``'s event as this one occurrence with new ``times``, keeping who it is: the
    booking rule then leaves out only the occurrence itself, not its series' other ones."""
    event = item.event
    if event.rrule is not None and event.series_id is None:  # the series' own occurrence
        return event.with_changes(
            id=None,
            rrule=None,
            series_id=event.id,
            recurrence_id=item.occurrence.recurrence_id,
            **times,
        )
    return event.with_changes(**times)


def is_recurring(item: AgendaItem) -> bool:
    """Whether the item is part of a series (a rule of its own, or an occurrence of one)."""
    return item.event.rrule is not None or item.event.series_id is not None


class EventActions(_Base):
    """The appointment actions of the calendar screen (see the module's docstring).

    The screen provides ``moving`` (a reactive declared with ``bindings=True``), ``undo_stack``,
    :meth:`with_event` (which event, asked on a crowded slot) and :meth:`invalidate`.
    """

    moving: AgendaItem | None
    undo_stack: list[Change]

    if TYPE_CHECKING:

        @property
        def sessions(self) -> SessionsApp: ...

        def with_event(
            self, verb: str, then: Callable[[AgendaItem], object], *, changing: bool = False
        ) -> None: ...

        def invalidate(self) -> None: ...

        def current_items(self) -> Sequence[AgendaItem] | None: ...

    # --- which event, and may I ------------------------------------------------------------

    def event_keys_allowed(self, action: str) -> bool | None:
        """``check_action`` for the keys above: none acts while moving but escape."""
        if action == "stop_moving":
            return self.moving is not None
        if action in (
            "edit_event",
            "cancel_event",
            "delete_event",
            "duplicate_event",
            "resize_event",
            "move_event",
            "undo",
        ):
            return self.moving is None
        return True

    def _called(self, item: AgendaItem) -> str:
        """``Ava Bennett, Mon 23 Nov 09:00``."""
        return words.name(item, self.sessions.tz, privacy=self.sessions.privacy)

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
            self.edit(item)
        elif action == "duplicate":
            self.duplicate(item)
        elif action in ("cancel", "delete"):
            self.change_event(item, action)

    # --- the keys ----------------------------------------------------------------------------

    def action_edit_event(self) -> None:
        self.with_event("Edit", self.edit, changing=True)

    def action_duplicate_event(self) -> None:
        self.with_event("Duplicate", self.duplicate)

    def action_cancel_event(self) -> None:
        self.with_event("Cancel", lambda item: self.change_event(item, "cancel"), changing=True)

    def action_delete_event(self) -> None:
        self.with_event("Delete", lambda item: self.change_event(item, "delete"), changing=True)

    def action_move_event(self) -> None:
        self.with_event("Move", self.start_moving, changing=True)

    def action_resize_event(self, slots: int) -> None:
        verb = "Lengthen" if slots > 0 else "Shorten"
        self.with_event(verb, lambda item: self.resize_event(item, slots), changing=True)

    def start_moving(self, item: AgendaItem) -> None:
        """Move mode for ``item``: the cursor goes to its start, where its ghost is drawn."""
        app = self.sessions
        if app.view not in ("week", "day", "team"):
            app.view = "week"
        self.moving = item
        if isinstance(item.start, datetime):
            local = item.start.astimezone(app.tz)
            app.move_cursor(local.date(), slot_of(local, app.tz))
        self.notify(
            f"Moving {self._called(item)}: arrows, then enter; escape leaves it.",
            title="Move",
            timeout=3,
        )

    def moving_label(self) -> str:
        """The status bar in move mode: ``MOVING Ava Bennett → Wed 25 14:30 · enter drops · esc``
        (where enter would drop it)."""
        item = self.moving
        if item is None:
            return ""
        app = self.sessions
        who = words.title(item, privacy=app.privacy)
        if isinstance(item.start, datetime):
            to = self._landing(item, slot_start(app.cursor_day, app.cursor_slot, app.tz))
            where = words.short_when(to, app.tz)
        else:
            where = words.short_when(app.cursor_day, app.tz)
        return f"MOVING {who} → {where} · enter drops · esc"

    def action_stop_moving(self) -> None:
        self.moving = None
        self.notify("Not moved.", timeout=3)

    def ghost(self) -> Ghost | None:
        """Where the event being moved would land: the cursor's slot, its length, its label."""
        item = self.moving
        app = self.sessions
        if item is None or not isinstance(item.start, datetime):
            return None
        assert isinstance(item.end, datetime)
        start = self._landing(item, slot_start(app.cursor_day, app.cursor_slot, app.tz))
        slots = max(1, -(-int((item.end - item.start).total_seconds()) // (SLOT_MINUTES * 60)))
        label = f"{words.title(item, privacy=app.privacy)} {start.astimezone(app.tz):%H:%M}"
        return Ghost(app.cursor_day, app.cursor_slot, slots, label, item.event.practitioner_id)

    def _landing(self, item: AgendaItem, slot: datetime) -> datetime:
        """Where ``item`` starts when dropped on the slot starting at ``slot``: its minutes
        past the half hour kept (a 09:15 session dropped on 10:00 starts at 10:15)."""
        assert isinstance(item.start, datetime)
        tz = self.sessions.tz
        local = item.start.astimezone(tz)
        own = slot_start(local.date(), slot_of(local, tz), tz)
        return slot + (item.start - own)

    # --- the editor --------------------------------------------------------------------------

    def edit(self, item: AgendaItem) -> None:
        self.open_editor(item.event.kind, item=item, saved=f"Saved {self._called(item)}")

    def duplicate(self, item: AgendaItem) -> None:
        saved = f"Saved a copy of {self._called(item)}"
        self.open_editor(item.event.kind, item=item, duplicate=True, saved=saved)

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
        saved: str | None = None,
    ) -> None:
        """The editor; ``saved`` is the notice once it saved (naming the event)."""
        from sessions_tui.screens.event_editor import EventEditorScreen

        screen = EventEditorScreen(
            kind,
            start=start,
            item=item,
            duplicate=duplicate,
            practitioner_id=practitioner_id,
            quick=quick,
        )
        subject = self._called(item) if item is not None else None
        self.app.push_screen(screen, lambda change: self.changed(change, saved, subject=subject))

    # --- questions ---------------------------------------------------------------------------

    async def _ask_scope(
        self, item: AgendaItem, verb: str, question: str
    ) -> tuple[Scope | None, SeriesCounts | None]:
        """This / following / all for an occurrence of a series, each answer saying how many
        occurrences it touches; (``Scope.ALL``, None) for a one-off event."""
        from sessions_tui.screens.dialogs import scope_question
        from sessions_tui.services.appointments import Scope
        from sessions_tui.services.series_counts import series_counts

        if not is_recurring(item):
            return Scope.ALL, None
        app = self.sessions
        try:
            counts = await asyncio.to_thread(series_counts, app.ctx, item.event, item.recurrence_id)
        except SessionsError:
            counts = None
        labels = words.scope_labels(item, counts, app.tz, privacy=app.privacy)
        scope = await app.push_screen_wait(scope_question(verb, question=question, labels=labels))
        return scope, counts

    async def _clash_allowed(self, item: AgendaItem, moved: Event, verb: str, done: str) -> bool:
        """The practice's double-booking rule for ``moved`` (``item`` with its new times): a
        clash is refused (said, naming it) when the practice forbids double booking, else
        asked about with the office-hours warning; True to go on."""
        from sessions_tui.screens.dialogs import confirm
        from sessions_tui.services import practice

        app = self.sessions
        ignore = [i for i in (item.event.id, item.event.series_id) if i]
        from sessions_tui.services.holds import warnings_for  # the appointments' and holds'

        # ``moved`` says which occurrence it is: the rule leaves out that one alone.
        warnings = await asyncio.to_thread(warnings_for, app.ctx, moved, ignore_ids=())
        overlaps = [w.removeprefix("overlaps ") for w in warnings if w.startswith("overlaps ")]
        named = [self._called(c) for c in self._clashes_shown(moved, ignore)]
        if overlaps and named:  # the client's name, where the service says "a session"
            overlaps = named
            warnings = [f"overlaps {'; '.join(named)}"] + [
                w for w in warnings if not w.startswith("overlaps ")
            ]
        if overlaps:
            settings = await asyncio.to_thread(practice.get_settings, app.ctx)
            if not settings.allow_double_booking:
                self.notify(
                    f"Not {done}: {self._called(item)} would overlap {overlaps[0]}, and the "
                    "practice does not allow double booking.",
                    severity="error",
                    timeout=8,
                )
                return False
        if warnings:
            ok = await app.push_screen_wait(
                confirm(
                    f"{verb} {words.title(item, privacy=app.privacy)} anyway?",
                    f"{verb} anyway",
                    detail=f"{words.when(moved.start, app.tz)}: it " + "; ".join(warnings) + ".",
                )
            )
            return bool(ok)
        return True

    def _clashes_shown(self, moved: Event, ignore: list[int]) -> list[AgendaItem]:
        """The loaded events ``moved`` would overlap: its practitioner's busy ones."""
        found = []
        for other in self.current_items() or ():
            ev = other.event
            if ev.id in ignore or ev.series_id in ignore or not ev.busy or ev.is_cancelled:
                continue
            if ev.practitioner_id != moved.practitioner_id or moved.practitioner_id is None:
                continue
            if not isinstance(other.start, datetime) or not isinstance(other.end, datetime):
                continue
            if other.start < moved.end and moved.start < other.end:  # type: ignore[operator]
                found.append(other)
        return found

    # --- changes in workers ------------------------------------------------------------------

    @work(exclusive=True, group="change", exit_on_error=False, description="Change an event")
    async def change_event(self, item: AgendaItem, what: str) -> None:
        """Cancel or delete, asking first (and which occurrences, for a series)."""
        from sessions_tui.screens.dialogs import confirm
        from sessions_tui.services import appointments as ap

        app = self.sessions
        verb = "Cancel" if what == "cancel" else "Delete"
        name = self._called(item)
        scope, counts = await self._ask_scope(item, verb, f"{verb} {name}: one of a series")
        if scope is None:
            return
        what_goes = words.scope_text(item, scope, counts, app.tz, privacy=app.privacy)
        if what == "delete":
            ok = await app.push_screen_wait(
                confirm(f"Delete {what_goes}?", "Delete", detail="Undo (u) can bring it back.")
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
            self.notify(f"Not {what}ed: {exc.message}", severity="error", timeout=8)
            return
        done = "Cancelled" if what == "cancel" else "Deleted"
        self.changed(change, f"{done} {what_goes}", subject=name)

    @work(exclusive=True, group="change", exit_on_error=False, description="Move an event")
    async def finish_move(self, slot: datetime) -> None:
        """Drop the event being moved on the slot starting at ``slot`` (move mode's enter)."""
        from sessions_tui.services import appointments as ap

        app = self.sessions
        item = self.moving
        self.moving = None
        if item is None:
            return
        name = self._called(item)
        start = item.start
        if isinstance(start, datetime):
            delta = self._landing(item, slot) - start
        else:
            delta = timedelta(days=(slot.astimezone(app.tz).date() - start).days)
        if not delta:
            self.notify(f"Not moved: {name} is there already.", timeout=3)
            return
        new_start = item.start + delta  # type: ignore[operator]
        new_end = item.end + delta  # type: ignore[operator]
        to = words.short_when(new_start, app.tz)
        question = f"Move {name} to {words.when(new_start, app.tz)}"
        scope, counts = await self._ask_scope(item, "Move", question)
        if scope is None:
            self.notify("Not moved.", timeout=3)
            return
        moved = as_occurrence(item, start=new_start, end=new_end)
        if not await self._clash_allowed(item, moved, "Move", "moved"):
            return
        try:
            # The service's move: every occurrence in scope shifts by the same time (those
            # moved on their own before too), and a series' end moves with it.
            change = await asyncio.to_thread(ap.move, app.ctx, occurrence_ref(item), delta, scope)
        except SessionsError as exc:
            self.notify(f"Not moved: {exc.message}", severity="error", timeout=8)
            return
        who = words.title(item, privacy=app.privacy)
        notice = f"Moved {who} to {to}"
        if is_recurring(item):
            notice += f" ({words.touched(item, scope, counts)})"
        self.changed(change, notice, subject=name)

    @work(exclusive=True, group="change", exit_on_error=False, description="Resize an event")
    async def resize_event(self, item: AgendaItem, slots: int) -> None:
        """Lengthen (``slots`` > 0) or shorten the event by ``slots`` half hours; never below
        half an hour."""
        from sessions_tui.services import appointments as ap

        app = self.sessions
        name = self._called(item)
        if not isinstance(item.start, datetime) or not isinstance(item.end, datetime):
            self.notify(f"{name} is all day: change its days in the editor (e).", timeout=4)
            return
        step = timedelta(minutes=SLOT_MINUTES)
        length = item.end - item.start
        new_length = max(step, length + slots * step) if slots < 0 else length + slots * step
        if new_length == length:
            self.notify(f"Not shortened: {name} is half an hour or less.", timeout=4)
            return
        verb = "Lengthen" if new_length > length else "Shorten"
        new_end = item.start + new_length
        minutes = int(new_length.total_seconds() // 60)
        until = f"{new_end.astimezone(app.tz):%H:%M}"
        scope, counts = await self._ask_scope(
            item, verb, f"{verb} {name} to end at {until} ({minutes} min)"
        )
        if scope is None:
            return
        doing = f"{verb.lower()}ed"
        if new_length > length:
            moved = as_occurrence(item, start=item.start, end=new_end)
            if not await self._clash_allowed(item, moved, verb, doing):
                return
        try:
            change = await asyncio.to_thread(
                ap.edit,
                app.ctx,
                occurrence_ref(item),
                scope,
                verb=verb.lower(),
                end=new_end,
            )
        except SessionsError as exc:
            self.notify(f"Not {doing}: {exc.message}", severity="error", timeout=8)
            return
        also = f", {words.touched(item, scope, counts)}" if is_recurring(item) else ""
        notice = f"{doing.capitalize()} {name} to {until} ({minutes} min{also})"
        self.changed(change, notice, subject=name)

    @work(exclusive=True, group="change", exit_on_error=False, description="Undo")
    async def action_undo(self) -> None:
        from sessions_tui.services import appointments as ap

        if not self.undo_stack:
            self.notify("Nothing to undo.", timeout=3)
            return
        change = self.undo_stack.pop()
        try:
            await asyncio.to_thread(ap.undo, self.sessions.ctx, change)
        except (ConflictError, PermissionDenied, NotFoundError) as exc:
            # Refused for good (changed since by someone else, booked meanwhile, not allowed):
            # it leaves the list, so the next u reaches the change before it.
            subject = self._undo_subjects.pop(id(change), None)
            said = exc.message
            if not said.lower().startswith("cannot undo"):
                about = f" of {subject}" if subject else ""
                said = f"cannot undo {change.description}{about}: {said}"
            earlier = " u now undoes the change before it." if self.undo_stack else ""
            self.notify(f"{said[:1].upper()}{said[1:]}.{earlier}", severity="error", timeout=8)
            return
        except SessionsError as exc:  # the database busy or full: the same undo may work later
            self.undo_stack.append(change)
            self.notify(exc.message, severity="error", timeout=8)
            return
        subject = self._undo_subjects.pop(id(change), None)
        about = f" of {subject}" if subject else ""
        self.notify(f"Undone: {change.description}{about}.", timeout=4)
        self.invalidate()

    def changed(
        self, change: Change | None, notice: str | None = None, *, subject: str | None = None
    ) -> None:
        """A change was saved: remember it for undo, redraw, and schedule a sync. ``notice``
        says what was done (naming the event); ``subject`` names it for undo's notice."""
        if change is None:
            return
        self.undo_stack.append(change)
        for old in self.undo_stack[:-50]:
            self._undo_subjects.pop(id(old), None)
        del self.undo_stack[:-50]
        if subject:
            self._undo_subjects[id(change)] = subject
        said = notice or f"Saved ({change.description})"
        self.notify(f"{said}. u undoes it.", timeout=4)
        self.invalidate()
        self.sessions.local_change()

    @property
    def _undo_subjects(self) -> dict[int, str]:
        """The event each change on the undo stack was about (by the change's id)."""
        found: dict[int, str] | None = getattr(self, "_undo_subject_map", None)
        if found is None:
            found = {}
            self._undo_subject_map = found
        return found
