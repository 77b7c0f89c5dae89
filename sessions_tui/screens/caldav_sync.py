"""CalDAV sync: the state of two-way CalDAV sync for each practitioner the user may manage.

Like the Google sync screen (:mod:`sessions_tui.screens.google_sync`): per practitioner the
server and user name, the mode, the default calendar and the secondary ones (pulled or not),
the last sync, its result and error, and the pending local changes. ``s`` syncs now (the App's
worker, which runs Google and CalDAV), ``o`` switches one-way/two-way (asking first: going
one-way removes every CalDAV event from the local calendar), ``l`` chooses the secondary
calendars to pull (from those ``connect`` found: no network).

Connecting needs the password, typed where it cannot be seen: a command-line step
(``sessions-tui caldav connect``), whose exact form the panel shows. Nothing here waits on
the network or the database on the main thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from sessions_tui.domain.errors import SessionsError
from sessions_tui.domain.model import Staff
from sessions_tui.messages import DataChanged
from sessions_tui.screens.dialogs import ChoiceModal, confirm
from sessions_tui.screens.setup_page import SetupPage
from sessions_tui.services.caldav_settings import CalDavSettings, SyncMode
from sessions_tui.services.context import Context


@dataclass(frozen=True)
class CalDavStatus:
    """What the screen shows for one practitioner (built in a worker thread)."""

    practitioner: Staff
    settings: CalDavSettings | None
    pending: int | None
    problem: str | None = None


def connect_command(login: str, db_url: str | None) -> str:
    """The command that connects a practitioner (the password is asked for, not echoed);
    SERVER, USER and NAME are the user's to fill in."""
    from sessions_tui.screens.shell_line import paste_ready

    return paste_ready(
        "sessions-tui caldav connect https://SERVER/ --username USER",
        [("--practitioner", login), ("--db", db_url), ("--calendar", "NAME")],
    )


def load_statuses(ctx: Context) -> list[CalDavStatus]:
    """Every practitioner the actor may manage, with their CalDAV state (no network)."""
    from sessions_tui.services import permissions
    from sessions_tui.services.caldav_settings import get_settings
    from sessions_tui.services.practice import practitioners
    from sessions_tui.sync.caldav import CalDavEngine, pending_changes

    actor = ctx.require_actor()
    out: list[CalDavStatus] = []
    for person in practitioners(ctx):
        if not permissions.can_manage_google(actor, person.id):
            continue
        settings = get_settings(ctx, person.id)
        pending: int | None = None
        problem: str | None = None
        if settings is not None and settings.connected:
            try:
                pending = pending_changes(CalDavEngine(ctx.db, ctx.clock, person.id, None)).total
            except SessionsError as exc:
                problem = exc.message
        out.append(CalDavStatus(person, settings, pending, problem))
    return out


