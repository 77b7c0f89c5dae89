"""Google sync: the state of two-way sync for each practitioner the user may manage.

Per practitioner: connected or not, the mode (two-way or one-way), the default calendar, the
secondary calendars and whether each is pulled, the last sync and its result, the pending local
changes, the last error and the sign-in (token) state. ``s`` syncs now (the App's worker), ``o``
switches one-way/two-way (asking first: going one-way removes every Google-origin event from the
local calendar), ``l`` lists the account's calendars (network, in a worker) to choose which
secondary calendars to pull.

Signing in is a command-line step (it prints a URL to open on your own machine and an
``ssh -L`` line): the screen shows the exact command to run. Nothing here waits on the network
on the main thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from sessions_tui.domain.errors import SessionsError
from sessions_tui.messages import DataChanged
from sessions_tui.screens.dialogs import ChoiceModal, confirm
from sessions_tui.screens.google_status import (
    GoogleStatus,
    calendar_choices,
    load_statuses,
    status_text,
    table_cells,
)
from sessions_tui.screens.setup_page import SetupPage
from sessions_tui.services.context import Context
from sessions_tui.services.google_settings import SyncMode


class GoogleSyncScreen(SetupPage):
    """Google sync status and settings per practitioner.

    | Key | Action |
    | --- | --- |
    | up / down | Highlight a practitioner |
    | s | Sync now |
    | o | Switch one-way / two-way (asks first) |
    | l | Choose secondary calendars to pull (lists them from Google) |
    | r | Reload the status |
    | escape | Close (back to the calendar) |
    """

    HELP = """Two-way sync with Google Calendar. The list shows each practitioner you may
