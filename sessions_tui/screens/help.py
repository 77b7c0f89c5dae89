"""Help: every key, what it does and where it works, read from the ``BINDINGS`` of the app,
its screens and widgets.

Nothing here is typed by hand, so it cannot go stale; ``docs/keys.md`` is made from the same
rows (``python -m sessions_tui.screens.help > docs/keys.md``, with the binding ids ``[keymap]``
names) and a test checks it matches. The screen is written for users: keys as printed on the
keyboard, the sentence of each binding, no ids.

Why a Rich table in one ``Static`` and not the ``Markdown`` widget: thirty Markdown tables
mounted ~200 widgets and took seconds to paint (issue 14 measured 4.7 s on a busy practice);
one table renders in a few milliseconds and wraps to the terminal's width.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from sessions_tui.logs import log_location
from sessions_tui.widgets.key_table import KeyTable


@dataclass(frozen=True)
class KeyRow:
    """One binding as the help shows it.

    Attributes:
        scope: Where it works (a screen, a list, or "Everywhere").
        keys: The keys as a user reads them (``.``, ``?``, ``]``, ``ctrl+s``), comma-separated.
        description: The footer's short word.
        tooltip: What it does, in a sentence.
        id: The binding id a ``[keymap]`` entry names (docs/keys.md shows it; the help does not).
    """

    scope: str
    keys: str
    description: str
    tooltip: str
    id: str


KEY_NAMES = {
    "escape": "esc",
    "enter": "enter",
    "space": "space",
    "tab": "tab",
    "delete": "delete",
    "backspace": "backspace",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "pageup": "page up",
    "pagedown": "page down",
}
"""Names printed for keys whose Textual name is not what a user reads on the keyboard."""


def one_key_label(key: str) -> str:
    """``full_stop`` → ``.``, ``question_mark`` → ``?``, ``ctrl+right_square_bracket`` →
    ``ctrl+]``, ``escape`` → ``esc``: the key as printed on the keyboard."""
    from textual.keys import format_key

    *mods, last = key.strip().split("+")
    name = KEY_NAMES.get(last)
    if name is None:
        name = format_key(last) if len(last) > 1 else last
    return "+".join([*mods, name])


def key_label(keys: str) -> str:
    """A binding's comma-separated keys as a user reads them (see :func:`one_key_label`)."""
    return ", ".join(one_key_label(k) for k in keys.split(",") if k.strip())


def textual_key(key: str) -> str:
    """The Textual name of one key as a user may type it in ``[keymap]``: ``.`` →
    ``full_stop``, ``ctrl+]`` → ``ctrl+right_square_bracket``; names pass through."""
    import unicodedata

    from textual.keys import KEY_NAME_REPLACEMENTS

    *mods, last = key.strip().split("+") if key.strip() != "+" else ["+"]
    if len(last) == 1 and not last.isalnum():
        with contextlib.suppress(ValueError):  # a character with no Unicode name
            last = unicodedata.name(last).lower().replace("-", "_").replace(" ", "_")
        last = KEY_NAME_REPLACEMENTS.get(last, last)
    return "+".join([*mods, last])


def textual_keymap(keymap: dict[str, str]) -> dict[str, str]:
    """A ``[keymap]`` table with every key in Textual's names (for ``App.set_keymap``)."""
    return {
        binding_id: ",".join(textual_key(k) for k in keys.split(",") if k.strip())
        for binding_id, keys in keymap.items()
    }


