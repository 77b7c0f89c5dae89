"""One settings interface over every two-way sync provider (Google, CalDAV).

The screens and the CLI ask this module, by :class:`Provider`, for a practitioner's sync
settings and change them: mode, calendars pulled, disconnect. Each call delegates to the
provider's own settings service (``google_settings``, ``caldav_settings``); what differs between
them (a Google calendar id or a CalDAV URL, an account with or without a server) is put into one
shape here, :class:`SyncSettings`, so nothing above has to know which provider it shows. Running
a sync, pending changes and the practice-wide lock live one layer up, in
:mod:`sessions_tui.sync_runs` (services do not import the sync engines).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.model import Staff
from sessions_tui.services import caldav_settings, google_settings, permissions
from sessions_tui.services.context import Context
from sessions_tui.services.feeds import IdentifierMode
from sessions_tui.services.sync_common import SyncMode, parse_mode

__all__ = [
    "Provider",
    "SyncCalendar",
    "SyncMode",
    "SyncSettings",
    "can_manage",
    "disconnect",
    "get_settings",
    "list_settings",
    "parse_mode",
    "parse_provider",
    "require_manage",
    "select_calendar",
    "set_mode",
]


class Provider(StrEnum):
    """A two-way sync provider: its command group's name is its value."""

    GOOGLE = "google"
    CALDAV = "caldav"

    @property
    def label(self) -> str:
        """How the provider is named in sentences (``Google``, ``CalDAV``)."""
        return "Google" if self is Provider.GOOGLE else "CalDAV"

    @property
    def lock_name(self) -> str:
        """The practice-wide lock every sync of this provider takes (CLI and worker alike)."""
        return f"{self.value}-sync"

    @property
    def connect_command(self) -> str:
        """The command that sets a practitioner up (``sessions-tui google connect``)."""
        return f"sessions-tui {self.value} connect"

    @property
    def not_set_up(self) -> str:
        """The one line said when a practitioner has no account with this provider."""
        return (
            f"{self.label} sync is not set up for this practitioner: run `{self.connect_command}`"
        )


def parse_provider(text: str) -> Provider:
    """``google`` or ``caldav``; anything else is refused in one line."""
    try:
        return Provider(text.strip().lower())
    except ValueError:
        raise ValidationError(
            f"unknown sync provider {text!r} (expected google or caldav)", field="provider"
        ) from None


@dataclass(frozen=True)
class SyncCalendar:
    """A calendar of the account, whatever the provider.

    Attributes:
        key: What names it to the provider: a Google calendar id, a CalDAV collection URL.
        summary: Its name as the provider shows it (may be empty for Google).
        role: ``default`` (pushed to and pulled from) or ``secondary`` (pulled from).
        selected: Whether it is synced; a removed secondary stays, unselected.
        read_only: Shared read-only with the account: pulled, never pushed to.
    """

    key: str
    summary: str
    role: str
    selected: bool
    read_only: bool = False

    @property
    def label(self) -> str:
        """``name (key)``, or the key alone when the calendar has no name."""
        return f"{self.summary} ({self.key})" if self.summary else self.key


@dataclass(frozen=True)
class SyncSettings:
    """A practitioner's connection to one provider, in one shape for every provider.

    ``server`` and ``username`` are the CalDAV account's (``None`` for Google); ``raw`` is the
    provider service's own settings object, for what only that provider has.
    """

    provider: Provider
    practitioner: Staff
    mode: SyncMode
    connected: bool
    identifier: IdentifierMode
    calendars: tuple[SyncCalendar, ...]
    last_sync_at: datetime | None
    last_result: str | None
    last_error: str | None
    server: str | None = None
    username: str | None = None
    raw: Any = None

    @property
    def default_calendar(self) -> SyncCalendar | None:
        """The calendar pushed to and pulled from, if one is chosen."""
        return next((c for c in self.calendars if c.role == "default"), None)

    @property
    def secondary_calendars(self) -> tuple[SyncCalendar, ...]:
        """The other calendars of the account (pulled or not)."""
        return tuple(c for c in self.calendars if c.role == "secondary")

    def find_calendar(self, name_or_key: str) -> SyncCalendar:
        """A calendar of the account by its key (for CalDAV also the URL's last segment) or
        its name."""
        wanted = name_or_key.strip()
        for c in self.calendars:
            tail = c.key.rstrip("/").rsplit("/", 1)[-1]
            if wanted in (c.key, tail) or (c.summary and wanted.casefold() == c.summary.casefold()):
                return c
        raise NotFoundError(
            f"no {self.provider.label} calendar {wanted!r} in this account", field="calendar"
        )


