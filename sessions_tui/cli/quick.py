"""Commands answered before click, logging and the command groups are imported (issue 29).

``sessions-tui --version`` printed a constant after ~70 ms of imports; ``agenda``, the command
scripts and status bars run most often, spent about half of its time importing. Here:

* ``--version`` alone prints the version (:func:`sessions_tui.about.version`; answered in
  :mod:`sessions_tui.__main__` itself, before this module's imports);
* ``agenda`` with only the options it and the global options take, in their plain forms, on a
  SQLite file the stdlib reader can serve, runs :func:`sessions_tui.cli.agenda_core.agenda_text`
  and writes its output once.

Anything else returns ``None`` and the whole CLI runs (:func:`sessions_tui.cli.run`): help,
unknown or malformed options, another backend, a database to migrate, an unknown user, and any
error at all. The agenda only reads, and nothing is written out until it has succeeded, so
running it again through the whole CLI is safe; that run gives the error, its one line, its
exit code and its log record, exactly as before.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from sessions_tui.cli.options import Options

if TYPE_CHECKING:
    from sessions_tui.store.reader import Reader

# The agenda's options, and the global ones, that take a value; and its flags.
_GLOBAL_VALUED = frozenset({"--db", "--tz", "--user"})
_AGENDA_VALUED = frozenset({"--from", "--days", "--practitioner", "--location", "--format"})
_AGENDA_FLAGS = frozenset({"--next"})
_MAX_DAYS = 3660  # click.IntRange(1, 3660) of cli.agenda


class _NotHere(Exception):
    """The quick path cannot serve this run; the whole CLI will."""


class _QuickOptions(Options):
    """Options whose warnings wait: nothing reaches stderr unless the quick run succeeds."""

    def __init__(self, db: str | None, tz: str | None, user: str | None) -> None:
        super().__init__(db=db, tz=tz, user=user)
        self.notices: list[str] = []

    def notice(self, line: str) -> None:
        self.notices.append(line)


def quick(args: list[str]) -> int | None:
    """The exit code of ``args`` run here, or ``None`` when the whole CLI must run them."""
    if not args or "agenda" not in args or os.environ.get("SESSIONS_TUI_NO_QUICK"):
        return None
    parsed = _agenda_args(args)
    if parsed is None:
        return None
    return _agenda(*parsed)


def _agenda_args(
    args: list[str],
) -> tuple[_QuickOptions, dict[str, str], list[str], list[str], bool] | None:
    """``agenda``'s options from ``args``, or ``None`` for anything not in their plain forms
    (``--opt value`` or ``--opt=value``; the command word once, global options on either side)."""
    given: dict[str, str] = {}
    practitioners: list[str] = []
    locations: list[str] = []
    next_ = seen_command = False
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "agenda" and not seen_command:
            seen_command = True
            continue
        if not arg.startswith("--"):
            return None  # a stray word, "-h", "--": click says what is wrong
        name, eq, value = arg.partition("=")
        valued = _GLOBAL_VALUED | (_AGENDA_VALUED if seen_command else frozenset())
        if name in valued:
            if not eq:
                if i >= len(args):
                    return None
                value = args[i]
                i += 1
            if name == "--practitioner":
                practitioners.append(value)
            elif name == "--location":
                locations.append(value)
            else:
                given[name] = value  # the last one counts, as in click
        elif seen_command and arg in _AGENDA_FLAGS:
            next_ = True
        else:
            return None  # --help, --debug, --log-level, an unknown option
    if not seen_command:
        return None
    if given.get("--format", "text") not in ("text", "json"):
        return None
    days = given.get("--days")
    if days is not None and not (days.isdigit() and 1 <= int(days) <= _MAX_DAYS):
        return None
    tz = given.get("--tz")
    if tz is not None and not _is_zone(tz):
        return None  # click's message for a bad --tz
    o = _QuickOptions(given.get("--db"), tz, given.get("--user"))
    return o, given, practitioners, locations, next_


def _is_zone(name: str) -> bool:
    from sessions_tui.domain.errors import SessionsError
    from sessions_tui.domain.timeutil import zone

    try:
        zone(name)
    except SessionsError:
        return False
    return True


def _agenda(
    o: _QuickOptions,
    given: dict[str, str],
    practitioners: list[str],
    locations: list[str],
    next_: bool,
) -> int | None:
    level = os.environ.get("SESSIONS_TUI_LOG_LEVEL")
    if level and level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        return None  # the whole CLI refuses it
    if not (o.db or os.environ.get("SESSIONS_TUI_DB")):
        return None  # the default file: the ORM path makes its folder
    from sessions_tui.cli.agenda_core import agenda_text

    def not_here() -> Reader:
        raise _NotHere

    days = given.get("--days")
    try:
        out, warnings = agenda_text(
            o,
            given.get("--from"),
            int(days) if days is not None else None,
            tuple(practitioners),
            tuple(locations),
            given.get("--format", "text"),
            next_,
            orm=not_here,
        )
    except KeyboardInterrupt:
        return 130
    except Exception:  # _NotHere, or an error: the whole CLI runs it again and reports it
        return None
    from sessions_tui.domain.text import SafeStream

    # The one filter every line of the CLI passes (cli.main.run: no control character from
    # the data, no database password); one write for the whole output.
    try:
        err = SafeStream(sys.stderr)
        for line in [*o.notices, *warnings]:
            err.write(line + "\n")
        SafeStream(sys.stdout).write(out)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``agenda | head``): exit 1 without a traceback, as the whole
        # CLI does; stdout now goes nowhere, so the interpreter's last flush cannot fail too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        sys.stderr.write(f"sessions-tui: error: {exc.strerror or type(exc).__name__}\n")
        return 1
    return 0
