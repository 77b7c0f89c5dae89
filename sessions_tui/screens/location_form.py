"""Add a location or rename one: a single name field."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.widgets import Input, Static

from sessions_tui.domain.model import Location
from sessions_tui.domain.text import safe_text
from sessions_tui.screens.form_modal import FormModal

if TYPE_CHECKING:
    from sessions_tui.services.context import Context


class LocationFormModal(FormModal[Location]):
    """A location's name; dismisses with the saved :class:`Location` or ``None``.

    | Key | Action |
    | --- | --- |
    | enter or ctrl+s | Save |
    | escape | Leave with nothing changed |
    """

    FIELDS: ClassVar[tuple[str, ...]] = ("name",)
    ALIASES: ClassVar[dict[str, str]] = {"location_name": "name"}

    def __init__(self, location: Location | None) -> None:
        super().__init__(id="location-form")
        self.location = location

    def compose_fields(self) -> ComposeResult:
        location = self.location
        yield Static(
            f"Rename {safe_text(location.name)}" if location else "New location",
            classes="form-title",
            markup=False,
        )
        yield self.field_row(
            "Name",
            Input(
                location.name if location else "",
                id="name",
                compact=True,
                placeholder="a room, a clinic, Telehealth",
            ),
        )
        yield self.error_line("name")
        if location is not None:
            yield Static(
                "Its events, past and future, move with the new name.", classes="form-hint"
            )
        yield Static("enter or ctrl+s: save · escape: leave unchanged", classes="form-hint")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#name"))

    def read(self) -> str:
        return self.query_one("#name", Input).value

    def store(self, ctx: Context, values: str) -> Location:
        from sessions_tui.services import practice

        if self.location is None:
            return practice.add_location(ctx, values)
        if values.strip() == self.location.name:
            return self.location
        return practice.update_location(ctx, self.location.id, name=values)
