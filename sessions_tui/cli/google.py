"""``sessions-tui google connect|sync|status|mode|calendars|disconnect``: two-way Google sync.

Registered on the main group at the bottom of :mod:`sessions_tui.cli`.

For testing only: with ``SESSIONS_TUI_GOOGLE_ENDPOINT`` set to a loopback URL (the API root of
a local Calendar emulator, e.g. ``http://127.0.0.1:8765/calendar/v3/``) every command talks to
it with anonymous credentials and no sign-in, and ``connect --calendar ID`` only records the
calendar. Non-loopback hosts are refused.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sessions_tui.cli import options as _cli
from sessions_tui.cli import sync_group as _sync
from sessions_tui.domain.text import count_of
from sessions_tui.services.sync_settings import Provider

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

SECRETS_ENV = "SESSIONS_TUI_GOOGLE_CLIENT_SECRETS"


def _service() -> tuple[Any, str]:
    from sessions_tui.sync.google import GOOGLE_API_ROOT, build_service, endpoint_from_env

    endpoint = endpoint_from_env()
    if endpoint is not None:
        return build_service(endpoint), endpoint
    return None, GOOGLE_API_ROOT


google = _sync.sync_group(
    Provider.GOOGLE,
    "Two-way sync with Google Calendar.",
    _sync.Wording(
        account=lambda st: f"sign-in: {st.sign_in}",
        calendar=lambda c: c.key,
        account_json=lambda _s: {},
        calendar_json=lambda c: {"id": c.key, "selected": c.selected, "read_only": c.read_only},
        credentials_key="sign_in",
        not_pulled="removed",
        unselected_mark="removed",
        calendar_row=lambda mark, key, name, _c: f"{mark} {key}  {name}",
        calendar_metavar="ID",
        status_help="Mode, calendars, last sync, pending changes and sign-in state.",
        calendars_help="List the Google calendars; choose the secondary ones to pull.",
    ),
)


@google.command("connect")
@_cli.global_options
@_sync.practitioner_option
@click.option(
    "--calendar", "calendar_id", metavar="ID", help="Use this Google calendar as the default one."
)
@click.option(
    "--create-calendar",
    "create",
    metavar="NAME",
    help="Create a new, dedicated calendar (recommended) and use it.",
)
@_sync.naming_options("in Google")
@click.option(
    "--client-secrets",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help=f"OAuth client file (Desktop app); also env {SECRETS_ENV}.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    help="Loopback port for the sign-in redirect (0: any free port).",
)
def connect(
    practitioner: str | None,
    calendar_id: str | None,
    create: str | None,
    identifier: str | None,
    confirm_pii: bool,
    client_secrets: Path | None,
    port: int,
) -> None:
    """Sign in (works over SSH) and choose the default calendar."""
    from sessions_tui.domain.errors import ValidationError
    from sessions_tui.services import sync_settings
    from sessions_tui.sync import oauth
    from sessions_tui.sync.google import build_service

    if calendar_id and create:
        raise ValidationError("give --calendar or --create-calendar, not both", field="calendar")
    ctx = _cli.opts().context()
    person, naming = _sync.connecting(ctx, practitioner, identifier, confirm_pii)
    service, _root = _service()
    if service is None:
        secrets = client_secrets or oauth.default_client_secrets()
        token_json = oauth.sign_in(secrets, port=port, echo=click.echo)
        oauth.save_token(person.login, token_json)
        click.echo(f"Signed in; token saved to {oauth.token_path(person.login)} (mode 0600).")
        service = build_service(None, oauth.load_credentials(person.login))
    summary = ""
    if create:
        made = service.calendars().insert(body={"summary": create}).execute(num_retries=3)
        calendar_id, summary = made["id"], made.get("summary", create)
        click.echo(f"Created the calendar {summary!r}.")
    if not calendar_id:
        items = service.calendarList().list().execute(num_retries=3).get("items", [])
        for c in items:
            click.echo(f"  {c['id']}  {c.get('summary', '')}  ({c.get('accessRole', '')})")
        raise ValidationError(
            "choose the default calendar: --calendar ID, or "
            "--create-calendar NAME for a new dedicated one (recommended)",
            field="calendar",
        )
    chosen = {"calendar_id": calendar_id, "summary": summary}
    settings = sync_settings.connect(Provider.GOOGLE, ctx, person.id, **chosen, **naming)
    click.echo(_sync.connected_line(person, settings, calendar_id) + ".")


@google.command("disconnect")
@_cli.global_options
@_sync.practitioner_option
@click.option(
    "--remove-events",
    is_flag=True,
    help="Also delete from Google every event this program created.",
)
def disconnect(practitioner: str | None, remove_events: bool) -> None:
    """Revoke the sign-in, delete the token, optionally remove our events from Google."""
    from sessions_tui.services import sync_settings
    from sessions_tui.sync import oauth
    from sessions_tui.sync.google import endpoint_from_env
    from sessions_tui.sync_runs import engine

    ctx = _cli.opts().context()
    person = _sync.practitioner_of(ctx, practitioner)
    sync_settings.require_manage(ctx.require_actor(), person.id)
    removed = 0
    if remove_events:
        removed = engine(Provider.GOOGLE, ctx.db, ctx.clock, person.id).remove_created_events()
    revoked = "skipped (emulator)"
    if endpoint_from_env() is None:
        path = oauth.token_path(person.login)
        if path.exists():
            try:
                revoked = "revoked" if oauth.revoke(path.read_text()) else "not revoked"
            except Exception as exc:  # network down: still forget it locally
                revoked = f"not revoked ({exc.__class__.__name__})"
        oauth.delete_token(person.login)
    sync_settings.disconnect(Provider.GOOGLE, ctx, person.id)
    tail = (
        f"; removed {count_of(removed, 'event')} from Google"
        if remove_events
        else ("; events this program created stay in Google (use --remove-events to delete them)")
    )
    click.echo(f"Disconnected {person.name} from Google (token {revoked}){tail}.")
