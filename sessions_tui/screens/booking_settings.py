"""Online booking settings: one row per practitioner the user manages; enter edits a row.

Admins and schedulers see everyone; a practitioner sees (and changes) their own page only. The
form holds every setting of :func:`sessions_tui.services.booking.update_settings`; ``l`` makes a
new secret link (the old one stops working at once).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, Static

from sessions_tui.domain.errors import SessionsError, ValidationError
from sessions_tui.domain.text import count_of
from sessions_tui.screens.dialogs import confirm
from sessions_tui.screens.form_modal import FormModal, TickBox
from sessions_tui.screens.setup_page import SetupPage
from sessions_tui.services.booking import BookingSettings

if TYPE_CHECKING:
    from sessions_tui.services.context import Context


def services_text(settings: BookingSettings) -> str:
    return ", ".join(f"{s.name}={s.minutes}" for s in settings.services)


def parse_services(text: str) -> list[tuple[str, int]]:
    """``Intake=80, Session=50`` → ``[("Intake", 80), ("Session", 50)]``."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, minutes = part.rpartition("=")
        if not sep or not minutes.strip().isdigit():
            raise ValidationError(f"bad service {part!r}: say NAME=MINUTES", field="services")
        out.append((name.strip(), int(minutes)))
    return out


class BookingSettingsFormModal(FormModal[BookingSettings]):
    """Every booking setting of one practitioner; dismisses with the saved settings.

    | Key | Action |
    | --- | --- |
    | tab / shift+tab | Next / previous field |
    | enter or ctrl+s | Save |
    | escape | Leave with nothing changed |
    """

    FIELDS: ClassVar[tuple[str, ...]] = (
        "services",
        "notice_minutes",
        "horizon_days",
        "buffer_minutes",
        "hold_minutes",
    )
    NUMBERS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("notice_minutes", "Notice (min)"),
        ("horizon_days", "Ahead (days)"),
        ("buffer_minutes", "Buffer (min)"),
        ("hold_minutes", "Hold (min)"),
    )

    def __init__(self, settings: BookingSettings) -> None:
        super().__init__(id="booking-settings-form")
        self.settings = settings

    def compose_fields(self) -> ComposeResult:
        s = self.settings
        yield Static(f"Online booking of {s.practitioner_name}", classes="form-title")
        yield self.field_row("Booking on", TickBox("", s.enabled, id="enabled", compact=True))
        yield self.field_row(
            "Services",
            Input(
                services_text(s), id="services", compact=True, placeholder="Intake=80, Session=50"
            ),
        )
        yield self.error_line("services")
        for name, label in self.NUMBERS:
            yield self.field_row(label, Input(str(getattr(s, name)), id=name, compact=True))
            yield self.error_line(name)
        yield self.field_row(
            "New clients", TickBox("may ask", s.new_clients, id="new_clients", compact=True)
        )
        yield self.field_row(
            "Public link", TickBox("/book/<login>", s.public, id="public", compact=True)
        )
        yield Static("enter or ctrl+s: save · escape: leave unchanged", classes="form-hint")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#enabled"))

    def read(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "services": parse_services(self.query_one("#services", Input).value),
            "enabled": self.query_one("#enabled", TickBox).value,
            "new_clients": self.query_one("#new_clients", TickBox).value,
            "public": self.query_one("#public", TickBox).value,
        }
        for name, label in self.NUMBERS:
            text = self.query_one(f"#{name}", Input).value.strip()
            if not text.isdigit():
                raise ValidationError(f"{label}: a whole number", field=name)
            values[name] = int(text)
        return values

    def store(self, ctx: Context, values: dict[str, Any]) -> BookingSettings:
        from sessions_tui.services.booking import update_settings

        values = dict(values)
        services = values.pop("services")
        return update_settings(ctx, self.settings.practitioner_id, services=services, **values)


