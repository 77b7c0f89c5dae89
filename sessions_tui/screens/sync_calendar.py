"""Sync Calendar: one-way sync, an ICS feed URL per practitioner that calendar apps subscribe to.

One row per practitioner the user may manage (``services.feeds.list_feeds``): the feed on or off,
how clients are named in it, and its secret URL. The URL is shown in full (selectable with the
mouse) and ``c`` copies it with ``App.copy_to_clipboard``, an OSC 52 escape, so it reaches the
clipboard of the user's own machine over SSH as well. Every read and write runs in a thread
worker; the results come back as messages.

Full client names are personal health information: choosing them shows
``services.feeds.PII_WARNING`` and needs an explicit confirmation. Internal IDs are offered only
when the practice has its Internal IDs setting on (``services.feeds.available_identifiers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from sessions_tui.domain.errors import SessionsError
from sessions_tui.screens.dialogs import ChoiceModal, confirm
from sessions_tui.screens.setup_page import SetupPage
from sessions_tui.services.context import Context
from sessions_tui.services.feeds import (
    DEFAULT_BASE_URL,
    PII_WARNING,
    FeedSettings,
    IdentifierMode,
)


class SyncCalendarScreen(SetupPage):
    """Per-practitioner ICS feeds: on/off, client naming, URL, copy, new URL.

    | Key | Action |
    | --- | --- |
    | up / down | Highlight a practitioner |
    | space, o | Turn the feed on or off |
    | i | Choose how clients are named |
    | c | Copy the feed URL |
    | r | New URL (the old one stops working) |
    | escape | Close (back to the calendar) |
    """

    HELP = """One-way sync: each practitioner's schedule as an .ics feed that Apple, Google,
