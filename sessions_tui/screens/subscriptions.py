"""ICS subscriptions: the read-only calendars each practitioner follows, and their state.

One row per subscription the user may manage (a practitioner their own; admins and schedulers
everyone's): name, practitioner, busy mode, events, last success and whether it is failing.
The panel below shows the highlighted one's URL, interval and the last error in full (the
calendar keeps the last good copy). ``r`` refreshes it now, in a worker. Adding and removing
subscriptions is a command-line step (``sessions-tui subscribe``); the page says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from sessions_tui.domain.errors import SessionsError
from sessions_tui.domain.subscriptions import MARK, Subscription
from sessions_tui.domain.text import safe_text
from sessions_tui.messages import DataChanged
from sessions_tui.screens.setup_page import SetupPage
from sessions_tui.services.context import Context

HOW_TO_ADD = (
    "Add one from the command line: sessions-tui subscribe URL --name LABEL "
    "[--practitioner NAME] [--busy|--free]; remove one with sessions-tui subscriptions remove."
)


class SubscriptionsScreen(SetupPage):
    """Read-only ICS subscriptions and their status.

    | Key | Action |
    | --- | --- |
    | up / down | Highlight a subscription |
    | r | Refresh the highlighted subscription now |
    | escape | Close (back to the calendar) |
    """

    HELP = """Calendars followed read-only (a school-holiday feed, a partner's shared
calendar), marked ⇣ in the calendar. Each row says how many events it brought, when it was last
fetched and whether it is failing (the calendar keeps the last good copy). r refreshes the
highlighted one now, in the background. Adding and removing are command-line steps
(sessions-tui subscribe, sessions-tui subscriptions remove). alt+c returns to the calendar."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="subscriptions.close", tooltip="Close"),
        Binding(
            "r",
            "refresh_one",
            "Refresh now",
            id="subscriptions.refresh",
            tooltip="Fetch the highlighted subscription now (in the background)",
        ),
    ]

    DEFAULT_CSS = """
    SubscriptionsScreen DataTable { height: auto; max-height: 14; }
    SubscriptionsScreen #subscriptions-details { height: 1fr; padding: 1 1 0 1; }
    SubscriptionsScreen #subscriptions-detail { height: auto; }
    """

    class Loaded(Message):
        """The subscriptions the user manages (from a worker)."""

        def __init__(self, subs: Sequence[Subscription], note: str = "") -> None:
            super().__init__()
            self.subs = subs
            self.note = note

    def __init__(self) -> None:
        super().__init__(id="subscriptions")
        self.subs: list[Subscription] = []

    def compose(self) -> ComposeResult:
        yield Static(f"{MARK} ICS subscriptions (read-only)", classes="page-title")
        yield Static("Loading…", classes="page-note", id="subscriptions-note", markup=False)
        yield DataTable(id="subscriptions-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="subscriptions-details", can_focus=False):
            yield Static("", id="subscriptions-detail", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#subscriptions-table", DataTable)
        for label, key in (
            ("Name", "name"),
            ("Practitioner", "who"),
            ("Counts as", "busy"),
            ("Events", "events"),
            ("Last success", "last"),
            ("State", "state"),
        ):
            table.add_column(label, key=key)
        table.focus()
        self.load(self.sessions.ctx)

    @work(
        thread=True,
        exclusive=True,
        group="subscriptions-load",
        exit_on_error=False,
        description="Load subscriptions",
    )
    def load(self, ctx: Context, note: str = "") -> None:
        from sessions_tui.services.subscriptions import list_subscriptions

        try:
            subs = list_subscriptions(ctx)
        except SessionsError as exc:
            self.post_message(self.Refused(exc.message))
            return
        self.post_message(self.Loaded(subs, note))

    def on_subscriptions_screen_loaded(self, message: Loaded) -> None:
        self.subs = list(message.subs)
        table = self.query_one("#subscriptions-table", DataTable)
        keep = table.cursor_row
        table.clear()
        tz = self.sessions.tz

        def at(value: object) -> str:
            return value.astimezone(tz).strftime("%b %d %H:%M") if value else "never"  # type: ignore[attr-defined]

        for sub in self.subs:
            table.add_row(
                safe_text(sub.name),
                safe_text(sub.practitioner),
                sub.busy.label,
                str(sub.event_count),
                at(sub.last_success_at),
                "failing" if sub.last_error else "ok",
                key=str(sub.id),
            )
        if self.subs:
            table.move_cursor(row=min(max(keep, 0), len(self.subs) - 1))
        note = message.note or ("" if self.subs else "No subscriptions yet. ") + HOW_TO_ADD
        self.set_note(note)
        self._show_detail()

    def highlighted(self) -> Subscription | None:
        table = self.query_one("#subscriptions-table", DataTable)
        if not self.subs or table.cursor_row < 0 or table.cursor_row >= len(self.subs):
            return None
        return self.subs[table.cursor_row]

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        sub = self.highlighted()
        box = self.query_one("#subscriptions-detail", Static)
        if sub is None:
            box.update("")
            return
        lines = [
            f"{sub.name} · {sub.practitioner}",
            f"URL: {sub.url}",
            f"Refreshed every {sub.interval_minutes} minutes; its events count as "
            f"{sub.busy.label}.",
            sub.status_line(),
        ]
        box.update(safe_text("\n".join(lines), keep_newlines=True))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_refresh_one(self) -> None:
        sub = self.highlighted()
        if sub is None:
            self.notify("No subscription to refresh.", timeout=3)
            return
        self.refresh_one(self.sessions.ctx, sub.id)

    @work(
        thread=True,
        exclusive=True,
        group="subscriptions-refresh",
        exit_on_error=False,
        description="Refresh a subscription",
    )
    def refresh_one(self, ctx: Context, sub_id: int) -> None:
        from sessions_tui.sync_runs import refresh_subscription

        try:
            result = refresh_subscription(ctx, str(sub_id))
        except SessionsError as exc:
            self.post_message(self.Refused(exc.message))
            return
        if result.changed:
            self.app.post_message(DataChanged())  # the calendar reloads what it shows
        self.load(ctx, note=result.summary())
