"""ICS subscriptions: the subscription rows (who may see and change them, their status).

Fetching and storing a feed's events is :mod:`sessions_tui.sync.subscriptions`; this module
keeps the ``subscription`` rows and answers questions about them. Permissions
(:func:`~sessions_tui.services.permissions.require_manage_subscription`): admins and
schedulers manage every practitioner's subscriptions, a practitioner their own. A
subscription's URL is shown only to those who may manage it (a shared calendar's secret is
often in it), so :func:`list_subscriptions` lists only those.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.events import Event
from sessions_tui.domain.subscriptions import BusyMode, Subscription, subscription_id
from sessions_tui.services.context import Context
from sessions_tui.services.permissions import can_manage_subscription, require_manage_subscription
from sessions_tui.store.tables import StaffRow, SubscriptionRow


def to_domain(row: SubscriptionRow, practitioner: str) -> Subscription:
    """The domain view of a subscription row, with its practitioner's name."""
    assert row.id is not None
    return Subscription(
        id=row.id,
        practitioner_id=row.practitioner_id,
        practitioner=practitioner,
        name=row.name,
        url=row.url,
        busy=BusyMode(row.busy),
        interval_minutes=row.interval_minutes,
        created_at=row.created_at,
        last_attempt_at=row.last_attempt_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        failures=row.failures,
        event_count=row.event_count,
        etag=row.etag,
        last_modified=row.last_modified,
    )


def _names(s: Session) -> dict[int, str]:
    return {int(r.id): r.name for r in s.execute(select(StaffRow)).scalars() if r.id is not None}


def list_subscriptions(ctx: Context, practitioner_id: int | None = None) -> list[Subscription]:
    """The subscriptions the current user may manage (of ``practitioner_id`` if given), by
    practitioner and name."""
    actor = ctx.require_actor()
    with ctx.db.read() as s:
        names = _names(s)
        stmt = select(SubscriptionRow).order_by(
            SubscriptionRow.practitioner_id, SubscriptionRow.name
        )
        if practitioner_id is not None:
            stmt = stmt.where(SubscriptionRow.practitioner_id == practitioner_id)
        rows = list(s.execute(stmt).scalars())
    return [
        to_domain(r, names.get(r.practitioner_id, "?"))
        for r in rows
        if can_manage_subscription(actor, r.practitioner_id)
    ]


def find_subscription(ctx: Context, ident: str, practitioner_id: int | None = None) -> Subscription:
    """A subscription by id (digits) or name (case-insensitive), that the user may manage.

    Raises:
        NotFoundError: none matches (the message lists the ones there are).
        ValidationError: the name is used for several practitioners (name one, or use the id).
        PermissionDenied: it is another practitioner's and the user is a practitioner.
    """
    actor = ctx.require_actor()
    key = ident.strip()
    with ctx.db.read() as s:
        names = _names(s)
        rows = list(s.execute(select(SubscriptionRow)).scalars())
    if practitioner_id is not None:
        rows = [r for r in rows if r.practitioner_id == practitioner_id]
    if key.isdigit():
        found = [r for r in rows if r.id == int(key)]
    else:
        found = [r for r in rows if r.name.casefold() == key.casefold()]
        mine = [r for r in found if can_manage_subscription(actor, r.practitioner_id)]
        found = mine or found
    if not found:
        known = ", ".join(
            sorted(
                f"{r.id} {r.name!r}"
                for r in rows
                if can_manage_subscription(actor, r.practitioner_id)
            )
        )
        raise NotFoundError(
            f"no subscription {ident!r}" + (f" (there are: {known})" if known else " (none yet)"),
            field="subscription",
        )
    if len(found) > 1:
        raise ValidationError(
            f"several practitioners have a subscription named {ident!r}: add --practitioner "
            "or give its id (`sessions-tui subscriptions list`)",
            field="subscription",
        )
    row = found[0]
    require_manage_subscription(actor, row.practitioner_id)
    return to_domain(row, names.get(row.practitioner_id, "?"))


def subscription_of(s: Session, event: Event) -> str | None:
    """The name of the subscription ``event`` came from (read-only here), else ``None``."""
    sid = subscription_id(event.source_calendar)
    if sid is None:
        return None
    row = s.get(SubscriptionRow, sid)
    return row.name if row is not None else f"#{sid}"


def refuse_own_feed(ctx: Context, url: str, practitioner_id: int) -> None:
    """Refuse ``url`` when it is ``practitioner_id``'s own ICS feed (``sessions-tui ics url``,
    served by ``sessions-tui web serve`` at ``/feeds/<token>.ics``, under whatever host or
    proxy): its events are in that calendar already, and subscribing would show every one
    twice. A colleague's feed is allowed (their sessions block this calendar's time, as busy
    blocks). Matched by the token in the path, so any host name or ``webcal://`` form of the URL
    is caught.

    Raises:
        ValidationError: naming whose feed it is.
    """
    import re
    from urllib.parse import unquote, urlsplit

    from sessions_tui.services.feeds import feed_by_token

    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return  # not a URL at all: the subscription's own check says so
    found = re.search(r"/feeds/([^/]+)\.ics$", path)
    if found is None:
        return
    feed = feed_by_token(ctx.db, unquote(found.group(1)))
    if feed is not None and feed.practitioner_id == practitioner_id:
        raise ValidationError(
            f"that is this practice's own feed of {feed.practitioner_name}'s calendar: its "
            "events are here already (subscribing would show each one twice)",
            field="url",
        )


def subscription_names(ctx: Context) -> dict[str, str]:
    """``source_calendar`` → subscription name, for showing where an event came from."""
    from sessions_tui.domain.subscriptions import source_of

    with ctx.db.read() as s:
        return {
            source_of(int(r.id)): r.name
            for r in s.execute(select(SubscriptionRow)).scalars()
            if r.id is not None
        }
