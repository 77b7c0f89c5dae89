"""``sessions-tui google connect|sync|status|mode|calendars|disconnect``: two-way Google sync.

Registered on the main group at the bottom of :mod:`sessions_tui.cli`.

For testing only: with ``SESSIONS_TUI_GOOGLE_ENDPOINT`` set to a loopback URL (the API root of
a local Calendar emulator, e.g. ``http://127.0.0.1:8765/calendar/v3/``) every command talks to
it with anonymous credentials and no sign-in, and ``connect --calendar ID`` only records the
calendar. Non-loopback hosts are refused.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sessions_tui.cli import options as _cli
from sessions_tui.domain.text import count_of

if TYPE_CHECKING:
    from sessions_tui.domain.model import Staff
    from sessions_tui.services.context import Context

log = logging.getLogger(__name__)

SECRETS_ENV = "SESSIONS_TUI_GOOGLE_CLIENT_SECRETS"


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


def _service() -> tuple[Any, str]:
    from sessions_tui.sync.google import GOOGLE_API_ROOT, build_service, endpoint_from_env

    endpoint = endpoint_from_env()
    if endpoint is not None:
        return build_service(endpoint), endpoint
    return None, GOOGLE_API_ROOT


@click.group("google")
@_cli.global_options
def google() -> None:
    """Two-way sync with Google Calendar."""


@google.command("connect")
@_cli.global_options
@click.option("--practitioner", metavar="NAME", help="Whose calendar (default: you).")
@click.option(
    "--calendar", "calendar_id", metavar="ID", help="Use this Google calendar as the default one."
)
@click.option(
    "--create-calendar",
    "create",
    metavar="NAME",
    help="Create a new, dedicated calendar (recommended) and use it.",
)
@click.option(
    "--identifier",
    type=click.Choice(["initials", "first-name", "internal-id", "full"]),
    help="How clients are named in Google (default: initials).",
)
@click.option("--confirm-pii", is_flag=True, help="Confirm full client names (PII/HIPAA).")
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
    from sessions_tui.services import google_settings
    from sessions_tui.services.feeds import parse_identifier
    from sessions_tui.sync import oauth
    from sessions_tui.sync.google import build_service

    ctx = _cli.opts().context()
    person = _practitioner(ctx, practitioner)
    google_settings.require_manage(ctx.require_actor(), person.id)
    if calendar_id and create:
        raise ValidationError("give --calendar or --create-calendar, not both", field="calendar")
    mode = parse_identifier(identifier) if identifier else None
    if mode is not None:
        from sessions_tui.services.feeds import check_identifier

        check_identifier(ctx, mode, confirm_pii=confirm_pii)
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
    settings = google_settings.connect(
        ctx, person.id, calendar_id, summary=summary, identifier=mode, confirm_pii=confirm_pii
    )
    click.echo(
        f"Connected {person.name} to Google calendar {calendar_id} "
        f"({settings.mode.value}, titles: {settings.identifier.label.lower()})."
    )


@google.command("sync")
@_cli.global_options
@click.option("--practitioner", metavar="NAME", help="Whose calendar (default: you).")
def sync(practitioner: str | None) -> None:
    """Run one sync now and print: pushed, pulled, deleted, conflicts, errors."""
    from sessions_tui.sync.google import make_engine

    o = _cli.opts()
    ctx = o.context()
    person = _practitioner(ctx, practitioner)
    from sessions_tui.services import google_settings

    google_settings.require_manage(ctx.require_actor(), person.id)
    log.info("Google sync of practitioner %s started", person.id)
    report = make_engine(ctx.db, ctx.clock, person.id).run()
    log.info("Google sync of practitioner %s: %s", person.id, report.summary())
    click.echo(report.summary())
    for line in report.messages:
        click.echo(line)


@google.command("status")
@_cli.global_options
@click.option("--practitioner", metavar="NAME", help="Whose calendar (default: you).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def status(practitioner: str | None, fmt: str) -> None:
    """Mode, calendars, last sync, pending changes and sign-in state."""
    from sessions_tui.services import google_settings
    from sessions_tui.sync import oauth
    from sessions_tui.sync.google import SyncEngine, endpoint_from_env, pending_changes

    ctx = _cli.opts().context()
    person = _practitioner(ctx, practitioner)
    settings = google_settings.get_settings(ctx, person.id)
    if settings is None:
        click.echo(f"{person.name}: Google sync is not set up (run `sessions-tui google connect`).")
        return
    pending = (
        pending_changes(SyncEngine(ctx.db, ctx.clock, person.id, None))
        if settings.connected
        else None
    )
    sign_in = (
        "emulator (no sign-in)"
        if endpoint_from_env() is not None
        else oauth.token_state(person.login, ctx.clock.now()).describe()
    )
    data = {
        "practitioner": person.login,
        "connected": settings.connected,
        "mode": settings.mode.value,
        "identifier": settings.identifier.value,
        "default_calendar": settings.default_calendar,
        "secondary_calendars": [
            {"id": c.calendar_id, "selected": c.selected, "read_only": c.read_only}
            for c in settings.secondary_calendars
        ],
        "last_sync": settings.last_sync_at.isoformat() if settings.last_sync_at else None,
        "last_result": settings.last_result,
        "last_error": settings.last_error,
        "pending": pending.total if pending else 0,
        "sign_in": sign_in,
    }
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(
        f"{person.name}: {'connected' if settings.connected else 'disconnected'}, "
        f"{settings.mode.value}, sign-in: {sign_in}"
    )
    click.echo(f"  default calendar: {settings.default_calendar}")
    for c in settings.secondary_calendars:
        notes = [n for n, on in (("removed", not c.selected), ("read-only", c.read_only)) if on]
        click.echo(f"  secondary: {c.calendar_id}" + (f" ({', '.join(notes)})" if notes else ""))
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


@google.command("mode")
@_cli.global_options
@click.argument("mode", type=click.Choice(["one-way", "two-way"]))
@click.option("--practitioner", metavar="NAME", help="Whose calendar (default: you).")
def mode_cmd(mode: str, practitioner: str | None) -> None:
    """Switch one-way (push only) or two-way."""
    from sessions_tui.services import google_settings

    ctx = _cli.opts().context()
    person = _practitioner(ctx, practitioner)
    settings, removed = google_settings.set_mode(ctx, person.id, mode)
    extra = f"; removed {removed} Google events from the local calendar" if removed else ""
    if settings.mode.value == "two-way":
        extra = "; the next sync re-syncs everything"
    click.echo(f"Google sync for {person.name} is now {settings.mode.value}{extra}.")


@google.command("calendars")
@_cli.global_options
@click.option("--practitioner", metavar="NAME", help="Whose calendar (default: you).")
@click.option("--add", "add", multiple=True, metavar="ID", help="Pull this secondary calendar.")
@click.option(
    "--remove",
    "remove",
    multiple=True,
    metavar="ID",
    help="Stop pulling it (its events stay, tied to it).",
)
def calendars(practitioner: str | None, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
    """List the Google calendars; choose the secondary ones to pull."""
    from sessions_tui.domain.errors import NotFoundError
    from sessions_tui.services import google_settings

    ctx = _cli.opts().context()
    person = _practitioner(ctx, practitioner)
    service, _root = _service()
    if service is None:
        from sessions_tui.sync.google import build_service
        from sessions_tui.sync.oauth import load_credentials

        service = build_service(None, load_credentials(person.login))
    items: list[dict[str, Any]] = []
    page = None
    while True:
        resp = service.calendarList().list(pageToken=page).execute(num_retries=3)
        items.extend(resp.get("items", []))
        page = resp.get("nextPageToken")
        if not page:
            break
    names = {c["id"]: c.get("summary", "") for c in items}
    for cal_id in add:
        if cal_id not in names:
            raise NotFoundError(f"no Google calendar {cal_id!r} in this account", field="calendar")
        google_settings.select_calendar(ctx, person.id, cal_id, True, summary=names[cal_id])
    for cal_id in remove:
        google_settings.select_calendar(ctx, person.id, cal_id, False)
    settings = google_settings.get_settings(ctx, person.id)
    chosen = {c.calendar_id: c for c in settings.calendars} if settings else {}
    for cal_id, summary in names.items():
        c = chosen.get(cal_id)
        mark = (
            ("default" if c.role == "default" else "pulled" if c.selected else "removed")
            if c
            else "-"
        )
        click.echo(f"{mark:<8} {cal_id}  {summary}")


@google.command("disconnect")
@_cli.global_options
@click.option("--practitioner", metavar="NAME", help="Whose calendar (default: you).")
@click.option(
    "--remove-events",
    is_flag=True,
    help="Also delete from Google every event this program created.",
)
def disconnect(practitioner: str | None, remove_events: bool) -> None:
    """Revoke the sign-in, delete the token, optionally remove our events from Google."""
    from sessions_tui.services import google_settings
    from sessions_tui.sync import oauth
    from sessions_tui.sync.google import endpoint_from_env, make_engine

    ctx = _cli.opts().context()
    person = _practitioner(ctx, practitioner)
    google_settings.require_manage(ctx.require_actor(), person.id)
    removed = 0
    if remove_events:
        removed = make_engine(ctx.db, ctx.clock, person.id).remove_created_events()
    revoked = "skipped (emulator)"
    if endpoint_from_env() is None:
        path = oauth.token_path(person.login)
        if path.exists():
            try:
                revoked = "revoked" if oauth.revoke(path.read_text()) else "not revoked"
            except Exception as exc:  # network down: still forget it locally
                revoked = f"not revoked ({exc.__class__.__name__})"
        oauth.delete_token(person.login)
    google_settings.disconnect(ctx, person.id)
    tail = (
        f"; removed {count_of(removed, 'event')} from Google"
        if remove_events
        else ("; events this program created stay in Google (use --remove-events to delete them)")
    )
    click.echo(f"Disconnected {person.name} from Google (token {revoked}){tail}.")
