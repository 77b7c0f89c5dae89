"""Command line: opens the calendar, or runs a subcommand for scripts.

Every command accepts ``--db``, ``--tz`` and ``--user`` before or after its own name. Errors
print one line, ``sessions-tui: error: ...``, and exit non-zero; nothing is changed.

This module is the only one that knows every command group: each lives in its own module of this
package and imports only :mod:`sessions_tui.cli.options` (no import cycle). A command's module is
imported when that command runs (or ``--help`` lists them all), so ``sessions-tui agenda`` does
not pay for the other groups' modules.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from sessions_tui.cli.options import Options, fast_login, global_options, one_line, opts
from sessions_tui.domain.errors import SessionsError

log = logging.getLogger(__name__)


# Command name -> (module of this package, attribute): imported on first use.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("agenda", "demo"),
    "agenda": ("agenda", "agenda"),
    "staff": ("practice", "staff"),
    "locations": ("practice", "locations"),
    "clients": ("practice", "clients"),
    "availability": ("availability", "availability"),
    "ics": ("ics", "ics"),
    "settings": ("settings", "settings"),
    "google": ("google", "google"),
    "caldav": ("caldav", "caldav"),
    "events": ("events", "events"),
    "web": ("web", "web"),
    "booking": ("booking", "booking"),
    "reminders": ("reminders", "reminders"),
    "completion": ("completion", "completion"),
    "db": ("db", "db"),
    "subscribe": ("subscriptions", "subscribe"),
    "subscriptions": ("subscriptions", "subscriptions"),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when they are looked up, not at start-up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, imported or not, sorted."""
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, importing its module the first time."""
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            module, attr = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f"sessions_tui.cli.{module}"), attr)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """The command to run; one that needs an extra that is not installed (``google``,
        ``caldav``, ``web``) stops here with one line naming it (``--help`` of the root and
        shell completion list it as usual)."""
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and not ctx.resilient_parsing:
            from sessions_tui.extras import require_for_command

            require_for_command(name)
        return name, command, rest


class _Root(LazyGroup):
    """The ``sessions-tui`` group: ``--help`` starts with the version, ends with the log file."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from sessions_tui.about import version

        formatter.write_text(f"sessions-tui {version()}")
        formatter.write_paragraph()
        super().format_help(ctx, formatter)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from sessions_tui.logs import log_location

        formatter.write_paragraph()
        formatter.write_text(
            "Exit codes: 0 success, 1 refused or failed (one line on stderr says why), "
            "2 bad usage, 130 interrupted. Every command: docs/CLI.md."
        )
        formatter.write_paragraph()
        formatter.write(f"Log file: {log_location()}\n")  # not wrapped: a path to copy


def _print_version(c: click.Context, _p: click.Parameter, value: bool) -> None:
    if not value or c.resilient_parsing:
        return
    from sessions_tui.about import version

    click.echo(f"sessions-tui {version()}")
    c.exit()


@click.group(
    cls=_Root,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Print the version and exit.",
)
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
    if config.theme is not None:
        from sessions_tui.app_prefs import validate_theme

        validate_theme(config.theme)  # a bad theme is one line before anything opens
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
    if reader is not None:
        o.warn_file_mode(url)
    path = sqlite_path(url)
    if reader is None or path is None:
        return None
    try:
        from sessions_tui.app import FastStart
        from sessions_tui.services.calendar import fast_calendar_facts, fast_load_filters

        login = fast_login(o, reader)
        actor = reader.staff_by_login(login) if login is not None else None
        if actor is None:
            reader.close()
            return None
        from sessions_tui.domain.periods import period_range
        from sessions_tui.domain.timeutil import days_bounds
        from sessions_tui.services.holds import calendar_items
        from sessions_tui.store.watch import SQLiteWatcher

        tz = o.display_tz(lambda: reader.settings().display_tz)
        facts = fast_calendar_facts(reader, actor, config.first_weekday)
        filters = fast_load_filters(reader, actor)
        reader.release()  # the calendar reads for its whole run: no snapshot held open
        # The week the calendar opens on, read now so that its first frame shows the events;
        # the watcher's baseline is taken first, so a change committed meanwhile is not missed.
        watcher = SQLiteWatcher(str(path))
        first, days = period_range(
            "week", o.clock().now().astimezone(tz).date(), facts.first_weekday
        )
        bounds = days_bounds(first, days, tz)
        items = calendar_items(reader, *bounds, tz, filters, actor, o.clock().now())
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


