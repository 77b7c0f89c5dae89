"""``sessions-tui staff``, ``locations`` and ``clients``: the practice's people and places."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from sessions_tui.cli.options import global_options, opts


@click.group()
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
    opts().starts_practice = True  # the first staff add starts a practice: it may make the file
    person = add_staff(opts().context(), login, name, role_set, default_session_minutes=minutes)
    click.echo(f"Added {person.name} ({person.login}) as {person.role_label}.")


@staff.command("list")
@global_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def staff_list(fmt: str) -> None:
    """List staff: logins and names for anyone who can open the database, roles for staff.

    So a newcomer (or an unknown OS login) can learn which ``--user`` to pass.
    """
    from sessions_tui.domain.errors import NotFoundError
    from sessions_tui.services.context import Context
    from sessions_tui.services.practice import list_staff

    o = opts()
    try:
        ctx = o.context()  # --user naming someone you may not act as is refused, as everywhere
        member = ctx.actor is not None
    except NotFoundError:  # an OS login that is not staff: the directory, so they learn a login
        ctx = Context(o.database(), o.clock(), None)
        member = False
    people = list_staff(ctx)
    if fmt == "json":
        rows: list[dict[str, object]] = []
        for p in people:
            row: dict[str, object] = {"login": p.login, "name": p.name}
            if member:
                row.update(
                    id=p.id,
                    roles=sorted(r.value for r in p.roles),
                    color=p.color,
                    default_session_minutes=p.default_session_minutes,
                )
            rows.append(row)
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for p in people:
        click.echo(
            f"{p.login:<16} {p.name:<28} {p.role_label}" if member else f"{p.login:<16} {p.name}"
        )


@click.group()
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


@click.group()
@global_options
def clients() -> None:
    """Clients of the practice."""


def _contact_options(f: Any) -> Any:
    f = click.option("--email", metavar="ADDRESS", help="The client's email address.")(f)
    f = click.option(
        "--preferred-name", metavar="NAME", help="What they like to be called (reminders)."
    )(f)
    f = click.option(
        "--reminders/--no-reminders",
        default=None,
        help="The client agreed (or not) to email reminders; recorded with today's date.",
    )(f)
    return f


@clients.command("add")
@global_options
@click.argument("first")
@click.argument("last")
@click.option("--internal-id", metavar="ID")
@_contact_options
def clients_add(
    first: str,
    last: str,
    internal_id: str | None,
    email: str | None,
    preferred_name: str | None,
    reminders: bool | None,
) -> None:
    """Add a client (with an email address, a preferred name and their reminder consent)."""
    from sessions_tui.services.practice import add_client

    c = add_client(
        opts().context(),
        first,
        last,
        internal_id,
        email=email,
        preferred_name=preferred_name,
        reminders=reminders,
    )
    click.echo(f"Added client {c.full_name}" + (f" ({c.internal_id})." if c.internal_id else "."))


@clients.command("edit")
@global_options
@click.argument("client_id", type=int)
@click.option("--first", metavar="NAME")
@click.option("--last", metavar="NAME")
@click.option("--internal-id", metavar="ID", help="'' clears it.")
@_contact_options
def clients_edit(
    client_id: int,
    first: str | None,
    last: str | None,
    internal_id: str | None,
    email: str | None,
    preferred_name: str | None,
    reminders: bool | None,
) -> None:
    """Change a client: names, internal ID, email ('' clears), preferred name, consent."""
    from sessions_tui.services import contacts
    from sessions_tui.services.practice import get_client, update_client

    ctx = opts().context()
    c = get_client(ctx, client_id)
    if first is not None or last is not None or internal_id is not None:
        c = update_client(
            ctx,
            client_id,
            first if first is not None else c.first_name,
            last if last is not None else c.last_name,
            internal_id if internal_id is not None else c.internal_id,
        )
    changes: dict[str, Any] = {}
    for name, value in (
        ("email", email),
        ("preferred_name", preferred_name),
        ("reminders", reminders),
    ):
        if value is not None:
            changes[name] = value
    if changes:
        contacts.set_contact(ctx, client_id, **changes)
    click.echo(f"Changed client {c.full_name}.")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@clients.command("list")
@global_options
@click.option("--search", default="", metavar="TEXT")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def clients_list(search: str, fmt: str) -> None:
    """List clients (with email, preferred name and reminder consent)."""
    from sessions_tui.services.contacts import contacts
    from sessions_tui.services.practice import list_clients

    ctx = opts().context()
    ctx.require_actor()
    items = list_clients(ctx, search)
    found = contacts(ctx, [c.id for c in items])
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": c.id,
                        "first_name": c.first_name,
                        "last_name": c.last_name,
                        "internal_id": c.internal_id,
                        "email": found[c.id].email,
                        "preferred_name": found[c.id].preferred_name,
                        "reminders": found[c.id].reminders,
                        "reminders_given_at": _iso(found[c.id].reminders_given_at),
                    }
                    for c in items
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    for c in items:
        k = found[c.id]
        more = f"  {k.email}" if k.email else ""
        more += "  reminders" if k.reminders else ""
        click.echo(f"{c.internal_id or '-':<10} {c.last_name}, {c.first_name}{more}")


@clients.command("import")
@global_options
@click.argument("file", type=click.Path(path_type=Path))
def clients_import(file: Path) -> None:
    """Import clients from CSV (first_name,last_name,internal_id, then any of email,
    preferred_name,reminders); all or nothing."""
    from sessions_tui.services.practice import import_clients_csv

    added = import_clients_csv(opts().context(), file)
    from sessions_tui.domain.text import count_of

    click.echo(f"Imported {count_of(len(added), 'client')}.")
