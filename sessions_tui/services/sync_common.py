"""What the settings of every two-way provider (Google, CalDAV) share: their rows (one set of
tables with a ``provider`` column), which local events are a provider's, and removing them when
the practice switches that provider to one-way.

The sync engine's own rules are in :mod:`sessions_tui.sync.engine`; this is the part the
settings services need (they sit below the sync layer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.clock import clock_from_env
from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.model import Staff
from sessions_tui.services import permissions
from sessions_tui.services.context import Context
from sessions_tui.services.feeds import IdentifierMode, check_identifier, parse_identifier
from sessions_tui.services.writer import Writer
from sessions_tui.store.queries import staff_from_row
from sessions_tui.store.tables import (
    EventRow,
    StaffRow,
    SyncAccountRow,
    SyncCalendarRow,
    SyncLinkRow,
)


def account_row(s: Session, provider: str, practitioner_id: int) -> SyncAccountRow | None:
    """The practitioner's account with ``provider``, if they ever connected one."""
    return s.execute(
        select(SyncAccountRow).where(
            col(SyncAccountRow.provider) == provider,
            col(SyncAccountRow.practitioner_id) == practitioner_id,
        )
    ).scalar_one_or_none()


def account_rows(s: Session, provider: str) -> list[SyncAccountRow]:
    """Every account with ``provider``."""
    return list(
        s.execute(select(SyncAccountRow).where(col(SyncAccountRow.provider) == provider)).scalars()
    )


def calendar_rows(s: Session, account_id: int) -> list[SyncCalendarRow]:
    """The account's calendars, the default first, then by id or URL."""
    return list(
        s.execute(
            select(SyncCalendarRow)
            .where(col(SyncCalendarRow.account_id) == account_id)
            .order_by(col(SyncCalendarRow.role), col(SyncCalendarRow.calendar))
        ).scalars()
    )


def forget_tokens(s: Session, account_id: int) -> None:
    """Every calendar of the account is listed in full on the next sync."""
    s.execute(
        update(SyncCalendarRow)
        .where(col(SyncCalendarRow.account_id) == account_id)
        .values(sync_token=None)
    )


def forget_hashes(s: Session, account_id: int) -> None:
    """Every link of the account is pushed again (as an update) on the next sync."""
    s.execute(
        update(SyncLinkRow).where(col(SyncLinkRow.account_id) == account_id).values(local_hash=None)
    )


def remote_event_ids(s: Session, account: SyncAccountRow) -> set[int]:
    """Every local event that is the account's provider's (see :func:`provider_event_ids`):
    linked as pulled from it, or tied by ``source_calendar`` to one of its calendars."""
    assert account.id is not None
    linked = s.execute(
        select(col(SyncLinkRow.event_id)).where(
            col(SyncLinkRow.account_id) == account.id,
            col(SyncLinkRow.origin) == "remote",
            col(SyncLinkRow.event_id).is_not(None),
        )
    ).scalars()
    cals = [c.calendar for c in calendar_rows(s, account.id)]
    return provider_event_ids(s, account.practitioner_id, linked, cals)


def remove_remote_events(s: Session, account: SyncAccountRow) -> int:
    """Remove every local event that is the provider's (:func:`remote_event_ids`) with its
    overrides and every link to them (so no later push deletes them remotely), as a switch to
    one-way does. Returns how many series and single events went."""
    ids = remote_event_ids(s, account)
    family = remove_provider_events(s, account.practitioner_id, ids)
    s.execute(
        delete(SyncLinkRow).where(
            col(SyncLinkRow.account_id) == account.id,
            (col(SyncLinkRow.origin) == "remote") | col(SyncLinkRow.event_id).in_(family),  # type: ignore[arg-type]
        )
    )
    return len(ids)


def provider_event_ids(
    s: Session, practitioner_id: int, linked: Iterable[int | None], calendars: Iterable[str]
) -> set[int]:
    """Every local event that is a provider's: ``linked`` (pulled from it), or tied by
    ``source_calendar`` to one of its ``calendars`` (a "this and following" fork of a provider's
    event keeps the calendar but, until its first push, has no link)."""
    ids = {i for i in linked if i is not None}
    cal_ids = list(calendars)
    if cal_ids:
        ids |= {
            i
            for i in s.execute(
                select(col(EventRow.id)).where(
                    col(EventRow.practitioner_id) == practitioner_id,
                    col(EventRow.source_calendar).in_(cal_ids),  # type: ignore[union-attr]
                )
            ).scalars()
            if i is not None
        }
    return ids


def remove_provider_events(s: Session, practitioner_id: int, ids: set[int]) -> set[int]:
    """Delete ``ids`` with their overrides, through the one writer (as a sync of
    ``practitioner_id``, so protected sessions stay); returns every id of the family removed,
    for the caller to drop its links to them."""
    if not ids:
        return set()
    children = {
        c
        for c in s.execute(
            select(col(EventRow.id)).where(col(EventRow.series_id).in_(ids))  # type: ignore[union-attr]
        ).scalars()
        if c is not None
    }
    family = ids | children
    writer = Writer.for_sync(s, clock_from_env(), practitioner_id)
    for event_id in sorted(family):
        row = s.get(EventRow, event_id)
        if row is not None:
            writer.delete(row, exdate=False)  # a series goes with its overrides
    return family


