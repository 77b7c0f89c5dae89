"""What the Google sync screen shows for each practitioner: read in a worker, put in words.

:func:`load_statuses` reads every practitioner's sync state (no network); :func:`status_text`
is the panel the screen shows for one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sessions_tui.domain.errors import SessionsError
from sessions_tui.domain.model import Staff
from sessions_tui.services.context import Context
from sessions_tui.services.google_settings import GoogleSettings, SyncMode


@dataclass(frozen=True)
class GoogleStatus:
    """What the screen shows for one practitioner (built in a worker thread).

    Attributes:
        practitioner: Whose sync this is.
        settings: Their Google settings, ``None`` when sync was never set up.
        pending: Local changes not yet in Google (``None`` when not connected or unknown).
        sign_in: The token state in words ("signed in", "not signed in", ...).
        problem: Why ``pending`` could not be worked out, if it could not.
    """

    practitioner: Staff
    settings: GoogleSettings | None
    pending: int | None
    sign_in: str
    problem: str | None = None


def connect_command(
    login: str, db_url: str | None, *, user: str | None = None, secrets: str | None = None
) -> str:
    """The exact command that signs a practitioner in and makes a dedicated calendar, ready to
    paste: as ``user`` (the person at the keyboard), with the OAuth client file ``secrets``
    (default: the one ``google connect`` would read, ``oauth.default_client_secrets``)."""
    from sessions_tui.screens.shell_line import paste_ready

    if secrets is None:
        from sessions_tui.sync.oauth import default_client_secrets

        secrets = str(default_client_secrets())
    return paste_ready(
        "sessions-tui google connect",
        [
            ("--user", user),
            ("--practitioner", login),
            ("--db", db_url),
            ("--create-calendar", "Client sessions"),
            ("--client-secrets", secrets),
        ],
    )


def load_statuses(ctx: Context) -> list[GoogleStatus]:
    """Every practitioner the actor may manage, with their Google sync state (no network)."""
    from sessions_tui.services.google_settings import can_manage, get_settings
    from sessions_tui.services.practice import practitioners
    from sessions_tui.sync.google import SyncEngine, endpoint_from_env, pending_changes

    actor = ctx.require_actor()
    try:
        emulated = endpoint_from_env() is not None
    except SessionsError:
        emulated = False
    out: list[GoogleStatus] = []
    for person in practitioners(ctx):
        if not can_manage(actor, person.id):
            continue
        settings = get_settings(ctx, person.id)
        pending: int | None = None
        problem: str | None = None
        if settings is not None and settings.connected:
            try:
                pending = pending_changes(SyncEngine(ctx.db, ctx.clock, person.id, None)).total
            except SessionsError as exc:
                problem = exc.message
        if emulated:
            sign_in = "emulator (no sign-in)"
        else:
            from sessions_tui.sync.oauth import token_state

            sign_in = token_state(person.login, ctx.clock.now()).describe()
        out.append(GoogleStatus(person, settings, pending, sign_in, problem))
    return out


def status_text(st: GoogleStatus, *, db_url: str, tz: ZoneInfo, user: str | None = None) -> str:
    """The panel for one practitioner, in plain words (times in ``tz``; ``db_url`` goes in the
    sign-in command, its password hidden by the caller, typed as ``user``)."""
    s = st.settings
    name = st.practitioner.name
    command = connect_command(st.practitioner.login, db_url, user=user)
    if s is None:
        return (
            f"{name}: Google sync is not set up.\n\nTo connect (sign in and create a "
            f"dedicated calendar), run in a terminal:\n  {command}\n"
            "It prints a URL to open on your own computer and, over SSH, the "
            "`ssh -L` line that forwards the sign-in port."
        )
    how = "push and pull" if s.mode is SyncMode.TWO_WAY else "push only"
    lines = [
        f"{name}: {'connected' if s.connected else 'disconnected'}, "
        f"{s.mode.value} ({how})"
        f"; titles use {s.identifier.label.lower()}."
    ]
    default = next((c for c in s.calendars if c.role == "default"), None)
    lines.append(
        "Default calendar: "
        + (
            f"{default.summary} ({default.calendar_id})"
            if default and default.summary
            else default.calendar_id
            if default
            else "none"
        )
    )
    if s.secondary_calendars:
        lines.append("Secondary calendars:")
        for c in s.secondary_calendars:
            state = "pulled" if c.selected else "not pulled (its events stay, tied to it)"
            label = f"{c.summary} ({c.calendar_id})" if c.summary else c.calendar_id
            lines.append(f"  ◇ {label}: {state}")
    else:
        lines.append("Secondary calendars: none chosen (l lists them)")
    last = short_when(s.last_sync_at, tz) if s.last_sync_at else "never"
    lines.append(f"Last sync: {last}" + (f" ({s.last_result})" if s.last_result else ""))
    lines.append(f"Last error: {s.last_error or 'none'}")
    if st.pending is not None:
        lines.append(f"Pending changes: {st.pending} (pushed by the next sync)")
    elif st.problem:
        lines.append(f"Pending changes: unknown ({st.problem})")
    lines.append(f"Sign-in: {st.sign_in}")
    refused = not s.connected or "not signed in" in st.sign_in or "again" in st.sign_in
    if refused:
        lines.append(f"\nTo sign in again, run in a terminal:\n  {command}")
    return "\n".join(lines)


def short_when(moment: datetime, tz: ZoneInfo) -> str:
    """``moment`` in ``tz`` as ``YYYY-MM-DD HH:MM``."""
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"


def table_cells(st: GoogleStatus, tz: ZoneInfo) -> tuple[str, str, str, str, str]:
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
        "—" if st.pending is None else str(st.pending),
    )


def calendar_choices(
    settings: GoogleSettings, calendars: Sequence[tuple[str, str]]
) -> list[tuple[str, tuple[str, str, bool]]]:
    """The account's calendars but the default, ``[x]`` when pulled, each with
    ``(calendar id, name, pull it)`` — choosing one switches it."""
    default = settings.default_calendar
    pulled = {c.calendar_id for c in settings.secondary_calendars if c.selected}
    answers: list[tuple[str, tuple[str, str, bool]]] = []
    for cal_id, summary in calendars:
        if cal_id == default:
            continue
        on_now = cal_id in pulled
        mark = "[x]" if on_now else "[ ]"
        label = f"{mark} {summary} ({cal_id})" if summary else f"{mark} {cal_id}"
        answers.append((label, (cal_id, summary, not on_now)))
    return answers
