"""Account settings: practice name, Internal IDs, double booking, display zone, week start.

Admins change them; everyone else sees them read-only, with a line saying so. The display zone is
picked from a list of IANA names filtered as you type; blank means "each computer's own zone".
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Checkbox, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from sessions_tui.domain.errors import SessionsError, ValidationError
from sessions_tui.domain.model import PracticeSettings
from sessions_tui.screens.form_modal import TickBox
from sessions_tui.screens.setup_page import SetupPage
from sessions_tui.services.context import Context

FIELDS = ("name", "internal_ids", "allow_double_booking", "week_starts_monday", "display_tz")
ALIASES = {"practice_name": "name"}
MAX_MATCHES = 50


def zone_matches(zones: Sequence[str], text: str) -> list[str]:
    """Zones containing ``text``; spaces match underscores ("new york" → America/New_York).

    Names starting with the text come first (``Europe/Lon`` before ``…/Europe/London``-likes).
    """
    wanted = text.strip().casefold().replace(" ", "_")
    if not wanted:
        return list(zones)
    hits = [z for z in zones if wanted in z.casefold()]
    return sorted(
        hits,
        key=lambda z: (
            not z.casefold().startswith(wanted),
            not z.casefold().split("/")[-1].startswith(wanted),
            z,
        ),
    )


@dataclass(frozen=True)
class SettingsForm:
    """What the page read; ``display_tz`` is ``None`` for "each computer's zone"."""

    name: str
    internal_ids: bool
    allow_double_booking: bool
    week_starts_monday: bool
    display_tz: str | None


class AccountSettingsScreen(SetupPage):
    """The practice's settings.

    | Key | Action |
    | --- | --- |
    | tab / shift+tab | Next / previous field |
    | space | Turn a setting on or off |
    | down (in the zone field) | Into the zone list; enter picks |
    | ctrl+s | Save (admins) |
    | escape | Close without saving |
    """

    HELP = """The practice's settings (admins change them; others see them read-only). Tab moves