def binding_sources() -> list[tuple[str, type]]:
    """Every class that owns bindings, with the name of its scope."""
    from sessions_tui.screens.app_keys import AppKeys
    from sessions_tui.screens.availability import AvailabilityScreen
    from sessions_tui.screens.calendar import CalendarScreen
    from sessions_tui.screens.client_form import ClientFormModal
    from sessions_tui.screens.clients import ClientsScreen
    from sessions_tui.screens.dialogs import ChoiceModal
    from sessions_tui.screens.event_details import EventDetailsScreen
    from sessions_tui.screens.event_editor import EventEditorScreen
    from sessions_tui.screens.filters import FiltersModal
    from sessions_tui.screens.form_modal import FormModal
    from sessions_tui.screens.free_slot import SessionLengthModal
    from sessions_tui.screens.go_to_date import GoToDateModal
    from sessions_tui.screens.hours_dialogs import IntervalModal, OverrideModal, ZonePickerModal
    from sessions_tui.screens.location_form import LocationFormModal
    from sessions_tui.screens.locations import LocationsScreen
    from sessions_tui.screens.office_hours import OfficeHoursScreen
    from sessions_tui.screens.quick_add import QuickAddModal
    from sessions_tui.screens.reminder_settings import ReminderSettingsScreen
    from sessions_tui.screens.search import SearchScreen
    from sessions_tui.screens.settings import AccountSettingsScreen
    from sessions_tui.screens.setup_page import SetupPage
    from sessions_tui.screens.staff import StaffScreen
    from sessions_tui.screens.staff_form import StaffFormModal
    from sessions_tui.screens.subscriptions import SubscriptionsScreen
    from sessions_tui.screens.sync_calendar import SyncCalendarScreen
    from sessions_tui.screens.sync_screen import CalDavSyncScreen, GoogleSyncScreen
    from sessions_tui.widgets.agenda_list import AgendaList
    from sessions_tui.widgets.hours_editor import HoursEditor
    from sessions_tui.widgets.month_grid import MonthGrid
    from sessions_tui.widgets.time_grid import TimeGrid

    return [
        ("Everywhere", AppKeys),
        ("Calendar", CalendarScreen),
        ("Week and day grid", TimeGrid),
        ("Month grid", MonthGrid),
        ("Agenda list", AgendaList),
        ("Search", SearchScreen),
        ("Filters", FiltersModal),
        ("Go to date", GoToDateModal),
        ("Quick add", QuickAddModal),
        ("Event details", EventDetailsScreen),
        ("Event form", EventEditorScreen),
        ("Questions", ChoiceModal),
        ("Office hours", OfficeHoursScreen),
        ("Manage availability", AvailabilityScreen),
        ("Weekly hours editor", HoursEditor),
        ("Interval form", IntervalModal),
        ("Date override form", OverrideModal),
        ("Time zone list", ZonePickerModal),
        ("Next free slot", SessionLengthModal),
        ("Every setup page", SetupPage),
        ("Clients", ClientsScreen),
        ("Every setup form", FormModal),
        ("Client form", ClientFormModal),
        ("Staff", StaffScreen),
        ("Staff form", StaffFormModal),
        ("Locations", LocationsScreen),
        ("Location form", LocationFormModal),
        ("Account settings", AccountSettingsScreen),
        ("Reminder settings", ReminderSettingsScreen),
        ("Sync Calendar (ICS feeds)", SyncCalendarScreen),
        ("Google sync", GoogleSyncScreen),
        ("CalDAV sync", CalDavSyncScreen),
        ("ICS subscriptions", SubscriptionsScreen),
        ("Help", HelpScreen),
    ]


def own_bindings(cls: type) -> list[Binding]:
    """The bindings a class declares itself (not those inherited from Textual)."""
    raw: list[BindingType] = list(cls.__dict__.get("BINDINGS", []))
    return list(Binding.make_bindings(raw))


def key_rows() -> list[KeyRow]:
    return [
        KeyRow(scope, key_label(b.key), b.description, b.tooltip, b.id or "")
        for scope, cls in binding_sources()
        for b in own_bindings(cls)
    ]


