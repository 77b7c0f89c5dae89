"""Who may do what. Enforced by services, so the CLI and the UI obey the same rules."""

from __future__ import annotations

from datetime import datetime, timedelta

from sessions_tui.domain.errors import PermissionDenied
from sessions_tui.domain.events import Event
from sessions_tui.domain.model import Staff


def can_edit_event(actor: Staff, event: Event) -> bool:
    """Schedulers and admins edit every event; a practitioner only their own."""
    if actor.is_admin or actor.is_scheduler:
        return True
    return actor.is_practitioner and event.practitioner_id == actor.id


def require_edit_event(actor: Staff, event: Event) -> None:
    if not can_edit_event(actor, event):
        raise PermissionDenied(
            f"{actor.login} is a practitioner and may only change their own events"
        )


def require_writable_source(read_only_calendar: str | None) -> None:
    """An event of a Google calendar the account may only read changes in Google, not here.

    Args:
        read_only_calendar: The name of the event's read-only calendar, ``None`` if it has
            none (see ``google_settings.read_only_source``).
    """
    if read_only_calendar is not None:
        raise PermissionDenied(
            f"this event is from the Google calendar {read_only_calendar!r}, which is shared "
            "read-only: change it in Google"
        )


def can_edit_hours(actor: Staff, practitioner_id: int | None) -> bool:
    """Office hours: a practitioner their own; schedulers and admins any, and the default."""
    if actor.is_admin or actor.is_scheduler:
        return True
    return practitioner_id is not None and practitioner_id == actor.id


def require_edit_hours(actor: Staff, practitioner_id: int | None) -> None:
    if not can_edit_hours(actor, practitioner_id):
        whose = "the practice default" if practitioner_id is None else "another practitioner's"
        raise PermissionDenied(f"{actor.login} may not change {whose} hours")


def require_admin(actor: Staff, what: str) -> None:
    """Only admins change roles and practice settings."""
    if not actor.is_admin:
        raise PermissionDenied(f"only an admin may {what} ({actor.login} is {actor.role_label})")


def require_manager(actor: Staff, what: str) -> None:
    """Admins and schedulers run the practice's lists (clients, locations)."""
    if not (actor.is_admin or actor.is_scheduler):
        raise PermissionDenied(
            f"only an admin or scheduler may {what} ({actor.login} is {actor.role_label})"
        )


def may_act_as(os_person: Staff | None, *, demo: bool) -> bool:
    """SQLite: whether the OS login may act as *another* member of staff (``--user``).

    Only an admin of the practice may, or anyone on a practice made by ``sessions-tui demo``
    (its staff are invented). This is honesty, not a wall: anyone who can write the database
    file can change it with any SQLite tool (docs/SECURITY.md).
    """
    return demo or (os_person is not None and os_person.is_admin)


def require_act_as(os_login: str, os_person: Staff | None, claimed: str, *, demo: bool) -> None:
    if not may_act_as(os_person, demo=demo):
        why = "not an admin of this practice" if os_person else "not a member of staff"
        raise PermissionDenied(
            f"--user {claimed}: you are logged in as {os_login!r}, {why}; only an admin may "
            "act as another member of staff"
        )


def is_admin(actor: Staff) -> bool:
    """Admins change roles, staff and practice settings."""
    return actor.is_admin


def can_edit_staff(actor: Staff, staff_id: int) -> bool:
    """Admins change anyone's profile; a member only their own (never their roles)."""
    return actor.is_admin or actor.id == staff_id


def is_manager(actor: Staff) -> bool:
    """Admins and schedulers: they see and change every practitioner's calendar and settings."""
    return actor.is_admin or actor.is_scheduler


def holds_role(roles: str, role: str) -> bool:
    """Whether a stored comma-separated ``roles`` value holds ``role`` (e.g. "practitioner")."""
    return role in roles.split(",")


