"""Where a CalDAV password (or app-specific password) is kept: never in the database or a log.

Stored like the Google token (:mod:`sessions_tui.sync.oauth`): one JSON file per practitioner
login, ``caldav-secret-<login>.json``, mode 0600 in a 0700 folder of the user's config dir; a
file with looser permissions is repaired with a warning, one owned by another user refused.
When the ``keyring`` package is installed and has a usable backend, ``connect --keyring``
keeps the password there instead and the file records only that it does.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path

from sessions_tui.sync.errors import SyncAuthError
from sessions_tui.sync.oauth import check_token_file, token_dir

log = logging.getLogger(__name__)
SERVICE = "sessions-tui-caldav"


def secret_path(login: str) -> Path:
    """The 0600 file that keeps ``login``'s CalDAV password."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in login)
    return token_dir() / f"caldav-secret-{safe}.json"


def _keyring() -> object | None:
    try:
        import keyring  # type: ignore[import-not-found]
        from keyring.backends.fail import Keyring as FailKeyring  # type: ignore[import-not-found]
    except ImportError:
        return None
    backend = keyring.get_keyring()
    return None if isinstance(backend, FailKeyring) else keyring


def keyring_available() -> bool:
    """Whether the system keyring can be used."""
    return _keyring() is not None


def save_password(login: str, username: str, password: str, *, use_keyring: bool = False) -> str:
    """Keep the password; returns where, in words (for the ``connect`` line)."""
    if not password:
        raise SyncAuthError("an empty CalDAV password was given")
    if use_keyring:
        kr = _keyring()
        if kr is None:
            raise SyncAuthError("no system keyring is available: leave out --keyring")
        kr.set_password(SERVICE, f"{login}:{username}", password)  # type: ignore[attr-defined]
        data = {"username": username, "keyring": True}
        where = "the system keyring"
    else:
        data = {"username": username, "password": password}
        where = f"{secret_path(login)} (mode 0600)"
    _write_private(secret_path(login), json.dumps(data))
    return where


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically, created 0600 (never readable by others), folder 0700."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def load_password(login: str) -> tuple[str, str]:
    """``(username, password)`` saved for ``login``.

    Raises:
        SyncAuthError: none saved, unreadable, or owned by someone else.
    """
    path = secret_path(login)
    if not path.exists():
        raise SyncAuthError(
            f"no CalDAV password is saved for {login}: run `sessions-tui caldav connect`"
        )
    check_token_file(path)
    try:
        data = json.loads(path.read_text())
        username = str(data["username"])
        if data.get("keyring"):
            kr = _keyring()
            secret = kr.get_password(SERVICE, f"{login}:{username}") if kr else None  # type: ignore[attr-defined]
            if not secret:
                raise SyncAuthError(
                    "the CalDAV password is not in the system keyring any more: run "
                    "`sessions-tui caldav connect` again"
                )
            return username, str(secret)
        return username, str(data["password"])
    except (OSError, ValueError, KeyError, TypeError):
        raise SyncAuthError(
            f"the saved CalDAV password {str(path)!r} is unreadable: run "
            "`sessions-tui caldav connect` again"
        ) from None


def delete_password(login: str) -> bool:
    """Forget ``login``'s stored password; True if there was one."""
    path = secret_path(login)
    if not path.exists():
        return False
    with contextlib.suppress(OSError, ValueError, KeyError):
        data = json.loads(path.read_text())
        kr = _keyring() if data.get("keyring") else None
        if kr is not None:
            with contextlib.suppress(Exception):
                kr.delete_password(SERVICE, f"{login}:{data['username']}")  # type: ignore[attr-defined]
    path.unlink()
    return True
