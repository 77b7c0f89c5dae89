"""Add or edit one client: first and last name, the internal ID when the practice uses them, and
how to reach them: email, preferred name and their reminder consent (issue 20)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.widgets import Input, Static

from sessions_tui.domain.model import Client, ClientContact
from sessions_tui.screens.form_modal import FormModal, TickBox

if TYPE_CHECKING:
    from sessions_tui.services.context import Context


@dataclass(frozen=True)
class ClientValues:
    """What the form read."""

    first: str
    last: str
    internal_id: str | None
    email: str = ""
    preferred_name: str = ""
    reminders: bool = False


class ClientFormModal(FormModal[Client]):
    """A client's names and internal ID; dismisses with the saved :class:`Client` or ``None``.

    | Key | Action |
    | --- | --- |
    | tab / shift+tab | Next / previous field |
    | enter or ctrl+s | Save |
    | escape | Leave with nothing changed |
    """

    FIELDS: ClassVar[tuple[str, ...]] = (
        "first_name",
        "last_name",
        "internal_id",
        "email",
        "preferred_name",
    )

    def __init__(
        self,
        client: Client | None,
        *,
        internal_ids: bool,
        contact: ClientContact | None = None,
    ) -> None:
        super().__init__(id="client-form")
        self.client = client
        self.internal_ids = internal_ids
        self.contact = contact or ClientContact(client.id if client else 0)

    def compose_fields(self) -> ComposeResult:
        client = self.client
        yield Static("Edit client" if client else "New client", classes="form-title")
        yield self.field_row(
            "First name", Input(client.first_name if client else "", id="first_name", compact=True)
        )
        yield self.error_line("first_name")
        yield self.field_row(
            "Last name", Input(client.last_name if client else "", id="last_name", compact=True)
        )
        yield self.error_line("last_name")
        if self.internal_ids:
            yield self.field_row(
                "Internal ID",
                Input(
                    (client.internal_id or "") if client else "",
                    id="internal_id",
                    compact=True,
                    placeholder="the practice's record number (optional)",
                ),
            )
            yield self.error_line("internal_id")
        contact = self.contact
        yield self.field_row(
            "Email",
            Input(contact.email or "", id="email", compact=True, placeholder="name@example.org"),
        )
        yield self.error_line("email")
        yield self.field_row(
            "Preferred name",
            Input(
                contact.preferred_name or "",
                id="preferred_name",
                compact=True,
                placeholder="what reminders call them (optional)",
            ),
        )
        yield self.error_line("preferred_name")
        given = contact.reminders_given_at
        answered = f" (answer recorded {given:%Y-%m-%d})" if given is not None else ""
        yield self.field_row(
            "Reminders",
            TickBox(
                f"agreed to email reminders{answered}",
                value=contact.reminders,
                id="reminders",
                compact=True,
            ),
        )
        yield Static(
            "tab: next field · enter or ctrl+s: save · escape: leave unchanged", classes="form-hint"
        )

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#first_name"))

    def read(self) -> ClientValues:
        first = self.query_one("#first_name", Input).value
        last = self.query_one("#last_name", Input).value
        if self.internal_ids:
            iid: str | None = self.query_one("#internal_id", Input).value
        else:
            # The field is hidden while Internal IDs are off: keep whatever is stored.
            iid = self.client.internal_id if self.client else None
        return ClientValues(
            first,
            last,
            iid,
            self.query_one("#email", Input).value,
            self.query_one("#preferred_name", Input).value,
            self.query_one("#reminders", TickBox).value,
        )

    def store(self, ctx: Context, values: ClientValues) -> Client:
        from sessions_tui.services import contacts, practice

        if self.client is None:
            return practice.add_client(
                ctx,
                values.first,
                values.last,
                values.internal_id,
                email=values.email,
                preferred_name=values.preferred_name,
                reminders=values.reminders,
            )
        with ctx.db.transaction():  # names and contact together, or neither
            client = practice.update_client(
                ctx, self.client.id, values.first, values.last, values.internal_id
            )
            contacts.set_contact(
                ctx,
                self.client.id,
                email=values.email,
                preferred_name=values.preferred_name,
                reminders=values.reminders,
            )
        return client
