"""``sessions-tui web serve``: the practice web service (booking pages, ICS feeds, health).

``sessions-tui ics serve`` runs the same service (:func:`serve`), kept for feed users.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import click

from sessions_tui.cli import options as _cli
from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.urls import check_host

LOCAL = ("127.0.0.1", "localhost", "::1")
F = TypeVar("F", bound=Callable[..., Any])


def check_proxy_ips(value: str) -> str:
    """uvicorn's ``--forwarded-allow-ips``: ``*`` or a comma-separated list of addresses and
    networks; one clear line when an item is neither."""
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise ValidationError("--forwarded-allow-ips needs an address, a network or *")
    for item in items:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValidationError(
                f"bad --forwarded-allow-ips item {item!r} (expected an address like 10.0.0.5, "
                "a network like 10.0.0.0/24, or *)"
            ) from None
    return ",".join(items)


def serve(
    host: str,
    port: int,
    max_connections: int,
    idle_timeout: float,
    page_limit: int = 120,
    proxy_ips: str = "127.0.0.1",
) -> None:
    """Run the web service in the foreground until SIGINT/SIGTERM (then shut down gracefully).

    While reminders.link-base is a loopback address (the demo's default) it serves pages and
    sends booking emails but queues no reminder, and says so in one line.
    """
    import socket

    import uvicorn

    from sessions_tui.config import load_config
    from sessions_tui.sync.mailer import MailWorker
    from sessions_tui.web.server import ServeOptions, make_config

    o = _cli.opts()
    db = o.database()
    clock = o.clock()
    config = load_config()
    options = ServeOptions(
        host=host,
        port=port,
        max_connections=max_connections,
        idle_timeout=idle_timeout,
        proxy_ips=check_proxy_ips(proxy_ips),
    )
    from sessions_tui.web.app import Limits, create_app

    limits = Limits(pages_per_address=page_limit)
    server = uvicorn.Server(make_config(create_app(db, clock, limits), options))
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        probe = socket.socket(family)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        probe.close()
    except OSError as exc:
        raise ValidationError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    # The service logs to stderr from here: a refusal before this point is its one line only.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    click.echo(
        f"Serving on http://{host}:{port} — /book/<link>, /feeds/<token>.ics, /health "
        "(Ctrl+C stops)",
        err=True,
    )
    if host not in LOCAL:
        click.echo(
            "Warning: listening beyond this machine over plain HTTP; put a TLS reverse "
            "proxy in front (docs/WEB.md).",
            err=True,
        )
    worker = None
    if config.smtp is not None:
        worker = MailWorker(db, clock, config.smtp)
        worker.start()
    else:
        click.echo(
            "No [smtp] in the config file: booking emails and reminders wait in the outbox.",
            err=True,
        )
    # Queues the due client reminders (issue 20); the mail worker sends them. Not while their
    # links would lead to this machine only (issue 27).
    from sessions_tui.services.reminders import local_links, read_settings
    from sessions_tui.sync.reminder_worker import ReminderWorker

    if (refused := local_links(read_settings(db))) is not None:
        click.echo(f"Warning: {refused}.", err=True)
    reminder_worker = ReminderWorker(db, clock, None, local_links=False).start()
    try:
        server.run()
    finally:
        reminder_worker.stop()
        if worker is not None:
            worker.stop()


def serve_options(f: F) -> F:
    """``--host``, ``--port``, ``--max-connections``, ``--idle-timeout`` (web and ics serve)."""
    f = click.option(
        "--host",
        default="127.0.0.1",
        show_default=True,
        callback=_cli.checked_by(check_host),
        help="Address to bind; keep 127.0.0.1 behind a TLS reverse proxy.",
    )(f)
    f = click.option(
        "--port",
        type=click.IntRange(0, 65535),
        default=8765,
        show_default=True,
        help="Port to listen on.",
    )(f)
    f = click.option(
        "--max-connections",
        type=click.IntRange(1, 100_000),
        default=1000,
        show_default=True,
        help="Past this many open connections new ones get 503.",
    )(f)
    f = click.option(
        "--idle-timeout",
        type=click.FloatRange(1, 600),
        default=10.0,
        show_default=True,
        help="Seconds an idle connection is kept open.",
    )(f)
    f = click.option(
        "--page-limit",
        type=click.IntRange(1, 10**9),
        default=120,
        show_default=True,
        help="Booking pages one address may load per minute.",
    )(f)
    return f


@click.group()
@_cli.global_options
def web() -> None:
    """The practice web service: booking pages and ICS feeds."""


@web.command("serve")
@_cli.global_options
@serve_options
@click.option(
    "--forwarded-allow-ips",
    "proxy_ips",
    default="127.0.0.1",
    show_default=True,
    metavar="IPS",
    help="Addresses (or networks, or *) of the reverse proxy whose X-Forwarded-For and "
    "X-Forwarded-Proto are believed (uvicorn's option).",
)
def web_serve(
    host: str,
    port: int,
    max_connections: int,
    idle_timeout: float,
    page_limit: int,
    proxy_ips: str,
) -> None:
    """Serve booking pages at /book/<link>, feeds at /feeds/<token>.ics, reminders' confirm
    pages at /r/<token> and /health; send booking emails and client reminders (not while
    reminders.link-base is a loopback address)."""
    serve(host, port, max_connections, idle_timeout, page_limit, proxy_ips)
