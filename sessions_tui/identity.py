"""Who is at the keyboard when ``--user`` is not given.

Kept apart from the services so the fast CLI paths can ask without importing SQLAlchemy.
"""

from __future__ import annotations

import getpass
import os


def os_login() -> str:
    """``SESSIONS_TUI_USER``, else the OS login name ("" if the system has none)."""
    try:
        return os.environ.get("SESSIONS_TUI_USER") or getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry
        return ""
