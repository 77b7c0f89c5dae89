"""``sessions-tui demo`` and ``sessions-tui agenda``: seed a demo practice; list events for
scripts and screen readers (on SQLite through the stdlib ``sqlite3`` read path)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from sessions_tui.cli.options import Options, global_options, opts, parse_from, resolve_names
from sessions_tui.identity import os_login


@click.command()
@global_options
def demo() -> None:
    """Seed a demo practice (idempotent): staff, clients, 8 weeks of sessions."""
    from sessions_tui.services.context import Context
    from sessions_tui.services.demo import demo_event_count, seed_demo

    o = opts()
    db = o.database()
    ctx = Context(db, o.clock(), None)
    if seed_demo(ctx):
        click.echo(
            f"Seeded the demo practice: {demo_event_count(ctx)} events. "
            f"Open it with: sessions-tui --db {o.db or db.url} --user alice"
        )
    else:
        click.echo("The demo practice is already there; nothing added.")


@click.command()
@global_options
@click.option("--from", "from_", metavar="DATE", help="First day (YYYY-MM-DD); default today.")
@click.option("--days", type=click.IntRange(1, 3660), default=1, show_default=True)
@click.option("--practitioner", multiple=True, metavar="NAME", help="Only these (repeatable).")
@click.option("--location", multiple=True, metavar="NAME", help="Only these (repeatable).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def agenda(
    from_: str | None, days: int, practitioner: tuple[str, ...], location: tuple[str, ...], fmt: str
) -> None:
    """List events, for scripts and screen readers."""
    from sessions_tui.domain.timeutil import days_bounds

    o = opts()
    fast = _fast_agenda(o, from_, days, practitioner, location)
    if fast is not None:
        items, tz, first = fast
    else:
        from sessions_tui.services.scheduling import agenda as agenda_items

        ctx = o.context()
        tz = o.display_tz()
        first = parse_from(from_, tz, ctx.clock)
        p_ids, l_ids = resolve_names(ctx, practitioner, location)
        start, end = days_bounds(first, days, tz)
        items = agenda_items(ctx, start, end, tz, practitioner_ids=p_ids, location_ids=l_ids)
    if fmt == "json":
        click.echo(json.dumps([i.to_json(tz) for i in items], indent=2, ensure_ascii=False))
        return
    from sessions_tui.services.render import agenda_lines

    for line in agenda_lines(items, tz, first, days):
        click.echo(line)


def _fast_agenda(
    o: Options,
    from_: str | None,
    days: int,
    practitioner: tuple[str, ...],
    location: tuple[str, ...],
) -> tuple[list[Any], ZoneInfo, Any] | None:
    """The agenda read with the stdlib ``sqlite3`` (``store.fastread``), importing neither
    SQLAlchemy nor SQLModel; ``None`` when the ordinary path must run (not SQLite, a database
    to migrate, an unknown user or name: that path gives the errors)."""
    if os.environ.get("SESSIONS_TUI_NO_FAST_READ"):  # for comparisons and benchmarks
        return None
    if o.db is None and not os.environ.get("SESSIONS_TUI_DB"):
        return None  # the default file: resolve_url (store.db) creates its folder
    from sessions_tui.store.fastread import match_location, match_practitioner, open_fast

    raw = o.db or os.environ["SESSIONS_TUI_DB"]
    url = raw if "://" in raw else f"sqlite:///{Path(raw).expanduser().resolve()}"
    reader = open_fast(url)
    if reader is None:
        return None
    try:
        from sessions_tui.domain.timeutil import days_bounds
        from sessions_tui.services.agenda_item import assemble, referenced_ids

        login = o.user or os_login()
        if reader.staff_by_login(login) is None and reader.staff_count() > 0:
            return None
        tz = o.display_tz(lambda: reader.settings().display_tz)
        first = parse_from(from_, tz, o.clock())
        p_ids = l_ids = None
        if practitioner:
            people = reader.staff()
            found = [match_practitioner(people, n) for n in practitioner]
            if any(p is None for p in found):
                return None
            p_ids = [p.id for p in found if p is not None]
        if location:
            places = reader.locations()
            locs = [match_location(places, n) for n in location]
            if any(loc is None for loc in locs):
                return None
            l_ids = [loc.id for loc in locs if loc is not None]
        start, end = days_bounds(first, days, tz)
        occ = reader.window(start, end, display_tz=tz, practitioners=p_ids, locations=l_ids)
        items = assemble(occ, *reader.people_and_places(*referenced_ids(occ)))
        return items, tz, first
    finally:
        reader.close()
