"""What stands between the internet and the handlers: limits, timeouts, CSRF, the access log.

- :class:`Guard` (ASGI middleware): refuses a body over ``max_body`` bytes (413, whether it
  says its length or streams it), refuses a request with both ``Content-Length`` and
  ``Transfer-Encoding`` (400, and the connection closed: RFC 9112 §6.3), answers 503 when a
  request takes longer than ``request_timeout`` seconds (a slow body counts; handlers read the
  deadline from ``scope["sessions_tui.deadline"]`` so their work never commits after it), adds
  security headers to every response (HSTS too when the trusted proxy says the request came
  over https), and writes one access-log line per request with secrets cut out of the path.
- :class:`RateLimiter`: a sliding window per key (an address, a practitioner), bounded in the
  number of keys it remembers.
- :class:`Csrf`: a double-submit token: a random value in a ``SameSite=Strict`` cookie and its
  HMAC (under a key of this process) in the form; a POST needs both, matching.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("sessions_tui.web")
feed_log = logging.getLogger("sessions_tui.feed")
"""Feed requests log here, as they did on the old feed server."""

_SECRET_PATHS = (
    (re.compile(r"^/feeds/[^/]+\.ics$"), "/feeds/<token>.ics"),
    (re.compile(r"^/book/[^/]+/(done|verify)/.*"), r"/book/<link>/\1/<ref>"),
    (re.compile(r"^/book/[^/]+"), "/book/<link>"),
    (re.compile(r"^/r/[^/]+"), "/r/<token>"),
)

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # The page's URL may hold its secret link: never send it on to another site.
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
]


HSTS = (b"strict-transport-security", b"max-age=31536000")
"""Sent when the request came over https (as the trusted proxy's ``X-Forwarded-Proto`` says)."""


def redact(path: str) -> str:
    """The path as the log may show it: feed tokens and booking links replaced."""
    for pattern, shown in _SECRET_PATHS:
        if pattern.match(path):
            return pattern.sub(shown, path, count=1)
    return path if len(path) <= 200 else path[:200] + "…"


class BodyTooLarge(Exception):
    """The request body passed the limit."""


@dataclass
class Guard:
    """Body-size limit, request timeout, security headers and the redacted access log."""

    app: ASGIApp
    max_body: int = 16 * 1024
    request_timeout: float = 30.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI event: HTTP requests go through the limits and the log."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 0, "size": 0, "started": False}
        scope["sessions_tui.deadline"] = time.monotonic() + self.request_timeout
        declared = _content_length(scope)
        if declared is not None and _has_header(scope, b"transfer-encoding"):
            # Two framings: a proxy in front may read the body one way and us another
            # (request smuggling). Refuse it and close, as RFC 9112 §6.3 asks.
            await _plain(send, 400, "Bad request.", close=True)
            self._log(scope, 400, 0, started)
            return
        if declared is not None and declared > self.max_body:
            await _plain(send, 413, "Request body too large.")
            self._log(scope, 413, 0, started)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
                if scope.get("scheme") == "https":
                    message["headers"].append(HSTS)
            elif message["type"] == "http.response.body":
                state["size"] += len(message.get("body", b""))
                if not message.get("more_body", False):
                    # Logged before the last byte goes: once a client has its answer, the
                    # line is written.
                    self._log(scope, state["status"], state["size"], started)
                    state["logged"] = True
            await send(message)

        try:
            async with asyncio.timeout(self.request_timeout):
                await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if not state["started"]:
                await _plain(send, 413, "Request body too large.")
                state["status"] = 413
        except TimeoutError:
            if not state["started"]:
                await _plain(send, 503, "The request took too long.", close=True)
                state["status"] = 503
                state["logged"] = False
        if not state.get("logged"):
            self._log(scope, state["status"], state["size"], started)

    def _log(self, scope: Scope, status: int, size: int, started: float) -> None:
        client = scope.get("client")
        path = scope.get("path", "")
        (feed_log if path.startswith("/feeds/") else log).info(
            '%s "%s %s" %d %d %.1fms',
            client[0] if client else "-",
            scope.get("method", "-"),
            redact(path),
            status,
            size,
            (time.perf_counter() - started) * 1000,
        )


def _has_header(scope: Scope, name: bytes) -> bool:
    return any(key == name for key, _ in scope.get("headers", []))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _plain(send: Send, status: int, text: str, *, close: bool = False) -> None:
    body = text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *SECURITY_HEADERS,
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@dataclass
class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key.

    Remembers at most ``max_keys`` keys (the least recently seen are forgotten), so a flood of
    addresses cannot grow it without bound.
    """

    limit: int
    window: float
    max_keys: int = 10_000
    clock: Any = time.monotonic
    _hits: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def allow(self, key: str) -> bool:
        """Count one event for ``key``; ``False`` (and not counted) when over the limit."""
        now = self.clock()
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        self._hits.move_to_end(key)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        while len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)
        return True

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may act again (at least 1), for ``Retry-After``."""
        hits = self._hits.get(key)
        if not hits:
            return 1
        return max(1, int(hits[0] + self.window - self.clock()) + 1)


class Csrf:
    """Double-submit CSRF tokens bound to a cookie, under a per-process key."""

    COOKIE = "booking_csrf"

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def new_nonce(self) -> str:
        """A fresh random nonce for the cookie."""
        return secrets.token_urlsafe(16)

    def token(self, nonce: str) -> str:
        """The form token of ``nonce``: its HMAC-SHA256 under this process's key."""
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()

    def check(self, nonce: str | None, token: str | None) -> bool:
        """Whether ``token`` is the token of ``nonce`` (constant-time; missing or oversized
        values fail).
        """
        if not nonce or not token or len(nonce) > 64 or len(token) > 128:
            return False
        return hmac.compare_digest(self.token(nonce), token)
