"""The feed tests of the old http.server feed server, run against the web service (uvicorn).

The test functions are imported from ``test_feed_server``; pytest runs them here with this
module's ``server`` fixture, so the same URLs, token rules, ETag/304 and 404 behaviour, and
token-free logs are proven on the new server. (The caplog test listens on the feed logger; the
web service's redacted access log is checked in test_web_booking.)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from sessions_tui.clock import FixedClock
from sessions_tui.store.db import Database
from sessions_tui.web.server import ServerThread

from .test_feed_server import test_feed_over_http as _feed_over_http
from .test_feed_server import test_many_clients_at_once as _many_clients

test_feed_over_http_on_web_service = _feed_over_http
test_many_clients_at_once_on_web_service = _many_clients


@pytest.fixture
def server(demo_db: Database, clock: FixedClock) -> Iterator[ServerThread]:
    with ServerThread(demo_db, clock) as srv:
        yield srv


def test_access_log_has_no_token(
    server: ServerThread, demo_db: Database, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    import urllib.request

    from sessions_tui.services import feeds, practice
    from sessions_tui.services.context import make_context

    caplog.set_level(logging.INFO, logger="sessions_tui.feed")
    ctx = make_context(demo_db, clock, "alice")
    ben = practice.find_practitioner(ctx, "ben")
    url = str(feeds.ensure_feed(ctx, ben.id).url(server.base_url))
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200
    token = url.rsplit("/", 1)[1]
    # The access line is written by the server thread once the response is sent: wait for it.
    deadline = time.monotonic() + 10
    while True:
        lines = [r.getMessage() for r in caplog.records if r.name == "sessions_tui.feed"]
        if any(" 200 " in line for line in lines) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert any("/feeds/<token>.ics" in line and " 200 " in line for line in lines)
    assert not any(token[:20] in line for line in lines)


def test_health(server: ServerThread) -> None:
    import json
    import urllib.request

    with urllib.request.urlopen(server.base_url + "/health", timeout=10) as resp:
        assert resp.status == 200
        assert json.loads(resp.read()) == {"status": "ok"}
