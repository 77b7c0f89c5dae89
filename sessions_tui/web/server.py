"""Running the web service on uvicorn, with its limits.

Why uvicorn: it is the most used ASGI server, kept by the Encode team with Starlette; its
pure-Python h11 protocol needs no compiler; and it has what this service needs built in —
``limit_concurrency`` (a 503 past N connections/tasks instead of unbounded threads),
``timeout_keep_alive``, ``backlog``, graceful shutdown on SIGINT/SIGTERM with
``timeout_graceful_shutdown``, and trusted proxy headers (``forwarded_allow_ips``) for running
behind a TLS reverse proxy. Hypercorn would add HTTP/2 we do not need behind a proxy; granian
is a Rust binary, harder to debug here.

One gap filled here: uvicorn only times out a connection *after* a response, so a client that
connects and sends nothing (or half a request line) would hold its socket forever.
:class:`TimedH11Protocol` closes a connection that has no request under way
``header_timeout`` seconds after it opened or after its last response. It also caps the
connections one address may hold open (``max_per_address``; the trusted proxy's addresses are
exempt), so one address's idle sockets cannot fill ``limit_concurrency`` for every visitor.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from sessions_tui.clock import Clock
from sessions_tui.web.app import Limits, create_app

if TYPE_CHECKING:
    from sessions_tui.store.db import Database


@dataclass(frozen=True)
class ServeOptions:
    """How the server listens.

    Attributes:
        host: Address to bind (keep 127.0.0.1 behind a reverse proxy).
        port: Port (0 picks a free one).
        max_connections: Past this many open connections (or requests under way) new ones get
            503 at once.
        idle_timeout: Seconds an open connection may wait for its next request (also the
            keep-alive timeout).
        shutdown_timeout: Seconds a graceful shutdown waits for requests under way.
        proxy_ips: Addresses whose ``X-Forwarded-For``/``-Proto`` are believed.
        max_per_address: Open connections one address may hold (past it new ones are closed
            at once); the ``proxy_ips`` are exempt.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    max_connections: int = 1000
    idle_timeout: float = 10.0
    shutdown_timeout: float = 10.0
    proxy_ips: str = "127.0.0.1"
    max_per_address: int = 50


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections that sit without a request."""

    header_timeout: float = 10.0
    max_per_address: int = 0
    """0: no cap."""
    exempt: frozenset[str] = frozenset()
    open_by_address: dict[str, int] = {}  # each bound subclass gets its own (make_config)
    _idle_timer: asyncio.TimerHandle | None = None
    _counted: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Count the connection against its address (closing it past the cap), and start the
        idle timer."""
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        host = str(peer[0]) if peer else ""
        if self.max_per_address and host and host not in self.exempt:
            if self.open_by_address.get(host, 0) >= self.max_per_address:
                transport.close()
                return
            self.open_by_address[host] = self.open_by_address.get(host, 0) + 1
            self._counted = host
        self._arm()

    def _arm(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._idle_timer = self.loop.call_later(self.header_timeout, self._idle_check)

    def _idle_check(self) -> None:
        self._idle_timer = None
        busy = self.cycle is not None and not self.cycle.response_complete
        if not busy and not self.transport.is_closing():
            self.transport.close()

    def on_response_complete(self) -> None:
        """Re-arm the idle timer for the next request of a kept-alive connection."""
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Cancel the idle timer and uncount the connection."""
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if self._counted is not None:
            left = self.open_by_address.get(self._counted, 1) - 1
            if left > 0:
                self.open_by_address[self._counted] = left
            else:
                self.open_by_address.pop(self._counted, None)
            self._counted = None
        super().connection_lost(exc)


def make_config(app: Any, options: ServeOptions) -> uvicorn.Config:
    """uvicorn's configuration for ``app``: the idle timeout, connection limit, proxy
    headers from ``proxy_ips``, and no access log of its own (paths hold secrets).
    """
    protocol = type(
        "BoundTimedH11Protocol",
        (TimedH11Protocol,),
        {
            "header_timeout": options.idle_timeout,
            "max_per_address": options.max_per_address,
            "exempt": frozenset(ip.strip() for ip in options.proxy_ips.split(",")),
            "open_by_address": {},
        },
    )
    return uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        http=protocol,
        ws="none",
        lifespan="off",
        limit_concurrency=options.max_connections,
        backlog=2048,
        timeout_keep_alive=int(max(1, options.idle_timeout)),
        timeout_graceful_shutdown=int(options.shutdown_timeout),
        proxy_headers=True,
        forwarded_allow_ips=options.proxy_ips,
        server_header=False,
        date_header=True,
        # uvicorn's access log prints the path, which holds feed tokens and booking links;
        # the Guard writes a redacted one instead.
        access_log=False,
        log_config=None,
    )


class ServerThread:
    """The service on a background thread (tests, benchmarks): start, address, stop."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        options: ServeOptions | None = None,
        limits: Limits | None = None,
        *,
        feed_cache: bool = True,
    ) -> None:
        options = options or ServeOptions(port=0)
        self.app = create_app(db, clock, limits, feed_cache=feed_cache)
        self.server = uvicorn.Server(make_config(self.app, options))
        self._thread = threading.Thread(target=self.server.run, name="web", daemon=True)

    def start(self, timeout: float = 15.0) -> ServerThread:
        """Start serving and wait until the socket is bound; ``RuntimeError`` after ``timeout``."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web service did not start")
            time.sleep(0.02)
        return self

    @property
    def server_address(self) -> tuple[str, int]:
        """``(host, port)`` actually bound (like ``http.server``'s attribute)."""
        sock = self.server.servers[0].sockets[0]
        host, port = sock.getsockname()[:2]
        return str(host), int(port)

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the bound socket."""
        host, port = self.server_address
        return f"http://{host}:{port}"

    def shutdown(self) -> None:
        """Ask the server to exit and wait for its thread (up to 15 s)."""
        self.server.should_exit = True
        self._thread.join(15)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
