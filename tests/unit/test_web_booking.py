"""The booking pages over real HTTP (uvicorn on 127.0.0.1): refusals store nothing.

CSRF, rate limits, the honeypot, oversize and malformed bodies, unknown pages; the request
timeout and the idle-connection timeout of the server. A request is made in two steps (issue
27): the form, then the link mailed to the address (read here from the outbox) confirms it.
"""

from __future__ import annotations

import http.client
import re
import socket
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from sessions_tui.services import booking
from sessions_tui.store.tables import BookingRequestRow, OutboxRow
from sessions_tui.web.app import Limits
from sessions_tui.web.server import ServeOptions, ServerThread

from .test_booking import THU, Practice, at, make_practice

START = at(THU, 9).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def pr(tmp_path) -> Iterator[Practice]:  # type: ignore[no-untyped-def]
    p = make_practice(f"sqlite:///{tmp_path / 'web.db'}")
    yield p
    p.db.dispose()


def serve(p: Practice, **limits: float) -> ServerThread:
    options = ServeOptions(port=0, idle_timeout=1.0)
    base = {"request_timeout": 2.0}
    return ServerThread(p.db, p.clock, options, Limits(**{**base, **limits})).start()  # type: ignore[arg-type]


@pytest.fixture
def srv(pr: Practice) -> Iterator[ServerThread]:
    server = serve(pr)
    yield server
    server.shutdown()


class Browser:
    """A tiny cookie-keeping client on one server."""

    def __init__(self, server: ServerThread) -> None:
        self.host, self.port = server.server_address
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        head = dict(headers or {})
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=head)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                k, _, rest = value.partition("=")
                self.cookies[k] = rest.split(";", 1)[0]
        out = {k.lower(): v for k, v in resp.getheaders()}
        conn.close()
        return resp.status, out, text

    def form(self, key: str, start: str = START) -> str:
        q = urlencode({"service": "Session", "start": start, "tz": "UTC"})
        status, _, html = self.request("GET", f"/book/{key}/request?{q}")
        assert status == 200, html
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
        assert found is not None
        return found.group(1)

    def post(
        self, key: str, fields: dict[str, str], **headers: str
    ) -> tuple[int, dict[str, str], str]:
        body = urlencode(fields).encode()
        head = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        return self.request("POST", f"/book/{key}/request", body, head)


def good(csrf: str, **extra: str) -> dict[str, str]:
    return {
        "csrf": csrf,
        "service": "Session",
        "start": START,
        "tz": "UTC",
        "name": "Jo Visitor",
        "email": "jo@example.org",
        "phone": "",
        "message": "",
        "consent": "yes",
        "website": "",
        **extra,
    }


def stored(p: Practice) -> int:
    with p.db.read() as s:
        return int(s.execute(select(func.count()).select_from(BookingRequestRow)).scalar_one())


def key(p: Practice) -> str:
    return p.key()


def held(p: Practice) -> int:
    """Requests holding their time (confirmed by their address, unanswered)."""
    with p.db.read() as s:
        return int(
            s.execute(
                select(func.count())
                .select_from(BookingRequestRow)
                .where(BookingRequestRow.status == "pending")
            ).scalar_one()
        )


def mails(p: Practice, kind: str | None = None) -> list[OutboxRow]:
    with p.db.read() as s:
        stmt = select(OutboxRow).order_by(OutboxRow.id)  # type: ignore[arg-type]
        if kind is not None:
            stmt = stmt.where(OutboxRow.kind == kind)
        return list(s.execute(stmt).scalars())


def verify_path(p: Practice, email: str) -> str:
    """The path of the newest confirmation link mailed to ``email``."""
    sent = [m for m in mails(p, "verify") if m.to_addr == email]
    assert sent, f"no link was mailed to {email}"
    found = re.search(r"https?://[^/\s]+(/book/\S+/verify/\S+)", sent[-1].body)
    assert found is not None, sent[-1].body
    return found.group(1)


def confirm(
    b: Browser, p: Practice, email: str = "jo@example.org"
) -> tuple[int, dict[str, str], str]:
    """Open the mailed link and press its button, as the address's owner."""
    path = verify_path(p, email)
    status, _, html = b.request("GET", path)
    assert status == 200, html
    assert 'id="confirm"' in html
    return b.request("POST", path, b"", {"Content-Type": "application/x-www-form-urlencoded"})


def test_issue_16_form_posts_and_confirms(pr: Practice, srv: ServerThread) -> None:
    b, other = Browser(srv), Browser(srv)
    k = key(pr)
    mine, theirs = b.form(k), other.form(k)  # both opened the form for the same time
    status, headers, _ = b.post(k, good(mine))
    assert status == 303
    assert headers["location"].startswith(f"/book/{k}/sent")
    status, _, html = b.request("GET", headers["location"])
    assert status == 200
    assert "Check your email" in html
    assert stored(pr) == 1
    assert held(pr) == 0
    status, _, _ = other.post(k, good(theirs, email="other@example.org"))
    assert status == 303
    status, headers, _ = confirm(b, pr)
    assert status == 303
    assert headers["location"].startswith(f"/book/{k}/done/")
    status, _, html = b.request("GET", headers["location"])
    assert status == 200
    assert "Request sent" in html
    assert held(pr) == 1
    # The other visitor, confirming second, is told and shown other times.
    status, _, html = confirm(other, pr, "other@example.org")
    assert status == 409
    assert "no longer free" in html or "just taken" in html
    assert 'class="time"' in html
    assert START not in html
    assert held(pr) == 1


