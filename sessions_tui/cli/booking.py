"""``sessions-tui booking``: online booking settings, the page's link, and answering requests."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import click

from sessions_tui.cli import options as _cli
from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.profile import ServicePlace, parse_place
from sessions_tui.domain.text import count_of

FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text (lines to read) or json (for scripts).",
)
BASE_URL = click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help="The service's public address (default http://127.0.0.1:8765).",
)


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _parse_service(text: str) -> tuple[str, int] | tuple[str, int, ServicePlace]:
    """``NAME=MINUTES`` (keeps the service's place) or ``NAME=MINUTES@PLACE`` (a location's
    name, ``telehealth`` or ``telehealth LINK``; ``@`` alone clears it)."""
    found = re.fullmatch(r"(.+?)=\s*(\d+)\s*(?:@(.*))?", text, re.DOTALL)
    if found is None:
        raise ValidationError(
            f"bad --service {text!r}: say NAME=MINUTES or NAME=MINUTES@PLACE, e.g. "
            "'Intake=80@Main office' or 'Follow-up=50@telehealth https://meet.example/x'"
        )
    name, minutes, place = found.groups()
    if place is None:
        return name, int(minutes)
    return name, int(minutes), parse_place(place)


@click.group()
@_cli.global_options
def booking() -> None:
    """Online booking: settings, the page's link, requests."""


@booking.command("settings")
@_cli.global_options
@click.option("--practitioner", metavar="NAME", help="Whose settings (default: all you manage).")
@click.option("--on/--off", "enabled", default=None, help="Turn the booking page on or off.")
@click.option(
    "--service",
    "services",
    multiple=True,
    metavar="NAME=MINUTES[@PLACE]",
    help="A service offered (repeatable; replaces the list); @PLACE: a location's name, "
    "telehealth or 'telehealth LINK'.",
)
@click.option("--notice", type=int, metavar="MINUTES", help="Minimum notice before a time.")
@click.option("--horizon", type=int, metavar="DAYS", help="How far ahead times are offered.")
@click.option("--buffer", type=int, metavar="MINUTES", help="Gap kept around busy time.")
@click.option("--hold", type=int, metavar="MINUTES", help="How long a request holds its time.")
@click.option(
    "--increment",
    type=int,
    metavar="MINUTES",
    help="Offered start times fall every this many minutes of the hour (5, 10, 15, 20, 30 or 60).",
)
@click.option(
    "--new-clients/--existing-clients-only",
    default=None,
    help="Whether people who are not clients yet may request times.",
)
@click.option("--public/--secret", default=None, help="Link by login, or a secret link.")
@BASE_URL
@FORMAT
def booking_settings(
    practitioner: str | None,
    enabled: bool | None,
    services: tuple[str, ...],
    notice: int | None,
    horizon: int | None,
    buffer: int | None,
    hold: int | None,
    increment: int | None,
    new_clients: bool | None,
    public: bool | None,
    base_url: str | None,
    fmt: str,
) -> None:
    """Show (and with options, change) booking settings."""
    from sessions_tui.services import booking as svc
    from sessions_tui.services.practice import find_practitioner

    ctx = _cli.opts().context()
    changes: dict[str, Any] = {
        k: v
        for k, v in {
            "enabled": enabled,
            "notice_minutes": notice,
            "horizon_days": horizon,
            "buffer_minutes": buffer,
            "hold_minutes": hold,
            "increment_minutes": increment,
            "new_clients": new_clients,
            "public": public,
        }.items()
        if v is not None
    }
    parsed = [_parse_service(s) for s in services] or None
    if practitioner is None:
        if changes or parsed:
            raise ValidationError("say whose settings to change: --practitioner NAME")
        found = svc.list_settings(ctx)
    else:
        person = find_practitioner(ctx, practitioner)
        if changes or parsed:
            found = [svc.update_settings(ctx, person.id, services=parsed, **changes)]
        else:
            found = [svc.get_settings(ctx, person.id)]
    base = base_url or svc.DEFAULT_BASE_URL
    # Secret links are shown by `booking link` only (when made), never in a listing.
    found = [replace(f, link_secret=None) for f in found]
    if fmt == "json":
        _echo_json([f.to_json(base) for f in found])
        return
    for f in found:
        state = "on" if f.enabled else "off"
        offered = (
            ", ".join(
                f"{s.name} ({s.minutes} min" + (f", {place})" if (place := s.place.text()) else ")")
                for s in f.services
            )
            or "no services"
        )
        click.echo(f"{f.practitioner_name}: booking {state}; {offered}")
        click.echo(
            f"  notice {f.notice_minutes} min, horizon {count_of(f.horizon_days, 'day')}, buffer "
            f"{f.buffer_minutes} min, holds {f.hold_minutes} min, start times every "
            f"{f.increment_minutes} min, new clients "
            f"{'yes' if f.new_clients else 'no'}, link {'public' if f.public else 'secret'}"
        )
        url = f.url(base)
        if url is not None:  # a public page
            click.echo(f"  {url}")
        else:
            click.echo(
                "  secret link: stored as a hash only; `sessions-tui booking link --rotate` "
                "makes a new one and shows it once"
            )


