"""The practice web service as an ASGI app (Starlette): feeds, booking pages, health.

Handlers call services only, in Starlette's thread pool (the services are synchronous and
open their own units of work), so the event loop keeps serving other connections meanwhile.

- ``GET|HEAD /feeds/<token>.ics``: a practitioner's ICS feed, with the rules of the feed server
  it replaces (:mod:`sessions_tui.sync.feed`): a bare 404 for an unknown, rotated or disabled
  token, ``ETag``/``Last-Modified`` and 304 for a matching conditional GET, no token in logs.
- ``/book/<key>…``: the booking pages (:mod:`sessions_tui.web.booking_pages`).
- ``/r/<token>``: a reminder's confirm/cancel page (:mod:`sessions_tui.web.reminder_pages`).
- ``GET /health``: 200 ``{"status": "ok"}`` when the database answers, else 503.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sessions_tui.clock import Clock
from sessions_tui.services.feeds import feed_by_token
from sessions_tui.sync.feed import CONTENT_TYPE, FeedApp, _not_modified
from sessions_tui.web import booking_pages, reminder_pages
from sessions_tui.web.guard import BodyTooLarge, Csrf, Guard, RateLimiter

if TYPE_CHECKING:
    from sessions_tui.store.db import Database

log = logging.getLogger("sessions_tui.web")

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Limits:
    """The service's limits (``web serve`` options set some of them).

    Attributes:
        max_body: Largest request body accepted, in bytes (the booking form is far smaller).
        request_timeout: Seconds a request may take, its body included, before a 503.
        posts_per_address: Booking requests one address may send per ``post_window``.
        posts_per_practitioner: Booking requests one practitioner's page takes per hour.
        pages_per_address: Page views (and booking posts of any kind) one address may make
            per minute.
        feeds_per_address: Feed requests one address may make per minute (429 past it).

    ``posts_per_address`` counts only requests that passed every check (a typing mistake or a
    refused post does not); ``posts_per_practitioner`` counts only requests whose address
    confirmed them, so strangers cannot use up a practitioner's page for everyone.
    """

    max_body: int = 16 * 1024
    request_timeout: float = 30.0
    posts_per_address: int = 5
    post_window: float = 600.0
    posts_per_practitioner: int = 30
    pages_per_address: int = 120
    feeds_per_address: int = 60


@dataclass
class WebState:
    """What the handlers share: the database, the clock, the feed cache and the limiters."""

    db: Database
    clock: Clock
    limits: Limits
    feeds: FeedApp
    csrf: Csrf = field(default_factory=Csrf)
    post_by_address: RateLimiter = field(init=False)
    post_by_practitioner: RateLimiter = field(init=False)
    page_by_address: RateLimiter = field(init=False)
    feed_by_address: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        lim = self.limits
        self.post_by_address = RateLimiter(lim.posts_per_address, lim.post_window)
        self.post_by_practitioner = RateLimiter(lim.posts_per_practitioner, 3600.0)
        self.page_by_address = RateLimiter(lim.pages_per_address, 60.0)
        self.feed_by_address = RateLimiter(lim.feeds_per_address, 60.0)


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def _bare(status: int) -> Response:
    return Response(b"", status_code=status, headers={"content-length": "0"})


async def feed(request: Request) -> Response:
    """``GET|HEAD /feeds/<token>.ics``: the feed, 304 when the conditional GET matches, a bare
    404 for a bad or unknown token, 503/500 (logged) when the lookup or rendering fails.
    """
    web = _state(request)
    client = request.client.host if request.client else "-"
    if not web.feed_by_address.allow(client):
        return Response(
            b"",
            status_code=429,
            headers={
                "content-length": "0",
                "retry-after": str(web.feed_by_address.retry_after(client)),
            },
        )
    name = request.path_params["name"]
    if not name.endswith(".ics") or len(name) > 210:
        return _bare(404)
    token = name[: -len(".ics")]
    if not token or not all(c.isalnum() or c in "-_" for c in token):
        return _bare(404)
    try:
        found = await run_in_threadpool(feed_by_token, web.db, token)
    except Exception:
        log.exception("feed lookup failed")
        return _bare(503)
    if found is None:
        return _bare(404)
    try:
        entry = await run_in_threadpool(web.feeds.render, found)
    except Exception:
        log.exception("feed of practitioner %s failed", found.practitioner_id)
        return _bare(500)
    common = {
        "ETag": entry.etag,
        "Last-Modified": format_datetime(entry.last_modified, usegmt=True),
        "Cache-Control": "private, no-cache",
    }
    if _not_modified(request.headers, entry):
        return _cased(Response(status_code=304), common)
    body = b"" if request.method == "HEAD" else entry.body
    headers = {"Content-Type": CONTENT_TYPE, "Content-Length": str(len(entry.body)), **common}
    return _cased(Response(body, status_code=200), headers)


def _cased(response: Response, headers: dict[str, str]) -> Response:
    """Headers spelled as the old feed server sent them (HTTP does not care, some scripts do)."""
    response.raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]
    return response


async def health(request: Request) -> Response:
    """``GET /health``: ``{"status": "ok"}``, or 503 when the database does not answer."""
    web = _state(request)

    try:
        await run_in_threadpool(web.db.ping)
    except Exception:
        log.exception("health check: the database did not answer")
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


async def not_found(request: Request, _exc: Exception) -> Response:
    """Every 404 is bare: no body that would tell a prober what exists."""
    return _bare(404)


async def too_large(request: Request, _exc: Exception) -> Response:
    """413 for a request body over the Guard's limit."""
    # Raised by the Guard's receive() while a handler reads a streamed body past the limit.
    return Response(b"Request body too large.", status_code=413, media_type="text/plain")


def create_app(
    db: Database,
    clock: Clock,
    limits: Limits | None = None,
    *,
    feed_cache: bool = True,
    on_startup: list[object] | None = None,
) -> Guard:
    """The whole service, wrapped in its :class:`~sessions_tui.web.guard.Guard`."""
    limits = limits or Limits()
    state = WebState(db, clock, limits, FeedApp(db, clock, cache=feed_cache))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield

    app = Starlette(
        routes=[
            Route("/health", health, methods=["GET", "HEAD"]),
            Route("/feeds/{name}", feed, methods=["GET", "HEAD"]),
            *booking_pages.routes(),
            *reminder_pages.routes(),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={404: not_found, BodyTooLarge: too_large},
        lifespan=lifespan,
    )
    app.state.web = state
    # Starlette's own trailing-slash redirect writes the Host header into Location.
    app.router.redirect_slashes = False
    return Guard(app, max_body=limits.max_body, request_timeout=limits.request_timeout)
