"""Google sign-in that works over SSH, and token storage.

The installed-app flow of google-auth-oauthlib (with PKCE) with its redirect listener on a
loopback port chosen *before* anything is printed, and no browser on the server: we print the
URL to open on the user's own machine and the exact ``ssh -L PORT:localhost:PORT user@host``
line that forwards the port back. A user without a tunnel pastes the URL their browser ended on
(``http://localhost:PORT/?state=...&code=...``) instead; whichever comes first wins.

Tokens are JSON (``Credentials.to_json()``), never a pickle, in platformdirs' config dir with
mode 0600, one file per practitioner login. The folder is kept 0700. A token read back with
looser permissions is repaired (0600, folder 0700) with a warning in the log: someone may have
copied it, so sign in again if the machine is shared; a token file owned by another user is
refused (it could have been planted).
"""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import queue
import socket
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sessions_tui.domain.errors import ValidationError
from sessions_tui.store.db import Database
from sessions_tui.sync.errors import SyncAuthError

SCOPES = ["https://www.googleapis.com/auth/calendar"]
"""The ``calendar`` scope: read calendars, write events, create the dedicated calendar."""

REVOKE_URI = "https://oauth2.googleapis.com/revoke"


log = logging.getLogger(__name__)


def token_dir() -> Path:
    """The folder of saved Google tokens: the platformdirs user config dir."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("sessions-tui", appauthor=False))


SECRETS_ENV = "SESSIONS_TUI_GOOGLE_CLIENT_SECRETS"
"""The environment variable naming the OAuth client file (as ``--client-secrets``)."""


def default_client_secrets() -> Path:
    """The OAuth client file ``google connect`` reads without ``--client-secrets``: the one
    :data:`SECRETS_ENV` names, else ``client_secret.json`` in :func:`token_dir`."""
    return Path(os.environ.get(SECRETS_ENV) or token_dir() / "client_secret.json")


def _private_dir(folder: Path) -> None:
    """Make ``folder`` (if missing) with mode 0700; tighten it, with a warning, if looser."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        os.chmod(folder, 0o700)
        log.warning("token folder %s had mode %04o; set to 0700", folder, mode)


def check_token_file(path: Path) -> None:
    """Refuse a token file another user owns; repair one others could read (with a warning).

    Raises:
        SyncAuthError: the file belongs to someone else.
    """
    info = path.stat()
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        raise SyncAuthError(
            f"the saved Google token {str(path)!r} belongs to another user; refusing to use "
            "it: delete it and run `sessions-tui google connect`"
        )
    _private_dir(path.parent)
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)
        log.warning(
            "Google token %s had mode %04o (others could read it); set to 0600. If others "
            "use this machine, sign in again (`sessions-tui google connect`).",
            path,
            mode,
        )


def token_path(login: str) -> Path:
    """The token file of ``login`` (characters other than letters, digits, ``-_.`` become ``_``)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in login)
    return token_dir() / f"google-token-{safe}.json"


def save_token(login: str, token_json: str) -> Path:
    """Write the token JSON with mode 0600 (created so, never readable by others)."""
    json.loads(token_json)  # refuse anything that is not JSON
    path = token_path(login)
    _private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, token_json.encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


def delete_token(login: str) -> bool:
    """Remove the saved token of ``login``; ``False`` when there was none."""
    path = token_path(login)
    if path.exists():
        path.unlink()
        return True
    return False


def load_credentials(login: str) -> Any:
    """The saved credentials of ``login``, refreshed if expired.

    Raises:
        SyncAuthError: no token, or Google refused to refresh it.
    """
    from google.auth.exceptions import RefreshError
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials

    path = token_path(login)
    if not path.exists():
        raise SyncAuthError(
            f"{login} is not signed in to Google: run `sessions-tui google connect`"
        )
    check_token_file(path)
    try:
        creds = Credentials.from_authorized_user_info(  # type: ignore[no-untyped-call]
            json.loads(path.read_text()), SCOPES
        )
    except (ValueError, KeyError) as exc:
        raise SyncAuthError(
            f"the saved Google token {str(path)!r} is unreadable ({exc}); "
            "run `sessions-tui google connect` again"
        ) from None
    if not creds.valid:
        try:
            creds.refresh(Request())
        except RefreshError:
            raise SyncAuthError(
                "Google refused the saved sign-in (expired or revoked): run "
                "`sessions-tui google connect` again"
            ) from None
        save_token(login, creds.to_json())
    return creds


def load_credentials_for(db: Database, practitioner_id: int) -> Any:
    """The saved credentials of a practitioner's login (see :func:`load_credentials`)."""
    from sessions_tui.store.tables import StaffRow

    with db.session() as s:
        row = s.get(StaffRow, practitioner_id)
        login = row.login if row is not None else ""
    return load_credentials(login)


@dataclass(frozen=True)
class TokenState:
    """For the status line: ``ok``, ``expiring``, ``expired``, ``missing`` or ``unreadable``."""

    state: str
    expires_at: datetime | None = None

    def describe(self) -> str:
        """The state in words, for the status line."""
        if self.state == "ok":
            return "signed in"
        if self.state == "expiring":
            return "signed in (token expires soon; it is refreshed on the next sync)"
        if self.state == "expired":
            return "token expired (refreshed on the next sync, or sign in again)"
        if self.state == "missing":
            return "not signed in"
        return "saved token unreadable: sign in again"


