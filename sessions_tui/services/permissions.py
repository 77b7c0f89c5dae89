"""Who may do what. Enforced by services, so the CLI and the UI obey the same rules."""

from __future__ import annotations

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
