"""Why a sync cannot run: the errors the Google engine, its sign-in and the worker share.

In a module of their own so that :mod:`sessions_tui.sync.oauth` (which raises
:class:`SyncAuthError`) and :mod:`sessions_tui.sync.google` (which uses oauth for credentials)
need not import each other; :mod:`sessions_tui.sync.google` re-exports all three.
"""

from __future__ import annotations

from sessions_tui.domain.errors import SessionsError


class SyncError(SessionsError):
    """Google sync cannot run (not connected, bad endpoint, refused sign-in)."""


class SyncAuthError(SyncError):
    """The saved sign-in is missing, expired beyond refresh, or was refused."""


class SyncTransientError(SyncError):
    """Google is rate limiting us or unreachable after the client's retries; try later."""

    def __init__(self, message: str, *, quota: bool = False) -> None:
        super().__init__(message)
        self.quota = quota


class CalendarGone(SyncError):
    """A calendar's listing answered 404/410 for the calendar itself: deleted remotely, or no
    longer shared with the account."""

    def __init__(self, calendar: str) -> None:
        super().__init__(f"calendar {calendar} is gone")
        self.calendar = calendar
