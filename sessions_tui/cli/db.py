"""``sessions-tui db upgrade``: run the migrations (on PostgreSQL, as the schema's owner)."""

from __future__ import annotations

import click

from sessions_tui.cli.options import global_options, opts


@click.group("db")
@global_options
def db() -> None:
    """The practice database itself."""


@db.command("upgrade")
@global_options
def db_upgrade() -> None:
    """Migrate to the newest schema; on PostgreSQL also (re)apply roles, grants and row-level
    security. Connect as a superuser or a member of sessions_owner (docs/SECURITY.md)."""
    from sessions_tui.store.db import HEAD_REVISION

    opts().starts_practice = True  # it may make the file (no other command but these does)
    database = opts().database()  # opening migrates
    if database.dialect == "postgresql":
        from sqlalchemy.exc import SQLAlchemyError

        from sessions_tui.store import pg_security
        from sessions_tui.store.db import DatabaseError

        try:
            with database.engine.begin() as conn:  # also when already at the newest revision
                pg_security.apply(conn)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise DatabaseError(
                f"cannot apply the practice's roles and grants ({reason}): run `sessions-tui "
                "db upgrade` connected as a superuser or a member of sessions_owner"
            ) from None
        with database.engine.connect() as conn:
            found = pg_security.escalations(conn)
        if found:
            # A staff login that could reach the owner role undoes every rule above.
            raise DatabaseError(
                "a staff role could take over the practice's owner role: "
                + "; ".join(found)
                + " (docs/SECURITY.md, 'Setting up a shared practice')"
            )
    click.echo(f"The database {database.url} is at revision {HEAD_REVISION}.")


@db.command("check")
@global_options
def db_check() -> None:
    """Check a SQLite practice file for damage (SQLite's quick_check, every page read, at
    any size; on open only files up to 32 MB are checked). One line either way; a damaged
    file exits 1 and points at the repair steps (docs/SETUP.md)."""
    from sessions_tui.store.db import DatabaseError, resolve_url
    from sessions_tui.store.fastread import sqlite_path
    from sessions_tui.store.integrity import damaged_line, quick_check

    path = sqlite_path(resolve_url(opts().db))
    if path is None:
        raise click.ClickException("db check is for a SQLite file; PostgreSQL checks its own")
    if not path.is_file():
        raise DatabaseError(f"no database at {str(path)!r}")
    problems = quick_check(path, limit=10)
    if problems:
        raise DatabaseError(damaged_line(path, problems[0]))
    click.echo(f"{path}: no damage found (SQLite quick_check).")
