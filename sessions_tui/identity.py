"""Who is at the keyboard.

Kept apart from the services so the fast CLI paths can ask without importing SQLAlchemy.

On SQLite you are the OS login of the process: the name of its *effective user id* in the
password database, which no environment variable changes (``getpass.getuser`` reads
``$LOGNAME`` and ``$USER`` first, so it is not used). ``--user`` and ``SESSIONS_TUI_USER`` only
*claim* another member of staff; :func:`sessions_tui.services.permissions.may_act_as` decides
whether the claim is honoured (an admin, or a demo practice). On PostgreSQL you are the role
you connected as (``services.context``).
"""

from __future__ import annotations

import os


def _system_login() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, OSError):  # pragma: no cover - no passwd entry, or Windows
        import getpass

        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return ""


def os_login() -> str:
    """The OS login name of this process ("" if the system has none)."""
    return _system_login()


def claimed_login(user: str | None) -> str | None:
    """The member of staff asked for: ``--user``, else ``SESSIONS_TUI_USER``, else ``None``."""
    return user or os.environ.get("SESSIONS_TUI_USER") or None
