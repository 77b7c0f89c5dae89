"""Google sync settings of each practitioner: connection, mode, calendars, last sync.

The sync engine (``sync/google/``) reads and writes the same rows; the CLI and the Sync
settings screen call these functions. Who may change a practitioner's Google settings: the
practitioner themself, schedulers and admins (an admin sets sync up for a practitioner).

Modes:

- ``two-way``: local events are pushed to the default calendar and Google events of the default
  and the chosen secondary calendars are pulled in.
- ``one-way``: local events are pushed; nothing is pulled. Switching to one-way removes every
  Google-origin event from the local calendar; switching back to two-way re-syncs everything
  (a full pull, and every local event pushed again, re-titled, updating the events already in
  Google rather than adding new ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.events import Event
from sessions_tui.domain.model import Staff
from sessions_tui.services import permissions, sync_common
from sessions_tui.services.context import Context
from sessions_tui.services.feeds import IdentifierMode, check_identifier
from sessions_tui.services.sync_common import SyncMode
from sessions_tui.store.tables import (
    READ_ONLY_ROLES,
    SyncAccountRow,
    SyncCalendarRow,
)

PROVIDER = "google"
"""The ``provider`` of this service's rows in the sync tables."""


@dataclass(frozen=True)
class CalendarChoice:
    """A Google calendar of the account.

    Attributes:
        calendar_id: Google's calendar id.
        summary: Its name, as Google shows it.
        role: ``default`` (pushed to and pulled from) or ``secondary`` (pulled from).
        selected: Whether it is synced; a removed secondary calendar stays, unselected, so its
            events stay tied to it.
    """

    calendar_id: str
    summary: str
    role: str
    selected: bool
    has_sync_token: bool
    read_only: bool = False
    """Shared with the account read-only (Google's ``accessRole``): pulled, never pushed to."""


@dataclass(frozen=True)
class GoogleSettings:
    """A practitioner's Google sync connection (``None`` from :func:`get_settings` if none)."""

    practitioner: Staff
    mode: SyncMode
    connected: bool
    identifier: IdentifierMode
    calendars: tuple[CalendarChoice, ...]
    last_sync_at: datetime | None
    last_result: str | None
    last_error: str | None

    @property
    def default_calendar(self) -> str | None:
        for c in self.calendars:
            if c.role == "default":
                return c.calendar_id
        return None

    @property
    def secondary_calendars(self) -> tuple[CalendarChoice, ...]:
        return tuple(c for c in self.calendars if c.role == "secondary")

    def is_secondary(self, calendar_id: str | None) -> bool:
        """True for events from a secondary calendar (the UI styles them apart)."""
        return calendar_id is not None and any(
            c.calendar_id == calendar_id for c in self.secondary_calendars
        )


def can_manage(actor: Staff, practitioner_id: int) -> bool:
    return permissions.can_manage_sync(actor, practitioner_id)


def require_manage(actor: Staff, practitioner_id: int) -> None:
    permissions.require_manage_sync(actor, practitioner_id)


def account_row(s: Session, practitioner_id: int) -> SyncAccountRow | None:
    """The practitioner's Google account row, if any."""
    return ACCOUNTS.row(s, practitioner_id)


def _settings(s: Session, row: SyncAccountRow) -> GoogleSettings:
    assert row.id is not None
    cals = sync_common.calendar_rows(s, row.id)
    return GoogleSettings(
        practitioner=sync_common.practitioner(s, row.practitioner_id),
        mode=SyncMode(row.mode),
        connected=row.connected,
        identifier=IdentifierMode(row.identifier),
        calendars=tuple(
            CalendarChoice(
                c.calendar,
                c.summary,
                c.role,
                c.selected,
                c.sync_token is not None,
                c.access_role in READ_ONLY_ROLES,
            )
            for c in cals
        ),
        last_sync_at=row.last_sync_at,
        last_result=row.last_result,
        last_error=row.last_error,
    )


ACCOUNTS = sync_common.Accounts(PROVIDER, "Google", "sessions-tui google connect", _settings)


get_settings = ACCOUNTS.get
"""The practitioner's settings, ``None`` when sync was never set up."""

list_settings = ACCOUNTS.all
"""Every account the actor may manage (for the periodic worker)."""


