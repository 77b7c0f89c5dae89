"""Issue 17: read-only ICS subscriptions, against real HTTP servers on 127.0.0.1.

A small ``http.server`` in this process serves a feed whose body, validators and failure mode
each test changes; the practice's own web service (``sessions_tui.web``) serves a
practitioner's feed for another to subscribe to. The promises: a 304 changes nothing; events
that leave the feed go; a feed that goes bad keeps the last good copy and says so; busy
subscriptions block booking and free ones do not; nothing ever duplicates; a series with
EXDATE and an overridden occurrence shows as the feed says (across a DST change); only those
allowed may subscribe; subscribed events are never republished in our own feeds.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from sessions_tui.clock import FixedClock
from sessions_tui.domain.errors import PermissionDenied, ValidationError
from sessions_tui.domain.model import Role, Staff
from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval
from sessions_tui.domain.subscriptions import BusyMode, is_subscribed, normalize_url, source_of
from sessions_tui.services import appointments, hours, practice, scheduling
from sessions_tui.services.availability import open_slots
from sessions_tui.services.context import Context
from sessions_tui.services.subscriptions import list_subscriptions
from sessions_tui.store.db import Database
from sessions_tui.store.tables import EventRow, ExdateRow
from sessions_tui.sync import subscriptions as subs
from sessions_tui.sync.subscription_fetch import fetch

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 10, 20, 15, 0, tzinfo=UTC)


# --- a feed server ---------------------------------------------------------------------------


@dataclass
class Feed:
    """What the test server answers; ``requests`` records each request's headers."""

    body: bytes = b""
    etag: bool = True
    last_modified: str | None = "Tue, 20 Oct 2026 12:00:00 GMT"
    mode: str = "ok"  # ok | 500 | 404 | garbage | html | huge | slow | drip
    requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def tag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


