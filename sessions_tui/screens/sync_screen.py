"""The sync screen: the state of two-way sync for each practitioner the user may manage, one
screen for every provider (the "…" menu has an entry per provider: Google sync, CalDAV sync).

Per practitioner: connected or not, the mode (two-way or one-way), the default calendar, the
secondary calendars and whether each is pulled, the last sync and its result, the pending local
changes, the last error and the credentials (Google's sign-in, CalDAV's saved password). ``s``
syncs now (the App's worker, which runs every provider), ``o`` switches one-way/two-way (asking
first: going one-way removes every event that came from the provider from the local calendar),
``l`` lists the account's calendars (in a worker: Google asks the network, CalDAV reads the
ones ``connect`` found) to choose which secondary calendars to pull.

Connecting is a command-line step for every provider (Google's sign-in prints a URL and an
``ssh -L`` line; CalDAV's asks for the password where it cannot be seen): the panel shows the
exact command. Nothing here waits on the network or the database on the main thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from sessions_tui.domain.errors import SessionsError
from sessions_tui.messages import DataChanged
from sessions_tui.screens.dialogs import ChoiceModal, confirm
from sessions_tui.screens.setup_page import SetupPage
from sessions_tui.screens.sync_words import calendar_choices, status_text, table_cells
from sessions_tui.services.context import Context
from sessions_tui.services.sync_settings import Provider, SyncMode
from sessions_tui.sync_runs import SyncStatus


def load_statuses(provider: Provider, ctx: Context) -> list[SyncStatus]:
    """Every practitioner the actor may manage, with their ``provider`` status (no network)."""
    from sessions_tui.sync_runs import statuses

    return statuses(provider, ctx)


def sync_bindings(provider: Provider, calendars_tooltip: str) -> list[BindingType]:
    """The screen's keys for ``provider``, each with its own id (``google.sync`` ...)."""
    p, label = provider.value, provider.label
    return [
        Binding("escape", "close", "Back", id=f"{p}.close", tooltip=f"Close {label} sync"),
        Binding(
            "s",
            "sync",
            "Sync now",
            id=f"{p}.sync",
            tooltip=f"Sync with {label} now (in the background)",
        ),
        Binding(
            "o",
            "switch_mode",
            "One-/two-way",
            id=f"{p}.mode",
            tooltip="Switch the highlighted practitioner between two-way and one-way",
        ),
        Binding("l", "calendars", "Calendars", id=f"{p}.calendars", tooltip=calendars_tooltip),
        Binding("r", "reload", "Reload", id=f"{p}.reload", tooltip="Read the status again"),
    ]


