"""One-way sync settings: per practitioner ICS feed on/off, client identifier, secret token.

The Sync Calendar screen and the ``ics`` CLI both call these. Who may change a feed: the
practitioner themself, schedulers and admins (the same rule as office hours). The feed server
looks feeds up by token with :func:`feed_by_token`, which needs no actor: the token is the
credential.

Tokens are ``secrets.token_urlsafe(32)`` (256 bits). Only their sha256 is stored (migration
0006), so a copy of the database (a backup, a laptop) does not yield a working feed URL: the URL
is shown once, by the call that makes the token (:func:`ensure_feed` on a feed that had none,
:func:`rotate_token`), and a lost URL is replaced by rotating. The server finds a feed by the
sha256 of the presented token and compares the digests with :func:`hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.model import Client, Staff
from sessions_tui.services.context import Context
from sessions_tui.services.permissions import can_manage_feed, holds_role, require_manage_feed
from sessions_tui.store.db import Database
from sessions_tui.store.queries import settings_from_row, staff_from_row
from sessions_tui.store.tables import FeedRow, PracticeRow, StaffRow

PII_WARNING = (
    "Full client names in a calendar feed are personal health information: anyone who gets the "
    "URL, and the calendar app's provider, can read them (HIPAA/GDPR). Prefer initials."
)
"""Shown, and confirmed, before full names are put in a feed or export."""

DEFAULT_BASE_URL = "http://127.0.0.1:8765"


class IdentifierMode(StrEnum):
    """How a client is named in exported calendars. Initials are the default."""

    FULL = "full"
    INTERNAL_ID = "internal-id"
    FIRST_NAME = "first-name"
    INITIALS = "initials"

    @property
    def label(self) -> str:
        """The mode's name for people (``Full name``, ``Initials``, ...)."""
        return {
            "full": "Full name",
            "internal-id": "Internal ID",
            "first-name": "First name",
            "initials": "Initials",
        }[self.value]


def parse_identifier(text: str) -> IdentifierMode:
    """``initials`` → :class:`IdentifierMode`, with a clear error for anything else."""
    try:
        return IdentifierMode(text.strip().lower())
    except ValueError:
        choices = ", ".join(m.value for m in IdentifierMode)
        raise ValidationError(
            f"unknown client identifier {text!r} (expected {choices})", field="identifier"
        ) from None


def client_label(client: Client, mode: IdentifierMode, *, internal_ids: bool) -> str:
    """The only text about ``client`` an export may contain.

    Internal ID falls back to initials when the practice has Internal IDs off or the client has
    none, so a setting made earlier never leaks more than initials.
    """
    if mode is IdentifierMode.FULL:
        return client.full_name
    if mode is IdentifierMode.FIRST_NAME:
        return client.first_name
    if mode is IdentifierMode.INTERNAL_ID and internal_ids and client.internal_id:
        return client.internal_id
    return client.initials or "Client"


@dataclass(frozen=True)
class FeedSettings:
    """A practitioner's feed. ``token`` is ``None`` until the feed is first turned on.

    Attributes:
        practitioner_id: The practitioner the feed belongs to.
        practitioner_name: Their display name (the calendar's name).
        enabled: Whether the server answers for the token.
        identifier: How clients are named in it.
        token: The secret in the URL: only in the result of the call that made it (it is not
            stored), else ``None``.
        has_token: Whether the feed has a token (its URL works while the feed is on).
        updated_at: Last change of these settings (part of the feed's Last-Modified).
        rotated_at: When the token was last replaced, if ever.
    """

    practitioner_id: int
    practitioner_name: str
    enabled: bool = False
    identifier: IdentifierMode = IdentifierMode.INITIALS
    token: str | None = None
    has_token: bool = False
    updated_at: datetime | None = None
    rotated_at: datetime | None = None

    def url(self, base_url: str = DEFAULT_BASE_URL) -> str | None:
        """``http://HOST:PORT/feeds/<token>.ics``, or ``None`` when the token is not known here
        (never made, or made earlier: only its hash is kept)."""
        if self.token is None:
            return None
        return f"{base_url.rstrip('/')}/feeds/{self.token}.ics"


def token_digest(token: str) -> str:
    """sha256 hex of a token: what the database is searched by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh secret: 32 random bytes, URL-safe (43 characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def _to_settings(row: FeedRow | None, person: Staff, token: str | None = None) -> FeedSettings:
    if row is None:
        return FeedSettings(person.id, person.name)
    try:
        mode = IdentifierMode(row.identifier)
    except ValueError:
        mode = IdentifierMode.INITIALS
    return FeedSettings(
        practitioner_id=person.id,
        practitioner_name=person.name,
        enabled=row.enabled,
        identifier=mode,
        token=token,
        has_token=row.token_hash is not None,
        updated_at=row.updated_at,
        rotated_at=row.rotated_at,
    )


def _practitioner(s: Session, practitioner_id: int) -> Staff:
    row = s.get(StaffRow, practitioner_id)
    if row is None or not holds_role(row.roles, "practitioner"):
        raise NotFoundError(f"no practitioner with id {practitioner_id}", field="practitioner")
    return staff_from_row(row)


def _feed_row(s: Session, practitioner_id: int) -> FeedRow | None:
    return s.execute(
        select(FeedRow).where(FeedRow.practitioner_id == practitioner_id)  # type: ignore[arg-type]
    ).scalar_one_or_none()


def _ensure_row(ctx: Context, s: Session, practitioner_id: int) -> FeedRow:
    row = _feed_row(s, practitioner_id)
    if row is None:
        now = ctx.clock.now()
        row = FeedRow(practitioner_id=practitioner_id, created_at=now, updated_at=now)
        s.add(row)
    return row


def _set_token(row: FeedRow, ctx: Context, *, rotated: bool) -> str:
    """A new token for the feed: its hash is stored, the token itself only returned."""
    token = new_token()
    row.token_hash = token_digest(token)
    row.updated_at = ctx.clock.now()
    if rotated:
        row.rotated_at = row.updated_at
    return token


def get_feed(ctx: Context, practitioner_id: int) -> FeedSettings:
    """The practitioner's feed settings (defaults when never set: off, initials, no token)."""
    require_manage_feed(ctx.require_actor(), practitioner_id)
    with ctx.db.session() as s:
        person = _practitioner(s, practitioner_id)
        return _to_settings(_feed_row(s, practitioner_id), person)