def _neutral(provider: Provider, raw: Any) -> SyncSettings:
    if provider is Provider.GOOGLE:
        cals = tuple(
            SyncCalendar(c.calendar_id, c.summary, c.role, c.selected, c.read_only)
            for c in raw.calendars
        )
        server = username = None
    else:
        cals = tuple(
            SyncCalendar(c.url, c.summary, c.role, c.selected, c.read_only) for c in raw.calendars
        )
        server, username = raw.url, raw.username
    return SyncSettings(
        provider=provider,
        practitioner=raw.practitioner,
        mode=raw.mode,
        connected=raw.connected,
        identifier=raw.identifier,
        calendars=cals,
        last_sync_at=raw.last_sync_at,
        last_result=raw.last_result,
        last_error=raw.last_error,
        server=server,
        username=username,
        raw=raw,
    )


def _service(provider: Provider) -> Any:
    return google_settings if provider is Provider.GOOGLE else caldav_settings


def can_manage(actor: Staff, practitioner_id: int) -> bool:
    """Whether ``actor`` may change the practitioner's sync (every provider: one rule)."""
    return permissions.can_manage_sync(actor, practitioner_id)


def require_manage(actor: Staff, practitioner_id: int) -> None:
    """Refuse (one line) when ``actor`` may not change the practitioner's sync."""
    permissions.require_manage_sync(actor, practitioner_id)


def get_settings(provider: Provider, ctx: Context, practitioner_id: int) -> SyncSettings | None:
    """The practitioner's settings with ``provider``; ``None`` when never set up."""
    raw = _service(provider).get_settings(ctx, practitioner_id)
    return _neutral(provider, raw) if raw is not None else None


def require_settings(provider: Provider, ctx: Context, practitioner_id: int) -> SyncSettings:
    """As :func:`get_settings`, refusing (one line: the command to run) when never set up."""
    settings = get_settings(provider, ctx, practitioner_id)
    if settings is None:
        raise NotFoundError(provider.not_set_up)
    return settings


def list_settings(provider: Provider, ctx: Context) -> list[SyncSettings]:
    """Every account with ``provider`` that the actor may manage."""
    return [_neutral(provider, raw) for raw in _service(provider).list_settings(ctx)]


def connected_ids(provider: Provider, ctx: Context) -> list[int]:
    """The practitioners (ids) connected to ``provider`` whom the actor may manage."""
    return [s.practitioner.id for s in _service(provider).list_settings(ctx) if s.connected]


def set_mode(
    provider: Provider, ctx: Context, practitioner_id: int, mode: SyncMode | str
) -> tuple[SyncSettings, int]:
    """Switch one-way/two-way; the settings and how many local events were removed."""
    raw, removed = _service(provider).set_mode(ctx, practitioner_id, mode)
    return _neutral(provider, raw), removed


def select_calendar(
    provider: Provider,
    ctx: Context,
    practitioner_id: int,
    key: str,
    selected: bool,
    *,
    summary: str = "",
) -> SyncSettings:
    """Pull (or stop pulling) the secondary calendar ``key``; stopping keeps its events, tied
    to it. ``summary`` names a Google calendar not recorded yet."""
    if provider is Provider.GOOGLE:
        return _neutral(
            provider,
            google_settings.select_calendar(ctx, practitioner_id, key, selected, summary=summary),
        )
    return _neutral(provider, caldav_settings.select_calendar(ctx, practitioner_id, key, selected))


def select_calendars(
    provider: Provider,
    ctx: Context,
    practitioner_id: int,
    add: Iterable[tuple[str, str]] = (),
    remove: Iterable[str] = (),
) -> SyncSettings | None:
    """Pull each of ``add`` (key, name) and stop pulling each of ``remove`` (keys)."""
    for key, summary in add:
        select_calendar(provider, ctx, practitioner_id, key, True, summary=summary)
    for key in remove:
        select_calendar(provider, ctx, practitioner_id, key, False)
    return get_settings(provider, ctx, practitioner_id)


def connect(provider: Provider, ctx: Context, practitioner_id: int, **how: Any) -> SyncSettings:
    """Record the practitioner's account and default calendar: the provider service's
    ``connect`` with its own keywords (Google: ``calendar_id``, ``summary``; CalDAV: ``url``,
    ``username``, ``calendars``, ``default_url``; both: ``identifier``, ``confirm_pii``)."""
    return _neutral(provider, _service(provider).connect(ctx, practitioner_id, **how))


def disconnect(provider: Provider, ctx: Context, practitioner_id: int) -> None:
    """Mark the connection off; events and links stay (connecting again converges)."""
    _service(provider).disconnect(ctx, practitioner_id)


def mode_changed(settings: SyncSettings, removed: int) -> str:
    """What a mode switch did, in words: ``removed 1 Google event locally`` or the re-sync."""
    from sessions_tui.domain.text import count_of

    if settings.mode is SyncMode.ONE_WAY:
        return f"removed {count_of(removed, f'{settings.provider.label} event')} locally"
    return "the next sync re-syncs everything"
