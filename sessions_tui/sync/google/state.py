"""The state every part of :class:`~sessions_tui.sync.google.engine.SyncEngine` shares.

:class:`EngineState` declares, with their types, the Google attributes the engine's
constructor sets (the account, its calendars and the report are the shared engine's), so each
mixin
(:mod:`.local`, :mod:`.merge`, :mod:`.pull`, :mod:`.access`, :mod:`.plan`, :mod:`.push`)
reads the same names. It also owns the client: one per run, and :meth:`EngineState._execute`,
which turns Google's refusals into the sync errors the worker understands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sessions_tui.store.tables import SyncLinkRow
from sessions_tui.sync.core.engine import AccountEngine
from sessions_tui.sync.core.provider import GOOGLE
from sessions_tui.sync.errors import SyncAuthError, SyncTransientError
from sessions_tui.sync.google.service import RETRYABLE, is_rate_limit, transport_errors


class EngineState(AccountEngine):
    """The engine's Google state and its requests (the account's, shared by every provider,
    is :class:`~sessions_tui.sync.core.engine.AccountEngine`'s)."""

    provider = GOOGLE
    api_root: str
    num_retries: int
    sleep: Callable[[float], None]
    page_size: int
    batch_size: int
    rand: Callable[[], float]
    # The client (one per run: httplib2 is not thread-safe) and its events resource.
    _service_or_factory: Any
    _svc: Any
    _events_resource: Any
    # The links of the page being applied (LocalStore._prefetch), each used once.
    _prefetched: dict[tuple[str, str], SyncLinkRow]
    _prefetched_ids: set[tuple[str, str]]

    def _service(self) -> Any:
        if self._svc is None:
            given = self._service_or_factory
            self._svc = given if hasattr(given, "events") else given()
            # Building a resource walks the discovery document: once per run, not per call.
            self._events_resource = self._svc.events()
        return self._svc

    def _events(self) -> Any:
        self._service()
        return self._events_resource

    def _execute(self, request: Any) -> Any:
        from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

        request._sleep = self.sleep  # the client's retry wait, injectable for tests
        request._rand = self.rand
        self.report.requests += 1
        try:
            return request.execute(num_retries=self.num_retries)
        except HttpError as exc:
            status = exc.resp.status
            if status in RETRYABLE or (status == 403 and is_rate_limit(exc)):
                raise SyncTransientError(
                    f"Google is busy or rate limiting (HTTP {status}); will retry later",
                    quota=status in (403, 429),
                ) from None
            if status == 401:
                raise SyncAuthError(
                    "Google refused the saved sign-in: run `sessions-tui google connect` again"
                ) from None
            raise
        except transport_errors() as exc:
            raise SyncTransientError(
                f"cannot reach Google ({exc.__class__.__name__}); will retry later"
            ) from None
