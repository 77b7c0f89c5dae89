"""Staff: people, their logins and roles, each practitioner's colour and default session length.

Admins add staff and edit anyone (roles included). Everyone else sees the list read-only and may
edit only their own profile (name, colour, default length), never their roles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from sessions_tui.domain.model import Staff
from sessions_tui.domain.text import safe_text
from sessions_tui.screens.setup_page import SetupPage
from sessions_tui.screens.staff_form import StaffFormModal, swatch
from sessions_tui.services import permissions
from sessions_tui.services.context import Context


class StaffScreen(SetupPage):
    """The practice's staff.

    | Key | Action |
    | --- | --- |
    | a | Add a member of staff (admins) |
    | e, enter | Edit the highlighted person (admins: anyone; others: themselves) |
    | o | Edit my own profile |
    | escape | Close (back to the calendar) |
    """

    HELP = """Everyone at the practice: login, roles (admin, scheduler, practitioner, in any
combination), and for practitioners their calendar colour and default session length. Admins add
staff with a and edit anyone with e or enter. Everyone may edit their own name, colour and
default length (o opens your own profile); only admins change roles. alt+c returns to the
calendar."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="staff.close", tooltip="Close the staff page"),
        Binding("a", "add", "Add", id="staff.add", tooltip="Add a member of staff (admins)"),
        Binding(
            "e",
            "edit",
            "Edit",
            id="staff.edit",
            tooltip="Edit the highlighted person (admins: anyone; others: themselves)",
        ),
        Binding(
            "o",
            "own_profile",
            "My profile",
            id="staff.own-profile",
            tooltip="Edit your own name, colour and default session length",
        ),
    ]

    class StaffLoaded(Message):
        """Every member of staff, by name."""

        def __init__(self, staff: Sequence[Staff]) -> None:
            super().__init__()
            self.staff = staff

    def __init__(self) -> None:
        super().__init__(id="staff")
        self.staff: list[Staff] = []
        self._select_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Static("Staff", classes="page-title", id="staff-title")
        yield Static("", classes="page-note -empty", id="staff-note")
        yield DataTable(id="staff-table", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#staff-table", DataTable)
        table.add_column("Name", key="name")
        table.add_column("Login", key="login")
        table.add_column("Roles", key="roles")
        table.add_column("Colour", key="color")
        table.add_column("Length", key="minutes")
        if not self.is_admin:
            self.set_note(
                "Read-only except your own profile (o): only an admin may add staff "
                "or change roles.",
                read_only=True,
            )
        table.focus()

    def on_screen_resume(self) -> None:
        self.load(self.sessions.ctx)

    @work(
        thread=True,
        exclusive=True,
        group="staff-load",
        exit_on_error=False,
        description="Load staff",
    )
    def load(self, ctx: Context) -> None:
        from sessions_tui.services.practice import list_staff

        self.post_message(self.StaffLoaded(list_staff(ctx)))

    def on_staff_screen_staff_loaded(self, message: StaffScreen.StaffLoaded) -> None:
        self.staff = list(message.staff)
        table = self.query_one("#staff-table", DataTable)
        keep = self._select_id if self._select_id is not None else self.highlighted_id()
        actor = self.actor
        table.clear()
        for p in self.staff:
            name = Text(safe_text(p.name))
            if actor is not None and p.id == actor.id:
                name.append(" (you)", style="dim")
            if p.is_practitioner:
                color: Text | str = swatch(p.color) + Text(f" {p.color}")
                minutes: Text | str = f"{p.default_session_minutes} min"
            else:
                # Only practitioners have sessions, so the colour and length do nothing yet.
                color = Text(p.color, style="dim")
                minutes = Text(f"{p.default_session_minutes} min", style="dim")
            table.add_row(
                name, p.login, p.role_label.replace(",", ", "), color, minutes, key=str(p.id)
            )
        if keep is not None and any(p.id == keep for p in self.staff):
            table.move_cursor(row=table.get_row_index(str(keep)))
        self._select_id = None
        self.refresh_bindings()

    def highlighted(self) -> Staff | None:
        table = self.query_one("#staff-table", DataTable)
        if not self.staff or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((p for p in self.staff if str(p.id) == key), None)

    def highlighted_id(self) -> int | None:
        person = self.highlighted()
        return person.id if person else None

    def may_edit(self, person: Staff | None) -> bool:
        actor = self.actor
        if person is None or actor is None:
            return False
        return permissions.can_edit_staff(actor, person.id)

    # --- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "add":
            return True if self.is_admin else None
        if action == "edit":
            return True if self.may_edit(self.highlighted()) else None
        if action == "own_profile":
            return True if self.actor is not None else None
        return True

    def action_close(self) -> None:
        self.dismiss()

    def action_add(self) -> None:
        if not self.is_admin:
            self.notify("Only an admin may add staff.", severity="warning")
            return
        self.app.push_screen(StaffFormModal(None, can_change_roles=True), self._form_closed)

    def action_edit(self) -> None:
        person = self.highlighted()
        if person is None:
            return
        if not self.may_edit(person):
            self.notify(
                "You may edit only your own profile; an admin edits other staff.",
                severity="warning",
            )
            return
        self.app.push_screen(
            StaffFormModal(person, can_change_roles=self.is_admin), self._form_closed
        )

    def action_own_profile(self) -> None:
        actor = self.actor
        if actor is None:
            return
        me = next((p for p in self.staff if p.id == actor.id), actor)
        self.app.push_screen(StaffFormModal(me, can_change_roles=self.is_admin), self._form_closed)

    @on(DataTable.RowSelected, "#staff-table")
    def _row_chosen(self) -> None:
        self.action_edit()

    @on(DataTable.RowHighlighted, "#staff-table")
    def _row_moved(self) -> None:
        self.refresh_bindings()

    def _form_closed(self, person: Staff | None) -> None:
        if person is None:
            return
        app = self.sessions
        self._select_id = person.id
        self.notify(f"Saved {safe_text(person.name)}.")
        actor = app.ctx.actor
        if actor is not None and actor.id == person.id:
            # The app acts as this person: keep its copy current (name, defaults, roles).
            app.ctx = replace(app.ctx, actor=person)
            self.set_note(
                ""
                if permissions.is_admin(person)
                else "Read-only except your own profile (o): only an admin may add staff "
                "or change roles.",
                read_only=not permissions.is_admin(person),
            )
        # The calendar's legend, colours and default lengths come from the loaded facts.
        app.load_facts()
        self.load(app.ctx)
