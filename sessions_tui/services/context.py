"""The context every use case runs in: the database, the clock and the current user."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from sessions_tui.clock import Clock
from sessions_tui.domain.errors import NotFoundError, PermissionDenied
from sessions_tui.domain.model import Staff
from sessions_tui.identity import claimed_login, os_login
from sessions_tui.services import permissions
from sessions_tui.store.db import Database
from sessions_tui.store.queries import settings_from_row, staff_from_row
from sessions_tui.store.tables import PracticeRow, StaffRow


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
        """The acting member of staff; ``PermissionDenied`` (saying how to add the
        first admin) when the practice has no staff yet.
        """
        if self.actor is None:
            raise PermissionDenied(
                "no staff yet: add the first admin with "
                "`sessions-tui staff add LOGIN --name NAME --role admin`"
            )
        return self.actor


def staff_count(db: Database) -> int:
    """How many members of staff the practice has."""
    with db.session() as s:
        return int(s.execute(select(func.count()).select_from(StaffRow)).scalar_one())


def resolve_actor(db: Database, login: str | None) -> Staff | None:
    """The member of staff acting, or ``None`` when the practice has no staff yet.

    Who you are is not what ``login`` (``--user``) says:

    - SQLite: the OS login (``identity.os_login``). ``login`` naming someone else is honoured
      only when the OS login is an admin of the practice, or on a demo practice.
    - PostgreSQL: the role the connection logged in as (``current_user``), never a flag;
      ``login`` that differs is refused. A superuser connection (maintenance, and the test
      suite) may name anyone: a superuser bypasses every rule in the database anyway.

    Raises:
        NotFoundError: the login is not a member of staff; the message says how to add one.
        PermissionDenied: ``login`` names someone the caller may not act as.
    """
    claimed = claimed_login(login)
    with db.session() as s:
        if db.dialect == "postgresql":
            role, superuser = s.execute(
                text("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
            ).one()
            if claimed and claimed != role and not superuser:
                raise PermissionDenied(
                    f"--user {claimed}: on PostgreSQL you are the role you connected as "
                    f"({role!r}); connect as {claimed!r} instead"
                )
            me = claimed or str(role)
            row = _staff_row(s, me)
        else:
            me = os_login()
            row = _staff_row(s, claimed or me)
            if row is not None and claimed and claimed != me:
                settings = settings_from_row(s.get(PracticeRow, 1))
                own = _staff_row(s, me)
                permissions.require_act_as(
                    me,
                    staff_from_row(own) if own is not None else None,
                    claimed,
                    demo=settings.is_demo,
                )
            me = claimed or me
        if row is not None:
            return staff_from_row(row)
        total = s.execute(select(func.count()).select_from(StaffRow)).scalar_one()
    if total == 0:
        return None
    raise NotFoundError(
        f"unknown user {me!r}: `sessions-tui staff list` shows the logins; pass --user LOGIN "
        f"of a member of staff, or have an admin run "
        f"`sessions-tui staff add {me or 'LOGIN'} --name NAME --role practitioner`"
    )


def _staff_row(s: Session, login: str) -> StaffRow | None:
    return s.execute(select(StaffRow).where(StaffRow.login == login)).scalar_one_or_none()  # type: ignore[arg-type]


def make_context(db: Database, clock: Clock, login: str | None) -> Context:
    """A context acting as :func:`resolve_actor` decides for ``login``."""
    return Context(db=db, clock=clock, actor=resolve_actor(db, login))
