"""Who can read the practice file: SQLite's only protection is the file's mode (stdlib only).

A new database file is created ``0600`` (its owner only). In a folder with the set-group-ID bit
(``chgrp schedulers DIR && chmod 2770 DIR``, for schedulers sharing one host over SSH:
docs/SECURITY.md) it is created ``0660`` instead, so the group shares it. SQLite gives its
``-wal`` and ``-shm`` files the database file's mode. A file every user of the machine can read
is warned about at start: it holds client names.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (0660 in a set-group-ID folder) if it is missing.

    An empty file is an empty SQLite database, so SQLite then opens it rather than making its
    own with the umask's mode.
    """
    if path.exists():
        return
    shared = bool(path.parent.stat().st_mode & stat.S_ISGID)
    mode = 0o660 if shared else 0o600
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
    except FileExistsError:  # made meanwhile by another process: theirs stands
        return
    os.close(fd)
    os.chmod(path, mode)  # the umask may have taken the group bits


def mode_warning(path: Path | None) -> str | None:
    """One line if the practice file can be read or written by every user, else ``None``."""
    if path is None:
        return None
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if not mode & (stat.S_IROTH | stat.S_IWOTH):
        return None
    what = "read and written" if mode & stat.S_IWOTH else "read"
    return (
        f"sessions-tui: warning: {path} can be {what} by every user of this machine "
        f"(mode {stat.S_IMODE(mode):04o}); `chmod 600 {path}` (docs/SECURITY.md)"
    )
