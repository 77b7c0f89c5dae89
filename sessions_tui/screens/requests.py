"""Online booking requests: the pending holds, accepted, declined, or left to expire.

The list reloads when the app's watcher sees a change (a visitor's request arrives from the web
service as a database commit), and :func:`refresh_badge` tells the user of new requests on any
screen. Accepting books a client session through the appointments service; declining frees the
time. Both queue the client's email (sent by the web service's mail worker).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label, Static

from sessions_tui.domain.errors import SessionsError, ValidationError
from sessions_tui.screens.dialogs import ChoiceModal
from sessions_tui.screens.setup_page import SetupPage
from sessions_tui.services.booking_requests import BookingRequest
from sessions_tui.services.context import Context

if TYPE_CHECKING:
    from textual.app import App

    from sessions_tui.app import SessionsApp


class ReasonModal(ModalScreen[str | None]):
    """Ask for an optional reason to decline (enter sends, escape goes back)."""

    DEFAULT_CSS = """
    ReasonModal { align: center middle; }
    ReasonModal > Vertical { width: 70; height: auto; padding: 1 2; border: thick $primary;
        background: $surface; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="requests.reason-back", tooltip="Do not decline")
    ]

    def __init__(self, who: str) -> None:
        super().__init__(id="decline-reason")
        self.who = who

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Decline the request of {self.who}?", markup=False)
            yield Label("Reason for the client (optional), then enter:")
            yield Input(id="reason", max_length=500, placeholder="e.g. Away that week")

    @on(Input.Submitted, "#reason")
    def _sent(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_back(self) -> None:
        self.dismiss(None)


class RequestsScreen(SetupPage):
    """Pending online booking requests.

    | Key | Action |
    | --- | --- |
    | a, enter | Accept the highlighted request (a client session; asks first onto booked time) |
    | d | Decline it (with an optional reason) |
    | escape | Close (back to the calendar) |
    """

    HELP = """Requests sent from the online booking pages. Each holds its time until it is
answered or expires. a (or enter) accepts the highlighted one: it becomes a client session, the
client matched by email (asked when unsure), and the client is emailed a confirmation; onto
time already booked it asks first, naming the clash (refused if the practice forbids double
booking). Each pending request also shows on the calendar, marked ?, where it holds time. d
declines it, with an optional reason; its time is free again. alt+c returns to the calendar."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="requests.close", tooltip="Close the requests"),
        Binding("a", "accept", "Accept", id="requests.accept", tooltip="Accept the request"),
        Binding("d", "decline", "Decline", id="requests.decline", tooltip="Decline the request"),
    ]

    class Loaded(Message):
        """The pending requests (posted from the worker)."""

        def __init__(self, requests: Sequence[BookingRequest]) -> None:
            super().__init__()
            self.requests = requests

    class Answered(Message):
        """A request was accepted or declined."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Clashes(Message):
        """Accepting would double-book: ask first (the practice allows it, asking first)."""

        def __init__(
            self,
            request: BookingRequest,
            new_client: bool,
            clashes: list[str],
            client_id: int | None = None,
        ) -> None:
            super().__init__()
            self.request = request
            self.new_client = new_client
            self.clashes = clashes
            self.client_id = client_id

    class Unsure(Message):
        """Accepting needs a choice of client first: ``matches`` (id, name) are the clients
        the request could be from (another name at a client's address, or a name alone)."""

        def __init__(
            self,
            request: BookingRequest,
            text: str,
            matches: list[tuple[int, str]],
            by_email: bool = False,
        ) -> None:
            super().__init__()
            self.request = request
            self.text = text
            self.matches = matches
            self.by_email = by_email

    def __init__(self) -> None:
        super().__init__(id="requests")
        self.requests: list[BookingRequest] = []

    def compose(self) -> ComposeResult:
        yield Static("Booking requests", classes="page-title", id="requests-title")
        yield Static("", classes="page-note -empty", id="requests-note")
        yield DataTable(id="requests-table", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#requests-table", DataTable)
        for label, key in (
            ("When", "when"),
            ("Service", "service"),
            ("With", "practitioner"),
            ("From", "name"),
            ("Email", "email"),
            ("Holds until", "expires"),
        ):
            table.add_column(label, key=key)
        table.focus()

    def on_screen_resume(self) -> None:
        self.load(self.sessions.ctx)

    def reload(self) -> None:
        """Load again (the app calls it when the data changed)."""
        self.load(self.sessions.ctx)

    @work(
        thread=True,
        exclusive=True,
        group="requests-load",
        exit_on_error=False,
        description="Load booking requests",
    )
    def load(self, ctx: Context) -> None:
        from sessions_tui.services.booking_requests import list_requests

        self.post_message(self.Loaded(list_requests(ctx)))

    def on_requests_screen_loaded(self, message: RequestsScreen.Loaded) -> None:
        self.requests = list(message.requests)
        table = self.query_one("#requests-table", DataTable)
        table.clear()
        tz = self.sessions.tz
        for r in self.requests:
            table.add_row(
                f"{r.start.astimezone(tz):%a %d %b %H:%M}",
                # What a visitor typed on the web is text, never markup ("[/]" broke the table).
                Text(f"{r.service} ({r.minutes} min)" + (" · offered" if r.offered else "")),
                Text(r.practitioner),
                Text(r.name),
                Text(r.email),
                f"{r.expires_at.astimezone(tz):%a %d %b %H:%M}",
                key=str(r.id),
            )
        count = len(self.requests)
        self.query_one("#requests-title", Static).update(
            f"Booking requests ({count} pending)" if count else "Booking requests"
        )
        self.set_note("" if count else "No pending requests.")
        self.refresh_bindings()

    def highlighted(self) -> BookingRequest | None:
        table = self.query_one("#requests-table", DataTable)
        if not self.requests or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.requests if str(r.id) == key), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("accept", "decline"):
            return True if self.highlighted() is not None else None
        return True

    def action_close(self) -> None:
        self.dismiss()

    def action_accept(self) -> None:
        found = self.highlighted()
        if found is not None:
            self.accept(self.sessions.ctx, found, None)

    @on(DataTable.RowSelected, "#requests-table")
    def _row_chosen(self) -> None:
        self.action_accept()

    def action_decline(self) -> None:
        found = self.highlighted()
        if found is None:
            return

        def answered(reason: str | None) -> None:
            if reason is not None:
                self.decline(self.sessions.ctx, found, reason or None)

        self.app.push_screen(ReasonModal(found.name), answered)

    @work(
        thread=True,
        exclusive=True,
        group="requests-answer",
        exit_on_error=False,
        description="Accept a booking request",
    )
    def accept(
        self,
        ctx: Context,
        request: BookingRequest,
        new_client: bool | None,
        double_book: bool = False,
        client_id: int | None = None,
    ) -> None:
        from sessions_tui.services.booking_requests import (
            ClientChoice,
            RequestClashes,
            accept,
            list_requests,
        )

        try:
            done = accept(
                ctx,
                request.id,
                client_id=client_id,
                new_client=bool(new_client),
                double_book=double_book,
            )
        except RequestClashes as exc:
            self.post_message(self.Clashes(request, bool(new_client), exc.clashes, client_id))
            return
        except ValidationError as exc:
            if isinstance(exc, ClientChoice):
                self.post_message(self.Unsure(request, exc.message, exc.matches, exc.by_email))
            elif exc.field == "client":
                self.post_message(self.Unsure(request, exc.message, []))
            else:
                self.post_message(self.Refused(exc.message))
            return
        except SessionsError as exc:
            self.post_message(self.Refused(exc.message))
            return
        self.post_message(
            self.Answered(
                f"Booked {done.client} (client {done.client_id}) for the request of "
                f"{done.name}: {done.service}."
            )
        )
        self.post_message(self.Loaded(list_requests(ctx)))

    @work(
        thread=True,
        exclusive=True,
        group="requests-answer",
        exit_on_error=False,
        description="Decline a booking request",
    )
    def decline(self, ctx: Context, request: BookingRequest, reason: str | None) -> None:
        from sessions_tui.services.booking_requests import decline, list_requests

        try:
            decline(ctx, request.id, reason)
        except SessionsError as exc:
            self.post_message(self.Refused(exc.message))
            return
        self.post_message(self.Answered(f"Declined the request of {request.name}."))
        self.post_message(self.Loaded(list_requests(ctx)))

    def on_requests_screen_answered(self, message: RequestsScreen.Answered) -> None:
        self.notify(message.text, markup=False)

    def on_requests_screen_clashes(self, message: RequestsScreen.Clashes) -> None:
        """The practice allows double booking, asking first: name what the time is booked
        for, and accept only on "Book anyway" (issue 24)."""
        from sessions_tui.screens.dialogs import confirm

        request = message.request
        when = f"{request.start.astimezone(self.sessions.tz):%a %b %d %H:%M}"

        def chosen(ok: bool | None) -> None:
            if ok:
                self.accept(self.sessions.ctx, request, message.new_client, True, message.client_id)

        self.app.push_screen(
            confirm(
                f"Double-book {request.name} on {when}?",
                "Book anyway",
                detail=f"{request.practitioner} is already booked then: "
                + "; ".join(message.clashes)
                + ".",
            ),
            chosen,
        )

    def on_requests_screen_unsure(self, message: RequestsScreen.Unsure) -> None:
        request = message.request

        def chosen(client: int | None) -> None:
            if client == 0:
                self.accept(self.sessions.ctx, request, True)
            elif client is not None and client > 0:
                self.accept(self.sessions.ctx, request, False, client_id=client)

        answers: list[tuple[str, int]] = [
            (f"Book for {name} (client {cid})", cid) for cid, name in message.matches
        ]
        answers += [(f"Book for a new client, {request.name}", 0), ("Go back", -1)]
        names = " or ".join(f"{name} (client {cid})" for cid, name in message.matches)
        who = f"The request is from {request.name} <{request.email}>"
        if message.matches and message.by_email:
            detail = f"{who}; that address is {names}'s, under another name."
        elif message.matches:
            detail = f"{who}; no client has that address, but {names} has that name."
        else:
            detail = message.text
        self.app.push_screen(
            ChoiceModal(f"Which client is {request.name}?", answers, detail=detail), chosen
        )


# --- the badge: told of new requests on any screen --------------------------------------------


def refresh_badge(app: App[Any]) -> None:
    """Count pending requests off the UI thread; tell the user when new ones arrived, and
    reload an open Requests screen. Call it at start and whenever the data changed."""
    app.run_worker(
        lambda: _count(app),
        thread=True,
        exclusive=True,
        group="requests-badge",
        exit_on_error=False,
        description="Count booking requests",
    )


def _count(app: App[Any]) -> None:
    from sessions_tui.services.booking_requests import pending_count

    sessions = cast("SessionsApp", app)
    try:
        count = pending_count(sessions.ctx)
    except SessionsError:
        return
    app.call_from_thread(_show, app, count)


def _show(app: App[Any], count: int) -> None:
    before = getattr(app, "_booking_requests_seen", None)
    app._booking_requests_seen = count  # type: ignore[attr-defined]
    app.sub_title = f"{count} booking request{'s' if count != 1 else ''}" if count else ""
    if before is not None and count > before:
        new = count - before
        app.notify(
            f"{new} new booking request{'s' if new != 1 else ''} ({count} pending): press R.",
            title="Booking requests",
        )
    elif before is None and count:
        app.notify(f"{count} booking request{'s' if count != 1 else ''} pending: press R.")
    for screen in app.screen_stack:
        if isinstance(screen, RequestsScreen):
            screen.reload()
