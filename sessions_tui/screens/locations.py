"""Locations: add, rename, archive and unarchive the places sessions happen.

An archived location keeps its events (past and future ones still show it) but is no longer
offered for new events. Admins and schedulers change locations; practitioners see them read-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from sessions_tui.domain.errors import SessionsError
from sessions_tui.domain.model import Location
from sessions_tui.domain.text import safe_text
from sessions_tui.screens.dialogs import confirm
from sessions_tui.screens.location_form import LocationFormModal
from sessions_tui.screens.setup_page import SetupPage
from sessions_tui.services.context import Context


class LocationsScreen(SetupPage):
    """The practice's locations.

    | Key | Action |
    | --- | --- |
    | a | Add a location |
    | r, enter | Rename the highlighted location |
    | x | Archive or unarchive the highlighted location |
    | escape | Close (back to the calendar) |
    """

    HELP = """Where sessions happen. a adds a location, r (or enter) renames the highlighted one,
x archives it (asking first) or brings an archived one back. An archived location keeps its
events, past and future, but is not offered for new events. Practitioners see this page
read-only. alt+c returns to the calendar."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "close", "Back", id="locations.close", tooltip="Close the locations page"
        ),
        Binding("a", "add", "Add", id="locations.add", tooltip="Add a location"),
        Binding(
            "r",
            "rename",
            "Rename",
            id="locations.rename",
            tooltip="Rename the highlighted location",
        ),
        Binding(
            "x",
            "toggle_archived",
            "Archive/unarchive",
            id="locations.archive",
            tooltip="Archive the highlighted location, or bring an archived one back",
        ),
    ]

    class LocationsLoaded(Message):
        """Every location, archived ones included, by name."""

        def __init__(self, locations: Sequence[Location]) -> None:
            super().__init__()
            self.locations = locations

    class Changed(Message):
        """A location was archived or brought back (posted from the worker)."""

        def __init__(self, location: Location, archived: bool) -> None:
            super().__init__()
            self.location = location
            self.archived = archived

    def __init__(self) -> None:
        super().__init__(id="locations")
        self.locations: list[Location] = []
        self._select_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Static("Locations", classes="page-title", id="locations-title")
        yield Static("", classes="page-note -empty", id="locations-note")
        yield DataTable(id="locations-table", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#locations-table", DataTable)
        table.add_column("Name", key="name")
        table.add_column("Status", key="status")
        if not self.is_manager:
            self.set_note(
                "Read-only: only an admin or scheduler may change locations.", read_only=True
            )
        table.focus()

    def on_screen_resume(self) -> None:
        self.load(self.sessions.ctx)

    @work(
        thread=True,
        exclusive=True,
        group="locations-load",
        exit_on_error=False,
        description="Load locations",
    )
    def load(self, ctx: Context) -> None:
        from sessions_tui.services.practice import list_locations

        self.post_message(self.LocationsLoaded(list_locations(ctx)))

    def on_locations_screen_locations_loaded(
        self, message: LocationsScreen.LocationsLoaded
    ) -> None:
        # Active locations first: they are the ones in use; archived ones stay listed below.
        self.locations = sorted(
            message.locations, key=lambda loc: (loc.archived, loc.name.casefold())
        )
        table = self.query_one("#locations-table", DataTable)
        keep = self._select_id if self._select_id is not None else self.highlighted_id()
        table.clear()
        for loc in self.locations:
            if loc.archived:
                table.add_row(
                    Text(safe_text(loc.name), style="dim"),
                    Text("archived (kept on its events)", style="dim italic"),
                    key=str(loc.id),
                )
            else:
                table.add_row(Text(safe_text(loc.name)), "active", key=str(loc.id))
        if keep is not None and any(loc.id == keep for loc in self.locations):
            table.move_cursor(row=table.get_row_index(str(keep)))
        self._select_id = None
        self.refresh_bindings()

    def highlighted(self) -> Location | None:
        table = self.query_one("#locations-table", DataTable)
        if not self.locations or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((loc for loc in self.locations if str(loc.id) == key), None)

    def highlighted_id(self) -> int | None:
        loc = self.highlighted()
        return loc.id if loc else None

    # --- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "add":
            return True if self.is_manager else None
        if action in ("rename", "toggle_archived"):
            return True if self.is_manager and self.highlighted() is not None else None
        return True

    def _refuse(self) -> bool:
        if self.is_manager:
            return False
        self.notify("Only an admin or scheduler may change locations.", severity="warning")
        return True

    def action_close(self) -> None:
        self.dismiss()

    def action_add(self) -> None:
        if not self._refuse():
            self.app.push_screen(LocationFormModal(None), self._form_closed)

    def action_rename(self) -> None:
        loc = self.highlighted()
        if loc is not None and not self._refuse():
            self.app.push_screen(LocationFormModal(loc), self._form_closed)

    def action_toggle_archived(self) -> None:
        loc = self.highlighted()
        if loc is None or self._refuse():
            return
        if loc.archived:
            self.set_archived(self.sessions.ctx, loc, False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.set_archived(self.sessions.ctx, loc, True)

        self.app.push_screen(
            confirm(
                f"Archive {safe_text(loc.name)}?",
                "Archive",
                detail="Its events keep it, past and future; it is no longer offered for new "
                "events. x brings it back.",
            ),
            answered,
        )

    @work(
        thread=True,
        exclusive=True,
        group="locations-change",
        exit_on_error=False,
        description="Change a location",
    )
    def set_archived(self, ctx: Context, loc: Location, archived: bool) -> None:
        from sessions_tui.services.practice import list_locations, update_location

        try:
            update_location(ctx, loc.id, archived=archived)
        except SessionsError as exc:
            self.post_message(self.Refused(exc.message))
            return
        self.post_message(self.LocationsLoaded(list_locations(ctx)))
        self.post_message(self.Changed(loc, archived))

    def on_locations_screen_changed(self, message: LocationsScreen.Changed) -> None:
        verb = "Archived" if message.archived else "Brought back"
        self.notify(f"{verb} {safe_text(message.location.name)}.")
        self.sessions.load_facts()

    @on(DataTable.RowSelected, "#locations-table")
    def _row_chosen(self) -> None:
        if self.is_manager:
            self.action_rename()

    @on(DataTable.RowHighlighted, "#locations-table")
    def _row_moved(self) -> None:
        self.refresh_bindings()

    def _form_closed(self, loc: Location | None) -> None:
        if loc is None:
            return
        self._select_id = loc.id
        self.notify(f"Saved {safe_text(loc.name)}.")
        self.sessions.load_facts()
        self.load(self.sessions.ctx)