class _Handler(BaseHTTPRequestHandler):
    feed: Feed

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        feed = self.server.feed  # type: ignore[attr-defined]
        feed.requests.append(dict(self.headers.items()))
        if feed.mode in ("500", "404"):
            self.send_error(int(feed.mode))
            return
        if feed.mode == "slow":
            time.sleep(1.5)
        body = feed.body
        if feed.mode == "garbage":
            body = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:notadate\r\nEND:VEVENT\r\n"
        elif feed.mode == "html":
            body = b"<html><body>Sign in to see this calendar</body></html>"
        elif feed.mode == "huge":
            body = b"BEGIN:VCALENDAR\r\n" + b"X-PAD:" + b"x" * 300_000 + b"\r\n"
        if feed.mode == "ok" and feed.etag and self.headers.get("If-None-Match") == feed.tag:
            self.send_response(304)
            self.send_header("ETag", feed.tag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar; charset=utf-8")
        if feed.mode == "drip":
            self.end_headers()  # no length: read until closed, a byte at a time
            for b in body[:40]:
                self.wfile.write(bytes([b]))
                self.wfile.flush()
                time.sleep(0.1)
            return
        self.send_header("Content-Length", str(len(body)))
        if feed.etag:
            self.send_header("ETag", feed.tag)
        if feed.last_modified:
            self.send_header("Last-Modified", feed.last_modified)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def feed() -> Iterator[tuple[Feed, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.feed = Feed()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.feed, f"http://127.0.0.1:{server.server_address[1]}/cal.ics"  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def ics(*events: str, name: str = "Partner") -> bytes:
    head = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nX-WR-CALNAME:{name}\r\n"
    return (head + "".join(events) + "END:VCALENDAR\r\n").encode()


def vevent(uid: str, start: str, end: str, summary: str = "Busy", extra: str = "") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261001T000000Z\r\n"
        f"DTSTART;TZID=America/Chicago:{start}\r\nDTEND;TZID=America/Chicago:{end}\r\n"
        f"SUMMARY:{summary}\r\n{extra}END:VEVENT\r\n"
    )


# --- a practice ---------------------------------------------------------------------------------


class Practice:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.clock = FixedClock(NOW)
        admin = practice.add_staff(
            Context(db, self.clock, None), "admin", "Ada Admin", {Role.ADMIN}
        )
        self.admin = Context(db, self.clock, admin)
        self.ann = practice.add_staff(self.admin, "ann", "Ann Lee", {Role.PRACTITIONER})
        self.bob = practice.add_staff(self.admin, "bob", "Bob Gray", {Role.PRACTITIONER})
        self.sched = practice.add_staff(self.admin, "sue", "Sue Park", {Role.SCHEDULER})
        for who in (self.ann, self.bob):
            week = tuple(WeeklyInterval(d, _t(9), _t(17)) for d in range(5))
            hours.set_hours(
                self.admin, WeeklyHours("America/Chicago", week, who.id), kind=hours.AVAILABILITY
            )

    def as_(self, who: Staff, now: datetime = NOW) -> Context:
        return Context(self.db, FixedClock(now), who)

    def rows(self, sub_id: int) -> list[EventRow]:
        with self.db.read() as s:
            return list(
                s.execute(
                    select(EventRow)
                    .where(EventRow.source_calendar == source_of(sub_id))
                    .order_by(EventRow.uid)
                ).scalars()
            )

    def state(self, sub_id: int) -> list[tuple[object, ...]]:
        """Everything stored of a subscription's events (with versions and times)."""
        with self.db.read() as s:
            ex = sorted(s.execute(select(ExdateRow.series_id, ExdateRow.recurrence_key)).all())
        return [
            (r.uid, r.version, r.updated_at, r.start_utc, r.title, r.busy, r.series_id)
            for r in self.rows(sub_id)
        ] + [("exdates", tuple(ex))]


def _t(h: int):
    from datetime import time as t

    return t(h)


@pytest.fixture
def p(db: Database) -> Practice:
    return Practice(db)


def _agenda(ctx: Context, first: date, days: int, who: Staff) -> list[tuple[datetime, str]]:
    from sessions_tui.domain.timeutil import days_bounds

    start, end = days_bounds(first, days, CHICAGO)
    items = scheduling.agenda(ctx, start, end, CHICAGO, practitioner_ids=[who.id])
    return sorted(
        (i.start.astimezone(CHICAGO), i.title)  # type: ignore[union-attr,attr-defined]
        for i in items
        if is_subscribed(i.event.source_calendar)
    )


TWO = ics(
    vevent("a@x", "20261021T100000", "20261021T110000", "Lunch with Al"),
    vevent("b@x", "20261022T140000", "20261022T150000", "Dentist"),
)


# --- the promises -----------------------------------------------------------------------------


def test_a_304_changes_nothing_and_the_validators_are_sent(p: Practice, feed) -> None:
    server, url = feed
    server.body = TWO
    first = subs.subscribe(p.as_(p.ann), url, name="Partner", practitioner_id=p.ann.id)
    assert (first.added, first.subscription.event_count) == (2, 2)
    before = p.state(first.subscription.id)
    later = p.as_(p.ann, NOW + timedelta(hours=2))
    again = subs.refresh(later, "Partner")
    assert again.outcome == "unchanged"
    assert server.requests[-1].get("If-None-Match") == server.tag
    assert server.requests[-1].get("If-Modified-Since") == server.last_modified
    assert p.state(first.subscription.id) == before  # no version, time or row moved
    assert again.subscription.last_success_at == NOW + timedelta(hours=2)
    # A server without validators that sends the same body: nothing is rewritten either.
    server.etag, server.last_modified = False, None
    subs.refresh(p.as_(p.ann, NOW + timedelta(hours=3)), "Partner")
    assert p.state(first.subscription.id) == before


def test_events_that_leave_the_feed_are_removed_and_changes_are_applied(p: Practice, feed) -> None:
    server, url = feed
    weekly = vevent(
        "w@x", "20261026T090000", "20261026T093000", "Standup", "RRULE:FREQ=WEEKLY;COUNT=4\r\n"
    )
    moved = vevent(
        "w@x",
        "20261102T120000",
        "20261102T123000",
        "Standup (moved)",
        "RECURRENCE-ID;TZID=America/Chicago:20261102T090000\r\n",
    )
    server.body = ics(
        *[vevent("a@x", "20261021T100000", "20261021T110000", "Lunch")], weekly, moved
    )
    r = subs.subscribe(p.as_(p.ann), url, name="Partner", practitioner_id=p.ann.id)
    sid = r.subscription.id
    assert len(p.rows(sid)) == 3  # one-off, series, override
    server.body = ics(vevent("a@x", "20261021T100000", "20261021T113000", "Long lunch"))
    r2 = subs.refresh(p.as_(p.ann), str(sid))
    assert (r2.added, r2.updated, r2.removed) == (0, 1, 2)
    rows = p.rows(sid)
    assert [(x.uid, x.title) for x in rows] == [(f"a@x#s{sid}", "Long lunch")]
    with p.db.read() as s:
        assert s.execute(select(func.count()).select_from(ExdateRow)).scalar_one() == 0
    assert _agenda(p.as_(p.ann), date(2026, 10, 19), 30, p.ann) == [
        (datetime(2026, 10, 21, 10, 0, tzinfo=CHICAGO), "Long lunch")
    ]


@pytest.mark.parametrize("mode", ["500", "404", "garbage", "html", "huge", "slow", "drip", "down"])
def test_a_feed_that_goes_bad_keeps_the_last_good_copy_and_says_so(
    p: Practice, feed, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, url = feed
    server.body = TWO
    sub = subs.subscribe(p.as_(p.ann), url, name="Partner", practitioner_id=p.ann.id).subscription
    before = p.state(sub.id)
    server.mode = mode
    if mode == "down":
        server.mode = "ok"
        url_down = "http://127.0.0.1:9/cal.ics"  # the discard port: nothing listens
        with p.db.session() as s:
            from sessions_tui.store.tables import SubscriptionRow

            row = s.get(SubscriptionRow, sub.id)
            assert row is not None
            row.url = url_down

    def small(u: str, **kw: object):
        return fetch(u, timeout=1.0, deadline=1.0, max_bytes=200_000, **kw)  # type: ignore[arg-type]

    later = p.as_(p.ann, NOW + timedelta(hours=1))
    result = subs.refresh(later, "Partner", fetcher=small)
    assert result.outcome == "failed"
    assert p.state(sub.id) == before  # the last good copy, untouched
    listed = list_subscriptions(later)[0]
    assert listed.last_success_at == NOW
    assert listed.last_error_at == NOW + timedelta(hours=1)
    assert listed.last_error
    assert "\n" not in listed.last_error
    assert listed.status_line().startswith("failing: ")
    assert "keeping the last good copy" in listed.status_line()
    assert "2 events" in result.summary()
    # It comes back: the next refresh succeeds and clears the error.
    if mode != "down":
        server.mode = "ok"
        server.body = TWO + b""  # same content; validators decide
        back = subs.refresh(p.as_(p.ann, NOW + timedelta(hours=2)), "Partner")
        assert back.ok
        assert list_subscriptions(later)[0].last_error is None


def test_busy_blocks_availability_and_free_does_not(p: Practice, feed) -> None:
    server, url = feed
    # Wednesday 21 Oct 2026, 10:00-11:00 Chicago.
    server.body = ics(vevent("a@x", "20261021T100000", "20261021T110000", "Partner busy"))
    day0 = datetime(2026, 10, 21, 9, 0, tzinfo=CHICAGO)
    day1 = datetime(2026, 10, 21, 12, 0, tzinfo=CHICAGO)

    def starts(who: Staff) -> list[datetime]:
        found = open_slots(p.admin, who.id, day0, day1, timedelta(hours=1))
        return [x.start.astimezone(CHICAGO) for x in found]

    ten = datetime(2026, 10, 21, 10, 0, tzinfo=CHICAGO)
    assert ten in starts(p.ann)
    subs.subscribe(p.as_(p.ann), url, name="Busy one", practitioner_id=p.ann.id, busy=BusyMode.BUSY)
    subs.subscribe(p.as_(p.bob), url, name="Free one", practitioner_id=p.bob.id, busy=BusyMode.FREE)
    assert ten not in starts(p.ann)
    assert ten in starts(p.bob)
    # As the feed marks it: TRANSP:TRANSPARENT is free.
    server.body = ics(
        vevent("a@x", "20261021T100000", "20261021T110000", "FYI", "TRANSP:TRANSPARENT\r\n")
    )
    subs.subscribe(p.as_(p.bob), url, name="Free one", practitioner_id=p.bob.id)  # mode: feed
    assert ten in starts(p.bob)
    server.body = ics(vevent("a@x", "20261021T100000", "20261021T110000", "Real"))
    subs.refresh(p.as_(p.bob), "Free one", force=True)
    assert ten not in starts(p.bob)


def test_resubscribing_and_refreshing_never_duplicates(p: Practice, feed) -> None:
    server, url = feed
    server.body = TWO
    ctx = p.as_(p.ann)
    a = subs.subscribe(ctx, url, name="Partner", practitioner_id=p.ann.id)
    b = subs.subscribe(ctx, "  " + url + "  ", name="Partner again", practitioner_id=p.ann.id)
    assert a.subscription.id == b.subscription.id
    for _ in range(3):
        subs.refresh(ctx, str(a.subscription.id), force=True)
        subs.refresh_all(ctx)
    assert len(p.rows(a.subscription.id)) == 2
    assert [x.name for x in list_subscriptions(ctx)] == ["Partner again"]
    # The same feed for another practitioner, or imported by file: separate copies, no clash.
    from sessions_tui.sync.ics import import_calendar

    import_calendar(p.admin, TWO, practitioner_id=p.ann.id, name="partner.ics")
    subs.subscribe(p.as_(p.bob), url, name="Partner", practitioner_id=p.bob.id)
    subs.refresh_all(p.admin, due_only=False)
    with p.db.read() as s:
        total = s.execute(select(func.count()).select_from(EventRow)).scalar_one()
    assert total == 6
    with pytest.raises(ValidationError, match="already has a subscription named"):
        subs.subscribe(ctx, url + "?other", name="partner AGAIN", practitioner_id=p.ann.id)


def test_recurring_series_with_exdate_and_override_show_as_the_feed_says(p: Practice, feed) -> None:
    server, url = feed
    # Mondays 09:00 Chicago from 19 Oct 2026, across the DST change of 1 Nov; 26 Oct deleted,
    # 9 Nov moved to 13:00 and renamed.
    series = vevent(
        "s@x",
        "20261019T090000",
        "20261019T100000",
        "Supervision",
        "RRULE:FREQ=WEEKLY;COUNT=5\r\nEXDATE;TZID=America/Chicago:20261026T090000\r\n",
    )
    override = vevent(
        "s@x",
        "20261109T130000",
        "20261109T140000",
        "Supervision (moved)",
        "RECURRENCE-ID;TZID=America/Chicago:20261109T090000\r\n",
    )
    server.body = ics(override, series)  # override first: order in the feed does not matter
    subs.subscribe(p.as_(p.ann), url, name="Supervision", practitioner_id=p.ann.id)
    want = [
        (datetime(2026, 10, 19, 9, 0, tzinfo=CHICAGO), "Supervision"),
        (datetime(2026, 11, 2, 9, 0, tzinfo=CHICAGO), "Supervision"),
        (datetime(2026, 11, 9, 13, 0, tzinfo=CHICAGO), "Supervision (moved)"),
        (datetime(2026, 11, 16, 9, 0, tzinfo=CHICAGO), "Supervision"),
    ]
    assert _agenda(p.as_(p.ann), date(2026, 10, 18), 35, p.ann) == want
    # Again, and with the override removed from the feed: 9 Nov is back at 09:00.
    subs.refresh(p.as_(p.ann), "Supervision", force=True)
    assert _agenda(p.as_(p.ann), date(2026, 10, 18), 35, p.ann) == want
    server.body = ics(series)
    subs.refresh(p.as_(p.ann), "Supervision")
    assert _agenda(p.as_(p.ann), date(2026, 10, 18), 35, p.ann) == [
        *want[:2],
        (datetime(2026, 11, 9, 9, 0, tzinfo=CHICAGO), "Supervision"),
        want[3],
    ]


def test_who_may_subscribe_and_see_subscriptions(p: Practice, feed) -> None:
    server, url = feed
    server.body = TWO
    with pytest.raises(PermissionDenied, match="own calendar"):
        subs.subscribe(p.as_(p.ann), url, name="Bob's", practitioner_id=p.bob.id)
    assert list_subscriptions(p.admin) == []
    subs.subscribe(p.as_(p.sched), url, name="For Bob", practitioner_id=p.bob.id)
    mine = subs.subscribe(p.as_(p.ann), url, name="Mine", practitioner_id=p.ann.id)
    assert [s.name for s in list_subscriptions(p.as_(p.ann))] == ["Mine"]
    assert {s.name for s in list_subscriptions(p.admin)} == {"Mine", "For Bob"}
    with pytest.raises(PermissionDenied):
        subs.refresh(p.as_(p.ann), "For Bob")
    with pytest.raises(PermissionDenied):
        subs.remove(p.as_(p.ann), "For Bob")
    # A subscribed event is read-only: it changes in its feed.
    row = p.rows(mine.subscription.id)[0]
    assert row.id is not None
    ref = appointments.OccurrenceRef(row.id)
    with pytest.raises(PermissionDenied, match="read-only"):
        appointments.edit(p.as_(p.ann), ref, title="Mine now")
    with pytest.raises(PermissionDenied, match="read-only"):
        appointments.remove(p.as_(p.ann), ref)
    # Removing the subscription takes its events with it, and only them.
    sub, removed = subs.remove(p.as_(p.ann), "Mine")
    assert removed == 2
    assert p.rows(sub.id) == []
    assert {s.name for s in list_subscriptions(p.admin)} == {"For Bob"}


def test_bad_urls_and_a_first_fetch_that_fails_store_nothing(p: Practice, feed) -> None:
    server, url = feed
    assert normalize_url("webcal://example.org/a.ics") == "https://example.org/a.ics"
    for bad in ("ftp://example.org/a.ics", "file:///etc/passwd", "http://example.org/a.ics", ""):
        with pytest.raises(ValidationError):
            subs.subscribe(p.as_(p.ann), bad, name="X", practitioner_id=p.ann.id)
    server.mode = "404"
    with pytest.raises(ValidationError, match=r"HTTP 404.*nothing stored"):
        subs.subscribe(p.as_(p.ann), url, name="X", practitioner_id=p.ann.id)
    server.mode = "garbage"
    with pytest.raises(ValidationError, match="nothing stored"):
        subs.subscribe(p.as_(p.ann), url, name="X", practitioner_id=p.ann.id)
    assert list_subscriptions(p.admin) == []


def test_subscribing_to_our_own_feed_and_never_republishing(demo_db: Database) -> None:
    """Ben's feed, served by the practice web service, followed by Alice's calendar: Ben's
    sessions block Alice's time (initials only), and Alice's own feed does not republish them."""
    from sessions_tui.services import feeds
    from sessions_tui.services.context import make_context
    from sessions_tui.sync.ics import export_calendar
    from sessions_tui.web.server import ServerThread

    clock = FixedClock(datetime(2026, 11, 25, 16, 0, tzinfo=UTC))
    ctx = make_context(demo_db, clock, "alice")
    alice = practice.find_practitioner(ctx, "alice")
    ben = practice.find_practitioner(ctx, "ben")
    mine_before = export_calendar(ctx, practitioner_id=alice.id)
    with ServerThread(demo_db, clock) as srv:
        url = str(feeds.ensure_feed(ctx, ben.id).url(srv.base_url))
        first = subs.subscribe(ctx, url, name="Ben", practitioner_id=alice.id, busy=BusyMode.BUSY)
        assert first.added > 0
        again = subs.refresh(ctx, "Ben")
        assert again.outcome == "unchanged"  # the web service's ETag: a 304
    sid = first.subscription.id
    assert export_calendar(ctx, practitioner_id=alice.id) == mine_before
    theirs = export_calendar(ctx, practitioner_id=ben.id).decode()
    with demo_db.read() as s:
        n = s.execute(
            select(func.count())
            .select_from(EventRow)
            .where(EventRow.source_calendar == source_of(sid))
        ).scalar_one()
        uids = {
            u.removesuffix(f"#s{sid}")
            for u in s.execute(
                select(EventRow.uid).where(
                    EventRow.source_calendar == source_of(sid), EventRow.series_id.is_(None)
                )
            ).scalars()
        }
    assert n == first.subscription.event_count
    import icalendar

    published = {str(v["UID"]) for v in icalendar.Calendar.from_ical(theirs).walk("VEVENT")}
    assert uids
    assert uids <= published
    # Ben's sessions arrive as busy blocks named as his feed names them (initials).
    clients = {c.full_name for c in practice.list_clients(ctx)}
    titles = {r.title for r in p_rows(demo_db, sid)}
    assert titles
    assert not titles & clients


def p_rows(db: Database, sid: int) -> list[EventRow]:
    with db.read() as s:
        return list(
            s.execute(select(EventRow).where(EventRow.source_calendar == source_of(sid))).scalars()
        )


def test_an_import_cannot_pose_as_a_subscription(p: Practice) -> None:
    from sessions_tui.sync.ics import import_calendar

    with pytest.raises(ValidationError, match="reserved for subscriptions"):
        import_calendar(p.admin, TWO, practitioner_id=p.ann.id, label=source_of(1))
    with p.db.read() as s:
        assert s.execute(select(func.count()).select_from(EventRow)).scalar_one() == 0
