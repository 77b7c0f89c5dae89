"""``sessions-tui events show|delete``: repair one stored event without SQL."""

from __future__ import annotations

import click

from sessions_tui.cli.options import global_options, opts


@click.group()
@global_options
def events() -> None:
    """Look at or delete one stored event by id (works even when its rule is broken)."""


@events.command("show")
@global_options
@click.argument("event_id", metavar="ID", type=int)
def events_show(event_id: int) -> None:
    """Show the stored event ID as it is stored, and what is wrong with it."""
    from sessions_tui.services import repair

    for line in repair.show(opts().context(), event_id).lines():
        click.echo(line)


@events.command("delete")
@global_options
@click.argument("event_id", metavar="ID", type=int)
@click.option("--series", is_flag=True, help="Delete the whole series the event belongs to.")
def events_delete(event_id: int, series: bool) -> None:
    """Delete the event ID (a series needs --series)."""
    from sessions_tui.services import repair

    click.echo(repair.delete(opts().context(), event_id, series=series).capitalize() + ".")
