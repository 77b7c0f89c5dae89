"""Reminder settings: when client reminders go, what they say, online cancelling, feed alarms.

Admins change them (:func:`sessions_tui.services.reminders.update_settings`); everyone else
sees them read-only. The subject and body are templates: the hint under them lists every
placeholder, and any other name in braces is refused with a line saying which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Footer, Input, Label, Static, TextArea

from sessions_tui.domain.errors import SessionsError, ValidationError
from sessions_tui.domain.reminders import PLACEHOLDERS
from sessions_tui.screens.setup_page import SetupPage
from sessions_tui.services.context import Context
from sessions_tui.services.reminders import ReminderSettings

FIELDS = ("hours", "subject", "body", "cancel", "base_url", "alarm")


def optional_number(text: str, what: str, field: str) -> int | None:
    """Blank or ``off`` → ``None``; else a whole number."""
    text = text.strip().lower()
    if text in ("", "off", "none"):
        return None
    if not text.isdigit():
        raise ValidationError(f"{what}: a whole number, or blank for off", field=field)
    return int(text)


@dataclass(frozen=True)
class ReminderForm:
    """What the page read."""

    hours: str
    subject: str
    body: str
    cancel_hours: int | None
    base_url: str
    feed_alarm_minutes: int | None


class ReminderSettingsScreen(SetupPage):
    """The practice's reminder settings.

    | Key | Action |
    | --- | --- |
    | tab / shift+tab | Next / previous field |
    | ctrl+s | Save (admins) |
    | escape | Close without saving |
    """

    HELP = """When client reminders go (hours before a session, comma-separated: 48,24; blank
for none; a session booked later than an offset gets no reminder for it), their subject and
body (placeholders in braces, listed under the body), until when clients may cancel from the
email (hours before; blank: they may only confirm), the web address their links start with, and
the alarm practitioners' ICS feeds carry (minutes before; blank: none). Only clients who agreed
to reminders get them. ctrl+s saves; escape closes without saving."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "close",
            "Back",
            id="reminders.close",
            tooltip="Close the reminder settings without saving",
        ),
        Binding("ctrl+s", "save", "Save", id="reminders.save", tooltip="Save the settings"),
    ]

    DEFAULT_CSS = """
    ReminderSettingsScreen #reminders-form { height: 1fr; padding: 0 1; }
    ReminderSettingsScreen .row { height: auto; }
    ReminderSettingsScreen .field-label { width: 16; height: 1; padding: 0 1 0 0; }
    ReminderSettingsScreen Input { width: 1fr; }
    ReminderSettingsScreen TextArea { width: 1fr; height: 8; }
    ReminderSettingsScreen .hint { color: $text-muted; height: auto; margin: 0 0 0 16; }
    ReminderSettingsScreen .error { color: $error; height: auto; margin: 0 0 0 16; }
    ReminderSettingsScreen .error.-empty { display: none; }
    ReminderSettingsScreen #reminders-buttons { height: auto; margin: 1 0 0 16; }
    ReminderSettingsScreen #reminders-buttons Button { margin: 0 2 0 0; min-width: 12; }
    """

    class Loaded(Message):
        def __init__(self, settings: ReminderSettings) -> None:
            super().__init__()
            self.settings = settings

    class Saved(Message):
        def __init__(self, settings: ReminderSettings) -> None:
            super().__init__()
            self.settings = settings

    class SaveRefused(Message):
        def __init__(self, error: SessionsError) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__(id="reminder-settings")
        self.settings: ReminderSettings | None = None
        self.saving = False

    def _row(self, label: str, widget: Input | TextArea, name: str) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(label, classes="field-label")
            yield widget
        yield Static("", id=f"{name}-error", classes="error -empty")

    def compose(self) -> ComposeResult:
        ro = not self.is_admin
        yield Static("Reminder settings", classes="page-title")
        yield Static("", classes="page-note -empty", id="reminders-note")
        with VerticalScroll(id="reminders-form"):
            yield from self._row(
                "Hours before",
                Input(id="hours", compact=True, disabled=ro, placeholder="48,24 (blank: none)"),
                "hours",
            )
            yield from self._row(
                "Subject", Input(id="subject", compact=True, disabled=ro), "subject"
            )
            yield from self._row("Body", TextArea(id="body", disabled=ro), "body")
            yield Static(
                "Placeholders: "
                + " ".join("{" + p + "}" for p in PLACEHOLDERS)
                + ". Never notes or anything else.",
                classes="hint",
            )
            yield from self._row(
                "Cancel online",
                Input(
                    id="cancel",
                    compact=True,
                    disabled=ro,
                    placeholder="until N hours before (blank: confirm only)",
                ),
                "cancel",
            )
            yield from self._row(
                "Link address",
                Input(id="base_url", compact=True, disabled=ro, placeholder="https://…"),
                "base_url",
            )
            yield from self._row(
                "Feed alarm",
                Input(
                    id="alarm",
                    compact=True,
                    disabled=ro,
                    placeholder="minutes before each event in ICS feeds (blank: none)",
                ),
                "alarm",
            )
            yield Static("", id="form-error", classes="error -empty")
            with Horizontal(id="reminders-buttons"):
                yield Button(
                    "Save", id="reminders-save", variant="primary", compact=True, disabled=ro
                )
                yield Button("Close", id="reminders-close", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        if self.is_admin:
            self.set_note("ctrl+s saves · escape closes without saving")
        else:
            self.set_note(
                "Read-only: only an admin may change the reminder settings.", read_only=True
            )
        self.load(self.sessions.ctx)

    @work(thread=True, exclusive=True, group="reminders-load", exit_on_error=False)
    def load(self, ctx: Context) -> None:
        from sessions_tui.services.reminders import get_settings

        self.post_message(self.Loaded(get_settings(ctx)))

    def on_reminder_settings_screen_loaded(self, message: ReminderSettingsScreen.Loaded) -> None:
        self._show(message.settings)
        self.query_one("#hours" if self.is_admin else "#reminders-close").focus()

    def _show(self, s: ReminderSettings) -> None:
        self.settings = s
        self.query_one("#hours", Input).value = s.hours
        self.query_one("#subject", Input).value = s.subject
        self.query_one("#body", TextArea).text = s.body
        self.query_one("#cancel", Input).value = (
            str(s.cancel_hours) if s.cancel_hours is not None else ""
        )
        self.query_one("#base_url", Input).value = s.base_url
        self.query_one("#alarm", Input).value = (
            str(s.feed_alarm_minutes) if s.feed_alarm_minutes is not None else ""
        )
        from sessions_tui.services.reminders import local_links

        if local_links(s) is not None:
            self._set_error(
                "base_url",
                "a loopback address: no reminder is sent until it is one clients can open",
            )

    def _set_error(self, name: str, message: str) -> None:
        for line in self.query(f"#{name}-error"):
            assert isinstance(line, Static)
            line.update(f"✗ {message}" if message else "")
            line.set_class(not message, "-empty")

    def _show_error(self, error: SessionsError) -> None:
        name = error.field or "form"
        if name not in FIELDS:
            name = "form"
        self._set_error(name, error.message)
        if name != "form":
            self.query_one(f"#{name}").focus()

    def read(self) -> ReminderForm:
        return ReminderForm(
            hours=self.query_one("#hours", Input).value,
            subject=self.query_one("#subject", Input).value,
            body=self.query_one("#body", TextArea).text,
            cancel_hours=optional_number(
                self.query_one("#cancel", Input).value, "cancel online", "cancel"
            ),
            base_url=self.query_one("#base_url", Input).value,
            feed_alarm_minutes=optional_number(
                self.query_one("#alarm", Input).value, "feed alarm", "alarm"
            ),
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return True if self.is_admin else None
        return True

    def action_save(self) -> None:
        if not self.is_admin:
            self.notify("Only an admin may change the reminder settings.", severity="warning")
            return
        if self.saving or self.settings is None:
            return
        for name in (*FIELDS, "form"):
            self._set_error(name, "")
        try:
            form = self.read()
        except ValidationError as exc:
            self._show_error(exc)
            return
        self.saving = True
        self.store(self.sessions.ctx, form)

    @work(thread=True, exclusive=True, group="reminders-save", exit_on_error=False)
    def store(self, ctx: Context, form: ReminderForm) -> None:
        from sessions_tui.services.reminders import update_settings

        try:
            saved = update_settings(
                ctx,
                hours=form.hours,
                subject=form.subject,
                body=form.body,
                cancel_hours=form.cancel_hours,
                base_url=form.base_url,
                feed_alarm_minutes=form.feed_alarm_minutes,
            )
        except SessionsError as exc:
            self.post_message(self.SaveRefused(exc))
            return
        self.post_message(self.Saved(saved))

    def on_reminder_settings_screen_saved(self, message: ReminderSettingsScreen.Saved) -> None:
        self.saving = False
        self._show(message.settings)
        self.notify("Reminder settings saved.")

    def on_reminder_settings_screen_save_refused(
        self, message: ReminderSettingsScreen.SaveRefused
    ) -> None:
        self.saving = False
        self._show_error(message.error)

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#reminders-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#reminders-close")
    def _close_pressed(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        self.dismiss()
