"""The push: send the plan's writes in batch requests and record what Google answered.

:class:`PushMixin` sends the writes of :meth:`~.plan.PlanMixin.plan` in batches (Google advises
at most 50), retries what was rate limited with backoff, and follows up each write Google
refused: a ``409`` on insert adopts the event an earlier run made, a ``412`` (stale etag) is
resolved by the conflict rule, a ``403`` learns that the calendar is read-only, a ``404``
unlinks. Each success is recorded on its link, so a rerun finds the same state.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from sessions_tui.store.tables import SyncLinkRow
from sessions_tui.sync.engine import SyncProgress
from sessions_tui.sync.engine import keep_local as _keep_local
from sessions_tui.sync.errors import SyncError, SyncTransientError
from sessions_tui.sync.google.access import AccessMixin
from sessions_tui.sync.google.merge import MergeMixin
from sessions_tui.sync.google.plan import PlanMixin, _Op
from sessions_tui.sync.google.service import RETRYABLE, batch_uri, is_rate_limit, transport_errors

log = logging.getLogger("sessions_tui.sync.google")  # one logger for the whole package


class PushMixin(PlanMixin, MergeMixin, AccessMixin):
    """Sends the push plan to Google and records each write."""

    def _push(self) -> None:
        plan = self.plan()
        if plan.restore:
            # Only when a calendar turned read-only since this run's pull began; next run.
            log.info("%d local changes wait for read-only calendars", len(plan.restore))
        for group in (plan.first, plan.second, self._restores):
            self._run_ops(group)
        self._restores = []

    def _request_for(self, op: _Op) -> Any:
        events = self._events()
        if op.kind == "insert":
            req = events.insert(calendarId=op.calendar_id, body=op.body)
        elif op.kind == "patch":
            req = events.patch(calendarId=op.calendar_id, eventId=op.google_event_id, body=op.body)
        else:
            req = events.delete(calendarId=op.calendar_id, eventId=op.google_event_id)
        if op.etag and op.kind == "patch":
            req.headers["If-Match"] = op.etag
        return req

    def _run_ops(self, ops: list[_Op]) -> None:
        from googleapiclient.http import BatchHttpRequest  # type: ignore[import-untyped]

        queue = list(ops)
        round_no = 0
        while queue:
            if self._cancelled():
                return
            chunk, queue = queue[: self.batch_size], queue[self.batch_size :]
            results: dict[str, tuple[Any, Any]] = {}
            batch = BatchHttpRequest(
                callback=functools.partial(_collect, results), batch_uri=batch_uri(self.api_root)
            )
            for i, op in enumerate(chunk):
                batch.add(self._request_for(op), request_id=str(i))
            self._execute_batch(batch)
            retry: list[_Op] = []
            followups: list[tuple[_Op, Any]] = []
            with self.db.session() as s:
                by_cal: dict[str, list[str]] = {}
                for op in chunk:
                    if op.link_id is None:
                        by_cal.setdefault(op.calendar_id, []).append(op.google_event_id)
                self._prefetched, self._prefetched_ids = {}, set()
                for cal, gids in by_cal.items():
                    cached, known = self._prefetched, self._prefetched_ids
                    self._prefetch(s, cal, gids)
                    self._prefetched.update(cached)
                    self._prefetched_ids |= known
                for i, op in enumerate(chunk):
                    resp, exc = results.get(str(i), (None, None))
                    if exc is None:
                        self._done(s, op, resp)
                        continue
                    status = exc.resp.status
                    if status in RETRYABLE or (status == 403 and is_rate_limit(exc)):
                        op.attempts += 1
                        retry.append(op)
                    elif op.kind == "delete" and status in (404, 410):
                        self._done(s, op, None)
                    else:
                        followups.append((op, exc))
                self._forget_prefetch()
            for op, exc in followups:
                self._follow_up(op, exc)
            self._progress(
                SyncProgress(
                    "push", self.default_calendar, self.report.pushed + self.report.deleted
                )
            )
            if retry:
                if max(op.attempts for op in retry) > self.num_retries:
                    raise SyncTransientError(
                        "Google keeps rate limiting or failing writes; will retry later", quota=True
                    )
                round_no += 1
                self.sleep(min(32.0, self.rand() * 2 ** min(round_no, 5)))
                queue = retry + queue

    def _execute_batch(self, batch: Any) -> None:
        from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

        for attempt in range(self.num_retries + 1):
            self.report.requests += 1
            try:
                batch.execute()
                return
            except HttpError as exc:
                if exc.resp.status not in RETRYABLE and not (
                    exc.resp.status == 403 and is_rate_limit(exc)
                ):
                    raise SyncError(
                        f"Google refused a batch request: HTTP {exc.resp.status}"
                    ) from None
            except transport_errors():
                pass
            if attempt < self.num_retries:
                self.sleep(self.rand() * 2**attempt)
        raise SyncTransientError("cannot reach Google or it keeps failing; will retry later")

    def _done(self, s: Session, op: _Op, resp: Mapping[str, Any] | None) -> None:
        """Record a successful write (idempotent: a rerun finds the same state)."""
        if op.kind != "delete" and op.origin == "restore":
            self.report.pushed += 1  # an instance written back: nothing here to link
            return
        self._written(
            s,
            op.kind,
            op.link_id,
            (op.calendar_id, op.google_event_id),
            op.event_id,
            op.origin,
            etag=(resp or {}).get("etag"),
            local_hash=op.local_hash,
        )

    def _follow_up(self, op: _Op, exc: Any) -> None:
        """Resolve a write Google refused: 409 duplicate, 412 stale etag, 404 gone."""
        from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

        status = exc.resp.status
        events = self._events()
        try:
            if op.kind == "insert" and status == 409:
                # Made by an earlier run that died before recording it: adopt it.
                current = self._execute(
                    events.get(calendarId=op.calendar_id, eventId=op.google_event_id)
                )
                body = {k: v for k, v in (op.body or {}).items() if k != "id"}
                resp = self._execute(
                    events.update(
                        calendarId=op.calendar_id,
                        eventId=op.google_event_id,
                        body=dict(current, **body),
                    )
                )
            elif op.kind == "patch" and status == 412:
                resp = self._resolve_stale(op)
                if resp is None:
                    return
            elif status == 403 and op.calendar_id not in self.read_only:
                # Not a rate limit: the account may not write here (shared read-only). Learn
                # it; the next run restores Google's version instead of retrying for ever.
                self._set_access({op.calendar_id: "reader"})
                self.report.messages.append(
                    f"calendar {op.calendar_id} is read-only for this account: local changes "
                    "to its events are undone by the next sync"
                )
                return
            elif op.kind == "patch" and status == 404 and op.link_id is not None:
                with self.db.session() as s:
                    link = s.get(SyncLinkRow, op.link_id)
                    if link is not None:
                        s.delete(link)  # gone from Google for good: inserted again next run
                return
            else:
                self.report.errors += 1
                log.warning("Google refused %s of %s: HTTP %s", op.kind, op.google_event_id, status)
                return
        except HttpError as again:
            self.report.errors += 1
            log.warning(
                "Google refused %s of %s: HTTP %s", op.kind, op.google_event_id, again.resp.status
            )
            return
        with self.db.session() as s:
            self._done(s, op, resp)

    def _resolve_stale(self, op: _Op) -> Any:
        """412: Google changed since we looked. Sessions keep local; others the latest."""
        events = self._events()
        current = self._execute(events.get(calendarId=op.calendar_id, eventId=op.google_event_id))
        self.report.conflicts += 1
        with self.db.session() as s:
            loaded = self._load(s, op.event_id)
            if loaded is None:
                return None
            row, ev = loaded
            keep_local = _keep_local(ev, row.updated_at, current.get("updated"))
            log.info(
                "conflict on event %s (Google %s, stale etag): keeping the %s version",
                ev.id,
                op.google_event_id,
                "local" if keep_local else "Google",
            )
            if not keep_local:
                link = s.get(SyncLinkRow, op.link_id) if op.link_id else None
                if link is not None:
                    self._apply_linked(s, op.calendar_id, current, link, row, ev, ev.tzid)
                return None
        req = events.patch(calendarId=op.calendar_id, eventId=op.google_event_id, body=op.body)
        req.headers["If-Match"] = current.get("etag")
        return self._execute(req)


def _collect(results: dict[str, tuple[Any, Any]], request_id: str, resp: Any, exc: Any) -> None:
    results[request_id] = (resp, exc)
