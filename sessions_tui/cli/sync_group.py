"""The command group of a two-way sync provider, built once: ``sessions-tui google …`` and
``sessions-tui caldav …`` are both :func:`sync_group`.

The commands every provider has (``sync``, ``status``, ``mode``, ``calendars``) are here, over
:mod:`sessions_tui.services.sync_settings` and :mod:`sessions_tui.sync_runs`; what a provider
shows differently (a calendar id or a URL, a sign-in or a saved password) is its
:class:`Wording`. Each provider's module adds what is really its own: ``connect`` (Google's
OAuth sign-in, CalDAV's server and password) and ``disconnect``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from sessions_tui.cli import options as _cli

if TYPE_CHECKING:
    from sessions_tui.domain.model import Staff
    from sessions_tui.services.context import Context
    from sessions_tui.services.sync_settings import Provider, SyncCalendar, SyncSettings
    from sessions_tui.sync_runs import SyncStatus

PRACTITIONER_HELP = "Whose calendar (default: you)."


def practitioner_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--practitioner NAME``, the same on every sync command."""
    return click.option("--practitioner", metavar="NAME", help=PRACTITIONER_HELP)(f)


def practitioner_of(ctx: Context, name: str | None) -> Staff:
    """The practitioner named by ``--practitioner``, or the user when they are one."""
    from sessions_tui.domain.errors import ValidationError
    from sessions_tui.services.practice import find_practitioner

    actor = ctx.require_actor()
    if name:
        return find_practitioner(ctx, name)
    if not actor.is_practitioner:
        raise ValidationError(
            f"{actor.login} is not a practitioner: pass --practitioner NAME", field="practitioner"
        )
    return actor