def connect(
    ctx: Context,
    practitioner_id: int,
    calendar_id: str,
    *,
    summary: str = "",
    identifier: IdentifierMode | None = None,
    confirm_pii: bool = False,
) -> GoogleSettings:
    """Record ``calendar_id`` as the practitioner's default calendar (creating the account).

    A previous default calendar becomes an unselected secondary, so its events stay tied to it.
    """
    require_manage(ctx.require_actor(), practitioner_id)
    calendar_id = calendar_id.strip()
    if not calendar_id or len(calendar_id) > 1024 or any(ch.isspace() for ch in calendar_id):
        raise ValidationError(f"bad Google calendar id {calendar_id!r}", field="calendar")
    if identifier is not None:
        check_identifier(ctx, identifier, confirm_pii=confirm_pii)
    with ctx.db.session() as s:
        sync_common.practitioner(s, practitioner_id)
        row = account_row(s, practitioner_id)
        if row is None:
            row = SyncAccountRow(provider=PROVIDER, practitioner_id=practitioner_id)
            s.add(row)
            s.flush()
        row.connected = True
        if identifier is not None:
            row.identifier = identifier.value
        cals = (
            s.execute(select(SyncCalendarRow).where(col(SyncCalendarRow.account_id) == row.id))
            .scalars()
            .all()
        )
        target = None
        for c in cals:
            if c.calendar == calendar_id:
                target = c
            elif c.role == "default":
                c.role, c.selected, c.sync_token = "secondary", False, None
        if target is None:
            target = SyncCalendarRow(account_id=row.id, calendar=calendar_id)  # type: ignore[arg-type]
            s.add(target)
        target.role, target.selected = "default", True
        if summary:
            target.summary = summary
        s.flush()
        return _settings(s, row)


set_identifier = ACCOUNTS.set_identifier
"""How clients are named in pushed titles (every session re-titled on the next sync)."""


def _require_account(s: Session, practitioner_id: int) -> SyncAccountRow:
    return ACCOUNTS.require_row(s, practitioner_id)


def select_calendar(
    ctx: Context, practitioner_id: int, calendar_id: str, selected: bool, *, summary: str = ""
) -> GoogleSettings:
    """Choose (or stop) pulling a secondary calendar.

    Stopping keeps its events locally, still tied to its id; they are never pushed to another
    calendar.
    """
    require_manage(ctx.require_actor(), practitioner_id)
    with ctx.db.session() as s:
        row = _require_account(s, practitioner_id)
        cal = s.execute(
            select(SyncCalendarRow).where(
                col(SyncCalendarRow.account_id) == row.id,
                col(SyncCalendarRow.calendar) == calendar_id,
            )
        ).scalar_one_or_none()
        if cal is not None and cal.role == "default":
            raise ValidationError(
                "that is the default calendar; connect another one first", field="calendar"
            )
        if cal is None:
            if not selected:
                raise NotFoundError(
                    f"calendar {calendar_id!r} is not one of the secondaries", field="calendar"
                )
            cal = SyncCalendarRow(
                account_id=row.id,  # type: ignore[arg-type]
                calendar=calendar_id,
                role="secondary",
            )
            s.add(cal)
        cal.selected = selected
        if summary:
            cal.summary = summary
        if not selected:
            cal.sync_token = None
        s.flush()
        return _settings(s, row)


set_mode = ACCOUNTS.set_mode
"""Switch one-way/two-way: (the settings, how many local events were removed)."""

disconnect = ACCOUNTS.disconnect
"""Connection off, sync tokens dropped; events and links stay."""


def read_only_source(s: Session, event: Event) -> str | None:
    """The name of the Google calendar ``event`` came from, when the practitioner's account may
    only read it (calendarList ``accessRole`` reader or freeBusyReader), else ``None``."""
    if not event.source_calendar or event.practitioner_id is None:
        return None
    found = s.execute(
        select(col(SyncCalendarRow.summary), col(SyncCalendarRow.access_role))
        .join(SyncAccountRow, col(SyncAccountRow.id) == col(SyncCalendarRow.account_id))
        .where(
            col(SyncAccountRow.provider) == PROVIDER,
            col(SyncAccountRow.practitioner_id) == event.practitioner_id,
            col(SyncCalendarRow.calendar) == event.source_calendar,
        )
    ).first()
    if found is None or found[1] not in READ_ONLY_ROLES:
        return None
    return str(found[0] or event.source_calendar)


def secondary_calendar_keys(ctx: Context) -> frozenset[tuple[int, str]]:
    """``(practitioner id, calendar id)`` of every secondary Google calendar, pulled or not.

    The calendar views mark events whose ``source_calendar`` is one of their practitioner's
    secondary calendars (a distinct style and ``◇``). Read-only and cheap: one small query.
    """
    from sessions_tui.store.orm_reader import OrmReader

    ctx.require_actor()
    return OrmReader(ctx.db).secondary_calendars()
