"""The appointment form: create or edit a client session or another event, by keyboard alone.

Every field is reachable with tab; escape leaves with nothing changed; ctrl+s (or the Save button)
saves. Errors appear under the field they concern, in words. Before saving, a time that happens
twice (clocks fall back) is asked about, overlaps and time outside office hours ask for
confirmation, and a recurring event asks whether the change is for this event, this and the
following ones, or all. Database work runs in threads; the screen never waits on it.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from sessions_tui.domain.events import Event, EventKind
from sessions_tui.domain.model import Client
from sessions_tui.domain.timeutil import clock_text, parse_clock, zone_label
from sessions_tui.messages import ReportsWorkerFailures
from sessions_tui.screens.dialogs import ChoiceModal, confirm, scope_question
from sessions_tui.screens.event_editor_layout import EDITOR_CSS, FIELDS, editor_fields
from sessions_tui.services import appointments as ap
from sessions_tui.services.event_form import (
    AmbiguousTime,
    EventForm,
    FormErrors,
    build_event,
    changed_fields,
    form_day,
    form_from_event,
)

if TYPE_CHECKING:
    from sessions_tui.app import SessionsApp
    from sessions_tui.services.quick_add import QuickAdd
    from sessions_tui.services.scheduling import AgendaItem


class EventEditorScreen(ReportsWorkerFailures, Screen["ap.Change | None"]):
    """Create or edit one event.

    | Key | Action |
    | --- | --- |
    | tab / shift+tab | Next / previous field |
    | ctrl+s | Save |
    | escape | Leave without changing anything |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="editor.save", tooltip="Save the event"),
        Binding(
            "escape",
            "leave",
            "Cancel",
            id="editor.cancel",
            tooltip="Leave without changing anything",
        ),
    ]
    HELP = "Fill in the fields (tab moves between them); ctrl+s saves, escape leaves unchanged."

    DEFAULT_CSS = EDITOR_CSS

    def __init__(
        self,
        kind: EventKind,
        *,
        start: datetime | None = None,
        item: AgendaItem | None = None,
        duplicate: bool = False,
        practitioner_id: int | None = None,
        quick: QuickAdd | None = None,
    ) -> None:
        super().__init__()
        self.practitioner_id = practitioner_id
        """A new event's practitioner (the team view's column); None: the user, if one."""
        self.quick = quick
        """What a quick-add line named (client, length, location; the day and time are in
        ``start``): the new event's form starts with them."""
        # Duplicating fills the form from ``item`` but saves a new event.
        self.source = item
        self.item = None if duplicate else item
        self.kind = item.event.kind if item is not None else kind
        self.start = start
        self.client: Client | None = item.client if item is not None else None
        if quick is not None and quick.client is not None:
            self.client = quick.client
        self.loaded: Event | None = self.item.event if self.item is not None else None
        self.internal_ids = False
        """The practice uses Internal IDs (read when the form opens; off until then)."""
        self._preset_shown = "none"
        """The "Repeats" choice shown last (a custom rule starts from its rule)."""

    @property
    def sessions(self) -> SessionsApp:
        return cast("SessionsApp", self.app)

    # --- layout ------------------------------------------------------------------------------

    def _on_users_clock(self, form: EventForm) -> EventForm:
        """The form's times as the user's clock writes them (``2:30pm`` on a 12-hour one);
        either clock parses back (``services.event_form``)."""
        if self.sessions.hours12:
            for name in ("start", "end"):
                text = getattr(form, name)
                if text:
                    setattr(form, name, clock_text(parse_clock(text), True))
        return form

    def _initial_form(self) -> EventForm:
        app = self.sessions
        tzid = app.tz.key
        if self.source is not None:
            form = form_from_event(self.source.event, self.source.start, tzid)
            if self.item is None:  # a duplicate: a one-off copy, not part of the series
                form.recurrence, form.custom_rrule = "none", ""
            return self._on_users_clock(form)
        form = EventForm(kind=self.kind, tzid=tzid)
        start = self.start or app.clock.now().astimezone(app.tz)
        local = start.astimezone(app.tz)
        form.date = form.end_date = local.date().isoformat()
        form.start = clock_text(local, app.hours12)
        form.end = clock_text(local + timedelta(hours=1), app.hours12)
        actor = app.ctx.actor
        if actor is not None and actor.is_practitioner:
            form.practitioner_id = actor.id
            form.minutes = str(actor.default_session_minutes)
        elif app.facts and app.facts.practitioners and self.kind is EventKind.SESSION:
            form.practitioner_id = None
        for p in app.facts.practitioners if app.facts else ():
            if p.id is not None and p.id == self.practitioner_id:
                form.practitioner_id = p.id
                form.minutes = str(p.default_session_minutes)
        quick = self.quick
        if quick is not None:
            if quick.minutes is not None:
                form.minutes = str(quick.minutes)
            if quick.location is not None:
                form.location_id = quick.location.id
        return form

    def compose(self) -> ComposeResult:
        form = self._initial_form()
        self.form = form
        app = self.sessions
        facts = app.facts
        people = facts.practitioners if facts else ()
        places = [
            loc
            for loc in (facts.locations if facts else ())
            if not loc.archived or loc.id == form.location_id
        ]
        session = self.kind is EventKind.SESSION
        verb = "Edit" if self.item is not None else ("Copy of" if self.source else "New")
        noun = "client session" if session else "event"
        title = f"{verb} {noun} — times in {zone_label(app.tz, app.clock.now())}"
        yield from editor_fields(
            form,
            title=title,
            session=session,
            people=people,
            places=places,
            client_text=self._client_text(self.client),
            hours12=self.sessions.hours12,
        )
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._show_repeat()
        self._show_times(not self.form.all_day)
        first = "#client" if self.kind is EventKind.SESSION else "#title"
        if self.client is not None and self.item is None and self.source is None:
            first = "#practitioner"  # quick add named the client: the next thing to choose
        self.query_one(first).focus()
        if self.kind is EventKind.SESSION:
            self.load_id_setting()

    @work(
        thread=True,
        exclusive=True,
        group="client-search",
        exit_on_error=False,
        description="Read the practice settings",
    )
    def load_id_setting(self) -> None:
        """Whether the practice uses Internal IDs: only then do client names show them."""
        from sessions_tui.services.practice import get_settings

        on = get_settings(self.sessions.ctx).internal_ids
        self.app.call_from_thread(self._ids_loaded, on)

    def _ids_loaded(self, on: bool) -> None:
        box = self.query_one("#client", Input)
        before = self._client_text(self.client)
        self.internal_ids = on
        if on:
            box.placeholder = "type a name or internal ID"
            if self.client is not None and box.value == before:
                whole = bool(before) and box.selected_text == before  # selected on focus
                box.value = self._client_text(self.client)
                if whole:  # else typing replaced the name and kept " (C-1007)" after it
                    box.select_all()

    def _client_text(self, client: Client | None) -> str:
        """A client as the form shows them: "Last, First", and the Internal ID when the
        practice uses them (never an ID it turned off)."""
        if client is None:
            return ""
        text = f"{client.last_name}, {client.first_name}"
        if self.internal_ids and client.internal_id:
            return f"{text} ({client.internal_id})"
        return text

    def _show_repeat(self) -> None:
        """Show the fields the "Repeats" choice uses: its end for a preset, the rule (and
        the rule in words) for a custom one."""
        choice = self._value("#recurrence")
        ends = self._value("#ends")
        preset = choice not in ("none", "custom")
        self.query_one("#custom-row").set_class(choice != "custom", "-hidden")
        self.query_one("#ends-row").set_class(not preset, "-hidden")
        self.query_one("#count").set_class(ends != "after", "-hidden")
        self.query_one("#count-label").set_class(ends != "after", "-hidden")
        self.query_one("#until").set_class(ends != "on", "-hidden")
        self._preset_shown = choice
        self._show_rule_words()

    def _show_rule_words(self) -> None:
        from sessions_tui.domain.rrule_text import rule_in_words

        words = self.query_one("#rule-words", Static)
        text = ""
        if self._value("#recurrence") == "custom":
            rule = self._value("#custom_rrule").strip()
            if rule:
                said = rule_in_words(rule, form_day(self.form), self.sessions.tz)
                text = said or "(a rule these words do not cover; it is saved as typed)"
        words.update(text)
        words.set_class(not text, "-empty")

    def _show_times(self, show: bool) -> None:
        for widget in self.query(".start-part"):
            widget.set_class(not show, "-hidden")

    # --- client picker -----------------------------------------------------------------------

    @on(Input.Changed, "#client")
    def _client_typed(self, event: Input.Changed) -> None:
        if self.client is not None and event.value == self._client_text(self.client):
            return
        self.client = None
        self.find_clients(event.value)

    @work(
        thread=True,
        exclusive=True,
        group="client-search",
        exit_on_error=False,
        description="Look up clients",
    )
    def find_clients(self, text: str) -> None:
        from sessions_tui.services.practice import list_clients

        found = list_clients(self.sessions.ctx, text)[:20] if text.strip() else []
        self.app.call_from_thread(self._show_matches, found, text)

    def _show_matches(self, found: list[Client], text: str | None = None) -> None:
        if text is not None and text != self.query_one("#client", Input).value:
            return  # a search for what was typed before (typed ahead: its answer came last)
        self._matches = found
        matches = self.query_one("#client-matches", OptionList)
        matches.clear_options()
        privacy = self.sessions.privacy
        for c in found:
            label = c.initials if privacy else self._client_text(c)
            if privacy and self.internal_ids and c.internal_id:
                label = f"{label} ({c.internal_id})"
            matches.add_option(Option(label, id=str(c.id)))
        matches.set_class(not found, "-hidden")
        if found:
            matches.highlighted = 0

    @on(Input.Submitted, "#client")
    def _client_enter(self) -> None:
        matches = self.query_one("#client-matches", OptionList)
        if getattr(self, "_matches", None) and matches.highlighted is not None:
            self._pick(self._matches[matches.highlighted])

    def on_key(self, event: Any) -> None:
        focused = self.focused
        if event.key == "down" and focused is not None and focused.id == "client":
            matches = self.query_one("#client-matches", OptionList)
            if not matches.has_class("-hidden"):
                matches.focus()
                event.stop()

    @on(OptionList.OptionSelected, "#client-matches")
    def _client_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = [c for c in self._matches if str(c.id) == event.option.id]
        if chosen:
            self._pick(chosen[0])

    def _pick(self, client: Client) -> None:
        self.client = client
        box = self.query_one("#client", Input)
        box.value = self._client_text(client)
        self.query_one("#client-matches").add_class("-hidden")
        self._set_error("client", "")
        self.query_one("#practitioner").focus()

    # --- other fields ------------------------------------------------------------------------

    @on(Select.Changed, "#recurrence")
    @on(Select.Changed, "#ends")
    def _recurrence_changed(self) -> None:
        box = self.query_one("#custom_rrule", Input)
        if self._value("#recurrence") == "custom" and not box.value.strip():
            box.value = self._rule_before_custom()  # a start to edit: the rule it was
        self._show_repeat()

    def _rule_before_custom(self) -> str:
        """The rule of the preset chosen before "Custom rule…" (as it would be saved)."""
        from sessions_tui.services.event_form import rrule_of

        before = self._preset_shown
        if before in ("none", "custom"):
            return ""
        form = replace(
            self.form,
            recurrence=before,
            ends=self._value("#ends"),
            count=self._value("#count"),
            until=self._value("#until"),
            date=self._value("#date"),
        )
        try:
            day = date.fromisoformat(form.date.strip())
        except ValueError:
            return ""
        return rrule_of(form, day, {}) or ""

    @on(Input.Changed, "#custom_rrule")
    def _rule_typed(self) -> None:
        self._show_rule_words()

    @on(Input.Changed, "#date")
    def _date_typed(self, event: Input.Changed) -> None:
        """The presets name the date's weekday ("Weekly on Friday"): relabel them."""
        from sessions_tui.domain.rrule_text import repeat_options

        try:
            day = date.fromisoformat(event.value.strip())
        except ValueError:
            return
        self.form.date = event.value
        box = self.query_one("#recurrence", Select)
        value = box.value
        with box.prevent(Select.Changed):
            box.set_options(repeat_options(day))
            box.value = value

    @on(Checkbox.Changed, "#all_day")
    def _all_day_changed(self, event: Checkbox.Changed) -> None:
        self._show_times(not event.value)

    @on(Select.Changed, "#practitioner")
    def _practitioner_changed(self, event: Select.Changed) -> None:
        if self.kind is not EventKind.SESSION or self.item is not None:
            return
        if self.quick is not None and self.quick.minutes is not None:
            return  # the length the quick-add line named stays
        facts = self.sessions.facts
        for p in facts.practitioners if facts else ():
            if p.id == event.value:
                self.query_one("#minutes", Input).value = str(p.default_session_minutes)

    def _value(self, selector: str) -> Any:
        widget = self.query_one(selector)
        if isinstance(widget, Input):
            return widget.value
        if isinstance(widget, Checkbox):
            return widget.value
        if isinstance(widget, Select):
            return None if widget.value is Select.NULL else widget.value
        raise TypeError(selector)

    def _read_form(self) -> EventForm:
        form = self.form
        session = self.kind is EventKind.SESSION
        form.client_id = self.client.id if (session and self.client) else None
        practitioner = self._value("#practitioner")
        form.practitioner_id = practitioner or None
        form.location_id = self._value("#location") or None
        form.date = self._value("#date")
        form.start = self._value("#start")
        form.recurrence = self._value("#recurrence")
        form.custom_rrule = self._value("#custom_rrule")
        form.ends = self._value("#ends")
        form.count = self._value("#count")
        form.until = self._value("#until")
        if session:
            form.minutes = self._value("#minutes")
            form.notes_completed = self._value("#notes_completed")
            form.status = self._value("#status")
        else:
            form.title = self._value("#title")
            form.all_day = self._value("#all_day")
            form.busy = self._value("#busy")
            form.end_date = self._value("#end_date")
            form.end = self._value("#end")
        return form

    def _set_error(self, name: str, message: str) -> None:
        for label in self.query(f"#{name}-error"):
            assert isinstance(label, Static)
            label.update(message)
            label.set_class(not message, "-empty")

    def _clear_errors(self) -> None:
        for name in FIELDS:
            self._set_error(name, "")

    def _show_errors(self, errors: dict[str, str]) -> None:
        self._clear_errors()
        first = None
        for name, message in errors.items():
            target = name if self.query(f"#{name}-error") else "form"
            self._set_error(target, message)
            if first is None and self.query(f"#{name}"):
                first = name
        if first:
            self.query_one(f"#{first}").focus()

    # --- saving ------------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_leave()

    def action_leave(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        self.save()

    @work(exclusive=True, group="save", exit_on_error=False, description="Save the event")
    async def save(self) -> None:
        app = self.sessions
        form = self._read_form()
        base = self.loaded
        while True:
            try:
                event = build_event(form, base)
                break
            except AmbiguousTime as amb:
                fold = await app.push_screen_wait(
                    ChoiceModal(str(amb), list((text, value) for value, text in amb.choices))
                )
                if fold is None:
                    return
                form.fold[amb.field_name] = fold
            except FormErrors as exc:
                self._show_errors(exc.errors)
                return
        self._clear_errors()
        ignore = [i for i in (base.id if base else None, base.series_id if base else None) if i]
        from sessions_tui.services.holds import warnings_for  # the appointments' and holds'

        warnings = await asyncio.to_thread(warnings_for, app.ctx, event, ignore_ids=ignore)
        if warnings:
            ok = await app.push_screen_wait(
                confirm(
                    "Save anyway?", "Save anyway", detail="This event " + "; ".join(warnings) + "."
                )
            )
            if not ok:
                return
        try:
            change = await self._store(event)
        except ap.StaleEdit as stale:
            answers: list[tuple[str, str | None]] = [
                ("Reload their version", "reload"),
                ("Overwrite with mine", "overwrite"),
                ("Go back", None),
            ]
            choice = await app.push_screen_wait(
                ChoiceModal[str | None](
                    "Someone else changed this event", answers, detail=str(stale)
                )
            )
            if choice == "overwrite":
                self.loaded = None
                change = await self._store(event)
            else:
                if choice == "reload":
                    self.notify("Their version is loaded; your changes were not saved.")
                    self.dismiss(None)
                return
        except Exception as exc:  # a refusal from the services: say it in words
            from sessions_tui.domain.errors import SessionsError

            if isinstance(exc, SessionsError):
                target = exc.field if exc.field and self.query(f"#{exc.field}-error") else "form"
                self._set_error(target, exc.message)
                return
            raise
        if change is not None:
            self.dismiss(change)

    async def _store(self, event: Event) -> ap.Change | None:
        app = self.sessions
        if self.item is None:
            return await asyncio.to_thread(ap.create, app.ctx, event)
        item = self.item
        original = item.event
        scope = ap.Scope.ALL
        recurring = original.rrule is not None or original.series_id is not None
        if recurring:
            from sessions_tui.screens import event_words as words
            from sessions_tui.services.series_counts import series_counts

            counts = await asyncio.to_thread(series_counts, app.ctx, original, item.recurrence_id)
            name = words.name(item, app.tz, privacy=app.privacy)
            picked = await app.push_screen_wait(
                scope_question(
                    "Change",
                    question=f"Change {name}: one of a series",
                    labels=words.scope_labels(item, counts, app.tz, privacy=app.privacy),
                )
            )
            if picked is None:
                return None
            scope = picked
        changes = changed_fields(original, event, item.start)
        if not changes:
            self.notify("Nothing changed.")
            self.dismiss(None)
            return None
        assert original.id is not None
        rid = item.occurrence.recurrence_id if original.series_id is None else None
        ref = ap.OccurrenceRef(original.id, rid)
        return await asyncio.to_thread(
            ap.edit, app.ctx, ref, scope, expected=self.loaded, **changes
        )
