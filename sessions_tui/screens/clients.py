"""Clients: a searchable list; admins and schedulers add and edit clients in a form.

The internal ID column appears only while the practice has Internal IDs turned on; privacy mode
shows initials instead of names (and hides email addresses). The reminders column says whether
the client agreed to email reminders (issue 20). Practitioners see the list read-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, Label, Static

from sessions_tui.domain.model import Client, ClientContact
from sessions_tui.domain.text import safe_text
from sessions_tui.screens.client_form import ClientFormModal
from sessions_tui.screens.setup_page import SetupPage
from sessions_tui.services.context import Context


def name_matches(client: Client, text: str) -> bool:
    """Whether ``text`` is part of the client's first, last or full name (any case)."""
    wanted = text.strip().casefold()
    names = (
        client.first_name,
        client.last_name,
        client.full_name,
        f"{client.last_name}, {client.first_name}",
    )
    return not wanted or any(wanted in n.casefold() for n in names)


class ClientsScreen(SetupPage):
    """The practice's clients.

    | Key | Action |
    | --- | --- |
    | / | Search (type to filter; down or enter goes to the list) |
    | a | Add a client |
    | e, enter | Edit the highlighted client |
    | escape | Close (back to the calendar) |
    """

    HELP = """Clients, sorted by last name. Press / and type to filter by name or internal ID;
down or enter moves to the list. a adds a client and e (or enter) edits the highlighted one, in a
form where tab moves between fields, enter saves and escape leaves with nothing changed.
Practitioners see the list read-only. alt+c returns to the calendar."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="clients.close", tooltip="Close the clients page"),
        Binding(
            "slash",
            "search",
            "Search",
            id="clients.search",
            tooltip="Filter clients by name or internal ID",
        ),
        Binding("a", "add", "Add", id="clients.add", tooltip="Add a client"),
        Binding("e", "edit", "Edit", id="clients.edit", tooltip="Edit the highlighted client"),
    ]

    DEFAULT_CSS = """
    ClientsScreen #clients-search-row { height: 1; padding: 0 1; }
    ClientsScreen #clients-search-label { width: auto; padding: 0 1 0 0; }
    ClientsScreen #clients-search { width: 1fr; }
    ClientsScreen #clients-count { width: auto; padding: 0 0 0 1; color: $text-muted; }
    """

    class ClientsLoaded(Message):
        """Clients matching ``search``, and whether the practice uses internal IDs."""

        def __init__(
            self,
            search: str,
            clients: Sequence[Client],
            internal_ids: bool,
            contacts: dict[int, ClientContact] | None = None,
        ) -> None:
            super().__init__()
            self.search = search
            self.clients = clients
            self.internal_ids = internal_ids
            self.contacts = contacts or {}

    def __init__(self) -> None:
        super().__init__(id="clients")
        self.clients: list[Client] = []
        self.contacts: dict[int, ClientContact] = {}
        self.internal_ids = False
        self.loaded = False
        self._select_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Static("Clients", classes="page-title", id="clients-title")
        yield Static("", classes="page-note -empty", id="clients-note")
        with Horizontal(id="clients-search-row"):
            yield Label("Search", id="clients-search-label")
            yield Input(placeholder="name or internal ID", id="clients-search", compact=True)
            yield Label("", id="clients-count")
        yield DataTable(id="clients-table", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        if not self.is_manager:
            self.set_note(
                "Read-only: only an admin or scheduler may add or edit clients.", read_only=True
            )
        self.watch(self.sessions, "privacy", self._privacy_changed, init=False)
        self.query_one("#clients-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.reload()

    def _privacy_changed(self, _value: bool) -> None:
        self._fill()

    # --- loading -----------------------------------------------------------------------------

    def reload(self) -> None:
        self.load(self.sessions.ctx, self.query_one("#clients-search", Input).value)

    @work(
        thread=True,
        exclusive=True,
        group="clients-load",
        exit_on_error=False,
        description="Load clients",
    )
    def load(self, ctx: Context, search: str) -> None:
        from sessions_tui.services.contacts import contacts
        from sessions_tui.services.practice import get_settings, list_clients

        internal_ids = get_settings(ctx).internal_ids
        found = list_clients(ctx, search)
        if not internal_ids:
            # The IDs are hidden: a match on one alone would look like a wrong result.
            found = [c for c in found if name_matches(c, search)]
        reach = contacts(ctx, [c.id for c in found])
        self.post_message(self.ClientsLoaded(search, found, internal_ids, reach))

    def on_clients_screen_clients_loaded(self, message: ClientsScreen.ClientsLoaded) -> None:
        if message.search != self.query_one("#clients-search", Input).value:
            return  # typed on since: a newer load is on its way
        self.clients = list(message.clients)
        self.contacts = dict(message.contacts)
        self.internal_ids = message.internal_ids
        self.loaded = True
        self._fill()

    def _fill(self) -> None:
        table = self.query_one("#clients-table", DataTable)
        keep = self._select_id if self._select_id is not None else self.highlighted_id()
        privacy = self.sessions.privacy
        table.clear(columns=True)
        if privacy:
            table.add_column("Client (initials: privacy mode)", key="name")
        else:
            table.add_column("Last name", key="last")
            table.add_column("First name", key="first")
        if self.internal_ids:
            table.add_column("Internal ID", key="internal_id")
        if not privacy:
            # An explicit width: the table otherwise sometimes sized the column before its
            # cells arrived (seen as a 5-cell column of cut-off addresses).
            longest = max((len(k.email or "") for k in self.contacts.values()), default=0)
            table.add_column("Email", key="email", width=min(max(longest, 5), 40))
        table.add_column("Reminders", key="reminders")
        for c in self.clients:
            cells: list[str | Text] = (
                [Text(safe_text(c.initials))]
                if privacy
                else [Text(safe_text(c.last_name)), Text(safe_text(c.first_name))]
            )
            if self.internal_ids:
                cells.append(
                    Text(safe_text(c.internal_id)) if c.internal_id else Text("—", style="dim")
                )
            reach = self.contacts.get(c.id) or ClientContact(c.id)
            if not privacy:
                cells.append(
                    Text(safe_text(reach.email)) if reach.email else Text("—", style="dim")
                )
            cells.append("✔ yes" if reach.reminders else Text("no", style="dim"))
            table.add_row(*cells, key=str(c.id))
        count = len(self.clients)
        self.query_one("#clients-count", Label).update(f"{count} client{'s' if count != 1 else ''}")
        if keep is not None and str(keep) in {str(c.id) for c in self.clients}:
            table.move_cursor(row=table.get_row_index(str(keep)))
            if self._select_id is not None:
                self._select_id = None
        self.refresh_bindings()

    def highlighted(self) -> Client | None:
        table = self.query_one("#clients-table", DataTable)
        if not self.clients or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((c for c in self.clients if str(c.id) == key), None)

    def highlighted_id(self) -> int | None:
        client = self.highlighted()
        return client.id if client else None

    # --- search ------------------------------------------------------------------------------

    @on(Input.Changed, "#clients-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.load(self.sessions.ctx, event.value)

    @on(Input.Submitted, "#clients-search")
    def _search_done(self) -> None:
        self.set_focus(self.query_one("#clients-table"))

    def on_key(self, event: events.Key) -> None:
        if event.key == "down" and self.focused is not None and self.focused.id == "clients-search":
            self.set_focus(self.query_one("#clients-table"))  # now: keys typed next go to the list
            event.stop()

    def action_search(self) -> None:
        self.set_focus(self.query_one("#clients-search", Input))

    # --- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "add":
            return True if self.is_manager else None
        if action == "edit":
            return True if self.is_manager and self.highlighted() is not None else None
        return True

    def action_close(self) -> None:
        self.dismiss()

    def action_add(self) -> None:
        if not self.is_manager:
            self.notify("Only an admin or scheduler may add clients.", severity="warning")
            return
        self.app.push_screen(
            ClientFormModal(None, internal_ids=self.internal_ids), self._form_closed
        )

    def action_edit(self) -> None:
        if not self.is_manager:
            self.notify("Only an admin or scheduler may edit clients.", severity="warning")
            return
        client = self.highlighted()
        if client is None:
            return
        self.app.push_screen(
            ClientFormModal(
                client, internal_ids=self.internal_ids, contact=self.contacts.get(client.id)
            ),
            self._form_closed,
        )

    @on(DataTable.RowSelected, "#clients-table")
    def _row_chosen(self) -> None:
        if self.is_manager:
            self.action_edit()

    @on(DataTable.RowHighlighted, "#clients-table")
    def _row_moved(self) -> None:
        self.refresh_bindings()

    def _form_closed(self, client: Client | None) -> None:
        if client is None:
            return
        self._select_id = client.id
        name = client.initials if self.sessions.privacy else client.full_name
        self.notify(f"Saved {name}.")
        search = self.query_one("#clients-search", Input)
        if (
            search.value
            and not name_matches(client, search.value)
            and search.value.strip().casefold() not in (client.internal_id or "").casefold()
        ):
            search.value = ""  # the saved client would be filtered out of sight
        self.reload()
