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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sessions_tui.domain.errors import NotFoundError, SessionsError, ValidationError
from sessions_tui.domain.events import Event
from sessions_tui.domain.subscriptions import (
    BusyMode,
    Subscription,
    check_interval,
    check_name,
    display_url,
    is_due,
    normalize_url,
    source_of,
)
from sessions_tui.domain.text import safe_text
from sessions_tui.services.context import Context
from sessions_tui.services.permissions import holds_role, require_manage_subscription
from sessions_tui.services.subscriptions import find_subscription, list_subscriptions, to_domain
from sessions_tui.services.writer import Writer, row_values
from sessions_tui.store.queries import recurrence_key
from sessions_tui.store.tables import EventRow, ExdateRow, LocationRow, StaffRow, SubscriptionRow
from sessions_tui.sync.ics import IcsError, iter_items, practitioner_zone
from sessions_tui.sync.subscription_fetch import Fetched, FetchError, fetch

log = logging.getLogger(__name__)

Fetcher = Callable[..., Fetched]
_EV: Any = EventRow.__table__  # type: ignore[attr-defined]
_EX: Any = ExdateRow.__table__  # type: ignore[attr-defined]
_CHUNK = 500
_COMPARED = [
    c.name
    for c in EventRow.__table__.columns  # type: ignore[attr-defined]
    if c.name not in ("id", "uid", "created_at", "updated_at", "version")
]
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
        return self.outcome != "failed"

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
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


@dataclass
class _Item:
    uid: str
    event: Event
    sequence: int
    master_uid: str | None  # an override: its series' stored uid
    exdate_keys: set[str]


# --- parsing ---------------------------------------------------------------------------------


def _locations(s: Session) -> dict[str, int]:
    return {r.name.casefold(): int(r.id) for r in s.execute(select(LocationRow)).scalars() if r.id}