@booking.command("link")
@_cli.global_options
@click.option("--practitioner", metavar="NAME", required=True, help="Whose booking page.")
@click.option("--rotate", is_flag=True, help="A new secret link; the old one stops working.")
@BASE_URL
def booking_link(practitioner: str, rotate: bool, base_url: str | None) -> None:
    """Print the URL of a practitioner's booking page.

    A secret link is stored as a hash only: it is printed once, when it is made (the first
    time, or with --rotate, which makes a new one and stops the old). The page answers 404
    while booking is off; this says so.
    """
    from sessions_tui.domain.errors import NotFoundError
    from sessions_tui.services import booking as svc
    from sessions_tui.services.practice import find_practitioner

    ctx = _cli.opts().context()
    person = find_practitioner(ctx, practitioner)
    found = svc.rotate_link(ctx, person.id) if rotate else svc.get_settings(ctx, person.id)
    url = found.url(base_url or svc.DEFAULT_BASE_URL)
    if url is None:
        raise NotFoundError(
            "the booking page's secret link is shown only when it is made and is not stored; "
            f"`sessions-tui booking link --practitioner {practitioner!r} --rotate` makes a new "
            "one (the old link then stops working)"
        )
    click.echo(url)
    if not found.enabled:
        click.echo(
            "Booking is off, so this page answers 404 (not found): turn it on with "
            f"`sessions-tui booking settings --practitioner {practitioner!r} --on`.",
            err=True,
        )


@booking.command("requests")
@_cli.global_options
@click.option(
    "--status",
    type=click.Choice(["pending", "accepted", "declined", "expired", "all"]),
    default="pending",
    show_default=True,
    help="Which requests: by state, or all.",
)
@FORMAT
def booking_requests(status: str, fmt: str) -> None:
    """List booking requests (pending holds by default)."""
    from sessions_tui.services.booking_requests import list_requests

    o = _cli.opts()
    ctx = o.context()
    tz = o.display_tz()
    found = list_requests(ctx, status=None if status == "all" else status)
    if fmt == "json":
        _echo_json([r.to_json(tz) for r in found])
        return
    if not found:
        click.echo(f"No {'' if status == 'all' else status + ' '}requests.")
    for r in found:
        when = r.start.astimezone(tz).strftime("%a %Y-%m-%d %H:%M")
        click.echo(f"#{r.id} {r.status:<9} {when} {r.service} with {r.practitioner}: {r.name}")


