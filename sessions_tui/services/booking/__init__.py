"""Online booking: each practitioner's settings, their public page, and visitors' requests.

A practitioner's page is off until they (or an admin/scheduler) turn it on. It offers their
services ("Intake", 80 minutes) over the same open time as ``sessions-tui availability``
(availability − date overrides − busy events − pending holds), further cut by the page's rules:
minimum notice, how far ahead, and a buffer around every busy event and hold.

A visitor's request is stored as a *pending hold* (:mod:`sessions_tui.store.holds`) in one
transaction that first re-checks the time against holds and busy events; on SQLite that
transaction holds the write lock (``BEGIN IMMEDIATE``) and on PostgreSQL an advisory lock per
practitioner, so of two visitors asking for one time at once exactly one gets it and the other
gets :class:`SlotTaken`. Answering requests is :mod:`sessions_tui.services.booking_requests`.

The page is reached at ``/book/<key>``: the practitioner's login when the page is public, else a
random secret that can be rotated (the old link then finds nothing).
"""

from sessions_tui.services.booking.model import (
    DEFAULT_BASE_URL,
    LIMITS,
    MAX_SERVICES,
    BookingPage,
    BookingService,
    BookingSettings,
    SlotTaken,
    Visitor,
)
from sessions_tui.services.booking.page import is_offered, page_for_key, page_slots, public_base
from sessions_tui.services.booking.settings import (
    check_service,
    get_settings,
    list_settings,
    rotate_link,
    update_settings,
)
from sessions_tui.services.booking.visitor import (
    UNVERIFIED,
    TookTooLong,
    ask,
    check_visitor,
    create_request,
    request_by_reference,
    request_calendar,
    request_for_token,
    time_is_free,
    verify,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "LIMITS",
    "MAX_SERVICES",
    "UNVERIFIED",
    "BookingPage",
    "BookingService",
    "BookingSettings",
    "SlotTaken",
    "TookTooLong",
    "Visitor",
    "ask",
    "check_service",
    "check_visitor",
    "create_request",
    "get_settings",
    "is_offered",
    "list_settings",
    "page_for_key",
    "page_slots",
    "public_base",
    "request_by_reference",
    "request_calendar",
    "request_for_token",
    "rotate_link",
    "time_is_free",
    "update_settings",
    "verify",
]
