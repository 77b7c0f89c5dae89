"""CalDAV sync settings of each practitioner: the account, mode, calendars, last sync.

The CalDAV engine (``sync/caldav/``) reads and writes the same rows; the CLI calls these. Who
may change them: as for Google, the practitioner themself, schedulers and admins. The modes are
the same for every provider (:class:`~sessions_tui.services.sync_common.SyncMode`): switching
two-way to one-way removes every CalDAV event from the local calendar; back to two-way syncs
everything again. The password is never here: ``sync/caldav/secret.py`` keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.model import Staff
from sessions_tui.services import permissions, sync_common
from sessions_tui.services.context import Context
from sessions_tui.services.feeds import IdentifierMode, check_identifier
from sessions_tui.services.sync_common import SyncMode, parse_mode
from sessions_tui.store.tables import SyncAccountRow, SyncCalendarRow

__all__ = ["CalDavCalendar", "CalDavSettings", "SyncMode", "parse_mode"]

PROVIDER = "caldav"
"""The ``provider`` of this service's rows in the sync tables."""


@dataclass(frozen=True)
class CalDavCalendar:
    """A calendar collection of the account (``role``: ``default`` or ``secondary``)."""

    url: str
    summary: str
    role: str
    selected: bool
    has_sync_token: bool
    read_only: bool = False


@dataclass(frozen=True)
class CalDavSettings:
    """A practitioner's CalDAV connection."""

    practitioner: Staff
    url: str
    username: str
    mode: SyncMode
    connected: bool
    identifier: IdentifierMode
    calendars: tuple[CalDavCalendar, ...]
    last_sync_at: datetime | None
    last_result: str | None
    last_error: str | None

    @property
    def default_calendar(self) -> CalDavCalendar | None:
        """The calendar pushed to and pulled from, if one is chosen."""
        return next((c for c in self.calendars if c.role == "default"), None)

    @property
    def secondary_calendars(self) -> tuple[CalDavCalendar, ...]:
        """The other calendars that are pulled."""
        return tuple(c for c in self.calendars if c.role == "secondary")


def require_manage(actor: Staff, practitioner_id: int) -> None:
    """The same rule as Google's sync settings (``permissions.require_manage_sync``)."""
    permissions.require_manage_sync(actor, practitioner_id)


def account_row(s: Session, practitioner_id: int) -> SyncAccountRow | None:
    """The practitioner's CalDAV account row, if any."""
    return sync_common.account_row(s, PROVIDER, practitioner_id)


def calendar_rows(s: Session, account_id: int) -> list[SyncCalendarRow]:
    return sync_common.calendar_rows(s, account_id)


def _settings(s: Session, row: SyncAccountRow) -> CalDavSettings:
    assert row.id is not None
    return CalDavSettings(
        practitioner=sync_common.practitioner(s, row.practitioner_id),
        url=row.url or "",
        username=row.username or "",
        mode=SyncMode(row.mode),
        connected=row.connected,
        identifier=IdentifierMode(row.identifier),
        calendars=tuple(
            CalDavCalendar(
                c.calendar, c.summary, c.role, c.selected, c.sync_token is not None, c.read_only
            )
            for c in calendar_rows(s, row.id)
        ),
        last_sync_at=row.last_sync_at,
        last_result=row.last_result,
        last_error=row.last_error,
    )


ACCOUNTS = sync_common.Accounts(PROVIDER, "CalDAV", "sessions-tui caldav connect", _settings)


def _require_account(s: Session, practitioner_id: int) -> SyncAccountRow:
    return ACCOUNTS.require_row(s, practitioner_id)


get_settings = ACCOUNTS.get
"""The practitioner's settings, ``None`` when sync was never set up."""

list_settings = ACCOUNTS.all
"""Every account the actor may manage (for the periodic worker)."""


def connect(
    ctx: Context,
    practitioner_id: int,
    *,
    url: str,
    username: str,
    calendars: Iterable[tuple[str, str]],
    default_url: str,
    identifier: IdentifierMode | None = None,
    confirm_pii: bool = False,
) -> CalDavSettings:
    """Record the account and its discovered ``calendars`` (url, name), ``default_url`` the
    one pushed to. Other calendars are recorded unselected (``caldav calendars --add`` pulls
    them). Connecting again keeps links: a previous default becomes an unselected secondary,
    so its events stay tied to it."""
    require_manage(ctx.require_actor(), practitioner_id)
    if not username.strip():
        raise ValidationError("a CalDAV username is needed", field="username")
    if identifier is not None:
        check_identifier(ctx, identifier, confirm_pii=confirm_pii)
    found = dict(calendars)
    if default_url not in found:
        raise NotFoundError(f"no CalDAV calendar {default_url!r} in this account", field="calendar")
    with ctx.db.session() as s:
        sync_common.practitioner(s, practitioner_id)
        row = account_row(s, practitioner_id)
        if row is None:
            row = SyncAccountRow(
                provider=PROVIDER, practitioner_id=practitioner_id, url=url, username=username
            )
            s.add(row)
            s.flush()
        assert row.id is not None
        if row.url != url or row.username != username:
            # Another server or account: its tokens mean nothing here.
            sync_common.forget_tokens(s, row.id)
        row.url, row.username, row.connected = url, username, True
        if identifier is not None:
            row.identifier = identifier.value
        have = {c.calendar: c for c in calendar_rows(s, row.id)}
        for cal_url, name in found.items():
            cal = have.get(cal_url)
            if cal is None:
                cal = SyncCalendarRow(account_id=row.id, calendar=cal_url, selected=False)
                s.add(cal)
                have[cal_url] = cal
            cal.summary = name or cal.summary
        for cal_url, cal in have.items():
            if cal_url == default_url:
                cal.role, cal.selected = "default", True
            elif cal.role == "default":
                cal.role, cal.selected, cal.sync_token = "secondary", False, None
        s.flush()
        return _settings(s, row)


set_identifier = ACCOUNTS.set_identifier
"""How clients are named in pushed titles (every session re-titled on the next sync)."""


def select_calendar(ctx: Context, practitioner_id: int, url: str, selected: bool) -> CalDavSettings:
    """Choose (or stop) pulling a secondary calendar; stopping keeps its events, tied to it."""
    require_manage(ctx.require_actor(), practitioner_id)
    with ctx.db.session() as s:
        row = _require_account(s, practitioner_id)
        cal = s.execute(
            select(SyncCalendarRow).where(
                col(SyncCalendarRow.account_id) == row.id, col(SyncCalendarRow.calendar) == url
            )
        ).scalar_one_or_none()
        if cal is None:
            raise NotFoundError(f"no CalDAV calendar {url!r} in this account", field="calendar")
        if cal.role == "default":
            raise ValidationError(
                "that is the default calendar; connect another one first", field="calendar"
            )
        cal.selected = selected
        if not selected:
            cal.sync_token = None
        s.flush()
        return _settings(s, row)


def find_calendar(settings: CalDavSettings, name_or_url: str) -> CalDavCalendar:
    """A calendar of the account by its URL, its last path segment or its name."""
    wanted = name_or_url.strip()
    for c in settings.calendars:
        tail = c.url.rstrip("/").rsplit("/", 1)[-1]
        if wanted in (c.url, tail) or wanted.casefold() == c.summary.casefold():
            return c
    raise NotFoundError(f"no CalDAV calendar {wanted!r} in this account", field="calendar")


set_mode = ACCOUNTS.set_mode
"""Switch one-way/two-way: (the settings, how many local events were removed)."""

disconnect = ACCOUNTS.disconnect
"""Connection off, sync tokens dropped; events and links stay."""
