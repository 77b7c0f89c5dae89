"""``sessions-tui demo`` and ``sessions-tui agenda``: seed a demo practice; list events for
scripts and screen readers (on SQLite through the stdlib ``sqlite3`` read path)."""

from __future__ import annotations

import click

from sessions_tui.cli.options import global_options, opts


@click.command()
@global_options
def demo() -> None:
    """Seed a demo practice (idempotent): staff, clients, 8 weeks of sessions."""
    from sessions_tui.services.context import Context
    from sessions_tui.services.demo import demo_event_count, seed_demo
    from sessions_tui.store.db import shown_url

    o = opts()
    o.starts_practice = True  # demo may make the file (issue 28: no other command does)
    db = o.database()
    ctx = Context(db, o.clock(), None)
    if seed_demo(ctx):
        # Never the password: the hint names the URL with it masked (PostgreSQL users keep
        # theirs in ~/.pgpass or are asked for it).
        where = shown_url(o.db) if o.db else db.url
        click.echo(
            f"Seeded the demo practice: {demo_event_count(ctx)} events. "
            f"Open it with: sessions-tui --db {where} --user alice"
        )
    else:
        click.echo("The demo practice is already there; nothing added.")


@click.command()
@global_options
@click.option("--from", "from_", metavar="DATE", help="First day (YYYY-MM-DD); default today.")
@click.option(
    "--days",
    type=click.IntRange(1, 3660),
    default=None,
    help="How many days (default 1); with --next, days to search (default 90).",
)
@click.option("--practitioner", multiple=True, metavar="NAME", help="Only these (repeatable).")
@click.option("--location", multiple=True, metavar="NAME", help="Only these (repeatable).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--next",
    "next_",
    is_flag=True,
    help="Print only the next event to start (from now, or from --from), for status bars.",
)
def agenda(
    from_: str | None,
    days: int | None,
    practitioner: tuple[str, ...],
    location: tuple[str, ...],
    fmt: str,
    next_: bool,
) -> None:
    """List events, for scripts and screen readers."""
    from sessions_tui.cli.agenda_core import agenda_text

    out, warnings = agenda_text(opts(), from_, days, practitioner, location, fmt, next_)
    for line in warnings:
        click.echo(line, err=True)
    click.echo(out, nl=False)  # one write: the whole agenda (issue 29)