# --- one provider's account settings: what Google's and CalDAV's settings services share ---


class SyncMode(StrEnum):
    """Two-way (push and pull) or one-way (push only)."""

    TWO_WAY = "two-way"
    ONE_WAY = "one-way"


def parse_mode(text: str) -> SyncMode:
    """``text`` as a :class:`SyncMode` (a :class:`ValidationError` naming it otherwise)."""
    try:
        return SyncMode(text.strip().lower())
    except ValueError:
        raise ValidationError(
            f"unknown sync mode {text!r} (expected two-way or one-way)", field="mode"
        ) from None


def practitioner(s: Session, practitioner_id: int) -> Staff:
    """The practitioner ``practitioner_id`` (a :class:`NotFoundError` if there is none)."""
    row = s.get(StaffRow, practitioner_id)
    if row is None or not permissions.holds_role(row.roles, "practitioner"):
        raise NotFoundError(f"no practitioner with id {practitioner_id}", field="practitioner")
    return staff_from_row(row)


SettingsT = TypeVar("SettingsT")


@dataclass(frozen=True)
class Accounts(Generic[SettingsT]):
    """One provider's accounts, as its settings service shows them (``shown`` makes a row into
    that service's settings object): read, list, identifier, mode, disconnect. Who may change a
    practitioner's: the practitioner themself, schedulers and admins
    (``permissions.require_manage_sync``)."""

    provider: str
    label: str
    connect_command: str
    shown: Callable[[Session, SyncAccountRow], SettingsT]

    def row(self, s: Session, practitioner_id: int) -> SyncAccountRow | None:
        """The practitioner's account row of this provider, if any."""
        return account_row(s, self.provider, practitioner_id)

    def require_row(self, s: Session, practitioner_id: int) -> SyncAccountRow:
        """The account row, or a :class:`NotFoundError` saying how to set it up."""
        row = self.row(s, practitioner_id)
        if row is None:
            raise NotFoundError(
                f"{self.label} sync is not set up for this practitioner: "
                f"run `{self.connect_command}`"
            )
        return row

    def get(self, ctx: Context, practitioner_id: int) -> SettingsT | None:
        """The practitioner's settings, ``None`` when sync was never set up."""
        ctx.require_actor()
        with ctx.db.session() as s:
            row = self.row(s, practitioner_id)
            return self.shown(s, row) if row is not None else None

    def all(self, ctx: Context) -> list[SettingsT]:
        """Every account the actor may manage (for the periodic worker)."""
        actor = ctx.require_actor()
        with ctx.db.session() as s:
            return [
                self.shown(s, r)
                for r in account_rows(s, self.provider)
                if permissions.can_manage_sync(actor, r.practitioner_id)
            ]

    def set_identifier(
        self,
        ctx: Context,
        practitioner_id: int,
        mode: IdentifierMode | str,
        *,
        confirm_pii: bool = False,
    ) -> SettingsT:
        """How clients are named in pushed titles; every session is re-titled on the next
        sync."""
        permissions.require_manage_sync(ctx.require_actor(), practitioner_id)
        mode = parse_identifier(mode) if isinstance(mode, str) else mode
        check_identifier(ctx, mode, confirm_pii=confirm_pii)
        with ctx.db.session() as s:
            row = self.require_row(s, practitioner_id)
            row.identifier = mode.value
            s.flush()
            return self.shown(s, row)

    def set_mode(
        self, ctx: Context, practitioner_id: int, mode: SyncMode | str
    ) -> tuple[SettingsT, int]:
        """Switch one-way/two-way; returns the settings and how many local events were
        removed (one-way removes the provider's events; two-way syncs everything again: a
        full pull, and every link re-pushed as an update)."""
        permissions.require_manage_sync(ctx.require_actor(), practitioner_id)
        mode = parse_mode(mode) if isinstance(mode, str) else mode
        removed = 0
        with ctx.db.session() as s:
            row = self.require_row(s, practitioner_id)
            assert row.id is not None
            if row.mode == mode.value:
                return self.shown(s, row), 0
            if mode is SyncMode.ONE_WAY:
                removed = remove_remote_events(s, row)
            else:
                forget_hashes(s, row.id)
            forget_tokens(s, row.id)
            row.mode = mode.value
            s.flush()
            return self.shown(s, row), removed

    def disconnect(self, ctx: Context, practitioner_id: int) -> None:
        """Mark the connection off and drop sync tokens; events and links stay (connecting
        again converges without duplicates)."""
        permissions.require_manage_sync(ctx.require_actor(), practitioner_id)
        with ctx.db.session() as s:
            row = self.require_row(s, practitioner_id)
            row.connected = False
            assert row.id is not None
            forget_tokens(s, row.id)