def test_issue_16_csrf_refused_without_token_or_cookie(pr: Practice, srv: ServerThread) -> None:
    b = Browser(srv)
    k = key(pr)
    token = b.form(k)
    assert b.post(k, good("0" * 64))[0] == 403  # wrong token
    stranger = Browser(srv)  # no cookie
    assert stranger.post(k, good(token))[0] == 403
    assert b.post(k, good(token), Origin="http://evil.example")[0] == 403
    assert stored(pr) == 0


def test_issue_16_rate_limits_refuse(pr: Practice) -> None:
    server = serve(pr, posts_per_address=2, posts_per_practitioner=100)
    try:
        b = Browser(server)
        k = key(pr)
        token = b.form(k)
        assert b.post(k, good(token, email="a@example.org"))[0] == 303
        assert b.post(k, good(token, email="b@example.org"))[0] == 303
        status, headers, html = b.post(k, good(token))
        assert status == 429
        assert "Too many requests" in html
        assert int(headers["retry-after"]) > 0
        assert stored(pr) == 2
    finally:
        server.shutdown()


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"website": "http://spam.example"}, 303),  # the honeypot: "sent", nothing kept
        ({"name": "x" * 101}, 400),
        ({"email": "no-at-sign"}, 400),
        ({"consent": ""}, 400),
        ({"start": "tomorrow"}, 400),
        ({"service": "Massage"}, 400),
        ({"start": at(THU, 9, 7).strftime("%Y-%m-%dT%H:%M:%SZ")}, 409),  # not an offered time
        ({"unknown": "field"}, 400),
    ],
)
def test_issue_16_bad_input_is_4xx_and_stores_nothing(
    pr: Practice, srv: ServerThread, change: dict[str, str], status: int
) -> None:
    b = Browser(srv)
    k = key(pr)
    got, _, html = b.post(k, good(b.form(k), **change))
    assert got == status
    assert stored(pr) == 0
    if "email" in change:
        # The error is in words, beside its field, and the field says it is invalid.
        assert 'id="email-error"' in html
        assert 'aria-invalid="true"' in html


def test_issue_16_oversize_and_malformed_bodies(pr: Practice, srv: ServerThread) -> None:
    b = Browser(srv)
    k = key(pr)
    token = b.form(k)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    big = urlencode(good(token, message="m" * 40_000)).encode()
    assert b.request("POST", f"/book/{k}/request", big, form)[0] == 413
    # Streamed (chunked) past the limit, without a Content-Length.
    conn = http.client.HTTPConnection(*srv.server_address, timeout=10)
    cookie = "; ".join(f"{a}={v}" for a, v in b.cookies.items())
    conn.request(
        "POST",
        f"/book/{k}/request",
        body=iter([b"message=" + b"m" * 10_000] * 3),
        headers={**form, "Cookie": cookie},
        encode_chunked=True,
    )
    assert conn.getresponse().status == 413
    conn.close()
    bad_utf8 = b"name=%FF%FE&" + urlencode(good(token)).encode()
    assert b.request("POST", f"/book/{k}/request", b"\xff\xfe" + bad_utf8, form)[0] == 400
    twice = urlencode(good(token)).encode() + b"&name=Other"
    assert b.request("POST", f"/book/{k}/request", twice, form)[0] == 400
    as_json = b'{"name": "Jo"}'
    assert (
        b.request("POST", f"/book/{k}/request", as_json, {"Content-Type": "application/json"})[0]
        == 415
    )
    assert stored(pr) == 0


def test_issue_16_unknown_pages_are_404(pr: Practice, srv: ServerThread) -> None:
    b = Browser(srv)
    assert b.request("GET", "/book/not-a-page")[0] == 404
    old = key(pr)
    pr.keys[pr.alice_id] = booking.rotate_link(pr.admin, pr.alice_id).key or ""
    assert b.request("GET", f"/book/{old}")[0] == 404
    status, headers, html = b.request("GET", f"/book/{key(pr)}?tz=Asia/Tokyo")
    assert status == 200
    assert "Asia/Tokyo" in html
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_issue_16_slow_body_times_out_and_idle_connections_close(
    pr: Practice, srv: ServerThread
) -> None:
    # A body promised and never sent: the request timeout (2 s here) answers 503.
    with socket.create_connection(srv.server_address, timeout=10) as sock:
        sock.sendall(
            f"POST /book/{key(pr)}/request HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 100\r\n\r\n".encode()
        )
        reply = sock.recv(4096)
        assert reply.startswith(b"HTTP/1.1 503")
    # A connection that never sends a request is closed by the server (idle timeout 1 s).
    with socket.create_connection(srv.server_address, timeout=10) as sock:
        assert sock.recv(1) == b""
    # Half a request line is no better.
    with socket.create_connection(srv.server_address, timeout=10) as sock:
        sock.sendall(b"GET /hea")
        assert sock.recv(1) == b""
