"""Options every command shares: ``--db``, ``--tz`` and ``--user``, accepted on the group and
after every subcommand's name, and the small parsers the commands share.

Every command module imports this one; nothing here imports a command module, so the package has
no import cycle (:mod:`sessions_tui.cli.main` is the one module that knows every command).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from sessions_tui.domain.errors import SessionsError

if TYPE_CHECKING:
    import click

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
    _warned: bool = field(default=False, repr=False)
    starts_practice: bool = field(default=False, repr=False)
    """Set by the commands that may start a practice (``demo``, ``staff add``, ``db upgrade``):
    only they create a SQLite file that is not there; every other command says it is missing
    (a mistyped ``--db`` made a new, empty practice, which looked like lost data)."""

    def database(self) -> Database:
        """The database of ``--db``, opened once (with the file-mode warning)."""
        if self._db is None:
            from sessions_tui.store.db import open_database

            self._db = open_database(self.db, create=self.starts_practice)
            self.warn_file_mode(self._db.engine.url.render_as_string(hide_password=True))
        return self._db

    def warn_file_mode(self, url: str) -> None:
        """Say once, on stderr, if the SQLite practice file is world-readable."""
        if self._warned:
            return
        self._warned = True
        from sessions_tui.store.fastread import sqlite_path
        from sessions_tui.store.filemode import mode_warning

        line = mode_warning(sqlite_path(url))
        if line is not None:
            self.notice(line)

    def notice(self, line: str) -> None:
        """Say ``line`` on stderr (the agenda's quick path holds it until it has succeeded)."""
        import click  # here: the quick paths (cli.quick) run without click

        click.echo(line, err=True)

    def clock(self) -> Clock:
        """The clock: fixed by ``SESSIONS_TUI_NOW``, else the system's."""
        from sessions_tui.clock import clock_from_env

        return clock_from_env()

    def context(self) -> Context:
        """The services' context for the acting user, made once."""
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
        import click

        from sessions_tui.domain.timeutil import zone

        try:
            zone(value)
        except SessionsError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def checked_by(
    check: Callable[[str], str],
) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback running ``check`` on the option's value: what it refuses is one
    line of bad usage (exit 2), before anything is opened or stored."""

    def callback(_c: click.Context, _p: click.Parameter, value: Any) -> Any:
        import click  # the quick start path imports this module without click

        if value is None:
            return None
        try:
            return check(value)
        except SessionsError as exc:
            raise click.UsageError(exc.message) from None

    return callback


def global_options(f: F) -> F:
    """``--db``, ``--tz``, ``--user``, ``--log-level`` and ``--debug``, usable on the group and
    on every subcommand."""
    import click

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
    f = click.option(
        "--debug",
        is_flag=True,
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_set_log_level,
        help="Log everything (the same as --log-level debug).",
    )(f)
    f = click.option(
        "--log-level",
        "log_level",
        metavar="LEVEL",
        expose_value=False,
        is_eager=True,
        callback=_set_log_level,
        help="Log file detail: debug, info (default), warning or error.",
    )(f)
    return f


def _set_log_level(_c: click.Context, p: click.Parameter, value: Any) -> Any:
    """``--log-level LEVEL`` or ``--debug``, wherever given: applies at once (the log file
    itself is opened by :func:`sessions_tui.cli.main.run`)."""
    if value is None or value is False:
        return value
    import click

    from sessions_tui.logs import set_level

    try:
        set_level("DEBUG" if p.name == "debug" else str(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def opts() -> Options:
    """The :class:`Options` of the current click context (made if missing)."""
    import click

    c = click.get_current_context()
    found = c.find_object(Options)
    return found if found is not None else c.ensure_object(Options)


def parse_from(value: str | None, tz: ZoneInfo, clock: Clock) -> Any:
    """The ``--from`` date: ``None`` or ``today`` is today in ``tz``, else an ISO date."""
    from sessions_tui.domain.timeutil import parse_date

    if value is None:
        return clock.now().astimezone(tz).date()
    if value.lower() == "today":
        return clock.now().astimezone(tz).date()
    return parse_date(value, "--from date")


def one_line(message: str) -> str:
    """``message`` with every run of whitespace, newlines included, as one space."""
    return " ".join(message.split())


def fast_login(o: Options, reader: Any) -> str | None:
    """Who acts on the fast read path: the OS login, or the ``--user`` it may act as (the rule
    of ``services.context.resolve_actor``); ``None`` sends the caller to the ordinary path,
    which gives the error."""
    from sessions_tui.identity import claimed_login, os_login
    from sessions_tui.services.permissions import may_act_as

    me = os_login()
    claimed = claimed_login(o.user)
    if claimed is None or claimed == me:
        return me
    if may_act_as(reader.staff_by_login(me), demo=reader.settings().is_demo):
        return claimed
    return None