manage; the panel below it the highlighted one's calendars, last sync, pending changes, last
error and sign-in. s syncs now (in the background), o switches between two-way and one-way
(one-way removes the events that came from Google from this calendar; it asks first), l lists
the Google account's calendars to choose which secondary calendars to pull. Connecting is a
command-line step; the panel shows the command. alt+c returns to the calendar."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="google.close", tooltip="Close Google sync"),
        Binding(
            "s",
            "sync",
            "Sync now",
            id="google.sync",
            tooltip="Sync with Google now (in the background)",
        ),
        Binding(
            "o",
            "switch_mode",
            "One-/two-way",
            id="google.mode",
            tooltip="Switch the highlighted practitioner between two-way and one-way",
        ),
        Binding(
            "l",
            "calendars",
            "Calendars",
            id="google.calendars",
            tooltip="List the Google calendars and choose the secondary ones to pull",
        ),
        Binding("r", "reload", "Reload", id="google.reload", tooltip="Read the status again"),
    ]

    DEFAULT_CSS = """
    GoogleSyncScreen DataTable { height: auto; max-height: 12; }
    GoogleSyncScreen #google-run-state { height: 1; padding: 0 1; }
    GoogleSyncScreen #google-run-state.-syncing { color: $warning; text-style: bold; }
    GoogleSyncScreen #google-details { height: 1fr; padding: 1 1 0 1; }
    GoogleSyncScreen #google-detail { height: auto; }
    GoogleSyncScreen #google-calendar-error { height: auto; color: $error; }
    GoogleSyncScreen #google-calendar-error.-empty { display: none; }
    """

    class StatusLoaded(Message):
        """The status of every practitioner the user manages (from a worker)."""

        def __init__(self, statuses: Sequence[GoogleStatus]) -> None:
            super().__init__()
            self.statuses = statuses

    class CalendarsListed(Message):
        """The Google account's calendars, ``(id, name)``, for choosing secondaries."""

        def __init__(self, practitioner_id: int, calendars: Sequence[tuple[str, str]]) -> None:
            super().__init__()
            self.practitioner_id = practitioner_id
            self.calendars = calendars

    class CalendarsFailed(Message):
        """Listing the calendars failed; ``text`` says why in words."""

        def __init__(self, practitioner_id: int, text: str) -> None:
            super().__init__()
            self.practitioner_id = practitioner_id
            self.text = text

    class Changed(Message):
        """A setting was saved by a worker; ``text`` is the notification."""

        def __init__(self, text: str, *, events_changed: bool = False) -> None:
            super().__init__()
            self.text = text
            self.events_changed = events_changed

    def __init__(self) -> None:
        super().__init__(id="google-sync")
        self.statuses: list[GoogleStatus] = []
        self.calendar_error: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        yield Static("Google sync (two-way)", classes="page-title")
        yield Static("", id="google-run-state", markup=False)
        yield Static("Loading…", classes="page-note", id="google-note")
        yield DataTable(id="google-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="google-details", can_focus=False):
            yield Static("", id="google-detail", markup=False)
            yield Static("", id="google-calendar-error", classes="-empty", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#google-table", DataTable)
        for label, key in (
            ("Practitioner", "name"),
            ("Google", "state"),
            ("Mode", "mode"),
            ("Last sync", "last"),
            ("Pending", "pending"),
        ):
            table.add_column(label, key=key)
        table.focus()
        app = self.sessions
        self.watch(app, "sync_status", self._run_state, init=True)
        self.watch(app, "syncing", self._syncing_changed, init=False)
        self.load(app.ctx)

    def _run_state(self, _value: object = None) -> None:
        app = self.sessions
        connected = any(st.settings is not None and st.settings.connected for st in self.statuses)
        idle = (
            "Google: no sync has run in this session yet"
            if connected or not self.statuses
            else "Google: no practitioner here is connected yet"
        )
        line = app.sync_status or idle
        if app.syncing and "syncing" not in line:
            line = "Google: syncing… " + line.removeprefix("Google: ")
        box = self.query_one("#google-run-state", Static)
        box.update(line)
        box.set_class(app.syncing, "-syncing")

    def _syncing_changed(self, syncing: bool) -> None:
        self._run_state()
        self.refresh_bindings()
        if not syncing:  # a run ended: last sync, result and pending changed
            self.load(self.sessions.ctx)

    # --- loading -----------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        group="google-load",
        exit_on_error=False,
        description="Load Google sync status",
    )
    def load(self, ctx: Context) -> None:
        try:
            statuses = load_statuses(ctx)
        except SessionsError as exc:
            self.post_message(self.Refused(exc.message))
            return
        self.post_message(self.StatusLoaded(statuses))

    def on_google_sync_screen_status_loaded(self, message: StatusLoaded) -> None:
        self.statuses = list(message.statuses)
        table = self.query_one("#google-table", DataTable)
        keep = self.highlighted()
        table.clear()
        tz = self.sessions.tz
        for st in self.statuses:
            table.add_row(*table_cells(st, tz), key=str(st.practitioner.id))
        if keep is not None and any(
            x.practitioner.id == keep.practitioner.id for x in self.statuses
        ):
            table.move_cursor(row=table.get_row_index(str(keep.practitioner.id)))
        self.set_note(
            "" if self.statuses else "You manage no practitioner's Google sync.",
            read_only=not self.statuses,
        )
        self._run_state()
        self._show_details()
        self.refresh_bindings()

    def highlighted(self) -> GoogleStatus | None:
        table = self.query_one("#google-table", DataTable)
        if not self.statuses or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((s for s in self.statuses if str(s.practitioner.id) == key), None)

    def detail_text(self, st: GoogleStatus) -> str:
        """The panel for one practitioner, in plain words (:func:`status_text`)."""
        url = self.sessions.ctx.db.engine.url
        actor = self.sessions.ctx.actor
        return status_text(
            st,
            db_url=url.render_as_string(hide_password=True),
            tz=self.sessions.tz,
            user=actor.login if actor is not None else None,
        )

    def _show_details(self) -> None:
        st = self.highlighted()
        self.query_one("#google-detail", Static).update(
            self.detail_text(st) if st is not None else ""
        )
        error = self.calendar_error.get(st.practitioner.id, "") if st is not None else ""
        box = self.query_one("#google-calendar-error", Static)
        box.update(error)
        box.set_class(not error, "-empty")

    @on(DataTable.RowHighlighted, "#google-table")
    def _row_moved(self) -> None:
        self._show_details()
        self.refresh_bindings()

    # --- actions -----------------------------------------------------------------------------

    def _not_connected(self) -> bool:
        """Say in one line why o and l cannot act on the highlighted row (True if so)."""
        st = self.highlighted()
        if st is None:
            self.notify("No practitioner is highlighted.", timeout=3)
            return True
        if st.settings is None:
            self.notify(
                f"{st.practitioner.name} is not set up for Google yet; see the command below.",
                timeout=4,
            )
            return True
        return False

    def action_close(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self.load(self.sessions.ctx)

    def action_sync(self) -> None:
        if not any(st.settings is not None and st.settings.connected for st in self.statuses):
            self.notify(
                "No practitioner is connected to Google yet; see the command below.",
                severity="warning",
            )
            return
        self.sessions.action_sync_now()
        self._run_state()

    def action_switch_mode(self) -> None:
        st = self.highlighted()
        if st is None or st.settings is None:
            self._not_connected()
            return
        pid, name = st.practitioner.id, st.practitioner.name
        if st.settings.mode is SyncMode.TWO_WAY:
            target = SyncMode.ONE_WAY
            question = f"Switch {name} to one-way sync?"
            detail = (
                "Local events are still pushed to Google, but nothing is pulled, and "
                "every event that came from Google (the default and secondary calendars) "
                "is removed from this calendar now. Switching back re-syncs everything."
            )
            yes = "Switch to one-way and remove them"
        else:
            target = SyncMode.TWO_WAY
            question = f"Switch {name} to two-way sync?"
            detail = (
                "The next sync pulls everything from Google again and re-pushes every "
                "local event (updating, never duplicating, what is there)."
            )
            yes = "Switch to two-way"

        def answered(ok: bool | None) -> None:
            if ok:
                self.set_mode(self.sessions.ctx, pid, target)

        self.app.push_screen(confirm(question, yes, detail=detail), answered)

    @work(
        thread=True,
        exclusive=True,
        group="google-change",
        exit_on_error=False,
        description="Change Google sync settings",
    )
    def set_mode(self, ctx: Context, practitioner_id: int, mode: SyncMode) -> None:
        from sessions_tui.services.google_settings import set_mode

        try:
            settings, removed = set_mode(ctx, practitioner_id, mode)
        except SessionsError as exc:
            self.post_message(self.Refused(exc.message))
            return
        name = settings.practitioner.name
        text = f"{name}: now {settings.mode.value}"
        if settings.mode is SyncMode.ONE_WAY:
            text += f"; removed {removed} Google event{'s' if removed != 1 else ''} locally"
        else:
            text += "; the next sync re-syncs everything"
        self.post_message(self.Changed(text, events_changed=removed > 0))

    def action_calendars(self) -> None:
        st = self.highlighted()
        if st is None or st.settings is None:
            self._not_connected()
            return
        self.calendar_error.pop(st.practitioner.id, None)
        self._show_details()
        self.notify("Listing the Google calendars…", timeout=2)
        self.list_remote(self.sessions.ctx, st.practitioner.id)

    @work(
        thread=True,
        exclusive=True,
        group="google-calendars",
        exit_on_error=False,
        description="List Google calendars",
    )
    def list_remote(self, ctx: Context, practitioner_id: int) -> None:
        from sessions_tui.sync.google import list_calendars

        try:
            found = list_calendars(ctx.db, practitioner_id)
        except SessionsError as exc:
            self.post_message(self.CalendarsFailed(practitioner_id, exc.message))
            return
        except Exception as exc:  # any other failure of the client library, in words
            self.post_message(
                self.CalendarsFailed(practitioner_id, f"{exc.__class__.__name__}: {exc}")
            )
            return
        self.post_message(self.CalendarsListed(practitioner_id, found))

    def on_google_sync_screen_calendars_failed(self, message: CalendarsFailed) -> None:
        text = f"Could not list the Google calendars: {message.text}"
        self.calendar_error[message.practitioner_id] = text
        self._show_details()
        self.notify(text, severity="error", timeout=8)

    def on_google_sync_screen_calendars_listed(self, message: CalendarsListed) -> None:
        st = next((s for s in self.statuses if s.practitioner.id == message.practitioner_id), None)
        if st is None or st.settings is None:
            return
        answers = calendar_choices(st.settings, message.calendars)
        if not answers:
            self.notify("The Google account has no calendar besides the default one.")
            return
        pid = st.practitioner.id

        def chosen(pick: tuple[str, str, bool] | None) -> None:
            if pick is not None:
                cal_id, summary, select = pick
                self.select_calendar(self.sessions.ctx, pid, cal_id, summary, select)

        self.app.push_screen(
            ChoiceModal(
                f"Secondary calendars of {st.practitioner.name}",
                answers,
                detail="Enter pulls a calendar ([x]) or stops pulling it; its events "
                "show with ◇ and block booking when busy.",
                id="google-calendars",
            ),
            chosen,
        )

    @work(
        thread=True,
        exclusive=True,
        group="google-change",
        exit_on_error=False,
        description="Choose a Google calendar",
    )
    def select_calendar(
        self, ctx: Context, practitioner_id: int, calendar_id: str, summary: str, selected: bool
    ) -> None:
        from sessions_tui.services.google_settings import select_calendar

        try:
            select_calendar(ctx, practitioner_id, calendar_id, selected, summary=summary)
        except SessionsError as exc:
            self.post_message(self.Refused(exc.message))
            return
        label = summary or calendar_id
        text = (
            f"{label}: pulled from the next sync on"
            if selected
            else f"{label}: no longer pulled (its events stay)"
        )
        self.post_message(self.Changed(text))

    def on_google_sync_screen_changed(self, message: Changed) -> None:
        self.notify(message.text, timeout=6)
        self.load(self.sessions.ctx)
        self.sessions.load_facts()  # which calendars are secondary (the ◇ style)
        if message.events_changed:
            self.app.post_message(DataChanged())
