"""The Calendar v3 client: the emulator endpoint, building the client, transport errors.

Nothing here touches the database except :func:`list_calendars`, which reads the saved sign-in.
The engine (:mod:`sessions_tui.sync.google.engine`) and the CLI build their clients here.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sessions_tui.store.db import Database
from sessions_tui.sync.errors import SyncAuthError, SyncError, SyncTransientError

ENDPOINT_ENV = "SESSIONS_TUI_GOOGLE_ENDPOINT"
"""For testing only: the API root of a local Calendar emulator (loopback URLs only)."""

GOOGLE_API_ROOT = "https://www.googleapis.com/calendar/v3/"
RETRYABLE = {429, 500, 502, 503, 504}
"""HTTP statuses retried (by the client, then by the worker); a 403 only when a rate limit."""


def endpoint_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The emulator endpoint from ``SESSIONS_TUI_GOOGLE_ENDPOINT``, checked to be loopback.

    Raises:
        SyncError: the URL is not http(s) on a loopback host.
    """
    env = os.environ if environ is None else environ
    value = (env.get(ENDPOINT_ENV) or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    host = parts.hostname or ""
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if parts.scheme not in ("http", "https") or not loopback:
        raise SyncError(
            f"{ENDPOINT_ENV}={value!r} is refused: it is for testing against a local emulator "
            "and must be a loopback URL such as http://127.0.0.1:8765/calendar/v3/"
        )
    return value if value.endswith("/") else value + "/"


def batch_uri(api_root: str) -> str:
    """The batch endpoint next to an API root (``.../calendar/v3/`` → ``.../batch/calendar/v3``)."""
    marker = "calendar/v3"
    base = api_root[: api_root.index(marker)] if marker in api_root else api_root
    return base + "batch/calendar/v3"


def build_service(endpoint: str | None, credentials: Any = None, *, timeout: float = 60) -> Any:
    """A Calendar v3 client from the bundled discovery document (no network to build it).

    With ``endpoint`` (the emulator) it uses anonymous credentials and no sign-in.
    """
    import google_auth_httplib2  # type: ignore[import-untyped]
    import httplib2  # type: ignore[import-untyped]
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build  # type: ignore[import-untyped]

    options: dict[str, Any] = {}
    if endpoint is not None:
        credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
        options["api_endpoint"] = endpoint
    if credentials is None:
        raise SyncAuthError("not signed in to Google: run `sessions-tui google connect`")
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
    return build(
        "calendar",
        "v3",
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options=options or None,
    )


def is_rate_limit(exc: Any) -> bool:
    """Whether a 403 ``HttpError`` is Google's rate limit or quota (retryable), not a refusal."""
    try:
        data = json.loads(exc.content.decode("utf-8"))
        reasons = {e.get("reason") for e in data["error"].get("errors", [])}
    except (ValueError, KeyError, AttributeError, UnicodeDecodeError):
        return False
    return bool(reasons & {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})


def transport_errors() -> tuple[type[BaseException], ...]:
    """The exceptions of a request that never got an answer (network, TLS, dropped reply)."""
    import httplib2  # type: ignore[import-untyped]

    return (OSError, http.client.HTTPException, httplib2.HttpLib2Error)


def list_calendars(
    db: Database, practitioner_id: int, *, environ: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """``(calendar id, name)`` of every calendar in the practitioner's Google account (network).

    For choosing secondary calendars (the Google sync screen, ``google calendars``).

    Raises:
        SyncAuthError: not signed in; SyncTransientError: Google unreachable or busy.
    """
    from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

    endpoint = endpoint_from_env(environ)
    credentials = None
    if endpoint is None:
        from sessions_tui.sync.oauth import load_credentials_for

        credentials = load_credentials_for(db, practitioner_id)
    found: list[tuple[str, str]] = []
    try:
        service = build_service(endpoint, credentials, timeout=30)
        page = None
        while True:
            # One retry: someone is waiting on this list; the error is shown in words.
            resp = service.calendarList().list(pageToken=page).execute(num_retries=1)
            found.extend((c["id"], c.get("summary", "")) for c in resp.get("items", []))
            page = resp.get("nextPageToken")
            if not page:
                return found
    except HttpError as exc:
        if exc.resp.status == 401:
            raise SyncAuthError(
                "Google refused the saved sign-in: run `sessions-tui google connect` again"
            ) from None
        raise SyncTransientError(
            f"Google answered HTTP {exc.resp.status} to the calendar list; try again later"
        ) from None
    except transport_errors() as exc:
        raise SyncTransientError(
            f"cannot reach Google ({exc.__class__.__name__}); try again later"
        ) from None