def keys_markdown() -> str:
    """All bindings as Markdown tables, one per scope, with the ids ``[keymap]`` names."""
    out = [
        "# Keys",
        "",
        "Generated from the bindings themselves (`python -m sessions_tui.screens.help`).",
        "Press `?` in the app for the same list (without the ids).",
        "",
        "The **Id** column is what the config file's `[keymap]` table names to give an action",
        'other keys (docs/CLI.md), e.g. `"calendar.team" = "ctrl+t"`. Keys are written as',
        "printed on the keyboard (`.`, `?`, `]`, `ctrl+s`) or by Textual's names (`full_stop`,",
        "`question_mark`, `right_square_bracket`, `up`, `escape`); both work in `[keymap]`.",
        "",
    ]
    scope = None
    for row in key_rows():
        if row.scope != scope:
            scope = row.scope
            out += [
                "",
                f"## {scope}",
                "",
                "| Key | Action | What it does | Id |",
                "| --- | --- | --- | --- |",
            ]
        keys = row.keys.replace("|", "\\|")
        out.append(f"| `{keys}` | {row.description} | {row.tooltip} | `{row.id}` |")
    return "\n".join(out).replace("\n\n\n", "\n\n") + "\n"


def help_rows(keymap: dict[str, str] | None = None) -> list[KeyRow]:
    """The rows the help screen shows: the keys in force (``[keymap]`` applied)."""
    keymap = textual_keymap(keymap or {})
    return [
        replace(row, keys=key_label(keymap[row.id])) if row.id in keymap else row
        for row in cached_key_rows()
    ]


_ROWS: list[KeyRow] | None = None


def cached_key_rows() -> list[KeyRow]:
    """:func:`key_rows`, made once (importing every screen is most of its cost; the App
    calls this in its warm-up thread so that ``?`` finds it ready)."""
    global _ROWS
    if _ROWS is None:
        _ROWS = key_rows()
    return _ROWS


class HelpScreen(Screen[None]):
    """Every key: what it does and where it works; type to find one."""

    HELP = "Every key. Type to find one; escape goes back, alt+c to the calendar."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="help.close", tooltip="Back to where you were"),
        Binding(
            "down",
            "scroll(1)",
            "Scroll",
            id="help.down",
            show=False,
            tooltip="Scroll the list down a line",
        ),
        Binding(
            "up", "scroll(-1)", "Scroll", id="help.up", show=False, tooltip="Scroll the list up"
        ),
        Binding(
            "pagedown",
            "page(1)",
            "Page",
            id="help.page-down",
            show=False,
            tooltip="Scroll the list down a page",
        ),
        Binding(
            "pageup",
            "page(-1)",
            "Page",
            id="help.page-up",
            show=False,
            tooltip="Scroll the list up a page",
        ),
    ]

    DEFAULT_CSS = """
    HelpScreen #help-intro { padding: 0 1; height: auto; color: $text-muted; }
    HelpScreen #help-find { margin: 0 1; }
    HelpScreen #help-keys { height: 1fr; }
    """

    rows: list[KeyRow]

    def compose(self) -> ComposeResult:
        config = getattr(self.app, "config", None)
        self.rows = help_rows(getattr(config, "keymap", None))
        yield Static(
            "Every key and where it works. Type to find one · esc back · alt+c calendar"
            f"\nLog file: {log_location()}",
            id="help-intro",
            markup=False,
        )
        yield Input(placeholder="Find a key or an action…", id="help-find", compact=True)
        yield KeyTable(self.rows, id="help-keys")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#help-find", Input).focus()

    @on(Input.Changed, "#help-find")
    def _find(self, event: Input.Changed) -> None:
        self.query_one(KeyTable).show(event.value)

    def action_scroll(self, lines: int) -> None:
        self.query_one(KeyTable).scroll_relative(y=lines, animate=False)

    def action_page(self, pages: int) -> None:
        table = self.query_one(KeyTable)
        table.scroll_relative(y=pages * max(1, table.size.height - 2), animate=False)

    def action_close(self) -> None:
        self.dismiss()


if __name__ == "__main__":  # pragma: no cover
    print(keys_markdown(), end="")
