"""Issue 27, the booking page side, over real HTTP (uvicorn on 127.0.0.1).

Limits that count only what passed the checks; verification before a hold; "existing clients
only" answered alike for everyone; a timed-out request neither stored nor mailed; the done page
and HTTP hygiene. Visitors at other addresses come through the trusted proxy's
``X-Forwarded-For`` (the server trusts 127.0.0.1 by default), as they would in production.
"""

from __future__ import annotations

import http.client
import logging
import re
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from types import FrameType

import pytest

from sessions_tui.services import booking, booking_requests, practice
from sessions_tui.web.server import ServeOptions, ServerThread

from .test_booking import THU, Practice, at, make_practice
from .test_web_booking import (
    START,
    Browser,
    confirm,
    good,
    held,
    key,
    mails,
    serve,
    stored,
    verify_path,
)


@pytest.fixture
def pr(tmp_path) -> Iterator[Practice]:  # type: ignore[no-untyped-def]
    p = make_practice(f"sqlite:///{tmp_path / 'web.db'}")
    yield p
    p.db.dispose()


@pytest.fixture
def srv(pr: Practice) -> Iterator[ServerThread]:
    server = serve(pr)
    yield server
    server.shutdown()


def time_at(hh: int, mm: int = 0) -> str:
    return at(THU, hh, mm).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_issue_27_junk_posts_and_typing_mistakes_do_not_lock_the_page(
    pr: Practice, srv: ServerThread
) -> None:
    """Default limits (5 per address / 10 min, 30 per practitioner / hour)."""
    k = key(pr)
    junk = Browser(srv)
    for i in range(30):  # no token, from six addresses
        status, _, _ = junk.post(
            k,
            good("0" * 64, email=f"bot{i}@example.org"),
            **{"X-Forwarded-For": f"198.51.100.{i % 6}"},
        )
        assert status == 403
    careless = Browser(srv)
    token = careless.form(k)
    for typo in ("jo@", "jo example.org", "@example.org", "jo@example", ""):
        assert careless.post(k, good(token, email=typo))[0] == 400
    assert careless.post(k, good(token))[0] == 303
    assert confirm(careless, pr)[0] == 303
    fresh = Browser(srv)
    status, _, _ = fresh.post(
        k,
        good(fresh.form(k, time_at(10)), start=time_at(10), email="fresh@example.org"),
        **{"X-Forwarded-For": "192.0.2.77"},
    )
    assert status == 303
    assert confirm(fresh, pr, "fresh@example.org")[0] == 303
    assert held(pr) == 2


def test_issue_27_a_limited_address_waits_and_another_books(pr: Practice) -> None:
    server = serve(pr, posts_per_address=2)
    try:
        k = key(pr)
        a = Browser(server)
        token = a.form(k)
        there = {"X-Forwarded-For": "203.0.113.9"}
        for who in ("a1", "a2"):
            assert a.post(k, good(token, email=f"{who}@example.org"), **there)[0] == 303
        status, headers, _ = a.post(k, good(token, email="a3@example.org"), **there)
        assert status == 429
        assert 0 < int(headers["retry-after"]) <= 600
        b = Browser(server)
        assert b.post(k, good(b.form(k), email="b@example.org"))[0] == 303
        assert confirm(b, pr, "b@example.org")[0] == 303
        assert held(pr) == 1
    finally:
        server.shutdown()


def test_issue_27_practitioner_budget_counts_confirmed_requests_only(pr: Practice) -> None:
    server = serve(pr, posts_per_practitioner=2)
    try:
        k = key(pr)
        b = Browser(server)
        token = b.form(k)
        starts = [time_at(9), time_at(10, 30), time_at(12)]  # offered while nothing is held
        for i in range(10):  # strangers' unconfirmed requests use up nothing
            there = {"X-Forwarded-For": f"198.51.100.{i}"}
            status, _, _ = b.post(
                k, good(token, email=f"v{i}@example.org", start=starts[i % 3]), **there
            )
            assert status == 303
        assert held(pr) == 0
        assert confirm(b, pr, "v0@example.org")[0] == 303
        assert confirm(b, pr, "v1@example.org")[0] == 303
        status, headers, _ = confirm(b, pr, "v2@example.org")
        assert status == 429
        assert int(headers["retry-after"]) > 0
        assert held(pr) == 2
    finally:
        server.shutdown()


def test_issue_27_one_live_request_per_address_and_practitioner(
    pr: Practice, srv: ServerThread
) -> None:
    k = key(pr)
    b = Browser(srv)
    token = b.form(k)
    first = b.post(k, good(token))
    again = b.post(k, good(token, start=time_at(9, 15), email="JO@example.org"))
    assert first[0] == again[0] == 303
    assert first[1]["location"] == again[1]["location"]
    assert len(mails(pr, "verify")) == 1
    assert confirm(b, pr)[0] == 303
    assert b.post(k, good(token, start=time_at(11)))[0] == 303
    assert len(mails(pr, "verify")) == 1  # a held request is live too: nothing more sent
    assert stored(pr) == 1
    assert held(pr) == 1


