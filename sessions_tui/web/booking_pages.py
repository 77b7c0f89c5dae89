"""The booking pages: a practitioner's free times, the request form, the confirmation.

Plain HTML forms and links, so a page works without JavaScript; ``static/tz.js`` only picks the
browser's zone when the URL names none. Every page shows the zone its times are in and a chooser
to change it. Only free times are ever rendered (from :func:`services.booking.page_slots`); the
form re-checks the time when it is sent, and a time taken meanwhile sends the visitor back to the
times with a message.

The POST is guarded by, in order: the address's page-view budget (429), the origin (403), a
bounded, well-formed body (400), the CSRF token (403), the honeypot field (answered like a
success, nothing kept), the fields' own rules (400, the form again with each error beside its
field), and only then the per-address limit on requests (429 with ``Retry-After``): refused
posts and typing mistakes never use up anyone's budget. A request that passes is stored
unverified and the address is mailed a link (:func:`sessions_tui.services.booking.ask`); every
visitor then sees the same "check your email" page, whether or not anything was sent, so the
page reveals nobody. The link (``/book/<key>/verify/<token>``) shows the request and a button;
its POST holds the time (the per-practitioner limit counts these confirmed requests only) and
leads to the done page, which shows only while the request is held and unanswered, for a day
at most. Every booking page is ``Cache-Control: no-store``.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.timeutil import day_bounds
from sessions_tui.services import booking, booking_mail
from sessions_tui.services.booking import BookingPage, SlotTaken, TookTooLong
from sessions_tui.web.zone_chooser import zone_options, zone_set

DAYS_SHOWN = 7
FIELDS = ("service", "start", "tz", "csrf", "name", "email", "phone", "message", "consent")
HONEYPOT = "website"

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _web(request: Request) -> Any:
    return request.app.state.web


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


def _html(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    # Booking pages name a visitor's request and hold one-time links: no cache keeps them.
    return HTMLResponse(
        _env.get_template(template).render(**values),
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


DEADLINE_KEY = "sessions_tui.deadline"
"""The scope key where the Guard puts the request's deadline (``time.monotonic()``)."""


def _deadline(request: Request) -> float | None:
    """When the unit of work must be committed by: a margin before the Guard's timeout, so a
    request the visitor is told "took too long" never commits."""
    deadline = request.scope.get(DEADLINE_KEY)
    timeout = _web(request).limits.request_timeout
    return None if deadline is None else float(deadline) - min(1.0, timeout / 4)


def _took_too_long() -> Response:
    response = _html(
        "message.html",
        503,
        title="That took too long",
        text="The request took too long and nothing was kept or sent. Please try again.",
    )
    response.headers["Retry-After"] = "30"
    return response


def _link_base(request: Request, configured: str | None) -> str:
    """Where links in emails point: the configured public address, else the address this
    server listens on (never the request's Host header, which the sender chooses)."""
    if configured:
        return configured
    host, port = request.scope.get("server") or ("127.0.0.1", 8765)
    return f"http://{host}:{port}"


def _missing() -> HTMLResponse:
    return _html(
        "message.html", 404, title="Page not found", text="This booking page does not exist."
    )


def _zone(page: BookingPage, value: str | None) -> str:
    return value if value in zone_set() or value == page.zone else page.zone


async def _page(request: Request) -> BookingPage | None:
    return await run_in_threadpool(
        booking.page_for_key, _web(request).db, request.path_params["key"]
    )


def _too_many(limiter: Any, key: str) -> Response | None:
    if limiter.allow(key):
        return None
    response = _html(
        "message.html",
        429,
        title="Too many requests",
        text="Too many requests from here. Please wait a few minutes and try again.",
    )
    response.headers["Retry-After"] = str(limiter.retry_after(key))
    return response


def _foreign_origin(request: Request) -> Response | None:
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.split("://", 1)[-1] != request.headers.get("host"):
        return _html(
            "message.html", 403, title="Refused", text="This form was sent from another site."
        )
    return None


def _gone() -> Response:
    return _html(
        "message.html",
        404,
        title="This link no longer works",
        text="This link has expired or was already used. Please choose a time again.",
    )


def _when(start: datetime, tz: str) -> str:
    local = start.astimezone(zoneinfo.ZoneInfo(tz))
    return f"{local:%A %d %B %Y}, {local:%H:%M}"


