"""``sessions-tui caldav connect|sync|status|mode|calendars|disconnect``: two-way CalDAV sync.

The same commands as ``google …`` (:mod:`sessions_tui.cli.google`), for a CalDAV server
(Nextcloud, Fastmail, iCloud, Radicale; set-up in docs/CALDAV.md). The password comes from a
prompt, ``--password-file FILE`` (scripts), or the system keyring (``--keyring``, when the
``keyring`` package has a backend); it is kept in a 0600 file (or the keyring), never in the
database or a log.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sessions_tui.cli import options as _cli
from sessions_tui.cli import sync_group as _sync
from sessions_tui.services.sync_settings import Provider

if TYPE_CHECKING:
    from sessions_tui.services.sync_settings import SyncSettings

log = logging.getLogger(__name__)


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


caldav = _sync.sync_group(
    Provider.CALDAV,
    "Two-way sync with a CalDAV server (Nextcloud, Fastmail, iCloud).",
    _sync.Wording(
        account=lambda st: (
            f"{st.settings.username if st.settings else ''} at "
            f"{st.settings.server if st.settings else ''} (password {st.sign_in})"
        ),
        calendar=lambda c: f"{c.summary} ({c.key})",
        account_json=lambda s: {"url": s.server, "username": s.username},
        calendar_json=lambda c: {
            "url": c.key,
            "name": c.summary,
            "selected": c.selected,
            "read_only": c.read_only,
        },
        credentials_key="password",
        not_pulled="not pulled",
        unselected_mark="-",
        calendar_row=lambda mark, key, name, c: (
            f"{mark} {name}  {key}" + ("  (read-only)" if c is not None and c.read_only else "")
        ),
        calendar_metavar="NAME",
        status_help="Server, mode, calendars, last sync and pending changes.",
        calendars_help=(
            "List the account's calendars; choose the secondary ones to pull (by name or URL)."
        ),
    ),
)


def _discover(url: str, username: str, password: str) -> list[tuple[str, str]]:
    """The account's calendars, ``(url, name)``. A server that does not answer saves nothing
    (there is no calendar to sync with yet): the one line says so, not "will retry later"."""
    from sessions_tui.sync.caldav import discover
    from sessions_tui.sync.errors import SyncTransientError

    try:
        dav, found = discover(url, username, password)
    except SyncTransientError as exc:
        why = exc.message.split("; will retry")[0]
        raise SyncTransientError(
            f"{why}; nothing was saved: run `sessions-tui caldav connect` again once the "
            "server answers",
            quota=exc.quota,
        ) from None
    dav.close()
    return found


def _found(found: list[tuple[str, str]]) -> SyncSettings:
    """The discovered calendars, to find ``--calendar`` among them by name or URL."""
    from sessions_tui.cli.sync_group import listing

    return listing(Provider.CALDAV, found)


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
@_sync.practitioner_option
@click.option(
    "--password-file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Read the password from the first line of FILE (for scripts); else a prompt.",
)
@click.option(
    "--keyring", "use_keyring", is_flag=True, help="Keep the password in the system keyring."
)
@_sync.naming_options("on the server")
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
    from sessions_tui.services import sync_settings
    from sessions_tui.sync.caldav.dav import check_url
    from sessions_tui.sync.caldav.secret import save_password

    ctx = _cli.opts().context()
    person, naming = _sync.connecting(ctx, practitioner, identifier, confirm_pii)
    url = check_url(url)
    password = _read_password(password_file, username)
    found = _discover(url, username, password)
    if not found:
        from sessions_tui.domain.errors import ValidationError

        raise ValidationError("the CalDAV account has no calendars: make one on the server")
    default_url = found[0][0]
    if calendar:
        from sessions_tui.domain.errors import NotFoundError

        try:
            default_url = _found(found).find_calendar(calendar).key
        except NotFoundError:
            for u, name in found:
                click.echo(f"  {name}  {u}")
            raise
    where = save_password(person.login, username, password, use_keyring=use_keyring)
    account = {"url": url, "username": username, "calendars": found, "default_url": default_url}
    settings = sync_settings.connect(Provider.CALDAV, ctx, person.id, **account, **naming)
    default = settings.default_calendar
    click.echo(f"Password saved to {where}.")
    click.echo(
        _sync.connected_line(person, settings, repr(default.summary if default else "")) + "; "
        f"{len(found)} calendar(s) found."
    )


@caldav.command("disconnect")
@_cli.global_options
@_sync.practitioner_option
def disconnect(practitioner: str | None) -> None:
    """Forget the saved password and stop syncing (events stay on both sides)."""
    from sessions_tui.services import sync_settings
    from sessions_tui.sync.caldav.secret import delete_password

    ctx = _cli.opts().context()
    person = _sync.practitioner_of(ctx, practitioner)
    sync_settings.require_manage(ctx.require_actor(), person.id)
    sync_settings.disconnect(Provider.CALDAV, ctx, person.id)
    forgot = delete_password(person.login)
    click.echo(
        f"Disconnected {person.name} from CalDAV"
        + ("; the saved password was deleted" if forgot else "")
        + ". Events stay on both sides; connecting again converges without duplicates."
    )