def test_issue_27_unverified_request_holds_nothing_and_expires_silently(
    pr: Practice, srv: ServerThread
) -> None:
    k = key(pr)
    b = Browser(srv)
    typed = good(
        b.form(k),
        name="Visit http://evil.example/x now " + "z" * 60,
        phone="+1 555 0100",
        message="Cheap pills at http://spam.example",
    )
    assert b.post(k, typed)[0] == 303
    (mail,) = mails(pr)
    assert mail.kind == "verify"
    assert mail.to_addr == "jo@example.org"
    for seen in ("evil.example", "http://evil", "555 0100", "Cheap pills", "spam.example"):
        assert seen not in mail.body
        assert seen not in mail.subject
    greeting = mail.body.splitlines()[0]
    assert greeting.startswith("Hello Visit http evil example x now")
    assert len(greeting.removeprefix("Hello ").rstrip(",")) <= 40
    # Nothing held, nobody at the practice sees it; the time is still offered.
    assert held(pr) == 0
    assert booking_requests.list_requests(pr.sam, status=None) == []
    status, _, html = b.request("GET", f"/book/{k}?tz=UTC&from=2026-11-26")
    assert START in html
    # 31 minutes on, the link is dead, nothing was held and nothing more is mailed.
    path = verify_path(pr, "jo@example.org")
    pr.clock.instant += timedelta(minutes=31)
    status, _, html = b.request("GET", path)
    assert status == 404
    assert "no longer works" in html
    status, _, _ = b.request(
        "POST", path, b"", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 404
    assert held(pr) == 0
    assert len(mails(pr)) == 1


def test_issue_27_existing_clients_only_accepts_clients_and_answers_all_alike(
    pr: Practice, srv: ServerThread
) -> None:
    booking.update_settings(pr.admin, pr.alice_id, new_clients=False)
    practice.add_client(pr.admin, "Ava", "Bennett", email="ava@example.org")
    k = key(pr)
    stranger, client = Browser(srv), Browser(srv)
    s_status, s_headers, _ = stranger.post(k, good(stranger.form(k), email="eve@example.org"))
    c_status, c_headers, _ = client.post(
        k, good(client.form(k), name="Ava Bennett", email="Ava@Example.org")
    )
    assert s_status == c_status == 303
    assert s_headers["location"] == c_headers["location"]
    assert (
        stranger.request("GET", s_headers["location"])[2]
        == client.request("GET", c_headers["location"])[2]
    )
    assert [m.to_addr for m in mails(pr)] == ["Ava@Example.org"]
    assert stored(pr) == 1
    assert confirm(client, pr, "Ava@Example.org")[0] == 303
    assert held(pr) == 1


def in_booking_service() -> bool:
    """Whether some thread is running the booking service's request code right now."""
    names = {"ask", "create_request", "verify"}
    for frame in sys._current_frames().values():
        f: FrameType | None = frame
        while f is not None:
            if f.f_code.co_name in names and "services/booking" in f.f_code.co_filename:
                return True
            f = f.f_back
    return False


def test_issue_27_timed_out_request_is_neither_stored_nor_mailed(pr: Practice) -> None:
    server = serve(pr, request_timeout=2.0)
    try:
        k = key(pr)
        b = Browser(server)
        token = b.form(k)
        lock = sqlite3.connect(str(pr.db.url).removeprefix("sqlite:///"), timeout=10)
        lock.isolation_level = None
        lock.execute("BEGIN IMMEDIATE")  # the database is busy: another writer holds the lock
        answer: list[tuple[int, dict[str, str], str]] = []
        poster = threading.Thread(target=lambda: answer.append(b.post(k, good(token))))
        poster.start()
        # Hold the lock past the request's time limit (time passing is the condition here).
        poster.join(3.0)
        lock.execute("ROLLBACK")
        lock.close()
        poster.join(30)
        ((status, _, html),) = answer
        # The server may have answered while its worker thread still waits for the lock: wait
        # until no thread is inside the booking service any more, then look.
        for _ in range(3000):
            if not in_booking_service():
                break
            time.sleep(0.01)
        assert not in_booking_service()
        assert status == 503
        assert "took too long" in html
        assert stored(pr) == 0
        assert mails(pr) == []
    finally:
        server.shutdown()


def test_issue_27_done_page_is_private_and_expires(
    pr: Practice, srv: ServerThread, caplog: pytest.LogCaptureFixture
) -> None:
    k = key(pr)
    b = Browser(srv)
    with caplog.at_level(logging.INFO, logger="sessions_tui.web"):
        assert b.post(k, good(b.form(k)))[0] == 303
        token = verify_path(pr, "jo@example.org").rsplit("/", 1)[1]
        status, headers, _ = confirm(b, pr)
        done = headers["location"]
        ref = done.rsplit("/", 1)[1]
        status, headers, html = b.request("GET", done)
    assert status == 200
    assert headers["cache-control"] == "no-store"
    assert "jo@example.org" not in html
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/done/<ref>" in logged
    assert "/verify/<ref>" in logged
    assert ref not in logged
    assert token not in logged
    # Answered: the page is gone.
    (request,) = booking_requests.list_requests(pr.sam)
    booking_requests.decline(pr.sam, request.id)
    assert b.request("GET", done)[0] == 404
    # Unanswered, it still goes after a day.
    other = Browser(srv)
    assert (
        other.post(k, good(other.form(k), email="kim@example.org", start=time_at(9, 15)))[0] == 303
    )
    later = confirm(other, pr, "kim@example.org")[1]["location"]
    assert other.request("GET", later)[0] == 200
    pr.clock.instant += timedelta(days=1, minutes=1)
    assert other.request("GET", later)[0] == 404


def raw(server: ServerThread, data: bytes, source: str | None = None) -> tuple[bytes, bool]:
    """Send ``data`` on one connection: all the server sends back, and whether it then closed
    the connection (else it is still open, waiting, 3 s on)."""
    sock = socket.socket()
    sock.settimeout(3)
    if source:
        sock.bind((source, 0))
    sock.connect(server.server_address)
    got = b""
    with sock:
        sock.sendall(data)
        try:
            while chunk := sock.recv(65536):
                got += chunk
        except TimeoutError:
            return got, False
    return got, True


def test_issue_27_http_hygiene(pr: Practice) -> None:
    server = serve(pr, feeds_per_address=3)
    try:
        k = key(pr)
        both = (
            f"POST /book/{k}/request HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            "Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "\r\n0\r\n\r\n"
        ).encode()
        reply, closed = raw(server, both)
        assert reply.startswith(b"HTTP/1.1 400")
        assert closed
        assert stored(pr) == 0
        b = Browser(server)
        status, headers, _ = b.request("GET", f"/book/{k}/", headers={"Host": "evil.example"})
        assert status in (301, 307, 308)
        assert "evil.example" not in headers["location"]
        assert b.request("GET", f"/book/{k}")[1].get("strict-transport-security") is None
        headers = b.request("GET", f"/book/{k}", headers={"X-Forwarded-Proto": "https"})[1]
        assert headers["strict-transport-security"].startswith("max-age=")
        for _ in range(3):
            assert b.request("GET", "/feeds/nope.ics")[0] == 404
        status, headers, _ = b.request("GET", "/feeds/nope.ics")
        assert status == 429
        assert int(headers["retry-after"]) > 0
        other = b.request("GET", "/feeds/nope.ics", headers={"X-Forwarded-For": "192.0.2.1"})
        assert other[0] == 404
    finally:
        server.shutdown()


def test_issue_27_idle_sockets_of_one_address_leave_room_for_others(pr: Practice) -> None:
    options = ServeOptions(
        port=0, idle_timeout=30.0, max_connections=6, max_per_address=3, proxy_ips="10.9.9.9"
    )
    server = ServerThread(pr.db, pr.clock, options).start()
    idle = []
    try:
        for _ in range(6):
            idle.append(socket.create_connection(server.server_address, timeout=10))
        # Past three, the address's new connections are closed at once.
        assert idle[-1].recv(1) == b""
        reply, _ = raw(server, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", source="127.0.0.2")
        assert reply.startswith(b"HTTP/1.1 200")
    finally:
        for sock in idle:
            sock.close()
        server.shutdown()


def test_issue_27_booking_pages_are_not_stored_by_caches(pr: Practice, srv: ServerThread) -> None:
    conn = http.client.HTTPConnection(*srv.server_address, timeout=10)
    conn.request("GET", f"/book/{key(pr)}")
    resp = conn.getresponse()
    resp.read()
    conn.close()
    assert resp.getheader("cache-control") == "no-store"


def test_issue_27_zone_chooser_current_zone_first_then_regions(
    pr: Practice, srv: ServerThread
) -> None:
    b = Browser(srv)
    html = b.request("GET", f"/book/{key(pr)}?tz=Europe/Berlin")[2]
    select = html[html.index('<select name="tz"') : html.index("</select>")]
    options = re.findall(r'<option value="([^"]+)"( selected)?>', select)
    assert options[0] == ("Europe/Berlin", " selected")
    assert [v for v, _ in options].count("Europe/Berlin") == 1
    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    assert {"Africa", "America", "Asia", "Europe", "Pacific"} <= set(groups)
    assert "Asia/Kolkata" in select
    assert 'value="Asia/Calcutta"' not in select  # an alias, not listed twice
    # A link naming an alias still works, and that zone comes first.
    html = b.request("GET", f"/book/{key(pr)}?tz=Asia/Calcutta")[2]
    assert '<span id="zone-name">Asia/Calcutta</span>' in html


def test_issue_27_done_page_adds_the_request_to_a_calendar(pr: Practice, srv: ServerThread) -> None:
    import icalendar

    k = key(pr)
    b = Browser(srv)
    assert b.post(k, good(b.form(k)))[0] == 303
    done = confirm(b, pr)[1]["location"]
    html = b.request("GET", done)[2]
    link = re.search(r'href="([^"]+\.ics)"', html)
    assert link is not None
    status, headers, body = b.request("GET", link.group(1))
    assert status == 200
    assert headers["content-type"].startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert event["STATUS"] == "TENTATIVE"
    assert event.decoded("DTSTART") == at(THU, 9)
    assert "Session" in str(event["SUMMARY"])
