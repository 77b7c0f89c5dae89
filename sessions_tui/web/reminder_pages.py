"""The page a reminder's link opens: the session, and buttons to confirm or cancel it.

``GET /r/<token>`` only shows (mail scanners open links); ``POST /r/<token>`` with
``answer=confirm|cancel`` answers (a cancel asks once more first: only ``sure=yes`` cancels),
through :mod:`sessions_tui.services.reminder_links`. The token in the path is the secret (an
unguessable 32 characters, only its hash stored); a POST from another site's page is refused by
its Origin, and posts are rate-limited per address. An unknown token gets the same 404 page as
a session that is gone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sessions_tui.domain.errors import NotFoundError, PermissionDenied
from sessions_tui.services import reminder_links
from sessions_tui.services.practice import public_profile
from sessions_tui.web.booking_pages import _client, _html, _too_many


def _web(request: Request) -> Any:
    return request.app.state.web


def _gone(
    text: str = "This link does not lead to a session. Please call the practice.",
) -> Response:
    return _html("message.html", 404, title="Link not found", text=text)


async def show(
    request: Request,
    *,
    message: str | None = None,
    error: str | None = None,
    status: int = 200,
    ask_cancel: bool = False,
) -> Response:
    """The confirm/cancel page of a reminder's link (rate-limited per address)."""
    web = _web(request)
    if (limited := _too_many(web.page_by_address, _client(request))) is not None:
        return limited
    token = request.path_params["token"]
    try:
        info = await run_in_threadpool(reminder_links.page, web.db, web.clock, token)
    except reminder_links.NoLongerApplies as exc:  # the session is another client's now
        return _gone(exc.message)
    if info is None:
        return _gone()
    profile = await run_in_threadpool(public_profile, web.db)
    return _html(
        "reminder.html",
        status,
        info=info,
        profile=profile,
        action=f"/r/{token}",
        message=message,
        error=error,
        ask_cancel=ask_cancel,
    )


async def answer(request: Request) -> Response:
    """The client's answer from that page: confirm, or cancel when allowed."""
    web = _web(request)
    if (limited := _too_many(web.post_by_address, _client(request))) is not None:
        return limited
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.split("://", 1)[-1] != request.headers.get("host"):
        return _html(
            "message.html", 403, title="Refused", text="This form was sent from another site."
        )
    raw = await request.body()
    try:
        fields = parse_qs(raw.decode("utf-8")[:4000], max_num_fields=5)
    except (UnicodeDecodeError, ValueError):
        fields = {}
    what = (fields.get("answer") or [""])[0]
    if what not in (reminder_links.CONFIRM, reminder_links.CANCEL):
        return await show(request, error="Choose confirm or cancel.", status=400)
    token = request.path_params["token"]
    if what == reminder_links.CANCEL and (fields.get("sure") or [""])[0] != "yes":
        try:
            info = await run_in_threadpool(reminder_links.page, web.db, web.clock, token)
        except reminder_links.NoLongerApplies as exc:  # the session is another client's now
            return _gone(exc.message)
        if info is None:
            return _gone()
        if not info.can_cancel:
            too_late = "It is too late to cancel online; please call the practice."
            return await show(request, error=too_late, status=409)
        return await show(request, ask_cancel=True)
    try:
        reason = (fields.get("reason") or [""])[0] or None
        status = await run_in_threadpool(
            reminder_links.answer, web.db, web.clock, token, what, reason
        )
    except reminder_links.NoLongerApplies as exc:
        return _gone(exc.message)
    except NotFoundError:
        return _gone()
    except PermissionDenied as exc:
        return await show(request, error=exc.message, status=409)
    text = (
        "Thank you: your session is confirmed."
        if status.value == "confirmed"
        else "Your session is cancelled."
    )
    return await show(request, message=text)


async def _show(request: Request) -> Response:
    return await show(request)


def routes() -> list[Route]:
    """The routes of the reminder links, ``/r/{token}``."""
    return [
        Route("/r/{token}", _show, methods=["GET", "HEAD"]),
        Route("/r/{token}", answer, methods=["POST"]),
    ]
