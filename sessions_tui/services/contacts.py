"""A client's contact details: email, phone, preferred name, and their reminder consent.

Kept in ``client_contact`` beside the client (online booking matches visitors by it). Consent
is a yes or no with the moment it was recorded: it changes only when the answer changes, so
the date stays the date the client gave it. Managers (schedulers, admins) edit contacts, as
they edit clients.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.model import ClientContact
from sessions_tui.services.context import Context
from sessions_tui.services.permissions import require_manager
from sessions_tui.store.tables import ClientContactRow, ClientRow

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
UNSET = object()
"""Leave a field as it is (``set_contact``'s default)."""


def check_email(value: str | None) -> str | None:
    """An address like ``name@example.org`` (``None``/empty: none)."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 254 or not EMAIL.match(value) or any(ord(c) < 32 for c in value):
        raise ValidationError(
            f"bad email address {value!r} (expected name@example.org)", field="email"
        )
    return value


def check_preferred_name(value: str | None) -> str | None:
    """A client's preferred name, trimmed; ``None`` when empty; a ValidationError when bad."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 100 or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError(
            "preferred name must be one line of at most 100 characters", field="preferred_name"
        )
    return value


def _contact(client_id: int, row: ClientContactRow | None) -> ClientContact:
    if row is None:
        return ClientContact(client_id)
    return ClientContact(
        client_id,
        row.email,
        row.phone,
        row.preferred_name,
        row.reminders,
        row.reminders_given_at,
    )


def contacts(ctx: Context, client_ids: Iterable[int] | None = None) -> dict[int, ClientContact]:
    """Contacts by client id (clients with none get an empty one when asked by id)."""
    ctx.require_actor()
    wanted = None if client_ids is None else sorted(set(client_ids))
    with ctx.db.read() as s:
        stmt = select(ClientContactRow)
        if wanted is not None:
            stmt = stmt.where(ClientContactRow.client_id.in_(wanted))  # type: ignore[attr-defined]
        found = {r.client_id: _contact(r.client_id, r) for r in s.execute(stmt).scalars()}
    for cid in wanted or ():
        found.setdefault(cid, ClientContact(cid))
    return found


def get_contact(ctx: Context, client_id: int) -> ClientContact:
    """The email, reminder consent and preferred name of one client."""
    return contacts(ctx, [client_id])[client_id]


def write_contact(
    s: Session,
    now: object,
    client_id: int,
    *,
    email: object = UNSET,
    phone: object = UNSET,
    preferred_name: object = UNSET,
    reminders: object = UNSET,
) -> ClientContact:
    """Change a contact in ``s``'s transaction (checked; the caller checked permission)."""
    if s.get(ClientRow, client_id) is None:
        raise NotFoundError(f"no client with id {client_id}")
    row = s.execute(
        select(ClientContactRow).where(ClientContactRow.client_id == client_id)
    ).scalar_one_or_none()
    if row is None:
        row = ClientContactRow(client_id=client_id)
        s.add(row)
    if email is not UNSET:
        row.email = check_email(email)  # type: ignore[arg-type]
    if phone is not UNSET:
        row.phone = (str(phone).strip() or None) if phone else None
    if preferred_name is not UNSET:
        row.preferred_name = check_preferred_name(preferred_name)  # type: ignore[arg-type]
    if reminders is not UNSET:
        wanted = bool(reminders)
        if wanted != row.reminders or row.reminders_given_at is None:
            row.reminders = wanted
            row.reminders_given_at = now  # type: ignore[assignment]
    if row.reminders and not row.email:
        raise ValidationError("reminders need an email address", field="email")
    s.flush()
    return _contact(client_id, row)


def set_contact(
    ctx: Context,
    client_id: int,
    *,
    email: object = UNSET,
    phone: object = UNSET,
    preferred_name: object = UNSET,
    reminders: object = UNSET,
) -> ClientContact:
    """Change a client's contact details (schedulers and admins).

    ``reminders`` records the client's answer (yes/no) with the time now, when it changes.
    Reminders need an email address.
    """
    require_manager(ctx.require_actor(), "edit clients")
    with ctx.db.session() as s:
        return write_contact(
            s,
            ctx.clock.now(),
            client_id,
            email=email,
            phone=phone,
            preferred_name=preferred_name,
            reminders=reminders,
        )