def _days(
    web: Any, page: BookingPage, service: booking.BookingService, tz: str, first: date
) -> list[dict[str, Any]]:
    zi = zoneinfo.ZoneInfo(tz)
    start = day_bounds(first, zi)[0]
    end = day_bounds(first + timedelta(days=DAYS_SHOWN - 1), zi)[1]
    found = booking.page_slots(web.db, web.clock, page, service, start, end)
    days: dict[date, list[dict[str, str]]] = {}
    for slot in found:
        local = slot.start.astimezone(zi)
        days.setdefault(local.date(), []).append(
            {
                "label": f"{local:%H:%M}",
                "start": slot.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
    return [{"label": f"{d:%A %d %B}", "times": t} for d, t in sorted(days.items())]


async def page_view(
    request: Request,
    *,
    message: str | None = None,
    status: int = 200,
    choice: dict[str, str] | None = None,
) -> Response:
    """The times page; ``choice`` (service, tz) stands in for the query after a failed POST."""
    web = _web(request)
    if choice is None and (limited := _too_many(web.page_by_address, _client(request))):
        return limited
    page = await _page(request)
    if page is None:
        return _missing()
    q: Any = choice if choice is not None else request.query_params
    tz = _zone(page, q.get("tz"))
    service = page.service(q.get("service") or "") or page.services[0]
    today = web.clock.now().astimezone(zoneinfo.ZoneInfo(tz)).date()
    try:
        first = date.fromisoformat(q.get("from") or today.isoformat())
    except ValueError:
        first = today
    first = min(max(first, today), today + page.horizon)
    days = await run_in_threadpool(_days, web, page, service, tz, first)
    base = f"/book/{page.key}"

    def link(**extra: Any) -> str:
        return base + "?" + urlencode({"service": service.name, "tz": tz, **extra})

    return _html(
        "page.html",
        status,
        page=page,
        service=service,
        tz=tz,
        zone_options=zone_options(tz),
        days=days,
        first=first,
        days_shown=DAYS_SHOWN,
        base=base,
        message=message,
        zone_from_url="tz" in q,
        previous=link(**{"from": (first - timedelta(days=DAYS_SHOWN)).isoformat()})
        if first > today
        else None,
        next=link(**{"from": (first + timedelta(days=DAYS_SHOWN)).isoformat()})
        if first + timedelta(days=DAYS_SHOWN) <= today + page.horizon
        else None,
        service_link=lambda s: base + "?" + urlencode({"service": s.name, "tz": tz}),
        request_link=lambda t: (
            base + "/request?" + urlencode({"service": service.name, "start": t["start"], "tz": tz})
        ),
    )


def _parse_start(value: str | None) -> datetime | None:
    if not value or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def _form(
    request: Request,
    page: BookingPage,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
    nonce: str | None = None,
) -> Response:
    web = _web(request)
    new_cookie = nonce is None
    nonce = nonce or web.csrf.new_nonce()
    tz = _zone(page, values.get("tz"))
    start = _parse_start(values.get("start"))
    assert start is not None
    service = page.service(values.get("service", "")) or page.services[0]
    response = _html(
        "form.html",
        status,
        page=page,
        service=service,
        tz=tz,
        when=_when(start, tz),
        values=values,
        errors=errors or {},
        csrf=web.csrf.token(nonce),
        back=f"/book/{page.key}?" + urlencode({"service": service.name, "tz": tz}),
        action=f"/book/{page.key}/request",
        limits=booking.LIMITS,
    )
    if new_cookie:
        response.set_cookie(
            web.csrf.COOKIE,
            nonce,
            path="/book",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


async def request_form(request: Request) -> Response:
    """``GET /book/<key>/request``: the form for the chosen service and time (409
    with the page again when that time is no longer offered).
    """
    web = _web(request)
    if (limited := _too_many(web.page_by_address, _client(request))) is not None:
        return limited
    page = await _page(request)
    if page is None:
        return _missing()
    q = request.query_params
    start = _parse_start(q.get("start"))
    service = page.service(q.get("service") or "")
    if start is None or service is None:
        return _html(
            "message.html", 400, title="Choose a time", text="Choose a time from the list first."
        )
    offered = await run_in_threadpool(booking.is_offered, web.db, web.clock, page, service, start)
    if not offered:
        choice = {"service": service.name, "tz": q.get("tz") or ""}
        message = "That time is no longer free. Please choose another."
        return await page_view(request, message=message, status=409, choice=choice)
    values = {"service": service.name, "start": q["start"], "tz": _zone(page, q.get("tz"))}
    return _form(request, page, values, nonce=request.cookies.get(web.csrf.COOKIE))


def _parse_body(raw: bytes) -> dict[str, str] | None:
    """The urlencoded form, each field once at most; ``None`` when malformed."""
    try:
        decoded = raw.decode("utf-8", errors="strict")
        fields = parse_qs(
            decoded, keep_blank_values=True, strict_parsing=bool(decoded), max_num_fields=20
        )
    except (UnicodeDecodeError, ValueError):
        return None
    if any(len(v) != 1 for v in fields.values()):
        return None
    return {k: v[0] for k, v in fields.items()}


async def submit(request: Request) -> Response:
    """``POST /book/<key>/request``: check origin, content type, CSRF token and fields; ask.

    A refusal is a message page (400, 403, 415, 429), field errors the form again (400), a time
    just taken the page again (409); a request that passes redirects to the "check your email"
    page (303), the same for every visitor.
    """
    web = _web(request)
    if (limited := _too_many(web.page_by_address, _client(request))) is not None:
        return limited
    page = await _page(request)
    if page is None:
        return _missing()
    if (refused := _foreign_origin(request)) is not None:
        return refused
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return _html(
            "message.html", 415, title="Refused", text="Send the form from the booking page."
        )
    raw = await request.body()
    form = _parse_body(raw)
    if form is None or not set(form) <= {*FIELDS, HONEYPOT}:
        return _html(
            "message.html",
            400,
            title="Refused",
            text="The form could not be read. Please try again.",
        )
    nonce = request.cookies.get(web.csrf.COOKIE)
    if not web.csrf.check(nonce, form.get("csrf")):
        return _html(
            "message.html",
            403,
            title="Please try again",
            text="This form has expired or was not sent from the booking page. "
            "Go back and choose the time again.",
        )
    sent = f"/book/{page.key}/sent?" + urlencode({"tz": _zone(page, form.get("tz"))})
    if form.get(HONEYPOT):
        # A bot filled the hidden field: answer as if it worked (it learns nothing), keep nothing.
        return RedirectResponse(sent, status_code=303)
    start = _parse_start(form.get("start"))
    if start is None or page.service(form.get("service", "")) is None:
        return _html(
            "message.html", 400, title="Choose a time", text="Choose a time from the list first."
        )
    tz = _zone(page, form.get("tz"))
    errors: dict[str, str] = {}
    visitor = None
    try:
        visitor = booking.check_visitor(
            form.get("name", ""), form.get("email", ""), form.get("phone"), form.get("message")
        )
    except ValidationError as exc:
        errors[exc.field or "name"] = exc.message
    # Every field's error at once, not one per try: check the rest on their own.
    for name in ("name", "email", "phone", "message"):
        if name in errors:
            continue
        probe = {"name": "x", "email": "x@example.org", "phone": None, "message": None}
        probe[name] = form.get(name) if name in ("phone", "message") else form.get(name, "")
        try:
            booking.check_visitor(
                probe["name"] or "", probe["email"] or "", probe["phone"], probe["message"]
            )
        except ValidationError as exc:
            errors[name] = exc.message
    if form.get("consent") != "yes":
        errors["consent"] = "Tick the box to agree that we store what you typed to answer you."
    values = {k: form.get(k, "") for k in FIELDS if k != "csrf"} | {"tz": tz}
    if errors or visitor is None:
        return _form(request, page, values, errors=errors, status=400, nonce=nonce)
    # Only a request that passed every check counts against the address's budget.
    if (limited := _too_many(web.post_by_address, _client(request))) is not None:
        return limited
    base = _link_base(request, await run_in_threadpool(booking.public_base, web.db))
    try:
        await run_in_threadpool(
            lambda: booking.ask(
                web.db,
                web.clock,
                page,
                values["service"],
                start,
                visitor,
                tz,
                link_base=base,
                deadline=_deadline(request),
            )
        )
    except SlotTaken as exc:
        choice = {"service": values["service"], "tz": tz}
        return await page_view(request, message=exc.message, status=409, choice=choice)
    except TookTooLong:
        return _took_too_long()
    return RedirectResponse(sent, status_code=303)


async def sent(request: Request) -> Response:
    """``GET /book/<key>/sent``: "check your email", the same for every visitor."""
    page = await _page(request)
    if page is None:
        return _missing()
    tz = _zone(page, request.query_params.get("tz"))
    return _html(
        "sent.html",
        page=page,
        minutes=booking_mail.VERIFY_MINUTES,
        back=f"/book/{page.key}?" + urlencode({"tz": tz}),
    )


async def verify_view(request: Request) -> Response:
    """``GET /book/<key>/verify/<token>``: the request the link confirms and a button (a GET
    changes nothing: mail scanners open links too); the done page once confirmed."""
    web = _web(request)
    if (limited := _too_many(web.page_by_address, _client(request))) is not None:
        return limited
    page = await _page(request)
    if page is None:
        return _missing()
    token = request.path_params["token"]
    row = await run_in_threadpool(booking.request_for_token, web.db, web.clock, page, token)
    if row is None:
        return _gone()
    if row.status != booking.UNVERIFIED:
        return RedirectResponse(f"/book/{page.key}/done/{row.reference}", status_code=303)
    return _html(
        "verify.html",
        page=page,
        service=row.service,
        minutes=row.minutes,
        when=_when(row.start_utc, row.visitor_tz),
        tz=row.visitor_tz,
        action=f"/book/{page.key}/verify/{token}",
        back=f"/book/{page.key}?" + urlencode({"tz": row.visitor_tz}),
    )


async def verify_submit(request: Request) -> Response:
    """``POST /book/<key>/verify/<token>``: hold the time (303 to the done page); the
    per-practitioner limit counts these confirmed requests only."""
    web = _web(request)
    if (limited := _too_many(web.page_by_address, _client(request))) is not None:
        return limited
    page = await _page(request)
    if page is None:
        return _missing()
    if (refused := _foreign_origin(request)) is not None:
        return refused
    token = request.path_params["token"]
    row = await run_in_threadpool(booking.request_for_token, web.db, web.clock, page, token)
    if row is None:
        return _gone()
    if row.status == booking.UNVERIFIED and (
        limited := _too_many(web.post_by_practitioner, str(page.practitioner_id))
    ):
        return limited
    deadline = _deadline(request)
    try:
        held = await run_in_threadpool(
            lambda: booking.verify(web.db, web.clock, page, token, deadline=deadline)
        )
    except NotFoundError:
        return _gone()
    except SlotTaken as exc:
        choice = {"service": row.service, "tz": row.visitor_tz}
        return await page_view(request, message=exc.message, status=409, choice=choice)
    except TookTooLong:
        return _took_too_long()
    return RedirectResponse(f"/book/{page.key}/done/{held.reference}", status_code=303)


async def done(request: Request) -> Response:
    """``GET /book/<key>/done/<ref>``: the request as held, while it is held and unanswered
    (a day at most); else the same 404 as an unknown reference."""
    web = _web(request)
    page = await _page(request)
    if page is None:
        return _missing()
    row = await run_in_threadpool(
        booking.request_by_reference, web.db, web.clock, page, request.path_params["ref"]
    )
    if row is None:
        return _missing()
    service = page.service(row.service)
    return _html(
        "done.html",
        page=page,
        row=row,
        when=_when(row.start_utc, row.visitor_tz),
        tz=row.visitor_tz,
        back=f"/book/{page.key}?" + urlencode({"tz": row.visitor_tz}),
        calendar=f"/book/{page.key}/done/{row.reference}/request.ics",
        place=service.place.text() if service is not None else None,
        telehealth=service is not None and service.place.telehealth,
    )


async def done_calendar(request: Request) -> Response:
    """``GET /book/<key>/done/<ref>/request.ics``: the held request for the visitor's
    calendar (tentative), while the done page shows."""
    web = _web(request)
    page = await _page(request)
    if page is None:
        return _missing()
    body = await run_in_threadpool(
        booking.request_calendar, web.db, web.clock, page, request.path_params["ref"]
    )
    if body is None:
        return _missing()
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": 'attachment; filename="request.ics"',
        },
    )


async def _slash(request: Request) -> Response:
    # A relative Location: the Host header is the sender's to choose, never echoed back.
    return RedirectResponse(f"/book/{request.path_params['key']}", status_code=308)


async def _page_route(request: Request) -> Response:
    return await page_view(request)


def routes() -> list[Route]:
    """The booking pages' routes."""
    return [
        Route("/book/{key}", _page_route, methods=["GET", "HEAD"]),
        Route("/book/{key}/request", request_form, methods=["GET", "HEAD"]),
        Route("/book/{key}/request", submit, methods=["POST"]),
        Route("/book/{key}/", _slash, methods=["GET", "HEAD"]),
        Route("/book/{key}/sent", sent, methods=["GET", "HEAD"]),
        Route("/book/{key}/verify/{token}", verify_view, methods=["GET", "HEAD"]),
        Route("/book/{key}/verify/{token}", verify_submit, methods=["POST"]),
        Route("/book/{key}/done/{ref}", done, methods=["GET", "HEAD"]),
        Route("/book/{key}/done/{ref}/request.ics", done_calendar, methods=["GET", "HEAD"]),
    ]
