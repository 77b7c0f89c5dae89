"""Add or edit a member of staff: login, name, roles, calendar colour and default session length.

Admins change everything (a new member's login included; a login never changes after). Anyone
else may open only their own profile, where the roles are shown but cannot be changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.color import Color, ColorParseError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input, Label, Static

from sessions_tui.domain.errors import SessionsError, ValidationError
from sessions_tui.domain.model import Role, Staff
from sessions_tui.screens.form_modal import FormModal, TickBox

if TYPE_CHECKING:
    from sessions_tui.services.context import Context

ROLE_LABELS = (
    (Role.ADMIN, "Admin"),
    (Role.SCHEDULER, "Scheduler"),
    (Role.PRACTITIONER, "Practitioner"),
)


@dataclass(frozen=True)
class StaffValues:
    """What the form read; ``color`` is ``""`` for "the next palette colour"."""

    login: str
    name: str
    roles: frozenset[Role]
    color: str
    minutes: int


def swatch(color: str) -> Text:
    """Two blocks in ``color``, or a question mark when it is not a colour."""
    try:
        Color.parse(color.strip())
    except ColorParseError:
        return Text(" ?", style="bold")
    return Text("██", style=color.strip())


class StaffFormModal(FormModal[Staff]):
    """A member of staff; dismisses with the saved :class:`Staff` or ``None``.

    | Key | Action |
    | --- | --- |
    | tab / shift+tab | Next / previous field |
    | space | Tick or untick a role |
    | enter (in a text field) or ctrl+s | Save |
    | escape | Leave with nothing changed |
    """

    FIELDS: ClassVar[tuple[str, ...]] = ("login", "name", "roles", "color", "minutes")
    ALIASES: ClassVar[dict[str, str]] = {"role": "roles"}

    DEFAULT_CSS = """
    StaffFormModal #roles-row Checkbox { width: auto; margin: 0 2 0 0; }
    StaffFormModal #color { width: 28; }
    StaffFormModal #color-swatch { width: 3; padding: 0 0 0 1; }
    StaffFormModal #minutes { width: 8; }
    StaffFormModal #minutes-unit { width: auto; padding: 0 0 0 1; }
    """

    def __init__(self, staff: Staff | None, *, can_change_roles: bool) -> None:
        super().__init__(id="staff-form")
        self.staff = staff
        self.can_change_roles = can_change_roles

    def compose_fields(self) -> ComposeResult:
        staff = self.staff
        title = "New member of staff" if staff is None else f"Edit {staff.name}"
        yield Static(title, classes="form-title")
        if staff is None:
            yield self.field_row(
                "Login", Input(id="login", compact=True, placeholder="letters, digits, _ . @ -")
            )
        else:
            yield self.field_row("Login", Label(staff.login, id="login"))
        yield self.error_line("login")
        yield self.field_row("Name", Input(staff.name if staff else "", id="name", compact=True))
        yield self.error_line("name")
        roles = staff.roles if staff else frozenset({Role.PRACTITIONER})
        yield Horizontal(
            Label("Roles", classes="field-label"),
            *[
                TickBox(
                    label,
                    role in roles,
                    id=f"role-{role.value}",
                    compact=True,
                    disabled=not self.can_change_roles,
                )
                for role, label in ROLE_LABELS
            ],
            classes="row",
            id="roles-row",
        )
        yield self.error_line("roles")
        if not self.can_change_roles:
            yield Static("Only an admin may change roles.", classes="form-hint")
        color = staff.color if staff else ""
        yield self.field_row(
            "Colour",
            Input(color, id="color", compact=True, placeholder="blank: next in the palette"),
            Static(swatch(color) if color else "", id="color-swatch"),
        )
        yield self.error_line("color")
        minutes = str(staff.default_session_minutes) if staff else "50"
        yield self.field_row(
            "Session length",
            Input(minutes, id="minutes", compact=True),
            Label("minutes (default for new sessions)", id="minutes-unit"),
        )
        yield self.error_line("minutes")
        yield Static(
            "tab: next field · space: tick a role · ctrl+s: save · escape: cancel",
            classes="form-hint",
        )

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#login" if self.staff is None else "#name"))

    @on(Input.Changed, "#color")
    def _color_typed(self, event: Input.Changed) -> None:
        self.query_one("#color-swatch", Static).update(
            swatch(event.value) if event.value.strip() else ""
        )

    def read(self) -> StaffValues:
        login = self.staff.login if self.staff else self.query_one("#login", Input).value
        roles = frozenset(
            role for role, _ in ROLE_LABELS if self.query_one(f"#role-{role.value}", Checkbox).value
        )
        text = self.query_one("#minutes", Input).value.strip()
        try:
            minutes = int(text)
        except ValueError:
            raise ValidationError(
                f"session length must be a whole number of minutes, not {text!r}", field="minutes"
            ) from None
        return StaffValues(
            login,
            self.query_one("#name", Input).value,
            roles,
            self.query_one("#color", Input).value.strip(),
            minutes,
        )

    def show_error(self, error: SessionsError) -> None:
        # The service names no field for the length rule; it belongs next to the length.
        if error.field is None and "session length" in error.message:
            error = ValidationError(error.message, field="minutes")
        super().show_error(error)

    def store(self, ctx: Context, values: StaffValues) -> Staff:
        from sessions_tui.services import practice

        if self.staff is None:
            # add_staff stores the colour as given; check it here as update_staff would.
            color = practice.validate_color(values.color) if values.color else None
            return practice.add_staff(
                ctx,
                values.login,
                values.name,
                values.roles,
                color=color,
                default_session_minutes=values.minutes,
            )
        staff = self.staff
        changes: dict[str, object] = {}
        if values.name.strip() != staff.name:
            changes["name"] = values.name
        if self.can_change_roles and values.roles != staff.roles:
            changes["roles"] = sorted(values.roles)
        if values.color != staff.color:
            if not values.color:
                raise ValidationError(
                    "choose a colour (a name such as blue, or #rrggbb)", field="color"
                )
            changes["color"] = values.color
        if values.minutes != staff.default_session_minutes:
            changes["default_session_minutes"] = values.minutes
        if not changes:
            return staff
        return practice.update_staff(ctx, staff.id, **changes)
