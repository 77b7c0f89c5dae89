"""What the sync screen shows for each practitioner, in words, whatever the provider.

:func:`status_text` is the panel for one practitioner, :func:`table_cells` their row,
:func:`calendar_choices` the secondary calendars to pull, :func:`connect_command` the exact
command that connects them (a command-line step for every provider: Google's sign-in prints a
URL to open, CalDAV's asks for the password).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sessions_tui.services.sync_settings import Provider, SyncMode, SyncSettings
from sessions_tui.sync_runs import SyncStatus

_HOW_TO_CONNECT = {
    Provider.GOOGLE: (
        "To connect (sign in and create a dedicated calendar), run in a terminal:",
        "It prints a URL to open on your own computer and, over SSH, the "
        "`ssh -L` line that forwards the sign-in port.",
    ),
    Provider.CALDAV: (
        "To connect, run in a terminal (it asks for the password; use an app password):",
        "docs/CALDAV.md has the URLs for Nextcloud, Fastmail and iCloud.",
    ),
}


def connect_command(
    provider: Provider,
    login: str,
    db_url: str | None,
    *,
    user: str | None = None,
    secrets: str | None = None,
) -> str:
    """The exact command that connects a practitioner, ready to paste: as ``user`` (the person
    at the keyboard). Google's signs in and makes a dedicated calendar, with the OAuth client
    file ``secrets`` (default: the one ``google connect`` would read); CalDAV's leaves SERVER,
    USER and NAME to fill in and asks for the password."""
    from sessions_tui.screens.shell_line import paste_ready

    if provider is Provider.CALDAV:
        return paste_ready(
            f"{provider.connect_command} https://SERVER/ --username USER",
            [("--user", user), ("--practitioner", login), ("--db", db_url), ("--calendar", "NAME")],
        )
    if secrets is None:
        from sessions_tui.sync_runs import default_client_secrets

        secrets = default_client_secrets()
    return paste_ready(
        provider.connect_command,
        [
            ("--user", user),
            ("--practitioner", login),
            ("--db", db_url),
            ("--create-calendar", "Client sessions"),
            ("--client-secrets", secrets),
        ],
    )


def calendar_name(provider: Provider, key: str, summary: str) -> str:
    """A calendar as the screen names it: Google's name and id; a CalDAV calendar's name (its
    URL is long and says nothing more)."""
    if provider is Provider.CALDAV:
        return summary or key
    return f"{summary} ({key})" if summary else key


def _needs_connect(st: SyncStatus, s: SyncSettings) -> bool:
    """Whether the panel repeats the connect command: off, or the credentials refused."""
    refused = ("not signed in", "again", "not saved")
    return (
        not s.connected
        or any(word in st.sign_in for word in refused)
        or bool(s.last_error and "password" in s.last_error)
    )


def status_text(st: SyncStatus, *, db_url: str, tz: ZoneInfo, user: str | None = None) -> str:
    """The panel for one practitioner, in plain words (times in ``tz``; ``db_url`` goes in the
    connect command, its password hidden by the caller, typed as ``user``)."""
    p = st.provider
    s = st.settings
    name = st.practitioner.name
    command = connect_command(p, st.practitioner.login, db_url, user=user)
    if s is None:
        before, after = _HOW_TO_CONNECT[p]
        return f"{name}: {p.label} sync is not set up.\n\n{before}\n  {command}\n{after}"
    how = "push and pull" if s.mode is SyncMode.TWO_WAY else "push only"
    lines = [
        f"{name}: {'connected' if s.connected else 'disconnected'}, {s.mode.value} ({how})"
        f"; titles use {s.identifier.label.lower()}."
    ]
    if s.server is not None:
        lines.append(f"Server: {s.server} as {s.username}")
    default = s.default_calendar
    lines.append(
        "Default calendar: "
        + (calendar_name(p, default.key, default.summary) if default else "none")
    )
    if s.secondary_calendars:
        lines.append("Secondary calendars:")
        for c in s.secondary_calendars:
            state = "pulled" if c.selected else "not pulled (its events stay, tied to it)"
            ro = " (read-only)" if c.read_only else ""
            lines.append(f"  ◇ {calendar_name(p, c.key, c.summary)}: {state}{ro}")
    else:
        lines.append("Secondary calendars: none chosen (l lists them)")
    last = short_when(s.last_sync_at, tz) if s.last_sync_at else "never"
    lines.append(f"Last sync: {last}" + (f" ({s.last_result})" if s.last_result else ""))
    lines.append(f"Last error: {s.last_error or 'none'}")
    if st.pending is not None:
        lines.append(f"Pending changes: {st.pending.total} (pushed by the next sync)")
    elif st.problem:
        lines.append(f"Pending changes: unknown ({st.problem})")
    lines.append(f"Sign-in: {st.sign_in}" if p is Provider.GOOGLE else f"Password: {st.sign_in}")
    if _needs_connect(st, s):
        lines.append(f"\nTo connect again, run in a terminal:\n  {command}")
    return "\n".join(lines)


def short_when(moment: datetime, tz: ZoneInfo) -> str:
    """``moment`` in ``tz`` as ``YYYY-MM-DD HH:MM``."""
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"


def table_cells(st: SyncStatus, tz: ZoneInfo) -> tuple[str, str, str, str, str]:
    """The practitioner's row: name, connected or not, mode, last sync (in ``tz``), pending."""
    s = st.settings
    if s is None:
        return (st.practitioner.name, "not set up", "—", "—", "—")
    last = short_when(s.last_sync_at, tz) if s.last_sync_at else "never"
    if s.last_error:
        last += " (failed)"
    return (
        st.practitioner.name,
        "connected" if s.connected else "disconnected",
        s.mode.value,
        last,
        "—" if st.pending is None else str(st.pending.total),
    )


def calendar_choices(
    settings: SyncSettings, calendars: Sequence[tuple[str, str]]
) -> list[tuple[str, tuple[str, str, bool]]]:
    """The account's calendars but the default, ``[x]`` when pulled, each with
    ``(key, name, pull it)`` — choosing one switches it."""
    default = settings.default_calendar
    pulled = {c.key for c in settings.secondary_calendars if c.selected}
    answers: list[tuple[str, tuple[str, str, bool]]] = []
    for key, summary in calendars:
        if default is not None and key == default.key:
            continue
        on_now = key in pulled
        mark = "[x]" if on_now else "[ ]"
        label = f"{mark} {calendar_name(settings.provider, key, summary)}"
        answers.append((label, (key, summary, not on_now)))
    return answers