# --- running --------------------------------------------------------------------------------


def run(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure is one line on stderr and a non-zero exit code.

    The log file is opened first (:mod:`sessions_tui.logs`). A failure the user caused (bad
    input, a file that cannot be read or written, a database that cannot be opened) prints what
    was wrong; anything else prints one line naming the log file, which has the traceback.
    Log lines name the command only, never its arguments (they can be client names).
    """
    from sessions_tui.logs import setup_logging

    args = sys.argv[1:] if argv is None else argv
    level = _log_level_of(args) or os.environ.get("SESSIONS_TUI_LOG_LEVEL") or "INFO"
    try:
        setup_logging(level)
    except ValueError:
        setup_logging("INFO")  # click reports a bad --log-level; the variable is checked here
        if os.environ.get("SESSIONS_TUI_LOG_LEVEL") == level:
            click.echo(f"sessions-tui: error: bad SESSIONS_TUI_LOG_LEVEL {level!r}", err=True)
            return 2
    from sessions_tui.domain.text import safe_std_streams

    # Every line any command prints, errors included, passes through one filter: no control
    # character from the data shown, no database password (domain.text).
    with safe_std_streams():
        return _run(args)


def _run(args: list[str]) -> int:
    from sessions_tui.logs import log_location

    command = _command_words(args)
    log.debug("run: %s", command)
    try:
        # color=True: click would strip an escape sequence from a name before our filter shows
        # it (``locations list`` hid one, so two locations looked the same); we write no colour.
        cli.main(args=args, prog_name="sessions-tui", standalone_mode=False, color=True)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("sessions-tui: aborted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"sessions-tui: error: {one_line(exc.format_message())}", err=True)
        return exc.exit_code or 2
    except SessionsError as exc:
        # The message can name clients: the log gets its kind only.
        log.info("%s refused: %s", command, type(exc).__name__)
        click.echo(f"sessions-tui: error: {one_line(exc.message)}", err=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except ImportError as exc:
        from sessions_tui.extras import missing_extra

        missing = missing_extra(exc)  # e.g. a postgresql:// --db without the postgres extra
        if missing is None:
            log.error("%s failed unexpectedly", command, exc_info=exc)
            click.echo(
                f"sessions-tui: error: unexpected {type(exc).__name__}; "
                f"the details are in the log file {log_location()}",
                err=True,
            )
            return 1
        log.info("%s refused: the %s extra is not installed", command, missing.extra)
        click.echo(f"sessions-tui: error: {missing.message}", err=True)
        return 1
    except OSError as exc:
        log.error("%s failed", command, exc_info=exc)
        click.echo(f"sessions-tui: error: {_os_error(exc)}", err=True)
        return 1
    except Exception as exc:
        log.error("%s failed unexpectedly", command, exc_info=exc)
        click.echo(
            f"sessions-tui: error: unexpected {type(exc).__name__}; "
            f"the details are in the log file {log_location()}",
            err=True,
        )
        return 1
    return 0


def _log_level_of(args: list[str]) -> str | None:
    """``--debug`` or ``--log-level LEVEL`` wherever they are in ``args`` (the options are
    accepted after any subcommand, but the log file is opened before click parses them)."""
    found: str | None = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--debug":
            found = "DEBUG"
        elif arg == "--log-level" and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--log-level="):
            found = arg.split("=", 1)[1]
    return found


_VALUED = frozenset({"--db", "--tz", "--user", "--log-level"})


def _command_words(args: list[str]) -> str:
    """The command and subcommand names of ``args`` (``ics export``), without any values."""
    words: list[str] = []
    group: click.Command | None = cli
    skip = False
    for arg in args:
        if skip or arg.startswith("-") or not isinstance(group, click.Group):
            skip = arg in _VALUED  # the next word is this option's value
            continue
        sub = group.get_command(click.Context(group), arg)
        if sub is None:
            break
        words.append(arg)
        group = sub
    return " ".join(words) or "sessions-tui"


def _os_error(exc: OSError) -> str:
    """One line for a file or network error: what failed, on which file, and why."""
    reason = exc.strerror or type(exc).__name__
    if exc.filename is not None:
        return f"cannot use {str(exc.filename)!r}: {reason}"
    return one_line(str(exc)) or reason
