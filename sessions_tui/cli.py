"""Command line: opens the calendar, or runs a subcommand for scripts.

Every command accepts ``--db``, ``--tz`` and ``--user`` before or after its own name. Errors
print one line, ``sessions-tui: error: ...``, and exit non-zero; nothing is changed.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import click

from sessions_tui.domain.errors import SessionsError
from sessions_tui.identity import claimed_login, os_login

if TYPE_CHECKING:
    from sessions_tui.clock import Clock
    from sessions_tui.services.context import Context
    from sessions_tui.store.db import Database

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Options:
    """Global options as given, merged from the group and the subcommand."""

    db: str | None = None
    tz: str | None = None
    user: str | None = None
    _db: Database | None = field(default=None, repr=False)
    _ctx: Context | None = field(default=None, repr=False)

    def database(self) -> Database:
        if self._db is None:
            from sessions_tui.store.db import open_database

            self._db = open_database(self.db)
        return self._db

    def clock(self) -> Clock:
        from sessions_tui.clock import clock_from_env

        return clock_from_env()

    def context(self) -> Context:
        if self._ctx is None:
            from sessions_tui.services.context import make_context

            self._ctx = make_context(self.database(), self.clock(), self.user)
        return self._ctx

    def display_tz(self, practice_tz: Callable[[], str | None] | None = None) -> ZoneInfo:
        """``--tz``, else the config, else the practice default, else the local zone.

        ``practice_tz`` reads the practice default another way (the agenda's fast read path).
        """
        from sessions_tui.domain.timeutil import zone

        if self.tz:
            return zone(self.tz)
        from sessions_tui.config import load_config

        config = load_config()
        if config.tz:
            return zone(config.tz)
        if practice_tz is not None:
            default = practice_tz()
        else:
            from sessions_tui.services.practice import get_settings

            default = get_settings(self.context()).display_tz
        if default:
            return zone(default)
        return local_zone()


def local_zone() -> ZoneInfo:
    """The detected local zone (tzlocal), UTC if it cannot be told."""
    try:
        from tzlocal import get_localzone_name

        name = get_localzone_name()
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except Exception:  # tzlocal raises several kinds on odd systems
        return ZoneInfo("UTC")


def _validate_tz(_c: click.Context, _p: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        from sessions_tui.domain.timeutil import zone

        try:
            zone(value)
        except SessionsError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def global_options(f: F) -> F:
    """``--db``, ``--tz``, ``--user``, usable on the group and on every subcommand."""

    def store(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
        def callback(c: click.Context, p: click.Parameter, value: Any) -> Any:
            if name == "tz":
                value = _validate_tz(c, p, value)
            if value is not None:
                opts = c.find_object(Options) or c.ensure_object(Options)
                setattr(opts, name, value)
            return value

        return callback

    f = click.option(
        "--user",
        "user",
        metavar="LOGIN",
        expose_value=False,
        is_eager=True,
        callback=store("user"),
        help="Act as this member of staff.",
    )(f)
    f = click.option(
        "--tz",
        "tz",
        metavar="ZONE",
        expose_value=False,
        is_eager=True,
        callback=store("tz"),
        help="Display time zone (IANA name).",
    )(f)
    f = click.option(
        "--db",
        "db",
        metavar="URL",
        expose_value=False,
        is_eager=True,
        callback=store("db"),
        help="Database path or SQLAlchemy URL.",
    )(f)
    return f


def opts() -> Options:
    c = click.get_current_context()
    found = c.find_object(Options)
    return found if found is not None else c.ensure_object(Options)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@global_options
@click.pass_context
def cli(c: click.Context) -> None:
    """A keyboard-first terminal calendar for health and therapy practices."""
    c.ensure_object(Options)
    if c.invoked_subcommand is None:
        open_app(opts())


def open_app(o: Options) -> None:
    """Open the Textual calendar."""
    from sessions_tui.config import load_config

    config = load_config()
    fast = _fast_start(o, config)
    if fast is not None:
        from sessions_tui.app import SessionsApp

        start, tz = fast
        SessionsApp(ctx=None, tz=tz, config=config, clock=o.clock(), fast=start).run()
        return
    ctx = o.context()
    ctx.require_actor()
    tz = o.display_tz()
    from sessions_tui.app import SessionsApp

    SessionsApp(ctx=ctx, tz=tz, config=config).run()


# --- demo and agenda ------------------------------------------------------------------------


@cli.command()
@global_options
def demo() -> None:
    """Seed a demo practice (idempotent): staff, clients, 8 weeks of sessions."""
    from sessions_tui.services.context import Context
    from sessions_tui.services.demo import demo_event_count, seed_demo
    from sessions_tui.store.db import shown_url

    o = opts()
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


def _parse_from(value: str | None, tz: ZoneInfo, clock: Clock) -> Any:
    from sessions_tui.domain.timeutil import parse_date

    if value is None:
        return clock.now().astimezone(tz).date()
    if value.lower() == "today":
        return clock.now().astimezone(tz).date()
    return parse_date(value, "--from date")


def _resolve_names(
    ctx: Context, practitioner: tuple[str, ...], location: tuple[str, ...]
) -> tuple[list[int] | None, list[int] | None]:
    from sessions_tui.services.practice import find_location, find_practitioner

    p_ids = [find_practitioner(ctx, n).id for n in practitioner] if practitioner else None
    l_ids = [find_location(ctx, n).id for n in location] if location else None
    return p_ids, l_ids


@cli.command()
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
        first = _parse_from(from_, tz, ctx.clock)
        p_ids, l_ids = _resolve_names(ctx, practitioner, location)
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

        login = _fast_login(o, reader)
        if login is None or (reader.staff_by_login(login) is None and reader.staff_count() > 0):
            return None
        tz = o.display_tz(lambda: reader.settings().display_tz)
        first = _parse_from(from_, tz, o.clock())
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


def _fast_login(o: Options, reader: Any) -> str | None:
    """Who acts on the fast read path: the OS login, or the ``--user`` it may act as (the rule
    of ``services.context.resolve_actor``); ``None`` sends the caller to the ordinary path,
    which gives the error."""
    from sessions_tui.services.permissions import may_act_as

    me = os_login()
    claimed = claimed_login(o.user)
    if claimed is None or claimed == me:
        return me
    if may_act_as(reader.staff_by_login(me), demo=reader.settings().is_demo):
        return claimed
    return None


def _fast_start(o: Options, config: Any) -> tuple[Any, ZoneInfo] | None:
    """What the calendar needs before its first frame, read with the stdlib ``sqlite3``
    (``app.FastStart``), so that SQLAlchemy and SQLModel are imported after it; ``None`` when
    the ordinary path must run (as for the agenda: not SQLite, a database to migrate, an
    unknown user or an empty practice; that path gives the errors)."""
    if os.environ.get("SESSIONS_TUI_NO_FAST_READ"):  # for comparisons and benchmarks
        return None
    if o.db is None and not os.environ.get("SESSIONS_TUI_DB"):
        return None  # the default file: resolve_url (store.db) creates its folder
    from sessions_tui.store.fastread import open_fast, sqlite_path

    raw = o.db or os.environ["SESSIONS_TUI_DB"]
    url = raw if "://" in raw else f"sqlite:///{Path(raw).expanduser().resolve()}"
    reader = open_fast(url)
    path = sqlite_path(url)
    if reader is None or path is None:
        return None
    try:
        from sessions_tui.app import FastStart
        from sessions_tui.services.calendar import fast_calendar_facts, fast_load_filters

        login = _fast_login(o, reader)
        actor = reader.staff_by_login(login) if login is not None else None
        if actor is None:
            reader.close()
            return None
        from sessions_tui.domain.timeutil import days_bounds
        from sessions_tui.services.calendar import fast_window_items, period_range
        from sessions_tui.store.watch import SQLiteWatcher

        tz = o.display_tz(lambda: reader.settings().display_tz)
        facts = fast_calendar_facts(reader, actor, config.week_starts_monday)
        filters = fast_load_filters(reader, actor)
        reader.release()  # the calendar reads for its whole run: no snapshot held open
        # The week the calendar opens on, read now so that its first frame shows the events;
        # the watcher's baseline is taken first, so a change committed meanwhile is not missed.
        watcher = SQLiteWatcher(str(path))
        first, days = period_range(
            "week", o.clock().now().astimezone(tz).date(), facts.week_starts_monday
        )
        items = fast_window_items(reader, *days_bounds(first, days, tz), tz, filters)
    except BaseException:
        reader.close()
        raise
    start = FastStart(
        reader=reader,
        path=str(path),
        actor=actor,
        facts=facts,
        filters=filters,
        make_context=o.context,
        watcher=watcher,
        first_window=(first, days, items),
    )
    return start, tz


# --- staff, locations, clients --------------------------------------------------------------


@cli.group()
@global_options
def staff() -> None:
    """Members of staff and their roles."""


@staff.command("add")
@global_options
@click.argument("login")
@click.option("--name", required=True)
@click.option(
    "--role",
    "roles",
    required=True,
    multiple=True,
    help="admin, scheduler or practitioner (repeatable, or comma-separated).",
)
@click.option(
    "--minutes",
    "minutes",
    type=click.IntRange(5, 1440),
    default=50,
    show_default=True,
    help="Default session length.",
)
def staff_add(login: str, name: str, roles: tuple[str, ...], minutes: int) -> None:
    """Add a member of staff (the first one on an empty practice becomes an admin)."""
    from sessions_tui.domain.model import parse_roles
    from sessions_tui.services.practice import add_staff

    role_set = parse_roles(",".join(roles))
    person = add_staff(opts().context(), login, name, role_set, default_session_minutes=minutes)
    click.echo(f"Added {person.name} ({person.login}) as {person.role_label}.")


@staff.command("list")
@global_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def staff_list(fmt: str) -> None:
    """List staff."""
    from sessions_tui.services.practice import list_staff

    people = list_staff(opts().context())
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": p.id,
                        "login": p.login,
                        "name": p.name,
                        "roles": sorted(r.value for r in p.roles),
                        "color": p.color,
                        "default_session_minutes": p.default_session_minutes,
                    }
                    for p in people
                ],
                indent=2,
            )
        )
        return
    for p in people:
        click.echo(f"{p.login:<16} {p.name:<28} {p.role_label}")


@cli.group()
@global_options
def locations() -> None:
    """Places sessions happen."""


@locations.command("add")
@global_options
@click.argument("name")
def locations_add(name: str) -> None:
    """Add a location."""
    from sessions_tui.services.practice import add_location

    loc = add_location(opts().context(), name)
    click.echo(f"Added location {loc.name}.")


@locations.command("list")
@global_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def locations_list(fmt: str) -> None:
    """List locations."""
    from sessions_tui.services.practice import list_locations

    locs = list_locations(opts().context())
    if fmt == "json":
        click.echo(
            json.dumps(
                [{"id": loc.id, "name": loc.name, "archived": loc.archived} for loc in locs],
                indent=2,
            )
        )
        return
    for loc in locs:
        click.echo(loc.name + (" (archived)" if loc.archived else ""))


@cli.group()
@global_options
def clients() -> None:
    """Clients of the practice."""


@clients.command("add")
@global_options
@click.argument("first")
@click.argument("last")
@click.option("--internal-id", metavar="ID")
def clients_add(first: str, last: str, internal_id: str | None) -> None:
    """Add a client."""
    from sessions_tui.services.practice import add_client

    c = add_client(opts().context(), first, last, internal_id)
    click.echo(f"Added client {c.full_name}" + (f" ({c.internal_id})." if c.internal_id else "."))


@clients.command("list")
@global_options
@click.option("--search", default="", metavar="TEXT")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def clients_list(search: str, fmt: str) -> None:
    """List clients."""
    from sessions_tui.services.practice import list_clients

    ctx = opts().context()
    ctx.require_actor()
    items = list_clients(ctx, search)
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": c.id,
                        "first_name": c.first_name,
                        "last_name": c.last_name,
                        "internal_id": c.internal_id,
                    }
                    for c in items
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    for c in items:
        click.echo(f"{c.internal_id or '-':<10} {c.last_name}, {c.first_name}")


@clients.command("import")
@global_options
@click.argument("file", type=click.Path(path_type=Path))
def clients_import(file: Path) -> None:
    """Import clients from CSV (first_name,last_name,internal_id); all or nothing."""
    from sessions_tui.services.practice import import_clients_csv

    added = import_clients_csv(opts().context(), file)
    click.echo(f"Imported {len(added)} clients.")


# --- running --------------------------------------------------------------------------------


def _one_line(message: str) -> str:
    return " ".join(message.split())


def run(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure is one line on stderr and a non-zero exit code."""
    args = sys.argv[1:] if argv is None else argv
    from sessions_tui.domain.text import safe_std_streams

    # Every line any command prints, errors included, passes through one filter: no control
    # character from the data shown, no database password (domain.text).
    with safe_std_streams():
        return _run(args)


def _run(args: list[str]) -> int:
    try:
        cli.main(args=args, prog_name="sessions-tui", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("sessions-tui: aborted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"sessions-tui: error: {_one_line(exc.format_message())}", err=True)
        return exc.exit_code or 2
    except SessionsError as exc:
        click.echo(f"sessions-tui: error: {_one_line(exc.message)}", err=True)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def days_after(n: int) -> timedelta:
    return timedelta(days=n)


from sessions_tui.cli_availability import availability as _availability  # noqa: E402

cli.add_command(_availability)

from sessions_tui.cli_ics import ics as _ics  # noqa: E402

cli.add_command(_ics)

from sessions_tui.cli_settings import settings as _settings  # noqa: E402

cli.add_command(_settings)

from sessions_tui.cli_google import google as _google  # noqa: E402

cli.add_command(_google)