between fields and space turns a setting on or off. Type in the display zone field to filter the
list of IANA zones, press down to go into it and enter to pick one; leave it blank to use each
computer's own zone. ctrl+s saves; escape closes without saving. alt+c returns to the
calendar."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "close",
            "Back",
            id="settings.close",
            tooltip="Close the settings without saving",
        ),
        Binding("ctrl+s", "save", "Save", id="settings.save", tooltip="Save the settings"),
    ]

    DEFAULT_CSS = """
    AccountSettingsScreen #settings-form { height: 1fr; padding: 0 1; }
    AccountSettingsScreen .row { height: auto; }
    AccountSettingsScreen .field-label { width: 16; height: 1; padding: 0 1 0 0; }
    AccountSettingsScreen Input { width: 1fr; }
    AccountSettingsScreen Checkbox { width: 1fr; }
    AccountSettingsScreen #zone-matches { height: 7; margin: 0 0 0 16; background: $boost; }
    AccountSettingsScreen .hint { color: $text-muted; height: auto; margin: 0 0 0 16; }
    AccountSettingsScreen .error { color: $error; height: auto; margin: 0 0 0 16; }
    AccountSettingsScreen .error.-empty { display: none; }
    AccountSettingsScreen #settings-buttons { height: auto; margin: 1 0 0 16; }
    AccountSettingsScreen #settings-buttons Button { margin: 0 2 0 0; min-width: 12; }
    """

    class SettingsLoaded(Message):
        """The stored settings, and every IANA zone name (sorted)."""

        def __init__(self, settings: PracticeSettings, zones: Sequence[str]) -> None:
            super().__init__()
            self.settings = settings
            self.zones = zones

    class SettingsSaved(Message):
        """The service stored the settings (posted from the worker)."""

        def __init__(self, settings: PracticeSettings) -> None:
            super().__init__()
            self.settings = settings

    class SettingsRefused(Message):
        """The service refused the settings; ``error`` says why."""

        def __init__(self, error: SessionsError) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__(id="settings")
        self.settings: PracticeSettings | None = None
        self.zones: list[str] = []
        self.saving = False

    def compose(self) -> ComposeResult:
        read_only = not self.is_admin
        yield Static("Account settings", classes="page-title", id="settings-title")
        yield Static("", classes="page-note -empty", id="settings-note")
        with VerticalScroll(id="settings-form"):
            with Horizontal(classes="row"):
                yield Label("Practice name", classes="field-label")
                yield Input(id="name", compact=True, disabled=read_only)
            yield Static("", id="name-error", classes="error -empty")
            with Horizontal(classes="row"):
                yield Label("Internal IDs", classes="field-label")
                yield TickBox(
                    "Clients have the practice's own record number",
                    id="internal_ids",
                    compact=True,
                    disabled=read_only,
                )
            with Horizontal(classes="row"):
                yield Label("Double booking", classes="field-label")
                yield TickBox(
                    "Allow a practitioner two sessions at once (asks first)",
                    id="allow_double_booking",
                    compact=True,
                    disabled=read_only,
                )
            with Horizontal(classes="row"):
                yield Label("Week starts", classes="field-label")
                yield TickBox(
                    "on Monday (else Sunday)",
                    id="week_starts_monday",
                    compact=True,
                    disabled=read_only,
                )
            with Horizontal(classes="row"):
                yield Label("Display zone", classes="field-label")
                yield Input(
                    id="display_tz",
                    compact=True,
                    disabled=read_only,
                    placeholder="blank: each computer's own zone; type to search",
                )
            yield Static("", id="display_tz-error", classes="error -empty")
            yield OptionList(id="zone-matches", disabled=read_only, compact=True)
            yield Static(
                "Takes effect next start, unless --tz or config sets a zone.", classes="hint"
            )
            yield Static("", id="form-error", classes="error -empty")
            with Horizontal(id="settings-buttons"):
                yield Button(
                    "Save", id="settings-save", variant="primary", compact=True, disabled=read_only
                )
                yield Button("Close", id="settings-close", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        if self.is_admin:
            self.set_note("ctrl+s saves · escape closes without saving")
        else:
            self.set_note(
                "Read-only: only an admin may change the practice's settings.", read_only=True
            )
        self.load(self.sessions.ctx)

    @work(
        thread=True,
        exclusive=True,
        group="settings-load",
        exit_on_error=False,
        description="Load settings",
    )
    def load(self, ctx: Context) -> None:
        from sessions_tui.services.practice import get_settings

        zones = sorted(zoneinfo.available_timezones())
        self.post_message(self.SettingsLoaded(get_settings(ctx), zones))

    def on_account_settings_screen_settings_loaded(
        self, message: AccountSettingsScreen.SettingsLoaded
    ) -> None:
        self.zones = list(message.zones)
        self._show(message.settings)
        focus = "#name" if self.is_admin else "#settings-close"
        self.query_one(focus).focus()

    def _show(self, settings: PracticeSettings) -> None:
        self.settings = settings
        self.query_one("#name", Input).value = settings.name
        for flag in ("internal_ids", "allow_double_booking", "week_starts_monday"):
            self.query_one(f"#{flag}", Checkbox).value = getattr(settings, flag)
        with self.prevent(Input.Changed):
            self.query_one("#display_tz", Input).value = settings.display_tz or ""
        self._fill_zones(settings.display_tz or "")

    # --- the zone picker ---------------------------------------------------------------------

    def _fill_zones(self, text: str) -> None:
        matches = self.query_one("#zone-matches", OptionList)
        matches.clear_options()
        found = zone_matches(self.zones, text)
        current = text.strip()
        if current in found:  # the exact zone first, so enter keeps it
            found.remove(current)
            found.insert(0, current)
        shown = found[:MAX_MATCHES]
        matches.add_options([Option(z, id=z) for z in shown])
        if len(found) > MAX_MATCHES:
            matches.add_option(
                Option(f"… {len(found) - MAX_MATCHES} more: type to narrow", disabled=True)
            )
        if not found:
            matches.add_option(Option("no zone matches", disabled=True))
        matches.highlighted = 0 if shown else None

    @on(Input.Changed, "#display_tz")
    def _zone_typed(self, event: Input.Changed) -> None:
        self._fill_zones(event.value)
        self._set_error("display_tz", "")

    def on_key(self, event: events.Key) -> None:
        focused = self.focused
        if event.key == "down" and focused is not None and focused.id == "display_tz":
            self.set_focus(self.query_one("#zone-matches"))
            event.stop()

    @on(Input.Submitted, "#display_tz")
    def _zone_entered(self, event: Input.Submitted) -> None:
        event.stop()
        matches = self.query_one("#zone-matches", OptionList)
        text = event.value.strip()
        if text and text not in self.zones and matches.highlighted is not None:
            option = matches.get_option_at_index(matches.highlighted)
            if option.id:
                self._pick(option.id)
                return
        self.action_save()

    @on(OptionList.OptionSelected, "#zone-matches")
    def _zone_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self._pick(event.option.id)

    def _pick(self, name: str) -> None:
        box = self.query_one("#display_tz", Input)
        box.value = name
        box.cursor_position = len(name)
        self.set_focus(box)

    @on(Input.Submitted, "#name")
    def _name_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    # --- saving ------------------------------------------------------------------------------

    def _set_error(self, name: str, message: str) -> None:
        for line in self.query(f"#{name}-error"):
            assert isinstance(line, Static)
            line.update(f"✗ {message}" if message else "")
            line.set_class(not message, "-empty")

    def _show_error(self, error: SessionsError) -> None:
        name = ALIASES.get(error.field or "", error.field or "")
        if error.field is None and "time zone" in error.message:
            name = "display_tz"  # domain.timeutil.zone names no field
        if name in ("name", "display_tz"):
            self._set_error(name, error.message)
            self.query_one(f"#{name}").focus()
        else:
            self._set_error("form", error.message)

    def read(self) -> SettingsForm:
        tz = self.query_one("#display_tz", Input).value.strip() or None
        if tz is not None and tz not in self.zones:
            raise ValidationError(
                f"unknown time zone {tz!r}: pick one from the list under the field",
                field="display_tz",
            )
        return SettingsForm(
            name=self.query_one("#name", Input).value,
            internal_ids=self.query_one("#internal_ids", Checkbox).value,
            allow_double_booking=self.query_one("#allow_double_booking", Checkbox).value,
            week_starts_monday=self.query_one("#week_starts_monday", Checkbox).value,
            display_tz=tz,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return True if self.is_admin else None
        return True

    def action_save(self) -> None:
        if not self.is_admin:
            self.notify("Only an admin may change the practice's settings.", severity="warning")
            return
        if self.saving or self.settings is None:
            return
        for name in ("name", "display_tz", "form"):
            self._set_error(name, "")
        try:
            form = self.read()
        except ValidationError as exc:
            self._show_error(exc)
            return
        changes = {
            f: getattr(form, f) for f in FIELDS if getattr(form, f) != getattr(self.settings, f)
        }
        if not changes:
            self.notify("Nothing changed.")
            return
        self.saving = True
        self.store(self.sessions.ctx, changes)

    @work(
        thread=True,
        exclusive=True,
        group="settings-save",
        exit_on_error=False,
        description="Save settings",
    )
    def store(self, ctx: Context, changes: dict[str, object]) -> None:
        from sessions_tui.services.practice import update_settings

        try:
            saved = update_settings(ctx, **changes)
        except SessionsError as exc:
            self.post_message(self.SettingsRefused(exc))
            return
        self.post_message(self.SettingsSaved(saved))

    def on_account_settings_screen_settings_saved(
        self, message: AccountSettingsScreen.SettingsSaved
    ) -> None:
        self.saving = False
        self._show(message.settings)
        self.notify("Settings saved.")
        # The calendar's week start and lists come from the loaded facts.
        self.sessions.load_facts()

    def on_account_settings_screen_settings_refused(
        self, message: AccountSettingsScreen.SettingsRefused
    ) -> None:
        self.saving = False
        self._show_error(message.error)

    @on(Button.Pressed, "#settings-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#settings-close")
    def _close_pressed(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        self.dismiss()