def parse_feed(
    body: bytes,
    *,
    sub_id: int,
    practitioner_id: int,
    floating_tz: str,
    busy: BusyMode,
    locations: dict[str, int],
    name: str = "the feed",
) -> list[_Item]:
    """The feed's events as items to store (uids namespaced by the subscription).

    Raises:
        IcsError: not iCalendar, or a malformed event (line and UID named).
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise IcsError(f"{name} line {line}: not UTF-8 text ({exc.reason})") from None
    if "BEGIN:VCALENDAR" not in text[:4096].upper():
        raise IcsError(f"{name} is not an iCalendar feed (no BEGIN:VCALENDAR)")
    suffix = f"#s{sub_id}"
    import_suffix = f"#p{practitioner_id}"
    _label, stream = iter_items(
        text,
        name=name,
        practitioner_id=practitioner_id,
        floating_tz=floating_tz,
        locations=locations,
        label=source_of(sub_id),
    )
    chosen: dict[tuple[str, str | None], _Item] = {}
    for raw in stream:
        event = raw.event.with_changes(busy=busy.busy(raw.event.busy))
        rid = event.recurrence_id
        if raw.master_uid is not None and rid is not None:
            key = recurrence_key(rid)
            item = _Item(
                f"{raw.source_uid}#{key}{suffix}",
                event,
                raw.sequence,
                f"{raw.source_uid}{suffix}",
                set(),
            )
            ident: tuple[str, str | None] = (raw.source_uid, key)
        else:
            base = raw.uid.removesuffix(import_suffix)
            item = _Item(f"{base}{suffix}", event, raw.sequence, None, set(raw.exdate_keys))
            ident = (base, None)
        old = chosen.get(ident)
        if old is None or item.sequence >= old.sequence:
            chosen[ident] = item
    return list(chosen.values())


# --- storing -----------------------------------------------------------------------------------


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


@dataclass
class _Counts:
    added: int = 0
    updated: int = 0
    removed: int = 0


def _store(s: Session, writer: Writer, sub_id: int, items: list[_Item], now: datetime) -> _Counts:
    """Make the stored copy of subscription ``sub_id`` exactly ``items`` (caller's txn)."""
    bulk_writer = writer.batch()
    counts = _Counts()
    source = source_of(sub_id)
    existing: dict[str, dict[str, Any]] = {
        r["uid"]: dict(r)
        for r in s.execute(select(_EV).where(_EV.c.source_calendar == source)).mappings()
    }
    masters = [i for i in items if i.master_uid is None]
    series = {i.uid for i in masters if i.event.rrule}
    ids = _write(s, bulk_writer, masters, existing, None, now, counts)
    # Deleted occurrences (EXDATE) of the feed's series.
    series_ids = [ids[u] for u in series]
    wanted = {(ids[i.uid], k) for i in masters if i.uid in series for k in i.exdate_keys}
    have: set[tuple[int, str]] = set()
    for chunk in _chunks(series_ids):
        have.update(
            (sid, key)
            for sid, key in s.execute(
                select(_EX.c.series_id, _EX.c.recurrence_key).where(_EX.c.series_id.in_(chunk))
            )
        )
    bulk_writer.set_exdates(add=wanted - have, remove=have - wanted)
    # Overrides attach to their series when the feed has it; else (an invitation to one
    # occurrence) they stand alone.
    overrides: list[_Item] = []
    for item in items:
        if item.master_uid is None:
            continue
        if item.master_uid not in series:
            item = replace(item, event=item.event.with_changes(recurrence_id=None), master_uid=None)
        overrides.append(item)
    series_of = {u: ids[u] for u in series}
    _write(s, bulk_writer, overrides, existing, series_of, now, counts)
    # Whatever of this subscription the feed no longer has: overrides first, then the
    # exdates of series going away, then the events themselves.
    keep = {i.uid for i in items}
    stale = [old for uid, old in existing.items() if uid not in keep]
    stale_children = [o["id"] for o in stale if o["series_id"] is not None]
    stale_masters = [o["id"] for o in stale if o["series_id"] is None]
    bulk_writer.delete(stale_children)
    if stale_masters:
        gone: set[tuple[int, str]] = set()
        for chunk in _chunks(stale_masters):
            gone.update(
                (sid, key)
                for sid, key in s.execute(
                    select(_EX.c.series_id, _EX.c.recurrence_key).where(_EX.c.series_id.in_(chunk))
                )
            )
            # Children of a vanished series that the feed still has (now standalone) were
            # updated above; any left would block the delete, and are stale too.
            orphans = [r[0] for r in s.execute(select(_EV.c.id).where(_EV.c.series_id.in_(chunk)))]
            bulk_writer.delete(orphans)
        bulk_writer.set_exdates(add=set(), remove=gone)
        bulk_writer.delete(stale_masters)
    counts.removed = len(stale)
    return counts


def _write(
    s: Session,
    bulk_writer: Any,
    batch: list[_Item],
    existing: dict[str, dict[str, Any]],
    series_of: dict[str, int] | None,
    now: datetime,
    counts: _Counts,
) -> dict[str, int]:
    ids = {i.uid: existing[i.uid]["id"] for i in batch if i.uid in existing}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for item in batch:
        event = item.event
        if series_of is not None and item.master_uid is not None:
            event = event.with_changes(series_id=series_of[item.master_uid])
        values = row_values(event, item.uid, item.sequence, now)
        stored = existing.get(item.uid)
        if stored is None:
            inserts.append(values)
        elif any(stored[c] != values[c] for c in _COMPARED):
            changed = {c: values[c] for c in _COMPARED}
            changed.update(b_id=stored["id"], version=stored["version"] + 1, updated_at=now)
            updates.append(changed)
    for chunk in _chunks(inserts):
        ids.update(bulk_writer.insert(list(chunk)))
    if updates:
        bulk_writer.update([*_COMPARED, "version", "updated_at"], updates)
    counts.added += len(inserts)
    counts.updated += len(updates)
    return ids


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
        return floating, _locations(s)


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
        try:
            items = parse_feed(
                got.body,
                sub_id=row.id,
                practitioner_id=practitioner_id,
                floating_tz=floating,
                busy=busy,
                locations=locations,
            )
        except IcsError as exc:
            raise ValidationError(f"cannot subscribe: {exc.message}; nothing stored") from None
        writer = Writer.for_sync(s, ctx.clock, practitioner_id)
        counts = _store(s, writer, row.id, items, now)
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
        items = parse_feed(
            got.body,
            sub_id=sub.id,
            practitioner_id=sub.practitioner_id,
            floating_tz=floating,
            busy=sub.busy,
            locations=locations,
        )
        with ctx.db.session() as s:
            row = s.get(SubscriptionRow, sub.id)
            if row is None:
                raise NotFoundError(f"no subscription {sub.id}")
            writer = Writer.for_sync(s, ctx.clock, sub.practitioner_id)
            counts = _store(s, writer, sub.id, items, now)
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
        counts = _store(s, writer, sub.id, [], ctx.clock.now())
        subscription_row = s.get(SubscriptionRow, sub.id)
        if subscription_row is not None:
            s.delete(subscription_row)
    log.info("subscription %s removed: %s events", sub.id, counts.removed)
    return sub, counts.removed
