"""``sessions-tui demo`` and ``sessions-tui agenda``: seed a demo practice; list events for
scripts and screen readers (on SQLite through the stdlib ``sqlite3`` read path)."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from sessions_tui.cli.options import Options, fast_login, global_options, opts, parse_from

if TYPE_CHECKING:
    from sessions_tui.store.reader import Reader


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
    from sessions_tui.domain.listing import skipped_of
    from sessions_tui.domain.names import find_location, find_practitioner
    from sessions_tui.domain.timeutil import days_bounds
    from sessions_tui.services.agenda_item import agenda_items

    o = opts()
    reader = _reader(o)
    try:
        with reader.snapshot():
            tz = o.display_tz(lambda: reader.settings().display_tz)
            first = parse_from(from_, tz, o.clock())
            p_ids = l_ids = None
            if practitioner:
                people = reader.staff()
                p_ids = [find_practitioner(people, n).id for n in practitioner]
            if location:
                places = reader.locations()
                l_ids = [find_location(places, n).id for n in location]
            if next_:
                _print_next(o, reader, from_, first, days or 90, tz, p_ids, l_ids, fmt)
                return
            days = days or 1
            start, end = days_bounds(first, days, tz)
            items = agenda_items(reader, start, end, tz, practitioner_ids=p_ids, location_ids=l_ids)
    finally:
        reader.close()
    for skipped in skipped_of(items):
        # A stored event refused by today's rules: named, with the fix; the others still print.
        click.echo(f"sessions-tui: {skipped.warning()}", err=True)
    if fmt == "json":
        click.echo(json.dumps([i.to_json(tz) for i in items], indent=2, ensure_ascii=False))
        return
    from sessions_tui.services.render import agenda_lines

    for line in agenda_lines(items, tz, first, days):
        click.echo(line)


def _print_next(
    o: Options,
    reader: Reader,
    from_: str | None,
    first: date,
    days: int,
    tz: ZoneInfo,
    p_ids: list[int] | None,
    l_ids: list[int] | None,
    fmt: str,
) -> None:
    """``agenda --next``: the first timed, not cancelled event starting at or after now (or
    the start of ``--from``'s day) within ``days`` days; nothing is ``null`` or one line."""
    from sessions_tui.domain.timeutil import days_bounds
    from sessions_tui.services.alerts import next_event
    from sessions_tui.services.render import describe

    after, end = days_bounds(first, days, tz)
    if from_ is None or from_.lower() == "today":
        # From now, and the whole horizon after it.
        after, end = o.clock().now(), o.clock().now() + (end - after)
    item = next_event(reader, after, end - after, tz, practitioner_ids=p_ids, location_ids=l_ids)
    if fmt == "json":
        click.echo(json.dumps(item.to_json(tz) if item else None, indent=2, ensure_ascii=False))
        return
    if item is None:
        click.echo(f"(nothing scheduled in the next {days} days)")
        return
    start = item.start
    assert isinstance(start, datetime)
    local = start.astimezone(tz)
    click.echo(f"{local:%a %Y-%m-%d} {describe(item, tz)}")


def _reader(o: Options) -> Reader:
    """The agenda's reader, chosen once (:func:`sessions_tui.store.reader.open_reader`): the
    stdlib ``sqlite3`` one on a SQLite file at the newest migration whose practice knows the
    user, importing neither SQLAlchemy nor SQLModel; else the ORM one (another backend, a
    database to migrate, an unknown user: that path opens, migrates and gives the errors)."""
    from sessions_tui.store.reader import open_reader

    url: str | None = None
    raw = o.db or os.environ.get("SESSIONS_TUI_DB")
    # Not the default file (resolve_url in store.db creates its folder), and not when told
    # (comparisons and benchmarks).
    if raw and not os.environ.get("SESSIONS_TUI_NO_FAST_READ"):
        url = raw if "://" in raw else f"sqlite:///{Path(raw).expanduser().resolve()}"

    def orm() -> Reader:
        from sessions_tui.store.orm_reader import OrmReader

        return OrmReader(o.context().db)

    def knows_user(reader: Reader) -> bool:
        # The --user rule of services.context (issue 15); else the ORM path gives the error.
        if url is not None:
            o.warn_file_mode(url)
        login = fast_login(o, reader)
        if login is None:
            return False
        return reader.staff_by_login(login) is not None or not reader.staff_count()

    return open_reader(url, orm, accept=knows_user)