class SyncScreen(SetupPage):
    """Sync status and settings per practitioner, for the subclass's ``PROVIDER``."""

    PROVIDER: ClassVar[Provider]
    WHERE: ClassVar[str]
    """Where events come from, in a sentence: ``Google``, ``the server``."""

    DEFAULT_CSS = """
    SyncScreen DataTable { height: auto; max-height: 12; }
    SyncScreen .sync-run-state { height: 1; padding: 0 1; }
    SyncScreen .sync-run-state.-syncing { color: $warning; text-style: bold; }
    SyncScreen .sync-details { height: 1fr; padding: 1 1 0 1; }
    SyncScreen .sync-detail { height: auto; }
    SyncScreen .sync-calendar-error { height: auto; color: $error; }
    SyncScreen .sync-calendar-error.-empty { display: none; }
    """

    class StatusLoaded(Message):
        """The status of every practitioner the user manages (from a worker)."""

        def __init__(self, statuses: Sequence[SyncStatus]) -> None:
            super().__init__()
            self.statuses = statuses

    class CalendarsListed(Message):
        """The account's calendars, ``(key, name)``, for choosing secondaries."""

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
        p = self.PROVIDER.value
        super().__init__(id=f"{p}-sync")
        self.statuses: list[SyncStatus] = []
        self.calendar_error: dict[int, str] = {}

    def _part_id(self, part: str) -> str:
        """A widget's id, ``google-table`` or ``caldav-table``."""
        return f"{self.PROVIDER.value}-{part}"

    def compose(self) -> ComposeResult:
        yield Static(f"{self.PROVIDER.label} sync (two-way)", classes="page-title")
        yield Static("", id=self._part_id("run-state"), classes="sync-run-state", markup=False)
        yield Static("Loading…", classes="page-note", id=self._part_id("note"))
        yield DataTable(id=self._part_id("table"), cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id=self._part_id("details"), classes="sync-details", can_focus=False):
            yield Static("", id=self._part_id("detail"), classes="sync-detail", markup=False)
            yield Static(
                "",
                id=self._part_id("calendar-error"),
                classes="sync-calendar-error -empty",
                markup=False,
            )
        yield Footer(compact=True, show_command_palette=False)

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one(f"#{self._part_id('table')}", DataTable)

    def on_mount(self) -> None:
        for label, key in (
            ("Practitioner", "name"),
            (self.PROVIDER.label, "state"),
            ("Mode", "mode"),
            ("Last sync", "last"),
            ("Pending", "pending"),
        ):
            self.table.add_column(label, key=key)
        self.table.focus()
        app = self.sessions
        self.watch(app, "sync_status", self._run_state, init=True)
        self.watch(app, "syncing", self._syncing_changed, init=False)
        self.load(app.ctx)

    def _run_state(self, _value: object = None) -> None:
        app = self.sessions
        label = self.PROVIDER.label
        connected = any(st.settings is not None and st.settings.connected for st in self.statuses)
        idle = (
            f"{label}: no sync has run in this session yet"
            if connected or not self.statuses
            else f"{label}: no practitioner here is connected yet"
        )
        line = app.sync_status or idle
        if app.syncing and "syncing" not in line:
            head, sep, tail = line.partition(": ")
            line = f"{head}: syncing… {tail}" if sep else f"syncing… {line}"
        box = self.query_one(f"#{self._part_id('run-state')}", Static)
        box.update(line)
        box.set_class(app.syncing, "-syncing")

    def _syncing_changed(self, syncing: bool) -> None:
        self._run_state()
        self.refresh_bindings()
        if not syncing:  # a run ended: last sync, result and pending changed
            self.load(self.sessions.ctx)

    def _in_thread(self, what: str, group: str, job: Callable[[], None]) -> None:
        """Run ``job`` in a thread worker named for this provider (``Load Google sync status``)."""
        self.run_worker(
            job,
            thread=True,
            exclusive=True,
            group=self._part_id(group),
            exit_on_error=False,
            description=what,
        )

    # --- loading -----------------------------------------------------------------------------

    def load(self, ctx: Context) -> None:
        def job() -> None:
            try:
                statuses = load_statuses(self.PROVIDER, ctx)
            except SessionsError as exc:
                self.post_message(self.Refused(exc.message))
                return
            self.post_message(self.StatusLoaded(statuses))

        self._in_thread(f"Load {self.PROVIDER.label} sync status", "load", job)

    def on_sync_screen_status_loaded(self, message: StatusLoaded) -> None:
        self.statuses = list(message.statuses)
        table = self.table
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
            "" if self.statuses else f"You manage no practitioner's {self.PROVIDER.label} sync.",
            read_only=not self.statuses,
        )
        self._run_state()
        self._show_details()
        self.refresh_bindings()

    def highlighted(self) -> SyncStatus | None:
        table = self.table
        if not self.statuses or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((s for s in self.statuses if str(s.practitioner.id) == key), None)

    def detail_text(self, st: SyncStatus) -> str:
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
        self.query_one(f"#{self._part_id('detail')}", Static).update(
            self.detail_text(st) if st is not None else ""
        )
        error = self.calendar_error.get(st.practitioner.id, "") if st is not None else ""
        box = self.query_one(f"#{self._part_id('calendar-error')}", Static)
        box.update(error)
        box.set_class(not error, "-empty")

    @on(DataTable.RowHighlighted)
    def _row_moved(self) -> None:
        self._show_details()
        self.refresh_bindings()

    # --- actions -----------------------------------------------------------------------------

    def _set_up(self) -> SyncStatus | None:
        """The highlighted practitioner when set up; else says in one line why o and l cannot
        act."""
        st = self.highlighted()
        if st is None:
            self.notify("No practitioner is highlighted.", timeout=3)
            return None
        if st.settings is None:
            self.notify(
                f"{st.practitioner.name} is not set up for {self.PROVIDER.label} yet; "
                "see the command below.",
                timeout=4,
            )
            return None
        return st

    def action_close(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self.load(self.sessions.ctx)

    def action_sync(self) -> None:
        if not any(st.settings is not None and st.settings.connected for st in self.statuses):
            self.notify(
                f"No practitioner is connected to {self.PROVIDER.label} yet; "
                "see the command below.",
                severity="warning",
            )
            return
        self.sessions.action_sync_now()
        self._run_state()

    def action_switch_mode(self) -> None:
        st = self._set_up()
        if st is None or st.settings is None:
            return
        pid, name, where = st.practitioner.id, st.practitioner.name, self.WHERE
        label = self.PROVIDER.label
        if st.settings.mode is SyncMode.TWO_WAY:
            target = SyncMode.ONE_WAY
            question = f"Switch {name} to one-way {label} sync?"
            detail = (
                f"Local events are still pushed to {where}, but nothing is pulled, and every "
                f"event that came from {where} (the default and secondary calendars) is "
                "removed from this calendar now. Switching back re-syncs everything."
            )
            yes = "Switch to one-way and remove them"
        else:
            target = SyncMode.TWO_WAY
            question = f"Switch {name} to two-way {label} sync?"
            detail = (
                f"The next sync pulls everything from {where} again and re-pushes every "
                "local event (updating, never duplicating, what is there)."
            )
            yes = "Switch to two-way"

        def answered(ok: bool | None) -> None:
            if ok:
                self.set_mode(self.sessions.ctx, pid, target)

        self.app.push_screen(confirm(question, yes, detail=detail), answered)

    def set_mode(self, ctx: Context, practitioner_id: int, mode: SyncMode) -> None:
        from sessions_tui.services import sync_settings

        def job() -> None:
            try:
                settings, removed = sync_settings.set_mode(
                    self.PROVIDER, ctx, practitioner_id, mode
                )
            except SessionsError as exc:
                self.post_message(self.Refused(exc.message))
                return
            text = (
                f"{settings.practitioner.name}: now {settings.mode.value}; "
                + sync_settings.mode_changed(settings, removed)
            )
            self.post_message(self.Changed(text, events_changed=removed > 0))

        self._in_thread(f"Change {self.PROVIDER.label} sync settings", "change", job)

    def action_calendars(self) -> None:
        st = self._set_up()
        if st is None:
            return
        self.calendar_error.pop(st.practitioner.id, None)
        self._show_details()
        self.notify(f"Listing the {self.PROVIDER.label} calendars…", timeout=2)
        self.list_remote(self.sessions.ctx, st.practitioner.id)

    def list_remote(self, ctx: Context, practitioner_id: int) -> None:
        from sessions_tui.sync_runs import list_remote_calendars

        def job() -> None:
            try:
                found = list_remote_calendars(self.PROVIDER, ctx, practitioner_id)
            except SessionsError as exc:
                self.post_message(self.CalendarsFailed(practitioner_id, exc.message))
                return
            except Exception as exc:  # any other failure of the client library, in words
                self.post_message(
                    self.CalendarsFailed(practitioner_id, f"{exc.__class__.__name__}: {exc}")
                )
                return
            self.post_message(self.CalendarsListed(practitioner_id, found))

        self._in_thread(f"List {self.PROVIDER.label} calendars", "calendars", job)

    def on_sync_screen_calendars_failed(self, message: CalendarsFailed) -> None:
        text = f"Could not list the {self.PROVIDER.label} calendars: {message.text}"
        self.calendar_error[message.practitioner_id] = text
        self._show_details()
        self.notify(text, severity="error", timeout=8)

    def on_sync_screen_calendars_listed(self, message: CalendarsListed) -> None:
        st = next((s for s in self.statuses if s.practitioner.id == message.practitioner_id), None)
        if st is None or st.settings is None:
            return
        answers = calendar_choices(st.settings, message.calendars)
        if not answers:
            self.notify(
                f"The {self.PROVIDER.label} account has no calendar besides the default one."
            )
            return
        pid = st.practitioner.id

        def chosen(pick: tuple[str, str, bool] | None) -> None:
            if pick is not None:
                self.select_calendar(self.sessions.ctx, pid, *pick)

        self.app.push_screen(
            ChoiceModal(
                f"Secondary {self.PROVIDER.label} calendars of {st.practitioner.name}",
                answers,
                detail="Enter pulls a calendar ([x]) or stops pulling it; its events "
                "show with ◇ and block booking when busy.",
                id=self._part_id("calendars"),
            ),
            chosen,
        )

    def select_calendar(
        self, ctx: Context, practitioner_id: int, key: str, summary: str, selected: bool
    ) -> None:
        from sessions_tui.services import sync_settings

        def job() -> None:
            try:
                sync_settings.select_calendar(
                    self.PROVIDER, ctx, practitioner_id, key, selected, summary=summary
                )
            except SessionsError as exc:
                self.post_message(self.Refused(exc.message))
                return
            label = summary or key
            text = (
                f"{label}: pulled from the next sync on"
                if selected
                else f"{label}: no longer pulled (its events stay)"
            )
            self.post_message(self.Changed(text))

        self._in_thread(f"Choose a {self.PROVIDER.label} calendar", "change", job)

    def on_sync_screen_changed(self, message: Changed) -> None:
        self.notify(message.text, timeout=6)
        self.load(self.sessions.ctx)
        self.sessions.load_facts()  # which calendars are secondary (the ◇ style)
        if message.events_changed:
            self.app.post_message(DataChanged())


class GoogleSyncScreen(SyncScreen):
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

    PROVIDER = Provider.GOOGLE
    WHERE = "Google"
    HELP = """Two-way sync with Google Calendar. The list shows each practitioner you may
manage; the panel below it the highlighted one's calendars, last sync, pending changes, last
error and sign-in. s syncs now (in the background), o switches between two-way and one-way
(one-way removes the events that came from Google from this calendar; it asks first), l lists
the Google account's calendars to choose which secondary calendars to pull. Connecting is a
command-line step; the panel shows the command. alt+c returns to the calendar."""

    BINDINGS: ClassVar[list[BindingType]] = sync_bindings(
        Provider.GOOGLE, "List the Google calendars and choose the secondary ones to pull"
    )


class CalDavSyncScreen(SyncScreen):
    """CalDAV sync status and settings per practitioner.

    | Key | Action |
    | --- | --- |
    | up / down | Highlight a practitioner |
    | s | Sync now |
    | o | Switch one-way / two-way (asks first) |
    | l | Choose secondary calendars to pull |
    | r | Reload the status |
    | escape | Close (back to the calendar) |
    """

    PROVIDER = Provider.CALDAV
    WHERE = "the server"
    HELP = """Two-way sync with a CalDAV server (Nextcloud, Fastmail, iCloud). The list shows
each practitioner you may manage; the panel below it the highlighted one's server, calendars,
last sync, pending changes and last error. s syncs now (in the background, with Google), o
switches between two-way and one-way (one-way removes the events that came from the server
from this calendar; it asks first), l chooses which secondary calendars to pull. Connecting
asks for the password, so it is a command-line step; the panel shows the command. alt+c
returns to the calendar."""

    BINDINGS: ClassVar[list[BindingType]] = sync_bindings(
        Provider.CALDAV, "Choose the secondary CalDAV calendars to pull"
    )
