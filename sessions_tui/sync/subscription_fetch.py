"""Fetching a subscribed feed: one bounded, conditional HTTP GET.

The standard library's ``urllib.request`` (no new dependency: the project declares no HTTP
client of its own; requests and httplib2 arrive only as Google's dependencies), with:

- **conditional GET**: ``If-None-Match`` (the last good copy's ETag) and ``If-Modified-Since``
  (its Last-Modified); a 304 is "unchanged";
- **bounded time**: a timeout on connecting and on every read, and a deadline for the whole
  download, checked between reads; ``read1`` returns what one read gave, so a server that
  drips a byte at a time cannot hold it past the deadline;
- **bounded size**: a Content-Length over the limit is refused before reading, and reading
  stops as soon as the body passes it (no compression is asked for, so the bytes counted are
  the bytes parsed);
- **redirects**: at most five, each checked like the URL typed (https, or http on this
  machine), so a feed cannot be redirected to ``file:`` or to plain HTTP elsewhere.

Errors are one line that names what happened and never the URL (its path or query often holds
the calendar's secret).
"""

from __future__ import annotations

import http.client
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from sessions_tui.about import version
from sessions_tui.domain.errors import SessionsError, ValidationError
from sessions_tui.domain.subscriptions import normalize_url

MAX_BYTES = 10 * 1024 * 1024
"""The largest feed fetched (10 MB: some 20,000 events)."""
TIMEOUT = 15.0
"""Seconds to connect, and to wait for each read."""
DEADLINE = 60.0
"""Seconds for the whole download."""
MAX_REDIRECTS = 5


class FetchError(SessionsError):
    """The feed could not be fetched (unreachable, an HTTP error, too big, too slow)."""


@dataclass(frozen=True)
class Fetched:
    """What the server gave: ``body`` is ``None`` for a 304 (unchanged)."""

    status: int
    body: bytes | None
    etag: str | None
    last_modified: str | None

    @property
    def unchanged(self) -> bool:
        """True when the server answered 304 Not Modified."""
        return self.status == 304


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        try:
            normalize_url(newurl)
        except ValidationError:
            raise FetchError(
                f"the feed redirected (HTTP {code}) to a URL that is not https://"
            ) from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    # Only HTTP(S) handlers: no file:, ftp: or data: URL is ever opened.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(context=ssl.create_default_context()),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        _Redirects(),
    ):
        opener.add_handler(handler)
    return opener


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = TIMEOUT,
    deadline: float = DEADLINE,
    max_bytes: int = MAX_BYTES,
) -> Fetched:
    """GET ``url`` (already normalized), conditionally when validators are given.

    Raises:
        FetchError: unreachable, refused, an HTTP error status, too large or too slow.
    """
    headers = {
        "User-Agent": f"sessions-tui/{version()} (calendar subscription)",
        "Accept": "text/calendar, */*;q=0.5",
        "Accept-Encoding": "identity",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers, method="GET")
    started = time.monotonic()
    try:
        with _opener().open(request, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            if length and length.strip().isdigit() and int(length) > max_bytes:
                raise FetchError(f"the feed is larger than {_megabytes(max_bytes)}")
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() - started > deadline:
                    raise FetchError(f"the feed took longer than {deadline:g} s to download")
                chunk = resp.read1(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"the feed is larger than {_megabytes(max_bytes)}")
                chunks.append(chunk)
            return Fetched(
                int(resp.status),
                b"".join(chunks),
                resp.headers.get("ETag"),
                resp.headers.get("Last-Modified"),
            )
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Fetched(304, None, exc.headers.get("ETag"), exc.headers.get("Last-Modified"))
        raise FetchError(f"the feed answered HTTP {exc.code} {exc.reason}".rstrip()) from None
    except FetchError:
        raise
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise FetchError(f"no answer within {timeout:g} s") from None
        if isinstance(reason, ssl.SSLError):
            raise FetchError(f"TLS failed: {reason.reason or reason}") from None
        if isinstance(reason, OSError):
            raise FetchError(f"cannot reach the feed: {reason.strerror or reason}") from None
        raise FetchError(f"cannot reach the feed: {reason}") from None
    except TimeoutError:
        raise FetchError(f"no answer within {timeout:g} s") from None
    except (http.client.HTTPException, OSError, ValueError) as exc:
        raise FetchError(f"the feed's answer was cut off or malformed ({exc})") from None
