"""The feed server over real HTTP, and the feed settings service."""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import icalendar
import pytest

from sessions_tui.clock import FixedClock
from sessions_tui.domain.errors import PermissionDenied, ValidationError
from sessions_tui.services import feeds, practice
from sessions_tui.services.context import Context, make_context
from sessions_tui.services.feeds import IdentifierMode
from sessions_tui.store.db import Database
from sessions_tui.sync.feed import FeedServer, make_server


@pytest.fixture
def server(demo_db: Database, clock: FixedClock) -> Iterator[FeedServer]:
    srv = make_server(demo_db, clock, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _base(srv: FeedServer) -> str:
    host, port = srv.server_address[:2]
    return f"http://{host!s}:{port}"


def test_feed_over_http(
    server: FeedServer, demo_ctx: Context, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sessions_tui.feed")
    ben = practice.find_practitioner(demo_ctx, "ben")
    carmen = practice.find_practitioner(demo_ctx, "carmen")
    url = feeds.ensure_feed(demo_ctx, ben.id).url(_base(server))
    assert url is not None
    token = url.rsplit("/", 1)[1][: -len(".ics")]
    assert len(token) >= 43  # 32 random bytes

    status, headers, body = _get(url)
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert headers["ETag"].startswith('"')
    assert "GMT" in headers["Last-Modified"]
    cal = icalendar.Calendar.from_ical(body)
    assert len(cal.events) > 10

    status, _, body2 = _get(url, **{"If-None-Match": headers["ETag"]})
    assert status == 304
    assert body2 == b""
    status, _, _ = _get(url, **{"If-Modified-Since": headers["Last-Modified"]})
    assert status == 304

    # A wrong token, and any other path, get a bare 404.
    for bad in (url[:-6] + "x.ics", _base(server) + "/feeds/", _base(server) + "/"):
        status, _, body = _get(bad)
        assert (status, body) == (404, b"")

    # No other practitioner's events: Carmen's UIDs never appear in Ben's feed.
    carmen_cal = icalendar.Calendar.from_ical(feeds_body(demo_ctx, carmen.id, server))
    shared = {str(e["UID"]) for e in carmen_cal.events} & {str(e["UID"]) for e in cal.events}
    with demo_ctx.db.session() as s:
        from sqlalchemy import select

        from sessions_tui.store.tables import EventRow

        practice_wide = {
            uid
            for (uid,) in s.execute(select(EventRow.uid).where(EventRow.practitioner_id.is_(None)))
        }  # type: ignore[union-attr]
    assert shared <= practice_wide

    # An identifier change shows in the next fetch, with a new ETag.
    feeds.set_identifier(demo_ctx, ben.id, IdentifierMode.INTERNAL_ID)
    status, headers3, body3 = _get(url, **{"If-None-Match": headers["ETag"]})
    assert status == 200
    assert headers3["ETag"] != headers["ETag"]
    assert b"SUMMARY:C-10" in body3
    assert b"SUMMARY:C-10" not in body

    # Rotating: the old URL is a bare 404, the new one works.
    new_url = feeds.rotate_token(demo_ctx, ben.id).url(_base(server))
    assert new_url != url
    assert _get(url)[:3:2] == (404, b"")
    assert _get(str(new_url))[0] == 200

    # Turned off: 404 too.
    feeds.set_enabled(demo_ctx, ben.id, False)
    assert _get(str(new_url))[0] == 404
    # The log never holds a token.
    assert caplog.records
    for record in caplog.records:
        assert token not in record.getMessage()
        assert str(new_url).rsplit("/", 1)[1] not in record.getMessage()


def feeds_body(ctx: Context, practitioner_id: int, srv: FeedServer) -> bytes:
    url = feeds.ensure_feed(ctx, practitioner_id).url(_base(srv))
    status, _, body = _get(str(url))
    assert status == 200
    return body


def test_many_clients_at_once(server: FeedServer, demo_ctx: Context) -> None:
    ben = practice.find_practitioner(demo_ctx, "ben")
    url = str(feeds.ensure_feed(demo_ctx, ben.id).url(_base(server)))
    results: list[int] = []
    lock = threading.Lock()

    def fetch() -> None:
        status = _get(url)[0]
        with lock:
            results.append(status)

    threads = [threading.Thread(target=fetch) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [200] * 20


def test_feed_settings_service_rules(demo_db: Database, clock: FixedClock) -> None:
    alice = make_context(demo_db, clock, "alice")
    ben_ctx = make_context(demo_db, clock, "ben")
    ben = ben_ctx.require_actor()
    carmen = practice.find_practitioner(alice, "carmen")
    default = feeds.get_feed(ben_ctx, ben.id)
    assert (default.enabled, default.identifier, default.token) == (
        False,
        IdentifierMode.INITIALS,
        None,
    )
    with pytest.raises(PermissionDenied):
        feeds.get_feed(ben_ctx, carmen.id)
    with pytest.raises(PermissionDenied):
        feeds.rotate_token(ben_ctx, carmen.id)
    assert [f.practitioner_id for f in feeds.list_feeds(ben_ctx)] == [ben.id]
    assert len(feeds.list_feeds(alice)) == 4
    with pytest.raises(ValidationError, match="confirmation"):
        feeds.set_identifier(ben_ctx, ben.id, IdentifierMode.FULL)
    assert (
        feeds.set_identifier(ben_ctx, ben.id, IdentifierMode.FULL, confirm_pii=True).identifier
        is IdentifierMode.FULL
    )
    on = feeds.set_enabled(ben_ctx, ben.id, True)
    assert on.token is not None
    assert feeds.feed_by_token(demo_db, on.token) is not None
    assert feeds.feed_by_token(demo_db, on.token + "x") is None
    assert IdentifierMode.INTERNAL_ID in feeds.available_identifiers(alice)  # demo has IDs on
    practice.update_settings(alice, internal_ids=False)
    assert IdentifierMode.INTERNAL_ID not in feeds.available_identifiers(alice)
    with pytest.raises(ValidationError, match="Internal IDs"):
        feeds.set_identifier(ben_ctx, ben.id, IdentifierMode.INTERNAL_ID)
