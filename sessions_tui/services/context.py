"""The context every use case runs in: the database, the clock and the current user."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from sessions_tui.clock import Clock
from sessions_tui.domain.errors import NotFoundError, PermissionDenied
from sessions_tui.domain.model import Staff
from sessions_tui.identity import os_login
from sessions_tui.store.db import Database
from sessions_tui.store.queries import staff_from_row
from sessions_tui.store.tables import StaffRow


@dataclass(frozen=True)
class Context:
    """What a use case needs. ``actor`` is ``None`` only on an empty practice."""

    db: Database
    clock: Clock
    actor: Staff | None

    def __post_init__(self) -> None:
        # Changes made through this context are recorded in the audit log as the actor's.
        login = self.actor.login if self.actor else None
        if self.db.actor_login != login:
            object.__setattr__(self, "db", self.db.with_actor(login))

    def require_actor(self) -> Staff:
        if self.actor is None:
            raise PermissionDenied(
                "no staff yet: add the first admin with "
                "`sessions-tui staff add LOGIN --name NAME --role admin`"
            )
        return self.actor


def staff_count(db: Database) -> int:
    with db.session() as s:
        return int(s.execute(select(func.count()).select_from(StaffRow)).scalar_one())


def resolve_actor(db: Database, login: str | None) -> Staff | None:
    """The member of staff acting, or ``None`` when the practice has no staff yet.

    Raises:
        NotFoundError: the login is not a member of staff; the message says how to add one.
    """
    login = login or os_login()
    with db.session() as s:
        row = s.execute(select(StaffRow).where(StaffRow.login == login)).scalar_one_or_none()
        if row is not None:
            return staff_from_row(row)
        total = s.execute(select(func.count()).select_from(StaffRow)).scalar_one()
    if total == 0:
        return None
    raise NotFoundError(
        f"unknown user {login!r}: `sessions-tui staff list` shows the logins; pass --user LOGIN "
        f"of a member of staff, or have an admin run "
        f"`sessions-tui staff add {login or 'LOGIN'} --name NAME --role practitioner`"
    )


def make_context(db: Database, clock: Clock, login: str | None) -> Context:
    return Context(db=db, clock=clock, actor=resolve_actor(db, login))
