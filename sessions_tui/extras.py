"""Optional integrations: which extra a command needs, and one line when it is missing.

The core (the calendar, the CLI, ICS files, SQLite) installs with ``pip install sessions-tui``;
PostgreSQL, Google, CalDAV, the web service and the system keyring are extras
(``pip install 'sessions-tui[google]'``, or ``[all]``). A command that needs one checks it at
its door (:func:`require`, called by the CLI's command loader) and says in one line what to
install, instead of failing deep inside with a ``ModuleNotFoundError``.
:func:`missing_extra` maps such an error, raised anywhere else, to the same line.
"""

from __future__ import annotations

from importlib.util import find_spec

from sessions_tui.domain.errors import SessionsError

# Extra -> the top-level modules it installs (what its code imports).
MODULES: dict[str, tuple[str, ...]] = {
    "postgres": ("psycopg",),
    "google": ("googleapiclient", "google_auth_oauthlib"),
    "caldav": ("caldav",),
    "web": ("starlette", "uvicorn", "jinja2"),
    "keyring": ("keyring",),
}

# A CLI command (a group of sessions_tui.cli.main.COMMANDS) -> the extras it cannot run without.
COMMAND_EXTRAS: dict[str, tuple[str, ...]] = {
    "google": ("google",),
    "caldav": ("caldav",),
    "web": ("web",),
}


class MissingExtra(SessionsError):
    """An optional integration this command needs is not installed."""

    def __init__(self, extra: str, what: str = "this command") -> None:
        self.extra = extra
        super().__init__(f"{what} needs the {extra!r} extra: pip install 'sessions-tui[{extra}]'")


def installed(extra: str) -> bool:
    """Whether every module of ``extra`` can be imported (found, not imported: cheap)."""
    return all(find_spec(module) is not None for module in MODULES[extra])


def require(extra: str, what: str = "this command") -> None:
    """Raise :class:`MissingExtra` (one line naming the extra) unless ``extra`` is installed."""
    if not installed(extra):
        raise MissingExtra(extra, what)


def require_for_command(command: str) -> None:
    """The check at a CLI command's door: every extra ``command`` needs is installed."""
    for extra in COMMAND_EXTRAS.get(command, ()):
        require(extra, f"'sessions-tui {command}'")


def missing_extra(exc: ImportError) -> MissingExtra | None:
    """The extra whose module ``exc`` failed to import, or ``None`` when it is not one of
    theirs (a ``--db postgresql+psycopg://`` URL without psycopg, a keyring without the
    package)."""
    name = (exc.name or "").split(".")[0]
    for extra, modules in MODULES.items():
        if name in modules or (extra == "google" and name == "google"):
            return MissingExtra(extra)
    return None