def token_state(login: str, now: datetime) -> TokenState:
    """How the saved token looks, without touching the network."""
    path = token_path(login)
    if not path.exists():
        return TokenState("missing")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return TokenState("unreadable")
    expiry = data.get("expiry")
    if not expiry:
        return TokenState("ok")
    at = datetime.fromisoformat(expiry.replace("Z", "+00:00"))
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if at <= now:
        return TokenState("expired", at)
    if at - now < timedelta(minutes=5):
        return TokenState("expiring", at)
    return TokenState("ok", at)


def revoke(token_json: str, post: Callable[[str, dict[str, str]], int] | None = None) -> bool:
    """Ask Google to revoke the token; ``True`` when it did (or it was already invalid)."""
    data = json.loads(token_json)
    token = data.get("refresh_token") or data.get("token")
    if not token:
        return False
    if post is None:
        import requests

        def post(url: str, form: dict[str, str]) -> int:
            return int(requests.post(url, data=form, timeout=20).status_code)

    status = post(REVOKE_URI, {"token": token})
    return status in (200, 400)


# --- the sign-in flow -----------------------------------------------------------------------


def pick_port(preferred: int = 0) -> int:
    """A free loopback port (``preferred`` if given and free), chosen before printing."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            if preferred == 0:
                raise
            raise ValidationError(
                f"port {preferred} is in use; choose another with --port", field="port"
            ) from None
        return int(sock.getsockname()[1])


def instructions(
    auth_url: str, port: int, host: str | None = None, user: str | None = None
) -> list[str]:
    """What ``connect`` prints: the URL, the ssh tunnel line, and the paste alternative."""
    host = host or socket.gethostname()
    user = user or getpass.getuser()
    return [
        "Open this URL in a browser on your own machine and allow access to your calendars:",
        "",
        f"  {auth_url}",
        "",
        "If you are connected over SSH, first forward the sign-in port from your machine:",
        "",
        f"  ssh -L {port}:localhost:{port} {user}@{host}",
        "",
        "No tunnel? After allowing access, copy the address your browser ended on",
        f"(it starts with http://localhost:{port}/) and paste it here, then press Enter.",
    ]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def _serve_once(server: WSGIServer, found: queue.Queue[str], stop: threading.Event) -> None:
    server.timeout = 0.5
    while not stop.is_set():
        server.handle_request()


def sign_in(
    client_secrets: Path,
    *,
    port: int = 0,
    echo: Callable[[str], None] = print,
    read_line: Callable[[], str] = input,
    timeout: float = 600,
) -> str:
    """Run the installed-app flow (PKCE) and return the token JSON.

    Raises:
        ValidationError: the client-secrets file is missing or malformed, or the pasted URL is
            not the redirect (no ``code``, wrong ``state``).
    """
    from google_auth_oauthlib.flow import InstalledAppFlow  # type: ignore[import-untyped]

    if not client_secrets.exists():
        raise ValidationError(
            f"client secrets file {str(client_secrets)!r} not found; "
            "download it from the Google Cloud console (Desktop app)",
            field="client_secrets",
        )
    try:
        flow = InstalledAppFlow.from_client_secrets_file(
            str(client_secrets), scopes=SCOPES, autogenerate_code_verifier=True
        )
    except (ValueError, KeyError) as exc:
        raise ValidationError(
            f"bad client secrets file {str(client_secrets)!r}: {exc}", field="client_secrets"
        ) from None
    port = pick_port(port)
    flow.redirect_uri = f"http://localhost:{port}/"
    auth_url, state = flow.authorization_url(access_type="offline", prompt="consent")

    found: queue.Queue[str] = queue.Queue()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        query = environ.get("QUERY_STRING", "")
        found.put(f"http://localhost:{port}{environ.get('PATH_INFO', '/')}?{query}")
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"Signed in to sessions-tui. You can close this tab."]

    server = make_server("127.0.0.1", port, app, handler_class=_Quiet)
    stop = threading.Event()
    listener = threading.Thread(target=_serve_once, args=(server, found, stop), daemon=True)
    listener.start()
    for line in instructions(auth_url, port):
        echo(line)

    def reader() -> None:
        with contextlib.suppress(EOFError, OSError):
            text = read_line().strip()
            if text:
                found.put(text)

    threading.Thread(target=reader, daemon=True).start()
    try:
        redirect = found.get(timeout=timeout)
    except queue.Empty:
        raise ValidationError("no sign-in arrived in time; run connect again") from None
    finally:
        stop.set()
        listener.join(timeout=2)
        server.server_close()
    params = parse_qs(urlsplit(redirect).query)
    if "code" not in params:
        raise ValidationError(
            "that address has no sign-in code: paste the full address the browser ended on",
            field="redirect",
        )
    if params.get("state", [""])[0] != state:
        raise ValidationError(
            "that address is from another sign-in attempt (state differs)", field="redirect"
        )
    # oauthlib insists on https for the response URL; the loopback redirect is http by design.
    flow.fetch_token(authorization_response=redirect.replace("http://", "https://", 1))
    return str(flow.credentials.to_json())