class CalDavSyncScreen(SetupPage):
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

    HELP = """Two-way sync with a CalDAV server (Nextcloud, Fastmail, iCloud). The list shows
each practitioner you may manage; the panel below it the highlighted one's server, calendars,
last sync, pending changes and last error. s syncs now (in the background, with Google), o
switches between two-way and one-way (one-way removes the events that came from the server
from this calendar; it asks first), l chooses which secondary calendars to pull. Connecting
asks for the password, so it is a command-line step; the panel shows the command. alt+c
returns to the calendar."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="caldav.close", tooltip="Close CalDAV sync"),
        Binding("s", "sync", "Sync now", id="caldav.sync", tooltip="Sync now (in the background)"),
        Binding(
            "o",
            "switch_mode",
            "One-/two-way",
            id="caldav.mode",
            tooltip="Switch the highlighted practitioner between two-way and one-way",
        ),
        Binding(
            "l",
            "calendars",
            "Calendars",
            id="caldav.calendars",
            tooltip="Choose the secondary CalDAV calendars to pull",
        ),
        Binding("r", "reload", "Reload", id="caldav.reload", tooltip="Read the status again"),
    ]

    DEFAULT_CSS = """
    CalDavSyncScreen DataTable { height: auto; max-height: 12; }
    CalDavSyncScreen #caldav-run-state { height: 1; padding: 0 1; }
    CalDavSyncScreen #caldav-details { height: 1fr; padding: 1 1 0 1; }
    CalDavSyncScreen #caldav-detail { height: auto; }
    """

    class StatusLoaded(Message):
        """The status of every practitioner the user manages (from a worker)."""

        def __init__(self, statuses: Sequence[CalDavStatus]) -> None:
            super().__init__()
            self.statuses = statuses

    class Changed(Message):
        """A setting was saved by a worker; ``text`` is the notification."""

        def __init__(self, text: str, *, events_changed: bool = False) -> None:
            super().__init__()
            self.text = text
            self.events_changed = events_changed

    def __init__(self) -> None:
        super().__init__(id="caldav-sync")
        self.statuses: list[CalDavStatus] = []

    def compose(self) -> ComposeResult:
        yield Static("CalDAV sync (two-way)", classes="page-title")
        yield Static("", id="caldav-run-state", markup=False)
        yield Static("Loading…", classes="page-note", id="caldav-note")
        yield DataTable(id="caldav-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="caldav-details", can_focus=False):
            yield Static("", id="caldav-detail", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#caldav-table", DataTable)
        for label, key in (
            ("Practitioner", "name"),
            ("CalDAV", "state"),
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
        line = app.sync_status or "No sync has run in this session yet"
        self.query_one("#caldav-run-state", Static).update(line)

    def _syncing_changed(self, syncing: bool) -> None:
        self._run_state()
        if not syncing:
            self.load(self.sessions.ctx)

    @work(
        thread=True,
        exclusive=True,
        group="caldav-load",
        exit_on_error=False,
        description="Load CalDAV sync status",
    )
    def load(self, ctx: Context) -> None:
        try:
            statuses = load_statuses(ctx)
        except SessionsError as exc:
            self.post_message(self.Refused(exc.message))
            return
        self.post_message(self.StatusLoaded(statuses))

    def on_cal_dav_sync_screen_status_loaded(self, message: StatusLoaded) -> None:
        self.statuses = list(message.statuses)
        table = self.query_one("#caldav-table", DataTable)
        keep = self.highlighted()
        table.clear()
        tz = self.sessions.tz
        for st in self.statuses:
            s = st.settings
            if s is None:
                cells = (st.practitioner.name, "not set up", "—", "—", "—")
            else:
                last = (
                    f"{s.last_sync_at.astimezone(tz):%Y-%m-%d %H:%M}" if s.last_sync_at else "never"
                )
                if s.last_error:
                    last += " (failed)"
                cells = (
                    st.practitioner.name,
                    "connected" if s.connected else "disconnected",
                    s.mode.value,
                    last,
                    "—" if st.pending is None else str(st.pending),
                )
            table.add_row(*cells, key=str(st.practitioner.id))
        if keep is not None and any(
            x.practitioner.id == keep.practitioner.id for x in self.statuses
        ):
            table.move_cursor(row=table.get_row_index(str(keep.practitioner.id)))
        self.set_note(
            "" if self.statuses else "You manage no practitioner's CalDAV sync.",
            read_only=not self.statuses,
        )
        self._show_details()

    def highlighted(self) -> CalDavStatus | None:
        table = self.query_one("#caldav-table", DataTable)
        if not self.statuses or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((s for s in self.statuses if str(s.practitioner.id) == key), None)

    def detail_text(self, st: CalDavStatus) -> str:
        """The panel for one practitioner, in plain words."""
        s = st.settings
        url = self.sessions.ctx.db.engine.url.render_as_string(hide_password=True)
        command = connect_command(st.practitioner.login, url)
        if s is None:
            return (
                f"{st.practitioner.name}: CalDAV sync is not set up.\n\nTo connect, run in a "
                f"terminal (it asks for the password; use an app password):\n  {command}\n"
                "docs/CALDAV.md has the URLs for Nextcloud, Fastmail and iCloud."
            )
        how = "push and pull" if s.mode is SyncMode.TWO_WAY else "push only"
        lines = [
            f"{st.practitioner.name}: {'connected' if s.connected else 'disconnected'}, "
            f"{s.mode.value} ({how}); titles use {s.identifier.label.lower()}.",
            f"Server: {s.url} as {s.username}",
        ]
        default = s.default_calendar
        lines.append(f"Default calendar: {default.summary if default else 'none'}")
        for c in s.secondary_calendars:
            state = "pulled" if c.selected else "not pulled"
            lines.append(f"  ◇ {c.summary}: {state}" + (" (read-only)" if c.read_only else ""))
        tz = self.sessions.tz
        last = _when(s.last_sync_at, tz)
        lines.append(f"Last sync: {last}" + (f" ({s.last_result})" if s.last_result else ""))
        lines.append(f"Last error: {s.last_error or 'none'}")
        if st.pending is not None:
            lines.append(f"Pending changes: {st.pending} (pushed by the next sync)")
        elif st.problem:
            lines.append(f"Pending changes: unknown ({st.problem})")
        if not s.connected or (s.last_error and "password" in s.last_error):
            lines.append(f"\nTo connect again, run in a terminal:\n  {command}")
        return "\n".join(lines)

    def _show_details(self) -> None:
        st = self.highlighted()
        self.query_one("#caldav-detail", Static).update(
            self.detail_text(st) if st is not None else ""
        )

    @on(DataTable.RowHighlighted, "#caldav-table")
    def _row_moved(self) -> None:
        self._show_details()

    # --- actions -------------------------------------------------------------------------

    def _set_up(self) -> CalDavStatus | None:
        st = self.highlighted()
        if st is None:
            self.notify("No practitioner is highlighted.", timeout=3)
            return None
        if st.settings is None:
            self.notify(
                f"{st.practitioner.name} is not set up for CalDAV yet; see the command below.",
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
                "No practitioner is connected to CalDAV yet; see the command below.",
                severity="warning",
            )
            return
        self.sessions.action_sync_now()

    def action_switch_mode(self) -> None:
        st = self._set_up()
        if st is None or st.settings is None:
            return
        pid, name = st.practitioner.id, st.practitioner.name
        if st.settings.mode is SyncMode.TWO_WAY:
            target = SyncMode.ONE_WAY
            question = f"Switch {name} to one-way CalDAV sync?"
            detail = (
                "Local events are still pushed to the server, but nothing is pulled, and every "
                "event that came from the server is removed from this calendar now. Switching "
                "back syncs everything again."
            )
            yes = "Switch to one-way and remove them"
        else:
            target = SyncMode.TWO_WAY
            question = f"Switch {name} to two-way CalDAV sync?"
            detail = "The next sync pulls everything again (updating, never duplicating)."
            yes = "Switch to two-way"

        def answered(ok: bool | None) -> None:
            if ok:
                self.set_mode(self.sessions.ctx, pid, target)

        self.app.push_screen(confirm(question, yes, detail=detail), answered)

    @work(
        thread=True,
        exclusive=True,
        group="caldav-change",
        exit_on_error=False,
        description="Change CalDAV sync settings",
    )
    def set_mode(self, ctx: Context, practitioner_id: int, mode: SyncMode) -> None:
        from sessions_tui.services.caldav_settings import set_mode

        try:
            settings, removed = set_mode(ctx, practitioner_id, mode)
        except SessionsError as exc:
            self.post_message(self.Refused(exc.message))
            return
        text = f"{settings.practitioner.name}: now {settings.mode.value}"
        if settings.mode is SyncMode.ONE_WAY:
            text += f"; removed {removed} CalDAV event{'s' if removed != 1 else ''} locally"
        self.post_message(self.Changed(text, events_changed=removed > 0))

    def action_calendars(self) -> None:
        st = self._set_up()
        if st is None or st.settings is None:
            return
        answers = [
            (f"{'[x]' if c.selected else '[ ]'} {c.summary}", (c.url, c.summary, not c.selected))
            for c in st.settings.secondary_calendars
        ]
        if not answers:
            self.notify("The account has no calendar besides the default one.")
            return
        pid = st.practitioner.id

        def chosen(pick: tuple[str, str, bool] | None) -> None:
            if pick is not None:
                self.select_calendar(self.sessions.ctx, pid, *pick)

        self.app.push_screen(
            ChoiceModal(
                f"Secondary CalDAV calendars of {st.practitioner.name}",
                answers,
                detail="Enter pulls a calendar ([x]) or stops pulling it; its events stay, "
                "tied to it, and block booking when busy.",
                id="caldav-calendars",
            ),
            chosen,
        )

    @work(
        thread=True,
        exclusive=True,
        group="caldav-change",
        exit_on_error=False,
        description="Choose a CalDAV calendar",
    )
    def select_calendar(
        self, ctx: Context, practitioner_id: int, url: str, summary: str, selected: bool
    ) -> None:
        from sessions_tui.services.caldav_settings import select_calendar

        try:
            select_calendar(ctx, practitioner_id, url, selected)
        except SessionsError as exc:
            self.post_message(self.Refused(exc.message))
            return
        text = (
            f"{summary}: pulled from the next sync on"
            if selected
            else f"{summary}: no longer pulled (its events stay)"
        )
        self.post_message(self.Changed(text))

    def on_cal_dav_sync_screen_changed(self, message: Changed) -> None:
        self.notify(message.text, timeout=6)
        self.load(self.sessions.ctx)
        if message.events_changed:
            self.app.post_message(DataChanged())


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}" if moment is not None else "never"
