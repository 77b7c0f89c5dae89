"""The ICS feed server: ``GET /feeds/<token>.ics`` → a practitioner's calendar.

A :class:`http.server.ThreadingHTTPServer` (one thread per connection, so many calendar apps
poll at once). The token is looked up by its sha256 and compared in constant time
(:func:`sessions_tui.services.feeds.feed_by_token`); an unknown, rotated or disabled token gets a
bare 404. Bodies are cached by a fingerprint of everything they depend on (events, exdates,
client names, locations, the identifier choice, practice and practitioner names), so a change of
the identifier shows in the next fetch. ``ETag`` is that fingerprint; ``Last-Modified`` is the
newest change; conditional GETs that match get 304. Request logs never contain the token.

Serve plain HTTP on 127.0.0.1 and put a TLS reverse proxy in front (docs/ICS.md).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sessions_tui.clock import Clock
from sessions_tui.services.feeds import FeedSettings, feed_by_token
from sessions_tui.store.db import Database
from sessions_tui.store.queries import staff_from_row
from sessions_tui.store.tables import ReminderSettingsRow, StaffRow
from sessions_tui.sync.ics import FeedState, build_calendar, feed_state

log = logging.getLogger("sessions_tui.feed")

_PATH = re.compile(r"^/feeds/([A-Za-z0-9_-]{1,200})\.ics$")
CONTENT_TYPE = "text/calendar; charset=utf-8"


@dataclass
class _Entry:
    state_key: tuple[Any, ...]
    etag: str
    body: bytes
    last_modified: datetime


@dataclass
class FeedApp:
    """What the handler needs: the database, the clock, and the body cache.

    Attributes:
        db: The practice database (one engine shared by the server's threads).
        clock: Gives DTSTAMP and Last-Modified fallbacks.
        cache: Keep generated bodies while their fingerprint holds (off for benchmarks).
        max_entries: How many feeds' bodies to keep.
    """

    db: Database
    clock: Clock
    cache: bool = True
    max_entries: int = 256
    _entries: OrderedDict[int, _Entry] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Building a body is CPU-bound (the GIL runs one at a time anyway); letting every request
    # thread build at once would only hold every pooled connection and starve lookups.
    _renders: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(4)
    )

    def render(self, feed: FeedSettings) -> _Entry:
        """The current body of ``feed``: from the cache when its fingerprint still holds."""
        with self._renders:
            return self._render(feed)

    def _render(self, feed: FeedSettings) -> _Entry:
        with self.db.session() as s:
            state: FeedState = feed_state(s, feed.practitioner_id, feed.identifier, feed.updated_at)
            with self._lock:
                cached = self._entries.get(feed.practitioner_id)
            if self.cache and cached is not None and cached.state_key == state.key:
                return cached
            person_row = s.get(StaffRow, feed.practitioner_id)
            assert person_row is not None
            now = self.clock.now()
            reminders = s.get(ReminderSettingsRow, 1)
            cal = build_calendar(
                s,
                practitioner=staff_from_row(person_row),
                identifier=feed.identifier,
                now=now,
                alarm_minutes=reminders.feed_alarm_minutes if reminders else None,
            )
            body = bytes(cal.to_ical())
        etag = '"' + hashlib.sha256(repr(state.key).encode()).hexdigest()[:32] + '"'
        last_modified = state.last_modified or now
        changed = cached is not None and cached.state_key != state.key
        if changed and cached is not None and last_modified <= cached.last_modified:
            # The body changed without a newer timestamp (a client renamed): move it on.
            last_modified = now
        entry = _Entry(state.key, etag, body, last_modified.astimezone(UTC).replace(microsecond=0))
        with self._lock:
            self._entries[feed.practitioner_id] = entry
            self._entries.move_to_end(feed.practitioner_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry


def _not_modified(headers: Any, entry: _Entry) -> bool:
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        return "*" in tags or entry.etag in tags or f"W/{entry.etag}" in tags
    ims = headers.get("If-Modified-Since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return entry.last_modified <= since
    return False


class FeedHandler(BaseHTTPRequestHandler):
    """GET/HEAD ``/feeds/<token>.ics``; anything else is a bare 404."""

    server_version = "sessions-tui-feed"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    app: FeedApp  # set on the subclass made by make_server

    def do_GET(self) -> None:
        """Serve ``GET``: the feed, 304, or a bare 404."""
        self._serve(head=False)

    def do_HEAD(self) -> None:
        """Serve ``HEAD``: as ``GET`` without the body."""
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        started = time.perf_counter()
        path = self.path.split("?", 1)[0]
        match = _PATH.match(path)
        try:
            feed = feed_by_token(self.app.db, match.group(1)) if match else None
        except Exception:
            log.exception("feed lookup failed")
            self._bare(HTTPStatus.SERVICE_UNAVAILABLE)
            self._log(503, 0, started)
            return
        if feed is None:
            self._bare(HTTPStatus.NOT_FOUND)
            self._log(404, 0, started)
            return
        try:
            entry = self.app.render(feed)
        except Exception:
            log.exception("feed of practitioner %s failed", feed.practitioner_id)
            self._bare(HTTPStatus.INTERNAL_SERVER_ERROR)
            self._log(500, 0, started)
            return
        common = {
            "ETag": entry.etag,
            "Last-Modified": format_datetime(entry.last_modified, usegmt=True),
            "Cache-Control": "private, no-cache",
        }
        if _not_modified(self.headers, entry):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            for k, v in common.items():
                self.send_header(k, v)
            self.end_headers()
            self._log(304, 0, started)
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(entry.body)))
        for k, v in common.items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(entry.body)
        self._log(200, len(entry.body), started)

    def _bare(self, status: HTTPStatus) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _log(self, status: int, size: int, started: float) -> None:
        # Never the path: it holds the secret token.
        log.info(
            '%s "%s /feeds/<token>.ics" %d %d %.1fms',
            self.address_string(),
            self.command,
            status,
            size,
            (time.perf_counter() - started) * 1000,
        )

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the stdlib's log line, which would print the token in the path."""


class FeedServer(ThreadingHTTPServer):
    """A threading HTTP server whose handler threads do not block shutdown."""

    daemon_threads = True
    request_queue_size = 128


def make_server(
    db: Database, clock: Clock, host: str = "127.0.0.1", port: int = 8765, *, cache: bool = True
) -> FeedServer:
    """A ready (bound, not yet serving) feed server; ``port=0`` picks a free port."""
    app = FeedApp(db, clock, cache=cache)
    handler = type("BoundFeedHandler", (FeedHandler,), {"app": app})
    return FeedServer((host, port), handler)
