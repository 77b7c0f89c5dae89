"""``sessions-tui caldav connect|sync|status|mode|calendars|disconnect``: two-way CalDAV sync.

The same commands as ``google …`` (:mod:`sessions_tui.cli.google`), for a CalDAV server
(Nextcloud, Fastmail, iCloud, Radicale; set-up in docs/CALDAV.md). The password comes from a
prompt, ``--password-file FILE`` (scripts), or the system keyring (``--keyring``, when the
``keyring`` package has a backend); it is kept in a 0600 file (or the keyring), never in the
database or a log.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sessions_tui.cli import options as _cli

if TYPE_CHECKING:
    from sessions_tui.domain.model import Staff
    from sessions_tui.services.context import Context

log = logging.getLogger(__name__)


def _practitioner(ctx: Context, name: str | None) -> Staff:
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


def _read_password(password_file: Path | None, username: str) -> str:
    from sessions_tui.domain.errors import ValidationError

    if password_file is not None:
        try:
            text = password_file.read_text("utf-8")
        except OSError as exc:
            raise ValidationError(
                f"cannot read --password-file {str(password_file)!r}: {exc.strerror}",
                field="password",
            ) from None
        password = text.splitlines()[0] if text.strip() else ""
        if not password:
            raise ValidationError(f"--password-file {str(password_file)!r} is empty")
        return password
    password = click.prompt(f"Password for {username}", hide_input=True, default="", err=True)
    if not str(password):
        raise ValidationError("no password given", field="password")
    return str(password)


def _names(wanted: str, url: str, name: str) -> bool:
    """Whether ``wanted`` names the calendar: its URL, last path segment, or name."""
    return (
        wanted in (url, url.rstrip("/").rsplit("/", 1)[-1]) or wanted.casefold() == name.casefold()
    )


@click.group("caldav")
@_cli.global_options
def caldav() -> None:
    """Two-way sync with a CalDAV server (Nextcloud, Fastmail, iCloud)."""


@caldav.command("connect")
@_cli.global_options
@click.argument("url")
@click.option("--username", required=True, metavar="U", help="The account's user name.")
@click.option(
    "--calendar",
    "calendar",
    metavar="NAME",
    help="The calendar to push to (its name or URL; default: the first one found).",
)
@click.option("--practitioner", metavar="NAME", help="Whose calendar (default: you).")
@click.option(
    "--password-file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Read the password from the first line of FILE (for scripts); else a prompt.",
)
@click.option(
    "--keyring", "use_keyring", is_flag=True, help="Keep the password in the system keyring."
)
@click.option(
    "--identifier",
    type=click.Choice(["initials", "first-name", "internal-id", "full"]),
    help="How clients are named on the server (default: initials).",
)
@click.option("--confirm-pii", is_flag=True, help="Confirm full client names (PII/HIPAA).")
def connect(
    url: str,
    username: str,
    calendar: str | None,
    practitioner: str | None,
    password_file: Path | None,
    use_keyring: bool,
    identifier: str | None,
    confirm_pii: bool,
) -> None:
    """Sign in, discover the calendars, and choose the default one."""
    from sessions_tui.services import caldav_settings
    from sessions_tui.services.feeds import check_identifier, parse_identifier
    from sessions_tui.sync.caldav import discover
    from sessions_tui.sync.caldav.dav import check_url
    from sessions_tui.sync.caldav.secret import save_password

    ctx = _cli.opts().context()
    person = _practitioner(ctx, practitioner)
    caldav_settings.require_manage(ctx.require_actor(), person.id)
    url = check_url(url)
    mode = parse_identifier(identifier) if identifier else None
    if mode is not None:
        check_identifier(ctx, mode, confirm_pii=confirm_pii)
    password = _read_password(password_file, username)
    dav, found = discover(url, username, password)
    dav.close()
    if not found:
        from sessions_tui.domain.errors import ValidationError

        raise ValidationError("the CalDAV account has no calendars: make one on the server")
    default_url = found[0][0]
    if calendar:
        from sessions_tui.domain.errors import NotFoundError

        wanted = calendar.strip()
        hits = [
            u
            for u, name in found
            if wanted in (u, u.rstrip("/").rsplit("/", 1)[-1])
            or wanted.casefold() == name.casefold()
        ]
        if not hits:
            for u, name in found:
                click.echo(f"  {name}  {u}")
            raise NotFoundError(f"no CalDAV calendar {wanted!r} in this account", field="calendar")
        default_url = hits[0]
    where = save_password(person.login, username, password, use_keyring=use_keyring)
    settings = caldav_settings.connect(
        ctx,
        person.id,
        url=url,
        username=username,
        calendars=found,
        default_url=default_url,
        identifier=mode,
        confirm_pii=confirm_pii,
    )
    default = settings.default_calendar
    click.echo(f"Password saved to {where}.")
    click.echo(
        f"Connected {person.name} to CalDAV calendar {default.summary if default else ''!r} "
        f"({settings.mode.value}, titles: {settings.identifier.label.lower()}); "
        f"{len(found)} calendar(s) found."
    )


@caldav.command("sync")
@_cli.global_options
@click.option("--practitioner", metavar="NAME", help="Whose calendar (default: you).")
def sync(practitioner: str | None) -> None:
    """Run one sync now and print: pushed, pulled, deleted, conflicts, errors."""
    from sessions_tui.services import caldav_settings
    from sessions_tui.sync.caldav import make_engine

    ctx = _cli.opts().context()
    person = _practitioner(ctx, practitioner)
    caldav_settings.require_manage(ctx.require_actor(), person.id)
    log.info("CalDAV sync of practitioner %s started", person.id)
    report = make_engine(ctx.db, ctx.clock, person.id).run()
    log.info("CalDAV sync of practitioner %s: %s", person.id, report.summary())
    click.echo(report.summary())
    for line in report.messages:
        click.echo(line)


@caldav.command("status")
@_cli.global_options
@click.option("--practitioner", metavar="NAME", help="Whose calendar (default: you).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def status(practitioner: str | None, fmt: str) -> None:
    """Server, mode, calendars, last sync and pending changes."""
    from sessions_tui.services import caldav_settings
    from sessions_tui.sync.caldav import CalDavEngine, pending_changes
    from sessions_tui.sync.caldav.secret import secret_path

    ctx = _cli.opts().context()
    person = _practitioner(ctx, practitioner)
    settings = caldav_settings.get_settings(ctx, person.id)
    if settings is None:
        click.echo(f"{person.name}: CalDAV sync is not set up (run `sessions-tui caldav connect`).")
        return
    pending = (
        pending_changes(CalDavEngine(ctx.db, ctx.clock, person.id, None))
        if settings.connected
        else None
    )
    password = "saved" if secret_path(person.login).exists() else "not saved"
    default = settings.default_calendar
    data = {
        "practitioner": person.login,
        "url": settings.url,
        "username": settings.username,
        "connected": settings.connected,
        "mode": settings.mode.value,
        "identifier": settings.identifier.value,
        "default_calendar": default.url if default else None,
        "secondary_calendars": [
            {"url": c.url, "name": c.summary, "selected": c.selected, "read_only": c.read_only}
            for c in settings.secondary_calendars
        ],
        "last_sync": settings.last_sync_at.isoformat() if settings.last_sync_at else None,
        "last_result": settings.last_result,
        "last_error": settings.last_error,
        "pending": pending.total if pending else 0,
        "password": password,
    }
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(
        f"{person.name}: {'connected' if settings.connected else 'disconnected'}, "
        f"{settings.mode.value}, {settings.username} at {settings.url} (password {password})"
    )
    if default:
        click.echo(f"  default calendar: {default.summary} ({default.url})")
    for c in settings.secondary_calendars:
        notes = [n for n, on in (("not pulled", not c.selected), ("read-only", c.read_only)) if on]
        click.echo(
            f"  secondary: {c.summary} ({c.url})" + (f" ({', '.join(notes)})" if notes else "")
        )
    last = (
        settings.last_sync_at.astimezone(_cli.opts().display_tz()).strftime("%Y-%m-%d %H:%M")
        if settings.last_sync_at
        else "never"
    )
    click.echo(
        f"  last sync: {last}" + (f" ({settings.last_result})" if settings.last_result else "")
    )
    if settings.last_error:
        click.echo(f"  last error: {settings.last_error}")
    if pending is not None:
        click.echo(
            f"  pending changes: {pending.total} ({pending.to_push} to push, "
            f"{pending.to_delete} to delete)"
        )


@caldav.command("mode")
@_cli.global_options
@click.argument("mode", type=click.Choice(["one-way", "two-way"]))
@click.option("--practitioner", metavar="NAME", help="Whose calendar (default: you).")
def mode_cmd(mode: str, practitioner: str | None) -> None:
    """Switch one-way (push only) or two-way."""
    from sessions_tui.services import caldav_settings

    ctx = _cli.opts().context()
    person = _practitioner(ctx, practitioner)
    settings, removed = caldav_settings.set_mode(ctx, person.id, mode)
    extra = f"; removed {removed} CalDAV events from the local calendar" if removed else ""
    if settings.mode.value == "two-way":
        extra = "; the next sync re-syncs everything"
    click.echo(f"CalDAV sync for {person.name} is now {settings.mode.value}{extra}.")


@caldav.command("calendars")
@_cli.global_options
@click.option("--practitioner", metavar="NAME", help="Whose calendar (default: you).")
@click.option("--add", "add", multiple=True, metavar="NAME", help="Pull this secondary calendar.")
@click.option(
    "--remove",
    "remove",
    multiple=True,
    metavar="NAME",
    help="Stop pulling it (its events stay, tied to it).",
)
def calendars(practitioner: str | None, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
    """List the account's calendars; choose the secondary ones to pull (by name or URL)."""
    from sessions_tui.services import caldav_settings

    ctx = _cli.opts().context()
    person = _practitioner(ctx, practitioner)
    settings = caldav_settings.get_settings(ctx, person.id)
    if settings is None:
        from sessions_tui.domain.errors import NotFoundError

        raise NotFoundError(
            "CalDAV sync is not set up for this practitioner: run `sessions-tui caldav connect`"
        )
    for name in add:
        cal = caldav_settings.find_calendar(settings, name)
        settings = caldav_settings.select_calendar(ctx, person.id, cal.url, True)
    for name in remove:
        cal = caldav_settings.find_calendar(settings, name)
        settings = caldav_settings.select_calendar(ctx, person.id, cal.url, False)
    for c in settings.calendars:
        mark = "default" if c.role == "default" else "pulled" if c.selected else "-"
        click.echo(f"{mark:<8} {c.summary}  {c.url}" + ("  (read-only)" if c.read_only else ""))


@caldav.command("disconnect")
@_cli.global_options
@click.option("--practitioner", metavar="NAME", help="Whose calendar (default: you).")
def disconnect(practitioner: str | None) -> None:
    """Forget the saved password and stop syncing (events stay on both sides)."""
    from sessions_tui.services import caldav_settings
    from sessions_tui.sync.caldav.secret import delete_password

    ctx = _cli.opts().context()
    person = _practitioner(ctx, practitioner)
    caldav_settings.require_manage(ctx.require_actor(), person.id)
    caldav_settings.disconnect(ctx, person.id)
    forgot = delete_password(person.login)
    click.echo(
        f"Disconnected {person.name} from CalDAV"
        + ("; the saved password was deleted" if forgot else "")
        + ". Events stay on both sides; connecting again converges without duplicates."
    )
