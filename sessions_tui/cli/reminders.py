"""``sessions-tui reminders run|status``: the client reminder worker and its log.

Registered lazily on the main group (:data:`sessions_tui.cli.main.COMMANDS`).
"""

from __future__ import annotations

import json
import logging

import click

from sessions_tui.cli import options as _cli


@click.group("reminders")
@_cli.global_options
def reminders() -> None:
    """Client email reminders: the worker that sends them, and the log of what went."""


@reminders.command("run")
@_cli.global_options
@click.option("--once", is_flag=True, help="One pass, then exit (e.g. from cron).")
@click.option(
    "--interval",
    type=click.FloatRange(1, 3600),
    default=60.0,
    show_default=True,
    help="Seconds between passes when running as a service.",
)
def reminders_run(once: bool, interval: float) -> None:
    """Queue the reminders due now and send them (each exactly once), once or until stopped.

    Like ``web serve`` (which runs the same worker), it is the practice's service: it needs
    the database, not a member of staff. SMTP comes from the config's [smtp] table; without
    one the reminders wait in the outbox. It refuses to start while reminders.link-base is a
    loopback address (the links would lead nowhere for a client).
    """
    import signal
    import threading

    from sessions_tui.config import load_config
    from sessions_tui.domain.errors import ValidationError
    from sessions_tui.services.reminders import local_links, read_settings
    from sessions_tui.sync.reminder_worker import run_once

    o = _cli.opts()
    db = o.database()
    clock = o.clock()
    if (refused := local_links(read_settings(db))) is not None:
        raise ValidationError(refused)
    smtp = load_config().smtp
    if smtp is None:
        click.echo("No [smtp] in the config file: reminders wait in the outbox.", err=True)
    if once:
        r = run_once(db, clock, smtp, local_links=False)
        click.echo(f"Queued {r.queued}, dropped {r.dropped}; sent {r.sent}, failed {r.failed}.")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"Sending reminders every {interval:g} s (Ctrl+C stops).", err=True)
    log = logging.getLogger("sessions_tui.reminders")
    while not stop.is_set():
        try:
            r = run_once(db, clock, smtp, local_links=False)
            if r.queued or r.sent or r.failed or r.dropped:
                log.info(
                    "queued %d, dropped %d; sent %d, failed %d",
                    r.queued,
                    r.dropped,
                    r.sent,
                    r.failed,
                )
        except Exception:
            log.exception("reminder pass failed")
        stop.wait(interval)


@reminders.command("status")
@_cli.global_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
def reminders_status(fmt: str, limit: int) -> None:
    """The newest reminders: when, how long before, and sent, failed or unknown (schedulers
    and admins). ``unknown``: a worker stopped while sending it; it is never sent again."""
    from sessions_tui.services.reminders import get_settings, sent_log

    o = _cli.opts()
    ctx = o.context()
    entries = sent_log(ctx, limit)
    if fmt == "json":
        click.echo(json.dumps([e.to_json() for e in entries], indent=2))
        return
    settings = get_settings(ctx)
    click.echo(f"Reminders: {settings.hours + ' hours before' if settings.offsets else 'off'}.")
    tz = o.display_tz()
    for e in entries:
        error = f"  ({e.error})" if e.error and e.status != "sent" else ""
        answered = f"  {e.answered}" if e.answered else ""
        if e.cancel_reason:
            answered += f" ({e.cancel_reason!r})"
        click.echo(
            f"{e.start.astimezone(tz):%Y-%m-%d %H:%M}  {e.offset_minutes // 60:>3} h  "
            f"event {e.event_id:<6} {e.status:<8}{answered}{error}"
        )