def can_manage_feed(actor: Staff, practitioner_id: int) -> bool:
    """ICS feeds: admins and schedulers manage every feed; a practitioner only their own."""
    return is_manager(actor) or actor.id == practitioner_id


def require_manage_feed(actor: Staff, practitioner_id: int) -> None:
    if not can_manage_feed(actor, practitioner_id):
        raise PermissionDenied(f"{actor.login} may only see and change their own calendar feed")


def require_export(actor: Staff, practitioner_id: int | None) -> None:
    """ICS export: a practitioner their own calendar; admins and schedulers any, or the whole
    practice's (``None``)."""
    if practitioner_id is None:
        if not is_manager(actor):
            raise PermissionDenied(
                f"{actor.login} may export only their own calendar (use --practitioner)"
            )
    elif not can_manage_feed(actor, practitioner_id):
        raise PermissionDenied(f"{actor.login} may export only their own calendar")


def can_manage_sync(actor: Staff, practitioner_id: int) -> bool:
    """Calendar sync settings (Google, CalDAV): a practitioner their own; admins and
    schedulers anyone's."""
    return is_manager(actor) or actor.id == practitioner_id


def require_manage_sync(actor: Staff, practitioner_id: int) -> None:
    if not can_manage_sync(actor, practitioner_id):
        raise PermissionDenied(f"{actor.login} may not change another practitioner's sync")


can_manage_google = can_manage_sync  # the old name, until every branch has the new one
require_manage_google = require_manage_sync


def require_sync_write(practitioner_id: int, event: Event) -> None:
    """A sync or an import acts for one practitioner: it writes that practitioner's events only
    (never another's, nor a practice-wide event)."""
    if event.practitioner_id != practitioner_id:
        raise PermissionDenied(
            f"a sync for practitioner {practitioner_id} may not change an event of "
            + ("the whole practice" if event.practitioner_id is None else "another practitioner")
        )


def can_manage_booking(actor: Staff, practitioner_id: int) -> bool:
    """Online booking (settings, link, requests): admins and schedulers for everyone, a
    practitioner for themself."""
    if actor.is_admin or actor.is_scheduler:
        return True
    return actor.is_practitioner and actor.id == practitioner_id


def require_manage_booking(actor: Staff, practitioner_id: int) -> None:
    if not can_manage_booking(actor, practitioner_id):
        raise PermissionDenied(
            f"{actor.login} may only manage their own online booking "
            "(admins and schedulers manage everyone's)"
        )


def can_manage_subscription(actor: Staff, practitioner_id: int) -> bool:
    """ICS subscriptions (subscribe, refresh, remove, see the URL): admins and schedulers for
    every practitioner, a practitioner for their own calendar."""
    return is_manager(actor) or (actor.is_practitioner and actor.id == practitioner_id)


def require_manage_subscription(actor: Staff, practitioner_id: int) -> None:
    if not can_manage_subscription(actor, practitioner_id):
        raise PermissionDenied(
            f"{actor.login} may only manage subscriptions of their own calendar "
            "(admins and schedulers manage everyone's)"
        )


def require_writable_subscription(subscription: str | None) -> None:
    """An event of a read-only ICS subscription changes in its feed, never here.

    Args:
        subscription: The name of the subscription the event came from, ``None`` if none
            (see ``services.subscriptions.subscription_of``).
    """
    if subscription is not None:
        raise PermissionDenied(
            f"this event comes from the subscription {subscription!r}, which is read-only: "
            "it changes in its feed (`sessions-tui subscriptions remove` drops it)"
        )


def require_client_cancel(start: datetime, now: datetime, cancel_hours: int | None) -> None:
    """A client may cancel a session from a reminder's link only when the practice allows it
    (``cancel_hours`` set) and until that many hours before it starts."""
    if cancel_hours is None:
        raise PermissionDenied("This practice does not take cancellations online; please call.")
    if now > start - timedelta(hours=cancel_hours):
        raise PermissionDenied(
            f"It is too late to cancel online (up to {cancel_hours} hours before); please call."
        )
