"""``sessions-tui subscribe`` and ``sessions-tui subscriptions list|refresh|remove``: read-only
ICS subscriptions (docs/ICS.md, "Subscriptions")."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import click

from sessions_tui.cli.options import global_options, opts
from sessions_tui.domain.errors import SessionsError
from sessions_tui.domain.text import count_of

if TYPE_CHECKING:
    from sessions_tui.domain.model import Staff
    from sessions_tui.domain.subscriptions import Subscription
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


def _pid(ctx: Context, name: str | None) -> int | None:
    return _practitioner(ctx, name).id if name else None


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _json(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "name": sub.name,
        "practitioner": sub.practitioner,
        "url": sub.url,
        "busy": sub.busy.value,
        "interval_minutes": sub.interval_minutes,
        "events": sub.event_count,
        "last_attempt": _when(sub.last_attempt_at),
        "last_success": _when(sub.last_success_at),
        "last_error": sub.last_error,
        "last_error_at": _when(sub.last_error_at),
        "status": "failing" if sub.last_error else "ok",
    }


@click.command("subscribe")
@global_options
@click.argument("url")
@click.option("--name", "name", metavar="LABEL", required=True, help="What to call it.")
@click.option("--practitioner", metavar="NAME", help="Whose calendar follows it (default: you).")
@click.option(
    "--busy/--free",
    "busy",
    default=None,
    help="Its events block booking, or never do (default: as the feed marks each one).",
)
@click.option(
    "--every",
    "every",
    type=click.IntRange(5, 7 * 24 * 60),
    default=60,
    show_default=True,
    metavar="MINUTES",
    help="How often it is refreshed.",
)
def subscribe(url: str, name: str, practitioner: str | None, busy: bool | None, every: int) -> None:
    """Follow a calendar feed (webcal:// or https://), read-only; fetches it now."""
    from sessions_tui.domain.subscriptions import BusyMode
    from sessions_tui.sync.subscriptions import subscribe as do_subscribe

    ctx = opts().context()
    person = _practitioner(ctx, practitioner)
    mode = BusyMode.FEED if busy is None else (BusyMode.BUSY if busy else BusyMode.FREE)
    result = do_subscribe(
        ctx, url, name=name, practitioner_id=person.id, busy=mode, interval_minutes=every
    )
    sub = result.subscription
    if not result.ok:
        raise SessionsError(result.summary())
    click.echo(
        f"Subscribed {person.name}'s calendar to {sub.name!r} (id {sub.id}): "
        f"{count_of(sub.event_count, 'event')}, {sub.busy.label}, "
        f"refreshed every {sub.interval_minutes} minutes."
    )


@click.group("subscriptions")
@global_options
def subscriptions() -> None:
    """Read-only ICS subscriptions: list, refresh, remove."""


@subscriptions.command("list")
@global_options
@click.option("--practitioner", metavar="NAME", help="Only this practitioner's.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def list_(practitioner: str | None, fmt: str) -> None:
    """Each subscription you may manage: URL, mode, last success and last error."""
    from sessions_tui.services.subscriptions import list_subscriptions

    o = opts()
    ctx = o.context()
    subs = list_subscriptions(ctx, _pid(ctx, practitioner))
    if fmt == "json":
        click.echo(json.dumps([_json(s) for s in subs], indent=2, ensure_ascii=False))
        return
    if not subs:
        click.echo("No subscriptions (add one with `sessions-tui subscribe URL --name LABEL`).")
        return
    tz = o.display_tz()

    def at(value: Any) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else "never"

    for sub in subs:
        click.echo(f"{sub.id}  {sub.name} · {sub.practitioner} · {sub.busy.label}")
        click.echo(f"    {sub.url}")
        click.echo(
            f"    {count_of(sub.event_count, 'event')}; every {sub.interval_minutes} min; "
            f"last success {at(sub.last_success_at)}"
        )
        if sub.last_error:
            click.echo(
                f"    last error {at(sub.last_error_at)}: {sub.last_error} "
                "(showing the last good copy)"
            )


@subscriptions.command("refresh")
@global_options
@click.argument("subscription", required=False, metavar="[ID|NAME]")
@click.option("--practitioner", metavar="NAME", help="Only this practitioner's.")
@click.option("--due", is_flag=True, help="Only those whose interval has passed (for cron).")
@click.option("--force", is_flag=True, help="Fetch without ETag/Last-Modified; rewrite all.")
def refresh(subscription: str | None, practitioner: str | None, due: bool, force: bool) -> None:
    """Fetch one subscription, or all you may manage; exits 1 if any failed."""
    from sessions_tui.sync import subscriptions as subs

    ctx = opts().context()
    pid = _pid(ctx, practitioner)
    if subscription is not None:
        results = [subs.refresh(ctx, subscription, practitioner_id=pid, force=force)]
    else:
        results = subs.refresh_all(ctx, due_only=due, practitioner_id=pid, force=force)
    if not results:
        click.echo("Nothing to refresh.")
    failed = [r for r in results if not r.ok]
    for result in results:
        if result.ok:
            click.echo(result.summary())
        elif len(failed) > 1:
            click.echo(result.summary(), err=True)
    if len(failed) == 1:
        raise SessionsError(failed[0].summary())
    if failed:
        raise SessionsError(f"{len(failed)} of {len(results)} subscriptions failed (above)")


@subscriptions.command("remove")
@global_options
@click.argument("subscription", metavar="ID|NAME")
@click.option("--practitioner", metavar="NAME", help="Whose subscription (a name used twice).")
def remove(subscription: str, practitioner: str | None) -> None:
    """Stop following a feed and remove the events it brought."""
    from sessions_tui.sync import subscriptions as subs

    ctx = opts().context()
    sub, removed = subs.remove(ctx, subscription, practitioner_id=_pid(ctx, practitioner))
    click.echo(f"Removed the subscription {sub.name!r} and its {count_of(removed, 'event')}.")