def naming_options(where: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--identifier`` and ``--confirm-pii`` of a ``connect``: how clients are named ``where``
    (``in Google``, ``on the server``)."""

    def add(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option(
            "--confirm-pii", is_flag=True, help="Confirm full client names (PII/HIPAA)."
        )(f)
        return click.option(
            "--identifier",
            type=click.Choice(["initials", "first-name", "internal-id", "full"]),
            help=f"How clients are named {where} (default: initials).",
        )(f)

    return add


def connecting(
    ctx: Context, name: str | None, identifier: str | None, confirm_pii: bool
) -> tuple[Staff, dict[str, Any]]:
    """The practitioner ``connect`` is for (the user may manage their sync) and the naming
    chosen (checked: full names need ``--confirm-pii``), before anything is asked or saved: the
    ``identifier`` and ``confirm_pii`` keywords of ``sync_settings.connect``."""
    from sessions_tui.services.feeds import check_identifier, parse_identifier

    person = _person(ctx, name)
    mode = parse_identifier(identifier) if identifier else None
    if mode is not None:
        check_identifier(ctx, mode, confirm_pii=confirm_pii)
    return person, {"identifier": mode, "confirm_pii": confirm_pii}


def connected_line(person: Staff, settings: SyncSettings, calendar: str) -> str:
    """``Connected NAME to Google calendar X (two-way, titles: initials)``."""
    return (
        f"Connected {person.name} to {settings.provider.label} calendar {calendar} "
        f"({settings.mode.value}, titles: {settings.identifier.label.lower()})"
    )


@dataclass(frozen=True)
class Wording:
    """How a provider's ``status`` and ``calendars`` put its account in words.

    Attributes:
        account: The end of the status's first line (the sign-in, or server and password).
        calendar: A calendar as ``status`` names it.
        account_json: The provider's own fields at the start of ``status --format json``.
        calendar_json: A secondary calendar in ``status --format json``.
        credentials_key: The JSON key of the credentials' state (``sign_in``, ``password``).
        not_pulled: The note on a secondary calendar that is not pulled.
        unselected_mark: The ``calendars`` mark of a recorded calendar that is not pulled.
        calendar_row: A ``calendars`` row from its mark, key, name and settings.
        calendar_metavar: What ``--add`` and ``--remove`` take.
        status_help: ``status --help``'s first line.
        calendars_help: ``calendars --help``'s first line.
    """

    account: Callable[[SyncStatus], str]
    calendar: Callable[[SyncCalendar], str]
    account_json: Callable[[SyncSettings], dict[str, Any]]
    calendar_json: Callable[[SyncCalendar], dict[str, Any]]
    credentials_key: str
    not_pulled: str
    unselected_mark: str
    calendar_row: Callable[[str, str, str, SyncCalendar | None], str]
    calendar_metavar: str
    status_help: str
    calendars_help: str


def sync_group(provider: Provider, doc: str, wording: Wording) -> click.Group:
    """The ``provider`` command group with its shared commands (see the module's docstring)."""
    label = provider.label

    @click.group(provider.value, help=doc)
    @_cli.global_options
    def group() -> None:
        pass

    @group.command("sync")
    @_cli.global_options
    @practitioner_option
    def sync(practitioner: str | None) -> None:
        """Run one sync now and print: pushed, pulled, deleted, conflicts, errors."""
        from sessions_tui.sync_runs import sync_now

        ctx = _cli.opts().context()
        person = _person(ctx, practitioner)
        report = sync_now(provider, ctx, person.id)
        click.echo(report.summary())
        for line in report.messages:
            click.echo(line)

    @group.command("status", help=wording.status_help)
    @_cli.global_options
    @practitioner_option
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
    def status(practitioner: str | None, fmt: str) -> None:
        from sessions_tui.sync_runs import status as read_status

        ctx = _cli.opts().context()
        person = practitioner_of(ctx, practitioner)
        st = read_status(provider, ctx, person, strict=True)
        s = st.settings
        if s is None:
            click.echo(
                f"{person.name}: {label} sync is not set up (run `{provider.connect_command}`)."
            )
            return
        if fmt == "json":
            click.echo(json.dumps(_status_json(st, s, wording), indent=2))
            return
        _status_text(st, s, wording)

    @group.command("mode")
    @_cli.global_options
    @click.argument("mode", type=click.Choice(["one-way", "two-way"]))
    @practitioner_option
    def mode_cmd(mode: str, practitioner: str | None) -> None:
        """Switch one-way (push only) or two-way."""
        from sessions_tui.domain.text import count_of
        from sessions_tui.services import sync_settings

        ctx = _cli.opts().context()
        person = _person(ctx, practitioner)
        settings, removed = sync_settings.set_mode(provider, ctx, person.id, mode)
        extra = (
            f"; removed {count_of(removed, f'{label} event')} from the local calendar"
            if removed
            else ""
        )
        if settings.mode.value == "two-way":
            extra = "; the next sync re-syncs everything"
        click.echo(f"{label} sync for {person.name} is now {settings.mode.value}{extra}.")

    @group.command("calendars", help=wording.calendars_help)
    @_cli.global_options
    @practitioner_option
    @click.option(
        "--add",
        "add",
        multiple=True,
        metavar=wording.calendar_metavar,
        help="Pull this secondary calendar.",
    )
    @click.option(
        "--remove",
        "remove",
        multiple=True,
        metavar=wording.calendar_metavar,
        help="Stop pulling it (its events stay, tied to it).",
    )
    def calendars(practitioner: str | None, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        from sessions_tui.services import sync_settings
        from sessions_tui.sync_runs import list_remote_calendars

        ctx = _cli.opts().context()
        person = _person(ctx, practitioner)
        found = list_remote_calendars(provider, ctx, person.id)
        listed = listing(provider, found)
        adding = [(c.key, c.summary) for c in (listed.find_calendar(n) for n in add)]
        if remove:
            settings = sync_settings.require_settings(provider, ctx, person.id)
            removing = [settings.find_calendar(n).key for n in remove]
        else:
            removing = []
        settings_now = sync_settings.select_calendars(provider, ctx, person.id, adding, removing)
        chosen = {c.key: c for c in settings_now.calendars} if settings_now else {}
        for key, name in found:
            c = chosen.get(key)
            mark = (
                (
                    "default"
                    if c.role == "default"
                    else "pulled"
                    if c.selected
                    else wording.unselected_mark
                )
                if c
                else "-"
            )
            click.echo(wording.calendar_row(f"{mark:<8}", key, name, c))

    return group


def _person(ctx: Context, name: str | None) -> Staff:
    from sessions_tui.services.sync_settings import require_manage

    person = practitioner_of(ctx, name)
    require_manage(ctx.require_actor(), person.id)
    return person


def listing(provider: Provider, found: list[tuple[str, str]]) -> SyncSettings:
    """The account's calendars as settings, to find ``--add`` names among them."""
    from sessions_tui.services.sync_settings import SyncCalendar, SyncSettings

    return SyncSettings(
        provider=provider,
        practitioner=None,  # type: ignore[arg-type]
        mode=None,  # type: ignore[arg-type]
        connected=False,
        identifier=None,  # type: ignore[arg-type]
        calendars=tuple(SyncCalendar(k, n, "secondary", False) for k, n in found),
        last_sync_at=None,
        last_result=None,
        last_error=None,
    )


def _status_json(st: SyncStatus, s: SyncSettings, wording: Wording) -> dict[str, Any]:
    default = s.default_calendar
    return {
        "practitioner": st.practitioner.login,
        **wording.account_json(s),
        "connected": s.connected,
        "mode": s.mode.value,
        "identifier": s.identifier.value,
        "default_calendar": default.key if default else None,
        "secondary_calendars": [wording.calendar_json(c) for c in s.secondary_calendars],
        "last_sync": s.last_sync_at.isoformat() if s.last_sync_at else None,
        "last_result": s.last_result,
        "last_error": s.last_error,
        "pending": st.pending.total if st.pending else 0,
        wording.credentials_key: st.sign_in,
    }


def _status_text(st: SyncStatus, s: SyncSettings, wording: Wording) -> None:
    click.echo(
        f"{st.practitioner.name}: {'connected' if s.connected else 'disconnected'}, "
        f"{s.mode.value}, {wording.account(st)}"
    )
    default = s.default_calendar
    if default is not None:
        click.echo(f"  default calendar: {wording.calendar(default)}")
    for c in s.secondary_calendars:
        notes = [
            n for n, on in ((wording.not_pulled, not c.selected), ("read-only", c.read_only)) if on
        ]
        click.echo(
            f"  secondary: {wording.calendar(c)}" + (f" ({', '.join(notes)})" if notes else "")
        )
    last = (
        s.last_sync_at.astimezone(_cli.opts().display_tz()).strftime("%Y-%m-%d %H:%M")
        if s.last_sync_at
        else "never"
    )
    click.echo(f"  last sync: {last}" + (f" ({s.last_result})" if s.last_result else ""))
    if s.last_error:
        click.echo(f"  last error: {s.last_error}")
    if st.pending is not None:
        click.echo(
            f"  pending changes: {st.pending.total} ({st.pending.to_push} to push, "
            f"{st.pending.to_delete} to delete)"
        )