class BookingSettingsScreen(SetupPage):
    """Online booking settings of the practitioners you manage.

    | Key | Action |
    | --- | --- |
    | enter, e | Edit the highlighted practitioner's settings |
    | l | Make a new secret link (the old one stops working) |
    | escape | Close (back to the calendar) |
    """

    HELP = """Each practitioner's online booking page: on or off, the services offered, the
minimum notice, how far ahead, the buffer around busy time, how long a request holds its time,
whether new clients may ask, and a secret or public link. enter edits the highlighted row; l
makes a new secret link, shown once (only its hash is stored; a public link's address is
shown here). alt+c returns to the calendar."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="booking.close", tooltip="Close booking settings"),
        Binding("e", "edit", "Edit", id="booking.edit", tooltip="Edit the highlighted settings"),
        Binding("l", "rotate", "New link", id="booking.rotate", tooltip="A new secret link"),
    ]

    class Loaded(Message):
        def __init__(self, settings: Sequence[BookingSettings]) -> None:
            super().__init__()
            self.settings = settings

    class Rotated(Message):
        """A new secret link was made: shown this once (only its hash is stored)."""

        def __init__(self, settings: BookingSettings) -> None:
            super().__init__()
            self.settings = settings

    def __init__(self) -> None:
        super().__init__(id="booking-settings")
        self.rows: list[BookingSettings] = []

    def compose(self) -> ComposeResult:
        yield Static("Online booking", classes="page-title", id="booking-title")
        yield Static("", classes="page-note -empty", id="booking-note")
        yield DataTable(id="booking-table", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#booking-table", DataTable)
        for label in ("Practitioner", "Booking", "Services", "Notice", "Ahead", "Link"):
            table.add_column(label, key=label.lower())
        table.focus()

    def on_screen_resume(self) -> None:
        self.load(self.sessions.ctx)

    @work(
        thread=True,
        exclusive=True,
        group="booking-load",
        exit_on_error=False,
        description="Load booking settings",
    )
    def load(self, ctx: Context) -> None:
        from sessions_tui.services.booking import list_settings

        self.post_message(self.Loaded(list_settings(ctx)))

    def on_booking_settings_screen_loaded(self, message: BookingSettingsScreen.Loaded) -> None:
        self.rows = list(message.settings)
        table = self.query_one("#booking-table", DataTable)
        keep = table.cursor_row
        table.clear()
        for s in self.rows:
            table.add_row(
                s.practitioner_name,
                "on" if s.enabled else "off",
                ", ".join(f"{x.name} {x.minutes}m" for x in s.services) or "none",
                f"{s.notice_minutes} min",
                count_of(s.horizon_days, "day"),
                f"/book/{s.key}" if s.public else "/book/<secret>",
                key=str(s.practitioner_id),
            )
        if self.rows:
            table.move_cursor(row=min(keep, len(self.rows) - 1))
        self.refresh_bindings()

    def highlighted(self) -> BookingSettings | None:
        table = self.query_one("#booking-table", DataTable)
        if not self.rows or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((s for s in self.rows if str(s.practitioner_id) == key), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "rotate"):
            return True if self.highlighted() is not None else None
        return True

    def action_close(self) -> None:
        self.dismiss()

    def action_edit(self) -> None:
        found = self.highlighted()
        if found is not None:
            self.app.push_screen(BookingSettingsFormModal(found), self._saved)

    @on(DataTable.RowSelected, "#booking-table")
    def _row_chosen(self) -> None:
        self.action_edit()

    def _saved(self, settings: BookingSettings | None) -> None:
        if settings is not None:
            self.notify(f"Saved the booking settings of {settings.practitioner_name}.")
            self.load(self.sessions.ctx)

    def action_rotate(self) -> None:
        found = self.highlighted()
        if found is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.rotate(self.sessions.ctx, found.practitioner_id)

        self.app.push_screen(
            confirm(
                f"A new link for {found.practitioner_name}?",
                "New link",
                detail="The old link stops working at once.",
            ),
            answered,
        )

    @work(
        thread=True,
        exclusive=True,
        group="booking-rotate",
        exit_on_error=False,
        description="Make a new booking link",
    )
    def rotate(self, ctx: Context, practitioner_id: int) -> None:
        from sessions_tui.services.booking import list_settings, rotate_link

        try:
            made = rotate_link(ctx, practitioner_id)
        except SessionsError as exc:
            self.post_message(self.Refused(exc.message))
            return
        self.post_message(self.Rotated(made))
        self.post_message(self.Loaded(list_settings(ctx)))

    def on_booking_settings_screen_rotated(self, message: BookingSettingsScreen.Rotated) -> None:
        made = message.settings
        self.notify(
            f"New link for {made.practitioner_name} (shown this once; the old one stopped "
            f"working): /book/{made.key}",
            title="Booking link",
            markup=False,
            timeout=60,
        )