def list_feeds(ctx: Context) -> list[FeedSettings]:
    """Feeds the actor may manage: every practitioner's for admins and schedulers, else their own.

    This is the list the Sync Calendar screen shows, one row per practitioner.
    """
    actor = ctx.require_actor()
    with ctx.db.session() as s:
        people = [
            staff_from_row(r)
            for r in s.execute(select(StaffRow).order_by(StaffRow.name)).scalars()
            if holds_role(r.roles, "practitioner")
        ]
        rows = {r.practitioner_id: r for r in s.execute(select(FeedRow)).scalars()}
        return [_to_settings(rows.get(p.id), p) for p in people if can_manage_feed(actor, p.id)]


def available_identifiers(ctx: Context) -> list[IdentifierMode]:
    """Identifier choices to offer: internal ID only when the practice has Internal IDs on."""
    with ctx.db.session() as s:
        settings = settings_from_row(s.get(PracticeRow, 1))
    modes = [IdentifierMode.INITIALS, IdentifierMode.FIRST_NAME]
    if settings.internal_ids:
        modes.append(IdentifierMode.INTERNAL_ID)
    modes.append(IdentifierMode.FULL)
    return modes


def check_identifier(ctx: Context, mode: IdentifierMode, *, confirm_pii: bool) -> None:
    """Refuse full names without confirmation, and internal IDs when the practice has them off.

    Raises:
        ValidationError: naming what is missing.
    """
    if mode is IdentifierMode.FULL and not confirm_pii:
        raise ValidationError(
            "full client names need an explicit confirmation (PII/HIPAA): " + PII_WARNING,
            field="identifier",
        )
    if mode is IdentifierMode.INTERNAL_ID and mode not in available_identifiers(ctx):
        raise ValidationError(
            "internal IDs are off for this practice; an admin can turn on Internal IDs first",
            field="identifier",
        )


def set_enabled(ctx: Context, practitioner_id: int, enabled: bool) -> FeedSettings:
    """Turn a practitioner's feed on (making a token if there is none) or off.

    Turning it off keeps the token, so turning it back on restores the same URL; use
    :func:`rotate_token` to make the old URL useless. The result holds the token only when
    this call made it.
    """
    require_manage_feed(ctx.require_actor(), practitioner_id)
    with ctx.db.session() as s:
        person = _practitioner(s, practitioner_id)
        row = _ensure_row(ctx, s, practitioner_id)
        row.enabled = enabled
        row.updated_at = ctx.clock.now()
        token = None
        if enabled and row.token_hash is None:
            token = _set_token(row, ctx, rotated=False)
        s.flush()
        return _to_settings(row, person, token)


def set_identifier(
    ctx: Context, practitioner_id: int, mode: IdentifierMode, *, confirm_pii: bool = False
) -> FeedSettings:
    """Choose how clients are named in the practitioner's feed; shows in the next fetch.

    Raises:
        ValidationError: full names without ``confirm_pii``, or internal IDs while the practice
            has them off.
    """
    require_manage_feed(ctx.require_actor(), practitioner_id)
    check_identifier(ctx, mode, confirm_pii=confirm_pii)
    with ctx.db.session() as s:
        person = _practitioner(s, practitioner_id)
        row = _ensure_row(ctx, s, practitioner_id)
        row.identifier = mode.value
        row.updated_at = ctx.clock.now()
        s.flush()
        return _to_settings(row, person)


def ensure_feed(ctx: Context, practitioner_id: int) -> FeedSettings:
    """The feed with a token, turned on: what ``ics url`` prints (the token only if new)."""
    return set_enabled(ctx, practitioner_id, True)


def rotate_token(ctx: Context, practitioner_id: int) -> FeedSettings:
    """Replace the token: the old URL gets 404 from now on. Turns the feed on."""
    require_manage_feed(ctx.require_actor(), practitioner_id)
    with ctx.db.session() as s:
        person = _practitioner(s, practitioner_id)
        row = _ensure_row(ctx, s, practitioner_id)
        token = _set_token(row, ctx, rotated=True)
        row.enabled = True
        s.flush()
        return _to_settings(row, person, token)


def feed_by_token(db: Database, token: str) -> FeedSettings | None:
    """The enabled feed whose token is ``token``, else ``None`` (for the feed server).

    The lookup is by sha256 digest, then the stored digest is compared in constant time, so
    neither the query nor the comparison leaks how much of a guessed token was right.
    """
    if not token or len(token) > 200:
        return None
    digest = token_digest(token)
    with db.session() as s:
        stmt = select(FeedRow).where(FeedRow.token_hash == digest)  # type: ignore[arg-type]
        row = s.execute(stmt).scalar_one_or_none()
        if row is None or row.token_hash is None:
            return None
        if not hmac.compare_digest(row.token_hash.encode(), digest.encode()):
            return None
        if not row.enabled:
            return None
        person_row = s.get(StaffRow, row.practitioner_id)
        if person_row is None:
            return None
        return _to_settings(row, staff_from_row(person_row))
