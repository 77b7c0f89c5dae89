"""What the office hours and the availability screens share: whose hours, the weekly editor,
the zone, and saving each change as it is made.

Saving and loading go through one queue (:mod:`sessions_tui.screens.hours_queue`), so writes
land in the order they were made and a load never reads hours older than the last change.
When a write lands the screen shows "Saved ✓ HH:MM:SS" and the screen on top gets
:class:`~sessions_tui.messages.HoursChanged` (the calendar reloads its shading).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import time
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Label, Select

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.model import Staff
from sessions_tui.domain.officehours import WEEKDAYS, WeeklyHours
from sessions_tui.messages import HoursChanged, ReportsWorkerFailures
from sessions_tui.screens.hours_dialogs import IntervalModal, ZonePickerModal
from sessions_tui.screens.hours_queue import Op, WorkQueue
from sessions_tui.services import hours as hours_service
from sessions_tui.services.permissions import can_edit_hours
from sessions_tui.widgets.hours_editor import HoursEditor, clock_text

if TYPE_CHECKING:
    from sessions_tui.app import SessionsApp
    from sessions_tui.services.context import Context

DEFAULT_KEY = "default"
"""The value of the practice default in the "whose" list."""


@dataclass(frozen=True)
class Loaded:
    """What a load found for one subject (a practitioner id, or None for the default)."""

    subject: int | None
    own: WeeklyHours | None
    default: WeeklyHours | None
    extra: Any = None


class WeeklyHoursScreen(ReportsWorkerFailures, Screen[None]):
    """Base of :class:`OfficeHoursScreen` and :class:`AvailabilityScreen` (not shown itself)."""

    KIND: ClassVar[str] = hours_service.OFFICE
    HEADING: ClassVar[str] = ""
    NOUN: ClassVar[str] = "hours"
    OFFER_DEFAULT: ClassVar[bool] = True
    """List the practice default among whose hours to show."""

    DEFAULT_CSS = """
    WeeklyHoursScreen #hours-heading { width: 1fr; background: $panel; text-style: bold;
                                       padding: 0 1; }
    WeeklyHoursScreen #hours-whose-bar { height: 1; margin: 1 0 0 0; }
    WeeklyHoursScreen #hours-whose-label { width: auto; padding: 0 1; }
    WeeklyHoursScreen #hours-whose { width: 30; }
    WeeklyHoursScreen #hours-whose-loading { width: 30; color: $text-muted; }
    WeeklyHoursScreen #hours-zone { width: 1fr; padding: 0 1; color: $text-muted; }
    WeeklyHoursScreen #hours-status { width: 1fr; padding: 0 1; margin: 1 0 0 0; }
    WeeklyHoursScreen #hours-status.-fallback { text-style: bold; color: $warning; }
    WeeklyHoursScreen #hours-error { width: 1fr; padding: 0 1; color: $error; text-style: bold; }
    WeeklyHoursScreen HoursEditor { margin: 0 1; }
    WeeklyHoursScreen #hours-saved { width: 1fr; padding: 0 1; color: $success; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.people: list[Staff] = []
        self.subject: int | None = None
        self.own: WeeklyHours | None = None
        self.default: WeeklyHours | None = None
        self.zone_for_new = "UTC"
        self.loaded = False
        self._hours_queue = WorkQueue(self._succeeded, self._failed)

    @property
    def sessions(self) -> SessionsApp:
        return cast("SessionsApp", self.app)

    @property
    def ctx(self) -> Context:
        return self.sessions.ctx

    # --- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Label(self.HEADING, id="hours-heading")
        with Horizontal(id="hours-whose-bar"):
            yield Label("Whose:", id="hours-whose-label")
            # The list is made once the people are read: a Select made empty would keep
            # offering its prompt ("loading…") as a choice (issue 14).
            yield Label("loading…", id="hours-whose-loading")
            yield Label("", id="hours-zone")
        yield Label("", id="hours-status")
        yield Label("", id="hours-error")
        yield HoursEditor(id="hours-editor")
        yield from self.compose_extra()
        yield Label("", id="hours-saved")
        yield Footer(compact=True, show_command_palette=False)

    def compose_extra(self) -> ComposeResult:
        """More widgets between the editor and the "saved" line (subclasses)."""
        yield from ()

    def on_mount(self) -> None:
        self.zone_for_new = self.sessions.tz.key
        self.query_one(HoursEditor).focus()
        ctx = self.ctx

        def run() -> tuple[list[Staff], str | None]:
            from sessions_tui.services.practice import get_settings, practitioners

            return practitioners(ctx), get_settings(ctx).display_tz

        self.enqueue(run, self._people_loaded)

    def _people_loaded(self, found: tuple[list[Staff], str | None]) -> None:
        self.people, practice_tz = found
        if practice_tz:
            self.zone_for_new = practice_tz
        actor = self.ctx.actor
        options: list[tuple[str, str]] = []
        if self.OFFER_DEFAULT:
            options.append(("Practice default", DEFAULT_KEY))
        for p in self.people:
            you = " (you)" if actor is not None and p.id == actor.id else ""
            options.append((f"{p.name}{you}", str(p.id)))
        mine = actor is not None and any(p.id == actor.id for p in self.people)
        if actor is not None and mine:
            first = str(actor.id)
        elif self.OFFER_DEFAULT:
            first = DEFAULT_KEY
        elif self.people:
            first = str(self.people[0].id)
        else:
            self.query_one("#hours-status", Label).update("No practitioners yet.")
            return
        loading = self.query_one("#hours-whose-loading", Label)
        select = Select[str](
            options,
            value=first,
            allow_blank=False,
            id="hours-whose",
            compact=True,
            type_to_search=False,
        )
        self.query_one("#hours-whose-bar").mount(select, after=loading)
        loading.remove()
        self.choose(None if first == DEFAULT_KEY else int(first))

    # --- whose hours -------------------------------------------------------------------------

    @on(Select.Changed, "#hours-whose")
    def _whose_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            subject = None if event.value == DEFAULT_KEY else int(event.value)
            if subject != self.subject:  # not the first value, set when the list is made
                self.choose(subject)

    def choose(self, subject: int | None) -> None:
        """Show the hours of ``subject`` (a practitioner id; None = the practice default)."""
        self.subject = subject
        self.loaded = False
        self.query_one("#hours-error", Label).update("")
        self.reload()

    def reload(self) -> None:
        """Read the subject's hours again (after the queued writes)."""
        ctx, kind, subject = self.ctx, self.KIND, self.subject

        def run() -> Loaded:
            own = (
                hours_service.get_hours(ctx, subject, kind=kind, fallback=False)
                if subject is not None
                else None
            )
            default = hours_service.get_hours(ctx, None, kind=kind)
            return Loaded(subject, own, default, self.load_extra(ctx, subject))

        self.enqueue(run, self._loaded)

    def load_extra(self, ctx: Context, subject: int | None) -> Any:
        """More to read with the hours, in the worker thread (subclasses)."""
        return None

    def show_extra(self, extra: Any) -> None:
        """Show what :meth:`load_extra` read (subclasses)."""

    def _loaded(self, found: Loaded) -> None:
        if found.subject != self.subject:
            return  # the user has moved on to someone else
        self.own, self.default, self.loaded = found.own, found.default, True
        self.present()
        self.show_extra(found.extra)

    def name_of(self, subject: int | None) -> str:
        if subject is None:
            return "the practice default"
        return next((p.name for p in self.people if p.id == subject), f"practitioner {subject}")

    @property
    def may_edit(self) -> bool:
        actor = self.ctx.actor
        return actor is not None and can_edit_hours(actor, self.subject)

    @property
    def using_default(self) -> bool:
        """A practitioner with no hours of their own, shown the practice default."""
        return self.subject is not None and self.own is None and self.default is not None

    def readonly_reason(self) -> str:
        if self.subject is None:
            return "Read-only: only an admin or a scheduler may change the practice default."
        return (
            f"Read-only: only {self.name_of(self.subject)} or an admin or scheduler may "
            f"change these {self.NOUN}."
        )

    def shown_hours(self) -> WeeklyHours:
        if self.subject is None:
            return self.default or WeeklyHours(self.zone_for_new)
        if self.own is not None:
            return self.own
        if self.default is not None:
            return self.default
        return WeeklyHours(self.zone_for_new, (), self.subject)

    def present(self) -> None:
        """Redraw the status line, zone and editor from what is loaded."""
        hours = self.shown_hours()
        permitted = self.may_edit
        status = self.query_one("#hours-status", Label)
        status.set_class(self.using_default, "-fallback")
        if self.using_default:
            text = (
                f"Using the practice default: {self.name_of(self.subject)} has no {self.NOUN} "
                "of their own."
            )
            if permitted:
                text += " Press c to copy the default and start your own."
            editable, reason = (
                False,
                (
                    "These are the practice default: press c to copy them and start your own."
                    if permitted
                    else self.readonly_reason()
                ),
            )
        else:
            if self.subject is None:
                text = "The practice default: used by every practitioner with none of their own."
            elif self.own is not None:
                text = f"{self.name_of(self.subject)}'s own {self.NOUN}."
            else:
                text = f"No {self.NOUN} set for {self.name_of(self.subject)} yet."
                if permitted:
                    text += " Press a to add an interval."
            editable, reason = permitted, self.readonly_reason()
            if not permitted:
                text += " " + reason
        status.update(text)
        self.query_one("#hours-zone", Label).update(
            f"Zone: {hours.tzid}" + ("  (z changes it)" if editable else "")
        )
        self.query_one(HoursEditor).show(hours, editable=editable, reason=reason)

    # --- editing -----------------------------------------------------------------------------

    def error(self, text: str) -> None:
        self.query_one("#hours-error", Label).update(text)

    @on(HoursEditor.Refused)
    def _refused(self, event: HoursEditor.Refused) -> None:
        self.error(event.reason)

    @on(HoursEditor.IntervalRequested)
    def _interval_requested(self, event: HoursEditor.IntervalRequested) -> None:
        editor = event.editor
        weekday, index = event.weekday, event.index
        day = WEEKDAYS[weekday]
        if index is None:
            title, start, end = f"Add {self.NOUN} on {day}", "", ""
        else:
            item = editor.day_intervals(weekday)[index]
            title = f"Change {day} {clock_text(item.start)}–{clock_text(item.end, end=True)}"
            start, end = clock_text(item.start), clock_text(item.end, end=True)

        def check(a: time, b: time) -> str | None:
            try:
                editor.with_interval(weekday, index, a, b)
            except ValidationError as exc:
                return str(exc)
            return None

        def done(span: tuple[time, time] | None) -> None:
            if span is None:
                return
            try:
                new = editor.with_interval(weekday, index, *span)
            except ValidationError as exc:  # changed meanwhile: say so, change nothing
                self.error(str(exc))
                return
            focus = next(
                i for i in new.intervals if (i.weekday, i.start, i.end) == (weekday, *span)
            )
            editor.apply(new, focus=focus)

        self.app.push_screen(IntervalModal(title, start, end, check), done)

    @on(HoursEditor.Changed)
    def _edited(self, event: HoursEditor.Changed) -> None:
        self.save_hours(event.hours)

    def save_hours(self, hours: WeeklyHours) -> None:
        """Keep ``hours`` as the subject's, show them, and write them (queued)."""
        hours = replace(hours, practitioner_id=self.subject)
        if self.subject is None:
            self.default = hours
        else:
            self.own = hours
        self.error("")
        self.present()
        ctx, kind = self.ctx, self.KIND
        self.enqueue(
            lambda: hours_service.set_hours(ctx, hours, kind=kind), lambda _r: None, saves=True
        )

    def action_zone(self) -> None:
        """Choose the zone the hours are kept in, from a searchable list."""
        editor = self.query_one(HoursEditor)
        if not self.loaded:
            return
        if not editor.editable:
            self.error(editor.readonly_reason)
            return
        current = self.shown_hours()

        def picked(name: str | None) -> None:
            if name is None or name == current.tzid:
                return
            self.save_hours(replace(self.shown_hours(), tzid=name))

        self.app.push_screen(ZonePickerModal(current.tzid), picked)

    def action_copy_default(self) -> None:
        """Start a practitioner's own hours from a copy of the practice default."""
        if not self.loaded:
            return
        if not self.using_default:
            if self.subject is None:
                self.error("This is the practice default itself.")
            else:
                self.error(f"{self.name_of(self.subject)} already has {self.NOUN} of their own.")
            return
        if not self.may_edit:
            self.error(self.readonly_reason())
            return
        assert self.default is not None
        self.save_hours(self.default)

    def action_leave(self) -> None:
        """Back to where the screen was opened from; every change is already saved."""
        self.app.pop_screen()

    # --- the queue ---------------------------------------------------------------------------

    def enqueue(
        self, run: Callable[[], Any], done: Callable[[Any], None], *, saves: bool = False
    ) -> None:
        """Run ``run`` in the worker thread after every earlier one; then ``done`` here."""
        if saves:
            self.query_one("#hours-saved", Label).update("Saving…")
        self._hours_queue.put(self.app, Op(run, done, saves))

    def _succeeded(self, op: Op, result: Any) -> None:
        if op.saves:
            self.app.screen.post_message(HoursChanged(self.KIND))
        if not self.is_attached:
            return
        op.done(result)
        if op.saves:
            now = self.sessions.clock.now().astimezone(self.sessions.tz)
            self.query_one("#hours-saved", Label).update(f"Saved ✓ {now:%H:%M:%S}")

    def _failed(self, op: Op, message: str) -> None:
        if not self.is_attached:
            self.app.notify(message, severity="error")
            return
        self.error(message)
        if op.saves:
            self.query_one("#hours-saved", Label).update("Not saved")
            self.reload()  # show what is really stored
