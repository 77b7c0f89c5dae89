"""ICS subscriptions: fetch a feed, and keep a practitioner's copy of its events in step.

A refresh is one conditional GET (:mod:`sessions_tui.sync.subscription_fetch`), then:

- **304**, or a 200 whose body is byte-for-byte the last good copy: nothing is written but the
  subscription's "last success";
- **a new copy**: it is parsed by the ICS reader (:func:`sessions_tui.sync.ics.iter_items`,
  which maps each VEVENT through :mod:`sessions_tui.domain.external`), then written in **one
  transaction** through the one writer's bulk path: events are matched by UID and
  RECURRENCE-ID, so a refresh or a second ``subscribe`` never duplicates; events that left the
  feed are removed; series keep their EXDATEs and overridden occurrences; busy/free follows
  the subscription's :class:`~sessions_tui.domain.subscriptions.BusyMode`;
- **a failure** (unreachable, an HTTP error, a timeout, a body too big, not iCalendar, a
  malformed event): nothing of the events changes, so the last good copy stays in the
  calendar, and the subscription records the error and when (``subscriptions list`` and the
  TUI say so).

Stored uids are ``<UID>#s<subscription id>`` (an overridden occurrence:
``<UID>#<recurrence key>#s<id>``; an RDATE extra ``<UID>#rdate-<key>#s<id>``), so two
subscriptions of the same feed, or an ``ics import`` of the same file, never collide.

A feed that names the same UID and RECURRENCE-ID twice is not refused (it is someone else's
calendar): the higher SEQUENCE wins, then the later one in the file.

Concurrency: before fetching, a refresh claims the subscription by moving its
``last_attempt_at`` on from the value it read (compare and set), so two clients sharing a
database do not fetch and write the same feed at once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sessions_tui.domain.errors import NotFoundError, SessionsError, ValidationError
from sessions_tui.domain.subscriptions import (
    BusyMode,
    Subscription,
    check_interval,
    check_name,
    display_url,
    is_due,
    normalize_url,
)
from sessions_tui.domain.text import safe_text
from sessions_tui.services.context import Context
from sessions_tui.services.permissions import holds_role, require_manage_subscription
from sessions_tui.services.subscriptions import (
    find_subscription,
    list_subscriptions,
    refuse_own_feed,
    to_domain,
)
from sessions_tui.services.writer import Writer
from sessions_tui.store.tables import StaffRow, SubscriptionRow
from sessions_tui.sync.ics import IcsError, ReadNotes, practitioner_zone
from sessions_tui.sync.subscription_fetch import Fetched, FetchError, fetch
from sessions_tui.sync.subscription_store import locations_of, parse_feed, store

log = logging.getLogger(__name__)

Fetcher = Callable[..., Fetched]
MAX_ERROR = 300


@dataclass(frozen=True)
class RefreshResult:
    """What one refresh did.

    Attributes:
        outcome: ``updated`` (a new copy was stored), ``unchanged`` (304 or the same body) or
            ``failed`` (the last good copy is kept; ``error`` says why).
    """

    subscription: Subscription
    outcome: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """False when the refresh failed (the last good copy is kept)."""
        return self.outcome != "failed"

    @property
    def changed(self) -> bool:
        """True when the refresh added, updated or removed anything."""
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        """One line saying what the refresh did, or why it failed."""
        name = self.subscription.name
        if self.outcome == "failed":
            kept = (
                f"keeping the last good copy ({self.subscription.event_count} events)"
                if self.subscription.last_success_at is not None
                else "nothing stored yet"
            )
            return f"{name}: failed: {self.error}; {kept}."
        if self.outcome == "unchanged":
            return f"{name}: unchanged ({self.subscription.event_count} events)."
        return (
            f"{name}: {self.subscription.event_count} events: {self.added} added, "
            f"{self.updated} updated, {self.removed} removed."
        )


# --- the use cases -----------------------------------------------------------------------------


def _short(message: str) -> str:
    line = safe_text(" ".join(message.split()))
    return line if len(line) <= MAX_ERROR else line[: MAX_ERROR - 1] + "…"


def _practitioner(s: Session, practitioner_id: int) -> StaffRow:
    row = s.get(StaffRow, practitioner_id)
    if row is None or not holds_role(row.roles, "practitioner"):
        raise NotFoundError(f"no practitioner with id {practitioner_id}", field="practitioner")
    return row


def _domain(s: Session, row: SubscriptionRow) -> Subscription:
    person = s.get(StaffRow, row.practitioner_id)
    return to_domain(row, person.name if person else "?")


def _download(sub: Subscription, fetcher: Fetcher, conditional: bool) -> Fetched:
    return fetcher(
        sub.url,
        etag=sub.etag if conditional else None,
        last_modified=sub.last_modified if conditional else None,
    )


def _reading(ctx: Context, pid: int) -> tuple[str, dict[str, int]]:
    """The floating-time zone and the practice's locations, for reading a feed (read before
    any write transaction opens: on SQLite a second connection would wait for it)."""
    floating = practitioner_zone(ctx, pid)
    with ctx.db.read() as s:
        return floating, locations_of(s)


def subscribe(
    ctx: Context,
    url: str,
    *,
    name: str,
    practitioner_id: int,
    busy: BusyMode = BusyMode.FEED,
    interval_minutes: int = 60,
    fetcher: Fetcher = fetch,
) -> RefreshResult:
    """Subscribe ``practitioner_id``'s calendar to the feed at ``url`` and fetch it.

    The first fetch must succeed: a feed that cannot be fetched or read stores nothing (the
    error says why). Subscribing again to a URL the practitioner already follows changes that
    subscription's name, busy mode and interval and refreshes it (nothing is duplicated).

    Raises:
        ValidationError: a bad URL, name or interval; the name is taken by another of their
            subscriptions; the feed failed (nothing stored).
        PermissionDenied: a practitioner subscribing another practitioner's calendar.
    """
    actor = ctx.require_actor()
    target = normalize_url(url)
    label = check_name(name)
    check_interval(interval_minutes)
    require_manage_subscription(actor, practitioner_id)
    refuse_own_feed(ctx, url, practitioner_id)  # its events would show twice
    with ctx.db.read() as s:
        _practitioner(s, practitioner_id)
        rows = list(
            s.execute(
                select(SubscriptionRow).where(SubscriptionRow.practitioner_id == practitioner_id)
            ).scalars()
        )
    same_url = next((r for r in rows if r.url == target), None)
    clash = next(
        (r for r in rows if r.name.casefold() == label.casefold() and r is not same_url), None
    )
    if clash is not None:
        raise ValidationError(
            f"this calendar already has a subscription named {clash.name!r} "
            "(choose another --name, or `sessions-tui subscriptions remove` it)",
            field="name",
        )
    now = ctx.clock.now()
    floating, locations = _reading(ctx, practitioner_id)
    if same_url is not None:
        assert same_url.id is not None
        with ctx.db.session() as s:
            row = s.get(SubscriptionRow, same_url.id)
            assert row is not None
            mode_changed = row.busy != busy.value
            row.name, row.busy, row.interval_minutes = label, busy.value, interval_minutes
            if mode_changed:  # re-read the feed so every event gets the new mode
                row.body_hash = None
        return refresh(
            ctx,
            str(same_url.id),
            practitioner_id=practitioner_id,
            force=mode_changed,
            fetcher=fetcher,
        )
    try:
        got = fetcher(target)
    except FetchError as exc:
        raise ValidationError(f"cannot subscribe: {exc.message}; nothing stored") from None
    if got.body is None:
        raise ValidationError("cannot subscribe: the feed answered 304 to a first request")
    try:
        items = parse_feed(
            got.body,
            practitioner_id=practitioner_id,
            floating_tz=floating,
            busy=busy,
            locations=locations,
        )
    except IcsError as exc:
        raise ValidationError(f"cannot subscribe: {exc.message}; nothing stored") from None
    with ctx.db.session() as s:
        row = SubscriptionRow(
            practitioner_id=practitioner_id,
            name=label,
            url=target,
            busy=busy.value,
            interval_minutes=interval_minutes,
            created_by=actor.login,
            created_at=now,
        )
        s.add(row)
        s.flush()
        assert row.id is not None
        writer = Writer.for_sync(s, ctx.clock, practitioner_id)
        counts = store(s, writer, row.id, items, now)
        _succeeded(row, got, now, len(items))
        sub = _domain(s, row)
    log.info(
        "subscribed practitioner %s to %s: %s events",
        practitioner_id,
        display_url(target),
        counts.added,
    )
    return RefreshResult(sub, "updated", counts.added, counts.updated, counts.removed)


def _succeeded(row: SubscriptionRow, got: Fetched, now: datetime, count: int | None) -> None:
    row.last_attempt_at = now
    row.last_success_at = now
    row.last_error = None
    row.last_error_at = None
    row.failures = 0
    if got.etag or got.body is not None:
        row.etag = got.etag
    if got.last_modified or got.body is not None:
        row.last_modified = got.last_modified
    if got.body is not None:
        row.body_hash = hashlib.sha256(got.body).hexdigest()
    if count is not None:
        row.event_count = count


def _failed(ctx: Context, sub_id: int, message: str) -> Subscription:
    now = ctx.clock.now()
    with ctx.db.session() as s:
        row = s.get(SubscriptionRow, sub_id)
        if row is None:
            raise NotFoundError(f"no subscription {sub_id}")
        row.last_attempt_at = now
        row.last_error = _short(message)
        row.last_error_at = now
        row.failures += 1
        return _domain(s, row)


def _claim(ctx: Context, sub: Subscription) -> bool:
    """Move ``last_attempt_at`` on from what was read; ``False`` if another client did."""
    now = ctx.clock.now()
    with ctx.db.session() as s:
        col: Any = SubscriptionRow.last_attempt_at
        cond = col.is_(None) if sub.last_attempt_at is None else col == sub.last_attempt_at
        done = s.execute(
            update(SubscriptionRow)
            .where(SubscriptionRow.id == sub.id, cond)
            .values(last_attempt_at=now)
        )
        return bool(getattr(done, "rowcount", 1))


def refresh(
    ctx: Context,
    ident: str,
    *,
    practitioner_id: int | None = None,
    force: bool = False,
    fetcher: Fetcher = fetch,
) -> RefreshResult:
    """Fetch one subscription (by id or name) now and store a new copy if there is one.

    ``force`` asks without validators and rewrites even an identical body. Never raises for
    a feed's failure: the result says ``failed`` and the subscription keeps its last good copy.

    Raises:
        NotFoundError, PermissionDenied: no such subscription the user may manage.
    """
    sub = find_subscription(ctx, ident, practitioner_id)
    return _refresh(ctx, sub, force=force, fetcher=fetcher)


def _refresh(ctx: Context, sub: Subscription, *, force: bool, fetcher: Fetcher) -> RefreshResult:
    if not _claim(ctx, sub):
        with ctx.db.read() as s:
            row = s.get(SubscriptionRow, sub.id)
            current = _domain(s, row) if row is not None else sub
        return RefreshResult(current, "unchanged")
    where = display_url(sub.url)
    try:
        got = _download(sub, fetcher, conditional=not force)
    except FetchError as exc:
        log.warning("subscription %s (%s) failed: %s", sub.id, where, exc.message)
        return RefreshResult(_failed(ctx, sub.id, exc.message), "failed", error=exc.message)
    now = ctx.clock.now()
    body_hash = hashlib.sha256(got.body).hexdigest() if got.body is not None else None
    with ctx.db.session() as s:
        row = s.get(SubscriptionRow, sub.id)
        if row is None:
            raise NotFoundError(f"no subscription {sub.id}")
        if got.unchanged or (not force and body_hash is not None and body_hash == row.body_hash):
            _succeeded(row, got, now, None)
            log.info("subscription %s (%s): unchanged", sub.id, where)
            return RefreshResult(_domain(s, row), "unchanged")
    assert got.body is not None
    try:
        floating, locations = _reading(ctx, sub.practitioner_id)
        notes = ReadNotes()
        items = parse_feed(
            got.body,
            practitioner_id=sub.practitioner_id,
            floating_tz=floating,
            busy=sub.busy,
            locations=locations,
            notes=notes,
        )
        for line in [*notes.warnings, *notes.skipped]:
            log.warning("subscription %s (%s): %s", sub.id, where, line)
        with ctx.db.session() as s:
            row = s.get(SubscriptionRow, sub.id)
            if row is None:
                raise NotFoundError(f"no subscription {sub.id}")
            writer = Writer.for_sync(s, ctx.clock, sub.practitioner_id)
            counts = store(s, writer, sub.id, items, now)
            _succeeded(row, got, now, len(items))
            current = _domain(s, row)
    except IcsError as exc:
        log.warning("subscription %s (%s): not a good calendar: %s", sub.id, where, exc.message)
        message = f"bad calendar: {exc.message}"
        return RefreshResult(_failed(ctx, sub.id, message), "failed", error=message)
    except (SessionsError, IntegrityError) as exc:
        message = exc.message if isinstance(exc, SessionsError) else "conflicts with stored events"
        log.warning("subscription %s (%s): not stored: %s", sub.id, where, message)
        return RefreshResult(_failed(ctx, sub.id, message), "failed", error=message)
    log.info(
        "subscription %s (%s): %s added, %s updated, %s removed",
        sub.id,
        where,
        counts.added,
        counts.updated,
        counts.removed,
    )
    return RefreshResult(current, "updated", counts.added, counts.updated, counts.removed)


def refresh_all(
    ctx: Context,
    *,
    due_only: bool = False,
    practitioner_id: int | None = None,
    force: bool = False,
    fetcher: Fetcher = fetch,
) -> list[RefreshResult]:
    """Refresh every subscription the user may manage (only those due, with ``due_only``:
    what the TUI's timer and a frequent cron job use)."""
    now = ctx.clock.now()
    results: list[RefreshResult] = []
    for sub in list_subscriptions(ctx, practitioner_id):
        if due_only and not is_due(now, sub.last_attempt_at, sub.failures, sub.interval_minutes):
            continue
        results.append(_refresh(ctx, sub, force=force, fetcher=fetcher))
    return results


def remove(
    ctx: Context, ident: str, *, practitioner_id: int | None = None
) -> tuple[Subscription, int]:
    """Drop a subscription and every event it brought, in one transaction; returns it and
    how many events went."""
    sub = find_subscription(ctx, ident, practitioner_id)
    with ctx.db.session() as s:
        writer = Writer.for_sync(s, ctx.clock, sub.practitioner_id)
        counts = store(s, writer, sub.id, [], ctx.clock.now())
        subscription_row = s.get(SubscriptionRow, sub.id)
        if subscription_row is not None:
            s.delete(subscription_row)
    log.info("subscription %s removed: %s events", sub.id, counts.removed)
    return sub, counts.removed