Outlook or Thunderbird subscribe to. Space turns the highlighted practitioner's feed on or off,
i chooses how clients are named in it (initials by default; full names need a confirmation),
c copies the feed URL (it is also shown in full below the list), r makes a new URL after asking
(the old URL stops working at once). alt+c returns to the calendar."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="sync-calendar.close", tooltip="Close Sync Calendar"),
        Binding(
            "space",
            "toggle_feed",
            "On/off",
            id="sync-calendar.toggle",
            tooltip="Turn the highlighted practitioner's feed on or off",
        ),
        Binding(
            "o",
            "toggle_feed",
            "On/off",
            id="sync-calendar.toggle-o",
            show=False,
            tooltip="Turn the highlighted practitioner's feed on or off (as space)",
        ),
        Binding(
            "i",
            "identifier",
            "Client names",
            id="sync-calendar.identifier",
            tooltip="Choose how clients are named in the feed",
        ),
        Binding(
            "c",
            "copy_url",
            "Copy URL",
            id="sync-calendar.copy",
            tooltip="Copy the feed URL to the clipboard (works over SSH: OSC 52)",
        ),
        Binding(
            "r",
            "rotate",
            "New URL",
            id="sync-calendar.rotate",
            tooltip="Replace the feed URL; the old one stops working (asks first)",
        ),
    ]

    DEFAULT_CSS = """
    SyncCalendarScreen DataTable { height: auto; max-height: 1fr; }
    SyncCalendarScreen #feed-details { height: auto; padding: 1 1 0 1; }
    SyncCalendarScreen #feed-url { height: auto; background: $boost; padding: 0 1; }
    SyncCalendarScreen #feed-url.-none { color: $text-muted; }
    SyncCalendarScreen #feed-warning { height: auto; color: $warning; }
    SyncCalendarScreen #feed-warning.-empty { display: none; }
    SyncCalendarScreen .hint { height: auto; color: $text-muted; }
    """

    base_url = DEFAULT_BASE_URL
    """Where ``sessions-tui ics serve`` answers by default; behind a TLS proxy, the host differs."""

    class FeedsLoaded(Message):
        """The feeds the user may manage, and the identifier choices the practice allows."""

        def __init__(
            self, feeds: Sequence[FeedSettings], choices: Sequence[IdentifierMode]
        ) -> None:
            super().__init__()
            self.feeds = feeds
            self.choices = choices

    class FeedChanged(Message):
        """One feed was changed by a worker; ``what`` says how, for the notification."""

        def __init__(self, feed: FeedSettings, what: str) -> None:
            super().__init__()
            self.feed = feed
            self.what = what

    def __init__(self) -> None:
        super().__init__(id="sync-calendar")
        self.feeds: list[FeedSettings] = []
        self.choices: list[IdentifierMode] = []

    def compose(self) -> ComposeResult:
        yield Static("Sync Calendar: one-way feeds (ICS)", classes="page-title")
        yield Static("Loading…", classes="page-note", id="sync-calendar-note")
        yield DataTable(id="feeds-table", cursor_type="row", zebra_stripes=True)
        with Vertical(id="feed-details"):
            yield Static("", id="feed-state", markup=False)
            yield Static("", id="feed-url", markup=False)
            yield Static("", id="feed-warning", classes="-empty", markup=False)
            yield Static(
                "Subscribe to the URL in any calendar app (it reads the feed served by "
                "`sessions-tui ics serve`; put it behind a TLS reverse proxy to reach it "
                "from outside). Anyone with the URL can read the schedule: r replaces it.",
                classes="hint",
                markup=False,
            )
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#feeds-table", DataTable)
        table.add_column("Practitioner", key="name")
        table.add_column("Feed", key="feed")
        table.add_column("Clients named as", key="identifier")
        table.focus()
        self.load(self.sessions.ctx)

    # --- loading -----------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        group="feeds-load",
        exit_on_error=False,
        description="Load calendar feeds",
    )
    def load(self, ctx: Context) -> None:
        from sessions_tui.services.feeds import available_identifiers, list_feeds

        try:
            feeds = list_feeds(ctx)
            choices = available_identifiers(ctx)
        except SessionsError as exc:
            self.post_message(self.Refused(exc.message))
            return
        self.post_message(self.FeedsLoaded(feeds, choices))

    def on_sync_calendar_screen_feeds_loaded(self, message: FeedsLoaded) -> None:
        self.feeds = list(message.feeds)
        self.choices = list(message.choices)
        table = self.query_one("#feeds-table", DataTable)
        keep = self.highlighted()
        table.clear()
        for feed in self.feeds:
            table.add_row(*self._cells(feed), key=str(feed.practitioner_id))
        if keep is not None and any(f.practitioner_id == keep.practitioner_id for f in self.feeds):
            table.move_cursor(row=table.get_row_index(str(keep.practitioner_id)))
        if not self.feeds:
            self.set_note("You manage no practitioner's calendar feed.", read_only=True)
        else:
            # With Internal IDs off nothing here names them (issue 14): not offered, not shown.
            self.set_note("One feed per practitioner; the default names clients by initials.")
        self._show_details()
        self.refresh_bindings()

    def on_sync_calendar_screen_feed_changed(self, message: FeedChanged) -> None:
        feed = message.feed
        known = next((f for f in self.feeds if f.practitioner_id == feed.practitioner_id), None)
        if feed.token is None and known is not None and known.token is not None:
            # Only the hash is stored: keep showing the URL made in this session.
            feed = replace(feed, token=known.token)
        self.feeds = [feed if f.practitioner_id == feed.practitioner_id else f for f in self.feeds]
        table = self.query_one("#feeds-table", DataTable)
        key = str(feed.practitioner_id)
        for column, value in zip(("name", "feed", "identifier"), self._cells(feed), strict=True):
            table.update_cell(key, column, value)
        self._show_details()
        self.notify(f"{feed.practitioner_name}: {message.what}.")

    def _cells(self, feed: FeedSettings) -> tuple[str, str, str]:
        named = self.named_as(feed).label
        return (feed.practitioner_name, "on" if feed.enabled else "off", named)

    def named_as(self, feed: FeedSettings) -> IdentifierMode:
        """How the feed names clients now: a feed set to Internal ID while the practice has
        Internal IDs off uses initials (``services.feeds.client_label``), and says so."""
        if feed.identifier not in self.choices and feed.identifier is IdentifierMode.INTERNAL_ID:
            return IdentifierMode.INITIALS
        return feed.identifier

    def highlighted(self) -> FeedSettings | None:
        table = self.query_one("#feeds-table", DataTable)
        if not self.feeds or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((f for f in self.feeds if str(f.practitioner_id) == key), None)

    def url_of(self, feed: FeedSettings) -> str | None:
        return feed.url(self.base_url)

    def _show_details(self) -> None:
        feed = self.highlighted()
        state = self.query_one("#feed-state", Static)
        url_box = self.query_one("#feed-url", Static)
        warning = self.query_one("#feed-warning", Static)
        if feed is None:
            state.update("")
            url_box.update("")
            warning.update("")
            warning.add_class("-empty")
            return
        on_off = "on" if feed.enabled else "off (its URL answers 404)"
        state.update(
            f"{feed.practitioner_name}: feed {on_off}; clients named by "
            f"{self.named_as(feed).label.lower()}."
        )
        url = self.url_of(feed)
        if url:
            shown = f"URL: {url}"
        elif feed.has_token:  # only its hash is stored (a copy of the database gives no URL)
            shown = "URL: shown only when made; r makes a new one (the old one stops working)"
        else:
            shown = "URL: none yet (space turns the feed on)"
        url_box.update(shown)
        url_box.set_class(url is None, "-none")
        full = feed.identifier is IdentifierMode.FULL
        warning.update(f"Full names: {PII_WARNING}" if full else "")
        warning.set_class(not full, "-empty")

    @on(DataTable.RowHighlighted, "#feeds-table")
    def _row_moved(self) -> None:
        self._show_details()
        self.refresh_bindings()

    # --- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle_feed", "identifier", "rotate"):
            return True if self.highlighted() is not None else None
        if action == "copy_url":
            feed = self.highlighted()
            return True if feed is not None and feed.token is not None else None
        return True

    def action_close(self) -> None:
        self.dismiss()

    def action_toggle_feed(self) -> None:
        feed = self.highlighted()
        if feed is not None:
            self.change(self.sessions.ctx, feed.practitioner_id, "enable", not feed.enabled)

    def action_identifier(self) -> None:
        feed = self.highlighted()
        if feed is None:
            return
        now = self.named_as(feed)
        answers = [(("• " if m is now else "  ") + m.label, m) for m in self.choices]

        def chosen(mode: IdentifierMode | None) -> None:
            if mode is None or mode is now:
                return
            if mode is IdentifierMode.FULL:
                self._confirm_full(feed)
                return
            self.change(self.sessions.ctx, feed.practitioner_id, "identifier", mode)

        self.app.push_screen(
            ChoiceModal(
                f"How are clients named in {feed.practitioner_name}'s feed?",
                answers,
                id="identifier-choice",
            ),
            chosen,
        )

    def _confirm_full(self, feed: FeedSettings) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.change(
                    self.sessions.ctx,
                    feed.practitioner_id,
                    "identifier",
                    IdentifierMode.FULL,
                    confirm_pii=True,
                )
            else:
                named = self.named_as(feed).label.lower()
                self.notify(f"Not changed: clients stay named by {named}.")

        self.app.push_screen(
            confirm(
                "Put full client names in the feed?",
                "Yes, full names (PII)",
                no="No, keep them private",
                detail=PII_WARNING,
            ),
            answered,
        )

    def action_copy_url(self) -> None:
        feed = self.highlighted()
        url = self.url_of(feed) if feed is not None else None
        if url is None:
            self.notify("No URL yet: turn the feed on first.", severity="warning")
            return
        self.app.copy_to_clipboard(url)
        self.notify(
            "Feed URL copied (your terminal must allow OSC 52; it is also shown below "
            "to select by hand).",
            timeout=5,
        )

    def action_rotate(self) -> None:
        feed = self.highlighted()
        if feed is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(self.sessions.ctx, feed.practitioner_id, "rotate", True)

        self.app.push_screen(
            confirm(
                f"Make a new feed URL for {feed.practitioner_name}?",
                "New URL",
                detail="The old URL stops working at once: every calendar app subscribed "
                "to it must be given the new one.",
            ),
            answered,
        )

    @work(
        thread=True,
        exclusive=True,
        group="feeds-change",
        exit_on_error=False,
        description="Change a calendar feed",
    )
    def change(
        self,
        ctx: Context,
        practitioner_id: int,
        what: str,
        value: object,
        *,
        confirm_pii: bool = False,
    ) -> None:
        from sessions_tui.services import feeds

        try:
            if what == "enable":
                feed = feeds.set_enabled(ctx, practitioner_id, bool(value))
                done = "feed turned on" if feed.enabled else "feed turned off (URL kept)"
            elif what == "identifier":
                assert isinstance(value, IdentifierMode)
                feed = feeds.set_identifier(ctx, practitioner_id, value, confirm_pii=confirm_pii)
                done = f"clients now named by {feed.identifier.label.lower()}"
            else:
                feed = feeds.rotate_token(ctx, practitioner_id)
                done = "new URL made; the old one no longer works"
        except SessionsError as exc:
            self.post_message(self.Refused(exc.message))
            return
        self.post_message(self.FeedChanged(feed, done))