@booking.command("accept")
@_cli.global_options
@click.argument("request_id", type=int)
@click.option("--client", "client_id", type=int, help="Book for this client (by id).")
@click.option("--new-client", is_flag=True, help="Make a new client from the request.")
@click.option(
    "--double-book",
    is_flag=True,
    help="Accept even if the time is already booked (when the practice allows double booking).",
)
@FORMAT
def booking_accept(
    request_id: int, client_id: int | None, new_client: bool, double_book: bool, fmt: str
) -> None:
    """Accept a request: it becomes a client session and the client is emailed.

    Onto booked time it follows the practice's double-booking setting: refused when double
    booking is off; when it is on (the TUI asks first), refused naming the clash unless
    --double-book is given.
    """
    from sessions_tui.domain.errors import ConflictError
    from sessions_tui.services.booking_requests import RequestClashes, accept

    o = _cli.opts()
    try:
        done = accept(
            o.context(),
            request_id,
            client_id=client_id,
            new_client=new_client,
            double_book=double_book,
        )
    except RequestClashes as exc:
        raise ConflictError(
            f"{exc.message}; not accepted (--double-book accepts it anyway)"
        ) from None
    if fmt == "json":
        _echo_json(done.to_json(o.display_tz()))
    else:
        click.echo(
            f"Accepted #{done.id}: session {done.event_id} for client {done.client_id}, "
            f"{done.client} (the request of {done.name})."
        )


@booking.command("decline")
@_cli.global_options
@click.argument("request_id", type=int)
@click.option("--reason", metavar="TEXT", help="Told to the client in the email.")
@FORMAT
def booking_decline(request_id: int, reason: str | None, fmt: str) -> None:
    """Decline a request: its time is free again and the client is emailed."""
    from sessions_tui.services.booking_requests import decline

    o = _cli.opts()
    done = decline(o.context(), request_id, reason)
    if fmt == "json":
        _echo_json(done.to_json(o.display_tz()))
    else:
        click.echo(f"Declined #{done.id}.")


@booking.command("offer")
@_cli.global_options
@click.argument("request_id", type=int)
@click.option("--start", required=True, metavar="TIME", help="ISO 8601 with offset.")
@FORMAT
def booking_offer(request_id: int, start: str, fmt: str) -> None:
    """Offer another time: the request holds it instead and the client is emailed."""
    from sessions_tui.domain.timeutil import parse_aware
    from sessions_tui.services.booking_requests import offer

    o = _cli.opts()
    done = offer(o.context(), request_id, parse_aware(start, "--start"))
    if fmt == "json":
        _echo_json(done.to_json(o.display_tz()))
    else:
        click.echo(f"Offered #{done.id} at {done.start.astimezone(o.display_tz()):%Y-%m-%d %H:%M}.")


@booking.command("send-mail")
@_cli.global_options
def booking_send_mail() -> None:
    """Send the emails waiting in the outbox once (``web serve`` does this by itself)."""
    from sessions_tui.config import load_config
    from sessions_tui.sync.mailer import send_due

    o = _cli.opts()
    o.context().require_actor()
    config = load_config()
    if config.smtp is None:
        raise ValidationError("no [smtp] table in the config file: nowhere to send mail")
    sent, failed = send_due(o.database(), o.clock(), config.smtp)
    click.echo(f"Sent {sent}, failed {failed}.")


@booking.command("outbox")
@_cli.global_options
@FORMAT
def booking_outbox(fmt: str) -> None:
    """The log of booking emails: queued, sent and failed."""
    from sessions_tui.services.booking_requests import outbox_log

    o = _cli.opts()
    rows = outbox_log(o.context())
    tz = o.display_tz()
    if fmt == "json":
        _echo_json([{**r, "created_at": r["created_at"].astimezone(tz).isoformat()} for r in rows])
        return
    for r in rows:
        at = r["created_at"].astimezone(tz)
        click.echo(f"{at:%Y-%m-%d %H:%M} {r['status']:<8} {r['kind']:<9} {r['to']}")
